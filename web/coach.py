"""The coach workspace (valmentajan työtila): caseload, client page, advancing a journey, the
contact log and client intake. HTML pages and forms; the engine holds every rule.

- ``GET /clients``: the caseload; rule ``caseload`` (rows from ``visible_clients``, one access
  row per client shown); ``clients/index.html``
- ``GET /clients/new``, ``POST /clients/new``: intake; rule ``create_client``; ``clients/new.html``
- ``GET /clients/{client_id}``: the client page; ``client:client_page``; ``clients/detail.html``
- ``POST /clients/{client_id}/advance``: ``client:advance``; ``clients/detail.html``
- ``POST /clients/{client_id}/contacts``: ``client:record_contact``; ``clients/detail.html``

htmx (docs/ui.md): a GET answers with the block named by ``HX-Target`` when the template has
one (the caseload's search swaps ``caseload_results``), else ``main``. Advancing answers htmx
with the actions block and, out of band, the diagram, the state and the timeline; recording a
contact with a fresh form and the timeline; a plain form post gets a 303 back to the client page.
Errors stay on the page: 422 (a reason or an outcome missing, a rule blocks) and 409 (someone
else moved the journey first) re-render the same blocks with the message and the current state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlmodel import col

from engine import audit, voice
from engine import qualifications as qualification_log
from engine.access import Basis, What, grants_for
from engine.aftercare import plan as aftercare_plan
from engine.bounds import Id
from engine.caseload import SHOW, CaseloadQuery, caseload
from engine.client_card import client_card
from engine.clients import (
    NewClient,
    PossibleDuplicate,
    latest_client_journey,
    possible_duplicates,
    register_client,
)
from engine.contacts import NewContact, pair_worker_choices, record_contact, timeline
from engine.dates import TooEarly
from engine.errors import (
    Conflict,
    GuardRejected,
    InputRequired,
    InvalidTransition,
    MovedElsewhere,
    PolkuError,
)
from engine.group_reads import client_groups
from engine.inputs import Checks, validated
from engine.journeys import AdvanceInput, require_confirmation
from engine.models import Client, ContactKind, Journey
from engine.participants import FOUND_VIA, FOUND_VIA_LABELS, prompts, set_found_via
from engine.pathway_keys import CLIENT_JOURNEY, REFERRAL
from engine.runtime import Runtime
from engine.step_line import side_moves, step_line, visited_states
from web import i18n
from web.admin_pages import service_type_labels
from web.deps import RuntimeDep, WriteSessionDep
from web.errors import page_router
from web.forms import Posted, attempt, form_text, respond, typed_values
from web.goal_board import goal_board
from web.security import CaseloadLister, ClientAccess, ClientCreator, client_rule
from web.templating import render, see_other, wants_fragment

router = page_router(tags=["pages"])

ClientPage = Annotated[ClientAccess, Depends(client_rule(What.client_page, by="client"))]
Advance = Annotated[ClientAccess, Depends(client_rule(What.advance, by="client"))]
ContactWork = Annotated[ClientAccess, Depends(client_rule(What.record_contact, by="client"))]

CLIENT_PAGE_BLOCKS = ("journey_actions", "journey_diagram", "client_state", "timeline")


def fragment_block(request: Request, blocks: tuple[str, ...]) -> str:
    """The block an htmx GET asked for (``HX-Target`` names a block of the page), else main.
    Decided as :func:`render` decides: a request that gets the whole page (no ``HX-Request``,
    a history restore, boosted) is "main" whatever ``HX-Target`` says, so that what a route
    logs always matches what it shows."""
    target = request.headers.get("hx-target", "")
    return target if target in blocks and wants_fragment(request) else "main"


# --- caseload -------------------------------------------------------------------------------------


@router.get("/clients", response_class=HTMLResponse, name="caseload")
def caseload_page(
    request: Request,
    principal: CaseloadLister,
    runtime: RuntimeDep,
    session: WriteSessionDep,
    q: Annotated[str, Query(max_length=100)] = "",
    state: Annotated[str, Query(max_length=64)] = "",
    municipality: Annotated[str, Query(max_length=3)] = "",
    show: Annotated[str, Query(max_length=20)] = "all",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """My clients (asiakkaani): state, last contact, follow-ups due; search, filters, pages."""
    pathway = runtime.pathways.latest(CLIENT_JOURNEY)
    query = CaseloadQuery(
        search=q.strip(),
        state=state if state in pathway.states else "",
        municipality=municipality if municipality in runtime.municipalities else "",
        show=show if show in SHOW else "all",
        page=page,
    )
    today = runtime.clock.today()
    flags = runtime.caseload_flags
    result = caseload(session, principal, query, today, flags=flags)
    basis = grants_for(principal, What.caseload)[0].basis
    audit.record_accesses(
        session,
        principal=principal,
        client_ids=[r.client_id for r in result.rows],
        what=What.caseload,
        basis=basis,
        at=runtime.clock.now(),
    )
    municipalities = sorted_municipalities(runtime, i18n.request_language(request))
    return render(
        request,
        "clients/index.html",
        {
            "result": result,
            "query": query,
            "today": today,
            "zone": runtime.clock.zone,
            "pathway": pathway,
            "municipalities": municipalities,
            "municipality_names": dict(municipalities),
            "flags": flags,
            "page_url": page_url(query),
        },
        block=fragment_block(request, ("caseload_results",)),
    )


def page_url(query: CaseloadQuery) -> Callable[[int], str]:
    """The caseload URL of another page with the same search and filters."""

    def url(page: int) -> str:
        params = {
            "q": query.search,
            "state": query.state,
            "municipality": query.municipality,
            "show": query.show if query.show != "all" else "",
            "page": str(page) if page > 1 else "",
        }
        encoded = urlencode({k: v for k, v in params.items() if v})
        return "/clients" + (f"?{encoded}" if encoded else "")

    return url


def sorted_municipalities(runtime: Runtime, language: str) -> list[tuple[str, str]]:
    return sorted(
        ((code, m.label(language)) for code, m in runtime.municipalities.items()),
        key=lambda item: item[1],
    )


# --- intake ---------------------------------------------------------------------------------------


@dataclass
class IntakeForm:
    """The intake form's values as typed (strings), so a form with errors shows them again."""

    first_name: str = ""
    last_name: str = ""
    birth_date: str = ""
    municipality_code: str = ""
    phone: str = ""
    email: str = ""
    participation_consent: bool = False
    #: How the client was found (engine.participants.FOUND_VIA), reported to the funder.
    found_via: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    #: Clients the coach may see with the same birth date and a similar name: asked about
    #: before saving (engine.clients.possible_duplicates).
    duplicates: list[PossibleDuplicate] = field(default_factory=list)


