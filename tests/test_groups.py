"""Groups in the engine (engine/groups.py): the schedule of weekly sessions, the membership
pathway (pathways/group_membership.yaml) and how it moves the client journey -- including the
blocked case, where nothing is written -- attendance marks, the timeline, and the group grants."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import col

from engine import consents
from engine.access import Basis, Principal, What, authorise_group, basis_for
from engine.contacts import timeline
from engine.errors import Forbidden, InputRequired, InvalidTransition, NotFound
from engine.group_reads import (
    group_detail,
    groups_of,
)
from engine.groups import (
    ClientJourneyBlocked,
    add_member,
    advance_membership,
    create_group,
    current_mark_states,
    mark_attendance,
    session_times,
)
from engine.models import (
    AttendanceMark,
    ClientGroup,
    Consent,
    GroupMembership,
    GroupSession,
    Journey,
    JourneyEvent,
    OrganisationKind,
    Role,
)
from engine.runtime import Runtime
from engine.testing import make_organisation, make_user
from tests.group_kit import client_at, coach, invite, make_group, move

HELSINKI = ZoneInfo("Europe/Helsinki")


def leader(runtime: Runtime) -> Principal:
    user = make_user(runtime, Role.coach)
    assert user.id is not None
    return coach(user.id, user.organisation_id)


def state_of(runtime: Runtime, journey_id: int) -> str:
    with runtime.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        return journey.state


def membership_state(runtime: Runtime, membership_id: int) -> str:
    with runtime.db.read() as session:
        membership = session.get(GroupMembership, membership_id)
        assert membership is not None
        return state_of(runtime, membership.journey_id)


def count(runtime: Runtime, table: type) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(table)).scalar_one())


def sessions_of(runtime: Runtime, group_id: int) -> list[GroupSession]:
    with runtime.db.read() as session:
        return list(
            session.execute(
                select(GroupSession)
                .where(col(GroupSession.group_id) == group_id)
                .order_by(col(GroupSession.number))
            ).scalars()
        )


# --- the schedule ---------------------------------------------------------------------------------


def test_eight_weekly_sessions_keep_their_local_time_across_daylight_saving() -> None:
    # summer time ends on Sunday 25.10.2026: 13:00 in Helsinki is 10:00 UTC before, 11:00 after
    times = session_times(datetime(2026, 10, 15, 13, 0), 8, HELSINKI)
    assert len(times) == 8
    local = [t.astimezone(HELSINKI) for t in times]
    assert [t.date() for t in local] == [date(2026, 10, 15) + timedelta(weeks=n) for n in range(8)]
    assert {(t.hour, t.minute) for t in local} == {(13, 0)}
    assert times[0] == datetime(2026, 10, 15, 10, 0, tzinfo=UTC)
    assert times[2] == datetime(2026, 10, 29, 11, 0, tzinfo=UTC)


def test_a_new_group_has_its_leader_and_eight_numbered_sessions(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me, first_meeting=datetime(2026, 3, 5, 9, 30))
    found = sessions_of(runtime, group_id)
    assert [s.number for s in found] == list(range(1, 9))
    assert [s.starts_at.astimezone(HELSINKI).date() for s in found] == [
        date(2026, 3, 5) + timedelta(weeks=n) for n in range(8)
    ]
    with runtime.db.read() as session:
        detail = group_detail(session, group_id, today=runtime.clock.today())
    assert [u.id for u in detail.leaders] == [me.user_id]
    assert detail.group.meeting_count == 8
    assert detail.group.place == "Nuorisotila"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "  "}, "name"),
        ({"municipality_code": "999"}, "municipality_code"),
        ({"meetings": 0}, "meetings"),
        ({"meetings": 53}, "meetings"),
        ({"first_meeting": None}, "first_meeting"),
        ({"first_meeting": datetime(1, 1, 1, 9, 0)}, "first_meeting"),
        ({"first_meeting": datetime(9999, 12, 20, 9, 0)}, "first_meeting"),  # would overflow
        ({"co_leader_id": "coach"}, "co_leader_id"),
        ({"leader_ids": "partner"}, "leader_ids"),
        ({"leader_ids": "other_organisation"}, "leader_ids"),
    ],
)
def test_bad_group_input_names_the_field_and_writes_nothing(
    runtime: Runtime, change: dict[str, object], field: str
) -> None:
    me = leader(runtime)
    people = {
        "coach": make_user(runtime, Role.coach).id,
        "partner": make_user(runtime, Role.partner).id,
        "other_organisation": make_user(
            runtime, Role.coach, organisation_id=make_organisation(runtime, "project", "Muu")
        ).id,
    }
    values: dict[str, object] = {
        "name": "Ryhmä",
        "municipality_code": "261",
        "first_meeting": datetime(2026, 3, 5, 9, 30),
        "meetings": 8,
    }
    for key, value in change.items():
        if key == "leader_ids":
            values[key] = [people[str(value)]]
        elif key == "co_leader_id":
            values[key] = people[str(value)]
        else:
            values[key] = value
    with pytest.raises(InputRequired) as raised, runtime.db.write() as session:
        create_group(
            session,
            me,
            values,  # as a form or the API gives them: the engine applies every rule
            municipalities=runtime.municipalities,
            zone=HELSINKI,
            now=runtime.clock.now(),
        )
    assert raised.value.field == field
    assert count(runtime, ClientGroup) == 0
    assert count(runtime, GroupSession) == 0


# --- the membership pathway and the client journey -----------------------------------------------


def test_attending_and_completing_moves_the_client_journey(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, journey_id = client_at(runtime)
    membership_id = invite(runtime, me, group_id, client_id)
    assert membership_state(runtime, membership_id) == "invited"
    assert state_of(runtime, journey_id) == "goal_setting"

    move(runtime, me, group_id, membership_id, "start_attending")
    assert membership_state(runtime, membership_id) == "attending"
    assert state_of(runtime, journey_id) == "group_work"

    move(runtime, me, group_id, membership_id, "complete")
    assert membership_state(runtime, membership_id) == "completed"
    assert state_of(runtime, journey_id) == "individual_work"
    with runtime.db.read() as session:
        membership = session.get(GroupMembership, membership_id)
        assert membership is not None
        assert membership.attended_from is not None
        events = runtime.journeys.events(session, membership.journey_id)
        journey = session.get(Journey, membership.journey_id)
    assert journey is not None
    assert journey.pathway_key == "group_membership"
    assert [(e.trigger, e.to_state, e.actor_id) for e in events] == [
        ("start", "invited", me.user_id),
        ("start_attending", "attending", me.user_id),
        ("complete", "completed", me.user_id),
    ]


def test_individual_work_becomes_group_and_individual_work_and_back(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, journey_id = client_at(
        runtime, ("engage", "start_assessment", "set_goals", "start_individual_work")
    )
    membership_id = invite(runtime, me, group_id, client_id)
    move(runtime, me, group_id, membership_id, "start_attending")
    assert state_of(runtime, journey_id) == "group_and_individual_work"
    move(runtime, me, group_id, membership_id, "drop_out", reason="Muutti pois")
    assert membership_state(runtime, membership_id) == "dropped_out"
    assert state_of(runtime, journey_id) == "individual_work"
    with runtime.db.read() as session:
        last = runtime.journeys.events(session, journey_id)[-1]
    assert (last.trigger, last.reason) == ("finish_group_work", "Muutti pois")


def test_a_client_still_in_assessment_cannot_start_attending_and_nothing_is_written(
    runtime: Runtime,
) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, journey_id = client_at(runtime, ("engage", "start_assessment"))
    membership_id = invite(runtime, me, group_id, client_id)
    events_before = count(runtime, JourneyEvent)
    with pytest.raises(ClientJourneyBlocked) as raised:
        move(runtime, me, group_id, membership_id, "start_attending")
    assert raised.value.state == "assessment"
    assert raised.value.possible_from == ["goal_setting", "individual_work"]
    assert raised.value.as_dict()["error"] == "client_journey_blocked"
    assert membership_state(runtime, membership_id) == "invited"
    assert state_of(runtime, journey_id) == "assessment"
    assert count(runtime, JourneyEvent) == events_before
    with runtime.db.read() as session:
        membership = session.get(GroupMembership, membership_id)
        assert membership is not None
        assert membership.attended_from is None


def test_a_second_group_leaves_the_journey_in_group_work_until_the_last_one_ends(
    runtime: Runtime,
) -> None:
    me = leader(runtime)
    first, second = make_group(runtime, me, name="Eka"), make_group(runtime, me, name="Toka")
    client_id, journey_id = client_at(runtime)
    a, b = invite(runtime, me, first, client_id), invite(runtime, me, second, client_id)
    move(runtime, me, first, a, "start_attending")
    events = count(runtime, JourneyEvent)
    move(runtime, me, second, b, "start_attending")  # already in group work: the journey stays
    assert state_of(runtime, journey_id) == "group_work"
    assert count(runtime, JourneyEvent) == events + 1  # the membership's event only
    move(runtime, me, first, a, "complete")  # still attends the second group
    assert state_of(runtime, journey_id) == "group_work"
    move(runtime, me, second, b, "complete")
    assert state_of(runtime, journey_id) == "individual_work"


def test_ending_a_membership_when_the_journey_is_elsewhere_leaves_the_journey(
    runtime: Runtime,
) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, journey_id = client_at(runtime)
    membership_id = invite(runtime, me, group_id, client_id)
    move(runtime, me, group_id, membership_id, "start_attending")
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "pause", actor_id=None, reason="Sairaus")
        moved = advance_membership(
            session,
            runtime.journeys,
            me,
            group_id,
            membership_id,
            "drop_out",
            reason="Sairaus",
            now=runtime.clock.now(),
        )
    assert (moved.client_trigger, moved.stayed, moved.client_from) == (
        None,
        "not_in_group_work",
        "paused",
    )
    assert membership_state(runtime, membership_id) == "dropped_out"
    assert state_of(runtime, journey_id) == "paused"


def test_an_invalid_move_names_the_allowed_ones(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, _journey_id = client_at(runtime)
    membership_id = invite(runtime, me, group_id, client_id)
    with pytest.raises(InvalidTransition) as raised:
        move(runtime, me, group_id, membership_id, "complete")
    assert (raised.value.state, raised.value.allowed) == (
        "invited",
        ["start_attending", "drop_out"],
    )
    with pytest.raises(InputRequired) as missing:
        move(runtime, me, group_id, membership_id, "drop_out")
    assert missing.value.field == "reason"
    assert membership_state(runtime, membership_id) == "invited"


def test_a_client_is_invited_to_a_group_once(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, _journey_id = client_at(runtime)
    invite(runtime, me, group_id, client_id)
    with pytest.raises(InputRequired):
        invite(runtime, me, group_id, client_id)
    with pytest.raises(NotFound):
        invite(runtime, me, group_id + 1000, client_id)


# --- attendance -----------------------------------------------------------------------------------


def mark(
    runtime: Runtime, who: Principal, group_id: int, session_id: int, member: int, present: bool
) -> AttendanceMark | None:
    with runtime.db.write() as session:
        return mark_attendance(
            session,
            who,
            group_id,
            session_id,
            member,
            present=present,
            today=runtime.clock.today(),
            zone=runtime.clock.zone,
            now=runtime.clock.now(),
        )


def test_attendance_toggles_append_rows_and_count(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    first, second, *later = sessions_of(runtime, group_id)
    assert first.id
    assert second.id
    assert later[0].id
    client_id, _journey_id = client_at(runtime)
    member = invite(runtime, me, group_id, client_id)
    move(runtime, me, group_id, member, "start_attending")

    assert mark(runtime, me, group_id, first.id, member, True) is not None
    assert mark(runtime, me, group_id, first.id, member, True) is None  # already present
    assert mark(runtime, me, group_id, second.id, member, True) is not None
    assert mark(runtime, me, group_id, second.id, member, False) is not None  # a change of mind
    with runtime.db.read() as session:
        assert {k: v.present for k, v in current_mark_states(session, [member]).items()} == {
            (member, first.id): True,
            (member, second.id): False,
        }
        detail = group_detail(session, group_id, today=runtime.clock.today())
        rows = (
            session.execute(select(AttendanceMark).order_by(col(AttendanceMark.id))).scalars().all()
        )
    assert detail.attended(member) == 1
    assert [(r.session_id, r.present, r.marked_by) for r in rows] == [
        (first.id, True, me.user_id),
        (second.id, True, me.user_id),
        (second.id, False, me.user_id),
    ]
    with pytest.raises(InputRequired) as future:
        mark(runtime, me, group_id, later[0].id, member, True)
    assert future.value.field == "session_id"


def test_attendance_is_for_attending_members_and_append_only(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    first = sessions_of(runtime, group_id)[0]
    assert first.id is not None
    client_id, _journey_id = client_at(runtime)
    member = invite(runtime, me, group_id, client_id)
    with pytest.raises(InvalidTransition) as raised:
        mark(runtime, me, group_id, first.id, member, True)
    assert raised.value.state == "invited"
    move(runtime, me, group_id, member, "start_attending")
    mark(runtime, me, group_id, first.id, member, True)
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(text("UPDATE attendance_mark SET present = false"))
    with (
        pytest.raises(DatabaseError, match=r"append-only|permission denied"),
        runtime.db.write() as session,
    ):
        session.execute(text("DELETE FROM attendance_mark"))


def test_the_timeline_shows_group_work_and_attendance(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me, name="Arjen taidot")
    first = sessions_of(runtime, group_id)[0]
    assert first.id is not None
    client_id, _journey_id = client_at(runtime)
    member = invite(runtime, me, group_id, client_id)
    move(runtime, me, group_id, member, "start_attending")
    mark(runtime, me, group_id, first.id, member, True)
    with runtime.db.read() as session:
        items = timeline(session, client_id)
    memberships = [i for i in items if i.pathway_key == "group_membership"]
    assert [i.event.trigger for i in memberships if i.event] == ["start_attending", "start"]
    assert {i.group for i in memberships} == {"Arjen taidot"}
    attendance = [i for i in items if i.kind == "attendance"]
    assert len(attendance) == 1
    assert (attendance[0].attendance.group_name, attendance[0].attendance.number) == (
        "Arjen taidot",
        1,
    )
    assert attendance[0].attendance.present is True
    assert next(
        i.event.trigger for i in items if i.pathway_key == "client_journey" and i.event
    ) == ("start_group_work")


# --- who sees a group ---------------------------------------------------------------------------


def test_group_grants(runtime: Runtime) -> None:
    me = leader(runtime)
    organisation = me.organisation_id
    partner_user = make_user(runtime, Role.partner)
    other_partner = make_user(
        runtime,
        Role.partner,
        organisation_id=make_organisation(runtime, OrganisationKind.partner, "Muu"),
    )
    coordinator = make_user(runtime, Role.coordinator, organisation_id=organisation)
    outsider = make_user(runtime, Role.coach, organisation_id=organisation)
    assert partner_user.id
    assert other_partner.id
    assert coordinator.id
    assert outsider.id
    group_id = make_group(runtime, me, co_leader_id=partner_user.id)
    invited_id, _ = client_at(runtime)
    attending_id, _ = client_at(runtime)
    no_consent_id, _ = client_at(runtime)
    invite(runtime, me, group_id, invited_id, consent="verbal")
    move(
        runtime,
        me,
        group_id,
        invite(runtime, me, group_id, attending_id, consent="written"),
        "start_attending",
    )
    move(runtime, me, group_id, invite(runtime, me, group_id, no_consent_id), "start_attending")
    co = Principal(partner_user.id, Role.partner, partner_user.organisation_id)
    coord = Principal(coordinator.id, Role.coordinator, organisation)
    today = runtime.clock.today()
    with runtime.db.read() as session:
        assert authorise_group(session, me, group_id, What.group_work, today) == Basis.group_leader
        assert authorise_group(session, co, group_id, What.group, today) == Basis.group_co_leader
        assert (
            authorise_group(session, coord, group_id, What.group, today) == Basis.group_coordinator
        )
        for who, what in [
            (co, What.group_work),
            (coord, What.group_work),
            (coach(outsider.id, organisation), What.group),
            (Principal(other_partner.id, Role.partner, other_partner.organisation_id), What.group),
        ]:
            with pytest.raises(Forbidden):
                authorise_group(session, who, group_id, what, today)
        with pytest.raises(NotFound):
            authorise_group(session, me, group_id + 1000, What.group, today)
        # the co-leader sees only members who have started attending and consent to the
        # co-leader's organisation, and never the client page
        assert basis_for(session, co, attending_id, What.group, today) == Basis.group_co_leader
        assert basis_for(session, co, invited_id, What.group, today) is None
        assert basis_for(session, co, no_consent_id, What.group, today) is None
        assert basis_for(session, co, attending_id, What.client_page, today) is None
        assert basis_for(session, me, invited_id, What.group, today) == Basis.group_leader
        assert basis_for(session, me, no_consent_id, What.group, today) == Basis.group_leader
        detail = group_detail(session, group_id, co_leader=co, today=today)
    assert [m.client.id for m in detail.members] == [attending_id]
    assert detail.hidden == 1


def test_a_coordinator_sees_only_the_groups_of_their_own_organisation(runtime: Runtime) -> None:
    """Issue 11: the coordinator grant compared a subquery's row with itself and so let the
    coordinator of any organisation with a group open every group. Two organisations, a group
    each: each coordinator sees their own group only, on the page check and in the list."""
    mine = leader(runtime)
    other = make_user(
        runtime, Role.coach, organisation_id=make_organisation(runtime, name="Toinen")
    )
    assert other.id is not None
    theirs = coach(other.id, other.organisation_id)
    assert mine.organisation_id != theirs.organisation_id
    my_group = make_group(runtime, mine)
    their_group = make_group(runtime, theirs)
    member_id, _ = client_at(runtime)
    move(
        runtime,
        theirs,
        their_group,
        invite(runtime, theirs, their_group, member_id),
        "start_attending",
    )
    coordinators = {}
    for lead in (mine, theirs):
        user = make_user(runtime, Role.coordinator, organisation_id=lead.organisation_id)
        assert user.id is not None
        coordinators[lead.organisation_id] = Principal(
            user.id, Role.coordinator, lead.organisation_id
        )
    my_coord = coordinators[mine.organisation_id]
    their_coord = coordinators[theirs.organisation_id]
    today = runtime.clock.today()
    now = runtime.clock.now()
    with runtime.db.read() as session:
        assert (
            authorise_group(session, my_coord, my_group, What.group, today)
            == Basis.group_coordinator
        )
        assert (
            authorise_group(session, their_coord, their_group, What.group, today)
            == Basis.group_coordinator
        )
        with pytest.raises(Forbidden):
            authorise_group(session, my_coord, their_group, What.group, today)
        with pytest.raises(Forbidden):
            authorise_group(session, their_coord, my_group, What.group, today)
        assert [s.group.id for s in groups_of(session, my_coord, today, now)] == [my_group]
        assert [s.group.id for s in groups_of(session, their_coord, today, now)] == [their_group]
        # and the member of the other organisation's group is nobody the first coordinator sees
        assert basis_for(session, my_coord, member_id, What.group, today) is None
        assert (
            basis_for(session, their_coord, member_id, What.group, today) == Basis.group_coordinator
        )


# --- writers about one client at the same time (PostgreSQL READ COMMITTED) ---------------------


def _at_once(
    runtime: Runtime, first: Callable[[Any], object], second: Callable[[Any], object]
) -> list[str]:
    """``first(session)`` in a write transaction held open after it wrote until
    ``second(session)``, started meanwhile in another, waits for its lock (or has finished).
    Returns what each did: "ok" or its InputRequired's field."""
    import threading

    from tests.lock_kit import hold_until_others_wait

    wrote = threading.Event()
    outcomes: dict[int, str] = {}

    def run(index: int, work: Callable[[Any], object]) -> None:
        if index == 1:
            wrote.wait(10)
        try:
            with runtime.db.write() as session:
                work(session)
                if index == 0:
                    wrote.set()
                    hold_until_others_wait(runtime, threads)
            outcomes[index] = "ok"
        except InputRequired as exc:
            outcomes[index] = exc.field
        finally:
            wrote.set()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return [outcomes.get(0, "?"), outcomes.get(1, "?")]


