"""The coach workspace through the app (both databases): caseload, intake, client page, advancing,
the contact log; htmx fragments and plain form posts; access-log rows; SQL per caseload page."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlmodel import col

from engine.models import AccessLog, CareTeam, Client, ContactEntry, Journey, JourneyEvent, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.testing import UserClient

HX = {"HX-Request": "true"}


@pytest.fixture
def coach(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def own_client(runtime: Runtime, coach: UserClient, **kw: Any) -> tuple[int, int]:
    return make_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,), **kw
    )


def add_contact(runtime: Runtime, client_id: int, coach_id: int, days_ago: int, **kw: Any) -> None:
    with runtime.db.write() as session:
        session.add(
            ContactEntry(
                client_id=client_id,
                coach_id=coach_id,
                occurred_at=runtime.clock.now() - timedelta(days=days_ago),
                kind=kw.pop("kind", "phone"),
                note=kw.pop("note", ""),
                **kw,
            )
        )


def access_rows(runtime: Runtime, what: str) -> int:
    with runtime.db.read() as session:
        stmt = select(func.count()).select_from(AccessLog).where(col(AccessLog.what) == what)
        return int(session.execute(stmt).scalar_one())


# --- caseload ---------------------------------------------------------------------------------


def test_caseload_lists_my_clients_with_state_and_last_contact(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    mine, _ = own_client(runtime, coach, first_name="Aino", last_name="Aaltonen")
    quiet, _ = own_client(runtime, coach, first_name="Eero", last_name="Eskola")
    other = api_as(Role.coach)
    make_client(runtime, first_name="Vieras", last_name="Virtanen", care_team=(other.user_id,))
    add_contact(runtime, mine, coach.user_id, days_ago=3)

    page = coach.get("/clients")
    assert page.status_code == 200
    assert "Aaltonen, Aino" in page.text
    assert "Eskola, Eero" in page.text
    assert "Virtanen" not in page.text  # another coach's client
    assert "Etsivä kontakti" in page.text  # the state label, in Finnish
    assert "3 päivää sitten" in page.text
    assert "Ei yhteydenottoja" in page.text  # the client never contacted
    assert f'href="/clients/{quiet}"' in page.text
    assert "HX-Request" in page.headers["vary"]
    # one access-log row per client shown
    assert access_rows(runtime, "caseload") == 2


def test_caseload_search_filters_and_follow_ups(runtime: Runtime, coach: UserClient) -> None:
    a, _ = own_client(runtime, coach, first_name="Aino", last_name="Aaltonen")
    b, jb = own_client(
        runtime, coach, first_name="Bertta", last_name="Berg", municipality_code="614"
    )
    add_contact(runtime, a, coach.user_id, days_ago=10, next_contact_on=runtime.clock.today())
    add_contact(runtime, b, coach.user_id, days_ago=1)
    with runtime.db.write() as session:
        runtime.journeys.advance(session, jb, "engage", actor_id=coach.user_id)

    def names(**params: str) -> str:
        text = coach.get("/clients", params=params).text
        return " ".join(sorted(set(re.findall(r"Aaltonen|Berg", text))))

    assert names(q="aalt") == "Aaltonen"
    assert names(q="BERT") == "Berg"
    assert names(state="engaged") == "Berg"
    assert names(municipality="614") == "Berg"
    assert names(show="follow_up_due") == "Aaltonen"
    assert names(show="paused") == ""
    assert "Tänään" in coach.get("/clients").text  # the follow-up due today is flagged


def test_caseload_is_a_work_list_overdue_first_closed_hidden(
    runtime: Runtime, coach: UserClient
) -> None:
    today = runtime.clock.today()
    names = ("Aalto", "Berg", "Carlsson", "Dahl", "Eklund")
    ids = {n: own_client(runtime, coach, first_name="X", last_name=n) for n in names}
    # Eklund: 5 days overdue; Carlsson: 1 day overdue; Dahl: due today; Berg: next week
    add_contact(runtime, ids["Eklund"][0], coach.user_id, 9, next_contact_on=today - timedelta(5))
    add_contact(runtime, ids["Carlsson"][0], coach.user_id, 9, next_contact_on=today - timedelta(1))
    add_contact(runtime, ids["Dahl"][0], coach.user_id, 2, next_contact_on=today)
    add_contact(runtime, ids["Berg"][0], coach.user_id, 1, next_contact_on=today + timedelta(7))
    with runtime.db.write() as session:  # Aalto's journey is closed
        runtime.journeys.advance(
            session, ids["Aalto"][1], "close", actor_id=coach.user_id, outcome="moved_away"
        )

    def order(**params: str) -> list[str]:
        return re.findall(
            r"(Aalto|Berg|Carlsson|Dahl|Eklund), X", coach.get("/clients", params=params).text
        )

    assert order() == ["Eklund", "Carlsson", "Dahl", "Berg"]  # overdue, due today; closed hidden
    page = coach.get("/clients").text
    assert page.count("Myöhässä") == 2
    assert "Tänään" in page
    assert order(show="closed") == ["Aalto"]  # asked for
    assert order(state="closed") == ["Aalto"]
    assert "Päättyneet asiakkuudet" in page  # the choice that shows them
    # the filters fold away (a <details>), opened when one is in use
    assert '<details class="caseload-filters__more">' in page
    assert '<details class="caseload-filters__more" open>' in coach.get("/clients?show=closed").text


def test_two_coaches_of_one_organisation_each_see_their_own_caseload(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    """Issue 16: a caseload's statements are built once per coach, query and day and reused
    (engine/caseload.py, ``_count``, ``_page``). Two coaches of one organisation ask in turn, twice:
    each sees their own client and never the colleague's (a statement reused across coaches
    would list the first one's clients to both)."""
    first = api_as(Role.coach)
    second = api_as(Role.coach, organisation_id=first.organisation_id)
    own_client(runtime, first, first_name="X", last_name="Ensimmäinen")
    own_client(runtime, second, first_name="X", last_name="Toinen")
    for _ in range(2):
        for who, mine, theirs in (
            (first, "Ensimmäinen", "Toinen"),
            (second, "Toinen", "Ensimmäinen"),
        ):
            page = who.get("/clients").text
            assert f"{mine}, X" in page
            assert f"{theirs}, X" not in page


