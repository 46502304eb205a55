"""Aftercare check-ins (issue 18, engine/aftercare.py): computed from the event log and the contact
log with the engine clock, per follow-on pathway type, cleared by contacts of kind "aftercare",
stopped when the journey leaves the follow-on pathway; the caseload's due/overdue badges count the
same as the client page's plan (on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from engine.access import Principal
from engine.aftercare import Plan, Schedule, latest_start_due_by, open_count, plan, schedule_of
from engine.caseload import CaseloadQuery, caseload, caseload_flags
from engine.caseload import _page as caseload_statements
from engine.clock import FrozenClock
from engine.contacts import record_contact
from engine.esf_report import ReportQuery, build_report
from engine.inputs import Checks
from engine.models import Client, Journey, Role
from engine.participant_forms import add_months
from engine.partner_catalogue import FOLLOW_ON_TYPES
from engine.pathway import AftercareDef, PathwayError, check_pathway, parse_pathway
from engine.projects import project_view
from engine.runtime import Runtime
from engine.settings import ROOT
from engine.testing import make_user
from tests import esf_kit
from tests.referral_kit import coach_principal, partner_service, send_referral, young_client

#: The follow-on pathway starts at the end of a month (31 March, Helsinki): the check-ins fall on
#: the months' last days (30 April, 30 June, 30 September).
START = datetime(2026, 3, 31, 9, 0, tzinfo=UTC)
HELSINKI = ZoneInfo("Europe/Helsinki")


class World:
    def __init__(self, runtime: Runtime, service_type: str = "work_trial") -> None:
        self.runtime = runtime
        coach = make_user(runtime, Role.coach)
        assert coach.id is not None
        self.coach = coach_principal(coach.id, coach.organisation_id)
        partner = partner_service(runtime, "Työkokeilupaikka Oy", service_type=service_type)
        user = make_user(runtime, Role.partner, organisation_id=partner.organisation_id)
        assert user.id is not None
        self.partner = Principal(user.id, Role.partner, partner.organisation_id)
        self.client_id, self.journey_id = young_client(
            runtime, organisation_id=self.coach.organisation_id, care_team=(self.coach.user_id,)
        )
        with runtime.db.write() as session:  # recorded on the clock's day (contacts follow it)
            client = session.get(Client, self.client_id)
            assert client is not None
            client.created_at = runtime.clock.now()
        self.referral_id = send_referral(
            runtime, self.coach, self.client_id, consent_id=None, statutory_basis="1301/2014:41§"
        )
        self.move("accept")
        self.move("start_work")  # the client journey enters on_pathway now

    def move(self, trigger: str, **kw: Any) -> None:
        with self.runtime.db.write() as session:
            self.runtime.referrals.advance(
                session, self.partner, self.referral_id, trigger, now=self.runtime.clock.now(), **kw
            )

    def check_in(self, on: datetime) -> None:
        with self.runtime.db.write() as session:
            record_contact(
                session,
                client_id=self.client_id,
                coach_id=self.coach.user_id,
                contact={"kind": "aftercare", "occurred_at": on, "duration_minutes": 30},
                checks=Checks.of(self.runtime.clock),
            )

    def plan(self, schedule: Schedule | None = None) -> Plan | None:
        with self.runtime.db.read() as session:
            return plan(session, self.client_id, schedule or self.schedule)

    @property
    def schedule(self) -> Schedule:
        assert self.runtime.aftercare is not None
        return self.runtime.aftercare

    def badges(self, today: date, schedule: Schedule | None = None) -> dict[str, int]:
        with self.runtime.db.read() as session:
            page = caseload(
                session,
                self.coach,
                CaseloadQuery(),
                today,
                flags=caseload_flags(schedule or self.schedule),
            )
        row = next(r for r in page.rows if r.client_id == self.client_id)
        return {k: n for k, n in row.flags.items() if k.startswith("aftercare") and n}

    def state(self) -> str:
        with self.runtime.db.read() as session:
            journey = session.get(Journey, self.journey_id)
            assert journey is not None
            return journey.state


@pytest.fixture
def at_start(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock=FrozenClock(START))


def later(runtime: Runtime, day: date) -> None:
    assert isinstance(runtime.clock, FrozenClock)
    runtime.clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=UTC))


def test_the_shipped_schedule_is_one_three_and_six_months_for_every_follow_on_type(
    runtime: Runtime,
) -> None:
    schedule = runtime.aftercare
    assert schedule is not None
    assert schedule.definition.starts_in == "on_pathway"
    assert set(schedule.definition.by_type) == FOLLOW_ON_TYPES
    for kind in FOLLOW_ON_TYPES:
        assert schedule.months(kind) == (1, 3, 6)
    assert schedule.months("not_a_type") == (1, 3, 6)
    assert schedule.months(None) == (1, 3, 6)


def test_check_ins_fall_due_by_the_engine_clock_and_each_contact_clears_the_next(
    at_start: Runtime,
) -> None:
    world = World(at_start)
    assert world.state() == "on_pathway"
    first = world.plan()
    assert first is not None
    assert (first.started_on, first.service_type) == (date(2026, 3, 31), "work_trial")
    assert [(c.months, c.due_on) for c in first.check_ins] == [
        (1, date(2026, 4, 30)),
        (3, date(2026, 6, 30)),
        (6, date(2026, 9, 30)),
    ]
    assert [c.status(date(2026, 4, 29)) for c in first.check_ins] == ["upcoming"] * 3
    assert world.badges(date(2026, 4, 29)) == {}
    assert first.check_ins[0].status(date(2026, 4, 30)) == "due"
    assert world.badges(date(2026, 4, 30)) == {"aftercare_due": 1}
    assert world.badges(date(2026, 5, 13)) == {"aftercare_due": 1}
    assert first.check_ins[0].status(date(2026, 5, 14)) == "overdue"  # two weeks late
    assert world.badges(date(2026, 5, 14)) == {"aftercare_overdue": 1}
    # the coach checks in on 4 May: the one-month check-in is done, nothing else
    later(at_start, date(2026, 5, 4))
    world.check_in(datetime(2026, 5, 4, 8, tzinfo=UTC))
    done = world.plan()
    assert done is not None
    assert [c.done_on for c in done.check_ins] == [date(2026, 5, 4), None, None]
    assert done.check_ins[0].status(date(2026, 5, 4)) == "done"
    assert world.badges(date(2026, 5, 4)) == {}
    # on 1 October the three- and six-month check-ins are open: one overdue, one due
    assert world.badges(date(2026, 10, 1)) == {"aftercare_due": 1, "aftercare_overdue": 1}
    assert done.open_due(date(2026, 10, 1)) == 2


def test_a_contact_of_another_kind_or_before_the_start_does_not_count(at_start: Runtime) -> None:
    at_start.clock.advance(days=40)  # type: ignore[attr-defined]
    world = World(at_start)  # started 10 May
    with at_start.db.write() as session:
        record_contact(
            session,
            client_id=world.client_id,
            coach_id=world.coach.user_id,
            contact={"kind": "phone", "occurred_at": at_start.clock.now()},
            checks=Checks.of(at_start.clock),
        )
    before = world.plan()
    assert before is not None
    assert all(c.done_on is None for c in before.check_ins)
    assert world.badges(date(2026, 6, 10)) == {"aftercare_due": 1}


@pytest.mark.parametrize("service_type", sorted(FOLLOW_ON_TYPES))
def test_the_months_are_set_per_follow_on_pathway_type(
    make_runtime: Callable[..., Runtime], service_type: str
) -> None:
    runtime = make_runtime(clock=FrozenClock(START))
    world = World(runtime, service_type)
    own = {
        "work_trial": [1, 2],
        "paid_work": [2, 6, 12],
        "studies": [1, 4],
    }
    schedule = Schedule(
        AftercareDef(
            starts_in="on_pathway",
            continues_in=["on_pathway", "follow_on_completed"],
            months=[1, 3, 6],
            by_type=own,
        ),
        HELSINKI,
    )
    found = world.plan(schedule)
    assert found is not None
    months = tuple(own.get(service_type, [1, 3, 6]))
    assert tuple(c.months for c in found.check_ins) == months
    assert [c.due_on for c in found.check_ins] == [add_months(date(2026, 3, 31), m) for m in months]
    # the caseload counts what the plan says, day by day over the first year
    day = date(2026, 3, 31)
    while day <= date(2027, 4, 1):
        open_now = found.open_due(day)
        late = found.open_due(day - timedelta(days=14))
        expected = {"aftercare_due": open_now - late, "aftercare_overdue": late}
        assert world.badges(day, schedule) == {k: n for k, n in expected.items() if n}, day
        day += timedelta(days=13)


def test_a_hundred_days_of_caseloads_keep_at_most_64_page_statements(at_start: Runtime) -> None:
    """A caseload page's statement is some 4 000 objects, which every full pass of the garbage
    collector walks: with 512 kept (a server's days, the suite's), a full pass took 0.8 s.
    Only the last 64 are kept, and a page built again after it fell out answers the same."""
    world = World(at_start)
    start = date(2026, 4, 1)
    first = [world.badges(start + timedelta(days=n)) for n in range(100)]
    assert caseload_statements.cache_info().currsize <= 64
    assert any(first), "no badge in a hundred days: the check below would compare nothing"
    again = [world.badges(start + timedelta(days=n)) for n in range(100)]
    assert again == first


def test_a_completed_follow_on_keeps_them_and_closing_the_journey_stops_them(
    at_start: Runtime,
) -> None:
    world = World(at_start)
    later(at_start, date(2026, 5, 20))
    world.move("complete", outcome="goal_reached")
    assert world.state() == "follow_on_completed"
    assert world.plan() is not None
    assert world.badges(date(2026, 5, 20)) == {"aftercare_overdue": 1}
    with at_start.db.write() as session:
        at_start.journeys.advance(
            session,
            world.journey_id,
            "close",
            actor_id=world.coach.user_id,
            outcome="follow_on_pathway",
            reason="Työkokeilu päättyi hyvin",
        )
    assert world.state() == "closed"
    assert world.plan() is None
    with at_start.db.read() as session:
        page = caseload(
            session,
            world.coach,
            CaseloadQuery(show="closed"),
            date(2026, 10, 1),
            flags=caseload_flags(world.schedule),
        )
    assert [r.flags["aftercare_due"] + r.flags["aftercare_overdue"] for r in page.rows] == [0]


def test_a_returned_referral_stops_them(at_start: Runtime) -> None:
    world = World(at_start)
    later(at_start, date(2026, 4, 15))
    world.move("fail", outcome="no_contact", reason="Ei tavoitettu")
    assert world.state() == "individual_work"
    assert world.plan() is None
    assert world.badges(date(2026, 10, 1)) == {}


def test_without_an_aftercare_section_nothing_is_due(at_start: Runtime) -> None:
    World(at_start)
    with at_start.db.read() as session:
        count = session.execute(
            select(open_count(None)(date(2026, 10, 1)).label("n")).select_from(Client)
        ).scalar()
    assert count == 0


@pytest.mark.parametrize(
    ("day", "months", "start"),
    [
        (date(2026, 4, 30), 1, date(2026, 3, 31)),  # 31 March + 1 month = 30 April
        (date(2026, 4, 29), 1, date(2026, 3, 29)),
        (date(2026, 2, 28), 1, date(2026, 1, 31)),
        (date(2026, 3, 1), 1, date(2026, 2, 1)),
        (date(2026, 9, 30), 6, date(2026, 3, 31)),
    ],
)
def test_latest_start_due_by_is_the_inverse_of_add_months(
    day: date, months: int, start: date
) -> None:
    assert latest_start_due_by(day, months) == start
    assert add_months(start, months) <= day
    assert add_months(start + timedelta(days=1), months) > day


SHIPPED = ROOT / "pathways" / "client_journey.yaml"


@pytest.mark.parametrize(
    ("replace", "key"),
    [
        ("  months: [1, 3, 6]\n", "aftercare.months"),
        ("    work_trial: [1, 3, 6]\n", "aftercare.by_type.work_trial"),
        ("    studies: [1, 3, 6]\n", "aftercare.by_type.studies[1]"),
    ],
)
def test_a_broken_schedule_names_the_file_and_the_key(replace: str, key: str) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    broken = {
        "aftercare.months": "  months: [3, 1]\n",
        "aftercare.by_type.work_trial": "    work_trial: []\n",
        "aftercare.by_type.studies[1]": "    studies: [1, 0]\n",
    }[key]
    assert replace in text
    with pytest.raises(PathwayError) as caught:
        parse_pathway(text.replace(replace, broken, 1), "client_journey.yaml")
    assert any(p.file == "client_journey.yaml" and p.key == key for p in caught.value.problems), (
        caught.value.problems
    )


@pytest.mark.parametrize(
    ("replace", "broken", "key"),
    [
        (
            "    other: [1, 3, 6]\n",
            "    mental_health: [1, 3, 6]\n",
            "aftercare.by_type.mental_health",
        ),
        ("  starts_in: on_pathway\n", "  starts_in: on_the_moon\n", "aftercare.starts_in"),
        (
            "  continues_in: [on_pathway, follow_on_completed]\n",
            "  continues_in: [on_pathway, closed]\n",
            "aftercare.continues_in[1]",
        ),
        (
            "  continues_in: [on_pathway, follow_on_completed]\n",
            "  continues_in: [follow_on_completed]\n",
            "aftercare.continues_in",
        ),
    ],
)
def test_a_schedule_naming_what_is_not_there_names_the_file_and_the_key(
    runtime: Runtime, replace: str, broken: str, key: str
) -> None:
    text = SHIPPED.read_text(encoding="utf-8")
    assert replace in text
    definition = parse_pathway(text.replace(replace, broken, 1), "client_journey.yaml")
    problems = check_pathway(definition, "client_journey.yaml", runtime.guards.names())
    assert [(p.file, p.key) for p in problems] == [("client_journey.yaml", key)]


def test_the_funder_report_counts_aftercare_contacts_by_kind(
    make_runtime: Callable[..., Runtime],
) -> None:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    fx = esf_kit.build(runtime)
    with runtime.db.write() as session:
        record_contact(
            session,
            client_id=fx.clients["p1"],
            coach_id=fx.coach_main,
            contact={"kind": "aftercare", "occurred_at": datetime(2026, 6, 1, 10, tzinfo=UTC)},
            checks=Checks.of(runtime.clock),
        )
    with runtime.db.read() as session:
        r = build_report(
            session,
            project_view(session, fx.project.id),
            ReportQuery(project_id=fx.project.id, since=esf_kit.Q2[0], until=esf_kit.Q2[1]),
            forms=runtime.forms,
            pathway=runtime.pathways.latest("client_journey"),
            rho=0.3,
            small_cell=5,
        )
    assert dict(r.contacts)["aftercare"] == 1
    assert dict(r.contacts)["home_visit"] == 2
    assert r.contacts_total == 3


def test_the_schedule_comes_from_the_newest_client_journey(runtime: Runtime) -> None:
    schedule = schedule_of(runtime.pathways, HELSINKI)
    assert schedule is not None
    assert schedule.definition == runtime.pathways.latest("client_journey").definition.aftercare
