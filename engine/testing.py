"""Pytest fixtures for Polku and its plugins (``pytest_plugins = ["engine.testing"]``).

Every database test runs once per backend: SQLite always, PostgreSQL when
``POLKU_TEST_DATABASE_URL`` is set. Under CI (``CI=true``) an unreachable PostgreSQL is an error,
never a skip.

- SQLite: the schema is migrated once per test session into a template file, which each test
  copies (it is not live, so a file copy is safe).
- PostgreSQL: one database per xdist worker, migrated once; each test starts from empty tables.
  A module-scoped database (``module_database_url``) is a ``CREATE DATABASE ... TEMPLATE`` copy
  of a per-worker template migrated once.

Fixtures: ``database_url``, ``module_database_url`` (one migrated copy shared by a module's
tests), ``runtime`` (a :class:`~engine.runtime.Runtime` on a fresh database),
``make_runtime`` (build one with a chosen plugin manager or clock), ``runtime_with`` (your
plugin registered on a fresh manager, with a database: what a plugin author's tests start from),
``new_client`` (makes a client with a journey). The web app's fixtures (``web_app``, ``api``,
``api_as``) are in :mod:`web.testing`: the engine never imports the web layer.

Helpers: :func:`plugin_manager_with`, :func:`make_organisation`, :func:`make_user`,
:func:`make_client` (optionally kept by an organisation with a care team),
:func:`totp_code`, :func:`record_facts`, :func:`referral_options_of`, :func:`ready_for_goal_setting`
(what a journey needs before ``set_goals``: a GAS goal with all five levels described),
:func:`move_journey_to` (a journey to a state, every rule asked), :func:`transition_verdicts`,
:func:`assert_denied` ("this move is denied by this rule") and :func:`assert_allowed`.

Installed with Polku as the pytest plugin ``engine.testing`` (entry point group ``pytest11``), so
a plugin package's own tests get these fixtures without any conftest.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pluggy
import pyotp
import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, col

from engine.clock import Clock
from engine.db import Database
from engine.goals import add_goal, has_described_goal
from engine.guards import Verdict
from engine.migrate import upgrade
from engine.models import CareTeam, Client, Journey, Organisation, OrganisationKind, Role, User
from engine.pathway_keys import CLIENT_JOURNEY
from engine.plugins import build_plugin_manager, refuse_wrappers
from engine.referral_options import UNAVAILABLE
from engine.rules import ReferralOption
from engine.runtime import Runtime
from engine.settings import Environment, Settings

PG_ENV = "POLKU_TEST_DATABASE_URL"
#: The password :func:`make_user` gives every test user.
TEST_PASSWORD = "testi-salasana-123"  # noqa: S105 (fictional test users only)
#: The origin the test client sends requests from (``http://testserver``), allowed in tests.
TEST_ORIGIN = "http://testserver"


def backends() -> list[str]:
    return ["sqlite", "postgresql"] if os.environ.get(PG_ENV) else ["sqlite"]


def worker_suffix() -> str:
    """A database-name suffix unique per checkout and xdist worker (parallel runs never collide)."""
    import hashlib

    from engine.settings import ROOT

    checkout = hashlib.sha1(str(ROOT).encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{checkout}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "polku.db"
    upgrade(f"sqlite:///{path}")
    return path


#: The PostgreSQL roles the tests use (engine/roles.py): migrations run as the owner, the app
#: (every ``database_url`` a test gets) as a role that owns nothing and is no superuser.
OWNER_ROLE = "polku_owner"
APP_ROLE = "polku_app"


def owner_url_of(url: str) -> str:
    """The owner's URL of a test database URL (the same URL on SQLite)."""
    if not url.startswith("postgresql"):
        return url
    return make_url(url).set(username=OWNER_ROLE).render_as_string(hide_password=False)


