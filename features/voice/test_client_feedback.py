"""Steps for features/voice/client_feedback.feature: the link as a coach makes it and a client
uses it on their phone (an anonymous HTTP client)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import func, select
from sqlmodel import col

from engine.clock import FrozenClock
from engine.models import AccessLog, Feedback, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

scenarios("client_feedback.feature")

HX = {"HX-Request": "true"}
LINK = re.compile(r'value="http://testserver(/palaute/[A-Za-z0-9_-]{43})"')
#: What a phone's browser sends (Finnish), so the link's own language must win.
PHONE = {"User-Agent": "Mozilla/5.0 (iPhone)", "Accept-Language": "fi-FI,fi;q=0.9"}


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock=FrozenClock())


@dataclass
class Story:
    anna: UserClient
    phone: TestClient
    client_id: int
    path: str = ""
    page: Response | None = None
    #: Answers stored so far.
    answers: int = 0


@given(
    parsers.parse('the coach "Anna" with the client "Mikko" in her care team'),
    target_fixture="story",
)
def anna_and_mikko(runtime: Runtime, web_app: FastAPI, api_as: Callable[..., UserClient]) -> Story:
    anna = api_as(Role.coach)
    client_id, _ = make_client(
        runtime,
        organisation_id=anna.organisation_id,
        care_team=(anna.user_id,),
        first_name="Mikko",
        last_name="Esimerkki",
    )
    return Story(anna=anna, phone=TestClient(web_app, headers=PHONE), client_id=client_id)


@when("Anna makes a feedback link in Swedish for Mikko")
def make_link(story: Story) -> None:
    answer = story.anna.post(
        f"/clients/{story.client_id}/feedback-links", data={"language": "sv"}, headers=HX
    )
    assert answer.status_code == 200
    found = LINK.search(answer.text)
    assert found is not None
    story.path = found.group(1)


@when("eight days pass")
def eight_days(runtime: Runtime) -> None:
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(days=8)


@when("Mikko opens the link on his phone")
@when("Mikko opens the link again")
def open_link(story: Story) -> None:
    story.page = story.phone.get(story.path)
    assert story.page.status_code == 200


@then("the page is in Swedish and shows nothing of Mikko")
def swedish_and_anonymous(story: Story) -> None:
    assert story.page is not None
    assert story.page.headers["content-language"] == "sv"
    assert "Respons och önskemål" in story.page.text
    assert "Mikko" not in story.page.text
    assert "Esimerkki" not in story.page.text


@when(parsers.parse('Mikko answers "very satisfied", wishes for "peer groups" and writes "{wish}"'))
def answer(story: Story, wish: str) -> None:
    story.page = story.phone.post(
        story.path, data={"satisfaction": "5", "wish_theme": "peer_group", "wish": wish}
    )
    story.answers += 1


@then("Mikko is thanked")
def thanked(story: Story) -> None:
    assert story.page is not None
    assert story.page.status_code == 200
    assert "Tack!" in story.page.text


@then("Anna sees Mikko's answer on his voice page, given on his own phone")
def anna_sees(story: Story) -> None:
    page = story.anna.get(f"/clients/{story.client_id}/voice").text
    answer = page.split('id="feedback_list"')[1]
    assert "Mer gruppträffar" in answer
    assert "Omalla puhelimella" in answer
    assert "Vertaisryhmät" in answer


@then("the access log has the link's creation by Anna and its use by Mikko")
def logged(runtime: Runtime, story: Story) -> None:
    with runtime.db.read() as session:
        rows = session.execute(
            select(col(AccessLog.what), col(AccessLog.basis), col(AccessLog.user_id)).where(
                col(AccessLog.client_id) == story.client_id,
                col(AccessLog.what).in_(["feedback_link", "feedback_by_link"]),
            )
        ).all()
    assert sorted(rows) == [
        ("feedback_by_link", "client_link", story.anna.user_id),
        ("feedback_link", "care_team", story.anna.user_id),
    ]


@then("he gets the neutral page and nothing more is stored")
def neutral(runtime: Runtime, story: Story) -> None:
    assert story.page is not None
    assert 'name="satisfaction"' not in story.page.text
    again = story.phone.post(story.path, data={"satisfaction": "1"})
    assert again.status_code == 200
    assert again.text == story.page.text
    with runtime.db.read() as session:
        stored = session.execute(select(func.count()).select_from(Feedback)).scalar_one()
    assert stored == story.answers
    story.phone.close()
