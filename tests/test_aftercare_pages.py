"""Aftercare on the coach's pages (issue 18): the plan on the client page (dates, done/due) in
fi/sv/en, the due/overdue badges on the caseload, the check-in recorded from the page clears its
reminder, the access log (both databases)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col

from engine.access import Principal
from engine.clients import latest_client_journey
from engine.clock import FrozenClock
from engine.models import AccessLog, Client, ContactEntry, Role
from engine.runtime import Runtime
from engine.testing import make_user
from tests.referral_kit import partner_service, send_referral, young_client
from web.app import create_app
from web.testing import sign_in

#: A work trial starts on 2 March 2026: check-ins fall due on 2 April, 2 June and 2 September.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
HX = {"HX-Request": "true"}


@dataclass
class World:
    runtime: Runtime
    coach: Principal
    partner: Principal
    referral_id: int
    client_id: int
    app: object
    made: list[TestClient]

    def as_coach(self, language: str = "fi") -> TestClient:
        """A fresh session (the clock moves by months between requests)."""
        http = TestClient(self.app, follow_redirects=False)  # type: ignore[arg-type]
        http.cookies.set("lang", language)
        sign_in(http, self.runtime, self.coach.user_id)
        self.made.append(http)
        return http

    def on(self, month: int, day: int) -> None:
        assert isinstance(self.runtime.clock, FrozenClock)
        self.runtime.clock.set(datetime(2026, month, day, 10, tzinfo=UTC))


@pytest.fixture
def world(make_runtime: Callable[..., Runtime]) -> Iterator[World]:
    runtime = make_runtime(clock=FrozenClock(START))
    coach_user = make_user(runtime, Role.coach)
    assert coach_user.id is not None
    coach = Principal(coach_user.id, Role.coach, coach_user.organisation_id)
    partner = partner_service(runtime, "Työkokeilupaikka Oy", service_type="work_trial")
    partner_user = make_user(runtime, Role.partner, organisation_id=partner.organisation_id)
    assert partner_user.id is not None
    partner_principal = Principal(partner_user.id, Role.partner, partner.organisation_id)
    client_id, _ = young_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        first_name="Jaana",
        last_name="Jälkiseurattava",
    )
    with runtime.db.write() as session:  # recorded on the clock's day
        client = session.get(Client, client_id)
        assert client is not None
        client.created_at = runtime.clock.now()
    referral_id = send_referral(
        runtime, coach, client_id, consent_id=None, statutory_basis="1301/2014:41§"
    )
    for trigger in ("accept", "start_work"):
        with runtime.db.write() as session:
            runtime.referrals.advance(
                session, partner_principal, referral_id, trigger, now=runtime.clock.now()
            )
    made: list[TestClient] = []
    yield World(
        runtime, coach, partner_principal, referral_id, client_id, create_app(runtime=runtime), made
    )
    for http in made:
        http.close()


def aftercare_section(html: str) -> str:
    start = html.index('<div id="aftercare"')
    return html[start : html.index("</div>", start)]


def row_of(html: str, last_name: str) -> str:
    return html.split(last_name)[1].split("</tr>")[0]


def test_the_client_page_shows_the_plan_with_dates_in_every_language(world: World) -> None:
    page = world.as_coach().get(f"/clients/{world.client_id}")
    assert page.status_code == 200
    section = aftercare_section(page.text)
    assert "Jälkiseuranta" in section
    assert "Jatkopolku (Työkokeilu) alkoi 2.3.2026" in section
    assert "1 kuukausi · 2.4.2026" in section
    assert "3 kuukautta · 2.6.2026" in section
    assert "6 kuukautta · 2.9.2026" in section
    assert section.count("Tulossa") == 3
    assert "Kirjaa jälkiseuranta" not in section  # nothing due yet
    sv = aftercare_section(world.as_coach("sv").get(f"/clients/{world.client_id}").text)
    assert "Uppföljning efteråt" in sv
    assert "Arbetsprövning" in sv
    assert "3 månader" in sv
    en = aftercare_section(world.as_coach("en").get(f"/clients/{world.client_id}").text)
    assert "Aftercare" in en
    assert "The follow-on pathway (Work trial) started on" in en
    assert "1 month" in en
    assert "Upcoming" in en


def test_due_then_overdue_on_the_caseload_and_the_client_page(world: World) -> None:
    assert "Jälkiseuranta" not in row_of(world.as_coach().get("/clients").text, "Jälkiseurattava")
    world.on(4, 2)
    coach = world.as_coach()
    row = row_of(coach.get("/clients").text, "Jälkiseurattava")
    assert "Jälkiseuranta: 1" in row
    assert "myöhässä" not in row
    section = aftercare_section(coach.get(f"/clients/{world.client_id}").text)
    assert "Ajankohtainen" in section
    assert f'href="/clients/{world.client_id}?contact=aftercare#contact-title"' in section
    world.on(4, 16)  # two weeks late
    coach = world.as_coach("en")
    row = row_of(coach.get("/clients").text, "Jälkiseurattava")
    assert "Aftercare check-in overdue: 1" in row
    assert "Aftercare check-in due" not in row
    assert "Overdue" in aftercare_section(coach.get(f"/clients/{world.client_id}").text)


def test_the_check_in_link_opens_the_contact_form_on_aftercare(world: World) -> None:
    world.on(4, 3)
    page = world.as_coach().get(f"/clients/{world.client_id}?contact=aftercare").text
    assert '<option value="aftercare" selected>Jälkiseuranta</option>' in page
    plain = world.as_coach().get(f"/clients/{world.client_id}?contact=phone").text
    assert 'value="aftercare" selected' not in plain
    assert 'value="phone" selected' not in plain


def test_recording_the_check_in_clears_the_reminder(world: World) -> None:
    world.on(4, 3)
    coach = world.as_coach()
    saved = coach.post(
        f"/clients/{world.client_id}/contacts",
        data={"kind": "aftercare", "duration_minutes": "20", "note": "Kuulumiset työkokeilusta"},
        headers=HX,
    )
    assert saved.status_code == 200
    # the htmx answer swaps the plan too (out of band)
    assert '<div id="aftercare" hx-swap-oob="true">' in saved.text
    assert "Tehty 3.4.2026" in saved.text
    assert "Jälkiseuranta" not in row_of(coach.get("/clients").text, "Jälkiseurattava")
    page = coach.get(f"/clients/{world.client_id}").text
    assert "Tehty 3.4.2026" in aftercare_section(page)
    assert "Jälkiseuranta" in page.split('id="timeline"')[1]  # the contact on the timeline
    with world.runtime.db.read() as session:
        kinds = session.execute(
            select(col(ContactEntry.kind)).where(col(ContactEntry.client_id) == world.client_id)
        ).scalars()
        assert list(kinds) == ["aftercare"]
    # a plain form post (no JavaScript) redirects back to the page
    world.on(6, 3)
    plain = world.as_coach().post(
        f"/clients/{world.client_id}/contacts", data={"kind": "aftercare"}
    )
    assert plain.status_code == 303


def test_closing_the_journey_takes_the_plan_away(world: World) -> None:
    world.on(5, 1)
    with world.runtime.db.write() as session:  # the partner marks the work trial completed
        world.runtime.referrals.advance(
            session,
            world.partner,
            world.referral_id,
            "complete",
            outcome="goal_reached",
            now=world.runtime.clock.now(),
        )
    coach = world.as_coach()
    assert "Jälkiseuranta myöhässä: 1" in row_of(coach.get("/clients").text, "Jälkiseurattava")
    page = coach.get(f"/clients/{world.client_id}").text  # (this page failed before issue 18)
    assert "Jälkiseuranta" in aftercare_section(page)
    assert "Jatkopolku toteutui" in page.split('id="timeline"')[1]
    with world.runtime.db.read() as session:
        journey = latest_client_journey(session, world.client_id)
        assert journey is not None
        version = journey.version
    closed = coach.post(
        f"/clients/{world.client_id}/advance",
        data={
            "trigger": "close",
            "expected_version": str(version),
            "outcome": "follow_on_pathway",
            "confirm": "yes",
        },
    )
    assert closed.status_code == 303
    page = coach.get(f"/clients/{world.client_id}").text
    assert aftercare_section(page).strip() == '<div id="aftercare">'
    closed_list = coach.get("/clients?show=closed").text
    assert "Jälkiseurattava" in closed_list
    assert "Jälkiseuranta" not in row_of(closed_list, "Jälkiseurattava")


def test_viewing_the_plan_is_access_logged_once_per_page(world: World) -> None:
    def client_rows() -> int:
        with world.runtime.db.read() as session:
            return int(
                session.execute(
                    select(func.count())
                    .select_from(AccessLog)
                    .where(col(AccessLog.client_id) == world.client_id)
                ).scalar_one()
            )

    before = client_rows()
    world.as_coach().get(f"/clients/{world.client_id}")
    assert client_rows() == before + 1
