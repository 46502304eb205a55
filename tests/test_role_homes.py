"""Each role lands on its own work after login, and every page -- the public ones too -- shows the
signed-in header with the role's menu (web/navigation.py, web/templates/base.html)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from engine.models import Role
from engine.runtime import Runtime
from engine.testing import (
    TEST_PASSWORD,
    make_user,
    totp_code,
)
from web.navigation import MENUS, MenuEntry, home_of
from web.testing import (
    UserClient,
)

HOMES = {
    Role.coach: "/clients",
    Role.partner: "/partner/referrals",
    Role.coordinator: "/reports",
    Role.admin: "/admin",
}


@pytest.mark.parametrize("role", list(HOMES), ids=str)
def test_login_lands_on_the_roles_own_work(runtime: Runtime, api: TestClient, role: Role) -> None:
    user = make_user(runtime, role)
    response = api.post(
        "/login",
        data={
            "username": user.username,
            "password": TEST_PASSWORD,
            "totp_code": totp_code(runtime, user),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == HOMES[role]
    home = api.get(HOMES[role])
    assert home.status_code == 200
    assert "Kirjaudu ulos" in home.text


def nav_of(html: str) -> str:
    """The signed-in header: the account (name, log out), the languages and the menu."""
    start = html.index('class="site-header"')
    return html[start : html.index("</header>", start)]


@pytest.mark.parametrize("path", ["/", "/pathways", "/pathways/client_journey"])
@pytest.mark.parametrize("role", list(HOMES), ids=str)
def test_public_pages_show_the_signed_in_header_and_menu(
    api_as: Callable[..., UserClient], role: Role, path: str
) -> None:
    http = api_as(role)
    html = http.get(path).text
    nav = nav_of(html)
    assert "Kirjaudu ulos" in nav
    assert "Kirjaudu sisään" not in nav
    assert f'href="{HOMES[role]}"' in nav
    assert 'name="csrf_token" value=""' not in html  # the logout form carries the token
    if path == "/":
        assert f'href="{HOMES[role]}" hx-get="{HOMES[role]}"' in html.split("</header>")[1]
        assert "Siirry työhösi" in html


def test_the_public_pages_of_an_anonymous_visitor_offer_the_login(api: TestClient) -> None:
    html = api.get("/").text
    assert "Kirjaudu sisään" in nav_of(html)
    assert "Siirry työhösi" not in html
    assert 'href="/login" class="cta cta--primary"' in html


def test_an_ended_session_on_a_public_page_is_simply_anonymous(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    http = api_as(Role.coach)
    assert http.post("/logout", follow_redirects=False).status_code == 303
    page = http.get("/")
    assert page.status_code == 200
    assert "Kirjaudu sisään" in nav_of(page.text)


def test_each_role_sees_its_own_menu(api_as: Callable[..., UserClient]) -> None:
    coach = nav_of(api_as(Role.coach).get("/pathways").text)
    assert 'href="/clients"' in coach
    assert 'href="/admin"' not in coach
    assert 'href="/reports"' not in coach
    admin = nav_of(api_as(Role.admin).get("/pathways").text)
    assert 'href="/admin/users"' in admin
    assert 'href="/clients"' not in admin
    coordinator = nav_of(api_as(Role.coordinator).get("/pathways").text)
    assert 'href="/reports/client-log"' in coordinator
    assert 'href="/clients/new"' not in coordinator
    partner = nav_of(api_as(Role.partner).get("/pathways", headers={"Accept-Language": "sv"}).text)
    assert 'href="/partner/referrals"' in partner
    assert "Logga ut" in partner


def test_the_menus_are_defined_once_and_home_is_the_first_entry() -> None:
    for role, entries in MENUS.items():
        assert home_of_role(role) == entries[0].href
    assert home_of(None) == "/"
    entry = MenuEntry("/clients", "Caseload", ("/clients/",), excludes=("/clients/new",))
    assert entry.is_current("/clients/5")
    assert not entry.is_current("/clients/new")


def home_of_role(role: Role) -> str:
    from engine.access import Principal

    return home_of(Principal(1, role, 1))
