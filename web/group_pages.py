"""Group pages (ryhmät; HTMX, server-rendered). The logic is in :mod:`engine.groups`.

- ``GET /groups``: the groups I lead or co-lead (a coordinator: those of my organisation); rule
  ``group_list``; no client data. ``groups/index.html``
- ``GET``, ``POST /groups/new``: start a group (name, municipality, fellow leaders, a partner
  co-leader, the schedule); rule ``create_group``. ``groups/new.html``
- ``GET /groups/{id}``: the schedule, the members with their membership state and moves, the
  attendance grid; rule ``group:group``, one access-log row per member shown.
  ``groups/detail.html``
- ``GET /groups/{id}?q=``: a leader searches their own clients to add (the caseload's search;
  one ``caseload`` access-log row per client shown); ``POST /groups/{id}/members``: add one
  (invited); rule ``group:group_work`` and the client's care team (``What.group_invite``).
- ``POST /groups/{id}/sessions/{sid}``: a session's time and topic; rule ``group_schedule``.
- ``POST /groups/{id}/members/{mid}/advance``: a membership move (and the client journey's);
  rule ``group:group_work``, one row for that member.
- ``POST /groups/{id}/members/{mid}/consent``: record the member's consent to the partner
  co-leader's organisation seeing their name and attendance (given after the invitation); rule
  ``group:group_work``, one row for that member.
- ``POST /groups/{id}/attendance``: mark one member present or not at one session (the toggle);
  rule ``group:group_work``, one row for that member.
- ``POST /clients/{id}/groups``: invite the client, from their page, to a group I lead; rule
  ``client:group_invite`` (and :func:`engine.access.authorise_group` for that group).

htmx: a toggle answers its cell, with the member's count and a status line out of band; a move
the members block; a session edit the schedule block. A plain form post gets a 303 back to the
page; an error re-renders it with 409 (not possible now) or 422 (input), nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from engine import audit
from engine.access import Basis, What, authorise_client, authorise_group, grants_for
from engine.bounds import Id
from engine.caseload import CaseloadQuery, CaseloadRow, caseload
from engine.errors import (
    Conflict,
    GuardRejected,
    InputRequired,
    InvalidInput,
    InvalidTransition,
    PolkuError,
)
from engine.group_reads import (
    GroupDetail,
    group_detail,
    groups_of,
    local_start,
)
from engine.groups import (
    DEFAULT_MEETINGS,
    MARKABLE_STATES,
    PATHWAY,
    ClientJourneyBlocked,
    MembershipMove,
    add_member,
    advance_membership,
    co_leader_choices,
    co_leader_organisation,
    consent_to_co_leader,
    consenting_to_co_leader,
    create_group,
    edit_session,
    leader_choices,
    mark_attendance,
    membership_of,
)
from engine.inputs import Checks, validated
from engine.journeys import AdvanceInput
from engine.models import AbsenceReason, Client, Role
from engine.pathway_keys import CLIENT_JOURNEY
from engine.runtime import Runtime
from web import i18n
from web.coach import client_context, fragment_block, sorted_municipalities
from web.deps import ReadSessionDep, RuntimeDep, SubmittedForm, WriteSessionDep
from web.errors import page_router
from web.forms import Attempt, attempt, form_text, typed_values, whole_number
from web.security import (
    ClientAccess,
    GroupAccess,
    GroupCreator,
    GroupLister,
    client_rule,
    group_rule,
)
from web.templating import answer_post, render, render_blocks, see_other, wants_fragment

router = page_router(tags=["pages"])

GroupPage = Annotated[GroupAccess, Depends(group_rule(What.group))]
GroupWork = Annotated[GroupAccess, Depends(group_rule(What.group_work))]
ScheduleWork = Annotated[GroupAccess, Depends(group_rule(What.group_work, name="group_schedule"))]
InviteWork = Annotated[ClientAccess, Depends(client_rule(What.group_invite, by="client"))]


def _consent_evidence(form: FormData) -> str | None:
    """How the client consented to the group's co-leader's organisation seeing their name and
    attendance (the invite form's checkbox ``co_leader_consent`` and ``consent_evidence``), or
    None without the checkbox. A bad evidence value is refused by the engine (422)."""
    if form_text(form, "co_leader_consent") != "1":
        return None
    return form_text(form, "consent_evidence")[:20]


def _local(day: str, at: str) -> datetime | None:
    """A local wall-clock date and time from the form, or None when absent or malformed."""
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(at or "00:00"))
    except ValueError:
        return None


# --- the list and a new group ---------------------------------------------------------------------


@router.get("/groups", response_class=HTMLResponse, name="groups")
def groups_page(
    request: Request, principal: GroupLister, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """The groups I lead or co-lead (coordinators: those of their organisation)."""
    found = groups_of(session, principal, runtime.clock.today(), runtime.clock.now())
    language = i18n.request_language(request)
    return render(
        request,
        "groups/index.html",
        {
            "groups": found,
            "municipality_names": dict(sorted_municipalities(runtime, language)),
            "can_create": principal.role == Role.coach,
        },
    )


@dataclass
class NewGroupForm:
    """The new-group form as typed, so a form with errors shows it again."""

    name: str = ""
    municipality_code: str = ""
    first_date: str = ""
    first_time: str = ""
    meetings: str = str(DEFAULT_MEETINGS)
    place: str = ""
    #: The ticked leaders' ids as posted.
    leader_ids: list[str] = field(default_factory=list)
    co_leader_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def new_group_page(
    request: Request,
    runtime: Runtime,
    session: Any,
    principal: Any,
    form: NewGroupForm,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "groups/new.html",
        {
            "form": form,
            "municipalities": sorted_municipalities(runtime, i18n.request_language(request)),
            "leaders": leader_choices(session, principal),
            "co_leaders": co_leader_choices(session),
        },
        status_code=status_code,
    )


@router.get("/groups/new", response_class=HTMLResponse, name="new_group")
def new_group(
    request: Request, principal: GroupCreator, runtime: RuntimeDep, session: ReadSessionDep
) -> Response:
    """Start a group: its name, municipality, leaders, co-leader and schedule."""
    return new_group_page(request, runtime, session, principal, NewGroupForm())


#: The new-group form's text fields (``leader_ids`` are checkboxes, read as a list).
GROUP_FIELDS = (
    "name",
    "municipality_code",
    "first_date",
    "first_time",
    "meetings",
    "place",
    "co_leader_id",
)


def form_field(name: str) -> str:
    """The form field an engine error names: the first meeting is the date field, and one
    bad leader id is the leaders' fieldset."""
    top = name.split(".")[0]
    return {"first_meeting": "first_date"}.get(top, top)


@router.post("/groups/new", name="new_group_submit")
def new_group_submit(
    request: Request,
    submitted: SubmittedForm,
    principal: GroupCreator,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """Start the group (:class:`engine.groups.GroupInput` holds every rule of the form)."""
    values = typed_values(submitted, GROUP_FIELDS)
    leaders = [v for v in submitted.getlist("leader_ids") if isinstance(v, str)]
    done = attempt(
        session,
        lambda: create_group(
            session,
            principal,
            {**values, "leader_ids": leaders},
            municipalities=runtime.municipalities,
            zone=runtime.clock.zone,
            now=runtime.clock.now(),
            holidays=runtime.holidays,
        ),
    )
    if done.result is not None:
        return see_other(f"/groups/{done.result.id}")
    form = NewGroupForm(
        **{name: values.get(name, "") for name in GROUP_FIELDS},
        leader_ids=leaders,
        errors={form_field(name): message for name, message in done.errors.items()},
    )
    return new_group_page(request, runtime, session, principal, form, status_code=done.status)


# --- one group ------------------------------------------------------------------------------------


@dataclass
class Notice:
    """What the last action did (``kind`` "moved", "marked") or why not (an error kind)."""

    kind: str
    name: str = ""
    state: str = ""
    move: MembershipMove | None = None
    allowed: list[str] = field(default_factory=list)
    possible_from: list[str] = field(default_factory=list)
    verdicts: list[Any] = field(default_factory=list)
    membership_id: Id | None = None
    trigger: str = ""

    @property
    def error(self) -> bool:
        return self.kind not in {"moved", "marked", "saved", "invited", "consented"}


def record_shown(
    access: GroupAccess, runtime: Runtime, detail: GroupDetail, *, logged: int | None = None
) -> None:
    """One access-log row per member the page shows (and, for the co-leader, a disclosure),
    but for the client ``logged`` whose row the route wrote when it began."""
    access.record(
        runtime, [m.client.id for m in detail.members if m.client.id not in (None, logged)]
    )


def group_context(
    request: Request,
    access: GroupAccess,
    runtime: Runtime,
    *,
    notice: Notice | None = None,
    record: bool = True,
    logged: int | None = None,
) -> dict[str, Any]:
    """Everything the group page shows, read in the access's transaction; ``record`` logs one
    access-log row per member shown, but for the client ``logged`` (whose row the route wrote
    when it began)."""
    session = access.session
    session.expire_all()
    today = runtime.clock.today()
    co_leader = access.principal if access.basis == Basis.group_co_leader else None
    detail = group_detail(session, access.group_id, co_leader=co_leader, today=today)
    if record:
        record_shown(access, runtime, detail, logged=logged)
    organisation = co_leader_organisation(session, access.group_id)
    shared: set[int] = set()
    if organisation is not None and access.basis == Basis.group_leader:
        shared = consenting_to_co_leader(
            session, organisation[0], [m.client.id for m in detail.members if m.client.id]
        )
    language = i18n.request_language(request)
    municipality = runtime.municipalities.get(detail.group.municipality_code)
    membership_pathway = runtime.pathways.latest(PATHWAY)
    zone = runtime.clock.zone
    return {
        "detail": detail,
        "group": detail.group,
        "municipality": municipality.label(language) if municipality else "",
        "pathway": membership_pathway,
        "client_pathway": runtime.pathways.latest(CLIENT_JOURNEY),
        "leads": access.basis == Basis.group_leader,
        # the client consented to the co-leader seeing their name and attendance, nothing more
        "co_leader_view": co_leader is not None,
        "is_coach": access.principal.role == Role.coach,
        "markable_states": MARKABLE_STATES,
        "reasons": list(AbsenceReason),
        "open_session": {
            s.id: local_start(s, zone).date() <= today for s in detail.sessions if s.id
        },
        "local_start": {s.id: local_start(s, zone) for s in detail.sessions},
        "notice": notice,
        "now": runtime.clock.now(),
        "zone": zone,
        "co_leader_organisation": organisation,
        "shared": shared,
        "candidates": None,
        "q": "",
        "page_path": f"/groups/{access.group_id}",
    }


#: How many of my clients a member search shows.
CANDIDATES = 10


def candidates(
    access: GroupAccess, runtime: Runtime, detail: GroupDetail, q: str
) -> list[CaseloadRow] | None:
    """A leader's search of their own clients (the caseload's search) to add to the group, the
    members left out; None without a search. One access-log row per client shown."""
    if access.basis != Basis.group_leader or len(q.strip()) < 2:
        return None
    result = caseload(
        access.session, access.principal, CaseloadQuery(search=q.strip()), runtime.clock.today()
    )
    members = {m.client.id for m in detail.members}
    found = [r for r in result.rows if r.client_id not in members][:CANDIDATES]
    audit.record_accesses(
        access.session,
        principal=access.principal,
        client_ids=[r.client_id for r in found],
        what=What.caseload,
        basis=grants_for(access.principal, What.caseload)[0].basis,
        at=runtime.clock.now(),
    )
    return found


@router.get("/groups/{group_id}", response_class=HTMLResponse, name="group")
def group_page(
    request: Request,
    group_id: Id,
    view: GroupPage,
    runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """The group: schedule, members with their state and moves, attendance; ``q`` searches my
    clients to add (htmx: the ``group_candidates`` block only)."""
    block = fragment_block(request, ("group_candidates",))
    context = group_context(request, view, runtime, record=block == "main")
    context["candidates"] = candidates(view, runtime, context["detail"], q)
    context["q"] = q
    return render(request, "groups/detail.html", context, block=block)


@router.post("/groups/{group_id}/members", name="group_add_member")
def add_group_member(
    request: Request, submitted: SubmittedForm, group_id: Id, work: GroupWork, runtime: RuntimeDep
) -> Response:
    """Add one of my clients to the group (invited); the client's care team decides whether I
    may (``What.group_invite``)."""
    data = submitted
    client_id = whole_number(form_text(data, "client_id"))
    if client_id is None:
        raise InputRequired("client_id", "choose a client")
    basis = authorise_client(
        work.session, work.principal, client_id, What.group_invite, runtime.clock.today()
    )
    audit.record_access(
        work.session,
        principal=work.principal,
        client_id=client_id,
        what=What.group_invite,
        basis=basis,
        at=runtime.clock.now(),
    )
    done = attempt(
        work.session,
        lambda: add_member(
            work.session,
            runtime.journeys,
            work.principal,
            group_id,
            client_id,
            now=runtime.clock.now(),
            consent_evidence=_consent_evidence(data),
        ),
    )
    notice = Notice("invited", membership_id=done.result.id if done.result else None)
    status = done.status
    unexpected(done)
    if isinstance(done.error, InputRequired):
        notice.kind = "evidence" if done.error.field == "evidence" else "already"
    client = work.session.get(Client, client_id)
    assert client is not None
    notice.name = f"{client.first_name} {client.last_name}"
    if status == 200 and not wants_fragment(request):
        return see_other(f"/groups/{group_id}#group_members")
    context = group_context(request, work, runtime, notice=notice, logged=client_id)
    block = "group_members" if wants_fragment(request) else "main"
    return render(request, "groups/detail.html", context, block=block, status_code=status)


@router.post("/groups/{group_id}/sessions/{session_id}", name="edit_group_session")
def edit_group_session(
    request: Request,
    submitted: SubmittedForm,
    group_id: Id,
    session_id: Id,
    work: ScheduleWork,
    runtime: RuntimeDep,
) -> Response:
    """Change one session's date, time and topic (the schedule shows no member data)."""
    data = submitted
    when = _local(form_text(data, "date")[:10], form_text(data, "time")[:5])
    done = attempt(
        work.session,
        lambda: edit_session(
            work.session,
            group_id,
            session_id,
            starts_at=when.replace(tzinfo=runtime.clock.zone) if when else None,
            topic=form_text(data, "topic")[:400],
        ),
    )
    status = done.status
    unexpected(done)
    notice = Notice("saved")
    if isinstance(done.error, InputRequired):
        notice = Notice("input", state=done.error.field)
    if status == 200 and not wants_fragment(request):
        return see_other(f"/groups/{group_id}#group_sessions")
    if wants_fragment(request):
        # the schedule block shows no member's data: nothing to log
        context = group_context(request, work, runtime, notice=notice, record=False)
        return render_blocks(
            request, "groups/detail.html", context, block="group_sessions", status_code=status
        )
    context = group_context(request, work, runtime, notice=notice)
    return render(request, "groups/detail.html", context, status_code=status)


def unexpected(done: Attempt[Any], *expected: type[PolkuError]) -> None:
    """A refusal the page has no words for (only ``expected``, default InputRequired, have)
    goes on to the error page."""
    if done.error is not None and not isinstance(done.error, expected or (InputRequired,)):
        raise done.error


def move_notice(exc: PolkuError | None, membership_id: int, trigger: str) -> Notice:
    """What the group page says about a membership move, or why it was refused."""
    notice = Notice("moved", membership_id=membership_id, trigger=trigger)
    if isinstance(exc, ClientJourneyBlocked):
        notice.kind, notice.state = "blocked_journey", exc.state
        notice.possible_from = exc.possible_from
    elif isinstance(exc, InvalidTransition):
        notice.kind, notice.state, notice.allowed = "invalid", exc.state, exc.allowed
    elif isinstance(exc, Conflict):
        notice.kind = "conflict"
    elif isinstance(exc, GuardRejected):
        notice.kind, notice.verdicts = "blocked", exc.denied
    elif isinstance(exc, InputRequired):
        notice.kind, notice.state = "input", exc.field
    return notice


def _member_name(detail: GroupDetail, membership_id: int) -> str:
    for m in detail.members:
        if m.membership.id == membership_id:
            return f"{m.client.first_name} {m.client.last_name}"
    return ""


@router.post("/groups/{group_id}/members/{membership_id}/advance", name="group_member_advance")
def member_advance(
    request: Request,
    submitted: SubmittedForm,
    group_id: Id,
    membership_id: Id,
    work: GroupWork,
    runtime: RuntimeDep,
) -> Response:
    """Move a membership on (start attending, complete, drop out with a reason) and the client
    journey with it; refused whole (409/422) when either cannot move."""
    data = submitted
    membership = membership_of(work.session, group_id, membership_id)
    client = work.session.get(Client, membership.client_id)
    assert client is not None
    work.record(runtime, [membership.client_id])
    trigger = form_text(data, "trigger")[:64]
    values = typed_values(data, ("trigger", "reason", "expected_version"))

    def move() -> MembershipMove:
        step = validated(AdvanceInput, values, Checks.of(runtime.clock))
        return advance_membership(
            work.session,
            runtime.journeys,
            work.principal,
            group_id,
            membership_id,
            step.trigger,
            reason=step.reason,
            expected_version=step.expected_version,
            now=runtime.clock.now(),
        )

    done = attempt(work.session, move)
    status = done.status
    notice = move_notice(done.error, membership_id, trigger)
    notice.move = done.result
    notice.name = f"{client.first_name} {client.last_name}"
    if status == 200 and not wants_fragment(request):
        return see_other(f"/groups/{group_id}#group_members")
    if wants_fragment(request):
        # the members block: every member's state and attendance (rows for the others too)
        context = group_context(request, work, runtime, notice=notice, logged=client.id)
        return render_blocks(
            request, "groups/detail.html", context, block="group_members", status_code=status
        )
    context = group_context(request, work, runtime, notice=notice, logged=client.id)
    return render(request, "groups/detail.html", context, status_code=status)


@router.post("/groups/{group_id}/members/{membership_id}/consent", name="group_member_consent")
def member_consent(
    request: Request,
    submitted: SubmittedForm,
    group_id: Id,
    membership_id: Id,
    work: GroupWork,
    runtime: RuntimeDep,
) -> Response:
    """Record a member's consent to the co-leader's organisation seeing their name and
    attendance, given after the invitation (``consent_evidence``: verbal | written |
    electronic). Revoked on the client's referrals page."""
    data = submitted
    membership = membership_of(work.session, group_id, membership_id)
    client = work.session.get(Client, membership.client_id)
    assert client is not None
    work.record(runtime, [membership.client_id])
    notice = Notice("consented", membership_id=membership_id)

    def consent() -> object:
        recorded = consent_to_co_leader(
            work.session,
            work.principal,
            group_id,
            membership.client_id,
            form_text(data, "consent_evidence")[:20],
            now=runtime.clock.now(),
        )
        if recorded is None:
            raise InputRequired("co_leader", "the group has no co-leader")
        return recorded

    done = attempt(work.session, consent)
    status = done.status
    unexpected(done)
    if not done.ok:
        notice.kind = "consent_evidence"
    notice.name = f"{client.first_name} {client.last_name}"
    if status == 200 and not wants_fragment(request):
        return see_other(f"/groups/{group_id}#group_members")
    context = group_context(request, work, runtime, notice=notice, logged=client.id)
    block = "group_members" if wants_fragment(request) else "main"
    return render(request, "groups/detail.html", context, block=block, status_code=status)


@router.post("/groups/{group_id}/attendance", name="group_attendance")
def attendance_toggle(
    request: Request, submitted: SubmittedForm, group_id: Id, work: GroupWork, runtime: RuntimeDep
) -> Response:
    """One tap: mark a member present (``present=1``) or not (``0``) at one session; an
    absence may name its reason (``absence_reason``) and ``notified=1`` (engine/attendance.py)."""
    data = submitted
    membership_id = whole_number(form_text(data, "membership_id")) or 0
    session_id = whole_number(form_text(data, "session_id")) or 0
    membership = membership_of(work.session, group_id, membership_id)
    work.record(runtime, [membership.client_id])
    present = form_text(data, "present") == "1"
    notice = Notice("marked", membership_id=membership_id)
    done = attempt(
        work.session,
        lambda: mark_attendance(
            work.session,
            work.principal,
            group_id,
            session_id,
            membership_id,
            present=present,
            today=runtime.clock.today(),
            zone=runtime.clock.zone,
            now=runtime.clock.now(),
            absence_reason=form_text(data, "absence_reason")[:20] or None,
            notified=form_text(data, "notified") == "1",
        ),
    )
    status = done.status
    unexpected(done, InvalidTransition, InputRequired)
    if isinstance(done.error, InvalidTransition):
        notice.kind, notice.state = "not_markable", done.error.state
    elif isinstance(done.error, InvalidInput):
        notice.kind = "reason"
    elif done.error is not None:
        notice.kind = "future"
    if status == 200 and not wants_fragment(request):
        return see_other(f"/groups/{group_id}#attendance")
    context = group_context(request, work, runtime, notice=notice, record=False)
    detail: GroupDetail = context["detail"]
    member = next((m for m in detail.members if m.membership.id == membership_id), None)
    meeting = next((s for s in detail.sessions if s.id == session_id), None)
    notice.name = _member_name(detail, membership_id)
    if wants_fragment(request) and member is not None and meeting is not None:
        context.update(member=member, meeting=meeting)
        return render_blocks(
            request,
            "groups/detail.html",
            context,
            block="attendance_cell",
            oob=("attendance_count", "attendance_notice"),
            status_code=status,
        )
    # the cell, the count and the notice showed only this member; the page shows them all
    record_shown(work, runtime, detail, logged=membership.client_id)
    return render(request, "groups/detail.html", context, status_code=status)


# --- inviting a client from their page ------------------------------------------------------------


@router.post("/clients/{client_id}/groups", name="client_group_invite")
def invite_client(
    request: Request, submitted: SubmittedForm, client_id: Id, work: InviteWork, runtime: RuntimeDep
) -> Response:
    """Invite the client to a group I lead (the membership starts in state invited)."""
    data = submitted
    group_id = whole_number(form_text(data, "group_id"))
    error = ""
    status = 200
    if group_id is None:
        error, status = "choose", 422
    else:
        authorise_group(
            work.session, work.principal, group_id, What.group_work, runtime.clock.today()
        )
        chosen = group_id
        done = attempt(
            work.session,
            lambda: add_member(
                work.session,
                runtime.journeys,
                work.principal,
                chosen,
                client_id,
                now=runtime.clock.now(),
                consent_evidence=_consent_evidence(data),
            ),
        )
        status = done.status
        unexpected(done)
        if isinstance(done.error, InputRequired):
            error = "evidence" if done.error.field == "evidence" else "already"
    work.session.expire_all()
    context = {**client_context(request, work, runtime), "group_error": error}
    context["group_invited"] = not error
    if not error:
        return answer_post(
            request,
            redirect_to=f"/clients/{client_id}#client_groups",
            template="clients/detail.html",
            context=context,
            block="client_groups",
            oob=("timeline",),
        )
    if wants_fragment(request):
        return render_blocks(
            request, "clients/detail.html", context, block="client_groups", status_code=status
        )
    return render(request, "clients/detail.html", context, status_code=status)
