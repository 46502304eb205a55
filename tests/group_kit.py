"""Building blocks for group tests (tests/, features/groups, the security matrix, the browser
tests): a group with its schedule, members, a client whose journey is where group work can start
-- all through the engine code paths the app uses (engine/groups.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from engine import holidays
from engine.access import Principal
from engine.groups import GroupInput, add_member, advance_membership, create_group
from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, ready_for_goal_setting

#: The client journey's moves from outreach to goal setting (where group work can start).
TO_GOAL_SETTING = ("engage", "start_assessment", "set_goals")


def coach(user_id: int, organisation_id: int | None) -> Principal:
    return Principal(user_id, Role.coach, organisation_id)


def make_group(
    runtime: Runtime,
    leader: Principal,
    *,
    name: str = "Arjen taidot -ryhmä",
    first_meeting: datetime | None = None,
    meetings: int = 8,
    co_leader_id: int | None = None,
    leader_ids: Sequence[int] = (),
) -> int:
    """A group led by ``leader`` in Kittilä (261); by default its first meeting was a week ago
    at 13:00 local time, so sessions 1 and 2 can be marked today."""
    if first_meeting is None:
        last_week = runtime.clock.today() - timedelta(days=7)
        first_meeting = datetime(last_week.year, last_week.month, last_week.day, 13, 0)
    with runtime.db.write() as session:
        group = create_group(
            session,
            leader,
            GroupInput(
                name=name,
                municipality_code="261",
                first_meeting=first_meeting,
                meetings=meetings,
                place="Nuorisotila",
                leader_ids=tuple(leader_ids),
                co_leader_id=co_leader_id,
            ),
            municipalities=runtime.municipalities,
            zone=runtime.clock.zone,
            now=runtime.clock.now(),
            # "a week ago" follows the wall clock: no holiday may shift session 2 to next week
            holidays=holidays.NONE,
        )
        assert group.id is not None
        return group.id


def client_at(
    runtime: Runtime,
    triggers: Sequence[str] = TO_GOAL_SETTING,
    **kwargs: object,
) -> tuple[int, int]:
    """A client (make_client's keywords) whose journey was moved on by ``triggers``."""
    client_id, journey_id = make_client(runtime, **kwargs)  # type: ignore[arg-type]
    with runtime.db.write() as session:
        for trigger in triggers:
            if trigger == "set_goals":
                ready_for_goal_setting(session, journey_id, now=runtime.clock.now())
            runtime.journeys.advance(session, journey_id, trigger, actor_id=None)
    return client_id, journey_id


def invite(
    runtime: Runtime,
    leader: Principal,
    group_id: int,
    client_id: int,
    consent: str | None = None,
) -> int:
    """The client invited to the group (``consent``: the evidence of their consent to the
    co-leader's organisation seeing their name and attendance); returns the membership id."""
    with runtime.db.write() as session:
        membership = add_member(
            session,
            runtime.journeys,
            leader,
            group_id,
            client_id,
            now=runtime.clock.now(),
            consent_evidence=consent,
        )
        assert membership.id is not None
        return membership.id


def move(
    runtime: Runtime,
    leader: Principal,
    group_id: int,
    membership_id: int,
    trigger: str,
    reason: str | None = None,
) -> None:
    with runtime.db.write() as session:
        advance_membership(
            session,
            runtime.journeys,
            leader,
            group_id,
            membership_id,
            trigger,
            reason=reason,
            now=runtime.clock.now(),
        )
