"""Qualifications and cards in Chromium: on a phone (390 px) a coach records a hygiene card with
htmx (no reload), a date in the future is marked beside its field with the typed values kept,
the card shows on the client page and the CV; axe-core on each page (0 serious or critical), no
sideways scroll. Strict CSP, no console errors (conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from tests.browser.conftest import axe_violations, problems_of
from tests.browser.test_coach_workspace import FI, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-qualifications_browser")]


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390


def test_a_coach_records_a_hygiene_card_on_a_phone(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    user = make_user(runtime, Role.coach)
    assert user.id is not None
    client_id, _ = make_client(
        runtime,
        organisation_id=user.organisation_id,
        care_team=(user.id,),
        first_name="Kaarina",
        last_name="Esimerkki",
    )
    log_in(page, runtime, user, FI)
    page.goto(f"/clients/{client_id}/strengths")
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")
    problems_of(page).expect_failure(page.url.replace("/strengths", "/qualifications"))  # 422
    section = page.locator("#qualifications_list")
    expect(section.get_by_role("heading", name="Pätevyydet ja kortit")).to_be_visible()
    form = section.locator(":scope > form")
    form.get_by_label("Laji").select_option(label="Hygieniapassi")
    form.get_by_label("Nimi", exact=False).fill("Hygieniapassi")
    form.get_by_label("Myöntäjä").fill("Ruokavirasto")
    tomorrow = (runtime.clock.today() + timedelta(days=1)).isoformat()
    form.get_by_label("Suoritettu").fill(tomorrow)
    form.get_by_role("button", name="Lisää pätevyys tai kortti").click()

    section = page.locator("#qualifications_list")
    expect(section.locator("[role=alert]")).to_have_text("Tarkista merkityt kentät.")
    date_field = section.locator("#qualification-new-gained-on")
    expect(date_field).to_have_attribute("aria-invalid", "true")
    expect(section.locator("#qualification-new-gained-on-error")).to_be_visible()
    expect(section.locator("#qualification-new-issuer")).to_have_value("Ruokavirasto")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page)

    last_month = (runtime.clock.today() - timedelta(days=30)).isoformat()
    date_field.fill(last_month)
    section.locator(":scope > form").get_by_role("button").click()
    expect(page.locator("#qualifications_list [role=status]")).to_have_text("Tallennettu.")
    expect(page.locator("#qualifications_list ul.qualifications")).to_contain_text("Ruokavirasto")
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page)

    page.goto(f"/clients/{client_id}")
    page.locator("summary", has_text="Arvioinnit ja vahvuudet").click()
    expect(page.locator("#assessments_links ul.qualifications")).to_contain_text("Hygieniapassi")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page)

    page.goto(f"/clients/{client_id}/cv")
    expect(page.locator(".cv")).to_contain_text("Pätevyydet ja kortit")
    expect(page.locator(".cv")).to_contain_text("Ruokavirasto")
    assert axe_violations(page, axe_source) == []
    no_sideways_scroll(page)