def test_two_groups_ending_at_once_still_end_the_group_work(runtime: Runtime) -> None:
    me = leader(runtime)
    client_id, journey_id = client_at(runtime)
    groups = [make_group(runtime, me, name=n) for n in ("A", "B")]
    members = [invite(runtime, me, g, client_id) for g in groups]
    for g, m in zip(groups, members, strict=True):
        move(runtime, me, g, m, "start_attending")
    now = runtime.clock.now()
    ends = [
        lambda s, g=g, m=m: advance_membership(s, runtime.journeys, me, g, m, "complete", now=now)
        for g, m in zip(groups, members, strict=True)
    ]
    assert _at_once(runtime, *ends) == ["ok", "ok"]
    # the second one waited for the first, saw no other group attended, and ended group work
    assert state_of(runtime, journey_id) == "individual_work"


def test_two_invites_at_once_make_one_membership(runtime: Runtime) -> None:
    me = leader(runtime)
    client_id, _ = client_at(runtime)
    group_id = make_group(runtime, me)
    now = runtime.clock.now()

    def invite_once(session: Any) -> object:
        return add_member(session, runtime.journeys, me, group_id, client_id, now=now)

    assert _at_once(runtime, invite_once, invite_once) == ["ok", "group_id"]
    assert count(runtime, GroupMembership) == 1


