"""The care-team page (issue 18): a coach sees and edits the client's care team with roles and
validity dates, from the client page, in fi/sv/en; the engine's input model checks the values
(the same rules as the API), a bad value answers 422 with the value kept and the field marked;
access stays per person (both databases)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.models import CareTeam, Role, User
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation
from web.testing import UserClient


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def rename(runtime: Runtime, user_id: int, name: str) -> None:
    with runtime.db.write() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.display_name = name


def members(runtime: Runtime, client_id: int) -> list[tuple[int, str, str | None]]:
    with runtime.db.read() as session:
        rows = session.execute(
            select(CareTeam).where(col(CareTeam.client_id) == client_id).order_by(col(CareTeam.id))
        ).scalars()
        return [(r.user_id, r.role, r.valid_to.isoformat() if r.valid_to else None) for r in rows]


def test_the_client_page_links_to_the_care_team_and_the_page_lists_roles_and_dates(
    runtime: Runtime, coach: UserClient
) -> None:
    rename(runtime, coach.user_id, "Anna Valmentaja")
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    client_page = coach.get(f"/clients/{client_id}").text
    assert f'href="/clients/{client_id}/care-team">Muokkaa työryhmää</a>' in client_page
    page = coach.get(f"/clients/{client_id}/care-team")
    assert page.status_code == 200
    today = runtime.clock.today()
    assert "<strong>Anna Valmentaja</strong> · Tavoitevalmentaja" in page.text
    assert f"{today.day}.{today.month}.{today.year} alkaen, toistaiseksi" in page.text
    assert "Työryhmässä" in page.text
    coach.cookies.set("lang", "sv")
    sv = coach.get(f"/clients/{client_id}/care-team").text
    assert "<h1>Arbetsgrupp</h1>" in sv
    assert "Lägg till i arbetsgruppen" in sv
    coach.cookies.set("lang", "en")
    en = coach.get(f"/clients/{client_id}/care-team").text
    assert "Add to the care team" in en
    assert "until further notice" in en


def test_a_coach_adds_a_job_coach_with_dates_and_ends_a_membership(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    colleague = api_as(Role.coach, organisation_id=coach.organisation_id)
    rename(runtime, colleague.user_id, "Ville Työpari")
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    page = coach.get(f"/clients/{client_id}/care-team").text
    assert f'<option value="{colleague.user_id}">Ville Työpari</option>' in page
    assert colleague.get(f"/clients/{client_id}").status_code == 403
    today = runtime.clock.today()
    until = today + timedelta(days=90)
    added = coach.post(
        f"/clients/{client_id}/care-team",
        data={
            "user_id": str(colleague.user_id),
            "role": "job_coach",
            "valid_from": today.isoformat(),
            "valid_to": until.isoformat(),
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    assert added.headers["location"] == f"/clients/{client_id}/care-team?saved=added"
    assert members(runtime, client_id)[1] == (colleague.user_id, "job_coach", until.isoformat())
    shown = coach.get(f"/clients/{client_id}/care-team?saved=added").text
    assert "Jäsen lisättiin työryhmään." in shown
    assert "<strong>Ville Työpari</strong> · Työhönvalmentaja" in shown
    # the colleague now sees the client, under their own name in the access log
    assert colleague.get(f"/clients/{client_id}").status_code == 200
    card = coach.get(f"/clients/{client_id}").text
    assert 'Ville Työpari <span class="muted">(Työhönvalmentaja)</span>' in card
    # the coach ends the colleague's membership today: it stays in the history
    ended = coach.post(
        f"/clients/{client_id}/care-team/{colleague.user_id}/end",
        data={"last_day": today.isoformat()},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert members(runtime, client_id)[1] == (colleague.user_id, "job_coach", today.isoformat())


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"role": "boss"}, "member-role"),
        ({"valid_from": "2026-05-02", "valid_to": "2026-05-01"}, "member-to"),
        ({"user_id": "outsider"}, "member-user"),
    ],
)
def test_a_bad_value_is_marked_beside_its_field_and_nothing_is_saved(
    runtime: Runtime,
    coach: UserClient,
    api_as: Callable[..., UserClient],
    data: dict[str, str],
    field: str,
) -> None:
    colleague = api_as(Role.coach, organisation_id=coach.organisation_id)
    other = make_organisation(runtime, name="Toinen hanke")
    outsider = api_as(Role.coach, organisation_id=other)
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    body = {"user_id": str(colleague.user_id), "role": "job_coach"} | data
    if body["user_id"] == "outsider":
        body["user_id"] = str(outsider.user_id)
    answer = coach.post(f"/clients/{client_id}/care-team", data=body, follow_redirects=False)
    assert answer.status_code == 422
    assert "Tarkista merkityt kentät." in answer.text
    tag = answer.text.split(f'id="{field}"')[1].split(">")[0]
    assert 'aria-invalid="true"' in tag
    assert f'id="{field}-error"' in answer.text
    assert len(members(runtime, client_id)) == 1


def test_only_the_care_team_opens_the_page(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    stranger = api_as(Role.coach, organisation_id=coach.organisation_id)
    client_id, _ = make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    assert stranger.get(f"/clients/{client_id}/care-team").status_code == 403
    refused = stranger.post(
        f"/clients/{client_id}/care-team",
        data={"user_id": str(stranger.user_id), "role": "goal_coach"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert len(members(runtime, client_id)) == 1
