"""Scale stays flat (issue 16, point 4): the caseload page, the client page and the funnel with
1 000 clients and with 100 000 clients and 1 000 000 journey events, on PostgreSQL.

Both databases are filled with bulk SQL (``generate_series``, not the ORM). The benchmark coach's
organisation holds the same 1 000 clients in both (200 of them in the coach's care team); in the
large one, 99 000 more clients belong to 49 other organisations. Every client journey has 9
events, and every fifth client a follow-on referral whose journey has 5: 10 events per client.
``journey.furthest_stage`` is then set from the event log by the same UPDATE the migration uses.

Timed through the whole app (authentication, access-log rows, queries, templates) for the pages,
and through :func:`engine.reports.funnel` for the funnel (one organisation, and all), interleaved
between the two databases in one run; medians, and the ratio large / small.

Targets: every ratio <= 1.2x; the funnel <= 30 ms for one organisation and <= 100 ms for all, on
the large database.

Environment: POLKU_BENCH_POSTGRES_URL (default: POLKU_TEST_DATABASE_URL, else the local
``postgresql+psycopg://postgres@127.0.0.1:5432/test``), POLKU_BENCH_SCALE_CLIENTS (100000),
POLKU_BENCH_SCALE_ROUNDS (40).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from engine.integrity import furthest_in_log
from engine.migrate import upgrade
from engine.models import Journey, Organisation, Role
from engine.pathway_keys import CLIENT_JOURNEY
from engine.reports import funnel
from engine.runtime import Runtime
from engine.settings import Environment, Settings
from web.app import create_app
from web.security import session_cookie_name

HOME = 1000  # the benchmark coach's organisation's clients, in both databases
CASELOAD = 200  # of them in the coach's care team
OTHER_ORGANISATIONS = 49
#: Four ways through the client journey, 9 events each (the state after each event).
PATHS = (
    ("outreach", "engaged", "assessment", "goal_setting", "individual_work",
     "group_and_individual_work", "individual_work", "paused", "individual_work"),
    ("outreach", "engaged", "assessment", "paused", "assessment", "paused", "assessment",
     "paused", "assessment"),
    ("outreach", "not_engaged", "outreach", "not_engaged", "outreach", "not_engaged", "outreach",
     "not_engaged", "outreach"),
    ("outreach", "engaged", "assessment", "goal_setting", "group_work", "paused", "group_work",
     "paused", "group_work"),
)  # fmt: skip
#: The triggers of those events.
TRIGGERS = (
    ("start", "engage", "start_assessment", "set_goals", "start_individual_work",
     "start_group_work", "finish_group_work", "pause", "resume"),
    ("start", "engage", "start_assessment", "pause", "resume", "pause", "resume", "pause",
     "resume"),
    ("start", "decline", "reach_again", "decline", "reach_again", "decline", "reach_again",
     "decline", "reach_again"),
    ("start", "engage", "start_assessment", "set_goals", "start_group_work", "pause", "resume",
     "pause", "resume"),
)  # fmt: skip
#: Two ways through a follow-on referral, 5 events each, and their triggers.
REFERRAL_PATHS = (
    ("requested", "accepted", "in_progress", "on_hold", "in_progress"),
    ("requested", "accepted", "on_hold", "in_progress", "on_hold"),
)
REFERRAL_TRIGGERS = (
    ("start", "accept", "start_work", "hold", "start_work"),
    ("start", "accept", "hold", "start_work", "hold"),
)


def database(name: str) -> str | None:
    url = os.environ.get("POLKU_BENCH_POSTGRES_URL") or os.environ.get(
        "POLKU_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
            # the planner's cost of a random page on SSD storage with the data in memory
            # (docs/operations.md): with the default 4.0 it scans all of journey for one
            # organisation's funnel instead of following ix_journey_client_id
            conn.execute(text(f'ALTER DATABASE "{name}" SET random_page_cost = 1.1'))
        admin.dispose()
    except Exception as exc:
        print(f"PostgreSQL not reachable ({type(exc).__name__}); the scale bench needs it")
        return None
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def pg_array(rows: tuple[tuple[str, ...], ...]) -> str:
    return "{" + ",".join("{" + ",".join(row) + "}" for row in rows) + "}"


def fill(runtime: Runtime, clients: int) -> tuple[int, int]:
    """The data set, in bulk SQL; returns the coach's user id and their organisation's id."""
    now = datetime.now(UTC)
    with runtime.db.write() as session:
        home = Organisation(name="Bench", kind="project", municipality_codes="261")
        partner = Organisation(name="Bench partner", kind="partner", municipality_codes="261")
        session.add_all([home, partner])
        session.flush()
        assert home.id is not None
        coach, _ = runtime.auth.create_user(
            session,
            username="bench",
            display_name="Bench Coach",
            role=Role.coach,
            organisation_id=home.id,
            password=None,
            totp=True,
        )
        assert coach.id is not None
        home_id, partner_id, coach_id = home.id, partner.id, coach.id
    params = {
        "n": clients,
        "home": HOME,
        "caseload": CASELOAD,
        "others": OTHER_ORGANISATIONS if clients > HOME else 0,
        "home_org": home_id,
        "partner": partner_id,
        "coach": coach_id,
        "start": now - timedelta(days=300),
        "paths": pg_array(PATHS),
        "referral_paths": pg_array(REFERRAL_PATHS),
        "triggers": pg_array(TRIGGERS),
        "referral_triggers": pg_array(REFERRAL_TRIGGERS),
    }
    statements = [
        """INSERT INTO organisation (name, kind, municipality_codes, created_at)
           SELECT 'Other ' || g, 'project', '261', now() FROM generate_series(1, :others) g""",
        # one coach per organisation (the home organisation's second one keeps the rest)
        """INSERT INTO app_user (username, display_name, role, organisation_id, is_active,
               created_at)
           SELECT 'coach' || o.id, 'Coach ' || o.id, 'coach', o.id, true, now()
           FROM organisation o WHERE o.name LIKE 'Other %' OR o.id = :home_org""",
        """CREATE TEMP TABLE bench_org AS
           SELECT row_number() OVER (ORDER BY o.id) - 1 AS k, o.id AS org_id, u.id AS coach_id
           FROM organisation o JOIN app_user u ON u.username = 'coach' || o.id
           WHERE o.name LIKE 'Other %'""",
        """INSERT INTO client (id, first_name, last_name, birth_date, municipality_code,
               organisation_id, participation_consent_at, created_at)
           SELECT g, 'Etu' || (g % 977), 'Suku' || lpad(((g * 7919) % 100003)::text, 6, '0'),
                  date '1970-01-01' + (g * 37 % 12000), '261',
                  CASE WHEN g <= :home THEN :home_org
                       ELSE (SELECT org_id FROM bench_org WHERE k = g % :others) END,
                  :start, :start + (g % 300) * interval '1 day'
           FROM generate_series(1, :n) g""",
        """INSERT INTO care_team (client_id, user_id, valid_from, role, created_at)
           SELECT g,
                  CASE WHEN g <= :caseload THEN :coach
                       WHEN g <= :home THEN (SELECT id FROM app_user
                                             WHERE username = 'coach' || :home_org)
                       ELSE (SELECT coach_id FROM bench_org WHERE k = g % :others) END,
                  (:start)::date, 'goal_coach', now()
           FROM generate_series(1, :n) g""",
        """INSERT INTO contact_entry (client_id, coach_id, occurred_at, kind, note,
               next_contact_on, recorded_at)
           SELECT c.client_id, c.user_id, now() - ((c.client_id * k) % 40) * interval '1 day',
                  'phone', '', current_date + (c.client_id % 9 - 4), now()
           FROM care_team c, generate_series(1, 2) k""",
        # the client journeys (id = client id), 9 events each
        """INSERT INTO journey (id, client_id, pathway_key, pathway_version, state, version,
               created_at, updated_at)
           SELECT g, g, 'client_journey', 3, (CAST(:paths AS text[]))[g % 4 + 1][9], 9,
                  :start + (g % 300) * interval '1 day', :start + (g % 300) * interval '1 day'
           FROM generate_series(1, :n) g""",
        """INSERT INTO journey_event (journey_id, seq, occurred_at, trigger, from_state,
               to_state, pathway_version, verdicts)
           SELECT j, s, :start + (j % 300) * interval '1 day' + s * interval '1 hour',
                  (CAST(:triggers AS text[]))[j % 4 + 1][s],
                  CASE WHEN s > 1 THEN (CAST(:paths AS text[]))[j % 4 + 1][s - 1] END,
                  (CAST(:paths AS text[]))[j % 4 + 1][s], 3, '[]'
           FROM generate_series(1, :n) j, generate_series(1, 9) s""",
        # every fifth client: a follow-on referral, its journey with 5 events
        """INSERT INTO journey (id, client_id, pathway_key, pathway_version, state, version,
               created_at, updated_at)
           SELECT :n + g / 5, g, 'referral', 1, (CAST(:referral_paths AS text[]))[g % 2 + 1][5],
                  5, :start + (g % 300) * interval '1 day', :start + (g % 300) * interval '1 day'
           FROM generate_series(5, :n, 5) g""",
        """INSERT INTO journey_event (journey_id, seq, occurred_at, trigger, from_state,
               to_state, pathway_version, verdicts)
           SELECT :n + g / 5, s, :start + (g % 300) * interval '1 day' + s * interval '1 hour',
                  (CAST(:referral_triggers AS text[]))[g % 2 + 1][s],
                  CASE WHEN s > 1 THEN (CAST(:referral_paths AS text[]))[g % 2 + 1][s - 1] END,
                  (CAST(:referral_paths AS text[]))[g % 2 + 1][s], 1, '[]'
           FROM generate_series(5, :n, 5) g, generate_series(1, 5) s""",
        """INSERT INTO referral (client_id, journey_id, target_key, service_type, kind,
               from_organisation_id, to_organisation_id, statutory_basis, packet, created_at,
               due_at)
           SELECT g, :n + g / 5, 'bench', 'workshop', 'follow_on', c.organisation_id, :partner,
                  'bench', '{}', c.created_at, c.created_at + interval '14 day'
           FROM generate_series(5, :n, 5) g JOIN client c ON c.id = g""",
        "SELECT setval(pg_get_serial_sequence('client', 'id'), :n)",
        "SELECT setval(pg_get_serial_sequence('journey', 'id'), :n + :n / 5 + 1)",
    ]
    with runtime.db.write() as session:
        for statement in statements:
            session.execute(text(statement), params)
        # each journey's furthest stage from its log: the migration's own UPDATE ... FROM
        journey = Journey.__table__  # type: ignore[attr-defined]
        logged = furthest_in_log(runtime.pathways).subquery()
        session.execute(
            update(journey)
            .values(furthest_stage=logged.c.furthest)
            .where(logged.c.journey_id == journey.c.id)
        )
    with runtime.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return coach_id, home_id


class Side:
    """One database with its app, its coach's session and the timed work."""

    def __init__(self, clients: int) -> None:
        url = database(f"polku_bench_scale_{clients}")
        if url is None:
            raise SystemExit(0)
        upgrade(url)
        self.settings = Settings(database_url=url, environment=Environment.production)
        self.runtime = Runtime(self.settings)
        started = time.perf_counter()
        coach_id, self.organisation_id = fill(self.runtime, clients)
        with self.runtime.db.read() as session:
            events = session.execute(text("SELECT count(*) FROM journey_event")).scalar_one()
        self.events = int(events)
        self.fill_s = time.perf_counter() - started
        with self.runtime.db.write() as session:
            token, _csrf = self.runtime.auth.start_session(session, coach_id)
        self.http = TestClient(create_app(runtime=self.runtime))
        self.http.cookies.set(session_cookie_name(self.settings), token)
        self.pathway = self.runtime.pathways.latest(CLIENT_JOURNEY)

    def page(self, url: str) -> Callable[[], None]:
        def get() -> None:
            response = self.http.get(url)
            assert response.status_code == 200, (url, response.status_code)

        return get

    def funnel(self, organisation_id: int | None) -> Callable[[], None]:
        def count() -> None:
            with self.runtime.db.read() as session:
                funnel(
                    session,
                    self.pathway,
                    organisation_ids=None if organisation_id is None else [organisation_id],
                )

        return count

    def close(self) -> None:
        self.http.close()
        self.runtime.close()


