"""Regions as data a plugin joins: builders for municipalities, providers and services.

The built-in region plugins and any outside plugin build their records with the same functions,
so a new municipality's plugin needs no copied code:

- :func:`municipality` declares a kunta with its wellbeing services county (hyvinvointialue)
  and employment area (työllisyysalue). That declaration is what joins it to the services
  offered by county or by employment area (:func:`county_service`,
  :func:`employment_area_service`): they reach every municipality that declares that county or
  area, whichever plugin declares it.
- :func:`provider` and :func:`local_service` build a municipality's own services in the shape
  the built-in plugins use (label "<pathway type>, <place>", key "<provider>.<pathway type>").

Every name here is exported from ``engine``.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine.rules import PATHWAY_TYPES, Municipality, ReferralTarget, Rule, ServiceProvider, Texts


def municipality(
    code: str,
    fi: str,
    sv: str | None = None,
    *,
    wellbeing_county: str,
    employment_area: str,
    region: str = "",
) -> Municipality:
    """A municipality; the Swedish name defaults to the Finnish one (most have no other).

    ``wellbeing_county`` and ``employment_area`` must be spelt exactly as the plugin offering
    their services spells them (``polku plugins list`` warns about a county or area no plugin
    offers anything to)."""
    return Municipality(code, {"fi": fi, "sv": sv or fi}, wellbeing_county, employment_area, region)


def slug(text: str) -> str:
    """An ASCII identifier for keys and example e-mail addresses: "Mäntyharju" -> "mantyharju"."""
    table = str.maketrans({"ä": "a", "ö": "o", "å": "a", " ": "_", "-": "_"})
    return "".join(c for c in text.lower().translate(table) if c.isalnum() or c == "_")


def provider(
    key: str,
    name: str,
    kind: str,
    municipality: Municipality,
    *,
    email: str | None = None,
    phone: str | None = None,
    address: str | None = None,
) -> ServiceProvider:
    """A service provider located in ``municipality``. Give the service's own contact details,
    never a person's."""
    return ServiceProvider(
        key=key,
        name=name,
        kind=kind,
        municipality_code=municipality.code,
        email=email,
        phone=phone,
        address=address,
    )


def _label(pathway_type: str, place: str, label: Texts | None) -> Texts:
    if label:
        return label
    base = PATHWAY_TYPES[pathway_type]
    return {lang: f"{text}, {place}" for lang, text in base.items()}


def local_service(
    pathway_type: str,
    by: ServiceProvider,
    area: Sequence[Municipality | str],
    *,
    place: str,
    rules: Sequence[Rule] = (),
    label: Texts | None = None,
) -> ReferralTarget:
    """A service of a known pathway type run by ``by`` for the clients of the municipalities in
    ``area``; key ``"<provider key>.<pathway type>"``, label "<pathway type>, <place>" (e.g.
    "Etsivä nuorisotyö, Kittilä") unless ``label`` is given. ``area`` holds municipalities or
    their codes (a neighbour described by another plugin: just its code)."""
    return ReferralTarget(
        key=f"{by.key}.{pathway_type}",
        pathway_type=pathway_type,
        label=_label(pathway_type, place, label),
        provider=by,
        area=tuple(m if isinstance(m, str) else m.code for m in area),
        rules=tuple(rules),
    )


def county_service(
    pathway_type: str,
    by: ServiceProvider,
    *,
    county: str,
    rules: Sequence[Rule] = (),
    label: Texts | None = None,
) -> ReferralTarget:
    """A wellbeing services county's service (e.g. its social rehabilitation), offered to the
    clients of every municipality that declares ``county`` as its ``wellbeing_county``, now and
    whenever another plugin declares a new one."""
    return ReferralTarget(
        key=f"{by.key}.{pathway_type}",
        pathway_type=pathway_type,
        label=_label(pathway_type, county, label),
        provider=by,
        rules=tuple(rules),
        wellbeing_counties=(county,),
    )


def employment_area_service(
    pathway_type: str,
    by: ServiceProvider,
    *,
    employment_area: str,
    rules: Sequence[Rule] = (),
    label: Texts | None = None,
) -> ReferralTarget:
    """An employment area's service (multi-agency support, work trials), offered to the clients
    of every municipality that declares ``employment_area``."""
    return ReferralTarget(
        key=f"{by.key}.{pathway_type}",
        pathway_type=pathway_type,
        label=_label(pathway_type, employment_area, label),
        provider=by,
        rules=tuple(rules),
        employment_areas=(employment_area,),
    )
