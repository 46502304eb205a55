"""The command line for people: organisations, users, API tokens, demo logins."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import col
from typer.testing import CliRunner

from engine.cli import app
from engine.demo import DEMO_LOGINS
from engine.models import ApiToken, CareTeam, Client, Organisation, User
from engine.runtime import Runtime
from engine.settings import Environment, get_settings
from web.app import create_app
from web.testing import login

runner = CliRunner()


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., object]]:
    """Run ``polku ...`` against this test's database in a chosen environment."""
    monkeypatch.setenv("POLKU_DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_PASSWORD_MEMORY_KIB", "8")
    monkeypatch.setenv("POLKU_PASSWORD_TIME_COST", "1")
    monkeypatch.setenv("POLKU_PASSWORD_PARALLELISM", "1")

    def run(*args: str, environment: str = "test", input: str | None = None) -> object:
        monkeypatch.setenv("POLKU_ENVIRONMENT", environment)
        get_settings.cache_clear()
        return runner.invoke(app, list(args), input=input)

    yield run
    get_settings.cache_clear()


def organisation(runtime: Runtime, cli: Callable[..., object], kind: str = "project") -> int:
    result = cli("organisations", "create", "--name", f"Hanke {kind}", "--kind", kind)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    match = re.search(r"organisation (\d+) created", result.output)  # type: ignore[attr-defined]
    assert match
    return int(match.group(1))


def test_users_create_prints_the_totp_uri_and_hashes_the_password(
    runtime: Runtime, cli: Callable[..., object]
) -> None:
    org = organisation(runtime, cli)
    result = cli(
        "users", "create", "--username", "Aino.Valmentaja", "--display-name", "Aino V",
        "--role", "coach", "--organisation", str(org), "--password", "pitka-salasana-1",
    )  # fmt: skip
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 0, output  # type: ignore[attr-defined]
    uri = re.search(r"otpauth://totp/\S+", output)
    assert uri
    assert "issuer=Polku" in uri.group()
    with runtime.db.read() as session:
        user = session.execute(select(User)).scalar_one()
    assert user.username == "aino.valmentaja"
    assert user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    assert "pitka-salasana-1" not in user.password_hash
    assert pyotp.parse_uri(uri.group()).secret == user.totp_secret


def test_users_create_prompts_for_the_password(
    runtime: Runtime, cli: Callable[..., object]
) -> None:
    org = organisation(runtime, cli)
    result = cli(
        "users", "create", "--username", "koordi", "--display-name", "K", "--role",
        "coordinator", "--organisation", str(org),
        input="salainen-sana-9\nsalainen-sana-9\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "salainen-sana-9" not in result.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "coach"], "organisation"),  # a coach needs a project organisation
        (["--role", "wizard"], "unknown role"),
        (["--role", "admin", "--password", "short"], "password"),
        (["--role", "admin", "--no-totp"], "demo mode"),
    ],
)
def test_users_create_refuses_bad_input(
    cli: Callable[..., object], args: list[str], message: str
) -> None:
    base = ["users", "create", "--username", "x.user", "--display-name", "X"]
    if "--password" not in args:
        args = [*args, "--password", "pitka-salasana-1"]
    result = cli(*base, *args)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert message in result.output  # type: ignore[attr-defined]


def test_disable_and_tokens(runtime: Runtime, cli: Callable[..., object]) -> None:
    cli(
        "users", "create", "--username", "paa", "--display-name", "P", "--role", "admin",
        "--password", "pitka-salasana-1",
    )  # fmt: skip
    created = cli("tokens", "create", "paa", "--name", "raportointi", "--days", "30")
    token = re.search(r"polku_\S+", created.output)  # type: ignore[attr-defined]
    assert token
    http = TestClient(create_app(runtime=runtime))
    auth = {"Authorization": f"Bearer {token.group()}"}
    assert http.get("/api/auth/me", headers=auth).status_code == 200
    with runtime.db.read() as session:
        token_id = session.execute(select(col(ApiToken.id))).scalar_one()
    assert cli("tokens", "revoke", str(token_id)).exit_code == 0  # type: ignore[attr-defined]
    assert http.get("/api/auth/me", headers=auth).status_code == 401
    assert cli("users", "disable", "paa").exit_code == 0  # type: ignore[attr-defined]
    with runtime.db.read() as session:
        assert session.execute(select(col(User.is_active))).scalar_one() is False
    assert cli("users", "disable", "nobody").exit_code == 1  # type: ignore[attr-defined]


