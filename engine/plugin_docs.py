"""Generated parts of ``docs/plugins.md``: the shipped pathways' states and triggers, the seed
municipalities and the guide's test file, built from what is loaded so they cannot drift from
the YAML, the plugins and the tested example (a meta-test compares them;
``python -m engine.plugin_docs`` rewrites them in place).

Each generated part sits between ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path

from engine.pathway import Pathway
from engine.plugins import BUILTIN_PLUGINS, build_plugin_manager, static_answers
from engine.runtime import collect_guards, load_pathways
from engine.settings import ROOT

GUIDE = ROOT / "docs" / "plugins.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def pathway_table(pathway: Pathway) -> str:
    """States and transitions (trigger keys) of one pathway version, as Markdown."""
    d = pathway.definition
    lines = [
        f"#### `{pathway.key}` version {pathway.version} ({d.title.fi} / {d.title.en}), "
        f"file `{Path(pathway.file).name}`",
        "",
        f"Initial state: `{d.initial}`.",
        "",
        "| state | fi | en | funnel stage | final |",
        "|---|---|---|---|---|",
    ]
    for key, state in d.states.items():
        lines.append(
            f"| `{key}` | {_cell(state.label.fi)} | {_cell(state.label.en)} | "
            f"{state.funnel or ''} | {'yes' if state.final else ''} |"
        )
    lines += [
        "",
        "| trigger | from | to | guards | reason | outcome |",
        "|---|---|---|---|---|---|",
    ]
    for t in d.transitions:
        to = ", ".join(f"`{s}`" for s in t.dest)
        if t.returns_to_previous:
            to = f"back to where it was: {to}"
        lines.append(
            f"| `{t.trigger}` ({_cell(t.label.en)}) | {', '.join(f'`{s}`' for s in t.source)} | "
            f"{to} | {', '.join(f'`{g}`' for g in t.guards)} | "
            f"{'required' if t.reason == 'required' else ''} | "
            f"{'required' if t.outcomes else ''} |"
        )
    if d.aftercare is not None:
        a = d.aftercare
        lines += [
            "",
            f"Aftercare check-ins start when the journey enters `{a.starts_in}` and run while it "
            f"is in {', '.join(f'`{s}`' for s in a.continues_in)}; months after the start:",
            "",
            "| follow-on pathway type | check-ins (months) |",
            "|---|---|",
            *(f"| `{kind}` | {', '.join(map(str, m))} |" for kind, m in a.by_type.items()),
            f"| any other | {', '.join(map(str, a.months))} |",
        ]
    return "\n".join(lines)


def pathways_section() -> str:
    pm = build_plugin_manager(only=",".join(BUILTIN_PLUGINS))
    registry = load_pathways(pm, collect_guards(pm))
    parts = sorted(registry, key=lambda p: (p.key, p.version))
    return "\n\n".join(pathway_table(p) for p in parts)


def municipalities_section() -> str:
    """The seed municipalities, from the shipped plugins, in their order."""
    pm = build_plugin_manager(only=",".join(BUILTIN_PLUGINS))
    lines = [
        "| Code | Municipality | Wellbeing county | Employment area | Plugin |",
        "|---|---|---|---|---|",
    ]
    for plugin, municipalities in static_answers(pm, "polku_municipalities", (list, tuple)):
        for m in municipalities:
            lines.append(
                f"| {m.code} | {m.name['fi']} | {m.wellbeing_county} | {m.employment_area} | "
                f"`{plugin}` |"
            )
    return "\n".join(lines)


#: The plugin guide's example, run by Polku's own suite (tests/plugin_guide/).
GUIDE_EXAMPLE = ROOT / "tests" / "plugin_guide"


def guide_tests_section() -> str:
    """The guide's complete test file, as a code block inside its numbered step."""
    code = (GUIDE_EXAMPLE / "test_polku_liminka.py").read_text(encoding="utf-8")
    body = "".join(f"   {line}" if line.strip() else line for line in code.splitlines(True))
    return f"   ```python\n{body}   ```"


SECTIONS: dict[str, Callable[[], str]] = {
    "pathways": pathways_section,
    "municipalities": municipalities_section,
    "guide_tests": guide_tests_section,
}


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated:{name} -->\n)(.*?)(<!-- /generated:{name} -->)", re.DOTALL)


def generated(text: str, name: str) -> str | None:
    """The current text of a generated part, without its last newline (``None`` if the markers
    are missing)."""
    found = _pattern(name).search(text)
    return found.group(2).removesuffix("\n") if found else None


def regenerate(text: str) -> str:
    for name, build in SECTIONS.items():
        content = build() + "\n"

        def fill(found: re.Match[str], content: str = content) -> str:
            return found.group(1) + content + found.group(3)

        text = _pattern(name).sub(fill, text)
    return text


def main() -> None:
    """``python -m engine.plugin_docs``: rewrite the generated parts of docs/plugins.md."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else GUIDE
    path.write_text(regenerate(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
