"""HTML forms: reading what was posted, and the one way a page runs a form's action.

A page's form is checked by the engine's input model (:mod:`engine.inputs`), never by the route:
the route hands the posted values (:func:`typed_values`) to the engine function inside
:func:`attempt`, which runs it in a savepoint and turns any :class:`~engine.errors.PolkuError`
into the status and the fields to mark. :func:`respond` then answers: a 303 (plain post) or the
page's blocks (htmx) when it worked, the page or its blocks with the error otherwise; the page
context is built only when something is rendered. Every typed value comes back on a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from fastapi import Request
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from engine.errors import Forbidden, InvalidInput, NotFound, PolkuError, Unauthenticated
from web.deps import SubmittedForm
from web.errors import status_of
from web.templating import OobBlock, render, render_blocks, see_other, wants_fragment

T = TypeVar("T")
#: The CSRF field is the security layer's, never a value of the form.
NOT_VALUES = frozenset({"csrf_token"})


#: The route's posted form, as a dependency (parsed once per request on the event loop; the
#: route itself is a plain ``def``): :data:`web.deps.SubmittedForm` under the name page
#: handlers read it by.
Posted = SubmittedForm


def form_text(form: FormData, name: str) -> str:
    """The field's text, stripped; "" when absent or not text (a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def typed_values(form: FormData, names: Iterable[str] | None = None) -> dict[str, str]:
    """The text fields as typed (first value of each), to hand to an input model and to show
    again on a failure; only ``names`` when given (fields absent from the form are left out,
    so a model's default applies, e.g. an unticked checkbox)."""
    wanted = set(names) if names is not None else None
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if key in NOT_VALUES or key in values or not isinstance(value, str):
            continue
        if wanted is None or key in wanted:
            values[key] = value
    return values


def whole_number(value: str) -> int | None:
    """A non-negative whole number of ASCII digits (an id chosen from a list), else None.
    ``"²".isdigit()`` is true but ``int("²")`` fails: only ASCII digits count."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


@dataclass
class Attempt(Generic[T]):
    """What a form's action did: its result, or the domain error and the fields to mark."""

    result: T | None = None
    error: PolkuError | None = None
    status: int = 200
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


def field_errors(exc: PolkuError, fields: Mapping[str, str] | None = None) -> dict[str, str]:
    """The form fields a domain error names (``fields`` renames an engine field to the form's),
    each with its message; empty for an error about no field (a conflict, a rule)."""
    found: dict[str, str] = {}
    if isinstance(exc, InvalidInput):
        found = dict(exc.errors)
    elif hasattr(exc, "field"):
        found = {str(exc.field): str(exc)}
    renames = fields or {}
    return {renames.get(name, name): message for name, message in found.items()}


#: Errors that are not about the form: the error page (or login) answers them.
NOT_FORM_ERRORS = (Unauthenticated, Forbidden, NotFound)


def attempt(
    session: Session, action: Callable[[], T], *, fields: Mapping[str, str] | None = None
) -> Attempt[T]:
    """Run ``action`` (the engine call) in a savepoint. A domain error rolls back only what the
    action wrote (the view's access-log row stays) and comes back with its status and fields;
    not logged in, not allowed and not found are not the form's problem and go on to the error
    handler. The session is expired either way, so the page shows what is stored now."""
    try:
        with session.begin_nested():
            result = action()
    except NOT_FORM_ERRORS:
        raise
    except PolkuError as exc:
        session.expire_all()
        return Attempt(error=exc, status=status_of(exc), errors=field_errors(exc, fields))
    session.expire_all()
    return Attempt(result=result)


def respond(
    request: Request,
    done: Attempt[Any],
    *,
    redirect_to: str,
    template: str,
    context: Callable[[], Mapping[str, Any]],
    block: str,
    oob: Sequence[OobBlock] = (),
    page: str | None = None,
    failed_oob: Sequence[OobBlock] | None = None,
) -> Response:
    """The answer to a form post. Worked: a plain post gets a 303 to ``redirect_to`` (no page
    is built), htmx ``block`` of ``template`` with ``oob`` blocks. Failed: htmx the same blocks
    (``failed_oob`` when they differ) with the error's status, a plain post the whole ``page``
    (default ``template``) with it. ``context`` is called only to render."""
    if done.ok and not wants_fragment(request):
        return see_other(redirect_to)
    values = context()
    if wants_fragment(request):
        extra = oob if done.ok or failed_oob is None else failed_oob
        return render_blocks(
            request, template, values, block=block, oob=extra, status_code=done.status
        )
    return render(request, page or template, values, status_code=done.status)
