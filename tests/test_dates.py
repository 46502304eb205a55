"""One set of date rules (engine/dates.py), used by the engine writes behind every form and the
API: no event before the client's birth or before what it follows, a next contact within a
window, a birth date of working age with a message that says what is wrong (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import col
from starlette.testclient import TestClient

from engine import dates
from engine.clock import FrozenClock
from engine.contacts import record_contact
from engine.errors import InputRequired
from engine.inputs import Checks
from engine.models import Client, ContactEntry, Qualification, Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from web.testing import UserClient, app_on, sign_in


@pytest.mark.parametrize(
    ("born", "words"),
    [(date(1850, 1, 1), "176 years old"), (date(2099, 1, 1), "in the future")],
)
def test_birth_date_rule_says_what_is_wrong(born: date, words: str) -> None:
    with pytest.raises(InputRequired) as refused:
        dates.check_birth_date(born, date(2026, 12, 6))
    assert refused.value.field == "birth_date"
    assert words in str(refused.value)
    dates.check_birth_date(date(1990, 1, 1), date(2026, 12, 6))


def test_the_api_and_the_page_refuse_1850_saying_why(
    api_as: Callable[..., UserClient],
) -> None:
    coach = api_as(Role.coach)
    api = coach.post(
        "/api/clients",
        json={
            "first_name": "Testi",
            "last_name": "Asiakas",
            "municipality_code": "261",
            "birth_date": "1850-01-01",
        },
    )
    assert api.status_code == 422
    assert api.json()["field"] == "birth_date"
    assert "years old" in api.json()["message"]
    page = coach.post(
        "/clients/new",
        data={
            "first_name": "Testi",
            "last_name": "Asiakas",
            "municipality_code": "261",
            "birth_date": "1850-01-01",
        },
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 422
    assert "would not be of working age: clients are 13–70 years old" in page.text
    assert "Give a date in the past" not in page.text


def test_no_contact_before_birth_or_registration_and_next_contact_within_a_year(
    runtime: Runtime,
) -> None:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _ = make_client(runtime, birth_date=date(1995, 5, 17))
    now = runtime.clock.now()

    def contact(at: datetime, next_on: date | None = None) -> None:
        with runtime.db.write() as session:
            record_contact(
                session,
                client_id=client_id,
                coach_id=coach.id or 0,
                contact={
                    "kind": "meeting",
                    "occurred_at": at,
                    "duration_minutes": 30,
                    "next_contact_on": next_on,
                },
                checks=Checks(now.date(), now=now, zone=runtime.clock.zone),
                next_contact_max_days=runtime.settings.next_contact_max_days,
            )

    for at, what in (
        (datetime(1901, 1, 1, tzinfo=UTC), "before the client's birth"),
        (datetime(2000, 1, 1, tzinfo=UTC), "before the client was recorded"),
    ):
        with pytest.raises(InputRequired) as refused:
            contact(at)
        assert refused.value.field == "occurred_at"
        assert what in str(refused.value)
    with pytest.raises(InputRequired) as far:
        contact(now, date(2099, 1, 1))
    assert far.value.field == "next_contact_on"
    assert "365 days" in str(far.value)
    contact(now, runtime.clock.today())


def test_the_contact_form_says_which_date_a_contact_may_not_precede(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    """The page names the rule that refused the date (the birth, the record, the window), keeps
    what was typed, and records nothing."""
    coach = api_as(Role.coach)
    client_id, _ = make_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        birth_date=date(1995, 5, 17),
    )
    form = {"kind": "meeting", "duration_minutes": "30", "note": "Kahvilla"}
    for typed, says in (
        ({"occurred_at": "1901-01-01T10:00"}, "dated before the client's birth (May 17, 1995)."),
        ({"occurred_at": "2000-01-01T10:00"}, "dated before the client was recorded. Give"),
        ({"next_contact_on": "2099-01-01"}, "at most 365 days ahead"),
    ):
        answer = coach.post(
            f"/clients/{client_id}/contacts",
            data=form | typed,
            headers={"Accept-Language": "en"},
        )
        assert answer.status_code == 422
        assert says in answer.text
        assert "not in the future" not in answer.text
        assert "Kahvilla" in answer.text
    with runtime.db.read() as session:
        from sqlalchemy import func, select

        from engine.models import ContactEntry

        count = session.execute(select(func.count()).select_from(ContactEntry)).scalar_one()
    assert count == 0


# 22:30 UTC on 6 December is 00:30 on 7 December in Helsinki: the rules judge by the local day.
AFTER_MIDNIGHT = datetime(2026, 12, 6, 22, 30, tzinfo=UTC)


def test_after_midnight_in_helsinki_today_is_the_local_day(
    make_runtime: Callable[..., Runtime],
) -> None:
    """A coach working past midnight records a card gained today and a contact with a next
    contact today; the caseload says the last contact was today (the UTC date was yesterday)."""
    runtime = make_runtime(clock=FrozenClock(AFTER_MIDNIGHT))
    today = runtime.clock.today()
    assert today == date(2026, 12, 7)
    coach_user = make_user(runtime, Role.coach)
    assert coach_user.id is not None
    client_id, _ = make_client(
        runtime, organisation_id=coach_user.organisation_id, care_team=(coach_user.id,)
    )
    with runtime.db.write() as session:  # recorded a quarter of an hour ago, local 7 December
        client = session.get(Client, client_id)
        assert client is not None
        client.created_at = AFTER_MIDNIGHT - timedelta(minutes=15)
    with TestClient(app_on(runtime), follow_redirects=False) as http:
        http.headers["X-CSRF-Token"] = sign_in(http, runtime, coach_user.id)
        card = http.post(
            f"/clients/{client_id}/qualifications",
            data={
                "kind": "hygiene_card",
                "name": "Hygieniapassi",
                "gained_on": today.isoformat(),
                "issuer": "Ruokavirasto",
                "valid_until": "",
            },
        )
        assert card.status_code in {200, 303}, card.text[-600:]
        contact = http.post(
            f"/clients/{client_id}/contacts",
            data={
                "kind": "meeting",
                "duration_minutes": "30",
                "note": "Yöpäivystys",
                "next_contact_on": today.isoformat(),
            },
        )
        assert contact.status_code in {200, 303}, contact.text[-600:]
        caseload = http.get("/clients").text
    with runtime.db.read() as session:
        gained = session.execute(select(col(Qualification.gained_on))).scalar_one()
        entry = session.execute(select(ContactEntry)).scalar_one()
    assert gained == today
    assert entry.next_contact_on == today
    assert "Tänään" in caseload  # the last contact, 0 local days ago
    assert "caseload__row--due" in caseload  # the next contact is due today
