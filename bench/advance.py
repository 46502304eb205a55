"""One transition through ``advance()`` (guards included) against the raw floor.

The floor is the same work in plain SQL on the bare driver (sqlite3 / psycopg), with the same
pragmas and transaction mode: BEGIN (IMMEDIATE on SQLite), SELECT the journey with its client,
conditional UPDATE, INSERT the event, COMMIT. Both run in the same process, interleaved in blocks
so machine noise hits both alike; the ratio of medians is printed. Target: at most 1.3x.

Environment: POLKU_BENCH_POSTGRES_URL (default: POLKU_TEST_DATABASE_URL, else the local
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); POLKU_BENCH_N (transitions per side).
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from engine.migrate import upgrade
from engine.models import Client
from engine.runtime import Runtime
from engine.settings import Environment, Settings

BLOCK = 50


def make_journeys(runtime: Runtime, n: int) -> list[int]:
    ids = []
    with runtime.db.write() as session:
        for i in range(n):
            client = Client(
                first_name="Bench",
                last_name=f"Client{i}",
                birth_date=date(1990, 1, 1),
                municipality_code="261",
                participation_consent_at=datetime.now(UTC),
            )
            session.add(client)
            session.flush()
            assert client.id is not None
            journey = runtime.journeys.start(
                session, client_id=client.id, pathway_key="client_journey", actor_id=None
            )
            assert journey.id is not None
            ids.append(journey.id)
    return ids


def engine_side(runtime: Runtime) -> Callable[[int], None]:
    def one(journey_id: int) -> None:
        with runtime.db.write() as session:
            runtime.journeys.advance(
                session, journey_id, "engage", actor_id=None, expected_version=1
            )

    return one


SELECT = (
    "SELECT j.id, j.state, j.version, j.pathway_version, c.id, c.birth_date, "
    "c.participation_consent_at FROM journey j JOIN client c ON c.id = j.client_id WHERE j.id = {p}"
)
UPDATE = (
    "UPDATE journey SET state = {p}, version = {p}, updated_at = {p} "
    "WHERE id = {p} AND state = {p} AND version = {p}"
)
INSERT = (
    "INSERT INTO journey_event (journey_id, seq, occurred_at, actor_id, trigger, from_state, "
    "to_state, pathway_version, reason, outcome, verdicts) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p})"
)
# What advance() sends on PostgreSQL: the UPDATE and the INSERT in one statement (one round trip).
MOVE_AND_RECORD = (
    "WITH moved AS (" + UPDATE + " RETURNING id) "
    "INSERT INTO journey_event (journey_id, seq, occurred_at, actor_id, trigger, from_state, "
    "to_state, pathway_version, reason, outcome, verdicts) "
    "SELECT moved.id, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p}, {p} FROM moved RETURNING id"
)


def floor_side(
    url: str, synchronous: str, *, one_statement: bool = False
) -> tuple[Callable[[int], None], Callable[[], None]]:
    """The same statements on the bare DBAPI driver; ``one_statement``: the UPDATE and INSERT
    as the one statement advance() uses on PostgreSQL."""
    now = datetime.now(UTC)
    verdicts = json.dumps([])
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30, isolation_level=None)
        for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        p = "?"
        begin = "BEGIN IMMEDIATE"
        stamp: Any = now.isoformat(sep=" ")
    else:
        import psycopg

        conn = psycopg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
        p = "%s"
        begin = "BEGIN"
        stamp = now
    select_sql, update_sql, insert_sql, both_sql = (
        s.format(p=p) for s in (SELECT, UPDATE, INSERT, MOVE_AND_RECORD)
    )

    def one(journey_id: int) -> None:
        cur = conn.cursor()
        cur.execute(begin)
        cur.execute(select_sql, (journey_id,))
        _jid, state, version, pathway_version, _cid, _birth, _consent = cur.fetchone()
        move = ("engaged", version + 1, stamp, journey_id, state, version)
        event = (version + 1, stamp, None, "engage", state, "engaged", pathway_version, None, None)
        if one_statement:
            cur.execute(both_sql, (*move, *event, verdicts))
            if cur.fetchone() is None:
                raise RuntimeError("conflict in the floor")
        else:
            cur.execute(update_sql, move)
            if cur.rowcount != 1:
                raise RuntimeError("conflict in the floor")
            cur.execute(insert_sql, (journey_id, *event, verdicts))
        cur.execute("COMMIT")

    if not url.startswith("sqlite"):
        conn.autocommit = True  # type: ignore[union-attr]
    return one, conn.close


def measure(url: str, n: int, synchronous: str) -> dict[str, float]:
    """Median µs per transition for advance() and each floor, measured interleaved."""
    upgrade(url)
    settings = Settings(
        database_url=url, environment=Environment.production, sqlite_synchronous=synchronous
    )
    runtime = Runtime(settings)
    floors = [("floor", False)] + ([("floor_1", True)] if not url.startswith("sqlite") else [])
    journeys = make_journeys(runtime, (1 + len(floors)) * (n + 2 * BLOCK))
    sides = [("advance", engine_side(runtime))]
    closers = []
    for label, one_statement in floors:
        floor_one, close = floor_side(url, synchronous, one_statement=one_statement)
        sides.append((label, floor_one))
        closers.append(close)
    for _label, fn in sides:  # warm up (connections, statement caches, prepared statements)
        for _ in range(BLOCK):
            fn(journeys.pop())
    samples: dict[str, list[float]] = {label: [] for label, _ in sides}
    done = 0
    while done < n:
        for label, fn in sides:
            for _ in range(BLOCK):
                jid = journeys.pop()
                t0 = time.perf_counter()
                fn(jid)
                samples[label].append(time.perf_counter() - t0)
        sides = sides[1:] + sides[:1]  # rotate, so no side always follows the same one
        done += BLOCK
    for close in closers:
        close()
    runtime.close()
    return {label: statistics.median(times) * 1e6 for label, times in samples.items()}


def postgres_url() -> str | None:
    url = os.environ.get("POLKU_BENCH_POSTGRES_URL") or os.environ.get(
        "POLKU_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "polku_bench" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "polku_bench"'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}); measuring SQLite only")
        return None
    return make_url(url).set(database="polku_bench").render_as_string(hide_password=False)


def main() -> None:
    n = int(os.environ.get("POLKU_BENCH_N", "1000"))
    rows: list[tuple[str, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for sync in ("FULL", "NORMAL"):
            r = measure(f"sqlite:///{Path(tmp) / f'bench-{sync}.db'}", n, sync)
            rows.append((f"SQLite (synchronous={sync})", r["advance"], r["floor"]))
    pg = postgres_url()
    if pg:
        r = measure(pg, n, "FULL")
        rows.append(("PostgreSQL", r["advance"], r["floor"]))
        rows.append(("PostgreSQL, 1-statement floor", r["advance"], r["floor_1"]))
    print(f"\nOne transition through advance() vs the raw floor, median of {n} each, one run:")
    print(f"{'database':32} {'advance µs':>11} {'floor µs':>10} {'ratio':>7}  target <= 1.3x")
    for name, adv, flo in rows:
        ratio = adv / flo
        verdict = "ok" if ratio <= 1.3 else "OVER"
        print(f"{name:32} {adv:11.0f} {flo:10.0f} {ratio:7.2f}  {verdict}")
    print(
        "The floor: BEGIN, SELECT, conditional UPDATE, INSERT, COMMIT on the bare driver. On "
        "PostgreSQL advance() sends the UPDATE and INSERT as one statement (one round trip "
        "fewer); the 1-statement floor does the same, to show the cost of the engine itself."
    )


if __name__ == "__main__":
    main()
