"""Groups (ryhmät): an 8-week group with its sessions, leaders, members and attendance.
docs/architecture.md ("Groups") describes the whole.

- A group is kept by the organisation of the coach who starts it; its leaders are coaches of that
  organisation, and a worker of a partner organisation may co-lead it. Its schedule (the first
  meeting, weekly, N meetings, a place) generates its sessions; each session's time and topic can
  be edited.
- A client's membership is a journey of pathway ``group_membership`` (pathways/
  group_membership.yaml: invited -> attending -> completed | dropped_out), moved by the same
  :class:`~engine.journeys.Journeys` and event log as every journey.
- Membership moves the client journey, in the caller's transaction (as referrals do):

  * ``start_attending`` fires ``start_group_work`` on the client journey (goal_setting ->
    group_work, individual_work -> group_and_individual_work). A client journey already in group
    work stays where it is (the client attends a second group). From any other state (outreach,
    assessment, paused, ...) the whole move is refused with :class:`ClientJourneyBlocked` (409):
    nothing is written, and the coach is told to move the client journey first. A rule denying
    ``start_group_work`` refuses the whole move too (:class:`~engine.errors.GuardRejected`).
  * ``complete`` and ``drop_out`` end the membership whatever the client journey's state (a group
    that ended must be recordable). When the client then attends no other group and the client
    journey is in group work, ``finish_group_work`` fires; otherwise the journey stays, and
    :class:`MembershipMove` says why, for the coach to see.

- Attendance: one append-only :class:`~engine.models.AttendanceMark` row per mark, with who and
  when; the latest row of a (session, member) pair is the attendance, a change of mind a new row.
  A mark names the wanted value (present or not), so two leaders tapping at once agree.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator, model_validator
from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from engine.access import Principal
from engine.attendance import AttendanceInput
from engine.bounds import Id
from engine.clients import latest_client_journey, lock_client
from engine.clock import as_utc
from engine.consents import EVIDENCE, record_consent
from engine.dates import local_day
from engine.errors import InputRequired, InvalidTransition, NotFound
from engine.group_access import (
    CO_LEADER_PURPOSE,
    CO_LEADER_SCOPE,
    consent_holds_for_co_leader,
)
from engine.holidays import NATIONAL, HolidayCalendar
from engine.inputs import Checks, Input, blank_is_none, checks_of, validated
from engine.journeys import Journeys
from engine.models import (
    AttendanceMark,
    ClientGroup,
    Consent,
    GroupLeader,
    GroupLeaderKind,
    GroupMembership,
    GroupSession,
    Journey,
    Organisation,
    OrganisationKind,
    Role,
    User,
)
from engine.pathway_keys import CLIENT_JOURNEY, GROUP_MEMBERSHIP
from engine.views import EventView

PATHWAY = GROUP_MEMBERSHIP
DEFAULT_MEETINGS = 8
MAX_MEETINGS = 52
FIRST_YEAR, LAST_YEAR = 2000, 2100
NAME_MAX = 200
TOPIC_MAX = 200
#: Client journey states that already are group work.
GROUP_WORK_STATES = frozenset({"group_work", "group_and_individual_work"})
#: The client journey's moves that go with a membership's.
START_GROUP_WORK = "start_group_work"
FINISH_GROUP_WORK = "finish_group_work"
#: Membership triggers that end it.
ENDING_TRIGGERS = frozenset({"complete", "drop_out"})
ATTENDING = "attending"
#: Membership states whose attendance a leader may mark (completed: a late correction).
MARKABLE_STATES = frozenset({ATTENDING, "completed"})


class ClientJourneyBlocked(InvalidTransition):
    """Starting to attend needs the client journey to start group work, and it cannot from its
    state: nothing is written. ``possible_from`` names the states it could start from."""

    code = "client_journey_blocked"

    def __init__(self, client_state: str, possible_from: Sequence[str]):
        super().__init__(START_GROUP_WORK, client_state, [], [])
        self.possible_from = list(possible_from)
        self.args = (
            f"the client journey cannot start group work from {client_state!r}; move it to one "
            f"of {', '.join(self.possible_from)} first",
        )

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {
            "client_journey_state": self.state,
            "possible_from": self.possible_from,
        }


# --- creating a group -------------------------------------------------------------------------


class GroupInput(Input):
    """A new group as the coach gave it: the API-ready input model of :func:`create_group`,
    which the group form builds too. ``first_meeting`` is local wall-clock time; a form gives
    it as ``first_date`` and ``first_time`` (blank time: midnight). Every rule is here or in
    :func:`create_group` (the leaders and the co-leader are checked against the database)."""

    name: str = Field(min_length=1, max_length=NAME_MAX)
    municipality_code: str = Field(max_length=3)
    first_meeting: datetime | None
    meetings: int | None = Field(default=DEFAULT_MEETINGS, ge=1, le=MAX_MEETINGS)
    place: str = Field(default="", max_length=NAME_MAX)
    leader_ids: tuple[Id, ...] = ()
    co_leader_id: Id | None = None

    _blank = field_validator("meetings", "co_leader_id", mode="before")(blank_is_none)

    @model_validator(mode="before")
    @classmethod
    def form_schedule(cls, data: Any) -> Any:
        """A form's ``first_date`` and ``first_time`` are the ``first_meeting``."""
        if not isinstance(data, Mapping) or "first_date" not in data:
            return data
        values = dict(data)
        day, at = str(values.pop("first_date") or ""), str(values.pop("first_time", "") or "")
        try:
            values["first_meeting"] = datetime.combine(
                date.fromisoformat(day.strip()), time.fromisoformat(at.strip() or "00:00")
            )
        except ValueError:
            values["first_meeting"] = None
        return values

    @field_validator("municipality_code")
    @classmethod
    def served(cls, code: str, info: ValidationInfo) -> str:
        checks = checks_of(info)
        if checks is not None and code not in checks.municipalities:
            raise ValueError("a municipality known to the plugins")
        return code

    @field_validator("first_meeting")
    @classmethod
    def in_range(cls, moment: datetime | None) -> datetime | None:
        if moment is None or not _in_range(moment):
            raise ValueError("the date and time of the first meeting")
        return moment

    @field_validator("meetings")
    @classmethod
    def given(cls, meetings: int | None) -> int:
        if meetings is None:
            raise ValueError(f"the number of meetings is 1-{MAX_MEETINGS}")
        return meetings


