"""Notifications (ilmoitukset): in-app notices to users about referrals, and the generic e-mail
notice queued in the outbox (:mod:`engine.outbox` sends it). Notices carry ids and codes only,
never client data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from engine.models import Notification, OutboxMessage, Referral, Role, User

#: The only e-mail text there is: no names, no client data, ever.
MAIL_SUBJECT = "Polku: uusi ilmoitus / ny notis / new notice"
MAIL_BODY = (
    "Sinulla on uusi lähete Polussa. Kirjaudu Polkuun nähdäksesi sen.\n"
    "Du har en ny remiss i Polku. Logga in i Polku för att se den.\n"
    "You have a new referral in Polku. Log in to Polku to see it.\n"
)


def notify_user(
    session: Session, user_id: int, referral_id: int | None, kind: str, now: datetime
) -> None:
    session.add(Notification(user_id=user_id, referral_id=referral_id, kind=kind, created_at=now))


def notify_partner(session: Session, referral: Referral, kind: str, now: datetime) -> None:
    """Every active partner worker of the receiving organisation."""
    users = session.execute(
        select(col(User.id)).where(
            col(User.organisation_id) == referral.to_organisation_id,
            col(User.role) == Role.partner.value,
            col(User.is_active).is_(True),
        )
    ).scalars()
    for user_id in users:
        notify_user(session, user_id, referral.id, kind, now)


def queue_mail(session: Session, to_address: str, now: datetime) -> None:
    """The generic notice (no client data) to a service's intake address."""
    session.add(
        OutboxMessage(
            to_address=to_address,
            subject=MAIL_SUBJECT,
            body=MAIL_BODY,
            created_at=now,
            next_attempt_at=now,
        )
    )


def mark_read(session: Session, user_id: int, now: datetime) -> int:
    """Mark the user's unread notifications read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def notifications_of(session: Session, user_id: int, limit: int = 50) -> list[Notification]:
    """The user's notifications, newest first."""
    return list(
        session.execute(
            select(Notification)
            .where(col(Notification.user_id) == user_id)
            .order_by(col(Notification.id).desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )


def referral_services(session: Session, referral_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """Referral id -> the service's name by language (the packet's snapshot; no client data)."""
    rows = session.execute(
        select(col(Referral.id), col(Referral.packet)).where(
            col(Referral.id).in_(list(referral_ids))
        )
    ).all()
    return {int(r): dict((packet or {}).get("service") or {}) for r, packet in rows}


def referral_clients(session: Session, referral_ids: Sequence[int]) -> dict[int, int]:
    """Referral id -> its client's id (ids only, for links)."""
    rows = session.execute(
        select(col(Referral.id), col(Referral.client_id)).where(
            col(Referral.id).in_(list(referral_ids))
        )
    ).all()
    return {int(r): int(c) for r, c in rows}
