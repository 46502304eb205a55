"""Qualifications and cards (engine/qualifications.py): the rules of the input, the client's list,
the CV, and the funder report's "gained a qualification"."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine import qualifications as q
from engine import strengths as s
from engine.errors import InputRequired, NotFound
from engine.inputs import Checks
from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user


@pytest.fixture
def ids(runtime: Runtime) -> tuple[int, int]:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _ = make_client(runtime, care_team=(coach.id,))
    return client_id, coach.id


def add(runtime: Runtime, client_id: int, coach_id: int, values: q.QualificationInput) -> int:
    with runtime.db.write() as session:
        row = q.add(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            values=values,
            checks=Checks.of(runtime.clock),
        )
        assert row.id is not None
        return row.id


def refused(runtime: Runtime, ids: tuple[int, int], values: q.QualificationInput) -> str:
    with pytest.raises(InputRequired) as caught:
        add(runtime, *ids, values)
    return caught.value.field


def test_a_card_is_recorded_with_name_date_issuer_and_validity(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    client_id, coach_id = ids
    today = runtime.clock.today()
    add(
        runtime,
        client_id,
        coach_id,
        q.QualificationInput(
            "work_safety_card",
            "  Työturvallisuuskortti ",
            (today - timedelta(days=30)).isoformat(),
            "Työturvallisuuskeskus TTK",
            (today + timedelta(days=5 * 365)).isoformat(),
        ),
    )
    add(
        runtime,
        client_id,
        coach_id,
        q.QualificationInput("hygiene_card", "Hygieniapassi", today.isoformat(), "Ruokavirasto"),
    )
    with runtime.db.read() as session:
        rows = q.qualifications(session, client_id)
    assert [(r.kind, r.name, r.issuer) for r in rows] == [
        ("hygiene_card", "Hygieniapassi", "Ruokavirasto"),
        ("work_safety_card", "Työturvallisuuskortti", "Työturvallisuuskeskus TTK"),
    ]
    assert rows[0].valid_until is None
    assert rows[1].valid_until == today + timedelta(days=5 * 365)


def test_bad_input_is_refused_naming_the_field(runtime: Runtime, ids: tuple[int, int]) -> None:
    today = runtime.clock.today().isoformat()
    tomorrow = (runtime.clock.today() + timedelta(days=1)).isoformat()
    new = q.QualificationInput
    assert refused(runtime, ids, new("driving_licence", "B", today, "Traficom")) == "kind"
    assert refused(runtime, ids, new("other", "  ", today, "x")) == "name"
    assert refused(runtime, ids, new("other", "x" * 201, today, "x")) == "name"
    assert refused(runtime, ids, new("other", "x", "", "x")) == "gained_on"
    assert refused(runtime, ids, new("other", "x", "6.12.2026", "x")) == "gained_on"
    assert refused(runtime, ids, new("other", "x", tomorrow, "x")) == "gained_on"
    assert refused(runtime, ids, new("other", "x", "0202-01-01", "x")) == "gained_on"
    assert refused(runtime, ids, new("other", "x", today, "")) == "issuer"
    earlier = (runtime.clock.today() - timedelta(days=1)).isoformat()
    assert refused(runtime, ids, new("other", "x", today, "x", earlier)) == "valid_until"
    with runtime.db.read() as session:
        assert q.qualifications(session, ids[0]) == []


def test_edit_and_remove_only_the_clients_own(runtime: Runtime, ids: tuple[int, int]) -> None:
    client_id, coach_id = ids
    other_client, _ = make_client(runtime)
    today = runtime.clock.today().isoformat()
    qid = add(runtime, client_id, coach_id, q.QualificationInput("other", "EA1", today, "SPR"))
    with runtime.db.write() as session:
        with pytest.raises(NotFound):
            q.qualification_of(session, other_client, qid)
        row = q.qualification_of(session, client_id, qid)
        q.edit(
            session,
            row,
            q.QualificationInput("other", "Ensiapukortti EA1", today, "Suomen Punainen Risti"),
            checks=Checks.of(runtime.clock),
        )
    with runtime.db.read() as session:
        (row,) = q.qualifications(session, client_id)
        assert (row.name, row.issuer, row.updated_at is not None) == (
            "Ensiapukortti EA1",
            "Suomen Punainen Risti",
            True,
        )
    with runtime.db.write() as session:
        q.remove(session, q.qualification_of(session, client_id, qid))
    with runtime.db.read() as session:
        assert q.qualifications(session, client_id) == []


def test_the_cv_lists_the_qualifications(runtime: Runtime, ids: tuple[int, int]) -> None:
    client_id, coach_id = ids
    today = runtime.clock.today().isoformat()
    add(
        runtime,
        client_id,
        coach_id,
        q.QualificationInput(
            "partial_qualification",
            "Asiakaspalvelu (tutkinnon osa)",
            today,
            "Lapin ammattiopisto",
        ),
    )
    with runtime.db.read() as session:
        cv = s.cv(session, client_id, "Aino", "Esimerkki")
    assert [(x.name, x.issuer) for x in cv.qualifications] == [
        ("Asiakaspalvelu (tutkinnon osa)", "Lapin ammattiopisto")
    ]


def test_gained_in_period_counts_each_client_once_within_the_dates(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    client_id, coach_id = ids
    second, _ = make_client(runtime, care_team=(coach_id,))
    third, _ = make_client(runtime, care_team=(coach_id,))
    outsider, _ = make_client(runtime)
    new = q.QualificationInput
    add(runtime, client_id, coach_id, new("hygiene_card", "Hygieniapassi", "2026-03-01", "R"))
    add(runtime, client_id, coach_id, new("work_safety_card", "TTK", "2026-06-30", "TTK"))
    add(runtime, second, coach_id, new("other", "EA1", "2025-12-31", "SPR"))  # before the period
    add(runtime, third, coach_id, new("other", "Trukkikortti", "2026-01-01", "X"))  # first day
    add(runtime, outsider, coach_id, new("other", "EA1", "2026-05-01", "SPR"))  # not asked about
    with runtime.db.read() as session:
        found = q.gained_in_period(
            session, [client_id, second, third], date(2026, 1, 1), date(2026, 6, 30)
        )
        assert q.gained_in_period(session, [], date(2026, 1, 1), date(2026, 6, 30)) == {}
    assert set(found) == {client_id, third}
    assert [r.name for r in found[client_id]] == ["Hygieniapassi", "TTK"]
    assert len(found) == 2  # the funder's count: participants, not cards
