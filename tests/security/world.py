"""A small world for the security tests: organisations, one user per actor, clients of each object
kind, and for every route of the app the rule it must have and a well-formed request to it.

Actors (who asks):
  coach_own_team    a coach in the care team of the "own" client (project organisation A)
  coach_other_team  a coach of the same organisation who is in no care team of these clients
  coordinator       the coordinator of organisation A
  partner           a worker of the partner agency that receives the referrals of own and former
  partner_other     a worker of another partner agency (receives the referral of other)
  admin             an admin (of organisation A)
  anonymous         no credentials

Object kinds (whose data):
  own     a client of organisation A in coach_own_team's care team (valid from today)
  other   a client of project organisation B in another coach's care team
  former  a client of organisation A whose care-team membership of coach_own_team ended yesterday
  revoked a client like own whose consent to the partner agency has been revoked

Every object has one referral (docs/referrals.md) with a consent: own, former and revoked to the
partner agency, other to the other partner agency. The referral routes are checked per object.

The expected outcome comes from this file's own table (:data:`ROUTES` and :func:`allowed`), not
from what the app declares, so a route given a too generous rule fails the matrix.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, func, select, text
from sqlmodel import SQLModel, col

from engine.clock import FrozenClock
from engine.goals import goals_of
from engine.inputs import Checks
from engine.models import AccessLog, GroupSession, Role, User
from engine.qualifications import QualificationInput
from engine.qualifications import add as add_qualification
from engine.runtime import Runtime
from engine.settings import Environment
from engine.strengths import ExperienceInput, add_experience, add_strength
from engine.testing import (
    TEST_PASSWORD,
    make_client,
    make_organisation,
    make_user,
    ready_for_goal_setting,
    runtime_for_tests,
    settings_for_tests,
    totp_code,
)
from tests.referral_kit import (
    ELIGIBLE_TARGET,
    YOUNG,
    coach_principal,
    give_consent,
    partner_service,
    revoke,
    send_referral,
)
from web.app import create_app
from web.testing import KeptClient, sign_in

#: Rules whose routes get a world of their own, not a module's shared one: the caseload lists
#: the asking actor's clients (its access-log count expects an empty list), and managing services
#: changes the service the world's "other" referrals go to.
OWN_WORLD_RULES = frozenset({"caseload", "manage_services"})

#: The other partner agency's service (Kittilä's outreach youth work, open to YOUNG clients).
OTHER_TARGET = "kittila.outreach_youth_work"

ACTORS = (
    "coach_own_team",
    "coach_other_team",
    "coordinator",
    "partner",
    "partner_other",
    "admin",
    "anonymous",
)
OBJECTS = ("own", "other", "former", "revoked")
MODES = ("cookie", "bearer")
CLIENT_VIEW_RULES = frozenset(
    {
        "client:journey",
        "client:triggers",
        "client:advance",
        "client:care_team",
        "client:facts",
        "client:record_fact",
        "client:referral_options",
        "client:client_page",
        "client:record_contact",
        "client:referrals",
        "client:refer",
        "client:consent",
        "client:goals",
        "client:set_goal",
        "client:rate_goals",
        # assessments, strengths and the CV (web/assessment_pages.py)
        "client:assessments",
        "client:record_assessment",
        "client:strengths",
        "client:record_strengths",
        "client:cv",
        "client:group_invite",
        # ESF+ participant data (web/report_pages.py)
        "client:participant_data",
        "client:participant_form",
        # the client's voice (web/voice_pages.py)
        "client:feedback",
        "client:record_feedback",
        "client:feedback_link",
        "client:voice_roles",
    }
)
#: Routes about one referral: the referring care team or the receiving partner with consent.
REFERRAL_READ_RULES = frozenset({"referral:referral", "referral:referral_fhir"})


def is_object_rule(rule: str) -> bool:
    """A rule about one client's data (checked against every object kind)."""
    return rule.startswith(("client:", "referral:"))


@contextmanager
def world_on(database_url: str) -> Iterator[World]:
    """A world on a fresh database, its clock frozen (no time passes: no session touch)."""
    runtime = runtime_for_tests(database_url, clock=FrozenClock())
    world = None
    try:
        world = World.build(runtime, create_app(runtime=runtime))
        yield world
    finally:
        if world is not None:
            world.close()
        runtime.close()


_ACCESS_ROWS = select(func.count()).select_from(AccessLog)


@dataclass(frozen=True)
class Target:
    kind: str
    client_id: int
    journey_id: int
    referral_id: int = 0
    consent_id: int = 0


@dataclass(frozen=True)
class GroupTarget:
    group_id: int
    membership_id: int
    session_id: int


@dataclass(frozen=True)
class EventTarget:
    event_id: int
    participant_id: int
    session_id: int
    #: A session still to come (one to cancel).
    future_session_id: int


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    json: Any = None
    data: dict[str, str] | None = None

    def send(self, http: TestClient) -> Any:
        return http.request(self.method, self.url, json=self.json, data=self.data)


