"""The ``polku`` command line (Typer): pathways, plugins, database, organisations, users, API
tokens, demo data, the server."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from engine.applog import configure_logging
from engine.cli_reports import projects_app as _projects_app
from engine.cli_reports import report_app as _report_app
from engine.plugin_cli import plugins_app
from engine.settings import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from engine.retention import Retention
    from engine.runtime import Runtime

app = typer.Typer(
    help="Polku: client journeys for outreach and social rehabilitation work.", no_args_is_help=True
)
pathways_app = typer.Typer(help="Check and draw pathway definitions.", no_args_is_help=True)
db_app = typer.Typer(help="Database migrations and checks.", no_args_is_help=True)
demo_app = typer.Typer(help="Fictional demo data.", no_args_is_help=True)
organisations_app = typer.Typer(
    help="Organisations (project, partner agencies).", no_args_is_help=True
)
users_app = typer.Typer(help="Users: create, list, disable, passwords, TOTP.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens for integrations.", no_args_is_help=True)
app.add_typer(pathways_app, name="pathways")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(plugins_app, name="plugins")


app.add_typer(organisations_app, name="organisations")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
# ESF+ projects and the funder report (engine/cli_reports.py, docs/reporting.md)
app.add_typer(_projects_app, name="projects")
app.add_typer(_report_app, name="report")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def main() -> None:
    configure_logging()
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


@pathways_app.command("migrate")
def pathways_migrate(
    name: str,
    to: Annotated[int | None, typer.Option("--to", help="Target version (default: latest)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; change nothing")] = False,
) -> None:
    """Move the journeys of a pathway onto another version (default: the latest). Each move is
    an event in the journey's log. Exit 1 if some journeys could not be moved."""
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        summary = runtime.journeys.migrate_all(runtime.db, name, to_version=to, dry_run=dry_run)
    except KeyError as exc:
        err.print(f"error: {exc.args[0]}", highlight=False)
        raise typer.Exit(1) from None
    finally:
        runtime.close()
    verb = "would move" if dry_run else "moved"
    out.print(
        f"{summary.pathway_key}: {verb} {summary.moved} journeys onto version {summary.to_version}",
        highlight=False,
    )
    if summary.finished:
        out.print(f"{summary.finished} ended journeys are left on their version", highlight=False)
    for state, count in sorted(summary.stayed.items()):
        err.print(
            f"{count} journeys stay: state {state!r} does not exist in version "
            f"{summary.to_version}",
            highlight=False,
        )
    if summary.conflicts:
        err.print(f"{summary.conflicts} journeys moved meanwhile: run again", highlight=False)
    if summary.stayed or summary.conflicts:
        raise typer.Exit(1)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply Alembic migrations (creates the SQLite file under var/ if needed)."""
    from engine.migrate import upgrade

    settings = get_settings()
    _ensure_sqlite_dir(settings.owner_url)
    upgrade(settings.owner_url, revision, app_role=settings.app_role)
    out.print(f"database at revision {revision}")
    if settings.app_role:
        out.print(f"granted the app role {settings.app_role} what it needs", highlight=False)


@db_app.command("roles")
def db_roles(
    admin_url: Annotated[
        str,
        typer.Option(
            envvar="POLKU_ADMIN_DATABASE_URL",
            help="A superuser's URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)",
        ),
    ],
) -> None:
    """PostgreSQL: create the owner and app roles named in POLKU_OWNER_DATABASE_URL and
    POLKU_DATABASE_URL, and the database owned by the owner, when missing (idempotent). Then
    run `polku db upgrade`, which grants the app role what it needs."""
    from sqlalchemy.engine import make_url

    from engine.roles import ensure_roles, role_of

    settings = get_settings()
    owner, app_role = role_of(settings.owner_url), role_of(settings.database_url)
    if not owner or not app_role or owner == app_role:
        err.print(
            "set POLKU_DATABASE_URL (the app role) and POLKU_OWNER_DATABASE_URL (the owner) to "
            "PostgreSQL URLs with different users"
        )
        raise typer.Exit(2)
    database = make_url(settings.owner_url).database
    ensure_roles(admin_url, owner=owner, app=app_role, database=database)
    out.print(f"roles {owner} (owner) and {app_role} (app) and database {database} ready")


@db_app.command("verify")
def db_verify() -> None:
    """Prove that every journey's state (and furthest funnel stage) agrees with its event log and
    that the hash chains of the event, access and disclosure logs hold; name the first broken
    row of each stream.
    Also that every client journey agrees with its follow-on referrals (the referral loop), and
    that each project participant's kept forms (first entry, last exit, last follow-up) are the
    ones its standing forms give. Exit 1 on any problem."""
    from engine.chain import verify_database
    from engine.integrity import verify_furthest_stages, verify_referral_loops
    from engine.participants import verify_picks
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        found = verify_database(session)
        stages = verify_furthest_stages(session, runtime.pathways)
        loops = verify_referral_loops(session)
        picks = verify_picks(session)
    for problem in found.problems:
        err.print(problem, highlight=False)
    for mismatch in stages + loops:
        err.print(f"journey {mismatch.journey_id}: {mismatch.problem}", highlight=False)
    for participant_id, column in picks:
        err.print(
            f"project participant {participant_id}: {column} is not the form its standing "
            "forms give",
            highlight=False,
        )
    if not found.ok or stages or loops or picks:
        raise typer.Exit(1)
    out.print(
        f"every journey ({found.journeys}) agrees with its event log; "
        f"{found.rows} log rows in {found.streams} hash chains verified",
        highlight=False,
    )
    out.print("every client journey agrees with its follow-on referrals")
    out.print("every project participant's kept forms are its standing first entry and last exit")


@app.command("backup")
def backup_command(
    path: Annotated[Path, typer.Argument(help="Where to write the copy (and PATH.manifest.json)")],
) -> None:
    """Copy the database consistently while the app serves (SQLite: the online backup API;
    PostgreSQL: pg_dump from one snapshot). See docs/operations.md."""
    from engine.backup import backup

    settings = get_settings()
    manifest = backup(settings.owner_url, path)
    rows = sum(manifest.tables.values())
    if manifest.rows_verified is None:
        err.print(
            f"copied {rows} rows to {path}, but the copy does not verify: run polku db verify"
        )
        raise typer.Exit(1)
    out.print(
        f"copied {rows} rows to {path}; {manifest.rows_verified} log rows verified", highlight=False
    )


@app.command("restore")
def restore_command(
    path: Annotated[Path, typer.Argument(help="A copy made by polku backup")],
) -> None:
    """Restore a copy into the configured (empty) database; refuse a copy that does not verify
    or does not match its manifest."""
    from engine.backup import RestoreRefused, restore

    settings = get_settings()
    _ensure_sqlite_dir(settings.owner_url)
    try:
        manifest = restore(path, settings.owner_url, app_role=settings.app_role)
    except RestoreRefused as refused:
        err.print(f"restore refused: {refused}", highlight=False)
        raise typer.Exit(1) from None
    out.print(
        f"restored {sum(manifest.tables.values())} rows from {path}; "
        f"{manifest.rows_verified} log rows verified",
        highlight=False,
    )


@demo_app.command("load")
def demo_load(
    if_empty: Annotated[bool, typer.Option(help="Only when the database has no users")] = False,
    clients: int = 60,
) -> None:
    """Load demo organisations, one user per role and fictional clients (Faker fi_FI) walked
    through the real engine. Refused in production."""
    from engine.demo import DemoRefused, is_empty, load_demo
    from engine.runtime import Runtime

    runtime = Runtime()
    if if_empty and not is_empty(runtime):
        out.print("demo data already loaded")
        return
    try:
        summary = load_demo(runtime, clients=clients)
    except DemoRefused as exc:
        err.print(f"error: {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(
        f"loaded {summary.users} demo users and {summary.clients} fictional clients "
        f"with {summary.events} events; `polku demo logins` shows the logins"
    )


@demo_app.command("logins")
def demo_logins() -> None:
    """Print the demo logins (username, password, role) that exist in the database."""
    from engine.runtime import Runtime

    _print_demo_logins(Runtime())


def _print_demo_logins(runtime: Runtime) -> None:
    from engine.demo import demo_users

    found = demo_users(runtime)
    if not found:
        out.print("no demo logins in this database (polku demo load)")
        return
    settings = runtime.settings
    out.print(f"Demo logins (fictional data), http://{settings.host}:{settings.port}/login :")
    for login, _user in found:
        out.print(
            f"  {login.role.value:<12} {login.username:<15} password: {login.password}",
            highlight=False,
        )
    if runtime.settings.require_totp:
        err.print(
            f"note: environment is {runtime.settings.environment.value}: these users also need "
            "their TOTP code (polku users reset-totp USERNAME); POLKU_ENVIRONMENT=demo skips it",
            highlight=False,
        )


@organisations_app.command("create")
def organisations_create(
    name: Annotated[str, typer.Option(help="Name of the organisation")],
    kind: Annotated[str, typer.Option(help="project (holds client records) or partner")],
    municipalities: Annotated[str, typer.Option(help="Municipality codes, comma-separated")] = "",
) -> None:
    """Create an organisation; prints its id."""
    from engine.errors import InputRequired
    from engine.organisations import create_organisation
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        with runtime.db.write() as session:
            organisation = create_organisation(
                session, name=name, kind=kind, municipalities=municipalities
            )
            out.print(f"organisation {organisation.id} created", highlight=False)
    except InputRequired as exc:
        err.print(f"error: --{exc.field.replace('_', '-')}: {exc}", highlight=False)
        raise typer.Exit(1) from None


@organisations_app.command("list")
def organisations_list() -> None:
    """Every organisation with its id."""
    from sqlmodel import col, select

    from engine.models import Organisation
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        rows = session.exec(select(Organisation).order_by(col(Organisation.id))).all()
    table = Table("id", "name", "kind", "municipalities")
    for o in rows:
        table.add_row(str(o.id), o.name, o.kind, o.municipality_codes)
    out.print(table)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(prompt=True, help="Login name (a-z 0-9 . _ @ -)")],
    display_name: Annotated[str, typer.Option(prompt=True, help="Name shown to colleagues")],
    role: Annotated[str, typer.Option(prompt=True, help="coach, coordinator, partner or admin")],
    organisation: Annotated[
        int | None, typer.Option(help="Organisation id (polku organisations list)")
    ] = None,
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="Initial password"
        ),
    ] = "",
    totp: Annotated[
        bool, typer.Option("--totp/--no-totp", help="Two-factor login (--no-totp: demo only)")
    ] = True,
) -> None:
    """Create a user and print the TOTP provisioning URI for their authenticator app."""
    from engine.errors import InputRequired
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        with runtime.db.write() as session:
            user, secret = runtime.auth.create_user(
                session,
                username=username,
                display_name=display_name,
                role=role,
                organisation_id=organisation,
                password=password,
                totp=totp,
            )
    except InputRequired as exc:
        err.print(f"error: {exc.field}: {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"user {user.id} ({user.username}, {user.role}) created", highlight=False)
    if secret:
        _print_totp(runtime, user.username, secret)


def _print_totp(runtime: Runtime, username: str, secret: str) -> None:
    out.print("TOTP provisioning URI (show it as a QR code to the authenticator app, once):")
    out.print(runtime.auth.provisioning_uri(username, secret), highlight=False)


@users_app.command("list")
def users_list() -> None:
    """Every user: id, username, role, organisation, active, TOTP enrolled."""
    from sqlmodel import col, select

    from engine.models import User
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        rows = session.exec(select(User).order_by(col(User.username))).all()
    table = Table("id", "username", "role", "organisation", "active", "totp")
    for u in rows:
        table.add_row(
            str(u.id),
            u.username,
            u.role,
            str(u.organisation_id or ""),
            "yes" if u.is_active else "no",
            "yes" if u.totp_secret else "no",
        )
    out.print(table)


def _user_id(session: Session, username: str) -> int:
    from sqlmodel import col, select

    from engine.models import User

    found = session.exec(
        select(User.id).where(col(User.username) == username.strip().lower())
    ).first()
    if found is None:
        err.print(f"error: no user {username!r}", highlight=False)
        raise typer.Exit(1)
    return found


@users_app.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: sessions end and API tokens are revoked at once."""
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.write() as session:
        runtime.auth.disable_user(session, _user_id(session, username))
    out.print(f"{username} disabled", highlight=False)


