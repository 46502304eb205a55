"""The client's voice in Chromium at 390x844: the coach makes a one-time link on the voice page
(htmx, no reload), the client opens it in their own phone's browser (another context, no
cookies, a Swedish phone), answers and is thanked; the coach records a role with consent; the
coordinator's dashboard and role list. axe-core on every page (0 serious or critical), no
sideways scroll; strict CSP, no console errors (conftest).

``POLKU_SCREENSHOTS=<dir>`` saves each page at 390x844 and 1366x900 there.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from engine.inputs import Checks
from engine.models import Role
from engine.runtime import Runtime
from engine.testing import TEST_PASSWORD, make_client, make_user, totp_code
from engine.voice import add_role, record_feedback
from tests.browser.conftest import axe_violations, open_context, problems_of
from tests.browser.test_coach_workspace import FI, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-voice")]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1366, "height": 900}
SHOTS = os.environ.get("POLKU_SCREENSHOTS", "")


def looked_at(page: Page, axe_source: str, name: str) -> None:
    """axe and the phone's width; screenshots at both sizes when asked for."""
    assert axe_violations(page, axe_source) == []
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}-390.png", full_page=True)
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=f"{SHOTS}/{name}-1366.png", full_page=True)
        page.set_viewport_size(PHONE)


def test_a_client_gives_feedback_on_their_phone(
    page: Page, browser: Browser, live_server: str, runtime: Runtime, axe_source: str
) -> None:
    page.set_viewport_size(PHONE)
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _ = make_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.id,),
        first_name="Kaarina",
        last_name="Esimerkki",
    )
    log_in(page, runtime, coach, FI)
    page.goto(f"/clients/{client_id}")
    page.locator("summary", has_text="Asiakkaan ääni").click()
    page.get_by_role("link", name="Palaute, toiveet ja roolit").click()
    page.wait_for_url(f"**/clients/{client_id}/voice")
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")
    links = page.locator("#feedback_links")
    links.get_by_label("Palautesivun kieli").select_option(label="Svenska")
    links.get_by_role("button", name="Luo palautelinkki").click()
    new_link = page.locator("#new-link")
    expect(new_link).to_be_visible()
    url = new_link.input_value()
    assert "/palaute/" in url
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    looked_at(page, axe_source, "voice-coach")

    # the client's own phone: another browser context, no cookies, a Swedish phone
    context, phone = open_context(browser, live_server, locale="sv-SE", viewport=PHONE)
    try:
        phone.goto(url)
        expect(phone.get_by_role("heading", level=1)).to_have_text("Respons och önskemål")
        assert "Kaarina" not in phone.content()
        looked_at(phone, axe_source, "voice-public-form")
        problems_of(phone).expect_failure(url)  # the 422 below
        phone.get_by_role("button", name="Skicka responsen").click()
        # the browser's own check stops an unchosen satisfaction; choose and send
        phone.get_by_label("5 – mycket nöjd").check()
        phone.get_by_label("Vilken slags verksamhet skulle du vilja ha?").select_option(
            label="Kamratgrupper"
        )
        phone.get_by_label("Din önskan med egna ord").fill("Mer gruppträffar")
        phone.get_by_role("button", name="Skicka responsen").click()
        expect(phone.get_by_role("heading", level=1)).to_have_text("Tack!")
        looked_at(phone, axe_source, "voice-public-thanks")
        phone.goto(url)
        expect(phone.locator("main p")).to_contain_text("Den här länken kan inte användas")
        looked_at(phone, axe_source, "voice-public-closed")
    finally:
        context.close()

    page.reload()
    expect(page.locator("#feedback_list")).to_contain_text("Mer gruppträffar")
    roles = page.locator("#voice_roles")
    roles.locator("summary", has_text="Lisää rooli").click()
    roles.get_by_label("Rooli", exact=True).select_option(label="Kokemusasiantuntija")
    roles.get_by_label("Miten se annettiin?").select_option(label="Kirjallisesti")
    roles.get_by_role("button", name="Tallenna rooli").click()
    expect(page.locator("#voice_roles [role=status]")).to_have_text("Tallennettu.")
    expect(page.locator("#voice_roles ul.voice-roles")).to_contain_text("Kokemusasiantuntija")
    looked_at(page, axe_source, "voice-coach-after")


def test_the_coordinator_sees_counts_and_role_holders_on_a_phone(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    page.set_viewport_size(PHONE)
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    coordinator = make_user(runtime, Role.coordinator, organisation_id=coach.organisation_id)
    checks = Checks.of(runtime.clock)
    clients = [
        make_client(runtime, organisation_id=coach.organisation_id, care_team=(coach.id,))[0]
        for _ in range(5)
    ]
    with runtime.db.write() as session:
        for n, (client_id, theme) in enumerate(
            zip(clients, ("work", "study", "work", "peer_group", "health"), strict=True)
        ):
            record_feedback(
                session,
                client_id=client_id,
                recorded_by=coach.id,
                values={"satisfaction": str(1 + n % 5), "wish_theme": theme},
                checks=checks,
                now=runtime.clock.now(),
            )
        add_role(
            session,
            client_id=client_id,
            recorded_by=coach.id,
            values={
                "kind": "peer_instructor",
                "valid_from": runtime.clock.today().isoformat(),
                "consent_evidence": "verbal",
                "consent_given_on": runtime.clock.today().isoformat(),
            },
            checks=checks,
            now=runtime.clock.now(),
        )
    page.goto("/login")
    page.locator("#username").fill(coordinator.username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#totp_code").fill(totp_code(runtime, coordinator))
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto("/reports")
    section = page.locator("section[aria-labelledby=feedback-title]")
    expect(section.locator("table.feedback-themes")).to_contain_text("Työ ja työkokeilut")
    looked_at(page, axe_source, "voice-dashboard")
    section.get_by_role("link", name="Kokemusasiantuntijat ja vertaisohjaajat").click()
    page.wait_for_url("**/reports/voice-roles")
    expect(page.locator("table.voice-roles")).to_contain_text("Vertaisohjaaja")
    looked_at(page, axe_source, "voice-roles")
