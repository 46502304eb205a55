"""Never a 500 from input (issue 11): schemathesis over every operation of the OpenAPI document,
as a coach, a partner and an admin (API tokens), on SQLite and PostgreSQL.

Checks: ``not_a_server_error`` and ``status_code_conformance`` (every answered status is one the
document declares). Examples are bounded (``MAX_EXAMPLES`` per operation) to keep each database
well under a minute; schemathesis' own generation favours the edges (huge and negative ids,
empty and long strings, odd Unicode), and the explicit bad values of the HTML-form fuzz
(``test_form_fuzz.py``) cover NUL bytes, NaN, year 1 and lone surrogates on the pages too.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import status_code_conformance

from engine.models import Role
from engine.runtime import Runtime
from engine.testing import make_client, make_user

#: Examples per operation, role and mode (data that fits the schema, and data that does not).
MAX_EXAMPLES = 5


@pytest.fixture(params=["coach", "partner", "admin"])
def bearer(request: pytest.FixtureRequest, runtime: Runtime) -> str:
    """An API token of a user of the role, with a client (and journey) in a coach's care team
    so that small ids lead to real rows."""
    role = Role(request.param)
    user = make_user(runtime, role)
    coach = user if role == Role.coach else make_user(runtime, Role.coach)
    assert user.id is not None
    assert coach.id is not None
    make_client(runtime, care_team=(coach.id,), birth_date=date(1990, 1, 1))
    with runtime.db.write() as session:
        token, _ = runtime.auth.create_api_token(session, user.id, "schemathesis")
    return token


def exercise(
    operation: Any, mode: GenerationMode, headers: dict[str, str], failures: list[str]
) -> int:
    """Run MAX_EXAMPLES cases of one operation in one mode; append each failure; return the
    number of cases tried (0 when the mode has nothing to generate, e.g. no invalid form of an
    operation without parameters)."""
    tried = 0

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        nonlocal tried
        tried += 1
        try:
            # the ASGI test transport raises the app's unhandled exception: a server error
            response = case.call(headers=headers)
            case.validate_response(response, checks=[not_a_server_error, status_code_conformance])
        except (Exception, BaseExceptionGroup) as exc:  # collect every failure, fail once
            failures.append(f"{operation.label} ({mode}): {type(exc).__name__}: {str(exc)[:300]}")

    try:
        run()
    except Unsatisfiable:
        if mode == GenerationMode.POSITIVE:
            raise
    return tried


def test_no_server_error_and_only_documented_statuses(web_app: FastAPI, bearer: str) -> None:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    headers = {"Authorization": f"Bearer {bearer}"}
    failures: list[str] = []
    operations = [result.ok() for result in loaded.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 38
    tried = sum(
        exercise(operation, mode, headers, failures)
        for operation, mode in itertools.product(operations, GenerationMode)
    )
    server_errors = sum("ST103" not in f for f in failures)
    print(
        f"schemathesis: {len(operations)} operations, {tried} cases, {len(failures)} failures"
        f" ({server_errors} server errors)"
    )
    assert not failures, "\n".join(failures)
