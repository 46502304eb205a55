"""The ``polku`` command: the engine's commands (:mod:`engine.cli`) and ``polku serve``, which
serves the web app. It lives in the web layer because the engine never imports ``web``."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from engine.cli import app
from engine.cli import main as engine_main
from engine.settings import get_settings


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    reload: bool = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (default: the number of CPUs)"),
    ] = None,
) -> None:
    """Serve the web app (uvicorn, N worker processes)."""
    import uvicorn

    from engine.applog import uvicorn_log_config

    settings = get_settings()
    # The app reads its settings itself (and the CSRF origin check allows this host and port):
    # hand the chosen address on through the environment, the way every setting arrives.
    os.environ["POLKU_HOST"] = host = host or settings.host
    os.environ["POLKU_PORT"] = str(port := port or settings.port)
    get_settings.cache_clear()
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        log_config=uvicorn_log_config(),
        host=host,
        port=port,
        reload=reload,
        workers=None if reload else (workers or os.cpu_count() or 1),
        # X-Forwarded-For is read by the app itself, and only from POLKU_TRUSTED_PROXIES
        # (web/security.py, docs/operations.md "Reverse proxy"); uvicorn's own reading (which
        # trusts 127.0.0.1 by default) stays off.
        proxy_headers=False,
    )


def main() -> None:
    """The ``polku`` entry point: every engine command, and ``serve``."""
    engine_main()
