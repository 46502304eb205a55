"""The referral loop in Chromium: the coach refers a demo-like client, the partner accepts inline
(no page reload), completes with an outcome, and the coach sees each step. axe-core on the
partner's inbox and referral page and the coach's referrals page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_user
from tests.browser.conftest import axe_violations, open_context, problems_of
from tests.referral_kit import (
    coach_principal,
    give_consent,
    partner_service,
    send_referral,
    young_client,
)
from web.security import session_cookie_name

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-referrals_browser")]


def signed_in(
    browser: Browser, live_server: str, runtime: Runtime, user_id: int
) -> tuple[BrowserContext, Page]:
    """A browser context with a fresh session of the user (the cookie, as a login would set)."""
    context, page = open_context(browser, live_server)
    with runtime.db.write() as session:
        token, _csrf = runtime.auth.start_session(session, user_id)
    context.add_cookies(
        [{"name": session_cookie_name(runtime.settings), "value": token, "url": live_server}]
    )
    return context, page


def test_coach_refers_partner_accepts_and_completes_coach_sees_each_step(
    browser: Browser, live_server: str, runtime: Runtime, axe_source: str
) -> None:
    receiving = partner_service(runtime)
    coach = make_user(runtime, Role.coach)
    partner = make_user(runtime, Role.partner, organisation_id=receiving.organisation_id)
    assert coach.id is not None
    assert partner.id is not None
    client_id, _journey = young_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.id,),
        first_name="Aino",
        last_name="Esimerkki",
    )
    give_consent(
        runtime, coach_principal(coach.id, coach.organisation_id), client_id,
        receiving.organisation_id,
    )  # fmt: skip

    # the coach sends the referral with the form
    coach_context, coach_page = signed_in(browser, live_server, runtime, coach.id)
    coach_page.goto(f"/clients/{client_id}/referrals")
    assert axe_violations(coach_page, axe_source) == []
    coach_page.get_by_label("Ohjaamo", exact=False).first.check()
    coach_page.locator("#consent_id").select_option(index=1)
    coach_page.locator("#field-name").check()
    coach_page.locator("#field-goals").check()
    coach_page.locator("#goals").fill("Opiskelupaikka syksyllä")
    coach_page.get_by_role("button", name="Lähetä", exact=True).click()
    expect(coach_page.locator("article[data-state='requested']")).to_have_count(1)

    # the partner opens the referral from the inbox and answers on its page, inline
    partner_context, partner_page = signed_in(browser, live_server, runtime, partner.id)
    partner_page.goto("/partner/referrals")
    assert axe_violations(partner_page, axe_source) == []
    expect(partner_page.locator('#inbox_counts [data-state="requested"]')).to_have_text("1")
    expect(partner_page.locator("#inbox_list button")).to_have_count(0)  # no answers on rows
    partner_page.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(partner_page.locator("main h1")).to_contain_text("Lähete")
    expect(partner_page.locator('[data-field="client-name"]')).to_have_text("Aino Esimerkki")
    expect(partner_page.locator('[data-fact="due"]')).not_to_be_empty()
    expect(partner_page.locator('[data-fact="sender"]')).not_to_be_empty()
    assert "Aino Esimerkki" in partner_page.locator("dl.packet").inner_text()
    assert axe_violations(partner_page, axe_source) == []
    partner_page.evaluate("() => { window.polkuMarker = 'same document'; }")
    with partner_page.expect_response(re.compile(r"/advance$")) as answer:
        partner_page.get_by_role("button", name="Hyväksy").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(partner_page.locator("#referral_status [data-state='accepted']")).to_be_visible()
    # the outcome starts empty: completing without choosing one is refused by the form
    expect(partner_page.locator("#outcome-complete")).to_have_value("")
    partner_page.locator("#confirm-complete").check()
    partner_page.get_by_role("button", name="Merkitse päättyneeksi").click()
    assert partner_page.locator("#outcome-complete").evaluate("e => !e.validity.valid")
    expect(partner_page.locator("#referral_status [data-state='accepted']")).to_be_visible()
    # chosen and confirmed: completed inline
    partner_page.locator("#outcome-complete").select_option("goal_reached")
    partner_page.locator("#reason-complete").fill("Aloitti opinnot")
    partner_page.get_by_role("button", name="Merkitse päättyneeksi").click()
    expect(partner_page.locator("#referral_status [data-state='completed']")).to_be_visible()
    assert partner_page.evaluate("() => window.polkuMarker") == "same document"

    # the coach sees each step, who made it, and the outcome
    coach_page.goto(f"/clients/{client_id}/referrals")
    article = coach_page.locator("article[data-state='completed']")
    expect(article).to_have_count(1)
    steps = article.locator("ol.history li")
    expect(steps).to_have_count(3)
    expect(steps.nth(0)).to_contain_text("Lähetetty")
    expect(steps.nth(1)).to_contain_text("Hyväksytty")
    expect(steps.nth(2)).to_contain_text("Päättynyt")
    expect(steps.nth(2)).to_contain_text("Tavoite saavutettiin")
    expect(steps.nth(2)).to_contain_text("Aloitti opinnot")

    for context, page in ((coach_context, coach_page), (partner_context, partner_page)):
        problems_of(page).assert_clean()
        context.close()


def test_a_consent_error_keeps_every_typed_value_in_the_browser(
    browser: Browser, live_server: str, runtime: Runtime, axe_source: str
) -> None:
    partner_service(runtime)
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _journey = young_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.id,),
        first_name="Eino",
        last_name="Esimerkki",
    )
    context, page = signed_in(browser, live_server, runtime, coach.id)
    page.goto(f"/clients/{client_id}/referrals")
    expect(page.locator('#refer-form [data-field="client-name"]')).to_have_text("Eino Esimerkki")
    page.get_by_label("Ohjaamo", exact=False).first.check()
    page.locator("#field-name").check()
    page.locator("#field-handoff_note").check()
    page.locator("#goals").fill("Opiskelupaikka syksyllä")
    page.locator("#handoff_note").fill("Aamupäivät sopivat")
    problems_of(page).expect_failure(f"{live_server}/clients/{client_id}/referrals")
    page.get_by_role("button", name="Lähetä", exact=True).click()  # no consent, no basis
    expect(page.locator("#referral-basis .field-error")).to_be_visible()
    expect(page.get_by_label("Ohjaamo", exact=False).first).to_be_checked()
    expect(page.locator("#field-name")).to_be_checked()
    expect(page.locator("#field-handoff_note")).to_be_checked()
    expect(page.locator("#field-contact")).not_to_be_checked()
    expect(page.locator("#goals")).to_have_value("Opiskelupaikka syksyllä")
    expect(page.locator("#handoff_note")).to_have_value("Aamupäivät sopivat")
    assert axe_violations(page, axe_source) == []
    # the consent within the step, then sent
    page.locator("#new_consent").check()
    page.locator("#consent_purpose").fill("Ohjaus Ohjaamoon")
    page.locator("#consent_evidence").select_option("verbal")
    page.get_by_role("button", name="Lähetä", exact=True).click()
    expect(page.locator("article[data-state='requested']")).to_have_count(1)
    for size in ((390, 844), (1366, 900)):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        assert page.evaluate("() => document.documentElement.scrollWidth") <= size[0]
    problems_of(page).assert_clean()
    context.close()


def test_the_partner_inbox_on_a_phone_shows_each_referral_whole(
    browser: Browser, live_server: str, runtime: Runtime, axe_source: str
) -> None:
    """At 390 px each referral is a card: its service, dates, status and the action to take are
    on screen with their names, none in a table scrolled sideways."""
    receiving = partner_service(runtime)
    coach = make_user(runtime, Role.coach)
    partner = make_user(runtime, Role.partner, organisation_id=receiving.organisation_id)
    assert coach.id is not None
    assert partner.id is not None
    principal = coach_principal(coach.id, coach.organisation_id)
    for last_name in ("Esimerkki", "Koe"):
        client_id, _journey = young_client(
            runtime, organisation_id=coach.organisation_id, care_team=(coach.id,),
            last_name=last_name,
        )  # fmt: skip
        consent = give_consent(runtime, principal, client_id, receiving.organisation_id)
        send_referral(runtime, principal, client_id, consent_id=consent)
    context, page = signed_in(browser, live_server, runtime, partner.id)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/partner/referrals")
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(2)
    for i in range(2):
        for cell in rows.nth(i).locator("td").all():
            box = cell.bounding_box()
            assert box is not None
            assert box["x"] >= 0
            assert box["x"] + box["width"] <= 390, cell.inner_text()
    first = rows.first
    expect(first.get_by_role("link", name="Avaa ja vastaa")).to_be_visible()
    status = first.locator('td[data-label="Tila"]')
    expect(status).to_have_text("Lähetetty")
    label = status.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Tila: "'
    assert axe_violations(page, axe_source) == []
    context.close()
