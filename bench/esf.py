"""The funder report on a large project: 100 000 participants with 1 000 000 journey events on
PostgreSQL, filled with bulk SQL (``generate_series``, not the ORM).

Timed in one run, each the median of ``POLKU_BENCH_ESF_ROUNDS`` (default 3):

- the whole report (:func:`engine.esf_report.build_report`, every figure);
- each export (XLSX, CSV, participant CSV), report included, disclosure rows written and then
  rolled back (so every round exports the same);
- one hand-written SQL statement of the same counts on the same schema (:data:`HAND_SQL`), checked
  first to give the report's every figure (:func:`same_figures`; the bench stops if one differs).

Targets: the report at most 2 s, and at most 1.5x the hand-written SQL.

Environment: POLKU_BENCH_POSTGRES_URL (default: POLKU_TEST_DATABASE_URL, else the local
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); POLKU_BENCH_ESF_PARTICIPANTS
(default 100000); POLKU_BENCH_ESF_ROUNDS (3) for the report and the hand-written SQL,
POLKU_BENCH_ESF_EXPORT_ROUNDS (1) for each export (an export of 100 000 participants writes
100 000 disclosure rows through the log's hash chain: a minute, not a second). PostgreSQL
only: it is the production database, and the fill uses its ``generate_series``.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session

from engine.esf_export import export
from engine.esf_report import (
    GENDERS,
    Report,
    ReportQuery,
    build_report,
    period_end,
    period_start,
)
from engine.integrity import furthest_in_log
from engine.migrate import upgrade
from engine.models import Journey
from engine.participant_forms import DEFAULT_FORM, LongTermRule
from engine.participants import refresh_picks
from engine.projects import ImplementerInput, ProjectInput, ProjectView, create_project
from engine.runtime import Runtime
from engine.settings import Environment, Settings

EVENTS_PER_JOURNEY = 10
STATES = (
    "outreach",
    "engaged",
    "assessment",
    "goal_setting",
    "group_work",
    "individual_work",
    "referred",
    "on_pathway",
    "paused",
    "closed",
)


def postgres_url() -> str | None:
    url = os.environ.get("POLKU_BENCH_POSTGRES_URL") or os.environ.get(
        "POLKU_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "polku_bench_esf" WITH (FORCE)'))
            conn.execute(text('CREATE DATABASE "polku_bench_esf"'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}); the ESF+ bench needs it")
        return None
    return make_url(url).set(database="polku_bench_esf").render_as_string(hide_password=False)


def fill(runtime: Runtime, participants: int, today: date) -> ProjectView:
    """The project (a main implementer and two co-implementers) and its participants, with bulk
    SQL: clients, client journeys with ten events each, participants, entry forms for all,
    exit forms for half, follow-ups for a fifth, two contacts each."""
    start = today - timedelta(days=365)
    with runtime.db.write() as session:
        project = create_project(
            session,
            ProjectInput(
                code="BENCH",
                name="Bench",
                starts_on=start,
                ends_on=today + timedelta(days=365),
                form_key=DEFAULT_FORM,
                funder="Bench funder",
                planned_participants=participants,
                main=ImplementerInput(organisation="Bench main", municipality_codes=["261"]),
                co_implementers=[
                    ImplementerInput(organisation="Bench co 1", municipality_codes=["580"]),
                    ImplementerInput(organisation="Bench co 2", municipality_codes=["700"]),
                ],
            ),
            forms=runtime.forms,
            municipalities=set(runtime.municipalities),
            now=datetime.now(UTC),
        )
    orgs = [i.organisation_id for i in project.implementers]
    codes = [i.municipality_codes[0] for i in project.implementers]
    params = {
        "n": participants,
        "o0": orgs[0],
        "o1": orgs[1],
        "o2": orgs[2],
        "m0": codes[0],
        "m1": codes[1],
        "m2": codes[2],
        "start": datetime.combine(start, datetime.min.time(), UTC),
        "project": project.id,
        "key": DEFAULT_FORM,
        "states": list(STATES),
        "events": EVENTS_PER_JOURNEY,
    }
    statements = [
        # clients: one in three per implementer, ages 17-64, found in seven ways
        """INSERT INTO client (id, first_name, last_name, birth_date, municipality_code,
               organisation_id, found_via, created_at)
           SELECT g, 'B', 'B' || g, date '1960-01-01' + (g * 37 % 17000),
                  (ARRAY[:m0, :m1, :m2])[g % 3 + 1], (ARRAY[:o0, :o1, :o2])[g % 3 + 1],
                  (ARRAY['diaconia','social_work','employment_services','health_care',
                         'self_referred','street_outreach','other'])[g % 7 + 1],
                  :start + (g % 300) * interval '1 day'
           FROM generate_series(1, :n) g""",
        """INSERT INTO journey (id, client_id, pathway_key, pathway_version, state, version,
               created_at, updated_at)
           SELECT g, g, 'client_journey', 2, 'closed', :events,
                  :start + (g % 300) * interval '1 day', :start + (g % 300) * interval '1 day'
           FROM generate_series(1, :n) g""",
        # ten events per journey: a journey reaches the state of its seq (some stop earlier)
        """INSERT INTO journey_event (journey_id, seq, occurred_at, trigger, from_state, to_state,
               pathway_version, verdicts)
           SELECT j, s, :start + (j % 300) * interval '1 day' + s * interval '1 hour', 'bench',
                  CASE WHEN s = 1 THEN NULL
                       ELSE (CAST(:states AS text[]))[LEAST(s - 1, 2 + j % 8)] END,
                  (CAST(:states AS text[]))[LEAST(s, 2 + j % 8)], 2, '[]'
           FROM generate_series(1, :n) j, generate_series(1, :events) s""",
        """INSERT INTO project_participant (id, project_id, client_id, number, organisation_id,
               created_at)
           SELECT g, :project, g, g, (ARRAY[:o0, :o1, :o2])[g % 3 + 1], now()
           FROM generate_series(1, :n) g""",
        """INSERT INTO participant_form (participant_id, kind, form_key, form_version,
               occurred_on, answers, recorded_at)
           SELECT g, 'entry', :key, 1, (:start + (g % 300) * interval '1 day')::date,
                  json_build_object(
                    'gender', (ARRAY['woman','man','non_binary','declined'])[g % 4 + 1],
                    'labour_market_status',
                        (ARRAY['unemployed','inactive','in_education','employed'])[g % 4 + 1],
                    'unemployed_since', ((:start + (g % 300) * interval '1 day')::date
                                         - (g % 700))::text,
                    'education', (ARRAY['isced_0_2','isced_3_4','isced_5_8'])[g % 3 + 1],
                    'disability', (ARRAY['yes','no','declined'])[g % 3 + 1],
                    'homeless', (ARRAY['yes','no'])[g % 2 + 1],
                    'rural', (ARRAY['yes','no'])[g % 2 + 1]),
                  now()
           FROM generate_series(1, :n) g""",
        """INSERT INTO participant_form (participant_id, kind, form_key, form_version,
               occurred_on, answers, follow_up_due_on, recorded_at)
           SELECT g, 'exit', :key, 1, (:start + (g % 300 + 30) * interval '1 day')::date,
                  json_build_object('situation', json_build_array(
                    (ARRAY['job_searching','in_education','qualification','employed','none'])
                    [g % 5 + 1])),
                  (:start + (g % 300 + 210) * interval '1 day')::date, now()
           FROM generate_series(1, :n, 2) g""",
        """INSERT INTO participant_form (participant_id, kind, form_key, form_version,
               occurred_on, answers, recorded_at)
           SELECT g, 'follow_up', :key, 1, (:start + (g % 300 + 40) * interval '1 day')::date,
                  json_build_object('situation', json_build_array('employed')), now()
           FROM generate_series(1, :n, 10) g""",
        """INSERT INTO contact_entry (client_id, coach_id, occurred_at, kind, note, recorded_at)
           SELECT g, (SELECT min(id) FROM app_user),
                  :start + (g % 300) * interval '1 day' + k * interval '3 day',
                  (ARRAY['home_visit','meeting','phone','remote','escorted','street_outreach'])
                  [(g + k) % 6 + 1], '', now()
           FROM generate_series(1, :n) g, generate_series(1, 2) k""",
    ]
    with runtime.db.write() as session:
        session.execute(
            text(
                "INSERT INTO app_user (username, display_name, role, organisation_id, is_active,"
                " created_at) VALUES ('bench', 'Bench', 'coach', :o0, true, now())"
            ),
            {"o0": orgs[0]},
        )
        for statement in statements:
            session.execute(text(statement), params)
        # each journey's furthest stage on its row, as the engine keeps it with every event and
        # the migration backfilled it: from the log, by the pathway files' funnel ranks
        logged = furthest_in_log(runtime.pathways).subquery()
        journeys = Journey.__table__  # type: ignore[attr-defined]
        session.execute(
            update(journeys)
            .where(journeys.c.id == logged.c.journey_id)
            .values(furthest_stage=logged.c.furthest)
        )
        # and each participant's picked forms, as record_form keeps them
        refresh_picks(session)
        for table in ("client", "journey", "project_participant"):
            session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :n)"), params
            )
    with runtime.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return project


#: The same counts by hand, on the same schema, in one statement (the report's floor): every
#: output indicator by gender with its declined and gaps from each participant's first entry, the
#: exit and six-month results from the last exit and follow-up (the forms each participant's row
#: keeps), the entered / left / followed-up / covered totals and the entered so far by
#: implementer and way found; the funnel from each journey's furthest stage (and its follow-on
#: referrals'); follow-on pathways by type, outcomes at close, contacts by kind, the people met,
#: group attendance, qualifications and Kykyviisari coverage. :func:`same_figures` checks that it
#: and the report agree on each of them. (The GAS change and the events' sessions are left out:
#: the one is T-score arithmetic, not a count, and the bench has no goals and no events.)
HAND_SQL = """
WITH people AS MATERIALIZED (
  SELECT p.organisation_id AS org, c.found_via, c.client_id,
         e.occurred_on AS entry_on, x.occurred_on AS exit_on, f.occurred_on AS follow_on,
         CASE WHEN e.answers->>'gender' IN ('woman', 'man', 'non_binary', 'declined')
              THEN e.answers->>'gender' ELSE 'gap' END AS gender,
         e.answers->>'labour_market_status' AS status,
         nullif(e.answers->>'unemployed_since', '') AS since,
         CAST(date_part('year', age(e.occurred_on, c.birth_date)) AS int) AS age,
         e.answers->>'education' AS education, e.answers->>'disability' AS disability,
         e.answers->>'third_country_national' AS tcn,
         e.answers->>'foreign_background' AS foreign_bg, e.answers->>'minority' AS minority,
         e.answers->>'homeless' AS homeless, e.answers->>'rural' AS rural,
         x.answers->'situation' AS exit_sit, f.answers->'situation' AS follow_sit
  FROM project_participant p
  JOIN (SELECT id AS client_id, found_via, birth_date FROM client) c ON c.client_id = p.client_id
  LEFT JOIN participant_form e ON e.id = p.entry_form_id
  LEFT JOIN participant_form x ON x.id = p.exit_form_id
  LEFT JOIN participant_form f ON f.id = p.follow_up_form_id AND f.occurred_on >= x.occurred_on
  WHERE p.project_id = :project
), judged AS MATERIALIZED (
  SELECT *, entry_on BETWEEN :since AND :until AS entered,
         coalesce(exit_on BETWEEN :since AND :until, false) AS exited,
         coalesce(follow_on BETWEEN :since AND :until, false) AS followed,
         status = 'unemployed' AND since IS NOT NULL
           AND CAST(since AS date) + make_interval(months => CASE WHEN age < :young_below
               THEN :young_months ELSE :months END) < entry_on AS long_term
  FROM people
), indicators AS (
  SELECT gender, org, found_via,
    count(*) FILTER (WHERE entered) AS entered,
    count(*) FILTER (WHERE exited) AS exited,
    count(*) FILTER (WHERE followed) AS followed,
    count(*) FILTER (WHERE entered OR exited OR followed) AS in_report,
    count(*) FILTER (WHERE entry_on <= :until) AS so_far,
    -- outputs: [n, declined, gaps] of each, among the entered
    count(*) FILTER (WHERE entered AND status = 'unemployed') AS unemployed,
    count(*) FILTER (WHERE entered AND status IS NULL) AS unemployed_gaps,
    count(*) FILTER (WHERE entered AND long_term) AS long_term_unemployed,
    count(*) FILTER (WHERE entered AND (status IS NULL OR status = 'unemployed' AND since IS NULL))
      AS long_term_unemployed_gaps,
    count(*) FILTER (WHERE entered AND status IN ('inactive', 'in_education')) AS inactive,
    count(*) FILTER (WHERE entered AND status IS NULL) AS inactive_gaps,
    count(*) FILTER (WHERE entered AND status = 'employed') AS employed,
    count(*) FILTER (WHERE entered AND status IS NULL) AS employed_gaps,
    count(*) FILTER (WHERE entered AND age BETWEEN 0 AND 17) AS below_18,
    count(*) FILTER (WHERE entered AND age IS NULL) AS below_18_gaps,
    count(*) FILTER (WHERE entered AND age BETWEEN 18 AND 29) AS age_18_29,
    count(*) FILTER (WHERE entered AND age IS NULL) AS age_18_29_gaps,
    count(*) FILTER (WHERE entered AND age >= 55) AS age_55_plus,
    count(*) FILTER (WHERE entered AND age IS NULL) AS age_55_plus_gaps,
    count(*) FILTER (WHERE entered AND education = 'isced_0_2') AS isced_0_2,
    count(*) FILTER (WHERE entered AND education = 'declined') AS isced_0_2_declined,
    count(*) FILTER (WHERE entered AND education IS NULL) AS isced_0_2_gaps,
    count(*) FILTER (WHERE entered AND education = 'isced_3_4') AS isced_3_4,
    count(*) FILTER (WHERE entered AND education = 'declined') AS isced_3_4_declined,
    count(*) FILTER (WHERE entered AND education IS NULL) AS isced_3_4_gaps,
    count(*) FILTER (WHERE entered AND education = 'isced_5_8') AS isced_5_8,
    count(*) FILTER (WHERE entered AND education = 'declined') AS isced_5_8_declined,
    count(*) FILTER (WHERE entered AND education IS NULL) AS isced_5_8_gaps,
    count(*) FILTER (WHERE entered AND disability = 'yes') AS disability,
    count(*) FILTER (WHERE entered AND disability = 'declined') AS disability_declined,
    count(*) FILTER (WHERE entered AND disability IS NULL) AS disability_gaps,
    count(*) FILTER (WHERE entered AND tcn = 'yes') AS third_country_national,
    count(*) FILTER (WHERE entered AND tcn = 'declined') AS third_country_national_declined,
    count(*) FILTER (WHERE entered AND tcn IS NULL) AS third_country_national_gaps,
    count(*) FILTER (WHERE entered AND foreign_bg = 'yes') AS foreign_background,
    count(*) FILTER (WHERE entered AND foreign_bg = 'declined') AS foreign_background_declined,
    count(*) FILTER (WHERE entered AND foreign_bg IS NULL) AS foreign_background_gaps,
    count(*) FILTER (WHERE entered AND minority = 'yes') AS minority,
    count(*) FILTER (WHERE entered AND minority = 'declined') AS minority_declined,
    count(*) FILTER (WHERE entered AND minority IS NULL) AS minority_gaps,
    count(*) FILTER (WHERE entered AND homeless = 'yes') AS homeless,
    count(*) FILTER (WHERE entered AND homeless = 'declined') AS homeless_declined,
    count(*) FILTER (WHERE entered AND homeless IS NULL) AS homeless_gaps,
    count(*) FILTER (WHERE entered AND rural = 'yes') AS rural,
    count(*) FILTER (WHERE entered AND rural = 'declined') AS rural_declined,
    count(*) FILTER (WHERE entered AND rural IS NULL) AS rural_gaps,
    -- results at exit (among the left) and at six months (among the followed up)
    count(*) FILTER (WHERE exited AND exit_sit ? 'job_searching') AS exit_job_searching,
    count(*) FILTER (WHERE exited AND exit_sit IS NULL) AS exit_job_searching_gaps,
    count(*) FILTER (WHERE exited AND exit_sit ? 'in_education') AS exit_in_education,
    count(*) FILTER (WHERE exited AND exit_sit IS NULL) AS exit_in_education_gaps,
    count(*) FILTER (WHERE exited AND exit_sit ? 'qualification') AS exit_qualification,
    count(*) FILTER (WHERE exited AND exit_sit IS NULL) AS exit_qualification_gaps,
    count(*) FILTER (WHERE exited AND exit_sit ? 'employed') AS exit_employed,
    count(*) FILTER (WHERE exited AND exit_sit IS NULL) AS exit_employed_gaps,
    count(*) FILTER (WHERE followed AND follow_sit ? 'employed') AS follow_up_employed,
    count(*) FILTER (WHERE followed AND follow_sit IS NULL) AS follow_up_employed_gaps
  FROM judged GROUP BY gender, org, found_via
), referred AS (
  SELECT r.client_id, max(rj.furthest_stage) AS furthest
  FROM referral r JOIN journey rj ON rj.id = r.journey_id
  WHERE r.kind = 'follow_on' GROUP BY r.client_id
), furthest AS MATERIALIZED (
  SELECT greatest(coalesce(j.furthest_stage, -1), coalesce(rf.furthest, -1)) AS r
  FROM journey j JOIN client c ON c.id = j.client_id
  LEFT JOIN referred rf ON rf.client_id = j.client_id
  WHERE j.pathway_key = 'client_journey' AND c.organisation_id = ANY(CAST(:orgs AS int[]))
    AND c.municipality_code = ANY(CAST(:codes AS text[]))
    AND j.created_at >= :start AND j.created_at < :end
), participants AS (
  SELECT client_id FROM project_participant WHERE project_id = :project
), met AS MATERIALIZED (
  SELECT ce.client_id, ce.kind FROM contact_entry ce
  JOIN project_participant p ON p.client_id = ce.client_id AND p.project_id = :project
  WHERE ce.occurred_at >= :start AND ce.occurred_at < :end
), covered AS (
  SELECT client_id FROM judged WHERE entered OR exited OR followed
), latest_mark AS (
  SELECT DISTINCT ON (am.session_id, am.membership_id) am.present, gm.client_id
  FROM attendance_mark am JOIN group_membership gm ON gm.id = am.membership_id
  JOIN group_session gs ON gs.id = am.session_id
  WHERE gm.client_id IN (SELECT client_id FROM participants)
    AND gs.starts_at >= :start AND gs.starts_at < :end
  ORDER BY am.session_id, am.membership_id, am.id DESC
)
SELECT
  (SELECT json_agg(indicators) FROM indicators) AS indicators,
  (SELECT json_build_array(count(*) FILTER (WHERE r >= 0), count(*) FILTER (WHERE r >= 1),
     count(*) FILTER (WHERE r >= 2), count(*) FILTER (WHERE r >= 3),
     count(*) FILTER (WHERE r >= 4), count(*) FILTER (WHERE r >= 5)) FROM furthest) AS funnel,
  (SELECT json_object_agg(service_type, n) FROM (
     SELECT service_type, count(DISTINCT client_id) AS n FROM referral
     WHERE client_id IN (SELECT client_id FROM participants)
       AND created_at >= :start AND created_at < :end GROUP BY service_type) t) AS pathways,
  (SELECT json_object_agg(coalesce(outcome, 'gap'), n) FROM (
     SELECT ev.outcome, count(*) AS n FROM journey_event ev JOIN journey j ON j.id = ev.journey_id
     WHERE j.client_id IN (SELECT client_id FROM participants)
       AND j.pathway_key = 'client_journey' AND ev.trigger = 'close'
       AND ev.occurred_at >= :start AND ev.occurred_at < :end GROUP BY ev.outcome) t) AS outcomes,
  (SELECT json_object_agg(kind, n) FROM (SELECT kind, count(*) AS n FROM met GROUP BY kind) t)
    AS contacts,
  (SELECT count(DISTINCT client_id) FROM met) AS people_met,
  (SELECT json_build_array(count(*) FILTER (WHERE present), count(*),
     count(DISTINCT client_id) FILTER (WHERE present)) FROM latest_mark) AS attendance,
  (SELECT json_build_array(count(DISTINCT client_id), count(*)) FROM qualification
   WHERE client_id IN (SELECT client_id FROM participants)
     AND gained_on BETWEEN :since AND :until) AS qualifications,
  (SELECT count(DISTINCT a.client_id) FROM assessment a
   JOIN assessment_score s ON s.assessment_id = a.id AND s.item = 'overall_work_ability'
   JOIN covered cv ON cv.client_id = a.client_id
   WHERE a.instrument = 'kykyviisari') AS kyky_with
