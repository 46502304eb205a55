"""Steps of sessions.feature: the second factor, logout, idle timeout, throttling."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when

from engine.clock import FrozenClock
from engine.models import Role, User
from engine.runtime import Runtime
from engine.testing import TEST_PASSWORD, make_user, totp_code
from web.security import session_cookie_name
from web.testing import login

#: Every scenario runs once per database backend (the fixture is parametrised).
pytestmark = pytest.mark.usefixtures("database_url")

scenarios("sessions.feature")


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime], clock: FrozenClock) -> Runtime:
    """This feature's runtime runs on a clock the scenarios move."""
    return make_runtime(clock=clock, session_idle_minutes=30, login_max_failures=5)


@pytest.fixture
def browser(web_app: FastAPI) -> TestClient:
    return TestClient(web_app)


@given(parsers.parse('a coach "{username}" with an authenticator app'), target_fixture="user")
def a_coach(runtime: Runtime, username: str) -> User:
    return make_user(runtime, Role.coach, username=username)


@when(
    parsers.parse('"{username}" logs in with the right password but no code'),
    target_fixture="answer",
)
def login_without_code(browser: TestClient, username: str) -> Response:
    return login(browser, username, TEST_PASSWORD)


@given(
    parsers.parse('"{username}" is logged in with the right password and code'),
    target_fixture="answer",
)
@when(
    parsers.parse('"{username}" logs in with the right password and code'),
    target_fixture="answer",
)
def login_with_code(runtime: Runtime, browser: TestClient, user: User, username: str) -> Response:
    return login(browser, username, TEST_PASSWORD, totp_code(runtime, user))


@when(parsers.parse('"{username}" logs in with a wrong password {n:d} times'))
def wrong_passwords(browser: TestClient, username: str, n: int) -> None:
    for _ in range(n):
        assert login(browser, username, "vaara-salasana-1").status_code == 401


@when(parsers.parse('"{username}" logs out'), target_fixture="old_cookie")
def logs_out(runtime: Runtime, browser: TestClient, username: str) -> str | None:
    old = browser.cookies.get(session_cookie_name(runtime.settings))
    assert browser.post("/api/auth/logout").status_code == 204
    return old


@when(parsers.parse("{minutes:d} minutes pass without use"), target_fixture="old_cookie")
def time_passes(runtime: Runtime, browser: TestClient, clock: FrozenClock, minutes: int) -> str:
    clock.advance(minutes=minutes)
    return browser.cookies.get(session_cookie_name(runtime.settings)) or ""


@then("the login is refused")
def refused(answer: Response) -> None:
    assert answer.status_code == 401
    assert "set-cookie" not in answer.headers


@then("the login is throttled")
def throttled(answer: Response) -> None:
    assert answer.status_code == 429


@then(parsers.parse('"{username}" is logged in'))
def logged_in(browser: TestClient, username: str) -> None:
    me = browser.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["username"] == username


@then("the old session cookie no longer works")
def old_cookie_fails(runtime: Runtime, web_app: FastAPI, old_cookie: str | None) -> None:
    assert old_cookie
    replay = TestClient(web_app)
    replay.cookies.set(session_cookie_name(runtime.settings), old_cookie)
    assert replay.get("/api/auth/me").status_code == 401
