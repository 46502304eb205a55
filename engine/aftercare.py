"""Aftercare (jälkiseuranta; VALPAS 2: "pitkäkestoinen tuki jatkuu"): after a follow-on pathway
starts, the coach checks in with the client at set intervals.

The schedule is pathway data: the client journey's ``aftercare`` section
(:class:`engine.pathway.AftercareDef`; the newest version's section applies to every journey)
names the state that starts it (``on_pathway``, entered when the follow-on referral's work
starts), the states it continues in, and the months of the check-ins by the follow-on pathway's
type (the partner service type of the client's latest follow-on referral), 1, 3 and 6 by default.

Nothing is stored and no job runs: the check-ins are computed from the event log and the contact
log whenever they are read. Check-in *n* falls due its months after the day the journey (last)
entered the start state, and is done by the *n*-th contact of kind ``aftercare`` that took place
after that moment -- each check-in clears the next open one, in order. They stop when the
journey leaves the states it continues in (it closes, or the referral returns).

:func:`plan` is what the client page shows; :func:`open_count` is the same rule as one correlated
SQL count for the caseload's due/overdue badges (:mod:`engine.caseload`), and the tests hold the
two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, literal, or_, select
from sqlmodel import Session, col

from engine.caseload import OVERDUE_AFTER_DAYS
from engine.clock import as_utc
from engine.models import Client, ContactEntry, ContactKind, Journey, JourneyEvent, Referral
from engine.participant_forms import add_months
from engine.partner_catalogue import FOLLOW_ON
from engine.pathway import DEFAULT_AFTERCARE_MONTHS, AftercareDef
from engine.pathway_keys import CLIENT_JOURNEY

#: The contact kind that records a check-in.
CHECK_IN = ContactKind.aftercare.value


@dataclass(frozen=True)
class Schedule:
    """The aftercare rules in force: the pathway's section and the local time zone (days are
    counted where the clients live)."""

    definition: AftercareDef
    zone: ZoneInfo

    def months(self, service_type: str | None) -> tuple[int, ...]:
        return self.definition.months_for(service_type)


def schedule_of(pathways: Any, zone: ZoneInfo) -> Schedule | None:
    """The schedule of the newest client journey (None when it has no aftercare section)."""
    definition = pathways.latest(CLIENT_JOURNEY).definition.aftercare
    return None if definition is None else Schedule(definition, zone)


@dataclass(frozen=True)
class CheckIn:
    """One check-in of the plan: its number (from 1), months after the start, due date, and the
    day the contact that did it was recorded for."""

    number: int
    months: int
    due_on: date
    done_on: date | None = None

    def status(self, today: date) -> str:
        """``done``, ``overdue`` (:data:`~engine.caseload.OVERDUE_AFTER_DAYS` past due), ``due``
        (due today or past) or ``upcoming``."""
        if self.done_on is not None:
            return "done"
        if self.due_on + timedelta(days=OVERDUE_AFTER_DAYS) <= today:
            return "overdue"
        return "due" if self.due_on <= today else "upcoming"


@dataclass(frozen=True)
class Plan:
    """A client's aftercare now: when the follow-on pathway started, its type, the check-ins."""

    started_on: date
    service_type: str | None
    check_ins: tuple[CheckIn, ...]

    def open_due(self, day: date) -> int:
        """Check-ins not done that fall due on or before ``day`` (what :func:`open_count`
        counts)."""
        return sum(1 for c in self.check_ins if c.done_on is None and c.due_on <= day)


def _started(definition: AftercareDef, client_id: Any) -> Any:
    """SELECT of the moment the client's journey (still in a state aftercare continues in) last
    entered the start state."""
    return (
        select(func.max(col(JourneyEvent.occurred_at)))
        .join(Journey, col(Journey.id) == col(JourneyEvent.journey_id))
        .where(
            col(Journey.client_id) == client_id,
            col(Journey.pathway_key) == CLIENT_JOURNEY,
            col(Journey.state).in_(definition.continues_in),
            col(JourneyEvent.to_state) == definition.starts_in,
            or_(
                col(JourneyEvent.from_state).is_(None),
                col(JourneyEvent.from_state) != definition.starts_in,
            ),
        )
    )


