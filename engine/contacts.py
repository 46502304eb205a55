"""The contact log of individual work (yksilötyön kontaktit) and a client's timeline.

A coach records each contact with a client -- a home visit, a meeting, a phone call, a remote
meeting, escorting the client to a service (saattaen), outreach on the street -- with its
duration, a short note and optionally the next agreed contact date (the follow-up the caseload
shows as due). Notes are client data: they are never logged.

Pair work (työparityöskentely): a contact may name a second worker (``pair_worker_id``), an
active coach of the client's organisation (:func:`pair_worker_choices`); the coach who records it
is the one who wrote it. Naming the pair worker gives them no access to the client: access and
the access log stay per person.

:func:`timeline` merges, newest first, the events of every journey of the client (the client
journey and any referral handoff journeys, with who moved it and why) and the contacts, and
group work: membership events name their group, and each member's attendance marks are listed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from engine import dates
from engine.bounds import BoundedDate, BoundedDateTime, Id
from engine.clock import as_utc
from engine.errors import InvalidInput
from engine.inputs import Checks, Input, blank_is_none, checks_of, validated
from engine.instruments import Instrument

if TYPE_CHECKING:
    from engine.goals import ScorePoint
from engine.models import (
    Client,
    ContactEntry,
    ContactKind,
    Journey,
    JourneyEvent,
    Organisation,
    Referral,
    Role,
    User,
)

NOTE_MAX = 1000
DURATION_MAX = 24 * 60


class NewContact(Input):
    """One contact of individual work: how (a :class:`ContactKind`), when (default now; a time
    without a zone is local; never in the future), how long (0-1440 whole minutes), a short
    note, and the next agreed contact (not before this one)."""

    kind: ContactKind
    occurred_at: BoundedDateTime | None = None
    duration_minutes: int | None = Field(default=None, ge=0, le=DURATION_MAX)
    note: str = Field(default="", max_length=NOTE_MAX)
    next_contact_on: BoundedDate | None = None
    #: Pair work: the second worker (another active coach of the client's organisation).
    pair_worker_id: Id | None = None

    _blank = field_validator(
        "occurred_at", "duration_minutes", "next_contact_on", "pair_worker_id", mode="before"
    )(blank_is_none)

    @field_validator("occurred_at")
    @classmethod
    def not_in_future(cls, when: datetime | None, info: ValidationInfo) -> datetime | None:
        checks = checks_of(info)
        if when is None or checks is None:
            return when
        if when.tzinfo is None and checks.zone is not None:
            when = when.replace(tzinfo=checks.zone)
        if checks.now is not None and as_utc(when) > as_utc(checks.now):
            raise ValueError("a contact cannot be in the future")
        return when

    @field_validator("next_contact_on")
    @classmethod
    def follow_up_after(cls, day: date | None, info: ValidationInfo) -> date | None:
        when = info.data.get("occurred_at")
        checks = checks_of(info)
        if (
            day is not None
            and isinstance(when, datetime)
            and when.tzinfo is not None
            and day < dates.local_day(when, checks.zone if checks else None)
        ):
            raise ValueError("the next contact is after this one")
        return day


def record_contact(
    session: Session,
    *,
    client_id: int,
    coach_id: int,
    contact: NewContact | Mapping[str, Any],
    checks: Checks,
    next_contact_max_days: int = dates.NEXT_CONTACT_MAX_DAYS,
) -> ContactEntry:
    """Add one contact to the client's log, written by ``coach_id`` (with the pair worker in
    pair work); :class:`~engine.errors.InvalidInput` names each
    field that is wrong (:class:`NewContact`, checked at ``checks.now``), and the date rules of
    :mod:`engine.dates` (:class:`~engine.errors.InputRequired`): not before the client's birth
    or registration, the next contact within ``next_contact_max_days``."""
    assert checks.now is not None
    new = validated(NewContact, contact, checks)
    # the days the rules compare are local days (a contact at 00:30 in Helsinki is on that day,
    # though it is still the previous day in UTC)
    on = dates.local_day(new.occurred_at or checks.now, checks.zone)
    client = session.get(Client, client_id)
    if client is not None:
        dates.check_not_before(on, client.birth_date, "occurred_at", "the client's birth", "birth")
        dates.check_not_before(
            on,
            dates.local_day(client.created_at, checks.zone),
            "occurred_at",
            "the client was recorded",
            "recorded",
        )
    dates.check_next_contact(new.next_contact_on, on, next_contact_max_days)
    if new.pair_worker_id is not None and new.pair_worker_id not in {
        user_id for user_id, _name in pair_worker_choices(session, client_id, coach_id)
    }:
        raise InvalidInput({"pair_worker_id": "the pair worker is another active coach"})
    entry = ContactEntry(
        client_id=client_id,
        coach_id=coach_id,
        occurred_at=new.occurred_at or checks.now,
        kind=new.kind.value,
        duration_minutes=new.duration_minutes,
        note=new.note,
        next_contact_on=new.next_contact_on,
        recorded_at=checks.now,
        pair_worker_id=new.pair_worker_id,
    )
    session.add(entry)
    session.flush()
    return entry


def pair_worker_choices(
    session: Session, client_id: int, writer_id: int, *, organisation_id: int | None = None
) -> list[tuple[int, str]]:
    """Who can be named as the pair worker of a contact: the active coaches of the client's
    organisation other than the writer, by name (id, display name). ``organisation_id``: the
    client's, when the caller has the client row already."""
    if organisation_id is None:
        organisation_id = session.execute(
            select(col(Client.organisation_id)).where(col(Client.id) == client_id)
        ).scalar()
    if organisation_id is None:
        return []
    rows = session.execute(
        select(col(User.id), col(User.display_name))
        .where(
            col(User.organisation_id) == organisation_id,
            col(User.role) == Role.coach.value,
            col(User.is_active).is_(True),
            col(User.id) != writer_id,
        )
        .order_by(col(User.display_name), col(User.id))
    ).all()
    return [(int(user_id), name) for user_id, name in rows]


