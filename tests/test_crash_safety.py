"""Crash safety: the real server (uvicorn) takes transitions over HTTP, is killed with SIGKILL in
the middle of the load, and restarts; every transition it acknowledged (200) is in the event log
and ``polku db verify`` passes. On SQLite (synchronous=FULL, as in production) and PostgreSQL.
Bounded to about 30 seconds per database."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.chain import verify_database
from engine.models import JourneyEvent, Role
from engine.runtime import Runtime
from engine.settings import ROOT
from engine.testing import make_client, make_user

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("concurrency")]

WRITERS = 6
LOAD_SECONDS = 4.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(database_url: str, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "POLKU_DATABASE_URL": database_url,
        "POLKU_ENVIRONMENT": "test",
        "POLKU_SQLITE_SYNCHRONOUS": "FULL",
        "POLKU_PORT": str(port),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "web.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "the server did not start"
            assert time.monotonic() < deadline, "the server did not answer in 20 s"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def move(http: httpx.Client, journey_id: int, trigger: str) -> int | None:
    """Fire one move; return the acknowledged event's seq (None when not acknowledged)."""
    body: dict[str, str] = {"trigger": trigger}
    if trigger == "pause":
        body["reason"] = "Tauko sovittu"
    response = http.post(f"/api/journeys/{journey_id}/advance", json=body, timeout=10)
    if response.status_code != 200:
        return None
    seq: int = response.json()["event"]["seq"]
    return seq


def test_every_acknowledged_transition_survives_kill_9(runtime: Runtime) -> None:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    with runtime.db.write() as session:
        token, _row = runtime.auth.create_api_token(session, coach.id, "crash test")
    journeys = [make_client(runtime, care_team=(coach.id,))[1] for _ in range(WRITERS)]
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    acknowledged: set[tuple[int, int]] = set()
    lock = threading.Lock()
    url = runtime.settings.database_url

    def writer(journey_id: int) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            triggers = ["engage"] + ["pause", "resume"] * 10_000
            for trigger in triggers:
                try:
                    seq = move(http, journey_id, trigger)
                except httpx.HTTPError:
                    return  # the server is gone: this request was never acknowledged
                if seq is None:
                    return
                with lock:
                    acknowledged.add((journey_id, seq))

    started = time.monotonic()
    with server(url, port) as proc:
        threads = [threading.Thread(target=writer, args=(j,)) for j in journeys]
        for t in threads:
            t.start()
        time.sleep(LOAD_SECONDS)
        with lock:
            before_kill = len(acknowledged)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        for t in threads:
            t.join(timeout=15)
        assert not any(t.is_alive() for t in threads)
    assert before_kill > 20, "the load never got going"

    with server(url, port):  # restarts on the same database and serves again
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            state = http.get(f"/api/journeys/{journeys[0]}", timeout=10).json()["state"]
            after = move(http, journeys[0], "resume" if state == "paused" else "pause")
        assert after is not None
        acknowledged.add((journeys[0], after))

    with runtime.db.read() as session:
        stored = {
            (int(r[0]), int(r[1]))
            for r in session.execute(select(col(JourneyEvent.journey_id), col(JourneyEvent.seq)))
        }
        found = verify_database(session)
    lost = acknowledged - stored
    took = time.monotonic() - started
    print(
        f"{runtime.db.dialect}: {len(acknowledged)} acknowledged, {len(lost)} lost, "
        f"{found.rows} log rows verified, {took:.1f} s"
    )
    assert lost == set()
    assert found.problems == []
    assert took < 40
