"""National referral rules (valtakunnalliset säännöt) and the client facts they read.

Each rule names its legal source and the dates it is in force, and tells the coach in Finnish,
Swedish and English why it blocks. The conditions follow ../shared/DOMAIN.md, a sketch of the
law, simplified where noted; ``docs/plugins.md`` lists what was not verified section by section.

- Rehabilitative work activity (kuntouttava työtoiminta, laki 189/2001): long-term unemployed
  (here: continuously unemployed for at least 12 months) on labour-market subsidy or social
  assistance, with an activation plan or a multi-agency employment plan (laki 381/2023); the
  organiser may not be a company. 3-24 months, 1-4 days a week (agreed in the plan).
- Work trial (työkokeilu, laki 380/2023 from 1.1.2025): agreed in the employment plan first; at
  most 12 months in total and 6 months with one organiser.
- Social rehabilitation (sosiaalinen kuntoutus, sosiaalihuoltolaki 1301/2014 17 §): after a
  service-needs assessment (36 §).
- Outreach youth work (etsivä nuorisotyö, nuorisolaki 1285/2016): under 29.
- Ohjaamo one-stop guidance: under 30 (an operating model, no act of its own).
- Multi-agency employment support (työllistymistä edistävä monialainen yhteispalvelu): since
  1.1.2025 (laki 381/2023) the unemployed with obstacles in work ability or life management;
  until 31.12.2024 (laki 1369/2014) also a minimum length of unemployment.
"""

from __future__ import annotations

from datetime import date

from engine import (
    FactDefinition,
    Rule,
    RuleContext,
    StatutoryBasis,
    Verdict,
    age_under,
    hookimpl,
)

REHABILITATIVE_WORK = ("rehabilitative_work_activity",)
WORK_TRIAL = ("work_trial",)
MULTI_AGENCY = ("multi_agency_employment_support",)

LAW_189_2001 = "Laki kuntouttavasta työtoiminnasta 189/2001"
LAW_381_2023 = "Laki työllistymistä edistävästä monialaisesta yhteispalvelusta 381/2023"
LAW_1369_2014 = (
    "Laki työllistymistä edistävästä monialaisesta yhteispalvelusta 1369/2014 (kumottu 1.1.2025)"
)
LAW_380_2023 = "Laki työvoimapalvelujen järjestämisestä 380/2023 (työkokeilu)"
SOCIAL_WELFARE_ACT = "Sosiaalihuoltolaki 1301/2014, 17 § ja 36 §"
YOUTH_ACT = "Nuorisolaki 1285/2016, 3 § ja 11 §"
OHJAAMO = "Ohjaamo-toimintamalli: alle 30-vuotiaat (ei erillistä lakia)"

#: In force from (the acts' entry into force).
FROM_189_2001 = date(2001, 9, 1)
FROM_2025_REFORM = date(2025, 1, 1)
UNTIL_2025_REFORM = date(2024, 12, 31)
FROM_1369_2014 = date(2015, 1, 1)

LONG_TERM_MONTHS = 12
WORK_TRIAL_MONTHS_TOTAL = 12
WORK_TRIAL_MONTHS_PER_ORGANISER = 6


