"""The request path over HTTP (issue 16): the real server against a bare FastAPI app, one run.

Starts Polku with ``POLKU_BENCH_WORKERS`` (2) uvicorn workers on PostgreSQL and a bare FastAPI
"hello" JSON app on another port with the same uvicorn options, then drives both with ``wrk``
(Debian's package; a small thread-pool load generator in Python when wrk is missing) at
``POLKU_BENCH_CONNECTIONS`` (32) connections, in interleaved rounds of
``POLKU_BENCH_SECONDS`` (5) seconds, ``POLKU_BENCH_ROUNDS`` (2) rounds. It reports throughput,
p50/p95/p99 and the share of the bare app's throughput for:

- advance: ``POST /api/journeys/{id}/advance`` with an API token, pause and resume round-robin
  over the demo coach's journeys (each wrk thread owns its own journeys, so requests race each
  other only when one is so slow that its journey comes round again before it is answered:
  the "errors" column counts those 409s with every other non-2xx answer);
- the caseload page ``GET /clients``, the client page ``GET /clients/{id}`` and the partner
  inbox ``GET /partner/referrals``, with a session cookie.

Then it prints where the time of one advance goes, per part, measured in-process through the
whole app (authentication, policy, access log, engine, commit, the rest: routing, validation,
serialisation), as exclusive times of wrapped functions.

The database is ``polku_bench_http_<hash of the checkout's path>`` (or
``POLKU_BENCH_HTTP_DATABASE``) on the server of ``POLKU_BENCH_DATABASE_URL`` (default: the
local test server), dropped and filled with the demo data (``POLKU_BENCH_CLIENTS``, 200 clients
in the demo coach's caseload).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import col

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"

WRK_SCRIPT = r"""
-- Each wrk thread gets its own Lua state: ``setup`` hands every thread its id, so a thread
-- cycles over its own share of the paths and two requests never race one journey.
local counter = 1
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local paths = {}
local bodies = {}
local i = 0
function init(args)
  local all = {}
  for line in io.lines(args[1]) do table.insert(all, line) end
  local nthreads = tonumber(args[2])
  for k, line in ipairs(all) do
    if (k - 1) % nthreads == tid - 1 then table.insert(paths, line) end
  end
  if #paths == 0 then paths = all end
  method = args[3]
end

local cycle = 0
function request()
  i = i + 1
  if i > #paths then i = 1; cycle = cycle + 1 end
  if method == "POST" then
    local trigger = (cycle % 2 == 0) and "pause" or "resume"
    local body = '{"trigger":"' .. trigger .. '","reason":"bench"}'
    -- a headers table given to wrk.format replaces the -H headers: copy them in
    local headers = {["Content-Type"] = "application/json"}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", paths[i], headers, body)
  end
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "bad": %d, "p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration,
    summary.errors.status + summary.errors.connect + summary.errors.read
      + summary.errors.write + summary.errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""

BARE_APP = """
from fastapi import FastAPI

app = FastAPI()


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}
"""


@dataclass
class Load:
    name: str
    port: int
    paths: list[str]
    method: str = "GET"
    headers: dict[str, str] | None = None


@dataclass
class Result:
    requests: int
    seconds: float
    bad: int
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_name() -> str:
    """``POLKU_BENCH_HTTP_DATABASE``, else ``polku_bench_http_`` and a hash of this checkout's
    path: two checkouts benching on one server never drop each other's database mid-run."""
    default = "polku_bench_http_" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
    return os.environ.get("POLKU_BENCH_HTTP_DATABASE", default)


