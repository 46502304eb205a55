"""The client's one-time feedback page (``/palaute/{secret}``, rule public) as an attacker would
try it: an expired, used or forged link gets one neutral page, byte for byte the same, and
nothing is stored; no page shows anything of the client (or of another client); a foreign origin
cannot post; requests per address are bounded; the secret is stored only as its hash and never
reaches a log line; the use is access-logged without it."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import SQLModel, col

from engine.applog import HideQueryStrings, loggable_path
from engine.clock import FrozenClock
from engine.models import AccessLog, Client, Feedback, FeedbackLink, Role
from engine.runtime import Runtime
from engine.testing import make_client
from web.app import create_app
from web.testing import UserClient, sign_in
from web.voice_pages import PublicThrottle

HX = {"HX-Request": "true"}
LINK = re.compile(r"/palaute/([A-Za-z0-9_-]{43})")


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock=FrozenClock())


@pytest.fixture
def coach(runtime: Runtime, web_app: FastAPI, api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def client_of(runtime: Runtime, coach: UserClient, first: str, last: str) -> int:
    cid, _ = make_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        first_name=first,
        last_name=last,
    )
    with runtime.db.write() as session:
        client = session.get(Client, cid)
        assert client is not None
        client.phone, client.email = "040 1234567", "salainen@example.org"
        session.add(client)
    return cid


def secret_for(coach: UserClient, client_id: int) -> str:
    answer = coach.post(f"/clients/{client_id}/feedback-links", data={}, headers=HX)
    assert answer.status_code == 200
    found = LINK.search(answer.text)
    assert found is not None
    return found.group(1)


def stored(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return int(session.execute(select(func.count()).select_from(Feedback)).scalar_one())


def neutral(api: TestClient, secret: str) -> tuple[str, str]:
    """The GET and the POST answers' bodies for ``secret`` (both must be 200)."""
    got = api.get(f"/palaute/{secret}")
    posted = api.post(f"/palaute/{secret}", data={"satisfaction": "3"})
    assert got.status_code == 200
    assert posted.status_code == 200
    return got.text, posted.text


def test_expired_used_and_forged_links_get_the_same_neutral_page(
    runtime: Runtime, coach: UserClient, api: TestClient
) -> None:
    client_id = client_of(runtime, coach, "Aino", "Esimerkki")
    used = secret_for(coach, client_id)
    assert api.post(f"/palaute/{used}", data={"satisfaction": "4"}).status_code == 200
    expiring = secret_for(coach, client_id)
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(days=runtime.settings.feedback_link_days, seconds=1)
    forged = "A" * 43
    near_miss = used[:-1] + ("B" if used[-1] != "B" else "C")
    pages = {
        name: neutral(api, secret)
        for name, secret in {
            "used": used,
            "expired": expiring,
            "forged": forged,
            "near miss": near_miss,
            "short": "abc",
        }.items()
    }
    assert len({body for pair in pages.values() for body in pair}) == 1, "pages differ"
    body = pages["used"][0]
    assert 'name="satisfaction"' not in body
    assert stored(runtime) == 1  # only the first, real answer


def test_no_page_shows_anything_of_the_client_or_another_client(
    runtime: Runtime, coach: UserClient, api: TestClient
) -> None:
    mine = client_of(runtime, coach, "Aino", "Esimerkki")
    client_of(runtime, coach, "Toinen", "Asiakas")
    coach.post(
        f"/clients/{mine}/feedback",
        data={"satisfaction": "2", "helped": "Aiempi salaisuus"},
        headers=HX,
    )
    secret = secret_for(coach, mine)
    form = api.get(f"/palaute/{secret}").text
    invalid = api.post(f"/palaute/{secret}", data={"satisfaction": "x"}).text
    thanks = api.post(f"/palaute/{secret}", data={"satisfaction": "5"}).text
    for page in (form, invalid, thanks):
        for secret_text in (
            "Aino",
            "Esimerkki",
            "Toinen",
            "Asiakas",
            "040 1234567",
            "salainen@example.org",
            "Aiempi salaisuus",
            f"/clients/{mine}",
        ):
            assert secret_text not in page
        assert "/logout" not in page  # no menu, no session of anyone


def test_the_answer_cannot_choose_its_client_or_date(
    runtime: Runtime, coach: UserClient, api: TestClient
) -> None:
    mine = client_of(runtime, coach, "Aino", "Esimerkki")
    other = client_of(runtime, coach, "Toinen", "Asiakas")
    secret = secret_for(coach, mine)
    api.post(
        f"/palaute/{secret}",
        data={"satisfaction": "5", "client_id": str(other), "given_on": "2001-01-01"},
    )
    with runtime.db.read() as session:
        row = session.execute(select(Feedback)).scalar_one()
    assert row.client_id == mine
    assert row.given_on == runtime.clock.today()


