"""Steps for features/referrals/loop.feature: the JSON API as the coach and the partner use it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import select
from sqlmodel import col

from engine.models import Journey, Notification, Role
from engine.runtime import Runtime
from tests.referral_kit import ELIGIBLE_TARGET, partner_service, young_client
from web.testing import UserClient

scenarios("loop.feature")


@dataclass
class Handoff:
    coach: UserClient | None = None
    partner: UserClient | None = None
    client_id: int = 0
    journey_id: int = 0
    organisation_id: int = 0
    consent_id: int | None = None
    referral_id: int = 0
    last: Any = None
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def c(self) -> UserClient:
        assert self.coach is not None
        return self.coach

    @property
    def p(self) -> UserClient:
        assert self.partner is not None
        return self.partner


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@pytest.fixture
def handoff() -> Handoff:
    return Handoff()


@given("a client of 21 in Kittilä in individual work with a coach")
def client_with_coach(
    runtime: Runtime, api_as: Callable[..., UserClient], handoff: Handoff
) -> None:
    handoff.coach = api_as(Role.coach)
    handoff.client_id, handoff.journey_id = young_client(
        runtime, organisation_id=handoff.c.organisation_id, care_team=(handoff.c.user_id,)
    )


@given(parsers.parse('the partner agency "{name}" receives referrals to the Ohjaamo'))
def receiving_agency(
    runtime: Runtime, api_as: Callable[..., UserClient], handoff: Handoff, name: str
) -> None:
    handoff.organisation_id = partner_service(runtime, name, ELIGIBLE_TARGET).organisation_id
    handoff.partner = api_as(Role.partner, organisation_id=handoff.organisation_id)


@given(parsers.parse('the client has consented to disclose "{fields}" to the partner agency'))
def consented(handoff: Handoff, fields: str) -> None:
    response = handoff.c.post(
        f"/api/clients/{handoff.client_id}/consents",
        json={
            "organisation_id": handoff.organisation_id,
            "scope": _names(fields),
            "purpose": "Ohjaus Ohjaamoon",
            "evidence": "written",
        },
    )
    assert response.status_code == 201, response.text
    handoff.consent_id = response.json()["id"]


def _refer(handoff: Handoff, fields: str, consent_id: int | None) -> None:
    handoff.last = handoff.c.post(
        f"/api/clients/{handoff.client_id}/referrals",
        json={
            "target_key": ELIGIBLE_TARGET,
            "fields": _names(fields),
            "consent_id": consent_id,
            "goals": "Opiskelupaikka",
            "handoff_note": "Aamupäivät sopivat",
        },
    )
    if handoff.last.status_code == 201:
        handoff.referral_id = handoff.last.json()["id"]


@when(parsers.parse('the coach refers the client to the Ohjaamo with "{fields}"'))
def refer(handoff: Handoff, fields: str) -> None:
    _refer(handoff, fields, handoff.consent_id)
    assert handoff.last.status_code == 201, handoff.last.text


@when(parsers.parse('the coach refers the client to the Ohjaamo with "{fields}" without consent'))
def refer_without_consent(handoff: Handoff, fields: str) -> None:
    _refer(handoff, fields, None)


def _fire(handoff: Handoff, **body: Any) -> None:
    handoff.last = handoff.p.post(f"/api/referrals/{handoff.referral_id}/advance", json=body)
    assert handoff.last.status_code == 200, handoff.last.text


@when(parsers.parse('the partner fires "{trigger}"'))
def fire(handoff: Handoff, trigger: str) -> None:
    _fire(handoff, trigger=trigger)


@when(
    parsers.parse(
        'the partner fires "{trigger}" with the outcome "{outcome}" and the note "{note}"'
    )
)
def fire_with_outcome(handoff: Handoff, trigger: str, outcome: str, note: str) -> None:
    _fire(handoff, trigger=trigger, outcome=outcome, reason=note)


@when(parsers.parse('the partner fires "{trigger}" with the reason "{reason}"'))
def fire_with_reason(handoff: Handoff, trigger: str, reason: str) -> None:
    _fire(handoff, trigger=trigger, reason=reason)


@when("the coach revokes the consent")
def revoke(handoff: Handoff) -> None:
    response = handoff.c.post(
        f"/api/clients/{handoff.client_id}/consents/{handoff.consent_id}/revoke"
    )
    assert response.status_code == 200


@then(parsers.parse('the client\'s journey is at "{state}"'))
def client_journey_at(runtime: Runtime, handoff: Handoff, state: str) -> None:
    with runtime.db.read() as session:
        journey = session.get(Journey, handoff.journey_id)
        assert journey is not None
        assert journey.state == state


@then(parsers.parse('the client\'s journey records "{trigger}" with the reason "{reason}"'))
def client_journey_records(runtime: Runtime, handoff: Handoff, trigger: str, reason: str) -> None:
    with runtime.db.read() as session:
        last = runtime.journeys.events(session, handoff.journey_id)[-1]
    assert (last.trigger, last.reason) == (trigger, reason)


@then(parsers.parse('the partner\'s inbox counts {count:d} "{state}"'))
def inbox_counts(handoff: Handoff, count: int, state: str) -> None:
    assert handoff.p.get("/api/partner/referrals").json()["counts"] == {state: count}


@then(parsers.parse('the referral is "{state}"'))
def referral_is(handoff: Handoff, state: str) -> None:
    assert handoff.c.get(f"/api/referrals/{handoff.referral_id}").json()["state"] == state


@then(parsers.parse('the coach sees the steps "{states}" with who made them'))
def coach_sees_steps(handoff: Handoff, states: str) -> None:
    [referral] = handoff.c.get(f"/api/clients/{handoff.client_id}/referrals").json()
    assert [h["to_state"] for h in referral["history"]] == _names(states)
    assert all(h["actor_name"] and h["occurred_at"] for h in referral["history"])
    handoff.seen = referral


@then(parsers.parse('the coach sees the outcome "{outcome}"'))
def coach_sees_outcome(handoff: Handoff, outcome: str) -> None:
    assert handoff.seen["history"][-1]["outcome"] == outcome


@then(parsers.parse('the coach is notified "{kind}"'))
def coach_notified(runtime: Runtime, handoff: Handoff, kind: str) -> None:
    with runtime.db.read() as session:
        kinds = session.execute(
            select(col(Notification.kind)).where(col(Notification.user_id) == handoff.c.user_id)
        ).scalars()
        assert list(kinds) == [kind]
    assert [n["kind"] for n in handoff.c.get("/api/notifications").json()] == [kind]


@then(parsers.parse('the partner sees only the packet fields "{fields}"'))
def partner_sees_only(handoff: Handoff, fields: str) -> None:
    packet = handoff.p.get(f"/api/referrals/{handoff.referral_id}").json()["packet"]
    assert packet["fields"] == _names(fields)
    assert set(packet) - {"fields", "service"} == set(_names(fields))


@then("the partner is refused the referral")
def partner_refused(handoff: Handoff) -> None:
    assert handoff.p.get(f"/api/referrals/{handoff.referral_id}").status_code == 403


@then("the partner's inbox is empty")
def inbox_empty(handoff: Handoff) -> None:
    assert handoff.p.get("/api/partner/referrals").json() == {"counts": {}, "referrals": []}


@then(parsers.parse('the referral is refused asking for "{field_name}"'))
def refused_asking(handoff: Handoff, field_name: str) -> None:
    assert handoff.last.status_code == 422
    assert handoff.last.json()["field"] == field_name