def session_times(
    first_meeting: datetime,
    meetings: int,
    zone: ZoneInfo,
    *,
    holidays: HolidayCalendar = NATIONAL,
    municipality_code: str | None = None,
) -> list[datetime]:
    """Weekly meetings at the same local wall-clock time (across a daylight-saving change), in
    UTC, a week whose day is a holiday (engine/holidays.py) skipped. ``first_meeting`` is naive
    local time or aware."""
    return holidays.weekly(first_meeting, meetings, zone, municipality_code)


def create_group(
    session: Session,
    principal: Principal,
    given: GroupInput | Mapping[str, Any],
    *,
    municipalities: Collection[str],
    zone: ZoneInfo,
    now: datetime,
    holidays: HolidayCalendar = NATIONAL,
) -> ClientGroup:
    """Start a group led by ``principal`` (and the other coaches named), with its sessions.
    ``given``: a :class:`GroupInput` or its fields (a form's values); every rule is applied
    (:class:`~engine.errors.InvalidInput` names each bad field, :class:`InputRequired` a leader
    who cannot be chosen); nothing is written then."""
    if principal.role != Role.coach or principal.organisation_id is None:
        raise InputRequired("leader_ids", "a group is started by a coach of an organisation")
    given = validated(
        GroupInput,
        given,
        Checks(today=local_day(now, zone), municipalities=municipalities),
    )
    name, place, meetings = given.name, given.place, given.meetings
    # the model's rules: both are given
    assert given.first_meeting is not None
    assert meetings is not None
    leaders = [principal.user_id, *(i for i in given.leader_ids if i != principal.user_id)]
    _check_users(session, leaders[1:], "leader_ids", Role.coach, principal.organisation_id)
    if given.co_leader_id is not None:
        _check_users(session, [given.co_leader_id], "co_leader_id", Role.partner, None)
    group = ClientGroup(
        name=name,
        municipality_code=given.municipality_code,
        organisation_id=principal.organisation_id,
        place=place,
        meeting_count=meetings,
        created_by=principal.user_id,
        created_at=now,
    )
    session.add(group)
    session.flush()
    assert group.id is not None
    for user_id in dict.fromkeys(leaders):
        session.add(GroupLeader(group_id=group.id, user_id=user_id, kind=GroupLeaderKind.leader))
    if given.co_leader_id is not None:
        session.add(
            GroupLeader(
                group_id=group.id, user_id=given.co_leader_id, kind=GroupLeaderKind.co_leader
            )
        )
    times = session_times(
        given.first_meeting,
        meetings,
        zone,
        holidays=holidays,
        municipality_code=given.municipality_code,
    )
    for number, starts_at in enumerate(times, 1):
        session.add(GroupSession(group_id=group.id, number=number, starts_at=starts_at))
    session.flush()
    return group


