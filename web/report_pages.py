"""ESF+ participant data pages and the funder report (docs/reporting.md). The rules are in
:mod:`engine.participants`, :mod:`engine.esf_report` and :mod:`engine.esf_export`.

- ``GET /clients/{client_id}/participant``: the client's participant data as recorded, gaps
  shown as gaps; rule ``client:participant_data``; ``clients/participant.html``
- ``GET /clients/{client_id}/participant/{kind}``: the entry, exit or follow-up form (``?project``,
  ``?corrects``); rule ``client:participant_form``; ``clients/participant_form.html``
- ``POST /clients/{client_id}/participant/{kind}``: save it (a correction is a new form); 303 to
  the data page, or 422 with every typed value kept and the message beside the field
- ``GET /reports/funder``: a coordinator's projects, or one project's report for a period,
  filtered by co-implementer and municipality; rule ``funder_report``, and only coordinators of
  the project's organisations (:func:`engine.access.can_report_project`); ``reports/funder.html``
- ``POST /reports/funder/export``: the report as XLSX or CSV, or the participant-level CSV;
  a disclosure-log row per participant included; rule ``funder_report``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from engine import access
from engine.access import Principal, What
from engine.bounds import Id
from engine.errors import Forbidden, InputRequired
from engine.esf_export import FORMATS, export
from engine.esf_report import GENDERS, Report, ReportQuery, build_report
from engine.models import Client
from engine.participant_forms import FORM_KINDS
from engine.participants import (
    FOUND_VIA_LABELS,
    FormInput,
    ParticipantRecord,
    participant_records,
    record_form,
)
from engine.pathway_keys import CLIENT_JOURNEY
from engine.projects import ProjectView, project_view, projects_of_organisation
from engine.runtime import Runtime
from web import i18n
from web.charts import report_bar_chart as bar_chart
from web.deps import RuntimeDep, SubmittedForm, WriteSessionDep
from web.errors import page_router
from web.forms import attempt
from web.security import ClientAccess, client_rule, principal_rule
from web.templating import render, see_other

router = page_router(tags=["pages"])

ParticipantData = Annotated[ClientAccess, Depends(client_rule(What.participant_data, by="client"))]
ParticipantFormWork = Annotated[
    ClientAccess, Depends(client_rule(What.participant_form, by="client"))
]
FunderReporter = Annotated[
    Principal,
    Depends(
        principal_rule(
            "funder_report",
            "a coordinator; a project's report only for its organisations' coordinators",
            access.can_see_funder_reports,
            "funder reports",
        )
    ),
]


# --- the client's participant data ---------------------------------------------------------------


def _client(work: ClientAccess) -> Client:
    client = work.session.get(Client, work.client_id)
    assert client is not None  # the access rule found it
    return client


@router.get("/clients/{client_id}/participant", response_class=HTMLResponse, name="participant")
def participant_page(
    request: Request, client_id: Id, view: ParticipantData, runtime: RuntimeDep
) -> Response:
    """What was recorded of the client for each project: entry, exits, follow-ups, gaps."""
    records = participant_records(view.session, client_id)
    return render(
        request,
        "clients/participant.html",
        {
            "client": _client(view),
            "records": records,
            "forms": runtime.forms,
            "today": runtime.clock.today(),
            "found_via_labels": FOUND_VIA_LABELS,
            "page_path": f"/clients/{client_id}/participant",
        },
    )


@dataclass
class FormState:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _record(records: list[ParticipantRecord], project_id: Id | None) -> ParticipantRecord | None:
    if project_id is None:
        return records[0] if len(records) == 1 else None
    return next((r for r in records if r.project.id == project_id), None)


def _form_page(
    request: Request,
    work: ClientAccess,
    runtime: Runtime,
    kind: str,
    record: ParticipantRecord | None,
    records: list[ParticipantRecord],
    state: FormState,
    status_code: int = 200,
) -> HTMLResponse:
    form_file = runtime.forms.get(record.project.form_key) if record else None
    return render(
        request,
        "clients/participant_form.html",
        {
            "client": _client(work),
            "kind": kind,
            "record": record,
            "records": records,
            "form_file": form_file,
            "form": form_file.form(kind) if form_file else None,
            "state": state,
            "today": runtime.clock.today(),
            "page_path": f"/clients/{work.client_id}/participant/{kind}",
        },
        status_code=status_code,
    )


def _kind(kind: str) -> str:
    if kind not in FORM_KINDS:
        raise InputRequired("kind", "no such form", FORM_KINDS)
    return kind


@router.get(
    "/clients/{client_id}/participant/{kind}",
    response_class=HTMLResponse,
    name="participant_form",
)
def participant_form_page(
    request: Request,
    client_id: Id,
    kind: str,
    work: ParticipantFormWork,
    runtime: RuntimeDep,
    project: Annotated[int | None, Query(ge=1)] = None,
    corrects: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The entry, exit or follow-up form; with ``corrects`` it starts from that form's answers."""
    kind = _kind(kind)
    records = participant_records(work.session, client_id)
    record = _record(records, project)
    state = FormState({"occurred_on": runtime.clock.today().isoformat()})
    if record is not None and corrects is not None:
        old = next((f for f in record.forms if f.id == corrects and f.kind == kind), None)
        if old is not None:
            state.values = {**old.answers, "occurred_on": old.occurred_on.isoformat()}
            state.values["corrects_id"] = str(old.id)
    return _form_page(request, work, runtime, kind, record, records, state)


