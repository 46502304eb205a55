"""Referral rules as data: the plugin-facing record types for who may be referred where.

- :class:`Municipality` (kunta): official code (kuntanumero), names, wellbeing services county
  (hyvinvointialue) and employment area (työllisyysalue).
- :class:`ServiceProvider` (palveluntuottaja, kumppani): who organises a service, with contacts.
- :class:`ReferralTarget` (jatkopolku, palvelu): a follow-on pathway or service a coach may refer
  a client to, of one pathway type, offered to clients of some municipalities, with local rules.
- :class:`Rule` (sääntö): one eligibility condition with its legal source and validity dates;
  national rules govern every target of their pathway types, local rules ride on a target.
- :class:`Eligibility` and :class:`ReferralOption`: what the rules add up to for one client.

Shared rule builders (:func:`age_under`, :func:`residents_only`, :func:`waiting_list`) live here
so that national, regional and third-party plugins express the same condition with one piece of
code. Evaluation is in :mod:`engine.referral_options`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

from engine.guards import Verdict, age_on

if TYPE_CHECKING:
    from engine.facts import Facts
    from engine.models import Client
    from engine.views import ClientView

#: Labels in the UI languages: ``{"fi": ..., "sv": ..., "en": ...}``.
Texts = Mapping[str, str]

IDENT = re.compile(r"^[a-z][a-z0-9_.]*$")

#: Known follow-on pathway types (jatkopolut, DOMAIN.md); a plugin may use others.
PATHWAY_TYPES: dict[str, Texts] = {
    "rehabilitative_work_activity": {
        "fi": "Kuntouttava työtoiminta",
        "sv": "Arbetsverksamhet i rehabiliteringssyfte",
        "en": "Rehabilitative work activity",
    },
    "work_trial": {"fi": "Työkokeilu", "sv": "Arbetsprövning", "en": "Work trial"},
    "social_rehabilitation": {
        "fi": "Sosiaalinen kuntoutus",
        "sv": "Social rehabilitering",
        "en": "Social rehabilitation",
    },
    "outreach_youth_work": {
        "fi": "Etsivä nuorisotyö",
        "sv": "Uppsökande ungdomsarbete",
        "en": "Outreach youth work",
    },
    "ohjaamo": {"fi": "Ohjaamo", "sv": "Navigatorn", "en": "Ohjaamo one-stop guidance"},
    "multi_agency_employment_support": {
        "fi": "Monialainen työllistymistä edistävä palvelu",
        "sv": "Sektorsövergripande service som främjar sysselsättning",
        "en": "Multi-agency employment support",
    },
    "workshop": {"fi": "Työpaja", "sv": "Verkstad", "en": "Workshop"},
    "vocational_studies": {
        "fi": "Ammatilliset opinnot",
        "sv": "Yrkesinriktade studier",
        "en": "Vocational studies",
    },
    "vocational_rehabilitation": {
        "fi": "Ammatillinen kuntoutus",
        "sv": "Yrkesinriktad rehabilitering",
        "en": "Vocational rehabilitation",
    },
    "substance_rehabilitation": {
        "fi": "Päihdekuntoutus",
        "sv": "Missbrukarrehabilitering",
        "en": "Substance abuse rehabilitation",
    },
    "pay_subsidy": {
        "fi": "Palkkatuettu työ",
        "sv": "Arbete med lönesubvention",
        "en": "Pay-subsidised work",
    },
    "other_activity": {
        "fi": "Muu mielekäs toiminta",
        "sv": "Annan meningsfull verksamhet",
        "en": "Other meaningful activity",
    },
}

#: Kinds of organiser (järjestäjä): some rules depend on it (e.g. no companies for
#: rehabilitative work activity).
ORGANISER_KINDS = frozenset(
    {
        "municipality",  # kunta
        "joint_municipal_authority",  # kuntayhtymä, seutukunta
        "wellbeing_county",  # hyvinvointialue
        "association",  # yhdistys
        "foundation",  # säätiö
        "parish",  # seurakunta
        "educational_institution",  # oppilaitos
        "state",  # valtio, Kela
        "company",  # yritys
    }
)


def text_in(texts: Texts, language: str = "fi") -> str:
    """A label in ``language``, falling back to Finnish, then English."""
    return texts.get(language) or texts.get("fi") or texts.get("en") or ""


def require_texts(what: str, texts: Texts, languages: tuple[str, ...] = ("fi", "sv", "en")) -> None:
    missing = [lang for lang in languages if not texts.get(lang)]
    if missing:
        raise ValueError(f"{what}: missing text in {', '.join(missing)}")


@dataclass(frozen=True, slots=True)
class Municipality:
    """A municipality (kunta) and where it belongs since the 2023 and 2025 reforms."""

    #: Official municipality code (kuntanumero), three digits, e.g. "261" for Kittilä.
    code: str
    #: ``{"fi": ..., "sv": ...}``; Swedish is the Finnish name where there is no Swedish one.
    name: Texts
    #: Wellbeing services county (hyvinvointialue) that organises social and health services.
    wellbeing_county: str
    #: Employment area (työllisyysalue) that organises employment services since 1.1.2025.
    employment_area: str
    #: Region (maakunta).
    region: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"\d{3}", self.code):
            raise ValueError(f"municipality code {self.code!r} is not three digits")
        require_texts(f"municipality {self.code}", self.name, ("fi", "sv"))

    def label(self, language: str = "fi") -> str:
        return text_in(self.name, language)


@dataclass(frozen=True, slots=True)
class ServiceProvider:
    """Who organises a service (palveluntuottaja). Contact details are the service's own
    (never a person's private ones)."""

    key: str
    name: str
    kind: str
    #: Where the provider is (kuntanumero).
    municipality_code: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if not IDENT.match(self.key):
            raise ValueError(f"provider key {self.key!r} is not a lower-case identifier")
        if self.kind not in ORGANISER_KINDS:
            raise ValueError(f"provider {self.key}: unknown kind {self.kind!r}")


class RuleCheck(Protocol):
    def __call__(self, *, context: RuleContext) -> Verdict | None: ...


@dataclass(frozen=True, slots=True)
class Rule:
    """One eligibility condition, with its legal source and the dates it is in force.

    ``check(context=RuleContext)`` returns ``context.allow()``, ``context.deny(fi=, sv=, en=)``,
    ``context.require("fact_key", ...)`` when facts are missing, or ``None`` for no opinion.
    Outside ``valid_from``..``valid_to`` (both inclusive, ``None`` = open) the rule is not
    asked at all. A rule from ``polku_referral_rules`` governs every target whose pathway type
    is in ``pathway_types`` (empty: every target) offered to clients of ``area`` (empty: all
    municipalities); a rule in a target's ``rules`` governs only that target.
    """

    key: str
    legal_source: str
    check: RuleCheck
    title: Texts = field(default_factory=dict)
    pathway_types: tuple[str, ...] = ()
    area: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_to: date | None = None
    #: Set by :func:`residents_only`: the codes whose residents it allows (it denies everyone
    #: else). Lets Polku warn at start-up when the rule sits on a target that is only offered
    #: there anyway, so it can never deny.
    residents_of: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not IDENT.match(self.key):
            raise ValueError(f"rule key {self.key!r} is not a lower-case identifier")
        if not self.legal_source:
            raise ValueError(f"rule {self.key}: a legal source is required")
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"rule {self.key}: valid_to is before valid_from")

    def in_force(self, today: date) -> bool:
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_to is None or today <= self.valid_to
        )

    def governs(self, target: ReferralTarget, client: Client | ClientView, today: date) -> bool:
        return (
            self.in_force(today)
            and (not self.pathway_types or target.pathway_type in self.pathway_types)
            and (not self.area or client.municipality_code in self.area)
        )