def _in_range(moment: datetime) -> bool:
    """Meetings between 2000 and 2100 (a year 1 or 9999 typo would overflow the weekly
    arithmetic or the database's timestamp range)."""
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def _check_users(
    session: Session, user_ids: Sequence[int], field: str, role: Role, organisation_id: int | None
) -> None:
    """Every id is an active user of ``role`` (of ``organisation_id``, or of a partner
    organisation for partner workers)."""
    for user_id in user_ids:
        row = session.execute(
            select(User, Organisation)
            .outerjoin(Organisation, col(Organisation.id) == col(User.organisation_id))
            .where(col(User.id) == user_id)
        ).one_or_none()
        ok = row is not None and row[0].is_active and row[0].role == role.value
        if ok and role == Role.partner:
            ok = row is not None and row[1] is not None and row[1].kind == OrganisationKind.partner
        elif ok and row is not None:
            ok = row[0].organisation_id == organisation_id
        if not ok:
            raise InputRequired(field, f"user {user_id} cannot be chosen here")


def leader_choices(session: Session, principal: Principal) -> list[User]:
    """Coaches of the principal's organisation (fellow leaders to choose from)."""
    return list(
        session.execute(
            select(User)
            .where(
                col(User.organisation_id) == principal.organisation_id,
                col(User.role) == Role.coach.value,
                col(User.is_active).is_(True),
                col(User.id) != principal.user_id,
            )
            .order_by(col(User.display_name))
        ).scalars()
    )


