"""The journey as a compact step line (polun vaiheet, "olet tässä"), drawn on the server.

The steps are the pathway's funnel stages (``funnel:`` in the pathway file, DOMAIN.md) in the
order the file first names them, then its final states: for the client journey, outreach ->
engaged -> goals -> active work -> referred -> on a follow-on pathway -> closed. A step is
named after the state the client is in when they are in that stage, else after the first state
of the stage. A state off the main line (paused, dropped out, not engaged) is shown beside the
step the client left it from, read from the journey's events. Any pathway works, also one
without funnel stages (then every state is a step, in file order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlmodel import Session, col

from engine.models import JourneyEvent
from engine.pathway import Pathway

Status = Literal["done", "current", "todo"]


@dataclass(frozen=True)
class Step:
    #: The funnel stage, or the name of a final state (or of any state, without stages).
    key: str
    #: The state the step is named after.
    state: str
    status: Status


@dataclass(frozen=True)
class StepLine:
    steps: tuple[Step, ...]
    #: The client's state.
    current: str
    #: The current state when it is off the main line (paused...), else None.
    aside: str | None

    @property
    def position(self) -> int:
        """1-based number of the step the client is at (or left from), 0 if none."""
        for i, step in enumerate(self.steps, 1):
            if step.status == "current":
                return i
        return 0


def _stage_of(pathway: Pathway) -> dict[str, str]:
    """Each main-line state's step key."""
    states = pathway.definition.states
    if not any(s.funnel for s in states.values()):
        return {name: name for name in states}
    return {
        name: (s.funnel or name) for name, s in states.items() if s.funnel is not None or s.final
    }


def step_line(pathway: Pathway, current: str, visited: Sequence[str] = ()) -> StepLine:
    """The step line of a journey in ``current``; ``visited`` lists the states it entered,
    oldest first (the events' ``to_state``), to place a state off the main line."""
    stage_of = _stage_of(pathway)
    keys: list[str] = []
    first_state: dict[str, str] = {}
    for name in pathway.definition.states:
        key = stage_of.get(name)
        if key is not None and key not in first_state:
            keys.append(key)
            first_state[key] = name
    aside = None if current in stage_of else current
    here = stage_of.get(current)
    if here is None:  # off the main line: where did the client leave it?
        left_from = next((s for s in reversed(visited) if s in stage_of), None)
        here = stage_of.get(left_from) if left_from else None
    index = keys.index(here) if here in keys else -1
    steps = []
    for i, key in enumerate(keys):
        status: Status = "done" if i < index else "current" if i == index else "todo"
        state = current if stage_of.get(current) == key else first_state[key]
        steps.append(Step(key, state, status))
    return StepLine(tuple(steps), current, aside)


def visited_states(session: Session, journey_id: int) -> list[str]:
    """The states journey ``journey_id`` entered, oldest first."""
    return list(
        session.execute(
            select(col(JourneyEvent.to_state))
            .where(col(JourneyEvent.journey_id) == journey_id)
            .order_by(col(JourneyEvent.seq))
        ).scalars()
    )


def side_moves(pathway: Pathway) -> frozenset[str]:
    """Triggers that leave the main line (pause, drop out, decline) or end the journey (close):
    the client page shows them as secondary moves, each behind a confirm step."""
    stage_of = _stage_of(pathway)
    states = pathway.definition.states
    return frozenset(
        t.trigger
        for t in pathway.definition.transitions
        if all(d not in stage_of or states[d].final for d in t.dest)
    )
