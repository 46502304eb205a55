"""Assessments, strengths and the strengths-based CV (HTMX, server-rendered); the client page
links here (``clients/_assessments.html``).

- ``GET /clients/{id}/assessments``: ``client:assessments``; ``clients/assessments.html``: a form
  per instrument (any plugin's; the Kykyviisari summary is six 0-10 scores and a date, the
  ability and requirement profile rates each item for the client and for a named job or
  activity), past assessments, the change between the last two with a chart (inline SVG with
  a data table), and a profile's gaps and strong points.
- ``POST /clients/{id}/assessments``: ``client:record_assessment``.
- ``GET /clients/{id}/strengths``: ``client:strengths``; ``clients/strengths.html``.
- ``POST /clients/{id}/strengths``, ``.../strengths/{strength_id}``, ``.../remove`` and the same
  for ``experiences`` and ``qualifications`` (qualifications and cards,
  :mod:`engine.qualifications`): ``client:record_strengths`` (add, edit, remove).
- ``GET /clients/{id}/cv``: ``client:cv``; ``clients/cv.html``, a print view (A4, no
  navigation) of strengths, experiences and qualifications only, in ``?lang=`` or the interface
  language.

htmx gets the changed blocks (the form in place, the lists out of band); a plain form post a 303
back to the page; bad input a 422 with the fields marked and the typed values kept. Every route
writes one access-log row through its rule. The rules are in :mod:`engine.assessments` and
:mod:`engine.strengths`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session
from starlette.datastructures import FormData

from engine import qualifications as qualification_log
from engine import strengths as strength_log
from engine.access import What
from engine.assessments import (
    Completed,
    NewAssessment,
    assessments,
    by_instrument,
    changes,
    gaps,
    record_assessment,
    strong_points,
)
from engine.bounds import MAX_ID, Id
from engine.errors import InputRequired
from engine.inputs import Checks, validated
from engine.instruments import Instrument
from engine.models import Client, ExperienceKind, QualificationKind, StrengthCategory
from engine.runtime import Runtime
from web import i18n
from web.charts import LineChart, line_chart
from web.coach import fragment_block
from web.deps import RuntimeDep, SubmittedForm
from web.errors import page_router
from web.forms import Posted, attempt, form_text, respond, typed_values
from web.security import ClientAccess, client_rule
from web.templating import render

router = page_router(tags=["pages"])

AssessmentsPage = Annotated[ClientAccess, Depends(client_rule(What.assessments, by="client"))]
AssessmentWork = Annotated[ClientAccess, Depends(client_rule(What.record_assessment, by="client"))]
StrengthsPage = Annotated[ClientAccess, Depends(client_rule(What.strengths, by="client"))]
StrengthWork = Annotated[ClientAccess, Depends(client_rule(What.record_strengths, by="client"))]
CVPage = Annotated[ClientAccess, Depends(client_rule(What.cv, by="client"))]

#: The fields of the strength, experience and CV contact forms (typed values come back on a 422).
FORM_FIELDS = (
    "category",
    "text",
    "kind",
    "title",
    "place",
    "period",
    "description",
    "phone",
    "email",
    "location",
    "name",
    "gained_on",
    "issuer",
    "valid_until",
)
ASSESSMENTS = "clients/assessments.html"
STRENGTHS = "clients/strengths.html"


def _client(access: ClientAccess) -> Client:
    client = access.session.get(Client, access.client_id)
    assert client is not None  # the access rule found it
    return client


# --- assessments ----------------------------------------------------------------------------------


def chart_for(instrument: Instrument, done: list[Completed], language: str) -> LineChart:
    """The instrument's items over the client's assessments of it (oldest first)."""
    with i18n.use_language(language):
        labels = [i18n.date_filter(a.assessed_on, "short") for a in done]
    series = [
        (item.label.get(language, item.key), [a.scores.get(item.key) for a in done])
        for item in instrument.items
    ]
    lowest = min(item.scale.minimum for item in instrument.items)
    highest = max(item.scale.maximum for item in instrument.items)
    return line_chart(labels, series, lowest, highest)


def assessment_context(
    request: Request,
    access: ClientAccess,
    runtime: Runtime,
    *,
    form_instrument: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    saved: str = "",
) -> dict[str, Any]:
    language = i18n.request_language(request)
    grouped = by_instrument(assessments(access.session, access.client_id))
    results: list[dict[str, Any]] = []
    for key, done in grouped.items():
        instrument = runtime.instruments.get(key)
        if instrument is None:  # a plugin that contributed it is gone: list the dates only
            results.append({"key": key, "instrument": None, "done": done})
            continue
        latest = done[-1]
        results.append(
            {
                "key": key,
                "instrument": instrument,
                "done": done,
                "latest": latest,
                "labels": {
                    item.key: item.label.get(language, item.key) for item in instrument.items
                },
                "changes": changes(instrument, done[-2], latest) if len(done) > 1 else [],
                "chart": chart_for(instrument, done, language) if len(done) > 1 else None,
                "gaps": gaps(instrument, latest) if instrument.with_requirement else [],
                "strong": strong_points(instrument, latest) if instrument.with_requirement else [],
            }
        )
    return {
        "client": _client(access),
        "instruments": list(runtime.instruments.values()),
        "results": results,
        "form_instrument": form_instrument,
        "errors": errors or {},
        "values": values or {},
        "saved": saved,
        "today": runtime.clock.today(),
        "page_path": f"/clients/{access.client_id}/assessments",
    }


@router.get("/clients/{client_id}/assessments", response_class=HTMLResponse, name="assessments")
def assessments_page(
    request: Request, client_id: Id, view: AssessmentsPage, runtime: RuntimeDep
) -> Response:
    """The client's assessments: record, list, change over time with a chart. The client page
    loads the block ``assessment_summary`` (htmx, ``HX-Target``)."""
    return render(
        request,
        ASSESSMENTS,
        assessment_context(request, view, runtime),
        block=fragment_block(request, ("assessment_summary", "assessment_results")),
    )


@router.post("/clients/{client_id}/assessments", name="record_assessment")
def add_assessment(
    request: Request, client_id: Id, work: AssessmentWork, runtime: RuntimeDep, posted: Posted
) -> Response:
    """Record one completed assessment (the instrument named by the form)."""
    key = form_text(posted, "instrument")
    instrument = runtime.instruments.get(key)
    if instrument is None:
        raise InputRequired("instrument", "choose an instrument", sorted(runtime.instruments))
    values = typed_values(posted)
    given = {k: v for k, v in values.items() if k != "instrument"}

    def run() -> object:
        done = validated(NewAssessment, given, Checks.of(runtime.clock))
        return record_assessment(
            work.session,
            instrument,
            client_id=client_id,
            recorded_by=work.principal.user_id,
            assessed_on=done.assessed_on or runtime.clock.today(),
            scores=done.scores,
            requirements=done.requirements,
            requirement_of=done.requirement_of,
            now=runtime.clock.now(),
            today=runtime.clock.today(),
        )

    # an item's key (the engine's) and "scores.<item>" (the model's) name its score field
    renames = {item.key: f"score.{item.key}" for item in instrument.items}
    renames |= {f"scores.{item.key}": f"score.{item.key}" for item in instrument.items}
    renames |= {f"requirements.{item.key}": f"requirement.{item.key}" for item in instrument.items}
    done = attempt(work.session, run, fields=renames)

    def context() -> dict[str, Any]:
        if done.ok:
            return assessment_context(request, work, runtime, saved=key)
        return assessment_context(
            request, work, runtime, form_instrument=key, errors=done.errors, values=values
        )

    return respond(
        request,
        done,
        redirect_to=f"/clients/{client_id}/assessments",
        template=ASSESSMENTS,
        context=context,
        block="assessment_forms",
        oob=("assessment_results",),
        failed_oob=(),
    )


# --- strengths and experiences --------------------------------------------------------------------


def strengths_context(
    request: Request,
    access: ClientAccess,
    *,
    form: str = "",
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    saved: str = "",
) -> dict[str, Any]:
    """``form`` names the form the errors belong to: "strength", "strength-<id>",
    "experience", "experience-<id>", "qualification", "qualification-<id>" or "cv_contact"."""
    session = access.session
    values = values or {}
    return {
        "client": _client(access),
        "strengths": strength_log.strengths(session, access.client_id),
        "experiences": strength_log.experiences(session, access.client_id),
        "cv_contact": strength_log.cv_contact(session, access.client_id),
        "categories": [c.value for c in StrengthCategory],
        "kinds": [k.value for k in ExperienceKind],
        "form": form,
        "errors": errors or {},
        "values": {name: values.get(name, "") for name in FORM_FIELDS},
        "blank_experience": {name: "" for name in FORM_FIELDS} | {"kind": "work"},
        "qualifications": qualification_log.qualifications(session, access.client_id),
        "qualification_kinds": [k.value for k in QualificationKind],
        "blank_qualification": {name: "" for name in FORM_FIELDS} | {"kind": "hygiene_card"},
        "saved": saved,
        "page_path": f"/clients/{access.client_id}/strengths",
    }


@router.get("/clients/{client_id}/strengths", response_class=HTMLResponse, name="strengths")
def strengths_page(
    request: Request, client_id: Id, view: StrengthsPage, runtime: RuntimeDep
) -> Response:
    """The client's strengths and experiences, editable; links to the CV."""
    return render(request, STRENGTHS, strengths_context(request, view))


