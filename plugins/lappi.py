"""Lappi (Lappland): Kemijärvi, Posio, Kittilä (VALPAS 2 partner municipalities and more).

Wellbeing county: Lapin hyvinvointialue. Employment areas from 1.1.2025 as understood here:
Kemijärvi and Posio in "Itä-Lapin työllisyysalue", Kittilä in "Tunturi-Lapin työllisyysalue"
(see docs/plugins.md, "Data to verify"). Providers and contacts are fictional.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from engine import ReferralTarget, residents_only, waiting_list
from plugins._common import (
    LOCAL_DECISION,
    county_social_rehabilitation,
    employment_area_services,
    municipality,
    provider,
    region_hooks,
    service,
)

COUNTY = "Lapin hyvinvointialue"
ITA_LAPPI = "Itä-Lapin työllisyysalue"
TUNTURI_LAPPI = "Tunturi-Lapin työllisyysalue"
REGION = "Lappi"

_here = partial(municipality, county=COUNTY, region=REGION)
KEMIJARVI = _here("320", "Kemijärvi", area=ITA_LAPPI)
POSIO = _here("614", "Posio", area=ITA_LAPPI)
KITTILA = _here("261", "Kittilä", area=TUNTURI_LAPPI)
MUNICIPALITIES = [KEMIJARVI, POSIO, KITTILA]

_kemijarvi = provider("kemijarvi", "Kemijärven kaupunki", "municipality", KEMIJARVI, 201)
_posio = provider("posio", "Posion kunta", "municipality", POSIO, 202)
_kittila = provider("kittila", "Kittilän kunta", "municipality", KITTILA, 203)
_tunturi_ohjaamo = provider(
    "tunturi_lappi.ohjaamo", "Tunturi-Lapin Ohjaamo", "municipality", KITTILA, 204
)
_kittila_workshop = provider(
    "kittila.nuorten_tyopaja", "Kittilän nuorten työpaja", "municipality", KITTILA, 205
)
_ita_lappi_workshop = provider(
    "kemijarvi.ita_lapin_paja_ry", "Itä-Lapin Paja ry", "association", KEMIJARVI, 206
)
_posio_parish = provider("posio.seurakunta", "Posion seurakunta, diakoniatyö", "parish", POSIO, 207)

TARGETS: list[ReferralTarget] = [
    *(
        service("outreach_youth_work", by, [m], place=m.name["fi"])
        for by, m in ((_kemijarvi, KEMIJARVI), (_posio, POSIO), (_kittila, KITTILA))
    ),
    service("ohjaamo", _tunturi_ohjaamo, [KITTILA], place="Kittilä"),
    service(
        "workshop",
        _kittila_workshop,
        [KITTILA],
        place="Kittilä",
        rules=[
            waiting_list(
                places=8,
                full_until=date(2027, 3, 31),
                key="kittila_workshop_waiting_list",
                legal_source=LOCAL_DECISION,
            )
        ],
    ),
    service("rehabilitative_work_activity", _kittila, [KITTILA], place="Kittilä"),
    # Kemijärvi's rehabilitative work activity is listed across Itä-Lappi, but its places are
    # for Kemijärvi residents (the town pays for them).
    service(
        "rehabilitative_work_activity",
        _ita_lappi_workshop,
        [KEMIJARVI, POSIO],
        place="Kemijärvi",
        rules=[
            residents_only(KEMIJARVI, key="kemijarvi_residents_only", legal_source=LOCAL_DECISION)
        ],
    ),
    service("rehabilitative_work_activity", _posio, [POSIO], place="Posio"),
    service("other_activity", _posio_parish, [POSIO], place="Posio"),
    county_social_rehabilitation(COUNTY, KEMIJARVI, 208),
    *employment_area_services(ITA_LAPPI, KEMIJARVI, 209),
    *employment_area_services(TUNTURI_LAPPI, KITTILA, 210),
]

polku_municipalities, polku_referral_targets = region_hooks(MUNICIPALITIES, TARGETS)