@dataclass
class World:
    runtime: Runtime
    app: FastAPI
    organisation_a: int = 0
    organisation_b: int = 0
    partner_agency: int = 0
    partner_agency_2: int = 0
    users: dict[str, User] = field(default_factory=dict)
    _serial: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _project_id: int = 0
    _loop: KeptClient | None = None
    _unchanged: dict[str, Target] = field(default_factory=dict)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None

    @classmethod
    def build(cls, runtime: Runtime, app: FastAPI) -> World:
        world = cls(runtime, app)
        world.organisation_a = make_organisation(runtime, "project", "Hanke A")
        world.organisation_b = make_organisation(runtime, "project", "Hanke B")
        # a supporting service: its referrals go from any state (the world's clients are at
        # outreach) and never move the client journey
        world.partner_agency = partner_service(
            runtime, "Kumppani", ELIGIBLE_TARGET, service_type="mental_health"
        ).organisation_id
        world.partner_agency_2 = partner_service(
            runtime, "Toinen kumppani", OTHER_TARGET, service_type="mental_health"
        ).organisation_id
        a, b = world.organisation_a, world.organisation_b
        world.users = {
            "coach_own_team": make_user(runtime, Role.coach, organisation_id=a),
            "coach_other_team": make_user(runtime, Role.coach, organisation_id=a),
            "coordinator": make_user(runtime, Role.coordinator, organisation_id=a),
            "partner": make_user(runtime, Role.partner, organisation_id=world.partner_agency),
            "partner_other": make_user(
                runtime, Role.partner, organisation_id=world.partner_agency_2
            ),
            "admin": make_user(runtime, Role.admin, organisation_id=a),
            "coach_b": make_user(runtime, Role.coach, organisation_id=b),
        }
        return world

    def uid(self, actor: str) -> int:
        user_id = self.users[actor].id
        assert user_id is not None
        return user_id

    def target(self, kind: str) -> Target:
        """A fresh client (with a journey in its first state) of the given object kind, with a
        consent and a referral to a partner agency."""
        today = self.runtime.clock.today()
        coach, organisation, agency, target = (
            "coach_own_team",
            self.organisation_a,
            self.partner_agency,
            ELIGIBLE_TARGET,
        )
        if kind in {"own", "revoked"}:
            ids = make_client(
                self.runtime,
                organisation_id=self.organisation_a,
                care_team=(self.uid("coach_own_team"),),
                birth_date=YOUNG,
            )
        elif kind == "other":
            coach, organisation, agency, target = (
                "coach_b",
                self.organisation_b,
                self.partner_agency_2,
                OTHER_TARGET,
            )
            ids = make_client(
                self.runtime,
                organisation_id=self.organisation_b,
                care_team=(self.uid("coach_b"),),
                birth_date=YOUNG,
            )
        elif kind == "former":
            ids = make_client(
                self.runtime,
                organisation_id=self.organisation_a,
                care_team=(self.uid("coach_own_team"),),
                valid_from=today - timedelta(days=30),
                valid_to=today - timedelta(days=1),
                birth_date=YOUNG,
            )
        else:
            raise ValueError(kind)
        principal = coach_principal(self.uid(coach), organisation)
        consent_id = give_consent(self.runtime, principal, ids[0], agency)
        referral_id = send_referral(
            self.runtime, principal, ids[0], consent_id=consent_id, target_key=target
        )
        if kind == "revoked":
            revoke(self.runtime, principal, ids[0], consent_id)
        return Target(kind, *ids, referral_id=referral_id, consent_id=consent_id)

    def unchanged_target(self, kind: str) -> Target:
        """One target of the kind for every call that changes nothing (a GET, a refused call),
        made once per world: test_get_is_safe.py proves a GET changes nothing, and the matrix
        proves every refusal (a refused call that did change it would show as another route's
        unexpected answer)."""
        if kind not in self._unchanged:
            self._unchanged[kind] = self.target(kind)
        return self._unchanged[kind]

    def group(self) -> GroupTarget:
        """A fresh group (groups: tests/group_kit.py) led by coach_own_team and co-led by the
        partner worker, kept by organisation A, with one member who attends and consents to the
        co-leader's organisation seeing their name and attendance."""
        from tests.group_kit import client_at, coach, invite, make_group, move

        leader = coach(self.uid("coach_own_team"), self.organisation_a)
        group_id = make_group(self.runtime, leader, co_leader_id=self.uid("partner"))
        client_id, _journey = client_at(
            self.runtime, organisation_id=self.organisation_a, care_team=(leader.user_id,)
        )
        membership_id = invite(self.runtime, leader, group_id, client_id, consent="verbal")
        move(self.runtime, leader, group_id, membership_id, "start_attending")
        with self.runtime.db.read() as session:
            first = session.execute(
                select(func.min(GroupSession.id)).where(GroupSession.group_id == group_id)  # type: ignore[arg-type]
            ).scalar_one()
        return GroupTarget(group_id, membership_id, int(first))

    def event(self) -> EventTarget:
        """A fresh event (tests/event_kit.py) created by coach_own_team in organisation A: its
        first session an hour ago, its second next week, with one participant of theirs."""
        from engine.models import EventParticipant, EventSession
        from tests.event_kit import make_event

        creator = coach_principal(self.uid("coach_own_team"), self.organisation_a)
        client_id, _journey = make_client(
            self.runtime, organisation_id=self.organisation_a, care_team=(creator.user_id,)
        )
        event_id = make_event(self.runtime, creator, sessions=2, participants=[client_id])
        with self.runtime.db.read() as session:
            first, second = session.execute(
                select(col(EventSession.id))
                .where(col(EventSession.event_id) == event_id)
                .order_by(col(EventSession.number))
            ).scalars()
            participant = session.execute(
                select(col(EventParticipant.id)).where(col(EventParticipant.event_id) == event_id)
            ).scalar_one()
        return EventTarget(event_id, int(participant), int(first), int(second))

    def project(self) -> int:
        """The ESF+ project organisation A implements (made once): its funder report is for
        A's coordinator only (docs/reporting.md)."""
        if self._project_id:
            return self._project_id
        from engine.projects import ImplementerInput, ProjectInput, create_project

        today = self.runtime.clock.today()
        with self.runtime.db.write() as session:
            project = create_project(
                session,
                ProjectInput(
                    code="MATRIISI",
                    name="Matriisihanke",
                    starts_on=today.replace(month=1, day=1),
                    ends_on=today.replace(year=today.year + 1),
                    form_key="esf_participant_2021_2027",
                    funder="Matriisirahoittaja",
                    main=ImplementerInput(organisation="Hanke A", municipality_codes=["261"]),
                ),
                forms=self.runtime.forms,
                municipalities=set(self.runtime.municipalities),
                now=self.runtime.clock.now(),
            )
        self._project_id = project.id
        return project.id

    def spare_client(self) -> int:
        """A client of organisation A in coach_own_team's care team (groups: one to add)."""
        client_id, _journey = make_client(
            self.runtime,
            organisation_id=self.organisation_a,
            care_team=(self.uid("coach_own_team"),),
        )
        return client_id

    def http(self, actor: str, mode: str) -> TestClient:
        """A fresh client for the actor: a new session (cookie + CSRF header) or API token. All
        of them run on the world's one event loop (closed with the world)."""
        if self._loop is None:
            self._loop = KeptClient(self.app)
        http = KeptClient(self.app, loop_of=self._loop, follow_redirects=False)
        if actor == "anonymous":
            return http
        if mode == "cookie":
            sign_in(http, self.runtime, self.uid(actor))
        else:
            with self.runtime.db.write() as session:
                token, _row = self.runtime.auth.create_api_token(session, self.uid(actor), "matrix")
            http.headers["Authorization"] = f"Bearer {token}"
        return http

    def serial(self) -> int:
        return next(self._serial)

    def login_form(self) -> dict[str, str]:
        """Credentials of a fresh coach (a login is public: who asks does not matter)."""
        user = make_user(self.runtime, Role.coach, organisation_id=self.organisation_a)
        return {
            "username": user.username,
            "password": TEST_PASSWORD,
            "totp_code": totp_code(self.runtime, user),
        }

    def spare_user(self) -> int:
        user = make_user(self.runtime, Role.coach, organisation_id=self.organisation_a)
        assert user.id is not None
        return user.id

    def strength(self, target: Target) -> int:
        """A strength of the target's client (for the edit and remove routes)."""
        with self.runtime.db.write() as session:
            row = add_strength(
                session,
                client_id=target.client_id,
                recorded_by=self.uid("coach_own_team"),
                category="skill",
                text="Matriisi",
                now=self.runtime.clock.now(),
            )
            assert row.id is not None
            return row.id

    def experience(self, target: Target) -> int:
        """An experience of the target's client (for the edit and remove routes)."""
        with self.runtime.db.write() as session:
            row = add_experience(
                session,
                client_id=target.client_id,
                recorded_by=self.uid("coach_own_team"),
                values=ExperienceInput("work", "Matriisi"),
                checks=Checks.of(self.runtime.clock),
            )
            assert row.id is not None
            return row.id

    def qualification(self, target: Target) -> int:
        """A qualification of the target's client (for the edit and remove routes)."""
        with self.runtime.db.write() as session:
            row = add_qualification(
                session,
                client_id=target.client_id,
                recorded_by=self.uid("coach_own_team"),
                values=QualificationInput(
                    "hygiene_card", "Matriisi", self.runtime.clock.today().isoformat(), "R"
                ),
                checks=Checks.of(self.runtime.clock),
            )
            assert row.id is not None
            return row.id

    def role_form(self) -> dict[str, str]:
        """A role that began a week ago, with the client's written consent."""
        started = (self.runtime.clock.today() - timedelta(days=7)).isoformat()
        return {
            "kind": "peer_instructor",
            "valid_from": started,
            "consent_evidence": "written",
            "consent_given_on": started,
        }

    def voice_role(self, target: Target) -> int:
        """A peer instructor's role of the target's client (for the end route)."""
        from engine.inputs import Checks
        from engine.voice import add_role

        with self.runtime.db.write() as session:
            row = add_role(
                session,
                client_id=target.client_id,
                recorded_by=self.uid("coach_own_team"),
                values=self.role_form(),
                checks=Checks.of(self.runtime.clock),
                now=self.runtime.clock.now(),
            )
            assert row.id is not None
            return row.id

    def access_rows(self) -> int:
        """How many access-log rows there are (on a Core connection: the matrix asks twice a
        call, and an ORM read session costs more than the count)."""
        with self.runtime.db.engine.connect() as conn:
            return int(conn.execute(_ACCESS_ROWS).scalar_one())

    def snapshot(self, *, skip: frozenset[str] = frozenset({"access_log"})) -> dict[str, list]:
        """Every row of every table but ``skip``, in primary-key order."""
        rows: dict[str, list] = {}
        metadata: MetaData = SQLModel.metadata
        with self.runtime.db.read() as session:
            for name, table in sorted(metadata.tables.items()):
                if name in skip:
                    continue
                order = list(table.primary_key.columns)
                query = select(table).order_by(*order)
                if name == "log_chain" and "access_log" in skip:  # the access log's chain heads
                    query = query.where(table.c.stream != "access_log")
                rows[name] = [tuple(r) for r in session.execute(query)]
            rows["alembic_version"] = list(
                session.execute(text("SELECT version_num FROM alembic_version"))
            )
        return rows


