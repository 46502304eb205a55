"""Etelä-Karjala (Södra Karelen): Parikkala, Rautjärvi, Ruokolahti (VALTO project area).

Wellbeing county: Etelä-Karjalan hyvinvointialue (Eksote). Employment area from 1.1.2025: the
regional area led by Lappeenranta, named here "Etelä-Karjalan työllisyysalue" (see
docs/plugins.md, "Data to verify"). Providers and contacts are fictional.
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

COUNTY = "Etelä-Karjalan hyvinvointialue"
EMPLOYMENT_AREA = "Etelä-Karjalan työllisyysalue"
REGION = "Etelä-Karjala"


_here = partial(municipality, county=COUNTY, area=EMPLOYMENT_AREA, region=REGION)
PARIKKALA = _here("580", "Parikkala")
RAUTJARVI = _here("689", "Rautjärvi")
RUOKOLAHTI = _here("700", "Ruokolahti")
MUNICIPALITIES = [PARIKKALA, RAUTJARVI, RUOKOLAHTI]

_parikkala = provider("parikkala", "Parikkalan kunta", "municipality", PARIKKALA, 101)
_rautjarvi = provider("rautjarvi", "Rautjärven kunta", "municipality", RAUTJARVI, 102)
_ruokolahti = provider("ruokolahti", "Ruokolahden kunta", "municipality", RUOKOLAHTI, 103)
_workshop_foundation = provider(
    "parikkala.tyotoimintasaatio", "Parikkalan työtoimintasäätiö", "foundation", PARIKKALA, 104
)
_association = provider(
    "ruokolahti.saimaan_kohtaamo_ry", "Saimaan Kohtaamo ry", "association", RUOKOLAHTI, 105
)
_parish = provider(
    "parikkala.seurakunta", "Parikkalan seurakunta, diakoniatyö", "parish", PARIKKALA, 106
)

TARGETS: list[ReferralTarget] = [
    *(
        service("outreach_youth_work", by, [m], place=m.name["fi"])
        for by, m in ((_parikkala, PARIKKALA), (_rautjarvi, RAUTJARVI), (_ruokolahti, RUOKOLAHTI))
    ),
    # The foundation's workshop takes rehabilitative work activity clients from all three,
    # and its places for Parikkala residents are paid for by Parikkala only.
    service(
        "rehabilitative_work_activity",
        _workshop_foundation,
        MUNICIPALITIES,
        place="Parikkala",
        rules=[
            residents_only(PARIKKALA, key="parikkala_residents_only", legal_source=LOCAL_DECISION)
        ],
    ),
    service(
        "workshop",
        _association,
        [RUOKOLAHTI, RAUTJARVI],
        place="Ruokolahti",
        rules=[
            waiting_list(
                places=10,
                full_until=date(2027, 1, 31),
                key="saimaan_kohtaamo_waiting_list",
                legal_source=LOCAL_DECISION,
            )
        ],
    ),
    service("rehabilitative_work_activity", _rautjarvi, [RAUTJARVI], place="Rautjärvi"),
    service("other_activity", _parish, [PARIKKALA], place="Parikkala"),
    county_social_rehabilitation(COUNTY, PARIKKALA, 107),
    *employment_area_services(EMPLOYMENT_AREA, PARIKKALA, 108),
]

polku_municipalities, polku_referral_targets = region_hooks(MUNICIPALITIES, TARGETS)
