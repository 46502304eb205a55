"""The issue's "done when": pip-installing the example plugin into Polku's environment makes its
municipality appear in ``polku plugins list`` and its rules apply, with no change to the core.

The plugin is really built and installed by pip (from a copy of plugins/example_plugin, offline,
with the setuptools of this venv) into a temporary directory, which the ``polku`` console script
then sees through ``PYTHONPATH``: discovery goes through the ``polku`` entry point group of the
installed distribution's metadata, exactly as after ``pip install`` into the venv itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.settings import ROOT

EXAMPLE = ROOT / "plugins" / "example_plugin"
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("example_plugin")
    source = work / "src"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    target = work / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        cwd=work,
    )
    return target


def polku(*args: str, site: Path | None, **settings: str) -> str:
    """Run the ``polku`` console script, seeing ``site`` if given, with ``POLKU_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLKU_", "PYTHONPATH"))}
    # Neither command opens the database; point it somewhere harmless all the same.
    env |= {"COLUMNS": "250", "POLKU_DATABASE_URL": f"sqlite:///{site or ROOT}/unused.db"}
    env |= {f"POLKU_{name.upper()}": value for name, value in settings.items()}
    if site is not None:
        env["PYTHONPATH"] = str(site)
    result = subprocess.run(
        [str(BIN / "polku"), *args], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_installed_distribution_declares_the_entry_point(installed: Path) -> None:
    [dist_info] = installed.glob("polku_esimerkkila-*.dist-info")
    entry_points = (dist_info / "entry_points.txt").read_text()
    assert "[polku]" in entry_points
    assert "esimerkkila = polku_esimerkkila" in entry_points


def installed_in_venv() -> bool:
    """Whether someone pip-installed the example into this venv (README shows how)."""
    from importlib.metadata import entry_points

    return any(ep.name == "esimerkkila" for ep in entry_points(group="polku"))


def test_municipality_appears_in_plugins_list(installed: Path) -> None:
    if not installed_in_venv():
        assert "Esimerkkilä" not in polku("plugins", "list", site=None)
    after = polku("plugins", "list", site=installed)
    [row] = [line for line in after.splitlines() if "esimerkkila" in line]
    assert "0.1.0" in row
    assert "entry point" in row
    assert "999 Esimerkkilä" in row
    assert "plugins.lappi" in after  # the built-in plugins are still there


def test_its_rules_apply(installed: Path) -> None:
    output = polku(
        "plugins",
        "try",
        "--municipality=999",
        "--birth-date=1990-01-01",
        "--fact=esimerkkila_housing_counselling=false",
        "--on=2026-11-23",
        "--language=en",
        site=installed,
    )
    lines = output.splitlines()
    coaching = lines.index("Housing coaching: no (esimerkkila.housing_coaching; "
                           "Esimerkkilän Asumisen tuki ry; plugin esimerkkila)")  # fmt: skip
    assert lines[coaching + 1] == (
        "  deny       esimerkkila_housing_counselling_first: Housing coaching starts after "
        "housing counselling, which the client has not had. [Esimerkkilän kunnanhallituksen "
        "päätös 12/2026 (kuvitteellinen)]"
    )
    # A national rule (installed with Polku) applies to the plugin's own target.
    youth_work = next(
        i for i, line in enumerate(lines) if "Outreach youth work, Esimerkkilä" in line
    )
    assert lines[youth_work + 1] == (
        "  deny       outreach_youth_work_under_29: The client is 36; the service is for people "
        "under 29. [Nuorisolaki 1285/2016, 3 § ja 11 §]"
    )


def test_polku_plugins_restricts_entry_points_too(installed: Path) -> None:
    only_national = polku("plugins", "list", site=installed, plugins="national")
    assert "esimerkkila" not in only_national
    assert "plugins.national" in only_national
    only_example = polku("plugins", "list", site=installed, plugins="esimerkkila")
    assert "999 Esimerkkilä" in only_example
    assert "plugins.lappi" not in only_example
    assert "engine.defaults" in only_example