def _texts(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


FACTS = [
    FactDefinition(
        "employment_status",
        "choice",
        _texts("Työmarkkina-asema", "Ställning på arbetsmarknaden", "Labour-market status"),
        choices={
            "unemployed": _texts("Työtön", "Arbetslös", "Unemployed"),
            "employed": _texts("Työssä", "I arbete", "Employed"),
            "student": _texts("Opiskelija", "Studerande", "Student"),
            "outside_labour_force": _texts(
                "Työvoiman ulkopuolella", "Utanför arbetskraften", "Outside the labour force"
            ),
        },
    ),
    FactDefinition(
        "unemployed_since",
        "date",
        _texts(
            "Työttömänä yhtäjaksoisesti alkaen",
            "Oavbrutet arbetslös sedan",
            "Continuously unemployed since",
        ),
    ),
    FactDefinition(
        "benefit",
        "choice",
        _texts("Pääasiallinen etuus", "Huvudsaklig förmån", "Main benefit"),
        choices={
            "labour_market_subsidy": _texts(
                "Työmarkkinatuki", "Arbetsmarknadsstöd", "Labour market subsidy"
            ),
            "basic_unemployment_allowance": _texts(
                "Peruspäiväraha", "Grunddagpenning", "Basic unemployment allowance"
            ),
            "earnings_related_allowance": _texts(
                "Ansiosidonnainen päiväraha",
                "Inkomstrelaterad dagpenning",
                "Earnings-related unemployment allowance",
            ),
            "social_assistance": _texts("Toimeentulotuki", "Utkomststöd", "Social assistance"),
            "sickness_or_rehabilitation": _texts(
                "Sairaus- tai kuntoutusetuus",
                "Sjuk- eller rehabiliteringsförmån",
                "Sickness or rehabilitation benefit",
            ),
            "none": _texts("Ei etuutta", "Ingen förmån", "No benefit"),
        },
    ),
    FactDefinition(
        "activation_plan",
        "bool",
        _texts("Aktivointisuunnitelma tehty", "Aktiveringsplan gjord", "Activation plan made"),
    ),
    FactDefinition(
        "multi_agency_employment_plan",
        "bool",
        _texts(
            "Monialainen työllistymissuunnitelma tehty",
            "Sektorsövergripande sysselsättningsplan gjord",
            "Multi-agency employment plan made",
        ),
    ),
    FactDefinition(
        "work_trial_in_plan",
        "bool",
        _texts(
            "Työkokeilusta sovittu työllistymissuunnitelmassa",
            "Arbetsprövning överenskommen i sysselsättningsplanen",
            "Work trial agreed in the employment plan",
        ),
    ),
    FactDefinition(
        "work_trial_months",
        "int",
        _texts(
            "Työkokeilua takana yhteensä (kk)",
            "Arbetsprövning hittills sammanlagt (mån)",
            "Months of work trial so far",
        ),
    ),
    FactDefinition(
        "work_trial_organiser",
        "text",
        _texts(
            "Viimeisimmän työkokeilun järjestäjä (palveluntuottajan tunnus)",
            "Senaste arbetsprövningens anordnare (tjänsteproducentens kod)",
            "Organiser of the latest work trial (provider key)",
        ),
    ),
    FactDefinition(
        "work_trial_organiser_months",
        "int",
        _texts(
            "Työkokeilua tällä järjestäjällä (kk)",
            "Arbetsprövning hos denna anordnare (mån)",
            "Months of work trial with that organiser",
        ),
    ),
    FactDefinition(
        "service_needs_assessment",
        "bool",
        _texts(
            "Palvelutarpeen arviointi tehty",
            "Bedömning av servicebehovet gjord",
            "Service-needs assessment done",
        ),
    ),
    FactDefinition(
        "work_ability_obstacles",
        "bool",
        _texts(
            "Työ- tai toimintakyvyn tai elämänhallinnan esteitä",
            "Hinder i arbets- eller funktionsförmågan eller livskompetensen",
            "Obstacles in work ability or life management",
        ),
    ),
]


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (0 when ``end`` is before ``start``)."""
    months = (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)
    return max(months, 0)


def _months_unemployed(context: RuleContext) -> int:
    return months_between(context.facts.value("unemployed_since"), context.today)


# --- rehabilitative work activity ---------------------------------------------------------


def _long_term_unemployed(*, context: RuleContext) -> Verdict | None:
    missing = context.require("unemployed_since")
    if missing:
        return missing
    months = _months_unemployed(context)
    if months >= LONG_TERM_MONTHS:
        return context.allow()
    return context.deny(
        fi=f"Asiakas on ollut työttömänä {months} kk; kuntouttava työtoiminta on pitkään "
        f"työttömänä olleille (vähintään {LONG_TERM_MONTHS} kk).",
        sv=f"Klienten har varit arbetslös i {months} mån; arbetsverksamhet i "
        f"rehabiliteringssyfte är för långtidsarbetslösa (minst {LONG_TERM_MONTHS} mån).",
        en=f"The client has been unemployed for {months} months; rehabilitative work activity "
        f"is for the long-term unemployed (at least {LONG_TERM_MONTHS} months).",
    )


def _subsidy_or_social_assistance(*, context: RuleContext) -> Verdict | None:
    missing = context.require("benefit")
    if missing:
        return missing
    if context.facts.value("benefit") in {"labour_market_subsidy", "social_assistance"}:
        return context.allow()
    return context.deny(
        fi="Kuntouttavaan työtoimintaan ohjataan työmarkkinatuen tai toimeentulotuen saajia.",
        sv="Till arbetsverksamhet i rehabiliteringssyfte hänvisas mottagare av "
        "arbetsmarknadsstöd eller utkomststöd.",
        en="Rehabilitative work activity is for people on labour market subsidy or social "
        "assistance.",
    )


def _activation_or_multi_agency_plan(*, context: RuleContext) -> Verdict | None:
    plans = ("activation_plan", "multi_agency_employment_plan")
    if any(context.facts.value(p) is True for p in plans):
        return context.allow()
    unknown = [p for p in plans if p not in context.facts]
    if unknown:
        return context.require(*unknown)
    return context.deny(
        fi="Aktivointisuunnitelma tai monialainen työllistymissuunnitelma puuttuu; siitä "
        "sovitaan ennen kuntouttavaa työtoimintaa.",
        sv="Aktiveringsplan eller sektorsövergripande sysselsättningsplan saknas; den görs "
        "före arbetsverksamhet i rehabiliteringssyfte.",
        en="There is no activation plan or multi-agency employment plan; one is agreed "
        "before rehabilitative work activity.",
    )


def _organiser_not_company(*, context: RuleContext) -> Verdict | None:
    provider = context.target.provider
    if provider is None or provider.kind != "company":
        return None
    return context.deny(
        fi="Kuntouttavaa työtoimintaa järjestävät kunnat, yhdistykset ja säätiöt, eivät yritykset.",
        sv="Arbetsverksamhet i rehabiliteringssyfte ordnas av kommuner, föreningar och "
        "stiftelser, inte av företag.",
        en="Rehabilitative work activity is organised by municipalities, associations and "
        "foundations, not by companies.",
    )


# --- work trial -----------------------------------------------------------------------------


def _work_trial_in_plan(*, context: RuleContext) -> Verdict | None:
    missing = context.require("work_trial_in_plan")
    if missing:
        return missing
    if context.facts.value("work_trial_in_plan"):
        return context.allow()
    return context.deny(
        fi="Työkokeilusta sovitaan ensin työllistymissuunnitelmassa.",
        sv="Arbetsprövning avtalas först i sysselsättningsplanen.",
        en="A work trial is first agreed in the employment plan.",
    )


def _work_trial_total(*, context: RuleContext) -> Verdict | None:
    used = context.facts.value("work_trial_months", 0)
    if used < WORK_TRIAL_MONTHS_TOTAL:
        return context.allow()
    return context.deny(
        fi=f"Työkokeilua on takana {used} kk; enimmäisaika on {WORK_TRIAL_MONTHS_TOTAL} kk.",
        sv=f"Arbetsprövning hittills {used} mån; den längsta tiden är "
        f"{WORK_TRIAL_MONTHS_TOTAL} mån.",
        en=f"The client has had {used} months of work trial; the maximum is "
        f"{WORK_TRIAL_MONTHS_TOTAL} months.",
    )


def _work_trial_per_organiser(*, context: RuleContext) -> Verdict | None:
    provider = context.target.provider
    if provider is None or context.facts.value("work_trial_organiser") != provider.key:
        return None
    used = context.facts.value("work_trial_organiser_months", 0)
    if used < WORK_TRIAL_MONTHS_PER_ORGANISER:
        return context.allow()
    return context.deny(
        fi=f"Työkokeilua samalla järjestäjällä on takana {used} kk; enimmäisaika yhdellä "
        f"järjestäjällä on {WORK_TRIAL_MONTHS_PER_ORGANISER} kk.",
        sv=f"Arbetsprövning hos samma anordnare hittills {used} mån; den längsta tiden hos en "
        f"anordnare är {WORK_TRIAL_MONTHS_PER_ORGANISER} mån.",
        en=f"The client has had {used} months of work trial with this organiser; the maximum "
        f"with one organiser is {WORK_TRIAL_MONTHS_PER_ORGANISER} months.",
    )


# --- social rehabilitation --------------------------------------------------------------------


def _service_needs_assessed(*, context: RuleContext) -> Verdict | None:
    missing = context.require("service_needs_assessment")
    if missing:
        return missing
    if context.facts.value("service_needs_assessment"):
        return context.allow()
    return context.deny(
        fi="Sosiaalinen kuntoutus järjestetään palvelutarpeen arvioinnin perusteella; "
        "arviointia ei ole tehty.",
        sv="Social rehabilitering ordnas utifrån en bedömning av servicebehovet; "
        "bedömningen har inte gjorts.",
        en="Social rehabilitation follows a service-needs assessment, which has not been done.",
    )


# --- multi-agency employment support ------------------------------------------------------------


def _unemployed_with_obstacles(*, context: RuleContext) -> Verdict | None:
    missing = context.require("employment_status", "work_ability_obstacles")
    if missing:
        return missing
    if context.facts.value("employment_status") != "unemployed":
        return context.deny(
            fi="Monialainen yhteispalvelu on työttömille; asiakasta ei ole kirjattu työttömäksi.",
            sv="Sektorsövergripande samservice är för arbetslösa; klienten är inte "
            "registrerad som arbetslös.",
            en="Multi-agency employment support is for the unemployed; the client is not "
            "recorded as unemployed.",
        )
    if not context.facts.value("work_ability_obstacles"):
        return context.deny(
            fi="Monialainen yhteispalvelu on työttömille, joiden työllistymistä vaikeuttavat "
            "työ- tai toimintakyvyn tai elämänhallinnan esteet; niitä ei ole kirjattu.",
            sv="Sektorsövergripande samservice är för arbetslösa med hinder i arbets- eller "
            "funktionsförmågan eller livskompetensen; sådana har inte registrerats.",
            en="Multi-agency employment support is for the unemployed with obstacles in work "
            "ability or life management; none are recorded.",
        )
    return context.allow()


def _long_enough_unemployed_1369_2014(*, context: RuleContext) -> Verdict | None:
    """Laki 1369/2014: at least 12 months continuously unemployed, 6 months under 25
    (simplified: the act's 300 days of labour market subsidy route is not modelled)."""
    missing = context.require("unemployed_since", "birth_date")
    if missing:
        return missing
    age = context.age
    needed = 6 if age is not None and age < 25 else 12
    months = _months_unemployed(context)
    if months >= needed:
        return context.allow()
    return context.deny(
        fi=f"Asiakas on ollut työttömänä {months} kk; vaatimus oli {needed} kk.",
        sv=f"Klienten har varit arbetslös i {months} mån; kravet var {needed} mån.",
        en=f"The client has been unemployed for {months} months; {needed} months were needed.",
    )


RULES = [
    Rule(
        key="rehabilitative_work_long_term_unemployed",
        legal_source=LAW_189_2001,
        check=_long_term_unemployed,
        title=_texts("Pitkäaikaistyötön", "Långtidsarbetslös", "Long-term unemployed"),
        pathway_types=REHABILITATIVE_WORK,
        valid_from=FROM_189_2001,
    ),
    Rule(
        key="rehabilitative_work_benefit",
        legal_source=LAW_189_2001,
        check=_subsidy_or_social_assistance,
        title=_texts(
            "Työmarkkinatuki tai toimeentulotuki",
            "Arbetsmarknadsstöd eller utkomststöd",
            "Labour market subsidy or social assistance",
        ),
        pathway_types=REHABILITATIVE_WORK,
        valid_from=FROM_189_2001,
    ),
    Rule(
        key="rehabilitative_work_plan",
        legal_source=f"{LAW_189_2001}; {LAW_381_2023}",
        check=_activation_or_multi_agency_plan,
        title=_texts(
            "Aktivointi- tai monialainen suunnitelma",
            "Aktiverings- eller sektorsövergripande plan",
            "Activation or multi-agency plan",
        ),
        pathway_types=REHABILITATIVE_WORK,
        valid_from=FROM_189_2001,
    ),
    Rule(
        key="rehabilitative_work_organiser",
        legal_source=LAW_189_2001,
        check=_organiser_not_company,
        title=_texts("Järjestäjä ei yritys", "Anordnaren inte ett företag", "Not a company"),
        pathway_types=REHABILITATIVE_WORK,
        valid_from=FROM_189_2001,
    ),
    Rule(
        key="work_trial_in_employment_plan",
        legal_source=LAW_380_2023,
        check=_work_trial_in_plan,
        title=_texts("Sovittu suunnitelmassa", "Avtalad i planen", "Agreed in the plan"),
        pathway_types=WORK_TRIAL,
        valid_from=FROM_2025_REFORM,
    ),
    Rule(
        key="work_trial_12_months_total",
        legal_source=LAW_380_2023,
        check=_work_trial_total,
        title=_texts("Enintään 12 kk", "Högst 12 mån", "At most 12 months"),
        pathway_types=WORK_TRIAL,
        valid_from=FROM_2025_REFORM,
    ),
    Rule(
        key="work_trial_6_months_per_organiser",
        legal_source=LAW_380_2023,
        check=_work_trial_per_organiser,
        title=_texts(
            "Enintään 6 kk samalla järjestäjällä",
            "Högst 6 mån hos samma anordnare",
            "At most 6 months with one organiser",
        ),
        pathway_types=WORK_TRIAL,
        valid_from=FROM_2025_REFORM,
    ),
    Rule(
        key="social_rehabilitation_service_needs_assessment",
        legal_source=SOCIAL_WELFARE_ACT,
        check=_service_needs_assessed,
        title=_texts(
            "Palvelutarpeen arviointi", "Bedömning av servicebehovet", "Service-needs assessment"
        ),
        pathway_types=("social_rehabilitation",),
        valid_from=date(2015, 4, 1),
    ),
    age_under(
        29,
        key="outreach_youth_work_under_29",
        legal_source=YOUTH_ACT,
        pathway_types=("outreach_youth_work",),
        valid_from=date(2017, 1, 1),
    ),
    age_under(30, key="ohjaamo_under_30", legal_source=OHJAAMO, pathway_types=("ohjaamo",)),
    Rule(
        key="multi_agency_target_group",
        legal_source=LAW_381_2023,
        check=_unemployed_with_obstacles,
        title=_texts(
            "Työtön, jolla työllistymisen esteitä",
            "Arbetslös med hinder för sysselsättning",
            "Unemployed with obstacles to employment",
        ),
        pathway_types=MULTI_AGENCY,
        valid_from=FROM_2025_REFORM,
    ),
    Rule(
        key="multi_agency_target_group_1369_2014",
        legal_source=LAW_1369_2014,
        check=_unemployed_with_obstacles,
        title=_texts(
            "Työtön, jolla työllistymisen esteitä",
            "Arbetslös med hinder för sysselsättning",
            "Unemployed with obstacles to employment",
        ),
        pathway_types=MULTI_AGENCY,
        valid_from=FROM_1369_2014,
        valid_to=UNTIL_2025_REFORM,
    ),
    Rule(
        key="multi_agency_unemployment_length_1369_2014",
        legal_source=LAW_1369_2014,
        check=_long_enough_unemployed_1369_2014,
        title=_texts("Työttömyyden kesto", "Arbetslöshetens längd", "Length of unemployment"),
        pathway_types=MULTI_AGENCY,
        valid_from=FROM_1369_2014,
        valid_to=UNTIL_2025_REFORM,
    ),
]


@hookimpl
def polku_fact_definitions() -> list[FactDefinition]:
    return FACTS


@hookimpl
def polku_referral_rules() -> list[Rule]:
    return RULES


#: Statutory bases for disclosing a referral packet without the client's consent (the coach
#: chooses from these; free text goes only in the handoff note).
STATUTORY_BASES = [
    StatutoryBasis(
        "1301/2014:35§",
        "Sosiaalihuoltolaki 1301/2014 35 §",
        {
            "fi": "Tuen tarpeessa olevan henkilön ohjaaminen",
            "sv": "Hänvisning av en person i behov av stöd",
            "en": "Referring a person in need of support",
        },
        valid_from=date(2015, 4, 1),
    ),
    StatutoryBasis(
        "1301/2014:41§",
        "Sosiaalihuoltolaki 1301/2014 41 §",
        {
            "fi": "Monialainen yhteistyö",
            "sv": "Sektorsövergripande samarbete",
            "en": "Multi-agency cooperation",
        },
        valid_from=date(2015, 4, 1),
    ),
]


@hookimpl
def polku_statutory_bases() -> list[StatutoryBasis]:
    return list(STATUTORY_BASES)
