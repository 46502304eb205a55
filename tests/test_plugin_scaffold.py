"""``polku plugins new NAME --municipality CODE`` makes a package that installs and passes its
own tests; and with it and the example plugin (a fictional county offering no work trial)
installed, Polku's own plugin tests still pass: the contract tests are about the contract, and
what every shipped municipality offers is tested on the shipped plugins only.

The package is really built and installed by pip, offline (``--no-index --no-deps
--no-build-isolation``, with this venv's setuptools) into a target directory that the
subprocesses see through ``PYTHONPATH``: discovery goes through the installed distribution's
``polku`` entry point, as after ``pip install`` into the venv itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engine.cli import app
from engine.settings import ROOT

BIN = Path(sys.executable).parent
PIP_OFFLINE = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
PIP_OFFLINE += ["--no-build-isolation"]
NEW = [
    "plugins",
    "new",
    "liminka",
    "--municipality",
    "425",
    "--name",
    "Liminka",
    "--swedish-name",
    "Limingo",
    "--wellbeing-county",
    "Pohjois-Pohjanmaan hyvinvointialue",
    "--employment-area",
    "Oulun seudun työllisyysalue",
]


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("POLKU_", "PYTHONPATH", "PYTEST_"))
    }
    return env | {"COLUMNS": "250"} | extra


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(the scaffolded package, the directory it is installed into)."""
    work = tmp_path_factory.mktemp("scaffold")
    result = CliRunner().invoke(app, [*NEW, "--into", str(work)])
    assert result.exit_code == 0, result.output
    package = work / "polku-liminka"
    site = work / "site"
    subprocess.run(
        [*PIP_OFFLINE, "--target", str(site), str(package)],
        check=True,
        capture_output=True,
        cwd=work,
    )
    # the example plugin too: a fictional county with no work trial or social rehabilitation
    example = work / "example"
    shutil.copytree(
        ROOT / "plugins" / "example_plugin",
        example,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"),
    )
    subprocess.run(
        [*PIP_OFFLINE, "--target", str(site), str(example)],
        check=True,
        capture_output=True,
        cwd=work,
    )
    return package, site


def test_the_package_has_the_entry_point_and_every_hook(made: tuple[Path, Path]) -> None:
    package, site = made
    assert 'liminka = "polku_liminka"' in (package / "pyproject.toml").read_text()
    [dist_info] = site.glob("polku_liminka-*.dist-info")
    assert "liminka = polku_liminka" in (dist_info / "entry_points.txt").read_text()
    module = (package / "polku_liminka.py").read_text(encoding="utf-8")
    from engine.hookspecs import hookspec  # noqa: F401  (the contract's names)
    from tests.test_plugin_contract import HOOKS

    for hook in HOOKS:
        assert f"@hookimpl\ndef {hook}(" in module, hook


def test_its_own_tests_pass_installed(made: tuple[Path, Path]) -> None:
    package, site = made
    tests = package.parent / "tests_only"
    if not tests.exists():
        tests.mkdir()
        (tests / "test_polku_liminka.py").write_text(
            (package / "tests" / "test_polku_liminka.py").read_text(encoding="utf-8")
        )
    # the tests alone (not the package's source folder): they import the installed module
    result = subprocess.run(
        [str(BIN / "pytest"), "-q", "-p", "no:cacheprovider", "-p", "no:randomly", str(tests)],
        capture_output=True,
        text=True,
        cwd=tests,
        env=clean_env(PYTHONPATH=str(site)),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_polku_loads_it_and_it_joins_its_county(made: tuple[Path, Path]) -> None:
    _package, site = made
    env = clean_env(PYTHONPATH=str(site), POLKU_DATABASE_URL=f"sqlite:///{site}/unused.db")
    listed = subprocess.run(
        [str(BIN / "polku"), "plugins", "list"], capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert listed.returncode == 0, listed.stderr
    [row] = [line for line in listed.stdout.splitlines() if "425 Liminka" in line]
    assert "entry point" in row
    assert "0.1.0" in row
    assert "warning" not in listed.stdout
    tried = subprocess.run(
        [str(BIN / "polku"), "plugins", "try", "--municipality=425", "--on=2026-11-23", "-l", "en"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert tried.returncode == 0, tried.stderr
    # declared county and employment area: their services, from the shipped plugin
    assert "Social rehabilitation, Pohjois-Pohjanmaan hyvinvointialue: no" in tried.stdout
    assert "Work trial, Oulun seudun työllisyysalue: no" in tried.stdout


def test_polkus_own_plugin_tests_pass_with_it_installed(made: tuple[Path, Path]) -> None:
    _package, site = made
    files = [
        "tests/test_plugin_contract.py",
        "tests/test_seed_municipalities.py",
        "tests/test_referral_options.py",
        "features/plugins",
    ]
    result = subprocess.run(
        [str(BIN / "pytest"), "-q", "-n", "0", "-p", "no:randomly", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=clean_env(PYTHONPATH=str(site)),
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
    assert "failed" not in result.stdout


def test_an_unknown_municipality_needs_its_county_and_area(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["plugins", "new", "x", "--municipality", "425", "--into", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "give --name, --wellbeing-county, --employment-area" in result.output
    assert "Pohjois-Pohjanmaan hyvinvointialue" in result.output
    known = CliRunner().invoke(
        app, ["plugins", "new", "kittila_x", "--municipality", "261", "--into", str(tmp_path)]
    )
    assert known.exit_code == 0, known.output
    module = (tmp_path / "polku-kittila-x" / "polku_kittila_x.py").read_text(encoding="utf-8")
    # described exactly as the shipped plugin does (two plugins may only agree)
    assert 'wellbeing_county="Lapin hyvinvointialue"' in module
    assert 'employment_area="Tunturi-Lapin työllisyysalue"' in module
    bad = CliRunner().invoke(app, ["plugins", "new", "Bad-Name", "--municipality", "261"])
    assert bad.exit_code == 2
    assert "lower-case letters" in bad.output
