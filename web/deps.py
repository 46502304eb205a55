"""Typed dependency aliases shared by the routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session
from starlette.datastructures import FormData

from engine.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _read_session(request: Request) -> Iterator[Session]:
    with get_runtime(request).db.read() as session:
        yield session


def _write_session(request: Request) -> Iterator[Session]:
    with get_runtime(request).db.write() as session:
        yield session


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
