"""Who the request is, and CSRF: the session cookie, the Origin check, the CSRF token, the
request's :class:`~engine.auth.Authentication` (bearer token or session cookie), login and
logout. The access rules that use it are in :mod:`web.security`.

Requests with a session cookie and an unsafe method must carry the session's CSRF token (header
``X-CSRF-Token``, or form field ``csrf_token``) and, when the browser sends one, an Origin (or
Referer) from ``settings.allowed_origins``. Bearer requests carry no cookies, so CSRF does not
apply to them.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy import delete
from sqlmodel import Session, col

from engine.auth import Authentication, LoginResult
from engine.errors import CsrfRejected, Unauthenticated
from engine.models import UserSession
from engine.runtime import Runtime
from engine.settings import Settings, is_trusted_proxy
from web.deps import RuntimeDep, get_runtime

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


def session_cookie_name(settings: Settings) -> str:
    """``__Host-`` pins the cookie to this host, path / and https (browsers enforce it)."""
    return "__Host-polku_session" if settings.https else "polku_session"


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """HttpOnly, SameSite=Lax, Secure outside local/demo use; a browser-session cookie (the
    server decides when the session ends)."""
    response.set_cookie(
        session_cookie_name(settings),
        token,
        path="/",
        secure=settings.https,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings), path="/", secure=settings.https, httponly=True
    )


def client_address(request: Request) -> str:
    """The client's address: the connection's peer, unless that peer is a proxy named in
    ``POLKU_TRUSTED_PROXIES``; then the last address in ``X-Forwarded-For`` that is not one of
    those proxies (the left part of the header is whatever the client sent, so it is never
    believed). Without the setting the header is ignored (docs/operations.md, "Reverse proxy")."""
    peer = request.client.host if request.client else "unknown"
    networks = get_runtime(request).settings.trusted_proxy_networks
    if not networks or not is_trusted_proxy(peer, networks):
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",")]
    hops = [h for h in hops if h]
    for hop in reversed(hops):
        if not is_trusted_proxy(hop, networks):
            return hop[:45]
    return hops[0][:45] if hops else peer


def check_origin(request: Request, settings: Settings) -> None:
    """An unsafe request from a browser must come from an allowed origin. Browsers send Origin
    with every cross-origin POST; when it is absent, the Referer's origin is checked instead."""
    origin = request.headers.get("origin")
    referer = request.headers.get("referer")
    if origin is None and referer:
        parts = urlsplit(referer)
        origin = f"{parts.scheme}://{parts.netloc}"
    if origin is not None and origin.rstrip("/").lower() not in settings.origins:
        raise CsrfRejected("the request comes from an origin that is not allowed")


async def submitted_csrf_token(request: Request) -> str | None:
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def authentication(
    request: Request,
    runtime: RuntimeDep,
    submitted_csrf: Annotated[str | None, Depends(submitted_csrf_token)],
) -> Authentication:
    """Authenticate the request (bearer token or session cookie) and, for a session and an unsafe
    method, check CSRF. Raises :class:`Unauthenticated` (401) or :class:`CsrfRejected` (403)."""
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, bearer = header.partition(" ")
        found = (
            runtime.auth.authenticate_token(bearer.strip()) if scheme.lower() == "bearer" else None
        )
        if found is None:
            raise Unauthenticated("unknown, revoked or expired API token")
        return found
    cookie = request.cookies.get(session_cookie_name(runtime.settings))
    if not cookie:
        raise Unauthenticated("not logged in")
    auth = runtime.auth.authenticate_session(cookie)
    if auth is None:
        raise Unauthenticated("the session has ended; log in again")
    # templates put it in <meta name="csrf-token"> and POST forms (web/templating.csrf_token)
    request.state.csrf_token = auth.csrf_token or ""
    # the layout shows the signed-in navigation (web/templates/base.html)
    show_signed_in(request, auth)
    if request.method not in SAFE_METHODS:
        check_origin(request, runtime.settings)
        expected = auth.csrf_token or ""
        if not submitted_csrf or not hmac.compare_digest(submitted_csrf, expected):
            raise CsrfRejected(f"missing or wrong {CSRF_HEADER}")
    return auth


def show_signed_in(request: Request, auth: Authentication) -> None:
    """Let the layout show the signed-in header: the role's menu and the user's name
    (web/navigation.py, web/templates/base.html)."""
    request.state.principal = auth.principal
    request.state.user_name = auth.display_name


def perform_login(
    request: Request,
    session: Session,
    runtime: Runtime,
    *,
    username: str,
    password: str,
    totp_code: str | None,
) -> LoginResult:
    """One login attempt for the JSON and the HTML login; a cookie already present is ended."""
    return runtime.auth.login(
        session,
        username=username,
        password=password,
        totp_code=totp_code,
        ip=client_address(request),
        previous_token=request.cookies.get(session_cookie_name(runtime.settings)),
    )


def end_current_session(auth: Authentication, session: Session) -> None:
    """Logout: the session row goes, so its cookie is worthless (bearer tokens: nothing to end)."""
    if auth.session_id is not None:
        session.execute(delete(UserSession).where(col(UserSession.id) == auth.session_id))
