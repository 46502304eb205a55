"""The client's facts on a page (asiakkaan tiedot): the dated facts referral rules read
(service-needs assessment done, benefit, activation plan...), recorded by the care team.

- ``GET /clients/{client_id}/facts``: ``client:facts``; the facts in force today and their
  history, and a small form per fact the plugins define (``?key=`` opens that fact's form: every
  "Kirjaa ensin ..." message links here); ``clients/facts.html``
- ``POST /clients/{client_id}/facts``: ``client:record_fact``; the same engine call as
  ``POST /api/clients/{client_id}/facts`` (``ClientFacts.record``: it checks the key and the
  value). A plain form post gets a 303 back to the page; htmx gets the ``facts_main`` block with
  "saved"; a bad value answers 422 with the form, the typed values kept and the message beside
  the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine.access import What
from engine.bounds import Id
from engine.models import Client
from web.deps import RuntimeDep
from web.errors import page_router
from web.forms import Attempt, attempt, respond
from web.security import ClientAccess, client_rule
from web.templating import render

router = page_router(tags=["pages"])

FactsView = Annotated[ClientAccess, Depends(client_rule(What.facts, by="client"))]
RecordFact = Annotated[ClientAccess, Depends(client_rule(What.record_fact, by="client"))]


def facts_context(
    view: ClientAccess,
    runtime: RuntimeDep,
    *,
    key: str = "",
    values: dict[str, str] | None = None,
    error: str = "",
    saved: str = "",
) -> dict[str, Any]:
    session = view.session
    client = session.get(Client, view.client_id)
    assert client is not None  # the access rule found it
    today = runtime.clock.today()
    definitions = runtime.facts.definitions
    return {
        "client": client,
        "definitions": definitions,
        "current": {r.key: r for r in runtime.facts.current_rows(session, view.client_id)},
        "history": [
            r for r in runtime.facts.history(session, view.client_id) if r.key in definitions
        ],
        "open_key": key if key in definitions else "",
        "values": values or {},
        "error": error,
        "saved": saved,
        "today": today,
        "page_path": f"/clients/{view.client_id}/facts",
    }


@router.get("/clients/{client_id}/facts", response_class=HTMLResponse, name="client_facts")
def facts_page(
    request: Request,
    client_id: Id,
    view: FactsView,
    runtime: RuntimeDep,
    key: Annotated[str, Query(max_length=64)] = "",
    saved: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The client's facts: in force today, their history, a form per fact."""
    definitions = runtime.facts.definitions
    context = facts_context(view, runtime, key=key, saved=saved if saved in definitions else "")
    return render(request, "clients/facts.html", context)


@router.post("/clients/{client_id}/facts", name="record_client_fact")
def record_fact(
    request: Request,
    client_id: Id,
    work: RecordFact,
    runtime: RuntimeDep,
    key: Annotated[str, Form(max_length=64)] = "",
    value: Annotated[str, Form(max_length=600)] = "",
    valid_from: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record one fact, valid from a date (default today); a change is a new row."""
    values = {"value": value, "valid_from": valid_from}
    error = ""
    since: date | None = None
    try:
        since = date.fromisoformat(valid_from.strip()) if valid_from.strip() else None
    except ValueError:
        error = "valid_from"
    done: Attempt[object] = Attempt()
    if not error:
        done = attempt(
            work.session,
            lambda: runtime.facts.record(
                work.session,
                client_id=client_id,
                key=key,
                value=value,
                valid_from=since,
                recorded_by=work.principal.user_id,
                at=runtime.clock.now(),
            ),
        )
        if done.error is not None:
            error = "key" if "key" in done.errors else "value"
    if error:
        context = facts_context(work, runtime, key=key, values=values, error=error)
        return render(request, "clients/facts.html", context, status_code=422)
    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}/facts?{urlencode({'saved': key})}",
        template="clients/facts.html",
        context=lambda: facts_context(work, runtime, saved=key),
        block="main",
    )