@dataclass(frozen=True, slots=True)
class ReferralTarget:
    """A follow-on pathway or service (jatkopolku) a client may be referred to."""

    #: Unique among all plugins' targets, e.g. "kittila.etsiva_nuorisotyo".
    key: str
    #: One of :data:`PATHWAY_TYPES` (or a plugin's own identifier).
    pathway_type: str
    label: Texts
    provider: ServiceProvider | None = None
    #: Municipality codes whose clients are offered this target. With ``wellbeing_counties``
    #: and ``employment_areas`` empty too: every client.
    area: tuple[str, ...] = ()
    #: Local rules of this target (resident-only, waiting list...).
    rules: tuple[Rule, ...] = ()
    description: Texts = field(default_factory=dict)
    #: Wellbeing services counties (hyvinvointialue, as in :attr:`Municipality.wellbeing_county`)
    #: whose municipalities' clients are offered this target: a municipality joins by declaring
    #: its county, with no change to the plugin that offers the service.
    wellbeing_counties: tuple[str, ...] = ()
    #: Employment areas (työllisyysalue, as in :attr:`Municipality.employment_area`), likewise.
    employment_areas: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not IDENT.match(self.key) or not IDENT.match(self.pathway_type):
            raise ValueError(f"target {self.key!r}: key and pathway type must be identifiers")
        require_texts(f"target {self.key}", self.label)

    @property
    def everywhere(self) -> bool:
        """Offered to every client (no area, county or employment area named)."""
        return not (self.area or self.wellbeing_counties or self.employment_areas)

    def offered_in(self, municipality: str, known: Mapping[str, Municipality]) -> bool:
        """Whether clients of ``municipality`` (a code) are offered this target; ``known`` are
        the municipalities the plugins describe (their county and employment area count)."""
        if self.everywhere or municipality in self.area:
            return True
        place = known.get(municipality)
        return place is not None and (
            place.wellbeing_county in self.wellbeing_counties
            or place.employment_area in self.employment_areas
        )

    def offered_to(
        self, client: Client | ClientView, known: Mapping[str, Municipality] | None = None
    ) -> bool:
        return self.offered_in(client.municipality_code, known or {})

    def reach(self, known: Mapping[str, Municipality]) -> set[str]:
        """The codes of the ``known`` municipalities whose clients are offered this target
        (for an ``everywhere`` target: all of them)."""
        return {code for code in known if self.offered_in(code, known)} | (
            set() if self.everywhere else set(self.area)
        )

    def pathway_label(self) -> Texts:
        return PATHWAY_TYPES.get(self.pathway_type, self.label)