@dataclass(frozen=True)
class RouteCase:
    """A route's expected rule and a well-formed request to it for a target."""

    rule: str
    build: Callable[[World, Target | None], Call]
    #: the answer lists what other routes' calls leave in a shared world (so its access-log rows
    #: would depend on the order the tests ran in): it gets a world of its own
    own_world: bool = False


def _client_body(world: World, _t: Target | None) -> Call:
    return Call(
        "POST",
        "/api/clients",
        json={
            "first_name": "Matriisi",
            "last_name": f"Testi{world.serial()}",
            "municipality_code": "261",
            "participation_consent": True,
        },
    )


def _t(target: Target | None) -> Target:
    assert target is not None
    return target


#: Every route of the app: (method, path) -> the rule it must have and how to call it.
def _described_goal(world: World, target: Target) -> int | None:
    with world.runtime.db.write() as session:
        ready_for_goal_setting(session, target.journey_id, now=world.runtime.clock.now())
        return goals_of(session, target.client_id)[0].id


def _change_goal(world: World, target: Target, *, api: bool = False) -> Call:
    goal_id = _described_goal(world, target)
    url = f"/clients/{target.client_id}/goals/{goal_id}"
    if api:
        return Call("POST", "/api" + url, json={"goal": f"Muutettu {world.serial()}"})
    return Call("POST", url, data={"goal": f"Muutettu {world.serial()}"})


def _follow_up(world: World, target: Target, *, api: bool = False) -> Call:
    """A follow-up rating the target client's one described goal (made here if missing)."""
    goal_id = _described_goal(world, target)
    url = f"/clients/{target.client_id}/goals/follow-ups"
    # today: never before the goal was set (the goal is set on the world's clock)
    today = world.runtime.clock.today().isoformat()
    if api:
        body = {"rated_on": today, "ratings": [{"goal_id": goal_id, "level": 0}]}
        return Call("POST", "/api" + url, json=body)
    return Call("POST", url, data={"rated_on": today, f"goal_{goal_id}": "0"})