# --- the partner co-leader and the members' consent ----------------------------------------------


def co_led(runtime: Runtime) -> tuple[Principal, Principal, int]:
    """A leader, the group's partner co-leader, and the group."""
    me = leader(runtime)
    partner_user = make_user(runtime, Role.partner)
    assert partner_user.id
    group_id = make_group(runtime, me, co_leader_id=partner_user.id)
    return me, Principal(partner_user.id, Role.partner, partner_user.organisation_id), group_id


def test_inviting_with_consent_records_it_for_the_co_leaders_organisation(
    runtime: Runtime,
) -> None:
    me, co, group_id = co_led(runtime)
    with_consent, _ = client_at(runtime)
    without, _ = client_at(runtime)
    invite(runtime, me, group_id, with_consent, consent="electronic")
    invite(runtime, me, group_id, without)
    with runtime.db.read() as session:
        consents = session.execute(select(Consent)).scalars().all()
    assert [(c.client_id, c.organisation_id, c.scope, c.evidence) for c in consents] == [
        (with_consent, co.organisation_id, "name,attendance", "electronic")
    ]
    assert consents[0].recorded_by == me.user_id
    assert consents[0].purpose
    # a second group of the same co-leader's organisation reuses the consent that holds
    other_group = make_group(runtime, me, co_leader_id=co.user_id)
    invite(runtime, me, other_group, with_consent, consent="verbal")
    assert count(runtime, Consent) == 1


