"""Polku plugin for Liminka (municipality code 425).

Created with ``polku plugins new liminka --municipality 425``: one commented example of every
hook. Keep what you need, delete the rest. Everything imported here is Polku's plugin API,
documented field by field in Polku's docs/plugins.md.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from engine import (
    EventView,
    FactDefinition,
    GuardContext,
    Instrument,
    JourneyView,
    Municipality,
    ReferralTarget,
    Rule,
    RuleContext,
    Verdict,
    age_under,
    hookimpl,
    local_service,
    municipality,
    provider,
    residents_only,
)

__version__ = "0.1.0"

log = logging.getLogger(__name__)

#: The legal source of our own rules: the act and section, or the decision they rest on.
LOCAL_DECISION = "Limingan kunnanhallitus 12.1.2026 § 8 (kuvitteellinen)"

# Who we are. The wellbeing services county and the employment area are what join us to the
# services they offer (social rehabilitation, multi-agency support, work trials), whichever
# plugin offers them: spell them exactly as that plugin does (see `polku plugins list`).
HOME = municipality(
    "425",
    "Liminka",
    "Limingo",
    wellbeing_county="Pohjois-Pohjanmaan hyvinvointialue",
    employment_area="Oulun seudun työllisyysalue",
    region="Pohjois-Pohjanmaa",
)

# A service provider: the service's own contact details, never a person's.
YOUTH_SERVICES = provider(
    "liminka.nuorisopalvelut",
    "Liminka, nuorisopalvelut",
    "municipality",
    HOME,
    email="nuorisopalvelut@liminka.example.org",
)

# A fact our own rule reads (recorded by the coach, dated).
WORKSHOP_INTERVIEW = FactDefinition(
    "liminka_workshop_interview",
    "bool",
    {
        "fi": "Pajan tutustumiskäynti tehty",
        "sv": "Introduktionsbesök i verkstaden gjort",
        "en": "Workshop introduction visit done",
    },
)


def interview_first(*, context: RuleContext) -> Verdict | None:
    """A rule of our own: the workshop starts after an introduction visit."""
    missing = context.require(WORKSHOP_INTERVIEW.key)  # "record first: ..." when unknown
    if missing:
        return missing
    if context.facts.value(WORKSHOP_INTERVIEW.key):
        return context.allow()
    return context.deny(
        fi="Paja alkaa tutustumiskäynnin jälkeen.",
        sv="Verkstaden börjar efter ett introduktionsbesök.",
        en="The workshop starts after an introduction visit.",
    )


@hookimpl
def polku_municipalities() -> list[Municipality]:
    # The municipalities this plugin serves.
    return [HOME]


# The workshop is run by an association. Muhos (494) sends its young people there too, but
# the places Liminka pays for are for Liminka's residents.
WORKSHOP = provider(
    "liminka.nuorten_paja_ry",
    "Limingan Nuorten Paja ry",
    "association",
    HOME,
    email="paja@liminka.example.org",
    phone="+358 00 000 0425",
)


@hookimpl
def polku_referral_targets() -> list[ReferralTarget]:
    # Our services. A known pathway type brings the national rules with it: outreach youth
    # work is for under-29s (Nuorisolaki 1285/2016) without a line of code here.
    return [
        local_service("outreach_youth_work", YOUTH_SERVICES, [HOME], place="Liminka"),
        local_service(
            "workshop",
            WORKSHOP,
            [HOME, "494"],  # offered to the clients of Liminka and Muhos
            place="Liminka",
            rules=[
                age_under(
                    29,
                    key="liminka_workshop_under_29",
                    legal_source="Nuorisolaki 1285/2016, 3 § (nuori: alle 29-vuotias)",
                ),
                residents_only(
                    HOME, key="liminka_workshop_residents_only", legal_source=LOCAL_DECISION
                ),
            ],
        ),
    ]


@hookimpl
def polku_referral_rules() -> list[Rule]:
    # A rule for every target of some pathway types offered to our clients (area).
    return [
        Rule(
            key="liminka_workshop_interview_first",
            legal_source=LOCAL_DECISION,
            check=interview_first,
            pathway_types=("workshop",),
            area=("425",),
            valid_from=date(2026, 1, 1),
        )
    ]


@hookimpl
def polku_fact_definitions() -> list[FactDefinition]:
    # The facts our rules read; the national ones come with Polku.
    return [WORKSHOP_INTERVIEW]


@hookimpl
def polku_check_transition(context: GuardContext) -> Verdict | None:
    # Asked on every move of every journey: deny, allow or no opinion (None). Read only.
    ours = context.client.municipality_code == "425"
    if context.trigger == "refer" and ours and context.client.birth_date is None:
        return Verdict.deny(
            "liminka_birth_date_before_referral",
            fi="Kirjaa syntymäaika ennen jatko-ohjausta.",
            sv="Registrera födelsedatum före hänvisningen.",
            en="Record the birth date before referring.",
            legal_source=LOCAL_DECISION,
        )
    return None


@hookimpl
def polku_guards() -> dict[str, Any]:
    # Named guards for pathway files of your own (`guards: [liminka_resident]`).
    def resident(*, context: GuardContext) -> bool:
        return context.client.municipality_code == "425"

    return {"liminka_resident": resident}


@hookimpl
def polku_pathway_files() -> list[Path]:
    # Pathway files of your own (YAML as in Polku's pathways/), e.g.
    # [Path(__file__).parent / "pathways" / "liminka_workshop.yaml"].
    return []


@hookimpl
def polku_assessment_instruments() -> list[Instrument]:
    # Assessment instruments, e.g.
    # [Instrument(key="liminka_arki", label={"fi": ..., "sv": ..., "en": ...},
    #             items=(InstrumentItem("asuminen", {...}, Scale(1, 5)),), source="...")].
    return []


@hookimpl
def polku_after_transition(journey: JourneyView, event: EventView) -> None:
    # After each committed move: notifications, integrations. Ids only, never client data.
    if journey.client_id and event.to_state == "referred":
        log.debug("journey %s referred", journey.id)
