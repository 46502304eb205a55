"""Polku plugin for Esimerkkilä (Exempelby), a fictional municipality with code 999.

A worked example for plugin authors: everything a municipality's plugin usually does, and
nothing else. It imports only the plugin API that ``engine`` exports.

- ``polku_municipalities``: who we are (code, names, wellbeing county, employment area);
- ``polku_referral_targets``: our local services; the national rules (installed with Polku) apply
  to them by pathway type, e.g. outreach youth work is for under-29s;
- local rules on a target: a rule of our own with its validity dates, a seasonal one;
- ``polku_referral_rules``: a rule for every social rehabilitation target offered in our area;
- ``polku_fact_definitions``: one fact our own rule reads.

Every name, address and number here is made up.
"""

from __future__ import annotations

from datetime import date

from engine import (
    FactDefinition,
    Municipality,
    ReferralTarget,
    Rule,
    RuleContext,
    ServiceProvider,
    Verdict,
    hookimpl,
)

__version__ = "0.1.0"

LOCAL_DECISION = "Esimerkkilän kunnanhallituksen päätös 12/2026 (kuvitteellinen)"

ESIMERKKILA = Municipality(
    code="999",
    name={"fi": "Esimerkkilä", "sv": "Exempelby"},
    wellbeing_county="Esimerkkimaan hyvinvointialue",
    employment_area="Esimerkkiseudun työllisyysalue",
    region="Esimerkkimaa",
)

YOUTH_SERVICES = ServiceProvider(
    key="esimerkkila.nuorisopalvelut",
    name="Esimerkkilän kunta, nuorisopalvelut",
    kind="municipality",
    municipality_code="999",
    email="nuorisopalvelut@esimerkkila.example.org",
    phone="+358 00 000 9901",
)
HOUSING_ASSOCIATION = ServiceProvider(
    key="esimerkkila.asumisen_tuki_ry",
    name="Esimerkkilän Asumisen tuki ry",
    kind="association",
    municipality_code="999",
    email="toimisto@asumisentuki.example.org",
    phone="+358 00 000 9902",
)
COUNTY = ServiceProvider(
    key="esimerkkimaa.sosiaalityo",
    name="Esimerkkimaan hyvinvointialue, aikuissosiaalityö",
    kind="wellbeing_county",
    municipality_code="999",
    email="aikuissosiaalityo@esimerkkimaa.example.org",
    phone="+358 00 000 9903",
)

#: A fact our own rule reads: has the client been to housing counselling?
HOUSING_COUNSELLING = FactDefinition(
    "esimerkkila_housing_counselling",
    "bool",
    {
        "fi": "Asumisneuvonnassa käyty",
        "sv": "Har besökt boenderådgivningen",
        "en": "Has been to housing counselling",
    },
)


def housing_counselling_first(*, context: RuleContext) -> Verdict | None:
    """Housing coaching starts after a visit to the municipality's housing counselling."""
    missing = context.require(HOUSING_COUNSELLING.key)
    if missing:
        return missing
    if context.facts.value(HOUSING_COUNSELLING.key):
        return context.allow()
    return context.deny(
        fi="Asumisvalmennus alkaa asumisneuvonnan jälkeen; asiakas ei ole vielä käynyt siellä.",
        sv="Boendecoachningen börjar efter boenderådgivningen, som klienten inte besökt ännu.",
        en="Housing coaching starts after housing counselling, which the client has not had.",
    )


def summer_only(*, context: RuleContext) -> Verdict:
    """The nature workshop runs from June to August."""
    if 6 <= context.today.month <= 8:
        return context.allow()
    return context.deny(
        fi="Luontopaja toimii vain kesä-elokuussa.",
        sv="Naturverkstaden är öppen endast juni-augusti.",
        en="The nature workshop runs only from June to August.",
    )


def adults_only(*, context: RuleContext) -> Verdict | None:
    """In Esimerkkimaa, social rehabilitation groups are for adults; under-18s go to youth
    services."""
    age = context.age
    if age is None:
        return context.require("birth_date")
    if age >= 18:
        return context.allow()
    return context.deny(
        fi="Esimerkkimaassa sosiaalisen kuntoutuksen ryhmät ovat täysi-ikäisille.",
        sv="I Exempelland är grupperna för social rehabilitering för vuxna.",
        en="In Esimerkkimaa, social rehabilitation groups are for adults.",
    )


TARGETS = [
    ReferralTarget(
        key="esimerkkila.outreach_youth_work",
        pathway_type="outreach_youth_work",
        label={
            "fi": "Etsivä nuorisotyö, Esimerkkilä",
            "sv": "Uppsökande ungdomsarbete, Exempelby",
            "en": "Outreach youth work, Esimerkkilä",
        },
        provider=YOUTH_SERVICES,
        area=("999",),
    ),
    ReferralTarget(
        key="esimerkkila.housing_coaching",
        pathway_type="other_activity",
        label={
            "fi": "Asumisvalmennus",
            "sv": "Boendecoachning",
            "en": "Housing coaching",
        },
        provider=HOUSING_ASSOCIATION,
        area=("999",),
        rules=(
            Rule(
                key="esimerkkila_housing_counselling_first",
                legal_source=LOCAL_DECISION,
                check=housing_counselling_first,
                valid_from=date(2026, 1, 1),
            ),
        ),
    ),
    ReferralTarget(
        key="esimerkkila.nature_workshop",
        pathway_type="workshop",
        label={"fi": "Luontopaja", "sv": "Naturverkstad", "en": "Nature workshop"},
        provider=YOUTH_SERVICES,
        area=("999",),
        rules=(
            Rule(key="esimerkkila_summer_only", legal_source=LOCAL_DECISION, check=summer_only),
        ),
    ),
    ReferralTarget(
        key="esimerkkimaa.social_rehabilitation",
        pathway_type="social_rehabilitation",
        label={
            "fi": "Sosiaalinen kuntoutus, Esimerkkimaa",
            "sv": "Social rehabilitering, Exempelland",
            "en": "Social rehabilitation, Esimerkkimaa",
        },
        provider=COUNTY,
        area=("999",),
    ),
]


@hookimpl
def polku_municipalities() -> list[Municipality]:
    return [ESIMERKKILA]


@hookimpl
def polku_fact_definitions() -> list[FactDefinition]:
    return [HOUSING_COUNSELLING]


@hookimpl
def polku_referral_targets() -> list[ReferralTarget]:
    return TARGETS


@hookimpl
def polku_referral_rules() -> list[Rule]:
    return [
        Rule(
            key="esimerkkimaa_social_rehabilitation_adults",
            legal_source="Esimerkkimaan aluehallituksen päätös 3/2026 (kuvitteellinen)",
            check=adults_only,
            pathway_types=("social_rehabilitation",),
            area=("999",),
            valid_from=date(2026, 1, 1),
        )
    ]
