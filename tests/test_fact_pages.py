"""The client's facts page (issue 14): recording the dated facts the referral rules read, on the
client page's side; every "Kirjaa ensin ..." message links to it with the fact preselected."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.models import AccessLog, ClientFact, Role
from engine.runtime import Runtime
from engine.testing import (
    make_client,
)
from web.testing import (
    UserClient,
)

HX = {"HX-Request": "true"}


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def own_client(runtime: Runtime, coach: UserClient, **kw: object) -> int:
    client_id, _ = make_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        **kw,  # type: ignore[arg-type]
    )
    return client_id


def facts_of(runtime: Runtime, client_id: int) -> list[tuple[str, str | None, date]]:
    with runtime.db.read() as session:
        rows = session.execute(
            select(ClientFact)
            .where(col(ClientFact.client_id) == client_id)
            .order_by(col(ClientFact.id))
        ).scalars()
        return [(r.key, r.value, r.valid_from) for r in rows]


def test_facts_page_lists_a_form_per_fact_and_opens_the_asked_one(
    runtime: Runtime, coach: UserClient
) -> None:
    client_id = own_client(runtime, coach)
    page = coach.get(f"/clients/{client_id}/facts?key=service_needs_assessment")
    assert page.status_code == 200
    assert "Asiakkaan tiedot" in page.text
    for key in runtime.facts.definitions:
        assert f'id="fact-{key}"' in page.text
    opened = re.findall(r'<li id="fact-(\w+)">\s*<details class="fact" open>', page.text)
    assert opened == ["service_needs_assessment"]
    with runtime.db.read() as session:
        logged = session.execute(
            select(func.count()).select_from(AccessLog).where(col(AccessLog.what) == "facts")
        ).scalar_one()
    assert logged == 1


def test_recording_a_fact_on_the_page(runtime: Runtime, coach: UserClient) -> None:
    client_id = own_client(runtime, coach)
    since = runtime.clock.today() - timedelta(days=30)
    answer = coach.post(
        f"/clients/{client_id}/facts",
        data={"key": "activation_plan", "value": "true", "valid_from": since.isoformat()},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/clients/{client_id}/facts?saved=activation_plan"
    assert facts_of(runtime, client_id) == [("activation_plan", "true", since)]
    page = coach.get(answer.headers["location"]).text
    assert "Tallennettu: Aktivointisuunnitelma tehty." in page
    current = page.split('id="fact-activation_plan"')[1].split("</summary>")[0]
    assert "Kyllä" in current  # in force now, shown in words
    # the engine reads it like a fact recorded through the API
    with runtime.db.read() as session:
        assert runtime.facts.current(session, client_id).value("activation_plan") is True


def test_a_bad_value_keeps_what_was_typed(runtime: Runtime, coach: UserClient) -> None:
    client_id = own_client(runtime, coach)
    answer = coach.post(
        f"/clients/{client_id}/facts",
        data={"key": "unemployed_since", "value": "eilen", "valid_from": ""},
    )
    assert answer.status_code == 422
    form = answer.text.split('id="fact-unemployed_since"')[1].split("</form>")[0]
    assert '<details class="fact" open>' in form
    assert 'value="eilen"' in form
    assert 'aria-invalid="true"' in form
    assert 'id="fact-unemployed_since-error"' in form
    not_a_date = coach.post(
        f"/clients/{client_id}/facts",
        data={"key": "unemployed_since", "value": "2025-01-01", "valid_from": "31.2.2025"},
    )
    assert not_a_date.status_code == 422
    assert 'id="fact-unemployed_since-from-error"' in not_a_date.text
    unknown = coach.post(f"/clients/{client_id}/facts", data={"key": "no_such", "value": "1"})
    assert unknown.status_code == 422
    assert facts_of(runtime, client_id) == []


def test_record_first_messages_link_to_the_form(runtime: Runtime, coach: UserClient) -> None:
    # 30 years old in Kittilä, no facts recorded: rules that read facts ask for them first
    client_id = own_client(runtime, coach, birth_date=date(1995, 5, 17))
    page = coach.get(f"/clients/{client_id}/referrals").text
    assert "Kirjaa ensin" in page
    links = re.findall(rf'href="/clients/{client_id}/facts\?key=(\w+)#fact-\1"', page)
    assert links
    assert set(links) <= set(runtime.facts.definitions)
    # the link opens the form of that fact
    opened = coach.get(f"/clients/{client_id}/facts?key={links[0]}").text
    assert re.search(rf'<li id="fact-{links[0]}">\s*<details class="fact" open>', opened)
