"""Events (tapahtumat): expert sessions, course sessions, study visits, peer groups, remote
sessions and client panels, one-off or a weekly series. docs/architecture.md ("Events").

- An event is kept by the organisation of the coach who creates it. It is led by a staff user
  of that organisation (a coach or a coordinator) or by an outside expert named with their
  organisation; it is at a place or remote. A series of N weekly sessions skips the holidays of
  its municipality (engine/holidays.py). A session can be cancelled; a cancelled or future one
  is not held and counts in no rate.
- Participants are the coach's own clients (the care-team grant ``event_invite``). Groups keep
  their 8-week model (engine/groups.py); events sit alongside them and share the attendance
  rules of engine/attendance.py (reasons, notice, append-only marks, rates of held sessions).
- Each attendance shows on the participant's timeline (:func:`timeline_items`) and counts in
  the funder report as an activity (engine/esf_report.py, :func:`attended_in`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator
from sqlalchemy import Select, func, or_, select
from sqlmodel import Session, col

from engine.access import Principal, What, authorise_client
from engine.attendance import AttendanceInput, Rate, rate
from engine.bounds import BoundedDateTime, Id
from engine.clock import as_utc
from engine.errors import InputRequired, InvalidInput
from engine.holidays import NATIONAL, HolidayCalendar
from engine.inputs import Checks, Input, blank_is_none, checks_of, validated
from engine.models import (
    Client,
    Event,
    EventAttendance,
    EventKind,
    EventParticipant,
    EventSession,
    Role,
    User,
)

TEXT_MAX = 200
MAX_SESSIONS = 52
#: Staff who may lead an event.
LEADER_ROLES = (Role.coach.value, Role.coordinator.value)


class NewEvent(Input):
    """A new event: its kind and title, the municipality whose holidays its series skips, a
    leader (a staff user) or an outside expert with their organisation, a place or remote, the
    first session (a time without a zone is local; 2000-2100) and how many weekly sessions."""

    kind: EventKind
    title: str = Field(min_length=1, max_length=TEXT_MAX)
    municipality_code: str = Field(min_length=1, max_length=3)
    leader_id: Id | None = None
    expert_name: str = Field(default="", max_length=TEXT_MAX)
    expert_organisation: str = Field(default="", max_length=TEXT_MAX)
    remote: bool = False
    place: str = Field(default="", max_length=TEXT_MAX)
    first_at: BoundedDateTime
    sessions: int = Field(default=1, ge=1, le=MAX_SESSIONS)

    _blank = field_validator("leader_id", "sessions", mode="before")(blank_is_none)

    @field_validator("municipality_code")
    @classmethod
    def served(cls, code: str, info: ValidationInfo) -> str:
        checks = checks_of(info)
        if checks is not None and code not in checks.municipalities:
            raise ValueError("not a municipality the plugins serve")
        return code

    @field_validator("expert_name")
    @classmethod
    def leader_or_expert(cls, name: str, info: ValidationInfo) -> str:
        if bool(name) == (info.data.get("leader_id") is not None):
            raise ValueError("a leader or an outside expert, one of them")
        return name

    @field_validator("expert_organisation")
    @classmethod
    def expert_has_organisation(cls, organisation: str, info: ValidationInfo) -> str:
        if info.data.get("expert_name") and not organisation:
            raise ValueError("the outside expert's organisation")
        return organisation

    @field_validator("place")
    @classmethod
    def place_or_remote(cls, place: str, info: ValidationInfo) -> str:
        remote = info.data.get("remote")
        if not place and not remote:
            raise ValueError("a place, or remote")
        if info.data.get("kind") == EventKind.remote_session and not remote:
            raise ValueError("a remote session is remote")
        return place

    @field_validator("first_at")
    @classmethod
    def within_years(cls, when: datetime) -> datetime:
        if not 2000 <= when.year <= 2100:
            raise ValueError("a session between 2000 and 2100")
        return when


def leader_choices(session: Session, principal: Principal) -> list[tuple[int, str]]:
    """The staff of the principal's organisation who may lead an event (active coaches and
    coordinators), the principal first."""
    rows = session.execute(
        select(col(User.id), col(User.display_name))
        .where(
            col(User.organisation_id) == principal.organisation_id,
            col(User.role).in_(LEADER_ROLES),
            col(User.is_active).is_(True),
        )
        .order_by(col(User.display_name), col(User.id))
    ).all()
    found = [(int(i), str(n)) for i, n in rows]
    return sorted(found, key=lambda r: r[0] != principal.user_id)


def create_event(
    session: Session,
    principal: Principal,
    given: NewEvent | Mapping[str, Any],
    *,
    checks: Checks,
    holidays: HolidayCalendar = NATIONAL,
) -> Event:
    """Create an event with its sessions (a weekly series skips the holidays); kept by the
    principal's (a coach's) organisation. :class:`InvalidInput` names every wrong field."""
    if principal.role != Role.coach or principal.organisation_id is None:
        raise InputRequired("leader_id", "an event is created by a coach of an organisation")
    new = validated(NewEvent, given, checks)
    if new.leader_id is not None and new.leader_id not in {
        i for i, _n in leader_choices(session, principal)
    }:
        raise InvalidInput({"leader_id": "a staff member of your organisation"})
    assert checks.now is not None
    zone = checks.zone if isinstance(checks.zone, ZoneInfo) else ZoneInfo("Europe/Helsinki")
    event = Event(
        kind=new.kind.value,
        title=new.title,
        organisation_id=principal.organisation_id,
        municipality_code=new.municipality_code,
        leader_id=new.leader_id,
        expert_name=new.expert_name,
        expert_organisation=new.expert_organisation,
        place=new.place,
        remote=new.remote,
        created_by=principal.user_id,
        created_at=checks.now,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    times = holidays.weekly(new.first_at, new.sessions, zone, new.municipality_code)
    for number, starts_at in enumerate(times, 1):
        session.add(EventSession(event_id=event.id, number=number, starts_at=starts_at))
    session.flush()
    return event


def add_participant(
    session: Session, principal: Principal, event_id: int, client_id: int, *, today: date
) -> EventParticipant | None:
    """Add one of the coach's own clients (care-team grant ``event_invite``); None when the
    client already takes part."""
    authorise_client(session, principal, client_id, What.event_invite, today)
    existing = session.execute(
        select(EventParticipant).where(
            col(EventParticipant.event_id) == event_id,
            col(EventParticipant.client_id) == client_id,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return None
    participant = EventParticipant(
        event_id=event_id, client_id=client_id, added_by=principal.user_id
    )
    session.add(participant)
    session.flush()
    return participant


def _session_of(session: Session, event_id: int, session_id: int) -> EventSession:
    found = session.get(EventSession, session_id)
    if found is None or found.event_id != event_id:
        raise InputRequired("session_id", "a session of this event")
    return found


def _participant_of(session: Session, event_id: int, participant_id: int) -> EventParticipant:
    found = session.get(EventParticipant, participant_id)
    if found is None or found.event_id != event_id:
        raise InputRequired("participant_id", "a participant of this event")
    return found


def cancel_session(session: Session, event_id: int, session_id: int, *, now: datetime) -> bool:
    """Cancel a session that has not been held (False when it already was cancelled)."""
    meeting = _session_of(session, event_id, session_id)
    if meeting.cancelled_at is not None:
        return False
    if as_utc(meeting.starts_at) <= as_utc(now):
        raise InputRequired("session_id", "a session that has begun cannot be cancelled")
    meeting.cancelled_at = now
    session.add(meeting)
    session.flush()
    return True


def _latest(participants: Any) -> Select[Any]:
    """The latest mark's id of each (participant, session) pair of ``participants``."""
    return (
        select(func.max(col(EventAttendance.id)))
        .where(col(EventAttendance.participant_id).in_(participants))
        .group_by(col(EventAttendance.participant_id), col(EventAttendance.session_id))
    )


