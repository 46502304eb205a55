"""Shared helpers of the built-in region plugins, so that each region module is mostly data.

The builders themselves are the public ones in :mod:`engine.regions` (exported from
``engine``), which an outside plugin uses the same way; this module only adds the fictional
contact details of the shipped data and the two hook implementations of a region module
(:func:`region_hooks`). A municipality's own services are built with :func:`service`; the
wellbeing county's social rehabilitation and the employment area's multi-agency service and
work trials are offered by county and by employment area, so they reach every municipality
that declares that county or area (a new municipality in an outside plugin too). Every contact
detail is fictional: ``<key>@example.org`` and ``+358 00 000 NNNN`` (no Finnish number begins
with 00 after the country code).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine import (
    Municipality,
    ReferralTarget,
    ServiceProvider,
    county_service,
    employment_area_service,
    hookimpl,
    local_service,
    slug,
)
from engine import municipality as _municipality
from engine import provider as _provider

#: Legal source given for a municipality's or provider's own rule (not an act).
LOCAL_DECISION = "Palveluntuottajan ilmoittama paikallinen käytäntö"

#: A municipality's own service: :func:`engine.regions.local_service`.
service = local_service


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
    return _municipality(code, fi, sv, wellbeing_county=county, employment_area=area, region=region)


def provider(
    key: str, name: str, kind: str, municipality: Municipality, number: int
) -> ServiceProvider:
    """A service provider with fictional contact details."""
    return _provider(
        key,
        name,
        kind,
        municipality,
        email=f"{key.replace('.', '-').replace('_', '-')}@example.org",
        phone=f"+358 00 000 {number:04d}",
    )


def employment_area_services(name: str, host: Municipality, number: int) -> list[ReferralTarget]:
    """The employment area's (työllisyysalue) multi-agency service and work trials, for every
    municipality that declares ``name`` as its employment area."""
    organiser = provider(slug(name), f"{name}, työllisyyspalvelut", "municipality", host, number)
    return [
        employment_area_service("multi_agency_employment_support", organiser, employment_area=name),
        employment_area_service("work_trial", organiser, employment_area=name),
    ]


def county_social_rehabilitation(county: str, host: Municipality, number: int) -> ReferralTarget:
    """The wellbeing county's (hyvinvointialue) social rehabilitation, for every municipality
    that declares ``county`` as its wellbeing county."""
    organiser = provider(
        f"{slug(county)}.aikuissosiaalityo",
        f"{county}, aikuissosiaalityö",
        "wellbeing_county",
        host,
        number,
    )
    return county_service("social_rehabilitation", organiser, county=county)
