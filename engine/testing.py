"""Pytest fixtures for Polku and its plugins (``pytest_plugins = ["engine.testing"]``).

Every database test runs once per backend: SQLite always, PostgreSQL when
``POLKU_TEST_DATABASE_URL`` is set. Under CI (``CI=true``) an unreachable PostgreSQL is an error,
never a skip.

- SQLite: the schema is migrated once per test session into a template file, which each test
  copies (it is not live, so a file copy is safe).
- PostgreSQL: one database per xdist worker, migrated once; each test starts from empty tables.

Fixtures: ``database_url``, ``runtime`` (a :class:`~engine.runtime.Runtime` on a fresh database),
``make_runtime`` (build one with a chosen plugin manager, e.g. your plugin on a fresh manager),
``api`` (an HTTP test client for the web app), ``new_client`` (makes a client with a journey).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pluggy
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.db import Database
from engine.migrate import upgrade
from engine.models import Client, Journey
from engine.plugins import build_plugin_manager
from engine.runtime import Runtime
from engine.settings import Environment, Settings

PG_ENV = "POLKU_TEST_DATABASE_URL"


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


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"{PG_ENV} is not set")  # only reached when parametrised without it
    url = make_url(base)
    name = f"polku_test_{worker_suffix()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # unreachable PostgreSQL must fail loudly, never skip
        pytest.fail(f"PostgreSQL at {url.render_as_string(hide_password=True)} unreachable: {exc}")
    test_url = url.set(database=name).render_as_string(hide_password=False)
    upgrade(test_url)
    yield test_url
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            names = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        target = tmp_path / "polku.db"
        shutil.copyfile(template, target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("_postgres_url")
    _truncate_postgres(url)
    return url


def settings_for_tests(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "environment": Environment.test,
        "sqlite_synchronous": "NORMAL",
        "pool_size": 40,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """Build runtimes on this test's database, e.g. ``make_runtime(plugin_manager=pm)``."""
    made: list[Runtime] = []

    def make(*, plugin_manager: pluggy.PluginManager | None = None, **settings: Any) -> Runtime:
        s = settings_for_tests(database_url, **settings)
        runtime = Runtime(
            s,
            plugin_manager=plugin_manager,
            database=Database(
                s.database_url, pool_size=s.pool_size, sqlite_synchronous=s.sqlite_synchronous
            ),
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
    """A fresh plugin manager (core + built-ins + entry points) with ``plugins`` registered too."""
    pm = build_plugin_manager(only=only)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    return pm


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Any]:
    """A Starlette TestClient for the web app on this test's runtime."""
    from fastapi.testclient import TestClient

    from web.app import create_app

    with TestClient(create_app(runtime=runtime)) as client:
        yield client


def make_client(
    runtime: Runtime,
    *,
    municipality_code: str = "261",
    birth_date: date | None = date(1995, 5, 17),
    consent: bool = True,
    first_name: str = "Testi",
    last_name: str = "Asiakas",
) -> tuple[int, int]:
    """Create a fictional client with a client journey; return (client_id, journey_id)."""
    with runtime.db.write() as session:
        client = Client(
            first_name=first_name,
            last_name=last_name,
            birth_date=birth_date,
            municipality_code=municipality_code,
            participation_consent_at=datetime.now(UTC) if consent else None,
        )
        session.add(client)
        session.flush()
        assert client.id is not None
        journey: Journey = runtime.journeys.start(
            session, client_id=client.id, pathway_key="client_journey", actor_id=None
        )
        assert journey.id is not None
        return client.id, journey.id


@pytest.fixture
def new_client(runtime: Runtime) -> Callable[..., tuple[int, int]]:
    def make(**kwargs: Any) -> tuple[int, int]:
        return make_client(runtime, **kwargs)

    return make
