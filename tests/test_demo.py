"""Fictional demo data: clients in the plugins' municipalities, with plausible dated facts.

The tests read one demo world per backend, loaded once for the module (``demo``); a test that
needs another world (other plugins) builds its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from engine.assessments import assessments, by_instrument
from engine.demo import DemoSummary, demo_municipalities, load_demo
from engine.integrity import verify_journeys
from engine.models import Assessment, CareTeam, Client, ClientFact, ContactEntry
from engine.qualifications import gained_in_period, qualifications
from engine.runtime import Runtime
from engine.strengths import cv_contact, experiences, strengths
from engine.testing import runtime_for_tests


@pytest.fixture(scope="module")
def demo(module_database_url: str) -> Iterator[tuple[Runtime, DemoSummary]]:
    """The default demo (60 clients), loaded once per backend for the tests of this module that
    only read it (a load costs 1-4 s)."""
    runtime = runtime_for_tests(module_database_url)
    try:
        yield runtime, load_demo(runtime)
    finally:
        runtime.close()


@pytest.fixture
def runtime(demo: tuple[Runtime, DemoSummary]) -> Runtime:
    """This module's demo world (every test here only reads it)."""
    return demo[0]


def test_demo_clients_live_in_the_seed_municipalities_with_facts(
    runtime: Runtime, demo: tuple[Runtime, DemoSummary]
) -> None:
    assert set(demo_municipalities(runtime)) == set(runtime.municipalities)
    summary = demo[1]
    with runtime.db.read() as session:
        codes = set(session.execute(select(col(Client.municipality_code))).scalars())
        facts = session.execute(select(ClientFact)).scalars().all()
        clients_with_facts = session.execute(
            select(func.count(func.distinct(ClientFact.client_id)))
        ).scalar_one()
        assert verify_journeys(session) == []
    assert summary.clients == 60
    assert codes <= set(runtime.municipalities)
    assert clients_with_facts == 60
    assert {f.key for f in facts} >= {"employment_status", "unemployed_since", "benefit"}
    assert all(f.key in runtime.facts.definitions for f in facts)
    for fact in facts:  # every stored value reads back through its definition
        assert fact.value is not None
        runtime.facts.definitions[fact.key].parse(fact.value)


def test_demo_without_national_rules_records_no_facts(make_runtime: object) -> None:
    runtime = make_runtime(plugins="lappi")  # type: ignore[operator]
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(ClientFact)).scalar_one() == 0
        assert set(session.execute(select(col(Client.municipality_code))).scalars()) <= {
            "261",
            "320",
            "614",
        }


def test_default_environment_is_production() -> None:
    """A deployment that forgets POLKU_ENVIRONMENT gets the safe settings: no demo data (see
    tests/test_cli_users.py), no /docs, TOTP required."""
    from engine.settings import Environment, Settings

    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == Environment.production
    assert settings.require_totp


def test_demo_clients_have_contacts_for_the_caseload(runtime: Runtime) -> None:
    from engine.access import Principal
    from engine.caseload import CaseloadQuery, caseload
    from engine.models import ContactEntry, Role, User

    with runtime.db.read() as session:
        contacts = session.execute(select(ContactEntry)).scalars().all()
        coach = session.execute(select(User).where(col(User.username) == "valmentaja")).scalar_one()
        assert coach.id is not None
        principal = Principal(coach.id, Role.coach, coach.organisation_id)
        today = runtime.clock.today()
        page = caseload(session, principal, CaseloadQuery(), today)
        closed = caseload(session, principal, CaseloadQuery(show="closed"), today)
    assert contacts
    assert {c.coach_id for c in contacts} == {coach.id}
    assert all(c.note is not None and len(c.note) <= 1000 for c in contacts)
    # the work list leaves closed clients out; asked for, they are the rest of the sixty
    assert closed.total > 0
    assert page.total + closed.total == 60
    assert any(row.last_contact_at is not None for row in page.rows)


def test_demo_has_referrals_in_different_states_to_the_demo_partner(runtime: Runtime) -> None:
    from engine.demo import DEMO_LOGINS
    from engine.models import Journey, Organisation, Referral

    with runtime.db.read() as session:
        rows = session.execute(
            select(col(Journey.state), col(Organisation.name), col(Referral.expired_at))
            .join(Referral, col(Referral.journey_id) == col(Journey.id))
            .join(Organisation, col(Organisation.id) == col(Referral.to_organisation_id))
        ).all()
        assert verify_journeys(session) == []
    assert {name for _s, name, _e in rows} == {DEMO_LOGINS[2].organisation}
    assert {s for s, _n, _e in rows} >= {"requested", "accepted", "in_progress", "completed"}
    assert any(expired is not None for _s, _n, expired in rows)  # one is overdue


