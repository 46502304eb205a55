"""The application's clock: sessions, throttling, care-team validity and logs read the time here.

One :class:`Clock` per :class:`~engine.runtime.Runtime`; tests pass a :class:`FrozenClock` and move
it (``clock.advance(minutes=31)``) to prove idle and absolute session timeouts.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from engine.bounds import check_moment


class Clock:
    """Wall-clock time in UTC; ``today`` in the configured local time zone."""

    def __init__(self, timezone: str = "Europe/Helsinki"):
        self.zone = ZoneInfo(timezone)

    def now(self) -> datetime:
        return datetime.now(UTC)

    def today(self) -> date:
        return self.local_date(self.now())

    def local_date(self, moment: datetime) -> date:
        """The calendar date of ``moment`` where the clients live (rules judge by this date)."""
        return moment.astimezone(self.zone).date()


class FrozenClock(Clock):
    """A clock that stands still until moved: for tests and time-travel checks."""

    def __init__(self, at: datetime | None = None, timezone: str = "Europe/Helsinki"):
        super().__init__(timezone)
        self._at = at or datetime.now(UTC)
        if self._at.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> datetime:
        """Move forward by ``timedelta(**delta)``; return the new time."""
        self._at += timedelta(**delta)
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones. A moment outside
    the dates any record may carry (:mod:`engine.bounds`: 1900..2199) is refused with
    :class:`~engine.errors.InputRequired` (422), never an ``OverflowError`` near year 1 or 9999."""
    check_moment(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
