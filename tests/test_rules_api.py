"""The JSON API for client facts, referral options and municipalities."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from engine.runtime import Runtime
from engine.testing import make_client

NewClient = Callable[..., tuple[int, int]]


@pytest.fixture
def api(api_as: Callable[..., Any]) -> Any:
    """These API tests act as a coach (who joins the care team of every client they record)."""
    return api_as("coach")


@pytest.fixture
def new_client(runtime: Runtime, api: Any) -> NewClient:
    """Clients in the coach's care team."""

    def make(**kwargs: Any) -> tuple[int, int]:
        return make_client(
            runtime, organisation_id=api.organisation_id, care_team=(api.user_id,), **kwargs
        )

    return make


def test_record_and_read_facts(api: Any, new_client: NewClient) -> None:
    client, _ = new_client()
    url = f"/api/clients/{client}/facts"
    first = api.post(url, json={"key": "benefit", "value": "none", "valid_from": "2025-01-01"})
    assert first.status_code == 201
    assert first.json() | {"id": 0, "recorded_at": ""} == {
        "id": 0,
        "key": "benefit",
        "value": "none",
        "valid_from": "2025-01-01",
        "recorded_at": "",
        "recorded_by": api.user_id,
        "label": {"fi": "Pääasiallinen etuus", "sv": "Huvudsaklig förmån", "en": "Main benefit"},
    }
    body = {"key": "benefit", "value": "social_assistance", "valid_from": "2025-09-01"}
    assert api.post(url, json=body).status_code == 201
    assert api.post(url, json={"key": "activation_plan", "value": True}).status_code == 201

    summer = api.get(url, params={"as_of": "2025-08-31"}).json()
    assert summer["as_of"] == "2025-08-31"
    assert {f["key"]: f["value"] for f in summer["facts"]} == {"benefit": "none"}
    now = api.get(url).json()
    assert {f["key"]: f["value"] for f in now["facts"]} == {
        "activation_plan": "true",
        "benefit": "social_assistance",
    }
    history = api.get(url, params={"history": "true"}).json()
    assert [f["value"] for f in history["facts"]] == ["true", "none", "social_assistance"]


def test_fact_errors(api: Any, new_client: NewClient) -> None:
    client, _ = new_client()
    url = f"/api/clients/{client}/facts"
    unknown = api.post(url, json={"key": "shoe_size", "value": 42})
    assert unknown.status_code == 422
    assert unknown.json()["field"] == "key"
    wrong = api.post(url, json={"key": "work_trial_months", "value": "many"})
    assert wrong.status_code == 422
    assert wrong.json()["field"] == "value"
    extra = api.post(url, json={"key": "benefit", "value": "none", "recorded_by": 1})
    assert extra.status_code == 422
    assert (
        api.post("/api/clients/999999/facts", json={"key": "benefit", "value": "none"}).status_code
        == 404
    )
    assert api.get("/api/clients/999999/facts").status_code == 404
    assert api.get(url).json()["facts"] == []


def test_referral_options_say_why_not(api: Any, new_client: NewClient) -> None:
    client, _ = new_client(municipality_code="261", birth_date=date(1990, 6, 1))
    response = api.get(f"/api/clients/{client}/referral-options", params={"on": "2026-11-23"})
    assert response.status_code == 200
    body = response.json()
    assert body["on"] == "2026-11-23"
    assert body["municipality"] == {
        "code": "261",
        "name": {"fi": "Kittilä", "sv": "Kittilä"},
        "wellbeing_county": "Lapin hyvinvointialue",
        "employment_area": "Tunturi-Lapin työllisyysalue",
        "region": "Lappi",
    }
    options = {o["target"]: o for o in body["options"]}
    youth = options["kittila.outreach_youth_work"]
    assert youth["eligible"] is False
    assert youth["pathway_type"] == "outreach_youth_work"
    assert youth["pathway_label"]["fi"] == "Etsivä nuorisotyö"
    assert youth["provider"]["email"].endswith("@example.org")
    assert youth["verdicts"] == [
        {
            "rule": "outreach_youth_work_under_29",
            "allowed": False,
            "reason": {
                "fi": "Asiakas on 36-vuotias; palvelu on alle 29-vuotiaille.",
                "sv": "Klienten är 36 år; tjänsten är för personer under 29 år.",
                "en": "The client is 36; the service is for people under 29.",
            },
            "legal_source": "Nuorisolaki 1285/2016, 3 § ja 11 §",
        }
    ]
    social = options["lapin_hyvinvointialue.aikuissosiaalityo.social_rehabilitation"]
    assert social["missing_facts"] == ["service_needs_assessment"]


def test_recorded_facts_change_the_options(api: Any, new_client: NewClient) -> None:
    client, _ = new_client(municipality_code="261")
    key = "lapin_hyvinvointialue.aikuissosiaalityo.social_rehabilitation"

    def eligible() -> bool:
        body = api.get(f"/api/clients/{client}/referral-options").json()
        return next(o for o in body["options"] if o["target"] == key)["eligible"]

    assert not eligible()
    fact = {"key": "service_needs_assessment", "value": True}
    assert api.post(f"/api/clients/{client}/facts", json=fact).status_code == 201
    assert eligible()
    assert api.get("/api/clients/999999/referral-options").status_code == 404


def test_municipalities(api: Any) -> None:
    municipalities = {m["code"]: m for m in api.get("/api/municipalities").json()}
    assert len(municipalities) >= 22
    assert municipalities["491"]["name"] == {"fi": "Mikkeli", "sv": "S:t Michel"}
    assert municipalities["074"]["wellbeing_county"] == "Keski-Pohjanmaan hyvinvointialue"
