"""The coordinator's pages (projektipäällikkö): the organisation's dashboard and the client log
report (lokitietoraportti, 703/2023 §11). The engine decides what counts (engine/coordinator.py,
engine/audit.py); these routes read the filters and render.

- ``GET /reports``: the dashboard, filtered by period and municipality; rule
  ``organisation_report``; aggregates only, no client names; ``coordinator/dashboard.html``
- ``GET /reports/client-log?q=``: find a client of the organisation by name or id; rule
  ``client_log_search``; each client shown is one access-log row (``client_lookup``);
  ``coordinator/client_log_search.html``
- ``GET /reports/client-log/{client_id}?since=&until=``: who viewed and who received the client's
  data in the period (2 years by default), printable; rule ``client:client_log`` (its own view is
  one access-log row); ``coordinator/client_log.html``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine import voice
from engine.access import Basis, What
from engine.audit import DEFAULT_REPORT_YEARS, client_log
from engine.bounds import Id
from engine.coordinator import (
    DashboardFilter,
    dashboard,
    find_clients_for_log,
    organisation_municipalities,
)
from engine.models import Client
from engine.pathway import FUNNEL_STAGES
from engine.pathway_keys import CLIENT_JOURNEY, REFERRAL
from web import i18n
from web.charts import bar_chart
from web.deps import ReadSessionDep, RuntimeDep, WriteSessionDep
from web.errors import page_router
from web.security import ClientAccess, ClientLogFinder, OrganisationReporter, client_rule
from web.templating import render

router = page_router(tags=["pages"])

ClientLogPage = Annotated[ClientAccess, Depends(client_rule(What.client_log, by="client"))]
#: Query strings are read as text (cut to a sane length) and checked here, so a bad value is a
#: message beside its field (422), never a raw validation error.
Text = Annotated[str, Query()]


def stage_labels() -> dict[str, str]:
    """The funnel stages (DOMAIN.md) in the UI language."""
    _ = i18n.gettext
    return {
        "contacted": _("Contacted"),
        "engaged": _("Engaged"),
        "goals": _("Goals set"),
        "active": _("In group or individual work"),
        "referred": _("Referred"),
        "on_pathway": _("On a follow-on pathway"),
    }


def basis_labels() -> dict[str, str]:
    """Why a view was allowed (access_log.basis), in the UI language."""
    _ = i18n.gettext
    return {
        Basis.care_team: _("Member of the client's care team"),
        Basis.client_log_request: _("Handling the client's log request"),
        Basis.referral_consent: _("Referral with the client's consent"),
        Basis.group_leader: _("Leads the client's group"),
        Basis.group_co_leader: _("Co-leads the client's group (with consent)"),
        Basis.group_coordinator: _("Coordinator of the client's group"),
        Basis.client_link: _("The client used their feedback link"),
        Basis.voice_role_consent: _("The client's consent to their role"),
        "consent": _("The client's consent"),
    }


def what_labels() -> dict[str, str]:
    """What was viewed or disclosed (codes of access_log.what, disclosure.what)."""
    _ = i18n.gettext
    return {
        What.client_page: _("Client page"),
        What.caseload: _("Caseload row"),
        What.journey: _("Journey and its events"),
        What.client_log: _("This log report"),
        What.client_lookup: _("Name in a search for the log report"),
        What.referrals: _("Referrals"),
        What.referral: _("Referral"),
        What.goals: _("Goals"),
        What.assessments: _("Assessments"),
        What.strengths: _("Strengths and experiences"),
        What.cv: _("CV"),
        What.group: _("Group page"),
        What.feedback: _("Feedback and wishes"),
        What.feedback_link: _("A feedback link given to the client"),
        What.feedback_by_link: _("Feedback given through the link"),
        What.voice_role_list: _("Listed as an experience expert or peer instructor"),
        "referral_packet": _("Referral packet"),
        "group_attendance": _("Name and group attendance"),
    }


@dataclass
class PeriodForm:
    """The period as typed (text), so a bad date comes back with the message beside it."""

    since: str = ""
    until: str = ""
    municipality: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def dates(self, default_since: date, default_until: date) -> tuple[date, date]:
        """The chosen dates; a missing one is the default, a malformed one an error."""
        chosen = {}
        for name, default in (("since", default_since), ("until", default_until)):
            typed = getattr(self, name).strip()
            try:
                chosen[name] = date.fromisoformat(typed) if typed else default
            except ValueError:
                self.errors[name] = "date"
                chosen[name] = default
        if chosen["since"] > chosen["until"]:
            self.errors["until"] = "order"
            return default_since, default_until
        return chosen["since"], chosen["until"]


def _municipality_names(runtime: RuntimeDep, request: Request, codes: list[str]) -> dict[str, str]:
    language = i18n.request_language(request)
    return {
        c: (runtime.municipalities[c].label(language) if c in runtime.municipalities else c)
        for c in codes
    }


@router.get("/reports", response_class=HTMLResponse, name="dashboard")
def dashboard_page(
    request: Request,
    principal: OrganisationReporter,
    runtime: RuntimeDep,
    session: ReadSessionDep,
    since: Text = "",
    until: Text = "",
    municipality: Text = "",
) -> Response:
    """The organisation's funnel (chart and table), caseloads, referrals and running groups."""
    today = runtime.clock.today()
    form = PeriodForm(since[:40], until[:40], municipality[:10])
    first, last = form.dates(date(today.year, 1, 1), today)
    codes = organisation_municipalities(session, principal)
    if form.municipality and form.municipality not in codes:
        form.errors["municipality"] = "unknown"
    chosen = DashboardFilter(
        first, last, form.municipality if "municipality" not in form.errors else None
    )
    pathway = runtime.pathways.latest(CLIENT_JOURNEY)
    board = dashboard(
        session, principal, pathway, chosen, now=runtime.clock.now(), zone=runtime.clock.zone
    )
    with i18n.use_language(i18n.request_language(request)):
        labels = stage_labels()
    referral_pathway = runtime.pathways.latest(REFERRAL)
    return render(
        request,
        "coordinator/dashboard.html",
        {
            "form": form,
            "board": board,
            "stages": FUNNEL_STAGES,
            "stage_labels": labels,
            "chart": bar_chart([(labels[s], n) for s, n in board.funnel.as_list()]),
            "municipality_codes": codes,
            "municipalities": _municipality_names(
                runtime,
                request,
                sorted({*codes, *(g.group.municipality_code for g in board.groups)}),
            ),
            "referral_states": list(referral_pathway.states),
            "referral_pathway": referral_pathway,
            # the client's voice (engine/voice.py): counts and themes, no names, no free text
            "feedback": voice.summary(
                session,
                principal.organisation_id or 0,
                first,
                last,
                minimum=runtime.settings.feedback_min_answers,
                municipality_code=chosen.municipality_code or None,
            ),
        },
        status_code=422 if form.errors else 200,
    )


