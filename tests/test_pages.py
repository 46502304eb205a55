"""The public HTML pages and static assets through the real app (``api`` fixture)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest

from engine.runtime import Runtime
from web.assets import LONG_CACHE, REVALIDATE, AssetMissing, static_url
from web.pages import safe_next

PAGES = ["/", "/pathways", "/pathways/client_journey"]
HTMX = {"HX-Request": "true"}


class Markup(HTMLParser):
    """Collects what the CSP and our htmx rules care about."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline_scripts = 0
        self.style_elements = 0
        self.style_attributes: list[str] = []
        self.event_handlers: list[str] = []
        self.hx_values: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1
        for name, value in attrs:
            if name == "style":
                self.style_attributes.append(tag)
            if name.startswith("on"):
                self.event_handlers.append(f"{tag}[{name}]")
            if name.startswith(("hx-", "data-hx-")):
                self.hx_values.append(value or "")
            if name == "id" and value:
                self.ids.append(value)


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    return markup


def test_landing_page_is_finnish_by_default(api: Any) -> None:
    response = api.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<html lang="fi"' in response.text
    assert "Jokaisen asiakkaan polku yhdellä silmäyksellä" in response.text
    assert 'href="/login"' in response.text
    assert '<meta name="csrf-token" content="">' in response.text


