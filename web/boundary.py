"""The input boundary: what every request must be before any route sees it, in one place.

:class:`InputBoundary` is a pure ASGI middleware in front of the whole app:

- a body larger than ``settings.max_body_bytes`` (default 1 MB) is refused with 413 before it
  is read (``Content-Length``) or as soon as it grows past the limit (chunked);
- a NUL byte anywhere in the path, the query string or a form body is refused (422);
- a JSON body is read once here: ``NaN``, ``Infinity``, a number that overflows (``1e400``) or
  an integer of more than 20 digits, nesting deeper than 64, a NUL byte or a lone surrogate in
  any string or key are refused (422). Malformed JSON passes on to FastAPI's own 422.

:func:`validation_error` answers every :class:`~fastapi.exceptions.RequestValidationError`
(FastAPI's 422) without echoing the input: each error keeps its type, location and message,
and at most a short, printable excerpt of a scalar input, so an answer is always small and
always serialisable (a 10 MB body no longer comes back as a 10 MB answer).

The rules themselves (what an id, a date or a text may be) live in :mod:`engine.bounds`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.bounds import text_problem

#: How much of an input a 422 may show.
EXCERPT = 40
#: JSON deeper than this is refused (no input of this API nests more than a few levels).
MAX_DEPTH = 64
#: An integer literal longer than this is refused (no column holds more than 19 digits).
MAX_INT_DIGITS = 20


class Refused(ValueError):
    """The body breaks a rule of the boundary; the message says which (no input in it)."""


def _refuse_constant(name: str) -> Any:
    raise Refused(f"{name} is not a number this API accepts (only finite numbers)")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise Refused("a number too large to represent (only finite numbers)")
    return value


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise Refused(f"an integer of more than {MAX_INT_DIGITS} digits")
    return int(literal)


def _strings(data: Any) -> Iterator[str]:
    """Every string (keys too) in parsed JSON, without recursion."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Refused(f"JSON nested deeper than {MAX_DEPTH} levels")
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            for key, value in item.items():
                yield key
                stack.append((value, depth + 1))
        elif isinstance(item, list):
            stack.extend((value, depth + 1) for value in item)


def json_problem(body: bytes) -> str | None:
    """What the boundary refuses in a JSON body, or None (malformed JSON is FastAPI's 422)."""
    try:
        data = json.loads(
            body,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_bounded_int,
        )
    except Refused as exc:
        return str(exc)
    except RecursionError:
        return f"JSON nested deeper than {MAX_DEPTH} levels"
    except ValueError:
        return None
    try:
        for text in _strings(data):
            problem = text_problem(text)
            if problem:
                return problem
    except Refused as exc:
        return str(exc)
    return None


def form_problem(body: bytes, content_type: str) -> str | None:
    """A NUL byte in a form (URL-encoded: after decoding; multipart: anywhere)."""
    raw = body if content_type.startswith("multipart/") else unquote_to_bytes(body)
    return "a NUL character is not allowed" if b"\x00" in raw else None


def _error(status: int, where: str, kind: str, message: str) -> JSONResponse:
    if status == 413:
        return JSONResponse({"detail": message}, status_code=413)
    return JSONResponse(
        {"detail": [{"type": kind, "loc": [where], "msg": message}]}, status_code=status
    )


class InputBoundary:
    """Pure ASGI middleware: size limit, NUL bytes, non-finite numbers, lone surrogates."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(scope["query_string"]):
            await _error(422, "query", "nul_byte", "a NUL character is not allowed")(
                scope, receive, send
            )
            return
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        chunked = b"chunked" in headers.get(b"transfer-encoding", b"").lower()
        if length is None and not chunked:
            await self.app(scope, receive, send)
            return
        too_large = _error(
            413, "body", "too_large", f"the request body is larger than {self.max_body_bytes} bytes"
        )
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            await too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        problem = None
        if "json" in content_type:
            problem = json_problem(body)
        elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/")):
            problem = form_problem(body, content_type)
        if problem:
            await _error(422, "body", "refused_input", problem)(scope, receive, send)
            return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


# --- FastAPI's 422 --------------------------------------------------------------------------------


def excerpt(value: object) -> str | int | float | bool | None:
    """A short, printable, serialisable excerpt of one input value (containers: their kind)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**EXCERPT else f"{str(value)[:EXCERPT]}…"
        return value if len(text) <= EXCERPT else text
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, dict | list | tuple):
        return f"<{type(value).__name__}>"
    text = str(value)
    short = text[:EXCERPT] + ("…" if len(text) > EXCERPT else "")
    return short.encode("utf-8", "backslashreplace").decode("utf-8")


def safe_error(error: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": str(error.get("type", "value_error")),
        "loc": [p if isinstance(p, int) else excerpt(p) for p in error.get("loc", ())],
        "msg": str(error.get("msg", ""))[:200].encode("utf-8", "backslashreplace").decode("utf-8"),
    }
    if "input" in error:
        out["input"] = excerpt(error["input"])
    return out


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 without the echo of the whole input."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": [safe_error(e) for e in errors[:20]]}, status_code=422)


# --- the statuses every route documents -----------------------------------------------------------


class ErrorOut(BaseModel):
    """A refusal: ``error`` is a code (``not_found``, ``conflict``, ...), ``message`` says why;
    FastAPI's and the boundary's 422 and 413 carry ``detail`` instead."""

    error: str | None = None
    message: str | None = None
    detail: list[dict[str, Any]] | str | None = None


ERROR_STATUSES = {
    303: "A page form was handled: see the page (HTML forms only)",
    400: "The body could not be parsed as its content type says",
    401: "Not signed in: no valid session or API token",
    403: "Not allowed to this user, or the CSRF token or origin is missing or wrong",
    404: "Nothing with this id (that this user may know of)",
    409: "The state changed meanwhile, or the move is not possible from the current state",
    413: "The request body is larger than the limit (POLKU_MAX_BODY_BYTES)",
    422: "Invalid input, or a rule refused the change (the answer names which)",
    429: "Too many failed logins for this username or from this address: wait and retry",
}


def document_errors(app: FastAPI) -> None:
    """Declare on every route the error statuses it can answer, so that the OpenAPI document
    is true (schemathesis checks every answered status against it): 422 everywhere (the query
    is checked by the boundary); 401 and 403 on every route that is not public; 404 with a path
    parameter; 400, 409 and 413 on unsafe methods; 303 on page forms; 429 on the logins."""
    from web.security import route_rules

    declared: dict[tuple[str, str], set[int]] = {}
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute) or context.path is None:
            continue
        methods = context.methods or set()
        unsafe = bool(methods - {"GET", "HEAD", "OPTIONS"})
        public = [r.name for r in route_rules(context)] == ["public"]
        codes = {422}
        if not public or unsafe:
            codes |= {403}
        if not public:
            codes |= {401}
        if "{" in context.path:
            codes |= {404}
        if unsafe:
            codes |= {400, 409, 413}
            if not context.path.startswith("/api/"):
                codes |= {303}
        if context.path.endswith("/login"):
            codes |= {429}
        for method in methods:
            declared[(context.path, method.lower())] = codes
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        document = generate()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorOut", ErrorOut.model_json_schema())
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
                for code in sorted(declared.get((path, method), set())):
                    entry = responses.setdefault(str(code), {})
                    entry.setdefault("description", ERROR_STATUSES[code])
                    if code != 303 and "content" not in entry:
                        ref = {"$ref": "#/components/schemas/ErrorOut"}
                        entry["content"] = {"application/json": {"schema": ref}}
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
