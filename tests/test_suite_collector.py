"""The suite's own set-up of the garbage collector (root conftest.py): what exists before the
first test is frozen, and full collections are rare. Without it every full pass walked the
modules, the models and every collected test again: 53 s of the two workers' CPU on the
non-browser tests alone (docs/architecture.md, "Tests")."""

from __future__ import annotations

import gc


def test_what_was_made_before_the_first_test_is_frozen() -> None:
    assert gc.get_freeze_count() > 100_000


def test_collections_are_rare() -> None:
    young, middle, old = gc.get_threshold()
    assert young >= 20_000
    assert middle * old >= 1_000
