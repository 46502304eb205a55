"""Referral pages (HTMX, server-rendered): the partner workspace and the coach's referrals page.

- ``/partner/referrals``: the inbox of referrals to my organisation, by status with counts, overdue
  ones flagged; accept / reject with a reason inline (htmx answers with the list and the counts
  out of band; a plain form post gets a 303 and works without JavaScript). No client data.
- ``/partner/referrals/{id}``: one referral, showing ONLY the packet; move it on with a note.
- ``/clients/{id}/referrals``: the coach sends a referral (eligible targets from the plugins, why
  not for blocked ones, consent or statutory basis, packet fields, handoff note), records and
  revokes consents, and sees each referral's status changes (who, when, why).

Access rules as in the JSON API (web/api/referrals.py); every client-data page writes one
access-log row through its rule. The logic is in :mod:`engine.referrals`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from engine import consents, partner_catalogue
from engine import notifications as notices
from engine.access import What
from engine.bounds import Id
from engine.clock import as_utc
from engine.consents import EVIDENCE, PACKET_FIELDS
from engine.errors import Conflict, GuardRejected, InputRequired, InvalidTransition
from engine.journeys import IRREVERSIBLE, require_confirmation
from engine.models import Client, Organisation, OrganisationKind
from engine.pathway_keys import REFERRAL
from engine.referrals import ReferralBlocked, ReferralState
from web import i18n
from web.deps import ReadSessionDep, RuntimeDep, SubmittedForm, WriteSessionDep
from web.errors import page_router
from web.forms import attempt, form_text, respond, whole_number
from web.security import ClientAccess, CurrentUser, PartnerWorker, client_rule, referral_rule
from web.templating import render, see_other

router = page_router(tags=["referral pages"])

ReferralsPage = Annotated[ClientAccess, Depends(client_rule(What.referrals, by="client"))]
ReferForm = Annotated[ClientAccess, Depends(client_rule(What.refer, by="client"))]
ConsentForm = Annotated[ClientAccess, Depends(client_rule(What.consent, by="client"))]
PacketPage = Annotated[ClientAccess, Depends(referral_rule(What.referral))]
WorkForm = Annotated[ClientAccess, Depends(referral_rule(What.referral_work))]
CancelForm = Annotated[ClientAccess, Depends(referral_rule(What.cancel_referral))]

#: Inbox tabs, in order.
INBOX_STATES = (
    "requested",
    "accepted",
    "in_progress",
    "on_hold",
    "completed",
    "failed",
    "rejected",
)


def field_labels() -> dict[str, str]:
    """Packet field names in the UI language (gettext at call time)."""
    _ = i18n.gettext
    return {
        "name": _("Name"),
        "contact": _("Contact details"),
        "birth_date": _("Date of birth"),
        "facts": _("Assessment summary (recorded facts)"),
        "goals": _("Goals"),
        "handoff_note": _("Handoff note"),
    }


def evidence_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {"verbal": _("Verbally"), "written": _("In writing"), "electronic": _("Electronically")}


def _text(form: FormData, name: str) -> str | None:
    return form_text(form, name) or None


def _int(form: FormData, name: str) -> int | None:
    return whole_number(form_text(form, name))


def _error_text(exc: Exception) -> str:
    _ = i18n.gettext
    if isinstance(exc, GuardRejected):
        reasons = [
            v.text(i18n.current_language()) + (f" ({v.legal_source})" if v.legal_source else "")
            for v in exc.denied
        ]
        return _("A rule blocks this:") + " " + "; ".join(reasons)
    if isinstance(exc, InputRequired) and exc.field == "reason":
        return _("Please give a reason.")
    if isinstance(exc, InputRequired) and exc.field == "outcome":
        return _("Please choose an outcome.")
    if isinstance(exc, InputRequired) and exc.field == "confirm":
        return _("This step cannot be undone. Tick the confirmation and try again.")
    if isinstance(exc, InputRequired) and exc.field in {"consent_id", "statutory_basis"}:
        return _("A referral needs the client's valid consent or a statutory basis.")
    if isinstance(exc, InputRequired) and exc.field == "fields":
        return _("The chosen fields are outside the consent's scope.")
    if isinstance(exc, Conflict):
        return _("Someone else changed this referral first. Reload the page.")
    if isinstance(exc, ReferralBlocked):
        return _(
            "A referral to a follow-on pathway cannot be sent from the client journey's current "
            "state. Move the journey to group or individual work first."
        )
    if isinstance(exc, InputRequired) and exc.field == "target_key":
        return _("Choose a service.")
    if isinstance(exc, InputRequired) and exc.field in {"purpose", "evidence", "scope"}:
        return _("Fill in the consent: its purpose and how it was given.")
    if isinstance(exc, InvalidTransition):
        return _("That step is not possible now.")
    return _("Please check the form.")


# --- partner --------------------------------------------------------------------------------------


def _inbox_context(
    runtime: RuntimeDep, session: Any, organisation_id: Id, state: str | None
) -> dict[str, Any]:
    found, counts = runtime.referrals.inbox(session, organisation_id, state)
    now = as_utc(runtime.clock.now())
    pathway = runtime.pathways.latest(REFERRAL)
    return {
        "referrals": found,
        "counts": counts,
        "states": INBOX_STATES,
        "state": state,
        "labels": {name: s.label for name, s in pathway.states.items()},
        "overdue": {f.referral.id: f.overdue(now) for f in found},
        "error": None,
    }


@router.get("/partner/referrals", response_class=HTMLResponse, name="partner_inbox")
def partner_inbox(
    request: Request,
    principal: PartnerWorker,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    state: str | None = None,
) -> Response:
    """Referrals to my organisation by status, with counts; overdue ones flagged."""
    assert principal.organisation_id is not None
    state = state if state in INBOX_STATES else None
    context = _inbox_context(runtime, session, principal.organisation_id, state)
    return render(request, "partner/inbox.html", context)


def _detail_context(runtime: RuntimeDep, view: ClientAccess, referral_id: Id) -> dict[str, Any]:
    found = runtime.referrals.get(view.session, referral_id)
    pathway = runtime.pathways.latest(REFERRAL)
    # the moves from here, from the pathway itself: the partner's page never loads the client
    moves = [pathway.transition(t, found.state) for t in pathway.triggers_from(found.state)]
    return {
        "found": found,
        "history": runtime.referrals.history(view.session, found.referral),
        "labels": {name: s.label for name, s in pathway.states.items()},
        "outcome_labels": pathway.definition.outcomes,
        "moves": [m for m in moves if m is not None and m.trigger != "cancel"],
        "fields": field_labels(),
        "overdue": found.overdue(as_utc(runtime.clock.now())),
        "sender": _sender(view.session, found),
        "irreversible": IRREVERSIBLE,
        "error": None,
        "failed": None,
    }


def _sender(session: Any, found: ReferralState) -> dict[str, str]:
    """Who sent the referral and how to reach them: the coach's name and organisation."""
    from engine.models import User

    referral = found.referral
    coach = session.get(User, referral.created_by) if referral.created_by else None
    organisation = (
        session.get(Organisation, referral.from_organisation_id)
        if referral.from_organisation_id
        else None
    )
    return {
        "name": coach.display_name if coach else "",
        "organisation": organisation.name if organisation else "",
    }


