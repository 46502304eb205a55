"""Reading groups (ryhmät): the groups a principal sees, one group's schedule, members and
attendance, a client's groups and what to invite them to, and a client's group events for the
timeline. Changing groups and memberships is :mod:`engine.groups`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from engine.access import Principal, What, grants_for
from engine.attendance import Rate, rate
from engine.clock import as_utc
from engine.errors import NotFound
from engine.group_access import consents_to_co_leader
from engine.groups import (
    MarkState,
    _latest_marks,
    co_leader_organisation,
    current_mark_states,
)
from engine.models import (
    AttendanceMark,
    Client,
    ClientGroup,
    GroupLeader,
    GroupLeaderKind,
    GroupMembership,
    GroupSession,
    Journey,
    Organisation,
    User,
)

# --- reads ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupSummary:
    group: ClientGroup
    members: int
    next_session: GroupSession | None


def groups_of(
    session: Session, principal: Principal, today: date, now: datetime
) -> list[GroupSummary]:
    """The groups the principal leads, co-leads or (a coordinator) whose organisation keeps
    them; member counts and the next session. No client data."""
    conditions = [
        g.for_group(principal, today, col(ClientGroup.id))
        for g in grants_for(principal, What.group)
        if g.for_group is not None
    ]
    if not conditions:
        return []
    groups = list(
        session.execute(
            select(ClientGroup).where(or_(*conditions)).order_by(col(ClientGroup.id).desc())
        ).scalars()
    )
    ids = [g.id for g in groups]
    counts = dict(
        session.execute(
            select(col(GroupMembership.group_id), func.count())
            .where(col(GroupMembership.group_id).in_(ids))
            .group_by(col(GroupMembership.group_id))
        ).all()
    )
    upcoming: dict[int, GroupSession] = {}
    for meeting in session.execute(
        select(GroupSession)
        .where(col(GroupSession.group_id).in_(ids), col(GroupSession.starts_at) >= now)
        .order_by(col(GroupSession.starts_at).desc())
    ).scalars():
        upcoming[meeting.group_id] = meeting
    return [GroupSummary(g, int(counts.get(g.id, 0)), upcoming.get(g.id or 0)) for g in groups]


@dataclass(frozen=True)
class Member:
    membership: GroupMembership
    client: Client
    journey: Journey

    @property
    def state(self) -> str:
        return self.journey.state


@dataclass
class GroupDetail:
    group: ClientGroup
    leaders: list[User]
    co_leaders: list[tuple[User, str]]
    sessions: list[GroupSession]
    members: list[Member]
    #: the latest mark of each (membership, session) pair, with an absence's reason
    states: dict[tuple[int, int], MarkState]
    #: For the co-leader: how many attending members are not shown (no consent to their
    #: organisation); an anonymous count, no ids.
    hidden: int = 0

    @cached_property
    def marks(self) -> dict[tuple[int, int], bool]:
        """(membership, session) -> present, of the latest marks."""
        return {key: state.present for key, state in self.states.items()}

    def attended(self, membership_id: int) -> int:
        return sum(1 for (m, _s), present in self.marks.items() if m == membership_id and present)

    def rate(self, membership_id: int, now: datetime, zone: ZoneInfo) -> Rate:
        """The member's attendance over the meetings held by ``now`` (their day has come,
        engine/attendance.py): meetings still to come count in neither figure."""
        shape = [(s.id or 0, s.starts_at, None) for s in self.sessions]
        present = [s for (m, s), p in self.marks.items() if m == membership_id and p]
        return rate(shape, present, now, zone)


def group_detail(
    session: Session, group_id: int, *, co_leader: Principal | None = None, today: date
) -> GroupDetail:
    """A group with its leaders, sessions, members and current attendance. For the partner
    ``co_leader``: only members who have started attending and whose consent to the co-leader's
    organisation holds (:func:`engine.group_access.consents_to_co_leader`), and the count of the
    other attending members."""
    group = session.get(ClientGroup, group_id)
    if group is None:
        raise NotFound(f"group {group_id} not found")
    leaders = session.execute(
        select(User, col(GroupLeader.kind), col(Organisation.name))
        .join(GroupLeader, col(GroupLeader.user_id) == col(User.id))
        .outerjoin(Organisation, col(Organisation.id) == col(User.organisation_id))
        .where(col(GroupLeader.group_id) == group_id)
        .order_by(col(GroupLeader.id))
    ).all()
    sessions = list(
        session.execute(
            select(GroupSession)
            .where(col(GroupSession.group_id) == group_id)
            .order_by(col(GroupSession.number))
        ).scalars()
    )
    query = (
        select(GroupMembership, Client, Journey)
        .join(Client, col(Client.id) == col(GroupMembership.client_id))
        .join(Journey, col(Journey.id) == col(GroupMembership.journey_id))
        .where(col(GroupMembership.group_id) == group_id)
        .order_by(col(Client.last_name), col(Client.first_name), col(GroupMembership.id))
    )
    hidden = 0
    if co_leader is not None:
        query = query.where(col(GroupMembership.attended_from).is_not(None))
        attending = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        query = query.where(consents_to_co_leader(co_leader, today))
    members = [Member(m, c, j) for m, c, j in session.execute(query).all()]
    if co_leader is not None:
        hidden = int(attending) - len(members)
    states = current_mark_states(session, [m.membership.id for m in members if m.membership.id])
    return GroupDetail(
        group=group,
        leaders=[u for u, kind, _n in leaders if kind == GroupLeaderKind.leader],
        co_leaders=[(u, n or "") for u, kind, n in leaders if kind == GroupLeaderKind.co_leader],
        sessions=sessions,
        members=members,
        states=states,
        hidden=hidden,
    )


@dataclass(frozen=True)
class ClientGroups:
    """A client's memberships (group, state) and the groups the coach may invite them to."""

    memberships: list[tuple[GroupMembership, ClientGroup, str]]
    invitable: list[ClientGroup]
    #: Invitable group id -> the name of its partner co-leader's organisation (consent asked).
    co_leader_organisations: dict[int, str] = field(default_factory=dict)

    @property
    def co_leader_rows(self) -> list[tuple[str, str]]:
        """(group name, co-leader's organisation) of the invitable groups with a co-leader."""
        return [
            (g.name, self.co_leader_organisations[g.id])
            for g in self.invitable
            if g.id in self.co_leader_organisations
        ]


