"""GAS goals (engine/goals.py): saving goals with their five levels, follow-ups, the T-score
series against values worked out by hand, and the guard on entering goal setting."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from engine.dates import TooEarly
from engine.errors import GuardRejected, InputRequired
from engine.goals import (
    add_goal,
    edit_goal,
    goals_of,
    has_described_goal,
    is_described,
    ratings_of,
    record_follow_up,
    series,
    t_score_series,
)
from engine.models import GasGoal, GasRating
from engine.runtime import Runtime
from engine.testing import EXAMPLE_LEVELS, make_client

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
#: When the tests' goals are set: before every follow-up they rate (a follow-up is never dated
#: before its goal's baseline).
SET_AT = datetime(2026, 9, 15, 10, 0, tzinfo=UTC)
RHO = 0.3


def goal(
    goal_id: int,
    baseline: int = -1,
    importance: int | None = None,
    difficulty: int | None = None,
    described: bool = True,
) -> GasGoal:
    levels = dict(EXAMPLE_LEVELS)
    if not described:
        levels[2] = ""
    g = GasGoal(
        id=goal_id,
        client_id=1,
        goal=f"Tavoite {goal_id}",
        baseline=baseline,
        importance=importance,
        difficulty=difficulty,
        level_minus_2=levels[-2],
        level_minus_1=levels[-1],
        level_0=levels[0],
        level_plus_1=levels[1],
        level_plus_2=levels[2],
    )
    return g


def rating(rating_id: int, goal_id: int, on: date, level: int) -> GasRating:
    return GasRating(id=rating_id, goal_id=goal_id, client_id=1, rated_on=on, level=level)


D1, D2 = date(2026, 10, 1), date(2026, 11, 1)


# --- the series, worked out by hand --------------------------------------------------------------


def test_one_unweighted_goal() -> None:
    """One goal, weight 1: T = 50 + 10x / sqrt(0.7 + 0.3) = 50 + 10x."""
    points = series([goal(1)], [rating(1, 1, D1, 1), rating(2, 1, D2, 0)], RHO)
    assert [p.t for p in points] == [pytest.approx(40.0), pytest.approx(60.0), pytest.approx(50.0)]
    assert points[0].is_baseline
    assert points[0].from_previous is None
    assert points[1].from_previous == pytest.approx(20.0)
    assert points[1].from_baseline == pytest.approx(20.0)
    assert points[2].from_previous == pytest.approx(-10.0)
    assert points[2].from_baseline == pytest.approx(10.0)
    assert [p.rated_on for p in points] == [None, D1, D2]


def test_weighted_goals() -> None:
    """A: importance 2 x difficulty 3 = 6, baseline -1; B: 1 x 1 = 1, baseline -2.
    sum w = 7, sum w^2 = 37, denominator sqrt(0.7*37 + 0.3*49) = sqrt(40.6) = 6.371813.
    Baseline: sum wx = -6 - 2 = -8 -> 50 - 80/6.371813 = 37.4447.
    D1 (A +1, B -1): sum wx = 5 -> 57.8471.  D2 (A +2, B 0): 12 -> 68.8329."""
    goals = [goal(1, -1, 2, 3), goal(2, -2, 1, 1)]
    ratings = [rating(1, 1, D1, 1), rating(2, 2, D1, -1), rating(3, 1, D2, 2), rating(4, 2, D2, 0)]
    base, first, second = series(goals, ratings, RHO)
    assert base.t == pytest.approx(37.4447, abs=1e-4)
    assert first.t == pytest.approx(57.8471, abs=1e-4)
    assert second.t == pytest.approx(68.8329, abs=1e-4)
    assert first.from_baseline == pytest.approx(57.8471 - 37.4447, abs=1e-4)
    assert second.from_previous == pytest.approx(68.8329 - 57.8471, abs=1e-4)
    assert dict(first.levels) == {1: 1, 2: -1}


def test_three_unweighted_goals_at_baseline() -> None:
    """Three goals at -1: 50 - 30 / sqrt(0.7*3 + 0.3*9) = 50 - 30/sqrt(4.8) = 36.3069."""
    [base] = series([goal(1), goal(2), goal(3)], [], RHO)
    assert base.t == pytest.approx(36.3069, abs=1e-4)


def test_all_goals_at_zero_is_fifty_whatever_the_weights() -> None:
    goals = [goal(1, -1, 3, 3), goal(2, -2, 1, 2), goal(3)]
    ratings = [rating(i, i, D1, 0) for i in (1, 2, 3)]
    assert series(goals, ratings, RHO)[1].t == pytest.approx(50.0)


def test_all_weights_zero_is_undefined() -> None:
    """Importance 0 makes the weight 0: with every weight 0 the T-score is undefined (None),
    and so are its changes."""
    goals = [goal(1, -1, 0, 3), goal(2, -1, 2, 0)]
    points = series(goals, [rating(1, 1, D1, 2), rating(2, 2, D1, 1)], RHO)
    assert [p.t for p in points] == [None, None]
    assert points[1].from_previous is None
    assert points[1].from_baseline is None


def test_rho_changes_the_score() -> None:
    """Two unweighted goals at +1, rho 0: 50 + 20/sqrt(2) = 64.1421."""
    points = series([goal(1), goal(2)], [rating(1, 1, D1, 1), rating(2, 2, D1, 1)], 0.0)
    assert points[1].t == pytest.approx(64.1421, abs=1e-4)


def test_a_correction_is_a_new_rating_and_the_latest_counts() -> None:
    points = series([goal(1)], [rating(1, 1, D1, -2), rating(2, 1, D1, 1)], RHO)
    assert points[1].rated_on == D1
    assert points[1].t == pytest.approx(60.0)
    assert points[1].from_previous == pytest.approx(20.0)
    assert points[1].from_baseline == pytest.approx(20.0)
    assert points[1].levels == {1: 1}


def test_drafts_do_not_count_and_no_goals_no_series() -> None:
    assert series([goal(1, described=False)], [], RHO) == []
    assert len(series([goal(1), goal(2, described=False)], [], RHO)) == 1


def test_change_from_baseline_compares_the_same_goals() -> None:
    """Goal 2 was added after the first follow-up: that follow-up is compared with goal 1's
    baseline only (40), not with both goals' (50 - 20/sqrt(2.6) = 37.5965)."""
    points = series([goal(1), goal(2)], [rating(1, 1, D1, 0)], RHO)
    assert points[0].t == pytest.approx(37.5965, abs=1e-4)
    assert points[1].t == pytest.approx(50.0)
    assert points[1].from_baseline == pytest.approx(10.0)