def test_a_foreign_origin_cannot_post(runtime: Runtime, coach: UserClient, api: TestClient) -> None:
    secret = secret_for(coach, client_of(runtime, coach, "Aino", "Esimerkki"))
    refused = api.post(
        f"/palaute/{secret}",
        data={"satisfaction": "5"},
        headers={"Origin": "https://evil.example"},
    )
    assert refused.status_code == 403
    assert stored(runtime) == 0
    # the link still works for the client
    assert api.post(f"/palaute/{secret}", data={"satisfaction": "5"}).status_code == 200
    assert stored(runtime) == 1


def test_requests_per_address_are_bounded(
    runtime: Runtime, web_app: FastAPI, coach: UserClient
) -> None:
    secret = secret_for(coach, client_of(runtime, coach, "Aino", "Esimerkki"))
    web_app.state.feedback_throttle = PublicThrottle(limit=3, window=60)
    with TestClient(web_app) as api:
        codes = [api.get(f"/palaute/{'A' * 43}").status_code for _ in range(3)]
        assert codes == [200, 200, 200]
        assert api.get(f"/palaute/{secret}").status_code == 429
        assert api.post(f"/palaute/{secret}", data={"satisfaction": "5"}).status_code == 429
    assert stored(runtime) == 0


def test_the_throttle_forgets_after_its_window_and_bounds_its_table() -> None:
    throttle = PublicThrottle(limit=2, window=10, addresses=2)
    assert throttle.allow("a", 0.0)
    assert throttle.allow("a", 1.0)
    assert not throttle.allow("a", 2.0)
    assert throttle.allow("a", 11.5)
    assert throttle.allow("b", 11.5)
    assert not throttle.allow("c", 11.6)  # the table is full of live addresses
    assert throttle.allow("c", 30.0)  # the old ones are dropped


def test_only_the_hash_is_stored_and_no_log_holds_the_secret(
    runtime: Runtime,
    coach: UserClient,
    api: TestClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    client_id = client_of(runtime, coach, "Aino", "Esimerkki")
    secret = secret_for(coach, client_id)
    api.get(f"/palaute/{secret}?lang=sv")
    api.post(f"/palaute/{secret}", data={"satisfaction": "5"})
    with runtime.db.read() as session:
        for table in SQLModel.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert secret not in repr(tuple(row)), table.name
        logged = session.execute(
            select(AccessLog.what, AccessLog.basis, AccessLog.client_id).where(  # type: ignore[call-overload]
                AccessLog.what.in_(["feedback_link", "feedback_by_link"])  # type: ignore[attr-defined]
            )
        ).all()
        assert session.execute(select(col(FeedbackLink.token_hash))).scalar_one() != secret
        session.execute(text("SELECT 1"))
    assert sorted(logged) == [
        ("feedback_by_link", "client_link", client_id),
        ("feedback_link", "care_team", client_id),
    ]
    # the test's own HTTP client (httpx, the phone's side) is not the server
    leaks = [
        (r.name, r.getMessage()[:200])
        for r in caplog.records
        if secret in r.getMessage() and not r.name.startswith(("httpx", "httpcore"))
    ]
    assert leaks == []


def test_the_server_access_log_line_hides_the_secret() -> None:
    secret = "s" * 43
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/palaute/{secret}?lang=fi", "1.1", 200),
        None,
    )
    HideQueryStrings().filter(record)
    assert secret not in record.getMessage()
    assert "/palaute/…?…" in record.getMessage()
    assert loggable_path(f"/palaute/{secret}") == "/palaute/…"
    assert loggable_path("/clients/7?q=Aino") == "/clients/7?…"


def test_a_signed_in_coach_sees_no_menu_on_the_client_page(
    runtime: Runtime, coach: UserClient, web_app: FastAPI
) -> None:
    """The coach who opens the link on their own device sees the client's page as the client
    would: no header of theirs, no link into the client's record."""
    client_id = client_of(runtime, coach, "Aino", "Esimerkki")
    secret = secret_for(coach, client_id)
    with TestClient(web_app) as http:
        sign_in(http, runtime, coach.user_id)
        page = http.get(f"/palaute/{secret}").text
    assert "/logout" not in page
    assert "Aino" not in page


def test_a_fresh_app_has_its_own_throttle(runtime: Runtime) -> None:
    first, second = create_app(runtime=runtime), create_app(runtime=runtime)
    with TestClient(first) as a, TestClient(second) as b:
        a.get("/palaute/x")
        b.get("/palaute/x")
    assert first.state.feedback_throttle is not second.state.feedback_throttle
