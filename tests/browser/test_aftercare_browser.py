"""Aftercare in Chromium (issue 18): on a phone (390x844) a coach sees the check-in due on the
caseload, opens the client, follows the check-in link and records it with htmx (no reload): the
plan shows it done. axe-core on each page (0 serious or critical), no sideways scroll; the plan
at 1366x900 too. Strict CSP, no console errors (conftest). Screenshots go to
``$POLKU_SCREENSHOTS`` when set."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.access import Principal
from engine.clock import FrozenClock
from engine.models import Client, Role, User
from engine.runtime import Runtime
from engine.testing import make_user
from tests.browser.conftest import axe_violations
from tests.browser.test_coach_workspace import FI, log_in
from tests.referral_kit import partner_service, send_referral, young_client

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-aftercare")]

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CHECK_IN_DAY = datetime(2026, 4, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock=FrozenClock(START))


def shot(page: Page, name: str) -> None:
    """The whole page, and the plan when it is on the page."""
    folder = os.environ.get("POLKU_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
        if page.locator("section.aftercare").count():
            plan = page.locator("section.aftercare")
            plan.screenshot(path=str(Path(folder) / f"{name}-plan.png"))


def no_sideways_scroll(page: Page, width: int) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width


def on_work_trial(runtime: Runtime) -> tuple[object, int]:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    employer = partner_service(runtime, "Työkokeilupaikka Oy", service_type="work_trial")
    worker = make_user(runtime, Role.partner, organisation_id=employer.organisation_id)
    assert worker.id is not None
    client_id, _ = young_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.id,),
        first_name="Mikko",
        last_name="Esimerkki",
    )
    with runtime.db.write() as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.created_at = runtime.clock.now()
    referral_id = send_referral(
        runtime,
        Principal(coach.id, Role.coach, coach.organisation_id),
        client_id,
        consent_id=None,
        statutory_basis="1301/2014:41§",
    )
    partner = Principal(worker.id, Role.partner, employer.organisation_id)
    for trigger in ("accept", "start_work"):
        with runtime.db.write() as session:
            runtime.referrals.advance(
                session, partner, referral_id, trigger, now=runtime.clock.now()
            )
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.set(CHECK_IN_DAY)
    return coach, client_id


def test_a_coach_records_the_one_month_check_in_on_a_phone(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    coach, client_id = on_work_trial(runtime)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, runtime, coach, FI)  # type: ignore[arg-type]
    row = page.locator("tr", has_text="Esimerkki")
    expect(row).to_contain_text("Jälkiseuranta: 1")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page, 390)
    shot(page, "aftercare-caseload-390")

    row.get_by_role("link").first.click()
    page.wait_for_url(f"**/clients/{client_id}")
    plan = page.locator("section.aftercare")
    expect(plan.get_by_role("heading", name="Jälkiseuranta")).to_be_visible()
    expect(plan).to_contain_text("Jatkopolku (Työkokeilu) alkoi 2.3.2026")
    expect(plan.locator("li").first).to_contain_text("Ajankohtainen")
    shot(page, "aftercare-client-390")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page, 390)
    shot(page, "aftercare-client-390")

    plan.get_by_role("link", name="Kirjaa jälkiseuranta").click()
    page.wait_for_url(f"**/clients/{client_id}?contact=aftercare#contact-title")
    form = page.locator("#contact_form")
    expect(form.locator("#contact-kind")).to_have_value("aftercare")
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")
    form.locator("#contact-duration").fill("20")
    form.locator("#contact-note").fill("Soitin: työkokeilu sujuu.")
    form.get_by_role("button", name="Tallenna").click()
    expect(page.locator("#contact_form [role=status]")).to_be_visible()
    expect(page.locator("section.aftercare li").first).to_contain_text("Tehty 3.4.2026")
    expect(page.locator("section.aftercare")).not_to_contain_text("Kirjaa jälkiseuranta")
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page, 390)
    shot(page, "aftercare-done-390")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/clients/{client_id}")
    expect(page.locator("section.aftercare")).to_contain_text("Tehty 3.4.2026")
    assert axe_violations(page, axe_source) == []
    shot(page, "aftercare-client-1366")
    page.goto("/clients")
    expect(page.locator("tr", has_text="Esimerkki")).not_to_contain_text("Jälkiseuranta")


def test_a_coach_adds_a_job_coach_to_the_care_team_on_a_phone(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    """The care-team page (issue 18) from the client page: a colleague joins as job coach; then
    the two visit the client at home (pair work) and the timeline names both."""
    coach, client_id = on_work_trial(runtime)
    colleague = make_user(runtime, Role.coach, organisation_id=coach.organisation_id)  # type: ignore[attr-defined]
    with runtime.db.write() as session:
        user = session.get(User, colleague.id)
        assert user is not None
        user.display_name = "Ville Työpari"
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, runtime, coach, FI)  # type: ignore[arg-type]
    page.goto(f"/clients/{client_id}")
    page.get_by_role("link", name="Muokkaa työryhmää").click()
    page.wait_for_url(f"**/clients/{client_id}/care-team")
    expect(page.get_by_role("heading", name="Työryhmä", exact=True)).to_be_visible()
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page, 390)
    page.locator("#member-user").select_option(str(colleague.id))
    page.locator("#member-role").select_option("job_coach")
    page.locator("#member-to").fill("2026-06-30")
    page.get_by_role("button", name="Lisää työryhmään").click()
    page.wait_for_url("**/care-team?saved=added")
    expect(page.get_by_role("status")).to_have_text("Jäsen lisättiin työryhmään.")
    expect(page.locator(".care-team")).to_contain_text("Työhönvalmentaja")
    expect(page.locator(".care-team")).to_contain_text("3.4.2026 – 30.6.2026")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page, 390)
    shot(page, "care-team-390")
    page.set_viewport_size({"width": 1366, "height": 900})
    assert axe_violations(page, axe_source) == []
    shot(page, "care-team-1366")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/clients/{client_id}")
    form = page.locator("#contact_form")
    form.locator("#contact-kind").select_option("home_visit")
    form.locator("#contact-duration").fill("90")
    form.get_by_label("Työpari (valinnainen)").select_option(label="Ville Työpari")
    form.get_by_role("button", name="Tallenna yhteydenotto").click()
    expect(page.locator("#contact_form [role=status]")).to_be_visible()
    expect(page.locator("#timeline")).to_contain_text("(kirjasi) ja työpari Ville Työpari")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page, 390)