# --- saving goals and follow-ups ------------------------------------------------------------------


def save(runtime: Runtime, client_id: int, **kw: object) -> GasGoal:
    values: dict[str, object] = {"goal": "Säännöllinen päivärytmi", "levels": EXAMPLE_LEVELS}
    values.update(kw)
    with runtime.db.write() as session:
        return add_goal(session, client_id=client_id, actor_id=None, now=SET_AT, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"goal": "  "}, "goal"),
        ({"goal": "x" * 501}, "goal"),
        ({"levels": {**EXAMPLE_LEVELS, 1: "x" * 501}}, "level_plus_1"),
        ({"levels": {**EXAMPLE_LEVELS, 3: "liikaa"}}, "levels"),
        ({"baseline": 0}, "baseline"),
        ({"importance": 2}, "difficulty"),
        ({"difficulty": 2}, "importance"),
        ({"importance": 4, "difficulty": 1}, "importance"),
        ({"importance": 1, "difficulty": -1}, "difficulty"),
    ],
)
def test_a_bad_goal_names_the_field(runtime: Runtime, kw: dict[str, object], field: str) -> None:
    client_id, _ = make_client(runtime)
    with pytest.raises(InputRequired) as info:
        save(runtime, client_id, **kw)
    assert info.value.field == field
    with runtime.db.read() as session:
        assert goals_of(session, client_id) == []


def test_a_draft_is_saved_but_does_not_count(runtime: Runtime) -> None:
    client_id, _ = make_client(runtime)
    draft = save(runtime, client_id, levels={0: "Käyn kävelyllä kahdesti viikossa"})
    assert not is_described(draft)
    with runtime.db.read() as session:
        assert not has_described_goal(session, client_id)
    with pytest.raises(InputRequired) as info, runtime.db.write() as session:
        record_follow_up(
            session,
            client_id=client_id,
            actor_id=None,
            rated_on=TODAY,
            levels={draft.id: 0},  # type: ignore[dict-item]
            today=TODAY,
            now=NOW,
        )
    assert info.value.field == f"goal_{draft.id}"


def follow_up(runtime: Runtime, client_id: int, on: date, **levels: int) -> None:
    rate(runtime, client_id, on, {int(k.removeprefix("g")): v for k, v in levels.items()})


def rate(
    runtime: Runtime, client_id: int, on: date, levels: dict[int, int], zone: tzinfo | None = None
) -> None:
    with runtime.db.write() as session:
        record_follow_up(
            session,
            client_id=client_id,
            actor_id=None,
            rated_on=on,
            levels=dict(levels),
            today=TODAY,
            now=NOW,
            zone=zone,
        )