"""


def hand_parameters(project: ProjectView, query: ReportQuery, rule: LongTermRule) -> dict[str, Any]:
    """:data:`HAND_SQL`'s parameters for the report's ``query`` on ``project``."""
    return {
        "project": project.id,
        "since": query.since,
        "until": query.until,
        # the report's days are local days (its period's moments, as the report takes them)
        "start": period_start(query),
        "end": period_end(query),
        "orgs": list(project.organisation_ids),
        "codes": list(project.municipality_codes),
        "months": rule.months,
        "young_below": rule.young_below_age,
        "young_months": rule.young_months,
    }


def hand_counts(session: Session, params: dict[str, Any]) -> Any:
    """The one row of :data:`HAND_SQL`."""
    return session.execute(text(HAND_SQL), params).one()


def same_figures(report: Report, hand: Any) -> list[str]:
    """Where the report and the hand-written SQL's row disagree (empty: every figure the same)."""
    got: dict[str, object] = {}
    want: dict[str, object] = {}
    indicators = hand.indicators or []
    for what in ("entered", "exited", "followed", "in_report"):
        got[what] = sum(r[what] for r in indicators)
    want.update(
        entered=report.entered,
        exited=report.exited,
        followed=report.followed_up,
        in_report=report.participant_count,
    )
    for figure in [*report.outputs, *report.results_exit, *report.results_six_months]:
        want[figure.key] = (figure.by_gender, figure.declined, figure.gaps)
        by_gender = dict.fromkeys(GENDERS, 0)
        if figure.key == "total":
            for r in indicators:
                by_gender[r["gender"]] += r["entered"]
            got[figure.key] = (by_gender, 0, 0)
            continue
        for r in indicators:
            by_gender[r["gender"]] += r[figure.key]
        declined = sum(r.get(f"{figure.key}_declined", 0) for r in indicators)
        gaps = sum(r[f"{figure.key}_gaps"] for r in indicators)
        got[figure.key] = (by_gender, declined, gaps)
    so_far: Counter[int | None] = Counter()
    found_via: Counter[str] = Counter()
    for r in indicators:
        so_far[r["org"]] += r["so_far"]
        found_via[r["found_via"] or "gap"] += r["entered"]
    want["planned"] = {p.organisation_id: p.actual for p in report.planned}
    planned: dict[int | None, int] = {None: so_far.total()}
    planned.update(so_far)
    got["planned"] = planned
    got["found_via"] = {k: n for k, n in found_via.items() if n}
    want["found_via"] = {k: n for k, n in report.found_via if n}
    got["funnel"] = list(hand.funnel)
    want["funnel"] = [n for _stage, n in report.funnel]
    for name, hand_counts, report_counts in (
        ("pathways", hand.pathways, report.pathways),
        ("outcomes", hand.outcomes, report.outcomes),
        ("contacts", hand.contacts, report.contacts),
    ):
        got[name] = {k: n for k, n in (hand_counts or {}).items() if n}
        want[name] = {k: n for k, n in report_counts if n}
    got["people met"] = hand.people_met
    want["people met"] = report.contacts_participants
    got["attendance"] = list(hand.attendance)
    want["attendance"] = [
        report.attendance_present,
        report.attendance_marked,
        report.attendance_participants,
    ]
    got["qualifications"] = list(hand.qualifications)
    want["qualifications"] = [report.qualified_participants, report.qualifications_gained]
    got["kykyviisari"] = hand.kyky_with
    want["kykyviisari"] = report.kyky_with
    return [
        f"{k}: report {want[k]!r}, hand SQL {got.get(k)!r}" for k in want if got.get(k) != want[k]
    ]