@users_app.command("set-password")
def users_set_password(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Set a new password; every session of the user ends."""
    from engine.errors import InputRequired
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        with runtime.db.write() as session:
            runtime.auth.set_password(session, _user_id(session, username), password)
    except InputRequired as exc:
        err.print(f"error: {exc}", highlight=False)
        raise typer.Exit(1) from None
    out.print(f"password of {username} set", highlight=False)


@users_app.command("reset-totp")
def users_reset_totp(username: str) -> None:
    """Give a user a new TOTP secret (lost phone); prints the provisioning URI."""
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.write() as session:
        _user, secret = runtime.auth.reset_totp(session, _user_id(session, username))
    _print_totp(runtime, username, secret)


@tokens_app.command("create")
def tokens_create(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for")],
    days: Annotated[int | None, typer.Option(help="Expires after this many days")] = None,
) -> None:
    """Create an API token acting as USERNAME; printed once, only a hash is kept."""
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.write() as session:
        token, row = runtime.auth.create_api_token(
            session, _user_id(session, username), name, days=days
        )
    out.print(f"API token {row.id} for {username} (send as 'Authorization: Bearer ...'):")
    out.print(token, highlight=False)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke an API token at once."""
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.write() as session:
        runtime.auth.revoke_api_token(session, token_id)
    out.print(f"API token {token_id} revoked")


@app.command("funnel")
def funnel_report(
    municipality: Annotated[str | None, typer.Option(help="Municipality code")] = None,
) -> None:
    """The funnel contacted -> engaged -> goals -> active -> referred -> on pathway."""
    from engine.pathway_keys import CLIENT_JOURNEY
    from engine.reports import funnel
    from engine.runtime import Runtime

    runtime = Runtime()
    with runtime.db.read() as session:
        result = funnel(
            session,
            runtime.pathways.latest(CLIENT_JOURNEY),
            municipality_codes=[municipality] if municipality else None,
        )
    table = Table("stage", "journeys")
    for stage, n in result.as_list():
        table.add_row(stage, str(n))
    out.print(table)


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)