def test_a_follow_up_is_not_dated_before_its_goal_was_set(runtime: Runtime) -> None:
    """Issue 13: a follow-up before its goal's baseline (the day the goal was set) is refused,
    naming the date field and the first date allowed; on that day it is accepted."""
    client_id, _ = make_client(runtime)
    a = save(runtime, client_id)
    with pytest.raises(TooEarly) as info:
        follow_up(runtime, client_id, date(1950, 1, 1), **{f"g{a.id}": 0})
    assert info.value.field == "rated_on"
    assert info.value.earliest == SET_AT.date()
    assert info.value.follows == "goal_set"
    assert "before the goal was set (2026-09-15)" in str(info.value)
    with pytest.raises(TooEarly):
        follow_up(runtime, client_id, SET_AT.date() - timedelta(days=1), **{f"g{a.id}": 0})
    follow_up(runtime, client_id, SET_AT.date(), **{f"g{a.id}": 0})
    with runtime.db.read() as session:
        assert [r.rated_on for r in ratings_of(session, client_id)] == [SET_AT.date()]


def test_a_follow_up_is_not_dated_before_the_latest_goal_it_rates(runtime: Runtime) -> None:
    """A follow-up rates every described goal, so a goal set later moves the first date."""
    client_id, _ = make_client(runtime)
    a = save(runtime, client_id)
    later = SET_AT + timedelta(days=30)
    with runtime.db.write() as session:
        b = add_goal(
            session,
            client_id=client_id,
            actor_id=None,
            now=later,
            goal="Työkokeilu",
            levels=EXAMPLE_LEVELS,
        )
    between = SET_AT.date() + timedelta(days=10)
    with pytest.raises(TooEarly) as info:
        follow_up(runtime, client_id, between, **{f"g{a.id}": 0, f"g{b.id}": 0})
    assert info.value.earliest == later.date()
    follow_up(runtime, client_id, later.date(), **{f"g{a.id}": 0, f"g{b.id}": 0})


def test_the_goal_s_day_is_the_local_day(runtime: Runtime) -> None:
    """A goal set at 01:30 in Helsinki (22:30 UTC the day before) was set on the Helsinki day."""
    client_id, _ = make_client(runtime)
    late = datetime(2026, 9, 14, 22, 30, tzinfo=UTC)
    with runtime.db.write() as session:
        g = add_goal(
            session,
            client_id=client_id,
            actor_id=None,
            now=late,
            goal="Arki",
            levels=EXAMPLE_LEVELS,
        )
    helsinki = ZoneInfo("Europe/Helsinki")
    assert g.id is not None
    g_id = g.id
    with pytest.raises(TooEarly) as info:
        rate(runtime, client_id, date(2026, 9, 14), {g_id: 0}, helsinki)
    assert info.value.earliest == date(2026, 9, 15)
    rate(runtime, client_id, date(2026, 9, 15), {g_id: 0}, helsinki)


def test_follow_ups_make_the_series(runtime: Runtime) -> None:
    client_id, _ = make_client(runtime)
    a = save(runtime, client_id, importance=2, difficulty=3)
    b = save(runtime, client_id, baseline=-2, importance=1, difficulty=1)
    follow_up(runtime, client_id, D1, **{f"g{a.id}": 1, f"g{b.id}": -1})
    follow_up(runtime, client_id, D2, **{f"g{a.id}": 2, f"g{b.id}": 0})
    with runtime.db.read() as session:
        points = t_score_series(session, client_id, runtime.settings.gas_rho)
    assert [round(p.t or 0, 4) for p in points] == [37.4447, 57.8471, 68.8329]


def test_a_follow_up_rates_every_goal_on_a_past_date(runtime: Runtime) -> None:
    client_id, _ = make_client(runtime)
    other_client, _ = make_client(runtime)
    a = save(runtime, client_id)
    b = save(runtime, client_id)
    foreign = save(runtime, other_client)
    cases: list[tuple[date, dict[str, int], str]] = [
        (TODAY + timedelta(days=1), {f"g{a.id}": 0, f"g{b.id}": 0}, "rated_on"),
        (TODAY, {f"g{a.id}": 0}, f"goal_{b.id}"),
        (TODAY, {f"g{a.id}": 0, f"g{b.id}": 3}, f"goal_{b.id}"),
        (TODAY, {f"g{a.id}": 0, f"g{b.id}": 0, f"g{foreign.id}": 0}, f"goal_{foreign.id}"),
    ]
    for on, levels, field in cases:
        with pytest.raises(InputRequired) as info:
            follow_up(runtime, client_id, on, **levels)
        assert info.value.field == field
    with runtime.db.read() as session:
        assert session.execute(text("SELECT count(*) FROM gas_rating")).scalar_one() == 0