@pytest.mark.parametrize(
    ("accept", "cookie", "expected"),
    [
        ("sv-FI,sv;q=0.9,en;q=0.8", None, "sv"),
        ("en-GB,en;q=0.9", None, "en"),
        ("de-DE,fr;q=0.9", None, "fi"),
        ("en;q=0.5,sv;q=0.8", None, "sv"),
        ("sv;q=0,en", None, "en"),
        ("en", "sv", "sv"),
        ("en", "xx", "en"),
        (None, None, "fi"),
    ],
)
def test_language_cookie_then_accept_language_then_finnish(
    api: Any, accept: str | None, cookie: str | None, expected: str
) -> None:
    if cookie:
        api.cookies.set("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    response = api.get("/pathways", headers=headers)
    assert response.headers["content-language"] == expected
    assert f'<html lang="{expected}"' in response.text


@pytest.mark.parametrize("path", [*PAGES, "/pathways/missing"])
def test_get_changes_no_state_and_varies_on_htmx(api: Any, path: str) -> None:
    for headers in ({}, HTMX):
        response = api.get(path, headers=headers)
        assert "set-cookie" not in response.headers
        assert "HX-Request" in response.headers["vary"]


@pytest.mark.parametrize("path", PAGES)
def test_htmx_navigation_gets_main_title_and_header(api: Any, path: str) -> None:
    fragment = api.get(path, headers=HTMX)
    assert fragment.status_code == 200
    assert fragment.text.startswith('<main id="main"')
    assert "<html" not in fragment.text
    assert "<footer" not in fragment.text
    assert re.search(r"<title>[^<]+</title>", fragment.text)
    assert '<header id="site_header" class="site-header" hx-swap-oob="true">' in fragment.text
    restore = api.get(path, headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert restore.text.startswith("<!doctype html>")


@pytest.mark.parametrize("path", [*PAGES, "/pathways/missing"])
def test_pages_and_fragments_keep_a_strict_csp_possible(api: Any, path: str) -> None:
    # Request text lands in the page (the switcher's return address): it must stay data.
    attack = '"><script>alert(1)</script><img src=x onerror=alert(1) hx-get="/evil">'
    for headers in ({}, HTMX):
        response = api.get(path, params={"q": attack}, headers=headers)
        markup = parse(response.text)
        assert markup.inline_scripts == 0
        assert markup.style_elements == 0
        assert markup.style_attributes == []
        assert markup.event_handlers == []
        # hx-* attributes hold only our own URLs, ids and swap styles: no request text.
        for value in markup.hx_values:
            assert re.fullmatch(r"(/[a-z_/]*|#[a-z_]+|outerHTML|true)", value), value
        assert len(markup.ids) == len(set(markup.ids)), "duplicate ids"
        assert "<script>alert(1)" not in response.text


def test_language_switch_sets_a_cookie_and_returns_303(api: Any) -> None:
    response = api.post("/lang/sv", data={"next": "/pathways?x=1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/pathways?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("lang=sv;")
    for part in ("HttpOnly", "Path=/", "SameSite=lax", "Max-Age=31536000"):
        assert part in cookie
    followed = api.get("/pathways")
    assert '<html lang="sv"' in followed.text
    assert "Stigar" in followed.text


def test_language_switch_refuses_unknown_languages_and_get(api: Any) -> None:
    unknown = api.post("/lang/de", data={"next": "/"}, follow_redirects=False)
    assert unknown.status_code == 404
    assert "set-cookie" not in unknown.headers
    assert api.get("/lang/sv", follow_redirects=False).status_code == 405


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/pathways/client_journey", "/pathways/client_journey"),
        ("/pathways?x=1&y=2", "/pathways?x=1&y=2"),
        ("https://evil.example/", "/"),
        ("//evil.example/path", "/"),
        ("/\\evil.example", "/"),
        ("/ok\\..\\evil", "/"),
        ("javascript:alert(1)", "/"),
        ("/x\r\nSet-Cookie: a=b", "/"),
        ("", "/"),
        (None, "/"),
    ],
)
def test_language_switch_returns_only_to_local_paths(
    api: Any, target: str | None, expected: str
) -> None:
    assert safe_next(target) == expected
    data = {"next": target} if target is not None else {}
    response = api.post("/lang/en", data=data, follow_redirects=False)
    assert response.headers["location"] == expected


def test_pathway_index_lists_every_pathway(api: Any, runtime: Runtime) -> None:
    text = api.get("/pathways").text
    for key in list(runtime.pathways.keys()):
        assert f'href="/pathways/{key}"' in text
    assert "Asiakkaan polku" in text
    assert "14 tilaa" in text
    assert "Versio 1" in text


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_pathway_page_lists_every_state_and_transition(
    api: Any, runtime: Runtime, language: str
) -> None:
    api.cookies.set("lang", language)
    response = api.get("/pathways/client_journey")
    assert response.status_code == 200
    pathway = runtime.pathways.latest("client_journey")
    text = response.text
    for name, state in pathway.states.items():
        assert f'id="state-{name}"' in text
        assert state.label.get(language) in text
    for transition in pathway.definition.transitions:
        assert transition.label.get(language) in text
    # The diagram source: Mermaid text with an accessible title, labels in the UI language.
    source = re.search(r'<pre class="diagram__source" hidden>(.*?)</pre>', text, re.S)
    assert source is not None
    assert source.group(1).startswith("stateDiagram-v2\n    accTitle: ")
    assert pathway.states["outreach"].label.get(language) in source.group(1)


def test_unknown_pathway_is_a_404_page(api: Any) -> None:
    response = api.get("/pathways/no_such_pathway")
    assert response.status_code == 404
    assert "Sivua ei löytynyt" in response.text
    assert "<!doctype html>" in response.text
    fragment = api.get("/pathways/no_such_pathway", headers={**HTMX, "Accept-Language": "en"})
    assert fragment.status_code == 404
    assert fragment.text.startswith('<main id="main"')
    assert "Page not found" in fragment.text


def test_static_files_are_cached_for_a_year_only_with_their_content_hash(api: Any) -> None:
    url = static_url("js/app.js")
    assert re.fullmatch(r"/static/js/app\.js\?v=[0-9a-f]{16}", url)
    fresh = api.get(url)
    assert fresh.status_code == 200
    assert fresh.headers["cache-control"] == LONG_CACHE
    assert "htmx:configRequest" in fresh.text
    assert api.get("/static/js/app.js").headers["cache-control"] == REVALIDATE
    assert api.get("/static/js/app.js?v=0000").headers["cache-control"] == REVALIDATE
    vendor = api.get(static_url("vendor/htmx.min.js"))
    assert vendor.status_code == 200
    assert vendor.headers["cache-control"] == LONG_CACHE
    assert api.get("/static/vendor/nope.js").status_code == 404
    assert api.get("/static/../pyproject.toml").status_code == 404


def test_every_linked_asset_exists_and_is_local(api: Any) -> None:
    text = api.get("/").text
    links = re.findall(r'(?:src|href|data-mermaid-src)="(/static/[^"]+)"', text)
    assert {link.split("?")[0] for link in links} >= {
        "/static/vendor/htmx.min.js",
        "/static/vendor/pico.min.css",
        "/static/vendor/mermaid.min.js",
        "/static/js/app.js",
        "/static/css/app.css",
    }
    for link in links:
        assert api.get(link).status_code == 200
    assert not re.search(r'(?:src|href)="(?:https?:)?//', text), "nothing from another host"


def test_static_url_of_a_missing_file_fails_loudly() -> None:
    with pytest.raises(AssetMissing, match="make assets"):
        static_url("vendor/not-installed.js")
    with pytest.raises(AssetMissing):
        static_url("../pyproject.toml")


def test_the_served_pico_has_no_data_uri_and_its_icons_are_served(api: Any) -> None:
    """The CSP allows images from 'self' only: Pico's icons are files (make assets rewrites its
    data: URIs), and every one it names is there."""
    css = api.get(static_url("vendor/pico.min.css")).text
    assert "data:" not in css
    icons = set(re.findall(r'--pico-icon-[a-z]+:url\("\.\./img/pico/([a-z]+\.svg)"\)', css))
    assert len(icons) == 10
    for icon in icons:
        answer = api.get(f"/static/img/pico/{icon}")
        assert answer.status_code == 200
        assert answer.text.startswith("<svg")


def test_a_static_url_is_worked_out_once_outside_development(
    monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    """No stat() of the linked files per page (issue 16); development still sees a change."""
    import web.assets as assets

    calls: list[str] = []

    def counting(relative: str) -> str:
        calls.append(relative)
        return "f00d"

    monkeypatch.setattr(assets, "content_hash", counting)
    assets._kept_url.cache_clear()
    request.addfinalizer(assets._kept_url.cache_clear)  # no made-up hash for later tests
    monkeypatch.setattr(assets, "DEVELOPMENT", False)
    assert static_url("js/app.js") == static_url("js/app.js") == "/static/js/app.js?v=f00d"
    assert calls == ["js/app.js"]
    monkeypatch.setattr(assets, "DEVELOPMENT", True)
    static_url("js/app.js")
    static_url("js/app.js")
    assert calls == ["js/app.js"] * 3
