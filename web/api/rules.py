"""Client facts, referral options ("where may this client go, and if not, why not?") and the
municipalities the plugins describe. Thin routes: the logic is in ``engine.facts`` and
``engine.referral_options``.

Access rules (web/security.py): the client routes are ``client_rule(What.facts / record_fact /
referral_options)``, a member of the client's care team, each view logged; the municipality list
(no client data) is for any logged-in user."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from engine.access import What
from engine.bounds import Id
from engine.models import Client, ClientFact
from engine.rules import Municipality, ReferralOption
from web.api.schemas import VerdictOut
from web.deps import RuntimeDep
from web.security import ClientAccess, CurrentUser, client_rule

router = APIRouter(prefix="/api", tags=["rules"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not logged in"},
    403: {"description": "Not in the client's care team, or a CSRF check failed"},
    404: {"description": "No such client"},
    422: {"description": "Unknown fact key, or a value of the wrong type"},
}


class FactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$", description="a defined fact key")
    #: A date as "YYYY-MM-DD", true/false, a whole number, a choice key or text; null clears.
    value: bool | int | str | None
    #: The date from which the fact holds (default: today).
    valid_from: date | None = None


class FactOut(BaseModel):
    id: int
    key: str
    value: str | None
    valid_from: date
    recorded_at: datetime
    recorded_by: int | None
    label: dict[str, str]


class FactsOut(BaseModel):
    client_id: Id
    as_of: date | None
    facts: list[FactOut]


class MunicipalityOut(BaseModel):
    code: str
    name: dict[str, str]
    wellbeing_county: str
    employment_area: str
    region: str


class ProviderOut(BaseModel):
    key: str
    name: str
    kind: str
    municipality_code: str
    email: str | None
    phone: str | None


class ReferralOptionOut(BaseModel):
    target: str
    plugin: str
    pathway_type: str
    pathway_label: dict[str, str]
    label: dict[str, str]
    provider: ProviderOut | None
    eligible: bool
    #: Every rule's answer; the blocking ones have ``allowed: false`` and say why.
    verdicts: list[VerdictOut]
    #: Facts to record before the rules can decide.
    missing_facts: list[str]


class ReferralOptionsOut(BaseModel):
    client_id: Id
    on: date
    municipality: MunicipalityOut | None
    options: list[ReferralOptionOut]


def municipality_out(m: Municipality) -> MunicipalityOut:
    return MunicipalityOut(
        code=m.code,
        name=dict(m.name),
        wellbeing_county=m.wellbeing_county,
        employment_area=m.employment_area,
        region=m.region,
    )


def fact_out(runtime: RuntimeDep, fact: ClientFact) -> FactOut:
    definition = runtime.facts.definitions.get(fact.key)
    assert fact.id is not None
    return FactOut(
        id=fact.id,
        key=fact.key,
        value=fact.value,
        valid_from=fact.valid_from,
        recorded_at=fact.recorded_at,
        recorded_by=fact.recorded_by,
        label=dict(definition.label) if definition else {},
    )


def option_out(option: ReferralOption) -> ReferralOptionOut:
    target, provider = option.target, option.target.provider
    return ReferralOptionOut(
        target=target.key,
        plugin=option.plugin,
        pathway_type=target.pathway_type,
        pathway_label=dict(target.pathway_label()),
        label=dict(target.label),
        provider=ProviderOut(
            key=provider.key,
            name=provider.name,
            kind=provider.kind,
            municipality_code=provider.municipality_code,
            email=provider.email,
            phone=provider.phone,
        )
        if provider
        else None,
        eligible=option.eligible,
        verdicts=[VerdictOut(**v.as_dict()) for v in option.eligibility.verdicts],
        missing_facts=list(option.eligibility.missing_facts),
    )


FactsAccess = Annotated[ClientAccess, Depends(client_rule(What.facts, by="client"))]
RecordFactAccess = Annotated[ClientAccess, Depends(client_rule(What.record_fact, by="client"))]
OptionsAccess = Annotated[ClientAccess, Depends(client_rule(What.referral_options, by="client"))]


@router.get("/municipalities", response_model=list[MunicipalityOut])
def list_municipalities(_user: CurrentUser, runtime: RuntimeDep) -> list[MunicipalityOut]:
    """Every municipality the plugins describe, with its wellbeing county and employment area."""
    return [municipality_out(m) for _code, m in sorted(runtime.municipalities.items())]


@router.get("/clients/{client_id}/facts", response_model=FactsOut, responses=ERRORS)
def read_facts(
    client_id: Id,
    view: FactsAccess,
    runtime: RuntimeDep,
    as_of: date | None = None,
    history: bool = False,
) -> FactsOut:
    """The client's facts as of a date (default today): the latest per key. With
    ``history=true``, every recorded row instead (corrections included)."""
    session = view.session
    if history:
        rows = runtime.facts.history(session, client_id)
        return FactsOut(client_id=client_id, as_of=None, facts=[fact_out(runtime, r) for r in rows])
    as_of = as_of or runtime.clock.today()
    rows = runtime.facts.current_rows(session, client_id, as_of=as_of)
    return FactsOut(client_id=client_id, as_of=as_of, facts=[fact_out(runtime, r) for r in rows])


@router.post(
    "/clients/{client_id}/facts",
    status_code=status.HTTP_201_CREATED,
    response_model=FactOut,
    responses=ERRORS,
)
def record_fact(
    client_id: Id, body: FactIn, work: RecordFactAccess, runtime: RuntimeDep
) -> FactOut:
    """Record a dated fact about the client (a change or correction is a new row)."""
    fact = runtime.facts.record(
        work.session,
        client_id=client_id,
        key=body.key,
        value=body.value,
        valid_from=body.valid_from,
        recorded_by=work.principal.user_id,
    )
    return fact_out(runtime, fact)


@router.get(
    "/clients/{client_id}/referral-options", response_model=ReferralOptionsOut, responses=ERRORS
)
def referral_options(
    client_id: Id, view: OptionsAccess, runtime: RuntimeDep, on: date | None = None
) -> ReferralOptionsOut:
    """Every follow-on pathway and service offered in the client's municipality: eligible, or
    blocked with each rule's reason (fi/sv/en) and legal source, assessed as of ``on``
    (default today) with the facts valid on that day as now recorded."""
    session = view.session
    today = on or runtime.clock.today()
    options = runtime.referral_options.of_client(session, client_id, today=today)
    client = session.get(Client, client_id)  # of_client raised NotFound if there is none
    assert client is not None
    place = runtime.municipalities.get(client.municipality_code)
    return ReferralOptionsOut(
        client_id=client_id,
        on=today,
        municipality=municipality_out(place) if place else None,
        options=[option_out(o) for o in options],
    )