def test_a_rated_goal_cannot_be_changed(runtime: Runtime) -> None:
    client_id, _ = make_client(runtime)
    g = save(runtime, client_id)
    assert g.id is not None
    with runtime.db.write() as session:
        changed = edit_goal(
            session,
            g.id,
            client_id=client_id,
            actor_id=None,
            goal="Päivärytmi arkisin",
            levels=EXAMPLE_LEVELS,
            baseline=-2,
            importance=1,
            difficulty=2,
            now=NOW,
        )
        assert (changed.goal, changed.baseline, changed.importance) == ("Päivärytmi arkisin", -2, 1)
    follow_up(runtime, client_id, TODAY, **{f"g{g.id}": 0})
    with pytest.raises(InputRequired) as info, runtime.db.write() as session:
        edit_goal(
            session,
            g.id,
            client_id=client_id,
            actor_id=None,
            goal="Muutettu",
            levels=EXAMPLE_LEVELS,
            now=NOW,
        )
    assert info.value.field == "goal"


def test_a_goal_changed_while_a_follow_up_is_saved_is_refused(runtime: Runtime) -> None:
    """A follow-up holds its transaction open until a change of the same goal, started
    meanwhile, waits for it; the change must then refuse (the rating is of the old text).
    Without the lock PostgreSQL lets the change through: the FK check of the rating does not
    block it."""
    import threading

    from tests.lock_kit import hold_until_others_wait

    client_id, _ = make_client(runtime)
    g = save(runtime, client_id)
    assert g.id is not None
    g_id = g.id
    rated = threading.Event()
    outcome: list[str] = []

    def rate() -> None:
        with runtime.db.write() as session:
            record_follow_up(
                session,
                client_id=client_id,
                actor_id=None,
                rated_on=TODAY,
                levels={g_id: 1},
                today=TODAY,
                now=NOW,
            )
            rated.set()
            hold_until_others_wait(runtime, threads)

    def change() -> None:
        rated.wait(10)
        try:
            with runtime.db.write() as session:
                edit_goal(
                    session,
                    g_id,
                    client_id=client_id,
                    actor_id=None,
                    goal="Aivan toinen tavoite",
                    levels=EXAMPLE_LEVELS,
                    now=NOW,
                )
            outcome.append("changed")
        except InputRequired as exc:
            outcome.append(exc.field)

    threads = [threading.Thread(target=rate), threading.Thread(target=change)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert outcome == ["goal"]
    with runtime.db.read() as session:
        stored = session.get(GasGoal, g.id)
        assert stored is not None
        assert stored.goal != "Aivan toinen tavoite"


def test_ratings_are_append_only(runtime: Runtime) -> None:
    client_id, _ = make_client(runtime)
    g = save(runtime, client_id)
    follow_up(runtime, client_id, TODAY, **{f"g{g.id}": 1})
    statements = ["UPDATE gas_rating SET level = 2", "DELETE FROM gas_rating"]
    if runtime.db.dialect == "postgresql":
        statements.append("TRUNCATE gas_rating CASCADE")
    for statement in statements:
        with (
            pytest.raises(DatabaseError, match=r"append-only|permission denied"),
            runtime.db.write() as session,
        ):
            session.execute(text(statement))
    with runtime.db.read() as session:
        assert session.execute(text("SELECT level FROM gas_rating")).scalar_one() == 1


# --- the guard on entering goal setting -----------------------------------------------------------


def test_goal_setting_needs_a_described_goal(runtime: Runtime) -> None:
    client_id, journey_id = make_client(runtime)
    with runtime.db.write() as session:
        for trigger in ("engage", "start_assessment"):
            runtime.journeys.advance(session, journey_id, trigger, actor_id=None)
    save(runtime, client_id, levels={**EXAMPLE_LEVELS, 2: ""})  # a draft is not enough
    with pytest.raises(GuardRejected) as info, runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "set_goals", actor_id=None)
    [denied] = info.value.denied
    assert denied.rule == "gas_goals_described"
    assert set(denied.reason) == {"fi", "sv", "en"}
    save(runtime, client_id)
    with runtime.db.write() as session:
        event = runtime.journeys.advance(session, journey_id, "set_goals", actor_id=None)
    assert event.to_state == "goal_setting"
    assert {v["rule"]: v["allowed"] for v in event.verdicts} == {"gas_goals_described": True}


def test_journeys_on_version_1_keep_their_rules(runtime: Runtime) -> None:
    """A guard change is a new pathway version: a journey started on version 1 stays on it
    (no guard) until it is migrated."""
    _client_id, journey_id = make_client(runtime)
    with runtime.db.write() as session:
        runtime.journeys.migrate(session, journey_id, to_version=1, actor_id=None)
        for trigger in ("engage", "start_assessment", "set_goals"):
            runtime.journeys.advance(session, journey_id, trigger, actor_id=None)
    assert runtime.pathways.latest("client_journey").version == 3
