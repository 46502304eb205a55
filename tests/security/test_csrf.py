"""CSRF: a session's state-changing request needs that session's token and an allowed origin;
bearer-token calls are exempt (no cookies). Every refusal is a 403 and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from engine.models import Client, Role
from engine.runtime import Runtime
from engine.testing import make_user
from web.security import CSRF_HEADER
from web.testing import UserClient, sign_in

NEW_CLIENT = {"first_name": "Csrf", "last_name": "Testi", "municipality_code": "261"}


def clients(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Client)).scalar_one())


def test_with_the_sessions_token_it_works(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    response = coach.post("/api/clients", json=NEW_CLIENT, headers={"Origin": "http://testserver"})
    assert response.status_code == 201
    assert clients(runtime) == 1


def test_missing_token_is_refused(runtime: Runtime, api_as: Callable[..., UserClient]) -> None:
    coach = api_as("coach")
    del coach.headers[CSRF_HEADER]
    response = coach.post("/api/clients", json=NEW_CLIENT)
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"
    assert clients(runtime) == 0


def test_another_sessions_token_is_refused(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach, colleague = api_as("coach"), api_as("coach")
    response = coach.post(
        "/api/clients", json=NEW_CLIENT, headers={CSRF_HEADER: colleague.csrf_token}
    )
    assert response.status_code == 403
    # the same user's other session is another session too
    second = TestClient(coach.app)
    assert coach.user_id is not None
    sign_in(second, runtime, coach.user_id)
    response = coach.post(
        "/api/clients", json=NEW_CLIENT, headers={CSRF_HEADER: second.headers[CSRF_HEADER]}
    )
    assert response.status_code == 403
    assert clients(runtime) == 0


def test_foreign_origin_is_refused_even_with_the_token(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/page"},
        {"Origin": "http://testserver.evil.example"},
    ):
        response = coach.post("/api/clients", json=NEW_CLIENT, headers=headers)
        assert response.status_code == 403, headers
    assert clients(runtime) == 0


def test_same_origin_referer_is_accepted(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    response = coach.post(
        "/api/clients", json=NEW_CLIENT, headers={"Referer": "http://testserver/asiakkaat"}
    )
    assert response.status_code == 201


def test_form_field_token_is_accepted(runtime: Runtime, api_as: Callable[..., UserClient]) -> None:
    coach = api_as("coach")
    token = coach.headers.pop(CSRF_HEADER)
    refused = coach.post("/logout", data={"csrf_token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 403
    response = coach.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303
    assert coach.get("/api/auth/me").status_code == 401


def test_bearer_token_calls_are_exempt(runtime: Runtime, api: TestClient) -> None:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    with runtime.db.write() as session:
        token, _row = runtime.auth.create_api_token(session, coach.id, "integraatio")
    response = api.post(
        "/api/clients", json=NEW_CLIENT, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 201
    assert clients(runtime) == 1


def test_login_from_a_foreign_origin_is_refused(runtime: Runtime, api: TestClient) -> None:
    coach = make_user(runtime, Role.coach)
    response = api.post(
        "/api/auth/login",
        json={"username": coach.username, "password": "x" * 12},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "set-cookie" not in response.headers