@router.get(
    "/partner/referrals/{referral_id}", response_class=HTMLResponse, name="partner_referral"
)
def partner_referral(
    request: Request, referral_id: Id, view: PacketPage, runtime: RuntimeDep
) -> Response:
    """One referral: the packet (only what was disclosed) and its status; move it on."""
    return render(request, "partner/referral.html", _detail_context(runtime, view, referral_id))


@router.post("/partner/referrals/{referral_id}/advance", name="partner_advance")
def partner_advance(
    request: Request, submitted: SubmittedForm, referral_id: Id, work: WorkForm, runtime: RuntimeDep
) -> Response:
    """Accept, reject (reason), start work, hold (reason), complete / fail (outcome and note,
    confirmed: they cannot be undone), all on the referral page: htmx gets its status block, a
    plain form post a 303."""
    trigger = _text(submitted, "trigger") or ""

    def move() -> None:
        require_confirmation(trigger, _text(submitted, "confirm") == "yes")
        runtime.referrals.advance(
            work.session,
            work.principal,
            referral_id,
            trigger,
            reason=_text(submitted, "reason"),
            outcome=_text(submitted, "outcome"),
            expected_version=_int(submitted, "expected_version"),
            now=runtime.clock.now(),
        )

    done = attempt(work.session, move)

    def context() -> dict[str, Any]:
        found = _detail_context(runtime, work, referral_id)
        found["error"], found["failed"] = None, None
        if done.error is not None:
            with i18n.use_language(i18n.request_language(request)):
                found["error"] = _error_text(done.error)
            found["failed"] = {"trigger": trigger, "form": submitted}
        return found

    return respond(
        request,
        done,
        redirect_to=f"/partner/referrals/{referral_id}",
        template="partner/referral.html",
        context=context,
        block="referral_status",
    )