@dataclass(frozen=True)
class TimelineItem:
    """One line of the timeline: a journey event (``event``) or a contact (``contact``)."""

    at: datetime
    kind: str  # "event" | "contact"
    actor: str | None
    pathway_key: str | None = None
    event: JourneyEvent | None = None
    contact: ContactEntry | None = None
    #: Groups (engine/groups.py): the group of a membership event; an attendance mark.
    group: str | None = None
    attendance: Any = None
    #: A GAS follow-up (engine/goals.ScorePoint), or an assessment (engine/assessments.Completed)
    #: with its instrument's label.
    follow_up: Any = None
    assessment: Any = None
    label: Mapping[str, str] | None = None
    #: The partner organisation a referral journey's event is about (the timeline's wording).
    partner: str | None = None
    #: Pair work: the second worker at a contact (``actor`` wrote it).
    pair_worker: str | None = None
    #: Events (engine/events.py): the client's attendance at an event session.
    event_attendance: Any = None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.at, self.event.seq if self.event else 0)


def timeline(
    session: Session,
    client_id: int,
    *,
    limit: int = 200,
    gas_rho: float | None = None,
    instruments: Mapping[str, Instrument] | None = None,
    gas_points: Sequence[ScorePoint] | None = None,
) -> list[TimelineItem]:
    """Journey events (every journey of the client), contacts, group attendance, and (given
    ``gas_rho`` and ``instruments``) GAS follow-ups with their T-score and assessments, newest
    first. ``gas_points``: the client's T-score series when the caller has read it already
    (the client page's goal board), instead of reading it again."""
    events = session.execute(
        select(JourneyEvent, col(Journey.pathway_key), col(User.display_name))
        .join(Journey, col(Journey.id) == col(JourneyEvent.journey_id))
        .outerjoin(User, col(User.id) == col(JourneyEvent.actor_id))
        .where(col(Journey.client_id) == client_id)
        .order_by(col(JourneyEvent.occurred_at).desc(), col(JourneyEvent.id).desc())
        .limit(limit)
    ).all()
    pair = aliased(User)
    contacts = session.execute(
        select(ContactEntry, col(User.display_name), col(pair.display_name))
        .outerjoin(User, col(User.id) == col(ContactEntry.coach_id))
        .outerjoin(pair, col(pair.id) == col(ContactEntry.pair_worker_id))
        .where(col(ContactEntry.client_id) == client_id)
        .order_by(col(ContactEntry.occurred_at).desc(), col(ContactEntry.id).desc())
        .limit(limit)
    ).all()
    items = [
        TimelineItem(as_utc(e.occurred_at), "event", name, pathway_key=key, event=e)
        for e, key, name in events
    ] + [
        TimelineItem(as_utc(c.occurred_at), "contact", name, contact=c, pair_worker=pair_name)
        for c, name, pair_name in contacts
    ]
    items = _with_group_work(session, client_id, items, limit)
    items += _event_attendance(session, client_id, limit)
    items = _with_partners(session, client_id, items)
    if gas_points is not None:
        items += _follow_up_items(gas_points)
    elif gas_rho is not None:
        items += _follow_up_items(t_score_series_of(session, client_id, gas_rho))
    if instruments is not None:
        items += _assessments(session, client_id, instruments)
    items.sort(key=lambda i: i.sort_key, reverse=True)
    return items[:limit]