@router.get("/reports/client-log", response_class=HTMLResponse, name="client_log_search")
def client_log_search(
    request: Request,
    principal: ClientLogFinder,
    runtime: RuntimeDep,
    session: WriteSessionDep,
    q: Text = "",
) -> Response:
    """Find the client who asked for their log: by name (every word) or by client number."""
    q = q[:100]
    found = find_clients_for_log(
        session, principal, q, now=runtime.clock.now(), today=runtime.clock.today()
    )
    codes = sorted({f.municipality_code for f in found})
    return render(
        request,
        "coordinator/client_log_search.html",
        {"q": q, "found": found, "municipalities": _municipality_names(runtime, request, codes)},
    )


@router.get(
    "/reports/client-log/{client_id}", response_class=HTMLResponse, name="client_log_report"
)
def client_log_page(
    request: Request,
    client_id: Id,
    view: ClientLogPage,
    runtime: RuntimeDep,
    since: Text = "",
    until: Text = "",
) -> Response:
    """Who viewed and who received the client's data in the period (703/2023 §11)."""
    today = runtime.clock.today()
    form = PeriodForm(since[:40], until[:40])
    first, last = form.dates(years_before_date(today, DEFAULT_REPORT_YEARS), today)
    start, end = DashboardFilter(first, last).bounds(runtime.clock.zone)
    report = client_log(view.session, client_id, now=runtime.clock.now(), since=start, until=end)
    client = view.session.get(Client, client_id)
    with i18n.use_language(i18n.request_language(request)):
        whats, bases = what_labels(), basis_labels()
    return render(
        request,
        "coordinator/client_log.html",
        {
            "client": client,
            "form": form,
            "since": first,
            "until": last,
            "report": report,
            "what_labels": whats,
            "basis_labels": bases,
            "printed_at": runtime.clock.now(),
        },
        status_code=422 if form.errors else 200,
    )


def years_before_date(day: date, years: int) -> date:
    """The same calendar day ``years`` earlier (29 February: 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)
