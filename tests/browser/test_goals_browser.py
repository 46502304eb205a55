"""GAS goals on the client page in Chromium: set a goal and record a follow-up with htmx (no
reload), see the T-score table and chart; axe-core with the forms open and with errors; the
same without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.runtime import Runtime
from engine.testing import make_client
from tests.browser.conftest import axe_violations, open_context, problems_of
from tests.browser.test_coach_workspace import FI, coach_user, log_in, set_goal_with_htmx

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-goals_browser")]


def open_client(page: Page, runtime: Runtime) -> str:
    user = coach_user(runtime)
    client_id, _ = make_client(
        runtime, organisation_id=user.organisation_id, care_team=(user.id or 0,)
    )
    log_in(page, runtime, user, FI)
    page.goto(f"/clients/{client_id}")
    return page.url


def rate(page: Page, level: str) -> None:
    form = page.locator("#goals form[action$='/follow-ups']")
    if not form.is_visible():
        page.locator("#goals details.goal-form summary", has_text="Kirjaa seuranta").click()
    form.locator(f"input[type=radio][value='{level}']").first.check()
    form.get_by_role("button", name="Tallenna seuranta").click()


def test_goals_and_a_follow_up_with_htmx(page: Page, runtime: Runtime, axe_source: str) -> None:
    open_client(page, runtime)
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")
    assert axe_violations(page, axe_source) == []  # the goal form open, no goals yet

    # a half-filled weight: the field is marked, the text kept
    form = page.locator("#goals form[action$='/goals']")
    form.locator("input[name=goal]").fill("Liikun kodin ulkopuolella")
    form.locator("select[name=importance]").select_option("2")
    problems_of(page).expect_failure(page.url + "/goals")  # answered 422 in place
    form.get_by_role("button", name=FI.save_goal).click()
    expect(page.locator("#goal-difficulty-error")).to_be_visible()
    expect(page.locator("#goals input[name=goal]")).to_have_value("Liikun kodin ulkopuolella")
    assert axe_violations(page, axe_source) == []

    page.locator("#goals select[name=importance]").select_option("")
    set_goal_with_htmx(page, FI, "Säännöllinen päivärytmi")
    rate(page, "1")
    expect(page.locator("#goals [role=status]")).to_have_text("Seuranta tallennettiin.")
    cells = page.locator("#goals td[data-t-score]")
    expect(cells).to_have_text(["40,0", "60,0"])
    expect(page.locator("#goals svg[role=img] circle")).to_have_count(2)
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    assert axe_violations(page, axe_source) == []


def test_goals_work_without_javascript(
    browser: Browser, live_server: str, runtime: Runtime
) -> None:
    context, page = open_context(browser, live_server, java_script_enabled=False)
    try:
        client_url = open_client(page, runtime)
        form = page.locator("#goals form[action$='/goals']")
        form.locator("input[name=goal]").fill("Selvitän opiskelupaikan")
        form.locator("input[name=level_0]").fill("Olen käynyt tutustumassa oppilaitokseen")
        form.get_by_role("button", name=FI.save_goal).click()
        page.wait_for_url(client_url + "#goals")  # 303 back to the client page
        expect(page.locator("#goals .goal__draft")).to_be_visible()
        # finish the draft through its change form
        page.locator("#goals .goal details summary").click()
        change = page.locator("#goals .goal form")
        for name, text in (
            ("level_minus_2", "En ole selvittänyt mitään"),
            ("level_minus_1", "Tiedän, mikä ala kiinnostaa"),
            ("level_plus_1", "Olen hakenut yhteen koulutukseen"),
            ("level_plus_2", "Olen saanut opiskelupaikan"),
        ):
            change.locator(f"input[name={name}]").fill(text)
        change.get_by_role("button", name="Tallenna muutokset").click()
        page.wait_for_url(client_url + "#goals")
        expect(page.locator("#goals .goal__draft")).to_have_count(0)
        expect(page.locator("#goals td[data-t-score]")).to_have_text(["40,0"])
    finally:
        context.close()
    problems_of(page).assert_clean()
