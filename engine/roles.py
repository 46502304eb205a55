"""Least privilege on PostgreSQL: the owner role migrates, the app role only works.

Two database roles (docs/operations.md, "Database roles"):

- the **owner** (``POLKU_OWNER_DATABASE_URL``) owns the schema: ``polku db upgrade`` and
  ``polku retention run`` connect as it;
- the **app** role (``POLKU_DATABASE_URL``) is what the web app and every other command use. It
  owns nothing and is no superuser, so it cannot ``ALTER`` or ``DROP`` a table or trigger,
  ``DISABLE TRIGGER`` or ``SET session_replication_role``. It may only SELECT and INSERT on the
  append-only tables (the logs, ratings, facts, marks, tombstones: every table that
  :func:`engine.migrate.protect_append_only` protects), and SELECT, INSERT, UPDATE and DELETE on
  the others.

:func:`grant_app_role` runs after every ``polku db upgrade`` (the grants follow new tables);
:func:`ensure_roles` creates the two roles when missing (``polku db roles``, ``make run`` on
PostgreSQL, the test fixtures). On SQLite there are no roles: both URLs name the same file.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from engine.migrate import append_only_tables

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a plain role or database name: {name!r}")
    return f'"{name}"'


def role_of(url: str) -> str | None:
    """The role a PostgreSQL URL connects as (None on SQLite)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return None
    return parsed.username


def grant_app_role(connection: Connection, app_role: str) -> None:
    """Give ``app_role`` exactly what the app needs on every table of the public schema."""
    role = _ident(app_role)
    protected = set(append_only_tables(connection))
    tables = [
        r[0]
        for r in connection.execute(
            text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
        )
    ]
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {role}"))
    connection.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}"))
    for table in tables:
        if table in protected:
            rights = "SELECT, INSERT"
        elif table == "alembic_version":
            rights = "SELECT"
        else:
            rights = "SELECT, INSERT, UPDATE, DELETE"
        connection.execute(text(f'GRANT {rights} ON "{table}" TO {role}'))
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}"))


def ensure_roles(admin_url: str, *, owner: str, app: str, database: str | None = None) -> None:
    """Create the owner and app roles when missing (LOGIN, no superuser, no CREATEROLE), and the
    database owned by ``owner`` when ``database`` is given and missing. Idempotent; run as a
    superuser (``admin_url``). Passwords are the administrator's business (ALTER ROLE ...
    PASSWORD); local trust or peer authentication needs none."""
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for name in (owner, app):
                exists = conn.execute(
                    text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
                ).first()
                if exists is None:
                    try:
                        conn.execute(
                            text(
                                f"CREATE ROLE {_ident(name)} LOGIN NOSUPERUSER NOCREATEDB "
                                "NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                            )
                        )
                    except DBAPIError as exc:  # created meanwhile by a parallel run
                        if "already exists" not in str(exc):
                            raise
            if database is not None:
                found = conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}
                ).first()
                if found is None:
                    conn.execute(text(f"CREATE DATABASE {_ident(database)} OWNER {_ident(owner)}"))
    finally:
        engine.dispose()