ROUTES: dict[tuple[str, str], RouteCase] = {
    ("GET", "/health"): RouteCase("public", lambda w, t: Call("GET", "/health")),
    ("GET", "/login"): RouteCase("public", lambda w, t: Call("GET", "/login")),
    ("POST", "/login"): RouteCase(
        "public", lambda w, t: Call("POST", "/login", data=w.login_form())
    ),
    ("POST", "/api/auth/login"): RouteCase(
        "public", lambda w, t: Call("POST", "/api/auth/login", json=w.login_form())
    ),
    ("POST", "/logout"): RouteCase("authenticated", lambda w, t: Call("POST", "/logout")),
    ("POST", "/api/auth/logout"): RouteCase(
        "authenticated", lambda w, t: Call("POST", "/api/auth/logout")
    ),
    ("GET", "/api/auth/me"): RouteCase("authenticated", lambda w, t: Call("GET", "/api/auth/me")),
    ("POST", "/api/auth/password"): RouteCase(
        "authenticated",
        lambda w, t: Call(
            "POST",
            "/api/auth/password",
            json={"current_password": TEST_PASSWORD, "new_password": TEST_PASSWORD},
        ),
    ),
    ("POST", "/api/clients"): RouteCase("create_client", _client_body),
    ("GET", "/api/journeys/{journey_id}"): RouteCase(
        "client:journey", lambda w, t: Call("GET", f"/api/journeys/{_t(t).journey_id}")
    ),
    ("GET", "/api/journeys/{journey_id}/triggers"): RouteCase(
        "client:triggers", lambda w, t: Call("GET", f"/api/journeys/{_t(t).journey_id}/triggers")
    ),
    ("POST", "/api/journeys/{journey_id}/advance"): RouteCase(
        "client:advance",
        lambda w, t: Call(
            "POST", f"/api/journeys/{_t(t).journey_id}/advance", json={"trigger": "engage"}
        ),
    ),
    ("GET", "/api/clients/{client_id}/care-team"): RouteCase(
        "client:care_team", lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/care-team")
    ),
    ("POST", "/api/clients/{client_id}/care-team"): RouteCase(
        "client:care_team",
        lambda w, t: Call(
            "POST",
            f"/api/clients/{_t(t).client_id}/care-team",
            json={"user_id": w.uid("coach_other_team")},
        ),
    ),
    ("POST", "/api/clients/{client_id}/care-team/{user_id}/end"): RouteCase(
        "client:care_team",
        lambda w, t: Call(
            "POST",
            f"/api/clients/{_t(t).client_id}/care-team/{w.uid('coach_own_team')}/end",
            json={},
        ),
    ),
    ("GET", "/api/clients/{client_id}/log"): RouteCase(
        "client:client_log", lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/log")
    ),
    ("GET", "/api/clients/{client_id}/facts"): RouteCase(
        "client:facts", lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/facts")
    ),
    ("POST", "/api/clients/{client_id}/facts"): RouteCase(
        "client:record_fact",
        lambda w, t: Call(
            "POST",
            f"/api/clients/{_t(t).client_id}/facts",
            json={"key": "unemployed_since", "value": "2025-01-15"},
        ),
    ),
    ("GET", "/api/clients/{client_id}/referral-options"): RouteCase(
        "client:referral_options",
        lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/referral-options"),
    ),
    ("GET", "/api/clients/{client_id}/consents"): RouteCase(
        "client:consent", lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/consents")
    ),
    ("POST", "/api/clients/{client_id}/consents"): RouteCase(
        "client:consent",
        lambda w, t: Call(
            "POST",
            f"/api/clients/{_t(t).client_id}/consents",
            json={
                "organisation_id": w.partner_agency,
                "scope": ["name"],
                "purpose": "Matriisi",
                "evidence": "verbal",
            },
        ),
    ),
    ("POST", "/api/clients/{client_id}/consents/{consent_id}/revoke"): RouteCase(
        "client:consent",
        lambda w, t: Call(
            "POST", f"/api/clients/{_t(t).client_id}/consents/{_t(t).consent_id}/revoke"
        ),
    ),
    ("GET", "/api/clients/{client_id}/referrals"): RouteCase(
        "client:referrals", lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/referrals")
    ),
    ("POST", "/api/clients/{client_id}/referrals"): RouteCase(
        "client:refer",
        lambda w, t: Call(
            "POST",
            f"/api/clients/{_t(t).client_id}/referrals",
            json={
                "target_key": ELIGIBLE_TARGET,
                "fields": ["name"],
                "statutory_basis": "1301/2014:41§",
            },
        ),
    ),
    ("GET", "/api/referrals/{referral_id}"): RouteCase(
        "referral:referral", lambda w, t: Call("GET", f"/api/referrals/{_t(t).referral_id}")
    ),
    ("GET", "/api/referrals/{referral_id}/fhir"): RouteCase(
        "referral:referral_fhir",
        lambda w, t: Call("GET", f"/api/referrals/{_t(t).referral_id}/fhir"),
    ),
    ("POST", "/api/referrals/{referral_id}/advance"): RouteCase(
        "referral:referral_work",
        lambda w, t: Call(
            "POST", f"/api/referrals/{_t(t).referral_id}/advance", json={"trigger": "accept"}
        ),
    ),
    ("POST", "/api/referrals/{referral_id}/cancel"): RouteCase(
        "referral:cancel_referral",
        lambda w, t: Call(
            "POST", f"/api/referrals/{_t(t).referral_id}/cancel", json={"reason": "Matriisi"}
        ),
    ),
    ("GET", "/api/partner/referrals"): RouteCase(
        "partner_inbox", lambda w, t: Call("GET", "/api/partner/referrals")
    ),
    ("GET", "/api/notifications"): RouteCase(
        "authenticated", lambda w, t: Call("GET", "/api/notifications")
    ),
    ("GET", "/api/admin/partner-services"): RouteCase(
        "manage_services", lambda w, t: Call("GET", "/api/admin/partner-services")
    ),
    ("POST", "/api/admin/partner-services"): RouteCase(
        "manage_services",
        lambda w, t: Call(
            "POST",
            "/api/admin/partner-services",
            json={
                "target_key": f"matriisi.palvelu{w.serial()}",
                "organisation_id": w.partner_agency,
                "service_type": "workshop",
                "municipality_code": "261",
            },
        ),
    ),
    ("GET", "/partner/referrals"): RouteCase(
        "partner_inbox", lambda w, t: Call("GET", "/partner/referrals")
    ),
    ("GET", "/partner/referrals/{referral_id}"): RouteCase(
        "referral:referral", lambda w, t: Call("GET", f"/partner/referrals/{_t(t).referral_id}")
    ),
    ("POST", "/partner/referrals/{referral_id}/advance"): RouteCase(
        "referral:referral_work",
        lambda w, t: Call(
            "POST", f"/partner/referrals/{_t(t).referral_id}/advance", data={"trigger": "accept"}
        ),
    ),
    ("POST", "/referrals/{referral_id}/cancel"): RouteCase(
        "referral:cancel_referral",
        lambda w, t: Call(
            "POST", f"/referrals/{_t(t).referral_id}/cancel", data={"reason": "Matriisi"}
        ),
    ),
    ("GET", "/notifications"): RouteCase(
        "authenticated", lambda w, t: Call("GET", "/notifications")
    ),
    ("POST", "/notifications/read"): RouteCase(
        "authenticated", lambda w, t: Call("POST", "/notifications/read")
    ),
    ("GET", "/clients/{client_id}/referrals"): RouteCase(
        "client:referrals", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/referrals")
    ),
    ("POST", "/clients/{client_id}/referrals"): RouteCase(
        "client:refer",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/referrals",
            data={
                "target_key": ELIGIBLE_TARGET,
                "fields": "name",
                "statutory_basis": "1301/2014:41§",
            },
        ),
    ),
    ("POST", "/clients/{client_id}/consents"): RouteCase(
        "client:consent",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/consents",
            data={
                "organisation_id": str(w.partner_agency),
                "scope": "name",
                "purpose": "Matriisi",
                "evidence": "verbal",
            },
        ),
    ),
    ("POST", "/clients/{client_id}/consents/{consent_id}/revoke"): RouteCase(
        "client:consent",
        lambda w, t: Call("POST", f"/clients/{_t(t).client_id}/consents/{_t(t).consent_id}/revoke"),
    ),
    ("GET", "/api/municipalities"): RouteCase(
        "authenticated", lambda w, t: Call("GET", "/api/municipalities")
    ),
    ("GET", "/"): RouteCase("public", lambda w, t: Call("GET", "/")),
    ("GET", "/pathways"): RouteCase("public", lambda w, t: Call("GET", "/pathways")),
    ("GET", "/pathways/{key}"): RouteCase(
        "public", lambda w, t: Call("GET", "/pathways/client_journey")
    ),
    ("POST", "/lang/{code}"): RouteCase(
        "public", lambda w, t: Call("POST", "/lang/sv", data={"next": "/"})
    ),
    # the coach workspace (web/coach.py)
    ("GET", "/clients"): RouteCase("caseload", lambda w, t: Call("GET", "/clients")),
    ("GET", "/clients/new"): RouteCase("create_client", lambda w, t: Call("GET", "/clients/new")),
    ("POST", "/clients/new"): RouteCase(
        "create_client",
        lambda w, t: Call(
            "POST",
            "/clients/new",
            data={"first_name": f"Matriisi{w.serial()}", "municipality_code": "261"},
        ),
    ),
    ("GET", "/clients/{client_id}"): RouteCase(
        "client:client_page", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}")
    ),
    ("POST", "/clients/{client_id}/advance"): RouteCase(
        "client:advance",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/advance",
            data={"trigger": "engage", "expected_version": "1"},
        ),
    ),
    ("POST", "/clients/{client_id}/contacts"): RouteCase(
        "client:record_contact",
        lambda w, t: Call("POST", f"/clients/{_t(t).client_id}/contacts", data={"kind": "phone"}),
    ),
    # the client's facts page (web/fact_pages.py)
    ("GET", "/clients/{client_id}/facts"): RouteCase(
        "client:facts", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/facts")
    ),
    ("POST", "/clients/{client_id}/facts"): RouteCase(
        "client:record_fact",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/facts",
            data={"key": "unemployed_since", "value": "2025-01-15"},
        ),
    ),
    # GAS goals (web/goal_pages.py, web/api/goals.py)
    ("POST", "/clients/{client_id}/goals"): RouteCase(
        "client:set_goal",
        lambda w, t: Call("POST", f"/clients/{_t(t).client_id}/goals", data={"goal": "Matriisi"}),
    ),
    ("POST", "/clients/{client_id}/goals/follow-ups"): RouteCase(
        "client:rate_goals", lambda w, t: _follow_up(w, _t(t))
    ),
    ("GET", "/api/clients/{client_id}/goals"): RouteCase(
        "client:goals", lambda w, t: Call("GET", f"/api/clients/{_t(t).client_id}/goals")
    ),
    ("POST", "/api/clients/{client_id}/goals"): RouteCase(
        "client:set_goal",
        lambda w, t: Call("POST", f"/api/clients/{_t(t).client_id}/goals", json={"goal": "M"}),
    ),
    ("POST", "/api/clients/{client_id}/goals/{goal_id}"): RouteCase(
        "client:set_goal", lambda w, t: _change_goal(w, _t(t), api=True)
    ),
    ("POST", "/clients/{client_id}/goals/{goal_id}"): RouteCase(
        "client:set_goal", lambda w, t: _change_goal(w, _t(t))
    ),
    ("POST", "/api/clients/{client_id}/goals/follow-ups"): RouteCase(
        "client:rate_goals", lambda w, t: _follow_up(w, _t(t), api=True)
    ),
    # assessments, strengths and the CV (web/assessment_pages.py)
    ("GET", "/clients/{client_id}/assessments"): RouteCase(
        "client:assessments", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/assessments")
    ),
    ("POST", "/clients/{client_id}/assessments"): RouteCase(
        "client:record_assessment",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/assessments",
            data={"instrument": "kykyviisari", "score.overall_work_ability": "6"},
        ),
    ),
    ("GET", "/clients/{client_id}/care-team"): RouteCase(
        "client:care_team", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/care-team")
    ),
    ("POST", "/clients/{client_id}/care-team"): RouteCase(
        "client:care_team",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/care-team",
            data={"user_id": str(w.uid("coach_other_team")), "role": "job_coach"},
        ),
    ),
    ("POST", "/clients/{client_id}/care-team/{user_id}/end"): RouteCase(
        "client:care_team",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/care-team/{w.uid('coach_own_team')}/end",
            data={},
        ),
    ),
    ("GET", "/clients/{client_id}/strengths"): RouteCase(
        "client:strengths", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/strengths")
    ),
    ("POST", "/clients/{client_id}/strengths"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/strengths",
            data={"category": "skill", "text": "Matriisi"},
        ),
    ),
    ("POST", "/clients/{client_id}/strengths/{strength_id}"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/strengths/{w.strength(_t(t))}",
            data={"category": "quality", "text": "Matriisi"},
        ),
    ),
    ("POST", "/clients/{client_id}/strengths/{strength_id}/remove"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST", f"/clients/{_t(t).client_id}/strengths/{w.strength(_t(t))}/remove"
        ),
    ),
    ("POST", "/clients/{client_id}/experiences"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/experiences",
            data={"kind": "work", "title": "Matriisi"},
        ),
    ),
    ("POST", "/clients/{client_id}/experiences/{experience_id}"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/experiences/{w.experience(_t(t))}",
            data={"kind": "studies", "title": "Matriisi"},
        ),
    ),
    ("POST", "/clients/{client_id}/experiences/{experience_id}/remove"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST", f"/clients/{_t(t).client_id}/experiences/{w.experience(_t(t))}/remove"
        ),
    ),
    ("POST", "/clients/{client_id}/qualifications"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/qualifications",
            data={
                "kind": "work_safety_card",
                "name": "Matriisi",
                "gained_on": w.runtime.clock.today().isoformat(),
                "issuer": "TTK",
            },
        ),
    ),
    ("POST", "/clients/{client_id}/qualifications/{qualification_id}"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/qualifications/{w.qualification(_t(t))}",
            data={
                "kind": "other",
                "name": "Matriisi",
                "gained_on": w.runtime.clock.today().isoformat(),
                "issuer": "SPR",
            },
        ),
    ),
    ("POST", "/clients/{client_id}/qualifications/{qualification_id}/remove"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST",
            f"/clients/{_t(t).client_id}/qualifications/{w.qualification(_t(t))}/remove",
        ),
    ),
    # the client's voice (web/voice_pages.py)
    ("GET", "/clients/{client_id}/voice"): RouteCase(
        "client:feedback", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/voice")
    ),
    ("POST", "/clients/{client_id}/feedback"): RouteCase(
        "client:record_feedback",
        lambda w, t: Call(
            "POST", f"/clients/{_t(t).client_id}/feedback", data={"satisfaction": "4"}
        ),
    ),
    ("POST", "/clients/{client_id}/feedback-links"): RouteCase(
        "client:feedback_link",
        lambda w, t: Call(
            "POST", f"/clients/{_t(t).client_id}/feedback-links", data={"language": "fi"}
        ),
    ),
    ("POST", "/clients/{client_id}/voice-roles"): RouteCase(
        "client:voice_roles",
        lambda w, t: Call("POST", f"/clients/{_t(t).client_id}/voice-roles", data=w.role_form()),
    ),
    ("POST", "/clients/{client_id}/voice-roles/{role_id}/end"): RouteCase(
        "client:voice_roles",
        lambda w, t: Call(
            "POST", f"/clients/{_t(t).client_id}/voice-roles/{w.voice_role(_t(t))}/end"
        ),
    ),
    # the client's own page: a forged secret gets the neutral page (the real one:
    # tests/security/test_feedback_link.py)
    ("GET", "/palaute/{token}"): RouteCase(
        "public", lambda w, t: Call("GET", "/palaute/" + "A" * 43)
    ),
    ("POST", "/palaute/{token}"): RouteCase(
        "public", lambda w, t: Call("POST", "/palaute/" + "A" * 43, data={"satisfaction": "3"})
    ),
    ("POST", "/clients/{client_id}/cv-contact"): RouteCase(
        "client:record_strengths",
        lambda w, t: Call(
            "POST", f"/clients/{_t(t).client_id}/cv-contact", data={"location": "Kittilä"}
        ),
    ),
    ("GET", "/clients/{client_id}/cv"): RouteCase(
        "client:cv", lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/cv?lang=sv")
    ),
    ("GET", "/api/reports/funnel"): RouteCase(
        "organisation_report", lambda w, t: Call("GET", "/api/reports/funnel")
    ),
    ("GET", "/api/admin/users"): RouteCase(
        "manage_users", lambda w, t: Call("GET", "/api/admin/users")
    ),
    ("POST", "/api/admin/users"): RouteCase(
        "manage_users",
        lambda w, t: Call(
            "POST",
            "/api/admin/users",
            json={
                "username": f"uusi{w.serial()}",
                "display_name": "Uusi Käyttäjä",
                "role": "coach",
                "organisation_id": w.organisation_a,
                "password": "alkusalasana-123",
            },
        ),
    ),
    ("POST", "/api/admin/users/{user_id}/disable"): RouteCase(
        "manage_users",
        lambda w, t: Call("POST", f"/api/admin/users/{w.spare_user()}/disable"),
    ),
}


