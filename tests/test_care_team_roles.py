"""Care-team roles (issue 18): goal coach, job coach, outreach worker, municipal contact person,
other, with validity dates; set through the care-team API, shown on the client page's card (the
team today) and on each member's caseload (their own role). Access stays per person: the role
changes nothing about who may see the client."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.clients import add_care_team_member
from engine.errors import InputRequired, InvalidInput
from engine.models import CareTeam, Role, User
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from web.testing import UserClient


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def name_of(runtime: Runtime, user_id: int) -> str:
    with runtime.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
        return user.display_name


def test_a_colleague_joins_as_job_coach_through_the_api(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    colleague = api_as(Role.coach)
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    url = f"/api/clients/{client_id}/care-team"
    bad = coach.post(url, json={"user_id": colleague.user_id, "role": "boss"})
    assert bad.status_code == 422
    assert "role" in bad.text
    added = coach.post(url, json={"user_id": colleague.user_id, "role": "job_coach"})
    assert added.status_code == 201
    assert added.json()["role"] == "job_coach"
    members = coach.get(url).json()["members"]
    assert [(m["user_id"], m["role"]) for m in members] == [
        (coach.user_id, "goal_coach"),
        (colleague.user_id, "job_coach"),
    ]

    card = coach.get(f"/clients/{client_id}").text.split('class="client-card__facts"')[1]
    card = card.split("</dl>")[0]
    me, them = name_of(runtime, coach.user_id), name_of(runtime, colleague.user_id)
    assert f'{me} <span class="muted">(Tavoitevalmentaja)</span>' in card
    assert f'{them} <span class="muted">(Työhönvalmentaja)</span>' in card

    # each member's caseload shows their own role for the client
    assert "Minä: Työhönvalmentaja" in colleague.get("/clients").text
    assert "Minä: Tavoitevalmentaja" in coach.get("/clients").text


def test_roles_follow_the_validity_dates(runtime: Runtime, coach: UserClient) -> None:
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    today = runtime.clock.today()
    with runtime.db.write() as session:
        # the outreach worker's time ended yesterday; a municipal contact starts next week
        session.add(
            CareTeam(
                client_id=client_id,
                user_id=coach.user_id,
                valid_from=today - timedelta(days=200),
                valid_to=today - timedelta(days=101),
                role="outreach_worker",
            )
        )
    later = make_user(runtime, Role.coach, organisation_id=coach.organisation_id)
    assert later.id is not None
    with runtime.db.write() as session:
        add_care_team_member(
            session,
            client_id=client_id,
            member={
                "user_id": later.id,
                "valid_from": today + timedelta(days=7),
                "valid_to": None,
                "role": "municipal_contact",
            },
            added_by=coach.user_id,
            today=runtime.clock.today(),
            now=runtime.clock.now(),
        )
        with pytest.raises(InputRequired) as refused:
            add_care_team_member(
                session,
                client_id=client_id,
                member={
                    "user_id": later.id,
                    "valid_from": today - timedelta(days=30),
                    "valid_to": today - timedelta(days=20),
                    "role": "mentor",
                },
                added_by=coach.user_id,
                today=runtime.clock.today(),
                now=runtime.clock.now(),
            )
        assert refused.value.field == "role"
    card = coach.get(f"/clients/{client_id}").text.split('class="client-card__facts"')[1]
    card = card.split("</dl>")[0]
    assert "(Tavoitevalmentaja)" in card
    assert "Etsivä työntekijä" not in card
    assert "Kunnan yhteyshenkilö" not in card
    with runtime.db.read() as session:
        roles = sorted(session.execute(select(col(CareTeam.role))).scalars())
    assert roles == ["goal_coach", "municipal_contact", "outreach_worker"]


def test_one_input_model_for_a_membership(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    """Issue 12: the API's body is the engine's input model (NewCareTeamMember); the engine
    applies the same rules to any caller: every bad field named at once, an end before the
    start refused (also before today when no start is given), nothing written."""
    colleague = api_as(Role.coach)
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    today = runtime.clock.today()
    with runtime.db.write() as session, pytest.raises(InvalidInput) as refused:
        add_care_team_member(
            session,
            client_id=client_id,
            member={"user_id": 0, "valid_from": "1850-01-01", "role": "boss"},
            added_by=coach.user_id,
            today=today,
            now=runtime.clock.now(),
        )
    assert set(refused.value.errors) == {"user_id", "valid_from", "role"}
    url = f"/api/clients/{client_id}/care-team"
    backwards = {
        "user_id": colleague.user_id,
        "valid_from": (today + timedelta(days=5)).isoformat(),
        "valid_to": today.isoformat(),
    }
    shape = coach.post(url, json=backwards)  # the model's own rule, as the API parses it
    assert shape.status_code == 422
    assert [e["loc"] for e in shape.json()["detail"]] == [["body", "valid_to"]]
    before_today = coach.post(url, json={"user_id": colleague.user_id, "valid_to": "2020-01-01"})
    assert before_today.status_code == 422  # the engine's pass, with today as the start
    assert before_today.json()["field"] == "valid_to"
    with runtime.db.read() as session:
        rows = session.execute(select(CareTeam).where(col(CareTeam.client_id) == client_id)).all()
    assert len(rows) == 1  # only the coach
