"""Page or API is a property of the route (web/errors.py): every route of the app is called
signed out and signed in, as a browser would (Accept: text/html); pages answer HTML (an error
page in the user's language with a way back, or the login redirect), /api answers JSON."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.testclient import TestClient

from engine.models import Role
from engine.runtime import Runtime
from web.app import create_app
from web.errors import PageRoute, page_router
from web.security import PUBLIC
from web.testing import UserClient

BROWSER = {"Accept": "text/html,application/xhtml+xml"}
HX = {"HX-Request": "true"}


def routes(app: FastAPI) -> list[tuple[str, str, bool]]:
    """(method, URL with ids that exist nowhere, is a page) of every route."""
    found = []
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if not isinstance(original, APIRoute):
            continue
        url = re.sub(r"\{[a-z_]+\}", "999999", str(route.path))
        url = url.replace("/lang/999999", "/lang/xx")
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, url, isinstance(original, PageRoute)))
    return found


def test_pages_are_page_routes_and_the_api_is_not(web_app: FastAPI) -> None:
    walked = routes(web_app)
    assert len(walked) > 60
    for method, url, page in walked:
        api = url.startswith("/api/") or url == "/health"
        assert page is not api, f"{method} {url}"


def is_json(answer: object) -> bool:
    return getattr(answer, "headers", {}).get("content-type", "").startswith("application/json")


def is_html(answer: object) -> bool:
    return getattr(answer, "headers", {}).get("content-type", "").startswith("text/html")


def test_signed_out_browser_gets_html_or_login_on_pages_json_on_the_api(
    web_app: FastAPI,
) -> None:
    http = TestClient(web_app, follow_redirects=False)
    for method, url, page in routes(web_app):
        answer = http.request(method, url, headers=BROWSER, data={} if method == "POST" else None)
        where = f"{method} {url} {answer.status_code}"
        if page:
            if answer.status_code == 303:
                assert answer.headers["location"] in ("/login", "/"), where
            else:
                assert is_html(answer), where
                assert answer.status_code != 401, where
        else:
            assert is_json(answer), where
        assert answer.status_code < 500, where


@pytest.mark.parametrize("role", [Role.coach, Role.partner])
def test_signed_in_browser_gets_html_on_pages_json_on_the_api(
    api_as: Callable[..., UserClient], web_app: FastAPI, role: Role
) -> None:
    http = api_as(role)
    for method, url, page in routes(web_app):
        if url in ("/logout", "/api/auth/logout"):
            continue  # would end the session the walk uses
        answer = http.request(
            method,
            url,
            headers=BROWSER,
            data={} if method == "POST" else None,
            follow_redirects=False,
        )
        where = f"{method} {url} {answer.status_code}"
        assert answer.status_code < 500, where
        if page:
            assert answer.status_code in (200, 303, 403, 404, 405, 409, 422), where
            if answer.status_code != 303:
                assert is_html(answer), where
        else:
            assert is_json(answer), where


def test_error_pages_speak_the_users_language_and_lead_back(
    api_as: Callable[..., UserClient],
) -> None:
    partner = api_as(Role.partner)
    refused = partner.get(
        "/clients", headers=BROWSER | {"Referer": "http://testserver/partner/referrals"}
    )
    assert refused.status_code == 403
    assert is_html(refused)
    assert "Ei käyttöoikeutta" in refused.text
    assert 'href="/partner/referrals"' in refused.text  # the way back
    partner.cookies.set("lang", "sv")
    swedish = partner.get("/clients", headers=BROWSER)
    assert "Ingen behörighet" in swedish.text
    partner.cookies.set("lang", "en")
    missing = partner.get("/groups/999999", headers=BROWSER)
    assert missing.status_code == 404
    assert "Page not found" in missing.text
    assert 'href="/"' in missing.text
    # the same refusals stay JSON for the API and for a caller that does not ask for HTML
    assert is_json(partner.get("/api/clients/1/care-team", headers=BROWSER))
    assert is_json(partner.get("/clients"))


def test_htmx_gets_the_error_block_retargeted_at_main(api_as: Callable[..., UserClient]) -> None:
    partner = api_as(Role.partner)
    answer = partner.get("/clients", headers=BROWSER | HX)
    assert answer.status_code == 403
    assert answer.headers["hx-retarget"] == "#main"
    assert answer.text.lstrip().startswith('<main id="main"')


def test_no_such_page_and_wrong_method_are_html(api: TestClient) -> None:
    nowhere = api.get("/no/such/page", headers=BROWSER)
    assert nowhere.status_code == 404
    assert is_html(nowhere)
    assert "Sivua ei löytynyt" in nowhere.text
    assert is_json(api.get("/api/no/such/thing", headers=BROWSER))
    wrong = api.put("/clients/new", headers=BROWSER)
    assert wrong.status_code == 405
    assert is_html(wrong)


def test_a_failing_page_is_an_html_500(runtime: Runtime) -> None:
    web_app = create_app(runtime=runtime)  # its own: the shared one gets no extra route
    broken = page_router(dependencies=[PUBLIC])

    @broken.get("/broken")
    def fail() -> None:
        raise RuntimeError("boom")

    web_app.include_router(broken)
    http = TestClient(web_app, raise_server_exceptions=False)
    answer = http.get("/broken", headers=BROWSER)
    assert answer.status_code == 500
    assert is_html(answer)
    assert "Jotain meni vikaan" in answer.text
    assert "boom" not in answer.text


def test_a_signed_in_user_keeps_their_menu_on_a_path_that_does_not_exist(
    api_as: Callable[..., UserClient], api: TestClient
) -> None:
    coach = api_as(Role.coach)
    nowhere = coach.get("/no/such/page", headers=BROWSER)
    assert nowhere.status_code == 404
    assert 'action="/logout"' in nowhere.text  # signed in: the log-out button, not "sign in"
    assert 'href="/clients"' in nowhere.text  # the coach's own menu
    assert 'href="/login"' not in nowhere.text
    signed_out = api.get("/no/such/page", headers=BROWSER)
    assert 'action="/logout"' not in signed_out.text
    assert 'href="/login"' in signed_out.text
