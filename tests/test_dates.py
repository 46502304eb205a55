"""One set of date rules (engine/dates.py), used by the engine writes behind every form and the
API: no event before the client's birth or before what it follows, a next contact within a
window, a birth date of working age with a message that says what is wrong (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from engine import dates
from engine.contacts import record_contact
from engine.errors import InputRequired
from engine.inputs import Checks
from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from web.testing import UserClient


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