def _with_group_work(
    session: Session, client_id: int, items: list[TimelineItem], limit: int
) -> list[TimelineItem]:
    """Groups: name the group of each membership event, and add the attendance marks."""
    from engine.group_reads import (
        timeline_extras,
    )

    names, marks = timeline_extras(session, client_id, limit)
    named = [
        replace(i, group=names.get(i.event.journey_id)) if i.event is not None else i for i in items
    ]
    return named + [TimelineItem(at, "attendance", who, attendance=mark) for at, who, mark in marks]


def _event_attendance(session: Session, client_id: int, limit: int) -> list[TimelineItem]:
    """Events: the client's attendance at each event session marked."""
    from engine.events import timeline_items

    return [
        TimelineItem(at, "event_attendance", who, event_attendance=item)
        for at, who, item in timeline_items(session, client_id, limit)
    ]


def _with_partners(
    session: Session, client_id: int, items: list[TimelineItem]
) -> list[TimelineItem]:
    """Referrals: name the receiving partner organisation of each referral journey's event."""
    partners = dict(
        session.execute(
            select(col(Referral.journey_id), col(Organisation.name))
            .join(Organisation, col(Organisation.id) == col(Referral.to_organisation_id))
            .where(col(Referral.client_id) == client_id)
        ).all()
    )
    if not partners:
        return items
    return [
        replace(i, partner=partners.get(i.event.journey_id)) if i.event is not None else i
        for i in items
    ]


def t_score_series_of(session: Session, client_id: int, rho: float) -> list[ScorePoint]:
    from engine.goals import t_score_series

    return t_score_series(session, client_id, rho)


def _follow_up_items(points: Sequence[ScorePoint]) -> list[TimelineItem]:
    """One line per GAS follow-up (its date, at noon UTC for ordering): the T-score and change."""
    return [
        TimelineItem(datetime.combine(p.rated_on, time(12), UTC), "follow_up", None, follow_up=p)
        for p in points
        if p.rated_on is not None
    ]


def _assessments(
    session: Session, client_id: int, instruments: Mapping[str, Instrument]
) -> list[TimelineItem]:
    """One line per recorded assessment, with its instrument's label (the key if retired)."""
    from engine.assessments import assessments

    return [
        TimelineItem(
            as_utc(a.recorded_at),
            "assessment",
            a.recorded_by,
            assessment=a,
            label=instruments[a.instrument].label if a.instrument in instruments else None,
        )
        for a in assessments(session, client_id)
    ]


def last_contact(session: Session, client_id: int) -> ContactEntry | None:
    return session.execute(
        select(ContactEntry)
        .where(col(ContactEntry.client_id) == client_id)
        .order_by(col(ContactEntry.occurred_at).desc(), col(ContactEntry.id).desc())
        .limit(1)
    ).scalar()
