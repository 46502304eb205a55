"""Reports counted from what the event log proves (never from the mutable ``state`` column)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from engine.models import Client, Journey, Referral
from engine.partner_catalogue import FOLLOW_ON
from engine.pathway import FROM_REFERRALS, FUNNEL_STAGES, Pathway
from engine.pathway_keys import REFERRAL

__all__ = ["FROM_REFERRALS", "Funnel", "funnel"]


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
    organisation_ids: Collection[int] | None = None,
    municipality_codes: Collection[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Funnel:
    """Count journeys by the furthest funnel stage they ever entered.

    A journey counts in its furthest stage and every earlier one, so a client who went straight
    from outreach to a group still counts as engaged and goals-set only if they entered those
    states. "Referred" and "on pathway" count only journeys whose client has a follow-on referral
    (sent; the partner started or completed the work). ``organisation_ids`` counts only the
    clients those organisations keep (one coordinator's, or a project's implementers),
    ``municipality_codes`` only those living there (None: no filter); ``since``/``until``
    select journeys by when they started. The dashboard, the API and the funder report all count
    with this one function.
    """
    # Each journey's furthest stage is kept on its row (``journey.furthest_stage``, written with
    # each event, checked against the log by ``polku db verify``): the funnel reads one row per
    # journey, never the event log. "Referred"/"on pathway" come from the client's follow-on
    # referrals' journeys, whose rows keep what they proved the same way.
    referral_journey = aliased(Journey)
    scoped = organisation_ids is not None or municipality_codes is not None
    own = func.coalesce(col(Journey.furthest_stage), -1)
    per_journey: Select[Any, Any]
    if scoped:
        # a part of the clients: each journey looks up its client's referrals by their index
        from_referral = func.coalesce(
            select(func.max(col(referral_journey.furthest_stage)))
            .select_from(Referral)
            .join(referral_journey, col(referral_journey.id) == col(Referral.journey_id))
            .where(
                col(Referral.client_id) == col(Journey.client_id),
                col(Referral.kind) == FOLLOW_ON,
            )
            .scalar_subquery(),
            -1,
        )
        per_journey = select(
            case((from_referral > own, from_referral), else_=own).label("furthest")
        ).select_from(Journey)
    else:
        # everyone: the follow-on referrals' furthest stage per client, once, joined
        referred = (
            select(
                col(Referral.client_id).label("client_id"),
                func.max(col(referral_journey.furthest_stage)).label("furthest"),
            )
            .join(referral_journey, col(referral_journey.id) == col(Referral.journey_id))
            # (always true; it lets PostgreSQL read only the referral journeys by their index)
            .where(col(Referral.kind) == FOLLOW_ON, col(referral_journey.pathway_key) == REFERRAL)
            .group_by(col(Referral.client_id))
            .subquery()
        )
        from_referral = func.coalesce(referred.c.furthest, -1)
        per_journey = (
            select(case((from_referral > own, from_referral), else_=own).label("furthest"))
            .select_from(Journey)
            .outerjoin(referred, referred.c.client_id == col(Journey.client_id))
        )
    per_journey = per_journey.where(col(Journey.pathway_key) == pathway.key)
    if scoped:
        per_journey = per_journey.join(Client, col(Client.id) == col(Journey.client_id))
    if organisation_ids is not None:
        per_journey = per_journey.where(col(Client.organisation_id).in_(organisation_ids))
    if municipality_codes is not None:
        per_journey = per_journey.where(col(Client.municipality_code).in_(municipality_codes))
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
