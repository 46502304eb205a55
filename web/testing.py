"""Pytest fixtures of the web app, for Polku's tests and plugin packages' (``pytest11`` entry
point ``web.testing``, next to :mod:`engine.testing`, whose database and runtime they build on).

Fixtures: ``web_app`` (the FastAPI app on the test's runtime), ``api`` (an anonymous HTTP test
client), ``api_as`` (``api_as("coach")``: a client signed in as a new user of that role, sending
the CSRF token). Helpers: :class:`UserClient`, :func:`sign_in` (a session without the password
round trip), :func:`login` (the real login endpoint).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any
from urllib.parse import unquote

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from starlette.datastructures import State
from starlette.testclient import _TestClientTransport

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
    """An anonymous test client (:class:`KeptClient`) for the web app on this test's runtime."""
    client = KeptClient(web_app)
    yield client
    client.close()


class _OneCallTransport(_TestClientTransport):
    """Starlette's test transport with the whole ASGI exchange in one call into the event loop.

    Starlette's own streams the answer and makes about eight calls from the test's thread into
    the loop's for each request (creating its events, streams and cancel scope, then each body
    chunk), each a thread hand-off: over a millisecond a request, most of a bare request's cost.
    This one reads the answer whole (the tests read it whole anyway) in one call. The answer and
    ``raise_server_exceptions`` behave as Starlette's: an exception after the answer started is
    raised, or (not raising) the answer sent so far is returned; before it started, a 500."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme in ("ws", "wss"):
            upgraded: httpx.Response = super().handle_request(request)
            return upgraded
        headers = [] if "host" in request.headers else [(b"host", url.netloc)]
        headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.multi_items()]
        scope = {
            "type": "http",
            "http_version": "1.1",
            "method": request.method,
            "path": unquote(url.path),
            "raw_path": url.raw_path.split(b"?", 1)[0],
            "root_path": self.root_path,
            "scheme": url.scheme,
            "query_string": url.query,
            "headers": headers,
            "client": self.client,
            "server": [url.raw_host.decode("ascii"), url.port or _PORTS[url.scheme]],
            "extensions": {"http.response.debug": {}},
            "state": self.app_state.copy(),
        }
        body = request.read()
        answer: dict[str, Any] = {"chunks": []}

        async def exchange() -> None:
            complete = anyio.Event()
            asked = False

            async def receive() -> dict[str, Any]:
                nonlocal asked
                if not asked:
                    asked = True
                    return {"type": "http.request", "body": body}
                await complete.wait()
                return {"type": "http.disconnect"}

            async def send(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    answer["status"] = message["status"]
                    answer["headers"] = [
                        (k.decode(), v.decode()) for k, v in message.get("headers", [])
                    ]
                elif message["type"] == "http.response.body":
                    answer["chunks"].append(message.get("body", b""))
                    if not message.get("more_body", False):
                        complete.set()
                elif message["type"] == "http.response.debug":
                    answer["debug"] = message["info"]

            try:
                await self.app(scope, receive, send)
            finally:
                complete.set()

        with self.portal_factory() as portal:
            try:
                portal.call(exchange)
            except Exception:
                if self.raise_server_exceptions:
                    raise
        if "status" not in answer:
            if self.raise_server_exceptions:
                raise AssertionError("TestClient did not receive any response.")
            answer.update(status=500, headers=[], chunks=[])
        content = b"" if request.method == "HEAD" else b"".join(answer["chunks"])
        response = httpx.Response(
            answer["status"],
            headers=answer["headers"],
            stream=httpx.ByteStream(content),  # (content= would add a Content-Length)
            request=request,
        )
        response.read()
        debug = answer.get("debug")
        if debug is not None:
            response.extensions["http.response.debug"] = debug
            if "template" in debug:
                response.template = debug["template"]  # type: ignore[attr-defined]
            if "context" in debug:
                response.context = debug["context"]  # type: ignore[attr-defined]
        return response


_PORTS = {"http": 80, "https": 443}


class KeptClient(TestClient):
    """A TestClient for many requests: it keeps one event loop (and the app's lifespan) from
    when it is made until :meth:`close` (a plain TestClient outside ``with`` starts a loop thread
    for every request, about 0.6 ms each), and hands each request to the app in one call
    (:class:`_OneCallTransport`). Together a bare request costs about a third of a plain
    TestClient's (0.57 ms against 1.6-2.4). It builds on Starlette's private
    ``_TestClientTransport`` (the version is pinned in constraints.txt);
    tests/test_kept_client.py compares its answers with Starlette's client, so an upgrade that
    changes it fails there first."""

    def __init__(self, app: FastAPI, *, loop_of: KeptClient | None = None, **kwargs: Any) -> None:
        """``loop_of``: run on that client's event loop (and app lifespan) instead of starting
        one: a client of its own (cookies, headers) that costs no thread to make or close, for
        tests that make a fresh client per call (tests/security/world.py)."""
        super().__init__(app, **kwargs)
        old: httpx.BaseTransport = self._transport  # type: ignore[has-type]
        assert isinstance(old, _TestClientTransport)
        if loop_of is not None:
            if loop_of.portal is None or loop_of.app is not self.app:
                raise ValueError("loop_of must be an open KeptClient of the same app")
            self.app_state = loop_of.app_state
        self._transport = _OneCallTransport(
            old.app,
            old.portal_factory,
            raise_server_exceptions=old.raise_server_exceptions,
            root_path=old.root_path,
            client=old.client,
            app_state=self.app_state,
        )
        self._owns_loop = loop_of is None
        if loop_of is None:
            self.__enter__()
        else:
            self.portal = loop_of.portal

    def close(self) -> None:
        if not self._owns_loop:
            self.portal = None  # the loop is the other client's to stop
        elif self.portal is not None:
            self.__exit__(None, None, None)
        super().close()


class UserClient(KeptClient):
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