def test_demo_clients_past_goal_setting_have_goals_with_two_follow_ups(runtime: Runtime) -> None:
    from engine.goals import has_described_goal, t_score_series
    from engine.models import GasGoal, GasRating, Journey

    with runtime.db.read() as session:
        rated = set(session.execute(select(col(GasRating.client_id))).scalars())
        journeys = session.execute(
            select(col(Journey.client_id), col(Journey.state)).where(
                col(Journey.pathway_key) == "client_journey"
            )
        ).all()
        past_assessment = {
            cid for cid, state in journeys if state in {"goal_setting", "group_work"}
        }
        assert all(has_described_goal(session, cid) for cid in past_assessment)
        assert rated, "some demo clients have follow-ups"
        for client_id in rated:
            points = t_score_series(session, client_id, runtime.settings.gas_rho)
            assert len(points) == 3  # the baseline and two follow-ups
            assert points[0].t is not None
            assert points[2].t is not None
            assert points[2].t >= points[0].t  # the demo levels only drift up
        assert session.execute(select(func.count()).select_from(GasGoal)).scalar_one() >= len(rated)


def test_demo_has_a_client_with_two_summaries_a_profile_strengths_and_experiences(
    runtime: Runtime,
) -> None:
    with runtime.db.read() as session:
        done = session.execute(select(Assessment)).scalars().all()
        assert len({a.client_id for a in done}) == 1
        (client_id,) = {a.client_id for a in done}
        grouped = by_instrument(assessments(session, client_id))
        assert len(grouped["kykyviisari"]) == 2
        (profile,) = grouped["ability_profile"]
        assert profile.requirement_of
        assert profile.requirements
        assert strengths(session, client_id)
        assert experiences(session, client_id)
        assert cv_contact(session, client_id) is not None  # only the municipality
        kinds = {q.kind for q in qualifications(session, client_id)}
        assert kinds == {"hygiene_card", "work_safety_card", "partial_qualification"}
        # the funder's "gained a qualification" in the last 90 days: this client, once
        today = runtime.clock.today()
        found = gained_in_period(session, [client_id], today - timedelta(days=90), today)
        assert [q.name for q in found[client_id]] == ["Hygieniapassi", "Työturvallisuuskortti"]
        # pair work: a job coach beside the goal coach, and a home visit the two made together
        roles = {
            m.role
            for m in session.execute(
                select(CareTeam).where(CareTeam.client_id == client_id)
            ).scalars()
        }
        assert roles == {"goal_coach", "job_coach"}
        paired = (
            session.execute(
                select(ContactEntry).where(col(ContactEntry.pair_worker_id).is_not(None))
            )
            .scalars()
            .all()
        )
        assert [(c.client_id, c.kind) for c in paired] == [(client_id, "home_visit")]


def test_demo_has_a_running_group_with_attendance(runtime: Runtime) -> None:
    """groups: one 8-week group led by the demo coach, co-led by the demo partner worker."""
    from engine.access import Principal
    from engine.demo_groups import DEMO_GROUP
    from engine.group_reads import (
        group_detail,
    )
    from engine.models import ClientGroup, GroupLeader, Role, User

    with runtime.db.read() as session:
        group = session.execute(select(ClientGroup)).scalar_one()
        assert group.name == DEMO_GROUP
        detail = group_detail(session, group.id or 0, today=runtime.clock.today())
        leaders = session.execute(select(col(GroupLeader.kind))).scalars().all()
        assert verify_journeys(session) == []
        # the demo co-leader sees every member who has started attending: each consented
        co_leader = session.execute(
            select(User)
            .join(GroupLeader, col(GroupLeader.user_id) == col(User.id))
            .where(col(GroupLeader.kind) == "co_leader")
        ).scalar_one()
        seen = group_detail(
            session,
            group.id or 0,
            co_leader=Principal(co_leader.id or 0, Role.partner, co_leader.organisation_id),
            today=runtime.clock.today(),
        )
    assert sorted(leaders) == ["co_leader", "leader"]
    assert len(detail.sessions) == 8
    states = sorted(m.state for m in detail.members)
    assert "attending" in states
    assert "invited" in states
    assert "dropped_out" in states
    assert any(present for present in detail.marks.values())
    started = [m.client.id for m in detail.members if m.membership.attended_from is not None]
    assert started
    assert [m.client.id for m in seen.members] == started
    assert seen.hidden == 0


