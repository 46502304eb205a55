"""Issue 16, request cost: how many SQL statements a request takes, so that the number cannot grow
unnoticed (docs/architecture.md, "Request cost"). Counted with an SQLAlchemy event listener on
the app's engine: every statement the request sends, authentication and access log included."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from engine.goals import add_goal
from engine.models import ContactEntry, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

#: Statements per request, at most: (SQLite, PostgreSQL). SQLite has a savepoint per write
#: request (two statements) and its access-log append takes three statements where PostgreSQL's
#: takes two; PostgreSQL authenticates in autocommit.
#: The client page: 26/23 when this was written; +4 when the events on the timeline, the client's
#: voice (feedback, roles) and the aftercare plan joined the page (one statement each).
CLIENT_PAGE = {"sqlite": 30, "postgresql": 27}
#: The advance: 8/5 counted the web layer's statements only; the engine's own (the journey, the
#: previous state on a resume, the move with its event: engine/driver.py's DriverStatements) are
#: counted too since they tell the engine's listeners, 11/7 in all (the same SQL as before).
ADVANCE = {"sqlite": 11, "postgresql": 7}
CASELOAD = {"sqlite": 8, "postgresql": 5}


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def busy_client(runtime: Runtime, coach: UserClient) -> tuple[int, int]:
    """A client with a goal, contacts and moves: every part of the client page has rows."""
    client_id, journey_id = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    with runtime.db.write() as session:
        for days in (3, 2, 1):
            session.add(
                ContactEntry(
                    client_id=client_id,
                    coach_id=coach.user_id,
                    occurred_at=runtime.clock.now() - timedelta(days=days),
                    kind="phone",
                    note="",
                    next_contact_on=date.today() + timedelta(days=7),
                )
            )
        add_goal(
            session,
            client_id=client_id,
            actor_id=coach.user_id,
            goal="Harjoittelupaikka",
            levels={-2: "a", -1: "b", 0: "c", 1: "d", 2: "e"},
            now=runtime.clock.now(),
        )
    return client_id, journey_id


def test_the_client_page_reads_nothing_twice_and_its_statements_do_not_grow(
    runtime: Runtime, coach: UserClient
) -> None:
    client_id, _ = busy_client(runtime, coach)
    assert coach.get(f"/clients/{client_id}").status_code == 200  # warm up (session touch)
    with statements(runtime) as sent:
        assert coach.get(f"/clients/{client_id}").status_code == 200
    repeated = [s for s, n in Counter(sent).items() if n > 1 and s.lstrip().startswith("SELECT")]
    assert repeated == []  # e.g. the GAS goals and ratings: once for the board and the timeline
    assert len(sent) <= CLIENT_PAGE[runtime.db.dialect], "\n".join(sent)


def test_an_advance_takes_few_statements(runtime: Runtime, coach: UserClient) -> None:
    _, journey_id = busy_client(runtime, coach)
    engaged = coach.post(f"/api/journeys/{journey_id}/advance", json={"trigger": "engage"})
    assert engaged.status_code == 200, engaged.text
    moves = ["pause", "resume", "pause"]
    counts = []
    for trigger in moves:
        with statements(runtime) as sent:
            response = coach.post(
                f"/api/journeys/{journey_id}/advance", json={"trigger": trigger, "reason": "x"}
            )
        assert response.status_code == 200, response.text
        counts.append(len(sent))
        # every statement is seen, those sent on the driver's cursor included: the session's,
        # the access check, the journey's move and the access-log row
        for part in ("user_session", "care_team", "UPDATE journey", "INSERT INTO access_log"):
            assert any(part in statement for statement in sent), (part, sent)
    assert max(counts) <= ADVANCE[runtime.db.dialect], counts


def test_the_caseload_takes_few_statements(runtime: Runtime, coach: UserClient) -> None:
    for _ in range(3):
        busy_client(runtime, coach)
    assert coach.get("/clients").status_code == 200
    with statements(runtime) as sent:
        assert coach.get("/clients").status_code == 200
    assert len(sent) <= CASELOAD[runtime.db.dialect], "\n".join(sent)


def test_a_worker_has_a_connection_for_every_handler_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16, docs/operations.md "Connections": by default a worker's pool keeps half as many
    connections as the threads that run its request handlers and may open the other half for a
    burst. With the old 10 (+20) a busy worker closed and reopened connections all the time
    (bench/http.py's advance load: 182 new PostgreSQL connections in 8 s against 9)."""
    import threading

    import anyio
    import anyio.to_thread

    from engine.db import Database
    from engine.settings import Settings

    async def threads() -> int:
        return int(anyio.to_thread.current_default_thread_limiter().total_tokens)

    found: list[int] = []  # asked on a thread of its own: this one may run an event loop already
    asker = threading.Thread(target=lambda: found.append(anyio.run(threads)))
    asker.start()
    asker.join()
    (handler_threads,) = found
    monkeypatch.delenv("POLKU_POOL_SIZE", raising=False)  # the default, whatever this shell sets
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'pool.db'}")
    database = Database(settings.database_url, pool_size=settings.pool_size)
    try:
        pool = database.engine.pool
        kept, burst = pool.size(), pool._max_overflow  # type: ignore[attr-defined]
    finally:
        database.dispose()
    assert kept + burst >= handler_threads
    assert kept * 2 >= handler_threads
