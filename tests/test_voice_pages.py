"""The client's voice through the app (both databases): the coach records feedback and roles on
the voice page (htmx blocks, 303, 422 with the fields marked), makes a one-time link; the client
answers on the public page, once; the coordinator sees counts and themes on the dashboard and
the role holders on their list. Security of the anonymous page:
tests/security/test_feedback_link.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col

from engine.models import AccessLog, Client, Feedback, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

HX = {"HX-Request": "true"}
LINK = re.compile(r'value="(http://testserver/palaute/[A-Za-z0-9_-]{43})"')


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


@pytest.fixture
def client_id(runtime: Runtime, coach: UserClient) -> int:
    cid, _ = make_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        first_name="Aino",
        last_name="Esimerkki",
    )
    return cid


def access_rows(runtime: Runtime, what: str) -> int:
    with runtime.db.read() as session:
        stmt = select(func.count()).select_from(AccessLog).where(col(AccessLog.what) == what)
        return int(session.execute(stmt).scalar_one())


def new_link(coach: UserClient, client_id: int, language: str = "") -> str:
    """A link made on the voice page (htmx), as the coach copies it: its path."""
    answer = coach.post(
        f"/clients/{client_id}/feedback-links", data={"language": language}, headers=HX
    )
    assert answer.status_code == 200
    found = LINK.search(answer.text)
    assert found is not None, answer.text
    return found.group(1).removeprefix("http://testserver")


def test_the_coach_records_feedback_on_the_voice_page(
    runtime: Runtime, coach: UserClient, client_id: int
) -> None:
    page = coach.get(f"/clients/{client_id}/voice")
    assert page.status_code == 200
    assert "Palaute ja toiveet" in page.text
    assert access_rows(runtime, "feedback") == 1

    bad = coach.post(
        f"/clients/{client_id}/feedback",
        data={"satisfaction": "", "helped": "Ryhmä auttoi"},
        headers=HX,
    )
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    assert "Ryhmä auttoi" in bad.text  # the typed values come back

    saved = coach.post(
        f"/clients/{client_id}/feedback",
        data={"satisfaction": "4", "helped": "Ryhmä auttoi", "wish_theme": "work"},
        headers=HX,
    )
    assert saved.status_code == 200
    assert 'id="feedback_list"' in saved.text
    assert "Ryhmä auttoi" in saved.text
    plain = coach.post(
        f"/clients/{client_id}/feedback", data={"satisfaction": "5"}, follow_redirects=False
    )
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/clients/{client_id}/voice"
    # the client page carries the count and the way here
    client_page = coach.get(f"/clients/{client_id}")
    assert f'href="/clients/{client_id}/voice"' in client_page.text


def test_the_client_answers_once_through_the_link(
    runtime: Runtime, coach: UserClient, client_id: int, api: TestClient
) -> None:
    path = new_link(coach, client_id, "sv")
    assert access_rows(runtime, "feedback_link") == 1  # the creation
    form = api.get(path)
    assert form.status_code == 200
    assert form.headers["content-language"] == "sv"
    assert "Aino" not in form.text
    assert "Esimerkki" not in form.text
    assert 'name="satisfaction"' in form.text

    bad = api.post(path, data={"satisfaction": "7"}, headers={"Origin": "http://testserver"})
    assert bad.status_code == 422
    thanks = api.post(
        path,
        data={"satisfaction": "5", "wish_theme": "peer_group", "wish": "Vertaisryhmä"},
        headers={"Origin": "http://testserver"},
    )
    assert thanks.status_code == 200
    assert 'role="status"' in thanks.text
    assert access_rows(runtime, "feedback_by_link") == 1  # the use
    with runtime.db.read() as session:
        (row,) = session.execute(select(Feedback)).scalars()
    assert (row.client_id, row.channel, row.wish) == (client_id, "link", "Vertaisryhmä")

    again = api.post(path, data={"satisfaction": "1"}, headers={"Origin": "http://testserver"})
    assert again.status_code == 200
    assert 'name="satisfaction"' not in again.text
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Feedback)).scalar_one() == 1
    # the coach sees the answer and that the link was used
    voice_page = coach.get(f"/clients/{client_id}/voice")
    assert "Vertaisryhmä" in voice_page.text


def test_the_link_page_speaks_the_browser_language_or_the_asked_one(
    coach: UserClient, client_id: int, api: TestClient
) -> None:
    path = new_link(coach, client_id)
    english = api.get(path, headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert english.headers["content-language"] == "en"
    assert "Feedback and wishes" in english.text
    asked = api.get(path + "?lang=sv", headers={"Accept-Language": "en"})
    assert asked.headers["content-language"] == "sv"


def test_roles_with_consent_show_on_the_client_page_and_for_the_coordinator(
    runtime: Runtime,
    coach: UserClient,
    client_id: int,
    api_as: Callable[..., UserClient],
) -> None:
    today = runtime.clock.today()
    refused = coach.post(
        f"/clients/{client_id}/voice-roles",
        data={
            "kind": "experience_expert",
            "valid_from": today.isoformat(),
            "valid_to": "",
            "consent_evidence": "written",
            "consent_given_on": (today + timedelta(days=2)).isoformat(),
        },
        headers=HX,
    )
    assert refused.status_code == 422
    assert 'id="role-consent-on-error"' in refused.text
    saved = coach.post(
        f"/clients/{client_id}/voice-roles",
        data={
            "kind": "experience_expert",
            "valid_from": today.isoformat(),
            "valid_to": "",
            "consent_evidence": "written",
            "consent_given_on": today.isoformat(),
        },
        headers=HX,
    )
    assert saved.status_code == 200
    assert "Kokemusasiantuntija" in saved.text
    client_page = coach.get(f"/clients/{client_id}")
    assert "Kokemusasiantuntija" in client_page.text

    coordinator = api_as(Role.coordinator, organisation_id=coach.organisation_id)
    listed = coordinator.get("/reports/voice-roles")
    assert listed.status_code == 200
    assert "Aino Esimerkki" in listed.text
    assert access_rows(runtime, "voice_role_list") == 1

    with runtime.db.read() as session:
        from engine.models import VoiceRole

        role_id = session.execute(select(col(VoiceRole.id))).scalar_one()
    ended = coach.post(f"/clients/{client_id}/voice-roles/{role_id}/end", headers=HX)
    assert ended.status_code == 200
    assert "Aino Esimerkki" not in coordinator.get("/reports/voice-roles").text


def test_the_dashboard_shows_counts_and_themes_never_names_or_words(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    coordinator = api_as(Role.coordinator, organisation_id=coach.organisation_id)
    clients = [
        make_client(
            runtime,
            organisation_id=coach.organisation_id,
            care_team=(coach.user_id,),
            first_name=f"Nimi{n}",
            last_name="Salainen",
        )[0]
        for n in range(5)
    ]
    for n, cid in enumerate(clients[:4]):
        coach.post(
            f"/clients/{cid}/feedback",
            data={"satisfaction": str(n + 2), "wish_theme": "study", "wish": "omat sanat"},
            headers=HX,
        )
    few = coordinator.get("/reports")
    assert few.status_code == 200
    assert "Liian vähän vastauksia" in few.text
    coach.post(f"/clients/{clients[4]}/feedback", data={"satisfaction": "5"}, headers=HX)
    board = coordinator.get("/reports")
    assert "feedback-themes" in board.text
    assert "Opinnot" in board.text
    assert "omat sanat" not in board.text
    assert "Salainen" not in board.text
    with runtime.db.read() as session:
        assert session.get(Client, clients[0]) is not None


def test_the_client_log_report_names_the_link_and_its_use(
    coach: UserClient, client_id: int, api: TestClient, api_as: Callable[..., UserClient]
) -> None:
    path = new_link(coach, client_id)
    api.post(path, data={"satisfaction": "4"})
    coordinator = api_as(Role.coordinator, organisation_id=coach.organisation_id)
    report = coordinator.get(f"/reports/client-log/{client_id}")
    assert report.status_code == 200
    assert "Asiakkaalle annettu palautelinkki" in report.text
    assert "Linkin kautta annettu palaute" in report.text
    assert "Asiakas käytti palautelinkkiään" in report.text
    assert path.removeprefix("/palaute/") not in report.text
