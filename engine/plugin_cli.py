"""``polku plugins``: what is loaded (with warnings), try the rules on a made-up client, and
scaffold a new plugin package. Output is never cut: each line is as long as it needs to be (the
terminal wraps it), or JSON with ``--format json``."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from engine.pathway_keys import CLIENT_JOURNEY
from engine.settings import get_settings

if TYPE_CHECKING:
    from engine.facts import Facts
    from engine.guards import Verdict
    from engine.rules import ReferralOption
    from engine.runtime import Runtime

plugins_app = typer.Typer(
    help="Installed plugins: list them, try their rules, start a new one.", no_args_is_help=True
)

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


@plugins_app.command("list")
def plugins_list() -> None:
    """Each plugin: version, source (core / built-in / entry point), municipalities served; then
    any warning about the plugins' rules and targets (naming the plugin and the key)."""
    from engine.plugin_checks import plugin_warnings
    from engine.plugins import build_plugin_manager, collect_records, describe_plugins
    from engine.rules import Municipality

    settings = get_settings()
    pm = build_plugin_manager(only=settings.plugins, trace=settings.trace_hooks)
    table = Table("plugin", "version", "source", "municipalities", title="Polku plugins")
    for info in describe_plugins(pm):
        served = ", ".join(f"{code} {name}" for code, name in info.municipalities)
        table.add_row(info.name, info.version, info.source, served or "-")
    out.print(table)
    municipalities = collect_records(pm, "polku_municipalities", Municipality, lambda m: m.code)
    for warning in plugin_warnings(pm, municipalities):
        out.print(f"warning: {warning}", markup=False)


def _iso_date(value: str | None, option: str) -> date | None:
    try:
        return None if value is None else date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date as YYYY-MM-DD", param_hint=option
        ) from None


def _verdict_line(verdict: Verdict, language: str) -> str:
    answer = {True: "allow", False: "deny", None: "no opinion"}[verdict.allowed]
    line = f"  {answer:<10} {verdict.rule}"
    if verdict.reason:
        line += f": {verdict.text(language)}"
    if verdict.legal_source:
        line += f" [{verdict.legal_source}]"
    return line


def _option_dict(option: ReferralOption, language: str) -> dict[str, Any]:
    from engine.rules import text_in

    provider = option.target.provider
    return {
        "key": option.target.key,
        "label": text_in(option.target.label, language),
        "pathway_type": option.target.pathway_type,
        "provider": provider.name if provider else None,
        "plugin": option.plugin,
        "eligible": option.eligible,
        "verdicts": [v.as_dict() for v in option.eligibility.verdicts],
        "missing_facts": list(option.eligibility.missing_facts),
    }


@plugins_app.command("try")
def plugins_try(
    municipality: Annotated[str, typer.Option(help="The client's municipality code")],
    birth_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    fact: Annotated[
        list[str] | None, typer.Option(help="A fact as key=value; repeat for more")
    ] = None,
    on: Annotated[str | None, typer.Option(help="The day to assess, YYYY-MM-DD")] = None,
    language: Annotated[str, typer.Option("--language", "-l", help="fi, sv or en")] = "fi",
    transition: Annotated[
        str | None,
        typer.Option(help="Fire this trigger (e.g. refer) instead of listing referral options"),
    ] = None,
    from_state: Annotated[
        str | None,
        typer.Option("--from", help="The journey's state (default: the trigger's first source)"),
    ] = None,
    pathway: Annotated[str, typer.Option(help="The pathway of --transition")] = CLIENT_JOURNEY,
    consent: Annotated[
        bool, typer.Option(help="Whether the client's agreement to take part is recorded")
    ] = True,
    output: Annotated[OutputFormat, typer.Option("--format", help="text or json")] = (
        OutputFormat.text
    ),
) -> None:
    """Try the rules on a made-up client; nothing is stored anywhere.

    Without --transition: every referral target offered in the municipality, eligible or not,
    with every rule's verdict, reason and legal source. With --transition TRIGGER: fire it on a
    journey in --from state, and show every guard's and plugin's verdict."""
    from engine.errors import InputRequired
    from engine.facts import Facts
    from engine.runtime import Runtime

    runtime = Runtime()
    today = _iso_date(on, "--on") or date.today()
    born = _iso_date(birth_date, "--birth-date")
    values = dict(item.partition("=")[::2] for item in fact or ())
    try:
        facts = Facts.from_values(runtime.facts.definitions, values, today)
    except InputRequired as exc:
        raise typer.BadParameter(str(exc), param_hint="--fact") from None
    place = runtime.municipalities.get(municipality)
    name = place.label(language) if place else "?"
    if transition is not None:
        _try_transition(
            runtime,
            municipality=municipality,
            birth_date=born,
            facts=facts,
            today=today,
            pathway_key=pathway,
            trigger=transition,
            from_state=from_state,
            consent=consent,
            language=language,
            output=output,
            title=f"{municipality} {name}, {today.isoformat()}",
        )
        return
    from engine.rules import text_in

    client = _made_up_client(municipality, born, consent)
    options = runtime.referral_options.for_client(client, facts, today)
    if output is OutputFormat.json:
        document = {
            "municipality": municipality,
            "on": today.isoformat(),
            "options": [_option_dict(o, language) for o in options],
        }
        out.print_json(json.dumps(document, ensure_ascii=False))
        return
    out.print(f"{municipality} {name}, {today.isoformat()}", markup=False)
    if not options:
        out.print("no referral targets are offered here", markup=False)
    for option in options:
        target = option.target
        provider = target.provider
        out.print(
            f"\n{text_in(target.label, language)}: {'yes' if option.eligible else 'no'}"
            f" ({target.key}; {provider.name if provider else '-'}; plugin {option.plugin})",
            markup=False,
        )
        for verdict in option.eligibility.verdicts:
            out.print(_verdict_line(verdict, language), markup=False)
        if option.eligibility.missing_facts:
            missing = ", ".join(option.eligibility.missing_facts)
            out.print(f"  record first: {missing}", markup=False)


