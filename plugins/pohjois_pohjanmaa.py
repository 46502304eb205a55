"""Pohjois-Pohjanmaa (Norra Österbotten): Muhos, Pudasjärvi, Utajärvi, Raahe, Ylivieska.

Wellbeing county: Pohjois-Pohjanmaan hyvinvointialue (Pohde). Employment areas from 1.1.2025
as understood here: Muhos, Pudasjärvi and Utajärvi in "Oulun seudun työllisyysalue", Raahe in
"Raahen seudun työllisyysalue", Ylivieska in "Jokilaaksojen työllisyysalue" (see
docs/plugins.md, "Data to verify"). Providers and contacts are fictional.
"""

from __future__ import annotations

from datetime import date
from functools import partial

from engine import ReferralTarget, waiting_list
from plugins._common import (
    LOCAL_DECISION,
    county_social_rehabilitation,
    employment_area_services,
    municipality,
    provider,
    region_hooks,
    service,
)

COUNTY = "Pohjois-Pohjanmaan hyvinvointialue"
OULUN_SEUTU = "Oulun seudun työllisyysalue"
RAAHEN_SEUTU = "Raahen seudun työllisyysalue"
JOKILAAKSOT = "Jokilaaksojen työllisyysalue"
REGION = "Pohjois-Pohjanmaa"


_here = partial(municipality, county=COUNTY, region=REGION)
MUHOS = _here("494", "Muhos", area=OULUN_SEUTU)
PUDASJARVI = _here("615", "Pudasjärvi", area=OULUN_SEUTU)
UTAJARVI = _here("889", "Utajärvi", area=OULUN_SEUTU)
RAAHE = _here("678", "Raahe", "Brahestad", area=RAAHEN_SEUTU)
YLIVIESKA = _here("977", "Ylivieska", area=JOKILAAKSOT)
MUNICIPALITIES = [MUHOS, PUDASJARVI, UTAJARVI, RAAHE, YLIVIESKA]

_muhos = provider("muhos", "Muhoksen kunta", "municipality", MUHOS, 301)
_pudasjarvi = provider("pudasjarvi", "Pudasjärven kaupunki", "municipality", PUDASJARVI, 302)
_utajarvi = provider("utajarvi", "Utajärven kunta", "municipality", UTAJARVI, 303)
_raahe = provider("raahe", "Raahen kaupunki", "municipality", RAAHE, 304)
_ylivieska = provider("ylivieska", "Ylivieskan kaupunki", "municipality", YLIVIESKA, 305)
_coaching_workshop = provider(
    "muhos.valmennuspaja_ry", "Muhoksen Valmennuspaja ry", "association", MUHOS, 306
)
_raahe_ohjaamo = provider("raahe.ohjaamo", "Raahen Ohjaamo", "municipality", RAAHE, 307)
_ylivieska_ohjaamo = provider(
    "ylivieska.ohjaamo", "Ylivieskan Ohjaamo", "municipality", YLIVIESKA, 308
)
_jokilaakso_workshop = provider(
    "ylivieska.jokilaakson_tyopajasaatio",
    "Jokilaakson työpajasäätiö",
    "foundation",
    YLIVIESKA,
    309,
)

TARGETS: list[ReferralTarget] = [
    *(
        service("outreach_youth_work", by, [m], place=m.name["fi"])
        for by, m in (
            (_muhos, MUHOS),
            (_pudasjarvi, PUDASJARVI),
            (_utajarvi, UTAJARVI),
            (_raahe, RAAHE),
            (_ylivieska, YLIVIESKA),
        )
    ),
    # A coaching workshop (valmennuspaja) for Muhos and Utajärvi, with a waiting list.
    service(
        "workshop",
        _coaching_workshop,
        [MUHOS, UTAJARVI],
        place="Muhos",
        rules=[
            waiting_list(
                places=12,
                full_until=date(2027, 2, 28),
                key="muhos_valmennuspaja_waiting_list",
                legal_source=LOCAL_DECISION,
            )
        ],
    ),
    service("rehabilitative_work_activity", _muhos, [MUHOS], place="Muhos"),
    service("rehabilitative_work_activity", _pudasjarvi, [PUDASJARVI], place="Pudasjärvi"),
    service("rehabilitative_work_activity", _raahe, [RAAHE], place="Raahe"),
    service("ohjaamo", _raahe_ohjaamo, [RAAHE], place="Raahe"),
    service("ohjaamo", _ylivieska_ohjaamo, [YLIVIESKA], place="Ylivieska"),
    service("rehabilitative_work_activity", _jokilaakso_workshop, [YLIVIESKA], place="Ylivieska"),
    county_social_rehabilitation(COUNTY, MUHOS, 310),
    *employment_area_services(OULUN_SEUTU, MUHOS, 311),
    *employment_area_services(RAAHEN_SEUTU, RAAHE, 312),
    *employment_area_services(JOKILAAKSOT, YLIVIESKA, 313),
]

polku_municipalities, polku_referral_targets = region_hooks(MUNICIPALITIES, TARGETS)
