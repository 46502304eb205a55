"""The client page, the caseload, the facts form and the duplicate warning in Chromium (issue 14):
a phone first (390x844), then a desktop; axe-core on every page; without JavaScript too.

Every test runs under the app's strict CSP and fails on any console error (see conftest).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.models import ContactEntry, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from tests.browser.conftest import axe_violations, open_context, problems_of
from tests.browser.test_coach_workspace import FI, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-client_page_browser")]

PHONE = {"width": 390, "height": 844}


def coach_with_clients(runtime: Runtime) -> tuple[object, int]:
    """A coach with one engaged client (a contact overdue) and a few others."""
    user = make_user(runtime, Role.coach)
    assert user.id is not None
    client_id, journey_id = make_client(
        runtime,
        first_name="Kaarina",
        last_name="Kotilainen-Esimerkki",
        organisation_id=user.organisation_id,
        care_team=(user.id,),
    )
    for name in ("Aatu", "Bertta", "Cecilia"):
        make_client(
            runtime, first_name=name, organisation_id=user.organisation_id, care_team=(user.id,)
        )
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "engage", actor_id=user.id)
        session.add(
            ContactEntry(
                client_id=client_id,
                coach_id=user.id,
                occurred_at=runtime.clock.now() - timedelta(days=8),
                kind="meeting",
                note="",
                next_contact_on=runtime.clock.today() - timedelta(days=1),
            )
        )
    return user, client_id


def test_client_page_on_a_phone(
    browser: Browser, live_server: str, runtime: Runtime, axe_source: str
) -> None:
    context, page = open_context(browser, live_server, viewport=PHONE)
    try:
        user, client_id = coach_with_clients(runtime)
        log_in(page, runtime, user, FI)  # type: ignore[arg-type]
        # the caseload: the overdue client first, visible on the first screen (filters folded)
        first = page.locator("table.caseload tbody tr").first
        expect(first).to_contain_text("Kotilainen-Esimerkki")
        expect(first).to_contain_text("Myöhässä")
        assert first.bounding_box()["y"] < 844  # type: ignore[index]
        expect(page.locator("#caseload-state")).to_be_hidden()  # folded away
        assert axe_violations(page, axe_source) == []

        page.goto(f"/clients/{client_id}")
        card = page.locator(".client-card")
        expect(card).to_contain_text("Myöhässä")  # the next contact is overdue
        expect(card).to_contain_text(user.display_name)  # type: ignore[attr-defined]
        # record a contact comes before the next steps, within the first two screens
        contact = page.locator("#contact_form").bounding_box()
        actions = page.locator("#journey_actions").bounding_box()
        assert contact
        assert actions
        assert contact["y"] < actions["y"]
        assert contact["y"] < 2 * 844
        expect(page.locator("#journey_diagram [aria-current=step]")).to_contain_text("Kiinnittynyt")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        # no Mermaid on the client page
        assert page.evaluate("() => typeof window.mermaid") == "undefined"
        assert axe_violations(page, axe_source) == []

        # pause is secondary and asks to confirm: the first tap only opens it
        page.locator(".side-moves summary", has_text="Tauko").click()
        confirm = page.get_by_role("button", name="Vahvista: Tauko")
        expect(confirm).to_be_visible()
        page.locator("#reason-pause").fill("Sairausloma")
        confirm.click()
        expect(page.locator("#client_state")).to_contain_text("Tauolla")
        expect(page.locator("#timeline li").first).to_contain_text("Jäi tauolle")
        assert axe_violations(page, axe_source) == []
    finally:
        context.close()
    problems_of(page).assert_clean()


def test_facts_form_and_duplicate_warning_without_javascript(
    browser: Browser, live_server: str, runtime: Runtime, axe_source: str
) -> None:
    context, page = open_context(browser, live_server, java_script_enabled=False)
    try:
        user, client_id = coach_with_clients(runtime)
        log_in(page, runtime, user, FI)  # type: ignore[arg-type]
        page.goto(f"/clients/{client_id}")
        # a side move is confirmed without JavaScript too: the first click only opens it
        page.locator(".side-moves summary", has_text="Keskeyttää").click()
        page.locator("#reason-drop_out").fill("Muutti toiselle paikkakunnalle")
        page.get_by_role("button", name="Vahvista: Keskeyttää").click()
        page.wait_for_url(f"**/clients/{client_id}")
        expect(page.locator("#client_state")).to_contain_text("Keskeyttänyt")
        expect(page.locator("#timeline li").first).to_contain_text("Keskeytti")
        page.get_by_role("link", name="Asiakkaan tiedot").click()
        page.wait_for_url(f"**/clients/{client_id}/facts")
        page.locator("#fact-activation_plan summary").click()
        page.locator("#fact-activation_plan-yes").check()
        page.get_by_role("button", name="Tallenna: Aktivointisuunnitelma tehty").click()
        page.wait_for_url(re.compile(r"/facts\?saved=activation_plan$"))
        expect(page.locator("[role=status]")).to_contain_text("Aktivointisuunnitelma tehty")
        expect(page.locator("#fact-activation_plan summary")).to_contain_text("Kyllä")

        # the same person again: asked before saving, values kept, then saved on request
        make_client(
            runtime,
            first_name="Oona",
            last_name="Oksanen",
            birth_date=date(1999, 9, 9),
            organisation_id=user.organisation_id,  # type: ignore[attr-defined]
            care_team=(user.id,),  # type: ignore[attr-defined]
        )
        page.goto("/clients/new")
        page.locator("#first_name").fill("Oona")
        page.locator("#last_name").fill("Oksanen")
        page.locator("#birth_date").fill("1999-09-09")
        page.locator("#municipality_code").select_option("261")
        page.get_by_role("button", name=FI.save_client).click()
        expect(page.locator(".duplicate-warning")).to_contain_text("Oona Oksanen")
        expect(page.locator("#last_name")).to_have_value("Oksanen")
        page.get_by_role("button", name="Tallenna silti uutena asiakkaana").click()
        page.wait_for_url(re.compile(r"/clients/\d+$"))
        expect(page.locator("main h1")).to_have_text("Oona Oksanen")
    finally:
        context.close()
    problems_of(page).assert_clean()


def test_new_pages_are_accessible(page: Page, runtime: Runtime, axe_source: str) -> None:
    user, client_id = coach_with_clients(runtime)
    log_in(page, runtime, user, FI)  # type: ignore[arg-type]
    for url in (
        f"/clients/{client_id}/facts?key=benefit",
        "/clients?show=closed",
        "/pathways/client_journey",
    ):
        page.goto(url)
        assert axe_violations(page, axe_source) == [], url