def timed(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def interleaved(works: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """The median of each, run in turns (a round runs each once), so that the load of a shared
    machine falls on all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in works}
    for _ in range(rounds):
        for name, work in works.items():
            started = time.perf_counter()
            work()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def main() -> None:
    url = postgres_url()
    if url is None:
        return
    participants = int(os.environ.get("POLKU_BENCH_ESF_PARTICIPANTS", "100000"))
    rounds = int(os.environ.get("POLKU_BENCH_ESF_ROUNDS", "3"))
    export_rounds = int(os.environ.get("POLKU_BENCH_ESF_EXPORT_ROUNDS", "1"))
    settings = Settings(database_url=url, environment=Environment.test)
    upgrade(url)
    runtime = Runtime(settings)
    today = datetime.now(UTC).date()
    started = time.perf_counter()
    project = fill(runtime, participants, today)
    print(
        f"\nESF+ report: {participants} participants, {participants * EVENTS_PER_JOURNEY} "
        f"events, filled in {time.perf_counter() - started:.1f} s"
    )
    query = ReportQuery(project_id=project.id, since=today - timedelta(days=365), until=today)
    pathway = runtime.pathways.latest("client_journey")

    def report(session: Session) -> object:
        return build_report(
            session,
            project,
            query,
            forms=runtime.forms,
            pathway=pathway,
            rho=0.3,
            small_cell=5,
        )

    def in_rolled_back(work: Callable[[Session], object]) -> Callable[[], object]:
        def run() -> object:
            with Session(runtime.db.engine) as session:
                try:
                    return work(session)
                finally:
                    session.rollback()

        return run

    def exporting(fmt: str) -> Callable[[Session], object]:
        def run(session: Session) -> object:
            return export(
                session,
                report(session),  # type: ignore[arg-type]
                fmt=fmt,  # type: ignore[arg-type]
                exact=False,
                principal=None,
                organisation_names={i.organisation_id: i.name for i in project.implementers},
                now=datetime.now(UTC),
            )

        return run

    params = hand_parameters(project, query, runtime.forms[project.form_key].long_term)

    def hand(session: Session) -> object:
        return hand_counts(session, params)

    with Session(runtime.db.engine) as session:
        differ = same_figures(report(session), hand(session))  # type: ignore[arg-type]
    if differ:
        raise SystemExit(
            "the hand-written SQL and the report disagree (no timing of different counts):\n  "
            + "\n  ".join(differ)
        )
    print("the hand-written SQL gives the report's every figure: checked")

    results = interleaved(
        {"report": in_rolled_back(report), "hand-written SQL": in_rolled_back(hand)}, rounds
    )
    for fmt in ("csv", "xlsx", "participants_csv"):
        results[f"export {fmt}"] = timed(in_rolled_back(exporting(fmt)), export_rounds)
    runtime.close()
    hand_s = results["hand-written SQL"]
    ratio = results["report"] / hand_s
    print(f"{'what':24} {'median s':>9} {'/ hand SQL':>11}")
    for name, seconds in results.items():
        print(f"{name:24} {seconds:9.2f} {seconds / hand_s:10.2f}x")
    verdict_time = "ok" if results["report"] <= 2 else "OVER"
    verdict_ratio = "ok" if ratio <= 1.5 else "OVER"
    print(f"report <= 2 s: {verdict_time}; report / hand-written SQL = {ratio:.2f}x "
          f"(target <= 1.5x): {verdict_ratio}")  # fmt: skip


if __name__ == "__main__":
    main()
