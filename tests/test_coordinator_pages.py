"""The coordinator's pages (web/coordinator_pages.py): the dashboard's figures against a small
world, its filters, and the client log report with its search -- what they show, what they do
not (no client names on the dashboard, no other organisation's clients), and that every view of
a client's data is logged."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import col

from engine.access import Principal
from engine.clock import FrozenClock
from engine.models import AccessLog, Role, User
from engine.runtime import Runtime
from engine.testing import (
    make_client,
    make_organisation,
    make_user,
)
from tests.group_kit import make_group
from tests.referral_kit import (
    coach_principal,
    give_consent,
    partner_service,
    send_referral,
    young_client,
)
from web.testing import (
    UserClient,
    sign_in,
)

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
KITTILA, KEMIJARVI = "261", "320"


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    """This module's runtime (``api_as`` and ``web_app`` use it): a frozen clock."""
    return make_runtime(clock=FrozenClock(NOW))


@dataclass
class Small:
    """Organisation A: coaches Aino (two clients, one referred) and Bertta (two clients, one of
    them contacted last year) and a group; organisation B: one engaged client and a group,
    never counted."""

    runtime: Runtime
    coordinator: UserClient
    organisation_a: int
    clients: dict[str, int]

    @property
    def clock(self) -> FrozenClock:
        assert isinstance(self.runtime.clock, FrozenClock)
        return self.runtime.clock


def _named_coach(runtime: Runtime, organisation_id: int, name: str) -> int:
    user = make_user(runtime, Role.coach, organisation_id=organisation_id)
    with runtime.db.write() as session:
        row = session.get(User, user.id)
        assert row is not None
        assert row.id is not None
        row.display_name = name
        return row.id


@pytest.fixture
def small(runtime: Runtime, api_as: Callable[..., UserClient]) -> Small:
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    a = make_organisation(runtime, "project", "Hanke A")
    b = make_organisation(runtime, "project", "Hanke B")
    aino = _named_coach(runtime, a, "Aino Valmentaja")
    bertta = _named_coach(runtime, a, "Bertta Valmentaja")
    coach_b = _named_coach(runtime, b, "Toisen Valmentaja")
    partner = partner_service(runtime, "Ohjaamo-kumppani").organisation_id
    clients: dict[str, int] = {}
    # A1: Aino's, worked with and referred (Kittilä)
    clients["a1"], _j = young_client(
        runtime, organisation_id=a, care_team=(aino,), first_name="Ilmari", last_name="Ahde"
    )
    consent = give_consent(runtime, coach_principal(aino, a), clients["a1"], partner)
    send_referral(runtime, coach_principal(aino, a), clients["a1"], consent_id=consent)
    # A2: Aino's, engaged (Kittilä)
    clients["a2"], journey = make_client(
        runtime, organisation_id=a, care_team=(aino,), first_name="Kaisu", last_name="Lehto"
    )
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey, "engage", actor_id=aino)
    # A3: Bertta's, an outreach contact in Kemijärvi
    clients["a3"], _j = make_client(
        runtime,
        organisation_id=a,
        care_team=(bertta,),
        municipality_code=KEMIJARVI,
        first_name="Onni",
        last_name="Rinne",
    )
    # A4: Bertta's, contacted last year (outside the default period, this year)
    clock.set(NOW - timedelta(days=400))
    clients["a4"], _j = make_client(
        runtime, organisation_id=a, care_team=(bertta,), first_name="Sulo", last_name="Vaara"
    )
    clock.set(NOW)
    # B1: organisation B's, engaged
    clients["b1"], journey = make_client(
        runtime, organisation_id=b, care_team=(coach_b,), first_name="Vieras", last_name="Ahde"
    )
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey, "engage", actor_id=coach_b)
    make_group(runtime, Principal(aino, Role.coach, a), name="Aamuryhmä")
    make_group(runtime, Principal(coach_b, Role.coach, b), name="Toisen ryhmä")
    coordinator = api_as(user=make_user(runtime, Role.coordinator, organisation_id=a))
    return Small(runtime, coordinator, a, clients)


NAMES = ("Ilmari", "Kaisu", "Onni", "Sulo", "Vieras", "Ahde", "Lehto", "Rinne", "Vaara")


def section(html: str, start: str, end: str) -> str:
    """The HTML between two element ids (a dashboard section)."""
    return html[html.index(f'id="{start}"') : html.index(f'id="{end}"')]