def intake_page(
    request: Request, runtime: Runtime, form: IntakeForm, status_code: int = 200
) -> HTMLResponse:
    municipalities = sorted_municipalities(runtime, i18n.request_language(request))
    return render(
        request,
        "clients/new.html",
        {
            "form": form,
            "municipalities": municipalities,
            "municipality_names": dict(municipalities),
            "today": runtime.clock.today(),
            "found_via_labels": FOUND_VIA_LABELS,
        },
        status_code=status_code,
    )


@router.get("/clients/new", response_class=HTMLResponse, name="intake")
def intake_form(request: Request, _principal: ClientCreator, runtime: RuntimeDep) -> Response:
    """Record a new outreach contact (etsivän työn kontakti), engaged or not."""
    return intake_page(request, runtime, IntakeForm())


#: The intake form's fields (engine.clients.NewClient).
INTAKE_FIELDS = tuple(NewClient.model_fields)


@router.post("/clients/new", name="intake_submit")
def intake_submit(
    request: Request,
    principal: ClientCreator,
    runtime: RuntimeDep,
    session: WriteSessionDep,
    posted: Posted,
) -> Response:
    """Record the client; every rule is :class:`engine.clients.NewClient`'s, as for the API."""
    values = typed_values(posted, INTAKE_FIELDS)
    now = runtime.clock.now()
    checks = Checks(today=runtime.clock.today(), municipalities=runtime.municipalities)

    def text(name: str) -> str:
        return values.get(name, "").strip()

    form = IntakeForm(
        first_name=text("first_name"),
        last_name=text("last_name"),
        birth_date=text("birth_date"),
        municipality_code=text("municipality_code"),
        phone=text("phone"),
        email=text("email"),
        participation_consent=bool(values.get("participation_consent")),
        found_via=form_text(posted, "found_via")[:32],
    )
    checked = attempt(session, lambda: validated(NewClient, values, checks))
    new = checked.result
    if new is not None and form_text(posted, "not_a_duplicate") != "yes":
        form.duplicates = possible_duplicates(
            session,
            principal,
            first_name=new.first_name,
            last_name=new.last_name,
            birth_date=new.birth_date,
            today=checks.today,
        )
        if form.duplicates:  # ask first; showing them is a view of their data
            audit.record_accesses(
                session,
                principal=principal,
                client_ids=[d.client_id for d in form.duplicates],
                what=What.caseload,
                basis=grants_for(principal, What.caseload)[0].basis,
                at=now,
            )
            return intake_page(request, runtime, form)

    def register() -> int:
        if form.found_via and form.found_via not in FOUND_VIA:
            raise InputRequired("found_via", "not one of the ways a client is found")
        client, _journey = register_client(
            session,
            runtime.journeys,
            principal,
            values,
            municipalities=runtime.municipalities,
            now=now,
            today=checks.today,
        )
        assert client.id is not None
        set_found_via(session, client.id, form.found_via or None)
        audit.record_access(
            session,
            principal=principal,
            client_id=client.id,
            what=What.client,
            basis=Basis.care_team,
            at=now,
        )
        return client.id

    done = attempt(session, register) if new is not None else checked
    if done.ok:
        return see_other(f"/clients/{done.result}")
    form.errors = dict(done.errors)
    return intake_page(request, runtime, form, status_code=done.status)


