"""Delivery of referral notices and the FHIR export: the e-mail outbox sent to a real (local)
SMTP server, `polku referrals expire` / `polku outbox send` from cron, the FHIR R4 Task."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task
from sqlalchemy import select
from typer.testing import CliRunner

from engine.cli import app
from engine.clock import FrozenClock
from engine.fhir import TASK_STATUS
from engine.models import OutboxMessage, Referral, Role
from engine.outbox import send_due
from engine.runtime import Runtime
from engine.settings import get_settings
from engine.testing import make_user
from tests.referral_kit import (
    coach_principal,
    give_consent,
    partner_service,
    send_referral,
    young_client,
)

runner = CliRunner()


class Inbox(Message):
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self) -> None:
        super().__init__()
        self.received: list[Any] = []

    def handle_message(self, message: Any) -> None:
        self.received.append(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _refer(runtime: Runtime, *, notify_email: str | None = "ohjaamo@example.org") -> int:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    receiving = partner_service(runtime, notify_email=notify_email)
    principal = coach_principal(coach.id, coach.organisation_id)
    client_id, _ = young_client(
        runtime, organisation_id=None, care_team=(coach.id,), last_name="Salainen"
    )
    consent_id = give_consent(runtime, principal, client_id, receiving.organisation_id)
    return send_referral(runtime, principal, client_id, consent_id=consent_id)


def test_the_outbox_sends_a_generic_notice_once(
    make_runtime: Callable[..., Runtime], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    clock = FrozenClock()
    runtime = make_runtime(clock=clock, smtp_port=port, smtp_from="polku@example.org")
    _refer(runtime)
    report = send_due(runtime.db, runtime.settings, clock.now())
    assert len(report.sent) == 1
    assert report.failed == []
    [mail] = inbox.received
    assert mail["To"] == "ohjaamo@example.org"
    assert mail["From"] == "polku@example.org"
    text = mail.get_payload()
    assert "You have a new referral in Polku" in text
    assert "Salainen" not in text
    assert "Salainen" not in str(mail)
    # a second run sends nothing more
    assert send_due(runtime.db, runtime.settings, clock.now()).sent == []
    assert len(inbox.received) == 1


def test_a_failed_send_is_retried_later_with_backoff(
    make_runtime: Callable[..., Runtime], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    clock = FrozenClock()
    closed_port = free_port()  # nothing listens there
    runtime = make_runtime(clock=clock, smtp_port=closed_port)
    _refer(runtime)
    report = send_due(runtime.db, runtime.settings, clock.now())
    assert report.sent == []
    assert len(report.failed) == 1
    with runtime.db.read() as session:
        row = session.execute(select(OutboxMessage)).scalar_one()
        assert (row.attempts, row.sent_at, row.last_error) == (1, None, "ConnectionRefusedError")
    # not yet due again
    assert send_due(runtime.db, runtime.settings, clock.now()).failed == []
    clock.advance(minutes=2)
    working = make_runtime(clock=clock, smtp_port=port)
    assert len(send_due(working.db, working.settings, clock.now()).sent) == 1
    assert len(inbox.received) == 1


def test_cron_commands_are_idempotent(
    make_runtime: Callable[..., Runtime],
    database_url: str,
    smtp: tuple[Inbox, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = smtp
    runtime = make_runtime()
    referral_id = _refer(runtime)
    with runtime.db.write() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        referral.due_at = referral.due_at - timedelta(days=30)
    monkeypatch.setenv("POLKU_DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_ENVIRONMENT", "test")
    monkeypatch.setenv("POLKU_SMTP_PORT", str(port))
    get_settings.cache_clear()
    try:
        first = runner.invoke(app, ["referrals", "expire"])
        second = runner.invoke(app, ["referrals", "expire"])
        sent = runner.invoke(app, ["outbox", "send"])
        again = runner.invoke(app, ["outbox", "send"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0
    assert f"expired: 1 ({referral_id})" in first.output
    assert second.exit_code == 0
    assert "expired: 0" in second.output
    assert sent.exit_code == 0
    assert "sent: 1, failed: 0" in sent.output
    assert again.exit_code == 0
    assert "sent: 0, failed: 0" in again.output
    assert len(inbox.received) == 1


# --- FHIR ----------------------------------------------------------------------------------------


def test_the_fhir_export_is_a_valid_r4_task(runtime: Runtime, api_as: Callable[..., Any]) -> None:
    referral_id = _refer(runtime, notify_email=None)
    with runtime.db.read() as session:
        referral = session.get(Referral, referral_id)
        assert referral is not None
        to_org = referral.to_organisation_id
    partner = api_as(Role.partner, organisation_id=to_org)
    seen = []
    for trigger, body in (
        ("", {}),
        ("accept", {}),
        ("start_work", {}),
        ("hold", {"reason": "Loma"}),
        ("start_work", {}),
        ("complete", {"outcome": "goal_reached"}),
    ):
        if trigger:
            answer = partner.post(
                f"/api/referrals/{referral_id}/advance", json={"trigger": trigger} | body
            )
            assert answer.status_code == 200, answer.text
        response = partner.get(f"/api/referrals/{referral_id}/fhir")
        assert response.status_code == 200
        data = response.json()
        task = Task.model_validate(data)
        assert task.contained is not None
        [request] = task.contained
        assert isinstance(request, ServiceRequest) or request.get_resource_type() == (
            "ServiceRequest"
        )
        assert task.focus is not None
        assert task.focus.reference == "#request"
        assert task.for_fhir is not None
        assert str(task.for_fhir.reference).startswith("Patient/")
        assert task.owner is not None
        assert task.owner.reference == f"Organization/{to_org}"
        seen.append((task.status, data["businessStatus"]["coding"][0]["code"]))
        if trigger == "hold":
            assert task.statusReason is not None
            assert task.statusReason.text == "Loma"
        if trigger == "complete":
            assert task.output is not None
            concept = task.output[0].valueCodeableConcept
            assert concept is not None
            assert concept.coding is not None
            assert concept.coding[0].code == "goal_reached"
    assert seen == [
        ("requested", "requested"),
        ("accepted", "accepted"),
        ("in-progress", "in_progress"),
        ("on-hold", "on_hold"),
        ("in-progress", "in_progress"),
        ("completed", "completed"),
    ]
    # nothing of the packet is in the Task
    assert "Salainen" not in partner.get(f"/api/referrals/{referral_id}/fhir").text


def test_every_state_maps_to_an_r4_task_status(runtime: Runtime) -> None:
    states = set(runtime.pathways.latest("referral").states)
    assert set(TASK_STATUS) == states
    r4_codes = {
        "draft", "requested", "received", "accepted", "rejected", "ready", "cancelled",
        "in-progress", "on-hold", "failed", "completed", "entered-in-error",
    }  # fmt: skip
    assert set(TASK_STATUS.values()) <= r4_codes