def _strength_post(
    request: Request,
    submitted: SubmittedForm,
    work: ClientAccess,
    runtime: Runtime,
    *,
    form_name: str,
    block: str,
    action: Callable[[FormData], None],
) -> Response:
    """Run one change of the strengths page; the form's fields marked on bad input."""
    form = submitted
    values = typed_values(form)
    done = attempt(work.session, lambda: action(form))

    def context() -> dict[str, Any]:
        if done.ok:
            return strengths_context(request, work, saved=block)
        return strengths_context(request, work, form=form_name, errors=done.errors, values=values)

    return respond(
        request,
        done,
        redirect_to=f"/clients/{work.client_id}/strengths",
        template=STRENGTHS,
        context=context,
        block=block,
    )


@router.post("/clients/{client_id}/strengths", name="add_strength")
def add_strength(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    work: StrengthWork,
    runtime: RuntimeDep,
) -> Response:
    """Add a strength in the client's own words."""

    def add(form: FormData) -> None:
        strength_log.add_strength(
            work.session,
            client_id=client_id,
            recorded_by=work.principal.user_id,
            category=form_text(form, "category"),
            text=form_text(form, "text"),
            now=runtime.clock.now(),
        )

    return _strength_post(
        request, submitted, work, runtime, form_name="strength", block="strengths_list", action=add
    )


