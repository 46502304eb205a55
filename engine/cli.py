"""The ``polku`` command line (Typer): pathways, plugins, database, demo data, the server."""

from __future__ import annotations

import logging
import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from engine.settings import get_settings

app = typer.Typer(
    help="Polku: client journeys for outreach and social rehabilitation work.", no_args_is_help=True
)
pathways_app = typer.Typer(help="Check and draw pathway definitions.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations and checks.", no_args_is_help=True)
demo_app = typer.Typer(help="Fictional demo data.", no_args_is_help=True)
app.add_typer(pathways_app, name="pathways")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
plugins_app = typer.Typer(help="Installed plugins and their referral rules.", no_args_is_help=True)
app.add_typer(plugins_app, name="plugins")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    app()


@pathways_app.command("check")
def pathways_check(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Files to check (default: all)")
    ] = None,
) -> None:
    """Validate pathway files; each problem names the file and the key. Exit 1 on any problem."""
    from engine.pathway import load_files
    from engine.plugins import build_plugin_manager
    from engine.runtime import collect_guards, collect_pathway_files

    settings = get_settings()
    pm = build_plugin_manager(only=settings.plugins)
    guards = collect_guards(pm)
    targets = list(files) if files else collect_pathway_files(pm)
    pathways, problems = load_files(targets, guards.names())
    for problem in problems:
        err.print(f"[red]error[/red] {problem}", markup=True, highlight=False)
    for pathway in pathways:
        out.print(
            f"ok {pathway.file}: {pathway.key} v{pathway.version}, {len(pathway.states)} states",
            highlight=False,
        )
    if problems:
        raise typer.Exit(1)


@pathways_app.command("diagram")
def pathways_diagram(
    name: str,
    version: Annotated[int | None, typer.Option(help="Pathway version (default: latest)")] = None,
    language: Annotated[str, typer.Option("--language", "-l", help="fi, sv or en")] = "fi",
) -> None:
    """Print a Mermaid state diagram of a pathway."""
    from engine.pathway import diagram
    from engine.plugins import build_plugin_manager
    from engine.runtime import collect_guards, load_pathways

    pm = build_plugin_manager(only=get_settings().plugins)
    registry = load_pathways(pm, collect_guards(pm))
    try:
        pathway = registry.get(name, version)
    except KeyError as exc:
        err.print(f"error: {exc.args[0]}; known: {', '.join(registry.keys())}", highlight=False)
        raise typer.Exit(1) from None
    sys.stdout.write(diagram(pathway, language))


@plugins_app.command("list")
def plugins_list() -> None:
    """Each plugin: version, source (core / built-in / entry point), municipalities served."""
    from engine.plugins import build_plugin_manager, describe_plugins

    settings = get_settings()
    pm = build_plugin_manager(only=settings.plugins, trace=settings.trace_hooks)
    table = Table("plugin", "version", "source", "municipalities", title="Polku plugins")
    for info in describe_plugins(pm):
        served = ", ".join(f"{code} {name}" for code, name in info.municipalities)
        table.add_row(info.name, info.version, info.source, served or "-")
    out.print(table)


def _iso_date(value: str | None, option: str) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date as YYYY-MM-DD", param_hint=option
        ) from None


@plugins_app.command("try")
def plugins_try(
    municipality: Annotated[str, typer.Option(help="The client's municipality code")],
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    fact: Annotated[
        list[str] | None, typer.Option(help="A fact as key=value; repeat for more")
    ] = None,
    on: Annotated[str | None, typer.Option(help="The day to assess, YYYY-MM-DD")] = None,
    language: Annotated[str, typer.Option("--language", "-l", help="fi, sv or en")] = "fi",
) -> None:
    """Try the referral rules on a made-up client; nothing is stored. Lists every target offered
    in the municipality: eligible, or blocked with each rule's reason and legal source."""
    from engine.errors import InputRequired
    from engine.facts import Facts
    from engine.models import Client
    from engine.rules import text_in
    from engine.runtime import Runtime

    runtime = Runtime()
    today = _iso_date(on, "--on") or date.today()
    values = dict(item.partition("=")[::2] for item in fact or ())
    try:
        facts = Facts.from_values(runtime.facts.definitions, values, today)
    except InputRequired as exc:
        raise typer.BadParameter(str(exc), param_hint="--fact") from None
    client = Client(
        first_name="-",
        last_name="-",
        municipality_code=municipality,
        birth_date=_iso_date(birth_date, "--birth-date"),
    )
    place = runtime.municipalities.get(municipality)
    title = f"{municipality} {place.label(language) if place else '?'}, {today.isoformat()}"
    table = Table("target", "provider", "plugin", "eligible", "why", title=title)
    for option in runtime.referral_options.for_client(client, facts, today):
        why = "; ".join(
            f"{v.text(language)}" + (f" ({v.legal_source})" if v.legal_source else "")
            for v in option.eligibility.denied
        )
        provider = option.target.provider
        table.add_row(
            text_in(option.target.label, language),
            provider.name if provider else "-",
            option.plugin,
            "yes" if option.eligible else "no",
            why or "-",
        )
    out.print(table)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations (creates the SQLite file under var/ if needed)."""
    from engine.migrate import upgrade

    settings = get_settings()
    _ensure_sqlite_dir(settings.database_url)
    upgrade(settings.database_url, revision)
    out.print(f"database at revision {revision}")


@db_app.command("verify")
def db_verify() -> None:
    """Prove that every journey's state agrees with its event log. Exit 1 on a mismatch."""
    from engine.integrity import verify_journeys
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        problems = verify_journeys(session)
    for p in problems:
        err.print(f"journey {p.journey_id}: {p.problem}", highlight=False)
    if problems:
        raise typer.Exit(1)
    out.print("every journey agrees with its event log")


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option(help="Only when the database has no clients")] = False,
    clients: int = 60,
) -> None:
    """Load fictional demo clients (Faker fi_FI) walked through the real engine."""
    from engine.demo import is_empty, load_demo
    from engine.runtime import Runtime

    runtime = Runtime()
    if if_empty and not is_empty(runtime):
        out.print("demo data already loaded")
        return
    summary = load_demo(runtime, clients=clients)
    out.print(f"loaded {summary.clients} fictional clients with {summary.events} events")


@app.command("funnel")
def funnel_report(
    municipality: Annotated[str | None, typer.Option(help="Municipality code")] = None,
) -> None:
    """The funnel contacted -> engaged -> goals -> active -> referred -> on pathway."""
    from engine.reports import funnel
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        result = funnel(
            session, runtime.pathways.latest("client_journey"), municipality_code=municipality
        )
    table = Table("stage", "journeys")
    for stage, n in result.as_list():
        table.add_row(stage, str(n))
    out.print(table)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option()] = None,
    port: Annotated[int | None, typer.Option()] = None,
    reload: bool = False,
) -> None:
    """Serve the web app (uvicorn)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "web.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
    )


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()
