"""Typed dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from engine import audit
from engine.db import drop_after_commit
from engine.errors import PolkuError
from engine.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _read_session(request: Request) -> Iterator[Session]:
    with get_runtime(request).db.read() as session:
        yield session


def _write_session(request: Request) -> Iterator[Session]:
    runtime = get_runtime(request)
    # A refused request (409/422) still logs the client view its answer shows. On SQLite, rather
    # than take a second transaction for that row (queue for the write lock again behind every
    # other writer), it rolls back to a savepoint and writes the row in this transaction. On
    # PostgreSQL the savepoint would cost two round trips on every request (SAVEPOINT, RELEASE)
    # for the rare refusal: there the whole transaction rolls back and the row gets a short
    # transaction of its own. Access-log rows are written at COMMIT
    # (audit.write_access_log_at_commit), so their stream heads are locked only that long.
    refusal: PolkuError | None = None
    try:
        with runtime.db.write() as session:
            audit.write_access_log_at_commit(session)
            savepoint = session.begin_nested() if runtime.db.dialect == "sqlite" else None
            try:
                yield session
            except PolkuError as exc:
                if savepoint is None:
                    raise
                savepoint.rollback()
                drop_after_commit(session)
                audit.drop_pending_accesses(session)
                view: audit.View | None = getattr(request.state, "client_view", None)
                if view is not None:
                    audit.record_view(session, view)
                    request.state.client_view_logged = True
                refusal = exc
            else:
                if savepoint is not None and savepoint.is_active:
                    savepoint.commit()
    except PolkuError:
        if refusal is None:  # PostgreSQL: rolled back whole; the view's row on its own
            seen: audit.View | None = getattr(request.state, "client_view", None)
            if seen is not None:
                with runtime.db.write() as session:
                    audit.record_view(session, seen)
                request.state.client_view_logged = True
        raise
    if refusal is not None:
        raise refusal


#: A read transaction for the request, committed before the response is sent (scope="function"),
#: so access-log rows persist and a failed commit is an error response, never a silent loss.
ReadSessionDep = Annotated[Session, Depends(_read_session, scope="function")]
#: A write transaction (``BEGIN IMMEDIATE`` on SQLite), committed when the route returns.
WriteSessionDep = Annotated[Session, Depends(_write_session, scope="function")]


async def _submitted_form(request: Request) -> FormData:
    """The submitted form, parsed on the event loop (no database work here); the route itself is
    a plain ``def`` that FastAPI runs in its thread pool."""
    return await request.form()


#: The request's form (URL-encoded or multipart), for page routes that read fields by name.
SubmittedForm = Annotated[FormData, Depends(_submitted_form)]
