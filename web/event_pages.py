"""Event pages (tapahtumat; server-rendered, plain forms that work on a phone). The logic is in
:mod:`engine.events`, the attendance rules in :mod:`engine.attendance`.

- ``GET /events``: the events I created or lead (a coordinator: those of my organisation);
  rule ``event_list``; counts only, no client data. ``events/index.html``
- ``GET``, ``POST /events/new``: create an event (kind, title, leader or outside expert, place
  or remote, the first session and how many weekly ones); rule ``create_event``.
- ``GET /events/{id}``: the sessions, the participants with their attendance rate (held
  sessions only) and the attendance forms; rule ``event:event``, one access-log row per
  participant shown. ``?q=`` searches my own clients to add (the caseload's search, one
  ``caseload`` row per client shown).
- ``POST /events/{id}/participants``: add one of my clients; rule ``event:event_work`` and the
  client's care team (``What.event_invite``).
- ``POST /events/{id}/attendance``: one participant at one session: present, or absent with a
  reason and whether they told us; rule ``event:event_work``.
- ``POST /events/{id}/sessions/{sid}/cancel``: cancel a session not yet held.

A plain post gets a 303 back to the page; an error re-renders it with 409/422, nothing written.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine import audit
from engine.access import Basis, What, grants_for
from engine.bounds import Id
from engine.caseload import CaseloadQuery, CaseloadRow, caseload
from engine.clock import as_utc
from engine.errors import InputRequired
from engine.events import (
    EventDetail,
    add_participant,
    cancel_session,
    create_event,
    event_detail,
    events_of,
    leader_choices,
    mark_attendance,
)
from engine.inputs import Checks
from engine.models import AbsenceReason, EventKind, Role
from engine.runtime import Runtime
from web import i18n
from web.coach import sorted_municipalities
from web.deps import ReadSessionDep, RuntimeDep, SubmittedForm, WriteSessionDep
from web.errors import page_router
from web.forms import Attempt, attempt, form_text, typed_values, whole_number
from web.security import EventAccess, EventCreator, EventLister, event_rule
from web.templating import render, see_other

router = page_router(tags=["pages"])

EventPage = Annotated[EventAccess, Depends(event_rule(What.event))]
EventWork = Annotated[EventAccess, Depends(event_rule(What.event_work))]
ScheduleWork = Annotated[EventAccess, Depends(event_rule(What.event_work, name="event_schedule"))]

#: The new-event form's fields (as the engine's NewEvent names them).
EVENT_FIELDS = (
    "kind",
    "title",
    "municipality_code",
    "leader_id",
    "expert_name",
    "expert_organisation",
    "place",
    "first_at",
    "sessions",
)
#: How many of my clients a participant search shows.
CANDIDATES = 10


@router.get("/events", response_class=HTMLResponse, name="events")
def events_page(
    request: Request, principal: EventLister, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """The events I created or lead (coordinators: those of their organisation)."""
    return render(
        request,
        "events/index.html",
        {
            "events": events_of(session, principal, runtime.clock.now()),
            "can_create": principal.role == Role.coach,
        },
    )


def new_event_page(
    request: Request,
    runtime: Runtime,
    session: Any,
    principal: Any,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "events/new.html",
        {
            "form": values,
            "errors": errors or {},
            "kinds": list(EventKind),
            "municipalities": sorted_municipalities(runtime, i18n.request_language(request)),
            "leaders": leader_choices(session, principal),
        },
        status_code=status_code,
    )


@router.get("/events/new", response_class=HTMLResponse, name="new_event")
def new_event(
    request: Request, principal: EventCreator, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """Create an event: kind, title, who leads it, where and when."""
    values = {"kind": EventKind.expert_session.value, "sessions": "1", "leader": "staff"}
    values["leader_id"] = str(principal.user_id)
    return new_event_page(request, runtime, session, principal, values)


@router.post("/events/new", name="new_event_submit")
def new_event_submit(
    request: Request,
    submitted: SubmittedForm,
    principal: EventCreator,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    values = typed_values(submitted, (*EVENT_FIELDS, "first_date", "first_time", "leader"))
    values["remote"] = "1" if form_text(submitted, "remote") == "1" else ""
    given: dict[str, Any] = {k: v for k, v in values.items() if k in EVENT_FIELDS}
    given["remote"] = bool(values["remote"])
    if values.get("first_date"):
        given["first_at"] = f"{values['first_date']}T{values.get('first_time') or '00:00'}"
    # the form chooses one: a staff leader or an outside expert
    if values.get("leader") == "expert":
        given.pop("leader_id", None)
    else:
        given.pop("expert_name", None)
        given.pop("expert_organisation", None)
    done: Attempt[Any] = attempt(
        session,
        lambda: create_event(
            session,
            principal,
            given,
            checks=Checks.of(runtime.clock, runtime.municipalities),
            holidays=runtime.holidays,
        ),
        fields={"first_at": "first_date"},
    )
    if done.result is not None:
        return see_other(f"/events/{done.result.id}")
    return new_event_page(
        request, runtime, session, principal, values, done.errors, status_code=done.status
    )


# --- one event ------------------------------------------------------------------------------------


def event_context(
    request: Request,
    access: EventAccess,
    runtime: Runtime,
    *,
    record: bool = True,
    logged: int | None = None,
    notice: str = "",
    errors: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Everything the event page shows; ``record`` logs one access-log row per participant
    shown but ``logged`` (whose row the route wrote already)."""
    session = access.session
    session.expire_all()
    now = runtime.clock.now()
    detail = event_detail(session, access.event_id, now, runtime.clock.zone)
    if record:
        access.record(
            runtime,
            [p.client.id for p in detail.participants if p.client.id not in (None, logged)],
        )
    zone = runtime.clock.zone
    today = runtime.clock.today()
    municipality = runtime.municipalities.get(detail.event.municipality_code)
    language = i18n.request_language(request)
    return {
        "detail": detail,
        "event": detail.event,
        "municipality": municipality.label(language) if municipality else "",
        "works": access.what == What.event_work or access.basis == Basis.event_leader,
        "markable": {
            s.id: s.cancelled_at is None and as_utc(s.starts_at).astimezone(zone).date() <= today
            for s in detail.sessions
        },
        "cancellable": {
            s.id: s.cancelled_at is None and as_utc(s.starts_at) > now for s in detail.sessions
        },
        "now": now,
        "reasons": list(AbsenceReason),
        "candidates": None,
        "q": "",
        "notice": notice,
        "errors": errors or {},
    }