def postgres_database(name: str) -> tuple[str, str]:
    """(Re)create the PostgreSQL database ``name`` owned by the owner role, migrate it as the
    owner and grant the app role; return (superuser URL, app URL) of it."""
    from engine.roles import ensure_roles

    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")  # only reached when parametrised without it
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        ensure_roles(base, owner=OWNER_ROLE, app=APP_ROLE)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER {OWNER_ROLE}'))
    except Exception as exc:  # unreachable PostgreSQL must fail loudly, never skip
        pytest.fail(f"PostgreSQL at {url.render_as_string(hide_password=True)} unreachable: {exc}")
    finally:
        admin.dispose()
    superuser = url.set(database=name)
    upgrade(
        superuser.set(username=OWNER_ROLE).render_as_string(hide_password=False),
        app_role=APP_ROLE,
    )
    app = superuser.set(username=APP_ROLE).render_as_string(hide_password=False)
    return superuser.render_as_string(hide_password=False), app


def copy_postgres_database(template: str, name: str) -> tuple[str, str]:
    """(Re)create the PostgreSQL database ``name`` as a copy of the migrated database
    ``template`` (``CREATE DATABASE ... TEMPLATE``: a file copy, no migration); return
    (superuser URL, app URL) of it. Nobody may be connected to ``template``."""
    base = os.environ[PG_ENV]
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" OWNER {OWNER_ROLE}'))
    finally:
        admin.dispose()
    superuser = url.set(database=name)
    app = superuser.set(username=APP_ROLE).render_as_string(hide_password=False)
    return superuser.render_as_string(hide_password=False), app


def drop_postgres_database(name: str) -> None:
    base = os.environ[PG_ENV]
    admin = create_engine(make_url(base), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def _postgres_urls() -> Iterator[tuple[str, str]]:
    """(superuser URL, app URL) of this worker's migrated PostgreSQL database."""
    name = f"polku_test_{worker_suffix()}"
    urls = postgres_database(name)
    yield urls
    emptier = _EMPTIERS.pop(str(urls[0]), None)
    if emptier is not None:
        emptier[0].dispose()
    drop_postgres_database(name)


@pytest.fixture(scope="session")
def _postgres_template() -> Iterator[str]:
    """The name of this worker's migrated PostgreSQL template database (nobody connects to it
    after its migration: :func:`copy_postgres_database` copies it)."""
    name = f"polku_template_{worker_suffix()}"
    postgres_database(name)
    yield name
    drop_postgres_database(name)


_module_databases = itertools.count(1)


@pytest.fixture(scope="module", params=backends())
def module_database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A freshly migrated, empty database on each backend shared by the tests of one module
    that ask for it (a world built once per module, e.g. the authorisation matrix): a copy of
    the session's migrated template (SQLite: a file copy; PostgreSQL: ``CREATE DATABASE ...
    TEMPLATE``), never a migration of its own. The tests sharing it must not depend on each
    other's writes."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        target = tmp_path_factory.mktemp("module") / "polku.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    name = f"polku_module_{worker_suffix()}_{next(_module_databases)}"
    _superuser, app = copy_postgres_database(request.getfixturevalue("_postgres_template"), name)
    yield app
    drop_postgres_database(name)


@pytest.fixture
def another_database(
    request: pytest.FixtureRequest, module_database_url: str, tmp_path: Path
) -> Iterator[Callable[[], str]]:
    """``another_database()``: another freshly migrated, empty database on the backend of this
    module's ``module_database_url`` (for the one test of a module that needs a world of its
    own); dropped after the test."""
    made: list[str] = []

    def make() -> str:
        if not module_database_url.startswith("postgresql"):
            target = tmp_path / f"fresh{len(made)}.db"
            shutil.copyfile(request.getfixturevalue("_sqlite_template"), target)
            made.append(str(target))
            return f"sqlite:///{target}"
        name = f"polku_fresh_{worker_suffix()}_{next(_module_databases)}"
        made.append(name)
        return copy_postgres_database(request.getfixturevalue("_postgres_template"), name)[1]

    yield make
    if module_database_url.startswith("postgresql"):
        for name in made:
            drop_postgres_database(name)


#: Per superuser URL: an engine kept for the whole run and the one script that empties its
#: database (built once: the tables and sequences do not change during a run).
_EMPTIERS: dict[str, tuple[Engine, str]] = {}


