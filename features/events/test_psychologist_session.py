"""Steps for features/events/psychologist_session.feature: the event pages as a coach uses
them on a phone (plain form posts), the client page, the coordinator's list and the report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlmodel import col

from engine.events import attended_in
from engine.models import Event, EventParticipant, EventSession, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

scenarios("psychologist_session.feature")

NAMES = ("Aalto", "Berg", "Carlsson", "Dahl", "Eskola", "Forsman")


@dataclass
class Session:
    anna: UserClient
    clients: dict[str, int]
    event_id: int = 0
    session_id: int = 0
    participants: dict[str, int] = field(default_factory=dict)
    answer: Any = None


@given('the coach "Anna" with six clients in her care team', target_fixture="arranged")
def anna_and_six(runtime: Runtime, api_as: Callable[..., UserClient]) -> Session:
    anna = api_as(Role.coach)
    clients = {
        name: make_client(
            runtime,
            organisation_id=anna.organisation_id,
            care_team=(anna.user_id,),
            first_name="Testi",
            last_name=name,
        )[0]
        for name in NAMES
    }
    return Session(anna, clients)


@when(
    parsers.parse(
        'Anna creates an expert session led by the psychologist "{expert}" of "{organisation}" '
        "an hour ago"
    )
)
def create(runtime: Runtime, arranged: Session, expert: str, organisation: str) -> None:
    assert 'href="/events"' in arranged.anna.get("/clients").text  # from her workspace
    start = (runtime.clock.now() - timedelta(hours=1)).astimezone(runtime.clock.zone)
    made = arranged.anna.post(
        "/events/new",
        data={
            "kind": "expert_session",
            "title": "Psykologin työkykyarvio",
            "municipality_code": "261",
            "leader": "expert",
            "expert_name": expert,
            "expert_organisation": organisation,
            "place": "Työllisyyspiste, neuvotteluhuone",
            "first_date": start.date().isoformat(),
            "first_time": start.strftime("%H:%M"),
            "sessions": "1",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    arranged.event_id = int(made.headers["location"].rsplit("/", 1)[1])
    with runtime.db.read() as session:
        arranged.session_id = session.execute(
            select(col(EventSession.id)).where(col(EventSession.event_id) == arranged.event_id)
        ).scalar_one()


@when("she adds her six clients as participants")
def add_six(runtime: Runtime, arranged: Session) -> None:
    for name, client_id in arranged.clients.items():
        found = arranged.anna.get(f"/events/{arranged.event_id}", params={"q": name})
        assert f'value="{client_id}"' in found.text
        added = arranged.anna.post(
            f"/events/{arranged.event_id}/participants",
            data={"client_id": str(client_id)},
            follow_redirects=False,
        )
        assert added.status_code == 303
    with runtime.db.read() as session:
        rows = session.execute(
            select(col(EventParticipant.client_id), col(EventParticipant.id)).where(
                col(EventParticipant.event_id) == arranged.event_id
            )
        ).all()
    by_client = dict(rows)
    arranged.participants = {n: by_client[c] for n, c in arranged.clients.items()}


@when("she marks four present, one absent ill who told us beforehand and one absent without notice")
def mark(arranged: Session) -> None:
    marks = {name: {"attendance": "present"} for name in NAMES[:4]}
    marks[NAMES[4]] = {"attendance": "ill", "notified": "1"}
    marks[NAMES[5]] = {"attendance": "no_notice"}
    for name, data in marks.items():
        done = arranged.anna.post(
            f"/events/{arranged.event_id}/attendance",
            data={
                "participant_id": str(arranged.participants[name]),
                "session_id": str(arranged.session_id),
                **data,
            },
            follow_redirects=False,
        )
        assert done.status_code == 303


@then("the event page shows four participants at 1 of 1 sessions held and two at 0 of 1")
def rates(arranged: Session) -> None:
    page = arranged.anna.get(f"/events/{arranged.event_id}").text
    listing = page.split('id="participants"')[1].split("</ul>")[0]
    assert listing.count("osallistui 1/1 pidettyyn tapaamiseen (100 %)") == 4
    assert listing.count("osallistui 0/1 pidettyyn tapaamiseen (0 %)") == 2
    assert "Pirjo Pohjola (Psykologipalvelut Oy)" in page


@then("the timeline of the client who was ill shows the absence with its reason and notice")
def timeline(arranged: Session) -> None:
    html = arranged.anna.get(f"/clients/{arranged.clients[NAMES[4]]}").text
    timeline = html.split('id="timeline"')[1]
    assert "Asiantuntijatapaaminen" in timeline
    assert "Psykologin työkykyarvio" in timeline
    assert "Poissa (sairas), ilmoitti etukäteen" in timeline


@then("the project's coordinator sees the session among the organisation's events")
def coordinator_sees(api_as: Callable[..., UserClient], arranged: Session) -> None:
    coordinator = api_as(Role.coordinator, organisation_id=arranged.anna.organisation_id)
    listing = coordinator.get("/events").text
    assert "Psykologin työkykyarvio" in listing
    assert coordinator.get(f"/events/{arranged.event_id}").status_code == 200


@then("the funder report's event figure counts four sessions attended by four participants")
def report_figure(runtime: Runtime, arranged: Session) -> None:
    now = runtime.clock.now()
    with runtime.db.read() as session:
        attended = attended_in(
            session, list(arranged.clients.values()), now - timedelta(days=1), now, now
        )
    assert sorted(attended.values()) == [1, 1, 1, 1]


@when("Anna tries to add a client of another coach")
def add_stranger(runtime: Runtime, api_as: Callable[..., UserClient], arranged: Session) -> None:
    other = api_as(Role.coach, organisation_id=arranged.anna.organisation_id)
    theirs, _ = make_client(
        runtime, organisation_id=other.organisation_id, care_team=(other.user_id,)
    )
    arranged.answer = arranged.anna.post(
        f"/events/{arranged.event_id}/participants", data={"client_id": str(theirs)}
    )


@then("she is refused and the session has no participants")
def refused(runtime: Runtime, arranged: Session) -> None:
    assert arranged.answer.status_code == 403
    with runtime.db.read() as session:
        count = session.execute(select(func.count()).select_from(EventParticipant)).scalar_one()
        assert count == 0
        assert session.get(Event, arranged.event_id) is not None