# --- client page ----------------------------------------------------------------------------------


@dataclass
class ActionError:
    """What went wrong with the last advance, shown next to the actions."""

    kind: str  # "conflict" | "invalid" | "input" | "blocked" | "moved_elsewhere"
    trigger: str = ""
    #: The input the pathway asks for and did not get ("reason", "outcome").
    missing: str = ""
    verdicts: list[Any] = field(default_factory=list)


def client_context(
    request: Request,
    view: ClientAccess,
    runtime: Runtime,
    *,
    error: ActionError | None = None,
    contact_errors: dict[str, str] | None = None,
    contact_values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the client page shows, read in the view's transaction."""
    session = view.session
    client = session.get(Client, view.client_id)
    assert client is not None  # the access rule found it
    journey = latest_client_journey(session, view.client_id)
    language = i18n.request_language(request)
    today = runtime.clock.today()
    options: list[Any] = []
    pathway = None
    steps = None
    if journey is not None and journey.id is not None:
        pathway = runtime.journeys.pathway_of(journey)
        options = runtime.journeys.available(
            session, journey, client, actor_id=view.principal.user_id, today=today
        )
        steps = step_line(pathway, journey.state, visited_states(session, journey.id))
    referral_journeys = session.execute(
        select(func.count())
        .select_from(Journey)
        .where(col(Journey.client_id) == view.client_id, col(Journey.pathway_key) == REFERRAL)
    ).scalar_one()
    municipality = runtime.municipalities.get(client.municipality_code)
    gas = goal_board(
        session, view.client_id, rho=runtime.settings.gas_rho, today=today, zone=runtime.clock.zone
    )
    return {
        "client": client,
        "journey": journey,
        "pathway": pathway,
        "options": options,
        # the step line ("olet tässä") and the header card (engine/step_line.py, client_card.py)
        "steps": steps,
        "side_moves": side_moves(pathway) if pathway else frozenset(),
        "card": client_card(session, client, today),
        "timeline": timeline(
            session,
            view.client_id,
            instruments=runtime.instruments,
            gas_points=gas.points,  # read once for the goal board and the timeline
        ),
        "pathway_labels": {p.key: p for p in runtime.pathways},
        "municipality": municipality.label(language) if municipality else client.municipality_code,
        "referral_journeys": referral_journeys,
        "error": error,
        "contact_kinds": list(ContactKind),
        "contact_errors": contact_errors or {},
        "contact_values": contact_values or {},
        "contact_early": None,
        "next_contact_max_days": runtime.settings.next_contact_max_days,
        "contact_saved": False,
        "advanced": None,
        "today": today,
        # GAS goals (web/goal_pages.py, clients/_goals.html)
        "gas": gas,
        # the language switcher returns here, also from a POST answer (422, 409)
        "page_path": f"/clients/{view.client_id}",
        # groups (web/group_pages.py): the client's memberships, the groups to invite them to
        "groups": client_groups(session, view.principal, view.client_id, today),
        "group_error": "",
        "group_invited": False,
        # pair work: who can be named as the second worker of a contact
        "pair_workers": pair_worker_choices(
            session,
            view.client_id,
            view.principal.user_id,
            organisation_id=client.organisation_id,
        ),
        # qualifications and cards (clients/_assessments.html; edited on the strengths page)
        "qualifications": qualification_log.qualifications(session, view.client_id),
        # the client's voice (web/voice_pages.py): roles valid today, how much feedback
        "voice": {
            "roles": [
                r for r in voice.roles_of(session, view.client_id) if voice.valid_on(r, today)
            ],
            "feedback": voice.count_feedback(session, view.client_id),
        },
        # ESF+ participant data (web/report_pages.py): the forms due now
        "esf_prompts": prompts(session, view.client_id, journey.state if journey else None, today),
        # aftercare check-ins after a follow-on pathway started (engine/aftercare.py)
        "aftercare": aftercare_plan(session, view.client_id, runtime.aftercare)
        if runtime.aftercare
        else None,
        "service_type_labels": service_type_labels,  # called while rendering (its language)
    }


@router.get("/clients/{client_id}", response_class=HTMLResponse, name="client")
def client_page(
    request: Request,
    client_id: Id,
    view: ClientPage,
    runtime: RuntimeDep,
    contact: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """The client: profile, the journey as a diagram, actions and "why not?", contacts,
    timeline. ``?contact=aftercare`` opens the contact form on an aftercare check-in."""
    preset = {"kind": contact} if contact == ContactKind.aftercare.value else None
    return render(
        request,
        "clients/detail.html",
        client_context(request, view, runtime, contact_values=preset),
        block=fragment_block(request, (*CLIENT_PAGE_BLOCKS, "contact_form")),
    )


@router.post("/clients/{client_id}/advance", name="advance")
def advance(
    request: Request, client_id: Id, work: Advance, runtime: RuntimeDep, posted: Posted
) -> Response:
    """Move the client journey on; the engine checks the rules (``Journeys.advance``). An
    irreversible step (close, drop out) needs ``confirm=yes`` (a required checkbox)."""
    session = work.session
    values = typed_values(posted, ("trigger", "expected_version", "reason", "outcome"))
    trigger = values.get("trigger", "")[:64]
    confirmed = form_text(posted, "confirm") == "yes"

    def move() -> None:
        journey = latest_client_journey(session, client_id)
        if journey is None or journey.id is None:
            raise InvalidTransition(trigger, "none", [])
        step = validated(AdvanceInput, values, Checks.of(runtime.clock))
        require_confirmation(step.trigger, confirmed)
        runtime.journeys.advance(
            session,
            journey.id,
            step.trigger,
            actor_id=work.principal.user_id,
            reason=step.reason,
            outcome=step.outcome,
            expected_version=step.expected_version,
            at=runtime.clock.now(),
        )

    done = attempt(session, move)

    def context() -> dict[str, Any]:
        found = client_context(request, work, runtime, error=action_error(done.error, trigger))
        found["advanced"] = trigger if done.ok else None
        return found

    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}",
        template="clients/detail.html",
        context=context,
        block="journey_actions",
        oob=("journey_diagram", "client_state", "timeline"),
    )