def mark_attendance(
    session: Session,
    principal: Principal,
    event_id: int,
    session_id: int,
    participant_id: int,
    given: AttendanceInput | Mapping[str, Any],
    *,
    checks: Checks,
) -> EventAttendance | None:
    """Mark one participant at one held session (a new row; None when it already was so)."""
    assert checks.now is not None
    new = validated(AttendanceInput, given, checks)
    meeting = _session_of(session, event_id, session_id)
    _participant_of(session, event_id, participant_id)
    if meeting.cancelled_at is not None:
        raise InputRequired("session_id", "the session was cancelled")
    zone = checks.zone or ZoneInfo("UTC")
    if as_utc(meeting.starts_at).astimezone(zone).date() > checks.today:
        raise InputRequired("session_id", "attendance is marked on or after the session's day")
    latest = session.execute(
        select(EventAttendance).where(
            col(EventAttendance.id).in_(_latest([participant_id])),
            col(EventAttendance.session_id) == session_id,
        )
    ).scalar_one_or_none()
    reason = new.absence_reason.value if new.absence_reason else None
    notified = None if new.present else new.notified
    if latest is not None and (latest.present, latest.absence_reason, latest.notified) == (
        new.present,
        reason,
        notified,
    ):
        return None
    mark = EventAttendance(
        session_id=session_id,
        participant_id=participant_id,
        present=new.present,
        absence_reason=reason,
        notified=notified,
        marked_by=principal.user_id,
        marked_at=checks.now,
    )
    session.add(mark)
    session.flush()
    return mark


