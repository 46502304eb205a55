"""engine.access on its own: care-team validity dates, and the one-client check and the query
filter agreeing for every combination (they share one condition per grant)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import col

from engine.access import (
    GRANTS,
    Basis,
    Principal,
    What,
    authorise_client,
    authorise_journey,
    basis_for,
    can_create_client,
    can_manage_users,
    can_see_organisation_reports,
    visible_clients,
)
from engine.errors import Forbidden, NotFound
from engine.models import OrganisationKind, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, make_user
from web.testing import UserClient

TODAY = date(2026, 6, 15)


def principal(runtime: Runtime, role: Role, organisation_id: int | None = None) -> Principal:
    user = make_user(runtime, role, organisation_id=organisation_id)
    assert user.id is not None
    return Principal(user.id, role, user.organisation_id)


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "sees"),
    [
        (TODAY, None, True),
        (TODAY - timedelta(days=100), TODAY, True),  # last day inclusive
        (TODAY - timedelta(days=100), TODAY - timedelta(days=1), False),  # ended yesterday
        (TODAY + timedelta(days=1), None, False),  # starts tomorrow
    ],
)
def test_care_team_validity_dates(
    runtime: Runtime, valid_from: date, valid_to: date | None, sees: bool
) -> None:
    coach = principal(runtime, Role.coach)
    client_id, _ = make_client(
        runtime, care_team=(coach.user_id,), valid_from=valid_from, valid_to=valid_to
    )
    with runtime.db.read() as session:
        basis = basis_for(session, coach, client_id, What.journey, TODAY)
        visible = session.execute(visible_clients(coach, What.journey, TODAY)).scalars().all()
    assert (basis == Basis.care_team) is sees
    assert (client_id in visible) is sees


def test_check_and_filter_agree_for_every_role_and_view(runtime: Runtime) -> None:
    a = make_organisation(runtime, "project", "A")
    b = make_organisation(runtime, "project", "B")
    partner = make_organisation(runtime, OrganisationKind.partner, "P")
    people = [
        principal(runtime, Role.coach, a),
        principal(runtime, Role.coach, b),
        principal(runtime, Role.coordinator, a),
        principal(runtime, Role.partner, partner),
        principal(runtime, Role.admin, a),
    ]
    clients = [
        make_client(runtime, organisation_id=a, care_team=(people[0].user_id,))[0],
        make_client(runtime, organisation_id=b, care_team=(people[1].user_id,))[0],
        make_client(runtime, organisation_id=a)[0],
        make_client(runtime, organisation_id=None, care_team=(people[0].user_id,))[0],
    ]
    seen = 0
    with runtime.db.read() as session:
        for who in people:
            for what in What:
                listed = set(session.execute(visible_clients(who, what, TODAY)).scalars())
                for client_id in clients:
                    one = basis_for(session, who, client_id, what, TODAY) is not None
                    assert one == (client_id in listed), (who, what, client_id)
                    seen += one
    assert seen > 0


def test_the_journey_check_is_the_client_check_in_one_statement(runtime: Runtime) -> None:
    """Issue 16: a journey route's rule asks for the journey's client and every grant in one
    statement (authorise_journey); it answers as basis_for on that client, with the same errors."""
    a = make_organisation(runtime, "project", "A")
    partner = make_organisation(runtime, OrganisationKind.partner, "P")
    people = [
        principal(runtime, Role.coach, a),
        principal(runtime, Role.coach, a),
        principal(runtime, Role.coordinator, a),
        principal(runtime, Role.partner, partner),
        principal(runtime, Role.admin, a),
    ]
    journeys = [
        make_client(runtime, organisation_id=a, care_team=(people[0].user_id,)),
        make_client(runtime, organisation_id=a, care_team=(people[1].user_id,)),
        make_client(runtime, organisation_id=a),
    ]
    allowed = 0
    with runtime.db.read() as session:
        for who in people:
            for what in What:
                for client_id, journey_id in journeys:
                    expected = basis_for(session, who, client_id, what, TODAY)
                    try:
                        found = authorise_journey(session, who, journey_id, what, TODAY)
                    except Forbidden:
                        assert expected is None, (who, what, client_id)
                    else:
                        assert found == (client_id, expected), (who, what, client_id)
                        allowed += 1
                if any(what in g.what and who.role in g.roles for g in GRANTS):
                    with pytest.raises(NotFound):
                        authorise_journey(session, who, 999_999, what, TODAY)
                else:
                    with pytest.raises(Forbidden):
                        authorise_journey(session, who, 999_999, what, TODAY)
    assert allowed > 0


def test_a_check_built_for_one_user_and_day_answers_only_for_them(runtime: Runtime) -> None:
    """Issue 16: the access checks are built once per user, kind of view and day and then
    reused (engine/access.py, ``_journey_check``, ``_client_check``). A care-team membership that
    ends today is seen today, not tomorrow, and again today; a colleague in the same organisation
    asking right after the member is still refused (a check reused across users or days would
    answer both wrongly)."""
    a = make_organisation(runtime, "project", "A")
    member = principal(runtime, Role.coach, a)
    colleague = principal(runtime, Role.coach, a)
    client_id, journey_id = make_client(
        runtime, organisation_id=a, care_team=(member.user_id,), valid_from=TODAY, valid_to=TODAY
    )
    tomorrow = TODAY + timedelta(days=1)
    with runtime.db.read() as session:
        for day, sees in ((TODAY, True), (tomorrow, False), (TODAY, True)):
            assert (basis_for(session, member, client_id, What.journey, day) is not None) is sees
            if sees:
                assert authorise_journey(session, member, journey_id, What.advance, day) == (
                    client_id,
                    Basis.care_team,
                )
            else:
                with pytest.raises(Forbidden):
                    authorise_journey(session, member, journey_id, What.advance, day)
            assert basis_for(session, colleague, client_id, What.journey, day) is None
            with pytest.raises(Forbidden):
                authorise_journey(session, colleague, journey_id, What.advance, day)
            with pytest.raises(Forbidden):
                authorise_client(session, colleague, client_id, What.journey, day)


def test_admin_has_no_grant_and_partner_only_the_referral_packet() -> None:
    for grant in GRANTS:
        assert Role.admin not in grant.roles
        if Role.partner in grant.roles and grant.basis == Basis.group_co_leader:
            # groups: the co-leader sees the group page (names, attendance) of their own group
            assert grant.roles == {Role.partner}
            assert grant.what == {What.group}
            assert grant.for_group is not None
        elif Role.partner in grant.roles:
            # docs/referrals.md: the receiving partner, while consent holds, sees one referral
            assert grant.basis == Basis.referral_consent
            assert grant.roles == {Role.partner}
            assert grant.what == {What.referral, What.referral_work, What.referral_fhir}
            assert grant.for_referral is not None


def test_authorise_client_refuses_before_looking_up(runtime: Runtime) -> None:
    admin = principal(runtime, Role.admin)
    coach = principal(runtime, Role.coach)
    with runtime.db.read() as session:
        with pytest.raises(Forbidden):
            authorise_client(session, admin, 999_999, What.journey, TODAY)
        with pytest.raises(NotFound):
            authorise_client(session, coach, 999_999, What.journey, TODAY)


def test_rules_that_concern_no_single_client(runtime: Runtime) -> None:
    coach, coordinator, admin = (
        principal(runtime, Role.coach),
        principal(runtime, Role.coordinator),
        principal(runtime, Role.admin),
    )
    partner = principal(runtime, Role.partner)
    assert [can_create_client(p) for p in (coach, coordinator, admin, partner)] == [
        True,
        False,
        False,
        False,
    ]
    assert [can_see_organisation_reports(p) for p in (coach, coordinator, admin, partner)] == [
        False,
        True,
        False,
        False,
    ]
    assert [can_manage_users(p) for p in (coach, coordinator, admin, partner)] == [
        False,
        False,
        True,
        False,
    ]


def test_funnel_counts_only_the_coordinators_organisation(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coordinator = api_as("coordinator")
    own = make_organisation(runtime, "project")
    other = make_organisation(runtime, "project", "Toinen hanke")
    assert coordinator.organisation_id == own
    for _ in range(2):
        make_client(runtime, organisation_id=own)
    for _ in range(3):
        make_client(runtime, organisation_id=other)
    body = coordinator.get("/api/reports/funnel").json()
    assert body["organisation_id"] == own
    assert body["stages"][0] == {"stage": "contacted", "journeys": 2}


def test_a_policy_that_raises_fails_closed(
    runtime: Runtime, api_as: Callable[..., UserClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from engine import access
    from web.testing import sign_in

    coach = api_as("coach")
    journey_id = coach.post(
        "/api/clients", json={"first_name": "A", "last_name": "B", "municipality_code": "261"}
    ).json()["journey"]["id"]

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("policy lookup failed")

    monkeypatch.setattr(access, "basis_for", unavailable)
    monkeypatch.setattr(access, "authorise_journey", unavailable)  # a journey route's check
    http = TestClient(coach.app, raise_server_exceptions=False)
    sign_in(http, runtime, coach.user_id)
    response = http.get(f"/api/journeys/{journey_id}")
    assert response.status_code == 500
    assert "outreach" not in response.text


def test_two_parallel_adds_of_one_coach_leave_one_membership(runtime: Runtime) -> None:
    """Each add holds its transaction open after the overlap check until the other add waits
    for its lock (or has finished): without the lock on the client row both would pass the
    check, and a duplicate row would outlive "end membership"."""
    import threading

    from sqlalchemy import func, select

    from engine.clients import add_care_team_member
    from engine.errors import InputRequired
    from engine.models import CareTeam
    from tests.lock_kit import hold_until_others_wait

    org = make_organisation(runtime, "project", "A")
    lead = principal(runtime, Role.coach, org)
    other = principal(runtime, Role.coach, org)
    client_id, _ = make_client(runtime, organisation_id=org, care_team=(lead.user_id,))
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add() -> None:
        barrier.wait()
        try:
            with runtime.db.write() as session:
                add_care_team_member(
                    session,
                    client_id=client_id,
                    member={
                        "user_id": other.user_id,
                        "valid_from": TODAY,
                        "valid_to": None,
                    },
                    added_by=lead.user_id,
                    today=runtime.clock.today(),
                    now=runtime.clock.now(),
                )
                hold_until_others_wait(runtime, threads)
            outcomes.append("added")
        except InputRequired:
            outcomes.append("refused")

    threads = [threading.Thread(target=add) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["added", "refused"]
    with runtime.db.read() as session:
        rows = session.execute(
            select(func.count())
            .select_from(CareTeam)
            .where(col(CareTeam.client_id) == client_id, col(CareTeam.user_id) == other.user_id)
        ).scalar_one()
    assert rows == 1


def test_a_driver_statement_refuses_an_expanding_in_list(runtime: Runtime) -> None:
    """The access checks run as DriverStatements (compiled once, sent as they are). An IN list
    is rendered per execution, so its compiled SQL is incomplete: refused with a clear error,
    never sent."""
    from sqlalchemy import select

    from engine.driver import DriverStatement, connection_of
    from engine.models import Client

    statement = DriverStatement(select(col(Client.id)).where(col(Client.id).in_([1, 2])))
    with runtime.db.read() as session, pytest.raises(ValueError, match="expanding"):
        statement.first(connection_of(session), {})
