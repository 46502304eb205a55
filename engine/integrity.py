"""Checks that the projection (``journey.state``/``version``) agrees with the event log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from engine.models import Journey, JourneyEvent

_journey = Journey.__table__  # type: ignore[attr-defined]
_event = JourneyEvent.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Mismatch:
    journey_id: int
    problem: str


def verify_journeys(session: Session) -> list[Mismatch]:
    """Every journey's state equals its last event's destination, its version equals the number
    of events, and its events are numbered 1..version without gaps."""
    last = (
        select(
            _event.c.journey_id,
            func.max(_event.c.seq).label("last_seq"),
            func.count().label("n"),
        )
        .group_by(_event.c.journey_id)
        .subquery()
    )
    rows = session.execute(
        select(
            _journey.c.id,
            _journey.c.state,
            _journey.c.version,
            last.c.last_seq,
            last.c.n,
            _event.c.to_state,
        )
        .outerjoin(last, last.c.journey_id == _journey.c.id)
        .outerjoin(
            _event,
            (_event.c.journey_id == _journey.c.id) & (_event.c.seq == last.c.last_seq),
        )
    ).all()
    problems = []
    for jid, state, version, last_seq, n, to_state in rows:
        if last_seq is None:
            problems.append(Mismatch(jid, "no events"))
            continue
        if last_seq != version or n != version:
            problems.append(Mismatch(jid, f"version {version}, events {n}, last seq {last_seq}"))
        if to_state != state:
            problems.append(Mismatch(jid, f"state {state!r} but last event went to {to_state!r}"))
    return problems
