"""Steps of access.feature: who may see a client's data, and the client's access log."""

from __future__ import annotations

import pytest
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlmodel import col, select

from engine.models import AccessLog, Role
from features.security.conftest import ClientRecord, Office

#: Every scenario runs once per database backend (the fixture is parametrised).
pytestmark = pytest.mark.usefixtures("database_url")

scenarios("access.feature")

ANYONE = r'(?:coach|coordinator|admin|partner worker) "(?P<name>[^"]+)"'


@given(parsers.parse('coach "{name}" records a new client'), target_fixture="client")
def coach_records_a_client(office: Office, name: str) -> ClientRecord:
    coach = office.add(name, Role.coach)
    response = coach.post(
        "/api/clients",
        json={
            "first_name": "Sointu",
            "last_name": "Esimerkki",
            "municipality_code": "261",
            "birth_date": "1998-04-02",
            "participation_consent": True,
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return ClientRecord(body["client"]["id"], body["journey"]["id"])


@given(parsers.parse('coach "{name}" of the same organisation'))
def a_colleague(office: Office, name: str) -> None:
    office.add(name, Role.coach)


@given(parsers.parse('coordinator "{name}" of the same organisation'))
def a_coordinator(office: Office, name: str) -> None:
    office.add(name, Role.coordinator)


@given(parsers.parse('admin "{name}"'))
def an_admin(office: Office, name: str) -> None:
    office.add(name, Role.admin)


@given(parsers.parse('partner worker "{name}" of a partner agency'))
def a_partner_worker(office: Office, name: str) -> None:
    office.add(name, Role.partner, organisation_id=office.partner_agency())


@when(parsers.re(ANYONE + r" opens the client's journey"), target_fixture="answer")
def opens_the_journey(office: Office, client: ClientRecord, name: str) -> Response:
    return office[name].get(f"/api/journeys/{client.journey_id}")


@when(parsers.parse('coach "{name}" adds "{colleague}" to the client\'s care team'))
def adds_to_the_care_team(office: Office, client: ClientRecord, name: str, colleague: str) -> None:
    response = office[name].post(
        f"/api/clients/{client.client_id}/care-team", json={"user_id": office[colleague].user_id}
    )
    assert response.status_code == 201, response.text


@when(parsers.parse('coach "{name}" moves the client\'s journey with "{trigger}"'))
def moves_the_journey(office: Office, client: ClientRecord, name: str, trigger: str) -> None:
    response = office[name].post(
        f"/api/journeys/{client.journey_id}/advance", json={"trigger": trigger}
    )
    assert response.status_code == 200, response.text


@when(parsers.parse('coordinator "{name}" opens the funnel'), target_fixture="answer")
def opens_the_funnel(office: Office, name: str) -> Response:
    return office[name].get("/api/reports/funnel")


@when(parsers.parse('coordinator "{name}" prints the client\'s log'), target_fixture="answer")
def prints_the_log(office: Office, client: ClientRecord, name: str) -> Response:
    return office[name].get(f"/api/clients/{client.client_id}/log")


@when(parsers.parse('admin "{name}" lists the users'), target_fixture="answer")
def lists_users(office: Office, name: str) -> Response:
    return office[name].get("/api/admin/users")


@then("the journey is shown")
def the_journey_is_shown(answer: Response, client: ClientRecord) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == client.journey_id


@then(parsers.parse('the client\'s access log shows "{views}" by "{name}"'))
def the_access_log_shows(office: Office, client: ClientRecord, views: str, name: str) -> None:
    with office.runtime.db.read() as session:
        rows = session.execute(
            select(col(AccessLog.user_id), col(AccessLog.what))
            .where(col(AccessLog.client_id) == client.client_id)
            .order_by(col(AccessLog.id))
        ).all()
    assert [(r[0], r[1]) for r in rows] == [
        (office[name].user_id, what.strip()) for what in views.split(",")
    ]


@then(parsers.parse('the journey\'s last event was made by "{name}"'))
def last_event_by(office: Office, client: ClientRecord, name: str) -> None:
    events = office[name].get(f"/api/journeys/{client.journey_id}").json()["events"]
    assert events[-1]["actor_id"] == office[name].user_id


@then(parsers.parse("the funnel counts {n:d} contacted journey"))
def the_funnel_counts(answer: Response, n: int) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.json()["stages"][0] == {"stage": "contacted", "journeys": n}


@then(parsers.parse('the printed log lists "{views}"'))
def the_printed_log_lists(answer: Response, views: str) -> None:
    assert answer.status_code == 200, answer.text
    assert [e["what"] for e in answer.json()["accessed"]] == [v.strip() for v in views.split(",")]
