"""Each route's access rule. Who the request is and CSRF are in :mod:`web.authentication`, the
response headers in :mod:`web.headers` (both re-exported here for the routes that import them).

**Every route declares exactly one access rule**, as a dependency from this module:

- ``dependencies=[PUBLIC]``: anyone; an unsafe method still needs an allowed Origin/Referer;
- ``CurrentUser``: any logged-in user (about themselves only);
- ``ClientCreator``: :func:`engine.access.can_create_client`;
- ``OrganisationReporter``: :func:`engine.access.can_see_organisation_reports`;
- ``ClientLogFinder``: :func:`engine.access.can_find_clients_for_log` (the route logs one
  access-log row per client it shows);
- ``UserManager``: :func:`engine.access.can_manage_users`;
- ``PartnerWorker``: :func:`engine.access.can_read_partner_inbox` (referral list, no client data);
- ``ServiceManager``: :func:`engine.access.can_manage_partner_services`;
- ``GroupLister`` / ``GroupCreator``: :func:`engine.access.can_list_groups` /
  :func:`engine.access.can_create_group` (no client data);
- ``Depends(group_rule(What.x))``: :func:`engine.access.authorise_group` for the path's
  ``group_id`` (its leaders, its partner co-leader, its organisation's coordinators); the route
  logs one access-log row per member whose data it shows (``GroupAccess.record``);
- ``Depends(referral_rule(What.x))``: :func:`engine.access.authorise_referral` for the path's
  ``referral_id`` (care team, or the receiving partner while consent holds); logged like below;
- ``Depends(client_rule(What.x, by="journey" | "client"))``: :func:`engine.access.authorise_client`
  for the one client the path's ``journey_id`` or ``client_id`` leads to; writes the view's
  access-log row in the request's transaction (read the data through ``ClientAccess.session``).

:func:`check_routes` (called by ``create_app``) refuses to start the app when a route declares no
rule or more than one: deny by default. The authorisation matrix test walks every route too.

Authentication: ``Authorization: Bearer polku_...`` (API token) or the session cookie, with
CSRF on unsafe cookie requests (:mod:`web.authentication`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Request
from fastapi.routing import APIRoute, RouteContext, iter_route_contexts
from sqlmodel import Session
from starlette.routing import Mount, Route

from engine import access, audit
from engine.access import Basis, Principal, What
from engine.auth import Authentication
from engine.bounds import Id
from engine.runtime import Runtime
from web.authentication import (
    CSRF_FIELD,
    CSRF_HEADER,
    SAFE_METHODS,
    authentication,
    check_origin,
    clear_session_cookie,
    client_address,
    end_current_session,
    perform_login,
    session_cookie_name,
    set_session_cookie,
    show_signed_in,
)
from web.deps import RuntimeDep, WriteSessionDep
from web.headers import CSP, DOCS_CSP, SecurityHeaders

__all__ = [
    "CSP",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "DOCS_CSP",
    "SAFE_METHODS",
    "SecurityHeaders",
    "check_origin",
    "clear_session_cookie",
    "client_address",
    "end_current_session",
    "perform_login",
    "session_cookie_name",
    "set_session_cookie",
    "show_signed_in",
]

RULE_ATTRIBUTE = "__polku_access_rule__"
#: FastAPI's own documentation routes (they exist only outside production).
FRAMEWORK_ROUTES = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})


# --- access rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccessRule:
    """What a route requires; read back from the route by :func:`route_rules`."""

    name: str
    summary: str


def declares(rule: AccessRule) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(dependency: Callable[..., Any]) -> Callable[..., Any]:
        setattr(dependency, RULE_ATTRIBUTE, rule)
        return dependency

    return mark


def route_rules(route: RouteContext) -> list[AccessRule]:
    """The access rules a route declares: its direct dependencies (including those of the
    routers it was included through) that carry one."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return []
    return [
        getattr(d.call, RULE_ATTRIBUTE)
        for d in dependant.dependencies
        if hasattr(d.call, RULE_ATTRIBUTE)
    ]


