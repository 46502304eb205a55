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


def floor_side(url: str, synchronous: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """The same statements on the bare DBAPI driver."""
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
    select_sql, update_sql, insert_sql = (s.format(p=p) for s in (SELECT, UPDATE, INSERT))

    def one(journey_id: int) -> None:
        cur = conn.cursor()
        cur.execute(begin)
        cur.execute(select_sql, (journey_id,))
        _jid, state, version, pathway_version, _cid, _birth, _consent = cur.fetchone()
        cur.execute(update_sql, ("engaged", version + 1, stamp, journey_id, state, version))
        if cur.rowcount != 1:
            raise RuntimeError("conflict in the floor")
        cur.execute(
            insert_sql,
            (
                journey_id,
                version + 1,
                stamp,
                None,
                "engage",
                state,
                "engaged",
                pathway_version,
                None,
                None,
                verdicts,
            ),
        )
        cur.execute("COMMIT")

    if not url.startswith("sqlite"):
        conn.autocommit = True  # type: ignore[union-attr]
    return one, conn.close


def measure(name: str, url: str, n: int, synchronous: str) -> dict[str, float]:
    upgrade(url)
    settings = Settings(
        database_url=url, environment=Environment.production, sqlite_synchronous=synchronous
    )
    runtime = Runtime(settings)
    journeys = make_journeys(runtime, 2 * n + 2 * BLOCK)
    advance_one = engine_side(runtime)
    floor_one, close = floor_side(url, synchronous)
    # warm up both sides (connections, statement caches)
    advance_one(journeys.pop())
    floor_one(journeys.pop())
    samples: dict[str, list[float]] = {"advance": [], "floor": []}
    sides = [("advance", advance_one), ("floor", floor_one)]
    done = 0
    while done < n:
        for label, fn in sides:
            for _ in range(BLOCK):
                jid = journeys.pop()
                t0 = time.perf_counter()
                fn(jid)
                samples[label].append(time.perf_counter() - t0)
        sides.reverse()
        done += BLOCK
    close()
    runtime.close()
    adv, flo = statistics.median(samples["advance"]), statistics.median(samples["floor"])
    return {"advance_us": adv * 1e6, "floor_us": flo * 1e6, "ratio": adv / flo}


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
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for sync in ("FULL", "NORMAL"):
            db = Path(tmp) / f"bench-{sync}.db"
            rows.append(
                (f"SQLite (synchronous={sync})", measure("sqlite", f"sqlite:///{db}", n, sync))
            )
    pg = postgres_url()
    if pg:
        rows.append(("PostgreSQL", measure("postgresql", pg, n, "FULL")))
    print(f"\nOne transition through advance() vs the raw floor, median of {n} each, one run:")
    print(f"{'database':32} {'advance µs':>11} {'floor µs':>10} {'ratio':>7}  target <= 1.3x")
    for name, r in rows:
        verdict = "ok" if r["ratio"] <= 1.3 else "OVER"
        print(
            f"{name:32} {r['advance_us']:11.0f} {r['floor_us']:10.0f} {r['ratio']:7.2f}  {verdict}"
        )


if __name__ == "__main__":
    main()
