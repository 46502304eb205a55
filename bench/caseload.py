"""The caseload page (``GET /clients``) with 1 000 and with 100 000 clients in the database.

The coach's own caseload is the same size in both (``POLKU_BENCH_CASELOAD``, default 200 clients,
each with a client journey and two contacts); the other clients belong to other coaches' care
teams. A page is rendered through the whole app (authentication, access-log rows, the one
caseload SELECT and its COUNT, the template), interleaved between the two databases in one run;
the ratio of medians is printed. Target: at most 1.5x -- a page costs what the caseload costs,
not what the database holds.

Environment: POLKU_BENCH_CLIENTS (default 100000), POLKU_BENCH_PAGES (renders per side, 60).
SQLite only: the point is the query plan, and it takes a few seconds to fill.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import insert

from engine.migrate import upgrade
from engine.models import CareTeam, Client, ContactEntry, Journey, Organisation, Role
from engine.runtime import Runtime
from engine.settings import Environment, Settings
from web.app import create_app
from web.security import session_cookie_name

BATCH = 5000


def fill(runtime: Runtime, clients: int, caseload: int) -> int:
    """``clients`` clients, the first ``caseload`` in the benchmark coach's care team; returns
    the coach's user id. Plain bulk INSERTs: filling is not what is measured."""
    now = datetime.now(UTC)
    today = now.date()
    with runtime.db.write() as session:
        organisation = Organisation(name="Bench", kind="project", municipality_codes="261")
        session.add(organisation)
        session.flush()
        coaches = []
        for i in range(50):
            user, _ = runtime.auth.create_user(
                session,
                username=f"bench{i}",
                display_name=f"Bench Coach {i}",
                role=Role.coach,
                organisation_id=organisation.id,
                password=None,
                totp=True,
            )
            coaches.append(user.id)
    client_t = Client.__table__  # type: ignore[attr-defined]
    journey_t = Journey.__table__  # type: ignore[attr-defined]
    team_t = CareTeam.__table__  # type: ignore[attr-defined]
    contact_t = ContactEntry.__table__  # type: ignore[attr-defined]
    states = ("outreach", "engaged", "assessment", "goal_setting", "individual_work", "paused")
    for start in range(0, clients, BATCH):
        ids = range(start + 1, min(clients, start + BATCH) + 1)
        with runtime.db.write() as session:
            session.execute(
                insert(client_t),
                [
                    {
                        "id": i,
                        "first_name": f"Etu{i % 977}",
                        "last_name": f"Suku{(i * 7919) % 100_003:06d}",
                        "birth_date": date(1990, 1, 1),
                        "municipality_code": "261",
                        "created_at": now,
                        "organisation_id": organisation.id,
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(journey_t),
                [
                    {
                        "client_id": i,
                        "pathway_key": "client_journey",
                        "pathway_version": 1,
                        "state": states[i % len(states)],
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(team_t),
                [
                    {
                        "client_id": i,
                        "user_id": coaches[0] if i <= caseload else coaches[1 + i % 49],
                        "valid_from": today - timedelta(days=30),
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            session.execute(
                insert(contact_t),
                [
                    {
                        "client_id": i,
                        "coach_id": coaches[0],
                        "occurred_at": now - timedelta(days=(i * k) % 40),
                        "kind": "phone",
                        "note": "",
                        "next_contact_on": today + timedelta(days=(i % 9) - 4),
                        "recorded_at": now,
                    }
                    for i in ids
                    for k in (1, 3)
                ],
            )
    coach_id = coaches[0]
    assert coach_id is not None
    return coach_id


def app_for(path: Path, clients: int, caseload: int) -> tuple[Runtime, TestClient]:
    url = f"sqlite:///{path}"
    upgrade(url)
    settings = Settings(
        database_url=url, environment=Environment.production, sqlite_synchronous="NORMAL"
    )
    runtime = Runtime(settings)
    coach_id = fill(runtime, clients, caseload)
    with runtime.db.write() as session:
        token, _csrf = runtime.auth.start_session(session, coach_id)
    http = TestClient(create_app(runtime=runtime))
    http.cookies.set(session_cookie_name(settings), token)
    return runtime, http


def main() -> None:
    big = int(os.environ.get("POLKU_BENCH_CLIENTS", "100000"))
    caseload = int(os.environ.get("POLKU_BENCH_CASELOAD", "200"))
    pages = int(os.environ.get("POLKU_BENCH_PAGES", "60"))
    urls = ("/clients", "/clients?page=3", "/clients?q=suku0&show=follow_up_due")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        sides = {n: app_for(Path(tmp) / f"caseload-{n}.db", n, caseload) for n in (1000, big)}
        print(f"filled in {time.perf_counter() - t0:.1f} s")
        samples: dict[int, list[float]] = {n: [] for n in sides}
        for _runtime, http in sides.values():  # warm up
            for url in urls:
                assert http.get(url).status_code == 200
        for round_ in range(pages):
            for n in sides if round_ % 2 else reversed(sides):
                http = sides[n][1]
                url = urls[round_ % len(urls)]
                start = time.perf_counter()
                response = http.get(url)
                samples[n].append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
        for runtime, http in sides.values():
            http.close()
            runtime.close()
    small_ms = statistics.median(samples[1000]) * 1e3
    big_ms = statistics.median(samples[big]) * 1e3
    ratio = big_ms / small_ms
    print(
        f"\nCaseload page (GET /clients, {caseload} clients in the coach's care team), "
        f"median of {pages} renders each, one run (SQLite):"
    )
    print(f"{'clients in the database':>26} {'ms per page':>12}")
    print(f"{1000:>26,} {small_ms:12.1f}")
    print(f"{big:>26,} {big_ms:12.1f}")
    print(f"ratio {ratio:.2f}  target <= 1.5x: {'ok' if ratio <= 1.5 else 'OVER'}")


if __name__ == "__main__":
    main()