def test_caseload_pages_and_search_fragment(runtime: Runtime, coach: UserClient) -> None:
    for i in range(30):
        own_client(runtime, coach, last_name=f"Asiakas{i:02d}")
    first = coach.get("/clients")
    assert first.text.count('href="/clients/') - first.text.count('href="/clients/new') == 25
    assert "Sivu 1/2" in first.text
    assert 'href="/clients?page=2"' in first.text
    second = coach.get("/clients?page=2")
    assert "Asiakas29" in second.text
    assert "Asiakas00" not in second.text
    fragment = coach.get("/clients?q=Asiakas0", headers={**HX, "HX-Target": "caseload_results"})
    assert fragment.text.lstrip().startswith('<section id="caseload_results"')
    assert "<html" not in fragment.text


@contextmanager
def counting_statements(runtime: Runtime) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(runtime.db.engine, "before_cursor_execute", count)


def test_caseload_sql_statements_do_not_grow_with_rows(runtime: Runtime, coach: UserClient) -> None:
    """No N+1: a page of 2 clients and a page of 25 take the same number of statements."""
    coach.get("/clients")  # warm up (session touch, caches)

    def statements_for_page() -> int:
        with counting_statements(runtime) as statements:
            assert coach.get("/clients").status_code == 200
        return len(statements)

    for i in range(2):
        cid, _ = own_client(runtime, coach, last_name=f"A{i}")
        add_contact(runtime, cid, coach.user_id, days_ago=i)
    small = statements_for_page()
    for i in range(40):
        cid, _ = own_client(runtime, coach, last_name=f"B{i}")
        add_contact(runtime, cid, coach.user_id, days_ago=i)
    large = statements_for_page()
    assert small == large
    assert large <= 8


# --- intake -----------------------------------------------------------------------------------


