"""Referral handoffs over JSON: consents, sending a referral, the partner inbox, advancing a
referral, the FHIR export, notifications, the partner services catalogue. Thin routes: the logic
is in :mod:`engine.referrals`.

Access rules (web/security.py): the client's referrals and consents are ``client_rule`` (care
team); one referral is ``referral_rule`` (care team, or the receiving partner while the consent
holds); the inbox is ``PartnerWorker`` (no client data); notifications ``CurrentUser`` (own only);
the catalogue ``ServiceManager``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, Field

from engine import consents, notifications, partner_catalogue
from engine.access import What
from engine.bounds import Id
from engine.clock import as_utc
from engine.fhir import referral_task
from engine.models import Consent, PartnerService
from engine.referrals import ReferralState
from web.api.schemas import EventOut, Strict
from web.deps import ReadSessionDep, RuntimeDep, WriteSessionDep
from web.security import (
    ClientAccess,
    CurrentUser,
    PartnerWorker,
    ServiceManager,
    client_rule,
    referral_rule,
)

router = APIRouter(prefix="/api", tags=["referrals"])

ReferralsView = Annotated[ClientAccess, Depends(client_rule(What.referrals, by="client"))]
ReferAccess = Annotated[ClientAccess, Depends(client_rule(What.refer, by="client"))]
ConsentAccess = Annotated[ClientAccess, Depends(client_rule(What.consent, by="client"))]
ReferralView = Annotated[ClientAccess, Depends(referral_rule(What.referral))]
ReferralWork = Annotated[ClientAccess, Depends(referral_rule(What.referral_work))]
CancelAccess = Annotated[ClientAccess, Depends(referral_rule(What.cancel_referral))]
FhirAccess = Annotated[ClientAccess, Depends(referral_rule(What.referral_fhir))]

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "No grant (care team, or receiving partner with consent), or CSRF"},
    404: {"description": "No such client, referral or consent"},
    409: {"description": "Conflict (someone else moved first) or a trigger not possible now"},
    422: {"description": "A rule blocked it (with its reason and legal source), or input missing"},
}

PacketField = Literal["name", "contact", "birth_date", "facts", "goals", "handoff_note"]


class ConsentIn(Strict):
    organisation_id: Id
    scope: list[PacketField] = Field(min_length=1)
    purpose: str = Field(min_length=1, max_length=500)
    evidence: Literal["verbal", "written", "electronic"]
    given_at: datetime | None = None


class ConsentOut(BaseModel):
    id: int
    client_id: Id
    organisation_id: Id
    scope: list[str]
    purpose: str
    given_at: datetime
    evidence: str
    recorded_by: int | None
    revoked_at: datetime | None

    @classmethod
    def of(cls, consent: Consent) -> ConsentOut:
        assert consent.id is not None
        return cls(
            id=consent.id,
            client_id=consent.client_id,
            organisation_id=consent.organisation_id,
            scope=consent.scope.split(","),
            purpose=consent.purpose,
            given_at=consent.given_at,
            evidence=consent.evidence,
            recorded_by=consent.recorded_by,
            revoked_at=consent.revoked_at,
        )


class ReferralIn(Strict):
    target_key: str = Field(min_length=1, max_length=200)
    fields: list[PacketField] = Field(default_factory=list)
    consent_id: Id | None = None
    statutory_basis: str | None = Field(default=None, max_length=64)
    goals: str | None = Field(default=None, max_length=2000)
    handoff_note: str | None = Field(default=None, max_length=2000)


class ReferralAdvanceIn(Strict):
    trigger: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=2000)
    outcome: str | None = Field(default=None, max_length=64)
    expected_version: int | None = Field(default=None, ge=1)


class CancelIn(Strict):
    reason: str = Field(max_length=2000)
    expected_version: int | None = Field(default=None, ge=1)


class HistoryOut(EventOut):
    actor_name: str | None


class ReferralOut(BaseModel):
    id: int
    client_id: Id
    target_key: str
    service_type: str
    #: "follow_on" (moves the client journey) or "supporting" (never does)
    kind: str
    to_organisation_id: Id
    state: str
    state_label: dict[str, str]
    version: int
    created_at: datetime
    due_at: datetime
    overdue: bool
    expired_at: datetime | None
    consent_id: Id | None
    statutory_basis: str | None


class ReferralDetail(ReferralOut):
    packet: dict[str, Any]
    history: list[HistoryOut]


class InboxOut(BaseModel):
    counts: dict[str, int]
    referrals: list[ReferralOut]


class ReferralAdvanceOut(BaseModel):
    referral_id: Id
    state: str
    version: int
    event: EventOut


class NotificationOut(BaseModel):
    id: int
    kind: str
    referral_id: Id | None
    created_at: datetime
    read_at: datetime | None


class ServiceIn(Strict):
    target_key: str = Field(min_length=1, max_length=200)
    organisation_id: Id
    service_type: str = Field(max_length=64)
    municipality_code: str = Field(pattern=r"^\d{3}$")
    capacity: int | None = Field(default=None, ge=0)
    waiting_list: int | None = Field(default=None, ge=0)
    response_days: int | None = Field(default=None, ge=1, le=365)
    notify_email: str | None = Field(default=None, max_length=200)


class ServiceOut(ServiceIn):
    id: int


def referral_out(runtime: RuntimeDep, found: ReferralState) -> ReferralOut:
    referral, journey = found.referral, found.journey
    assert referral.id is not None
    pathway = runtime.journeys.pathway_of(journey)
    return ReferralOut(
        id=referral.id,
        client_id=referral.client_id,
        target_key=referral.target_key,
        service_type=referral.service_type,
        kind=referral.kind,
        to_organisation_id=referral.to_organisation_id,
        state=journey.state,
        state_label=pathway.states[journey.state].label.model_dump(),
        version=journey.version,
        created_at=referral.created_at,
        due_at=referral.due_at,
        overdue=found.overdue(as_utc(runtime.clock.now())),
        expired_at=referral.expired_at,
        consent_id=referral.consent_id,
        statutory_basis=referral.statutory_basis,
    )


def referral_detail(
    runtime: RuntimeDep, view: ClientAccess, found: ReferralState
) -> ReferralDetail:
    history = [
        HistoryOut(**EventOut.model_validate(e, from_attributes=True).model_dump(), actor_name=n)
        for e, n in runtime.referrals.history(view.session, found.referral)
    ]
    return ReferralDetail(
        **referral_out(runtime, found).model_dump(),
        packet=found.referral.packet,
        history=history,
    )


@router.get("/clients/{client_id}/consents", response_model=list[ConsentOut], responses=ERRORS)
def list_consents(client_id: Id, view: ConsentAccess, runtime: RuntimeDep) -> list[ConsentOut]:
    """The client's consents to disclosure (suostumukset), revoked ones included."""
    return [ConsentOut.of(c) for c in consents.consents_of(view.session, client_id)]


