"""The client's care team on a page (asiakkaan työryhmä): who is, was or will be in it, with
roles and validity dates; a care-team member adds a colleague or ends a membership. The same
engine calls as the care-team API (``engine.clients``: :class:`~engine.clients.NewCareTeamMember`
and :class:`~engine.clients.EndOfMembership` check the input, :func:`add_care_team_member` the
organisation and overlaps).

- ``GET /clients/{client_id}/care-team``: ``client:care_team``; ``clients/care_team.html``
- ``POST /clients/{client_id}/care-team``: ``client:care_team``; add a member
- ``POST /clients/{client_id}/care-team/{user_id}/end``: ``client:care_team``; end a membership

A plain form post gets a 303 back to the page (``?saved=``); a bad value answers 422 with the
page, the typed values kept and the message beside the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlmodel import col

from engine.access import What
from engine.bounds import Id
from engine.clients import add_member, care_team, end_member, member_choices
from engine.inputs import Checks
from engine.models import CareTeamRole, Client, User
from web.deps import RuntimeDep
from web.errors import page_router
from web.forms import Posted, attempt, respond, typed_values
from web.security import ClientAccess, client_rule
from web.templating import render

router = page_router(tags=["pages"])

CareTeamWork = Annotated[ClientAccess, Depends(client_rule(What.care_team, by="client"))]
ADD_FIELDS = ("user_id", "role", "valid_from", "valid_to")


def status_of(valid_from: date, valid_to: date | None, today: date) -> str:
    """``current``, ``coming`` or ``ended`` on ``today``."""
    if valid_from > today:
        return "coming"
    return "ended" if valid_to is not None and valid_to < today else "current"


def team_context(
    view: ClientAccess,
    runtime: RuntimeDep,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    end_errors: dict[str, str] | None = None,
    ending: int | None = None,
    saved: str = "",
) -> dict[str, Any]:
    session = view.session
    client = session.get(Client, view.client_id)
    assert client is not None  # the access rule found it
    today = runtime.clock.today()
    rows = care_team(session, view.client_id)
    names = dict(
        session.execute(
            select(col(User.id), col(User.display_name)).where(
                col(User.id).in_({r.user_id for r in rows})
            )
        ).all()
    )
    members = [
        {
            "row": r,
            "name": names.get(r.user_id, "–"),
            "status": status_of(r.valid_from, r.valid_to, today),
        }
        for r in rows
    ]
    return {
        "client": client,
        "members": members,
        "choices": member_choices(session, view.client_id),
        "roles": list(CareTeamRole),
        "errors": errors or {},
        "values": values or {},
        "end_errors": end_errors or {},
        "ending": ending,
        "saved": saved,
        "today": today,
        "page_path": f"/clients/{view.client_id}/care-team",
    }


@router.get("/clients/{client_id}/care-team", response_class=HTMLResponse, name="care_team")
def care_team_page(
    request: Request,
    client_id: Id,
    view: CareTeamWork,
    runtime: RuntimeDep,
    saved: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    """The care team with roles and dates; add a colleague, end a membership."""
    context = team_context(view, runtime, saved=saved if saved in ("added", "ended") else "")
    return render(request, "clients/care_team.html", context)


@router.post("/clients/{client_id}/care-team", name="care_team_add")
def care_team_add(
    request: Request, client_id: Id, work: CareTeamWork, runtime: RuntimeDep, posted: Posted
) -> Response:
    """Add a coach of the organisation to the care team (from today unless dated)."""
    values = typed_values(posted, ADD_FIELDS)
    done = attempt(
        work.session,
        lambda: add_member(
            work.session,
            client_id=client_id,
            member=values,
            checks=Checks.of(runtime.clock),
            added_by=work.principal.user_id,
        ),
    )
    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}/care-team?saved=added",
        template="clients/care_team.html",
        context=lambda: team_context(
            work, runtime, errors=done.errors, values=values, saved="" if done.errors else "added"
        ),
        block="main",
    )


@router.post("/clients/{client_id}/care-team/{user_id}/end", name="care_team_end")
def care_team_end(
    request: Request,
    client_id: Id,
    user_id: Id,
    work: CareTeamWork,
    runtime: RuntimeDep,
    posted: Posted,
) -> Response:
    """End a membership; its last day (inclusive) is today unless given."""
    values = typed_values(posted, ("last_day",))
    done = attempt(
        work.session,
        lambda: end_member(
            work.session,
            client_id=client_id,
            user_id=user_id,
            end=values,
            checks=Checks.of(runtime.clock),
        ),
    )
    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}/care-team?saved=ended",
        template="clients/care_team.html",
        context=lambda: team_context(
            work,
            runtime,
            end_errors=done.errors,
            ending=user_id,
            saved="" if done.errors else "ended",
        ),
        block="main",
    )
