"""Groups in Chromium: a coach opens a running group and takes attendance in a few taps, in
place (no page reload: a window marker survives), with the count and aria-pressed following;
starting a group through the form; the same toggle without JavaScript (form post and 303);
axe-core on the group pages. Strict CSP and no console errors (see conftest)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlmodel import col

from engine.models import Consent, GroupLeader, Role, User
from engine.runtime import Runtime
from engine.testing import TEST_PASSWORD, make_user, totp_code
from tests.browser.conftest import axe_violations, open_context
from tests.browser.test_coach_workspace import FI, log_in
from tests.group_kit import client_at, coach, invite, make_group, move

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-groups_browser")]


def running_group(runtime: Runtime) -> tuple[User, int, list[int]]:
    """A coach leading a group whose first meeting was a week ago, with two attending members
    and one invited; Aino and Saara consented to a co-leader's organisation seeing them."""
    user = make_user(runtime, Role.coach)
    assert user.id is not None
    leader = coach(user.id, user.organisation_id)
    partner = make_user(runtime, Role.partner)
    group_id = make_group(runtime, leader, name="Arjen taidot", co_leader_id=partner.id)
    members = []
    for name in ("Aino", "Eero", "Saara"):
        client_id, _ = client_at(
            runtime,
            first_name=name,
            last_name="Esimerkki",
            organisation_id=user.organisation_id,
            care_team=(user.id,),
        )
        consent = None if name == "Eero" else "verbal"
        members.append(invite(runtime, leader, group_id, client_id, consent))
    for membership_id in members[:2]:
        move(runtime, leader, group_id, membership_id, "start_attending")
    return user, group_id, members


