"""The e-mail outbox (lähtevät viestit): ``polku outbox send`` sends what is due to the SMTP server
of the settings. Messages carry a generic notice only, never client data (engine.referrals).

Idempotent and safe to run from cron, also twice at once: a run first *claims* a message with a
conditional UPDATE (``WHERE sent_at IS NULL AND next_attempt_at <= now``, moving
``next_attempt_at`` a lease ahead) and commits; only the run whose UPDATE hit the row sends it.
A sent message is marked ``sent_at``; a failed one is retried later with a doubling backoff,
until ``outbox_max_attempts``.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlmodel import col

from engine.db import Database
from engine.models import OutboxMessage
from engine.settings import Settings

log = logging.getLogger("polku.outbox")

#: How long a claimed message is left alone by other runs while this one sends it.
LEASE = timedelta(minutes=5)


@dataclass(frozen=True)
class SendReport:
    sent: list[int]
    failed: list[int]


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... minutes after the ``attempts``-th failure (at most a day)."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(days=1))


def send_due(db: Database, settings: Settings, now: datetime) -> SendReport:
    """Send every message due at ``now``; each in its own claim-send-mark cycle."""
    with db.read() as session:
        due = list(
            session.execute(
                select(col(OutboxMessage.id))
                .where(
                    col(OutboxMessage.sent_at).is_(None),
                    col(OutboxMessage.next_attempt_at) <= now,
                    col(OutboxMessage.attempts) < settings.outbox_max_attempts,
                )
                .order_by(col(OutboxMessage.id))
            ).scalars()
        )
    sent, failed = [], []
    for message_id in due:
        with db.write() as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id) == message_id,
                    col(OutboxMessage.sent_at).is_(None),
                    col(OutboxMessage.next_attempt_at) <= now,
                )
                .values(next_attempt_at=now + LEASE)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another run has it
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            to, subject, body, attempts = (
                message.to_address,
                message.subject,
                message.body,
                message.attempts,
            )
        try:
            _send(settings, to, subject, body)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("outbox message %s not sent: %s", message_id, type(exc).__name__)
            with db.write() as session:
                session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id) == message_id)
                    .values(
                        attempts=attempts + 1,
                        next_attempt_at=now + backoff(attempts + 1),
                        last_error=type(exc).__name__[:500],
                    )
                )
            failed.append(message_id)
            continue
        with db.write() as session:
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == message_id)
                .values(sent_at=now, attempts=attempts + 1, last_error=None)
            )
        sent.append(message_id)
    return SendReport(sent, failed)


def _send(settings: Settings, to: str, subject: str, body: str) -> None:
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)