def test_demo_load_is_refused_in_production(runtime: Runtime, cli: Callable[..., object]) -> None:
    result = cli("demo", "load", "--clients", "2", environment="production")
    assert result.exit_code == 1  # type: ignore[attr-defined]
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_demo_logins_work_in_demo_mode(
    make_runtime: Callable[..., Runtime], cli: Callable[..., object]
) -> None:
    loaded = cli("demo", "load", "--if-empty", "--clients", "4", environment="demo")
    assert loaded.exit_code == 0, loaded.output  # type: ignore[attr-defined]
    again = cli("demo", "load", "--if-empty", environment="demo")
    assert "already loaded" in again.output  # type: ignore[attr-defined]
    logins = cli("demo", "logins", environment="demo")
    for demo in DEMO_LOGINS:
        assert f"{demo.username}" in logins.output  # type: ignore[attr-defined]
        assert f"password: {demo.password}" in logins.output  # type: ignore[attr-defined]
    demo_runtime = make_runtime(environment=Environment.demo)
    with demo_runtime.db.read() as session:
        # the project, the partner agency and another project; the ESF+ demo adds two
        # co-implementers and the funder (engine/demo_esf.py)
        assert session.execute(select(func.count()).select_from(Organisation)).scalar_one() == 6
        coach_id = session.execute(
            select(col(User.id)).where(col(User.username) == "valmentaja")
        ).scalar_one()
        clients = (
            session.execute(select(col(Client.id)).where(col(Client.created_by) == coach_id))
            .scalars()
            .all()
        )
        teams = (
            session.execute(
                select(col(CareTeam.client_id)).where(col(CareTeam.user_id) == coach_id)
            )
            .scalars()
            .all()
        )
    # --clients 4: four clients of the demo coach, each in the coach's care team (the ESF+
    # demo's co-implementers have clients of their own)
    assert sorted(teams) == sorted(clients)
    assert len(clients) == 4
    http = TestClient(create_app(runtime=demo_runtime))
    coach = next(d for d in DEMO_LOGINS if d.username == "valmentaja")
    me = login(http, coach.username, coach.password)
    assert me.status_code == 200
    assert me.json()["id"] == coach_id
    journey = http.get("/api/journeys/1")
    assert journey.status_code == 200
    assert {e["actor_id"] for e in journey.json()["events"]} == {coach_id}


def test_pathways_migrate_moves_old_journeys_onto_the_latest_version(
    runtime: Runtime, cli: Callable[..., object]
) -> None:
    """Journeys started on client_journey version 1 (before the GAS guard) are moved onto the
    latest version (3) with an event each; an ended one is left as it is; a dry run changes
    nothing."""
    from engine.journeys import MIGRATE_TRIGGER
    from engine.models import Journey, JourneyEvent
    from engine.testing import make_client

    old = []
    for _ in range(3):
        _client_id, journey_id = make_client(runtime)
        with runtime.db.write() as session:
            runtime.journeys.migrate(session, journey_id, to_version=1, actor_id=None)
        old.append(journey_id)
    with runtime.db.write() as session:  # one of them ends on version 1
        runtime.journeys.advance(
            session, old[2], "close", actor_id=None, outcome="no_contact", reason="Ei yhteyttä"
        )
    dry = cli("pathways", "migrate", "client_journey", "--dry-run")
    assert dry.exit_code == 0, dry.output  # type: ignore[attr-defined]
    assert "would move 2 journeys onto version 3" in dry.output  # type: ignore[attr-defined]
    with runtime.db.read() as session:
        assert {session.get(Journey, j).pathway_version for j in old} == {1}  # type: ignore[union-attr]
    done = cli("pathways", "migrate", "client_journey")
    assert done.exit_code == 0, done.output  # type: ignore[attr-defined]
    assert "moved 2 journeys onto version 3" in done.output  # type: ignore[attr-defined]
    assert "1 ended journeys are left on their version" in done.output  # type: ignore[attr-defined]
    with runtime.db.read() as session:
        versions = [session.get(Journey, j).pathway_version for j in old]  # type: ignore[union-attr]
        logged = session.execute(
            select(func.count())
            .select_from(JourneyEvent)
            .where(col(JourneyEvent.trigger) == MIGRATE_TRIGGER)
        ).scalar_one()
    assert versions == [3, 3, 1]
    assert logged == 5  # three to version 1 in the set-up, two to version 3
    again = cli("pathways", "migrate", "client_journey")
    assert "moved 0 journeys" in again.output  # type: ignore[attr-defined]
    unknown = cli("pathways", "migrate", "nope")
    assert unknown.exit_code == 1  # type: ignore[attr-defined]
    assert "nope" in unknown.output  # type: ignore[attr-defined]


def test_organisations_create_refuses_bad_input_like_the_admin_page(
    runtime: Runtime, cli: Callable[..., object]
) -> None:
    bad_kind = cli("organisations", "create", "--name", "Hanke", "--kind", "company")
    assert bad_kind.exit_code == 1  # type: ignore[attr-defined]
    assert "--kind" in bad_kind.output  # type: ignore[attr-defined]
    bad_codes = cli(
        "organisations", "create", "--name", "Hanke", "--kind", "project", "--municipalities", "26"
    )
    assert bad_codes.exit_code == 1  # type: ignore[attr-defined]
    assert "three digits" in bad_codes.output  # type: ignore[attr-defined]