if __name__ == "__main__":
    main()


# --- referrals and the e-mail outbox (docs/referrals.md) -----------------------------------------

referrals_app = typer.Typer(help="Referral handoffs: expiry check (cron).", no_args_is_help=True)
outbox_app = typer.Typer(help="The e-mail outbox: send what is due (cron).", no_args_is_help=True)
app.add_typer(referrals_app, name="referrals")
app.add_typer(outbox_app, name="outbox")


@referrals_app.command("expire")
def referrals_expire() -> None:
    """Flag referrals unanswered past their response time and notify both sides. Idempotent:
    a referral is flagged once, also when two runs overlap."""
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        with runtime.db.write() as session:
            flagged = runtime.referrals.expire(session, runtime.clock.now())
    finally:
        runtime.close()
    out.print(
        f"expired: {len(flagged)}" + (f" ({', '.join(map(str, flagged))})" if flagged else "")
    )


@outbox_app.command("send")
def outbox_send() -> None:
    """Send the e-mails that are due to the SMTP server of the settings (smtp_host/port/from);
    failed ones are retried by a later run with backoff."""
    from engine.outbox import send_due
    from engine.runtime import Runtime

    runtime = Runtime()
    try:
        report = send_due(runtime.db, runtime.settings, runtime.clock.now())
    finally:
        runtime.close()
    out.print(f"sent: {len(report.sent)}, failed: {len(report.failed)}")
    if report.failed:
        raise typer.Exit(1)


