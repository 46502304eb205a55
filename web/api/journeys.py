"""Clients and their journeys: create, read with events, list triggers, advance.

Access rules (web/security.py): creating a client needs ``ClientCreator``; every journey route is a
``client_rule`` on the journey's client, which also writes the one access-log row of the view.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

from engine import audit
from engine.access import Basis, What
from engine.bounds import Id
from engine.clients import NewClient, register_client
from engine.journeys import AdvanceInput, TriggerOption
from engine.models import Journey, JourneyEvent
from engine.pathway_keys import CLIENT_JOURNEY
from engine.views import EventView
from web.api.schemas import (
    AdvanceOut,
    ClientCreated,
    ClientOut,
    EventOut,
    JourneyDetail,
    JourneyOut,
    TriggerOut,
    TriggersOut,
    VerdictOut,
)
from web.deps import RuntimeDep, WriteSessionDep
from web.security import ClientAccess, ClientCreator, client_rule

router = APIRouter(prefix="/api", tags=["journeys"])

JourneyAccess = Annotated[ClientAccess, Depends(client_rule(What.journey, by="journey"))]
TriggersView = Annotated[ClientAccess, Depends(client_rule(What.triggers, by="journey"))]
AdvanceAccess = Annotated[ClientAccess, Depends(client_rule(What.advance, by="journey"))]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "Not in the client's care team, or a CSRF check failed"},
    404: {"description": "No such journey"},
    409: {"description": "Conflict (someone else moved first) or a trigger not possible now"},
    422: {"description": "A rule blocked the move, or a required reason/outcome is missing"},
}


def journey_out(runtime: RuntimeDep, journey: Journey) -> JourneyOut:
    pathway = runtime.journeys.pathway_of(journey)
    assert journey.id is not None
    return JourneyOut(
        id=journey.id,
        client_id=journey.client_id,
        pathway_key=journey.pathway_key,
        pathway_version=journey.pathway_version,
        state=journey.state,
        state_label=pathway.states[journey.state].label.model_dump(),
        version=journey.version,
        created_at=journey.created_at,
        updated_at=journey.updated_at,
    )


def event_out(event: JourneyEvent | EventView) -> EventOut:
    return EventOut.model_validate(event, from_attributes=True)


def trigger_out(option: TriggerOption) -> TriggerOut:
    return TriggerOut(
        trigger=option.trigger,
        label=option.label,
        dest=option.dest,
        allowed=option.allowed,
        reason_required=option.reason_required,
        outcomes=option.outcomes,
        verdicts=[VerdictOut(**v.as_dict()) for v in option.verdicts],
    )


@router.post(
    "/clients", status_code=status.HTTP_201_CREATED, response_model=ClientCreated, responses=ERRORS
)
def create_client(
    principal: ClientCreator, body: NewClient, runtime: RuntimeDep, session: WriteSessionDep
) -> ClientCreated:
    """Record a new client (an outreach contact) and open their client journey. The client
    belongs to the coach's organisation and the coach joins the client's care team. The rules
    are the intake form's (engine.clients.NewClient): 422 names each field that is wrong."""
    now = runtime.clock.now()
    client, journey = register_client(
        session,
        runtime.journeys,
        principal,
        body,
        municipalities=runtime.municipalities,
        now=now,
        today=runtime.clock.today(),
    )
    assert client.id is not None
    audit.record_access(
        session,
        principal=principal,
        client_id=client.id,
        what=What.client,
        basis=Basis.care_team,
        at=now,
    )
    return ClientCreated(
        client=ClientOut.model_validate(client, from_attributes=True),
        journey=journey_out(runtime, journey),
    )


@router.get("/journeys/{journey_id}", response_model=JourneyDetail, responses=ERRORS)
def read_journey(journey_id: Id, view: JourneyAccess, runtime: RuntimeDep) -> JourneyDetail:
    """A journey with its whole event log, oldest first."""
    journey, _client = runtime.journeys.get(view.session, journey_id)
    events = runtime.journeys.events(view.session, journey_id)
    return JourneyDetail(
        **journey_out(runtime, journey).model_dump(), events=[event_out(e) for e in events]
    )


@router.get("/journeys/{journey_id}/triggers", response_model=TriggersOut, responses=ERRORS)
def list_triggers(journey_id: Id, view: TriggersView, runtime: RuntimeDep) -> TriggersOut:
    """The moves possible now, and the blocked ones with each rule's reason."""
    journey, client = runtime.journeys.get(view.session, journey_id)
    options = runtime.journeys.available(
        view.session, journey, client, actor_id=view.principal.user_id
    )
    assert journey.id is not None
    return TriggersOut(
        journey_id=journey.id,
        state=journey.state,
        version=journey.version,
        allowed=[trigger_out(o) for o in options if o.allowed],
        blocked=[trigger_out(o) for o in options if not o.allowed],
    )


@router.post("/journeys/{journey_id}/advance", response_model=AdvanceOut, responses=ERRORS)
def advance_journey(
    journey_id: Id, body: AdvanceInput, work: AdvanceAccess, runtime: RuntimeDep
) -> AdvanceOut:
    """Fire a trigger, as the logged-in coach. 409 on a conflict or an impossible trigger (naming
    the allowed ones), 422 when a rule blocks it (with every rule's reason) or a reason/outcome
    is missing. Referral and group-membership journeys are refused (409): they move only
    through their own routes, which check who may fire what and move the client journey too."""
    event = runtime.journeys.advance(
        work.session,
        journey_id,
        body.trigger,
        actor_id=work.principal.user_id,
        reason=body.reason,
        outcome=body.outcome,
        expected_version=body.expected_version,
        expected_pathway=CLIENT_JOURNEY,
    )
    return AdvanceOut(
        journey_id=journey_id, state=event.to_state, version=event.seq, event=event_out(event)
    )
