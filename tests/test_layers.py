"""The dependency direction (docs/architecture.md): ``web -> engine <- plugins``. The engine
never imports the web layer or the plugins, not even inside a function, and importing every
engine module loads no ``web`` module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "engine"


def engine_modules() -> list[Path]:
    return sorted(p for p in ENGINE.rglob("*.py") if "migrations" not in p.parts)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_engine_module_imports_web_or_plugins() -> None:
    offenders = {
        f"{path.relative_to(ENGINE.parent)}: {name}"
        for path in engine_modules()
        for name in imported(path)
        if name.split(".")[0] in {"web", "plugins"}
    }
    assert offenders == set()


def test_the_check_would_see_an_import_inside_a_function(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from web.app import create_app\n", encoding="utf-8")
    assert "web.app" in imported(sample)


def test_importing_the_engine_loads_no_web_module() -> None:
    modules = [
        ".".join(p.relative_to(ENGINE.parent).with_suffix("").parts)
        for p in engine_modules()
        if p.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m == 'web' or m.startswith('web.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


def test_only_the_form_helper_opens_a_savepoint() -> None:
    """Issue 12: a page's form action runs in web.forms.attempt (its savepoint maps any domain
    error to the form's fields and status); no page module opens a savepoint of its own (the
    request's session dependency, web/deps.py, holds the one around a whole request)."""
    web = Path(__file__).resolve().parent.parent / "web"
    openers = sorted(
        path.relative_to(web).as_posix()
        for path in web.rglob("*.py")
        if any(
            isinstance(node, ast.Attribute) and node.attr == "begin_nested"
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        )
    )
    assert openers == ["deps.py", "forms.py"]


def test_one_module_names_the_pathways() -> None:
    """Issue 12: the pathway names are defined once (engine/pathway_keys.py): no other engine
    or web module writes "client_journey", and no module asks for a pathway by a literal name
    (``pathways.latest("referral")``). Migrations keep the names they were written with."""
    root = Path(__file__).resolve().parent.parent
    found: list[str] = []
    for path in sorted([*ENGINE.rglob("*.py"), *(root / "web").rglob("*.py")]):
        if "migrations" in path.parts or path.name == "pathway_keys.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            literal_journey = isinstance(node, ast.Constant) and node.value == "client_journey"
            literal_latest = (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "latest"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "pathways"
                and any(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)
            )
            if literal_journey or literal_latest:
                found.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', 0)}")
    assert found == []
