"""GAS T-scores against values worked out by hand (Kiresuk-Sherman, rho = 0.3)."""

from __future__ import annotations

import math

import pytest

from engine.gas import Rating, t_score, weight


def test_all_goals_as_expected_is_fifty() -> None:
    assert t_score([Rating(0), Rating(0), Rating(0)]) == 50


@pytest.mark.parametrize(("level", "expected"), [(-2, 30), (-1, 40), (0, 50), (1, 60), (2, 70)])
def test_one_goal_moves_ten_points_a_level(level: int, expected: float) -> None:
    # one goal: sum(wx) / sqrt(0.7 w^2 + 0.3 w^2) = x, whatever its weight
    assert t_score([Rating(level, weight=4)]) == pytest.approx(expected)


def test_three_unweighted_goals_one_above_expected() -> None:
    # sum(wx) = 3, sum(w^2) = 3, (sum w)^2 = 9: sqrt(0.7*3 + 0.3*9) = sqrt(4.8) = 2.190890
    # T = 50 + 30 / 2.190890 = 63.693064
    assert t_score([Rating(1), Rating(1), Rating(1)]) == pytest.approx(63.693064, abs=1e-6)


def test_weighted_goals() -> None:
    # weights 2 (importance 2 x difficulty 1) and 1; levels +1 and -1:
    # sum(wx) = 2 - 1 = 1; sum(w^2) = 5; (sum w)^2 = 9; sqrt(0.7*5 + 0.3*9) = sqrt(6.2) = 2.489980
    # T = 50 + 10 / 2.489980 = 54.016097
    ratings = [Rating(1, weight=weight(2, 1)), Rating(-1, weight=weight(1, 1))]
    assert t_score(ratings) == pytest.approx(54.016097, abs=1e-6)


def test_baseline_of_two_unweighted_goals() -> None:
    # both at baseline -1: sum(wx) = -2; sqrt(0.7*2 + 0.3*4) = sqrt(2.6) = 1.612452; T = 37.596
    assert t_score([Rating(-1), Rating(-1)]) == pytest.approx(50 - 20 / math.sqrt(2.6))


def test_rho_is_configurable() -> None:
    # rho = 0: sqrt(sum w^2) = sqrt(2); T = 50 + 10 * 2 / sqrt(2) = 64.142136
    assert t_score([Rating(1), Rating(1)], rho=0) == pytest.approx(64.142136, abs=1e-6)


def test_a_zero_weight_goal_does_not_count() -> None:
    assert t_score([Rating(2, weight=0), Rating(-1)]) == pytest.approx(40)


def test_undefined_when_all_weights_are_zero_or_no_goals() -> None:
    assert t_score([Rating(2, weight=weight(0, 3)), Rating(-2, weight=weight(3, 0))]) is None
    assert t_score([]) is None


def test_weight_is_importance_times_difficulty() -> None:
    assert weight(3, 2) == 6
    assert weight(None, None) == 1
    with pytest.raises(ValueError, match="both"):
        weight(2, None)
    with pytest.raises(ValueError, match="0-3"):
        weight(4, 1)


def test_levels_are_minus_two_to_plus_two() -> None:
    with pytest.raises(ValueError, match=r"one of -2\.\.\+2"):
        Rating(3)
    with pytest.raises(ValueError, match="never negative"):
        Rating(0, weight=-1)
    with pytest.raises(ValueError, match="rho"):
        t_score([Rating(0)], rho=1)
