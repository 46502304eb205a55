"""Run Alembic migrations from code (``polku db upgrade``, tests, ``make run``)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from engine.settings import ROOT


def alembic_config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "engine" / "migrations"))
    config.attributes["url"] = url
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def protect_append_only(op: object, table: str) -> None:
    """Make ``table`` append-only in the database itself: UPDATE and DELETE (and TRUNCATE on
    PostgreSQL) raise.

    Used by migrations for the event, access and disclosure logs. On PostgreSQL a trigger
    function; on SQLite ``BEFORE UPDATE/DELETE`` triggers that ``RAISE(ABORT)``.
    """
    bind = op.get_bind()  # type: ignore[attr-defined]
    if bind.dialect.name == "postgresql":
        op.execute(  # type: ignore[attr-defined]
            """
            CREATE OR REPLACE FUNCTION polku_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'polku: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(  # type: ignore[attr-defined]
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION polku_append_only()"
        )
        op.execute(  # type: ignore[attr-defined]
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION polku_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(  # type: ignore[attr-defined]
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'polku: {table} is append-only ({action} refused)');"
                " END"
            )


def drop_append_only(op: object, table: str) -> None:
    bind = op.get_bind()  # type: ignore[attr-defined]
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")  # type: ignore[attr-defined]
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")  # type: ignore[attr-defined]
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")  # type: ignore[attr-defined]
