"""Each role's first screen after signing in with the demo logins (engine/demo.py), and the new
coordinator and admin pages in Chromium (the first screens in Debian's full ``chromium``, the
rest in its headless shell, as every browser test): axe finds no serious or critical problem,
every page fits a 390 px phone (``scrollWidth <= 390``) and 1366 px, the client log report
prints without the menus, and an admin creates a user through the form (CSRF token and all).

Screenshots of every page at both sizes go to ``$POLKU_SCREENSHOTS`` when it is set (they were
looked at when these pages were built).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from engine.demo import DEMO_LOGINS, DemoLogin, load_demo
from engine.models import Role
from engine.runtime import Runtime
from engine.settings import Environment
from engine.testing import runtime_for_tests
from tests.browser.conftest import axe_violations, open_context, problems_of

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-role_homes_browser")]

#: Where each role lands, and the heading it sees there (Finnish).
FIRST_SCREEN = {
    Role.coach: ("/clients", "Asiakkaani"),
    Role.partner: ("/partner/referrals", None),
    Role.coordinator: ("/reports", "Tilannekuva"),
    Role.admin: ("/admin", "Ylläpito"),
}
COORDINATOR_PAGES = ("/reports", "/reports/client-log?q=a")
ADMIN_PAGES = (
    "/admin",
    "/admin/users",
    "/admin/organisations",
    "/admin/tokens",
    "/admin/services",
    "/admin/plugins",
)
SIZES = ((1366, 900), (390, 844))


@pytest.fixture(scope="module")
def demo_runtime(module_database_url: str) -> Iterator[Runtime]:
    """Demo mode (the demo logins need no second factor) with the fictional demo data, loaded
    once per backend for the module: its tests only sign in and read, but for the admin's new
    user, which no other test looks for."""
    runtime = runtime_for_tests(module_database_url, environment=Environment.demo)
    try:
        load_demo(runtime, clients=12)
        yield runtime
    finally:
        runtime.close()


@pytest.fixture
def runtime(demo_runtime: Runtime) -> Runtime:
    return demo_runtime


def login_of(role: Role) -> DemoLogin:
    return next(login for login in DEMO_LOGINS if login.role == role)


def sign_in(page: Page, role: Role) -> None:
    login = login_of(role)
    page.goto("/login")
    page.get_by_label("Käyttäjätunnus").fill(login.username)
    page.get_by_label("Salasana").fill(login.password)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()


def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("POLKU_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def check_page(page: Page, axe_source: str, width: int) -> None:
    """No serious or critical axe problem; no sideways scroll at this width."""
    assert axe_violations(page, axe_source) == [], page.url
    scroll = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"{page.url} is {scroll} px wide at {width} px"


@pytest.mark.parametrize("role", list(FIRST_SCREEN), ids=str)
def test_each_role_signs_in_to_its_own_work(full_page: Page, axe_source: str, role: Role) -> None:
    """In Debian's full Chromium (``/usr/bin/chromium``); the other browser tests run in its
    headless shell (tests/browser/conftest.py)."""
    page = full_page
    sign_in(page, role)
    path, title = FIRST_SCREEN[role]
    assert page.url.endswith(path)
    header = page.get_by_role("banner")
    nav = header.get_by_role("navigation", name="Päävalikko")
    expect(nav.get_by_role("link").first).to_be_visible()
    expect(header.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
    expect(header.get_by_text(login_of(role).display_name)).to_be_visible()
    if title:
        expect(page.locator("main h1")).to_have_text(title)
    check_page(page, axe_source, 1366)
    # on a desktop the header is two rows (brand, account, languages; the menu): it was three to
    # four (~300 px) for the coordinator when the account wrapped with the menu
    height = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
    assert height <= 190, f"{role}: the header takes {height}px at 1366"
    # the public pages keep the header, and the landing page leads back to the work
    page.goto("/")
    expect(header.get_by_role("button", name="Kirjaudu ulos")).to_be_visible()
    page.get_by_role("link", name="Siirry työhösi").click()
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))
    screenshot(page, f"home-{role.value}")


@pytest.mark.parametrize(
    ("role", "paths"),
    [(Role.coordinator, COORDINATOR_PAGES), (Role.admin, ADMIN_PAGES)],
    ids=["coordinator", "admin"],
)
def test_the_new_pages_are_accessible_and_fit_a_phone(
    browser: Browser, live_server: str, axe_source: str, role: Role, paths: tuple[str, ...]
) -> None:
    for width, height in SIZES:
        context, page = open_context(
            browser, live_server, viewport={"width": width, "height": height}
        )
        try:
            sign_in(page, role)
            for path in paths:
                response = page.goto(path)
                assert response is not None, path
                assert response.ok, path
                check_page(page, axe_source, width)
                name = path.strip("/").replace("/", "-").split("?")[0]
                screenshot(page, f"{name}-{width}")
            if role == Role.coordinator:
                # the first client found: their log report
                page.goto("/reports/client-log?q=a")
                page.locator(".found-clients a").first.click()
                expect(page.locator("main h1")).to_contain_text("Lokitietoraportti")
                check_page(page, axe_source, width)
                screenshot(page, f"client-log-report-{width}")
        finally:
            context.close()
        problems_of(page).assert_clean()


def test_the_client_log_report_prints_without_the_menus(page: Page, runtime: Runtime) -> None:
    sign_in(page, Role.coordinator)
    page.goto("/reports/client-log?q=a")
    page.locator(".found-clients a").first.click()
    expect(page.locator("#viewed")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("form.client-log__period")).to_be_hidden()
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("#viewed")).to_be_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1366


def test_an_admin_creates_a_user_sees_the_key_once_and_disables_them(
    page: Page, axe_source: str
) -> None:
    sign_in(page, Role.admin)
    page.goto("/admin/users")
    page.get_by_text("Uusi käyttäjä").click()
    page.get_by_label("Käyttäjätunnus").fill("uusi.valmentaja")
    page.get_by_label("Kollegoille näkyvä nimi").fill("Uusi Valmentaja")
    page.get_by_label("Rooli", exact=True).select_option("coach")
    page.get_by_label("Organisaatio", exact=True).select_option(
        label="Polku-hanke (demo) (Hanke (ylläpitää asiakastietoja))"
    )
    page.get_by_label("Ensimmäinen salasana").fill("alkusalasana-2026")
    page.get_by_role("button", name="Luo käyttäjä").click()
    expect(page.locator("main h1")).to_contain_text("uusi.valmentaja")
    assert page.locator("#secret-uri").input_value().startswith("otpauth://totp/")
    page.goto("/admin/users")
    expect(page.locator("main")).to_contain_text("uusi.valmentaja")
    assert "otpauth://" not in page.content()
    # disabling asks once more, without JavaScript (a details element)
    page.get_by_role("button", name="Poista käytöstä uusi.valmentaja").click()
    page.get_by_role("button", name="Kyllä, poista uusi.valmentaja käytöstä").click()
    expect(page.locator("p.notice")).to_contain_text("poistettiin käytöstä")
    row = page.locator("tr", has_text="uusi.valmentaja")
    expect(row).to_contain_text("Poistettu käytöstä")
    page.get_by_role("button", name="Poista käytöstä koordinaattori").click()
    check_page(page, axe_source, 1366)  # an open confirmation is accessible too
