"""The stylesheet's blocks are closed: a merge that drops one closing brace silently swallows
every rule after it into the open block (it happened twice: the CV's print styles, then the
client card)."""

from __future__ import annotations

from pathlib import Path

CSS = Path(__file__).resolve().parent.parent / "web" / "static" / "css" / "app.css"


def test_every_block_of_app_css_is_closed() -> None:
    depth = 0
    opened: list[int] = []
    for number, line in enumerate(CSS.read_text(encoding="utf-8").splitlines(), start=1):
        code = line.split("/*")[0]
        for char in code:
            if char == "{":
                depth += 1
                opened.append(number)
            elif char == "}":
                depth -= 1
                assert depth >= 0, f"app.css line {number}: a closing brace with no block open"
                opened.pop()
        if line.startswith("/* ---"):
            assert depth == 0, (
                f"app.css line {number}: a section starts inside the block of line {opened[-1]}"
            )
    assert depth == 0, f"app.css: the block opened on line {opened[-1]} is never closed"