def test_intake_records_a_client_who_never_engaged(runtime: Runtime, coach: UserClient) -> None:
    form = coach.get("/clients/new")
    assert form.status_code == 200
    assert 'name="municipality_code"' in form.text
    assert "Kittilä" in form.text  # municipalities from the plugins
    answer = coach.post(
        "/clients/new",
        data={"first_name": "Kettu", "municipality_code": "261"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    client_id = int(answer.headers["location"].rsplit("/", 1)[1])
    with runtime.db.read() as session:
        client = session.get(Client, client_id)
        assert client is not None
        assert client.first_name == "Kettu"
        assert client.last_name == ""
        assert client.participation_consent_at is None
        assert client.organisation_id == coach.organisation_id
        team = session.execute(select(CareTeam).where(col(CareTeam.client_id) == client_id))
        assert [m.user_id for m in team.scalars()] == [coach.user_id]
        journey = session.execute(select(Journey).where(col(Journey.client_id) == client_id))
        assert journey.scalar_one().state == "outreach"
    page = coach.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Kettu" in page.text


def test_intake_errors_are_shown_inline(runtime: Runtime, coach: UserClient) -> None:
    answer = coach.post(
        "/clients/new",
        data={"first_name": " ", "municipality_code": "999", "birth_date": "2999-01-01"},
    )
    assert answer.status_code == 422
    assert 'id="first_name-error"' in answer.text
    assert 'id="municipality_code-error"' in answer.text
    assert 'id="birth_date-error"' in answer.text
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Client)).scalar_one() == 0


def test_intake_warns_of_a_possible_duplicate_and_can_go_on(
    runtime: Runtime, coach: UserClient, api_as: Callable[..., UserClient]
) -> None:
    born = date(1990, 3, 4)
    mine, _ = own_client(
        runtime, coach, first_name="Matti", last_name="Meikäläinen", birth_date=born
    )
    other = api_as(Role.coach)  # another coach's client: never revealed
    make_client(
        runtime,
        first_name="Matti",
        last_name="Meikäläinen",
        birth_date=born,
        care_team=(other.user_id,),
    )
    typed = {
        "first_name": "matti",
        "last_name": "Meikalainen",  # a typo and other case: still similar
        "birth_date": "1990-03-04",
        "municipality_code": "261",
        "phone": "040 123 4567",
        "email": "m@example.org",
        "participation_consent": "yes",
    }
    before = access_rows(runtime, "caseload")
    answer = coach.post("/clients/new", data=typed, follow_redirects=False)
    assert answer.status_code == 200  # a question, not saved
    warning = answer.text.split('class="duplicate-warning"')[1].split("</section>")[0]
    assert f'href="/clients/{mine}"' in warning
    assert warning.count("<li>") == 1
    # every typed value is kept, and the coach can go on
    for value in ("matti", "Meikalainen", "1990-03-04", "040 123 4567", "m@example.org"):
        assert f'value="{value}"' in answer.text
    assert '<option value="261" selected>' in answer.text
    assert "checked" in answer.text
    assert 'name="not_a_duplicate" value="yes"' in answer.text
    assert access_rows(runtime, "caseload") == before + 1  # showing it is a view, logged
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Client)).scalar_one() == 2
    saved = coach.post(
        "/clients/new", data={**typed, "not_a_duplicate": "yes"}, follow_redirects=False
    )
    assert saved.status_code == 303
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(Client)).scalar_one() == 3
    # another birth date, or a different name: no question
    other_day = coach.post(
        "/clients/new", data={**typed, "birth_date": "1990-03-05"}, follow_redirects=False
    )
    assert other_day.status_code == 303
    other_name = coach.post(
        "/clients/new",
        data={**typed, "first_name": "Liisa", "last_name": "Lahtinen"},
        follow_redirects=False,
    )
    assert other_name.status_code == 303


# --- client page and advancing ----------------------------------------------------------------