# --- groups (web/group_pages.py): a fresh group per call (World.group) ---------------------------


def _group_call(
    method: str, path: str, data: Callable[[GroupTarget], dict[str, str]] | None = None
) -> Callable[[World, Target | None], Call]:
    def build(w: World, _t: Target | None) -> Call:
        g = w.group()
        url = path.format(
            group_id=g.group_id, membership_id=g.membership_id, session_id=g.session_id
        )
        return Call(method, url, data=data(g) if data else None)

    return build


ROUTES.update(
    {
        ("GET", "/groups"): RouteCase("group_list", lambda w, t: Call("GET", "/groups")),
        ("GET", "/groups/new"): RouteCase("create_group", lambda w, t: Call("GET", "/groups/new")),
        ("POST", "/groups/new"): RouteCase(
            "create_group",
            lambda w, t: Call(
                "POST",
                "/groups/new",
                data={
                    "name": f"Matriisiryhmä {w.serial()}",
                    "municipality_code": "261",
                    "first_date": "2026-03-05",
                    "first_time": "13:00",
                    "meetings": "8",
                },
            ),
        ),
        ("GET", "/groups/{group_id}"): RouteCase(
            "group:group", _group_call("GET", "/groups/{group_id}")
        ),
        ("POST", "/groups/{group_id}/sessions/{session_id}"): RouteCase(
            "group_schedule",
            _group_call(
                "POST",
                "/groups/{group_id}/sessions/{session_id}",
                lambda g: {"date": "2026-03-05", "time": "13:00", "topic": "Matriisi"},
            ),
        ),
        ("POST", "/groups/{group_id}/members/{membership_id}/advance"): RouteCase(
            "group:group_work",
            _group_call(
                "POST",
                "/groups/{group_id}/members/{membership_id}/advance",
                lambda g: {"trigger": "drop_out", "reason": "Matriisi"},
            ),
        ),
        ("POST", "/groups/{group_id}/members/{membership_id}/consent"): RouteCase(
            "group:group_work",
            _group_call(
                "POST",
                "/groups/{group_id}/members/{membership_id}/consent",
                lambda g: {"consent_evidence": "written"},
            ),
        ),
        ("POST", "/groups/{group_id}/attendance"): RouteCase(
            "group:group_work",
            _group_call(
                "POST",
                "/groups/{group_id}/attendance",
                lambda g: {
                    "membership_id": str(g.membership_id),
                    "session_id": str(g.session_id),
                    "present": "1",
                },
            ),
        ),
        ("POST", "/groups/{group_id}/members"): RouteCase(
            "group:group_work",
            lambda w, t: Call(
                "POST",
                f"/groups/{w.group().group_id}/members",
                data={"client_id": str(w.spare_client())},
            ),
        ),
        ("POST", "/clients/{client_id}/groups"): RouteCase(
            "client:group_invite",
            lambda w, t: Call(
                "POST",
                f"/clients/{_t(t).client_id}/groups",
                data={"group_id": str(w.group().group_id)},
            ),
        ),
    }
)
# --- events (web/event_pages.py): a fresh event per call (World.event) -------------------------


