"""The partner services catalogue (kumppanien palvelut): which partner organisation receives
referrals to a plugin's referral target, with its service type, capacity and response time.
Edited by an admin; read when a referral is sent. docs/referrals.md "Partner services catalogue".
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from engine.errors import InputRequired
from engine.models import Organisation, OrganisationKind, PartnerService

#: Service types of the partner catalogue (palvelutyypit).
SERVICE_TYPES: tuple[str, ...] = (
    "rehabilitative_work_activity",
    "work_trial",
    "workshop",
    "studies",
    "social_rehabilitation",
    "substance_rehabilitation",
    "vocational_rehabilitation",
    "paid_work",
    "other",
    "mental_health",
    "debt_advice",
)
#: A referral to one of these is to a follow-on pathway (jatkopolku): it ends the project's active
#: phase and moves the client journey (docs/referrals.md "Two kinds of referral").
FOLLOW_ON_TYPES = frozenset(
    {
        "rehabilitative_work_activity",
        "studies",
        "work_trial",
        "paid_work",
        "workshop",
        "vocational_rehabilitation",
        "other",
    }
)
#: The kinds of referral: to a follow-on pathway, or to a supporting service alongside the work
#: (mental-health, substance, debt advice, social rehabilitation) that never moves the journey.
FOLLOW_ON, SUPPORTING = "follow_on", "supporting"
KINDS: tuple[str, ...] = (FOLLOW_ON, SUPPORTING)


def kind_of(service_type: str) -> str:
    """The kind of referral a service type receives."""
    return FOLLOW_ON if service_type in FOLLOW_ON_TYPES else SUPPORTING


def save_service(
    session: Session,
    *,
    target_key: str,
    organisation_id: int,
    service_type: str,
    municipality_code: str,
    capacity: int | None = None,
    waiting_list: int | None = None,
    response_days: int | None = None,
    notify_email: str | None = None,
) -> PartnerService:
    """Add or update the catalogue entry of one referral target (admin)."""
    if service_type not in SERVICE_TYPES:
        raise InputRequired("service_type", "unknown service type", SERVICE_TYPES)
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.partner:
        raise InputRequired("organisation_id", "the receiving organisation must be a partner")
    service = service_of(session, target_key) or PartnerService(
        target_key=target_key, organisation_id=0, service_type="", municipality_code=""
    )
    service.organisation_id = organisation_id
    service.service_type = service_type
    service.municipality_code = municipality_code
    service.capacity = capacity
    service.waiting_list = waiting_list
    service.response_days = response_days
    service.notify_email = notify_email
    session.add(service)
    session.flush()
    return service


def service_of(session: Session, target_key: str) -> PartnerService | None:
    """The catalogue entry of one referral target, if any."""
    return session.execute(
        select(PartnerService).where(col(PartnerService.target_key) == target_key)
    ).scalar_one_or_none()


def services(session: Session) -> list[PartnerService]:
    """The whole catalogue, by target key."""
    return list(
        session.execute(select(PartnerService).order_by(col(PartnerService.target_key)))
        .scalars()
        .all()
    )