# --- coach ----------------------------------------------------------------------------------------


def _coach_context(runtime: RuntimeDep, view: ClientAccess, client_id: Id) -> dict[str, Any]:
    from sqlalchemy import select
    from sqlmodel import col

    session = view.session
    options = runtime.referral_options.of_client(session, client_id, today=runtime.clock.today())
    services = {s.target_key: s for s in partner_catalogue.services(session)}
    partners = {
        o.id: o.name
        for o in session.execute(
            select(Organisation).where(col(Organisation.kind) == OrganisationKind.partner.value)
        ).scalars()
    }
    pathway = runtime.pathways.latest(REFERRAL)
    referrals: list[tuple[ReferralState, list[Any]]] = [
        (found, runtime.referrals.history(session, found.referral))
        for found in runtime.referrals.of_client(session, client_id)
    ]
    now = as_utc(runtime.clock.now())
    client = session.get(Client, client_id)
    return {
        "client_id": client_id,
        "client_name": f"{client.first_name} {client.last_name}" if client else "",
        "options": options,
        "services": services,
        "partners": partners,
        "consents": consents.consents_of(session, client_id),
        "referrals": referrals,
        "overdue": {f.referral.id: f.overdue(now) for f, _h in referrals},
        "labels": {name: s.label for name, s in pathway.states.items()},
        "outcome_labels": pathway.definition.outcomes,
        "fields": field_labels(),
        "field_names": PACKET_FIELDS,
        "evidence": evidence_labels(),
        "evidence_names": EVIDENCE,
        "targets": {o.target.key: dict(o.target.label) for o in options},
        "error": None,
        "error_field": None,
        "typed": None,
        "follow_on_types": partner_catalogue.FOLLOW_ON_TYPES,
        "statutory_bases": runtime.statutory_bases.valid_on(runtime.clock.today()),
    }


@router.get("/clients/{client_id}/referrals", response_class=HTMLResponse, name="referrals")
def client_referrals(
    request: Request, client_id: Id, view: ReferralsPage, runtime: RuntimeDep
) -> Response:
    """The client's referrals with each status change, consents, and the form to refer."""
    with i18n.use_language(i18n.request_language(request)):
        context = _coach_context(runtime, view, client_id)
    return render(request, "referrals/client.html", context)


def _coach_post(
    request: Request,
    submitted: SubmittedForm,
    access: ClientAccess,
    runtime: RuntimeDep,
    client_id: Id,
    action: Any,
    form_name: str = "",
) -> Response:
    """Run ``action`` with the posted form through :func:`web.forms.attempt`: a 303 back to
    the referrals page (htmx: its main block) when it worked; otherwise the page with the
    reason, the field marked and every typed value kept, with the error's status (409 for a
    move the state does not allow, 422 for input)."""
    form = submitted
    done = attempt(access.session, lambda: action(form))

    def context() -> dict[str, Any]:
        with i18n.use_language(i18n.request_language(request)):
            found = _coach_context(runtime, access, client_id)
            if done.error is not None:
                found["error"] = _error_text(done.error)
                found["error_field"] = getattr(done.error, "field", None)
                # every typed value comes back: the service, the ticked fields, the texts
                found["typed"] = {
                    "form": form_name,
                    "data": {k: form.get(k) for k in form},
                    "fields": [str(f) for f in form.getlist("fields")],
                    "scope": [str(f) for f in form.getlist("scope")],
                }
        return found

    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}/referrals",
        template="referrals/client.html",
        context=context,
        block="main",
    )


