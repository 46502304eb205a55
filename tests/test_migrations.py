"""Meta-tests: the Alembic migrations and the SQLModel tables agree, and the chain goes down to
base and back up again, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import engine.models  # noqa: F401  (registers the tables)
from engine.migrate import downgrade, upgrade
from engine.testing import PG_ENV, backends, worker_suffix


@pytest.fixture(params=backends())
def scratch_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of its own (never the shared per-worker test database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    base = make_url(os.environ[PG_ENV])
    name = f"polku_migrations_{worker_suffix()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield base.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def schema_diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_models_and_migrations_agree(scratch_url: str) -> None:
    upgrade(scratch_url)
    assert schema_diff(scratch_url) == []
    assert tables(scratch_url) == set(SQLModel.metadata.tables)


def test_downgrade_to_base_and_up_again(scratch_url: str) -> None:
    upgrade(scratch_url)
    downgrade(scratch_url, "base")
    assert tables(scratch_url) == set()
    upgrade(scratch_url)
    assert schema_diff(scratch_url) == []


def test_downgrade_one_step_keeps_the_journey_tables(scratch_url: str) -> None:
    upgrade(scratch_url)
    downgrade(scratch_url, "0001")
    assert tables(scratch_url) == {"organisation", "app_user", "client", "journey", "journey_event"}
    upgrade(scratch_url)
    assert schema_diff(scratch_url) == []


def test_the_chains_are_computed_for_rows_already_there(scratch_url: str) -> None:
    """Rows written before the hash chains existed get linked by the migration, and verify."""
    from alembic.script import ScriptDirectory
    from sqlalchemy.orm import Session

    from engine.chain import GENESIS, verify_database
    from engine.migrate import alembic_config

    mine = ScriptDirectory.from_config(alembic_config(scratch_url)).get_revision("integrity_0001")
    assert mine is not None
    upgrade(scratch_url, str(mine.down_revision))  # just before the chains
    engine = create_engine(scratch_url)
    now = "2026-01-02 03:04:05+00:00"
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO organisation (id, name, kind, municipality_codes, created_at) "
                "VALUES (1, 'Hanke', 'project', '261', :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO app_user (id, username, display_name, role, organisation_id, "
                "is_active, created_at) VALUES (1, 'v', 'V', 'coach', 1, true, :now)"
            ),
            {"now": now},
        )
        for cid in (1, 2):
            conn.execute(
                text(
                    "INSERT INTO client (id, first_name, last_name, municipality_code, "
                    "created_at) VALUES (:c, 'Testi', 'Asiakas', '261', :now)"
                ),
                {"c": cid, "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO journey (id, client_id, pathway_key, pathway_version, state, "
                    "version, created_at, updated_at) VALUES (:c, :c, 'client_journey', 1, "
                    "'engaged', 2, :now, :now)"
                ),
                {"c": cid, "now": now},
            )
            for seq, (trigger, src, dest) in enumerate(
                [("start", None, "outreach"), ("engage", "outreach", "engaged")], start=1
            ):
                conn.execute(
                    text(
                        "INSERT INTO journey_event (journey_id, seq, occurred_at, trigger, "
                        "from_state, to_state, pathway_version, verdicts) VALUES "
                        "(:c, :seq, :now, :t, :s, :d, 1, '[]')"
                    ),
                    {"c": cid, "seq": seq, "now": now, "t": trigger, "s": src, "d": dest},
                )
            for what in ("journey", "client"):
                conn.execute(
                    text(
                        "INSERT INTO access_log (occurred_at, user_id, organisation_id, "
                        "client_id, what, basis) VALUES (:now, 1, 1, :c, :w, 'care_team')"
                    ),
                    {"now": now, "c": cid, "w": what},
                )
    engine.dispose()
    upgrade(scratch_url, mine.revision)  # (later ones, e.g. loop_0001, add events of their own)
    engine = create_engine(scratch_url)
    try:
        with Session(engine) as session:
            found = verify_database(session)  # type: ignore[arg-type]
            links = (
                session.execute(text("SELECT prev_hash FROM journey_event ORDER BY id"))
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert found.problems == []
    assert (found.rows, found.streams, found.journeys) == (8, 4, 2)
    assert [link == GENESIS for link in links] == [True, False, True, False]


#: The columns a transition UPDATEs (engine/driver.py, engine/journeys.py).
TRANSITION_COLUMNS = {
    "state",
    "version",
    "updated_at",
    "pathway_version",
    "event_hash",
    "furthest_stage",
}


def test_a_transition_changes_no_indexed_column_of_journey(scratch_url: str) -> None:
    """Issue 16: an UPDATE of an indexed column is never a HOT update on PostgreSQL, so every
    transition left a dead index entry and row version behind; and the table leaves room on its
    pages for the new version (fillfactor)."""
    upgrade(scratch_url)
    engine = create_engine(scratch_url)
    try:
        indexes = inspect(engine).get_indexes("journey")
        indexed = {column for index in indexes for column in index["column_names"] if column}
        assert indexes, "journey has its indexes"
        assert indexed & TRANSITION_COLUMNS == set(), indexed
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                options = conn.execute(
                    text("SELECT reloptions FROM pg_class WHERE relname = 'journey'")
                ).scalar_one()
            assert "fillfactor=80" in (options or [])
    finally:
        engine.dispose()