def _fail(message: str) -> NoReturn:
    """A usage error, printed whole (typer's error box would wrap it into a frame)."""
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(2)


def _made_up_client(municipality: str, born: date | None, consent: bool) -> Any:
    from engine.views import ClientView

    now = datetime.now(UTC)
    return ClientView(
        id=0,
        first_name="-",
        last_name="-",
        birth_date=born,
        municipality_code=municipality,
        phone=None,
        email=None,
        participation_consent_at=now if consent else None,
        created_at=now,
        created_by=None,
        organisation_id=None,
    )


def _try_transition(
    runtime: Runtime,
    *,
    municipality: str,
    birth_date: date | None,
    facts: Facts,
    today: date,
    pathway_key: str,
    trigger: str,
    from_state: str | None,
    consent: bool,
    language: str,
    output: OutputFormat,
    title: str,
) -> None:
    """Fire ``trigger`` for a made-up client in a throwaway in-memory database (so that guards
    reading the database, e.g. for GAS goals, find this client and nothing else)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool
    from sqlmodel import Session, SQLModel

    from engine.models import Client, Journey
    from engine.views import ClientView, JourneyView

    try:
        pathway = runtime.pathways.latest(pathway_key)
    except KeyError:
        _fail(f"--pathway: no pathway {pathway_key!r}; known: {', '.join(runtime.pathways.keys())}")
    sources = [s for t in pathway.definition.transitions if t.trigger == trigger for s in t.source]
    if not sources:
        known = ", ".join(dict.fromkeys(t.trigger for t in pathway.definition.transitions))
        _fail(f"--transition: {pathway_key} has no trigger {trigger!r}; its triggers: {known}")
    state = from_state or sources[0]
    if state not in sources:
        _fail(
            f"--from: {trigger!r} is not a move from {state!r}; it moves from: {', '.join(sources)}"
        )
    engine = create_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    now = datetime.now(UTC)
    with Session(engine) as session, session.begin():
        client = Client(
            first_name="-",
            last_name="-",
            birth_date=birth_date,
            municipality_code=municipality,
            participation_consent_at=now if consent else None,
        )
        session.add(client)
        session.flush()
        assert client.id is not None
        for key in facts:
            runtime.facts.record(
                session, client_id=client.id, key=key, value=facts.value(key), valid_from=today
            )
        journey = Journey(
            client_id=client.id,
            pathway_key=pathway.key,
            pathway_version=pathway.version,
            state=state,
            version=1,
            created_at=now,
            updated_at=now,
        )
        session.add(journey)
        session.flush()
        options = runtime.journeys.available(
            session, JourneyView.of(journey), ClientView.of(client), today=today, as_service=True
        )
        session.rollback()
    engine.dispose()
    [option] = [o for o in options if o.trigger == trigger]
    if output is OutputFormat.json:
        document = {
            "municipality": municipality,
            "on": today.isoformat(),
            "pathway": pathway.key,
            "version": pathway.version,
            "trigger": trigger,
            "from": state,
            "to": option.dest,
            "allowed": option.allowed,
            "verdicts": [v.as_dict() for v in option.verdicts],
        }
        out.print_json(json.dumps(document, ensure_ascii=False))
        return
    out.print(title, markup=False)
    dest = option.dest or "-"
    out.print(
        f"{trigger}: {state} -> {dest}: {'allowed' if option.allowed else 'denied'}"
        f" ({pathway.key} v{pathway.version})",
        markup=False,
    )
    for verdict in option.verdicts:
        out.print(_verdict_line(verdict, language), markup=False)
    if not option.verdicts:
        out.print("  no rule has an opinion", markup=False)


@plugins_app.command("new")
def plugins_new(
    name: Annotated[str, typer.Argument(help="Plugin name: lower-case letters, digits, _")],
    municipality: Annotated[str, typer.Option(help="Municipality code (kuntanumero)")],
    municipality_name: Annotated[
        str | None, typer.Option("--name", help="Finnish name (needed if Polku does not know it)")
    ] = None,
    swedish_name: Annotated[str | None, typer.Option("--swedish-name")] = None,
    wellbeing_county: Annotated[str | None, typer.Option(help="Hyvinvointialue")] = None,
    employment_area: Annotated[str | None, typer.Option(help="Työllisyysalue")] = None,
    region: Annotated[str, typer.Option(help="Maakunta")] = "",
    into: Annotated[Path, typer.Option(help="Where to create polku-NAME/")] = Path(),
) -> None:
    """Create an installable plugin package polku-NAME/: pyproject.toml with the entry point, a
    module with one commented example of each hook, and tests that pass."""
    from engine.scaffold import ScaffoldError, scaffold

    try:
        created = scaffold(
            name,
            municipality,
            into=into,
            fi=municipality_name,
            sv=swedish_name,
            wellbeing_county=wellbeing_county,
            employment_area=employment_area,
            region=region,
        )
    except ScaffoldError as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None
    out.print(f"created {created}", markup=False)
    out.print(
        f"next: .venv/bin/pip install --no-build-isolation -e {created}"
        f"  then  .venv/bin/pytest {created}",
        markup=False,
    )