def test_a_bad_evidence_value_refuses_the_invitation_and_writes_nothing(
    runtime: Runtime,
) -> None:
    me, _co, group_id = co_led(runtime)
    client_id, _ = client_at(runtime)
    with pytest.raises(InputRequired) as refused:
        invite(runtime, me, group_id, client_id, consent="telepathy")
    assert refused.value.field == "evidence"
    assert count(runtime, Consent) == 0
    assert count(runtime, GroupMembership) == 0


def test_consent_without_a_co_leader_records_nothing(runtime: Runtime) -> None:
    me = leader(runtime)
    group_id = make_group(runtime, me)
    client_id, _ = client_at(runtime)
    invite(runtime, me, group_id, client_id, consent="verbal")
    assert count(runtime, Consent) == 0


def test_revoking_the_consent_hides_the_member_from_the_co_leader_at_once(
    runtime: Runtime,
) -> None:
    me, co, group_id = co_led(runtime)
    client_id, _ = client_at(runtime)
    move(
        runtime, me, group_id, invite(runtime, me, group_id, client_id, "verbal"), "start_attending"
    )
    today = runtime.clock.today()
    with runtime.db.read() as session:
        assert basis_for(session, co, client_id, What.group, today) == Basis.group_co_leader
        consent = session.execute(select(Consent)).scalar_one()
    assert consent.id is not None
    with runtime.db.write() as session:
        consents.revoke_consent(session, me, client_id, consent.id, runtime.clock.now())
    with runtime.db.read() as session:
        assert basis_for(session, co, client_id, What.group, today) is None
        detail = group_detail(session, group_id, co_leader=co, today=today)
        # the group itself (its schedule) stays visible to the co-leader
        assert authorise_group(session, co, group_id, What.group, today) == Basis.group_co_leader
    assert detail.members == []
    assert detail.hidden == 1


def test_a_referral_consent_without_attendance_does_not_cover_the_group(
    runtime: Runtime,
) -> None:
    me, co, group_id = co_led(runtime)
    client_id, _ = client_at(runtime)
    move(runtime, me, group_id, invite(runtime, me, group_id, client_id), "start_attending")
    assert co.organisation_id is not None
    with runtime.db.write() as session:
        consents.record_consent(
            session,
            me,
            client_id,
            organisation_id=co.organisation_id,
            scope=["name", "contact"],
            purpose="Lähete",
            evidence="written",
            given_at=runtime.clock.now(),
            now=runtime.clock.now(),
        )
    with runtime.db.read() as session:
        assert basis_for(session, co, client_id, What.group, runtime.clock.today()) is None
