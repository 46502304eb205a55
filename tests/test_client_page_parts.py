"""The engine parts of the client page (issue 14): the step line, the side moves, the duplicate
check at intake, the header card, the guards' descriptions, the timeline's partner names."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from engine.access import Principal
from engine.client_card import TeamMember, client_card
from engine.clients import possible_duplicates, similar_names
from engine.models import Client, ContactEntry, Role
from engine.runtime import Runtime
from engine.step_line import side_moves, step_line
from engine.testing import (
    make_client,
    make_user,
)
from tests.referral_kit import (
    coach_principal,
    give_consent,
    partner_service,
    send_referral,
    young_client,
)
from web.testing import (
    UserClient,
)


def test_step_line_marks_done_current_and_todo(runtime: Runtime) -> None:
    pathway = runtime.pathways.latest("client_journey")
    line = step_line(pathway, "goal_setting", ["outreach", "engaged", "assessment", "goal_setting"])
    assert [s.key for s in line.steps] == [
        "contacted",
        "engaged",
        "goals",
        "active",
        "referred",
        "on_pathway",
        "closed",
    ]
    assert [s.status for s in line.steps] == ["done", "done", "current"] + ["todo"] * 4
    assert line.position == 3
    assert line.aside is None
    # a step is named after the client's state within it, else its first state
    active = step_line(pathway, "individual_work").steps[3]
    assert active.state == "individual_work"
    assert active.status == "current"
    assert line.steps[3].state == "group_work"


def test_step_line_places_a_side_state_where_the_client_left(runtime: Runtime) -> None:
    pathway = runtime.pathways.latest("client_journey")
    visited = ["outreach", "engaged", "assessment", "goal_setting", "individual_work", "paused"]
    line = step_line(pathway, "paused", visited)
    assert line.aside == "paused"
    assert [s.status for s in line.steps][:5] == ["done", "done", "done", "current", "todo"]
    closed = step_line(pathway, "closed", ["outreach", "closed"])
    assert closed.aside is None
    assert closed.steps[-1].status == "current"


def test_side_moves_are_pause_drop_out_decline_and_close(runtime: Runtime) -> None:
    pathway = runtime.pathways.latest("client_journey")
    assert side_moves(pathway) == {"pause", "drop_out", "decline", "close"}


def test_similar_names() -> None:
    assert similar_names(("Matti", "Meikäläinen"), ("matti", "Meikalainen"))
    assert similar_names(("Matti", "Meikäläinen"), ("Meikäläinen", "Matti"))  # swapped
    assert similar_names(("Matti", ""), ("Matti", "Meikäläinen"))  # a nickname only
    assert not similar_names(("Matti", "Meikäläinen"), ("Liisa", "Meikäläinen"))
    assert not similar_names(("Matti", "Virtanen"), ("Matti", "Korhonen"))


def test_possible_duplicates_only_among_clients_the_coach_may_see(runtime: Runtime) -> None:
    coach, other = make_user(runtime, Role.coach), make_user(runtime, Role.coach)
    assert coach.id is not None
    assert other.id is not None
    born = date(1988, 1, 2)
    mine, _ = make_client(
        runtime, first_name="Aino", last_name="Aalto", birth_date=born, care_team=(coach.id,)
    )
    make_client(
        runtime, first_name="Aino", last_name="Aalto", birth_date=born, care_team=(other.id,)
    )
    principal = Principal(user_id=coach.id, role=Role.coach, organisation_id=coach.organisation_id)
    today = runtime.clock.today()
    with runtime.db.read() as session:
        found = possible_duplicates(
            session, principal, first_name="Aino", last_name="Aalto", birth_date=born, today=today
        )
        assert [d.client_id for d in found] == [mine]
        assert not possible_duplicates(
            session, principal, first_name="Aino", last_name="Aalto", birth_date=None, today=today
        )


def test_client_card(runtime: Runtime) -> None:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    today = runtime.clock.today()
    client_id, _ = make_client(
        runtime, birth_date=date(today.year - 30, 1, 1), care_team=(coach.id,)
    )
    with runtime.db.write() as session:
        session.add(
            ContactEntry(
                client_id=client_id,
                coach_id=coach.id,
                occurred_at=runtime.clock.now() - timedelta(days=3),
                kind="phone",
                note="",
                next_contact_on=today - timedelta(days=1),
            )
        )
    with runtime.db.read() as session:
        client = session.get(Client, client_id)
        assert client is not None
        card = client_card(session, client, today)
    assert card.age == 30
    assert card.next_contact_on == today - timedelta(days=1)
    assert card.overdue
    assert not card.due_today
    assert card.care_team == (TeamMember(coach.display_name, "goal_coach"),)


def test_guards_are_described_in_words(runtime: Runtime) -> None:
    assert runtime.guards.describe("participation_consent", "fi") == (
        "Asiakkaan suostumus osallistumiseen on kirjattu"
    )
    assert runtime.guards.describe("working_age", "sv").startswith("Klienten är 15–64")
    assert runtime.guards.describe("no_such_guard", "en") == "no_such_guard"


def test_timeline_speaks_plain_words_with_the_partner_named(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as(Role.coach)
    partner = partner_service(runtime, "Työpaja Verstas")
    client_id, _ = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    principal = coach_principal(coach.user_id, coach.organisation_id)
    consent = give_consent(runtime, principal, client_id, partner.organisation_id)
    send_referral(runtime, principal, client_id, consent_id=consent)
    timeline = coach.get(f"/clients/{client_id}").text.split('id="timeline"')[1]
    assert "Ohjattiin kumppanille: Työpaja Verstas" in timeline
    assert "Tavattiin etsivässä työssä" in timeline  # the journey's start
    assert "Lähti mukaan toimintaan" in timeline  # engage
    assert "Aloitti yksilövalmennuksen" in timeline
    assert "Polku alkoi" not in timeline
    assert "Lähetetty" not in timeline
    sv = coach.get(f"/clients/{client_id}", headers={"Accept-Language": "sv"}).text
    assert "Hänvisades till Työpaja Verstas" in sv.split('id="timeline"')[1]


def test_pathway_page_shows_what_the_rules_check(api: Any) -> None:
    page = api.get("/pathways/client_journey").text
    assert "Asiakkaan suostumus osallistumiseen on kirjattu" in page
    assert "<code>participation_consent</code>" not in page


def test_a_move_without_its_own_phrase_reads_from_the_pathway_labels(runtime: Runtime) -> None:
    """A move the phrases do not name (here a plugin's pathway, whose key the catalogs do not
    know, with the client journey's labels) falls back to the pathway file's labels in the
    page's language; it used to fail the whole client page (500)."""
    from types import SimpleNamespace

    from web.i18n import use_language
    from web.templating import templates

    phrases = templates.env.get_template("clients/_timeline_phrases.html")
    pathway = runtime.pathways.latest("client_journey")
    transition = pathway.transition("complete_follow_on", "on_pathway")
    assert transition is not None
    event = SimpleNamespace(
        trigger="complete_follow_on", from_state="on_pathway", to_state="follow_on_completed"
    )
    item = SimpleNamespace(
        event=event, pathway_key="a_plugins_own_pathway", partner=None, group=None
    )
    with use_language("en"):
        text = str(phrases.module.event_phrase(item, pathway, "en"))  # type: ignore[attr-defined]
    assert text.startswith(str(transition.label.get("en")) + ": ")
    assert pathway.label("follow_on_completed", "en") in text