@dataclass(frozen=True)
class RuleContext:
    """What a rule may look at: the client, their facts as of ``today``, the target."""

    rule: Rule
    client: Client | ClientView
    facts: Facts
    today: date
    target: ReferralTarget
    #: Fact keys the rules found missing; shared by every rule asked about one target.
    missing: set[str] = field(default_factory=set)

    @property
    def age(self) -> int | None:
        birth = self.client.birth_date
        return None if birth is None else age_on(birth, self.today)

    def allow(self) -> Verdict:
        return Verdict.allow(self.rule.key, legal_source=self.rule.legal_source)

    def deny(self, *, fi: str, sv: str, en: str) -> Verdict:
        return Verdict.deny(self.rule.key, fi=fi, sv=sv, en=en, legal_source=self.rule.legal_source)

    def require(self, *keys: str) -> Verdict | None:
        """Deny, naming what to record first, when any of the facts ``keys`` is unknown
        (``birth_date`` means the client's birth date); ``None`` when all are known."""
        absent = [
            k
            for k in keys
            if (self.client.birth_date is None if k == "birth_date" else k not in self.facts)
        ]
        if not absent:
            return None
        self.missing.update(absent)

        def names(language: str) -> str:
            birth = {"fi": "syntymäaika", "sv": "födelsedatum", "en": "birth date"}[language]
            return ", ".join(
                birth if k == "birth_date" else self.facts.label(k, language) for k in absent
            )

        return self.deny(
            fi=f"Kirjaa ensin: {names('fi')}.",
            sv=f"Registrera först: {names('sv')}.",
            en=f"Record first: {names('en')}.",
        )