def framework_route(route: RouteContext) -> bool:
    """Static assets (a mount named "static") and FastAPI's documentation pages."""
    original = route.original_route
    if isinstance(original, Mount):
        return original.name == "static"
    return isinstance(original, Route) and route.path in FRAMEWORK_ROUTES


def check_routes(app: FastAPI) -> None:
    """Refuse an app with a route that declares no access rule, or more than one."""
    problems = []
    for route in iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute):
            rules = route_rules(route)
            if len(rules) != 1:
                methods = ",".join(sorted(route.methods or ()))
                names = ", ".join(r.name for r in rules) or "none"
                problems.append(f"{methods} {route.path}: access rules {names}")
        elif not framework_route(route):
            problems.append(f"{route.path}: not an API route with an access rule")
    if problems:
        raise RuntimeError(
            "every route declares exactly one access rule (web/security.py, docs/security.md): "
            + "; ".join(problems)
        )


# --- the rules ------------------------------------------------------------------------------------


@declares(AccessRule("public", "anyone; an unsafe method needs an allowed Origin/Referer"))
def public(request: Request, runtime: RuntimeDep) -> None:
    if request.method not in SAFE_METHODS:
        check_origin(request, runtime.settings)
        return
    # A signed-in visitor of a public page still sees their header and menu; the session only
    # decorates the page (no data, no rights), and an ended session is simply anonymous.
    cookie = request.cookies.get(session_cookie_name(runtime.settings))
    auth = runtime.auth.authenticate_session(cookie) if cookie else None
    if auth is not None:
        request.state.csrf_token = auth.csrf_token or ""
        show_signed_in(request, auth)


#: ``dependencies=[PUBLIC]`` on a route that anyone may call.
PUBLIC = Depends(public)


@declares(AccessRule("authenticated", "any logged-in user, about themselves only"))
def authenticated(auth: Annotated[Authentication, Depends(authentication)]) -> Authentication:
    return auth


CurrentUser = Annotated[Authentication, Depends(authenticated)]


def principal_rule(
    name: str, description: str, allowed: Callable[[Principal], bool], action: str
) -> Callable[..., Principal]:
    """The rule of a route about no single client: the logged-in principal passes ``allowed``
    (a predicate from :mod:`engine.access`), else 403 naming ``action``."""

    @declares(AccessRule(name, description))
    def rule(auth: Annotated[Authentication, Depends(authentication)]) -> Principal:
        access.require(allowed(auth.principal), action)
        return auth.principal

    rule.__name__ = f"{name}_rule"
    return rule


ClientCreator = Annotated[
    Principal,
    Depends(
        principal_rule(
            "create_client",
            "a coach of an organisation (can_create_client)",
            access.can_create_client,
            "record clients",
        )
    ),
]


CaseloadLister = Annotated[
    Principal,
    Depends(
        principal_rule(
            "caseload",
            "a role with a caseload grant; rows from visible_clients",
            access.can_list_caseload,
            "list a caseload",
        )
    ),
]


OrganisationReporter = Annotated[
    Principal,
    Depends(
        principal_rule(
            "organisation_report",
            "a coordinator, own organisation's aggregates only",
            access.can_see_organisation_reports,
            "organisation reports",
        )
    ),
]


ClientLogFinder = Annotated[
    Principal,
    Depends(
        principal_rule(
            "client_log_search",
            "a coordinator finds clients of their organisation for a log report; "
            "one access-log row per client shown",
            access.can_find_clients_for_log,
            "find clients for a log report",
        )
    ),
]


UserManager = Annotated[
    Principal,
    Depends(
        principal_rule(
            "manage_users",
            "an admin (can_manage_users); no client data",
            access.can_manage_users,
            "manage users",
        )
    ),
]


