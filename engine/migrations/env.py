"""Alembic environment: the URL comes from the config (set by engine.migrate) or the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import engine.models  # noqa: F401  (registers the tables)
from engine.db import make_engine
from engine.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    return config.attributes.get("url") or get_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _pragma(connection: Connection, pragma: str) -> None:
    """Straight on the driver, outside any transaction (engine/db.py's begin event would wrap a
    statement run through SQLAlchemy in BEGIN, where SQLite ignores this PRAGMA)."""
    if connection.in_transaction():
        connection.commit()
    connection.connection.dbapi_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, DROP, rename); with foreign keys enforced the DROP of
        # a referenced table fails. SQLite ignores this PRAGMA inside a transaction, so it is set
        # before Alembic's, and the keys are checked as a whole afterwards.
        _pragma(connection, "foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite ALTER TABLE support
        compare_type=True,
    )
    try:
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(
                        f"migration left {len(broken)} broken foreign keys: "
                        f"{sorted({row[0] for row in broken})}"
                    )
    finally:
        if sqlite:
            _pragma(connection, "foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