def test_demo_has_an_esf_project_with_two_co_implementers_and_a_report(runtime: Runtime) -> None:
    from datetime import timedelta

    from engine.demo_esf import DEMO_ESF_PROJECT
    from engine.esf_report import ReportQuery, build_report
    from engine.projects import project_by_code

    today = runtime.clock.today()
    with runtime.db.read() as session:
        project = project_by_code(session, DEMO_ESF_PROJECT)
        assert [i.role for i in project.implementers].count("co") == 2
        report = build_report(
            session,
            project,
            ReportQuery(project_id=project.id, since=today - timedelta(days=365), until=today),
            forms=runtime.forms,
            pathway=runtime.pathways.latest("client_journey"),
            rho=0.3,
            small_cell=5,
        )
    by_org = {p.organisation_id: p.actual for p in report.planned}
    assert all(by_org[i.organisation_id] > 0 for i in project.implementers)
    assert report.entered > 24
    assert report.exited > 0
    total = next(f for f in report.outputs if f.key == "total")
    assert total.by_gender["woman"] > 0
    assert total.by_gender["man"] > 0


def test_demo_has_events_with_attendance_reasons(runtime: Runtime) -> None:
    """events: a psychologist's session for six clients, a course, a client panel to come."""
    from engine.models import Event, EventAttendance

    with runtime.db.read() as session:
        kinds = sorted(e.kind for e in session.execute(select(Event)).scalars())
        assert kinds == ["client_panel", "course_session", "expert_session"]
        marks = session.execute(select(EventAttendance)).scalars().all()
        reasons = {m.absence_reason for m in marks if not m.present}
        assert reasons == {"ill", "other_appointment", "no_notice"}
        assert any(m.notified for m in marks)
        assert sum(1 for m in marks if m.present) >= 4


def test_demo_groups_have_an_absence_with_its_reason(runtime: Runtime) -> None:
    from engine.models import AttendanceMark

    with runtime.db.read() as session:
        marks = session.execute(select(AttendanceMark)).scalars().all()
    absent = [(m.absence_reason, m.notified) for m in marks if not m.present]
    assert ("ill", True) in absent
    assert all(reason is not None for reason, _told in absent)


def test_demo_has_feedback_for_the_dashboard_and_an_experience_expert(runtime: Runtime) -> None:
    from engine.access import Principal
    from engine.models import Feedback, FeedbackLink, Role, User
    from engine.voice import role_holders, summary

    with runtime.db.write() as session:
        channels = sorted(session.execute(select(col(Feedback.channel))).scalars())
        assert channels.count("link") == 1
        assert len(channels) == 7
        used = [
            link.used_at is not None for link in session.execute(select(FeedbackLink)).scalars()
        ]
        assert sorted(used) == [False, True]
        coordinator = (
            session.execute(select(User).where(col(User.role) == Role.coordinator))
            .scalars()
            .first()
        )
        assert coordinator is not None
        assert coordinator.id is not None
        assert coordinator.organisation_id is not None
        today = runtime.clock.today()
        counted = summary(
            session,
            coordinator.organisation_id,
            today - timedelta(days=60),
            today,
            minimum=runtime.settings.feedback_min_answers,
        )
        assert counted.shown
        assert counted.answers == 7
        holders = role_holders(
            session,
            Principal(coordinator.id, Role.coordinator, coordinator.organisation_id),
            today=today,
            now=runtime.clock.now(),
        )
        assert sorted(h.kind for h in holders) == ["experience_expert", "peer_instructor"]


def test_demo_shows_an_aftercare_check_in_due(runtime: Runtime) -> None:
    """The demo coach's caseload has a client whose follow-on pathway started over a month ago:
    its aftercare check-in is due (engine/aftercare.py), and one earlier check-in is done."""
    from engine.access import Principal
    from engine.aftercare import plan
    from engine.caseload import CaseloadQuery, caseload, caseload_flags
    from engine.models import Role, User

    today = runtime.clock.today()
    with runtime.db.read() as session:
        coach = session.execute(select(User).where(col(User.username) == "valmentaja")).scalar_one()
        assert coach.id is not None
        principal = Principal(coach.id, Role.coach, coach.organisation_id)
        page = caseload(
            session,
            principal,
            CaseloadQuery(page=1),
            today,
            page_size=200,
            flags=caseload_flags(runtime.aftercare),
        )
        due = [r for r in page.rows if r.flags["aftercare_due"] or r.flags["aftercare_overdue"]]
        assert due
        assert runtime.aftercare is not None
        plans = [plan(session, r.client_id, runtime.aftercare) for r in page.rows]
    statuses = {c.status(today) for p in plans if p for c in p.check_ins}
    assert {"done", "due"} <= statuses
