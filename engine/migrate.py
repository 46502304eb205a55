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


def upgrade(url: str, revision: str = "head", *, app_role: str | None = None) -> None:
    """Migrate as the owner (``url``); on PostgreSQL then grant ``app_role`` what the app needs
    on every table, new ones included (engine/roles.py)."""
    command.upgrade(alembic_config(url), revision)
    if app_role and url.startswith("postgresql"):
        from sqlalchemy import create_engine

        from engine.roles import grant_app_role

        engine = create_engine(url)
        try:
            with engine.begin() as conn:
                grant_app_role(conn, app_role)
        finally:
            engine.dispose()


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


#: The one way past the append-only triggers: retention's deletions (engine/retention.py). On
#: PostgreSQL the owner sets this session setting (the app role has no DELETE privilege on the
#: logs at all, so setting it gains it nothing); on SQLite the connection says so through the
#: SQL function ``polku_may_delete()`` (engine/db.py registers it, 0 unless retention runs).
RETENTION_SETTING = "polku.retention"

APPEND_ONLY_FUNCTION = (  # a constant, no input
    """
CREATE OR REPLACE FUNCTION polku_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('polku.retention', true) = 'on'
       AND pg_has_role(current_user,
                       (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'USAGE') THEN
        RETURN OLD;  -- retention, run by the owner (engine/retention.py)
    END IF;
    RAISE EXCEPTION 'polku: % is append-only (% refused)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql
"""
)


def protect_append_only(op: object, table: str) -> None:
    """Make ``table`` append-only in the database itself: UPDATE and DELETE (and TRUNCATE on
    PostgreSQL) raise, except a DELETE by retention (see :data:`RETENTION_SETTING`).

    Used by migrations for the event, access and disclosure logs. On PostgreSQL a trigger
    function; on SQLite ``BEFORE UPDATE/DELETE`` triggers that ``RAISE(ABORT)``. The app's
    database role (engine/roles.py) gets only SELECT and INSERT on every table so protected.
    """
    bind = op.get_bind()  # type: ignore[attr-defined]
    if bind.dialect.name == "postgresql":
        op.execute(APPEND_ONLY_FUNCTION)  # type: ignore[attr-defined]
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
            when = " WHEN NOT polku_may_delete()" if action == "DELETE" else ""
            op.execute(  # type: ignore[attr-defined]
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}{when} "
                f"BEGIN SELECT RAISE(ABORT, 'polku: {table} is append-only ({action} refused)');"
                " END"
            )


def append_only_tables(bind: object) -> list[str]:
    """The tables :func:`protect_append_only` protects in this database (found by trigger)."""
    from sqlalchemy import text

    if bind.dialect.name == "postgresql":  # type: ignore[attr-defined]
        sql = (
            "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname = c.relname || '_append_only' ORDER BY 1"
        )
    else:
        sql = (
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND name = tbl_name || '_no_update' ORDER BY 1"
        )
    return [r[0] for r in bind.execute(text(sql))]  # type: ignore[attr-defined]


def drop_append_only(op: object, table: str) -> None:
    bind = op.get_bind()  # type: ignore[attr-defined]
    if bind.dialect.name == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")  # type: ignore[attr-defined]
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")  # type: ignore[attr-defined]
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")  # type: ignore[attr-defined]
