"""Shared steps and fixtures for the feature scenarios.

pytest-bdd asks for step fixtures while a scenario runs, after collection, so a parametrised
fixture (the database backend) must be in every scenario's closure up front: this autouse
fixture puts it there, and every scenario runs on SQLite and, when configured, on PostgreSQL.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _every_backend(database_url: str) -> str:
    return database_url
