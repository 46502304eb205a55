"""ESF+ participant forms and the funder report in Chromium: the coach fills in the entry form
from the client page (a mistake kept and marked, then saved), the data page shows gaps as gaps;
the coordinator reads the report with its charts and tables. axe-core finds no serious or
critical problem, and the pages fit a 390 px wide phone without sideways scrolling."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.models import User
from engine.runtime import Runtime
from engine.testing import TEST_PASSWORD, make_client, totp_code
from tests import esf_kit
from tests.browser.conftest import axe_violations, problems_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-report_browser")]
#: Set POLKU_SCREENSHOTS=dir to keep screenshots of the pages (for looking at them).
SHOTS = os.environ.get("POLKU_SCREENSHOTS")


def shoot(page: Page, name: str) -> None:
    if not SHOTS:
        return
    for width, height in ((1366, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1366, "height": 900})


def fits_a_phone(page: Page) -> bool:
    page.set_viewport_size({"width": 390, "height": 844})
    fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    if not fits:  # name the culprits in the failure
        print(page.evaluate(
            "() => [...document.querySelectorAll('body *')].filter(e => "
            "e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8)"
            ".map(e => e.tagName + '.' + e.className + '#' + e.id)"
        ))  # fmt: skip
    page.set_viewport_size({"width": 1366, "height": 900})
    return bool(fits)


def sign_in_as(page: Page, runtime: Runtime, user_id: int) -> None:
    with runtime.db.read() as session:
        user = session.get(User, user_id)
        assert user is not None
    page.goto("/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#totp_code").fill(totp_code(runtime, user))
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_load_state()


def test_the_coach_fills_in_the_entry_form(page: Page, runtime: Runtime, axe_source: str) -> None:
    fx = esf_kit.build(runtime)
    client_id, journey_id = make_client(
        runtime, organisation_id=fx.main_id, municipality_code="580", care_team=(fx.coach_main,)
    )
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "engage", actor_id=fx.coach_main)
    sign_in_as(page, runtime, fx.coach_main)
    page.goto(f"/clients/{client_id}")
    page.locator(f"#esf-prompt-entry-{fx.project.id} a").click()
    page.wait_for_url(f"**/clients/{client_id}/participant/entry?project={fx.project.id}")
    assert axe_violations(page, axe_source) == []
    shoot(page, "esf-entry-form")
    page.locator("#f-gender-non_binary").check()
    page.locator("#f-labour_market_status-inactive").check()
    page.locator("#f-unemployed_since").fill("2026-01-01")  # only for the unemployed: an error
    page.locator("#f-disability-declined").check()
    problems_of(page).expect_failure(page.url.split("?")[0])
    page.get_by_role("button", name="Tallenna lomake").click()
    expect(page.locator("#err-unemployed_since")).to_be_visible()
    expect(page.locator("#f-gender-non_binary")).to_be_checked()
    assert axe_violations(page, axe_source) == []
    page.locator("#f-unemployed_since").fill("")
    page.get_by_role("button", name="Tallenna lomake").click()
    page.wait_for_url(f"**/clients/{client_id}/participant")
    expect(page.get_by_text("Muunsukupuolinen")).to_be_visible()
    expect(page.locator(".gap").first).to_be_visible()
    assert axe_violations(page, axe_source) == []
    shoot(page, "esf-participant-data")
    assert fits_a_phone(page)


def test_the_coordinator_reads_the_funder_report(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    fx = esf_kit.build(runtime)
    sign_in_as(page, runtime, fx.coordinator_main)
    page.goto("/reports/funder")
    page.get_by_role("link", name="VALTO-T VALTO (testi)").click()
    page.locator("#from").fill("2026-04-01")
    page.locator("#to").fill("2026-06-30")
    page.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**/reports/funder?**")
    expect(page.locator('#outputs tr[data-key="total"] td').first).to_have_text("4")
    expect(page.locator("#chart-gender svg[role=img]")).to_be_visible()
    expect(page.locator("#chart-gender rect.chart-bar")).to_have_count(4)
    assert axe_violations(page, axe_source) == []
    shoot(page, "esf-funder-report")
    assert fits_a_phone(page)