@router.post("/clients/{client_id}/referrals", name="refer")
def refer(
    request: Request, submitted: SubmittedForm, client_id: Id, work: ReferForm, runtime: RuntimeDep
) -> Response:
    """Send a referral from the form (303 back to the page; 422 with the reason on a refusal)."""

    def send(form: FormData) -> None:
        now = runtime.clock.now()
        target_key = _text(form, "target_key") or ""
        fields = [str(f) for f in form.getlist("fields")]
        consent_id = _int(form, "consent_id")
        if _text(form, "new_consent") == "yes":
            # the consent asked within the referral step: to the service's organisation,
            # covering the chosen fields, recorded in the same transaction as the referral
            service = partner_catalogue.service_of(work.session, target_key)
            consent_id = consents.record_consent(
                work.session,
                work.principal,
                client_id,
                organisation_id=service.organisation_id if service else 0,
                scope=fields,
                purpose=_text(form, "consent_purpose") or "",
                evidence=_text(form, "consent_evidence") or "",
                given_at=now,
                now=now,
            ).id
        runtime.referrals.refer(
            work.session,
            work.principal,
            client_id,
            target_key=target_key,
            fields=fields,
            consent_id=consent_id,
            statutory_basis=_text(form, "statutory_basis"),
            goals=_text(form, "goals"),
            handoff_note=_text(form, "handoff_note"),
            now=now,
            today=runtime.clock.today(),
        )

    return _coach_post(request, submitted, work, runtime, client_id, send, "refer")


@router.post("/clients/{client_id}/consents", name="give_consent")
def consent(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    work: ConsentForm,
    runtime: RuntimeDep,
) -> Response:
    """Record a consent from the form."""

    def give(form: FormData) -> None:
        now = runtime.clock.now()
        consents.record_consent(
            work.session,
            work.principal,
            client_id,
            organisation_id=_int(form, "organisation_id") or 0,
            scope=[str(f) for f in form.getlist("scope")],
            purpose=_text(form, "purpose") or "",
            evidence=_text(form, "evidence") or "",
            given_at=now,
            now=now,
        )

    return _coach_post(request, submitted, work, runtime, client_id, give, "consent")


@router.post("/clients/{client_id}/consents/{consent_id}/revoke", name="revoke_consent")
def revoke(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    consent_id: Id,
    work: ConsentForm,
    runtime: RuntimeDep,
) -> Response:
    """Revoke a consent: the partner's access ends at once."""

    def drop(_form: FormData) -> None:
        consents.revoke_consent(
            work.session, work.principal, client_id, consent_id, runtime.clock.now()
        )

    return _coach_post(request, submitted, work, runtime, client_id, drop)


@router.post("/referrals/{referral_id}/cancel", name="cancel_referral")
def cancel(
    request: Request,
    submitted: SubmittedForm,
    referral_id: Id,
    work: CancelForm,
    runtime: RuntimeDep,
) -> Response:
    """The coach cancels a referral with a reason (303 back to the client's referrals page)."""

    def drop(form: FormData) -> None:
        runtime.referrals.advance(
            work.session,
            work.principal,
            referral_id,
            "cancel",
            reason=_text(form, "reason"),
            expected_version=_int(form, "expected_version"),
            now=runtime.clock.now(),
        )

    return _coach_post(request, submitted, work, runtime, work.client_id, drop)


# --- notifications --------------------------------------------------------------------------------


def notification_labels() -> dict[str, str]:
    _ = i18n.gettext
    return {
        "referral_received": _("A new referral"),
        "referral_cancelled": _("A referral was cancelled"),
        "referral_expired": _("A referral is overdue"),
        "referral_accepted": _("A referral was accepted"),
        "referral_rejected": _("A referral was rejected"),
        "referral_completed": _("A referral was completed"),
        "referral_failed": _("A referral failed"),
    }


@router.get("/notifications", response_class=HTMLResponse, name="notifications")
def notifications(
    request: Request, auth: CurrentUser, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """My notifications, newest first (ids and codes only: no client data)."""
    found = notices.notifications_of(session, auth.principal.user_id)
    ids = [n.referral_id for n in found if n.referral_id is not None]
    partner = auth.principal.role == "partner"
    clients = {} if partner else notices.referral_clients(session, ids)
    links = {
        n.id: (
            f"/partner/referrals/{n.referral_id}"
            if partner
            else f"/clients/{clients[n.referral_id]}/referrals"
        )
        for n in found
        if n.referral_id is not None and (partner or n.referral_id in clients)
    }
    with i18n.use_language(i18n.request_language(request)):
        labels = notification_labels()
    services = notices.referral_services(session, ids)
    context = {"notifications": found, "links": links, "kinds": labels, "services": services}
    return render(request, "notifications.html", context)


@router.post("/notifications/read", name="notifications_read")
def notifications_read(
    request: Request, auth: CurrentUser, runtime: RuntimeDep, session: WriteSessionDep
) -> Response:
    """Mark my notifications read (303 back to the list)."""
    notices.mark_read(session, auth.principal.user_id, runtime.clock.now())
    return see_other("/notifications")
