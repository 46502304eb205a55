"""Reports counted from the event log (never from the mutable ``state`` column)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from engine.models import Client, Journey, JourneyEvent, Referral
from engine.partner_catalogue import FOLLOW_ON
from engine.pathway import FUNNEL_STAGES, Pathway

#: Funnel stages counted from follow-on referrals, not from the client journey's states.
FROM_REFERRALS = ("referred", "on_pathway")
REFERRED = FUNNEL_STAGES.index("referred")


@dataclass(frozen=True)
class Funnel:
    """How many journeys reached each stage (DOMAIN.md): contacted -> ... -> on_pathway."""

    counts: dict[str, int]

    def as_list(self) -> list[tuple[str, int]]:
        return [(stage, self.counts[stage]) for stage in FUNNEL_STAGES]


def funnel(
    session: Session,
    pathway: Pathway,
    *,
    organisation_id: int | None = None,
    municipality_code: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Funnel:
    """Count journeys by the furthest funnel stage they ever entered.

    A journey counts in its furthest stage and every earlier one, so a client who went straight
    from outreach to a group still counts as engaged and goals-set only if they entered those
    states. "Referred" and "on pathway" count only journeys whose client has a follow-on referral
    (sent; the partner started or completed the work). ``organisation_id`` counts only the
    clients that organisation keeps; ``since``/``until``
    select journeys by when they started.
    """
    rank = {
        name: FUNNEL_STAGES.index(state.funnel)
        for name, state in pathway.states.items()
        if state.funnel is not None and state.funnel not in FROM_REFERRALS
    }
    stage_rank = case(
        *[(col(JourneyEvent.to_state) == name, r) for name, r in rank.items()], else_=-1
    )
    # "referred" and "on pathway" only from real follow-on referrals (never from a client journey
    # moved there on its own, as the generic route once allowed): sent -> referred; the partner
    # started the work (or completed it) -> on pathway.
    referral_event = aliased(JourneyEvent)
    started = col(referral_event.to_state).in_(["in_progress", "completed"])
    by_referrals = (
        select(
            col(Referral.client_id).label("client_id"),
            func.max(case((started, FUNNEL_STAGES.index("on_pathway")), else_=REFERRED)).label(
                "furthest"
            ),
        )
        .join(referral_event, col(referral_event.journey_id) == col(Referral.journey_id))
        .where(col(Referral.kind) == FOLLOW_ON)
        .group_by(col(Referral.client_id))
        .subquery()
    )
    furthest_in_log = func.max(stage_rank)
    furthest_by_referral = func.coalesce(func.max(by_referrals.c.furthest), -1)
    per_journey = (
        select(
            col(JourneyEvent.journey_id),
            case(
                (furthest_by_referral > furthest_in_log, furthest_by_referral),
                else_=furthest_in_log,
            ).label("furthest"),
        )
        .join(Journey, col(Journey.id) == col(JourneyEvent.journey_id))
        .outerjoin(by_referrals, by_referrals.c.client_id == col(Journey.client_id))
        .where(col(Journey.pathway_key) == pathway.key)
        .group_by(col(JourneyEvent.journey_id))
    )
    if organisation_id is not None or municipality_code is not None:
        per_journey = per_journey.join(Client, col(Client.id) == col(Journey.client_id))
    if organisation_id is not None:
        per_journey = per_journey.where(col(Client.organisation_id) == organisation_id)
    if municipality_code is not None:
        per_journey = per_journey.where(col(Client.municipality_code) == municipality_code)
    if since is not None:
        per_journey = per_journey.where(col(Journey.created_at) >= since)
    if until is not None:
        per_journey = per_journey.where(col(Journey.created_at) < until)
    sub = per_journey.subquery()
    rows = session.execute(select(sub.c.furthest, func.count()).group_by(sub.c.furthest)).all()
    at_least = dict.fromkeys(FUNNEL_STAGES, 0)
    for furthest, n in rows:
        for i, stage in enumerate(FUNNEL_STAGES):
            if furthest is not None and furthest >= i:
                at_least[stage] += n
    return Funnel(at_least)