@router.post("/clients/{client_id}/strengths/{strength_id}", name="edit_strength")
def edit_strength(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    strength_id: Id,
    work: StrengthWork,
    runtime: RuntimeDep,
) -> Response:
    """Change a strength's words or group."""
    strength = strength_log.strength_of(work.session, client_id, strength_id)

    def edit(form: FormData) -> None:
        strength_log.edit_strength(
            work.session,
            strength,
            category=form_text(form, "category"),
            text=form_text(form, "text"),
            now=runtime.clock.now(),
        )

    return _strength_post(
        request,
        submitted,
        work,
        runtime,
        form_name=f"strength-{strength_id}",
        block="strengths_list",
        action=edit,
    )


@router.post("/clients/{client_id}/strengths/{strength_id}/remove", name="remove_strength")
def remove_strength(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    strength_id: Id,
    work: StrengthWork,
    runtime: RuntimeDep,
) -> Response:
    """Remove a strength."""
    strength = strength_log.strength_of(work.session, client_id, strength_id)
    return _strength_post(
        request,
        submitted,
        work,
        runtime,
        form_name="",
        block="strengths_list",
        action=lambda _form: strength_log.remove(work.session, strength),
    )


# --- experiences and qualifications: one set of handlers -----------------------------------------


@dataclass(frozen=True)
class RecordKind:
    """A kind of record on the strengths page that is added, changed and removed the same way:
    its engine functions, its form's fields and the block it refreshes."""

    #: The URL segment (``/clients/{client_id}/<path>``) ...
    path: str
    #: ... and the record's name: the form's name, ``<name>_id`` in the URL, the route names
    #: ``add_<name>``, ``edit_<name>``, ``remove_<name>``.
    name: str
    block: str
    fields: tuple[str, ...]
    #: The engine's input as typed (strings); the engine function checks it.
    given: Callable[..., Any]
    add: Callable[..., Any]
    find: Callable[[Session, int, int], Any]
    edit: Callable[..., Any]
    remove: Callable[[Session, Any], None]


RECORD_KINDS = (
    # work, studies, volunteering, hobbies or other
    RecordKind(
        "experiences",
        "experience",
        "experiences_list",
        ("kind", "title", "place", "period", "description"),
        strength_log.ExperienceInput,
        strength_log.add_experience,
        strength_log.experience_of,
        strength_log.edit_experience,
        strength_log.remove,
    ),
    # a partial qualification, the hygiene or the work-safety card
    RecordKind(
        "qualifications",
        "qualification",
        "qualifications_list",
        ("kind", "name", "gained_on", "issuer", "valid_until"),
        qualification_log.QualificationInput,
        qualification_log.add,
        qualification_log.qualification_of,
        qualification_log.edit,
        qualification_log.remove,
    ),
)