@router.post(
    "/clients/{client_id}/consents",
    status_code=status.HTTP_201_CREATED,
    response_model=ConsentOut,
    responses=ERRORS,
)
def give_consent(
    client_id: Id, body: ConsentIn, work: ConsentAccess, runtime: RuntimeDep
) -> ConsentOut:
    """Record the client's consent to disclose the chosen packet fields to one partner."""
    now = runtime.clock.now()
    consent = consents.record_consent(
        work.session,
        work.principal,
        client_id,
        organisation_id=body.organisation_id,
        scope=body.scope,
        purpose=body.purpose,
        evidence=body.evidence,
        given_at=body.given_at or now,
        now=now,
    )
    return ConsentOut.of(consent)


@router.post(
    "/clients/{client_id}/consents/{consent_id}/revoke", response_model=ConsentOut, responses=ERRORS
)
def revoke_consent(
    client_id: Id, consent_id: Id, work: ConsentAccess, runtime: RuntimeDep
) -> ConsentOut:
    """Revoke a consent: the partner loses access to the packet with the next request."""
    consent = consents.revoke_consent(
        work.session, work.principal, client_id, consent_id, runtime.clock.now()
    )
    return ConsentOut.of(consent)


@router.get("/clients/{client_id}/referrals", response_model=list[ReferralDetail], responses=ERRORS)
def list_referrals(client_id: Id, view: ReferralsView, runtime: RuntimeDep) -> list[ReferralDetail]:
    """The client's referrals, newest first, each with its status history (who, when, why)."""
    return [
        referral_detail(runtime, view, found)
        for found in runtime.referrals.of_client(view.session, client_id)
    ]


@router.post(
    "/clients/{client_id}/referrals",
    status_code=status.HTTP_201_CREATED,
    response_model=ReferralDetail,
    responses=ERRORS,
)
def create_referral(
    client_id: Id, body: ReferralIn, work: ReferAccess, runtime: RuntimeDep
) -> ReferralDetail:
    """Send a referral to a target the plugins allow for this client (422 with the rules'
    reasons otherwise), under a consent within its scope or a named statutory basis."""
    referral = runtime.referrals.refer(
        work.session,
        work.principal,
        client_id,
        **body.model_dump(),
        now=runtime.clock.now(),
        today=runtime.clock.today(),
    )
    assert referral.id is not None
    return referral_detail(runtime, work, runtime.referrals.get(work.session, referral.id))