def client_groups(
    session: Session, principal: Principal, client_id: int, today: date
) -> ClientGroups:
    rows = session.execute(
        select(GroupMembership, ClientGroup, col(Journey.state))
        .join(ClientGroup, col(ClientGroup.id) == col(GroupMembership.group_id))
        .join(Journey, col(Journey.id) == col(GroupMembership.journey_id))
        .where(col(GroupMembership.client_id) == client_id)
        .order_by(col(GroupMembership.id).desc())
    ).all()
    joined = {g.id for _m, g, _s in rows}
    led = [
        g
        for g in session.execute(
            select(ClientGroup)
            .join(GroupLeader, col(GroupLeader.group_id) == col(ClientGroup.id))
            .where(
                col(GroupLeader.user_id) == principal.user_id,
                col(GroupLeader.kind) == GroupLeaderKind.leader.value,
            )
            .order_by(col(ClientGroup.name))
        ).scalars()
        if g.id not in joined
    ]
    organisations = {
        g.id: found[1]
        for g in led
        if g.id is not None and (found := co_leader_organisation(session, g.id)) is not None
    }
    return ClientGroups([(m, g, str(s)) for m, g, s in rows], led, organisations)


# --- the client's timeline ----------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceItem:
    """A member's attendance at one session, as the client's timeline shows it."""

    group_name: str
    number: int
    meetings: int
    present: bool


def timeline_extras(
    session: Session, client_id: int, limit: int
) -> tuple[dict[int, str], list[tuple[datetime, str | None, AttendanceItem]]]:
    """For the client's timeline (engine.contacts.timeline): the group name of each membership
    journey (journey id -> name), and the current attendance marks (at the session's time, by
    who marked them), newest first."""
    names = dict(
        session.execute(
            select(col(GroupMembership.journey_id), col(ClientGroup.name))
            .join(ClientGroup, col(ClientGroup.id) == col(GroupMembership.group_id))
            .where(col(GroupMembership.client_id) == client_id)
        ).all()
    )
    latest = _latest_marks(
        select(col(GroupMembership.id)).where(col(GroupMembership.client_id) == client_id)
    )
    rows = session.execute(
        select(AttendanceMark, GroupSession, ClientGroup, col(User.display_name))
        .join(GroupSession, col(GroupSession.id) == col(AttendanceMark.session_id))
        .join(ClientGroup, col(ClientGroup.id) == col(GroupSession.group_id))
        .outerjoin(User, col(User.id) == col(AttendanceMark.marked_by))
        .where(col(AttendanceMark.id).in_(latest))
        .order_by(col(GroupSession.starts_at).desc())
        .limit(limit)
    ).all()
    items = [
        (
            as_utc(s.starts_at),
            who,
            AttendanceItem(g.name, s.number, g.meeting_count, mark.present),
        )
        for mark, s, g, who in rows
    ]
    return {int(j): str(n) for j, n in names.items()}, items


def local_start(meeting: GroupSession, zone: ZoneInfo) -> datetime:
    """The session's time as naive local wall-clock time (for a datetime-local input)."""
    return as_utc(meeting.starts_at).astimezone(zone).replace(tzinfo=None)
