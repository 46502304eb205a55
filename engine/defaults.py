"""The core's own behaviour, written as hookimpls (as Datasette's ``default_*`` modules are).

Contributes the pathway files in ``pathways/``, the core guards and the core assessment
instruments (the Kykyviisari summary and a generic ability and requirement profile).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from engine.guards import CORE_GUARDS
from engine.hookspecs import hookimpl
from engine.instruments import ABILITY_PROFILE, KYKYVIISARI, Instrument
from engine.pathway import pathway_files
from engine.settings import ROOT


@hookimpl
def polku_pathway_files() -> list[Path]:
    return pathway_files(ROOT / "pathways")


@hookimpl
def polku_guards() -> dict[str, Any]:
    return dict(CORE_GUARDS)


@hookimpl
def polku_assessment_instruments() -> list[Instrument]:
    return [KYKYVIISARI, ABILITY_PROFILE]
