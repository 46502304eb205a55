"""A well-formed plugin with a resident-only rule that can never deny (its target is offered
only to its own municipality) and a transition check, for tests/test_plugin_kit.py."""

from __future__ import annotations

from engine import (
    GuardContext,
    Municipality,
    ReferralTarget,
    Verdict,
    hookimpl,
    local_service,
    municipality,
    provider,
    residents_only,
)

DECISION = "Testikunnan päätös 1/2026 (kuvitteellinen)"
CARELESS = municipality(
    "997",
    "Huolimaton",
    wellbeing_county="Lapin hyvinvointialue",
    employment_area="Tunturi-Lapin työllisyysalue",
)


@hookimpl
def polku_municipalities() -> list[Municipality]:
    return [CARELESS]


@hookimpl
def polku_referral_targets() -> list[ReferralTarget]:
    by = provider("careless", "Huolimattoman kunta", "municipality", CARELESS)
    only = residents_only(CARELESS, key="careless_only", legal_source=DECISION)
    return [local_service("workshop", by, [CARELESS], place="Huolimaton", rules=[only])]


@hookimpl
def polku_check_transition(context: GuardContext) -> Verdict | None:
    if context.trigger == "refer" and context.client.municipality_code == "997":
        return Verdict.deny(
            "careless_no_referrals",
            fi="Huolimaton ei ohjaa joulukuussa.",
            sv="Huolimaton hänvisar inte i december.",
            en="Careless does not refer in December.",
            legal_source=DECISION,
        )
    return None
