"""The input boundary (web/boundary.py, engine/bounds.py; issue 11): what no request may carry,
refused before any route sees it, and 422s that never echo more than a short excerpt."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from engine.bounds import MAX_ID, check_date
from engine.clock import as_utc
from engine.errors import InputRequired
from engine.runtime import Runtime
from engine.testing import TEST_ORIGIN
from web.testing import UserClient

GOOD_CLIENT = {"first_name": "Aino", "last_name": "Esimerkki", "municipality_code": "261"}


def post_json(http: TestClient, path: str, body: str) -> Response:
    return http.post(path, content=body.encode(), headers={"Content-Type": "application/json"})


@pytest.mark.parametrize(
    "body",
    [
        '{"trigger": NaN}',
        '{"trigger": Infinity}',
        '{"trigger": -Infinity}',
        '{"trigger": "engage", "expected_version": 1e400}',
        '{"trigger": "engage", "expected_version": 123456789012345678901234567890}',
        '{"trigger": "a\\u0000b"}',
        '{"trigger": "\\ud800x"}',
        '{"\\ud800": 1}',
        "[" * 100 + "]" * 100,
    ],
)
def test_json_the_boundary_refuses_is_422_and_serialisable(
    runtime: Runtime, api_as: Callable[..., UserClient], body: str
) -> None:
    coach = api_as("coach")
    journey_id = coach.post("/api/clients", json=GOOD_CLIENT).json()["journey"]["id"]
    response = post_json(coach, f"/api/journeys/{journey_id}/advance", body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "refused_input"


def test_a_lone_surrogate_on_the_login_is_422(runtime: Runtime, api: TestClient) -> None:
    response = post_json(api, "/api/auth/login", '{"username": "\\udc00", "password": "x"}')
    assert response.status_code == 422
    json.loads(response.content)  # serialisable, valid UTF-8


@pytest.mark.parametrize("huge", [MAX_ID + 1, 2**63, 10**30])
def test_ids_beyond_the_column_are_refused(
    runtime: Runtime, api_as: Callable[..., UserClient], huge: int
) -> None:
    coach = api_as("coach")
    client_id = coach.post("/api/clients", json=GOOD_CLIENT).json()["client"]["id"]
    assert coach.get(f"/api/journeys/{huge}").status_code == 422
    body = {"user_id": huge}
    assert coach.post(f"/api/clients/{client_id}/care-team", json=body).status_code == 422


def test_a_10_mb_body_is_413_at_once_and_the_answer_is_short(
    runtime: Runtime, api: TestClient
) -> None:
    body = json.dumps({"username": "x" * 10_000_000, "password": "y"})
    began = time.monotonic()
    response = post_json(api, "/api/auth/login", body)
    assert response.status_code == 413
    assert len(response.content) < 200
    assert time.monotonic() - began < 2


def test_a_422_echoes_only_a_short_excerpt(runtime: Runtime, api: TestClient) -> None:
    body = json.dumps({"username": ["Virtanen" * 10_000], "password": "Virtanen" * 100})
    response = post_json(api, "/api/auth/login", body)
    assert response.status_code == 422
    assert len(response.content) < 1000
    assert "Virtanen" * 6 not in response.text


def test_the_body_limit_is_a_setting(make_runtime: Callable[..., Runtime]) -> None:
    from web.app import create_app

    http = TestClient(create_app(runtime=make_runtime(max_body_bytes=2048)))
    body = json.dumps({"username": "x" * 3000, "password": "y"})
    assert post_json(http, "/api/auth/login", body).status_code == 413
    form = {"Origin": TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}
    assert http.post("/login", content=b"username=" + b"x" * 3000, headers=form).status_code == 413


@pytest.mark.parametrize("moment", [datetime(1, 1, 1), datetime(9999, 12, 31, 23, 59)])
def test_dates_are_bounded_in_the_engine(moment: datetime) -> None:
    with pytest.raises(InputRequired):
        as_utc(moment)
    with pytest.raises(InputRequired):
        check_date(moment.date())
    assert check_date(date(1995, 5, 17)) == date(1995, 5, 17)