def _answers(data: FormData) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {}
    skip = {"csrf_token", "occurred_on", "project_id", "corrects_id"}
    for key in {k for k in data if k not in skip}:
        values = [v.strip() for v in data.getlist(key) if isinstance(v, str) and v.strip()]
        if len(values) == 1 and not key.startswith("multi:"):
            answers[key] = values[0]
        elif values:
            answers[key.removeprefix("multi:")] = values
    return answers


@router.post("/clients/{client_id}/participant/{kind}", name="save_participant_form")
def save_participant_form(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    kind: str,
    work: ParticipantFormWork,
    runtime: RuntimeDep,
) -> Response:
    """Save a filled form; 422 with the values kept and the field marked when it does not fit."""
    kind = _kind(kind)
    data = submitted
    answers = _answers(data)
    raw_project = str(data.get("project_id") or "")
    raw_corrects = str(data.get("corrects_id") or "")
    raw_date = str(data.get("occurred_on") or "").strip()
    state = FormState({**answers, "occurred_on": raw_date, "corrects_id": raw_corrects})
    records = participant_records(work.session, client_id)
    project_id = int(raw_project) if raw_project.isdigit() else None
    record = _record(records, project_id)
    if record is None:
        state.errors["project_id"] = "required"
    try:
        occurred_on = date.fromisoformat(raw_date)
    except ValueError:
        state.errors["occurred_on"] = "invalid"
    if record is not None and not state.errors:
        try:
            given = FormInput(
                project_id=record.project.id,
                kind=kind,  # type: ignore[arg-type]
                occurred_on=occurred_on,
                answers=answers,
                corrects_id=int(raw_corrects) if raw_corrects.isdigit() else None,
            )
        except ValidationError as exc:
            for error in exc.errors():
                state.errors[str(error["loc"][0]) if error["loc"] else "form"] = error["msg"]
        else:
            done = attempt(
                work.session,
                lambda: record_form(
                    work.session,
                    runtime.forms,
                    client_id=client_id,
                    actor_id=work.principal.user_id,
                    data=given,
                    today=runtime.clock.today(),
                    now=runtime.clock.now(),
                ),
            )
            state.errors |= done.errors
    if state.errors:
        return _form_page(request, work, runtime, kind, record, records, state, 422)
    return see_other(f"/clients/{client_id}/participant")


# --- the funder report ---------------------------------------------------------------------------


