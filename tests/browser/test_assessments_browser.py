"""Assessments, strengths and the CV in Chromium: a coach records a Kykyviisari summary twice
with htmx (no reload) and sees the change and the chart, adds a strength and opens the CV's print
view; axe-core on each page (0 serious or critical). Strict CSP, no console errors (conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user
from tests.browser.conftest import axe_violations
from tests.browser.test_coach_workspace import FI, log_in

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser-assessments_browser")]

SCORES = ("4", "5", "3", "7", "6", "5")


def fill_summary(page: Page, on: str, scores: tuple[str, ...]) -> None:
    form = page.locator("#assessment_forms details").first.locator("form")
    form.locator("input[name=assessed_on]").fill(on)
    for field, value in zip(form.locator("input[type=number]").all(), scores, strict=True):
        field.fill(value)
    form.get_by_role("button").click()
    expect(page.locator("#assessment_forms [role=status]")).to_have_text("Arviointi tallennettiin.")


def test_a_coach_records_two_summaries_and_prints_a_cv(
    page: Page, runtime: Runtime, axe_source: str
) -> None:
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
    page.goto(f"/clients/{client_id}")
    # the section is folded on the client page (issue 14): open it first
    page.locator("summary", has_text="Arvioinnit ja vahvuudet").click()
    page.get_by_role("link", name="Arvioinnit (Kykyviisari, kykyprofiili) ja niiden muutos").click()
    page.wait_for_url(f"**/clients/{client_id}/assessments")
    assert axe_violations(page, axe_source) == []
    page.evaluate("() => { window.polkuMarker = 'no reload'; }")

    today = runtime.clock.today()
    fill_summary(page, (today - timedelta(days=60)).isoformat(), SCORES)
    fill_summary(page, today.isoformat(), ("6", "5", "4", "7", "5", "5"))
    assert page.evaluate("() => window.polkuMarker") == "no reload"
    change = page.locator("tr[data-item=overall_work_ability]")
    expect(change).to_contain_text("+2")
    chart = page.get_by_role("img", name="Kykyviisari (yhteenvetopisteet) ajan mittaan")
    expect(chart).to_be_visible()
    expect(chart.locator("polyline")).to_have_count(6)
    assert axe_violations(page, axe_source) == []

    # the client page shows the change and the chart in its assessments section
    page.goto(f"/clients/{client_id}")
    summary = page.locator("#assessment_summary")
    expect(summary.locator("tr[data-item=overall_work_ability]")).to_contain_text("+2")
    expect(summary.locator("svg[role=img] polyline")).to_have_count(6)
    assert axe_violations(page, axe_source) == []

    page.goto(f"/clients/{client_id}/strengths")
    form = page.locator("#strengths_list > form")
    form.get_by_label("Vahvuus asiakkaan omin sanoin").fill("Hyvä kuuntelija")
    form.get_by_role("button", name="Lisää vahvuus").click()
    expect(page.locator("#strengths_list ul.strengths")).to_contain_text("Hyvä kuuntelija")
    assert axe_violations(page, axe_source) == []

    page.get_by_role("link", name="Suomi").click()
    page.wait_for_url(f"**/clients/{client_id}/cv?lang=fi")
    expect(page.locator("h1")).to_have_text("Kaarina Esimerkki")
    expect(page.locator(".cv")).to_contain_text("Hyvä kuuntelija")
    assert axe_violations(page, axe_source) == []
    page.emulate_media(media="print")
    expect(page.locator(".cv__tools")).to_be_hidden()
    expect(page.locator(".cv")).to_contain_text("Vahvuuteni")
