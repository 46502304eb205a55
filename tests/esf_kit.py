"""A small ESF+ project for the report tests (tests/test_esf_report.py, the pages, the feature):
two implementers, seven participants with forms whose figures are worked out by hand in the
tests. Every participant and date is described where it is made.

Today (the frozen clock) is 2026-07-15; the quarter reported is Q2 2026 (1 April - 30 June).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlmodel import Session

from engine.access import Principal
from engine.assessments import record_assessment
from engine.contacts import record_contact
from engine.goals import goals_of, record_follow_up
from engine.inputs import Checks
from engine.instruments import KYKYVIISARI
from engine.models import (
    AttendanceMark,
    Client,
    ClientGroup,
    GroupMembership,
    GroupSession,
    ParticipantForm,
    Role,
)
from engine.participants import FormInput, record_form, set_found_via
from engine.projects import ImplementerInput, ProjectInput, ProjectView, create_project
from engine.runtime import Runtime
from engine.testing import make_client, make_user, ready_for_goal_setting

TODAY = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
Q2 = (date(2026, 4, 1), date(2026, 6, 30))
MAIN = "Laptuote-säätiö (testi)"
CO = "SaimaanVirta (testi)"
PARIKKALA, RUOKOLAHTI, RAUTJARVI = "580", "700", "689"


@dataclass
class Fixture:
    project: ProjectView
    main_id: int
    co_id: int
    coach_main: int
    coach_co: int
    coordinator_main: int
    coordinator_co: int
    clients: dict[str, int] = field(default_factory=dict)
    journeys: dict[str, int] = field(default_factory=dict)
    forms: dict[str, int] = field(default_factory=dict)


def _form(
    runtime: Runtime,
    session: Session,
    fx: Fixture,
    who: str,
    kind: str,
    on: date,
    corrects: str | None = None,
    **answers: str | list[str],
) -> ParticipantForm:
    actor = fx.coach_main if who in {"p1", "p2", "p5", "p6", "p7"} else fx.coach_co
    row = record_form(
        session,
        runtime.forms,
        client_id=fx.clients[who],
        actor_id=actor,
        data=FormInput(
            project_id=fx.project.id,
            kind=kind,  # type: ignore[arg-type]
            occurred_on=on,
            answers=answers,
            corrects_id=fx.forms[corrects] if corrects else None,
        ),
        today=runtime.clock.today(),
        now=runtime.clock.now(),
    )
    assert row.id is not None
    return row


def build(runtime: Runtime) -> Fixture:
    """The project VALTO-T with its seven participants (p1..p7):

    - p1 Laptuote, Parikkala, born 2000-05-01 (25 at entry): entry 10 Apr, woman, unemployed
      since 1 Sep 2025 (7 months, adult rule 12: not long-term), ISCED 0-2, disability yes,
      rural yes; found in street outreach. Exit 20 Jun: employed + qualification. Two home
      visits in May and a phone call in July; Kykyviisari 4 then 7; GAS rated 0 (T +10);
      present at one group meeting in May and absent at another.
    - p2 Laptuote, Parikkala, born 2003-01-15 (23 at entry): entry 5 Apr first recorded as a
      woman, corrected to a man; unemployed since 1 Sep 2025 (7 months, young rule 6:
      long-term), ISCED 3-4, disability declined, homeless yes; found by diaconia. No exit.
      Kykyviisari once; GAS rated +1 (T +20).
    - p3 SaimaanVirta, Ruokolahti, born 1965-03-01 (61): entry 2 May, non-binary, inactive,
      ISCED 5-8, third-country national no, foreign background yes. Exit 20 May job searching,
      entry again 25 May (woman, employed: not used, the first entry counts), last exit 25 Jun
      none of these.
    - p4 SaimaanVirta, Rautjärvi, no birth date: entry 1 Jun with gender declined, nothing
      else (gaps).
    - p5 Laptuote, Parikkala, born 1990-01-01: entry 10 Mar (Q1), woman, employed; exit 15 Apr
      in education.
    - p6 Laptuote, Parikkala, born 1980-06-30: entry 5 Jan, woman; exit 20 Jan job searching;
      six-month follow-up 30 Jun: employed.
    - p7 Laptuote, Parikkala: entry 2 Jul (after Q2), man.
    """
    with runtime.db.write() as session:
        project = create_project(
            session,
            ProjectInput(
                code="VALTO-T",
                name="VALTO (testi)",
                starts_on=date(2026, 1, 1),
                ends_on=date(2027, 12, 31),
                form_key="esf_participant_2021_2027",
                funder="Etelä-Savon ELY-keskus (testi)",
                planned_participants=20,
                main=ImplementerInput(
                    organisation=MAIN, municipality_codes=[PARIKKALA], planned_participants=14
                ),
                co_implementers=[
                    ImplementerInput(
                        organisation=CO,
                        municipality_codes=[RUOKOLAHTI, RAUTJARVI],
                        planned_participants=6,
                    )
                ],
            ),
            forms=runtime.forms,
            municipalities=set(runtime.municipalities),
            now=runtime.clock.now(),
        )
    main_id = next(i.organisation_id for i in project.implementers if i.role == "main")
    co_id = next(i.organisation_id for i in project.implementers if i.role == "co")
    users = {
        name: make_user(runtime, role, organisation_id=org).id
        for name, role, org in (
            ("coach_main", Role.coach, main_id),
            ("coach_co", Role.coach, co_id),
            ("coordinator_main", Role.coordinator, main_id),
            ("coordinator_co", Role.coordinator, co_id),
        )
    }
    ids = {k: int(v or 0) for k, v in users.items()}
    fx = Fixture(
        project,
        main_id,
        co_id,
        coach_main=ids["coach_main"],
        coach_co=ids["coach_co"],
        coordinator_main=ids["coordinator_main"],
        coordinator_co=ids["coordinator_co"],
    )
    people = {
        "p1": (main_id, PARIKKALA, date(2000, 5, 1), fx.coach_main),
        "p2": (main_id, PARIKKALA, date(2003, 1, 15), fx.coach_main),
        "p3": (co_id, RUOKOLAHTI, date(1965, 3, 1), fx.coach_co),
        "p4": (co_id, RAUTJARVI, None, fx.coach_co),
        "p5": (main_id, PARIKKALA, date(1990, 1, 1), fx.coach_main),
        "p6": (main_id, PARIKKALA, date(1980, 6, 30), fx.coach_main),
        "p7": (main_id, PARIKKALA, date(1999, 9, 9), fx.coach_main),
    }
    for who, (org, municipality, born, coach) in people.items():
        fx.clients[who], fx.journeys[who] = make_client(
            runtime,
            organisation_id=org,
            municipality_code=municipality,
            birth_date=born,
            care_team=(coach,),
            first_name="Testi",
            last_name=who.upper(),
        )
    with runtime.db.write() as session:
        # recorded at the start of the year: their contacts and forms in the spring come after
        # it (engine/dates.py refuses a contact before the client was recorded)
        for client_id in fx.clients.values():
            client = session.get(Client, client_id)
            assert client is not None
            client.created_at = datetime(2026, 1, 2, 9, tzinfo=UTC)
        set_found_via(session, fx.clients["p1"], "street_outreach")
        set_found_via(session, fx.clients["p2"], "diaconia")
        f = _form
        f(runtime, session, fx, "p1", "entry", date(2026, 4, 10), gender="woman",
          labour_market_status="unemployed", unemployed_since="2025-09-01", education="isced_0_2",
          disability="yes", rural="yes")  # fmt: skip
        f(runtime, session, fx, "p1", "exit", date(2026, 6, 20),
          situation=["employed", "qualification"])  # fmt: skip
        first = f(runtime, session, fx, "p2", "entry", date(2026, 4, 5), gender="woman",
          labour_market_status="unemployed", unemployed_since="2025-09-01", education="isced_3_4",
          disability="declined", homeless="yes")  # fmt: skip
        fx.forms["p2_entry"] = first.id or 0
        f(runtime, session, fx, "p2", "entry", date(2026, 4, 5), corrects="p2_entry", gender="man",
          labour_market_status="unemployed", unemployed_since="2025-09-01", education="isced_3_4",
          disability="declined", homeless="yes")  # fmt: skip
        f(runtime, session, fx, "p3", "entry", date(2026, 5, 2), gender="non_binary",
          labour_market_status="inactive", education="isced_5_8", third_country_national="no",
          foreign_background="yes")  # fmt: skip
        f(runtime, session, fx, "p3", "exit", date(2026, 5, 20), situation=["job_searching"])
        f(runtime, session, fx, "p3", "entry", date(2026, 5, 25), gender="woman",
          labour_market_status="employed")  # fmt: skip
        f(runtime, session, fx, "p3", "exit", date(2026, 6, 25), situation=["none"])
        f(runtime, session, fx, "p4", "entry", date(2026, 6, 1), gender="declined")
        f(runtime, session, fx, "p5", "entry", date(2026, 3, 10), gender="woman",
          labour_market_status="employed")  # fmt: skip
        f(runtime, session, fx, "p5", "exit", date(2026, 4, 15), situation=["in_education"])
        f(runtime, session, fx, "p6", "entry", date(2026, 1, 5), gender="woman")
        f(runtime, session, fx, "p6", "exit", date(2026, 1, 20), situation=["job_searching"])
        f(runtime, session, fx, "p6", "follow_up", date(2026, 6, 30), situation=["employed"])
        f(runtime, session, fx, "p7", "entry", date(2026, 7, 2), gender="man")
        _activity(runtime, session, fx)
    return fx


def _activity(runtime: Runtime, session: Session, fx: Fixture) -> None:
    now, today = runtime.clock.now(), runtime.clock.today()
    p1, p2 = fx.clients["p1"], fx.clients["p2"]
    for day, kind in ((date(2026, 5, 4), "home_visit"), (date(2026, 5, 18), "home_visit"),
                      (date(2026, 7, 6), "phone")):  # fmt: skip
        record_contact(
            session,
            client_id=p1,
            coach_id=fx.coach_main,
            contact={
                "occurred_at": datetime(day.year, day.month, day.day, 10, tzinfo=UTC),
                "kind": kind,
                "duration_minutes": 60,
            },
            checks=Checks(today=today, now=now, zone=runtime.clock.zone),
        )
    for client_id, day, score in ((p1, date(2026, 4, 12), 4), (p1, date(2026, 6, 15), 7),
                                  (p2, date(2026, 4, 20), 5)):  # fmt: skip
        record_assessment(
            session,
            KYKYVIISARI,
            client_id=client_id,
            recorded_by=fx.coach_main,
            assessed_on=day,
            scores={"overall_work_ability": score},
            now=now,
            today=today,
        )
    for who, level in (("p1", 0), ("p2", 1)):
        # the goal is set after the assessments, before its follow-up on 1 June
        ready_for_goal_setting(session, fx.journeys[who], at=datetime(2026, 5, 4, 9, tzinfo=UTC))
        goal = goals_of(session, fx.clients[who])[0]
        assert goal.id is not None
        record_follow_up(
            session,
            client_id=fx.clients[who],
            actor_id=fx.coach_main,
            rated_on=date(2026, 6, 1),
            levels={goal.id: level},
            today=today,
            now=now,
        )
    group = ClientGroup(
        name="Ryhmä", municipality_code=PARIKKALA, organisation_id=fx.main_id, meeting_count=2
    )
    session.add(group)
    session.flush()
    assert group.id is not None
    sessions = [
        GroupSession(group_id=group.id, number=n, starts_at=datetime(2026, 5, d, 12, tzinfo=UTC))
        for n, d in ((1, 6), (2, 13))
    ]
    session.add_all(sessions)
    membership_journey = runtime.journeys.start(
        session, client_id=p1, pathway_key="group_membership", actor_id=None
    )
    assert membership_journey.id is not None
    membership = GroupMembership(group_id=group.id, client_id=p1, journey_id=membership_journey.id)
    session.add(membership)
    session.flush()
    assert membership.id is not None
    # meeting 1: marked absent, then corrected to present (the latest mark counts); 2: absent
    for s, present in ((sessions[0], False), (sessions[0], True), (sessions[1], False)):
        assert s.id is not None
        session.add(AttendanceMark(session_id=s.id, membership_id=membership.id, present=present))
    session.flush()


def coordinator(fx: Fixture, which: str = "main") -> Principal:
    return Principal(
        fx.coordinator_main if which == "main" else fx.coordinator_co,
        Role.coordinator,
        fx.main_id if which == "main" else fx.co_id,
    )
