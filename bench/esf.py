"""The funder report on a large project: 100 000 participants with 1 000 000 journey events on
PostgreSQL, filled with bulk SQL (``generate_series``, not the ORM).

Timed in one run, each the median of ``POLKU_BENCH_ESF_ROUNDS`` (default 3):

- the whole report (:func:`engine.esf_report.build_report`, every figure);
- each export (XLSX, CSV, participant CSV), report included, disclosure rows written and then
  rolled back (so every round exports the same);
- one hand-written SQL aggregation of the same counts on the same schema (the output indicators
  by gender from the first entry, the exit results from the last exit, both by the forms each
  participant's row keeps; the funnel from ``journey.furthest_stage``; contacts by kind, the
  people met and the outcomes at close).

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
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session

from engine.esf_export import export
from engine.esf_report import ReportQuery, build_report
from engine.integrity import furthest_in_log
from engine.migrate import upgrade
from engine.models import Journey
from engine.participant_forms import DEFAULT_FORM
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


#: The same counts by hand, on the same schema (the report's floor): output indicators by gender
#: from each participant's first entry and the exit results from the last exit (the forms each
#: participant's row keeps), the funnel from each journey's furthest stage, and the activity
#: counts (contacts by kind, the people met, the outcomes at close).
HAND_SQL = """
WITH entered AS (
  SELECT e.answers, e.occurred_on, c.birth_date, coalesce(e.answers->>'gender', 'gap') AS gender
  FROM project_participant p JOIN participant_form e ON e.id = p.entry_form_id
  JOIN client c ON c.id = p.client_id
  WHERE p.project_id = :project AND e.occurred_on BETWEEN :since AND :until
), leaving AS (
  SELECT e.answers->>'gender' AS gender, l.answers
  FROM project_participant p JOIN participant_form l ON l.id = p.exit_form_id
  JOIN participant_form e ON e.id = p.entry_form_id
  WHERE p.project_id = :project AND l.occurred_on BETWEEN :since AND :until
), furthest AS (
  SELECT coalesce(j.furthest_stage, -1) AS r
  FROM journey j JOIN client c ON c.id = j.client_id
  WHERE j.pathway_key = 'client_journey' AND c.organisation_id = ANY(CAST(:orgs AS int[]))
    AND j.created_at >= :since AND j.created_at < :until + 1
), met AS (
  SELECT ce.client_id, ce.kind FROM contact_entry ce
  JOIN project_participant p ON p.client_id = ce.client_id AND p.project_id = :project
  WHERE ce.occurred_at >= :since AND ce.occurred_at < :until + 1
)
SELECT 'output' AS part, gender,
       count(*) AS total,
       count(*) FILTER (WHERE answers->>'labour_market_status' = 'unemployed') AS unemployed,
       count(*) FILTER (WHERE answers->>'labour_market_status' IN ('inactive', 'in_education')),
       count(*) FILTER (WHERE answers->>'labour_market_status' = 'employed'),
       count(*) FILTER (WHERE date_part('year', age(occurred_on, birth_date)) BETWEEN 18 AND 29),
       count(*) FILTER (WHERE date_part('year', age(occurred_on, birth_date)) >= 55),
       count(*) FILTER (WHERE answers->>'education' = 'isced_0_2'),
       count(*) FILTER (WHERE answers->>'disability' = 'yes'),
       count(*) FILTER (WHERE answers->>'homeless' = 'yes')
FROM entered GROUP BY gender
UNION ALL
SELECT 'exit', coalesce(gender, 'gap'), count(*),
       count(*) FILTER (WHERE answers->'situation' @> '["employed"]'::jsonb),
       count(*) FILTER (WHERE answers->'situation' @> '["job_searching"]'::jsonb),
       count(*) FILTER (WHERE answers->'situation' @> '["in_education"]'::jsonb),
       count(*) FILTER (WHERE answers->'situation' @> '["qualification"]'::jsonb),
       0, 0, 0, 0
FROM leaving GROUP BY 2
UNION ALL
SELECT 'funnel', r::text, count(*), 0, 0, 0, 0, 0, 0, 0, 0 FROM furthest GROUP BY r
UNION ALL
SELECT 'contacts', kind, count(*), 0, 0, 0, 0, 0, 0, 0, 0 FROM met GROUP BY kind
UNION ALL
SELECT 'people met', '', count(DISTINCT client_id), 0, 0, 0, 0, 0, 0, 0, 0 FROM met
UNION ALL
SELECT 'outcomes', ev.outcome, count(*), 0, 0, 0, 0, 0, 0, 0, 0
FROM journey_event ev JOIN journey j ON j.id = ev.journey_id
JOIN project_participant p ON p.client_id = j.client_id AND p.project_id = :project
WHERE j.pathway_key = 'client_journey' AND ev.trigger = 'close'
  AND ev.occurred_at >= :since AND ev.occurred_at < :until + 1
GROUP BY ev.outcome
"""


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

    hand_params = {
        "project": project.id,
        "since": query.since,
        "until": query.until,
        "orgs": list(project.organisation_ids),
    }

    def hand(session: Session) -> object:
        return session.execute(text(HAND_SQL), hand_params).all()

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
