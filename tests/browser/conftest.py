"""Browser-test fixtures: the app on a live server, Debian's Chromium driven by Playwright.

- ``live_server``: uvicorn in a background thread on a free loopback port (one server per
  worker, started once), serving ``web.testing.app_on(runtime)`` on this test's database (the
  ``runtime`` fixture: a fresh SQLite file, and PostgreSQL too when ``POLKU_TEST_DATABASE_URL``
  is set).
- ``browser``: one Chromium per test worker, Debian's ``chromium-headless-shell`` (the same
  Chromium build and version as Debian's ``chromium`` package, without the desktop browser's
  window and tab machinery: what Playwright itself runs for headless tests). Measured here on
  the browser tests alone (``-m browser -n 2``, both databases): 264 s with ``/usr/bin/chromium``,
  158 s with the headless shell; a new context with one page costs 280 ms of CPU against 96 ms.
- ``full_browser``: Debian's full ``/usr/bin/chromium``, launched once per worker when a test
  asks for it (``full_page``): each role's first screen is checked in it
  (``test_role_homes_browser.py``), so the app is proven in the browser users run too.
  Never a downloaded build; a missing binary fails the run, naming the fix (`make test` installs
  both Debian packages).
- ``page``: a fresh browser context per test, whose ``BrowserProblems`` (console errors, page
  errors, CSP violations, requests to any other host) fail the test at teardown.

When the app sends no Content-Security-Policy (the security middleware is not on this branch
yet), the live server adds the target policy below, so every browser test runs under a strict
CSP: no inline script, no inline style, nothing from another origin.

Browser tests are marked ``browser``; each module is an xdist group of its own
(``browser-<module>``): the modules share no state (every test has its own database, and the
worker's live server serves one test's app at a time), so ``--dist loadgroup`` spreads them
over the workers, each with one Chromium.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Request,
    sync_playwright,
)
from playwright.sync_api import Error as PlaywrightError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.runtime import Runtime
from web.testing import app_on

#: The suite's browser: Debian's package chromium-headless-shell.
CHROMIUM = Path(os.environ.get("POLKU_CHROMIUM", "/usr/bin/chromium-headless-shell"))
#: Debian's package chromium, the desktop browser, headless (each role's first screen).
FULL_CHROMIUM = Path(os.environ.get("POLKU_FULL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).resolve().parents[2] / "web" / "static" / "vendor" / "axe.min.js"

#: The policy the browser tests enforce when the app sends none (see SECURITY.md).
TARGET_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

#: Reports CSP violations to the console, where BrowserProblems collects them.
CSP_REPORTER = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                + ` (${e.sourceFile || "?"}:${e.lineNumber || 0}) ${e.sample || ""}`);
});
"""


class CspFallback:
    """ASGI middleware: add ``TARGET_CSP`` to HTML answers that carry no CSP of their own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_csp(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", TARGET_CSP.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_csp)


def _debian_browser(
    playwright: Playwright, path: Path, package: str, variable: str
) -> Iterator[Browser]:
    """Launch Debian's ``package`` at ``path`` (headless, :data:`CHROMIUM_ARGS`) for the session;
    a missing binary fails the run, naming the fix (never a silent skip: `make test` installs
    it)."""
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} not found: install Debian's {package} (`apt-get install -y {package}`; "
            f"`make test` does it) or point {variable} at one; never `playwright install`"
        )
    launched = playwright.chromium.launch(
        executable_path=str(path), args=CHROMIUM_ARGS, headless=True
    )
    yield launched
    launched.close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    yield from _debian_browser(playwright, CHROMIUM, "chromium-headless-shell", "POLKU_CHROMIUM")


@pytest.fixture(scope="session")
def full_browser(playwright: Playwright) -> Iterator[Browser]:
    yield from _debian_browser(playwright, FULL_CHROMIUM, "chromium", "POLKU_FULL_CHROMIUM")


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class _CurrentApp:
    """The live server's app: whichever test's app is current (an ASGI app that hands each
    request to it). One server per worker serves every browser test in turn."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("a request reached the live server between two tests")
        await self.app(scope, receive, send)


@pytest.fixture(scope="session")
def _live_server() -> Iterator[tuple[str, _CurrentApp]]:
    """uvicorn in a background thread on a free loopback port, started once per worker (a start
    and a stop per test cost about a quarter of a second)."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    current = _CurrentApp()
    config = uvicorn.Config(current, log_level="warning", lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", current
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture
def live_server(runtime: Runtime, _live_server: tuple[str, _CurrentApp]) -> Iterator[str]:
    """The app on ``http://127.0.0.1:<port>``, backed by this test's runtime (the worker's live
    server serves this test's app until the test ends)."""
    url, current = _live_server
    # the browser's Origin on unsafe requests must be an allowed one (CSRF check)
    runtime.settings.allowed_origins = url
    current.app = CspFallback(app_on(runtime))
    try:
        yield url
    finally:
        current.app = None


