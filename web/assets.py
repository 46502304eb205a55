"""Static files under ``/static``: our CSS and JS, and the npm packages copied to ``vendor/``.

Templates link every file through :func:`static_url`, which appends the file's content hash
(``/static/vendor/htmx.min.js?v=3f2a...``). A request carrying the current hash is cached for a
year (``immutable``): the URL changes whenever the file does, e.g. after an npm upgrade. Any
other request gets ``no-cache`` (the browser revalidates with the ETag). Nothing comes from a CDN.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC_DIR = Path(__file__).resolve().parent / "static"
MOUNT = "/static"
LONG_CACHE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class AssetMissing(RuntimeError):
    """A static file a template links to does not exist (vendor files: run ``make assets``)."""


@lru_cache(maxsize=256)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def content_hash(relative: str) -> str:
    """The content hash of ``static/<relative>`` (recomputed when the file changes)."""
    path = (STATIC_DIR / relative).resolve()
    if not path.is_relative_to(STATIC_DIR) or not path.is_file():
        vendor = relative.startswith("vendor/")
        hint = " (run `make assets`, part of `make install`)" if vendor else ""
        raise AssetMissing(f"static file {relative!r} not found under {STATIC_DIR}{hint}")
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


#: Whether this process serves a development checkout, whose files change while it runs (the
#: static URLs here and the templates' ``auto_reload`` in web/templating.py both ask).
DEVELOPMENT = os.environ.get("POLKU_ENVIRONMENT", "").lower() == "development"


def _url(relative: str) -> str:
    return f"{MOUNT}/{relative}?v={content_hash(relative)}"


_kept_url = lru_cache(maxsize=256)(_url)


def static_url(relative: str) -> str:
    """``/static/<relative>?v=<content hash>``: safe to cache for a year. Outside development the
    files do not change while the process runs (like the templates: ``web/templating.py``), so
    each URL is worked out once (a page links five files: five ``stat()`` pairs a request were
    4 % of a caseload request's CPU); in development a changed file gets a new URL at once."""
    if DEVELOPMENT:
        return _url(relative)
    return _kept_url(relative)


class StaticAssets(StaticFiles):
    """StaticFiles with the cache policy above."""

    def __init__(self, directory: Path = STATIC_DIR) -> None:
        super().__init__(directory=directory)

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            version = QueryParams(scope.get("query_string", b"")).get("v")
            try:
                current = content_hash(path)
            except AssetMissing:
                current = None
            fresh = version is not None and version == current
            response.headers["Cache-Control"] = LONG_CACHE if fresh else REVALIDATE
        return response
