"""Event pages through the app: a coach creates an event from the menu, adds their own clients,
records attendance with reasons (plain forms, as on a phone); the client page's timeline shows
it; coordinators see their organisation's events; access-log rows of participant data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.access import Principal
from engine.models import AccessLog, Event, EventAttendance, EventSession, Role
from engine.runtime import Runtime
from engine.testing import make_client
from tests.event_kit import make_event
from web.testing import UserClient


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def principal(http: UserClient) -> Principal:
    return Principal(http.user_id, http.role, http.organisation_id)


def own_client(runtime: Runtime, http: UserClient, last_name: str) -> int:
    client_id, _j = make_client(
        runtime,
        organisation_id=http.organisation_id,
        care_team=(http.user_id,),
        first_name="Testi",
        last_name=last_name,
    )
    return client_id


def access_rows(runtime: Runtime, what: str) -> list[tuple[int, int]]:
    with runtime.db.read() as session:
        return [
            (int(u), int(c))
            for u, c in session.execute(
                select(col(AccessLog.user_id), col(AccessLog.client_id)).where(
                    col(AccessLog.what) == what
                )
            ).all()
        ]


def test_a_coach_creates_an_event_from_the_menu(runtime: Runtime, coach: UserClient) -> None:
    home = coach.get("/clients")
    assert 'href="/events"' in home.text
    form = coach.get("/events/new")
    assert form.status_code == 200
    assert "Psykologi" not in form.text
    day = (runtime.clock.today() + timedelta(days=30)).isoformat()
    refused = coach.post(
        "/events/new",
        data={"kind": "expert_session", "title": "", "leader": "expert", "first_date": day},
    )
    assert refused.status_code == 422
    assert 'aria-invalid="true"' in refused.text
    made = coach.post(
        "/events/new",
        data={
            "kind": "expert_session",
            "title": "Psykologin työkykyarvio",
            "municipality_code": "261",
            "leader": "expert",
            "leader_id": str(coach.user_id),
            "expert_name": "Pirjo Pohjola",
            "expert_organisation": "Psykologipalvelut Oy",
            "place": "Työllisyyspiste",
            "first_date": day,
            "first_time": "10:00",
            "sessions": "1",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = coach.get(made.headers["location"])
    assert "Pirjo Pohjola (Psykologipalvelut Oy)" in page.text
    with runtime.db.read() as session:
        event = session.execute(select(Event)).scalar_one()
        assert (event.leader_id, event.expert_name) == (None, "Pirjo Pohjola")
    listing = coach.get("/events")
    assert "Psykologin työkykyarvio" in listing.text


def test_participants_and_attendance_with_a_reason(runtime: Runtime, coach: UserClient) -> None:
    mine = own_client(runtime, coach, "Mäkelä")
    event_id = make_event(runtime, principal(coach))
    found = coach.get(f"/events/{event_id}", params={"q": "mäk"})
    assert "Lisää Testi Mäkelä" in found.text
    assert access_rows(runtime, "caseload") == [(coach.user_id, mine)]
    added = coach.post(
        f"/events/{event_id}/participants", data={"client_id": str(mine)}, follow_redirects=False
    )
    assert added.status_code == 303
    with runtime.db.read() as session:
        sid = session.execute(select(col(EventSession.id))).scalar_one()
    page = coach.get(f"/events/{event_id}")
    assert "Testi Mäkelä" in page.text
    assert (coach.user_id, mine) in access_rows(runtime, "event")
    pid = int(page.text.split('name="participant_id" value="')[1].split('"')[0])
    marked = coach.post(
        f"/events/{event_id}/attendance",
        data={"participant_id": pid, "session_id": sid, "attendance": "ill", "notified": "1"},
        follow_redirects=False,
    )
    assert marked.status_code == 303
    contradiction = coach.post(
        f"/events/{event_id}/attendance",
        data={"participant_id": pid, "session_id": sid, "attendance": "no_notice", "notified": "1"},
    )
    assert contradiction.status_code == 422
    with runtime.db.read() as session:
        marks = session.execute(select(EventAttendance)).scalars().all()
        assert [(m.present, m.absence_reason, m.notified) for m in marks] == [(False, "ill", True)]
    client_page = coach.get(f"/clients/{mine}")
    assert "Psykologin työkykyarvio" in client_page.text
    assert "Poissa (sairas), ilmoitti etukäteen" in client_page.text


def test_another_coachs_client_cannot_be_added(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    other = api_as(Role.coach)
    theirs = own_client(runtime, other, "Muu")
    event_id = make_event(runtime, principal(coach))
    refused = coach.post(f"/events/{event_id}/participants", data={"client_id": str(theirs)})
    assert refused.status_code == 403
    assert other.get(f"/events/{event_id}").status_code == 403


def test_coordinators_see_their_organisations_events(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    coordinator = api_as(Role.coordinator)
    mine = own_client(runtime, coach, "Näkyvä")
    event_id = make_event(runtime, principal(coach), participants=[mine])
    assert coordinator.get("/events").status_code == 200
    assert "Psykologin työkykyarvio" in coordinator.get("/events").text
    page = coordinator.get(f"/events/{event_id}")
    assert page.status_code == 200
    assert 'name="attendance"' not in page.text
    assert (coordinator.user_id, mine) in access_rows(runtime, "event")
    assert coordinator.get("/events/new").status_code == 403
    with runtime.db.read() as session:
        sid = session.execute(select(func.min(EventSession.id))).scalar_one()
    refused = coordinator.post(
        f"/events/{event_id}/sessions/{sid}/cancel", data={}, follow_redirects=False
    )
    assert refused.status_code == 403
