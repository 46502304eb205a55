"""Security headers on every response, no caching of client data, no docs in production."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from engine.runtime import Runtime
from engine.settings import Environment
from web.app import create_app
from web.security import CSP
from web.testing import UserClient

EXPECTED_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


def test_the_policy_has_no_inline_script() -> None:
    assert CSP == EXPECTED_CSP
    assert "unsafe-inline" not in CSP
    assert "unsafe-eval" not in CSP


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/health"),
        ("GET", "/login"),
        ("GET", "/api/auth/me"),  # 401
        ("GET", "/api/journeys/1"),  # 401
        ("GET", "/no/such/page"),  # 404
        ("POST", "/api/clients"),  # 401
    ],
)
def test_headers_on_every_response(api: TestClient, method: str, path: str) -> None:
    response = api.request(method, path)
    headers = response.headers
    assert headers["content-security-policy"] == EXPECTED_CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in headers  # test settings: plain http


def test_client_data_is_never_cached(runtime: Runtime, api_as: Callable[..., UserClient]) -> None:
    coach = api_as("coach")
    created = coach.post(
        "/api/clients",
        json={"first_name": "Ei", "last_name": "Välimuistiin", "municipality_code": "261"},
    )
    journey_id = created.json()["journey"]["id"]
    for response in (created, coach.get(f"/api/journeys/{journey_id}")):
        assert response.headers["cache-control"] == "no-store"


def test_hsts_outside_localhost(make_runtime: Callable[..., Runtime]) -> None:
    production = make_runtime(
        environment=Environment.production, allowed_origins="https://polku.example.fi"
    )
    with TestClient(create_app(runtime=production), base_url="https://polku.example.fi") as http:
        response = http.get("/health")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json"])
def test_no_docs_in_production(make_runtime: Callable[..., Runtime], path: str) -> None:
    production = make_runtime(environment=Environment.production)
    with TestClient(create_app(runtime=production)) as http:
        assert http.get(path).status_code == 404


@pytest.mark.parametrize("environment", [Environment.development, Environment.demo])
def test_docs_outside_production(make_runtime: Callable[..., Runtime], environment: str) -> None:
    runtime = make_runtime(environment=environment)
    with TestClient(create_app(runtime=runtime)) as http:
        assert http.get("/openapi.json").status_code == 200
        docs = http.get("/docs")
    assert docs.status_code == 200
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
