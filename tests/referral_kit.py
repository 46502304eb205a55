"""Building blocks for referral tests (tests/, features/referrals, the security matrix): a partner
organisation with a catalogue entry, a client the plugins allow to go there, a consent, a
referral -- all through the same engine code paths the app uses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from engine import consents, partner_catalogue
from engine.access import Principal
from engine.models import OrganisationKind, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, ready_for_goal_setting

#: Kittilä's Ohjaamo (Lappi plugin): open to a Kittilä resident under 30, no facts needed.
ELIGIBLE_TARGET = "tunturi_lappi.ohjaamo.ohjaamo"
#: Kittilä's youth workshop: blocked by its waiting list (full until 31.3.2027).
BLOCKED_TARGET = "kittila.nuorten_tyopaja.workshop"
YOUNG = date(2005, 5, 17)
ALL_FIELDS = ("name", "contact", "birth_date", "facts", "goals", "handoff_note")
#: The client journey's moves from outreach to a work state (where `refer` is possible).
TO_WORK = ("engage", "start_assessment", "set_goals", "start_individual_work")


@dataclass(frozen=True)
class Partner:
    organisation_id: int
    target_key: str


def partner_service(
    runtime: Runtime,
    name: str = "Tunturi-Lapin Ohjaamo",
    target_key: str = ELIGIBLE_TARGET,
    *,
    response_days: int | None = 7,
    notify_email: str | None = None,
    service_type: str = "other",
) -> Partner:
    """A partner organisation receiving referrals to ``target_key`` (catalogue entry). The
    default service type ("other") takes follow-on referrals; e.g. "mental_health" supporting
    ones (several at a time, from any state, never moving the client journey)."""
    organisation_id = make_organisation(runtime, OrganisationKind.partner, name)
    with runtime.db.write() as session:
        partner_catalogue.save_service(
            session,
            target_key=target_key,
            organisation_id=organisation_id,
            service_type=service_type,
            municipality_code="261",
            response_days=response_days,
            notify_email=notify_email,
        )
    return Partner(organisation_id, target_key)


def young_client(
    runtime: Runtime,
    *,
    organisation_id: int | None,
    care_team: tuple[int, ...],
    working: bool = True,
    **kwargs: object,
) -> tuple[int, int]:
    """A Kittilä client of 21 (Ohjaamo allows them); ``working``: the client journey moved on to
    individual work, so that sending a referral moves it to ``referred``."""
    client_id, journey_id = make_client(
        runtime,
        organisation_id=organisation_id,
        care_team=care_team,
        birth_date=YOUNG,
        **kwargs,  # type: ignore[arg-type]
    )
    if working:
        with runtime.db.write() as session:
            for trigger in TO_WORK:
                if trigger == "set_goals":
                    ready_for_goal_setting(session, journey_id, now=runtime.clock.now())
                runtime.journeys.advance(session, journey_id, trigger, actor_id=None)
    return client_id, journey_id


def coach_principal(user_id: int, organisation_id: int | None) -> Principal:
    return Principal(user_id, Role.coach, organisation_id)


def give_consent(
    runtime: Runtime,
    coach: Principal,
    client_id: int,
    organisation_id: int,
    scope: tuple[str, ...] = ALL_FIELDS,
) -> int:
    with runtime.db.write() as session:
        consent = consents.record_consent(
            session,
            coach,
            client_id,
            organisation_id=organisation_id,
            scope=scope,
            purpose="Ohjaus jatkopalveluun",
            evidence="written",
            given_at=runtime.clock.now(),
            now=runtime.clock.now(),
        )
        assert consent.id is not None
        return consent.id


def send_referral(
    runtime: Runtime,
    coach: Principal,
    client_id: int,
    *,
    consent_id: int | None,
    target_key: str = ELIGIBLE_TARGET,
    fields: tuple[str, ...] = ("name", "contact", "goals", "handoff_note"),
    statutory_basis: str | None = None,
) -> int:
    with runtime.db.write() as session:
        referral = runtime.referrals.refer(
            session,
            coach,
            client_id,
            target_key=target_key,
            fields=fields,
            consent_id=consent_id,
            statutory_basis=statutory_basis,
            goals="Arjen rytmi ja opiskelupaikka",
            handoff_note="Asiakas toivoo aamupäiväaikoja",
            now=runtime.clock.now(),
            today=runtime.clock.today(),
        )
        assert referral.id is not None
        return referral.id


def revoke(runtime: Runtime, coach: Principal, client_id: int, consent_id: int) -> None:
    with runtime.db.write() as session:
        consents.revoke_consent(session, coach, client_id, consent_id, runtime.clock.now())
