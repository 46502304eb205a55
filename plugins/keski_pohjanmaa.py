"""Keski-Pohjanmaa (Mellersta Österbotten): Kaustinen, Halsua, Lestijärvi, Toholampi, Veteli
(Kaustisen seutukunta) and Perho (MUKAAN project area).

Wellbeing county: Keski-Pohjanmaan hyvinvointialue (Soite). Employment area from 1.1.2025 as
understood here: "Keski-Pohjanmaan työllisyysalue", led by Kokkola (see docs/plugins.md, "Data
to verify"). Providers and contacts are fictional.
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

COUNTY = "Keski-Pohjanmaan hyvinvointialue"
EMPLOYMENT_AREA = "Keski-Pohjanmaan työllisyysalue"
REGION = "Keski-Pohjanmaa"


_here = partial(municipality, county=COUNTY, area=EMPLOYMENT_AREA, region=REGION)
KAUSTINEN = _here("236", "Kaustinen", "Kaustby")
HALSUA = _here("074", "Halsua")
LESTIJARVI = _here("421", "Lestijärvi")
TOHOLAMPI = _here("849", "Toholampi")
VETELI = _here("924", "Veteli", "Vetil")
PERHO = _here("584", "Perho")
#: The joint area of Kaustisen seutukunta (a joint municipal authority).
KAUSTISEN_SEUTU = [KAUSTINEN, HALSUA, LESTIJARVI, TOHOLAMPI, VETELI]
MUNICIPALITIES = [*KAUSTISEN_SEUTU, PERHO]

_seutu = provider(
    "kaustisen_seutu",
    "Kaustisen seutukunta, seututoiminta",
    "joint_municipal_authority",
    KAUSTINEN,
    501,
)
_perho = provider("perho", "Perhon kunta", "municipality", PERHO, 502)
_toholampi = provider("toholampi", "Toholammin kunta", "municipality", TOHOLAMPI, 503)
_veteli_workshop = provider("veteli.tyopaja", "Vetelin työpaja", "municipality", VETELI, 504)
_meeting_place = provider(
    "kaustinen.kohtaamispaikka_ry", "Kaustisen Kohtaamispaikka ry", "association", KAUSTINEN, 505
)
_ohjaamo = provider(
    "keski_pohjanmaa.ohjaamo", "Keski-Pohjanmaan Ohjaamo", "municipality", KAUSTINEN, 506
)

TARGETS: list[ReferralTarget] = [
    service("outreach_youth_work", _seutu, KAUSTISEN_SEUTU, place="Kaustisen seutukunta"),
    service("outreach_youth_work", _perho, [PERHO], place="Perho"),
    service("ohjaamo", _ohjaamo, MUNICIPALITIES, place="Keski-Pohjanmaa"),
    # Toholampi's own rehabilitative work activity is listed for the whole seutukunta but
    # takes Toholampi residents only.
    service(
        "rehabilitative_work_activity",
        _toholampi,
        KAUSTISEN_SEUTU,
        place="Toholampi",
        rules=[
            residents_only(TOHOLAMPI, key="toholampi_residents_only", legal_source=LOCAL_DECISION)
        ],
    ),
    service("rehabilitative_work_activity", _perho, [PERHO], place="Perho"),
    service(
        "workshop",
        _veteli_workshop,
        [VETELI, KAUSTINEN, HALSUA],
        place="Veteli",
        rules=[
            waiting_list(
                places=6,
                full_until=date(2027, 2, 15),
                key="veteli_workshop_waiting_list",
                legal_source=LOCAL_DECISION,
            )
        ],
    ),
    service("other_activity", _meeting_place, MUNICIPALITIES, place="Kaustinen"),
    county_social_rehabilitation(COUNTY, KAUSTINEN, 507),
    *employment_area_services(EMPLOYMENT_AREA, KAUSTINEN, 508),
]

polku_municipalities, polku_referral_targets = region_hooks(MUNICIPALITIES, TARGETS)