def candidates(
    access: EventAccess, runtime: Runtime, detail: EventDetail, q: str
) -> list[CaseloadRow] | None:
    """A leader's search of their own clients to add, the participants left out; None without a
    search. One access-log row per client shown."""
    if access.basis != Basis.event_leader or len(q.strip()) < 2:
        return None
    result = caseload(
        access.session, access.principal, CaseloadQuery(search=q.strip()), runtime.clock.today()
    )
    taking_part = {p.client.id for p in detail.participants}
    found = [r for r in result.rows if r.client_id not in taking_part][:CANDIDATES]
    audit.record_accesses(
        access.session,
        principal=access.principal,
        client_ids=[r.client_id for r in found],
        what=What.caseload,
        basis=grants_for(access.principal, What.caseload)[0].basis,
        at=runtime.clock.now(),
    )
    return found


@router.get("/events/{event_id}", response_class=HTMLResponse, name="event")
def event_page(
    request: Request,
    event_id: Id,
    view: EventPage,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The event: sessions, participants with their rates, attendance; ``q`` searches my
    clients to add."""
    context = event_context(request, view, runtime)
    context["candidates"] = candidates(view, runtime, context["detail"], q)
    context["q"] = q
    return render(request, "events/detail.html", context)


def _answer(
    request: Request,
    work: EventAccess,
    runtime: Runtime,
    done: Attempt[Any],
    *,
    anchor: str,
    logged: int | None,
    notice: str,
) -> Response:
    if done.ok:
        return see_other(f"/events/{work.event_id}#{anchor}")
    context = event_context(
        request, work, runtime, logged=logged, notice=notice, errors=done.errors
    )
    return render(request, "events/detail.html", context, status_code=done.status)


@router.post("/events/{event_id}/participants", name="event_add_participant")
def add_event_participant(
    request: Request, submitted: SubmittedForm, event_id: Id, work: EventWork, runtime: RuntimeDep
) -> Response:
    """Add one of my own clients (the client's care team decides: ``What.event_invite``)."""
    client_id = whole_number(form_text(submitted, "client_id"))
    if client_id is None:
        raise InputRequired("client_id", "choose a client")
    done = attempt(
        work.session,
        lambda: add_participant(
            work.session, work.principal, event_id, client_id, today=runtime.clock.today()
        ),
    )
    audit.record_access(
        work.session,
        principal=work.principal,
        client_id=client_id,
        what=What.event_invite,
        basis=Basis.care_team,
        at=runtime.clock.now(),
    )
    return _answer(
        request, work, runtime, done, anchor="participants", logged=client_id, notice="added"
    )


@router.post("/events/{event_id}/attendance", name="event_attendance")
def event_attendance(
    request: Request, submitted: SubmittedForm, event_id: Id, work: EventWork, runtime: RuntimeDep
) -> Response:
    """One participant at one session: ``attendance`` is ``present`` or a reason of absence
    (``absent`` without one); ``notified`` ticked when the client told us beforehand."""
    participant_id = whole_number(form_text(submitted, "participant_id")) or 0
    session_id = whole_number(form_text(submitted, "session_id")) or 0
    choice = form_text(submitted, "attendance")
    given: dict[str, Any] = {"present": choice == "present"}
    if choice not in {"present", "absent"}:
        given["absence_reason"] = choice
    given["notified"] = form_text(submitted, "notified") == "1"
    detail = event_detail(work.session, event_id, runtime.clock.now())
    client_id = next(
        (p.client.id for p in detail.participants if p.participant.id == participant_id), None
    )
    if client_id is not None:
        work.record(runtime, [client_id])
    done = attempt(
        work.session,
        lambda: mark_attendance(
            work.session,
            work.principal,
            event_id,
            session_id,
            participant_id,
            given,
            checks=Checks.of(runtime.clock),
        ),
    )
    return _answer(
        request, work, runtime, done, anchor=f"session-{session_id}", logged=client_id, notice=""
    )


@router.post("/events/{event_id}/sessions/{session_id}/cancel", name="event_cancel_session")
def cancel_event_session(
    request: Request, event_id: Id, session_id: Id, work: ScheduleWork, runtime: RuntimeDep
) -> Response:
    """Cancel a session that has not been held: it counts in no attendance rate."""
    done = attempt(
        work.session,
        lambda: cancel_session(work.session, event_id, session_id, now=runtime.clock.now()),
    )
    return _answer(request, work, runtime, done, anchor="sessions", logged=None, notice="")
