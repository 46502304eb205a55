"""The suite's own set-up of the garbage collector (root conftest.py): what exists before the
first test is frozen, and collections are rarer. Together with the caseload's smaller statement
cache (tests/test_aftercare.py) it halved the collector's time, ~30 -> ~15 s of each worker's CPU
(docs/architecture.md, "Tests")."""

from __future__ import annotations

import gc


def test_what_was_made_before_the_first_test_is_frozen() -> None:
    assert gc.get_freeze_count() > 100_000


def test_collections_are_rare() -> None:
    young, middle, old = gc.get_threshold()
    assert young >= 20_000
    assert middle * old >= 1_000
