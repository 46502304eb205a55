"""Two coaches, one client: N threads fire at once; exactly one commits, one event is written.

SQLite serialises writers with BEGIN IMMEDIATE (the losers then see a newer version); PostgreSQL
lets every thread read version N and the conditional UPDATE lets exactly one of them win.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from engine.chain import verify_chains
from engine.errors import Conflict, InvalidTransition
from engine.models import JourneyEvent
from engine.runtime import Runtime
from engine.testing import make_client

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("concurrency")]


def race(
    runtime: Runtime,
    journey_id: int,
    threads: int,
    *,
    expected_version: int | None,
    way: str = "session",
) -> Counter[str]:
    """``way``: each coach in an ORM session, or on one Core connection
    (``Database.write_connection``, the engine's light path), or half and half."""
    barrier = threading.Barrier(threads)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def coach(core: bool) -> None:
        barrier.wait()
        try:
            with runtime.db.write_connection() if core else runtime.db.write() as session:
                runtime.journeys.advance(
                    session, journey_id, "engage", actor_id=None, expected_version=expected_version
                )
            result = "committed"
        except Conflict:
            result = "conflict"
        except InvalidTransition:
            result = "invalid"
        with lock:
            outcomes[result] += 1

    cores = {
        "session": [False] * threads,
        "connection": [True] * threads,
        "mixed": [i % 2 == 0 for i in range(threads)],
    }[way]
    workers = [threading.Thread(target=coach, args=(core,)) for core in cores]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers), "a coach thread hung"
    return outcomes


def events_for(runtime: Runtime, journey_id: int) -> int:
    with runtime.db.read() as session:
        return session.execute(
            select(func.count()).where(JourneyEvent.journey_id == journey_id)  # type: ignore[arg-type]
        ).scalar_one()


@pytest.mark.parametrize(
    ("threads", "rounds", "way"),
    [(8, 100, "session"), (32, 20, "session"), (8, 50, "connection"), (16, 20, "mixed")],
)
def test_exactly_one_coach_wins(runtime: Runtime, threads: int, rounds: int, way: str) -> None:
    for _ in range(rounds):
        _client, jid = make_client(runtime)
        outcomes = race(runtime, jid, threads, expected_version=1, way=way)
        assert outcomes == Counter(committed=1, conflict=threads - 1)
        assert events_for(runtime, jid) == 2  # start + the one winning move
    with runtime.db.read() as session:
        assert verify_chains(session).broken == []  # the winner's event links to the start


def test_without_expected_version_still_one_winner(runtime: Runtime) -> None:
    for _ in range(20):
        _client, jid = make_client(runtime)
        outcomes = race(runtime, jid, 8, expected_version=None)
        assert outcomes["committed"] == 1
        assert outcomes["conflict"] + outcomes["invalid"] == 7
        assert events_for(runtime, jid) == 2
