"""The coach workspace in Chromium: log in, take in a client, move them through engagement and
goal setting, log a contact -- with htmx (no page reload: a window marker survives) in Finnish
and Swedish, and without JavaScript; axe-core on every page of the workspace.

Every test runs under the app's strict CSP and fails on any console error, CSP violation,
uncaught error or request to another host (see conftest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.goals import LEVEL_FIELDS
from engine.models import Role, User
from engine.runtime import Runtime
from engine.testing import EXAMPLE_LEVELS, TEST_PASSWORD, make_client, make_user, totp_code
from tests.browser.conftest import axe_violations, open_context, problems_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-coach_workspace")]


@dataclass(frozen=True)
class Words:
    """What the coach sees, in one UI language."""

    language_button: str | None
    caseload: str
    new_client: str
    save_client: str
    engage: str
    engaged: str
    start_assessment: str
    assessment: str
    set_goals: str
    goal_setting: str
    contact_kind: str
    save_contact: str
    contact_saved: str
    save_goal: str
    goal_saved: str


FI = Words(
    None,
    "Asiakkaani",
    "Uusi asiakas",
    "Tallenna asiakas",
    "Kiinnittyy toimintaan",
    "Kiinnittynyt",
    "Aloita arviointi",
    "Kokonaistilanteen arviointi",
    "Aseta tavoitteet",
    "Tavoitteiden asettaminen",
    "Kotikäynti",
    "Tallenna yhteydenotto",
    "Yhteydenotto tallennettiin.",
    "Tallenna tavoite",
    "Tavoite tallennettiin.",
)
SV = Words(
    "Svenska",
    "Mina klienter",
    "Ny klient",
    "Spara klienten",
    "Engagerar sig",
    "Engagerad",
    "Börja bedömning",
    "Bedömning av helhetssituationen",
    "Sätt upp mål",
    "Målsättning",
    "Hembesök",
    "Spara kontakten",
    "Kontakten sparades.",
    "Spara målet",
    "Målet sparades.",
)


def coach_user(runtime: Runtime) -> User:
    return make_user(runtime, Role.coach)


def log_in(page: Page, runtime: Runtime, user: User, words: Words) -> None:
    page.goto("/login")
    if words.language_button:
        page.get_by_role("button", name=words.language_button).click()
        page.wait_for_url("**/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#totp_code").fill(totp_code(runtime, user))
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_url("**/clients")


def take_in(page: Page, words: Words, name: str) -> None:
    page.get_by_role("link", name=words.new_client).first.click()
    page.wait_for_url("**/clients/new")
    page.locator("#first_name").fill(name)
    page.locator("#birth_date").fill("1996-04-12")
    page.locator("#municipality_code").select_option("261")
    page.locator("#participation_consent").check()
    page.get_by_role("button", name=words.save_client).click()
    page.wait_for_url(re.compile(r"/clients/\d+$"))
    expect(page.locator("main h1")).to_have_text(name)


#: What the timeline says about each move (a plain phrase, not the button's label).
PHRASES = {
    "Kiinnittyy toimintaan": "Lähti mukaan toimintaan",
    "Aloita arviointi": "Kokonaistilanteen arviointi alkoi",
    "Aseta tavoitteet": "Tavoitteiden asettaminen alkoi",
    "Engagerar sig": "Gick med i verksamheten",
    "Börja bedömning": "Bedömningen av helhetssituationen började",
    "Sätt upp mål": "Målsättningen började",
}


def advance_with_htmx(page: Page, trigger_label: str, state_label: str) -> None:
    page.locator("#journey_actions").get_by_role("button", name=trigger_label).click()
    expect(page.locator("#client_state")).to_contain_text(state_label)
    # the pressed button is gone: focus is on the section's heading, the status follows it
    expect(page.locator("#actions-title")).to_be_focused()
    expect(page.locator("#journey_actions [role=status]")).to_contain_text(state_label)
    expect(page.locator("#journey_diagram .you-are-here")).to_contain_text(state_label)
    expect(page.locator("#timeline li").first).to_contain_text(PHRASES[trigger_label])
    # "you are here": the step line, drawn on the server, marks the client's step
    expect(page.locator("#journey_diagram [aria-current=step]")).to_contain_text(state_label)
    expect(page.locator("#journey_diagram [aria-current=step]")).to_have_count(1)


def set_goal_with_htmx(page: Page, words: Words, goal: str) -> None:
    """Fill the goal form (open while the client has no goals) and save it in place; the next
    steps come along out of band."""
    form = page.locator("#goals form[action$='/goals']")
    if not form.is_visible():
        page.locator("#goals details.goal-form summary").last.click()
    form.locator("input[name=goal]").fill(goal)
    for level, text in EXAMPLE_LEVELS.items():
        form.locator(f"input[name={LEVEL_FIELDS[level]}]").fill(text)
    form.get_by_role("button", name=words.save_goal).click()
    expect(page.locator("#goals [role=status]")).to_have_text(words.goal_saved)
    expect(page.locator("#goals-title")).to_be_focused()
    expect(page.locator("#goals .goal-list")).to_contain_text(goal)


def workspace_flow(page: Page, runtime: Runtime, words: Words, axe_source: str) -> None:
    user = coach_user(runtime)
    log_in(page, runtime, user, words)
    expect(page.locator("main h1")).to_have_text(words.caseload)
    assert axe_violations(page, axe_source) == []

    take_in(page, words, "Kaarina")
    assert axe_violations(page, axe_source) == []
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")

    advance_with_htmx(page, words.engage, words.engaged)
    advance_with_htmx(page, words.start_assessment, words.assessment)
    # goal setting waits for a GAS goal with all five levels described
    expect(page.locator("#journey_actions .why-not")).to_contain_text(words.set_goals)
    set_goal_with_htmx(page, words, "Säännöllinen päivärytmi")
    advance_with_htmx(page, words.set_goals, words.goal_setting)

    form = page.locator("#contact_form")
    form.locator("select[name=kind]").select_option(label=words.contact_kind)
    form.locator("input[name=duration_minutes]").fill("45")
    form.locator("textarea[name=note]").fill("Kahvilla torilla")
    form.get_by_role("button", name=words.save_contact).click()
    expect(page.locator("#contact_form [role=status]")).to_have_text(words.contact_saved)
    expect(page.locator("#timeline li").first).to_contain_text(words.contact_kind)
    expect(page.locator("#timeline li").first).to_contain_text("Kahvilla torilla")

    assert page.evaluate("() => window.polkuMarker") == "no reload"
    assert axe_violations(page, axe_source) == []

    # the dashboard shows the client with today's contact
    page.get_by_role("link", name=words.caseload).first.click()
    expect(page.locator("main h1")).to_have_text(words.caseload)
    expect(page.locator("table.caseload")).to_contain_text("Kaarina")
    expect(page.locator("table.caseload")).to_contain_text(words.goal_setting)


def test_coach_workspace_in_finnish(page: Page, runtime: Runtime, axe_source: str) -> None:
    workspace_flow(page, runtime, FI, axe_source)


def test_coach_workspace_in_swedish(page: Page, runtime: Runtime, axe_source: str) -> None:
    workspace_flow(page, runtime, SV, axe_source)
    expect(page.locator("html")).to_have_attribute("lang", "sv")


def test_intake_page_is_accessible(page: Page, runtime: Runtime, axe_source: str) -> None:
    log_in(page, runtime, coach_user(runtime), FI)
    page.goto("/clients/new")
    problems_of(page).expect_failure(page.url)  # the form with errors answers 422
    page.get_by_role("button", name=FI.save_client).click()  # nothing filled in: errors
    expect(page.locator("#first_name-error")).to_be_visible()
    assert axe_violations(page, axe_source) == []


def test_basic_flows_work_without_javascript(
    browser: Browser, live_server: str, runtime: Runtime
) -> None:
    context, page = open_context(browser, live_server, java_script_enabled=False)
    try:
        log_in(page, runtime, coach_user(runtime), FI)
        take_in(page, FI, "Ilmari")
        client_url = page.url
        page.locator("#journey_actions").get_by_role("button", name=FI.engage).click()
        page.wait_for_url(client_url)  # 303 back to the client page
        expect(page.locator("#client_state")).to_contain_text(FI.engaged)
        expect(page.locator("#journey_diagram [aria-current=step]")).to_contain_text(FI.engaged)
        page.locator("#contact_form select[name=kind]").select_option("phone")
        page.locator("#contact_form textarea[name=note]").fill("Soitin, sovittiin tapaaminen")
        page.get_by_role("button", name=FI.save_contact).click()
        page.wait_for_url(client_url)
        expect(page.locator("#timeline")).to_contain_text("Soitin, sovittiin tapaaminen")
        expect(page.locator("#timeline")).to_contain_text(PHRASES[FI.engage])
        page.get_by_role("button", name="Kirjaudu ulos").click()
        page.wait_for_url("**/login")
    finally:
        context.close()
    problems_of(page).assert_clean()


def test_anonymous_browser_is_sent_to_login(page: Page) -> None:
    page.goto("/clients")
    assert page.url.endswith("/login")
    expect(page.locator("main h1")).to_have_text("Kirjaudu sisään")


def test_workspace_fits_a_phone(browser: Browser, live_server: str, runtime: Runtime) -> None:
    context, page = open_context(
        browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True
    )
    try:
        user = coach_user(runtime)
        make_client(
            runtime,
            first_name="Pitkänimi-Esimerkki",
            last_name="Pitkäsukunimi-Testinen",
            organisation_id=user.organisation_id,
            care_team=(user.id,) if user.id else (),
        )
        log_in(page, runtime, user, FI)
        client_link = page.locator("table.caseload a").first
        for path in ("/clients", "/clients/new", client_link.get_attribute("href") or ""):
            page.goto(path)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
            expect(page.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
    finally:
        context.close()
    problems_of(page).assert_clean()
