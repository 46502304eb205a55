"""Errors to HTTP in one place: the status of each domain error, and whether the answer is an
HTML page or JSON.

Page or API is a property of the route: the HTML pages' routers are built with
``route_class=PageRoute`` (:func:`page_router`); everything else (``/api``, ``/health``) is API.
A browser on a page (``Accept: text/html``, or an htmx request) gets an HTML error page in its
language with a way back (``errors/error.html``), and a login redirect instead of 401 (htmx:
``HX-Redirect``). The JSON API keeps its JSON errors. A path no route matches is a page unless it
is under ``/api``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import (
    Conflict,
    Forbidden,
    GuardRejected,
    InputRequired,
    InvalidTransition,
    MovedElsewhere,
    NotFound,
    PolkuError,
    Throttled,
    Unauthenticated,
)

log = logging.getLogger("polku.web")

STATUS: dict[type[PolkuError], int] = {
    Unauthenticated: 401,
    Forbidden: 403,
    Throttled: 429,
    NotFound: 404,
    InvalidTransition: 409,
    MovedElsewhere: 409,
    Conflict: 409,
    GuardRejected: 422,
    InputRequired: 422,
}
#: The statuses with an HTML error page of their own wording (others use the 500 wording).
PAGE_STATUSES = frozenset({400, 403, 404, 405, 409, 422, 429, 500})


def status_of(exc: PolkuError) -> int:
    """The HTTP status of a domain error (400 for one not listed)."""
    return next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)


class PageRoute(APIRoute):
    """A route of an HTML page: its errors answer a browser with HTML pages."""


def page_router(**kwargs: Any) -> APIRouter:
    """An ``APIRouter`` of HTML pages (not in the OpenAPI schema, errors as pages)."""
    kwargs.setdefault("include_in_schema", False)
    return APIRouter(route_class=PageRoute, **kwargs)


def is_page_route(request: Request) -> bool:
    """The request matched a page route, or no route at all outside ``/api``."""
    route = request.scope.get("route")
    if route is None:
        return not request.url.path.startswith("/api")
    return isinstance(route, PageRoute)


def wants_html(request: Request) -> bool:
    """A browser: it accepts HTML, or it is htmx (which asks for fragments of our pages)."""
    return (
        "text/html" in request.headers.get("accept", "")
        or request.headers.get("hx-request") == "true"
    )


def is_html_page(request: Request) -> bool:
    """A browser asking for one of our HTML pages, not the JSON API."""
    return is_page_route(request) and wants_html(request)


def to_login(request: Request) -> Response:
    """Not logged in on an HTML page: a page load goes to /login (303); htmx is told to go
    there with ``HX-Redirect`` (a swap of the login form into a fragment would be wrong)."""
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


def back_to(request: Request) -> str:
    """Where the error page's "back" link goes: the page the user came from (a local path on
    this site), else the front page."""
    from web.pages import safe_next  # pages imports this module's router factory

    referer = request.headers.get("referer", "")
    base = str(request.base_url).rstrip("/")
    if referer.startswith(base + "/"):
        path = safe_next(referer[len(base) :])
        if path != request.url.path:
            return path
    return "/"


def recognise_signed_in(request: Request) -> None:
    """Let an error page that no route reached show the signed-in header when the browser holds
    a valid session (never raises: the page is shown either way)."""
    from web.authentication import session_cookie_name, show_signed_in

    if getattr(request.state, "principal", None) is not None:
        return
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return
    cookie = request.cookies.get(session_cookie_name(runtime.settings))
    if not cookie:
        return
    try:
        auth = runtime.auth.authenticate_session(cookie)
    except Exception:  # an error page must not fail on the way
        log.warning("error page: the session could not be read")
        return
    if auth is not None:
        request.state.csrf_token = auth.csrf_token or ""
        show_signed_in(request, auth)


def error_page(request: Request, status: int, *, headers: dict[str, str] | None = None) -> Response:
    """The HTML error page for ``status`` in the user's language. An htmx request gets the
    page's main block, retargeted at ``#main`` (app.js swaps such an answer whatever its
    status), so the message replaces the content instead of nothing happening."""
    from web.templating import render, wants_fragment

    shown = status if status in PAGE_STATUSES else 500
    extra = dict(headers or {})
    if wants_fragment(request):
        extra |= {"HX-Retarget": "#main", "HX-Reswap": "outerHTML"}
    return render(
        request,
        "errors/error.html",
        {"status": shown, "back": back_to(request)},
        status_code=status,
        headers=extra,
    )


def polku_error_answer(request: Request, exc: PolkuError) -> Response:
    """A domain error that no route turned into its page: a login redirect or an error page
    for a browser on a page, JSON for the API."""
    status = status_of(exc)
    if status in (401, 403):
        log.info("%s %s refused: %s %s", request.method, request.url.path, status, exc.code)
    if is_html_page(request):
        return to_login(request) if status == 401 else error_page(request, status)
    headers = {"WWW-Authenticate": 'Bearer realm="polku"'} if status == 401 else None
    return JSONResponse(exc.as_dict(), status_code=status, headers=headers)


def install_page_errors(app: FastAPI, validation: Callable[..., Any] | None = None) -> None:
    """HTML pages for what the framework raises on a page (no such path 404, method 405, a
    request the route's parameters refuse 422) and for an unexpected failure (500); the API
    keeps the framework's JSON. ``validation`` is the API's own handler of request validation
    errors, when the app has one."""
    from fastapi.exception_handlers import (
        http_exception_handler,
        request_validation_exception_handler,
    )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if is_html_page(request):
            # no route ran (an unknown path): still show a signed-in user their own menu
            await run_in_threadpool(recognise_signed_in, request)
            return error_page(request, exc.status_code, headers=dict(exc.headers or {}))
        return await http_exception_handler(request, exc)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if is_html_page(request):
            return error_page(request, 422)
        if validation is not None:
            answer: Response = await validation(request, exc)
            return answer
        return await request_validation_exception_handler(request, exc)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
        if is_html_page(request):
            return error_page(request, 500)
        return JSONResponse({"error": "server_error", "message": "internal error"}, 500)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, server_error)
