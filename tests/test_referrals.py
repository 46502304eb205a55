"""Referral handoffs through the JSON API and the engine: the closed loop, every transition and
required reason, consent and statutory basis, the partner's view (packet fields only), expiry,
the FHIR export, notifications. docs/referrals.md."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlmodel import col

from engine import partner_catalogue
from engine.access import Principal
from engine.clock import FrozenClock
from engine.errors import InputRequired
from engine.models import (
    Client,
    Disclosure,
    Journey,
    Notification,
    Referral,
    Role,
)
from engine.runtime import Runtime
from engine.testing import make_user
from tests.referral_kit import (
    ALL_FIELDS,
    BLOCKED_TARGET,
    ELIGIBLE_TARGET,
    Partner,
    coach_principal,
    give_consent,
    partner_service,
    revoke,
    send_referral,
    young_client,
)
from web.app import create_app
from web.testing import UserClient, sign_in

SENTINEL = "SENTINEL-EI-PAKETISSA"


@dataclass
class Loop:
    runtime: Runtime
    coach: UserClient
    partner: UserClient
    other_partner: UserClient
    receiving: Partner
    client_id: int
    journey_id: int

    def client_state(self) -> str:
        with self.runtime.db.read() as session:
            journey = session.get(Journey, self.journey_id)
            assert journey is not None
            return journey.state

    def consent(self, scope: tuple[str, ...] = ALL_FIELDS) -> int:
        response = self.coach.post(
            f"/api/clients/{self.client_id}/consents",
            json={
                "organisation_id": self.receiving.organisation_id,
                "scope": list(scope),
                "purpose": "Ohjaus Ohjaamoon",
                "evidence": "written",
            },
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def refer(self, consent_id: int | None, **extra: Any) -> Any:
        body = {
            "target_key": ELIGIBLE_TARGET,
            "fields": ["name", "goals", "handoff_note"],
            "consent_id": consent_id,
            "goals": "Opiskelupaikka syksyllä",
            "handoff_note": "Aamupäivät sopivat parhaiten",
        } | extra
        return self.coach.post(f"/api/clients/{self.client_id}/referrals", json=body)

    def sent(self) -> int:
        response = self.refer(self.consent())
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def fire(self, referral_id: int, trigger: str, **body: Any) -> Any:
        return self.partner.post(
            f"/api/referrals/{referral_id}/advance", json={"trigger": trigger} | body
        )


def supporting(loop: Loop) -> None:
    """Make the loop's service a supporting one (mental-health services)."""
    with loop.runtime.db.write() as session:
        partner_catalogue.save_service(
            session,
            target_key=loop.receiving.target_key,
            organisation_id=loop.receiving.organisation_id,
            service_type="mental_health",
            municipality_code="261",
            response_days=7,
        )


def _build(runtime: Runtime, api_as: Callable[..., UserClient]) -> Loop:
    receiving = partner_service(runtime)
    elsewhere = partner_service(runtime, "Toinen kumppani", "kittila.outreach_youth_work")
    coach = api_as(Role.coach)
    partner = api_as(Role.partner, organisation_id=receiving.organisation_id)
    other_partner = api_as(Role.partner, organisation_id=elsewhere.organisation_id)
    client_id, journey_id = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    with runtime.db.write() as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.last_name = f"Sukunimi{SENTINEL}"
        client.phone = f"+358 00 {SENTINEL}"
        client.email = "sentinel@example.org"
    return Loop(runtime, coach, partner, other_partner, receiving, client_id, journey_id)


@pytest.fixture
def loop(runtime: Runtime, api_as: Callable[..., UserClient]) -> Loop:
    return _build(runtime, api_as)


