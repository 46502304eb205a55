"""Events (engine/events.py) and the attendance rules they share with groups
(engine/attendance.py): creating one (leader or outside expert, place or remote, a weekly series
past the holidays), participants from the coach's own clients, attendance with reasons, rates of
held sessions only, the timeline, access."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.access import Basis, Principal, What, authorise_event, grants_for
from engine.attendance import AttendanceInput, Rate, held, rate
from engine.clock import FrozenClock
from engine.contacts import timeline
from engine.errors import Forbidden, InputRequired, InvalidInput
from engine.events import (
    add_participant,
    cancel_session,
    create_event,
    event_detail,
    events_of,
    mark_attendance,
)
from engine.inputs import Checks, validated
from engine.models import EventAttendance, EventSession, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, make_user
from tests.event_kit import make_event

HELSINKI = ZoneInfo("Europe/Helsinki")


def coach_of(runtime: Runtime, organisation_id: int | None = None) -> Principal:
    user = make_user(runtime, Role.coach, organisation_id=organisation_id)
    assert user.id is not None
    return Principal(user.id, Role.coach, user.organisation_id)


def own_client(runtime: Runtime, coach: Principal, name: str = "Asiakas") -> int:
    client_id, _journey = make_client(runtime, care_team=(coach.user_id,), last_name=name)
    return client_id


def checks(runtime: Runtime) -> Checks:
    return Checks.of(runtime.clock, runtime.municipalities)


def sessions_of(runtime: Runtime, event_id: int) -> list[EventSession]:
    with runtime.db.read() as session:
        return list(
            session.execute(
                select(EventSession)
                .where(col(EventSession.event_id) == event_id)
                .order_by(col(EventSession.number))
            ).scalars()
        )


# --- the shared attendance rules ------------------------------------------------------------


def test_a_reason_and_notice_go_with_an_absence_only() -> None:
    today = Checks(today=date(2026, 12, 1))
    assert validated(
        AttendanceInput, {"present": False, "absence_reason": "ill", "notified": True}, today
    ).notified
    with pytest.raises(InvalidInput) as present:
        validated(AttendanceInput, {"present": True, "absence_reason": "ill"}, today)
    assert set(present.value.errors) == {"absence_reason"}
    with pytest.raises(InvalidInput) as no_notice:
        validated(
            AttendanceInput,
            {"present": False, "absence_reason": "no_notice", "notified": True},
            today,
        )
    assert set(no_notice.value.errors) == {"notified"}


def test_a_rate_counts_only_sessions_held() -> None:
    now = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
    week = timedelta(days=7)
    sessions = [
        (1, now - 3 * week, None),  # held, present
        (2, now - 2 * week, now - 3 * week),  # cancelled (marked present before): not held
        (3, now - week, None),  # held, absent
        (4, now + week, None),  # future
    ]
    assert rate(sessions, [1, 2], now) == Rate(1, 2)
    assert Rate(1, 2).percent == 50
    assert Rate(0, 0).share is None
    assert held(now, None, now)
    assert not held(now + week, None, now)


# --- creating an event ------------------------------------------------------------------------


def test_a_weekly_course_skips_the_holidays(runtime: Runtime) -> None:
    coach = coach_of(runtime)
    with runtime.db.write() as session:
        event = create_event(
            session,
            coach,
            {
                "kind": "course_session",
                "title": "Digitaidot",
                "municipality_code": "261",
                "leader_id": coach.user_id,
                "place": "Kirjasto",
                # Thursdays from 17 Dec 2026: Christmas eve is skipped
                "first_at": "2026-12-17T09:00",
                "sessions": 3,
            },
            checks=checks(runtime),
            holidays=runtime.holidays,
        )
        assert event.id is not None
        event_id = event.id
    local = [as_local(s.starts_at) for s in sessions_of(runtime, event_id)]
    assert local == [datetime(2026, 12, 17, 9), datetime(2026, 12, 31, 9), datetime(2027, 1, 7, 9)]


def as_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(HELSINKI).replace(tzinfo=None)


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"expert_name": ""}, {"expert_name"}),  # neither leader nor expert
        ({"leader_id": 1}, {"expert_name"}),  # both
        ({"expert_organisation": ""}, {"expert_organisation"}),
        ({"place": ""}, {"place"}),
        ({"kind": "remote_session"}, {"place"}),  # a remote session is remote
        ({"municipality_code": "999"}, {"municipality_code"}),
        ({"title": "", "sessions": 60}, {"title", "sessions"}),
        ({"kind": "party"}, {"kind"}),
    ],
)
def test_event_input_rules(runtime: Runtime, changes: dict[str, object], fields: set[str]) -> None:
    coach = coach_of(runtime)
    given: dict[str, object] = {
        "kind": "expert_session",
        "title": "Velkaneuvonta",
        "municipality_code": "261",
        "expert_name": "Ville Velkaneuvoja",
        "expert_organisation": "Talous- ja velkaneuvonta",
        "place": "Kunnantalo",
        "first_at": "2027-02-02T13:00",
    } | changes
    with runtime.db.write() as session, pytest.raises(InvalidInput) as refused:
        create_event(session, coach, given, checks=checks(runtime))
    assert set(refused.value.errors) == fields


def test_a_remote_session_needs_no_place_and_a_leader_is_staff_of_the_organisation(
    runtime: Runtime,
) -> None:
    coach = coach_of(runtime)
    stranger = coach_of(runtime, make_organisation(runtime, name="Toinen hanke"))
    base = {
        "kind": "remote_session",
        "title": "Etäryhmä",
        "municipality_code": "261",
        "remote": True,
        "first_at": "2027-02-02T13:00",
    }
    with runtime.db.write() as session:
        assert create_event(
            session, coach, base | {"leader_id": coach.user_id}, checks=checks(runtime)
        ).remote
        with pytest.raises(InvalidInput) as refused:
            create_event(
                session, coach, base | {"leader_id": stranger.user_id}, checks=checks(runtime)
            )
    assert set(refused.value.errors) == {"leader_id"}


# --- participants, attendance, rates ----------------------------------------------------------


def test_participants_are_the_coachs_own_clients(runtime: Runtime) -> None:
    coach = coach_of(runtime)
    other = coach_of(runtime)
    mine = own_client(runtime, coach)
    theirs = own_client(runtime, other)
    event_id = make_event(runtime, coach, participants=[mine])
    with runtime.db.write() as session:
        assert add_participant(session, coach, event_id, mine, today=runtime.clock.today()) is None
        with pytest.raises(Forbidden):
            add_participant(session, coach, event_id, theirs, today=runtime.clock.today())


def test_attendance_with_reasons_and_rates_of_held_sessions(runtime: Runtime) -> None:
    coach = coach_of(runtime)
    ill, present = own_client(runtime, coach, "Aalto"), own_client(runtime, coach, "Berg")
    now = runtime.clock.now()
    first = (now - timedelta(days=7, hours=1)).astimezone(runtime.clock.zone).replace(tzinfo=None)
    # sessions: a week ago, an hour ago, next week (future) and in two weeks (to cancel)
    event_id = make_event(runtime, coach, sessions=4, first_at=first, participants=[ill, present])
    s1, s2, s3, s4 = (s.id for s in sessions_of(runtime, event_id))
    assert s1
    assert s2
    assert s3
    assert s4
    with runtime.db.write() as session:
        detail = event_detail(session, event_id, now)
        pid: dict[int | None, int] = {
            p.client.id: p.participant.id or 0 for p in detail.participants
        }
        for sid in (s1, s2):
            assert mark_attendance(
                session,
                coach,
                event_id,
                sid,
                pid[present],
                {"present": True},
                checks=checks(runtime),
            )
        mark_attendance(
            session, coach, event_id, s1, pid[ill], {"present": True}, checks=checks(runtime)
        )
        # a change of mind: absent, ill, told us beforehand
        mark = mark_attendance(
            session,
            coach,
            event_id,
            s1,
            pid[ill],
            {"present": False, "absence_reason": "ill", "notified": True},
            checks=checks(runtime),
        )
        assert mark is not None
        assert (mark.absence_reason, mark.notified) == ("ill", True)
        assert (
            mark_attendance(
                session,
                coach,
                event_id,
                s1,
                pid[ill],
                {"present": False, "absence_reason": "ill", "notified": True},
                checks=checks(runtime),
            )
            is None
        )
        with pytest.raises(InputRequired):  # the future is not marked
            mark_attendance(
                session, coach, event_id, s3, pid[ill], {"present": True}, checks=checks(runtime)
            )
        assert cancel_session(session, event_id, s4, now=now)
        with pytest.raises(InputRequired):  # a held session is not cancelled
            cancel_session(session, event_id, s1, now=now)
        detail = event_detail(session, event_id, now)
        rates = {p.client.id: p.rate for p in detail.participants}
        assert rates == {present: Rate(2, 2), ill: Rate(0, 2)}
        marks = session.execute(select(func.count()).select_from(EventAttendance)).scalar_one()
        assert marks == 4  # append-only: the change of mind is a row of its own
    with runtime.db.read() as session:
        items = timeline(session, ill)
    attendance = [i for i in items if i.kind == "event_attendance"]
    assert [
        (a.event_attendance.present, a.event_attendance.absence_reason) for a in attendance
    ] == [(False, "ill")]


def test_leaders_and_coordinators_see_an_event_others_do_not(runtime: Runtime) -> None:
    coach = coach_of(runtime)
    other = coach_of(runtime)
    coordinator = make_user(runtime, Role.coordinator)
    assert coordinator.id is not None
    boss = Principal(coordinator.id, Role.coordinator, coordinator.organisation_id)
    event_id = make_event(runtime, coach, participants=[own_client(runtime, coach)])
    today = runtime.clock.today()
    with runtime.db.read() as session:
        assert authorise_event(session, coach, event_id, What.event_work, today) == (
            Basis.event_leader
        )
        assert authorise_event(session, boss, event_id, What.event, today) == (
            Basis.event_coordinator
        )
        with pytest.raises(Forbidden):
            authorise_event(session, other, event_id, What.event, today)
        with pytest.raises(Forbidden):
            authorise_event(session, boss, event_id, What.event_work, today)
        assert [e.event.id for e in events_of(session, boss, runtime.clock.now())] == [event_id]
        assert events_of(session, other, runtime.clock.now()) == []
    assert not grants_for(Principal(1, Role.partner, None), What.event)


def test_a_frozen_clock_event(make_runtime) -> None:  # type: ignore[no-untyped-def]
    runtime = make_runtime(clock=FrozenClock(datetime(2027, 5, 5, 10, 0, tzinfo=UTC)))
    coach = coach_of(runtime)
    event_id = make_event(runtime, coach, first_at=datetime(2027, 5, 6, 9, 0), sessions=2)
    # 6 May 2027 is Ascension Day, but the kit's calendar has no holidays; the real one does
    assert [as_local(s.starts_at).date() for s in sessions_of(runtime, event_id)] == [
        date(2027, 5, 6),
        date(2027, 5, 13),
    ]
    assert runtime.holidays.is_holiday(date(2027, 5, 6))