def _service_type(client_id: Any) -> Any:
    """SELECT of the service type of the client's latest follow-on referral."""
    return (
        select(col(Referral.service_type))
        .where(col(Referral.client_id) == client_id, col(Referral.kind) == FOLLOW_ON)
        .order_by(col(Referral.created_at).desc(), col(Referral.id).desc())
        .limit(1)
    )


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return as_utc(datetime.combine(day, time(), zone))


def plan(session: Session, client_id: int, schedule: Schedule) -> Plan | None:
    """The client's aftercare plan, or None when no follow-on pathway runs."""
    started = session.execute(_started(schedule.definition, client_id)).scalar()
    if started is None:
        return None
    start = as_utc(started)
    started_on = start.astimezone(schedule.zone).date()
    service_type = session.execute(_service_type(client_id)).scalar()
    done = [
        as_utc(at).astimezone(schedule.zone).date()
        for at in session.execute(
            select(col(ContactEntry.occurred_at))
            .where(
                col(ContactEntry.client_id) == client_id,
                col(ContactEntry.kind) == CHECK_IN,
                col(ContactEntry.occurred_at) >= start,
            )
            .order_by(col(ContactEntry.occurred_at), col(ContactEntry.id))
        ).scalars()
    ]
    check_ins = tuple(
        CheckIn(i + 1, m, add_months(started_on, m), done[i] if i < len(done) else None)
        for i, m in enumerate(schedule.months(service_type))
    )
    return Plan(started_on, service_type, check_ins)


def latest_start_due_by(day: date, months: int) -> date:
    """The latest start day whose ``months``-month check-in falls due on or before ``day``
    (``add_months`` keeps to the month's last day, so this is not simply ``day`` minus months)."""
    start = add_months(day, -months)
    while add_months(start + timedelta(days=1), months) <= day:
        start += timedelta(days=1)
    while add_months(start, months) > day:
        start -= timedelta(days=1)
    return start


def open_count(schedule: Schedule | None) -> Callable[[date], ColumnElement[Any]]:
    """The caseload's count (a correlated scalar subquery on ``client.id``): check-ins not done
    that fall due on or before a given day -- :meth:`Plan.open_due` in SQL. None (no aftercare
    section) counts nothing."""

    def count(day: date) -> ColumnElement[Any]:
        if schedule is None:
            return literal(0)
        definition = schedule.definition
        start = _started(definition, col(Client.id)).correlate(Client).scalar_subquery()
        kind = _service_type(col(Client.id)).correlate(Client).scalar_subquery()

        def due(months: tuple[int, ...]) -> Any:
            total: Any = literal(0)
            for m in months:
                before = _local_midnight(latest_start_due_by(day, m) + timedelta(1), schedule.zone)
                total = total + case((start < before, 1), else_=0)
            return total

        default = tuple(definition.months or DEFAULT_AFTERCARE_MONTHS)
        # a branch only for the types whose months differ from the default (a shorter SELECT)
        by_type = [
            (kind == t, due(tuple(m)))
            for t, m in sorted(definition.by_type.items())
            if tuple(m) != default
        ]
        fallback = due(default)
        due_count = case(*by_type, else_=fallback) if by_type else fallback
        done = (
            select(func.count())
            .where(
                col(ContactEntry.client_id) == col(Client.id),
                col(ContactEntry.kind) == CHECK_IN,
                col(ContactEntry.occurred_at) >= start,
            )
            .correlate(Client)
            .scalar_subquery()
        )
        return case((start.is_(None), 0), (due_count > done, due_count - done), else_=0)

    return count
