"""Reading values from a submitted HTML form: one place for what every page route needs."""

from __future__ import annotations

from starlette.datastructures import FormData


def form_text(form: FormData, name: str) -> str:
    """The field's text, stripped; "" when absent or not text (a file)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def whole_number(value: str) -> int | None:
    """A non-negative whole number of ASCII digits (an id, a count, a version), else None.
    ``"²".isdigit()`` is true but ``int("²")`` fails: only ASCII digits count."""
    value = value.strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None
