"""Checks that the projection (``journey.state``/``version``) agrees with the event log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session

from engine.models import Journey, JourneyEvent


@dataclass(frozen=True)
class Mismatch:
    journey_id: int
    problem: str


def verify_journeys(session: Session) -> list[Mismatch]:
    """Every journey's state equals its last event's destination, its version equals the number
    of events, and its events are numbered 1..version without gaps."""
    last = (
        select(
            JourneyEvent.journey_id,
            func.max(JourneyEvent.seq).label("last_seq"),
            func.count().label("n"),
        )
        .group_by(JourneyEvent.journey_id)  # type: ignore[arg-type]
        .subquery()
    )
    rows = session.execute(
        select(Journey.id, Journey.state, Journey.version, last.c.last_seq, last.c.n, JourneyEvent.to_state)
        .outerjoin(last, last.c.journey_id == Journey.id)
        .outerjoin(
            JourneyEvent,
            (JourneyEvent.journey_id == Journey.id) & (JourneyEvent.seq == last.c.last_seq),  # type: ignore[arg-type]
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
