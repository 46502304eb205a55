"""The public pages in Chromium: languages, the pathway diagram, htmx navigation, accessibility.

Every test runs under a strict CSP (see conftest) and fails on any console error, CSP violation,
uncaught error or request to another host.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    BrowserProblems,
    audit_key,
    axe_violations,
    open_context,
    problems_of,
)

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-public_pages")]

FI_HEADING = "Jokaisen asiakkaan polku yhdellä silmäyksellä"
SV_HEADING = "Varje klients stig i ett ögonkast"
EN_HEADING = "Every client's journey at a glance"

#: Every page this branch builds, with the heading it shows in Finnish.
PAGES = {
    "/": FI_HEADING,
    "/pathways": "Polut",
    "/pathways/client_journey": "Asiakkaan polku",
    "/pathways/no_such_pathway": "Sivua ei löytynyt",
    # the HTML error page (web/errors.py) of a path no route has
    "/no_such_page": "Sivua ei löytynyt",
}


def heading(page: Page) -> str:
    return page.locator("main h1").inner_text().strip()


def wait_for_diagram(page: Page) -> Any:
    svg = page.locator("#pathway_diagram svg")
    expect(svg).to_be_visible(timeout=20_000)
    return svg


def test_landing_page_is_finnish_by_default(page: Page) -> None:
    # The browser asks for German (de-DE), which Polku does not speak: Finnish it is.
    response = page.goto("/")
    assert response is not None
    assert response.ok
    assert page.locator("html").get_attribute("lang") == "fi"
    assert heading(page) == FI_HEADING
    assert page.title() == "Polku – asiakkaan polut etsivään työhön"
    nav = page.get_by_role("navigation", name="Päävalikko")
    expect(nav.get_by_role("link", name="Polut")).to_be_visible()
    sign_in = page.get_by_role("link", name="Kirjaudu sisään")
    expect(sign_in.first).to_have_attribute("href", "/login")
    expect(page.get_by_role("button", name="Suomi")).to_have_attribute("aria-current", "true")


def test_language_switch_changes_the_ui_and_persists_across_pages(page: Page) -> None:
    page.goto("/pathways/client_journey")
    wait_for_diagram(page)
    expect(page.locator("#pathway_diagram svg")).to_contain_text("Etsivä kontakti")

    page.get_by_role("button", name="Svenska").click()
    page.wait_for_url("**/pathways/client_journey")  # back where the switcher was pressed
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    assert heading(page) == "Klientens stig"
    expect(page.get_by_role("heading", name="Tillstånd och övergångar")).to_be_visible()
    # The diagram labels follow the UI language.
    expect(page.locator("#pathway_diagram svg")).to_contain_text("Uppsökande kontakt")

    # The choice persists: other pages, htmx navigation, a fresh load.
    page.get_by_role("link", name="Polku", exact=True).click()
    expect(page.locator("main h1")).to_have_text(SV_HEADING)
    page.goto("/pathways")
    assert heading(page) == "Stigar"
    assert page.locator("html").get_attribute("lang") == "sv"

    page.get_by_role("button", name="English").click()
    page.wait_for_url(re.compile(r"/pathways$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert heading(page) == "Pathways"
    page.goto("/")
    assert heading(page) == EN_HEADING
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Suomi").click()
    expect(page.locator("main h1")).to_have_text(FI_HEADING)


def test_language_switch_works_without_javascript(browser: Browser, live_server: str) -> None:
    context, page = open_context(browser, live_server, java_script_enabled=False)
    try:
        page.goto("/pathways")
        assert heading(page) == "Polut"
        page.get_by_role("button", name="Svenska").click()
        page.wait_for_load_state()
        assert page.url == f"{live_server}/pathways"
        assert heading(page) == "Stigar"
        page.get_by_role("link", name="Klientens stig").click()  # a plain link, no htmx
        page.wait_for_url("**/pathways/client_journey")
        assert heading(page) == "Klientens stig"
        # Without JavaScript the diagram stays text: the note says where the text version is.
        expect(page.locator(".diagram__fallback")).to_contain_text("JavaScript")
        expect(page.locator("#state-outreach h3")).to_contain_text("Uppsökande kontakt")
    finally:
        context.close()
    problems_of(page).assert_clean()


def test_pathway_diagram_is_drawn_as_svg_by_mermaid(page: Page) -> None:
    page.goto("/pathways/client_journey")
    svg = wait_for_diagram(page)
    assert page.locator(".diagram__fallback").count() == 0
    assert page.locator("#pathway_diagram").get_attribute("data-mermaid-state") == "done"
    # Every state is a node of the drawing, labelled in Finnish.
    for label in ("Etsivä kontakti", "Kiinnittynyt", "Tauolla", "Päättynyt"):
        expect(svg).to_contain_text(label)
    # Mermaid's accessible name and description, and its styles applied without inline CSS.
    assert svg.locator("title").text_content() == "Asiakkaan polku"
    fill = page.evaluate(
        "() => getComputedStyle(document.querySelector('#pathway_diagram svg g.node rect')).fill"
    )
    assert fill == "rgb(236, 236, 255)"  # Mermaid's default theme, from its (adopted) style sheet
    assert page.locator("#pathway_diagram style").count() == 0
    assert page.evaluate("() => document.adoptedStyleSheets.length") == 1
    # The text version lists every state next to the drawing (version 3: 14 states).
    assert page.locator("article.state").count() == 14

    # "Actual size" shows the drawing at its own width, scrollable; pressing again fits it.
    zoom = page.get_by_role("button", name="Todellinen koko")
    fitted = svg.bounding_box()
    zoom.click()
    expect(zoom).to_have_attribute("aria-pressed", "true")
    actual = svg.bounding_box()
    natural = float((svg.get_attribute("viewBox") or "0 0 0 0").split()[2])
    box = page.locator("#pathway_diagram").bounding_box()
    assert fitted is not None
    assert actual is not None
    assert box is not None
    assert fitted["width"] <= box["width"] + 1  # fitted: never wider than its box
    assert abs(actual["width"] - natural) <= 2  # actual size: the drawing's own width
    zoom.click()
    expect(zoom).to_have_attribute("aria-pressed", "false")


def test_htmx_navigation_swaps_main_without_a_page_load(page: Page) -> None:
    page.goto("/")
    page.evaluate("() => { window.polkuMarker = 'same document'; }")

    with page.expect_response("**/pathways") as answer:
        page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Polut").click()
    fragment = answer.value
    assert fragment.request.headers.get("hx-request") == "true"
    assert "<html" not in fragment.text()
    assert '<main id="main"' in fragment.text()
    assert "HX-Request" in (fragment.headers.get("vary") or "")
    expect(page).to_have_url(re.compile(r"/pathways$"))
    expect(page.locator("main h1")).to_have_text("Polut")
    assert page.evaluate("() => window.polkuMarker") == "same document"  # no reload happened
    assert page.title() == "Polut – Polku"  # the title came along
    # The header came out of band: the current-page marker and the switcher's return address.
    nav = page.get_by_role("navigation", name="Päävalikko")
    expect(nav.get_by_role("link", name="Polut")).to_have_attribute("aria-current", "page")
    expect(page.locator('input[name="next"]')).to_have_value("/pathways")
    # Focus moved to the new content, as a page load would.
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "main"

    page.get_by_role("link", name="Asiakkaan polku").click()
    expect(page).to_have_url(re.compile(r"/pathways/client_journey$"))
    wait_for_diagram(page)  # Mermaid draws diagrams in swapped-in content too
    assert page.evaluate("() => window.polkuMarker") == "same document"

    # Back: htmx keeps no snapshots (historyCacheSize 0), so it asks the server, which answers
    # a history restore with the full page; still the same document.
    with page.expect_response("**/pathways") as restore:
        page.go_back()
    assert restore.value.request.headers.get("hx-history-restore-request") == "true"
    assert "<html" in restore.value.text()
    expect(page.locator("main h1")).to_have_text("Polut")
    assert page.evaluate("() => window.polkuMarker") == "same document"
    assert page.evaluate("() => localStorage.length") == 0


@pytest.mark.parametrize("path", list(PAGES))
def test_no_serious_or_critical_accessibility_violations(
    page: Page, live_server: str, axe_source: str, path: str
) -> None:
    if "no_such" in path:
        problems_of(page).expect_failure(f"{live_server}{path}")
    response = page.goto(path)
    assert response is not None
    assert response.status == (404 if "no_such" in path else 200)
    assert heading(page) == PAGES[path]
    if path == "/pathways/client_journey":
        wait_for_diagram(page)
    assert axe_violations(page, axe_source) == []


def test_an_audit_is_reused_only_for_the_very_same_page_state(
    browser: Browser, live_server: str, axe_source: str
) -> None:
    """axe_violations answers a page state audited before from memory (conftest.audit_key):
    another session's rendering of the same page is the same state; any change to the DOM, the
    viewport or the emulated media is audited afresh, so a new fault is never hidden."""
    first_context, first = open_context(browser, live_server)
    second_context, second = open_context(browser, live_server)
    try:
        first.goto("/pathways")
        second.goto("/pathways")
        assert audit_key(first) == audit_key(second)
        assert axe_violations(first, axe_source) == []
        # an image without a text alternative: a critical fault, found although the page was
        # audited clean a moment ago
        second.evaluate(
            "() => document.querySelector('main').append(Object.assign("
            "document.createElement('img'), {src: '/static/img/polku.svg'}))"
        )
        assert audit_key(second) != audit_key(first)
        assert [v["id"] for v in axe_violations(second, axe_source)] == ["image-alt"]
        before = audit_key(first)
        first.set_viewport_size({"width": 390, "height": 844})
        assert audit_key(first) != before
        first.emulate_media(media="print")
        assert audit_key(first) not in (before, audit_key(second))
    finally:
        first_context.close()
        second_context.close()


def test_phone_layout_has_no_horizontal_scrolling(browser: Browser, live_server: str) -> None:
    context, page = open_context(
        browser, live_server, viewport={"width": 360, "height": 740}, is_mobile=True
    )
    try:
        for path in PAGES:
            if PAGES[path] == "Sivua ei löytynyt":  # the 404 pages answer 404 on purpose
                problems_of(page).expect_failure(f"{live_server}{path}")
            page.goto(path)
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
            expect(page.get_by_role("button", name="Svenska")).to_be_in_viewport()
    finally:
        context.close()
    problems_of(page).assert_clean()


def test_problems_are_caught_csp_is_enforced(browser: Browser, live_server: str) -> None:
    """The guard that every other test relies on: it sees a CSP violation and a console error."""
    context, page = open_context(browser, live_server)
    try:
        page.goto("/")
        page.evaluate("() => document.body.setAttribute('style', 'color: red')")
        page.evaluate("() => console.error('boom')")
        problems: BrowserProblems = problems_of(page)
        expect(page.locator("body")).not_to_have_css("color", "rgb(255, 0, 0)")  # blocked
        for _ in range(50):  # the violation report arrives asynchronously
            if any("style-src" in e for e in problems.console_errors):
                break
            page.wait_for_timeout(100)
    finally:
        context.close()
    assert any("style-src" in e for e in problems.console_errors), problems.console_errors
    assert any(e.startswith("boom") for e in problems.console_errors)
    with pytest.raises(AssertionError, match="browser problems"):
        problems.assert_clean()
