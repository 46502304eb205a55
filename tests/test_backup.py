"""Backup and restore drill: ``polku backup`` while writers keep writing, ``polku restore`` into
a fresh database, and the restored copy verifies and matches the copy's own counts and chain
heads; a copy that does not verify is refused. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import Session

from engine.access import Basis, Principal, What
from engine.audit import record_access
from engine.backup import Manifest, manifest_path, take_manifest
from engine.chain import verify_database
from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user, owner_url_of
from tests import integrity_kit
from tests.integrity_kit import Cli, as_owner, log_traffic

cli = integrity_kit.cli  # fixtures
fresh_database = integrity_kit.fresh_database


def state_of(url: str) -> tuple[Manifest, list[str], int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            manifest = take_manifest(conn)
            with Session(bind=conn) as session:
                found = verify_database(session)
    finally:
        engine.dispose()
    return manifest, found.problems, found.rows


def test_backup_during_load_restores_into_a_fresh_database(
    runtime: Runtime, cli: Cli, fresh_database: str, tmp_path: Path
) -> None:
    log_traffic(runtime, clients=3)
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    principal = Principal(coach.id, Role.coach, coach.organisation_id)
    stop = threading.Event()
    written = [0]
    errors: list[BaseException] = []

    def load() -> None:
        try:
            while not stop.is_set():
                client_id, journey_id = make_client(runtime, care_team=(principal.user_id,))
                with runtime.db.write() as session:
                    runtime.journeys.advance(session, journey_id, "engage", actor_id=coach.id)
                    record_access(
                        session,
                        principal=principal,
                        client_id=client_id,
                        what=What.journey,
                        basis=Basis.care_team,
                        at=runtime.clock.now(),
                    )
                written[0] += 1
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=load)
    writer.start()
    try:
        while written[0] < 5:
            time.sleep(0.01)
        copy = tmp_path / "copy" / "polku.backup"
        started = time.perf_counter()
        result = cli("backup", str(copy))
        took = time.perf_counter() - started
        while written[0] < 10:  # the app went on writing after the copy
            time.sleep(0.01)
    finally:
        stop.set()
        writer.join(timeout=60)
    assert errors == []
    assert result.exit_code == 0, result.output
    expected = Manifest.read(manifest_path(copy))
    assert expected.rows_verified
    assert expected.rows_verified > 0
    print(f"backup of {sum(expected.tables.values())} rows during load took {took:.2f} s")

    restored = cli(
        "restore",
        str(copy),
        POLKU_DATABASE_URL=fresh_database,
        POLKU_OWNER_DATABASE_URL=owner_url_of(fresh_database),
    )
    assert restored.exit_code == 0, restored.output
    manifest, problems, rows = state_of(fresh_database)  # as the app connects to it
    assert problems == []
    assert manifest.tables == expected.tables
    assert manifest.heads == expected.heads
    assert rows == expected.rows_verified
    live, live_problems, _ = state_of(runtime.settings.database_url)
    assert live_problems == []
    assert live.tables["journey_event"] > manifest.tables["journey_event"]  # a snapshot, not now
    verified = cli(
        "db",
        "verify",
        POLKU_DATABASE_URL=fresh_database,
        POLKU_OWNER_DATABASE_URL=owner_url_of(fresh_database),
    )
    assert verified.exit_code == 0, verified.output


def test_restore_refuses_a_copy_that_does_not_verify(
    runtime: Runtime, database_url: str, cli: Cli, fresh_database: str, tmp_path: Path
) -> None:
    log_traffic(runtime, clients=2)
    copy = tmp_path / "polku.backup"
    as_owner(database_url, "UPDATE access_log SET what = 'client_log' WHERE id = 1")
    result = cli("backup", str(copy))
    assert result.exit_code == 1  # copied, but it says the copy does not verify
    assert "does not verify" in result.output
    assert copy.exists()
    refused = cli(
        "restore",
        str(copy),
        POLKU_DATABASE_URL=fresh_database,
        POLKU_OWNER_DATABASE_URL=owner_url_of(fresh_database),
    )
    assert refused.exit_code == 1
    assert "restore refused" in refused.output
    assert "access_log row 3 (client 1)" in refused.output  # the next row of client 1
    engine = create_engine(owner_url_of(fresh_database))
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                    if conn.dialect.name == "postgresql"
                    else "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    assert tables == 0  # nothing of the refused copy is left


def test_restore_refuses_a_copy_changed_after_the_backup(
    runtime: Runtime, cli: Cli, fresh_database: str, tmp_path: Path
) -> None:
    """Someone edits the copy file itself (SQLite): the restore notices."""
    log_traffic(runtime, clients=2)
    copy = tmp_path / "polku.backup"
    assert cli("backup", str(copy)).exit_code == 0
    if runtime.db.dialect == "sqlite":
        as_owner(f"sqlite:///{copy}", "UPDATE journey_event SET reason = 'x' WHERE id = 1")
        expected = "journey_event row 2"
    else:
        copy.write_bytes(copy.read_bytes()[:-200])  # a truncated dump
        expected = ""
    refused = cli(
        "restore",
        str(copy),
        POLKU_DATABASE_URL=fresh_database,
        POLKU_OWNER_DATABASE_URL=owner_url_of(fresh_database),
    )
    assert refused.exit_code != 0
    assert expected in refused.output
