"""Typed input of the engine's writes: one model per write, the same for the JSON API and the
HTML forms.

Each write the engine offers takes one input model (a Pydantic model, frozen, unknown fields
forbidden). Its shape rules (lengths, required names, whole numbers, ISO dates) are in the
model; the rules that need the world (the municipalities the plugins serve, today's date) read
:class:`Checks` from the validation context, so :func:`validated` applies every rule in one pass
and a form gets every field's problem at once. The API parses the body into the model (the
shape), and the engine function validates it again with the context before it writes, so no
caller can skip a rule.

A failure is :class:`InvalidInput` (422): ``errors`` maps each field to a short message. Blank
form fields are absent (``None``) for optional values.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo

from engine.errors import InvalidInput

#: The earliest birth date (or other date of a person's life) the engine accepts.
EARLIEST_DATE = date(1900, 1, 1)


@dataclass(frozen=True)
class Checks:
    """What the domain rules of an input need to know of the world."""

    today: date
    municipalities: Collection[str] = ()
    #: Now (UTC) and the local time zone: a time typed without a zone is local.
    now: datetime | None = None
    zone: tzinfo | None = None

    @classmethod
    def of(cls, clock: Any, municipalities: Collection[str] = ()) -> Checks:
        """The checks at ``clock``'s now (an :class:`engine.clock.Clock`)."""
        return cls.at(clock, clock.now(), municipalities)

    @classmethod
    def at(cls, clock: Any, moment: datetime, municipalities: Collection[str] = ()) -> Checks:
        """The checks as they stood at ``moment`` (UTC): its local date in ``clock``'s zone is
        "today" (at 00:30 in Helsinki the UTC date is still yesterday's)."""
        return cls(clock.local_date(moment), municipalities, moment, clock.zone)


class Input(BaseModel):
    """Base of the engine's input models: frozen, no unknown fields, text stripped."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


M = TypeVar("M", bound=Input)


def checks_of(info: ValidationInfo) -> Checks | None:
    """The :class:`Checks` in the validation context (None while the API parses a body)."""
    context = info.context
    return context if isinstance(context, Checks) else None


def blank_is_none(value: Any) -> Any:
    """A blank form field (``""``, spaces) is an absent optional value."""
    return None if isinstance(value, str) and not value.strip() else value


def field_of(location: tuple[int | str, ...]) -> str:
    """The field a pydantic error location names (``("scores", "a")`` -> ``scores.a``)."""
    return ".".join(str(part) for part in location) or "input"


def invalid_input(exc: ValidationError) -> InvalidInput:
    """Every field's first problem, in the model's field order."""
    errors: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        name = field_of(error["loc"])
        errors.setdefault(name, str(error["msg"]))
    return InvalidInput(errors)


def validated(model: type[M], data: Mapping[str, Any] | BaseModel, checks: Checks) -> M:
    """``data`` as ``model`` with every rule applied (shape and domain); :class:`InvalidInput`
    names each field that is wrong."""
    values = data.model_dump() if isinstance(data, BaseModel) else dict(data)
    try:
        return model.model_validate(values, context=checks)
    except ValidationError as exc:
        raise invalid_input(exc) from None
