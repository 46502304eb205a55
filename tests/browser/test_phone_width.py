"""Phone, measured: every page of every role at 390x844 must not scroll sideways
(``document.documentElement.scrollWidth <= 390``).

The pages come from two places, so a page added later is never silently missed:

- :data:`PAGES`: one list per role (URL templates; ``{client_id}`` and friends are filled from
  the demo world, see :func:`world_params`). Append a new page of a role to its list.
- the app's own GET routes (``tests.security.world.APP_ROUTES``): every HTML page route not
  listed above is opened by every role too, with its path parameters filled from the same
  world; a route with a parameter the world cannot fill fails the test, naming the fix (add the
  parameter to :func:`world_params`). A page no role could open (every answer 403/404) fails
  too: the world lacks what the page shows.

The world is the demo data (``engine.demo.load_demo``): one user per role, clients at every
stage, referrals to the partner, a running group co-led by the partner worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import func, select
from sqlmodel import col

from engine.demo import DEMO_LOGINS, load_demo
from engine.models import Client, ClientGroup, Event, Journey, Project, Referral, User
from engine.runtime import Runtime
from tests.browser.conftest import open_context, problems_of
from tests.security.world import APP_ROUTES
from web.security import session_cookie_name

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-phone_width")]

PHONE = {"width": 390, "height": 844}

#: The signed-in header on a phone: a tool bar, not a quarter of the screen (the admin's six links
#: in Swedish take 209 px; before the phone layout a coach's took 295 px).
MAX_HEADER = 215
HEADER_HEIGHT = "() => document.getElementById('site_header').getBoundingClientRect().height"

#: Pages every role opens (signed in), public ones included.
COMMON: list[str] = [
    "/",
    "/pathways",
    "/pathways/client_journey",
    "/notifications",
    # the client's own feedback page (a forged secret: the neutral page)
    "/palaute/{token}",
]

#: Each role's pages, as URL templates. Append new pages of a role here.
PAGES: dict[str, list[str]] = {
    "coach": [
        "/clients",
        "/clients?show=closed",
        "/clients/new",
        "/clients/{client_id}",
        "/clients/{client_id}/facts",
        "/clients/{client_id}/referrals",
        "/clients/{client_id}/assessments",
        "/clients/{client_id}/strengths",
        "/clients/{client_id}/cv",
        "/groups",
        "/groups/new",
        "/groups/{group_id}",
        "/clients/{client_id}/participant",
        "/clients/{client_id}/participant/{kind}",
        "/clients/{client_id}/voice",
    ],
    "partner": [
        "/partner/referrals",
        "/partner/referrals/{referral_id}",
        "/groups",
        "/groups/{group_id}",
    ],
    "coordinator": [
        "/groups",
        "/groups/{group_id}",
        "/reports/funder",
        "/reports/funder?project={project_id}",
        "/reports/voice-roles",
    ],
    "admin": [],
}

#: Path prefixes that are not pages (the JSON API, static files, health checks).
NOT_PAGES = ("/api/", "/static/", "/health")


@dataclass(frozen=True)
class Role:
    name: str
    username: str


ROLES = [Role(d.role.value, d.username) for d in DEMO_LOGINS]


def world_params(runtime: Runtime) -> dict[str, str]:
    """Values for the path parameters of the pages: the demo client with the longest history,
    the demo group, a demo event, a referral the partner received, a user, a pathway."""
    with runtime.db.read() as session:
        client_id = session.execute(
            select(col(Journey.client_id))
            .where(col(Journey.pathway_key) == "client_journey")
            .order_by(col(Journey.version).desc(), col(Journey.client_id))
            .limit(1)
        ).scalar_one()
        group_id = session.execute(select(func.min(col(ClientGroup.id)))).scalar_one()
        event_id = session.execute(select(func.min(col(Event.id)))).scalar_one()
        referral_id = session.execute(select(func.min(col(Referral.id)))).scalar_one()
        user_id = session.execute(select(func.min(col(User.id)))).scalar_one()
        organisation_id = session.execute(
            select(col(Client.organisation_id)).where(col(Client.id) == client_id)
        ).scalar_one()
        project_id = session.execute(select(func.min(col(Project.id)))).scalar_one()
    return {
        "client_id": str(client_id),
        "group_id": str(group_id),
        "event_id": str(event_id),
        "referral_id": str(referral_id),
        "user_id": str(user_id),
        "organisation_id": str(organisation_id),
        "key": "client_journey",
        # the ESF+ participant forms and the demo project's report (web/report_pages.py)
        "kind": "entry",
        "project_id": str(project_id),
        # a one-time feedback link's secret (web/voice_pages.py): forged, so the neutral page
        "token": "A" * 43,
    }


def fill(template: str, params: dict[str, str]) -> str:
    missing = [name for name in re.findall(r"{(\w+)}", template) if name not in params]
    assert not missing, (
        f"{template}: no value for {missing}; add it to world_params() in "
        "tests/browser/test_phone_width.py"
    )
    return template.format(**params)


def page_routes() -> list[str]:
    """The app's HTML page routes (GET, not the API), as path templates."""
    return sorted(
        {r.path for r in APP_ROUTES if r.method == "GET" and not r.path.startswith(NOT_PAGES)}
    )


def sign_in_context(browser: Browser, base_url: str, runtime: Runtime, username: str) -> Page:
    with runtime.db.write() as session:
        user_id = session.execute(
            select(col(User.id)).where(col(User.username) == username)
        ).scalar_one()
        token, _csrf = runtime.auth.start_session(session, user_id)
    _context, page = open_context(browser, base_url, viewport=PHONE)
    page.context.add_cookies(
        [{"name": session_cookie_name(runtime.settings), "value": token, "url": base_url}]
    )
    return page


def test_every_page_of_every_role_fits_a_phone(
    browser: Browser, live_server: str, runtime: Runtime
) -> None:
    load_demo(runtime, clients=12)
    params = world_params(runtime)
    listed = {re.sub(r"\?.*", "", t) for ts in PAGES.values() for t in ts} | set(COMMON)
    derived = [p for p in page_routes() if p not in listed]
    too_wide: list[str] = []
    too_tall: list[str] = []
    opened: set[str] = set()
    for role in ROLES:
        page = sign_in_context(browser, live_server, runtime, role.username)
        try:
            for template in [*COMMON, *PAGES[role.name], *derived]:
                url = fill(template, params)
                listed_here = template in COMMON or template in PAGES[role.name]
                if not listed_here:
                    problems_of(page).expect_failure(f"{live_server}{url}")
                response = page.goto(url)
                assert response is not None
                if not listed_here and response.status in (401, 403, 404):
                    continue  # a derived page this role may not open
                assert response.status == 200, f"{role.name} {url}: {response.status}"
                opened.add(re.sub(r"\?.*", "", template))
                width = page.evaluate("() => document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    too_wide.append(f"{role.name} {url}: {width}px")
                if template == "/":
                    header = page.evaluate(HEADER_HEIGHT)
                    if header > MAX_HEADER:
                        too_tall.append(f"{role.name}: {header:.0f}px")
        finally:
            page.context.close()
        problems_of(page).assert_clean()
    assert not too_wide, f"pages wider than {PHONE['width']}px: {too_wide}"
    assert not too_tall, f"the signed-in header takes over {MAX_HEADER}px of a phone: {too_tall}"
    never = sorted(set(page_routes()) - opened)
    assert not never, f"page routes no role could open in the demo world: {never}"
