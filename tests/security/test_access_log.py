"""The access log and the disclosure log (Client Data Act 703/2023 §11): one row per view, in the
view's transaction; append-only in the database; the client log report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DatabaseError
from sqlmodel import col

from engine.access import Basis, Principal, What
from engine.audit import client_log, record_access, record_disclosure, years_before
from engine.clock import FrozenClock
from engine.errors import InputRequired
from engine.models import AccessLog, Disclosure, OrganisationKind, Role
from engine.runtime import Runtime
from engine.testing import make_organisation, make_user
from web.app import create_app
from web.testing import UserClient

NEW_CLIENT = {"first_name": "Salainen", "last_name": "Asiakas", "municipality_code": "261"}


def access_rows(runtime: Runtime) -> list[tuple[int, int | None, int, str, str]]:
    with runtime.db.read() as session:
        rows = session.execute(
            select(
                col(AccessLog.user_id),
                col(AccessLog.organisation_id),
                col(AccessLog.client_id),
                col(AccessLog.what),
                col(AccessLog.basis),
            ).order_by(col(AccessLog.id))
        ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def test_each_client_view_writes_exactly_one_row(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    colleague = make_user(runtime, Role.coach)
    me, org = coach.user_id, coach.organisation_id
    created = coach.post("/api/clients", json=NEW_CLIENT | {"participation_consent": True})
    client_id, journey_id = created.json()["client"]["id"], created.json()["journey"]["id"]
    assert access_rows(runtime) == [(me, org, client_id, "client", "care_team")]
    calls = [
        ("GET", f"/api/journeys/{journey_id}", None, "journey"),
        ("GET", f"/api/journeys/{journey_id}/triggers", None, "triggers"),
        ("POST", f"/api/journeys/{journey_id}/advance", {"trigger": "engage"}, "advance"),
        ("GET", f"/api/clients/{client_id}/care-team", None, "care_team"),
        ("POST", f"/api/clients/{client_id}/care-team", {"user_id": colleague.id}, "care_team"),
    ]
    for method, url, body, what in calls:
        before = access_rows(runtime)
        response = coach.request(method, url, json=body)
        assert response.status_code in (200, 201), response.text
        assert access_rows(runtime) == [*before, (me, org, client_id, what, "care_team")]


def test_a_refused_move_still_logs_the_view_once(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    """A 409/422 answer names the client's state and the rules' reasons: that is a view of the
    client's data too. The failed work rolls back; the view's row is written on its own."""
    coach = api_as("coach")
    created = coach.post("/api/clients", json=NEW_CLIENT)
    journey_id, client_id = created.json()["journey"]["id"], created.json()["client"]["id"]
    me, org = coach.user_id, coach.organisation_id
    before = access_rows(runtime)
    response = coach.post(f"/api/journeys/{journey_id}/advance", json={"trigger": "refer"})
    assert response.status_code == 409
    assert access_rows(runtime) == [*before, (me, org, client_id, "advance", "care_team")]
    response = coach.post(f"/api/journeys/{journey_id}/advance", json={"trigger": "pause"})
    assert response.status_code == 409  # not possible from outreach
    assert len(access_rows(runtime)) == len(before) + 2


def test_refused_views_write_nothing(runtime: Runtime, api_as: Callable[..., UserClient]) -> None:
    owner, stranger = api_as("coach"), api_as("coach")
    journey_id = owner.post("/api/clients", json=NEW_CLIENT).json()["journey"]["id"]
    before = access_rows(runtime)
    assert stranger.get(f"/api/journeys/{journey_id}").status_code == 403
    assert access_rows(runtime) == before


def test_log_rows_carry_ids_and_codes_only(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    coach.post("/api/clients", json=NEW_CLIENT)
    for row in access_rows(runtime):
        text = " ".join(str(v) for v in row)
        assert "Salainen" not in text
        assert "Asiakas" not in text


def test_codes_refuse_free_text(runtime: Runtime) -> None:
    partner = make_organisation(runtime, OrganisationKind.partner)
    coach = make_user(runtime, Role.coach)
    from engine.testing import make_client

    client_id, _ = make_client(runtime)
    with pytest.raises(InputRequired), runtime.db.write() as session:
        record_disclosure(
            session,
            client_id=client_id,
            recipient_organisation_id=partner,
            what="referral packet with notes about Salainen",
            basis="consent",
            disclosed_by=coach.id,
            at=datetime.now(UTC),
        )
    with pytest.raises(InputRequired), runtime.db.write() as session:
        record_access(
            session,
            principal=Principal(coach.id or 0, Role.coach, coach.organisation_id),
            client_id=client_id,
            what="journey\r\nforged",  # type: ignore[arg-type]
            basis=Basis.care_team,
            at=datetime.now(UTC),
        )


@pytest.mark.parametrize("model", [AccessLog, Disclosure])
def test_log_rows_are_immutable(
    runtime: Runtime, api_as: Callable[..., UserClient], model: type
) -> None:
    coach = api_as("coach")
    client_id = coach.post("/api/clients", json=NEW_CLIENT).json()["client"]["id"]
    partner = make_organisation(runtime, OrganisationKind.partner)
    with runtime.db.write() as session:
        record_disclosure(
            session,
            client_id=client_id,
            recipient_organisation_id=partner,
            what="referral_packet",
            basis="consent",
            disclosed_by=coach.user_id,
            at=datetime.now(UTC),
        )
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(update(model).values(what="rewritten"))
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(delete(model))
    with runtime.db.read() as session:
        assert session.execute(select(model.what)).scalars().all() != []  # type: ignore[attr-defined]
        assert "rewritten" not in session.execute(select(model.what)).scalars().all()  # type: ignore[attr-defined]


def test_years_before_handles_leap_days() -> None:
    assert years_before(datetime(2028, 2, 29, 12, tzinfo=UTC), 2) == datetime(
        2026, 2, 28, 12, tzinfo=UTC
    )
    assert years_before(datetime(2027, 6, 1, tzinfo=UTC), 2) == datetime(2025, 6, 1, tzinfo=UTC)


def test_client_log_report_covers_two_years_of_views_and_disclosures(
    make_runtime: Callable[..., Runtime],
) -> None:
    """Who viewed and who received a client's data, last two years by default, as a
    coordinator hands it to the client."""
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    clock = FrozenClock(now)
    runtime = make_runtime(clock=clock)
    app = create_app(runtime=runtime)
    from fastapi.testclient import TestClient

    from web.testing import sign_in

    coach = make_user(runtime, Role.coach)
    coordinator = make_user(runtime, Role.coordinator)
    partner = make_organisation(runtime, OrganisationKind.partner, "Työpaja")
    coach_http, coordinator_http = TestClient(app), TestClient(app)
    sign_in(coach_http, runtime, coach.id or 0)

    clock.set(now - timedelta(days=800))  # outside the default period
    created = coach_http.post("/api/clients", json=NEW_CLIENT)
    client_id, journey_id = created.json()["client"]["id"], created.json()["journey"]["id"]
    clock.set(now - timedelta(days=700))  # inside it
    sign_in(coach_http, runtime, coach.id or 0)
    assert coach_http.get(f"/api/journeys/{journey_id}").status_code == 200
    with runtime.db.write() as session:
        record_disclosure(
            session,
            client_id=client_id,
            recipient_organisation_id=partner,
            what="referral_packet",
            basis="consent",
            disclosed_by=coach.id,
            at=now - timedelta(days=10),
        )
    clock.set(now)
    sign_in(coordinator_http, runtime, coordinator.id or 0)
    report = coordinator_http.get(f"/api/clients/{client_id}/log")
    assert report.status_code == 200
    body = report.json()
    assert [(e["user_id"], e["what"], e["basis"]) for e in body["accessed"]] == [
        (coach.id, "journey", "care_team"),
        (coordinator.id, "client_log", "client_log_request"),  # the report itself is a view
    ]
    assert body["accessed"][0]["user_name"] == "Testi Coach"
    assert [(d["organisation_name"], d["what"], d["basis"]) for d in body["disclosed"]] == [
        ("Työpaja", "referral_packet", "consent")
    ]
    everything = coordinator_http.get(
        f"/api/clients/{client_id}/log", params={"since": "2020-01-01T00:00:00Z"}
    ).json()
    assert [e["what"] for e in everything["accessed"]] == [
        "client",
        "journey",
        "client_log",
        "client_log",
    ]


def test_client_log_function_orders_and_filters(runtime: Runtime) -> None:
    from engine.testing import make_client

    coach = make_user(runtime, Role.coach)
    client_id, _ = make_client(runtime, care_team=(coach.id or 0,))
    other_id, _ = make_client(runtime)
    principal = Principal(coach.id or 0, Role.coach, coach.organisation_id)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    with runtime.db.write() as session:
        for days, cid, what in [
            (2, client_id, What.triggers),
            (1, client_id, What.journey),
            (1, other_id, What.journey),
        ]:
            record_access(
                session,
                principal=principal,
                client_id=cid,
                what=what,
                basis=Basis.care_team,
                at=t0 + timedelta(days=days),
            )
    with runtime.db.read() as session:
        log = client_log(session, client_id, now=t0 + timedelta(days=3))
    assert [e.what for e in log.accessed] == ["journey", "triggers"]
    assert log.since == datetime(2024, 1, 4, tzinfo=UTC)


def test_rows_written_at_commit_follow_the_savepoints(runtime: Runtime) -> None:
    """A request's rows are written when its transaction commits (write_access_log_at_commit):
    a view recorded inside a savepoint that rolls back is dropped with it, one recorded in a
    released savepoint stays, and a second session of the same process that does not defer
    writes its row at once (the listeners act only on the sessions that asked)."""
    from engine.audit import write_access_log_at_commit
    from engine.testing import make_client

    coach = make_user(runtime, Role.coach)
    client_id, _ = make_client(runtime, care_team=(coach.id or 0,))
    principal = Principal(coach.id or 0, Role.coach, coach.organisation_id)
    at = datetime(2026, 1, 1, tzinfo=UTC)

    def written(session: Any) -> int:
        return int(session.execute(select(func.count()).select_from(AccessLog)).scalar_one())

    def view(session: object, what: What) -> None:
        record_access(
            session,  # type: ignore[arg-type]
            principal=principal,
            client_id=client_id,
            what=what,
            basis=Basis.care_team,
            at=at,
        )

    with runtime.db.write() as session:
        write_access_log_at_commit(session)
        view(session, What.client_page)
        with session.begin_nested():
            view(session, What.journey)  # released: stays
        savepoint = session.begin_nested()
        view(session, What.triggers)  # rolled back: dropped
        savepoint.rollback()
        assert written(session) == 0  # nothing written before the COMMIT
    assert [r[3] for r in access_rows(runtime)] == ["client_page", "journey"]
    with runtime.db.write() as session:
        view(session, What.advance)
        assert written(session) == 3  # written at once
    assert [r[3] for r in access_rows(runtime)] == ["client_page", "journey", "advance"]
