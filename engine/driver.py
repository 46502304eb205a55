"""Run a prebuilt SQLAlchemy Core statement on the session's raw driver cursor.

For the few statements of the transition hot path only. SQLAlchemy still writes the SQL (compiled
once per dialect, with its own type processors for binds and results, so values are stored and
read exactly as the ORM stores and reads them); what is skipped is the per-execution machinery
(execution context, result wrapping), which costs more than the statement itself on SQLite and a
large share on PostgreSQL. Everything runs inside the session's own transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import Compiled
from sqlmodel import Session


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None
    binds: dict[str, Callable[[Any], Any]]
    results: tuple[Callable[[Any], Any] | None, ...]
    returning: bool
    #: The statement's own values (``col != ""``), processed once: a caller passes the others.
    fixed: dict[str, Any]


class DriverStatement:
    """A Core statement compiled once per dialect and executed on the DBAPI cursor."""

    def __init__(self, statement: Executable, *, column_keys: Sequence[str] | None = None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys is not None else None
        self._by_dialect: dict[tuple[str, str, str], _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver, dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:
            compiled: Compiled = self.statement.compile(  # type: ignore[attr-defined]
                dialect=dialect, column_keys=self.column_keys
            )
            binds = {}
            fixed = {}
            for name, bind in compiled.binds.items():  # type: ignore[attr-defined]
                processor = bind.type._cached_bind_processor(dialect)
                if processor is not None:
                    binds[name] = processor
                if not bind.required and bind.callable is None:
                    fixed[name] = processor(bind.value) if processor else bind.value
            results: tuple[Callable[[Any], Any] | None, ...] = ()
            result_columns = getattr(compiled, "_result_columns", None) or []
            results = tuple(
                col[3]._cached_result_processor(dialect, None) for col in result_columns
            )
            if getattr(compiled, "escaped_bind_names", None):
                raise ValueError("driver statements use plain bind names (no escaping needed)")
            if getattr(compiled, "post_compile_params", None) or getattr(
                compiled, "literal_execute_params", None
            ):
                # an expanding IN list is rendered per execution: the SQL would not be complete
                raise ValueError("driver statements take no expanding (IN) or literal parameters")
            positional = compiled.positiontup  # type: ignore[attr-defined]
            returning = bool(getattr(compiled, "effective_returning", None))
            found = _Compiled(
                compiled.string,
                tuple(positional) if positional else None,
                binds,
                results,
                returning,
                fixed,
            )
            self._by_dialect[key] = found
        return found

    def _run(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, _Compiled]:
        compiled = self._compile(conn.dialect)
        binds = compiled.binds
        values = {k: (binds[k](v) if k in binds else v) for k, v in params.items()}
        if compiled.fixed:
            values = {**compiled.fixed, **values}
        args: Any = (
            tuple(values[k] for k in compiled.positional)
            if compiled.positional is not None
            else values
        )
        cursor = conn.connection.cursor()
        if conn._has_events or conn.engine._has_events:
            # listeners of the engine see these statements too (the tests that count a request's
            # statements); one attribute check when nobody listens
            for listener in conn.dispatch.before_cursor_execute:
                listener(conn, cursor, compiled.sql, args, None, False)
        try:
            cursor.execute(compiled.sql, args)
        except conn.dialect.loaded_dbapi.Error as exc:
            cursor.close()
            # the same exception classes SQLAlchemy itself raises (IntegrityError, ...)
            raise DBAPIError.instance(
                compiled.sql,
                args,
                exc,
                conn.dialect.loaded_dbapi.Error,
                hide_parameters=True,  # the values are client data: never in an error text
                dialect=conn.dialect,
            ) from exc
        return cursor, compiled

    def rowcount(self, conn: Connection, params: Mapping[str, Any]) -> int:
        cursor, _ = self._run(conn, params)
        try:
            count: int = cursor.rowcount
        finally:
            cursor.close()
        return count

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        cursor, compiled = self._run(conn, params)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        if row is None:
            return None
        return tuple(
            p(v) if p is not None else v
            for p, v in zip(compiled.results or (None,) * len(row), row, strict=True)
        )

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        cursor, compiled = self._run(conn, params)
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        if not compiled.results:  # a text() statement: no result types to apply
            return [tuple(row) for row in rows]
        return [
            tuple(p(v) if p is not None else v for p, v in zip(compiled.results, row, strict=True))
            for row in rows
        ]

    def insert_id(self, conn: Connection, params: Mapping[str, Any]) -> int:
        """Run an INSERT; return the new primary key (RETURNING where the SQL has it)."""
        cursor, compiled = self._run(conn, params)
        try:
            return int(cursor.fetchone()[0]) if compiled.returning else int(cursor.lastrowid)
        finally:
            cursor.close()


def connection_of(session: Session | Connection) -> Connection:
    """The session's connection, looked up once per transaction (the lookup is not free); a
    Core connection (``Database.write_connection``) is used as it is.

    The hot path's statements bypass the ORM, so changes the caller made through the ORM in this
    transaction (a consent just recorded, say) are flushed first, or the rules would not see them.
    """
    if isinstance(session, Connection):
        return session
    if session.new or session.dirty or session.deleted:
        session.flush()
    conn: Connection | None = session.info.get("polku_connection")
    if conn is None or conn.closed or not conn.in_transaction():
        conn = session.connection()
        session.info["polku_connection"] = conn
    return conn
