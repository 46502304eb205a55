"""Events in Chromium: a coach opens Events from the menu on a phone (390 px), creates an
expert session led by an outside expert, adds one of their own clients by a search, marks the
client absent (ill, told us beforehand); the client's timeline shows it; on a desktop (1366 px)
the coordinator sees the event. axe-core on each page (0 serious or critical), no sideways
scroll. Strict CSP, no console errors (conftest)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from tests.browser.conftest import axe_violations
from tests.browser.test_coach_workspace import FI, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-events")]

#: Set POLKU_SCREENSHOTS=<folder> to keep a screenshot of each page.
SHOTS = os.environ.get("POLKU_SCREENSHOTS")


def check(page: Page, axe_source: str, name: str) -> None:
    assert axe_violations(page, axe_source) == []
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / f"{name}-{width}.png"), full_page=True)


def test_a_coach_runs_an_expert_session_on_a_phone(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    user = make_user(runtime, Role.coach)
    assert user.id is not None
    client_id, _ = make_client(
        runtime,
        organisation_id=user.organisation_id,
        care_team=(user.id,),
        first_name="Kaarina",
        last_name="Esimerkki",
    )
    log_in(page, runtime, user, FI)
    page.locator("nav").get_by_role("link", name="Tapahtumat").first.click(force=True)
    page.wait_for_url("**/events")
    check(page, axe_source, "events-empty")
    page.get_by_role("link", name="Uusi tapahtuma").click()
    page.wait_for_url("**/events/new")
    check(page, axe_source, "event-new")
    start = (runtime.clock.now() - timedelta(hours=1)).astimezone(runtime.clock.zone)
    form = page.locator("#event-form")
    form.get_by_label("Laji").select_option(label="Asiantuntijatapaaminen")
    form.get_by_label("Otsikko").fill("Psykologin työkykyarvio")
    form.get_by_label("Kunta").select_option(value="261")
    form.get_by_label("Ulkopuolinen asiantuntija").check()
    form.get_by_label("Asiantuntijan nimi").fill("Pirjo Pohjola")
    form.get_by_label("Asiantuntijan organisaatio").fill("Psykologipalvelut Oy")
    form.get_by_label("Paikka").fill("Työllisyyspiste")
    form.get_by_label("Ensimmäisen tapaamisen päivä").fill(start.date().isoformat())
    form.get_by_label("Aika").fill(start.strftime("%H:%M"))
    form.get_by_role("button", name="Luo tapahtuma").click()
    page.wait_for_url("**/events/*")
    expect(page.locator("h1")).to_have_text("Psykologin työkykyarvio")
    expect(page.locator("dl.profile")).to_contain_text("Pirjo Pohjola (Psykologipalvelut Oy)")

    page.get_by_label("Lisää osallistuja: hae asiakkaistasi nimellä").fill("Esim")
    page.get_by_role("button", name="Hae").click()
    page.get_by_role("button", name="Lisää Kaarina Esimerkki").click()
    expect(page.locator("#participants")).to_contain_text("Kaarina Esimerkki")
    mark = page.locator("form.event-mark").first
    mark.get_by_label("Kaarina Esimerkki").select_option(label="Poissa: sairas")
    mark.get_by_label("Ilmoitti etukäteen").check()
    mark.get_by_role("button", name="Tallenna").click()
    expect(page.locator("form.event-mark").first).to_contain_text(
        "Poissa (sairas), ilmoitti etukäteen"
    )
    expect(page.locator("#participants")).to_contain_text("osallistui 0/1")
    check(page, axe_source, "event-detail")

    page.goto(f"/clients/{client_id}")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Psykologin työkykyarvio")
    expect(timeline).to_contain_text("Poissa (sairas), ilmoitti etukäteen")
    check(page, axe_source, "client-timeline")

    # on a desktop the same pages, and the coordinator's list of the organisation's events
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto("/events")
    check(page, axe_source, "events")
    page.locator("table.events a").first.click()
    page.wait_for_url("**/events/*")
    check(page, axe_source, "event-detail")
    page.goto("/events/new")
    check(page, axe_source, "event-new")