@router.get("/referrals/{referral_id}", response_model=ReferralDetail, responses=ERRORS)
def read_referral(referral_id: Id, view: ReferralView, runtime: RuntimeDep) -> ReferralDetail:
    """One referral: the packet (all the partner ever sees) and the status history."""
    return referral_detail(runtime, view, runtime.referrals.get(view.session, referral_id))


def _advance(
    runtime: RuntimeDep,
    work: ClientAccess,
    referral_id: Id,
    trigger: str,
    reason: str | None,
    outcome: str | None,
    expected_version: int | None,
) -> ReferralAdvanceOut:
    event = runtime.referrals.advance(
        work.session,
        work.principal,
        referral_id,
        trigger,
        reason=reason,
        outcome=outcome,
        expected_version=expected_version,
        now=runtime.clock.now(),
    )
    return ReferralAdvanceOut(
        referral_id=referral_id,
        state=event.to_state,
        version=event.seq,
        event=EventOut.model_validate(event, from_attributes=True),
    )


@router.post(
    "/referrals/{referral_id}/advance", response_model=ReferralAdvanceOut, responses=ERRORS
)
def advance_referral(
    referral_id: Id, body: ReferralAdvanceIn, work: ReferralWork, runtime: RuntimeDep
) -> ReferralAdvanceOut:
    """The receiving partner answers and reports: accept, reject (reason), start_work, hold
    (reason),
    complete (outcome), fail (reason and outcome). 409/422 like journeys."""
    return _advance(
        runtime, work, referral_id, body.trigger, body.reason, body.outcome, body.expected_version
    )


@router.post("/referrals/{referral_id}/cancel", response_model=ReferralAdvanceOut, responses=ERRORS)
def cancel_referral(
    referral_id: Id, body: CancelIn, work: CancelAccess, runtime: RuntimeDep
) -> ReferralAdvanceOut:
    """The coach cancels a referral (a reason is required)."""
    return _advance(runtime, work, referral_id, "cancel", body.reason, None, body.expected_version)


@router.get("/referrals/{referral_id}/fhir", responses=ERRORS)
def referral_fhir(referral_id: Id, view: FhirAccess, runtime: RuntimeDep) -> dict[str, Any]:
    """The referral as an HL7 FHIR R4 Task with its ServiceRequest contained."""
    found = runtime.referrals.get(view.session, referral_id)
    events = [e for e, _name in runtime.referrals.history(view.session, found.referral)]
    return referral_task(found, events)


@router.get("/partner/referrals", response_model=InboxOut, responses=ERRORS)
def partner_inbox(
    principal: PartnerWorker,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    state: str | None = None,
) -> InboxOut:
    """Referrals to my organisation (newest first) with counts by status; no client data."""
    assert principal.organisation_id is not None
    found, counts = runtime.referrals.inbox(session, principal.organisation_id, state)
    return InboxOut(counts=counts, referrals=[referral_out(runtime, f) for f in found])


@router.get("/notifications", response_model=list[NotificationOut], responses=ERRORS)
def list_notifications(
    auth: CurrentUser, runtime: RuntimeDep, session: ReadSessionDep
) -> list[NotificationOut]:
    """My notifications, newest first (codes and ids only)."""
    return [
        NotificationOut.model_validate(n, from_attributes=True)
        for n in notifications.notifications_of(session, auth.principal.user_id)
    ]


@router.get("/admin/partner-services", response_model=list[ServiceOut], responses=ERRORS)
def list_services(
    _admin: ServiceManager, runtime: RuntimeDep, session: ReadSessionDep
) -> list[ServiceOut]:
    """The partner services catalogue: which organisation receives referrals to which target."""
    return [
        ServiceOut.model_validate(s, from_attributes=True)
        for s in partner_catalogue.services(session)
    ]


@router.post("/admin/partner-services", response_model=ServiceOut, responses=ERRORS)
def save_service(
    body: ServiceIn, _admin: ServiceManager, runtime: RuntimeDep, session: WriteSessionDep
) -> ServiceOut:
    """Add or update the catalogue entry of one referral target."""
    service: PartnerService = partner_catalogue.save_service(session, **body.model_dump())
    return ServiceOut.model_validate(service, from_attributes=True)
