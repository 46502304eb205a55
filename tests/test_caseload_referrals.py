"""The caseload shows each client's referrals waiting for the partner's answer, and the overdue
ones (past the service's promised response time), as badges."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from engine.runtime import Runtime
from tests.referral_kit import (
    coach_principal,
    give_consent,
    partner_service,
    send_referral,
    young_client,
)
from web.testing import UserClient


def badges(page: str, last_name: str) -> str:
    return page.split(last_name)[1].split("</tr>")[0]


def test_waiting_and_overdue_referrals_are_flagged(
    runtime: Runtime, api_as: Callable[..., UserClient]
) -> None:
    coach = api_as("coach")
    me = coach_principal(coach.user_id, coach.organisation_id)
    partner = partner_service(runtime, response_days=7)
    referred, _ = young_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        last_name="Lähetettynen",
    )
    young_client(
        runtime,
        organisation_id=coach.organisation_id,
        care_team=(coach.user_id,),
        last_name="Tavallinen",
    )
    consent = give_consent(runtime, me, referred, partner.organisation_id)
    send_referral(runtime, me, referred, consent_id=consent)

    page = coach.get("/clients").text
    assert "Ohjaus odottaa vastausta: 1" in badges(page, "Lähetettynen")
    assert "Ohjaus" not in badges(page, "Tavallinen")

    with runtime.db.write() as session:  # a week and a day later, the cron job runs
        flagged = runtime.referrals.expire(session, runtime.clock.now() + timedelta(days=8))
    assert len(flagged) == 1
    page = coach.get("/clients").text
    row = badges(page, "Lähetettynen")
    assert "Ohjaus myöhässä: 1" in row
    assert "odottaa vastausta" not in row


def test_navigation_by_role(api_as: Callable[..., UserClient]) -> None:
    coach, partner = api_as("coach"), api_as("partner")
    coach_page = coach.get("/clients").text
    assert 'href="/clients"' in coach_page
    assert 'href="/notifications"' in coach_page
    assert 'href="/partner/referrals"' not in coach_page
    partner_page = partner.get("/partner/referrals").text
    assert 'href="/partner/referrals"' in partner_page
    assert 'href="/notifications"' in partner_page
    assert 'href="/clients/new"' not in partner_page
