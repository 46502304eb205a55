"""GET never changes state: every GET route of the app, called by an actor allowed to use it,
leaves every table as it was, except the access log, which gains exactly the view's row."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.clock import FrozenClock
from engine.runtime import Runtime
from tests.security.world import (
    ACTORS,
    APP_ROUTES,
    ROUTES,
    AppRoute,
    World,
    access_rows_expected,
    allowed,
    is_object_rule,
)
from web.app import create_app

GET_ROUTES = [r for r in APP_ROUTES if r.method in {"GET", "HEAD"}]


def test_there_are_get_routes_to_check() -> None:
    assert len(GET_ROUTES) >= 8


@pytest.mark.parametrize("route", GET_ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_get_leaves_the_database_unchanged(
    make_runtime: Callable[..., Runtime], route: AppRoute
) -> None:
    runtime = make_runtime(clock=FrozenClock())  # no time passes: no session touch either
    world = World.build(runtime, create_app(runtime=runtime))
    case = ROUTES[(route.method, route.path)]
    obj = "own" if is_object_rule(case.rule) else None
    actor = next(a for a in ACTORS if allowed(case.rule, a, obj))
    target = world.target("own") if obj else None
    call = case.build(world, target)
    http = world.http(actor, "cookie")
    before, rows_before = world.snapshot(), world.access_rows()
    response = call.send(http)
    assert 200 <= response.status_code < 300, response.text
    assert world.snapshot() == before
    assert world.access_rows() - rows_before == access_rows_expected(case.rule, True, route.method)
