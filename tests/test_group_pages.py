"""Group pages through the app (both databases): starting a group, inviting a client from their
page, membership moves with the 409s, attendance toggles (htmx and plain posts), who may see what
(403/404), and the access-log rows of member data."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlmodel import col

from engine.models import (
    AccessLog,
    AttendanceMark,
    Client,
    ClientGroup,
    Consent,
    Disclosure,
    GroupMembership,
    GroupSession,
    Journey,
    Role,
    User,
)
from engine.runtime import Runtime
from engine.testing import make_organisation, make_user
from tests.group_kit import client_at, coach, invite, make_group, move
from web.testing import UserClient

HX = {"HX-Request": "true"}


@pytest.fixture
def leader(api_as: Callable[..., UserClient]) -> UserClient:
    return api_as(Role.coach)


def own_client(
    runtime: Runtime,
    http: UserClient,
    triggers: tuple[str, ...] = ("engage", "start_assessment", "set_goals"),
    **names: str,
) -> tuple[int, int]:
    return client_at(
        runtime, triggers, organisation_id=http.organisation_id, care_team=(http.user_id,), **names
    )


def group_of(runtime: Runtime, http: UserClient, **kw: object) -> int:
    return make_group(runtime, coach(http.user_id, http.organisation_id), **kw)  # type: ignore[arg-type]


def sessions(runtime: Runtime, group_id: int) -> list[int]:
    with runtime.db.read() as session:
        return [
            int(i)
            for i in session.execute(
                select(col(GroupSession.id))
                .where(col(GroupSession.group_id) == group_id)
                .order_by(col(GroupSession.number))
            ).scalars()
        ]


def state(runtime: Runtime, journey_id: int) -> str:
    with runtime.db.read() as session:
        journey = session.get(Journey, journey_id)
        assert journey is not None
        return journey.state


def rows(runtime: Runtime) -> list[tuple[int, int, str, str]]:
    with runtime.db.read() as session:
        found = session.execute(
            select(
                col(AccessLog.user_id),
                col(AccessLog.client_id),
                col(AccessLog.what),
                col(AccessLog.basis),
            ).order_by(col(AccessLog.id))
        ).all()
    return [(a, b, c, d) for a, b, c, d in found]


def test_a_coach_starts_a_group_with_eight_meetings(runtime: Runtime, leader: UserClient) -> None:
    page = leader.get("/groups/new")
    assert page.status_code == 200
    assert 'name="first_date"' in page.text
    answer = leader.post(
        "/groups/new",
        data={
            "name": "Arjen taidot",
            "municipality_code": "261",
            "first_date": "2026-03-05",
            "first_time": "13:00",
            "meetings": "8",
            "place": "Nuorisotila",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    url = answer.headers["location"]
    assert re.fullmatch(r"/groups/\d+", url)
    page = leader.get(url)
    assert page.status_code == 200
    assert page.text.count('class="group-sessions"') == 1
    assert len(re.findall(r'id="session-date-\d+"', page.text)) == 8
    assert 'value="2026-04-23"' in page.text  # the 8th meeting, seven weeks later
    listing = leader.get("/groups")
    assert "Arjen taidot" in listing.text
    assert f'href="{url}"' in listing.text


def test_bad_group_input_is_a_422_naming_the_field(runtime: Runtime, leader: UserClient) -> None:
    answer = leader.post(
        "/groups/new",
        data={"name": "Ryhmä", "municipality_code": "999", "first_date": "2026-03-05"},
    )
    assert answer.status_code == 422
    assert (
        'id="group-municipality" name="municipality_code" required aria-invalid="true"'
        in answer.text
    )
    assert 'value="Ryhmä"' in answer.text  # nothing the coach typed is lost
    answer = leader.post(
        "/groups/new", data={"name": "Ryhmä", "municipality_code": "261", "first_date": "x"}
    )
    assert answer.status_code == 422
    assert 'aria-describedby="group-first-date-error"' in answer.text


def test_every_bad_field_of_a_new_group_is_marked_at_once(
    runtime: Runtime, leader: UserClient
) -> None:
    """The engine's input model (engine.groups.GroupInput) checks the whole form in one pass:
    every bad field is marked, and everything typed comes back (issue 12: no rule in the
    route, the same rules as the engine's)."""
    answer = leader.post(
        "/groups/new",
        data={
            "name": " ",
            "municipality_code": "999",
            "first_date": "2026-02-30",
            "meetings": "53",
            "place": "Nuorisotila",
            "leader_ids": ["x"],
        },
    )
    assert answer.status_code == 422
    for marker in ("name", "municipality", "first-date", "meetings"):
        assert f'id="group-{marker}-error"' in answer.text, marker
    assert 'value="Nuorisotila"' in answer.text
    assert 'value="53"' in answer.text
    assert 'value="2026-02-30"' in answer.text
    assert count_groups(runtime) == 0


def count_groups(runtime: Runtime) -> int:
    with runtime.db.read() as session:
        return len(session.execute(select(ClientGroup)).scalars().all())


def test_invite_from_the_client_page_then_attend(runtime: Runtime, leader: UserClient) -> None:
    group_id = group_of(runtime, leader, name="Arjen taidot")
    client_id, journey_id = own_client(runtime, leader)
    page = leader.get(f"/clients/{client_id}")
    assert 'id="invite-group"' in page.text
    assert "Arjen taidot" in page.text
    answer = leader.post(
        f"/clients/{client_id}/groups", data={"group_id": str(group_id)}, headers=HX
    )
    assert answer.status_code == 200
    assert 'id="client_groups"' in answer.text
    assert (
        'id="timeline" class="timeline" aria-labelledby="timeline-title" hx-swap-oob="true"'
        in answer.text
    )
    again = leader.post(f"/clients/{client_id}/groups", data={"group_id": str(group_id)})
    assert again.status_code == 422  # already a member: said, nothing written
    with runtime.db.read() as session:
        membership = session.execute(select(GroupMembership)).scalar_one()
    assert state(runtime, membership.journey_id) == "invited"
    moved = leader.post(
        f"/groups/{group_id}/members/{membership.id}/advance",
        data={"trigger": "start_attending"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert state(runtime, membership.journey_id) == "attending"
    assert state(runtime, journey_id) == "group_work"
    with_htmx = leader.post(
        f"/groups/{group_id}/members/{membership.id}/advance",
        data={"trigger": "drop_out", "reason": "Muutti"},
        headers=HX,
    )
    assert with_htmx.status_code == 200
    assert 'role="status"' in with_htmx.text
    assert state(runtime, journey_id) == "individual_work"


def test_invalid_and_blocked_moves_are_409_and_write_nothing(
    runtime: Runtime, leader: UserClient
) -> None:
    me = coach(leader.user_id, leader.organisation_id)
    group_id = group_of(runtime, leader)
    ready, _ = own_client(runtime, leader)
    early, early_journey = own_client(runtime, leader, ("engage", "start_assessment"))
    ready_member = invite(runtime, me, group_id, ready)
    early_member = invite(runtime, me, group_id, early)
    invalid = leader.post(
        f"/groups/{group_id}/members/{ready_member}/advance",
        data={"trigger": "complete"},
        headers=HX,
    )
    assert invalid.status_code == 409
    assert "Mahdollista nyt:" in invalid.text  # Finnish, the default language
    blocked = leader.post(
        f"/groups/{group_id}/members/{early_member}/advance", data={"trigger": "start_attending"}
    )
    assert blocked.status_code == 409
    assert f'href="/clients/{early}"' in blocked.text
    assert state(runtime, early_journey) == "assessment"
    with runtime.db.read() as session:
        membership = session.get(GroupMembership, early_member)
        assert membership is not None
        assert session.get(Journey, membership.journey_id).state == "invited"  # type: ignore[union-attr]
    missing_reason = leader.post(
        f"/groups/{group_id}/members/{ready_member}/advance", data={"trigger": "drop_out"}
    )
    assert missing_reason.status_code == 422


def test_attendance_toggles_in_place_and_without_javascript(
    runtime: Runtime, leader: UserClient
) -> None:
    me = coach(leader.user_id, leader.organisation_id)
    group_id = group_of(runtime, leader)
    first, second, third, *_ = sessions(runtime, group_id)
    client_id, _ = own_client(runtime, leader)
    member = invite(runtime, me, group_id, client_id)
    page = leader.get(f"/groups/{group_id}")
    assert f'id="cell-{member}-{first}"' in page.text
    assert "attendance-toggle" not in page.text
    move(runtime, me, group_id, member, "start_attending")
    page = leader.get(f"/groups/{group_id}")
    assert page.text.count('class="attendance-toggle"') == 2  # meetings 1 and 2 are past

    on = leader.post(
        f"/groups/{group_id}/attendance",
        data={"membership_id": str(member), "session_id": str(first), "present": "1"},
        headers=HX,
    )
    assert on.status_code == 200
    assert on.text.lstrip().startswith(f'<td id="cell-{member}-{first}"')
    assert 'aria-pressed="true"' in on.text
    assert 'name="present" value="0"' in on.text
    assert f'id="count-{member}" class="attendance-count" hx-swap-oob="true">1/2' in on.text
    off = leader.post(
        f"/groups/{group_id}/attendance",
        data={"membership_id": str(member), "session_id": str(first), "present": "0"},
        headers=HX,
    )
    assert 'aria-pressed="false"' in off.text
    assert ">0/2" in off.text
    plain = leader.post(
        f"/groups/{group_id}/attendance",
        data={"membership_id": str(member), "session_id": str(second), "present": "1"},
        follow_redirects=False,
    )
    assert plain.status_code == 303
    assert plain.headers["location"].endswith("#attendance")
    future = leader.post(
        f"/groups/{group_id}/attendance",
        data={"membership_id": str(member), "session_id": str(third), "present": "1"},
        headers=HX,
    )
    assert future.status_code == 422
    with runtime.db.read() as session:
        marks = session.execute(
            select(
                col(AttendanceMark.session_id),
                col(AttendanceMark.present),
                col(AttendanceMark.marked_by),
            ).order_by(col(AttendanceMark.id))
        ).all()
    assert [tuple(m) for m in marks] == [
        (first, True, leader.user_id),
        (first, False, leader.user_id),
        (second, True, leader.user_id),
    ]
    timeline = leader.get(f"/clients/{client_id}")
    assert "timeline__item--attendance" in timeline.text


def test_a_leader_edits_a_meeting(runtime: Runtime, leader: UserClient) -> None:
    group_id = group_of(runtime, leader)
    first = sessions(runtime, group_id)[0]
    answer = leader.post(
        f"/groups/{group_id}/sessions/{first}",
        data={"date": "2026-05-04", "time": "10:15", "topic": "Tutustuminen"},
        headers=HX,
    )
    assert answer.status_code == 200
    assert "Tutustuminen" in answer.text
    assert 'value="2026-05-04"' in answer.text
    assert 'value="10:15"' in answer.text
    bad = leader.post(f"/groups/{group_id}/sessions/{first}", data={"date": "", "topic": "x"})
    assert bad.status_code == 422


@dataclass(frozen=True)
class CoLed:
    partner: User
    group_id: int
    first_session: int
    invited: int
    attending: int
    attending_member: int
    #: Attends, but did not consent to the co-leader's organisation seeing them.
    no_consent: int


def co_led_group(runtime: Runtime, leader: UserClient) -> CoLed:
    """A group of ``leader`` co-led by a partner worker: one client invited (with consent), one
    attending with consent to the co-leader's organisation, one attending without."""
    me = coach(leader.user_id, leader.organisation_id)
    partner_user = make_user(runtime, Role.partner)
    assert partner_user.id is not None
    group_id = group_of(runtime, leader, co_leader_id=partner_user.id)
    invited_client, _ = own_client(runtime, leader, first_name="Iida", last_name="Kutsuttu")
    attending_client, _ = own_client(runtime, leader, first_name="Aapo", last_name="Suostui")
    no_consent_client, _ = own_client(runtime, leader, first_name="Eino", last_name="Kieltäytyi")
    invite(runtime, me, group_id, invited_client, consent="verbal")
    member = invite(runtime, me, group_id, attending_client, consent="written")
    move(runtime, me, group_id, member, "start_attending")
    other = invite(runtime, me, group_id, no_consent_client)
    move(runtime, me, group_id, other, "start_attending")
    first = sessions(runtime, group_id)[0]
    return CoLed(
        partner_user, group_id, first, invited_client, attending_client, member, no_consent_client
    )


def test_who_sees_a_group(
    runtime: Runtime, leader: UserClient, api_as: Callable[..., UserClient]
) -> None:
    co = co_led_group(runtime, leader)
    partner_user, group_id, first = co.partner, co.group_id, co.first_session
    invited_client, attending_client, member = co.invited, co.attending, co.attending_member
    toggle = {"membership_id": str(member), "session_id": str(first), "present": "1"}

    co_leader = api_as(user=partner_user)
    page = co_leader.get(f"/groups/{group_id}")
    assert page.status_code == 200
    assert "attendance-toggle" not in page.text
    assert "/clients/" not in page.text
    # the attending member who consented, in both tables; the other one only as a count
    assert page.text.count('<th scope="row">') == 2
    assert 'id="hidden_members"' in page.text
    assert co_leader.post(f"/groups/{group_id}/attendance", data=toggle).status_code == 403
    assert co_leader.get(f"/clients/{attending_client}").status_code == 403
    assert co_leader.get("/groups").status_code == 200

    coordinator = api_as(Role.coordinator, organisation_id=leader.organisation_id)
    assert coordinator.get(f"/groups/{group_id}").status_code == 200
    assert coordinator.post(f"/groups/{group_id}/attendance", data=toggle).status_code == 403

    outsider = api_as(Role.coach, organisation_id=leader.organisation_id)
    assert outsider.get(f"/groups/{group_id}").status_code == 403
    assert outsider.post(f"/groups/{group_id}/attendance", data=toggle).status_code == 403
    assert group_id
    assert f"/groups/{group_id}" not in outsider.get("/groups").text
    other_coordinator = api_as(
        Role.coordinator, organisation_id=make_organisation(runtime, "project", "Muu hanke")
    )
    assert other_coordinator.get(f"/groups/{group_id}").status_code == 403
    assert leader.get(f"/groups/{group_id + 1000}").status_code == 404
    # inviting a client to a group one does not lead
    other_group = make_group(runtime, coach(outsider.user_id, outsider.organisation_id))
    refused = leader.post(f"/clients/{invited_client}/groups", data={"group_id": str(other_group)})
    assert refused.status_code == 403


def test_member_data_views_are_logged_one_row_per_member(
    runtime: Runtime, leader: UserClient, api_as: Callable[..., UserClient]
) -> None:
    co = co_led_group(runtime, leader)
    partner_user, group_id, first = co.partner, co.group_id, co.first_session
    a, b, member_b, c = co.invited, co.attending, co.attending_member, co.no_consent
    before = rows(runtime)
    leader.get(f"/groups/{group_id}")
    added = rows(runtime)[len(before) :]
    assert sorted(added) == sorted(
        [
            (leader.user_id, a, "group", "group_leader"),
            (leader.user_id, b, "group", "group_leader"),
            (leader.user_id, c, "group", "group_leader"),
        ]
    )
    before = rows(runtime)
    leader.post(
        f"/groups/{group_id}/attendance",
        data={"membership_id": str(member_b), "session_id": str(first), "present": "1"},
        headers=HX,
    )
    assert rows(runtime)[len(before) :] == [(leader.user_id, b, "group_work", "group_leader")]
    co_leader = api_as(user=partner_user)
    before = rows(runtime)
    co_leader.get(f"/groups/{group_id}")
    assert rows(runtime)[len(before) :] == [(partner_user.id, b, "group", "group_co_leader")]
    before = rows(runtime)
    leader.get("/groups")
    assert rows(runtime) == before  # the list shows no client data


def test_the_header_links_to_groups(runtime: Runtime, leader: UserClient) -> None:
    page = leader.get("/clients")
    assert 'href="/groups"' in page.text


def test_a_leader_adds_members_from_the_group_page(
    runtime: Runtime, leader: UserClient, api_as: Callable[..., UserClient]
) -> None:
    group_id = group_of(runtime, leader)
    aino, _ = client_at(
        runtime,
        first_name="Aino",
        last_name="Haku",
        organisation_id=leader.organisation_id,
        care_team=(leader.user_id,),
    )
    stranger = api_as(Role.coach, organisation_id=leader.organisation_id)
    hidden, _ = client_at(
        runtime,
        first_name="Aino",
        last_name="Vieras",
        organisation_id=leader.organisation_id,
        care_team=(stranger.user_id,),
    )
    before = rows(runtime)
    found = leader.get(f"/groups/{group_id}?q=Aino", headers=HX | {"HX-Target": "group_candidates"})
    assert found.status_code == 200
    assert found.text.lstrip().startswith('<div id="group_candidates"')
    assert "Haku" in found.text
    assert "Vieras" not in found.text
    assert rows(runtime)[len(before) :] == [(leader.user_id, aino, "caseload", "care_team")]
    added = leader.post(f"/groups/{group_id}/members", data={"client_id": str(aino)}, headers=HX)
    assert added.status_code == 200
    assert 'id="group_members"' in added.text
    assert "Aino Haku" in added.text
    again = leader.get(f"/groups/{group_id}?q=Aino")
    assert 'name="client_id" value="' + str(aino) + '"' not in again.text  # a member already
    assert (
        leader.post(f"/groups/{group_id}/members", data={"client_id": str(aino)}).status_code == 422
    )
    assert (
        leader.post(f"/groups/{group_id}/members", data={"client_id": str(hidden)}).status_code
        == 403
    )


def test_odd_numbers_and_dates_are_a_422_not_a_crash(runtime: Runtime, leader: UserClient) -> None:
    """ "²".isdigit() is true but int("²") fails; a year 1 or 9999 overflows the weekly sums."""
    group_id = group_of(runtime, leader)
    first, *_ = sessions(runtime, group_id)
    new = {"name": "R", "municipality_code": "261"}
    for path, data, status in (
        # an id that is not a number names no member: not found
        (f"/groups/{group_id}/attendance", {"membership_id": "²", "session_id": str(first)}, 404),
        (f"/groups/{group_id}/members", {"client_id": "٣"}, 422),
        ("/groups/new", new | {"first_date": "2026-03-05", "meetings": "²"}, 422),
        ("/groups/new", new | {"first_date": "9999-12-20", "meetings": "8"}, 422),
        (f"/groups/{group_id}/sessions/{first}", {"date": "0001-01-01", "time": "00:00"}, 422),
    ):
        answer = leader.post(path, data=data, headers=HX)
        assert answer.status_code == status, (path, data, answer.status_code)


# --- the co-leader and the members' consent (docs/security.md) ------------------------------------


def disclosures(runtime: Runtime) -> list[tuple[int, int | None, str, str]]:
    with runtime.db.read() as session:
        found = session.execute(
            select(
                col(Disclosure.client_id),
                col(Disclosure.recipient_organisation_id),
                col(Disclosure.what),
                col(Disclosure.basis),
            ).order_by(col(Disclosure.id))
        ).all()
    return [(a, b, c, d) for a, b, c, d in found]


def consent_of(runtime: Runtime, client_id: int) -> Consent | None:
    with runtime.db.read() as session:
        return session.execute(
            select(Consent).where(col(Consent.client_id) == client_id)
        ).scalar_one_or_none()


def test_the_co_leader_sees_only_consenting_members_each_view_a_disclosure(
    runtime: Runtime, leader: UserClient, api_as: Callable[..., UserClient]
) -> None:
    co = co_led_group(runtime, leader)
    with runtime.db.read() as session:
        names = {
            c.id: f"{c.first_name} {c.last_name}" for c in session.execute(select(Client)).scalars()
        }
    co_leader = api_as(user=co.partner)
    before = disclosures(runtime)
    page = co_leader.get(f"/groups/{co.group_id}")
    assert page.status_code == 200
    assert names[co.attending] in page.text
    assert names[co.no_consent] not in page.text
    assert names[co.invited] not in page.text
    # name and attendance only: not the membership's state (e.g. dropped out)
    assert 'class="state-label"' not in page.text
    assert "Membership" not in page.text
    assert disclosures(runtime)[len(before) :] == [
        (co.attending, co.partner.organisation_id, "group_attendance", "consent")
    ]
    # the leader's view is no disclosure
    before = disclosures(runtime)
    leaders_page = leader.get(f"/groups/{co.group_id}").text
    assert names[co.no_consent] in leaders_page
    assert 'class="state-label"' in leaders_page
    assert disclosures(runtime) == before
    # the client's §11 log report lists it
    coordinator = api_as(Role.coordinator, organisation_id=leader.organisation_id)
    report = coordinator.get(f"/api/clients/{co.attending}/log").json()
    assert [(d["what"], d["basis"], d["organisation_id"]) for d in report["disclosed"]] == [
        ("group_attendance", "consent", co.partner.organisation_id)
    ]
    assert any(a["basis"] == "group_co_leader" for a in report["accessed"])


def test_revoking_the_consent_hides_the_member_at_the_next_request(
    runtime: Runtime, leader: UserClient, api_as: Callable[..., UserClient]
) -> None:
    co = co_led_group(runtime, leader)
    co_leader = api_as(user=co.partner)
    assert co_leader.get(f"/groups/{co.group_id}").text.count('<th scope="row">') == 2
    consent = consent_of(runtime, co.attending)
    assert consent is not None
    revoked = leader.post(f"/clients/{co.attending}/consents/{consent.id}/revoke")
    assert revoked.status_code in (200, 303)
    before = disclosures(runtime)
    page = co_leader.get(f"/groups/{co.group_id}")
    assert page.status_code == 200  # the group (its schedule) stays
    assert page.text.count('<th scope="row">') == 0
    assert disclosures(runtime) == before  # nothing shown, nothing disclosed


def test_invite_from_the_client_page_with_and_without_consent(
    runtime: Runtime, leader: UserClient
) -> None:
    partner_user = make_user(runtime, Role.partner)
    group_id = group_of(runtime, leader, name="Arjen taidot", co_leader_id=partner_user.id)
    consenting, _ = own_client(runtime, leader)
    declining, _ = own_client(runtime, leader)
    page = leader.get(f"/clients/{consenting}")
    assert 'name="co_leader_consent"' in page.text
    assert 'name="consent_evidence"' in page.text
    answer = leader.post(
        f"/clients/{consenting}/groups",
        data={"group_id": str(group_id), "co_leader_consent": "1", "consent_evidence": "written"},
        headers=HX,
    )
    assert answer.status_code == 200
    consent = consent_of(runtime, consenting)
    assert consent is not None
    assert (consent.organisation_id, consent.scope, consent.evidence, consent.recorded_by) == (
        partner_user.organisation_id,
        "name,attendance",
        "written",
        leader.user_id,
    )
    # without the checkbox the evidence is ignored: invited, no consent
    answer = leader.post(
        f"/clients/{declining}/groups",
        data={"group_id": str(group_id), "consent_evidence": "verbal"},
    )
    assert answer.status_code == 200  # after the 303 back to the client's page
    assert consent_of(runtime, declining) is None
    with runtime.db.read() as session:
        assert len(session.execute(select(GroupMembership)).scalars().all()) == 2


def test_a_bad_evidence_value_is_a_422_and_nothing_is_written(
    runtime: Runtime, leader: UserClient
) -> None:
    partner_user = make_user(runtime, Role.partner)
    group_id = group_of(runtime, leader, co_leader_id=partner_user.id)
    client_id, _ = own_client(runtime, leader)
    bad = {"co_leader_consent": "1", "consent_evidence": "telepathy"}
    answer = leader.post(f"/clients/{client_id}/groups", data={"group_id": str(group_id)} | bad)
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text
    answer = leader.post(
        f"/groups/{group_id}/members", data={"client_id": str(client_id)} | bad, headers=HX
    )
    assert answer.status_code == 422
    assert 'role="alert"' in answer.text
    with runtime.db.read() as session:
        assert session.execute(select(GroupMembership)).first() is None
        assert session.execute(select(Consent)).first() is None


def test_a_leader_invites_from_the_group_page_with_consent(
    runtime: Runtime, leader: UserClient
) -> None:
    partner_user = make_user(runtime, Role.partner)
    group_id = group_of(runtime, leader, co_leader_id=partner_user.id)
    client_id, _ = client_at(
        runtime,
        first_name="Aino",
        last_name="Haku",
        organisation_id=leader.organisation_id,
        care_team=(leader.user_id,),
    )
    found = leader.get(f"/groups/{group_id}?q=Aino", headers=HX | {"HX-Target": "group_candidates"})
    assert f'id="candidate-{client_id}-consent"' in found.text
    added = leader.post(
        f"/groups/{group_id}/members",
        data={"client_id": str(client_id), "co_leader_consent": "1", "consent_evidence": "verbal"},
        headers=HX,
    )
    assert added.status_code == 200
    consent = consent_of(runtime, client_id)
    assert consent is not None
    assert consent.organisation_id == partner_user.organisation_id


def test_a_leader_records_a_consent_given_after_the_invitation(
    runtime: Runtime, leader: UserClient, api_as: Callable[..., UserClient]
) -> None:
    co = co_led_group(runtime, leader)
    members = leader.get(f"/groups/{co.group_id}").text
    # Iida and Aapo consented when invited: only Eino has the form (its action and hx-post)
    assert members.count('/consent"') == 2
    with runtime.db.read() as session:
        membership = session.execute(
            select(GroupMembership).where(col(GroupMembership.client_id) == co.no_consent)
        ).scalar_one()
    url = f"/groups/{co.group_id}/members/{membership.id}/consent"
    assert f'action="{url}"' in members
    bad = leader.post(url, data={"consent_evidence": "telepathy"}, headers=HX)
    assert bad.status_code == 422
    assert 'role="alert"' in bad.text
    assert consent_of(runtime, co.no_consent) is None
    co_leader = api_as(user=co.partner)
    assert co_leader.post(url, data={"consent_evidence": "verbal"}).status_code == 403
    answer = leader.post(url, data={"consent_evidence": "verbal"}, headers=HX)
    assert answer.status_code == 200
    assert 'role="status"' in answer.text
    consent = consent_of(runtime, co.no_consent)
    assert consent is not None
    assert consent.scope == "name,attendance"
    assert "Eino Kieltäytyi" in co_leader.get(f"/groups/{co.group_id}").text


def test_whatever_the_headers_say_a_page_of_members_is_logged_per_member(
    runtime: Runtime, leader: UserClient
) -> None:
    """HX-Target alone (no HX-Request), a history restore, or a tap that fails without
    JavaScript all get the whole page: every member shown is logged, once."""
    me = coach(leader.user_id, leader.organisation_id)
    group_id = group_of(runtime, leader)
    *_, future = sessions(runtime, group_id)
    members = []
    for _ in range(3):
        client_id, _ = own_client(runtime, leader)
        members.append((client_id, invite(runtime, me, group_id, client_id)))
    move(runtime, me, group_id, members[0][1], "start_attending")
    for headers in (
        {"HX-Target": "group_candidates"},
        {"HX-Target": "group_candidates", **HX, "HX-History-Restore-Request": "true"},
    ):
        before = len(rows(runtime))
        page = leader.get(f"/groups/{group_id}", headers=headers)
        assert page.status_code == 200
        assert "<table" in page.text
        logged = sorted(c for _u, c, _w, _b in rows(runtime)[before:])
        assert logged == sorted(c for c, _m in members), headers
    before = len(rows(runtime))
    refused = leader.post(  # a meeting still to come: 422, the whole page without JavaScript
        f"/groups/{group_id}/attendance",
        data={"membership_id": str(members[0][1]), "session_id": str(future), "present": "1"},
    )
    assert refused.status_code == 422
    logged = sorted(c for _u, c, _w, _b in rows(runtime)[before:])
    assert logged == sorted(c for c, _m in members)


def test_an_absence_from_a_group_meeting_with_its_reason(
    runtime: Runtime, leader: UserClient
) -> None:
    """The shared attendance rules (engine/attendance.py) on the group's toggle: an absence
    with its reason and notice is a row of its own; a contradiction is refused, nothing
    written."""
    client_id, _journey = own_client(runtime, leader)
    group_id = group_of(runtime, leader)
    member = invite(runtime, coach(leader.user_id, leader.organisation_id), group_id, client_id)
    move(
        runtime, coach(leader.user_id, leader.organisation_id), group_id, member, "start_attending"
    )
    first = sessions(runtime, group_id)[0]
    absent = {"membership_id": str(member), "session_id": str(first), "present": "0"}
    done = leader.post(
        f"/groups/{group_id}/attendance",
        data=absent | {"absence_reason": "other_appointment", "notified": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    refused = leader.post(
        f"/groups/{group_id}/attendance",
        data=absent | {"absence_reason": "no_notice", "notified": "1"},
    )
    assert refused.status_code == 422
    assert "Ilmoittamatta jäänyttä poissaoloa ei ole ilmoitettu etukäteen." in refused.text
    with runtime.db.read() as session:
        marks = session.execute(select(AttendanceMark)).scalars().all()
    assert [(m.present, m.absence_reason, m.notified) for m in marks] == [
        (False, "other_appointment", True)
    ]
    # the page: the absent cell names its reason and offers the reason form, filled in
    page = leader.get(f"/groups/{group_id}")
    cell = page.text[page.text.index(f'id="cell-{member}-{first}"') :]
    cell = cell[: cell.index("</td>")]
    assert '<details class="absence-why">' in cell
    assert "<summary>muu meno" in cell
    assert '<option value="other_appointment" selected>' in cell
    assert f'id="told-{member}-{first}" name="notified" type="checkbox" value="1" checked' in cell
    # the reason changed in place (htmx): the cell answers with the new one
    ill = leader.post(
        f"/groups/{group_id}/attendance", data=absent | {"absence_reason": "ill"}, headers=HX
    )
    assert ill.status_code == 200
    assert ill.text.lstrip().startswith(f'<td id="cell-{member}-{first}"')
    assert "<summary>sairas" in ill.text
    assert '<option value="ill" selected>' in ill.text
    assert "checked" not in ill.text
    # a member marked present has no reason form
    present = leader.post(
        f"/groups/{group_id}/attendance", data=absent | {"present": "1"}, headers=HX
    )
    assert "absence-why" not in present.text