# --- retention and erasure (docs/operations.md, "Retention") ------------------------------------

retention_app = typer.Typer(
    help="Retention: remove closed records whose period has passed; erasure requests.",
    no_args_is_help=True,
)
app.add_typer(retention_app, name="retention")


def _retention() -> Retention:
    from engine.db import Database
    from engine.retention import Retention, rule_for
    from engine.runtime import Runtime

    runtime = Runtime()
    owner = Database(runtime.settings.owner_url, retention=True)
    return Retention(owner, runtime.pathways, runtime.clock, rule_for(runtime.settings))


@retention_app.command("run")
def retention_run(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only list what is due")] = False,
) -> None:
    """List the closed clients whose retention period has passed, then remove each with
    everything that belongs to them (as the owner role), writing a tombstone for each."""
    from engine.retention import Removal

    retention = _retention()
    rule = retention.rule
    out.print(f"rule {rule.key}: {rule.years} years from closing ({rule.legal_source})")
    try:
        done = retention.run(dry_run=dry_run)
    finally:
        retention.db.dispose()
    for item in done:
        if isinstance(item, Removal):
            counts = ", ".join(f"{t} {n}" for t, n in sorted(item.removed.items()))
            out.print(f"client {item.client_id} removed (closed {item.closed_on}): {counts}")
        else:
            out.print(
                f"client {item.client_id} due: closed {item.closed_on}, "
                f"kept until {item.kept_until}"
            )
    verb = "due" if dry_run else "removed"
    out.print(f"{len(done)} clients {verb}")


@retention_app.command("erase")
def retention_erase(
    client_id: int,
    reason: Annotated[
        str, typer.Option(help="The erasure request's reference (a code, no personal data)")
    ],
) -> None:
    """A client's erasure request (GDPR art. 17): removed when the retention period has
    passed; otherwise refused with the legal reason, and the refusal is recorded."""
    from engine.errors import InputRequired, NotFound
    from engine.retention import ErasureRefused

    retention = _retention()
    try:
        removal = retention.erase(client_id, request=reason)
    except ErasureRefused as refused:
        err.print(str(refused), highlight=False)
        raise typer.Exit(1) from None
    except (NotFound, InputRequired) as problem:
        err.print(str(problem), highlight=False)
        raise typer.Exit(2) from None
    finally:
        retention.db.dispose()
    out.print(f"client {removal.client_id} removed: {sum(removal.removed.values())} rows")
