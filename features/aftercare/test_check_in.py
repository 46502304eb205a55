"""Steps for features/aftercare/check_in.feature: the caseload and the client page as a coach
uses them, the clock moved by the engine clock (engine/clock.py FrozenClock)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select

from engine.access import Principal
from engine.clients import latest_client_journey
from engine.clock import FrozenClock
from engine.models import Client, ContactEntry, Role, User
from engine.runtime import Runtime
from engine.testing import make_user
from tests.referral_kit import partner_service, send_referral, young_client
from web.testing import UserClient

scenarios("check_in.feature")

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MONTHS = {"March": 3, "April": 4}


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    """The app's runtime on a clock the scenario moves."""
    return make_runtime(clock=FrozenClock(START))


@dataclass
class Story:
    runtime: Runtime
    api_as: Callable[..., UserClient]
    anna: User
    partner: Principal
    referral_id: int
    client_id: int
    page: Any = None

    def as_anna(self) -> UserClient:
        """A fresh session: the clock moves by weeks between the steps."""
        return self.api_as(user=self.anna)

    def row(self, html: str) -> str:
        return html.split("Esimerkki, Mikko")[1].split("</tr>")[0]

    def plan(self) -> str:
        html = self.as_anna().get(f"/clients/{self.client_id}").text
        start = html.index('<div id="aftercare"')
        return html[start : html.index("</div>", start)]


def _on(runtime: Runtime, day: int, month: str, year: int) -> None:
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.set(datetime(year, MONTHS[month], day, 10, tzinfo=UTC))


@given(
    parsers.parse('the coach "Anna" whose client "Mikko" began a work trial on 2 March 2026'),
    target_fixture="story",
)
def began_a_work_trial(runtime: Runtime, api_as: Callable[..., UserClient]) -> Story:
    anna = make_user(runtime, Role.coach)
    assert anna.id is not None
    coach = Principal(anna.id, Role.coach, anna.organisation_id)
    employer = partner_service(runtime, "Työkokeilupaikka Oy", service_type="work_trial")
    worker = make_user(runtime, Role.partner, organisation_id=employer.organisation_id)
    assert worker.id is not None
    partner = Principal(worker.id, Role.partner, employer.organisation_id)
    client_id, _ = young_client(
        runtime,
        organisation_id=anna.organisation_id,
        care_team=(anna.id,),
        first_name="Mikko",
        last_name="Esimerkki",
    )
    with runtime.db.write() as session:  # recorded on the clock's day
        client = session.get(Client, client_id)
        assert client is not None
        client.created_at = runtime.clock.now()
    referral_id = send_referral(
        runtime, coach, client_id, consent_id=None, statutory_basis="1301/2014:41§"
    )
    story = Story(runtime, api_as, anna, partner, referral_id, client_id)
    for trigger in ("accept", "start_work"):
        _partner(story, trigger)
    return story


def _partner(story: Story, trigger: str, **kw: Any) -> None:
    with story.runtime.db.write() as session:
        story.runtime.referrals.advance(
            session, story.partner, story.referral_id, trigger, now=story.runtime.clock.now(), **kw
        )


@given(parsers.parse("the employer marked the work trial completed on {day:d} {month} {year:d}"))
def completed(story: Story, day: int, month: str, year: int) -> None:
    _on(story.runtime, day, month, year)
    _partner(story, "complete", outcome="goal_reached")


@when(parsers.parse("it is {day:d} {month} {year:d} and Anna opens her caseload"))
def opens_caseload(story: Story, day: int, month: str, year: int) -> None:
    _on(story.runtime, day, month, year)
    story.page = story.as_anna().get("/clients")
    assert story.page.status_code == 200


@then(parsers.parse('Mikko\'s row shows "{badge}"'))
def row_shows(story: Story, badge: str) -> None:
    assert badge in story.row(story.page.text)


@then(
    parsers.parse(
        "Mikko's page lists the check-ins of {first}, {second} and {third}, the first one due"
    )
)
def lists_check_ins(story: Story, first: str, second: str, third: str) -> None:
    plan = story.plan()
    items = plan.split('<li class="aftercare__item')[1:]
    assert [first in items[0], second in items[1], third in items[2]] == [True] * 3
    assert "Ajankohtainen" in items[0]
    assert all("Tulossa" in item for item in items[1:])


@when("Anna follows the check-in link on Mikko's page and records a phone check-in of 20 minutes")
def records_check_in(story: Story) -> None:
    anna = story.as_anna()
    link = f"/clients/{story.client_id}?contact=aftercare#contact-title"
    assert f'href="{link}"' in story.plan()
    form = anna.get(link.split("#")[0]).text
    assert '<option value="aftercare" selected>' in form
    saved = anna.post(
        f"/clients/{story.client_id}/contacts",
        data={"kind": "aftercare", "duration_minutes": "20", "note": "Soitin: työkokeilu sujuu."},
        follow_redirects=False,
    )
    assert saved.status_code == 303


@then(parsers.parse("Mikko's page shows the first check-in done on {day} and the others upcoming"))
def first_done(story: Story, day: str) -> None:
    items = story.plan().split('<li class="aftercare__item')[1:]
    assert f"Tehty {day}" in items[0]
    assert all("Tulossa" in item for item in items[1:])


@then("Mikko's row shows no aftercare reminder")
def no_reminder(story: Story) -> None:
    assert "Jälkiseuranta" not in story.row(story.as_anna().get("/clients").text)


@then(parsers.parse('the contact is of kind "{kind}" written by Anna'))
def contact_kind(story: Story, kind: str) -> None:
    with story.runtime.db.read() as session:
        (entry,) = session.execute(select(ContactEntry)).scalars()
    assert (entry.kind, entry.coach_id, entry.duration_minutes) == (kind, story.anna.id, 20)


@when(
    parsers.parse(
        "it is {day:d} {month} {year:d} and Anna closes Mikko's journey "
        'with the outcome "{outcome}"'
    )
)
def closes(story: Story, day: int, month: str, year: int, outcome: str) -> None:
    _on(story.runtime, day, month, year)
    with story.runtime.db.read() as session:
        journey = latest_client_journey(session, story.client_id)
        assert journey is not None
        assert journey.state == "follow_on_completed"
        version = journey.version
    anna = story.as_anna()
    assert "Jälkiseuranta myöhässä: 1" in story.row(anna.get("/clients").text)
    answer = anna.post(
        f"/clients/{story.client_id}/advance",
        data={
            "trigger": "close",
            "expected_version": str(version),
            "outcome": outcome,
            "confirm": "yes",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303


@then("Mikko's page shows no aftercare plan")
def no_plan(story: Story) -> None:
    assert story.plan().strip() == '<div id="aftercare">'


@then("Mikko's row among the closed clients shows no aftercare reminder")
def closed_row(story: Story) -> None:
    html = story.as_anna().get("/clients?show=closed").text
    assert "Jälkiseuranta" not in story.row(html)
