"""GET never changes state: every GET route of the app, called by an actor allowed to use it,
leaves every table as it was, except the access log, which gains exactly the view's row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.world import (
    ACTORS,
    APP_ROUTES,
    OWN_WORLD_RULES,
    ROUTES,
    AppRoute,
    World,
    access_rows_expected,
    allowed,
    is_object_rule,
    world_on,
)

GET_ROUTES = [r for r in APP_ROUTES if r.method in {"GET", "HEAD"}]


def test_there_are_get_routes_to_check() -> None:
    assert len(GET_ROUTES) >= 8


@pytest.fixture(scope="module")
def shared_world(module_database_url: str) -> Iterator[World]:
    """One world for the routes of this module (each call makes its own targets)."""
    with world_on(module_database_url) as world:
        yield world


@pytest.fixture
def world(shared_world: World, route: AppRoute, request: pytest.FixtureRequest) -> Iterator[World]:
    """The module's shared world, or a world of its own for a route that lists the actor's
    clients (:data:`OWN_WORLD_RULES`)."""
    if ROUTES[(route.method, route.path)].rule not in OWN_WORLD_RULES:
        yield shared_world
        return
    with world_on(request.getfixturevalue("another_database")()) as world:
        yield world


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_get_leaves_the_database_unchanged(world: World, route: AppRoute) -> None:
    case = ROUTES[(route.method, route.path)]
    obj = "own" if is_object_rule(case.rule) else None
    actor = next(a for a in ACTORS if allowed(case.rule, a, obj))
    # one target for every route: a GET that changed it fails here, before it could mislead
    target = world.unchanged_target("own") if obj else None
    call = case.build(world, target)
    http = world.http(actor, "cookie")
    before, rows_before = world.snapshot(), world.access_rows()
    response = call.send(http)
    http.close()
    assert 200 <= response.status_code < 300, response.text
    assert world.snapshot() == before
    assert world.access_rows() - rows_before == access_rows_expected(case.rule, True, route.method)