@dataclass(frozen=True)
class Eligibility:
    """Every rule's verdict on one target for one client; any deny blocks."""

    verdicts: tuple[Verdict, ...] = ()
    #: Facts to record before the rules can decide (see :meth:`RuleContext.require`).
    missing_facts: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.denied

    @property
    def denied(self) -> list[Verdict]:
        return [v for v in self.verdicts if v.allowed is False]


@dataclass(frozen=True)
class ReferralOption:
    """A target as offered to one client: which plugin offered it, and whether they may go."""

    target: ReferralTarget
    plugin: str
    eligibility: Eligibility

    @property
    def eligible(self) -> bool:
        return self.eligibility.eligible


# --- shared rule builders ------------------------------------------------------------------


def age_under(
    limit: int,
    *,
    key: str,
    legal_source: str,
    pathway_types: tuple[str, ...] = (),
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Rule:
    """The client must be younger than ``limit`` years on the day of the referral."""

    def check(*, context: RuleContext) -> Verdict | None:
        age = context.age
        if age is None:
            return context.require("birth_date")
        if age < limit:
            return context.allow()
        return context.deny(
            fi=f"Asiakas on {age}-vuotias; palvelu on alle {limit}-vuotiaille.",
            sv=f"Klienten är {age} år; tjänsten är för personer under {limit} år.",
            en=f"The client is {age}; the service is for people under {limit}.",
        )

    return Rule(
        key=key,
        legal_source=legal_source,
        check=check,
        title={"fi": f"Alle {limit}-vuotiaat", "sv": f"Under {limit} år", "en": f"Under {limit}"},
        pathway_types=pathway_types,
        valid_from=valid_from,
        valid_to=valid_to,
    )


def residents_only(
    *municipalities: Municipality,
    key: str,
    legal_source: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> Rule:
    """Only residents of ``municipalities`` may be referred (the client's home municipality)."""
    codes = {m.code for m in municipalities}

    def names(language: str) -> str:
        return ", ".join(m.label(language) for m in municipalities)

    def check(*, context: RuleContext) -> Verdict:
        if context.client.municipality_code in codes:
            return context.allow()
        return context.deny(
            fi=f"Palvelu on vain kuntien {names('fi')} asukkaille."
            if len(codes) > 1
            else f"Palvelu on vain kunnan {names('fi')} asukkaille.",
            sv=f"Tjänsten är endast för invånare i {names('sv')}.",
            en=f"The service is only for residents of {names('en')}.",
        )

    return Rule(
        key=key,
        legal_source=legal_source,
        check=check,
        title={"fi": "Vain asukkaille", "sv": "Endast för invånare", "en": "Residents only"},
        valid_from=valid_from,
        valid_to=valid_to,
        residents_of=tuple(sorted(codes)),
    )


def waiting_list(
    *,
    places: int,
    full_until: date | None,
    key: str,
    legal_source: str,
) -> Rule:
    """A service with ``places`` places that the provider reports full until ``full_until``:
    no new referrals before the next free place (the client may be put on the waiting list)."""

    def check(*, context: RuleContext) -> Verdict | None:
        if full_until is None or context.today > full_until:
            return None
        day = f"{full_until.day}.{full_until.month}.{full_until.year}"
        return context.deny(
            fi=f"Kaikki {places} paikkaa ovat täynnä {day} asti; asiakkaan voi laittaa jonoon.",
            sv=f"Alla {places} platser är fullsatta till {day}; klienten kan ställas i kö.",
            en=f"All {places} places are taken until {day}; the client may join the waiting list.",
        )

    return Rule(
        key=key,
        legal_source=legal_source,
        check=check,
        title={"fi": "Jonotus", "sv": "Kö", "en": "Waiting list"},
    )