@dataclass(frozen=True)
class ClientAccess:
    """An allowed, already logged view of one client's data. Read the data through ``session``:
    the access row is in its transaction and commits (or rolls back) with the response."""

    principal: Principal
    client_id: Id
    what: What
    basis: Basis
    session: Session


def _allow_client(
    request: Request,
    session: Session,
    runtime: Runtime,
    principal: Principal,
    client_id: Id,
    what: What,
) -> ClientAccess:
    basis = access.authorise_client(session, principal, client_id, what, runtime.clock.today())
    return _allowed(request, session, runtime, principal, client_id, what, basis)


def _allowed(
    request: Request,
    session: Session,
    runtime: Runtime,
    principal: Principal,
    client_id: Id,
    what: What,
    basis: Basis,
) -> ClientAccess:
    view = audit.View(principal, client_id, what, basis, runtime.clock.now())
    audit.record_view(session, view)
    # If the route then fails with a domain error (409/422), its transaction rolls back with
    # this row, yet the error's answer still tells something of the client (the state, the
    # rules' reasons): the error handler logs the view again on its own (see web/app.py).
    request.state.client_view = view
    return ClientAccess(principal, client_id, what, basis, session)


def client_rule(what: What, *, by: Literal["journey", "client"]) -> Callable[..., ClientAccess]:
    """The rule of a route that shows or changes one client's data, found from the route's
    ``journey_id`` or ``client_id`` path parameter. Writes exactly one access-log row."""
    rule = AccessRule(f"client:{what}", f"engine.access grants for {what!s} of this client")
    if by == "journey":

        def through_journey(
            request: Request,
            journey_id: Id,
            auth: Annotated[Authentication, Depends(authentication)],
            session: WriteSessionDep,
            runtime: RuntimeDep,
        ) -> ClientAccess:
            client_id, basis = access.authorise_journey(
                session, auth.principal, journey_id, what, runtime.clock.today()
            )
            return _allowed(request, session, runtime, auth.principal, client_id, what, basis)

        return declares(rule)(through_journey)

    def through_client(
        request: Request,
        client_id: Id,
        auth: Annotated[Authentication, Depends(authentication)],
        session: WriteSessionDep,
        runtime: RuntimeDep,
    ) -> ClientAccess:
        return _allow_client(request, session, runtime, auth.principal, client_id, what)

    return declares(rule)(through_client)


def referral_rule(what: What) -> Callable[..., ClientAccess]:
    """The rule of a route about one referral (path parameter ``referral_id``):
    :func:`engine.access.authorise_referral` -- the client's care team, or the receiving partner
    while the consent holds. Writes exactly one access-log row."""

    @declares(AccessRule(f"referral:{what}", f"engine.access grants for {what!s} of this referral"))
    def through_referral(
        referral_id: Id,
        auth: Annotated[Authentication, Depends(authentication)],
        session: WriteSessionDep,
        runtime: RuntimeDep,
    ) -> ClientAccess:
        client_id, basis = access.authorise_referral(
            session, auth.principal, referral_id, what, runtime.clock.today()
        )
        audit.record_access(
            session,
            principal=auth.principal,
            client_id=client_id,
            what=what,
            basis=basis,
            at=runtime.clock.now(),
        )
        return ClientAccess(auth.principal, client_id, what, basis, session)

    return through_referral


PartnerWorker = Annotated[
    Principal,
    Depends(
        principal_rule(
            "partner_inbox",
            "a partner worker: referrals to their organisation, no data",
            access.can_read_partner_inbox,
            "partner inbox",
        )
    ),
]


ServiceManager = Annotated[
    Principal,
    Depends(
        principal_rule(
            "manage_services",
            "an admin (can_manage_partner_services); no client data",
            access.can_manage_partner_services,
            "partner services",
        )
    ),
]


# --- groups (ryhmät): web/group_pages.py ---------------------------------------------------------

GroupLister = Annotated[
    Principal,
    Depends(
        principal_rule(
            "group_list",
            "a role with a group grant; only the groups it leads, co-leads or coordinates",
            access.can_list_groups,
            "list groups",
        )
    ),
]