def test_the_whole_loop_as_coach_and_partner_see_it(loop: Loop) -> None:
    referral_id = loop.sent()
    assert loop.client_state() == "referred"

    inbox = loop.partner.get("/api/partner/referrals").json()
    assert inbox["counts"] == {"requested": 1}
    assert [r["id"] for r in inbox["referrals"]] == [referral_id]

    assert loop.fire(referral_id, "accept").status_code == 200
    assert loop.client_state() == "referred"  # accepting is not yet starting the work
    assert loop.fire(referral_id, "start_work").json()["state"] == "in_progress"
    assert loop.client_state() == "on_pathway"
    done = loop.fire(referral_id, "complete", outcome="moved_on", reason="Aloitti opinnot")
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "completed"
    # closing the client journey stays the coach's decision
    assert loop.client_state() == "follow_on_completed"

    [seen] = loop.coach.get(f"/api/clients/{loop.client_id}/referrals").json()
    steps = [(h["trigger"], h["to_state"], h["actor_name"]) for h in seen["history"]]
    assert [s[:2] for s in steps] == [
        ("start", "requested"),
        ("accept", "accepted"),
        ("start_work", "in_progress"),
        ("complete", "completed"),
    ]
    assert all(name for _t, _s, name in steps)
    assert seen["history"][-1]["outcome"] == "moved_on"
    with loop.runtime.db.read() as session:
        kinds = session.execute(
            select(col(Notification.kind)).where(col(Notification.user_id) == loop.coach.user_id)
        ).scalars()
        assert sorted(kinds) == ["referral_accepted", "referral_completed"]
        [to_partner] = session.execute(
            select(col(Notification.kind)).where(col(Notification.user_id) == loop.partner.user_id)
        ).scalars()
        assert to_partner == "referral_received"


def test_sending_writes_one_disclosure_row_with_the_consent_basis(loop: Loop) -> None:
    loop.sent()
    with loop.runtime.db.read() as session:
        rows = session.execute(select(Disclosure)).scalars().all()
    assert [(r.client_id, r.recipient_organisation_id, r.what, r.basis) for r in rows] == [
        (loop.client_id, loop.receiving.organisation_id, "referral_packet", "consent")
    ]


def test_a_statutory_basis_instead_of_consent(loop: Loop) -> None:
    response = loop.refer(None, statutory_basis="1301/2014:41§")
    assert response.status_code == 201, response.text
    with loop.runtime.db.read() as session:
        assert session.execute(select(col(Disclosure.basis))).scalar_one() == "1301/2014:41§"


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "consent_id"),
        ({"statutory_basis": "no spaces allowed here"}, "statutory_basis"),
    ],
)
def test_no_referral_without_consent_or_basis(loop: Loop, extra: dict, field: str) -> None:
    response = loop.refer(None, **extra)
    assert response.status_code == 422
    assert response.json()["field"] == field
    with loop.runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Referral)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(Disclosure)).scalar_one() == 0
    assert loop.client_state() == "individual_work"


def test_fields_outside_the_consents_scope_are_refused(loop: Loop) -> None:
    consent_id = loop.consent(scope=("name",))
    response = loop.refer(consent_id, fields=["name", "contact"])
    assert response.status_code == 422
    assert response.json()["allowed"] == ["contact"]


def test_a_revoked_consent_cannot_carry_a_referral(loop: Loop) -> None:
    consent_id = loop.consent()
    revoked = loop.coach.post(f"/api/clients/{loop.client_id}/consents/{consent_id}/revoke")
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"]
    assert loop.refer(consent_id).status_code == 422


def test_a_blocked_target_answers_422_with_the_rules_reason_and_legal_source(
    loop: Loop,
) -> None:
    partner_service(loop.runtime, "Kittilän nuorten työpaja", BLOCKED_TARGET)
    response = loop.refer(None, target_key=BLOCKED_TARGET, statutory_basis="1301/2014:41§")
    assert response.status_code == 422
    denied = [v for v in response.json()["verdicts"] if v["allowed"] is False]
    assert denied
    assert all(v["reason"]["fi"] and v["legal_source"] for v in denied)


def test_a_target_without_a_receiving_partner_is_refused(loop: Loop) -> None:
    response = loop.refer(None, target_key="kittila.rehabilitative_work_activity")
    assert response.status_code == 422


def test_partner_sees_only_the_packet_fields(loop: Loop) -> None:
    referral_id = loop.sent()
    response = loop.partner.get(f"/api/referrals/{referral_id}")
    assert response.status_code == 200
    packet = response.json()["packet"]
    assert set(packet) == {"fields", "service", "name", "goals", "handoff_note"}
    assert SENTINEL not in loop.partner.get(f"/api/referrals/{referral_id}").text.replace(
        packet["name"], ""
    )
    assert "sentinel@example.org" not in response.text
    assert SENTINEL not in loop.partner.get("/api/partner/referrals").text


