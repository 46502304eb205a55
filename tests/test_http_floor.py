"""The HTTP bench's floor (bench/floor_app.py, issue 16) does a request's work: Polku's own SQL
from a bare FastAPI route. Its advance moves the journey and writes the event and the
access-log row, chained so that ``polku db verify`` finds every chain intact and Polku's own
``advance()`` goes on from where it left; its caseload lists the coach's clients and logs each.
A floor that skipped a write, or wrote a row Polku would not, would measure less than Polku does
and this would fail. PostgreSQL only, as the bench."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from types import ModuleType

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlmodel import col

from engine.chain import verify_database
from engine.models import AccessLog, Journey, JourneyEvent, Role
from engine.runtime import Runtime
from engine.testing import backends, make_client, make_user, runtime_for_tests
from web.authentication import session_cookie_name

POSTGRESQL = [b for b in backends() if b == "postgresql"]


@pytest.fixture
def world(database_url: str) -> Iterator[Runtime]:
    runtime = runtime_for_tests(database_url)
    try:
        yield runtime
    finally:
        runtime.close()


def _floor(monkeypatch: pytest.MonkeyPatch, database_url: str, coach_id: int) -> ModuleType:
    url = make_url(database_url).set(drivername="postgresql")
    monkeypatch.setenv("FLOOR_DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("FLOOR_COACH_ID", str(coach_id))
    sys.modules.pop("bench.floor_app", None)  # it reads its settings when imported
    module = importlib.import_module("bench.floor_app")
    monkeypatch.setitem(sys.modules, "bench.floor_app", module)
    return module


def _count(runtime: Runtime, what: str) -> int:
    with runtime.db.read() as session:
        return int(
            session.execute(
                select(func.count()).select_from(AccessLog).where(col(AccessLog.what) == what)
            ).scalar_one()
        )


@pytest.mark.parametrize("database_url", POSTGRESQL, indirect=True)
def test_the_floor_writes_what_polku_writes(
    world: Runtime, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    coach = make_user(world, Role.coach)
    assert coach.id is not None
    _client_id, journey_id = make_client(
        world,
        organisation_id=coach.organisation_id,
        care_team=(coach.id,),
        last_name="Lattia",
        state="engaged",
    )
    with world.db.read() as session:
        before = session.get(Journey, journey_id)
        assert before is not None
        version = before.version
    with world.db.write() as session:
        token, _ = world.auth.create_api_token(session, coach.id, "floor")
        cookie, _ = world.auth.start_session(session, coach.id)
    floor = _floor(monkeypatch, database_url, coach.id)
    http = TestClient(floor.app)
    bearer = {"Authorization": f"Bearer {token}"}
    for trigger, state in (("pause", "paused"), ("resume", "engaged")):
        answer = http.post(
            f"/floor/journeys/{journey_id}/advance", json={"trigger": trigger}, headers=bearer
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["state"] == state
    unsigned = http.post(f"/floor/journeys/{journey_id}/advance", json={"trigger": "pause"})
    assert unsigned.status_code == 401
    assert _count(world, "advance") == 2
    http.cookies.set(session_cookie_name(world.settings), cookie)
    page = http.get("/floor/clients")
    assert page.status_code == 200
    assert "Lattia" in page.text
    assert _count(world, "caseload") == 1
    with world.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        assert (journey.state, journey.version) == ("engaged", version + 2)
        events = session.execute(
            select(col(JourneyEvent.trigger))
            .where(col(JourneyEvent.journey_id) == journey_id)
            .order_by(col(JourneyEvent.id))  # PostgreSQL returns a heap's rows in any order
        ).scalars()
        assert list(events)[-2:] == ["pause", "resume"]
        verification = verify_database(session)
    assert verification.problems == []
    with world.db.write() as session:  # Polku goes on from the floor's head of every chain
        world.journeys.advance(session, journey_id, "pause", actor_id=coach.id, reason="x")
    with world.db.read() as session:
        assert verify_database(session).problems == []
