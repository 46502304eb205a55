"""Steps and fixtures shared by the security scenarios: an office of named people (each a
logged-in test client) and the answers they get."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from httpx import Response
from pytest_bdd import parsers, then

from engine.models import OrganisationKind, Role
from engine.runtime import Runtime
from engine.testing import make_organisation
from web.testing import UserClient

ANSWERS = {"ok": 200, "forbidden": 403, "not logged in": 401}


@dataclass
class Office:
    """The people of a scenario by name, each with a session of their own."""

    runtime: Runtime
    sign_in_as: Callable[..., UserClient]
    people: dict[str, UserClient] = field(default_factory=dict)

    def add(self, name: str, role: Role, organisation_id: int | None = None) -> UserClient:
        self.people[name] = self.sign_in_as(role, organisation_id=organisation_id)
        return self.people[name]

    def __getitem__(self, name: str) -> UserClient:
        return self.people[name]

    def partner_agency(self) -> int:
        return make_organisation(self.runtime, OrganisationKind.partner, "Työpaja Verstas")


@dataclass(frozen=True)
class ClientRecord:
    client_id: int
    journey_id: int


@pytest.fixture
def office(runtime: Runtime, api_as: Callable[..., UserClient]) -> Office:
    return Office(runtime, api_as)


@then(parsers.parse('the answer is "{kind}"'))
def the_answer_is(answer: Response, kind: str) -> None:
    assert answer.status_code == ANSWERS[kind], answer.text