def test_free_notes_go_only_when_chosen(loop: Loop) -> None:
    response = loop.refer(loop.consent(), fields=["contact"])
    assert response.status_code == 201
    packet = response.json()["packet"]
    assert set(packet) == {"fields", "service", "contact"}
    assert "Aamupäivät" not in response.text


def test_partner_of_another_agency_sees_nothing(loop: Loop) -> None:
    referral_id = loop.sent()
    assert loop.other_partner.get(f"/api/referrals/{referral_id}").status_code == 403
    assert (
        loop.other_partner.post(
            f"/api/referrals/{referral_id}/advance", json={"trigger": "accept"}
        ).status_code
        == 403
    )
    assert loop.other_partner.get("/api/partner/referrals").json()["referrals"] == []


def test_revoking_consent_cuts_the_partners_access_at_once(loop: Loop) -> None:
    consent_id = loop.consent()
    referral_id = loop.refer(consent_id).json()["id"]
    assert loop.partner.get(f"/api/referrals/{referral_id}").status_code == 200
    loop.coach.post(f"/api/clients/{loop.client_id}/consents/{consent_id}/revoke")
    assert loop.partner.get(f"/api/referrals/{referral_id}").status_code == 403
    assert loop.partner.get(f"/api/referrals/{referral_id}/fhir").status_code == 403
    assert loop.fire(referral_id, "accept").status_code == 403
    assert loop.partner.get("/api/partner/referrals").json() == {"counts": {}, "referrals": []}
    # the coach still sees it
    assert loop.coach.get(f"/api/referrals/{referral_id}").status_code == 200


def test_only_the_partner_answers_and_only_the_coach_cancels(loop: Loop) -> None:
    referral_id = loop.sent()
    coach_accepts = loop.coach.post(
        f"/api/referrals/{referral_id}/advance", json={"trigger": "accept"}
    )
    assert coach_accepts.status_code == 403
    partner_cancels = loop.partner.post(
        f"/api/referrals/{referral_id}/cancel", json={"reason": "ei"}
    )
    assert partner_cancels.status_code == 403
    # a trigger the partner may not fire through the partner route: 403, nothing written
    assert loop.fire(referral_id, "cancel", reason="ei").status_code == 403
    cancelled = loop.coach.post(
        f"/api/referrals/{referral_id}/cancel", json={"reason": "Asiakas muutti"}
    )
    assert cancelled.status_code == 200
    assert cancelled.json()["state"] == "cancelled"
    assert loop.client_state() == "individual_work"
    assert loop.partner.get(f"/api/referrals/{referral_id}").status_code == 403


def test_rejection_returns_the_client_journey_with_the_reason_and_tells_the_coach(
    loop: Loop,
) -> None:
    referral_id = loop.sent()
    assert loop.fire(referral_id, "reject").status_code == 422
    assert loop.fire(referral_id, "reject", reason="Ei paikkoja").status_code == 200
    assert loop.client_state() == "individual_work"
    with loop.runtime.db.read() as session:
        journey = session.get(Journey, loop.journey_id)
        assert journey is not None
        events = loop.runtime.journeys.events(session, loop.journey_id)
        assert (events[-1].trigger, events[-1].reason) == ("referral_returned", "Ei paikkoja")
        kinds = session.execute(
            select(col(Notification.kind)).where(col(Notification.user_id) == loop.coach.user_id)
        ).scalars()
        assert list(kinds) == ["referral_rejected"]


def test_failure_on_the_follow_on_pathway_ends_it_with_the_reason(loop: Loop) -> None:
    referral_id = loop.sent()
    loop.fire(referral_id, "accept")
    loop.fire(referral_id, "start_work")
    assert loop.client_state() == "on_pathway"
    assert loop.fire(referral_id, "fail", reason="Ei saapunut").status_code == 422  # no outcome
    failed = loop.fire(referral_id, "fail", reason="Ei saapunut", outcome="no_contact")
    assert failed.status_code == 200, failed.text
    assert loop.client_state() == "individual_work"
    with loop.runtime.db.read() as session:
        last = loop.runtime.journeys.events(session, loop.journey_id)[-1]
    assert (last.trigger, last.reason) == ("referral_returned", "Ei saapunut")


def test_a_stale_version_is_a_conflict(loop: Loop) -> None:
    referral_id = loop.sent()
    assert loop.fire(referral_id, "accept", expected_version=1).status_code == 200
    assert loop.fire(referral_id, "start_work", expected_version=1).status_code == 409


