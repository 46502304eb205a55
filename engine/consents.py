"""Consents to disclosure (suostumukset): the client's consent to disclose some fields to one
partner organisation, recorded, listed and revoked here and nowhere else. A referral's packet
(:mod:`engine.referrals`) and a group's partner co-leader (:mod:`engine.groups`) both rest on
one. docs/referrals.md "Consent and the statutory basis".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from engine.access import Principal
from engine.clients import row_of_client
from engine.errors import InputRequired
from engine.models import Consent, Organisation, OrganisationKind

#: What a referral packet may hold; the consent's scope and the coach's choice pick among them.
PACKET_FIELDS: tuple[str, ...] = ("name", "contact", "birth_date", "facts", "goals", "handoff_note")
#: How a consent was evidenced.
EVIDENCE: tuple[str, ...] = ("verbal", "written", "electronic")


def record_consent(
    session: Session,
    principal: Principal,
    client_id: int,
    *,
    organisation_id: int,
    scope: Sequence[str],
    purpose: str,
    evidence: str,
    given_at: datetime,
    now: datetime,
    fields: Sequence[str] = PACKET_FIELDS,
) -> Consent:
    """Record the client's consent to disclose ``scope`` (some of ``fields``: the packet fields of
    a referral, or :data:`engine.group_access.CO_LEADER_SCOPE` for a group's partner co-leader)
    to one partner organisation. The one place a consent row is written."""
    unknown = sorted(set(scope) - set(fields))
    if not scope or unknown:
        raise InputRequired("scope", "choose the fields the consent covers", tuple(fields))
    if evidence not in EVIDENCE:
        raise InputRequired("evidence", "how was the consent given?", EVIDENCE)
    if not purpose.strip():
        raise InputRequired("purpose", "the consent needs a purpose")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind != OrganisationKind.partner:
        raise InputRequired("organisation_id", "consent is given to a partner organisation")
    consent = Consent(
        client_id=client_id,
        organisation_id=organisation_id,
        scope=",".join(f for f in fields if f in scope),
        purpose=purpose.strip(),
        given_at=given_at,
        evidence=evidence,
        recorded_by=principal.user_id,
        recorded_at=now,
    )
    session.add(consent)
    session.flush()
    return consent


def revoke_consent(
    session: Session, principal: Principal, client_id: int, consent_id: int, now: datetime
) -> Consent:
    """Revoke a consent; the partner's access ends with this transaction. Idempotent."""
    consent = row_of_client(session, Consent, consent_id, client_id)
    session.execute(
        update(Consent)
        .where(col(Consent.id) == consent_id, col(Consent.revoked_at).is_(None))
        .values(revoked_at=now, revoked_by=principal.user_id)
    )
    session.refresh(consent)
    return consent


def consents_of(session: Session, client_id: int) -> list[Consent]:
    """The client's consents, revoked ones included, oldest first."""
    return list(
        session.execute(
            select(Consent).where(col(Consent.client_id) == client_id).order_by(col(Consent.id))
        )
        .scalars()
        .all()
    )
