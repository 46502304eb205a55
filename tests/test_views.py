"""The read-only snapshots mirror their tables column for column."""

from __future__ import annotations

from typing import Any

import pytest

from engine.models import Client, Journey, JourneyEvent
from engine.views import ClientView, EventView, JourneyView


@pytest.mark.parametrize(
    ("view", "model"), [(JourneyView, Journey), (ClientView, Client), (EventView, JourneyEvent)]
)
def test_view_fields_are_the_table_columns(view: Any, model: type) -> None:
    columns = [c.name for c in model.__table__.columns]  # type: ignore[attr-defined]
    assert list(view.field_names()) == columns


def test_views_are_read_only() -> None:
    view = JourneyView(1, 2, "client_journey", 1, "outreach", 1, None, None)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        view.state = "closed"  # type: ignore[misc]
