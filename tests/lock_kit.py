"""Lock tests without sleeps: a writer holds its transaction open until the other writers are
seen waiting for its lock (or have finished), never for a fixed time. So a lock test cannot pass
by running its writers one after the other: the holder commits only once the others are queued
behind it.

- SQLite: a writer waits in this process's writer queue or in SQLite's busy handler, both inside
  the engine's ``begin`` listener (``_on_begin`` in engine/db.py); a thread whose stack is there
  is waiting for the write lock.
- PostgreSQL: a waiting writer's backend shows ``wait_event_type = 'Lock'`` in
  ``pg_stat_activity`` (each test worker has a database of its own).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable

from sqlalchemy import text

from engine.runtime import Runtime

#: The engine/db.py listener a SQLite writer waits in.
_SQLITE_WAIT = ("_on_begin", "db.py")


def _waiting_in_sqlite(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == _SQLITE_WAIT[0] and code.co_filename.endswith(_SQLITE_WAIT[1]):
            return True
        frame = frame.f_back
    return False


def _postgres_lock_waiters(runtime: Runtime) -> int:
    with runtime.db.engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_clear_snapshot()"))
        waiting = conn.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
        ).scalar_one()
        conn.rollback()
    return int(waiting)


def hold_until_others_wait(
    runtime: Runtime, threads: Iterable[threading.Thread], *, timeout: float = 20
) -> None:
    """Called by a writer inside its write transaction: return once every other thread of
    ``threads`` (the caller is left out) is waiting for a lock or has finished. Fails (raises
    AssertionError in the calling thread) when they do neither within ``timeout`` seconds:
    they are not serialised behind the caller."""
    me = threading.current_thread()
    others = [t for t in threads if t is not me]
    deadline = time.monotonic() + timeout
    while True:
        alive = [t for t in others if t.is_alive()]
        if runtime.db.dialect == "postgresql":
            if _postgres_lock_waiters(runtime) >= len(alive):
                return
        elif all(_waiting_in_sqlite(t) for t in alive):
            return
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(alive)} other writer(s) neither waited for the lock nor finished in "
                f"{timeout} s: they are not serialised behind this one"
            )
        time.sleep(0.002)  # polling an observed state, not a held transaction
