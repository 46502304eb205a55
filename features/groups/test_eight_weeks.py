"""Steps for features/groups/eight_weeks.feature: the group pages as a coach uses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlmodel import col

from engine import holidays
from engine.models import (
    Consent,
    Disclosure,
    GroupLeader,
    GroupMembership,
    GroupSession,
    Journey,
    Role,
)
from engine.runtime import Runtime
from engine.testing import make_user
from tests.group_kit import client_at
from web.testing import UserClient

scenarios("eight_weeks.feature")

HX = {"HX-Request": "true"}


@dataclass
class Run:
    coach: UserClient | None = None
    clients: dict[str, tuple[int, int]] = field(default_factory=dict)
    group_id: int = 0
    last: Any = None
    co_leader: UserClient | None = None

    @property
    def c(self) -> UserClient:
        assert self.coach is not None
        return self.coach


@pytest.fixture
def run() -> Run:
    return Run()


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


def _client(runtime: Runtime, run: Run, name: str, triggers: tuple[str, ...]) -> None:
    run.clients[name] = client_at(
        runtime,
        triggers,
        first_name=name,
        last_name="Esimerkki",
        organisation_id=run.c.organisation_id,
        care_team=(run.c.user_id,),
    )


def _membership(runtime: Runtime, run: Run, name: str) -> GroupMembership:
    with runtime.db.read() as session:
        return session.execute(
            select(GroupMembership).where(
                col(GroupMembership.group_id) == run.group_id,
                col(GroupMembership.client_id) == run.clients[name][0],
            )
        ).scalar_one()


def _state(runtime: Runtime, journey_id: int) -> str:
    with runtime.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        return journey.state


def _sessions(runtime: Runtime, run: Run) -> list[GroupSession]:
    with runtime.db.read() as session:
        return list(
            session.execute(
                select(GroupSession)
                .where(col(GroupSession.group_id) == run.group_id)
                .order_by(col(GroupSession.number))
            ).scalars()
        )


@given(parsers.parse('a coach with the clients "{names}" in goal setting'))
def coach_with_clients(
    runtime: Runtime, api_as: Callable[..., UserClient], run: Run, names: str
) -> None:
    run.coach = api_as(Role.coach)
    for name in _names(names):
        _client(runtime, run, name, ("engage", "start_assessment", "set_goals"))


@given(parsers.parse('the coach\'s client "{name}" still in assessment'))
def client_in_assessment(runtime: Runtime, run: Run, name: str) -> None:
    _client(runtime, run, name, ("engage", "start_assessment"))


@given(
    parsers.parse(
        'the coach starts the group "{name}" with {meetings:d} weekly meetings, '
        "the first {weeks:d} weeks ago"
    )
)
def start_group(runtime: Runtime, run: Run, name: str, meetings: int, weeks: int) -> None:
    # the dates follow the wall clock, so no holiday may move a meeting here; the holiday skip
    # has its own tests (tests/test_holidays.py, tests/test_events.py)
    runtime.holidays = holidays.NONE
    first = runtime.clock.today() - timedelta(weeks=weeks)
    answer = run.c.post(
        "/groups/new",
        data={
            "name": name,
            "municipality_code": "261",
            "first_date": first.isoformat(),
            "first_time": "13:00",
            "meetings": str(meetings),
            "place": "Nuorisotila",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    run.group_id = int(answer.headers["location"].rsplit("/", 1)[1])


@then(parsers.parse("the group has {count:d} meetings a week apart"))
def meetings_a_week_apart(runtime: Runtime, run: Run, count: int) -> None:
    found = _sessions(runtime, run)
    assert [s.number for s in found] == list(range(1, count + 1))
    zone = runtime.clock.zone
    days = [s.starts_at.astimezone(zone).date() for s in found]
    assert all((b - a).days == 7 for a, b in pairwise(days))
    page = run.c.get(f"/groups/{run.group_id}")
    assert len(re.findall(r'id="session-date-\d+"', page.text)) == count


@when(parsers.parse('the coach invites "{names}" to the group from their pages'))
def invite_from_pages(run: Run, names: str) -> None:
    for name in _names(names):
        client_id = run.clients[name][0]
        page = run.c.get(f"/clients/{client_id}")
        assert f'<option value="{run.group_id}">' in page.text
        answer = run.c.post(
            f"/clients/{client_id}/groups",
            data={"group_id": str(run.group_id)},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text


@then(parsers.parse('the membership of "{name}" is "{state}"'))
def membership_is(runtime: Runtime, run: Run, name: str, state: str) -> None:
    assert _state(runtime, _membership(runtime, run, name).journey_id) == state


@then(parsers.parse('the journey of "{name}" is at "{state}"'))
def journey_is(runtime: Runtime, run: Run, name: str, state: str) -> None:
    assert _state(runtime, run.clients[name][1]) == state


def _move(runtime: Runtime, run: Run, name: str, **data: str) -> None:
    membership = _membership(runtime, run, name)
    run.last = run.c.post(
        f"/groups/{run.group_id}/members/{membership.id}/advance", data=data, headers=HX
    )


@when(parsers.parse('the coach marks "{names}" as starting to attend'))
def start_attending(runtime: Runtime, run: Run, names: str) -> None:
    for name in _names(names):
        _move(runtime, run, name, trigger="start_attending")


def _tap(runtime: Runtime, run: Run, names: str, number: int) -> None:
    meeting = _sessions(runtime, run)[number - 1]
    page = run.c.get(f"/groups/{run.group_id}")
    for name in _names(names):
        membership = _membership(runtime, run, name)
        cell = re.search(
            rf'<td id="cell-{membership.id}-{meeting.id}".*?</td>', page.text, re.DOTALL
        )
        assert cell is not None
        assert "attendance-toggle" in cell.group(0)
        wanted = re.search(r'name="present" value="(\d)"', cell.group(0))
        assert wanted is not None
        run.last = run.c.post(
            f"/groups/{run.group_id}/attendance",
            data={
                "membership_id": str(membership.id),
                "session_id": str(meeting.id),
                "present": wanted.group(1),
            },
            headers=HX,
        )
        assert run.last.status_code == 200, run.last.text


@when(parsers.parse('the coach taps attendance for "{names}" at meeting {number:d}'))
def tap(runtime: Runtime, run: Run, names: str, number: int) -> None:
    _tap(runtime, run, names, number)


@when(parsers.parse('the coach taps attendance for "{names}" at meeting {number:d} again'))
def tap_again(runtime: Runtime, run: Run, names: str, number: int) -> None:
    _tap(runtime, run, names, number)


@then(parsers.parse('the attendance reads "{expected}" (of the {held:d} meetings held so far)'))
def attendance_reads(runtime: Runtime, run: Run, expected: str, held: int) -> None:
    page = run.c.get(f"/groups/{run.group_id}")
    for item in _names(expected):
        name, count = item.rsplit(" ", 1)
        membership = _membership(runtime, run, name)
        assert count.endswith(f"/{held}")
        assert f'id="count-{membership.id}" class="attendance-count">{count}</span>' in page.text


@then(
    parsers.parse('the timeline of "{name}" shows the meetings {first:d} and {second:d} attended')
)
def timeline_shows(run: Run, name: str, first: int, second: int) -> None:
    page = run.c.get(f"/clients/{run.clients[name][0]}")
    attended = re.findall(r"Osallistui tapaamiseen (\d)/8", page.text)
    assert attended == [str(first), str(second)]


@when(parsers.parse('"{name}" drops out of the group with the reason "{reason}"'))
def drops_out(runtime: Runtime, run: Run, name: str, reason: str) -> None:
    _move(runtime, run, name, trigger="drop_out", reason=reason)
    assert run.last.status_code == 200, run.last.text


@when(parsers.parse('"{name}" completes the group'))
def completes(runtime: Runtime, run: Run, name: str) -> None:
    _move(runtime, run, name, trigger="complete")
    assert run.last.status_code == 200, run.last.text


@then("the coach is told the journey must move first")
def told_to_move_first(run: Run) -> None:
    assert run.last.status_code == 409
    assert "ei voi vielä aloittaa ryhmässä" in run.last.text
    assert "Kokonaistilanteen arviointi" in run.last.text


@then("another coach of the same project is refused the group page")
def other_coach_refused(api_as: Callable[..., UserClient], run: Run) -> None:
    other = api_as(Role.coach, organisation_id=run.c.organisation_id)
    assert other.get(f"/groups/{run.group_id}").status_code == 403
    run.last = other


@then("the group is not on the other coach's list")
def not_listed(run: Run) -> None:
    listing = run.last.get("/groups")
    assert listing.status_code == 200
    assert f"/groups/{run.group_id}" not in listing.text


# --- the partner co-leader and the members' consent ----------------------------------------------


@given("a worker of a partner organisation co-leads the group")
def partner_co_leads(runtime: Runtime, api_as: Callable[..., UserClient], run: Run) -> None:
    partner = make_user(runtime, Role.partner)
    assert partner.id is not None
    with runtime.db.write() as session:
        session.add(GroupLeader(group_id=run.group_id, user_id=partner.id, kind="co_leader"))
    run.co_leader = api_as(user=partner)


@when(
    parsers.parse(
        'the coach invites "{name}" to the group from their pages, with her {evidence} consent '
        "to the co-leader's organisation"
    )
)
def invite_with_consent(run: Run, name: str, evidence: str) -> None:
    client_id = run.clients[name][0]
    page = run.c.get(f"/clients/{client_id}")
    assert 'name="co_leader_consent"' in page.text
    answer = run.c.post(
        f"/clients/{client_id}/groups",
        data={
            "group_id": str(run.group_id),
            "co_leader_consent": "1",
            "consent_evidence": evidence,
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def _co_leader_page(run: Run) -> str:
    assert run.co_leader is not None
    page = run.co_leader.get(f"/groups/{run.group_id}")
    assert page.status_code == 200
    return page.text


@then(parsers.parse('the co-leader sees "{seen}" on the group page but not "{unseen}"'))
def co_leader_sees(run: Run, seen: str, unseen: str) -> None:
    text = _co_leader_page(run)
    assert f"{seen} Esimerkki" in text
    assert f"{unseen} Esimerkki" not in text


@then("the co-leader sees no member on the group page")
def co_leader_sees_none(run: Run) -> None:
    assert "Esimerkki" not in _co_leader_page(run)


def _disclosures(runtime: Runtime, run: Run, name: str) -> list[tuple[int, str, str]]:
    with runtime.db.read() as session:
        return [
            (int(o), str(w), str(b))
            for o, w, b in session.execute(
                select(
                    col(Disclosure.recipient_organisation_id),
                    col(Disclosure.what),
                    col(Disclosure.basis),
                ).where(col(Disclosure.client_id) == run.clients[name][0])
            ).all()
        ]


@then(
    parsers.parse(
        'the disclosure log of "{name}" names the co-leader\'s organisation for her group '
        "attendance"
    )
)
def disclosure_logged(runtime: Runtime, run: Run, name: str) -> None:
    assert run.co_leader is not None
    assert _disclosures(runtime, run, name) == [
        (run.co_leader.organisation_id, "group_attendance", "consent")
    ]


@then(parsers.parse('the disclosure log of "{name}" is empty'))
def no_disclosure(runtime: Runtime, run: Run, name: str) -> None:
    assert _disclosures(runtime, run, name) == []


@when(parsers.parse('the coach revokes the consent of "{name}"'))
def revoke_consent(runtime: Runtime, run: Run, name: str) -> None:
    client_id = run.clients[name][0]
    with runtime.db.read() as session:
        consent_id = session.execute(
            select(col(Consent.id)).where(col(Consent.client_id) == client_id)
        ).scalar_one()
    answer = run.c.post(
        f"/clients/{client_id}/consents/{consent_id}/revoke", follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