def co_leader_choices(session: Session) -> list[tuple[User, str]]:
    """Active partner workers with their organisation's name (a co-leader to choose from)."""
    rows = session.execute(
        select(User, col(Organisation.name))
        .join(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(
            col(User.role) == Role.partner.value,
            col(User.is_active).is_(True),
            col(Organisation.kind) == OrganisationKind.partner.value,
        )
        .order_by(col(Organisation.name), col(User.display_name))
    ).all()
    return [(u, n) for u, n in rows]


def edit_session(
    session: Session,
    group_id: int,
    session_id: int,
    *,
    starts_at: datetime | None,
    topic: str,
) -> GroupSession:
    """Change one session's time (aware) and topic."""
    meeting = _session_of(session, group_id, session_id)
    topic = topic.strip()
    if len(topic) > TOPIC_MAX:
        raise InputRequired("topic", f"the topic is at most {TOPIC_MAX} characters")
    if starts_at is None or not _in_range(starts_at):
        raise InputRequired("starts_at", "the date and time of the meeting")
    meeting.starts_at = starts_at
    meeting.topic = topic
    session.add(meeting)
    session.flush()
    return meeting


def _session_of(session: Session, group_id: int, session_id: int) -> GroupSession:
    return _of_group(session, GroupSession, session_id, group_id)


_Row = TypeVar("_Row", GroupSession, GroupMembership)


def _of_group(session: Session, model: type[_Row], row_id: int, group_id: int) -> _Row:
    """A session or membership of this very group (another group's id is not found)."""
    row = session.get(model, row_id)
    if row is None or row.group_id != group_id:
        raise NotFound(f"{model.__tablename__} {row_id} of group {group_id} not found")
    return row


# --- members and their pathway ------------------------------------------------------------------


def add_member(
    session: Session,
    journeys: Journeys,
    principal: Principal,
    group_id: int,
    client_id: int,
    *,
    now: datetime,
    consent_evidence: str | None = None,
) -> GroupMembership:
    """Invite the client to the group: a membership journey in its first state (invited).
    The client's row is locked first, so two parallel invites cannot both pass the check.

    ``consent_evidence`` (verbal | written | electronic): the client consents to the group's
    partner co-leader's organisation seeing their name and attendance; recorded as a
    :class:`~engine.models.Consent` (scope :data:`CO_LEADER_SCOPE`) when the group has a
    co-leader and no such consent holds yet. Without it the co-leader never sees the member."""
    if session.get(ClientGroup, group_id) is None:
        raise NotFound(f"group {group_id} not found")
    if consent_evidence is not None and consent_evidence not in EVIDENCE:
        raise InputRequired("evidence", "how was the consent given?", EVIDENCE)
    lock_client(session, client_id)
    already = session.execute(
        select(col(GroupMembership.id)).where(
            col(GroupMembership.group_id) == group_id, col(GroupMembership.client_id) == client_id
        )
    ).first()
    if already is not None:
        raise InputRequired("group_id", "the client is already a member of this group")
    if consent_evidence is not None:
        consent_to_co_leader(session, principal, group_id, client_id, consent_evidence, now=now)
    journey = journeys.start(
        session, client_id=client_id, pathway_key=PATHWAY, actor_id=principal.user_id, at=now
    )
    assert journey.id is not None
    membership = GroupMembership(
        group_id=group_id,
        client_id=client_id,
        journey_id=journey.id,
        added_by=principal.user_id,
        added_at=now,
    )
    session.add(membership)
    session.flush()
    return membership


def co_leader_organisation(session: Session, group_id: int) -> tuple[int, str] | None:
    """The id and name of the organisation of the group's partner co-leader (None: no
    co-leader)."""
    row = session.execute(
        select(col(Organisation.id), col(Organisation.name))
        .join(User, col(User.organisation_id) == col(Organisation.id))
        .join(GroupLeader, col(GroupLeader.user_id) == col(User.id))
        .where(
            col(GroupLeader.group_id) == group_id,
            col(GroupLeader.kind) == GroupLeaderKind.co_leader.value,
        )
        .order_by(col(GroupLeader.id))
    ).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def consenting_to_co_leader(
    session: Session, organisation_id: int, client_ids: Sequence[int]
) -> set[int]:
    """Which of the clients hold a consent to the co-leader's organisation (for the leaders'
    view: who the co-leader sees)."""
    if not client_ids:
        return set()
    return {
        int(c)
        for c in session.execute(
            select(col(Consent.client_id)).where(
                col(Consent.client_id).in_(list(client_ids)),
                col(Consent.organisation_id) == organisation_id,
                consent_holds_for_co_leader(),
            )
        ).scalars()
    }


def consent_to_co_leader(
    session: Session,
    principal: Principal,
    group_id: int,
    client_id: int,
    evidence: str,
    *,
    now: datetime,
) -> Consent | None:
    """Record the client's consent to the group's co-leader's organisation seeing their name and
    attendance (the one consent code, :func:`engine.consents.record_consent`). None when the
    group has no co-leader; the holding consent when one already covers it."""
    if evidence not in EVIDENCE:
        raise InputRequired("evidence", "how was the consent given?", EVIDENCE)
    organisation = co_leader_organisation(session, group_id)
    if organisation is None:
        return None
    holding: Consent | None = (
        session.execute(
            select(Consent)
            .where(
                col(Consent.client_id) == client_id,
                col(Consent.organisation_id) == organisation[0],
                consent_holds_for_co_leader(),
            )
            .order_by(col(Consent.id))
        )
        .scalars()
        .first()
    )
    if holding is not None:
        return holding
    return record_consent(
        session,
        principal,
        client_id,
        organisation_id=organisation[0],
        scope=CO_LEADER_SCOPE,
        purpose=CO_LEADER_PURPOSE,
        evidence=evidence,
        given_at=now,
        now=now,
        fields=CO_LEADER_SCOPE,
    )


def membership_of(session: Session, group_id: int, membership_id: int) -> GroupMembership:
    return _of_group(session, GroupMembership, membership_id, group_id)


@dataclass(frozen=True)
class MembershipMove:
    """A membership's move and what it did to the client journey: ``client_trigger`` fired it
    from ``client_from`` to ``client_to``, or it stayed in ``client_from`` because of
    ``stayed`` ("already_group_work", "other_group", "not_in_group_work")."""

    event: EventView
    client_trigger: str | None
    client_from: str | None
    client_to: str | None
    stayed: str | None = None


def advance_membership(
    session: Session,
    journeys: Journeys,
    principal: Principal,
    group_id: int,
    membership_id: int,
    trigger: str,
    *,
    reason: str | None = None,
    expected_version: int | None = None,
    now: datetime,
) -> MembershipMove:
    """Move a membership on, and the client journey with it, in the caller's transaction.
    Raises what :meth:`Journeys.advance` raises, or :class:`ClientJourneyBlocked`; the caller
    rolls back then (nothing half done)."""
    membership = membership_of(session, group_id, membership_id)
    # one membership move of a client at a time: two groups completed at once must not each
    # see the other still attending (and neither end the client's group work)
    lock_client(session, membership.client_id)
    client_journey = latest_client_journey(session, membership.client_id)
    client_state = client_journey.state if client_journey else None
    if trigger == "start_attending" and client_state not in GROUP_WORK_STATES:
        pathway = journeys.pathways.latest(CLIENT_JOURNEY)
        if client_state is None or pathway.transition(START_GROUP_WORK, client_state) is None:
            # checked before anything is written; an invalid membership move is still a 409 of
            # its own below when the client journey could move
            membership_pathway = journeys.pathways.latest(PATHWAY)
            journey = session.get(Journey, membership.journey_id)
            if journey and membership_pathway.transition(trigger, journey.state) is not None:
                possible = [st for st in pathway.states if pathway.transition(START_GROUP_WORK, st)]
                raise ClientJourneyBlocked(client_state or "-", possible)
    event = journeys.advance(
        session,
        membership.journey_id,
        trigger,
        actor_id=principal.user_id,
        reason=reason,
        expected_version=expected_version,
        at=now,
    )
    if trigger == "start_attending":
        membership.attended_from = now
        session.add(membership)
        if client_state in GROUP_WORK_STATES:
            return MembershipMove(event, None, client_state, client_state, "already_group_work")
        assert client_journey is not None
        assert client_journey.id is not None
        journeys.advance(
            session, client_journey.id, START_GROUP_WORK, actor_id=principal.user_id, at=now
        )
        return MembershipMove(
            event, START_GROUP_WORK, client_state, _state(session, client_journey)
        )
    if trigger in ENDING_TRIGGERS and client_journey is not None and client_journey.id:
        if client_state not in GROUP_WORK_STATES:
            return MembershipMove(event, None, client_state, client_state, "not_in_group_work")
        if _attends_another(session, membership):
            return MembershipMove(event, None, client_state, client_state, "other_group")
        journeys.advance(
            session,
            client_journey.id,
            FINISH_GROUP_WORK,
            actor_id=principal.user_id,
            reason=event.reason,
            at=now,
        )
        return MembershipMove(
            event, FINISH_GROUP_WORK, client_state, _state(session, client_journey)
        )
    return MembershipMove(event, None, client_state, client_state)


def _state(session: Session, journey: Journey) -> str:
    return str(
        session.execute(select(col(Journey.state)).where(col(Journey.id) == journey.id)).scalar()
    )


def _attends_another(session: Session, membership: GroupMembership) -> bool:
    """The client attends another group (a membership of theirs still in state attending)."""
    found = session.execute(
        select(col(GroupMembership.id))
        .join(Journey, col(Journey.id) == col(GroupMembership.journey_id))
        .where(
            col(GroupMembership.client_id) == membership.client_id,
            col(GroupMembership.id) != membership.id,
            col(Journey.state) == ATTENDING,
        )
    ).first()
    return found is not None


# --- attendance ---------------------------------------------------------------------------------


def mark_attendance(
    session: Session,
    principal: Principal,
    group_id: int,
    session_id: int,
    membership_id: int,
    *,
    present: bool,
    today: date,
    zone: ZoneInfo,
    now: datetime,
    absence_reason: str | None = None,
    notified: bool = False,
) -> AttendanceMark | None:
    """Mark one member present or not at one session, an absence with its reason and notice
    (engine/attendance.py; a new row; None when it already was so)."""
    given = validated(
        AttendanceInput,
        {"present": present, "absence_reason": absence_reason, "notified": notified},
        Checks(today=today),
    )
    meeting = _session_of(session, group_id, session_id)
    membership = membership_of(session, group_id, membership_id)
    state = session.execute(
        select(col(Journey.state)).where(col(Journey.id) == membership.journey_id)
    ).scalar_one()
    if state not in MARKABLE_STATES:
        raise InvalidTransition("mark_attendance", state, [])
    if as_utc(meeting.starts_at).astimezone(zone).date() > today:
        raise InputRequired("session_id", "attendance is marked on or after the meeting's day")
    latest = session.execute(
        select(AttendanceMark).where(
            col(AttendanceMark.id).in_(_latest_marks([membership_id])),
            col(AttendanceMark.session_id) == session_id,
        )
    ).scalar_one_or_none()
    reason = given.absence_reason.value if given.absence_reason else None
    if latest is not None and (latest.present, latest.absence_reason, bool(latest.notified)) == (
        present,
        reason,
        given.notified,
    ):
        return None
    if latest is None and not present and reason is None and not given.notified:
        return None
    mark = AttendanceMark(
        session_id=session_id,
        membership_id=membership_id,
        present=present,
        absence_reason=reason,
        notified=None if present else given.notified,
        marked_by=principal.user_id,
        marked_at=now,
    )
    session.add(mark)
    session.flush()
    return mark


@dataclass(frozen=True)
class MarkState:
    """The latest mark of one (membership, session) pair: present, or absent with its reason
    and whether the client told beforehand (engine/attendance.py)."""

    present: bool
    absence_reason: str | None = None
    notified: bool = False


def current_mark_states(
    session: Session, membership_ids: Sequence[int]
) -> dict[tuple[int, int], MarkState]:
    """(membership id, session id) -> the latest mark of each pair."""
    if not membership_ids:
        return {}
    latest = _latest_marks(list(membership_ids))
    rows = session.execute(
        select(
            col(AttendanceMark.membership_id),
            col(AttendanceMark.session_id),
            col(AttendanceMark.present),
            col(AttendanceMark.absence_reason),
            col(AttendanceMark.notified),
        ).where(col(AttendanceMark.id).in_(latest))
    ).all()
    return {(int(m), int(s)): MarkState(bool(p), r, bool(n)) for m, s, p, r, n in rows}


def _latest_marks(memberships: Any) -> Select[Any]:
    """The id of the latest mark of each (membership, session) pair of ``memberships`` (ids, or a
    SELECT of ids): marks are append-only, and the latest one is the attendance."""
    return (
        select(func.max(col(AttendanceMark.id)))
        .where(col(AttendanceMark.membership_id).in_(memberships))
        .group_by(col(AttendanceMark.membership_id), col(AttendanceMark.session_id))
    )
