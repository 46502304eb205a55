"""Nothing of another organisation's clients reaches anybody of this one (issue 11).

Two project organisations hold every kind of object: clients with distinctive names, journeys,
consents, referrals, GAS goals, strengths, contacts, and a group with an attending member. Every
signed-in actor of organisation A (its coaches, its coordinator, the partner agency of its
referrals, the admin) then walks every GET route of the app with every id of the world in every
path parameter (and the name itself as a search), and the test fails if any name of organisation
B's clients appears in any body, whatever the status. The group routes that change something are
also tried on B's group: none may succeed.

The routes come from the app itself (``APP_ROUTES``), so a page added later is walked too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.clock import FrozenClock
from engine.events import add_participant
from engine.models import (
    Client,
    ClientGroup,
    Event,
    GroupMembership,
    GroupSession,
    Journey,
    Referral,
)
from engine.runtime import Runtime
from engine.testing import make_client
from tests.event_kit import make_event
from tests.group_kit import client_at, coach, invite, make_group, move
from tests.referral_kit import YOUNG, coach_principal, give_consent, send_referral
from tests.security.world import APP_ROUTES, OTHER_TARGET, World
from web.app import create_app

#: Organisation B's clients: names that appear nowhere else in the world.
B_NAMES = (("Oskariina", "Toishankela"), ("Valdemar", "Vierashovi"), ("Iiris", "Naapurila"))
ACTORS_OF_A = ("coach_own_team", "coordinator", "partner", "admin")
PARAM_TABLES: dict[str, type] = {
    "client_id": Client,
    "journey_id": Journey,
    "referral_id": Referral,
    "group_id": ClientGroup,
    "membership_id": GroupMembership,
    "session_id": GroupSession,
    "event_id": Event,
}


def _max_id(runtime: Runtime, table: type) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.max(table.id))).scalar_one() or 0)  # type: ignore[attr-defined]


def build_world(runtime: Runtime) -> tuple[World, int]:
    """The security world plus organisation B's named clients with every kind of object; returns
    the world and B's group id."""
    world = World.build(runtime, create_app(runtime=runtime))
    for kind in ("own", "other", "former", "revoked"):
        world.target(kind)  # A's and B's clients with consents and referrals
    world.group()  # A's group co-led by the partner
    world.event()  # A's event with a participant
    b_coach = coach(world.uid("coach_b"), world.organisation_b)
    b_group = make_group(runtime, b_coach, name="B:n ryhmä")
    for index, (first, last) in enumerate(B_NAMES):
        if index == 0:
            # a client in goal setting with a described goal, attending B's group
            client_id, _journey = client_at(
                runtime,
                organisation_id=world.organisation_b,
                care_team=(b_coach.user_id,),
                first_name=first,
                last_name=last,
                birth_date=YOUNG,
            )
            membership = invite(runtime, b_coach, b_group, client_id, consent="verbal")
            move(runtime, b_coach, b_group, membership, "start_attending")
        else:
            client_id, _journey = make_client(
                runtime,
                organisation_id=world.organisation_b,
                care_team=(b_coach.user_id,),
                first_name=first,
                last_name=last,
                birth_date=YOUNG,
            )
        principal = coach_principal(b_coach.user_id, world.organisation_b)
        consent_id = give_consent(runtime, principal, client_id, world.partner_agency_2)
        send_referral(runtime, principal, client_id, consent_id=consent_id, target_key=OTHER_TARGET)
        # every client of B takes part in B's event, with an absence marked
        if index == 0:
            b_event = make_event(runtime, principal, title="B:n tapahtuma")
        with runtime.db.write() as session:
            add_participant(session, principal, b_event, client_id, today=runtime.clock.today())
    return world, b_group


def urls(world: World) -> Iterator[str]:
    """Every GET route with every id of the world in its path parameters (one parameter varies,
    the others take the same value), and the list pages with each of B's names as a search."""
    runtime = world.runtime
    highest = {name: _max_id(runtime, table) for name, table in PARAM_TABLES.items()}
    top = max(highest.values()) + 2
    for route in APP_ROUTES:
        if route.method != "GET":
            continue
        params = re.findall(r"{(\w+)}", route.path)
        if not params:
            yield route.path
            # a search by the first letters of a name: the page may echo what was typed, never
            # the whole name
            for _first, last in B_NAMES:
                yield f"{route.path}?q={quote(last[:4])}"
            continue
        if params == ["key"]:
            continue  # the pathway pages name no client
        for value in range(1, highest.get(params[0], top) + 2):
            yield re.sub(r"{\w+}", str(value), route.path)


@pytest.fixture
def probed(make_runtime: Callable[..., Runtime]) -> Iterator[tuple[World, int]]:
    world, b_group = build_world(make_runtime(clock=FrozenClock()))
    yield world, b_group
    world.close()


def test_no_name_of_another_organisations_client_reaches_organisation_a(
    probed: tuple[World, int],
) -> None:
    world, _b_group = probed
    needles = [name for pair in B_NAMES for name in pair]
    leaks: list[str] = []
    tried = 0
    for actor in ACTORS_OF_A:
        http = world.http(actor, "cookie")
        for url in urls(world):
            response = http.get(url)
            tried += 1
            assert response.status_code < 500, f"{actor} GET {url}: {response.status_code}"
            found = [n for n in needles if n in response.text]
            if found:
                leaks.append(f"{actor} GET {url} ({response.status_code}) shows {found}")
        http.close()
    assert leaks == []
    assert tried > 800, f"the probe walked only {tried} pages"
    # the probe can fail: B's own coach sees the names on the same walk
    http = world.http("coach_b", "cookie")
    seen = {n for url in urls(world) for n in (p[1] for p in B_NAMES) if n in http.get(url).text}
    http.close()
    assert seen == {last for _first, last in B_NAMES}


def test_nobody_of_organisation_a_works_in_organisation_bs_group(
    probed: tuple[World, int],
) -> None:
    world, b_group = probed
    with world.runtime.db.read() as session:
        membership = session.execute(
            select(col(GroupMembership.id)).where(col(GroupMembership.group_id) == b_group)
        ).scalar_one()
        first_session = session.execute(
            select(func.min(GroupSession.id)).where(GroupSession.group_id == b_group)  # type: ignore[arg-type]
        ).scalar_one()
    forms = {
        "/groups/{group_id}/sessions/{session_id}": {"date": "2026-03-05", "time": "13:00"},
        "/groups/{group_id}/members/{membership_id}/advance": {
            "trigger": "drop_out",
            "reason": "Luvaton",
        },
        "/groups/{group_id}/members/{membership_id}/consent": {"consent_evidence": "written"},
        "/groups/{group_id}/attendance": {
            "membership_id": str(membership),
            "session_id": str(first_session),
            "present": "1",
        },
        "/groups/{group_id}/members": {"client_id": "1"},
    }
    posts = [r.path for r in APP_ROUTES if r.method == "POST" and r.path.startswith("/groups/{")]
    assert posts, "no group routes to try"
    refused = []
    for actor, path in itertools.product(ACTORS_OF_A, posts):
        http = world.http(actor, "cookie")
        url = path.format(group_id=b_group, membership_id=membership, session_id=first_session)
        response = http.post(url, data=forms.get(path, {}))
        http.close()
        if response.status_code < 400:
            refused.append(f"{actor} POST {url}: {response.status_code}")
    assert refused == []
