"""Referral handoffs (lähetteet jatkopoluille): sending one with its packet, the referral pathway,
the loop back to the client's journey, expiry, and the referral lists. Consents live in
:mod:`engine.consents`, the partner catalogue in :mod:`engine.partner_catalogue`, notices in
:mod:`engine.notifications`. docs/referrals.md describes the whole.

A referral is a journey of pathway ``referral`` belonging to the client, moved by the same
:class:`~engine.journeys.Journeys` and event log as every other journey. Everything here runs
inside the caller's write transaction: the referral's transition, the client journey's matching
move, the disclosure row and the notifications commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from engine import audit, notifications, partner_catalogue
from engine.access import Principal, may_fire_referral_trigger
from engine.clients import latest_client_journey
from engine.consents import PACKET_FIELDS
from engine.errors import Forbidden, GuardRejected, InputRequired, InvalidTransition, NotFound
from engine.facts import ClientFacts
from engine.journeys import Journeys
from engine.models import (
    Client,
    Consent,
    Journey,
    JourneyEvent,
    Referral,
    User,
)
from engine.pathway_keys import REFERRAL
from engine.referral_options import ReferralOptions
from engine.settings import Settings
from engine.statutory import StatutoryBases
from engine.views import EventView

PATHWAY = REFERRAL

#: Referral states in which the partner has not answered yet.
UNANSWERED = "requested"
#: States after which nothing more happens.
FINAL_STATES = frozenset({"rejected", "cancelled", "completed", "failed"})

#: The client journey's move that goes with a follow-on referral's move: (referral trigger, the
#: client journey's state) -> client journey trigger (``moved_by: referral`` in the pathway, so
#: nothing else fires them). A supporting-service referral never moves the journey.
LOOP_BACK: dict[tuple[str, str], str] = {
    ("start_work", "referred"): "start_follow_on",
    ("complete", "referred"): "complete_follow_on",
    ("complete", "on_pathway"): "complete_follow_on",
    ("reject", "referred"): "referral_returned",
    ("cancel", "referred"): "referral_returned",
    ("cancel", "on_pathway"): "referral_returned",
    ("fail", "referred"): "referral_returned",
    ("fail", "on_pathway"): "referral_returned",
}
#: The client journey's trigger that sending a follow-on referral fires.
SEND = "refer"
#: The reason written on the client journey when a follow-on referral expires unanswered.
EXPIRED_REASON = "Lähete vanheni: ei vastausta määräaikaan mennessä (referral expired unanswered)"
#: What an expired referral still allows (it no longer holds the client journey).
AFTER_EXPIRY = ("reject", "cancel")


class ReferralBlocked(InvalidTransition):
    """A follow-on referral cannot be sent from the client journey's state (or the journey has
    ended): nothing is written. ``possible_from`` names the states it could be sent from."""

    code = "referral_blocked"

    def __init__(self, client_state: str, possible_from: Sequence[str], why: str):
        super().__init__(SEND, client_state, [], [])
        self.possible_from = list(possible_from)
        self.args = (why,)

    def as_dict(self) -> dict[str, object]:
        return super().as_dict() | {
            "client_journey_state": self.state,
            "possible_from": self.possible_from,
        }


#: Referral triggers the coach hears about (in-app notification).
NOTIFY_COACH = {
    "accept": "referral_accepted",
    "reject": "referral_rejected",
    "complete": "referral_completed",
    "fail": "referral_failed",
}


@dataclass(frozen=True)
class ReferralState:
    referral: Referral
    journey: Journey

    @property
    def state(self) -> str:
        return self.journey.state

    def overdue(self, now: datetime) -> bool:
        """Unanswered past its due time (flagged on both lists)."""
        return self.state == UNANSWERED and (
            self.referral.expired_at is not None or _aware(self.referral.due_at) <= now
        )


def _aware(moment: datetime) -> datetime:
    from engine.clock import as_utc

    return as_utc(moment)


class Referrals:
    """The referral service. Built once per process by :class:`engine.runtime.Runtime`."""

    def __init__(
        self,
        journeys: Journeys,
        options: ReferralOptions,
        facts: ClientFacts,
        settings: Settings,
        statutory_bases: StatutoryBases | None = None,
    ):
        self.journeys = journeys
        self.options = options
        self.facts = facts
        self.settings = settings
        self.statutory_bases = statutory_bases or StatutoryBases({})

    # --- sending a referral --------------------------------------------------------------------

    def refer(
        self,
        session: Session,
        principal: Principal,
        client_id: int,
        *,
        target_key: str,
        fields: Sequence[str],
        consent_id: int | None = None,
        statutory_basis: str | None = None,
        goals: str | None = None,
        handoff_note: str | None = None,
        now: datetime,
        today: date,
    ) -> Referral:
        """Send a referral: the target must be one the plugins allow for this client today, a
        partner organisation must receive it, and a consent (within its scope) or a statutory
        basis must allow the packet. Writes the disclosure row and moves the client journey."""
        option = next(
            (
                o
                for o in self.options.of_client(session, client_id, today=today)
                if o.target.key == target_key
            ),
            None,
        )
        if option is None:
            raise InputRequired("target_key", f"{target_key!r} is not offered to this client")
        if not option.eligible:
            raise GuardRejected("refer", target_key, option.eligibility.verdicts)
        service = partner_catalogue.service_of(session, target_key)
        if service is None:
            raise InputRequired("target_key", "no partner organisation receives this service yet")
        chosen = [f for f in PACKET_FIELDS if f in fields]
        if set(fields) - set(PACKET_FIELDS):
            raise InputRequired("fields", "unknown packet field", PACKET_FIELDS)
        if statutory_basis is not None:
            statutory_basis = self.statutory_bases.check(statutory_basis, today).code
        basis = self._basis(
            session, client_id, service.organisation_id, chosen, consent_id, statutory_basis
        )
        kind = partner_catalogue.kind_of(service.service_type)
        client_journey = self._check_can_send(session, client_id, kind)
        client = session.get(Client, client_id)
        assert client is not None
        packet = self.packet(session, client, chosen, goals, handoff_note, today)
        # the service's own name (not client data), for both sides' lists
        packet["service"] = dict(option.target.label)
        journey = self.journeys.start(
            session, client_id=client_id, pathway_key=PATHWAY, actor_id=principal.user_id, at=now
        )
        assert journey.id is not None
        days = service.response_days or self.settings.referral_response_days
        referral = Referral(
            client_id=client_id,
            journey_id=journey.id,
            target_key=target_key,
            service_type=service.service_type,
            kind=kind,
            from_organisation_id=principal.organisation_id,
            to_organisation_id=service.organisation_id,
            consent_id=consent_id if statutory_basis is None else None,
            statutory_basis=statutory_basis,
            packet=packet,
            created_by=principal.user_id,
            created_at=now,
            due_at=now + timedelta(days=days),
        )
        session.add(referral)
        session.flush()
        assert referral.id is not None
        audit.record_disclosure(
            session,
            client_id=client_id,
            recipient_organisation_id=service.organisation_id,
            what="referral_packet",
            basis=basis,
            disclosed_by=principal.user_id,
            at=now,
        )
        if kind == partner_catalogue.FOLLOW_ON and client_journey.id is not None:
            self.journeys.advance(
                session, client_journey.id, SEND, actor_id=principal.user_id, at=now, via=PATHWAY
            )
        notifications.notify_partner(session, referral, "referral_received", now)
        if service.notify_email:
            notifications.queue_mail(session, service.notify_email, now)
        return referral

    def _check_can_send(self, session: Session, client_id: int, kind: str) -> Journey:
        """The client journey, which must not have ended; a follow-on referral also needs a
        state the journey can be referred from (:class:`ReferralBlocked`, 409, otherwise)."""
        journey = latest_client_journey(session, client_id)
        if journey is None:
            raise NotFound(f"client {client_id} has no client journey")
        pathway = self.journeys.pathway_of(journey)
        possible = [
            s
            for s in pathway.states
            if pathway.transition(SEND, s) is not None and not pathway.states[s].final
        ]
        if pathway.states[journey.state].final:
            raise ReferralBlocked(
                journey.state, possible, f"the client journey has ended ({journey.state!r})"
            )
        if kind == partner_catalogue.FOLLOW_ON and pathway.transition(SEND, journey.state) is None:
            raise ReferralBlocked(
                journey.state,
                possible,
                f"a follow-on referral cannot be sent while the client journey is in "
                f"{journey.state!r}; it can be sent from {', '.join(possible)}",
            )
        return journey

    def _basis(
        self,
        session: Session,
        client_id: int,
        organisation_id: int,
        fields: Sequence[str],
        consent_id: int | None,
        statutory_basis: str | None,
    ) -> str:
        """The disclosure basis code: "consent" (checked: this client, this recipient, not
        revoked, the fields within its scope) or the coach's statutory basis."""
        if statutory_basis is not None:
            if not audit.CODE.fullmatch(statutory_basis):
                raise InputRequired("statutory_basis", "a statute code, e.g. 1301/2014:41§")
            return statutory_basis
        if consent_id is None:
            raise InputRequired(
                "consent_id", "a referral needs the client's consent or a statutory basis"
            )
        consent = session.get(Consent, consent_id)
        if (
            consent is None
            or consent.client_id != client_id
            or consent.organisation_id != organisation_id
        ):
            raise InputRequired("consent_id", "no consent of this client to this organisation")
        if consent.revoked_at is not None:
            raise InputRequired("consent_id", "the consent has been revoked")
        outside = sorted(set(fields) - set(consent.scope.split(",")))
        if outside:
            raise InputRequired(
                "fields", "outside the consent's scope: " + ", ".join(outside), outside
            )
        return "consent"

    def packet(
        self,
        session: Session,
        client: Client,
        fields: Sequence[str],
        goals: str | None,
        handoff_note: str | None,
        today: date,
    ) -> dict[str, Any]:
        """The snapshot the partner sees: only the chosen fields, nothing else of the client."""
        packet: dict[str, Any] = {"fields": list(fields)}
        if "name" in fields:
            packet["name"] = f"{client.first_name} {client.last_name}"
        if "contact" in fields:
            packet["contact"] = {"phone": client.phone, "email": client.email}
        if "birth_date" in fields:
            packet["birth_date"] = client.birth_date.isoformat() if client.birth_date else None
        if "facts" in fields:
            assert client.id is not None
            rows = self.facts.current_rows(session, client.id, as_of=today)
            packet["facts"] = {row.key: row.value for row in sorted(rows, key=lambda r: r.key)}
        if "goals" in fields:
            packet["goals"] = (goals or "").strip()[:2000]
        if "handoff_note" in fields:
            packet["handoff_note"] = (handoff_note or "").strip()[:2000]
        return packet

    # --- moving a referral on ------------------------------------------------------------------

    def advance(
        self,
        session: Session,
        principal: Principal,
        referral_id: int,
        trigger: str,
        *,
        reason: str | None = None,
        outcome: str | None = None,
        expected_version: int | None = None,
        now: datetime,
    ) -> EventView:
        """Fire ``trigger`` on the referral, and the matching move on the client's journey, in
        the caller's transaction. The receiving partner answers and reports; the coach cancels."""
        if not may_fire_referral_trigger(principal, trigger):
            raise Forbidden(f"role {principal.role} may not {trigger} a referral")
        referral = session.get(Referral, referral_id)
        if referral is None:
            raise NotFound(f"referral {referral_id} not found")
        if referral.expired_at is not None and trigger not in AFTER_EXPIRY:
            raise InvalidTransition(trigger, "expired", list(AFTER_EXPIRY))
        event = self.journeys.advance(
            session,
            referral.journey_id,
            trigger,
            actor_id=principal.user_id,
            reason=reason,
            outcome=outcome,
            expected_version=expected_version,
            at=now,
        )
        if referral.kind == partner_catalogue.FOLLOW_ON and referral.expired_at is None:
            client_state = self._client_journey_state(session, referral.client_id)
            follow = LOOP_BACK.get((trigger, client_state or ""))
            if follow is not None:
                self._move_client(
                    session, referral.client_id, follow, principal.user_id, event.reason, now
                )
        if trigger in NOTIFY_COACH and referral.created_by is not None:
            notifications.notify_user(
                session, referral.created_by, referral_id, NOTIFY_COACH[trigger], now
            )
        if trigger == "cancel":
            notifications.notify_partner(session, referral, "referral_cancelled", now)
        return event

    def _client_journey(self, session: Session, client_id: int) -> Journey | None:
        return latest_client_journey(session, client_id)

    def _client_journey_state(self, session: Session, client_id: int) -> str | None:
        journey = self._client_journey(session, client_id)
        return journey.state if journey else None

    def _move_client(
        self,
        session: Session,
        client_id: int,
        trigger: str,
        actor_id: int | None,
        reason: str | None,
        now: datetime,
    ) -> None:
        """The loop back: fire ``trigger`` on the client journey. A journey still on an older
        pathway version that lacks the move stays where it is (``polku db verify`` reports it)."""
        journey = self._client_journey(session, client_id)
        if journey is None or journey.id is None:
            return
        if self.journeys.pathway_of(journey).transition(trigger, journey.state) is None:
            return
        self.journeys.advance(
            session, journey.id, trigger, actor_id=actor_id, reason=reason, at=now, via=PATHWAY
        )

    # --- expiry --------------------------------------------------------------------------------

    def expire(self, session: Session, now: datetime) -> list[int]:
        """Flag every referral still unanswered at its due time; notify its coach and the
        partner. Each is flagged once: ``UPDATE ... WHERE expired_at IS NULL`` decides who wins
        when two runs overlap. Returns the ids this run flagged."""
        candidates = session.execute(
            select(Referral)
            .join(Journey, col(Journey.id) == col(Referral.journey_id))
            .where(
                col(Referral.expired_at).is_(None),
                col(Referral.due_at) <= now,
                col(Journey.state) == UNANSWERED,
            )
            .order_by(col(Referral.id))
        ).scalars()
        flagged = []
        for referral in list(candidates):
            won = session.execute(
                update(Referral)
                .where(col(Referral.id) == referral.id, col(Referral.expired_at).is_(None))
                .values(expired_at=now)
            )
            if won.rowcount != 1:  # type: ignore[attr-defined]
                continue
            assert referral.id is not None
            flagged.append(referral.id)
            if referral.kind == partner_catalogue.FOLLOW_ON:
                state = self._client_journey_state(session, referral.client_id)
                follow = LOOP_BACK.get(("reject", state or ""))
                if follow is not None:
                    self._move_client(
                        session, referral.client_id, follow, None, EXPIRED_REASON, now
                    )
            if referral.created_by is not None:
                notifications.notify_user(
                    session, referral.created_by, referral.id, "referral_expired", now
                )
            notifications.notify_partner(session, referral, "referral_expired", now)
        return flagged

    # --- reads ---------------------------------------------------------------------------------

    def get(self, session: Session, referral_id: int) -> ReferralState:
        row = session.execute(
            select(Referral, Journey)
            .join(Journey, col(Journey.id) == col(Referral.journey_id))
            .where(col(Referral.id) == referral_id)
        ).one_or_none()
        if row is None:
            raise NotFound(f"referral {referral_id} not found")
        return ReferralState(row[0], row[1])

    def of_client(self, session: Session, client_id: int) -> list[ReferralState]:
        rows = session.execute(
            select(Referral, Journey)
            .join(Journey, col(Journey.id) == col(Referral.journey_id))
            .where(col(Referral.client_id) == client_id)
            .order_by(col(Referral.id).desc())
        ).all()
        return [ReferralState(r, j) for r, j in rows]

    def inbox(
        self, session: Session, organisation_id: int, state: str | None = None
    ) -> tuple[list[ReferralState], dict[str, int]]:
        """Referrals to one organisation (newest first, optionally of one state) and the counts
        by state. Cancelled ones and those whose basis no longer holds are not listed."""
        from engine.access import referral_basis_holds

        base = (
            select(Referral, Journey)
            .join(Journey, col(Journey.id) == col(Referral.journey_id))
            .where(
                col(Referral.to_organisation_id) == organisation_id,
                col(Journey.state) != "cancelled",
                referral_basis_holds(),
            )
        )
        counts = {
            str(s): int(n)
            for s, n in session.execute(
                select(col(Journey.state), func.count())
                .select_from(Referral)
                .join(Journey, col(Journey.id) == col(Referral.journey_id))
                .where(
                    col(Referral.to_organisation_id) == organisation_id,
                    col(Journey.state) != "cancelled",
                    referral_basis_holds(),
                )
                .group_by(col(Journey.state))
            ).all()
        }
        if state is not None:
            base = base.where(col(Journey.state) == state)
        rows = session.execute(base.order_by(col(Referral.id).desc())).all()
        return [ReferralState(r, j) for r, j in rows], counts

    def history(
        self, session: Session, referral: Referral
    ) -> list[tuple[JourneyEvent, str | None]]:
        """The referral's events with the actor's display name, oldest first."""
        rows = session.execute(
            select(JourneyEvent, col(User.display_name))
            .outerjoin(User, col(User.id) == col(JourneyEvent.actor_id))
            .where(col(JourneyEvent.journey_id) == referral.journey_id)
            .order_by(col(JourneyEvent.seq))
        ).all()
        return [(e, name) for e, name in rows]