def main() -> None:
    big = int(os.environ.get("POLKU_BENCH_SCALE_CLIENTS", "100000"))
    rounds = int(os.environ.get("POLKU_BENCH_SCALE_ROUNDS", "40"))
    sides = {HOME: Side(HOME), big: Side(big)}
    for n, side in sides.items():
        print(f"{n:,} clients, {side.events:,} events: filled in {side.fill_s:.1f} s")
    client_id = CASELOAD // 2 + 1  # in the coach's care team, the same client in both
    work: dict[str, dict[int, Callable[[], None]]] = {
        "caseload page (GET /clients)": {n: s.page("/clients") for n, s in sides.items()},
        "client page (GET /clients/{id})": {
            n: s.page(f"/clients/{client_id}") for n, s in sides.items()
        },
        "funnel, one organisation": {n: s.funnel(s.organisation_id) for n, s in sides.items()},
        "funnel, all": {n: s.funnel(None) for n, s in sides.items()},
    }
    for by_side in work.values():  # warm up
        for run in by_side.values():
            run()
            run()
    samples: dict[str, dict[int, list[float]]] = {w: {n: [] for n in sides} for w in work}
    for round_ in range(rounds):
        for name, by_side in work.items():
            for n in sides if round_ % 2 else reversed(sides):
                started = time.perf_counter()
                by_side[n]()
                samples[name][n].append(time.perf_counter() - started)
    for side in sides.values():
        side.close()
    print(
        f"\nScale on PostgreSQL: {HOME:,} clients vs {big:,} clients "
        f"({sides[big].events:,} events), median ms of {rounds} rounds, interleaved, one run:"
    )
    print(f"{'what':34} {HOME:>10,} {big:>10,} {'ratio':>7}  target")
    medians: dict[str, tuple[float, float]] = {}
    for name, by_side in samples.items():
        small, large = (statistics.median(by_side[n]) * 1e3 for n in (HOME, big))
        medians[name] = (small, large)
        ratio = large / small
        if name == "funnel, all":  # counts every client: its target is absolute (below)
            verdict = f"<= 100 ms: {'ok' if large <= 100 else 'OVER'}"
        else:
            verdict = f"<= 1.2x: {'ok' if ratio <= 1.2 else 'OVER'}"
        print(f"{name:34} {small:10.1f} {large:10.1f} {ratio:7.2f}  {verdict}")
    one, every = medians["funnel, one organisation"][1], medians["funnel, all"][1]
    print(
        f"funnel at {big:,} clients: one organisation {one:.1f} ms (target <= 30: "
        f"{'ok' if one <= 30 else 'OVER'}), all {every:.1f} ms (target <= 100: "
        f"{'ok' if every <= 100 else 'OVER'})"
    )


if __name__ == "__main__":
    main()
