"""The ranges every input must fall within, defined once (rajat).

- **Ids** are the tables' 32-bit ``INTEGER`` primary keys: 1..2^31-1. An id outside that range
  names nothing, and PostgreSQL would refuse to compare it with the column ("integer out of
  range"), so the API and the pages refuse it first (:data:`Id`: 422 in a body, 404 or 422 in a
  path).
- **Dates** fall between :data:`EARLIEST` and :data:`LATEST`. Nothing this service records
  (a birth date, a contact, a meeting, a validity date) lies outside them, and date arithmetic
  near year 1 or 9999 overflows (``OverflowError`` in a time zone conversion).
  :func:`check_date` and :func:`check_moment` are the one check; :data:`BoundedDate` and
  :data:`BoundedDateTime` carry it into input models.
- **Text** never holds a NUL byte (PostgreSQL cannot store one) or a lone surrogate (not
  encodable as UTF-8): :func:`text_problem` names what is wrong; the web boundary
  (``web/boundary.py``) refuses such input before any route sees it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated

from pydantic import AfterValidator, Field

from engine.errors import InputRequired

#: The largest value of a 32-bit signed INTEGER column (every id of this schema).
MAX_ID = 2**31 - 1
#: An id as an input: a positive 32-bit integer (OpenAPI: minimum 1, maximum 2147483647).
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
#: A whole number that fits a 32-bit INTEGER column (counts, versions, positions).
MAX_INT = MAX_ID

#: The earliest and the latest date any record may carry.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)


def check_date(value: date, field: str = "date") -> date:
    """``value`` unchanged when it lies within EARLIEST..LATEST, else :class:`InputRequired`
    (422) naming ``field``."""
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise InputRequired(
            field, f"{field}: a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}"
        )
    return value


def check_moment(value: datetime, field: str = "time") -> datetime:
    """A point in time within the same range (judged on its calendar date as given)."""
    check_date(value.date(), field)
    return value


#: The earliest and the latest moment, in UTC.
EARLIEST_MOMENT = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
LATEST_MOMENT = datetime.combine(LATEST, time.max, tzinfo=UTC)


def _date_in_range(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise ValueError(f"a date between {EARLIEST.isoformat()} and {LATEST.isoformat()}")
    return value


def _moment_in_range(value: datetime) -> datetime:
    _date_in_range(value.date())
    return value


#: A date as an input: within EARLIEST..LATEST (a pydantic error, 422, otherwise).
BoundedDate = Annotated[date, AfterValidator(_date_in_range)]
#: A point in time as an input: its date within EARLIEST..LATEST.
BoundedDateTime = Annotated[datetime, AfterValidator(_moment_in_range)]


def text_problem(value: str) -> str | None:
    """What makes ``value`` unfit to store, or None: a NUL byte or a lone surrogate."""
    if "\x00" in value:
        return "a NUL character is not allowed"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text must be valid Unicode (a lone surrogate is not)"
    return None
