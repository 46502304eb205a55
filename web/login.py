"""The server-rendered login form (kirjautuminen) and logout for browsers without JavaScript.

``GET /login`` shows the form; ``POST /login`` logs in (same engine call as ``/api/auth/login``)
and redirects to the role's home (web/navigation.py) with 303; ``POST /logout`` (form field
``csrf_token``) ends the session and redirects to ``/login``. Access rules: ``PUBLIC`` for the
login form, ``CurrentUser`` for logout.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from engine.auth import LoginOutcome, principal_of
from engine.models import User
from engine.settings import Environment
from web.deps import RuntimeDep, WriteSessionDep
from web.errors import page_router
from web.navigation import home_of
from web.security import (
    PUBLIC,
    CurrentUser,
    clear_session_cookie,
    end_current_session,
    perform_login,
    set_session_cookie,
)
from web.templating import render

router = page_router(tags=["pages"])

STATUS = {
    LoginOutcome.failed: status.HTTP_401_UNAUTHORIZED,
    LoginOutcome.throttled: status.HTTP_429_TOO_MANY_REQUESTS,
}


def login_page(
    request: Request,
    runtime: RuntimeDep,
    *,
    error: str | None = None,
    username: str = "",
    status_code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        {
            "demo": runtime.settings.environment == Environment.demo,
            "error": error,
            "username": username,
        },
        status_code=status_code,
    )


@router.get("/login", response_class=HTMLResponse, dependencies=[PUBLIC])
def show_login(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return login_page(request, runtime)


@router.post("/login", dependencies=[PUBLIC])
def submit_login(
    request: Request,
    runtime: RuntimeDep,
    session: WriteSessionDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=256)],
    totp_code: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    result = perform_login(
        request, session, runtime, username=username, password=password, totp_code=totp_code
    )
    if result.outcome != LoginOutcome.ok or result.session_token is None:
        return login_page(
            request,
            runtime,
            error=result.outcome.value,
            username=username,
            status_code=STATUS[result.outcome],
        )
    # each role starts from its own work (web/navigation.py): the coach's caseload, the
    # partner's inbox, the coordinator's dashboard, the admin's administration
    user = session.get(User, result.user_id) if result.user_id is not None else None
    principal = principal_of(user) if user is not None else None
    response = RedirectResponse(home_of(principal), status_code=status.HTTP_303_SEE_OTHER)
    set_session_cookie(response, result.session_token, runtime.settings)
    return response


@router.post("/logout")
def submit_logout(auth: CurrentUser, runtime: RuntimeDep, session: WriteSessionDep) -> Response:
    end_current_session(auth, session)
    response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
    clear_session_cookie(response, runtime.settings)
    return response