def test_client_page_shows_diagram_actions_and_why_not(runtime: Runtime, coach: UserClient) -> None:
    client_id, _ = own_client(runtime, coach, consent=False, first_name="Ilona")
    page = coach.get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    # the step line, server-rendered: "you are here" on the first step, no Mermaid
    steps = page.text.split('class="step-line__steps"')[1].split("</ol>")[0]
    assert steps.count("<li") == 7
    current = steps.split('aria-current="step"')[1].split("</li>")[0]
    assert "Etsivä kontakti" in current
    assert "olet tässä" in current
    # no Mermaid diagram (app.js loads the 3.5 MB library only for a [data-mermaid] element)
    assert "diagram__source" not in page.text
    assert "data-mermaid " not in page.text
    # the header card
    card = page.text.split('class="client-card"')[1].split("</header>")[0]
    assert "Ikä" in card
    assert "vuotta" in card
    assert "Työryhmä" in card
    assert "Testi Coach" in card
    assert "Ei sovittu" in card  # no next contact agreed yet
    assert f'href="/clients/{client_id}/facts"' in card
    # decline is possible; engage is blocked by the consent rule, with its reason
    assert 'name="trigger" value="decline"' in page.text
    assert 'name="trigger" value="engage"' not in page.text
    why_not = page.text.split('class="why-not"')[1]
    assert "Kiinnittyy toimintaan" in why_not
    assert "suostum" in why_not.lower()
    assert f'href="/clients/{client_id}/referrals"' in page.text
    assert access_rows(runtime, "client_page") == 1


def test_advance_with_htmx_swaps_actions_diagram_state_and_timeline(
    runtime: Runtime, coach: UserClient
) -> None:
    client_id, journey_id = own_client(runtime, coach)
    answer = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "engage", "expected_version": "1"},
        headers=HX,
    )
    assert answer.status_code == 200
    text = answer.text
    assert text.lstrip().startswith('<section id="journey_actions"')
    for block in ("journey_diagram", "client_state", "timeline"):
        assert re.search(rf'id="{block}"[^>]*hx-swap-oob="true"', text), block
    current = text.split('aria-current="step"')[1].split("</li>")[0]
    assert "Kiinnittynyt" in current  # the step line moved on
    assert 'name="trigger" value="start_assessment"' in text
    assert "Tallennettu. Asiakas on nyt tilassa ”Kiinnittynyt”." in text
    assert "Lähti mukaan toimintaan" in text.split('id="timeline"')[1]  # the event, with who
    assert "Testi Coach" in text.split('id="timeline"')[1]
    with runtime.db.read() as session:
        assert session.get(Journey, journey_id).state == "engaged"  # type: ignore[union-attr]


def test_advance_plain_post_redirects_back(runtime: Runtime, coach: UserClient) -> None:
    client_id, _ = own_client(runtime, coach)
    answer = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "engage", "expected_version": "1"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/clients/{client_id}"


def test_advance_needs_a_reason_where_the_pathway_asks(runtime: Runtime, coach: UserClient) -> None:
    client_id, journey_id = own_client(runtime, coach)
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "engage", actor_id=coach.user_id)
    assert 'id="reason-pause"' in coach.get(f"/clients/{client_id}").text
    missing = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "pause", "expected_version": "2"},
        headers=HX,
    )
    assert missing.status_code == 422
    assert 'role="alert"' in missing.text
    assert "syy" in missing.text
    plain = coach.post(
        f"/clients/{client_id}/advance", data={"trigger": "pause", "expected_version": "2"}
    )
    assert plain.status_code == 422
    assert "<html" in plain.text
    # the language switcher on that page returns to the client page, not to the POST address
    assert f'name="next" value="/clients/{client_id}"' in plain.text
    done = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "pause", "expected_version": "2", "reason": "Sairaalassa"},
        headers=HX,
    )
    assert done.status_code == 200
    assert "Sairaalassa" in done.text


def test_advance_conflict_is_a_friendly_409(runtime: Runtime, coach: UserClient) -> None:
    client_id, journey_id = own_client(runtime, coach)
    with runtime.db.write() as session:  # another coach got there first
        runtime.journeys.advance(session, journey_id, "engage", actor_id=None)
    answer = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "start_assessment", "expected_version": "1"},
        headers=HX,
    )
    assert answer.status_code == 409
    assert "muuttanut" in answer.text
    assert f'href="/clients/{client_id}"' in answer.text
    current = answer.text.split('aria-current="step"')[1].split("</li>")[0]
    assert "Kiinnittynyt" in current  # the current situation comes along
    with runtime.db.read() as session:
        events = session.execute(
            select(func.count()).where(col(JourneyEvent.journey_id) == journey_id)
        ).scalar_one()
    assert events == 2  # start + the other coach's engage; nothing from the stale form