def _typed(kind: RecordKind, form: FormData) -> Any:
    return kind.given(**{name: form_text(form, name) for name in kind.fields})


def _record_routes(kind: RecordKind) -> None:
    """``POST /clients/{client_id}/<path>`` (add), ``.../{<name>_id}`` (change) and
    ``.../{<name>_id}/remove`` of one :class:`RecordKind`, rule ``record_strengths``."""

    def add(
        request: Request,
        submitted: SubmittedForm,
        client_id: Id,
        work: StrengthWork,
        runtime: RuntimeDep,
    ) -> Response:
        def run(form: FormData) -> None:
            kind.add(
                work.session,
                client_id=client_id,
                recorded_by=work.principal.user_id,
                values=_typed(kind, form),
                checks=Checks.of(runtime.clock),
            )

        return _strength_post(
            request, submitted, work, runtime, form_name=kind.name, block=kind.block, action=run
        )

    def on_record(removing: bool) -> Callable[..., Response]:
        """The handler of one record: change it (its form) or remove it."""

        def handler(
            request: Request,
            submitted: SubmittedForm,
            client_id: Id,
            record_id: Id,
            work: StrengthWork,
            runtime: RuntimeDep,
        ) -> Response:
            row = kind.find(work.session, client_id, record_id)

            def run(form: FormData) -> None:
                if removing:
                    kind.remove(work.session, row)
                else:
                    kind.edit(
                        work.session, row, _typed(kind, form), checks=Checks.of(runtime.clock)
                    )

            form_name = "" if removing else f"{kind.name}-{record_id}"
            return _strength_post(
                request, submitted, work, runtime, form_name=form_name, block=kind.block, action=run
            )

        return handler

    edit, remove = on_record(removing=False), on_record(removing=True)
    # the record's id is ``<name>_id`` in the URL (as the templates and the route table name it)
    record_id = Annotated[int, Path(alias=f"{kind.name}_id", ge=1, le=MAX_ID)]
    edit.__annotations__["record_id"] = remove.__annotations__["record_id"] = record_id
    base = f"/clients/{{client_id}}/{kind.path}"
    one = f"{base}/{{{kind.name}_id}}"
    routes: tuple[tuple[str, Callable[..., Response], str], ...] = (
        (base, add, "add"),
        (one, edit, "edit"),
        (one + "/remove", remove, "remove"),
    )
    for path, handler, verb in routes:
        handler.__name__ = handler.__qualname__ = f"{verb}_{kind.name}"
        handler.__doc__ = f"{verb.capitalize()} a {kind.name} of the client's strengths page."
        router.add_api_route(path, handler, methods=["POST"], name=f"{verb}_{kind.name}")


for _kind in RECORD_KINDS:
    _record_routes(_kind)


@router.post("/clients/{client_id}/cv-contact", name="cv_contact")
def cv_contact(
    request: Request,
    submitted: SubmittedForm,
    client_id: Id,
    work: StrengthWork,
    runtime: RuntimeDep,
) -> Response:
    """The contact details the client chooses for the CV (all empty: none on the CV)."""

    def save(form: FormData) -> None:
        strength_log.set_cv_contact(
            work.session,
            client_id=client_id,
            updated_by=work.principal.user_id,
            phone=form_text(form, "phone"),
            email=form_text(form, "email"),
            location=form_text(form, "location"),
            now=runtime.clock.now(),
        )

    return _strength_post(
        request,
        submitted,
        work,
        runtime,
        form_name="cv_contact",
        block="cv_contact_form",
        action=save,
    )


# --- the CV ---------------------------------------------------------------------------------------


@router.get("/clients/{client_id}/cv", response_class=HTMLResponse, name="cv")
def cv_page(
    request: Request,
    client_id: Id,
    view: CVPage,
    runtime: RuntimeDep,
    lang: Annotated[str, Query(max_length=2)] = "",
) -> Response:
    """The strengths-based CV as a print view (A4, no navigation); ``?lang=fi|sv|en``."""
    client = _client(view)
    language = lang if lang in i18n.LANGUAGES else i18n.request_language(request)
    context = {
        "cv": strength_log.cv(view.session, client_id, client.first_name, client.last_name),
        "lang": language,
        "client_id": client_id,
    }
    return render(request, "clients/cv.html", context)
