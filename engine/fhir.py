"""The referral as an HL7 FHIR R4 Task (the Gravity SDOH referral pattern), with its
ServiceRequest contained (``focus`` -> ``#request``). docs/referrals.md has the mapping table.

Only ids, codes and dates: the Task names the client as ``Patient/<id>`` and never carries the
packet, so the export discloses nothing beyond what the referral's own parties already hold.
"""

from __future__ import annotations

from typing import Any

from engine.clock import as_utc
from engine.models import JourneyEvent
from engine.referrals import ReferralState

#: Polku state -> FHIR Task.status (R4 TaskStatus codes).
TASK_STATUS: dict[str, str] = {
    "requested": "requested",
    "accepted": "accepted",
    "rejected": "rejected",
    "cancelled": "cancelled",
    "in_progress": "in-progress",
    "on_hold": "on-hold",
    "completed": "completed",
    "failed": "failed",
}
#: Polku state -> the contained ServiceRequest.status (R4 RequestStatus codes).
REQUEST_STATUS: dict[str, str] = {
    "requested": "active",
    "accepted": "active",
    "in_progress": "active",
    "on_hold": "on-hold",
    "completed": "completed",
    "rejected": "revoked",
    "cancelled": "revoked",
    "failed": "revoked",
}
SYSTEM = "urn:polku"


def _instant(value: Any) -> str:
    return str(as_utc(value).isoformat().replace("+00:00", "Z"))


def referral_task(found: ReferralState, events: list[JourneyEvent]) -> dict[str, Any]:
    referral, journey = found.referral, found.journey
    state = journey.state
    last = events[-1] if events else None
    patient = {"reference": f"Patient/{referral.client_id}"}
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral.id),
        "identifier": [{"system": f"{SYSTEM}:referral", "value": str(referral.id)}],
        "status": TASK_STATUS[state],
        "businessStatus": {"coding": [{"system": f"{SYSTEM}:referral-state", "code": state}]},
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                }
            ]
        },
        "focus": {"reference": "#request"},
        "for": patient,
        "authoredOn": _instant(referral.created_at),
        "lastModified": _instant(journey.updated_at),
        "requester": {"reference": f"Organization/{referral.from_organisation_id}"}
        if referral.from_organisation_id is not None
        else {"reference": f"Practitioner/{referral.created_by}"},
        "owner": {"reference": f"Organization/{referral.to_organisation_id}"},
        "restriction": {"period": {"end": _instant(referral.due_at)}},
        "contained": [
            {
                "resourceType": "ServiceRequest",
                "id": "request",
                "status": REQUEST_STATUS[state],
                "intent": "order",
                "code": {
                    "coding": [{"system": f"{SYSTEM}:service-type", "code": referral.service_type}],
                    "text": referral.target_key,
                },
                "subject": patient,
                "authoredOn": _instant(referral.created_at),
                "performer": [{"reference": f"Organization/{referral.to_organisation_id}"}],
            }
        ],
    }
    if last is not None and last.reason:
        task["statusReason"] = {"text": last.reason}
    if last is not None and last.outcome:
        task["output"] = [
            {
                "type": {"text": "outcome"},
                "valueCodeableConcept": {
                    "coding": [{"system": f"{SYSTEM}:referral-outcome", "code": last.outcome}]
                },
            }
        ]
    return task
