"""The client's voice (engine/voice.py): feedback and its rules, one-time links (hash only,
expiry, one use, logged), roles with consent and dates, the coordinator's summary (counts and
themes, never names or free text, nothing below the minimum)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from engine import voice
from engine.access import Principal
from engine.clock import FrozenClock
from engine.errors import InvalidInput
from engine.inputs import Checks
from engine.models import AccessLog, Client, Feedback, FeedbackLink, Role, VoiceRole
from engine.runtime import Runtime
from engine.testing import make_client, make_organisation, make_user


@pytest.fixture
def runtime(make_runtime: Callable[..., Runtime]) -> Runtime:
    return make_runtime(clock=FrozenClock())


@pytest.fixture
def ids(runtime: Runtime) -> tuple[int, int]:
    coach = make_user(runtime, Role.coach)
    assert coach.id is not None
    client_id, _ = make_client(
        runtime, care_team=(coach.id,), organisation_id=coach.organisation_id
    )
    return client_id, coach.id


def record(runtime: Runtime, client_id: int, coach_id: int, **values: Any) -> Feedback:
    with runtime.db.write() as session:
        return voice.record_feedback(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            values=values,
            checks=Checks.of(runtime.clock),
            now=runtime.clock.now(),
        )


def link(runtime: Runtime, client_id: int, coach_id: int, language: str = "") -> str:
    with runtime.db.write() as session:
        return voice.create_link(
            session,
            client_id=client_id,
            created_by=coach_id,
            language=language,
            now=runtime.clock.now(),
            days=runtime.settings.feedback_link_days,
        ).token


def give(runtime: Runtime, token: str, **values: Any) -> Feedback:
    with runtime.db.write() as session:
        return voice.give_by_link(
            session, token, values, checks=Checks.of(runtime.clock), now=runtime.clock.now()
        )


def access_rows(runtime: Runtime, what: str) -> int:
    with runtime.db.read() as session:
        return int(
            session.execute(
                select(func.count()).select_from(AccessLog).where(AccessLog.what == what)  # type: ignore[arg-type]
            ).scalar_one()
        )


def test_the_coach_records_feedback_with_its_fields(runtime: Runtime, ids: tuple[int, int]) -> None:
    client_id, coach_id = ids
    record(
        runtime,
        client_id,
        coach_id,
        satisfaction="4",
        helped=" The group ",
        change="",
        wish_theme="work",
        wish="A company visit",
    )
    with runtime.db.read() as session:
        (row,) = voice.feedback_of(session, client_id)
    assert (row.satisfaction, row.helped, row.wish_theme, row.wish, row.channel) == (
        4,
        "The group",
        "work",
        "A company visit",
        "coach",
    )
    assert row.given_on == runtime.clock.today()
    assert row.recorded_by == coach_id


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"satisfaction": ""}, "satisfaction"),
        ({"satisfaction": "6"}, "satisfaction"),
        ({"satisfaction": "0"}, "satisfaction"),
        ({"satisfaction": "3", "wish_theme": "flying"}, "wish_theme"),
        ({"satisfaction": "3", "helped": "x" * 1001}, "helped"),
        ({"satisfaction": "3", "given_on": "2999-01-01"}, "given_on"),
        ({"satisfaction": "3", "recorded_by": "1"}, "recorded_by"),
    ],
)
def test_feedback_input_rules(
    runtime: Runtime, ids: tuple[int, int], values: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        record(runtime, ids[0], ids[1], **values)
    assert field in caught.value.errors


def test_a_link_stores_only_the_hash_and_is_used_once(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    client_id, coach_id = ids
    token = link(runtime, client_id, coach_id, "sv")
    with runtime.db.read() as session:
        row = session.execute(select(FeedbackLink)).scalar_one()
    assert row.token_hash == voice.token_hash(token)
    assert token not in row.token_hash
    assert row.language == "sv"
    assert row.expires_at == runtime.clock.now() + timedelta(days=7)

    given = give(runtime, token, satisfaction="5", wish_theme="peer_group")
    assert (given.client_id, given.channel, given.recorded_by) == (client_id, "link", None)
    # the use is logged: the worker who gave the link, the client's basis
    assert access_rows(runtime, "feedback_by_link") == 1
    with runtime.db.read() as session:
        logged = session.execute(
            select(AccessLog).where(AccessLog.what == "feedback_by_link")  # type: ignore[arg-type]
        ).scalar_one()
    assert (logged.user_id, logged.client_id, logged.basis) == (coach_id, client_id, "client_link")

    with pytest.raises(voice.LinkNotUsable):
        give(runtime, token, satisfaction="1")
    with runtime.db.read() as session:
        assert len(voice.feedback_of(session, client_id)) == 1
    assert access_rows(runtime, "feedback_by_link") == 1


def test_an_expired_link_cannot_be_used(runtime: Runtime, ids: tuple[int, int]) -> None:
    token = link(runtime, *ids)
    clock = runtime.clock
    assert isinstance(clock, FrozenClock)
    clock.advance(days=7)
    with runtime.db.read() as session:
        assert voice.usable_link(session, token, clock.now()) is None
    with pytest.raises(voice.LinkNotUsable):
        give(runtime, token, satisfaction="3")


@pytest.mark.parametrize(
    "token", ["", "x", "A" * 43, "A" * 42 + "!", "ä" * 43, "A" * 44, "../" + "A" * 40]
)
def test_a_forged_secret_finds_nothing(runtime: Runtime, ids: tuple[int, int], token: str) -> None:
    link(runtime, *ids)
    with pytest.raises(voice.LinkNotUsable):
        give(runtime, token, satisfaction="3")


def test_a_bad_answer_leaves_the_link_usable(runtime: Runtime, ids: tuple[int, int]) -> None:
    token = link(runtime, *ids)
    with pytest.raises(InvalidInput):
        give(runtime, token, satisfaction="9")
    with runtime.db.read() as session:
        assert voice.usable_link(session, token, runtime.clock.now()) is not None


def test_the_link_answer_takes_only_the_feedback_fields(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    token = link(runtime, *ids)
    row = give(runtime, token, satisfaction="2", given_on="2000-01-01", client_id="999")
    assert row.given_on == runtime.clock.today()


def test_a_role_has_consent_and_dates_and_ends(runtime: Runtime, ids: tuple[int, int]) -> None:
    client_id, coach_id = ids
    today = runtime.clock.today()
    checks = Checks.of(runtime.clock)
    with runtime.db.write() as session:
        with pytest.raises(InvalidInput) as caught:
            voice.add_role(
                session,
                client_id=client_id,
                recorded_by=coach_id,
                values={
                    "kind": "experience_expert",
                    "valid_from": today.isoformat(),
                    "valid_to": (today - timedelta(days=1)).isoformat(),
                    "consent_evidence": "shrug",
                    "consent_given_on": (today + timedelta(days=1)).isoformat(),
                },
                checks=checks,
                now=runtime.clock.now(),
            )
        assert {"consent_evidence", "consent_given_on"} <= set(caught.value.errors)
        role = voice.add_role(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            values={
                "kind": "peer_instructor",
                "valid_from": (today - timedelta(days=10)).isoformat(),
                "valid_to": "",
                "consent_evidence": "written",
                "consent_given_on": (today - timedelta(days=10)).isoformat(),
            },
            checks=checks,
            now=runtime.clock.now(),
        )
        assert voice.valid_on(role, today)
        ended = voice.end_role(session, role, today=today)
        assert ended is role
        assert role.valid_to == today - timedelta(days=1)
        assert not voice.valid_on(role, today)
        starting = voice.add_role(
            session,
            client_id=client_id,
            recorded_by=coach_id,
            values={
                "kind": "experience_expert",
                "valid_from": today.isoformat(),
                "consent_evidence": "verbal",
                "consent_given_on": today.isoformat(),
            },
            checks=checks,
            now=runtime.clock.now(),
        )
        assert voice.end_role(session, starting, today=today) is None
        assert [r.kind for r in voice.roles_of(session, client_id)] == ["peer_instructor"]


def test_the_coordinator_lists_valid_roles_of_their_organisation_logged(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    client_id, coach_id = ids
    today = runtime.clock.today()
    with runtime.db.read() as session:
        client = session.get(Client, client_id)
        assert client is not None
    coordinator = make_user(runtime, Role.coordinator, organisation_id=client.organisation_id)
    other_org_coordinator = make_user(
        runtime, Role.coordinator, organisation_id=make_organisation(runtime, "project", "Muu")
    )
    with runtime.db.write() as session:
        for kind, start, end in (
            ("experience_expert", today, None),
            ("peer_instructor", today - timedelta(days=30), today - timedelta(days=1)),
        ):
            session.add(
                VoiceRole(
                    client_id=client_id,
                    kind=kind,
                    valid_from=start,
                    valid_to=end,
                    consent_evidence="verbal",
                    consent_given_on=start,
                    recorded_by=coach_id,
                )
            )
    assert coordinator.id is not None
    assert other_org_coordinator.id is not None
    with runtime.db.write() as session:
        mine = voice.role_holders(
            session,
            Principal(coordinator.id, Role.coordinator, coordinator.organisation_id),
            today=today,
            now=runtime.clock.now(),
        )
        theirs = voice.role_holders(
            session,
            Principal(
                other_org_coordinator.id,
                Role.coordinator,
                other_org_coordinator.organisation_id,
            ),
            today=today,
            now=runtime.clock.now(),
        )
    assert [(h.client_id, h.kind) for h in mine] == [(client_id, "experience_expert")]
    assert theirs == []
    assert access_rows(runtime, "voice_role_list") == 1


def test_the_summary_counts_and_never_shows_below_the_minimum(
    runtime: Runtime, ids: tuple[int, int]
) -> None:
    _client, coach_id = ids
    today = runtime.clock.today()
    with runtime.db.read() as session:
        client = session.get(Client, _client)
        assert client is not None
        assert client.organisation_id is not None
        organisation_id = client.organisation_id
    clients = [
        make_client(runtime, care_team=(coach_id,), organisation_id=organisation_id)[0]
        for _ in range(5)
    ]
    for n, client_id in enumerate(clients[:4]):
        record(
            runtime,
            client_id,
            coach_id,
            satisfaction=str(n + 2),
            wish_theme="work" if n % 2 else "study",
            wish="private words",
        )
    with runtime.db.read() as session:
        few = voice.summary(session, organisation_id, today, today, minimum=5)
    assert not few.shown
    assert few.answers == 0
    assert few.themes == []
    token = link(runtime, clients[4], coach_id)
    give(runtime, token, satisfaction="5", wish_theme="work")
    with runtime.db.read() as session:
        enough = voice.summary(session, organisation_id, today, today, minimum=5)
        before = voice.summary(
            session,
            organisation_id,
            today - timedelta(days=9),
            today - timedelta(days=1),
            minimum=1,
        )
    assert enough.shown
    assert (enough.answers, enough.clients) == (5, 5)
    assert enough.satisfaction == {1: 0, 2: 1, 3: 1, 4: 1, 5: 2}
    assert enough.average == 3.8
    assert enough.themes == [("work", 3), ("study", 2)]
    assert enough.channels == {"coach": 4, "link": 1}
    assert "private words" not in repr(enough)
    assert not before.shown