def action_error(exc: PolkuError | None, trigger: str) -> ActionError | None:
    """What the client page says about a failed advance."""
    if exc is None:
        return None
    if isinstance(exc, Conflict):
        return ActionError("conflict", trigger)
    if isinstance(exc, MovedElsewhere):  # refer & co. happen only through a referral
        return ActionError("moved_elsewhere", trigger)
    if isinstance(exc, GuardRejected):
        return ActionError("blocked", trigger, verdicts=exc.denied)
    if isinstance(exc, InputRequired):
        return ActionError("input", trigger, missing=exc.field)
    return ActionError("invalid", trigger)


#: The contact form's fields (engine.contacts.NewContact).
CONTACT_FIELDS = tuple(NewContact.model_fields)


@router.post("/clients/{client_id}/contacts", name="record_contact")
def add_contact(
    request: Request, client_id: Id, work: ContactWork, runtime: RuntimeDep, posted: Posted
) -> Response:
    """Record a contact of individual work (kontakti): how, when, how long, note, follow-up."""
    values = typed_values(posted, CONTACT_FIELDS)
    done = attempt(
        work.session,
        lambda: record_contact(
            work.session,
            client_id=client_id,
            coach_id=work.principal.user_id,
            contact=values,
            checks=Checks.of(runtime.clock),
            next_contact_max_days=runtime.settings.next_contact_max_days,
        ),
    )

    def context() -> dict[str, Any]:
        if done.ok:
            return {**client_context(request, work, runtime), "contact_saved": True}
        context = client_context(
            request, work, runtime, contact_errors=done.errors, contact_values=values
        )
        # engine.dates.TooEarly: before the client's birth or record; the page says which
        if isinstance(done.error, TooEarly):
            context["contact_early"] = done.error
        return context

    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}",
        template="clients/detail.html",
        context=context,
        block="contact_form",
        oob=("timeline", "client_next_contact", "aftercare"),
        failed_oob=(),
    )
