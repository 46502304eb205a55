"""Aggregate reports for coordinators (projektipäällikkö): counts of their own organisation's
clients, never client records. Access rule: ``OrganisationReporter``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from engine.pathway_keys import CLIENT_JOURNEY
from engine.reports import funnel
from web.api.schemas import FunnelOut, FunnelStageOut
from web.deps import ReadSessionDep, RuntimeDep
from web.security import OrganisationReporter

router = APIRouter(prefix="/api/reports", tags=["reports"])


@router.get("/funnel", response_model=FunnelOut)
def read_funnel(
    principal: OrganisationReporter,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    municipality_code: Annotated[str | None, Query(pattern=r"^\d{3}$")] = None,
    since: Annotated[datetime | None, Query(description="Journeys started from")] = None,
    until: Annotated[datetime | None, Query(description="Journeys started before")] = None,
) -> FunnelOut:
    """How many of the organisation's client journeys reached each stage: contacted -> engaged ->
    goals -> active -> referred -> on pathway."""
    assert principal.organisation_id is not None
    result = funnel(
        session,
        runtime.pathways.latest(CLIENT_JOURNEY),
        organisation_ids=[principal.organisation_id],
        municipality_codes=[municipality_code] if municipality_code else None,
        since=since,
        until=until,
    )
    return FunnelOut(
        pathway=CLIENT_JOURNEY,
        organisation_id=principal.organisation_id,
        municipality_code=municipality_code,
        stages=[FunnelStageOut(stage=s, journeys=n) for s, n in result.as_list()],
    )