def _quarter(today: date) -> tuple[date, date]:
    """The last full quarter before today."""
    q = (today.month - 1) // 3
    year = today.year if q else today.year - 1
    q = q or 4
    start = date(year, 3 * (q - 1) + 1, 1)
    end = date(year + (q == 4), (3 * q) % 12 + 1, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def _date(value: str, default: date, errors: dict[str, str], name: str) -> date:
    if not value.strip():
        return default
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "invalid"
        return default


def authorise_project(session: Any, principal: Principal, project_id: Id) -> ProjectView:
    project = project_view(session, project_id)
    if not access.can_report_project(principal, project.organisation_ids):
        raise Forbidden(f"user {principal.user_id} may not see the report of project {project_id}")
    return project


def _build(
    session: Any,
    runtime: Runtime,
    project: ProjectView,
    since: date,
    until: date,
    organisation: int | None,
    municipality: str,
) -> Report:
    return build_report(
        session,
        project,
        ReportQuery(
            project_id=project.id,
            since=since,
            until=until,
            organisation_id=organisation,
            municipality=municipality or None,
        ),
        forms=runtime.forms,
        pathway=runtime.pathways.latest(CLIENT_JOURNEY),
        rho=runtime.settings.gas_rho,
        small_cell=runtime.settings.report_small_cell,
        now=runtime.clock.now(),
    )


def _charts(report: Report, language: str, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    def label(key: str) -> str:
        return labels.get(key, {}).get(language, key)

    total = next(f for f in report.outputs if f.key == "total")
    return {
        "gender": bar_chart([(label(g), total.by_gender[g]) for g in GENDERS]),
        "funnel": bar_chart([(label(s), n) for s, n in report.funnel]),
        "outputs": bar_chart([(f.label.get(language, f.key), f.total) for f in report.outputs]),
        "results": bar_chart(
            [
                (f.label.get(language, f.key), f.total)
                for f in [*report.results_exit, *report.results_six_months]
            ]
        ),
        "contacts": bar_chart([(label(k), n) for k, n in report.contacts]),
        "gas": bar_chart([(label(k), n) for k, n in report.gas_change]),
        "kyky": bar_chart([(label(k), n) for k, n in report.kyky_change]),
    }


@router.get("/reports/funder", response_class=HTMLResponse, name="funder_report")
def funder_report_page(
    request: Request,
    principal: FunderReporter,
    runtime: RuntimeDep,
    session: WriteSessionDep,
    project: Annotated[int | None, Query(ge=1)] = None,
    since: Annotated[str, Query(alias="from", max_length=10)] = "",
    until: Annotated[str, Query(alias="to", max_length=10)] = "",
    organisation_text: Annotated[str, Query(alias="organisation", max_length=12)] = "",
    municipality: Annotated[str, Query(max_length=3)] = "",
) -> Response:
    """The coordinator's projects; with ``project`` its report for the period (default: the
    last full quarter), filtered by co-implementer and municipality. Aggregates only."""
    projects = projects_of_organisation(session, principal.organisation_id)
    language = i18n.request_language(request)
    context: dict[str, Any] = {
        "projects": projects,
        "report": None,
        "errors": {},
        "page_path": "/reports/funder",
        "formats": FORMATS,
        "municipality_names": {
            code: m.label(language) for code, m in runtime.municipalities.items()
        },
    }
    if project is None:
        return render(request, "reports/funder.html", context)
    chosen = authorise_project(session, principal, project)
    errors: dict[str, str] = {}
    first, last = _quarter(runtime.clock.today())
    start = _date(since, first, errors, "from")
    end = _date(until, last, errors, "to")
    if end < start:
        errors["to"] = "invalid"
        end = start
    organisation = int(organisation_text) if organisation_text.strip().isdigit() else None
    if organisation_text.strip() and organisation not in chosen.organisation_ids:
        errors["organisation"] = "invalid"
        organisation = None
    if municipality and municipality not in chosen.municipality_codes:
        errors["municipality"] = "invalid"
        municipality = ""
    report = _build(session, runtime, chosen, start, end, organisation, municipality)
    labels = report_labels()
    context.update(
        project=chosen,
        report=report,
        errors=errors,
        values={
            "from": since or start.isoformat(),
            "to": until or end.isoformat(),
            "organisation": organisation,
            "municipality": municipality,
        },
        charts=_charts(report, language, labels),
        labels=labels,
        genders=GENDERS,
        found_via_labels=FOUND_VIA_LABELS,
        organisation_names={i.organisation_id: i.name for i in chosen.implementers},
    )
    return render(request, "reports/funder.html", context, status_code=422 if errors else 200)


@router.post("/reports/funder/export", name="funder_report_export")
def funder_report_export(
    request: Request,
    submitted: SubmittedForm,
    principal: FunderReporter,
    runtime: RuntimeDep,
    session: WriteSessionDep,
) -> Response:
    """The report as a file. Each export is a disclosure to the funder: one disclosure-log row
    per participant included; asking for exact figures is logged with them."""
    data = submitted
    raw_project = str(data.get("project") or "")
    if not raw_project.isdigit():
        raise InputRequired("project", "choose a project")
    chosen = authorise_project(session, principal, int(raw_project))
    fmt = str(data.get("format") or "xlsx")
    if fmt not in FORMATS:
        raise InputRequired("format", "not a format", FORMATS)
    errors: dict[str, str] = {}
    first, last = _quarter(runtime.clock.today())
    start = _date(str(data.get("from") or ""), first, errors, "from")
    end = _date(str(data.get("to") or ""), last, errors, "to")
    raw_org = str(data.get("organisation") or "")
    organisation = int(raw_org) if raw_org.isdigit() else None
    municipality = str(data.get("municipality") or "")[:3]
    if errors or end < start:
        raise InputRequired(next(iter(errors), "to"), "check the period")
    if organisation is not None and organisation not in chosen.organisation_ids:
        raise InputRequired("organisation", "not an implementer of this project")
    report = _build(session, runtime, chosen, start, end, organisation, municipality)
    names = {i.organisation_id: i.name for i in chosen.implementers}
    exported = export(
        session,
        report,
        fmt=fmt,  # type: ignore[arg-type]
        exact=data.get("exact") == "yes",
        principal=principal,
        organisation_names=names,
        now=runtime.clock.now(),
    )
    return Response(
        exported.content,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


def report_labels() -> dict[str, dict[str, str]]:
    """Labels of the report's keys (genders, funnel stages, contact kinds, buckets)."""
    from engine.models import ContactKind

    contact = {
        "home_visit": {"fi": "Kotikäynti", "sv": "Hembesök", "en": "Home visit"},
        "meeting": {"fi": "Tapaaminen", "sv": "Möte", "en": "Meeting"},
        "phone": {"fi": "Puhelu", "sv": "Samtal", "en": "Phone call"},
        "remote": {"fi": "Etätapaaminen", "sv": "Distansmöte", "en": "Remote meeting"},
        "escorted": {"fi": "Saattaen palveluun", "sv": "Ledsagning", "en": "Escorting"},
        "street_outreach": {
            "fi": "Etsivä työ kadulla",
            "sv": "Uppsökande",
            "en": "Street outreach",
        },
        "aftercare": {"fi": "Jälkiseuranta", "sv": "Uppföljning efteråt", "en": "Aftercare"},
    }
    assert set(contact) == {k.value for k in ContactKind}
    return {
        "woman": {"fi": "Naiset", "sv": "Kvinnor", "en": "Women"},
        "man": {"fi": "Miehet", "sv": "Män", "en": "Men"},
        "non_binary": {"fi": "Muunsukupuoliset", "sv": "Icke-binära", "en": "Non-binary"},
        "declined": {"fi": "Ei halua vastata", "sv": "Vill inte svara", "en": "Declined"},
        "gap": {"fi": "Ei kirjattu", "sv": "Inte antecknat", "en": "Not recorded"},
        "contacted": {"fi": "Tavoitetut", "sv": "Kontaktade", "en": "Contacted"},
        "engaged": {"fi": "Kiinnittyneet", "sv": "Engagerade", "en": "Engaged"},
        "goals": {"fi": "Tavoitteet asetettu", "sv": "Mål satta", "en": "Goals set"},
        "active": {"fi": "Toiminnassa", "sv": "Aktiva", "en": "Active"},
        "referred": {"fi": "Ohjattu", "sv": "Hänvisade", "en": "Referred"},
        "on_pathway": {"fi": "Jatkopolulla", "sv": "På fortsatt stig", "en": "On a pathway"},
        "below_0": {"fi": "Alle 0", "sv": "Under 0", "en": "Below 0"},
        "0_to_10": {"fi": "0-10", "sv": "0-10", "en": "0-10"},
        "10_to_20": {"fi": "10-20", "sv": "10-20", "en": "10-20"},
        "20_plus": {"fi": "Yli 20", "sv": "Över 20", "en": "Over 20"},
        "down": {"fi": "Laski", "sv": "Sjönk", "en": "Down"},
        "same": {"fi": "Ennallaan", "sv": "Oförändrad", "en": "Same"},
        "up_1_2": {"fi": "Nousi 1-2", "sv": "Steg 1-2", "en": "Up 1-2"},
        "up_3_plus": {"fi": "Nousi 3 tai enemmän", "sv": "Steg 3 eller mer", "en": "Up 3 or more"},
        **contact,
        **FOUND_VIA_LABELS,
    }
