"""Shared pieces of the tamper-evidence, backup and retention tests: the ``polku`` command line
on a test's database (app and owner URLs), tampering as the owner, and some log traffic."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner, Result

from engine.access import Basis, Principal, What
from engine.audit import record_access, record_accesses, record_disclosure
from engine.cli import app
from engine.models import OrganisationKind, Role
from engine.runtime import Runtime
from engine.settings import get_settings
from engine.testing import make_client, make_organisation, make_user, owner_url_of

runner = CliRunner()
Cli = Callable[..., Result]


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """``cli("db", "verify")``: run ``polku`` against this test's database (app and owner)."""
    monkeypatch.setenv("POLKU_DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_OWNER_DATABASE_URL", owner_url_of(database_url))
    monkeypatch.setenv("POLKU_ENVIRONMENT", "test")

    def run(*args: str, **env: str) -> Result:
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return runner.invoke(app, list(args))

    yield run
    get_settings.cache_clear()


def as_owner(database_url: str, *statements: str, params: dict[str, Any] | None = None) -> None:
    """Run ``statements`` in one transaction as the schema owner, with the append-only triggers
    of journey_event, access_log and disclosure out of the way (what a tamperer with the
    owner's password could do): disabled on PostgreSQL, dropped and re-created on SQLite."""
    url = owner_url_of(database_url)
    engine = create_engine(url)
    tables = ("journey_event", "access_log", "disclosure")
    try:
        with engine.begin() as conn:
            if url.startswith("postgresql"):
                for t in tables:
                    conn.execute(text(f"ALTER TABLE {t} DISABLE TRIGGER {t}_append_only"))
                for s in statements:
                    conn.execute(text(s), params or {})
                for t in tables:
                    conn.execute(text(f"ALTER TABLE {t} ENABLE TRIGGER {t}_append_only"))
            else:
                rows = conn.execute(
                    text(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND "
                        "tbl_name IN ('journey_event', 'access_log', 'disclosure')"
                    )
                ).all()
                for name, _sql in rows:
                    conn.execute(text(f"DROP TRIGGER {name}"))
                for s in statements:
                    conn.execute(text(s), params or {})
                for _name, sql in rows:
                    conn.execute(text(sql))
    finally:
        engine.dispose()


def log_traffic(runtime: Runtime, clients: int = 3, moves: bool = True) -> list[int]:
    """Clients with journeys moved a step, views (one by one and a listing) and disclosures."""
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    partner = make_organisation(runtime, OrganisationKind.partner)
    principal = Principal(coach.id, Role.coach, coach.organisation_id)
    ids = []
    for _ in range(clients):
        client_id, journey_id = make_client(runtime, care_team=(coach.id,))
        ids.append(client_id)
        if moves:
            with runtime.db.write() as session:
                runtime.journeys.advance(session, journey_id, "engage", actor_id=coach.id)
    now = runtime.clock.now()
    with runtime.db.write() as session:
        record_accesses(
            session,
            principal=principal,
            client_ids=ids,
            what=What.caseload,
            basis=Basis.care_team,
            at=now,
        )
        for cid in ids:
            record_access(
                session,
                principal=principal,
                client_id=cid,
                what=What.journey,
                basis=Basis.care_team,
                at=now,
            )
            record_disclosure(
                session,
                client_id=cid,
                recipient_organisation_id=partner,
                what="referral_packet",
                basis="consent",
                disclosed_by=coach.id,
                at=now,
            )
    return ids


def at(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def fresh_database(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Any
) -> Iterator[str]:
    """An empty database (not migrated) on the same backend, as the app would connect to it;
    its owner's URL is :func:`owner_url_of` of it."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    import os

    from sqlalchemy.engine import make_url

    from engine.testing import APP_ROLE, OWNER_ROLE, PG_ENV, drop_postgres_database, worker_suffix

    name = f"polku_restore_{worker_suffix()}"
    base = make_url(os.environ[PG_ENV])
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    finally:
        admin.dispose()
    yield base.set(database=name, username=APP_ROLE).render_as_string(hide_password=False)
    drop_postgres_database(name)
