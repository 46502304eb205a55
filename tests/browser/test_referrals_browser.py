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
    young_client,
)
from web.security import session_cookie_name

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


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

    # the partner accepts in the inbox: no page reload, the counts follow
    partner_context, partner_page = signed_in(browser, live_server, runtime, partner.id)
    partner_page.goto("/partner/referrals")
    assert axe_violations(partner_page, axe_source) == []
    partner_page.evaluate("() => { window.polkuMarker = 'same document'; }")
    expect(partner_page.locator('#inbox_counts [data-state="requested"]')).to_have_text("1")
    with partner_page.expect_response(re.compile(r"/advance$")) as answer:
        partner_page.get_by_role("button", name="Hyväksy").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(partner_page.locator("tr[data-state='accepted']")).to_have_count(1)
    expect(partner_page.locator('#inbox_counts [data-state="accepted"]')).to_have_text("1")
    expect(partner_page.locator('#inbox_counts [data-state="requested"]')).to_have_text("0")
    assert partner_page.evaluate("() => window.polkuMarker") == "same document"

    # the referral page shows the packet only, and completes with an outcome inline
    partner_page.get_by_role("link", name=re.compile(r"^#\d+$")).click()
    expect(partner_page.locator("main h1")).to_contain_text("Lähete")
    assert "Aino Esimerkki" in partner_page.locator("dl.packet").inner_text()
    assert axe_violations(partner_page, axe_source) == []
    partner_page.evaluate("() => { window.polkuMarker = 'same document'; }")
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
