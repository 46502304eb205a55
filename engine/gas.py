"""Goal Attainment Scaling (GAS, tavoitteen saavuttamisen asteikko): the Kiresuk-Sherman T-score.

Each goal is rated on five levels, -2..+2 (0 = the expected outcome, the baseline usually -1, or
-2 when nothing worse is possible). With weights ``w`` (importance x difficulty, each 0-3, or 1
when unweighted) and ratings ``x``:

    T = 50 + 10 * sum(w * x) / sqrt((1 - rho) * sum(w^2) + rho * (sum(w))^2)

with ``rho`` = 0.3 by convention (the assumed correlation between goals). T = 50 means the goals
were met as expected; every goal at +2 gives well above 60, every goal at -2 well below 40.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

LEVELS = (-2, -1, 0, 1, 2)
DEFAULT_RHO = 0.3


@dataclass(frozen=True, slots=True)
class Rating:
    """One goal's level at one follow-up, with the goal's weight."""

    level: int
    weight: float = 1.0

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"a GAS level is one of -2..+2, not {self.level!r}")
        if self.weight < 0:
            raise ValueError(f"a GAS weight is never negative, not {self.weight!r}")


def weight(importance: int | None, difficulty: int | None) -> float:
    """importance x difficulty (each 0-3); an unweighted goal (both None) weighs 1."""
    if importance is None and difficulty is None:
        return 1.0
    if importance is None or difficulty is None:
        raise ValueError("give both importance and difficulty, or neither (unweighted)")
    for name, value in (("importance", importance), ("difficulty", difficulty)):
        if not 0 <= value <= 3:
            raise ValueError(f"{name} is 0-3, not {value!r}")
    return float(importance * difficulty)


def t_score(ratings: Iterable[Rating], rho: float = DEFAULT_RHO) -> float | None:
    """The Kiresuk-Sherman T-score, or None when it is undefined (no goals, or every weight 0)."""
    if not 0 <= rho < 1:
        raise ValueError(f"rho is in [0, 1), not {rho!r}")
    rated = list(ratings)
    sum_w = sum(r.weight for r in rated)
    sum_w2 = sum(r.weight**2 for r in rated)
    if sum_w == 0:
        return None
    sum_wx = sum(r.weight * r.level for r in rated)
    return 50 + 10 * sum_wx / math.sqrt((1 - rho) * sum_w2 + rho * sum_w**2)