def fresh_database(base: str) -> str:
    url = make_url(base)
    name = database_name()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def fill(url: str, clients: int) -> dict[str, Any]:
    """Migrate, load the demo data, pick the journeys to pause and resume; sessions and a token."""
    from engine.demo import DEMO_LOGINS, load_demo
    from engine.migrate import upgrade
    from engine.models import CareTeam, Journey, Referral
    from engine.runtime import Runtime
    from engine.settings import Environment, Settings
    from web.security import CSRF_HEADER, session_cookie_name

    upgrade(url)
    settings = Settings(database_url=url, environment=Environment.demo)
    runtime = Runtime(settings)
    load_demo(runtime, clients=clients)
    # statistics, as a database in use has them (autovacuum's ANALYZE): without them the planner
    # guesses, and a fresh database's pages measure its guesses
    with runtime.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    users = {login.username: login for login in DEMO_LOGINS}
    with runtime.db.read() as session:
        from engine.models import User

        ids = {
            u.username: u.id
            for u in session.execute(
                select(User).where(col(User.username).in_(list(users)))
            ).scalars()
        }
    coach_id = ids[DEMO_LOGINS[0].username]
    partner_id = next(i for name, i in ids.items() if "kumppani" in name or "partner" in name)
    movable: list[int] = []
    with runtime.db.read() as session:
        journeys = list(
            session.execute(
                select(col(Journey.id))
                .join(CareTeam, col(CareTeam.client_id) == col(Journey.client_id))
                .where(
                    col(CareTeam.user_id) == coach_id,
                    col(Journey.pathway_key) == "client_journey",
                )
            ).scalars()
        )
        clients_of_coach = sorted(
            {
                int(c)
                for c in session.execute(
                    select(col(CareTeam.client_id)).where(col(CareTeam.user_id) == coach_id)
                ).scalars()
            }
        )
        referrals = session.execute(select(col(Referral.id))).scalars().all()
    for journey_id in journeys:  # the journeys where pause and resume both work now
        try:
            with runtime.db.write() as session:
                runtime.journeys.advance(
                    session, journey_id, "pause", actor_id=coach_id, reason="bench"
                )
            with runtime.db.write() as session:
                runtime.journeys.advance(session, journey_id, "resume", actor_id=coach_id)
            movable.append(journey_id)
        except Exception:
            continue
    with runtime.db.write() as session:
        coach_session, coach_csrf = runtime.auth.start_session(session, coach_id)
        partner_session, _ = runtime.auth.start_session(session, partner_id)
        token, _row = runtime.auth.create_api_token(session, coach_id, "bench")
    cookie = session_cookie_name(settings)
    runtime.close()
    return {
        "movable": movable,
        "clients": clients_of_coach,
        "referrals": len(referrals),
        "coach_cookie": f"{cookie}={coach_session}",
        "coach_csrf": (CSRF_HEADER, coach_csrf),
        "partner_cookie": f"{cookie}={partner_session}",
        "token": token,
        "coach_id": coach_id,
    }


