"""The referral pages: the coach's referrals page and the partner workspace (htmx and plain
form posts), packet-only partner pages, consent revocation, languages."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from engine.models import Client, Role
from engine.runtime import Runtime
from tests.referral_kit import BLOCKED_TARGET, ELIGIBLE_TARGET, partner_service, young_client
from web.testing import UserClient

SENTINELS = ("SENTINEL-PHONE-9", "sentinel-mail@example.org", "SENTINEL-SUKUNIMI")
HX = {"HX-Request": "true"}


@pytest.fixture
def setup(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> tuple[UserClient, UserClient, int, int]:
    receiving = partner_service(runtime)
    partner_service(runtime, "Kittilän nuorten työpaja", BLOCKED_TARGET)
    coach = api_as(Role.coach)
    partner = api_as(Role.partner, organisation_id=receiving.organisation_id)
    client_id, _ = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    with runtime.db.write() as session:
        client = session.get(Client, client_id)
        assert client is not None
        client.phone, client.email, client.last_name = SENTINELS
    return coach, partner, client_id, receiving.organisation_id


def _consent_and_refer(
    coach: UserClient, client_id: int, organisation_id: int, fields: list[str]
) -> int:
    given = coach.post(
        f"/clients/{client_id}/consents",
        data={
            "organisation_id": str(organisation_id),
            "scope": ["name", "goals", "handoff_note", "contact"],
            "purpose": "Ohjaus",
            "evidence": "verbal",
        },
        follow_redirects=False,
    )
    assert given.status_code == 303, given.text
    consent_id = coach.get(f"/api/clients/{client_id}/consents").json()[0]["id"]
    sent = coach.post(
        f"/clients/{client_id}/referrals",
        data={
            "target_key": ELIGIBLE_TARGET,
            "consent_id": str(consent_id),
            "fields": fields,
            "goals": "Opiskelu",
            "handoff_note": "Muistiinpano",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    return int(coach.get(f"/api/clients/{client_id}/referrals").json()[0]["id"])


def test_coach_page_offers_eligible_targets_and_says_why_not(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, _partner, client_id, _org = setup
    page = coach.get(f"/clients/{client_id}/referrals", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    enabled = re.search(rf'value="{re.escape(ELIGIBLE_TARGET)}" required>', page.text)
    disabled = re.search(rf'value="{re.escape(BLOCKED_TARGET)}" required disabled>', page.text)
    assert enabled
    assert disabled
    assert "why-not" in page.text


def test_the_loop_through_the_pages(setup: tuple[UserClient, UserClient, int, int]) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name", "goals"])

    inbox = partner.get("/partner/referrals")
    assert inbox.status_code == 200
    assert f"#{referral_id}" in inbox.text
    # the inbox rows only open the referral: accepting and rejecting happen on its page
    assert 'name="trigger"' not in inbox.text
    assert f'href="/partner/referrals/{referral_id}"' in inbox.text
    page = partner.get(f"/partner/referrals/{referral_id}").text
    assert 'value="accept"' in page
    assert 'value="reject"' in page
    # htmx accept on the referral page: its status block; no page
    answer = partner.post(
        f"/partner/referrals/{referral_id}/advance", data={"trigger": "accept"}, headers=HX
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<section id="referral_status"')
    assert "<html" not in answer.text
    # a plain form post: 303 back to the page
    started = partner.post(
        f"/partner/referrals/{referral_id}/advance",
        data={"trigger": "start_work"},
        follow_redirects=False,
    )
    assert started.status_code == 303
    assert started.headers["location"] == f"/partner/referrals/{referral_id}"
    done = partner.post(
        f"/partner/referrals/{referral_id}/advance",
        data={
            "trigger": "complete",
            "outcome": "goal_reached",
            "reason": "Hyvin meni",
            "confirm": "yes",
        },
        headers=HX,
    )
    assert done.status_code == 200
    assert done.text.lstrip().startswith('<section id="referral_status"')
    page = coach.get(f"/clients/{client_id}/referrals", headers={"Accept-Language": "en"})
    assert 'data-state="completed"' in page.text
    assert "Hyvin meni" in page.text
    assert "Goal reached" in page.text


def test_reject_needs_a_reason_inline(setup: tuple[UserClient, UserClient, int, int]) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name"])
    refused = partner.post(
        f"/partner/referrals/{referral_id}/advance",
        data={"trigger": "reject"},
        headers=HX | {"Accept-Language": "en"},
    )
    assert refused.status_code == 422  # the error's status, htmx swaps it in (app.js)
    assert 'id="referral_status"' in refused.text
    assert "<html" not in refused.text  # only the block
    assert 'role="alert"' in refused.text
    assert "Please give a reason." in refused.text
    assert coach.get(f"/api/referrals/{referral_id}").json()["state"] == "requested"
    plain = partner.post(f"/partner/referrals/{referral_id}/advance", data={"trigger": "reject"})
    assert plain.status_code == 422


def test_partner_pages_hold_only_the_packet_fields(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["goals", "handoff_note"])
    for url in ("/partner/referrals", f"/partner/referrals/{referral_id}"):
        html = partner.get(url).text
        for sentinel in SENTINELS:
            assert sentinel not in html, (url, sentinel)
    detail = partner.get(f"/partner/referrals/{referral_id}").text
    assert re.findall(r'data-field="(\w+)"', detail) == ["goals", "handoff_note"]


def test_revoking_consent_on_the_page_cuts_the_partner_off(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name"])
    consent_id = coach.get(f"/api/clients/{client_id}/consents").json()[0]["id"]
    assert partner.get(f"/partner/referrals/{referral_id}").status_code == 200
    revoked = coach.post(
        f"/clients/{client_id}/consents/{consent_id}/revoke", follow_redirects=False
    )
    assert revoked.status_code == 303
    assert partner.get(f"/partner/referrals/{referral_id}").status_code == 403
    assert f"#{referral_id}" not in partner.get("/partner/referrals").text


@pytest.mark.parametrize(
    ("language", "heading"),
    [
        ("fi", "Lähetteet organisaatiolleni"),
        ("sv", "Remisser till min organisation"),
        ("en", "Referrals to my organisation"),
    ],
)
def test_partner_inbox_in_three_languages(
    setup: tuple[UserClient, UserClient, int, int], language: str, heading: str
) -> None:
    _coach, partner, _client, _org = setup
    page = partner.get("/partner/referrals", headers={"Accept-Language": language})
    assert heading in page.text


def test_coach_cancels_on_the_page_with_a_reason(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, _partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name"])
    refused = coach.post(f"/referrals/{referral_id}/cancel", data={"reason": ""})
    assert refused.status_code == 422
    cancelled = coach.post(
        f"/referrals/{referral_id}/cancel",
        data={"reason": "Asiakas muutti"},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/clients/{client_id}/referrals"
    assert coach.get(f"/api/referrals/{referral_id}").json()["state"] == "cancelled"


def test_notifications_page_lists_and_marks_read(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name"])
    page = partner.get("/notifications", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert f'href="/partner/referrals/{referral_id}"' in page.text
    assert 'class="unread"' in page.text
    assert "A new referral" in page.text
    for sentinel in SENTINELS:
        assert sentinel not in page.text
    assert partner.post("/notifications/read", follow_redirects=False).status_code == 303
    assert 'class="unread"' not in partner.get("/notifications").text
    partner.post(
        f"/partner/referrals/{referral_id}/advance", data={"trigger": "reject", "reason": "Täynnä"}
    )
    coach_page = coach.get("/notifications", headers={"Accept-Language": "sv"})
    assert f'href="/clients/{client_id}/referrals"' in coach_page.text
    assert "En remiss avvisades" in coach_page.text


def test_a_non_ascii_digit_in_an_id_field_is_a_422_not_a_crash(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    """ "²".isdigit() is true but int("²") fails: the form readers take ASCII digits only."""
    coach, _partner, client_id, _organisation_id = setup
    answer = coach.post(
        f"/clients/{client_id}/consents",
        data={"organisation_id": "²", "scope": ["name"], "purpose": "Ohjaus", "evidence": "verbal"},
    )
    assert answer.status_code == 422


# --- issue 13: nothing wrong recorded silently -----------------------------------------------


def _started(setup: tuple[UserClient, UserClient, int, int]) -> tuple[UserClient, int]:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name", "goals"])
    for trigger in ("accept", "start_work"):
        moved = partner.post(
            f"/partner/referrals/{referral_id}/advance",
            data={"trigger": trigger},
            follow_redirects=False,
        )
        assert moved.status_code == 303
    return partner, referral_id


def test_the_outcome_starts_empty_and_the_empty_choice_is_refused(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    partner, referral_id = _started(setup)
    page = partner.get(f"/partner/referrals/{referral_id}", headers={"Accept-Language": "en"})
    select = re.search(r'<select id="outcome-complete".*?</select>', page.text, re.S)
    assert select is not None
    assert re.search(r'<option value="" selected>Choose an outcome</option>', select.group(0))
    refused = partner.post(
        f"/partner/referrals/{referral_id}/advance",
        data={"trigger": "complete", "outcome": "", "reason": "Kirjattu", "confirm": "yes"},
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert "Please choose an outcome." in refused.text
    assert 'value="Kirjattu"' in refused.text  # the typed note stays
    assert setup[0].get(f"/api/referrals/{referral_id}").json()["state"] == "in_progress"


def test_complete_and_fail_ask_for_confirmation_without_javascript(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    partner, referral_id = _started(setup)
    page = partner.get(f"/partner/referrals/{referral_id}").text
    for trigger in ("complete", "fail"):
        assert re.search(
            rf'<input type="checkbox" id="confirm-{trigger}" name="confirm" value="yes" required>',
            page,
        )
    assert 'id="confirm-hold"' not in page
    unconfirmed = partner.post(
        f"/partner/referrals/{referral_id}/advance",
        data={"trigger": "complete", "outcome": "goal_reached"},
        headers={"Accept-Language": "en"},
    )
    assert unconfirmed.status_code == 422
    assert "cannot be undone" in unconfirmed.text
    assert setup[0].get(f"/api/referrals/{referral_id}").json()["state"] == "in_progress"
    done = partner.post(
        f"/partner/referrals/{referral_id}/advance",
        data={"trigger": "complete", "outcome": "goal_reached", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert setup[0].get(f"/api/referrals/{referral_id}").json()["state"] == "completed"


def test_the_partner_page_shows_the_client_name_sender_and_deadline(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name", "goals"])
    page = partner.get(f"/partner/referrals/{referral_id}", headers={"Accept-Language": "en"})
    name = coach.get(f"/api/referrals/{referral_id}").json()["packet"]["name"]
    assert re.search(rf'data-field="client-name"><strong>{re.escape(name)}</strong>', page.text)
    assert re.search(r'data-fact="due">\S', page.text)
    assert "Answer by" in page.text
    assert "Sent by" in page.text
    assert re.search(r'data-fact="sender">\S', page.text)
    # without the name in the packet, no name (a new follow-on referral after cancelling)
    coach.post(f"/referrals/{referral_id}/cancel", data={"reason": "Uusi lähete"})
    other = _consent_and_refer(coach, client_id, org, ["goals"])
    assert 'data-field="client-name"' not in partner.get(f"/partner/referrals/{other}").text


def test_coach_notifications_name_the_service(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, partner, client_id, org = setup
    referral_id = _consent_and_refer(coach, client_id, org, ["name"])
    partner.post(
        f"/partner/referrals/{referral_id}/advance", data={"trigger": "reject", "reason": "Täynnä"}
    )
    service = coach.get(f"/api/referrals/{referral_id}").json()["packet"]["service"]["en"]
    page = coach.get("/notifications", headers={"Accept-Language": "en"})
    assert f"<span data-service>{service}</span>" in page.text


def test_a_consent_error_keeps_every_typed_value_and_the_consent_is_asked_in_the_step(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, _partner, client_id, _org = setup
    form = coach.get(f"/clients/{client_id}/referrals", headers={"Accept-Language": "en"}).text
    assert 'data-field="client-name">Testi SENTINEL-SUKUNIMI</strong>' in form
    # the consent comes before the referral form's end, inside its basis step
    assert form.index('id="new_consent"') < form.index("Send the referral</button>")
    typed = {
        "target_key": ELIGIBLE_TARGET,
        "fields": ["name", "goals", "handoff_note"],
        "goals": "Opiskelupaikka syksyllä",
        "handoff_note": "Aamupäivät sopivat",
    }
    refused = coach.post(
        f"/clients/{client_id}/referrals", data=typed, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 422
    html = refused.text
    assert re.search(rf'value="{re.escape(ELIGIBLE_TARGET)}" required checked>', html)
    for name in ("name", "goals", "handoff_note"):
        assert f'id="field-{name}" name="fields" value="{name}" checked>' in html
    assert 'id="field-contact" name="fields" value="contact">' in html
    assert ">Opiskelupaikka syksyllä</textarea>" in html
    assert ">Aamupäivät sopivat</textarea>" in html
    assert '<details class="inline-consent" open>' in html
    assert 'class="field-error" role="alert"' in html
    # the consent recorded within the step: one post, a consent and the referral
    sent = coach.post(
        f"/clients/{client_id}/referrals",
        data=typed
        | {"new_consent": "yes", "consent_purpose": "Ohjaus", "consent_evidence": "verbal"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    [consent] = coach.get(f"/api/clients/{client_id}/consents").json()
    assert consent["scope"] == ["name", "goals", "handoff_note"]
    [referral] = coach.get(f"/api/clients/{client_id}/referrals").json()
    assert referral["consent_id"] == consent["id"]


def test_the_consent_choices_start_empty(
    setup: tuple[UserClient, UserClient, int, int],
) -> None:
    coach, _partner, client_id, org = setup
    form = coach.get(f"/clients/{client_id}/referrals", headers={"Accept-Language": "en"}).text
    for select in ("consent-organisation", "consent-evidence", "consent_evidence"):
        found = re.search(rf'<select id="{select}"[^>]*>\s*<option value="">', form)
        assert found, select
    refused = coach.post(
        f"/clients/{client_id}/consents",
        data={"organisation_id": str(org), "scope": ["name"], "purpose": "Ohjaus", "evidence": ""},
    )
    assert refused.status_code == 422
    assert coach.get(f"/api/clients/{client_id}/consents").json() == []


def test_the_client_page_asks_to_confirm_closing_and_dropping_out(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as(Role.coach)
    client_id, journey_id = young_client(
        runtime, organisation_id=coach.organisation_id, care_team=(coach.user_id,)
    )
    page = coach.get(f"/clients/{client_id}").text
    # each is a side move behind its own confirm step ("Vahvista: ..."), whose form carries the
    # confirmation; a post without it is refused below
    for trigger in ("close", "drop_out"):
        form = page.split(f'name="trigger" value="{trigger}"', 1)[1].split("</form>", 1)[0]
        assert '<input type="hidden" name="confirm" value="yes">' in form
        assert "Vahvista:" in form
    refused = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "drop_out", "reason": "Muutti"},
        headers={"Accept-Language": "en"},
    )
    assert refused.status_code == 422
    assert "cannot be undone" in refused.text
    done = coach.post(
        f"/clients/{client_id}/advance",
        data={"trigger": "drop_out", "reason": "Muutti", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert coach.get(f"/api/journeys/{journey_id}").json()["state"] == "dropped_out"
