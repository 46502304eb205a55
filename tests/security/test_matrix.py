"""The authorisation matrix: every route of the app x every actor x every object kind x session
cookie and API token. Zero unauthorised 2xx; every authorised call succeeds (so a broken request
cannot pass for a refusal); only allowed views of client data write access-log rows, one each.

A route added to the app without an entry in tests/security/world.py ROUTES fails here, and an
app with a route that declares no access rule does not even start (web.security.check_routes).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter

from engine.runtime import Runtime
from tests.security.world import (
    ACTORS,
    APP_ROUTES,
    MODES,
    OBJECTS,
    OWN_WORLD_RULES,
    ROUTES,
    AppRoute,
    World,
    access_rows_expected,
    allowed,
    is_object_rule,
    world_on,
)
from web.app import create_app
from web.security import PUBLIC, CurrentUser, check_routes


def test_every_route_of_the_app_is_in_the_matrix() -> None:
    listed = {(r.method, r.path) for r in APP_ROUTES}
    assert listed == set(ROUTES), (
        f"routes missing from tests/security/world.py ROUTES: {sorted(listed - set(ROUTES))}; "
        f"listed but gone from the app: {sorted(set(ROUTES) - listed)}"
    )


@pytest.mark.parametrize("route", APP_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_declares_the_expected_rule(route: AppRoute) -> None:
    case = ROUTES.get((route.method, route.path))
    assert case is not None, f"{route.method} {route.path} is not in the matrix"
    assert route.declared == (case.rule,)


@pytest.fixture(scope="module")
def shared_world(module_database_url: str) -> Iterator[World]:
    """One world for the routes of this module (each call makes its own targets)."""
    with world_on(module_database_url) as world:
        yield world


@pytest.fixture
def world(shared_world: World, route: AppRoute, request: pytest.FixtureRequest) -> Iterator[World]:
    """The module's shared world, or a world of its own for a route that lists the actor's
    clients (:data:`OWN_WORLD_RULES`, ``RouteCase.own_world``)."""
    case = ROUTES[(route.method, route.path)]
    if case.rule not in OWN_WORLD_RULES and not case.own_world:
        yield shared_world
        return
    with world_on(request.getfixturevalue("another_database")()) as world:
        yield world


@pytest.mark.parametrize("route", APP_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_matrix(world: World, route: AppRoute) -> None:
    case = ROUTES[(route.method, route.path)]
    is_client_route = is_object_rule(case.rule)
    failures = []
    # An allowed write gets a fresh target of its own (it changes it). A refused call and a GET
    # change nothing (a GET: test_get_is_safe.py), so they share the world's one target per
    # object kind (World.unchanged_target).
    for actor in ACTORS:
        for mode in MODES if actor != "anonymous" else MODES[:1]:
            for obj in OBJECTS if is_client_route else (None,):
                ok = allowed(case.rule, actor, obj)
                if obj is None:
                    target = None
                elif ok and route.method not in {"GET", "HEAD"}:
                    target = world.target(obj)
                else:
                    target = world.unchanged_target(obj)
                call = case.build(world, target)
                http = world.http(actor, mode)
                rows_before = world.access_rows()
                response = call.send(http)
                http.close()
                status = response.status_code
                where = f"{actor} ({mode}) on {obj or '-'}: {status}"
                if ok and not 200 <= status < 400:
                    failures.append(f"{where}, expected success: {response.text[:200]}")
                if not ok and status != (401 if actor == "anonymous" else 403):
                    failures.append(f"{where}, expected {401 if actor == 'anonymous' else 403}")
                added = world.access_rows() - rows_before
                if added != access_rows_expected(case.rule, ok, route.method):
                    failures.append(f"{where}: {added} access-log rows")
    assert failures == []


def test_an_app_with_a_route_without_a_rule_does_not_start(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    stray = APIRouter()

    @stray.get("/api/forgotten")
    def forgotten() -> dict[str, str]:
        return {"leak": "yes"}

    app.include_router(stray)
    with pytest.raises(RuntimeError, match=r"GET /api/forgotten: access rules none"):
        check_routes(app)


def test_a_route_with_two_rules_does_not_start(runtime: Runtime) -> None:
    app = create_app(runtime=runtime)
    twice = APIRouter()

    @twice.get("/api/ambiguous", dependencies=[PUBLIC])
    def ambiguous(_auth: CurrentUser) -> dict[str, str]:
        return {}

    app.include_router(twice)
    with pytest.raises(RuntimeError, match=r"GET /api/ambiguous: access rules public, auth"):
        check_routes(app)