GroupCreator = Annotated[
    Principal,
    Depends(
        principal_rule(
            "create_group",
            "a coach of an organisation (can_create_group); no client data",
            access.can_create_group,
            "start groups",
        )
    ),
]


@dataclass(frozen=True)
class GroupAccess:
    """An allowed view of (or work in) one group. The members' data it shows is logged by the
    route, one row per member (:meth:`record`), in this transaction."""

    principal: Principal
    group_id: Id
    what: What
    basis: Basis
    session: Session

    def record(self, runtime: Runtime, client_ids: list[int]) -> None:
        """One access-log row per member shown; for the partner co-leader also one
        disclosure-log row each (their name and attendance went to another organisation, on
        the member's consent: docs/security.md)."""
        now = runtime.clock.now()
        audit.record_accesses(
            self.session,
            principal=self.principal,
            client_ids=client_ids,
            what=self.what,
            basis=self.basis,
            at=now,
        )
        if self.basis == Basis.group_co_leader and self.principal.organisation_id is not None:
            audit.record_attendance_disclosures(
                self.session,
                client_ids=client_ids,
                recipient_organisation_id=self.principal.organisation_id,
                at=now,
            )


def group_rule(what: What, *, name: str | None = None) -> Callable[..., GroupAccess]:
    """The rule of a route about one group (path parameter ``group_id``):
    :func:`engine.access.authorise_group`. ``name`` overrides the rule's name for a route that
    shows no member's data (the matrix expects its access-log rows by name)."""

    @declares(AccessRule(name or f"group:{what}", f"engine.access group grants for {what!s} of it"))
    def through_group(
        group_id: Id,
        auth: Annotated[Authentication, Depends(authentication)],
        session: WriteSessionDep,
        runtime: RuntimeDep,
    ) -> GroupAccess:
        basis = access.authorise_group(
            session, auth.principal, group_id, what, runtime.clock.today()
        )
        return GroupAccess(auth.principal, group_id, what, basis, session)

    return through_group


# --- events (tapahtumat): web/event_pages.py -----------------------------------------------------

EventLister = Annotated[
    Principal,
    Depends(
        principal_rule(
            "event_list",
            "a role with an event grant; only the events it leads or coordinates (counts only)",
            access.can_list_events,
            "list events",
        )
    ),
]


EventCreator = Annotated[
    Principal,
    Depends(
        principal_rule(
            "create_event",
            "a coach of an organisation (can_create_event); no client data",
            access.can_create_event,
            "create events",
        )
    ),
]


@dataclass(frozen=True)
class EventAccess:
    """An allowed view of (or work in) one event; the route logs one access-log row per
    participant whose name or attendance it shows (:meth:`record`), in this transaction."""

    principal: Principal
    event_id: Id
    what: What
    basis: Basis
    session: Session

    def record(self, runtime: Runtime, client_ids: list[int]) -> None:
        audit.record_accesses(
            self.session,
            principal=self.principal,
            client_ids=client_ids,
            what=self.what,
            basis=self.basis,
            at=runtime.clock.now(),
        )


def event_rule(what: What, *, name: str | None = None) -> Callable[..., EventAccess]:
    """The rule of a route about one event (path parameter ``event_id``):
    :func:`engine.access.authorise_event` (its creator and leader, its organisation's
    coordinators). ``name`` overrides the rule's name for a route that shows no participant."""

    @declares(AccessRule(name or f"event:{what}", f"engine.access event grants for {what!s} of it"))
    def through_event(
        event_id: Id,
        auth: Annotated[Authentication, Depends(authentication)],
        session: WriteSessionDep,
        runtime: RuntimeDep,
    ) -> EventAccess:
        basis = access.authorise_event(
            session, auth.principal, event_id, what, runtime.clock.today()
        )
        return EventAccess(auth.principal, event_id, what, basis, session)

    return through_event