def _truncate_postgres(url: str) -> None:
    """Empty every table and restart every sequence, as the superuser with triggers off for this
    transaction only (the append-only logs refuse a DELETE otherwise, and the foreign keys'
    triggers are off too, so the order does not matter). DELETE rather than TRUNCATE: a test
    database holds a few rows, and TRUNCATE's new files for ~60 tables and their indexes cost
    ~0.25 s per test where this costs a few ms; one script, one round trip."""
    known = _EMPTIERS.get(url)
    if known is None:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        with engine.connect() as conn:
            tables = (
                conn.execute(
                    text(
                        "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                        "AND tablename <> 'alembic_version' ORDER BY tablename"
                    )
                )
                .scalars()
                .all()
            )
            sequences = (
                conn.execute(
                    text(
                        "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' "
                        "ORDER BY sequencename"
                    )
                )
                .scalars()
                .all()
            )
        lines = ["SET LOCAL session_replication_role = replica"]
        lines += [f'DELETE FROM "{table}"' for table in tables]  # noqa: S608 (catalog names)
        if sequences:
            lines.append(
                "SELECT " + ", ".join(f"setval('\"{seq}\"', 1, false)" for seq in sequences)
            )
        known = _EMPTIERS[url] = (engine, ";\n".join(lines))
    engine, script = known
    with engine.begin() as conn:
        conn.exec_driver_sql(script)


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database on each backend, as the app connects to it (on
    PostgreSQL: the app role; :func:`owner_url_of` gives the owner's URL)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "polku.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    superuser, app = request.getfixturevalue("_postgres_urls")
    _truncate_postgres(superuser)
    return str(app)


@pytest.fixture
def owner_database_url(database_url: str) -> str:
    """The same database as the schema owner connects to it (migrations, retention)."""
    return owner_url_of(database_url)


def settings_for_tests(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "owner_database_url": owner_url_of(database_url),
        "environment": Environment.test,
        "sqlite_synchronous": "NORMAL",
        "pool_size": 40,
        "allowed_origins": TEST_ORIGIN,
        # cheap argon2 in tests only (production keeps the argon2-cffi defaults)
        "password_time_cost": 1,
        "password_memory_kib": 8,
        "password_parallelism": 1,
    }
    values.update(overrides)
    return Settings(**values)


def runtime_for_tests(
    database_url: str,
    *,
    plugin_manager: pluggy.PluginManager | None = None,
    clock: Clock | None = None,
    **settings: Any,
) -> Runtime:
    """A runtime with test settings on ``database_url`` (the caller closes it); what
    ``make_runtime`` builds, for fixtures of a wider scope (``module_database_url``)."""
    s = settings_for_tests(database_url, **settings)
    return Runtime(
        s,
        plugin_manager=plugin_manager,
        database=Database(
            s.database_url, pool_size=s.pool_size, sqlite_synchronous=s.sqlite_synchronous
        ),
        clock=clock,
    )


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes on this test's database, e.g. ``make_runtime(plugin_manager=pm)``."""
    made: list[Runtime] = []

    def make(
        *,
        plugin_manager: pluggy.PluginManager | None = None,
        clock: Clock | None = None,
        **settings: Any,
    ) -> Runtime:
        runtime = runtime_for_tests(
            database_url, plugin_manager=plugin_manager, clock=clock, **settings
        )
        made.append(runtime)
        return runtime

    yield make
    for runtime in made:
        runtime.close()


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime()


def plugin_manager_with(*plugins: object, only: str = "") -> pluggy.PluginManager:
    """A fresh plugin manager (core + built-ins + entry points) with ``plugins`` registered too
    (a plugin already loaded through its entry point is not registered twice)."""
    pm = build_plugin_manager(only=only)
    for plugin in plugins:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    pm.check_pending()
    refuse_wrappers(pm)
    return pm


@pytest.fixture
def runtime_with(make_runtime: Callable[..., Runtime]) -> Callable[..., Runtime]:
    """``runtime_with(my_plugin)``: a runtime on this test's database whose plugin manager is a
    fresh one with ``my_plugin`` registered (see :func:`plugin_manager_with`)."""

    def make(*plugins: object, only: str = "") -> Runtime:
        return make_runtime(plugin_manager=plugin_manager_with(*plugins, only=only))

    return make


def make_organisation(
    runtime: Runtime, kind: OrganisationKind | str = OrganisationKind.project, name: str = ""
) -> int:
    """An organisation; without a name, the default test organisation of that kind (shared)."""
    kind = OrganisationKind(kind)
    name = name or {"project": "Testihanke", "partner": "Testikumppani"}[kind.value]
    with runtime.db.write() as session:
        found = session.execute(
            select(col(Organisation.id)).where(
                col(Organisation.name) == name, col(Organisation.kind) == kind.value
            )
        ).scalar_one_or_none()
        if found is not None:
            return int(found)
        organisation = Organisation(name=name, kind=kind.value, municipality_codes="261")
        session.add(organisation)
        session.flush()
        assert organisation.id is not None
        return organisation.id


_ROLE_ORGANISATION = {"coach": "project", "coordinator": "project", "partner": "partner"}


def make_user(
    runtime: Runtime,
    role: Role | str,
    *,
    organisation_id: int | None = None,
    username: str | None = None,
    password: str | None = TEST_PASSWORD,
    totp: bool = True,
) -> User:
    """A fictional user of ``role``; coaches, coordinators and partner workers go to the default
    test organisation of their kind unless ``organisation_id`` is given."""
    role = Role(role)
    if organisation_id is None and role.value in _ROLE_ORGANISATION:
        organisation_id = make_organisation(runtime, _ROLE_ORGANISATION[role.value])
    with runtime.db.write() as session:
        if username is None:
            count = session.execute(text("SELECT count(*) FROM app_user")).scalar_one()
            username = f"{role.value}{count + 1}.{os.urandom(3).hex()}"
        user, _secret = runtime.auth.create_user(
            session,
            username=username,
            display_name=f"Testi {role.value.capitalize()}",
            role=role,
            organisation_id=organisation_id,
            password=password,
            totp=totp,
        )
        return user


def totp_code(runtime: Runtime, user: User) -> str:
    """The user's current TOTP code by the runtime's clock."""
    assert user.totp_secret is not None
    return pyotp.TOTP(user.totp_secret).at(runtime.clock.now())


def make_client(
    runtime: Runtime,
    *,
    municipality_code: str = "261",
    birth_date: date | None = date(1995, 5, 17),
    consent: bool = True,
    first_name: str = "Testi",
    last_name: str = "Asiakas",
    organisation_id: int | None = None,
    care_team: tuple[int, ...] = (),
    valid_from: date | None = None,
    valid_to: date | None = None,
    facts: Mapping[str, object] | None = None,
    facts_from: date | None = None,
    state: str | None = None,
) -> tuple[int, int]:
    """Create a fictional client with a client journey; return ``(client_id, journey_id)``.

    - ``municipality_code``: the client's home municipality (kuntanumero), default Kittilä 261;
    - ``birth_date``: ``None`` for unknown (rules that need it then ask for it);
    - ``consent``: whether the client's agreement to take part is recorded (``engage`` needs it);
    - ``first_name``, ``last_name``: fictional names (never real ones);
    - ``organisation_id``: the organisation that keeps the record;
    - ``care_team``: user ids who become care-team members for [``valid_from`` (default:
      today), ``valid_to``];
    - ``facts``: client facts to record, ``{"benefit": "social_assistance", ...}`` (keys as
      defined by ``polku_fact_definitions``), valid from ``facts_from`` (default: today);
    - ``state``: move the journey to this state first (see :func:`move_journey_to`).
    """
    with runtime.db.write() as session:
        client = Client(
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            municipality_code=municipality_code,
            participation_consent_at=runtime.clock.now() if consent else None,
            organisation_id=organisation_id,
        )
        session.add(client)
        session.flush()
        assert client.id is not None
        for user_id in care_team:
            session.add(
                CareTeam(
                    client_id=client.id,
                    user_id=user_id,
                    valid_from=valid_from or runtime.clock.today(),
                    valid_to=valid_to,
                )
            )
        journey: Journey = runtime.journeys.start(
            session, client_id=client.id, pathway_key=CLIENT_JOURNEY, actor_id=None
        )
        assert journey.id is not None
        client_id, journey_id = client.id, journey.id
    if facts:
        record_facts(runtime, client_id, valid_from=facts_from, **facts)
    if state is not None:
        move_journey_to(runtime, journey_id, state)
    return client_id, journey_id


def record_facts(
    runtime: Runtime, client_id: int, *, valid_from: date | None = None, **facts: object
) -> None:
    """Record facts about a client, e.g. ``record_facts(rt, cid, benefit="social_assistance")``."""
    with runtime.db.write() as session:
        for key, value in facts.items():
            runtime.facts.record(
                session, client_id=client_id, key=key, value=value, valid_from=valid_from
            )


def referral_options_of(
    runtime: Runtime, client_id: int, *, today: date | None = None
) -> dict[str, ReferralOption]:
    """The client's referral options by target key (an unavailable plugin by ``plugin:<name>``)."""
    with runtime.db.read() as session:
        options = runtime.referral_options.of_client(session, client_id, today=today)
    return {
        f"plugin:{o.plugin}" if o.target.key == UNAVAILABLE else o.target.key: o for o in options
    }


#: A fictional GAS goal with all five levels described (the client's words).
EXAMPLE_GOAL = "Säännöllinen päivärytmi"
EXAMPLE_LEVELS = {
    -2: "Valvon öisin enkä lähde kotoa",
    -1: "Herään yleensä vasta iltapäivällä",
    0: "Herään ennen kymmentä kolmena arkiaamuna viikossa",
    1: "Herään ennen kymmentä neljänä arkiaamuna viikossa",
    2: "Herään joka arkiaamu ennen kymmentä ja syön aamupalan",
}


def ready_for_goal_setting(
    session: Session,
    journey_id: int,
    *,
    at: datetime | None = None,
    now: datetime | None = None,
) -> None:
    """Give the journey's client a described GAS goal unless they have one: entering goal
    setting (``set_goals``) needs it (the ``gas_goals_described`` guard). Call it wherever a
    test, feature or benchmark moves a client journey into goal setting.

    The goal is set ``at`` (or ``now``, the runtime's clock; default: the journey's last move,
    never the wall clock), so the follow-ups a test records after it are not dated before its
    baseline."""
    journey = session.get(Journey, journey_id)
    assert journey is not None
    if not has_described_goal(session, journey.client_id):
        add_goal(
            session,
            client_id=journey.client_id,
            actor_id=None,
            goal=EXAMPLE_GOAL,
            levels=EXAMPLE_LEVELS,
            now=at or now or journey.updated_at,
        )


@pytest.fixture
def new_client(runtime: Runtime) -> Callable[..., tuple[int, int]]:
    def make(**kwargs: Any) -> tuple[int, int]:
        return make_client(runtime, **kwargs)

    return make


def _route(runtime: Runtime, journey_id: int, state: str) -> list[str]:
    """The shortest chain of triggers from the journey's state to ``state`` (resume, which
    returns to where the journey was, is not used)."""
    with runtime.db.read() as session:
        journey, _client = runtime.journeys.load(session, journey_id)
    pathway = runtime.journeys.pathway_of(journey)
    if state not in pathway.states:
        raise ValueError(f"{pathway.key} v{pathway.version} has no state {state!r}")
    paths: dict[str, list[str]] = {journey.state: []}
    queue = [journey.state]
    while queue:
        here = queue.pop(0)
        for t in pathway.definition.transitions:
            if here not in t.source or t.returns_to_previous:
                continue
            for dest in t.dest:
                if dest not in paths:
                    paths[dest] = [*paths[here], t.trigger]
                    queue.append(dest)
    if state not in paths:
        raise ValueError(f"{state!r} cannot be reached from {journey.state!r}")
    return paths[state]


def move_journey_to(runtime: Runtime, journey_id: int, state: str) -> list[str]:
    """Move a journey to ``state`` along the shortest chain of transitions, as a coach would,
    every rule asked; returns the triggers fired. A required reason is given as "testi" and a
    required outcome as the first allowed one; entering goal setting gets a described GAS goal
    (:func:`ready_for_goal_setting`). A move that a rule denies fails the test, naming it."""
    from engine.errors import GuardRejected

    fired = _route(runtime, journey_id, state)
    for trigger in fired:
        with runtime.db.write() as session:
            journey, _client = runtime.journeys.load(session, journey_id)
            transition = runtime.journeys.pathway_of(journey).transition(trigger, journey.state)
            assert transition is not None
            if "gas_goals_described" in transition.guards:
                ready_for_goal_setting(session, journey_id, now=runtime.clock.now())
            try:
                runtime.journeys.advance(
                    session,
                    journey_id,
                    trigger,
                    actor_id=None,
                    reason="testi" if transition.reason == "required" else None,
                    outcome=transition.outcomes[0] if transition.outcomes else None,
                    # a move only a service makes (a referral's refer, start_follow_on...) is
                    # made as that service would (the plugin test kit needs the state)
                    via=transition.moved_by,
                )
            except GuardRejected as exc:
                raise AssertionError(
                    f"moving journey {journey_id} to {state!r}: {exc} (use a client the rules "
                    "allow, e.g. make_client(consent=True), or record the facts first)"
                ) from None
    return fired


def transition_verdicts(
    runtime: Runtime, journey_id: int, trigger: str, *, reason: str | None = None
) -> list[Verdict]:
    """Every verdict (guards and every plugin's ``polku_check_transition``) on firing
    ``trigger`` now; nothing is stored. Fails the test when ``trigger`` does not exist from the
    journey's state, naming the triggers that do."""
    with runtime.db.read() as session:
        journey, client = runtime.journeys.load(session, journey_id)
        options = runtime.journeys.available(session, journey, client, as_service=True)
        option = next((o for o in options if o.trigger == trigger), None)
        if option is None:
            raise AssertionError(
                f"{trigger!r} is not a move from {journey.state!r}; moves from there: "
                f"{', '.join(o.trigger for o in options) or 'none'}"
            )
        if reason is None:
            return option.verdicts
        pathway = runtime.journeys.pathway_of(journey)
        context = runtime.journeys._context(
            session, journey, client, pathway, trigger, None, reason, None
        )
        return pathway.attempt(trigger, context, runtime.journeys.evaluate).verdicts


def assert_denied(
    runtime: Runtime,
    journey_id: int,
    trigger: str,
    *,
    rule: str,
    legal_source: str | None = None,
    reason: str | None = None,
) -> Verdict:
    """Assert that firing ``trigger`` on the journey now is denied by ``rule`` (a guard's name,
    a rule key a plugin's ``polku_check_transition`` returned, or ``plugin:<name>`` for a
    plugin that raised), optionally with this ``legal_source``. Returns that verdict (for its
    ``reason``); nothing is stored. The failure message lists every verdict."""
    verdicts = transition_verdicts(runtime, journey_id, trigger, reason=reason)
    denied = [v for v in verdicts if v.allowed is False and v.rule == rule]
    listed = "; ".join(
        f"{v.rule}={'deny' if v.allowed is False else 'allow' if v.allowed else 'none'}"
        for v in verdicts
    )
    assert denied, f"{trigger!r} is not denied by {rule!r}; verdicts: {listed or 'none'}"
    if legal_source is not None:
        assert denied[0].legal_source == legal_source, (
            f"{rule!r} cites {denied[0].legal_source!r}, not {legal_source!r}"
        )
    return denied[0]


def assert_allowed(runtime: Runtime, journey_id: int, trigger: str) -> list[Verdict]:
    """Assert that no rule denies firing ``trigger`` on the journey now; returns the verdicts."""
    verdicts = transition_verdicts(runtime, journey_id, trigger)
    denied = [f"{v.rule}: {v.text('en')}" for v in verdicts if v.allowed is False]
    assert not denied, f"{trigger!r} is denied: {'; '.join(denied)}"
    return verdicts
