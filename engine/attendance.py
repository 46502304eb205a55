"""Attendance (läsnäolo), one module for group sessions and events alike.

- A mark says present or absent; an absence may carry its reason (:class:`AbsenceReason`: ill,
  another appointment, no notice) and whether the client let the leaders know beforehand
  (``notified``). :class:`AttendanceInput` holds these rules once: a reason only with an
  absence, and "no notice" never notified.
- Marks are append-only rows (:class:`~engine.models.AttendanceMark` for group members,
  :class:`~engine.models.EventAttendance` for event participants); the latest row of a
  (session, person) pair is the attendance, a change of mind a new row.
- A session counts as **held** once its day has come (the day its attendance can be marked)
  and unless it was cancelled: attendance rates count only sessions held, never future or
  cancelled ones (:func:`held`, :class:`Rate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from pydantic import ValidationInfo, field_validator

from engine.clock import as_utc
from engine.inputs import Input, blank_is_none
from engine.models import AbsenceReason

__all__ = ["AbsenceReason", "AttendanceInput", "Rate", "held", "rate"]


class AttendanceInput(Input):
    """One mark: present or not; when absent, optionally why and whether the client told the
    leaders beforehand."""

    present: bool
    absence_reason: AbsenceReason | None = None
    notified: bool = False

    @field_validator("absence_reason", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return blank_is_none(value)

    @field_validator("absence_reason")
    @classmethod
    def reason_only_when_absent(
        cls, reason: AbsenceReason | None, info: ValidationInfo
    ) -> AbsenceReason | None:
        if reason is not None and info.data.get("present"):
            raise ValueError("a reason goes with an absence only")
        return reason

    @field_validator("notified")
    @classmethod
    def notice_only_when_absent(cls, notified: bool, info: ValidationInfo) -> bool:
        if notified and info.data.get("present"):
            raise ValueError("notice goes with an absence only")
        if notified and info.data.get("absence_reason") == AbsenceReason.no_notice:
            raise ValueError("an absence without notice was not notified")
        return notified


def held(
    starts_at: datetime, cancelled_at: datetime | None, now: datetime, zone: tzinfo = UTC
) -> bool:
    """The session was not cancelled and its day has come (local dates in ``zone``): the day
    attendance can be marked on, so a mark and the rate agree."""
    local = as_utc(starts_at).astimezone(zone).date()
    return cancelled_at is None and local <= as_utc(now).astimezone(zone).date()


@dataclass(frozen=True)
class Rate:
    """Attendance over the sessions held: ``present`` of ``held`` (a share, None of none)."""

    present: int
    held: int

    @property
    def share(self) -> float | None:
        return self.present / self.held if self.held else None

    @property
    def percent(self) -> int | None:
        share = self.share
        return None if share is None else round(100 * share)


def rate(
    sessions: Iterable[tuple[int, datetime, datetime | None]],
    present_at: Iterable[int],
    now: datetime,
    zone: tzinfo = UTC,
) -> Rate:
    """The rate of one person: ``sessions`` as (id, starts at, cancelled at), ``present_at``
    the ids of the sessions their latest mark says they attended. A mark on a session not held
    (cancelled after it was marked) does not count."""
    held_ids = {sid for sid, starts, cancelled in sessions if held(starts, cancelled, now, zone)}
    return Rate(len(held_ids & set(present_at)), len(held_ids))