def _event_call(
    method: str, path: str, data: Callable[[EventTarget], dict[str, str]] | None = None
) -> Callable[[World, Target | None], Call]:
    def build(w: World, _t: Target | None) -> Call:
        e = w.event()
        url = path.format(event_id=e.event_id, session_id=e.future_session_id)
        return Call(method, url, data=data(e) if data else None)

    return build


ROUTES.update(
    {
        ("GET", "/events"): RouteCase("event_list", lambda w, t: Call("GET", "/events")),
        ("GET", "/events/new"): RouteCase("create_event", lambda w, t: Call("GET", "/events/new")),
        ("POST", "/events/new"): RouteCase(
            "create_event",
            lambda w, t: Call(
                "POST",
                "/events/new",
                data={
                    "kind": "study_visit",
                    "title": "Tutustumiskäynti",
                    "municipality_code": "261",
                    "leader": "expert",
                    "expert_name": "Opo",
                    "expert_organisation": "Ammattiopisto",
                    "place": "Ammattiopisto",
                    "first_date": "2030-05-07",
                    "first_time": "10:00",
                    "sessions": "1",
                },
            ),
        ),
        ("GET", "/events/{event_id}"): RouteCase(
            "event:event", _event_call("GET", "/events/{event_id}")
        ),
        ("POST", "/events/{event_id}/participants"): RouteCase(
            "event:event_work",
            lambda w, t: Call(
                "POST",
                f"/events/{w.event().event_id}/participants",
                data={"client_id": str(w.spare_client())},
            ),
        ),
        ("POST", "/events/{event_id}/attendance"): RouteCase(
            "event:event_work",
            _event_call(
                "POST",
                "/events/{event_id}/attendance",
                lambda e: {
                    "participant_id": str(e.participant_id),
                    "session_id": str(e.session_id),
                    "attendance": "other_appointment",
                    "notified": "1",
                },
            ),
        ),
        ("POST", "/events/{event_id}/sessions/{session_id}/cancel"): RouteCase(
            "event_schedule", _event_call("POST", "/events/{event_id}/sessions/{session_id}/cancel")
        ),
    }
)