# --- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSummary:
    event: Event
    leader: str
    sessions: int
    next_at: datetime | None
    participants: int


def events_of(session: Session, principal: Principal, now: datetime) -> list[EventSummary]:
    """The events a coach created or leads, or (a coordinator) those of their organisation;
    no client data (counts only). Newest first."""
    stmt = select(Event, col(User.display_name)).outerjoin(
        User, col(User.id) == col(Event.leader_id)
    )
    if principal.role == Role.coordinator:
        stmt = stmt.where(col(Event.organisation_id) == principal.organisation_id)
    else:
        stmt = stmt.where(
            or_(
                col(Event.created_by) == principal.user_id,
                col(Event.leader_id) == principal.user_id,
            )
        )
    rows = session.execute(stmt.order_by(col(Event.id).desc()).limit(200)).all()
    ids = [e.id for e, _n in rows]
    sessions: dict[int, list[EventSession]] = {}
    for s in session.execute(
        select(EventSession).where(col(EventSession.event_id).in_(ids))
    ).scalars():
        sessions.setdefault(s.event_id, []).append(s)
    counts = dict(
        session.execute(
            select(col(EventParticipant.event_id), func.count())
            .where(col(EventParticipant.event_id).in_(ids))
            .group_by(col(EventParticipant.event_id))
        ).all()
    )
    found = []
    for event, leader in rows:
        own = sessions.get(event.id or 0, [])
        upcoming = [
            as_utc(s.starts_at)
            for s in own
            if s.cancelled_at is None and as_utc(s.starts_at) >= as_utc(now)
        ]
        found.append(
            EventSummary(
                event,
                leader or event.expert_name,
                len(own),
                min(upcoming) if upcoming else None,
                int(counts.get(event.id, 0)),
            )
        )
    return found


@dataclass
class Participant:
    participant: EventParticipant
    client: Client
    rate: Rate


@dataclass
class EventDetail:
    event: Event
    leader: str
    sessions: list[EventSession]
    participants: list[Participant]
    #: (participant id, session id) -> the latest mark.
    marks: dict[tuple[int, int], EventAttendance] = field(default_factory=dict)

    def mark(self, participant_id: int | None, session_id: int | None) -> EventAttendance | None:
        return self.marks.get((participant_id or 0, session_id or 0))