def test_an_impossible_trigger_is_409(loop: Loop) -> None:
    referral_id = loop.sent()
    assert loop.fire(referral_id, "complete", outcome="moved_on").status_code == 409


# --- every transition, every required reason ---------------------------------------------------

#: How to bring a fresh referral to each state (partner triggers, with what they need).
PATHS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "requested": [],
    "accepted": [("accept", {})],
    "in_progress": [("accept", {}), ("start_work", {})],
    "on_hold": [("accept", {}), ("hold", {"reason": "Loma"})],
}
NEEDS: dict[str, dict[str, str]] = {
    "complete": {"outcome": "goal_reached"},
    "fail": {"outcome": "other"},
}


def _transitions(runtime: Runtime) -> list[tuple[str, str, str, bool]]:
    pathway = runtime.pathways.latest("referral")
    return [
        (t.trigger, source, t.dest[0], t.reason == "required")
        for t in pathway.definition.transitions
        for source in t.source
    ]


def test_every_referral_transition_and_its_required_reason(loop: Loop) -> None:
    supporting(loop)  # many referrals of one client at a time
    transitions = _transitions(loop.runtime)
    # requested: 3, accepted: 5, in_progress: 4, on_hold: 4 (shared/DOMAIN.md)
    assert len(transitions) == 16
    for trigger, source, dest, reason_required in transitions:
        referral_id = loop.sent()
        for step, body in PATHS[source]:
            assert loop.fire(referral_id, step, **body).status_code == 200
        needs = NEEDS.get(trigger, {})
        if trigger == "cancel":
            http, url = loop.coach, f"/api/referrals/{referral_id}/cancel"
            body_without: dict[str, Any] = {"reason": ""}
            body_with: dict[str, Any] = {"reason": "Syy"}
        else:
            http, url = loop.partner, f"/api/referrals/{referral_id}/advance"
            body_without = {"trigger": trigger, **needs}
            body_with = body_without | {"reason": "Syy"}
        if reason_required:
            refused = http.post(url, json=body_without)
            assert refused.status_code == 422, (trigger, source, refused.text)
            assert refused.json()["field"] == "reason"
        answer = http.post(url, json=body_with)
        assert answer.status_code == 200, (trigger, source, answer.text)
        assert answer.json()["state"] == dest


# --- no referral without consent or statutory basis (property) ---------------------------------


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    consent=st.sampled_from(["none", "valid", "revoked", "other_client", "other_org"]),
    basis=st.one_of(st.none(), st.sampled_from(["1301/2014:41§", "bad basis", ""])),
    fields=st.lists(st.sampled_from(ALL_FIELDS), unique=True, max_size=4),
    scope=st.lists(st.sampled_from(ALL_FIELDS), unique=True, min_size=1, max_size=6),
)
def test_property_no_referral_without_consent_or_statutory_basis(
    runtime: Runtime,
    consent: str,
    basis: str | None,
    fields: list[str],
    scope: list[str],
) -> None:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    principal = coach_principal(coach.id, coach.organisation_id)
    receiving = (
        partner_service(runtime, service_type="mental_health")
        if not _has_service(runtime)
        else _service(runtime)
    )
    other_org = partner_service(runtime, "Muu kumppani", "kittila.outreach_youth_work")
    client_id, _ = young_client(runtime, organisation_id=None, care_team=(coach.id,), working=False)
    other_client, _ = young_client(
        runtime, organisation_id=None, care_team=(coach.id,), working=False
    )
    consent_id: int | None = None
    if consent in {"valid", "revoked"}:
        consent_id = give_consent(
            runtime, principal, client_id, receiving.organisation_id, tuple(scope)
        )
        if consent == "revoked":
            revoke(runtime, principal, client_id, consent_id)
    elif consent == "other_client":
        consent_id = give_consent(runtime, principal, other_client, receiving.organisation_id)
    elif consent == "other_org":
        consent_id = give_consent(runtime, principal, client_id, other_org.organisation_id)
    lawful = (basis == "1301/2014:41§") or (
        basis is None and consent == "valid" and set(fields) <= set(scope)
    )
    try:
        send_referral(
            runtime,
            principal,
            client_id,
            consent_id=consent_id,
            fields=tuple(fields),
            statutory_basis=basis,
        )
        sent = True
    except InputRequired:
        sent = False
    assert sent == lawful
    with runtime.db.read() as session:
        referrals = session.execute(
            select(func.count()).select_from(Referral).where(col(Referral.client_id) == client_id)
        ).scalar_one()
        disclosures = session.execute(
            select(func.count())
            .select_from(Disclosure)
            .where(col(Disclosure.client_id) == client_id)
        ).scalar_one()
    assert referrals == disclosures == int(lawful)