def test_blocked_advance_shows_the_rule(runtime: Runtime, coach: UserClient) -> None:
    client_id, _ = own_client(runtime, coach, consent=False)
    answer = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "engage", "expected_version": "1"},
        headers=HX,
    )
    assert answer.status_code == 422
    assert "Sääntö estää" in answer.text


# --- contact log ------------------------------------------------------------------------------


def test_contact_entry_with_htmx_updates_form_and_timeline(
    runtime: Runtime, coach: UserClient, caplog: pytest.LogCaptureFixture
) -> None:
    client_id, _ = own_client(runtime, coach)
    caplog.set_level(logging.DEBUG)
    note = "Kävimme yhdessä Kelassa-XYZZY"
    tomorrow = (runtime.clock.today() + timedelta(days=1)).isoformat()
    answer = coach.post(
        f"/clients/{client_id}/contacts",
        data={
            "kind": "escorted",
            "duration_minutes": "90",
            "note": note,
            "next_contact_on": tomorrow,
        },
        headers=HX,
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section id="contact_form"')
    assert re.search(r'id="timeline"[^>]*hx-swap-oob="true"', answer.text)
    # the header card's next contact follows (out of band)
    card = re.search(
        r'<dd id="client_next_contact" hx-swap-oob="true">(.*?)</dd>', answer.text, re.S
    )
    assert card is not None
    assert (runtime.clock.today() + timedelta(days=1)).strftime("%-d.%-m.%Y") in card.group(1)
    assert "Saattaen palveluun" in answer.text
    assert note in answer.text
    assert "90 min" in answer.text
    assert "XYZZY" not in caplog.text  # notes are client data: never in logs
    with runtime.db.read() as session:
        entry = session.execute(select(ContactEntry)).scalar_one()
    assert (entry.kind, entry.duration_minutes, entry.coach_id) == ("escorted", 90, coach.user_id)
    caseload = coach.get("/clients").text
    assert "Tänään" in caseload  # the last contact feeds the dashboard


def test_contact_plain_post_and_errors(runtime: Runtime, coach: UserClient) -> None:
    client_id, _ = own_client(runtime, coach)
    ok = coach.post(
        f"/clients/{client_id}/contacts", data={"kind": "phone"}, follow_redirects=False
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == f"/clients/{client_id}"
    bad = coach.post(
        f"/clients/{client_id}/contacts",
        data={"kind": "telepathy", "duration_minutes": "x", "note": "kept"},
        headers=HX,
    )
    assert bad.status_code == 422
    assert 'id="contact-duration-error"' in bad.text
    assert "kept" in bad.text
    future = coach.post(
        f"/clients/{client_id}/contacts", data={"kind": "phone", "occurred_at": "2999-01-01T10:00"}
    )
    assert future.status_code == 422
    assert 'id="contact-when-error"' in future.text
    with runtime.db.read() as session:
        assert session.execute(select(func.count()).select_from(ContactEntry)).scalar_one() == 1


# --- anonymous browsers go to the login page ----------------------------------------------------


@pytest.mark.parametrize("path", ["/clients", "/clients/new", "/clients/1"])
def test_anonymous_browser_is_sent_to_login(api: Any, path: str) -> None:
    page = api.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login"
    htmx = api.get(path, headers={"Accept": "text/html", **HX}, follow_redirects=False)
    assert htmx.status_code == 401
    assert htmx.headers["hx-redirect"] == "/login"
    machine = api.get(path, follow_redirects=False)  # no text/html: the JSON answer stays
    assert machine.status_code == 401
    assert machine.json()["error"] == "unauthenticated"


def test_api_routes_stay_json_for_browsers(api: Any) -> None:
    answer = api.get("/api/auth/me", headers={"Accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 401


def test_logged_in_navigation_has_logout_form(coach: UserClient) -> None:
    page = coach.get("/clients").text
    assert 'action="/logout"' in page
    assert 'name="csrf_token"' in page
    assert 'href="/clients/new"' in page
    # the caseload link is marked as the current page, and only it
    caseload = re.search(r'<a href="/clients"[^>]*>Asiakkaani</a>', page)
    assert caseload is not None
    assert 'aria-current="page"' in caseload.group(0)
    intake = re.search(r'<a href="/clients/new"[^>]*>', page)
    assert intake is not None
    assert "aria-current" not in intake.group(0)
    assert page.count('aria-current="page"') == 1


XSS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', 'hx-get="/logout"', "{{7*7}}")


def test_user_text_is_escaped_everywhere(runtime: Runtime, coach: UserClient) -> None:
    """The XSS corpus in every text field the workspace shows: names, note, reason."""
    client_id, journey_id = own_client(
        runtime, coach, first_name=XSS[0] + XSS[3], last_name=XSS[1] + XSS[2]
    )
    with runtime.db.write() as session:
        runtime.journeys.advance(session, journey_id, "engage", actor_id=coach.user_id)
    coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "pause", "expected_version": "2", "reason": " ".join(XSS)},
    )
    coach.post(f"/clients/{client_id}/contacts", data={"kind": "phone", "note": " ".join(XSS)})
    answers = [
        coach.get("/clients"),
        coach.get("/clients", params={"q": XSS[0]}),
        coach.get(f"/clients/{client_id}"),
        coach.get(f"/clients/{client_id}", headers={**HX, "HX-Target": "timeline"}),
        coach.post(
            f"/clients/{client_id}/contacts",
            data={"kind": "nope", "note": " ".join(XSS)},
            headers=HX,
        ),
    ]
    for answer in answers:
        text = answer.text
        assert "<script>alert" not in text
        assert "<img src=x" not in text
        for attribute in re.findall(r'\shx-[a-z-]+="([^"]*)"', text):
            assert "alert" not in attribute
            assert "logout" not in attribute
    page = answers[2].text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}" in page  # escaped, never evaluated


def test_caseload_flags_extension_point(
    runtime: Runtime, coach: UserClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flag (e.g. the referral issue's "referrals waiting") is one more column of the same
    SELECT and a badge on the row; here a stand-in counts the client's phone contacts."""
    from engine import caseload as caseload_module
    from engine.caseload import CaseloadFlag
    from engine.models import Client as ClientRow

    def phone_contacts(_today: Any) -> Any:
        return (
            select(func.count())
            .where(
                col(ContactEntry.client_id) == col(ClientRow.id),
                col(ContactEntry.kind) == "phone",
            )
            .correlate(ClientRow)
            .scalar_subquery()
        )

    flag = CaseloadFlag(
        "phone_calls", {"fi": "Puheluita", "sv": "Samtal", "en": "Calls"}, phone_contacts
    )
    monkeypatch.setattr(caseload_module, "FLAGS", [flag])
    # the runtime reads the flags when it is built (Runtime.caseload_flags)
    monkeypatch.setattr(runtime, "caseload_flags", caseload_module.caseload_flags(None))
    called, _ = own_client(runtime, coach, last_name="Soitettu")
    own_client(runtime, coach, last_name="Hiljainen")
    add_contact(runtime, called, coach.user_id, days_ago=1)
    add_contact(runtime, called, coach.user_id, days_ago=2)
    page = coach.get("/clients").text
    soitettu = page.split("Soitettu")[1].split("</th>")[0]
    hiljainen = page.split("Hiljainen")[1].split("</th>")[0]
    assert "Puheluita: 2" in soitettu
    assert "Puheluita" not in hiljainen


def test_a_flag_counted_less_another_needs_that_flag_beside_it(runtime: Runtime) -> None:
    """A reminder's "due" badge is its count less its "overdue" one: shown without that flag it
    would show the overdue as due too, so the caseload refuses such a list."""
    from sqlalchemy import literal

    from engine import caseload as caseload_module
    from engine.access import Principal

    due, overdue = caseload_module.reminder_flags(
        "x",
        {"fi": "a", "sv": "a", "en": "a"},
        {"fi": "b", "sv": "b", "en": "b"},
        lambda _d: literal(0),
    )
    assert due.less == overdue.key
    principal = Principal(1, Role.coach, None)
    with runtime.db.read() as session, pytest.raises(ValueError, match="counted less"):
        caseload_module.caseload(
            session, principal, caseload_module.CaseloadQuery(), date.today(), flags=[due]
        )