def rows(html: str) -> dict[str, list[str]]:
    """Each table row's header cell -> its number cells."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, flags=re.S):
        head = re.search(r'<th scope="row">(?:<a [^>]*>)?([^<]+)', row)
        if head:
            found[head.group(1).strip()] = re.findall(r'<td class="num">([^<]*)</td>', row)
    return found


def access_rows(runtime: Runtime, what: str) -> list[tuple[int, int]]:
    with runtime.db.read() as session:
        return [
            (int(c), int(u))
            for c, u in session.execute(
                select(col(AccessLog.client_id), col(AccessLog.user_id))
                .where(col(AccessLog.what) == what)
                .order_by(col(AccessLog.id))  # in the order written (PostgreSQL: any order)
            ).all()
        ]


# --- the dashboard -------------------------------------------------------------------------------


def test_the_dashboard_counts_the_organisations_clients_this_year(small: Small) -> None:
    page = small.coordinator.get("/reports")
    assert page.status_code == 200
    html = page.text
    funnel = rows(section(html, "funnel-title", "caseloads-title"))
    assert {k: v[0] for k, v in funnel.items()} == {
        "Tavoitettu": "3",
        "Kiinnittynyt": "2",
        "Tavoitteet asetettu": "1",
        "Ryhmä- tai yksilötyössä": "1",
        "Ohjattu": "1",
        "Jatkopolulla": "0",
    }
    assert funnel["Kiinnittynyt"][1] == "67 %"
    assert "<svg" in section(html, "funnel-title", "caseloads-title")
    caseloads = rows(section(html, "caseloads-title", "referrals-title"))
    assert caseloads == {"Aino Valmentaja": ["2"], "Bertta Valmentaja": ["2"]}
    referrals = rows(section(html, "referrals-title", "overdue-title"))
    assert referrals["Lähetetty"] == ["1"]
    assert referrals["Yhteensä"] == ["1"]
    assert "Yksikään ohjaus ei ole myöhässä." in html
    running = (
        section(html, "groups-title", "groups-title") + html[html.index('id="groups-title"') :]
    )
    assert "Aamuryhmä" in running
    assert "Toisen ryhmä" not in running
    # aggregates only: no client is named, and organisation B's coach is not listed
    assert not [name for name in NAMES if name in html]
    assert "Toisen Valmentaja" not in html
    assert access_rows(small.runtime, "caseload") == []


def test_the_filters_choose_the_period_and_the_municipality(small: Small) -> None:
    wider = small.coordinator.get("/reports", params={"since": "2025-01-01"}).text
    assert rows(section(wider, "funnel-title", "caseloads-title"))["Tavoitettu"][0] == "4"
    kittila = small.coordinator.get("/reports", params={"municipality": KITTILA}).text
    assert rows(section(kittila, "funnel-title", "caseloads-title"))["Tavoitettu"][0] == "2"
    assert rows(section(kittila, "caseloads-title", "referrals-title")) == {
        "Aino Valmentaja": ["2"],
        "Bertta Valmentaja": ["1"],  # Sulo; Onni is in Kemijärvi
    }
    assert f'<option value="{KEMIJARVI}">Kemijärvi</option>' in kittila
    kemijarvi = small.coordinator.get("/reports", params={"municipality": KEMIJARVI}).text
    assert rows(section(kemijarvi, "referrals-title", "overdue-title"))["Yhteensä"] == ["0"]
    assert "Aamuryhmä" not in kemijarvi
    before = small.coordinator.get("/reports", params={"until": "2026-01-01"}).text
    assert rows(section(before, "funnel-title", "caseloads-title"))["Tavoitettu"][0] == "0"


def test_an_overdue_referral_is_listed_without_the_client(small: Small) -> None:
    small.clock.set(NOW + timedelta(days=9))
    sign_in(small.coordinator, small.runtime, small.coordinator.user_id)  # the old session ended
    html = small.coordinator.get("/reports").text
    overdue = section(html, "overdue-title", "groups-title")
    assert "Ohjaamo-kumppani" in overdue
    assert re.search(r'<td class="num">2</td>', overdue), overdue  # due after 7 days
    assert not [name for name in NAMES if name in html]


def test_a_bad_filter_comes_back_beside_its_field_with_what_was_typed(small: Small) -> None:
    page = small.coordinator.get(
        "/reports", params={"since": "2026-13-45", "until": "eilen", "municipality": "999"}
    )
    assert page.status_code == 422
    html = page.text
    assert 'value="2026-13-45"' in html
    assert 'value="eilen"' in html
    assert 'id="filter-since-error"' in html
    assert 'id="filter-until-error"' in html
    assert 'id="filter-municipality-error"' in html
    # the figures still show, for the default period
    assert rows(section(html, "funnel-title", "caseloads-title"))["Tavoitettu"][0] == "3"
    backwards = small.coordinator.get(
        "/reports", params={"since": "2026-03-01", "until": "2026-02-01"}
    )
    assert backwards.status_code == 422
    assert "Jakson loppu on ennen sen alkua." in backwards.text


def test_the_dashboard_speaks_swedish_and_english(small: Small) -> None:
    sv = small.coordinator.get("/reports", headers={"Accept-Language": "sv"}).text
    assert "Översikt" in sv
    assert "Tratt" in sv
    assert "Kontaktade" in sv
    en = small.coordinator.get("/reports", headers={"Accept-Language": "en"}).text
    assert "Dashboard" in en
    assert "Overdue referrals" in en
    assert "Contacted" in en


# --- the client log report ------------------------------------------------------------------------


def test_the_search_finds_own_clients_by_name_or_number_and_logs_each_shown(
    small: Small,
) -> None:
    page = small.coordinator.get("/reports/client-log", params={"q": "ahde"})
    assert page.status_code == 200
    assert "Ilmari Ahde" in page.text
    assert "Vieras" not in page.text  # organisation B's Ahde is not theirs to see
    user = small.coordinator.user_id
    assert access_rows(small.runtime, "client_lookup") == [(small.clients["a1"], user)]
    by_number = small.coordinator.get("/reports/client-log", params={"q": small.clients["a2"]})
    assert "Kaisu Lehto" in by_number.text
    assert access_rows(small.runtime, "client_lookup")[-1] == (small.clients["a2"], user)
    other = small.coordinator.get("/reports/client-log", params={"q": small.clients["b1"]})
    assert "Vieras" not in other.text
    assert "Yksikään organisaatiosi asiakas ei vastaa hakua." in other.text
    wildcard = small.coordinator.get("/reports/client-log", params={"q": "%"})
    assert "Ilmari" not in wildcard.text  # "%" is a character, not "everyone"
    assert len(access_rows(small.runtime, "client_lookup")) == 2
    empty = small.coordinator.get("/reports/client-log")
    assert empty.status_code == 200
    assert "found-clients" not in empty.text


def test_the_log_report_shows_who_viewed_and_who_received_and_logs_itself(
    small: Small, api_as: Callable[..., UserClient]
) -> None:
    client_id = small.clients["a1"]
    with small.runtime.db.read() as session:
        aino = session.execute(
            select(User).where(col(User.display_name) == "Aino Valmentaja")
        ).scalar_one()
    coach = api_as(user=aino)
    assert coach.get(f"/clients/{client_id}").status_code == 200
    page = small.coordinator.get(f"/reports/client-log/{client_id}")
    assert page.status_code == 200
    html = page.text
    viewed = section(html, "viewed-title", "disclosed-title")
    disclosed = html[html.index('id="disclosed-title"') :]
    assert "Aino Valmentaja" in viewed
    assert "Asiakassivu" in viewed
    assert "Asiakkaan työryhmän jäsen" in viewed
    assert "Ohjaamo-kumppani" in disclosed
    assert "Ohjauksen tiedot" in disclosed
    assert "Ilmari Ahde" in html
    # the default period: two years back from today
    assert 'value="2024-03-10"' in html
    assert 'value="2026-03-10"' in html
    user = small.coordinator.user_id
    assert access_rows(small.runtime, "client_log") == [(client_id, user)]
    # its own view shows in the next report
    again = small.coordinator.get(f"/reports/client-log/{client_id}").text
    assert "Tämä lokitietoraportti" in section(again, "viewed-title", "disclosed-title")


def test_the_log_report_period_can_be_chosen(small: Small) -> None:
    client_id = small.clients["a1"]
    page = small.coordinator.get(
        f"/reports/client-log/{client_id}", params={"since": "2026-03-11", "until": "2026-03-12"}
    )
    assert "Kukaan ei käsitellyt tietoja tällä jaksolla." in page.text
    assert "Tietoja ei luovutettu kenellekään tällä jaksolla." in page.text
    bad = small.coordinator.get(f"/reports/client-log/{client_id}", params={"since": "x"})
    assert bad.status_code == 422
    assert 'value="x"' in bad.text
    assert 'id="log-since-error"' in bad.text


def test_the_log_report_of_another_organisations_client_is_refused(small: Small) -> None:
    response = small.coordinator.get(f"/reports/client-log/{small.clients['b1']}")
    assert response.status_code == 403
    assert access_rows(small.runtime, "client_log") == []


def test_a_coach_has_no_dashboard_or_log_reports(
    small: Small, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as(Role.coach, organisation_id=small.organisation_a)
    assert coach.get("/reports").status_code == 403
    assert coach.get("/reports/client-log", params={"q": "ahde"}).status_code == 403
    assert coach.get(f"/reports/client-log/{small.clients['a1']}").status_code == 403
    assert access_rows(small.runtime, "client_lookup") == []


def test_the_coordinators_menu_leads_to_the_dashboard_and_log_reports(
    small: Small, api: TestClient
) -> None:
    html = small.coordinator.get("/reports").text
    nav = html[
        html.index('class="site-nav"') : html.index("</nav>", html.index('class="site-nav"'))
    ]
    assert 'href="/reports" hx-get="/reports"' in nav
    assert 'aria-current="page"' in nav
    assert 'href="/reports/client-log"' in nav
    # funder reporting joins the menu when its page exists (web/navigation.py)
    assert ('href="/reports/funder"' in nav) == ("/reports/funder" in served(api))


def served(api: TestClient) -> set[str]:
    from fastapi.routing import APIRoute, iter_route_contexts

    return {
        str(r.path)
        for r in iter_route_contexts(api.app.routes)  # type: ignore[attr-defined]
        if isinstance(r.original_route, APIRoute)
    }


def test_overlong_query_values_are_cut_not_raw_errors(small: Small) -> None:
    search = small.coordinator.get("/reports/client-log", params={"q": "ahde" + " " * 500 + "x"})
    assert search.status_code == 200
    assert "<html" in search.text
    board = small.coordinator.get("/reports", params={"since": "9" * 500})
    assert board.status_code == 422
    assert 'id="filter-since-error"' in board.text
