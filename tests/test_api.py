"""The JSON API: create a client with a journey, read it, list triggers, advance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.runtime import Runtime

CLIENT = {
    "first_name": "Aino",
    "last_name": "Esimerkki",
    "birth_date": "1998-02-11",
    "municipality_code": "261",
    "participation_consent": True,
}


@pytest.fixture
def api(api_as: Callable[..., Any]) -> Any:
    """These API tests act as a coach (who joins the care team of every client they record)."""
    return api_as("coach")


def create(api: Any, **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/clients", json=CLIENT | overrides)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_health(api: Any, runtime: Runtime) -> None:
    body = api.get("/health").json()
    assert body == {
        "status": "ok",
        "database": runtime.db.dialect,
        "pathways": ["client_journey", "group_membership", "referral"],
    }


def test_create_read_and_advance(api: Any) -> None:
    created = create(api)
    journey = created["journey"]
    assert (journey["state"], journey["version"]) == ("outreach", 1)
    assert journey["state_label"]["fi"] == "Etsivä kontakti"
    jid = journey["id"]

    moved = api.post(
        f"/api/journeys/{jid}/advance", json={"trigger": "engage", "expected_version": 1}
    )
    assert moved.status_code == 200, moved.text
    assert (moved.json()["state"], moved.json()["version"]) == ("engaged", 2)

    detail = api.get(f"/api/journeys/{jid}").json()
    # timestamps are explicit UTC on every database (SQLite has no zone type of its own)
    stamps = [
        detail["created_at"],
        detail["updated_at"],
        *(e["occurred_at"] for e in detail["events"]),
    ]
    assert all(s.endswith(("Z", "+00:00")) for s in stamps), stamps
    assert [(e["trigger"], e["to_state"]) for e in detail["events"]] == [
        ("start", "outreach"),
        ("engage", "engaged"),
    ]
    triggers = api.get(f"/api/journeys/{jid}/triggers").json()
    assert [t["trigger"] for t in triggers["allowed"]] == ["start_assessment", "pause", "drop_out"]
    assert triggers["allowed"][1]["reason_required"] is True


def test_invalid_trigger_is_409_naming_allowed(api: Any) -> None:
    jid = create(api)["journey"]["id"]
    response = api.post(f"/api/journeys/{jid}/advance", json={"trigger": "finish_group_work"})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "invalid_transition"
    assert body["allowed"] == ["engage", "decline", "close"]


def test_stale_version_is_409_conflict(api: Any) -> None:
    jid = create(api)["journey"]["id"]
    api.post(f"/api/journeys/{jid}/advance", json={"trigger": "engage", "expected_version": 1})
    response = api.post(
        f"/api/journeys/{jid}/advance", json={"trigger": "start_assessment", "expected_version": 1}
    )
    assert response.status_code == 409
    assert response.json()["error"] == "conflict"
    assert response.json()["actual_version"] == 2


def test_rejected_guard_is_422_with_reasons(api: Any) -> None:
    jid = create(api, participation_consent=False)["journey"]["id"]
    response = api.post(f"/api/journeys/{jid}/advance", json={"trigger": "engage"})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "guard_rejected"
    denied = [v for v in body["verdicts"] if v["allowed"] is False]
    assert [v["rule"] for v in denied] == ["participation_consent"]
    assert denied[0]["reason"]["sv"].startswith("Klientens samtycke")
    blocked = api.get(f"/api/journeys/{jid}/triggers").json()["blocked"]
    assert [b["trigger"] for b in blocked] == ["engage"]


def test_missing_reason_is_422(api: Any) -> None:
    jid = create(api)["journey"]["id"]
    api.post(f"/api/journeys/{jid}/advance", json={"trigger": "engage"})
    response = api.post(f"/api/journeys/{jid}/advance", json={"trigger": "pause"})
    assert response.status_code == 422
    assert response.json() | {"message": ""} == {
        "error": "input_required",
        "message": "",
        "field": "reason",
        "allowed": [],
    }


def test_unknown_journey_is_404(api: Any) -> None:
    assert api.get("/api/journeys/424242").status_code == 404
    assert api.post("/api/journeys/424242/advance", json={"trigger": "engage"}).status_code == 404


def test_extra_fields_are_refused_and_change_nothing(api: Any) -> None:
    response = api.post("/api/clients", json=CLIENT | {"state": "closed"})
    assert response.status_code == 422
    jid = create(api)["journey"]["id"]
    response = api.post(
        f"/api/journeys/{jid}/advance", json={"trigger": "engage", "state": "closed", "version": 9}
    )
    assert response.status_code == 422
    assert api.get(f"/api/journeys/{jid}").json()["version"] == 1


def test_bad_input_is_422(api: Any) -> None:
    assert (
        api.post("/api/clients", json=CLIENT | {"municipality_code": "Kittilä"}).status_code == 422
    )
    assert api.post("/api/clients", json=CLIENT | {"email": "not-an-email"}).status_code == 422


def test_openapi_documents_the_api(api: Any) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    assert {
        "/api/clients",
        "/api/journeys/{journey_id}",
        "/api/journeys/{journey_id}/triggers",
        "/api/journeys/{journey_id}/advance",
    } <= set(paths)
    assert {"409", "422"} <= set(paths["/api/journeys/{journey_id}/advance"]["post"]["responses"])


def test_referral_and_group_membership_journeys_move_only_through_their_own_routes(
    runtime: Runtime, api_as: Callable[..., Any]
) -> None:
    """The generic advance route would skip who-may-fire-what (a coach accepting their own
    referral) and the client journey's move (a membership attending beside a journey not in
    group work): 409 naming the route to use, and nothing moves."""
    from engine.models import GroupMembership, Journey, Referral
    from tests.group_kit import client_at, coach, invite, make_group
    from tests.referral_kit import (
        coach_principal,
        give_consent,
        partner_service,
        send_referral,
        young_client,
    )

    me = api_as("coach")
    leader = coach(me.user_id, me.organisation_id)
    member, client_journey = client_at(
        runtime, organisation_id=me.organisation_id, care_team=(me.user_id,)
    )
    membership_id = invite(runtime, leader, make_group(runtime, leader), member)
    referred, _ = young_client(runtime, organisation_id=me.organisation_id, care_team=(me.user_id,))
    principal = coach_principal(me.user_id, me.organisation_id)
    partner = partner_service(runtime)
    consent = give_consent(runtime, principal, referred, partner.organisation_id)
    referral_id = send_referral(runtime, principal, referred, consent_id=consent)
    with runtime.db.read() as session:
        membership = session.get(GroupMembership, membership_id)
        referral = session.get(Referral, referral_id)
        assert membership is not None
        assert referral is not None
        moves = {membership.journey_id: "start_attending", referral.journey_id: "accept"}
    for journey_id, trigger in moves.items():
        answer = me.post(f"/api/journeys/{journey_id}/advance", json={"trigger": trigger})
        assert answer.status_code == 409, answer.text
        assert answer.json()["error"] == "moved_elsewhere"
        assert "/advance" in answer.json()["message"]
    with runtime.db.read() as session:
        states = [session.get(Journey, j).state for j in (*moves, client_journey)]  # type: ignore[union-attr]
    assert states == ["invited", "requested", "goal_setting"]
    # the client journey itself still moves through the generic route
    moved = me.post(
        f"/api/journeys/{client_journey}/advance", json={"trigger": "start_individual_work"}
    )
    assert moved.status_code == 200, moved.text