def _has_service(runtime: Runtime) -> bool:
    from engine.models import PartnerService

    with runtime.db.read() as session:
        return (
            session.execute(
                select(PartnerService).where(col(PartnerService.target_key) == ELIGIBLE_TARGET)
            ).first()
            is not None
        )


def _service(runtime: Runtime) -> Partner:
    from engine.models import PartnerService

    with runtime.db.read() as session:
        service = session.execute(
            select(PartnerService).where(col(PartnerService.target_key) == ELIGIBLE_TARGET)
        ).scalar_one()
        return Partner(service.organisation_id, service.target_key)


# --- expiry --------------------------------------------------------------------------------------


def test_unanswered_referrals_expire_once_and_are_flagged(
    make_runtime: Callable[..., Runtime],
) -> None:
    clock = FrozenClock()
    runtime = make_runtime(clock=clock)
    app = create_app(runtime=runtime)

    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    receiving = partner_service(runtime, response_days=7, service_type="mental_health")
    partner = make_user(runtime, Role.partner, organisation_id=receiving.organisation_id)
    assert partner.id is not None
    principal = coach_principal(coach.id, coach.organisation_id)
    client_id, _ = young_client(runtime, organisation_id=None, care_team=(coach.id,))
    consent_id = give_consent(runtime, principal, client_id, receiving.organisation_id)
    waiting = send_referral(runtime, principal, client_id, consent_id=consent_id)
    answered = send_referral(runtime, principal, client_id, consent_id=consent_id)
    with runtime.db.write() as session:
        runtime.referrals.advance(
            session,
            Principal(partner.id, Role.partner, receiving.organisation_id),
            answered,
            "accept",
            now=clock.now(),
        )
    clock.advance(days=6)
    with runtime.db.write() as session:
        assert runtime.referrals.expire(session, clock.now()) == []
    clock.advance(days=2)
    with runtime.db.write() as session:
        flagged = runtime.referrals.expire(session, clock.now())
    assert flagged == [waiting]
    with runtime.db.write() as session:
        assert runtime.referrals.expire(session, clock.now()) == []
    with runtime.db.read() as session:
        notified = session.execute(
            select(col(Notification.user_id), func.count())
            .where(col(Notification.kind) == "referral_expired")
            .group_by(col(Notification.user_id))
        ).all()
    assert sorted(notified) == sorted([(coach.id, 1), (partner.id, 1)])
    with TestClient(app) as http:
        sign_in(http, runtime, partner.id)
        inbox = http.get("/api/partner/referrals").json()
    overdue = {r["id"]: r["overdue"] for r in inbox["referrals"]}
    assert overdue == {waiting: True, answered: False}


def test_concurrent_expiry_runs_flag_each_referral_once(
    make_runtime: Callable[..., Runtime],
) -> None:
    import threading

    clock = FrozenClock()
    runtime = make_runtime(clock=clock)
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    receiving = partner_service(runtime, response_days=1, service_type="mental_health")
    principal = coach_principal(coach.id, coach.organisation_id)
    client_id, _ = young_client(runtime, organisation_id=None, care_team=(coach.id,))
    consent_id = give_consent(runtime, principal, client_id, receiving.organisation_id)
    ids = [send_referral(runtime, principal, client_id, consent_id=consent_id) for _ in range(3)]
    clock.advance(days=2)
    start = threading.Barrier(2)
    flagged: list[list[int]] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with runtime.db.write() as session:
                flagged.append(runtime.referrals.expire(session, clock.now()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(flagged[0] + flagged[1]) == ids
    with runtime.db.read() as session:
        expired_notices = session.execute(
            select(func.count())
            .select_from(Notification)
            .where(
                col(Notification.kind) == "referral_expired",
                col(Notification.user_id) == coach.id,
            )
        ).scalar_one()
    assert expired_notices == 3
