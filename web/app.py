"""The FastAPI application factory: ``uvicorn --factory web.app:create_app``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from engine.errors import (
    Conflict,
    GuardRejected,
    InputRequired,
    InvalidTransition,
    NotFound,
    PolkuError,
)
from engine.runtime import Runtime
from engine.settings import Environment, Settings, get_settings
from web import pages
from web.api import journeys, rules
from web.assets import MOUNT, StaticAssets
from web.deps import RuntimeDep

log = logging.getLogger("polku.web")

STATUS = {
    NotFound: 404,
    InvalidTransition: 409,
    Conflict: 409,
    GuardRejected: 422,
    InputRequired: 422,
}


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else get_settings())
    docs = settings.environment in (Environment.development, Environment.demo, Environment.test)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = runtime is None
        app.state.runtime = runtime or Runtime(settings)
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
    async def polku_error(_request: Request, exc: PolkuError) -> JSONResponse:
        status = next((s for cls, s in STATUS.items() if isinstance(exc, cls)), 400)
        return JSONResponse(exc.as_dict(), status_code=status)

    @app.get("/health", tags=["operations"])
    def health(runtime: RuntimeDep) -> dict[str, object]:
        """Liveness and database reachability."""
        with runtime.db.read() as session:
            session.execute(text("SELECT 1"))
        return {
            "status": "ok",
            "database": runtime.db.dialect,
            "pathways": runtime.pathways.keys(),
        }

    app.include_router(journeys.router)
    app.include_router(rules.router)

    # Web UI: public pages and static assets (web/pages.py, web/assets.py, docs/ui.md).
    app.include_router(pages.router)
    app.mount(MOUNT, StaticAssets(), name="static")
    return app
