"""Shared helpers of the built-in region plugins, so that each region module is mostly data.

A region module lists its municipalities and targets and gets its two hook implementations
from :func:`region_hooks`. The services every region has in the same shape are built here
once: a municipality's own service (its outreach youth work, its rehabilitative work
activity...), the employment area's multi-agency service and work trials, and the wellbeing
county's social rehabilitation. Every contact detail is fictional: ``<key>@example.org`` and
``+358 00 000 NNNN`` (no Finnish number begins with 00 after the country code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine import PATHWAY_TYPES, Municipality, ReferralTarget, Rule, ServiceProvider, hookimpl

#: Legal source given for a municipality's or provider's own rule (not an act).
LOCAL_DECISION = "Palveluntuottajan ilmoittama paikallinen käytäntö"


def region_hooks(
    municipalities: Sequence[Municipality], targets: Sequence[ReferralTarget]
) -> tuple[Callable[[], list[Municipality]], Callable[[], list[ReferralTarget]]]:
    """A region module's ``polku_municipalities`` and ``polku_referral_targets``: its data."""

    @hookimpl
    def polku_municipalities() -> list[Municipality]:
        return list(municipalities)

    @hookimpl
    def polku_referral_targets() -> list[ReferralTarget]:
        return list(targets)

    return polku_municipalities, polku_referral_targets


def municipality(
    code: str, fi: str, sv: str | None = None, *, county: str, area: str, region: str
) -> Municipality:
    """A municipality; the Swedish name defaults to the Finnish one (most have no other)."""
    return Municipality(code, {"fi": fi, "sv": sv or fi}, county, area, region)


def slug(text: str) -> str:
    """An ASCII identifier for keys and example e-mail addresses: "Mäntyharju" -> "mantyharju"."""
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a", " ": "_", "-": "_"})
    return "".join(c for c in text.lower().translate(table) if c.isalnum() or c == "_")


def provider(
    key: str, name: str, kind: str, municipality: Municipality, number: int
) -> ServiceProvider:
    """A service provider with fictional contact details."""
    return ServiceProvider(
        key=key,
        name=name,
        kind=kind,
        municipality_code=municipality.code,
        email=f"{key.replace('.', '-').replace('_', '-')}@example.org",
        phone=f"+358 00 000 {number:04d}",
    )


def service(
    pathway_type: str,
    by: ServiceProvider,
    area: Sequence[Municipality],
    *,
    place: str,
    rules: Sequence[Rule] = (),
    label: dict[str, str] | None = None,
) -> ReferralTarget:
    """A target of a known pathway type run by ``by`` for clients of ``area``.

    The label is the pathway type's, followed by ``place`` ("Etsivä nuorisotyö, Kittilä")."""
    base = PATHWAY_TYPES[pathway_type]
    return ReferralTarget(
        key=f"{by.key}.{pathway_type}",
        pathway_type=pathway_type,
        label=label or {lang: f"{text}, {place}" for lang, text in base.items()},
        provider=by,
        area=tuple(m.code for m in area),
        rules=tuple(rules),
    )


def employment_area_services(
    name: str, host: Municipality, members: Sequence[Municipality], number: int
) -> list[ReferralTarget]:
    """The employment area's (työllisyysalue) multi-agency service and work trials."""
    organiser = provider(slug(name), f"{name}, työllisyyspalvelut", "municipality", host, number)
    return [
        service("multi_agency_employment_support", organiser, members, place=name),
        service("work_trial", organiser, members, place=name),
    ]


def county_social_rehabilitation(
    county: str, host: Municipality, members: Sequence[Municipality], number: int
) -> ReferralTarget:
    """The wellbeing county's (hyvinvointialue) social rehabilitation, for ``members``."""
    organiser = provider(
        f"{slug(county)}.aikuissosiaalityo",
        f"{county}, aikuissosiaalityö",
        "wellbeing_county",
        host,
        number,
    )
    return service("social_rehabilitation", organiser, members, place=county)
