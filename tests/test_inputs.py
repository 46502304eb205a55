"""One way in: the JSON API and the HTML forms build the same engine input model, so they accept
and refuse the same values (engine/inputs.py, engine.clients.NewClient, NewContact)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from engine.models import Client, ContactEntry, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

HX = {"HX-Request": "true"}
GOOD = {"first_name": "Kettu", "last_name": "Kallio", "municipality_code": "261"}


def clients(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Client)).scalar_one())


def api_fields(answer: dict[str, Any]) -> set[str]:
    """The fields a 422 of the API names: the engine's ``errors``, or the framework's
    ``detail`` locations when the body's shape is wrong."""
    if "errors" in answer:
        return set(answer["errors"])
    return {str(d["loc"][-1]) for d in answer["detail"]}


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"municipality_code": "999"}, "municipality_code"),
        ({"birth_date": "2090-01-01"}, "birth_date"),
        ({"birth_date": "1899-12-31"}, "birth_date"),
        ({"first_name": "   "}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"email": "no-at-sign"}, "email"),
    ],
)
def test_api_and_intake_refuse_the_same_values(
    runtime: Runtime, coach: UserClient, change: dict[str, str], field: str
) -> None:
    body = GOOD | change
    api = coach.post("/api/clients", json=body)
    assert api.status_code == 422
    assert field in api_fields(api.json())
    page = coach.post("/clients/new", data=body)
    assert page.status_code == 422
    assert f'id="{field}-error"' in page.text
    # every typed value comes back (a municipality not served is not among the choices)
    for name, value in body.items():
        if value.strip() and not (name == "municipality_code" and value == "999"):
            assert f'value="{value}"' in page.text  # an input's value or a selected option
    assert clients(runtime) == 0


def test_api_and_intake_accept_the_same_values(runtime: Runtime, coach: UserClient) -> None:
    """A first name (or nickname) and a served municipality are enough for both; the last name
    is optional (docs/ui.md: people who never engage are recorded too)."""
    body = {"first_name": "Kettu", "last_name": "", "municipality_code": "261"}
    assert coach.post("/api/clients", json=body).status_code == 201
    page = coach.post("/clients/new", data=body, follow_redirects=False)
    assert page.status_code == 303
    assert clients(runtime) == 2


def test_api_reports_every_wrong_field_at_once(coach: UserClient) -> None:
    answer = coach.post(
        "/api/clients",
        json={"first_name": "K", "municipality_code": "999", "birth_date": "2090-01-01"},
    )
    assert answer.status_code == 422
    assert set(answer.json()["errors"]) == {"municipality_code", "birth_date"}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"duration_minutes": "-5"}, "contact-duration"),
        ({"duration_minutes": "²"}, "contact-duration"),
        ({"duration_minutes": "1441"}, "contact-duration"),
        ({"kind": "telepathy"}, "contact-kind"),
    ],
)
def test_contact_form_refuses_bad_numbers_beside_the_field(
    runtime: Runtime, coach: UserClient, values: dict[str, str], field: str
) -> None:
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    answer = coach.post(
        f"/clients/{client_id}/contacts", data={"kind": "phone", "note": "kept-note"} | values
    )
    assert answer.status_code == 422
    assert f'id="{field}-error"' in answer.text
    assert "kept-note" in answer.text


def test_a_long_contact_note_comes_back_in_the_form(runtime: Runtime, coach: UserClient) -> None:
    """5,000 characters: the form again with the note kept and marked, never a raw error."""
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    note = "Pitkä muistiinpano. " * 250
    for headers in ({}, HX):
        answer = coach.post(
            f"/clients/{client_id}/contacts",
            data={"kind": "phone", "note": note, "duration_minutes": "45"},
            headers=headers,
        )
        assert answer.status_code == 422
        assert answer.headers["content-type"].startswith("text/html")
        assert note.strip() in answer.text
        assert 'name="note"' in answer.text
        assert 'aria-invalid="true"' in answer.text.split('name="note"')[1].split(">")[0]
        assert 'value="45"' in answer.text
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(ContactEntry)).scalar_one() == 0


def test_advance_form_and_api_share_the_input_model(runtime: Runtime, coach: UserClient) -> Any:
    client_id, journey_id = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    api = coach.post(
        f"/api/journeys/{journey_id}/advance", json={"trigger": "engage", "expected_version": 0}
    )
    assert api.status_code == 422
    page = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "engage", "expected_version": "0"},
        headers=HX,
    )
    assert page.status_code == 422
    assert page.text.lstrip().startswith('<section id="journey_actions"')


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"importance": "²", "difficulty": "2"}, "importance"),
        ({"baseline": "-5"}, "baseline"),
        ({"level_plus_1": "x" * 501}, "level_plus_1"),
    ],
)
def test_goal_form_marks_the_field_the_model_refuses(
    runtime: Runtime, coach: UserClient, values: dict[str, str], field: str
) -> None:
    """The goal form builds the engine's NewGoal (the API's body): no parser in the route."""
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    answer = coach.post(
        f"/clients/{client_id}/goals", data={"goal": "Kept goal text"} | values, headers=HX
    )
    assert answer.status_code == 422
    assert f'id="goal-{field}-error"' in answer.text
    assert "Kept goal text" in answer.text
    api = coach.post(f"/api/clients/{client_id}/goals", json={"goal": "x", "baseline": -5})
    assert api.status_code == 422