# --- the coordinator's pages (web/coordinator_pages.py) and administration (web/admin_pages.py) ---


def _admin_form(path: str, data: Callable[[World], dict[str, str]] | None = None) -> RouteCase:
    return RouteCase(
        "manage_users", lambda w, t: Call("POST", path, data=data(w) if data else None)
    )


def _spare_token(w: World) -> int:
    user_id = w.spare_user()  # its own write first: write sessions do not nest
    with w.runtime.db.write() as session:
        _token, row = w.runtime.auth.create_api_token(session, user_id, "matrix")
        assert row.id is not None
        return row.id


ROUTES.update(
    {
        ("GET", "/reports"): RouteCase(
            "organisation_report", lambda w, t: Call("GET", "/reports?municipality=")
        ),
        # an empty search shows no client (a search that does is tested in test_coordinator_pages)
        # no role holder in the world: the list shows no client (tests/test_voice_pages.py)
        ("GET", "/reports/voice-roles"): RouteCase(
            "organisation_report", lambda w, t: Call("GET", "/reports/voice-roles"), own_world=True
        ),
        ("GET", "/reports/client-log"): RouteCase(
            "client_log_search", lambda w, t: Call("GET", "/reports/client-log?q=")
        ),
        ("GET", "/reports/client-log/{client_id}"): RouteCase(
            "client:client_log",
            lambda w, t: Call("GET", f"/reports/client-log/{_t(t).client_id}"),
        ),
        ("GET", "/admin"): RouteCase("manage_users", lambda w, t: Call("GET", "/admin")),
        ("GET", "/admin/users"): RouteCase(
            "manage_users", lambda w, t: Call("GET", "/admin/users")
        ),
        ("POST", "/admin/users"): _admin_form(
            "/admin/users",
            lambda w: {
                "username": f"uusi{w.serial()}",
                "display_name": "Uusi Käyttäjä",
                "role": "coach",
                "organisation_id": str(w.organisation_a),
                "password": "alkusalasana-123",
            },
        ),
        ("POST", "/admin/users/{user_id}/disable"): RouteCase(
            "manage_users",
            lambda w, t: Call("POST", f"/admin/users/{w.spare_user()}/disable"),
        ),
        ("POST", "/admin/users/{user_id}/reset-totp"): RouteCase(
            "manage_users",
            lambda w, t: Call("POST", f"/admin/users/{w.spare_user()}/reset-totp"),
        ),
        ("POST", "/admin/users/{user_id}/role"): RouteCase(
            "manage_users",
            lambda w, t: Call(
                "POST",
                f"/admin/users/{w.spare_user()}/role",
                data={"role": "coordinator", "organisation_id": str(w.organisation_a)},
            ),
        ),
        ("GET", "/admin/organisations"): RouteCase(
            "manage_users", lambda w, t: Call("GET", "/admin/organisations")
        ),
        ("POST", "/admin/organisations"): _admin_form(
            "/admin/organisations",
            lambda w: {
                "name": f"Matriisi {w.serial()}",
                "kind": "partner",
                "municipalities": "261",
            },
        ),
        ("GET", "/admin/tokens"): RouteCase(
            "manage_users", lambda w, t: Call("GET", "/admin/tokens")
        ),
        ("POST", "/admin/tokens"): _admin_form(
            "/admin/tokens", lambda w: {"user_id": str(w.spare_user()), "name": "Matriisi"}
        ),
        ("POST", "/admin/tokens/{token_id}/revoke"): RouteCase(
            "manage_users",
            lambda w, t: Call("POST", f"/admin/tokens/{_spare_token(w)}/revoke"),
        ),
        ("GET", "/admin/services"): RouteCase(
            "manage_services", lambda w, t: Call("GET", "/admin/services")
        ),
        ("POST", "/admin/services"): RouteCase(
            "manage_services",
            lambda w, t: Call(
                "POST",
                "/admin/services",
                data={
                    "target_key": OTHER_TARGET,
                    "organisation_id": str(w.partner_agency_2),
                    "service_type": "other",
                    "municipality_code": "261",
                    "response_days": "7",
                },
            ),
        ),
        ("GET", "/admin/plugins"): RouteCase(
            "manage_users", lambda w, t: Call("GET", "/admin/plugins")
        ),
    }
)


