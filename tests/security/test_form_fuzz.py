"""Never a 500 from input on the HTML forms (issue 11): every POST page route, signed in as a
coach with a session and its CSRF token, gets the bad values of the API fuzz -- a NUL byte,
huge and negative ids, NaN, Infinity, 1e400, year 1 and 9999, a lone surrogate (as the raw
bytes a browser could send), a 2 MB field -- in every field at once, and one field at a time
beside plausible values for the rest; paths get real and out-of-range ids. 0 server errors.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from engine.access import Principal
from engine.models import Role
from engine.runtime import Runtime
from engine.testing import TEST_ORIGIN, make_client, make_user
from tests.group_kit import invite, make_group
from web.testing import KeptClient, sign_in

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
#: Every form field name the templates use.
FIELDS = sorted(
    set(re.findall(r'name="([a-z_]+)"', "".join(p.read_text() for p in TEMPLATES.rglob("*.html"))))
    - {"csrf_token"}
)

LONE_SURROGATE = b"%ED%A0%80x"  # "\ud800x" as a browser would encode it: not UTF-8
BAD = [
    "a\x00b",
    "99999999999999999999",
    "2147483648",
    "-1",
    "NaN",
    "Infinity",
    "1e400",
    "0001-01-01",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "²",
]
#: The bad values tried one field at a time (a NUL byte anywhere is refused before any route).
ONE_FIELD = ["99999999999999999999", "NaN", "0001-01-01", "0001-01-01T00:00", "9999-12-31"]
#: Plausible values, so that one bad field reaches the code behind the others' checks.
GOOD = {
    "date": "2026-11-30",
    "assessed_on": "2026-11-30",
    "rated_on": "2026-11-30",
    "birth_date": "1995-05-17",
    "first_date": "2026-12-14",
    "first_time": "13:00",
    "time": "13:00",
    "occurred_at": "2026-11-30T10:00",
    "next_contact_on": "2026-12-30",
    "kind": "meeting",
    "trigger": "engage",
    "meetings": "8",
    "duration_minutes": "30",
    "municipality_code": "261",
    "municipality": "261",
    "first_name": "Testi",
    "last_name": "Asiakas",
    "name": "Ryhmä",
    "place": "Nuorisotila",
    "present": "1",
    "participation_consent": "on",
    "consent_evidence": "verbal",
    "baseline": "-1",
}
DATE_OR_NUMBER = re.compile(
    r"date|_on$|_at$|time|_id$|^id$|version|meetings|minutes|present|"
    r"baseline|level|score|weight|period|page"
)


def form_routes(app: FastAPI) -> list[str]:
    paths = [
        context.path
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and "POST" in (context.methods or ())
        and context.path is not None
        and not context.path.startswith("/api/")
    ]
    return sorted(paths, key=lambda p: p == "/logout")  # logging out last


def read_fields(app: FastAPI, path: str) -> list[str]:
    """The fields the route's handler reads (by name in its source, or as its parameters)."""
    for context in iter_route_contexts(app.routes):
        if context.path == path and context.endpoint is not None:
            source = inspect.getsource(context.endpoint)
            return [f for f in FIELDS if f'"{f}"' in source or f"{f}:" in source]
    return []


def encode(fields: dict[str, str | bytes]) -> bytes:
    return b"&".join(
        quote(k).encode() + b"=" + (v if isinstance(v, bytes) else quote(v).encode())
        for k, v in fields.items()
    )


@pytest.mark.parametrize("role", [Role.coach, Role.admin])
def test_no_form_answers_a_server_error(
    runtime: Runtime, web_app: FastAPI, role: Role, request: pytest.FixtureRequest
) -> None:
    """As a coach every form route; as an admin the admin pages' forms."""
    coach = make_user(runtime, Role.coach)
    user = coach if role == Role.coach else make_user(runtime, role)
    assert coach.id is not None
    assert user.id is not None
    principal = Principal(coach.id, Role.coach, coach.organisation_id)
    client_id, _ = make_client(runtime, care_team=(coach.id,), birth_date=date(1990, 1, 1))
    group_id = make_group(runtime, principal)
    membership_id = invite(runtime, principal, group_id, client_id, consent="verbal")
    ids = {"client_id": client_id, "group_id": group_id, "membership_id": membership_id}
    http = KeptClient(web_app, raise_server_exceptions=False)
    request.addfinalizer(http.close)
    csrf = sign_in(http, runtime, user.id)
    headers = {"Origin": TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}

    tried = 0
    errors: list[str] = []

    def post(path: str, fields: Mapping[str, str | bytes], what: str) -> None:
        nonlocal tried
        tried += 1
        response = http.post(path, content=encode({"csrf_token": csrf, **fields}), headers=headers)
        if response.status_code >= 500:
            errors.append(f"{path} {what}: {response.status_code}")

    routes = [r for r in form_routes(web_app) if role == Role.coach or r.startswith("/admin/")]
    for route in routes:
        path = re.sub(r"\{(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), route)
        if "{" in route:
            huge = re.sub(r"\{\w+\}", "99999999999999999999", route)
            post(huge, dict(GOOD), "huge path id")
            post(re.sub(r"\{\w+\}", "2147483648", route), dict(GOOD), "id 2^31")
        for value in BAD:
            post(path, dict.fromkeys(FIELDS, value), f"every field {value!r}")
        post(path, dict.fromkeys(FIELDS, LONE_SURROGATE), "every field a lone surrogate")
        post(path, dict(GOOD) | {"text": "x" * 2_000_000}, "a 2 MB field")
        for field in read_fields(web_app, route):
            if DATE_OR_NUMBER.search(field):
                for value in ONE_FIELD:
                    post(path, dict(GOOD) | {field: value}, f"{field}={value!r}")
    print(f"form fuzz as {role}: {len(routes)} routes, {tried} requests, {len(errors)} 5xx")
    assert tried > (400 if role == Role.coach else 50)
    assert errors == []


def test_a_2_mb_form_is_413(runtime: Runtime, api: TestClient) -> None:
    response = api.post(
        "/login",
        content=b"username=" + b"x" * 2_000_000,
        headers={"Origin": TEST_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 413


@pytest.mark.parametrize("query", ["q=a%00b", "q=a\x00b".replace("\x00", "%00")])
def test_a_nul_in_a_query_string_is_422(runtime: Runtime, api: TestClient, query: str) -> None:
    assert api.get(f"/clients?{query}").status_code == 422
