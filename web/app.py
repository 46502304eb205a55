"""The FastAPI application factory: ``uvicorn --factory web.app:create_app``.

Every route declares an access rule (web/security.py); :func:`~web.security.check_routes` refuses
to build an app with a route that does not. Security headers wrap every response.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import Response
from sqlalchemy import text

from engine import audit
from engine.applog import hide_query_strings
from engine.errors import PolkuError
from engine.runtime import Runtime
from engine.settings import Environment, Settings, get_settings
from web import (
    admin_pages,
    assessment_pages,
    care_team_pages,
    coach,
    coordinator_pages,
    event_pages,
    fact_pages,
    goal_pages,
    group_pages,
    login,
    pages,
    referral_pages,
    report_pages,
    voice_pages,
)
from web.api import admin, auth, clients, goals, journeys, referrals, reports, rules
from web.assets import MOUNT, StaticAssets
from web.boundary import InputBoundary, document_errors, validation_error
from web.deps import RuntimeDep
from web.errors import install_page_errors, polku_error_answer
from web.security import PUBLIC, SecurityHeaders, check_routes

log = logging.getLogger("polku.web")


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())
    hide_query_strings()  # no client name from a search's query string in the access log
    docs = settings.environment in (Environment.development, Environment.demo, Environment.test)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # the runtime given (a test's, web/testing.py may hand the app a new one) is not ours
        owned = getattr(app.state, "runtime", None) is None
        if owned:
            app.state.runtime = Runtime(settings)
        yield
        if owned:
            app.state.runtime.close()

    app = FastAPI(
        title="Polku",
        summary="Client journeys, referral handoffs and outcomes for outreach work",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
    )
    if runtime is not None:
        app.state.runtime = runtime

    @app.exception_handler(PolkuError)
    def polku_error(request: Request, exc: PolkuError) -> Response:
        # a plain def: Starlette runs it in the thread pool, so its write below never waits
        # for SQLite's lock on the event loop (issue 11)
        view: audit.View | None = getattr(request.state, "client_view", None)
        if view is not None and not getattr(request.state, "client_view_logged", False):
            # The view was allowed and its row rolled back with the failed work, but this answer
            # still shows something of the client: log the view on its own (703/2023 §11).
            with request.app.state.runtime.db.write() as session:
                audit.record_view(session, view)
        return polku_error_answer(request, exc)

    # Pages get HTML error pages, the API JSON (web/errors.py) through web/boundary.py's
    # handler, which never echoes more than a short excerpt of the input.
    install_page_errors(app, validation=validation_error)

    @app.get("/health", tags=["operations"], dependencies=[PUBLIC])
    def health(runtime: RuntimeDep) -> dict[str, object]:
        """Liveness and database reachability."""
        with runtime.db.read() as session:
            session.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "database": runtime.db.dialect,
            "pathways": runtime.pathways.keys(),
        }

    app.include_router(auth.router)
    app.include_router(journeys.router)
    app.include_router(clients.router)
    app.include_router(rules.router)
    app.include_router(reports.router)
    app.include_router(admin.router)
    app.include_router(referrals.router)
    app.include_router(goals.router)  # GAS goals (web/api/goals.py)
    app.include_router(login.router)
    app.include_router(referral_pages.router)

    # Web UI: public pages and static assets (web/pages.py, web/assets.py, docs/ui.md).
    app.include_router(pages.router)
    app.include_router(coach.router)
    app.include_router(goal_pages.router)  # GAS goals on the client page
    app.include_router(assessment_pages.router)  # assessments, strengths, the CV
    app.include_router(group_pages.router)  # groups and attendance
    app.include_router(event_pages.router)  # events and their attendance
    app.include_router(coordinator_pages.router)  # the coordinator's dashboard and log reports
    app.include_router(admin_pages.router)  # administration: users, organisations, tokens...
    app.include_router(fact_pages.router)  # the client's facts (referral rules read them)
    app.include_router(care_team_pages.router)  # the care team with roles and dates
    app.include_router(report_pages.router)  # ESF+ participant data and the funder report
    app.include_router(voice_pages.router)  # the client's voice: feedback, links, roles
    app.mount(MOUNT, StaticAssets(), name="static")
    app.add_middleware(InputBoundary, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.https)
    check_routes(app)
    document_errors(app)
    return app