@contextlib.contextmanager
def server(app: str, port: int, workers: int, env: dict[str, str], cwd: Path) -> Iterator[None]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    if app.endswith("create_app"):
        command.append("--factory")
    process = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **env}, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                    break
            except urllib.error.HTTPError:
                break  # it answers
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError(f"{app} did not start on port {port}")
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_wrk(load: Load, seconds: int, connections: int, workdir: Path) -> Result:
    paths = workdir / f"{load.name}.paths"
    paths.write_text("\n".join(load.paths) + "\n")
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    threads = 2
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for name, value in (load.headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command += [f"http://127.0.0.1:{load.port}", "--", str(paths), str(threads), load.method]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    data = json.loads(line.removeprefix("RESULT "))
    return Result(
        data["requests"],
        data["duration_us"] / 1e6,
        data["bad"],
        data["p50"] / 1e3,
        data["p95"] / 1e3,
        data["p99"] / 1e3,
    )


def run_python_load(load: Load, seconds: int, connections: int) -> Result:
    """The fallback load generator: ``connections`` threads with keep-alive connections."""
    import http.client

    latencies: list[float] = []
    bad = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(index: int) -> None:
        nonlocal bad
        mine = load.paths[index::connections] or load.paths
        conn = http.client.HTTPConnection("127.0.0.1", load.port, timeout=10)
        n = 0
        local: list[float] = []
        local_bad = 0
        while time.monotonic() < stop:
            path = mine[n % len(mine)]
            trigger = "pause" if (n // len(mine)) % 2 == 0 else "resume"
            n += 1
            body = (
                json.dumps({"trigger": trigger, "reason": "bench"})
                if load.method == "POST"
                else None
            )
            headers = dict(load.headers or {})
            if body:
                headers["Content-Type"] = "application/json"
            start = time.perf_counter()
            conn.request(load.method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            local.append(time.perf_counter() - start)
            if response.status >= 400:
                local_bad += 1
        with lock:
            latencies.extend(local)
            bad += local_bad

    begin = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    q = statistics.quantiles(latencies, n=100)
    return Result(len(latencies), elapsed, bad, q[49] * 1e3, q[94] * 1e3, q[98] * 1e3)


def settle(url: str, journeys: list[int]) -> None:
    """Resume every journey a load left paused, so the next load starts with pause."""
    from engine.errors import Conflict, InvalidTransition
    from engine.models import Journey
    from engine.runtime import Runtime
    from engine.settings import Environment, Settings

    time.sleep(1)  # wrk stops; the server may still be answering its last requests
    runtime = Runtime(Settings(database_url=url, environment=Environment.demo))
    with runtime.db.read() as session:
        paused = list(
            session.execute(
                select(col(Journey.id)).where(
                    col(Journey.id).in_(journeys), col(Journey.state) == "paused"
                )
            ).scalars()
        )
    for journey_id in paused:
        with contextlib.suppress(Conflict, InvalidTransition), runtime.db.write() as session:
            runtime.journeys.advance(session, journey_id, "resume", actor_id=None)
    runtime.close()


def breakdown(url: str, fixture: dict[str, Any], rounds: int = 300) -> dict[str, float]:
    """Exclusive time per part of one advance request, through the whole app in-process."""
    import sqlalchemy.orm
    from fastapi.testclient import TestClient

    import engine.access
    import engine.audit
    import engine.auth
    import engine.journeys
    from engine.runtime import Runtime
    from engine.settings import Environment, Settings
    from web.app import create_app

    totals: dict[str, float] = defaultdict(float)
    stack: list[list[float]] = []

    def timed(part: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            stack.append([0.0])
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                inner = stack.pop()[0]
                totals[part] += spent - inner
                if stack:
                    stack[-1][0] += spent

        return wrapper

    patches = [
        (engine.auth.Auth, "authenticate_token", "authentication"),
        (engine.access, "client_of_journey", "policy"),
        (engine.auth.Auth, "authenticate_session", "authentication"),
        (engine.access, "authorise_client", "policy"),
        (engine.access, "authorise_journey", "policy"),
        (engine.audit, "record_view", "access log"),
        (engine.audit, "write_pending_accesses", "access log"),
        (engine.journeys.Journeys, "advance", "engine"),
        (sqlalchemy.orm.Session, "commit", "commit"),
    ]
    originals = []
    for owner, name, part in patches:
        original = getattr(owner, name)
        originals.append((owner, name, original))
        setattr(owner, name, timed(part, original))
    settle(url, fixture["movable"])
    runtime = Runtime(Settings(database_url=url, environment=Environment.demo))
    app = create_app(runtime=runtime)
    journeys = fixture["movable"]
    try:
        with TestClient(app) as http:
            http.headers["Authorization"] = f"Bearer {fixture['token']}"
            whole = 0.0
            for n in range(rounds):
                journey = journeys[n % len(journeys)]
                trigger = "pause" if (n // len(journeys)) % 2 == 0 else "resume"
                start = time.perf_counter()
                response = http.post(
                    f"/api/journeys/{journey}/advance",
                    json={"trigger": trigger, "reason": "bench"},
                )
                whole += time.perf_counter() - start
                assert response.status_code == 200, response.text[:200]
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
        runtime.close()
    parts = {part: seconds / rounds * 1e3 for part, seconds in totals.items()}
    client = bare_request_ms(rounds)
    parts["the test client itself (a bare app's request)"] = client
    parts["the rest (routing, validation, serialisation)"] = whole / rounds * 1e3 - sum(
        parts.values()
    )
    parts["whole request"] = whole / rounds * 1e3
    return parts


def bare_request_ms(rounds: int) -> float:
    """What a request costs through TestClient (httpx, the ASGI round trip, a thread hop) on a
    bare FastAPI app: the client's share of the in-process figures, not the server's."""
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    bare = FastAPI()

    @bare.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "world"}

    with TestClient(bare) as http:
        for _ in range(20):
            http.get("/hello")
        start = time.perf_counter()
        for _ in range(rounds):
            http.get("/hello")
        return (time.perf_counter() - start) / rounds * 1e3


def print_journey_updates(url: str) -> None:
    """How many of the load's journey UPDATEs were HOT, and the dead row versions left."""
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
        row = conn.execute(
            text(
                "SELECT n_tup_upd, n_tup_hot_upd, n_dead_tup, n_live_tup "
                "FROM pg_stat_user_tables WHERE relname = 'journey'"
            )
        ).one()
    engine.dispose()
    updates, hot, dead, live = row
    share = hot / updates if updates else 0.0
    print(
        f"\njourney table after the load: {updates} updates, {hot} HOT ({share:.0%}), "
        f"{dead} dead row versions, {live} live rows"
    )


def _rps(rs: list[Result]) -> float:
    return sum(r.requests for r in rs) / sum(r.seconds for r in rs)


def main() -> None:
    base = os.environ.get("POLKU_BENCH_DATABASE_URL", DEFAULT_URL)
    workers = int(os.environ.get("POLKU_BENCH_WORKERS", "2"))
    connections = int(os.environ.get("POLKU_BENCH_CONNECTIONS", "32"))
    seconds = int(os.environ.get("POLKU_BENCH_SECONDS", "5"))
    rounds = int(os.environ.get("POLKU_BENCH_ROUNDS", "2"))
    clients = int(os.environ.get("POLKU_BENCH_CLIENTS", "200"))
    url = fresh_database(base)
    t0 = time.perf_counter()
    fixture = fill(url, clients)
    print(
        f"filled in {time.perf_counter() - t0:.1f} s: {len(fixture['clients'])} clients in the "
        f"coach's caseload, {len(fixture['movable'])} journeys to pause and resume"
    )
    polku_port, bare_port, floor_port = free_port(), free_port(), free_port()
    csrf_name, csrf_value = fixture["coach_csrf"]
    coach = {"Cookie": fixture["coach_cookie"]}
    loads = [
        Load("bare", bare_port, ["/hello"]),
        Load(
            "advance",
            polku_port,
            [f"/api/journeys/{j}/advance" for j in fixture["movable"]],
            "POST",
            {"Authorization": f"Bearer {fixture['token']}"},
        ),
        Load(
            "floor advance",
            floor_port,
            [f"/floor/journeys/{j}/advance" for j in fixture["movable"]],
            "POST",
            {"Authorization": f"Bearer {fixture['token']}"},
        ),
        Load("caseload", polku_port, ["/clients"], headers=coach),
        Load("floor caseload", floor_port, ["/floor/clients"], headers=coach),
        Load(
            "client page",
            polku_port,
            [f"/clients/{c}" for c in fixture["clients"]],
            headers=coach,
        ),
        Load(
            "partner inbox",
            polku_port,
            ["/partner/referrals"],
            headers={"Cookie": fixture["partner_cookie"]},
        ),
    ]
    del csrf_name, csrf_value  # token auth needs no CSRF header; the pages are GETs
    env = {"POLKU_DATABASE_URL": url, "POLKU_ENVIRONMENT": "demo", "POLKU_PORT": str(polku_port)}
    floor_env = {
        "FLOOR_DATABASE_URL": make_url(url).set(drivername="postgresql").render_as_string(False),
        "FLOOR_COACH_ID": str(fixture["coach_id"]),
    }
    wrk = shutil.which("wrk")
    results: dict[str, list[Result]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        bare_dir = Path(tmp) / "bare"
        bare_dir.mkdir()
        (bare_dir / "bare_app.py").write_text(BARE_APP)
        with (
            server("web.app:create_app", polku_port, workers, env, ROOT),
            server("bare_app:app", bare_port, workers, {}, bare_dir),
            server("bench.floor_app:app", floor_port, workers, floor_env, ROOT),
        ):
            for load in loads:  # warm up every worker
                if wrk:
                    run_wrk(load, 1, connections, Path(tmp))
                else:
                    run_python_load(load, 1, connections)
                if load.method == "POST":
                    settle(url, fixture["movable"])
            for round_ in range(rounds):
                order = loads if round_ % 2 == 0 else list(reversed(loads))
                for load in order:
                    if wrk:
                        result = run_wrk(load, seconds, connections, Path(tmp))
                    else:
                        result = run_python_load(load, seconds, connections)
                    results[load.name].append(result)
                    if load.method == "POST":
                        settle(url, fixture["movable"])
    bare_rps = _rps(results["bare"])
    print(
        f"\nHTTP, {workers} uvicorn workers on PostgreSQL, {connections} connections, "
        f"{rounds} interleaved rounds of {seconds} s, one run ({'wrk' if wrk else 'python load'}):"
    )
    print(
        f"{'endpoint':<15} {'req/s':>9} {'of bare':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7}"
    )
    targets = {"advance": (0.15, 100.0), "caseload": (0.08, 150.0)}
    for load in loads:
        rs = results[load.name]
        rps = _rps(rs)
        p95 = max(r.p95_ms for r in rs)
        line = (
            f"{load.name:<15} {rps:9.0f} {rps / bare_rps:8.1%} "
            f"{statistics.median(r.p50_ms for r in rs):8.1f} {p95:8.1f} "
            f"{max(r.p99_ms for r in rs):8.1f} {sum(r.bad for r in rs):7d}"
        )
        if load.name in targets:
            share, p95_target = targets[load.name]
            ok = rps / bare_rps >= share and p95 <= p95_target
            line += f"   target >= {share:.0%} of bare, p95 <= {p95_target:.0f} ms: "
            line += "ok" if ok else "NOT MET"
        print(line)
    floors = {"advance": "floor advance", "caseload": "floor caseload"}
    print("\nPolku against its floor (the same SQL from a bare FastAPI route, bench/floor_app.py):")
    for name, floor in floors.items():
        polku_rps = _rps(results[name])
        floor_rps = _rps(results[floor])
        print(
            f"  {name:<10} {polku_rps:7.0f} req/s against {floor_rps:7.0f}: "
            f"{polku_rps / floor_rps:6.1%} of the floor; "
            f"the floor is {floor_rps / bare_rps:6.1%} of bare"
        )
    print_journey_updates(url)
    print("\nOne advance request in-process (TestClient, token auth), ms per request:")
    for part, ms in breakdown(url, fixture).items():
        print(f"  {part:<55} {ms:7.3f}")


if __name__ == "__main__":
    main()
