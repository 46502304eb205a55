"""Mass assignment is refused (ASVS 15.3.3); application logs never carry client data, and
control characters cannot forge log lines (ASVS 16.2.5)."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from engine.applog import EscapeControlCharacters
from engine.models import Client, Journey, User
from engine.runtime import Runtime
from engine.testing import TEST_PASSWORD, make_user, totp_code
from web.testing import UserClient, login

GOOD_CLIENT = {"first_name": "Aino", "last_name": "Esimerkki", "municipality_code": "261"}


def count(runtime: Runtime, model: type) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.mark.parametrize(
    "extra",
    [
        {"state": "closed"},
        {"organisation_id": 999},
        {"created_by": 1},
        {"participation_consent_at": "2020-01-01T00:00:00Z"},
        {"id": 5},
    ],
)
def test_extra_fields_on_a_new_client_are_422(
    runtime: Runtime, api_as: Callable[..., UserClient], extra: dict[str, object]
) -> None:
    coach = api_as("coach")
    response = coach.post("/api/clients", json=GOOD_CLIENT | extra)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "extra_forbidden"
    assert count(runtime, Client) == 0


@pytest.mark.parametrize(
    "extra", [{"state": "closed"}, {"actor_id": 1}, {"version": 9}, {"client_id": 2}]
)
def test_extra_fields_on_advance_are_422_and_the_row_is_unchanged(
    runtime: Runtime, api_as: Callable[..., UserClient], extra: dict[str, object]
) -> None:
    coach = api_as("coach")
    journey_id = coach.post("/api/clients", json=GOOD_CLIENT).json()["journey"]["id"]
    response = coach.post(
        f"/api/journeys/{journey_id}/advance", json={"trigger": "decline"} | extra
    )
    assert response.status_code == 422
    with runtime.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        assert (journey.state, journey.version) == ("outreach", 1)


@pytest.mark.parametrize("extra", [{"is_active": False}, {"totp_secret": "A" * 32}, {"id": 1}])
def test_extra_fields_on_a_new_user_are_422(
    runtime: Runtime, api_as: Callable[..., UserClient], extra: dict[str, object]
) -> None:
    admin = api_as("admin")
    before = count(runtime, User)
    body = {
        "username": "uusi.valmentaja",
        "display_name": "Uusi",
        "role": "coach",
        "organisation_id": admin.organisation_id,
        "password": "alkusalasana-123",
    }
    assert admin.post("/api/admin/users", json=body | extra).status_code == 422
    assert count(runtime, User) == before


def test_extra_login_fields_are_422(runtime: Runtime, api: TestClient) -> None:
    user = make_user(runtime, "coach")
    response = api.post(
        "/api/auth/login",
        json={"username": user.username, "password": TEST_PASSWORD, "role": "admin"},
    )
    assert response.status_code == 422


CRAFTED_FIRST = "Mallory\r\nINFO polku.auth: user 1 logged in\x1b[2J"
CRAFTED_LAST = "Ääkkönen\x1b[31m<script>"


def test_application_logs_never_carry_client_names(
    runtime: Runtime,
    api: TestClient,
    api_as: Callable[..., UserClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    coach = api_as("coach")
    stranger = api_as("coach")
    created = coach.post(
        "/api/clients",
        json={"first_name": CRAFTED_FIRST, "last_name": CRAFTED_LAST, "municipality_code": "261"},
    )
    assert created.status_code == 201
    journey_id = created.json()["journey"]["id"]
    coach.get(f"/api/journeys/{journey_id}")
    coach.get(f"/api/journeys/{journey_id}/triggers")
    coach.post(f"/api/journeys/{journey_id}/advance", json={"trigger": "engage"})
    coach.post(f"/api/journeys/{journey_id}/advance", json={"trigger": "refer"})  # 409
    stranger.get(f"/api/journeys/{journey_id}")  # 403, logged
    login(api, CRAFTED_FIRST, CRAFTED_LAST)
    user = make_user(runtime, "coach")
    login(api, user.username, code=totp_code(runtime, user))
    assert caplog.records, "the flow above logs (refusals, logins)"
    text = caplog.text
    for fragment in ("Mallory", "Ääkkönen", "<script>", "\x1b", "\r", user.username):
        assert fragment not in text


def test_control_characters_are_escaped_in_log_records() -> None:
    record = logging.LogRecord(
        "polku.test", logging.INFO, __file__, 1, "user %s: %s", (7, "a\r\nINFO forged\x1b[2J"), None
    )
    assert EscapeControlCharacters().filter(record)
    assert record.getMessage() == "user 7: a\\r\\nINFO forged\\x1b[2J"
    assert "\n" not in record.getMessage()


def test_uvicorn_access_lines_are_escaped_and_still_formatted() -> None:
    from uvicorn.logging import AccessFormatter

    from engine.applog import uvicorn_log_config

    config = uvicorn_log_config()
    assert "escape_controls" in config["handlers"]["access"]["filters"]
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/journeys/1\r\nINFO forged", "1.1", 401),
        None,
    )
    assert EscapeControlCharacters().filter(record)
    line = AccessFormatter(config["formatters"]["access"]["fmt"], use_colors=False).format(record)
    assert "/api/journeys/1\\r\\nINFO forged" in line
    assert "\n" not in line