@dataclass
class BrowserProblems:
    """What must never happen on our pages: console errors, uncaught errors, CSP violations,
    and requests to any host but the live server (a CDN, say)."""

    origin: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    #: URLs a test requests knowing they answer 4xx (Chromium logs each as a console error).
    expected_failures: set[str] = field(default_factory=set)

    def expect_failure(self, url: str) -> None:
        self.expected_failures.add(url)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        failed_load = message.text.startswith("Failed to load resource")
        if failed_load and message.location.get("url") in self.expected_failures:
            return
        self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def on_page_error(self, error: PlaywrightError) -> None:
        self.page_errors.append(str(error))

    def on_request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        web = parts.scheme in ("http", "https", "ws", "wss")
        if web and f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign_requests.append(request.url)

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "console errors (CSP violations included)": self.console_errors,
            "uncaught page errors": self.page_errors,
            "requests to other hosts": self.foreign_requests,
        }

    def assert_clean(self) -> None:
        found = {k: v for k, v in self.as_dict().items() if v}
        assert not found, f"browser problems: {found}"


def open_context(browser: Browser, base_url: str, **options: Any) -> tuple[BrowserContext, Page]:
    """A fresh context (own cookies) and page; the locale defaults to one Polku does not
    speak (de-DE), so Accept-Language gives no match and the default language shows."""
    options.setdefault("locale", "de-DE")
    context = browser.new_context(base_url=base_url, **options)
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_REPORTER)
    page = context.new_page()
    problems = BrowserProblems(origin=base_url)
    page.on("console", problems.on_console)
    page.on("pageerror", problems.on_page_error)
    context.on("request", problems.on_request)
    page.problems = problems  # type: ignore[attr-defined]
    return context, page


def problems_of(page: Page) -> BrowserProblems:
    problems: BrowserProblems = page.problems  # type: ignore[attr-defined]
    return problems


def _clean_page(browser: Browser, base_url: str) -> Iterator[Page]:
    context, page = open_context(browser, base_url)
    try:
        yield page
    finally:
        context.close()
    problems_of(page).assert_clean()


@pytest.fixture
def page(browser: Browser, live_server: str) -> Iterator[Page]:
    """A page in a fresh context; any BrowserProblems fail the test at teardown."""
    yield from _clean_page(browser, live_server)


@pytest.fixture
def full_page(full_browser: Browser, live_server: str) -> Iterator[Page]:
    """``page`` in Debian's full Chromium (``/usr/bin/chromium``)."""
    yield from _clean_page(full_browser, live_server)


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core as copied from npm to web/static/vendor by `make assets` (never a CDN)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} missing: run `make assets` (part of `make install`)")
    return AXE.read_text(encoding="utf-8")


#: axe's answers by page state (:func:`audit_key`) in this worker: an identical page is audited
#: once. Each browser test runs on both databases, in the same worker (its module is an xdist
#: group), and the second run mostly renders the very same pages (the same ids and fictional
#: names), whose audit could find nothing new: 73 of 186 audits were such repeats.
_AUDITED: dict[str, list[dict[str, Any]]] = {}
#: What differs between two renderings of the same page state and no audit reads: the session's
#: CSRF token, and a <time>'s machine-readable instant (its shown text stays in the key).
_SESSION_VALUES = re.compile(
    r'((?:name="csrf_token" value|name="csrf-token" content|<time datetime)=")[^"]*"'
)
#: The page's state outside its DOM that axe's answer depends on.
_MEDIA = """() => [matchMedia('print').matches, matchMedia('(prefers-color-scheme: dark)').matches,
  matchMedia('(forced-colors: active)').matches, matchMedia('(prefers-reduced-motion)').matches,
  document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : '']"""


def audit_key(page: Page) -> str:
    """The rendered page as axe sees it: its path, DOM (:data:`_SESSION_VALUES` left out),
    viewport, emulated media and focus. Anything else that differs (a shown time, an id, an htmx
    swap still settling) is audited again."""
    dom = _SESSION_VALUES.sub(r'\1"', page.content())
    where = urlsplit(page.url)  # not the origin: each worker's live server has a port of its own
    state = [where.path, where.query, page.viewport_size, page.evaluate(_MEDIA), dom]
    return hashlib.sha256(repr(state).encode()).hexdigest()


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """Run axe-core on the current page; return the serious and critical violations. A page
    state this worker has audited already (:func:`audit_key`) gets that answer again.

    axe is evaluated through the DevTools protocol (``page.evaluate``), which the page's CSP
    does not govern; ``add_script_tag(content=...)`` would be an inline script, which our CSP
    rightly blocks.
    """
    key = audit_key(page)
    if key in _AUDITED:
        return list(_AUDITED[key])
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    results: dict[str, Any] = page.evaluate(
        "async () => await window.axe.run(document, {resultTypes: ['violations']})"
    )
    found = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    _AUDITED[key] = found
    return list(found)