def event_detail(
    session: Session, event_id: int, now: datetime, zone: ZoneInfo = ZoneInfo("UTC")
) -> EventDetail:
    """An event with its sessions, participants, their latest marks and rates (held only, by
    the local day in ``zone``)."""
    event = session.get(Event, event_id)
    if event is None:
        raise InputRequired("event_id", "no such event")
    leader = session.get(User, event.leader_id) if event.leader_id else None
    sessions = list(
        session.execute(
            select(EventSession)
            .where(col(EventSession.event_id) == event_id)
            .order_by(col(EventSession.number))
        ).scalars()
    )
    rows = session.execute(
        select(EventParticipant, Client)
        .join(Client, col(Client.id) == col(EventParticipant.client_id))
        .where(col(EventParticipant.event_id) == event_id)
        .order_by(col(Client.last_name), col(Client.first_name), col(EventParticipant.id))
    ).all()
    ids = [p.id for p, _c in rows]
    marks = {
        (m.participant_id, m.session_id): m
        for m in session.execute(
            select(EventAttendance).where(col(EventAttendance.id).in_(_latest(ids)))
        ).scalars()
    }
    shape = [(s.id or 0, s.starts_at, s.cancelled_at) for s in sessions]
    participants = [
        Participant(
            p,
            c,
            rate(
                shape,
                [sid for (pid, sid), m in marks.items() if pid == p.id and m.present],
                now,
                zone,
            ),
        )
        for p, c in rows
    ]
    return EventDetail(
        event,
        leader.display_name if leader else event.expert_name,
        sessions,
        participants,
        marks,
    )


# --- the client's timeline and the funder report --------------------------------------------------


@dataclass(frozen=True)
class EventAttendanceItem:
    """A participant's attendance at one event session, as the client's timeline shows it."""

    kind: str
    title: str
    number: int
    sessions: int
    present: bool
    absence_reason: str | None
    notified: bool | None


def timeline_items(
    session: Session, client_id: int, limit: int
) -> list[tuple[datetime, str | None, EventAttendanceItem]]:
    """The client's event attendance (the latest mark of each session), at the session's
    time, with who marked it; newest first."""
    latest = _latest(
        select(col(EventParticipant.id)).where(col(EventParticipant.client_id) == client_id)
    )
    counts = (
        select(col(EventSession.event_id), func.count().label("n"))
        .group_by(col(EventSession.event_id))
        .subquery()
    )
    rows = session.execute(
        select(EventAttendance, EventSession, Event, counts.c.n, col(User.display_name))
        .join(EventSession, col(EventSession.id) == col(EventAttendance.session_id))
        .join(Event, col(Event.id) == col(EventSession.event_id))
        .join(counts, counts.c.event_id == col(Event.id))
        .outerjoin(User, col(User.id) == col(EventAttendance.marked_by))
        .where(col(EventAttendance.id).in_(latest))
        .order_by(col(EventSession.starts_at).desc())
        .limit(limit)
    ).all()
    return [
        (
            as_utc(s.starts_at),
            who,
            EventAttendanceItem(
                e.kind, e.title, s.number, int(n), m.present, m.absence_reason, m.notified
            ),
        )
        for m, s, e, n, who in rows
    ]


def attended_in(
    session: Session, client_ids: Any, start: datetime, end: datetime, now: datetime
) -> dict[int, int]:
    """Client id -> event sessions attended (the latest mark present) among the sessions held
    in [start, end): the funder report's activities. ``client_ids`` a SELECT or a list."""
    latest = _latest(
        select(col(EventParticipant.id)).where(col(EventParticipant.client_id).in_(client_ids))
    )
    rows = session.execute(
        select(col(EventParticipant.client_id), func.count())
        .select_from(EventAttendance)
        .join(EventParticipant, col(EventParticipant.id) == col(EventAttendance.participant_id))
        .join(EventSession, col(EventSession.id) == col(EventAttendance.session_id))
        .where(
            col(EventAttendance.id).in_(latest),
            col(EventAttendance.present).is_(True),
            col(EventSession.cancelled_at).is_(None),
            col(EventSession.starts_at) >= start,
            col(EventSession.starts_at) < end,
            col(EventSession.starts_at) <= now,
        )
        .group_by(col(EventParticipant.client_id))
    ).all()
    return {int(c): int(n) for c, n in rows}
