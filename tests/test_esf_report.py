"""Every figure of the funder report against the hand-worked fixture of tests/esf_kit.py (on
SQLite and PostgreSQL). The expected numbers are worked out here from the kit's description,
not from the code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from engine.clock import FrozenClock
from engine.esf_report import Figure, Report, ReportQuery, build_report
from engine.models import Event, EventAttendance, EventParticipant, EventSession
from engine.projects import project_view
from engine.runtime import Runtime
from tests import esf_kit
from tests.esf_kit import Q2, Fixture

W, M, NB, D, GAP = "woman", "man", "non_binary", "declined", "gap"


@pytest.fixture
def fx_runtime(make_runtime: Callable[..., Runtime]) -> tuple[Fixture, Runtime]:
    runtime = make_runtime(clock=FrozenClock(esf_kit.TODAY))
    return esf_kit.build(runtime), runtime


def report(
    runtime: Runtime, fx: Fixture, since: date = Q2[0], until: date = Q2[1], **filters: object
) -> Report:
    with runtime.db.read() as session:
        return build_report(
            session,
            project_view(session, fx.project.id),
            ReportQuery(project_id=fx.project.id, since=since, until=until, **filters),  # type: ignore[arg-type]
            forms=runtime.forms,
            pathway=runtime.pathways.latest("client_journey"),
            rho=0.3,
            small_cell=5,
            now=runtime.clock.now(),
        )


def genders(figure: Figure) -> dict[str, int]:
    return {k: v for k, v in figure.by_gender.items() if v}


def figure(figures: list[Figure], key: str) -> Figure:
    return next(f for f in figures if f.key == key)


def test_output_indicators_by_gender_with_gaps_and_declined(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # entered in Q2: p1 (woman), p2 (man after the correction), p3 (non-binary), p4 (declined);
    # p3 entered twice and counts once; p5, p6 entered in Q1 and p7 in July
    assert r.entered == 4
    out = {f.key: f for f in r.outputs}
    assert genders(out["total"]) == {W: 1, M: 1, NB: 1, D: 1}
    assert out["total"].gaps == 0
    expected = {
        # key: (by gender, declined, gaps); p4 has no labour-market status, no education, no
        # birth date, so it is a gap in each of those
        "unemployed": ({W: 1, M: 1}, 0, 1),
        # p2: 23 at entry, unemployed 7 months > 6 (young rule); p1: 25, 7 months < 12
        "long_term_unemployed": ({M: 1}, 0, 1),
        "inactive": ({NB: 1}, 0, 1),
        # p3's second entry says employed: not used, the first entry counts
        "employed": ({}, 0, 1),
        "below_18": ({}, 0, 1),
        "age_18_29": ({W: 1, M: 1}, 0, 1),
        "age_55_plus": ({NB: 1}, 0, 1),
        "isced_0_2": ({W: 1}, 0, 1),
        "isced_3_4": ({M: 1}, 0, 1),
        "isced_5_8": ({NB: 1}, 0, 1),
        "disability": ({W: 1}, 1, 2),
        "third_country_national": ({}, 0, 3),
        "foreign_background": ({NB: 1}, 0, 3),
        "minority": ({}, 0, 4),
        "homeless": ({M: 1}, 0, 3),
        "rural": ({W: 1}, 0, 3),
    }
    for key, (by_gender, declined, gaps) in expected.items():
        assert (genders(out[key]), out[key].declined, out[key].gaps) == (
            by_gender,
            declined,
            gaps,
        ), key


def test_results_at_exit_from_the_last_exit_and_at_six_months(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # last exit in Q2: p1 (20 Jun), p3 (25 Jun; its first exit in May is not the last), p5
    assert r.exited == 3
    res = {f.key: f for f in r.results_exit}
    assert genders(res["exit_job_searching"]) == {}  # p3's job searching was the first exit
    assert genders(res["exit_in_education"]) == {W: 1}  # p5
    assert genders(res["exit_qualification"]) == {W: 1}  # p1
    assert genders(res["exit_employed"]) == {W: 1}  # p1
    assert all(f.gaps == 0 for f in r.results_exit)
    # six months: p6's follow-up on 30 Jun, employed, a woman at entry
    assert r.followed_up == 1
    assert genders(figure(r.results_six_months, "follow_up_employed")) == {W: 1}


def test_planned_against_actual_rolls_up_over_implementers(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # entered by 30 Jun: p1, p2, p5, p6 (Laptuote), p3, p4 (SaimaanVirta); p7 entered in July
    assert [(p.label, p.planned, p.actual) for p in r.planned] == [
        ("VALTO (testi)", 20, 6),
        (esf_kit.MAIN, 14, 4),
        (esf_kit.CO, 6, 2),
    ]


def test_filters_by_co_implementer_and_municipality(fx_runtime: tuple[Fixture, Runtime]) -> None:
    fx, runtime = fx_runtime
    by_co = report(runtime, fx, organisation_id=fx.co_id)
    assert genders(figure(by_co.outputs, "total")) == {NB: 1, D: 1}  # p3, p4
    assert [(p.label, p.actual) for p in by_co.planned] == [(esf_kit.CO, 2)]
    assert by_co.exited == 1  # p3
    ruokolahti = report(runtime, fx, municipality=esf_kit.RUOKOLAHTI)
    assert genders(figure(ruokolahti.outputs, "total")) == {NB: 1}  # p3
    parikkala = report(runtime, fx, municipality=esf_kit.PARIKKALA)
    assert genders(figure(parikkala.outputs, "total")) == {W: 1, M: 1}  # p1, p2


def test_activity_figures(fx_runtime: tuple[Fixture, Runtime]) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    # how they were found, of those who entered in Q2: p1 street, p2 diaconia, p3 and p4 gaps
    found = dict(r.found_via)
    assert (found["street_outreach"], found["diaconia"], found["gap"]) == (1, 1, 2)
    assert sum(found.values()) == 4
    # contacts in Q2: p1's two home visits (the July phone call is outside)
    assert dict(r.contacts)["home_visit"] == 2
    assert r.contacts_total == 2
    assert r.contacts_participants == 1
    # group: meeting 1 present (after a correction), meeting 2 absent
    assert (r.attendance_present, r.attendance_marked, r.attendance_participants) == (1, 2, 1)
    # GAS: one goal, baseline -1 (T 40); p1 rated 0 (T 50: +10), p2 rated +1 (T 60: +20)
    assert dict(r.gas_change) == {"below_0": 0, "0_to_10": 0, "10_to_20": 1, "20_plus": 1}
    assert r.gas_median_change == 15.0
    # in the report: p1..p6; GAS for p1, p2 only
    assert r.gas_without == 4
    # Kykyviisari: p1 4 -> 7 (+3), p2 once; four of the six have none
    assert (r.kyky_with, r.kyky_without) == (2, 4)
    assert dict(r.kyky_change)["up_3_plus"] == 1
    assert r.kyky_median_change == 3.0


def test_participant_rows_use_first_entry_last_exit_and_age_at_entry(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    rows = {row.client_id: row for row in r.participants}
    p3 = rows[fx.clients["p3"]]
    assert (p3.entry_on, p3.entry["gender"], p3.exit_on, p3.exit) == (
        date(2026, 5, 2),
        "non_binary",
        date(2026, 6, 25),
        {"situation": ["none"]},
    )
    assert p3.age_at_entry == 61
    assert rows[fx.clients["p2"]].long_term_unemployed is True
    assert rows[fx.clients["p1"]].long_term_unemployed is False
    assert rows[fx.clients["p4"]].age_at_entry is None
    # participant numbers in the order of first entry forms recorded: p1 first
    assert rows[fx.clients["p1"]].number == 1
    assert fx.clients["p7"] not in rows  # entered after the quarter


def test_the_funnel_counts_the_project_clients_from_the_event_log(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    with runtime.db.write() as session:
        runtime.journeys.advance(session, fx.journeys["p1"], "engage", actor_id=fx.coach_main)
    # every client journey of the kit started today (15 Jul); p1 engaged
    july = report(runtime, fx, since=date(2026, 7, 1), until=date(2026, 7, 31))
    assert dict(july.funnel) == {
        "contacted": 7,
        "engaged": 1,
        "goals": 0,
        "active": 0,
        "referred": 0,
        "on_pathway": 0,
    }
    co = report(
        runtime, fx, since=date(2026, 7, 1), until=date(2026, 7, 31), organisation_id=fx.co_id
    )
    assert dict(co.funnel)["contacted"] == 2
    assert dict(report(runtime, fx).funnel)["contacted"] == 0  # none started in Q2


def test_the_indicator_codes_are_shown_only_when_checked(
    fx_runtime: tuple[Fixture, Runtime],
) -> None:
    fx, runtime = fx_runtime
    r = report(runtime, fx)
    assert all(f.code is None for f in [*r.outputs, *r.results_exit, *r.results_six_months])
    assert figure(r.outputs, "long_term_unemployed").label["en"] == "Long-term unemployed"


def test_qualifications_gained_in_the_period(fx_runtime: tuple[Fixture, Runtime]) -> None:
    """engine.qualifications.gained_in_period: p1 gained two cards in Q2 (counted once), p3 one
    before Q2 (not counted), a client outside the project one in Q2 (never counted)."""
    from engine.qualifications import QualificationInput, add
    from engine.testing import make_client

    fx, runtime = fx_runtime
    outsider, _ = make_client(runtime)
    gained = (
        ("p1", "hygiene_card", "2026-04-10"),
        ("p1", "work_safety_card", "2026-06-30"),
        ("p3", "other", "2026-03-31"),
    )
    with runtime.db.write() as session:
        for who, kind, on in gained:
            add(
                session,
                client_id=fx.clients[who],
                recorded_by=fx.coach_main,
                values=QualificationInput(kind, "Kortti", on, "Myöntäjä"),
                now=runtime.clock.now(),
            )
        add(
            session,
            client_id=outsider,
            recorded_by=fx.coach_main,
            values=QualificationInput("other", "Kortti", "2026-05-01", "Myöntäjä"),
            now=runtime.clock.now(),
        )
    r = report(runtime, fx)
    assert (r.qualified_participants, r.qualifications_gained) == (1, 2)
    assert report(runtime, fx, since=date(2026, 1, 1)).qualified_participants == 2


CANCELLED_ON = datetime(2026, 5, 1, tzinfo=UTC)


def test_events_count_as_activities_per_participant(fx_runtime: tuple[Fixture, Runtime]) -> None:
    """Worked by hand. Event A, an expert session: 5 May (held), 12 May (cancelled), 7 Jul
    (Q3, held by TODAY 15 Jul), 20 Jul (Q3, still to come). Event B, a study visit: 10 Jun.

    - p1: A 5 May present; A 12 May present (cancelled: not held, never counts); B 10 Jun
      present; A 7 Jul present; A 20 Jul present (a mark on a session to come: never counts).
    - p2: A 5 May absent (ill), corrected to present (the latest mark counts); B 10 Jun absent
      (other appointment, notified).
    - p3: A 5 May absent, no notice.

    Q2: p1 2 (5 May, 10 Jun), p2 1 (5 May): 3 sessions attended by 2 participants, 1.5 each.
    Q3: p1 1 (7 Jul): 1 by 1. p7 (not a participant of any event) changes nothing.
    """
    fx, runtime = fx_runtime
    p1, p2, p3 = (fx.clients[p] for p in ("p1", "p2", "p3"))
    with runtime.db.write() as session:
        made = {}
        for key, kind, days in (
            ("A", "expert_session", ((5, 5), (5, 12), (7, 7), (7, 20))),
            ("B", "study_visit", ((6, 10),)),
        ):
            event = Event(
                kind=kind,
                title=key,
                organisation_id=fx.main_id,
                municipality_code=esf_kit.PARIKKALA,
                expert_name="Asiantuntija",
                expert_organisation="Oy",
                place="Paikka",
                created_by=fx.coach_main,
            )
            session.add(event)
            session.flush()
            assert event.id is not None
            for number, (month, day) in enumerate(days, 1):
                meeting = EventSession(
                    event_id=event.id,
                    number=number,
                    starts_at=datetime(2026, month, day, 10, tzinfo=UTC),
                    cancelled_at=datetime(2026, 5, 1, tzinfo=UTC)
                    if (month, day) == (5, 12)
                    else None,
                )
                session.add(meeting)
                session.flush()
                made[(key, month, day)] = meeting.id
            for client_id in (p1, p2, p3):
                participant = EventParticipant(event_id=event.id, client_id=client_id)
                session.add(participant)
                session.flush()
                made[(key, client_id)] = participant.id
        marks = [
            (p1, "A", (5, 5), True, None),
            (p1, "A", (5, 12), True, None),
            (p1, "B", (6, 10), True, None),
            (p1, "A", (7, 7), True, None),
            (p1, "A", (7, 20), True, None),
            (p2, "A", (5, 5), False, "ill"),
            (p2, "A", (5, 5), True, None),
            (p2, "B", (6, 10), False, "other_appointment"),
            (p3, "A", (5, 5), False, "no_notice"),
        ]
        for client_id, key, (month, day), present, reason in marks:
            session.add(
                EventAttendance(
                    session_id=made[(key, month, day)],
                    participant_id=made[(key, client_id)],
                    present=present,
                    absence_reason=reason,
                    notified=None if present else reason == "other_appointment",
                )
            )
    q2 = report(runtime, fx)
    assert (q2.event_sessions_attended, q2.event_participants) == (3, 2)
    assert q2.event_sessions_per_participant == 1.5
    q3 = report(runtime, fx, since=date(2026, 7, 1), until=date(2026, 9, 30))
    assert (q3.event_sessions_attended, q3.event_participants) == (1, 1)
    # nobody attended an event in Q1
    q1 = report(runtime, fx, since=date(2026, 1, 1), until=date(2026, 3, 31))
    assert (q1.event_sessions_attended, q1.event_sessions_per_participant) == (0, None)
