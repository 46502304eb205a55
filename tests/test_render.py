"""The render helper (web.templating): full page vs block, Vary, history restore, boosted
requests, out-of-band blocks, 303 after a plain form post, escaping, language."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.testclient import TestClient
from jinja2_fragments.fastapi import Jinja2Blocks

from web.templating import Renderer, add_vary, make_environment, see_other, wants_fragment

LAYOUT = """<!doctype html>
<html lang="{{ lang }}"><head><title>{% block title %}Polku{% endblock %}</title></head>
<body>
{% block site_header %}<header id="site_header"{% if oob %} hx-swap-oob="true"{% endif %}>\
at {{ request.url.path }}</header>{% endblock %}
{% block main %}{% endblock %}
<footer>footer</footer>
</body></html>
"""

PAGE = """{% extends "layout.html" %}
{% block title %}Counter {{ n }}{% endblock %}
{% block main %}<main id="main"><h1>{{ _("Pathways") }}</h1><p>{{ note }}</p>
{% block counter %}<p id="counter"{% if oob %} hx-swap-oob="true"{% endif %}>{{ n }}</p>\
{% endblock %}
</main>{% endblock %}
{% block status %}<p id="status"{% if oob %} hx-swap-oob="true"{% endif %}>saved {{ n }}</p>\
{% endblock %}
"""


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    (tmp_path / "layout.html").write_text(LAYOUT, encoding="utf-8")
    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    renderer = Renderer(
        Jinja2Blocks(env=make_environment(tmp_path)),
        layout="layout.html",
        layout_oob_blocks=("site_header",),
    )
    app = FastAPI()

    @app.get("/page")
    def page(request: Request, note: str = "") -> Response:
        return renderer.render(request, "page.html", {"n": 1, "note": note})

    @app.get("/counter")
    def counter(request: Request) -> Response:
        return renderer.render(request, "page.html", {"n": 1, "note": ""}, block="counter")

    @app.post("/page")
    def save(request: Request) -> Response:
        return renderer.answer_post(
            request,
            redirect_to="/page",
            template="page.html",
            context={"n": 2, "note": ""},
            block="counter",
            oob=["status"],
        )

    with TestClient(app) as test_client:
        yield test_client


HTMX = {"HX-Request": "true"}


def vary(response: Response) -> set[str]:
    return {v.strip().lower() for v in response.headers["vary"].split(",")}


def test_plain_request_gets_the_full_page(client: TestClient) -> None:
    response = client.get("/page")
    assert response.status_code == 200
    assert response.text.startswith("<!doctype html>")
    assert '<main id="main">' in response.text
    assert "<footer>" in response.text
    assert "hx-swap-oob" not in response.text
    assert {"hx-request", "accept-language", "cookie"} <= vary(response)
    assert response.headers["content-language"] == "fi"


def test_htmx_request_gets_main_with_title_and_header_out_of_band(client: TestClient) -> None:
    response = client.get("/page", headers=HTMX)
    assert response.status_code == 200
    text = response.text
    assert text.startswith('<main id="main">')
    assert "<html" not in text
    assert "<footer>" not in text
    assert "<title>Counter 1</title>" in text
    assert '<header id="site_header" hx-swap-oob="true">at /page</header>' in text
    assert 'id="status"' not in text  # blocks outside main are not sent
    assert "hx-request" in vary(response)


@pytest.mark.parametrize(
    "headers",
    [
        {"HX-Request": "true", "HX-History-Restore-Request": "true"},
        {"HX-Request": "true", "HX-Boosted": "true"},
        {"HX-History-Restore-Request": "true"},  # htmx's historyRestoreAsHxRequest: false
        {"HX-Request": "false"},
    ],
    ids=["history-restore", "boosted", "restore-without-hx-request", "hx-request-false"],
)
def test_history_restore_boosted_and_non_htmx_requests_get_the_full_page(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.get("/page", headers=headers)
    assert response.text.startswith("<!doctype html>")
    assert "hx-swap-oob" not in response.text
    assert "hx-request" in vary(response)


def test_a_named_block_alone(client: TestClient) -> None:
    fragment = client.get("/counter", headers=HTMX)
    assert fragment.text == '<p id="counter">1</p>'
    assert "hx-request" in vary(fragment)
    page = client.get("/counter")
    assert page.text.startswith("<!doctype html>")  # same URL, full page without htmx


def test_htmx_post_gets_changed_blocks_the_others_out_of_band(client: TestClient) -> None:
    response = client.post("/page", headers=HTMX)
    assert response.status_code == 200
    assert response.text == '<p id="counter">2</p><p id="status" hx-swap-oob="true">saved 2</p>'
    assert "hx-request" in vary(response)


def test_plain_form_post_gets_303_see_other(client: TestClient) -> None:
    response = client.post("/page", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/page"
    assert "hx-request" in vary(response)
    # A boosted form post is not a fragment request either.
    boosted = client.post("/page", headers={**HTMX, "HX-Boosted": "true"}, follow_redirects=False)
    assert boosted.status_code == 303


def test_user_text_is_escaped_in_pages_and_fragments(client: TestClient) -> None:
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(1)>{{ 7*7 }}'
    for headers in ({}, HTMX):
        text = client.get("/page", params={"note": attack}, headers=headers).text
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x" in text
        assert "{{ 7*7 }}" in text
        assert "49" not in text


def test_language_follows_cookie_then_accept_language(client: TestClient) -> None:
    sv = client.get("/page", headers={"Accept-Language": "sv-FI,sv;q=0.9"})
    assert sv.headers["content-language"] == "sv"
    assert "<h1>Stigar</h1>" in sv.text
    assert '<html lang="sv">' in sv.text
    client.cookies.set("lang", "en")
    en = client.get("/page", headers={"Accept-Language": "sv", **HTMX})
    assert en.headers["content-language"] == "en"
    assert "<h1>Pathways</h1>" in en.text
    client.cookies.clear()
    fi = client.get("/page", headers={"Accept-Language": "de-DE"})
    assert fi.headers["content-language"] == "fi"
    assert "<h1>Polut</h1>" in fi.text


def test_wants_fragment_reads_only_the_htmx_headers() -> None:
    def request(headers: dict[str, str]) -> Request:
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        return Request({"type": "http", "method": "GET", "path": "/", "headers": raw})

    assert wants_fragment(request({"HX-Request": "true"}))
    assert not wants_fragment(request({}))
    assert not wants_fragment(request({"HX-Request": "true", "HX-Boosted": "true"}))
    assert not wants_fragment(request({"HX-Request": "true", "HX-History-Restore-Request": "true"}))


def test_add_vary_keeps_existing_fields_once() -> None:
    response = see_other("/x")
    response.headers["Vary"] = "Origin, hx-request"
    add_vary(response, "HX-Request", "Cookie")
    assert response.headers["vary"] == "Origin, hx-request, Cookie"
