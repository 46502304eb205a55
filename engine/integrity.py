"""Checks that the projection (``journey.state``/``version``/``furthest_stage``) agrees with the
event log, and that each client journey agrees with its follow-on referrals (the referral loop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, literal, null, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session

from engine.models import Journey, JourneyEvent
from engine.pathway import PathwayRegistry
from engine.pathway_keys import CLIENT_JOURNEY

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


# --- the referral loop: the client journey and its follow-on referral agree ---------------------

#: Referral states a client journey in ``referred`` / ``on_pathway`` goes with (``on_hold`` with
#: both: the partner may pause before or after starting the work).
LOOP_STATES: dict[str, frozenset[str]] = {
    "referred": frozenset({"requested", "accepted", "on_hold"}),
    "on_pathway": frozenset({"in_progress", "on_hold"}),
}
#: Referral states after which nothing more happens (pathways/referral.yaml's final states).
REFERRAL_FINAL = frozenset({"rejected", "cancelled", "completed", "failed"})


@dataclass(frozen=True)
class OpenReferral:
    """A follow-on referral that still holds the client journey: not in a final state and not
    expired (an expired one has sent the journey back)."""

    referral_id: int
    state: str


def loop_problem(client_state: str, open_referrals: list[OpenReferral]) -> str | None:
    """Why a client journey in ``client_state`` disagrees with its open follow-on referrals, or
    None when it agrees: it is in ``referred``/``on_pathway`` exactly when it has one open
    follow-on referral in the matching state (docs/referrals.md "The loop")."""
    wanted = LOOP_STATES.get(client_state)
    ids = ", ".join(f"{r.referral_id} ({r.state})" for r in open_referrals)
    if wanted is None:
        if open_referrals:
            return f"client journey in {client_state!r} but open follow-on referrals: {ids}"
        return None
    if not open_referrals:
        return f"client journey in {client_state!r} without an open follow-on referral"
    if len(open_referrals) > 1:
        return f"client journey in {client_state!r} with several open follow-on referrals: {ids}"
    if open_referrals[0].state not in wanted:
        return f"client journey in {client_state!r} but its follow-on referral is {ids}"
    return None


_LOOP_JOURNEYS = (
    "SELECT j.client_id, j.id, j.state FROM journey j "
    "WHERE j.pathway_key = :pathway AND j.id = ("
    " SELECT max(j2.id) FROM journey j2"
    " WHERE j2.client_id = j.client_id AND j2.pathway_key = :pathway)"
)
_LOOP_REFERRALS = (
    "SELECT r.client_id, r.id, j.state FROM referral r"
    " JOIN journey j ON j.id = r.journey_id"
    " WHERE r.kind = 'follow_on' AND r.expired_at IS NULL"
)
#: (all clients, one client's): the one client's by its own condition, so the index serves it
_LOOP_STATEMENTS = {
    False: (text(_LOOP_JOURNEYS), text(_LOOP_REFERRALS + " ORDER BY r.id")),
    True: (
        text(_LOOP_JOURNEYS + " AND j.client_id = :client_id"),
        text(_LOOP_REFERRALS + " AND r.client_id = :client_id ORDER BY r.id"),
    ),
}


def client_loops(
    connection: Any, client_id: int | None = None
) -> dict[int, tuple[int, str, list[OpenReferral]]]:
    """client id -> (their client journey's id, its state, their open follow-on referrals);
    only ``client_id``'s when given. Plain Core on a connection, so the one-off Alembic migration
    reads it the same way."""
    journeys_sql, referrals_sql = _LOOP_STATEMENTS[client_id is not None]
    params = {"pathway": CLIENT_JOURNEY, "client_id": client_id}
    journeys = connection.execute(journeys_sql, params).all()
    loops: dict[int, tuple[int, str, list[OpenReferral]]] = {
        int(c): (int(j), str(s), []) for c, j, s in journeys
    }
    for referral_client, referral_id, state in connection.execute(referrals_sql, params).all():
        if state not in REFERRAL_FINAL and int(referral_client) in loops:
            loops[int(referral_client)][2].append(OpenReferral(int(referral_id), str(state)))
    return loops


def verify_referral_loops(session: Session, client_id: int | None = None) -> list[Mismatch]:
    """Every client journey (or ``client_id``'s) agrees with its follow-on referrals
    (:func:`loop_problem`)."""
    problems = []
    loops = client_loops(session.connection(), client_id)
    for journey_id, state, open_referrals in loops.values():
        problem = loop_problem(state, open_referrals)
        if problem is not None:
            problems.append(Mismatch(journey_id, problem))
    return sorted(problems, key=lambda m: m.journey_id)


# --- the furthest funnel stage kept on the journey row ------------------------------------------


def stage_of_event(pathways: PathwayRegistry) -> ColumnElement[Any]:
    """SQL: the funnel rank an event proves (``Pathway.funnel_rank`` of its pathway version and
    destination), NULL for none: one CASE over every loaded pathway version. The Alembic
    migration backfills ``journey.furthest_stage`` with it; :func:`verify_furthest_stages` checks
    the column against it."""
    whens = [
        (
            (_journey.c.pathway_key == pathway.key)
            & (_event.c.pathway_version == pathway.version)
            & (_event.c.to_state == state),
            literal(rank),
        )
        for pathway in pathways
        for state, rank in pathway.funnel_rank.items()
    ]
    if not whens:
        return null()
    return case(*whens, else_=null())


def furthest_in_log(pathways: PathwayRegistry) -> Select[Any]:
    """Each journey's furthest funnel stage recomputed from its event log (journey id, rank)."""
    return (
        select(_event.c.journey_id, func.max(stage_of_event(pathways)).label("furthest"))
        .join(_journey, _journey.c.id == _event.c.journey_id)
        .group_by(_event.c.journey_id)
    )


def verify_furthest_stages(
    session: Session | Connection, pathways: PathwayRegistry
) -> list[Mismatch]:
    """Every journey's ``furthest_stage`` equals the furthest stage its event log proves."""
    logged = furthest_in_log(pathways).subquery()
    rows = session.execute(
        select(_journey.c.id, _journey.c.furthest_stage, logged.c.furthest)
        .outerjoin(logged, logged.c.journey_id == _journey.c.id)
        .where(func.coalesce(_journey.c.furthest_stage, -1) != func.coalesce(logged.c.furthest, -1))
        .order_by(_journey.c.id)
    ).all()
    return [
        Mismatch(int(jid), f"furthest stage {stored} but its event log reaches {logged_rank}")
        for jid, stored, logged_rank in rows
    ]
