"""Assessments (both databases): storing any instrument's scores, validation naming the item, the
ability and requirement profile's gaps and strong points, the change between two assessments,
append-only storage; strengths and experiences with the CV's content."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DatabaseError
from sqlmodel import col

from engine import strengths as s
from engine.assessments import (
    Completed,
    assessments,
    by_instrument,
    changes,
    gaps,
    record_assessment,
    strong_points,
)
from engine.errors import InputRequired, NotFound
from engine.inputs import Checks
from engine.instruments import ABILITY_PROFILE, KYKYVIISARI, Instrument, InstrumentItem, Scale
from engine.models import Assessment, AssessmentScore, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user

KYKY = {
    "overall_work_ability": 4,
    "mental_wellbeing": 5,
    "social_participation": 3,
    "physical_capacity": 7,
    "skills": 6,
    "everyday_coping": 5,
}


@pytest.fixture
def ids(runtime: Runtime) -> tuple[int, int]:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _ = make_client(runtime, care_team=(coach.id,))
    return client_id, coach.id


def record(
    runtime: Runtime,
    ids: tuple[int, int],
    instrument: Instrument = KYKYVIISARI,
    scores: dict[str, int] | None = None,
    *,
    days_ago: int = 0,
    **kw: object,
) -> int:
    client_id, coach_id = ids
    with runtime.db.write() as session:
        a = record_assessment(
            session,
            instrument,
            client_id=client_id,
            recorded_by=coach_id,
            assessed_on=runtime.clock.today() - timedelta(days=days_ago),
            scores=KYKY if scores is None else scores,
            now=runtime.clock.now(),
            today=runtime.clock.today(),
            **kw,  # type: ignore[arg-type]
        )
        assert a.id is not None
        return a.id


def read(runtime: Runtime, client_id: int) -> list[Completed]:
    with runtime.db.read() as session:
        return assessments(session, client_id)


def test_a_kykyviisari_summary_is_stored_as_scores_only(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    record(runtime, ids)
    (done,) = read(runtime, ids[0])
    assert done.instrument == "kykyviisari"
    assert done.scores == KYKY
    assert done.requirements == {}
    assert done.requirement_of is None
    assert done.recorded_by is not None
    assert done.assessed_on == runtime.clock.today()


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({"overall_work_ability": 11}, "overall_work_ability"),
        ({"skills": -1}, "skills"),
        ({"overall_work_ability": 5, "item_texts": 3}, "item_texts"),
        ({}, "scores"),
    ],
)
def test_bad_scores_are_refused_naming_the_item(
    runtime: Runtime, ids: tuple[int, int], scores: dict[str, int], field: str
) -> None:
    with pytest.raises(InputRequired) as refused:
        record(runtime, ids, scores=scores)
    assert refused.value.field == field
    assert read(runtime, ids[0]) == []


def test_an_assessment_is_not_dated_in_the_future(runtime: Runtime, ids: tuple[int, int]) -> None:
    with pytest.raises(InputRequired) as refused:
        record(runtime, ids, days_ago=-1)
    assert refused.value.field == "assessed_on"


def test_the_profile_needs_the_job_and_both_ratings(runtime: Runtime, ids: tuple[int, int]) -> None:
    with pytest.raises(InputRequired) as no_job:
        record(runtime, ids, ABILITY_PROFILE, {"learning": 3}, requirements={"learning": 4})
    assert no_job.value.field == "requirement_of"
    with pytest.raises(InputRequired) as one_sided:
        record(
            runtime,
            ids,
            ABILITY_PROFILE,
            {"learning": 3, "lifting": 2},
            requirements={"learning": 4},
            requirement_of="Varastotyö",
        )
    assert one_sided.value.field == "requirement.lifting"
    with pytest.raises(InputRequired) as out_of_scale:
        record(
            runtime,
            ids,
            ABILITY_PROFILE,
            {"learning": 3},
            requirements={"learning": 6},
            requirement_of="Varastotyö",
        )
    assert out_of_scale.value.field == "requirement.learning"
    with pytest.raises(InputRequired) as not_a_profile:
        record(runtime, ids, requirement_of="Varastotyö")
    assert not_a_profile.value.field == "requirement_of"


def test_profile_gaps_and_strong_points(runtime: Runtime, ids: tuple[int, int]) -> None:
    ability = {"concentration": 2, "learning": 4, "cooperation": 3, "lifting": 1, "punctuality": 5}
    required = {"concentration": 4, "learning": 3, "cooperation": 3, "lifting": 4, "punctuality": 4}
    record(
        runtime,
        ids,
        ABILITY_PROFILE,
        ability,
        requirements=required,
        requirement_of=" Varastotyö ",
    )
    (done,) = read(runtime, ids[0])
    assert done.requirement_of == "Varastotyö"
    # largest gap first: lifting 4-1 = 3, then concentration 4-2 = 2; cooperation equal: neither
    assert [(d.item, d.first, d.second, d.difference) for d in gaps(ABILITY_PROFILE, done)] == [
        ("lifting", 1, 4, 3),
        ("concentration", 2, 4, 2),
    ]
    # ability above requirement, in the instrument's order on ties: learning +1, punctuality +1
    assert [(d.item, d.difference) for d in strong_points(ABILITY_PROFILE, done)] == [
        ("learning", 1),
        ("punctuality", 1),
    ]


def test_change_between_the_last_two_summaries(runtime: Runtime, ids: tuple[int, int]) -> None:
    record(runtime, ids, days_ago=90)
    later = dict(KYKY, overall_work_ability=6, social_participation=3, skills=4)
    del later["physical_capacity"]  # not answered this time: not compared
    record(runtime, ids, scores=later)
    grouped = by_instrument(read(runtime, ids[0]))
    first, second = grouped["kykyviisari"]
    assert first.assessed_on < second.assessed_on
    diff = {d.item: (d.first, d.second, d.difference) for d in changes(KYKYVIISARI, first, second)}
    assert diff == {
        "overall_work_ability": (4, 6, 2),
        "mental_wellbeing": (5, 5, 0),
        "social_participation": (3, 3, 0),
        "skills": (6, 4, -2),
        "everyday_coping": (5, 5, 0),
    }
    assert next(iter(diff)) == "overall_work_ability"  # the instrument's order


def test_a_plugin_instrument_is_stored_without_schema_changes(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    home = Instrument(
        key="esimerkkila_arki",
        label={"fi": "Arki", "sv": "Vardag", "en": "Everyday"},
        items=(
            InstrumentItem(
                "housing", {"fi": "Asuminen", "sv": "Boende", "en": "Housing"}, Scale(0, 4)
            ),
        ),
        source="Esimerkkilä",
    )
    record(runtime, ids, home, {"housing": 3})
    assert read(runtime, ids[0])[0].scores == {"housing": 3}


def test_assessments_are_append_only(runtime: Runtime, ids: tuple[int, int]) -> None:
    assessment_id = record(runtime, ids)
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(
            update(AssessmentScore)
            .where(col(AssessmentScore.assessment_id) == assessment_id)
            .values(score=10)
        )
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(
            update(Assessment)
            .where(col(Assessment.id) == assessment_id)
            .values(assessed_on=date(2020, 1, 1))
        )
    for table in ("assessment_score", "assessment"):
        statements = [f"DELETE FROM {table}"]
        if runtime.db.dialect == "postgresql":
            statements.append(f"TRUNCATE {table} CASCADE")
        for statement in statements:
            with (
                pytest.raises(DatabaseError, match=r"append-only|permission denied"),
                runtime.db.write() as session,
            ):
                session.execute(text(statement))
    assert read(runtime, ids[0])[0].scores == KYKY


# --- strengths and experiences ---------------------------------------------------------------


def test_strengths_are_grouped_edited_and_removed(runtime: Runtime, ids: tuple[int, int]) -> None:
    client_id, coach_id = ids
    now = runtime.clock.now()
    with runtime.db.write() as session:
        s.add_strength(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            category="interest",
            text="Kalastus",
            now=now,
        )
        kind = s.add_strength(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            category="quality",
            text=" Hyvä kuuntelija ",
            now=now,
        )
        skill = s.add_strength(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            category="skill",
            text="Korjaan polkupyöriä",
            now=now,
        )
        assert kind.text == "Hyvä kuuntelija"
        for bad in ({"category": "secret", "text": "x"}, {"category": "skill", "text": "  "}):
            with pytest.raises(InputRequired):
                s.add_strength(session, client_id=client_id, recorded_by=coach_id, now=now, **bad)
        s.edit_strength(session, skill, category="skill", text="Korjaan pyöriä", now=now)
        assert skill.updated_at is not None
        assert [x.category for x in s.strengths(session, client_id)] == [
            "skill",
            "quality",
            "interest",
        ]
        s.remove(session, s.strength_of(session, client_id, kind.id or 0))
        assert [x.text for x in s.strengths(session, client_id)] == ["Korjaan pyöriä", "Kalastus"]


def test_experiences_and_the_cv_show_only_strengths_and_experiences(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    client_id, coach_id = ids
    other_client, _ = make_client(runtime)
    now = runtime.clock.now()
    checks = Checks.of(runtime.clock)
    with runtime.db.write() as session:
        s.add_strength(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            category="skill",
            text="Ruoanlaitto",
            now=now,
        )
        work = s.add_experience(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            values=s.ExperienceInput("work", "Varastoapulainen", "Kauppa Oy", "2019–2020"),
            checks=checks,
        )
        s.add_experience(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            values=s.ExperienceInput("volunteering", "Ruoka-apu", description="Jakelu"),
            checks=checks,
        )
        with pytest.raises(InputRequired) as no_title:
            s.add_experience(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values=s.ExperienceInput("studies", " "),
                checks=checks,
            )
        assert no_title.value.field == "title"
        with pytest.raises(InputRequired) as bad_kind:
            s.add_experience(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values=s.ExperienceInput("prison", "x"),
                checks=checks,
            )
        assert bad_kind.value.field == "kind"
        with pytest.raises(NotFound):
            s.experience_of(session, other_client, work.id or 0)
        s.edit_experience(
            session,
            work,
            s.ExperienceInput("work", "Varastotyöntekijä", "Kauppa Oy"),
            checks=checks,
        )
        cv = s.cv(session, client_id, "Aino", "Esimerkki")
    assert cv.strengths == {"skill": ["Ruoanlaitto"]}
    assert list(cv.experiences) == ["work", "volunteering"]
    assert cv.experiences["work"][0].title == "Varastotyöntekijä"
    assert cv.experiences["work"][0].period == ""


def test_the_cv_contact_details_are_the_clients_choice(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    client_id, coach_id = ids
    now = runtime.clock.now()
    with runtime.db.write() as session:
        assert s.cv(session, client_id, "A", "B").contact is None  # none unless chosen
        s.set_cv_contact(
            session,
            client_id=client_id,
            updated_by=coach_id,
            phone=" 040 123 4567 ",
            email="",
            location="Kittilä",
            now=now,
        )
        contact = s.cv(session, client_id, "A", "B").contact
        assert contact is not None
        assert (contact.phone, contact.location) == (
            "040 123 4567",
            "Kittilä",
        )
        with pytest.raises(InputRequired) as bad:
            s.set_cv_contact(
                session,
                client_id=client_id,
                updated_by=coach_id,
                phone="",
                email="ei osoite",
                location="",
                now=now,
            )
        assert bad.value.field == "email"
        # all empty: the CV shows no contact details
        s.set_cv_contact(
            session,
            client_id=client_id,
            updated_by=coach_id,
            phone="",
            email="",
            location="",
            now=now,
        )
        assert s.cv_contact(session, client_id) is None
