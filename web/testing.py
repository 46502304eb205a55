"""Pytest fixtures of the web app, for Polku's tests and plugin packages' (``pytest11`` entry
point ``web.testing``, next to :mod:`engine.testing`, whose database and runtime they build on).

Fixtures: ``web_app`` (the FastAPI app on the test's runtime), ``api`` (an anonymous HTTP test
client), ``api_as`` (``api_as("coach")``: a client signed in as a new user of that role, sending
the CSRF token). Helpers: :class:`UserClient`, :func:`sign_in` (a session without the password
round trip), :func:`login` (the real login endpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from starlette.datastructures import State

from engine.models import Role, User
from engine.runtime import Runtime
from engine.testing import TEST_PASSWORD, make_user
from web.app import create_app
from web.security import CSRF_HEADER, session_cookie_name

#: The apps built in this process, by the settings :func:`web.app.create_app` reads when it
#: builds one (the rest it reads per request, through the runtime).
_APPS: dict[tuple[object, ...], FastAPI] = {}


def app_on(runtime: Runtime) -> FastAPI:
    """The web app on ``runtime``: built once per process and those settings, then handed each
    test's runtime with a fresh ``app.state`` (no throttle or cache of an earlier test). Building
    one checks every route's access rule, ~0.3 s of CPU, once per test before (issue 12). A test
    that adds routes builds its own with ``create_app``."""
    settings = runtime.settings
    key = (settings.environment, settings.max_body_bytes, settings.https)
    app = _APPS.get(key)
    if app is None:
        app = _APPS[key] = create_app(runtime=runtime)
    app.state = State()
    app.state.runtime = runtime
    return app


@pytest.fixture
def web_app(runtime: Runtime) -> FastAPI:
    """The web app on this test's runtime (:func:`app_on`)."""
    return app_on(runtime)


@pytest.fixture
def api(web_app: FastAPI) -> Iterator[TestClient]:
    """An anonymous Starlette TestClient for the web app on this test's runtime."""
    with TestClient(web_app) as client:
        yield client


class UserClient(TestClient):
    """A TestClient with a session of one user; sends that session's CSRF token every time."""

    user_id: int
    role: Role
    organisation_id: int | None
    csrf_token: str


@pytest.fixture
def api_as(runtime: Runtime, web_app: FastAPI) -> Iterator[Callable[..., UserClient]]:
    """``api_as("coach")``: a client signed in as a new user of that role (in the default test
    organisation of its kind), or ``api_as(user=some_user)`` as an existing one."""
    made: list[UserClient] = []

    def make(role: Role | str | None = None, *, user: User | None = None, **kw: Any) -> UserClient:
        if user is None:
            if role is None:
                raise TypeError("api_as needs a role or a user")
            user = make_user(runtime, role, **kw)
        http = UserClient(web_app)
        assert user.id is not None
        http.user_id, http.role, http.organisation_id = (
            user.id,
            Role(user.role),
            user.organisation_id,
        )
        http.csrf_token = sign_in(http, runtime, user.id)
        made.append(http)
        return http

    yield make
    for http in made:
        http.close()


def sign_in(http: TestClient, runtime: Runtime, user_id: int) -> str:
    """Give ``http`` a fresh session of ``user_id`` without the password round trip (fast); set
    its cookie and the ``X-CSRF-Token`` header. Returns the CSRF token."""
    with runtime.db.write() as session:
        token, csrf = runtime.auth.start_session(session, user_id)
    http.cookies.set(session_cookie_name(runtime.settings), token)
    http.headers[CSRF_HEADER] = csrf
    return csrf


def login(
    http: TestClient, username: str, password: str = TEST_PASSWORD, code: str | None = None
) -> Response:
    """Log in through ``POST /api/auth/login``; on success put the CSRF token on ``http``."""
    response: Response = http.post(
        "/api/auth/login", json={"username": username, "password": password, "totp_code": code}
    )
    if response.status_code == 200:
        http.headers[CSRF_HEADER] = response.json()["csrf_token"]
    return response
