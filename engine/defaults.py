"""The core's own behaviour, written as hookimpls (as Datasette's ``default_*`` modules are).

Contributes the pathway files in ``pathways/`` and the core guards.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.guards import CORE_GUARDS
from engine.hookspecs import hookimpl
from engine.pathway import pathway_files
from engine.settings import ROOT


@hookimpl
def polku_pathway_files() -> list[Path]:
    return pathway_files(ROOT / "pathways")


@hookimpl
def polku_guards() -> dict[str, Any]:
    return dict(CORE_GUARDS)
