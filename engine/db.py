"""Database access: engines, sessions and the SQLite/PostgreSQL specifics.

SQLite: WAL, ``busy_timeout``, foreign keys, and ``BEGIN IMMEDIATE`` for write transactions (a
deferred transaction that reads and then writes gets SQLITE_BUSY without waiting). pysqlite's own
transaction handling is switched off so that SQLAlchemy's ``begin`` event decides how to begin.
PostgreSQL: READ COMMITTED; the conditional UPDATE in :mod:`engine.journeys` is what makes a race
on one journey safe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session

WRITE_OPTION = "polku_write"
#: ``Connection.info`` key: this connection holds its engine's SQLite writer queue.
_QUEUED = "polku_queued"
#: How long an SQLite writer waits for the write lock (busy_timeout) before it fails.
BUSY_TIMEOUT_S = 30


def make_engine(
    url: str, *, pool_size: int = 20, sqlite_synchronous: str = "FULL", retention: bool = False
) -> Engine:
    """Create an Engine configured for Polku's write discipline.

    ``retention``: this engine may delete from the append-only logs (engine/retention.py only):
    on SQLite its connections answer ``polku_may_delete()`` with 1 (on PostgreSQL retention sets
    ``polku.retention`` in its own transactions, which only the owner role's DELETE can use)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_S},
            hide_parameters=True,  # bound values are client data: never in logs or errors
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        synchronous = sqlite_synchronous.upper()
        if synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"POLKU_SQLITE_SYNCHRONOUS: unknown value {sqlite_synchronous!r}")

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # SQLAlchemy's begin event emits BEGIN
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.close()
            may_delete = 1 if retention else 0
            dbapi_connection.create_function(
                "polku_may_delete", 0, lambda: may_delete, deterministic=True
            )

        # SQLite has one writer at a time, and a connection waiting in its busy handler sleeps
        # in steps of up to 100 ms, so a queue of writers hands the lock on slowly. The writers
        # of this process queue on this lock instead and are woken at once; only one per
        # process waits in SQLite. It is taken when the write transaction really begins (its
        # first statement, as BEGIN IMMEDIATE) and given back at its COMMIT or ROLLBACK, so a
        # write session opened but not yet used holds nothing (a test may open one and make a
        # user inside it). A plain lock, not an RLock: FastAPI enters and exits a request's
        # write session in different threads of its pool. Bounded: after the busy timeout a
        # writer goes on to SQLite's own waiting.
        writers = threading.Lock()

        def _leave_queue(conn: Connection) -> None:
            if conn.info.pop(_QUEUED, False):
                writers.release()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            write = conn.get_execution_options().get(WRITE_OPTION, False)
            if write and writers.acquire(timeout=BUSY_TIMEOUT_S):
                conn.info[_QUEUED] = True
            try:
                # straight on the driver: this runs once per transaction
                conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                    "BEGIN IMMEDIATE" if write else "BEGIN"
                )
            except BaseException:
                _leave_queue(conn)
                raise

        event.listen(engine, "commit", _leave_queue)
        event.listen(engine, "rollback", _leave_queue)

        return engine  # SQLite keeps the pool's default reset: an in-process ROLLBACK is cheap
    # No pool_pre_ping: it costs a round trip per checkout. A connection that died (server
    # restart) fails one request, SQLAlchemy invalidates the pool, and the next request reconnects.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        hide_parameters=True,  # bound values are client data: never in logs or errors
        # The pool's default reset sends a ROLLBACK round trip for every returned connection,
        # even an idle one (measured: 150-270 us per request on PostgreSQL here). Instead
        # _roll_back_if_open rolls back only a connection that comes back inside a transaction.
        pool_reset_on_return=None,
        # No JIT compilation: every statement here is short or a report over one project; on
        # the funder report at 100 000 participants LLVM compiling took 0.24 of the funnel's
        # 0.42 s and 0.3 s of the whole report (bench/esf.py), and OLTP pages gain nothing.
        connect_args={"options": "-c jit=off"},
    )
    event.listen(engine, "reset", _roll_back_if_open)
    return engine


def _roll_back_if_open(dbapi_connection: Any, _record: Any, _state: Any) -> None:
    """A connection returned to the pool never carries an open transaction to the next user
    (locks held, half-done writes): roll back when one is open, and only then."""
    if dbapi_connection.info.transaction_status != 0:  # psycopg's TransactionStatus.IDLE
        dbapi_connection.rollback()


class Database:
    """Hands out read and write sessions. One instance per process."""

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 20,
        sqlite_synchronous: str = "FULL",
        retention: bool = False,
    ):
        self.url = url
        self.engine = make_engine(
            url, pool_size=pool_size, sqlite_synchronous=sqlite_synchronous, retention=retention
        )
        self._write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        # One statement needs no transaction of its own: on PostgreSQL it runs in autocommit
        # (no BEGIN and COMMIT round trips; a single statement sees one snapshot anyway).
        self._once_engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql"
            else self.engine
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads (deferred BEGIN on SQLite). Commits at the end (access logs)."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def read_once(self) -> Iterator[Connection]:
        """A connection for one read-only statement (authentication): autocommit on PostgreSQL,
        a short read transaction on SQLite. Several statements through it are not one snapshot."""
        with self._once_engine.connect() as conn:
            yield conn
            if conn.in_transaction():
                conn.commit()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction: ``BEGIN IMMEDIATE`` on SQLite (after this process's queue of
        writers, :func:`make_engine`); committed on success."""
        with Session(self._write_engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """A write transaction on one Core connection, without an ORM session: the transition
        path's lighter way in (``Journeys.advance`` takes either). ``BEGIN IMMEDIATE`` on SQLite
        as :meth:`write`; committed on success; callbacks registered with :func:`after_commit`
        run after the COMMIT, never on rollback."""
        with self._write_engine.connect() as conn:
            conn.info.pop(_PENDING, None)  # info belongs to the pooled DBAPI connection
            try:
                with conn.begin():
                    yield conn
            except BaseException:
                conn.info.pop(_PENDING, None)
                raise
            callbacks = conn.info.pop(_PENDING, None)
        for callback in callbacks or ():
            callback()

    def dispose(self) -> None:
        self.engine.dispose()


def after_commit(session: Session | Connection, callback: Callable[[], None]) -> None:
    """Run ``callback`` once ``session``'s outermost transaction has committed; drop it if that
    transaction ends without committing. A rolled-back savepoint inside it changes nothing.
    A Core connection from :meth:`Database.write_connection` runs its callbacks after its
    COMMIT."""
    if isinstance(session, Connection):
        session.info.setdefault(_PENDING, []).append(callback)
        return
    pending: list[Callable[[], None]] = session.info.setdefault(_PENDING, [])
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True

        @event.listens_for(session, "after_commit")
        def _run(sess: Session) -> None:
            if sess.in_nested_transaction():  # a savepoint released: not committed yet
                return
            callbacks = sess.info.pop(_PENDING, [])
            for cb in callbacks:
                cb()

        @event.listens_for(session, "after_transaction_end")
        def _drop(sess: Session, transaction: SessionTransaction) -> None:
            if transaction.parent is None:  # the outermost one: committed callbacks already ran
                sess.info.pop(_PENDING, None)

    pending.append(callback)


def drop_after_commit(session: Session) -> None:
    """Forget the callbacks registered so far (the work they followed was rolled back to a
    savepoint that began before them)."""
    session.info.pop(_PENDING, None)


_PENDING = "polku_after_commit"
_LISTENING = "polku_after_commit_listening"
