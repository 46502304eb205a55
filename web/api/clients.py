"""A client's care team (asiakkaan työryhmä) and the client log report (lokitietoraportti).

Access rules: the care-team routes are ``client_rule(What.care_team)`` (a member of the care team);
the log report is ``client_rule(What.client_log)`` (a coordinator of the organisation that keeps the
client's record, handling the client's request under the Client Data Act 703/2023 §11).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from engine.access import What
from engine.audit import client_log
from engine.bounds import Id
from engine.clients import (
    NewCareTeamMember,
    add_care_team_member,
    care_team,
    end_care_team_membership,
)
from engine.models import CareTeam
from web.api.schemas import (
    AccessEntryOut,
    CareTeamEnd,
    CareTeamMemberOut,
    CareTeamOut,
    ClientLogOut,
    DisclosureEntryOut,
)
from web.deps import RuntimeDep
from web.security import ClientAccess, client_rule

router = APIRouter(prefix="/api/clients", tags=["clients"])

CareTeamAccess = Annotated[ClientAccess, Depends(client_rule(What.care_team, by="client"))]
ClientLogAccess = Annotated[ClientAccess, Depends(client_rule(What.client_log, by="client"))]

#: The body of a new membership: the engine's input model.
CareTeamAdd = NewCareTeamMember

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "No access to this client, or a CSRF check failed"},
    404: {"description": "No such client"},
}


def member_out(row: CareTeam) -> CareTeamMemberOut:
    return CareTeamMemberOut.model_validate(row, from_attributes=True)


@router.get("/{client_id}/care-team", response_model=CareTeamOut, responses=ERRORS)
def read_care_team(client_id: Id, view: CareTeamAccess) -> CareTeamOut:
    """Everyone who is, was or will be in the client's care team, with their dates."""
    rows = care_team(view.session, client_id)
    return CareTeamOut(client_id=client_id, members=[member_out(r) for r in rows])


@router.post(
    "/{client_id}/care-team",
    status_code=status.HTTP_201_CREATED,
    response_model=CareTeamMemberOut,
    responses=ERRORS,
)
def add_member(
    client_id: Id, body: CareTeamAdd, work: CareTeamAccess, runtime: RuntimeDep
) -> CareTeamMemberOut:
    """Add a coach of the same organisation to the care team (from today unless dated)."""
    row = add_care_team_member(
        work.session,
        client_id=client_id,
        member=body,
        added_by=work.principal.user_id,
        today=runtime.clock.today(),
        now=runtime.clock.now(),
    )
    return member_out(row)


@router.post(
    "/{client_id}/care-team/{user_id}/end", response_model=CareTeamMemberOut, responses=ERRORS
)
def end_member(
    client_id: Id, user_id: Id, body: CareTeamEnd, work: CareTeamAccess, runtime: RuntimeDep
) -> CareTeamMemberOut:
    """End a membership; its last day (inclusive) is today unless given."""
    row = end_care_team_membership(
        work.session,
        client_id=client_id,
        user_id=user_id,
        last_day=body.last_day or runtime.clock.today(),
    )
    return member_out(row)


@router.get("/{client_id}/log", response_model=ClientLogOut, responses=ERRORS)
def read_client_log(
    client_id: Id,
    view: ClientLogAccess,
    runtime: RuntimeDep,
    since: Annotated[datetime | None, Query(description="Start (default: 2 years ago)")] = None,
    until: Annotated[datetime | None, Query(description="End, inclusive (default: now)")] = None,
) -> ClientLogOut:
    """Who viewed the client's data and to whom it was disclosed (703/2023 §11), oldest first.
    This report is itself a view of the client's data and appears in the log."""
    report = client_log(view.session, client_id, now=runtime.clock.now(), since=since, until=until)
    return ClientLogOut(
        client_id=report.client_id,
        since=report.since,
        until=report.until,
        accessed=[AccessEntryOut(**asdict(e)) for e in report.accessed],
        disclosed=[DisclosureEntryOut(**asdict(e)) for e in report.disclosed],
    )
