"""Login, logout, the current user, password change (JSON). The HTML login form is web/login.py.

Access rules: login is ``PUBLIC`` (Origin-checked; a fresh session id every time); the rest need
``CurrentUser``. The login answer carries the CSRF token to send as ``X-CSRF-Token``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from engine.auth import LoginOutcome
from engine.errors import InputRequired, Throttled, Unauthenticated
from engine.models import User
from web.api.schemas import LoginRequest, MeOut, PasswordChange
from web.deps import ReadSessionDep, RuntimeDep, WriteSessionDep
from web.security import (
    PUBLIC,
    CurrentUser,
    clear_session_cookie,
    end_current_session,
    perform_login,
    set_session_cookie,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


def me_out(user: User, csrf_token: str | None) -> MeOut:
    assert user.id is not None
    return MeOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation_id=user.organisation_id,
        csrf_token=csrf_token,
    )


LOGIN_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Wrong username, password or code, or a disabled user (one answer)"},
    429: {"description": "Too many failed logins for this username or from this address"},
}


@router.post("/login", response_model=MeOut, dependencies=[PUBLIC], responses=LOGIN_ERRORS)
def login(
    body: LoginRequest,
    request: Request,
    response: Response,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Any:
    """Log in with username, password and (outside demo mode) the TOTP code. Sets the session
    cookie (a new session id every time; a session already in the cookie ends)."""
    result = perform_login(
        request,
        session,
        runtime,
        username=body.username,
        password=body.password,
        totp_code=body.totp_code,
    )
    if result.outcome == LoginOutcome.throttled:
        throttled = Throttled("too many failed logins; try again later")
        return JSONResponse(throttled.as_dict(), status_code=status.HTTP_429_TOO_MANY_REQUESTS)
    if result.outcome != LoginOutcome.ok or result.session_token is None:
        failed = Unauthenticated("wrong username, password or code")
        return JSONResponse(failed.as_dict(), status_code=status.HTTP_401_UNAUTHORIZED)
    user = session.get(User, result.user_id)
    assert user is not None
    set_session_cookie(response, result.session_token, runtime.settings)
    return me_out(user, result.csrf_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(auth: CurrentUser, runtime: RuntimeDep, session: WriteSessionDep) -> Response:
    """End this session: its cookie stops working at once. (A bearer token is not a session:
    revoke it with ``polku tokens revoke``.)"""
    end_current_session(auth, session)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    clear_session_cookie(response, runtime.settings)
    return response


@router.get("/me", response_model=MeOut)
def me(auth: CurrentUser, session: ReadSessionDep) -> MeOut:
    """The logged-in user and this session's CSRF token."""
    user = session.get(User, auth.principal.user_id)
    assert user is not None
    return me_out(user, auth.csrf_token)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(
    auth: CurrentUser, body: PasswordChange, runtime: RuntimeDep, session: WriteSessionDep
) -> Response:
    """Change one's own password; every other session of the user ends."""
    if not runtime.auth.change_password(session, auth, body.current_password, body.new_password):
        raise InputRequired("current_password", "the current password is wrong")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
