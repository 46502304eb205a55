"""Organisations (organisaatiot): the project organisations that keep client records and the
partner agencies that receive referrals. The one place that creates them (the ``polku
organisations`` command and the admin pages call it)."""

from __future__ import annotations

import logging
import re

from sqlmodel import Session, col, select

from engine.errors import InputRequired
from engine.models import Organisation, OrganisationKind

log = logging.getLogger("polku.organisations")

#: Municipality codes (kuntanumero): three digits each, comma-separated.
MUNICIPALITY_CODE = re.compile(r"^\d{3}$")


def municipality_codes(text: str) -> str:
    """``"261, 273"`` -> ``"261,273"``; anything but three-digit codes is refused."""
    codes = [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]
    bad = [c for c in codes if not MUNICIPALITY_CODE.fullmatch(c)]
    if bad:
        raise InputRequired("municipality_codes", "municipality codes have three digits each")
    return ",".join(dict.fromkeys(codes))


def create_organisation(
    session: Session, *, name: str, kind: OrganisationKind | str, municipalities: str = ""
) -> Organisation:
    """A new organisation: a project (keeps client records) or a partner agency."""
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InputRequired("name", "an organisation's name has 1-200 characters")
    if kind not in {k.value for k in OrganisationKind}:
        raise InputRequired("kind", "project or partner", [k.value for k in OrganisationKind])
    organisation = Organisation(
        name=name,
        kind=OrganisationKind(kind).value,
        municipality_codes=municipality_codes(municipalities),
    )
    session.add(organisation)
    session.flush()
    log.info("organisation %s created (%s)", organisation.id, organisation.kind)
    return organisation


def organisations(session: Session) -> list[Organisation]:
    """Every organisation, by name."""
    return list(session.exec(select(Organisation).order_by(col(Organisation.name))).all())
