"""Each role's home (where login lands) and menu (the signed-in header), defined in one place.

:data:`MENUS` lists a role's menu entries in order; a new page adds its entry here with one line
(e.g. funder reporting in the coordinator's menu). An entry whose path the app does not serve is
left out, so a menu never links to a page that does not exist. :func:`home_of` is the first entry.
Labels are msgids (``N_``), translated when the header renders.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from fastapi.routing import APIRoute, iter_route_contexts

from engine.access import Principal
from engine.models import Role


def N_(message: str) -> str:  # noqa: N802 (the gettext marker pybabel extracts)
    return message


@dataclass(frozen=True)
class MenuEntry:
    """One link of a role's menu: ``current`` on ``href`` and on paths under ``prefixes``."""

    href: str
    label: str
    prefixes: tuple[str, ...] = ()
    #: Paths under ``prefixes`` that belong to another entry (e.g. /clients/new).
    excludes: tuple[str, ...] = ()

    def is_current(self, path: str) -> bool:
        if path in self.excludes:
            return False
        return path == self.href or any(path.startswith(p) for p in self.prefixes)


MENUS: dict[Role, tuple[MenuEntry, ...]] = {
    Role.coach: (
        MenuEntry("/clients", N_("Caseload"), ("/clients/",), excludes=("/clients/new",)),
        MenuEntry("/clients/new", N_("New client")),
        MenuEntry("/groups", N_("Groups"), ("/groups/",)),
        MenuEntry("/events", N_("Events"), ("/events/",)),
        MenuEntry("/notifications", N_("Notifications")),
    ),
    Role.partner: (
        MenuEntry("/partner/referrals", N_("Referrals"), ("/partner/",)),
        MenuEntry("/groups", N_("Groups"), ("/groups/",)),
        MenuEntry("/notifications", N_("Notifications")),
    ),
    Role.coordinator: (
        MenuEntry("/reports", N_("Dashboard")),
        MenuEntry("/reports/client-log", N_("Client log reports"), ("/reports/client-log/",)),
        MenuEntry("/reports/funder", N_("Reporting to the funder"), ("/reports/funder/",)),
        MenuEntry("/groups", N_("Groups"), ("/groups/",)),
        MenuEntry("/events", N_("Events"), ("/events/",)),
    ),
    Role.admin: (
        MenuEntry("/admin", N_("Administration")),
        MenuEntry("/admin/users", N_("Users"), ("/admin/users/",)),
        MenuEntry("/admin/organisations", N_("Organisations")),
        MenuEntry("/admin/tokens", N_("API tokens"), ("/admin/tokens/",)),
        MenuEntry("/admin/services", N_("Partner services")),
        MenuEntry("/admin/plugins", N_("Plugins")),
    ),
}

#: Every role also sees the public pathway pages.
PUBLIC_ENTRIES = (MenuEntry("/pathways", N_("Pathways"), ("/pathways/",)),)

ROLE_NAMES = {
    Role.coach: N_("Coach"),
    Role.partner: N_("Partner worker"),
    Role.coordinator: N_("Coordinator"),
    Role.admin: N_("Administrator"),
}


def served_paths(request: Request) -> frozenset[str]:
    """The GET paths the app serves (computed once per app)."""
    app = request.app
    paths: frozenset[str] | None = getattr(app.state, "served_get_paths", None)
    if paths is None:
        paths = frozenset(
            str(r.path)
            for r in iter_route_contexts(app.routes)
            if isinstance(r.original_route, APIRoute) and "GET" in (r.methods or ())
        )
        app.state.served_get_paths = paths
    return paths


def menu_of(request: Request, principal: Principal | None) -> list[MenuEntry]:
    """The menu of the signed-in principal (anonymous: the public pages), only pages served."""
    own = MENUS.get(principal.role, ()) if principal is not None else ()
    served = served_paths(request)
    return [e for e in (*own, *PUBLIC_ENTRIES) if e.href in served]


def home_of(principal: Principal | None) -> str:
    """Where a role's work starts: the first entry of its menu (the landing page for none)."""
    entries = MENUS.get(principal.role, ()) if principal is not None else ()
    return entries[0].href if entries else "/"
