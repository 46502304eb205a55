"""Etelä-Savo (Södra Savolax): Mikkeli, Kangasniemi, Mäntyharju, Juva, Puumala (SUUNTA YHDESSÄ
project area).

Wellbeing county: Etelä-Savon hyvinvointialue (Eloisa). Employment area from 1.1.2025 as
understood here: "Mikkelin seudun työllisyysalue", led by Mikkeli (see docs/plugins.md, "Data to
verify"). Providers and contacts are fictional.
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

COUNTY = "Etelä-Savon hyvinvointialue"
EMPLOYMENT_AREA = "Mikkelin seudun työllisyysalue"
REGION = "Etelä-Savo"


_here = partial(municipality, county=COUNTY, area=EMPLOYMENT_AREA, region=REGION)
MIKKELI = _here("491", "Mikkeli", "S:t Michel")
KANGASNIEMI = _here("213", "Kangasniemi")
MANTYHARJU = _here("507", "Mäntyharju")
JUVA = _here("178", "Juva", "Jockas")
PUUMALA = _here("623", "Puumala")
MUNICIPALITIES = [MIKKELI, KANGASNIEMI, MANTYHARJU, JUVA, PUUMALA]

_mikkeli = provider("mikkeli", "Mikkelin kaupunki", "municipality", MIKKELI, 401)
_kangasniemi = provider("kangasniemi", "Kangasniemen kunta", "municipality", KANGASNIEMI, 402)
_mantyharju = provider("mantyharju", "Mäntyharjun kunta", "municipality", MANTYHARJU, 403)
_juva = provider("juva", "Juvan kunta", "municipality", JUVA, 404)
_puumala = provider("puumala", "Puumalan kunta", "municipality", PUUMALA, 405)
_ohjaamo = provider("mikkeli.ohjaamo", "Mikkelin seudun Ohjaamo", "municipality", MIKKELI, 406)
_juva_workshop = provider("juva.tyopaja", "Juvan työpaja", "municipality", JUVA, 407)
_mantyharju_centre = provider(
    "mantyharju.toimintakeskus_ry", "Mäntyharjun Toimintakeskus ry", "association", MANTYHARJU, 408
)
_puumala_parish = provider(
    "puumala.seurakunta", "Puumalan seurakunta, diakoniatyö", "parish", PUUMALA, 409
)
_substance_foundation = provider(
    "mikkeli.paihdekuntoutussaatio", "Savon päihdekuntoutussäätiö", "foundation", MIKKELI, 410
)

TARGETS: list[ReferralTarget] = [
    *(
        service("outreach_youth_work", by, [m], place=m.name["fi"])
        for by, m in (
            (_mikkeli, MIKKELI),
            (_kangasniemi, KANGASNIEMI),
            (_mantyharju, MANTYHARJU),
            (_juva, JUVA),
            (_puumala, PUUMALA),
        )
    ),
    service("ohjaamo", _ohjaamo, MUNICIPALITIES, place="Mikkeli"),
    service("rehabilitative_work_activity", _mikkeli, [MIKKELI], place="Mikkeli"),
    # The association's rehabilitative work activity in Mäntyharju is offered to the
    # neighbouring municipalities too, but only Mäntyharju residents get a place.
    service(
        "rehabilitative_work_activity",
        _mantyharju_centre,
        [MANTYHARJU, MIKKELI, PUUMALA],
        place="Mäntyharju",
        rules=[
            residents_only(MANTYHARJU, key="mantyharju_residents_only", legal_source=LOCAL_DECISION)
        ],
    ),
    service(
        "workshop",
        _juva_workshop,
        [JUVA, PUUMALA, KANGASNIEMI],
        place="Juva",
        rules=[
            waiting_list(
                places=8,
                full_until=date(2027, 1, 15),
                key="juva_workshop_waiting_list",
                legal_source=LOCAL_DECISION,
            )
        ],
    ),
    service("other_activity", _puumala_parish, [PUUMALA], place="Puumala"),
    service("substance_rehabilitation", _substance_foundation, MUNICIPALITIES, place="Mikkeli"),
    county_social_rehabilitation(COUNTY, MIKKELI, 411),
    *employment_area_services(EMPLOYMENT_AREA, MIKKELI, 412),
]

polku_municipalities, polku_referral_targets = region_hooks(MUNICIPALITIES, TARGETS)