def test_attendance_toggles_without_a_reload(page: Page, runtime: Runtime, axe_source: str) -> None:
    user, group_id, (aino, eero, saara) = running_group(runtime)
    log_in(page, runtime, user, FI)
    page.get_by_role("link", name="Ryhmät").first.click()
    expect(page.locator("main h1")).to_have_text("Ryhmät")
    assert axe_violations(page, axe_source) == []
    page.get_by_role("link", name="Arjen taidot").click()
    page.wait_for_url(f"**/groups/{group_id}")
    expect(page.locator("main h1")).to_have_text("Arjen taidot")
    assert axe_violations(page, axe_source) == []
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")

    first = page.get_by_role("button", name="Paikalla: Aino Esimerkki, tapaaminen 1")
    expect(first).to_have_attribute("aria-pressed", "false")
    first.click()
    expect(first).to_have_attribute("aria-pressed", "true")
    expect(page.locator(f"#count-{aino}")).to_have_text("1/2")
    expect(page.locator("#attendance_notice")).to_contain_text("Aino Esimerkki")
    page.get_by_role("button", name="Paikalla: Aino Esimerkki, tapaaminen 2").click()
    expect(page.locator(f"#count-{aino}")).to_have_text("2/2")
    page.get_by_role("button", name="Paikalla: Eero Esimerkki, tapaaminen 1").click()
    expect(page.locator(f"#count-{eero}")).to_have_text("1/2")
    first.click()  # a change of mind
    expect(first).to_have_attribute("aria-pressed", "false")
    expect(page.locator(f"#count-{aino}")).to_have_text("1/2")
    # the absence's reason, right under the mark, saved in place
    cell = page.locator(f"[id^='cell-{aino}-']").first  # meeting 1
    cell.get_by_text("Syy?").click()
    cell.get_by_label("Poissaolon syy").select_option("ill")
    cell.get_by_label("Ilmoitti etukäteen").check()
    cell.get_by_role("button", name="Tallenna").click()
    expect(cell.locator("summary")).to_contain_text("sairas")
    expect(page.locator(f"#count-{aino}")).to_have_text("1/2")
    assert axe_violations(page, axe_source) == []
    # an invited member has no toggles yet; future meetings cannot be marked
    expect(page.locator(f"[id^='cell-{saara}-'] button")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("tapaaminen 3$"))).to_have_count(0)

    # Saara starts attending: the members block is swapped in place
    page.locator("#group_members tr", has_text="Saara").get_by_role(
        "button", name=re.compile("^Aloittaa ryhmässä")
    ).click()
    expect(page.locator("#group_members [role=status]").first).to_contain_text("Saara Esimerkki")
    expect(
        page.get_by_role("button", name="Paikalla: Saara Esimerkki, tapaaminen 1")
    ).to_have_attribute("aria-pressed", "false")
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    assert axe_violations(page, axe_source) == []

    # the member's own page: the group, and the attendance on the timeline
    page.locator("#group_members").get_by_role("link", name="Aino Esimerkki", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Aino Esimerkki")
    expect(page.locator("#client_groups")).to_contain_text("Arjen taidot")
    expect(page.locator("#timeline")).to_contain_text("Osallistui tapaamiseen 2/8")
    assert axe_violations(page, axe_source) == []


def test_the_co_leader_sees_names_and_attendance_only(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    _leader, group_id, _members = running_group(runtime)
    with runtime.db.read() as session:
        partner = session.execute(
            select(User)
            .join(GroupLeader, col(GroupLeader.user_id) == col(User.id))
            .where(col(GroupLeader.group_id) == group_id)
            .where(col(GroupLeader.kind) == "co_leader")
        ).scalar_one()
    page.goto("/login")
    page.locator("#username").fill(partner.username)
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("#totp_code").fill(totp_code(runtime, partner))
    page.locator("#login-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/(partner/referrals|clients|groups)?$"))
    page.goto(f"/groups/{group_id}")
    expect(page.locator("main h1")).to_have_text("Arjen taidot")
    # Aino attends and consented; Eero attends without consent (a count only); Saara is invited
    expect(page.locator(".attendance-grid tbody tr")).to_have_count(1)
    expect(page.locator(".attendance-grid")).to_contain_text("Aino Esimerkki")
    expect(page.locator("main")).not_to_contain_text("Eero")
    expect(page.locator("#hidden_members")).to_contain_text("1")
    expect(page.locator("main .attendance-toggle")).to_have_count(0)
    expect(page.locator("main a[href^='/clients/']")).to_have_count(0)
    assert axe_violations(page, axe_source) == []


def test_starting_a_group_through_the_form(page: Page, runtime: Runtime, axe_source: str) -> None:
    user = make_user(runtime, Role.coach)
    partner = make_user(runtime, Role.partner)
    client_at(
        runtime,
        first_name="Ilona",
        last_name="Esimerkki",
        organisation_id=user.organisation_id,
        care_team=(user.id or 0,),
    )
    log_in(page, runtime, user, FI)
    page.goto("/groups/new")
    assert axe_violations(page, axe_source) == []
    page.locator("#group-name").fill("Työnhaun taidot")
    page.locator("#group-municipality").select_option("261")
    page.locator("#group-first-date").fill("2026-03-05")
    page.locator("#group-first-time").fill("13:00")
    page.locator("#group-place").fill("Kirjasto")
    page.locator("#group-co-leader").select_option(str(partner.id))
    page.get_by_role("button", name="Perusta ryhmä").click()
    page.wait_for_url(re.compile(r"/groups/\d+$"))
    expect(page.locator("#group_sessions li")).to_have_count(8)
    expect(page.locator("main h1")).to_have_text("Työnhaun taidot")
    # add a member: search my clients, invite one (in place)
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")
    page.locator("#candidate-q").fill("Ilo")
    # the client's consent to the co-leader's organisation is asked with the invitation
    agrees = page.get_by_role("checkbox", name=re.compile("apuohjaajan organisaatio"))
    agrees.check()
    page.get_by_role("combobox", name="Miten suostumus annettiin").select_option("written")
    assert axe_violations(page, axe_source) == []
    # (the visually hidden part is a box of its own: the name reads "Kutsu : Ilona Esimerkki")
    invite = page.get_by_role("button", name=re.compile(r"^Kutsu\W+Ilona Esimerkki$"))
    invite.click()
    expect(page.locator("#group_members .notice")).to_contain_text("Ilona Esimerkki")
    expect(page.locator("table.group-members")).to_contain_text("Kutsuttu")
    with runtime.db.read() as session:
        consent = session.execute(select(Consent)).scalar_one()
    assert (consent.organisation_id, consent.evidence) == (partner.organisation_id, "written")
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    assert axe_violations(page, axe_source) == []


def test_attendance_without_javascript(
    browser: Browser, live_server: str, runtime: Runtime
) -> None:
    user, group_id, (aino, _eero, _saara) = running_group(runtime)
    context, page = open_context(browser, live_server, java_script_enabled=False)
    try:
        log_in(page, runtime, user, FI)
        page.goto(f"/groups/{group_id}")
        page.get_by_role("button", name="Paikalla: Aino Esimerkki, tapaaminen 1").click()
        page.wait_for_url(re.compile(rf"/groups/{group_id}(#attendance)?$"))
        expect(
            page.get_by_role("button", name="Paikalla: Aino Esimerkki, tapaaminen 1")
        ).to_have_attribute("aria-pressed", "true")
        expect(page.locator(f"#count-{aino}")).to_have_text("1/2")
    finally:
        context.close()