def _entry_form(world: World, target: Target | None) -> Call:
    project = world.project()
    return Call(
        "POST",
        f"/clients/{_t(target).client_id}/participant/entry",
        data={
            "project_id": str(project),
            "occurred_on": world.runtime.clock.today().isoformat(),
            "gender": "declined",
        },
    )


ROUTES.update(
    {
        ("GET", "/clients/{client_id}/participant"): RouteCase(
            "client:participant_data",
            lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/participant"),
        ),
        ("GET", "/clients/{client_id}/participant/{kind}"): RouteCase(
            "client:participant_form",
            lambda w, t: Call("GET", f"/clients/{_t(t).client_id}/participant/entry"),
        ),
        ("POST", "/clients/{client_id}/participant/{kind}"): RouteCase(
            "client:participant_form", _entry_form
        ),
        ("GET", "/reports/funder"): RouteCase(
            "funder_report", lambda w, t: Call("GET", f"/reports/funder?project={w.project()}")
        ),
        ("POST", "/reports/funder/export"): RouteCase(
            "funder_report",
            lambda w, t: Call(
                "POST",
                "/reports/funder/export",
                data={"project": str(w.project()), "format": "csv"},
            ),
        ),
    }
)

#: Access-log rows of an allowed group call: one per member whose data it shows.
GROUP_ROWS = {"group:group": 1, "group:group_work": 1, "group_schedule": 0}
#: ... and of an event call: one per participant shown (the one added, the one marked).
EVENT_ROWS = {"event:event": 1, "event:event_work": 1, "event_schedule": 0}


def _allowed_in_groups(rule: str, actor: str) -> bool | None:
    """The expectation of a group rule (None: not one)."""
    if rule == "group_list":
        return actor in {
            "coach_own_team",
            "coach_other_team",
            "coordinator",
            "partner",
            "partner_other",
        }
    if rule == "create_group":
        return actor in {"coach_own_team", "coach_other_team"}
    if rule == "group:group":
        return actor in {"coach_own_team", "coordinator", "partner"}
    if rule in {"group:group_work", "group_schedule"}:
        return actor == "coach_own_team"
    if rule == "event_list":
        return actor in {"coach_own_team", "coach_other_team", "coordinator"}
    if rule == "create_event":
        return actor in {"coach_own_team", "coach_other_team"}
    if rule == "event:event":
        return actor in {"coach_own_team", "coordinator"}
    if rule in {"event:event_work", "event_schedule"}:
        return actor == "coach_own_team"
    return None


def allowed(rule: str, actor: str, obj: str | None) -> bool:
    """The expected answer, written independently of the app's own declarations."""
    if rule == "public":
        return True
    if (in_groups := _allowed_in_groups(rule, actor)) is not None:
        return in_groups
    if rule == "authenticated":
        return actor != "anonymous"
    if rule in {"create_client", "caseload"}:
        return actor in {"coach_own_team", "coach_other_team"}
    if rule in {"organisation_report", "client_log_search", "funder_report"}:
        return actor == "coordinator"
    if rule == "manage_users":
        return actor == "admin"
    if rule in CLIENT_VIEW_RULES:
        return actor == "coach_own_team" and obj in {"own", "revoked"}
    if rule == "client:client_log":
        return actor == "coordinator" and obj in {"own", "former", "revoked"}
    if rule == "partner_inbox":
        return actor in {"partner", "partner_other"}
    if rule == "manage_services":
        return actor == "admin"
    receiving_partner = (actor == "partner" and obj in {"own", "former"}) or (
        actor == "partner_other" and obj == "other"
    )
    if rule in REFERRAL_READ_RULES:
        return (actor == "coach_own_team" and obj in {"own", "revoked"}) or receiving_partner
    if rule == "referral:referral_work":
        return receiving_partner
    if rule == "referral:cancel_referral":
        return actor == "coach_own_team" and obj in {"own", "revoked"}
    raise KeyError(f"no expectation for rule {rule!r}: add it to tests/security/world.py")


def access_rows_expected(rule: str, ok: bool, method: str = "POST") -> int:
    """Rows an answered request adds to the access log: one per allowed view of client data
    (creating a client shows it; the empty intake form and the matrix's empty caseloads show
    no client)."""
    creates = rule == "create_client" and method == "POST"
    if rule in GROUP_ROWS:
        return int(ok) * GROUP_ROWS[rule]
    if rule in EVENT_ROWS:
        return int(ok) * EVENT_ROWS[rule]
    return int(ok and (is_object_rule(rule) or creates))


@dataclass(frozen=True)
class AppRoute:
    method: str
    path: str
    declared: tuple[str, ...]


def app_routes(app: FastAPI) -> list[AppRoute]:
    """Every (method, path) the app answers, enumerated from ``app.routes`` (FastAPI's own walk
    through included routers), with the rules it declares; framework doc routes left out."""
    from web.security import framework_route, route_rules

    found = []
    for route in iter_route_contexts(app.routes):
        if framework_route(route):
            continue
        assert isinstance(route.original_route, APIRoute), f"not an API route: {route.path}"
        declared = tuple(r.name for r in route_rules(route))
        for method in sorted(route.methods or ()):
            found.append(AppRoute(method, str(route.path), declared))
    return found


#: The routes of an app built with test settings (no database needed to list them).
APP_ROUTES = app_routes(create_app(settings_for_tests("sqlite://", environment=Environment.test)))
