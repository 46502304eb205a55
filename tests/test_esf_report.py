"""Every figure of the funder report against the hand-worked fixture of tests/esf_kit.py (on
SQLite and PostgreSQL). The expected numbers are worked out here from the kit's description,
not from the code."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.esf_report import (
    Figure,
    ParticipantRow,
    Report,
    ReportQuery,
    build_report,
    indicator_table,
)
from engine.inputs import Checks
from engine.models import Client, Event, EventAttendance, EventParticipant, EventSession
from engine.participants import FormInput, record_form
from engine.projects import project_view
from engine.runtime import Runtime
from engine.testing import make_client
from tests import esf_kit
from tests.esf_kit import Q2, Fixture

W, M, NB, D, GAP = "woman", "man", "non_binary", "declined", "gap"


@pytest.fixture
def fx_runtime(make_runtime: Callable[..., Runtime]) -> tuple[Fixture, Runtime]:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    return esf_kit.build(runtime), runtime


def report(
    runtime: Runtime, fx: Fixture, since: date = Q2[0], until: date = Q2[1], **filters: object
) -> Report:
    with runtime.db.read() as session:
        return build_report(
            session,
            project_view(session, fx.project.id),
            ReportQuery(project_id=fx.project.id, since=since, until=until, **filters),  # type: ignore[arg-type]
            forms=runtime.forms,
            pathway=runtime.pathways.latest("client_journey"),
            rho=0.3,
            small_cell=5,
            now=runtime.clock.now(),
        )


def genders(figure: Figure) -> dict[str, int]:
    return {k: v for k, v in figure.by_gender.items() if v}


def figure(figures: list[Figure], key: str) -> Figure:
    return next(f for f in figures if f.key == key)


def test_output_indicators_by_gender_with_gaps_and_declined(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # entered in Q2: p1 (woman), p2 (man after the correction), p3 (non-binary), p4 (declined);
    # p3 entered twice and counts once; p5, p6 entered in Q1 and p7 in July
    assert r.entered == 4
    out = {f.key: f for f in r.outputs}
    assert genders(out["total"]) == {W: 1, M: 1, NB: 1, D: 1}
    assert out["total"].gaps == 0
    expected = {
        # key: (by gender, declined, gaps); p4 has no labour-market status, no education, no
        # birth date, so it is a gap in each of those
        "unemployed": ({W: 1, M: 1}, 0, 1),
        # p2: 23 at entry, unemployed 7 months > 6 (young rule); p1: 25, 7 months < 12
        "long_term_unemployed": ({M: 1}, 0, 1),
        "inactive": ({NB: 1}, 0, 1),
        # p3's second entry says employed: not used, the first entry counts
        "employed": ({}, 0, 1),
        "below_18": ({}, 0, 1),
        "age_18_29": ({W: 1, M: 1}, 0, 1),
        "age_55_plus": ({NB: 1}, 0, 1),
        "isced_0_2": ({W: 1}, 0, 1),
        "isced_3_4": ({M: 1}, 0, 1),
        "isced_5_8": ({NB: 1}, 0, 1),
        "disability": ({W: 1}, 1, 2),
        "third_country_national": ({}, 0, 3),
        "foreign_background": ({NB: 1}, 0, 3),
        "minority": ({}, 0, 4),
        "homeless": ({M: 1}, 0, 3),
        "rural": ({W: 1}, 0, 3),
    }
    for key, (by_gender, declined, gaps) in expected.items():
        assert (genders(out[key]), out[key].declined, out[key].gaps) == (
            by_gender,
            declined,
            gaps,
        ), key


def test_results_at_exit_from_the_last_exit_and_at_six_months(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # last exit in Q2: p1 (20 Jun), p3 (25 Jun; its first exit in May is not the last), p5
    assert r.exited == 3
    res = {f.key: f for f in r.results_exit}
    assert genders(res["exit_job_searching"]) == {}  # p3's job searching was the first exit
    assert genders(res["exit_in_education"]) == {W: 1}  # p5
    assert genders(res["exit_qualification"]) == {W: 1}  # p1
    assert genders(res["exit_employed"]) == {W: 1}  # p1
    assert all(f.gaps == 0 for f in r.results_exit)
    # six months: p6's follow-up on 30 Jun, employed, a woman at entry
    assert r.followed_up == 1
    assert genders(figure(r.results_six_months, "follow_up_employed")) == {W: 1}


def test_planned_against_actual_rolls_up_over_implementers(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # entered by 30 Jun: p1, p2, p5, p6 (Laptuote), p3, p4 (SaimaanVirta); p7 entered in July
    assert [(p.label, p.planned, p.actual) for p in r.planned] == [
        ("VALTO (testi)", 20, 6),
        (esf_kit.MAIN, 14, 4),
        (esf_kit.CO, 6, 2),
    ]


def test_filters_by_co_implementer_and_municipality(fx_runtime: tuple[Fixture, Runtime]) -> None:
    fx, runtime = fx_runtime
    by_co = report(runtime, fx, organisation_id=fx.co_id)
    assert genders(figure(by_co.outputs, "total")) == {NB: 1, D: 1}  # p3, p4
    assert [(p.label, p.actual) for p in by_co.planned] == [(esf_kit.CO, 2)]
    assert by_co.exited == 1  # p3
    ruokolahti = report(runtime, fx, municipality=esf_kit.RUOKOLAHTI)
    assert genders(figure(ruokolahti.outputs, "total")) == {NB: 1}  # p3
    parikkala = report(runtime, fx, municipality=esf_kit.PARIKKALA)
    assert genders(figure(parikkala.outputs, "total")) == {W: 1, M: 1}  # p1, p2


def test_activity_figures(fx_runtime: tuple[Fixture, Runtime]) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # how they were found, of those who entered in Q2: p1 street, p2 diaconia, p3 and p4 gaps
    found = dict(r.found_via)
    assert (found["street_outreach"], found["diaconia"], found["gap"]) == (1, 1, 2)
    assert sum(found.values()) == 4
    # contacts in Q2: p1's two home visits (the July phone call is outside)
    assert dict(r.contacts)["home_visit"] == 2
    assert r.contacts_total == 2
    assert r.contacts_participants == 1
    # group: meeting 1 present (after a correction), meeting 2 absent
    assert (r.attendance_present, r.attendance_marked, r.attendance_participants) == (1, 2, 1)
    # GAS: one goal, baseline -1 (T 40); p1 rated 0 (T 50: +10), p2 rated +1 (T 60: +20)
    assert dict(r.gas_change) == {"below_0": 0, "0_to_10": 0, "10_to_20": 1, "20_plus": 1}
    assert r.gas_median_change == 15.0
    # in the report: p1..p6; GAS for p1, p2 only
    assert r.gas_without == 4
    # Kykyviisari: p1 4 -> 7 (+3), p2 once; four of the six have none
    assert (r.kyky_with, r.kyky_without) == (2, 4)
    assert dict(r.kyky_change)["up_3_plus"] == 1
    assert r.kyky_median_change == 3.0


def test_participant_rows_use_first_entry_last_exit_and_age_at_entry(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    rows = {row.client_id: row for row in r.participants}
    p3 = rows[fx.clients["p3"]]
    assert (p3.entry_on, p3.entry["gender"], p3.exit_on, p3.exit) == (
        date(2026, 5, 2),
        "non_binary",
        date(2026, 6, 25),
        {"situation": ["none"]},
    )
    assert p3.age_at_entry == 61
    assert rows[fx.clients["p2"]].long_term_unemployed is True
    assert rows[fx.clients["p1"]].long_term_unemployed is False
    assert rows[fx.clients["p4"]].age_at_entry is None
    # participant numbers in the order of first entry forms recorded: p1 first
    assert rows[fx.clients["p1"]].number == 1
    assert fx.clients["p7"] not in rows  # entered after the quarter


def test_the_funnel_counts_the_project_clients_from_the_event_log(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    with runtime.db.write() as session:
        runtime.journeys.advance(session, fx.journeys["p1"], "engage", actor_id=fx.coach_main)
    # every client journey of the kit started today (15 Jul); p1 engaged
    july = report(runtime, fx, since=date(2026, 7, 1), until=date(2026, 7, 31))
    assert dict(july.funnel) == {
        "contacted": 7,
        "engaged": 1,
        "goals": 0,
        "active": 0,
        "referred": 0,
        "on_pathway": 0,
    }
    co = report(
        runtime, fx, since=date(2026, 7, 1), until=date(2026, 7, 31), organisation_id=fx.co_id
    )
    assert dict(co.funnel)["contacted"] == 2
    assert dict(report(runtime, fx).funnel)["contacted"] == 0  # none started in Q2


def test_the_indicator_codes_are_shown_only_when_checked(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    shown = {f.key: f.code for f in [*r.outputs, *r.results_exit, *r.results_six_months]}
    # checked against the Commission's SFC Support Portal (the data file names the page)
    assert {k: c for k, c in shown.items() if c} == {
        "third_country_national": "EECO13",
        "foreign_background": "EECO14",
        "minority": "EECO15",
    }
    # the others are in the file but unchecked: labelled by the Annex's wording only
    assert indicator_table(fx.project.form_key)["long_term_unemployed"].code == "EECO03"
    assert figure(r.outputs, "long_term_unemployed").label["en"] == "Long-term unemployed"


def test_a_checked_code_names_its_source(tmp_path: Path) -> None:
    (tmp_path / "f.indicators.yaml").write_text(
        "indicators:\n  total: {group: output, annex: {en: Total}, code: EECO01, checked: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="checked_by"):
        indicator_table("f", tmp_path)


def test_qualifications_gained_in_the_period(fx_runtime: tuple[Fixture, Runtime]) -> None:
    """engine.qualifications.gained_in_period: p1 gained two cards in Q2 (counted once), p3 one
    before Q2 (not counted), a client outside the project one in Q2 (never counted)."""
    from engine.qualifications import QualificationInput, add
    from engine.testing import make_client

    fx, runtime = fx_runtime
    outsider, _ = make_client(runtime)
    gained = (
        ("p1", "hygiene_card", "2026-04-10"),
        ("p1", "work_safety_card", "2026-06-30"),
        ("p3", "other", "2026-03-31"),
    )
    with runtime.db.write() as session:
        for who, kind, on in gained:
            add(
                session,
                client_id=fx.clients[who],
                recorded_by=fx.coach_main,
                values=QualificationInput(kind, "Kortti", on, "Myöntäjä"),
                checks=Checks.of(runtime.clock),
            )
        add(
            session,
            client_id=outsider,
            recorded_by=fx.coach_main,
            values=QualificationInput("other", "Kortti", "2026-05-01", "Myöntäjä"),
            checks=Checks.of(runtime.clock),
        )
    r = report(runtime, fx)
    assert (r.qualified_participants, r.qualifications_gained) == (1, 2)
    assert report(runtime, fx, since=date(2026, 1, 1)).qualified_participants == 2


# --- the counts in SQL against counting the participant rows one by one --------------------------


def _by_hand(rows: list[ParticipantRow]) -> dict[str, tuple]:
    """Each indicator counted over the participant rows in Python, the rules of
    docs/reporting.md written out once more: (by gender, declined, gaps)."""

    def status(row: ParticipantRow, *wanted: str) -> object:
        value = row.entry.get("labour_market_status")
        return None if value is None else value in wanted

    def answer(item: str, *wanted: str) -> Callable[[ParticipantRow], object]:
        def test(row: ParticipantRow) -> object:
            value = row.entry.get(item)
            return None if value is None else D if value == D else value in wanted

        return test

    def age(low: int, high: int) -> Callable[[ParticipantRow], object]:
        return lambda r: None if r.age_at_entry is None else low <= r.age_at_entry <= high

    def situation(which: str, option: str) -> Callable[[ParticipantRow], object]:
        def test(row: ParticipantRow) -> object:
            answers = row.exit if which == "exit" else row.follow_up
            return (
                None
                if not answers or "situation" not in answers
                else option in answers["situation"]
            )

        return test

    tests: dict[str, Callable[[ParticipantRow], object]] = {
        "total": lambda r: True,
        "unemployed": lambda r: status(r, "unemployed"),
        "long_term_unemployed": lambda r: (
            None if r.entry.get("labour_market_status") is None else r.long_term_unemployed
        ),
        "inactive": lambda r: status(r, "inactive", "in_education"),
        "employed": lambda r: status(r, "employed"),
        "below_18": age(0, 17),
        "age_18_29": age(18, 29),
        "age_55_plus": age(55, 200),
        "isced_0_2": answer("education", "isced_0_2"),
        "isced_3_4": answer("education", "isced_3_4"),
        "isced_5_8": answer("education", "isced_5_8"),
        **{
            k: answer(k, "yes")
            for k in (
                "disability",
                "third_country_national",
                "foreign_background",
                "minority",
                "homeless",
                "rural",
            )
        },
        "exit_job_searching": situation("exit", "job_searching"),
        "exit_in_education": situation("exit", "in_education"),
        "exit_qualification": situation("exit", "qualification"),
        "exit_employed": situation("exit", "employed"),
        "follow_up_employed": situation("follow_up", "employed"),
    }
    counted = {}
    for key, test in tests.items():
        by_gender: dict[str, int] = {}
        declined = gaps = 0
        for row in rows:
            verdict = test(row)
            if verdict is None:
                gaps += 1
            elif verdict == D:
                declined += 1
            elif verdict:
                g = row.entry.get("gender")
                g = g if g in (W, M, NB, D) else GAP
                by_gender[g] = by_gender.get(g, 0) + 1
        counted[key] = (by_gender, declined, gaps)
    return counted


@pytest.mark.parametrize("seed", [1, 2])
def test_the_counts_agree_with_counting_the_rows_one_by_one(
    make_runtime: Callable[..., Runtime], seed: int
) -> None:
    """Sixty participants with answers drawn at random (dates around month ends, birthdays
    around the entry, ages around 18, 25 and 55, gaps, declined, corrections, several entries,
    exits and follow-ups): every figure the database counts equals counting the participant
    rows one by one (their age and long-term unemployment worked out in Python)."""
    rng = random.Random(seed)
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    fx = esf_kit.build(runtime)
    form_file = runtime.forms[fx.project.form_key]
    entry_form = form_file.form("entry")
    start = date(2026, 1, 3)

    def day(low: date, high: date) -> date:
        return date.fromordinal(rng.randint(low.toordinal(), high.toordinal()))

    for n in range(60):
        first = day(start, date(2026, 7, 10))
        years = rng.choice([17, 18, 24, 25, 29, 30, 54, 55, 40])
        # birthdays on the entry day, the day before or after (29 Feb is not drawn: the year
        # runs from 3 Jan to 10 Jul 2026 and 28 Feb 2026 is a fine anniversary)
        anniversary = date(first.year - years, first.month, min(first.day, 28))
        born = (
            None
            if rng.random() < 0.1
            else anniversary + timedelta(days=rng.choice([-1, 0, 0, 1, rng.randint(-200, 200)]))
        )
        org = rng.choice([fx.main_id, fx.co_id])
        municipality = esf_kit.PARIKKALA if org == fx.main_id else esf_kit.RUOKOLAHTI
        client_id, _journey = make_client(
            runtime, organisation_id=org, municipality_code=municipality, birth_date=born,
            first_name="Satunnainen", last_name=f"R{n}",
        )  # fmt: skip
        with runtime.db.write() as session:
            client = session.get(Client, client_id)
            assert client is not None
            client.created_at = datetime(2026, 1, 2, 9, tzinfo=UTC)

            def record(
                kind: str,
                on: date,
                answers: dict,
                corrects: int | None = None,
                who: int = client_id,
            ) -> int:
                row = record_form(
                    session, runtime.forms, client_id=who, actor_id=None,
                    data=FormInput(project_id=fx.project.id, kind=kind,  # type: ignore[arg-type]
                                   occurred_on=on, answers=answers, corrects_id=corrects),
                    today=runtime.clock.today(), now=runtime.clock.now(),
                )  # fmt: skip
                assert row.id is not None
                return row.id

            def entry_answers(on: date) -> dict:
                answers: dict = {}
                for item in entry_form.items:
                    if not item.stored or item.only_if or rng.random() < 0.2:
                        continue
                    answers[item.key] = rng.choice(list(item.choices()))
                if rng.random() < 0.5 and "labour_market_status" in answers:
                    answers["labour_market_status"] = "unemployed"
                if answers.get("labour_market_status") == "unemployed" and rng.random() < 0.9:
                    months = rng.choice([5, 6, 6, 7, 11, 12, 12, 13])
                    back = date(on.year - (on.month <= months), (on.month - months - 1) % 12 + 1, 1)
                    since = back + timedelta(days=on.day - 1 + rng.choice([-1, 0, 0, 1, 5]))
                    answers["unemployed_since"] = min(since, on).isoformat()
                return answers

            def situation(kind: str) -> dict:
                if rng.random() < 0.15:
                    return {}
                options = [
                    o for o in form_file.form(kind).item("situation").choices() if o != "none"
                ]
                chosen = rng.sample(options, rng.randint(0, len(options)))
                return {"situation": chosen or ["none"]}

            entry_id = record("entry", first, entry_answers(first))
            if rng.random() < 0.2:
                record("entry", first, entry_answers(first), corrects=entry_id)
            if rng.random() < 0.2:
                later = day(first, date(2026, 7, 14))
                record("entry", later, entry_answers(later))
            exit_on = first
            for _ in range(rng.choice([0, 1, 1, 2])):
                exit_on = day(exit_on, date(2026, 7, 14))
                record("exit", exit_on, situation("exit"))
                if rng.random() < 0.5:
                    record("follow_up", day(exit_on, date(2026, 7, 15)), situation("follow_up"))
    for since, until in (
        Q2,
        (date(2026, 1, 1), date(2026, 7, 15)),
        (date(2026, 5, 1), date(2026, 5, 31)),
    ):
        for filters in ({}, {"organisation_id": fx.co_id}, {"municipality": esf_kit.PARIKKALA}):
            r = report(runtime, fx, since, until, **filters)
            rows = r.participants
            entered = [p for p in rows if p.entry_on and since <= p.entry_on <= until]
            exited = [p for p in rows if p.exit_on and since <= p.exit_on <= until]
            followed = [p for p in rows if p.follow_up_on and since <= p.follow_up_on <= until]
            assert (r.entered, r.exited, r.followed_up) == (
                len(entered),
                len(exited),
                len(followed),
            )
            assert r.participant_count == len(rows)
            expected = {
                **{
                    k: v
                    for k, v in _by_hand(entered).items()
                    if not k.startswith(("exit", "follow"))
                },
                **{k: v for k, v in _by_hand(exited).items() if k.startswith("exit")},
                "follow_up_employed": _by_hand(followed)["follow_up_employed"],
            }
            got = {
                f.key: (genders(f), f.declined, f.gaps)
                for f in [*r.outputs, *r.results_exit, *r.results_six_months]
            }
            assert got == expected, (since, until, filters)


CANCELLED_ON = datetime(2026, 5, 1, tzinfo=UTC)


def test_events_count_as_activities_per_participant(fx_runtime: tuple[Fixture, Runtime]) -> None:
    """Worked by hand. Event A, an expert session: 5 May (held), 12 May (cancelled), 7 Jul
    (Q3, held by TODAY 15 Jul), 20 Jul (Q3, still to come). Event B, a study visit: 10 Jun.

    - p1: A 5 May present; A 12 May present (cancelled: not held, never counts); B 10 Jun
      present; A 7 Jul present; A 20 Jul present (a mark on a session to come: never counts).
    - p2: A 5 May absent (ill), corrected to present (the latest mark counts); B 10 Jun absent
      (other appointment, notified).
    - p3: A 5 May absent, no notice.

    Q2: p1 2 (5 May, 10 Jun), p2 1 (5 May): 3 sessions attended by 2 participants, 1.5 each.
    Q3: p1 1 (7 Jul): 1 by 1. p7 (not a participant of any event) changes nothing.
    """
    fx, runtime = fx_runtime
    p1, p2, p3 = (fx.clients[p] for p in ("p1", "p2", "p3"))
    with runtime.db.write() as session:
        made: dict[tuple[Any, ...], int | None] = {}
        for key, kind, days in (
            ("A", "expert_session", ((5, 5), (5, 12), (7, 7), (7, 20))),
            ("B", "study_visit", ((6, 10),)),
        ):
            event = Event(
                kind=kind,
                title=key,
                organisation_id=fx.main_id,
                municipality_code=esf_kit.PARIKKALA,
                expert_name="Asiantuntija",
                expert_organisation="Oy",
                place="Paikka",
                created_by=fx.coach_main,
            )
            session.add(event)
            session.flush()
            assert event.id is not None
            for number, (month, day) in enumerate(days, 1):
                meeting = EventSession(
                    event_id=event.id,
                    number=number,
                    starts_at=datetime(2026, month, day, 10, tzinfo=UTC),
                    cancelled_at=datetime(2026, 5, 1, tzinfo=UTC)
                    if (month, day) == (5, 12)
                    else None,
                )
                session.add(meeting)
                session.flush()
                made[(key, month, day)] = meeting.id
            for client_id in (p1, p2, p3):
                participant = EventParticipant(event_id=event.id, client_id=client_id)
                session.add(participant)
                session.flush()
                made[(key, client_id)] = participant.id
        marks = [
            (p1, "A", (5, 5), True, None),
            (p1, "A", (5, 12), True, None),
            (p1, "B", (6, 10), True, None),
            (p1, "A", (7, 7), True, None),
            (p1, "A", (7, 20), True, None),
            (p2, "A", (5, 5), False, "ill"),
            (p2, "A", (5, 5), True, None),
            (p2, "B", (6, 10), False, "other_appointment"),
            (p3, "A", (5, 5), False, "no_notice"),
        ]
        for client_id, key, (month, day), present, reason in marks:
            session.add(
                EventAttendance(
                    session_id=made[(key, month, day)] or 0,
                    participant_id=made[(key, client_id)] or 0,
                    present=present,
                    absence_reason=reason,
                    notified=None if present else reason == "other_appointment",
                )
            )
    q2 = report(runtime, fx)
    assert (q2.event_sessions_attended, q2.event_participants) == (3, 2)
    assert q2.event_sessions_per_participant == 1.5
    q3 = report(runtime, fx, since=date(2026, 7, 1), until=date(2026, 9, 30))
    assert (q3.event_sessions_attended, q3.event_participants) == (1, 1)
    # nobody attended an event in Q1
    q1 = report(runtime, fx, since=date(2026, 1, 1), until=date(2026, 3, 31))
    assert (q1.event_sessions_attended, q1.event_sessions_per_participant) == (0, None)
