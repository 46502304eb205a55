"""``polku projects`` and ``polku report esf``: projects (hankkeet) and the funder report from the
command line (docs/reporting.md). The same engine functions as the coordinator's pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engine.errors import InputRequired, NotFound
from engine.participant_forms import DEFAULT_FORM
from engine.pathway_keys import CLIENT_JOURNEY

projects_app = typer.Typer(help="Projects (hankkeet): create and list.", no_args_is_help=True)
report_app = typer.Typer(help="Reports to the funder.", no_args_is_help=True)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _implementer(text: str, *, planned: int | None = None) -> dict[str, object]:
    """``NAME[:CODE,CODE][:PLANNED]`` -> an implementer's fields."""
    parts = text.split(":")
    if not parts[0].strip() or len(parts) > 3:
        raise typer.BadParameter(f"{text!r}: NAME[:MUNICIPALITY,MUNICIPALITY][:PLANNED]")
    codes = [c.strip() for c in parts[1].split(",") if c.strip()] if len(parts) > 1 else []
    if len(parts) > 2:
        if not parts[2].strip().isdigit():
            raise typer.BadParameter(f"{text!r}: PLANNED must be a whole number")
        planned = int(parts[2])
    return {
        "organisation": parts[0].strip(),
        "municipality_codes": codes,
        "planned_participants": planned,
    }


@projects_app.command("create")
def projects_create(
    code: Annotated[str, typer.Option(help="Project code, e.g. S30123")],
    name: Annotated[str, typer.Option(help="Project name")],
    starts: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    ends: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    main: Annotated[str, typer.Option(help="Main implementer: NAME[:MUNICIPALITY,...][:PLANNED]")],
    co: Annotated[
        list[str] | None,
        typer.Option(help="A co-implementer (osatoteuttaja), repeatable: NAME[:CODES][:PLANNED]"),
    ] = None,
    funder: Annotated[str, typer.Option(help="The funder the reports go to")] = "Rahoittaja",
    planned: Annotated[int | None, typer.Option(help="Planned participants in all")] = None,
    form: Annotated[str, typer.Option(help="Participant form file (forms/*.yaml)")] = DEFAULT_FORM,
) -> None:
    """Create a project with its main implementer and co-implementers (organisations are found
    by name, or created)."""
    from engine.projects import ProjectInput, create_project
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        data = ProjectInput.model_validate(
            {
                "code": code,
                "name": name,
                "starts_on": starts,
                "ends_on": ends,
                "form_key": form,
                "funder": funder,
                "planned_participants": planned,
                "main": _implementer(main),
                "co_implementers": [_implementer(c) for c in co or []],
            }
        )
        with runtime.db.write() as session:
            project = create_project(
                session,
                data,
                forms=runtime.forms,
                municipalities=set(runtime.municipalities),
                now=runtime.clock.now(),
            )
    except ValidationError as exc:
        for e in exc.errors():
            err.print(f"{'.'.join(str(p) for p in e['loc']) or 'project'}: {e['msg']}")
        raise typer.Exit(2) from None
    except InputRequired as exc:
        err.print(f"{exc.field}: {exc}")
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    out.print(
        f"project {project.code} (id {project.id}) with {len(project.implementers)} implementers"
    )


@projects_app.command("list")
def projects_list() -> None:
    """Every project with its implementers and planned participants."""
    from engine.projects import all_projects
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        projects = all_projects(session)
    runtime.close()
    table = Table("code", "name", "period", "implementers", "planned")
    for p in projects:
        table.add_row(
            p.code,
            p.name,
            f"{p.starts_on} - {p.ends_on}",
            "; ".join(
                f"{i.name} ({i.role}: {','.join(i.municipality_codes)})" for i in p.implementers
            ),
            "" if p.planned_participants is None else str(p.planned_participants),
        )
    out.print(table)


@report_app.command("esf")
def report_esf(
    project: Annotated[str, typer.Option(help="Project code")],
    since: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD")],
    until: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx | csv | participants_csv")] = "xlsx",
    output: Annotated[
        Path | None, typer.Option(help="File to write (default: a name of its own)")
    ] = None,
    organisation: Annotated[int | None, typer.Option(help="Only this co-implementer (id)")] = None,
    municipality: Annotated[str | None, typer.Option(help="Only this municipality (code)")] = None,
    exact: Annotated[
        bool, typer.Option(help="Exact figures: small counts not hidden (logged)")
    ] = False,
) -> None:
    """The ESF+ report of a project for a period as a file. An export is a disclosure to the
    funder: one disclosure-log row per participant included (disclosed_by: none, the command)."""
    from engine.esf_export import FORMATS, export
    from engine.esf_report import ReportQuery, build_report
    from engine.projects import project_by_code
    from engine.runtime import Runtime

    if fmt not in FORMATS:
        raise typer.BadParameter(f"--format must be one of {', '.join(FORMATS)}")
    try:
        query_dates = date.fromisoformat(since), date.fromisoformat(until)
    except ValueError:
        raise typer.BadParameter("--from and --to are dates, YYYY-MM-DD") from None
    runtime = Runtime()
    try:
        with (
            Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TimeElapsedColumn(),
                console=err,
                transient=True,
            ) as progress,
            runtime.db.write() as session,
        ):
            task = progress.add_task("report", total=None)
            chosen = project_by_code(session, project)
            report = build_report(
                session,
                chosen,
                ReportQuery(
                    project_id=chosen.id,
                    since=query_dates[0],
                    until=query_dates[1],
                    organisation_id=organisation,
                    municipality=municipality,
                ),
                forms=runtime.forms,
                pathway=runtime.pathways.latest(CLIENT_JOURNEY),
                rho=runtime.settings.gas_rho,
                small_cell=runtime.settings.report_small_cell,
                now=runtime.clock.now(),
            )
            progress.update(task, description="export", total=report.participant_count, completed=0)
            exported = export(
                session,
                report,
                fmt=fmt,  # type: ignore[arg-type]
                exact=exact,
                principal=None,
                organisation_names={i.organisation_id: i.name for i in chosen.implementers},
                now=runtime.clock.now(),
                progress=lambda n: progress.advance(task, n),
            )
            progress.update(task, completed=report.participant_count)
    except (NotFound, InputRequired) as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    except ValidationError as exc:
        err.print(str(exc))
        raise typer.Exit(2) from None
    finally:
        runtime.close()
    target = output or Path(exported.filename)
    target.write_bytes(exported.content)
    out.print(
        f"{target}: {report.entered} entered, {report.exited} left; "
        f"{exported.disclosed} disclosure-log rows{' (exact figures)' if exact else ''}"
    )
