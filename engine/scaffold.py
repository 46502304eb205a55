"""``polku plugins new NAME --municipality CODE``: a new plugin package that installs and passes
its own tests as created.

The package (``polku-NAME/``) holds ``pyproject.toml`` with the ``polku`` entry point, the module
``polku_NAME.py`` with one commented example of every hook, ``tests/test_polku_NAME.py`` using
Polku's test kit (:mod:`engine.testing`), and a README. A municipality Polku already describes
is declared exactly as the shipped plugin declares it (two plugins may describe one
municipality only identically); a new one needs its name, wellbeing services county and
employment area.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from string import Template

from engine.plugins import build_plugin_manager, collect_records
from engine.rules import Municipality

NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class ScaffoldError(Exception):
    """The plugin cannot be created as asked; the message says why."""


PYPROJECT = Template("""\
# A Polku plugin: its own installable package, found by Polku through its entry point.
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "polku-$dist"
version = "0.1.0"
description = "Polku referral rules and services for $fi"
readme = "README.md"
requires-python = ">=3.11"
# Polku itself (the engine's plugin API and its test kit) is expected in the same environment.
dependencies = []

# The line that makes Polku load the plugin: group "polku", name = module.
[project.entry-points."polku"]
$name = "polku_$name"

[tool.setuptools]
py-modules = ["polku_$name"]

[tool.pytest.ini_options]
testpaths = ["tests"]
pythonpath = ["."]
# (a deprecation notice from a library Polku's test kit uses; not about your plugin)
filterwarnings = ["ignore:Using `httpx` with `starlette.testclient` is deprecated"]
""")

README = Template("""\
# polku-$dist: a Polku plugin for $fi

Created with `polku plugins new $name --municipality $code`. The guide is Polku's
`docs/plugins.md` ("Write a plugin for your municipality").

```sh
# from the Polku checkout, with its virtual environment
.venv/bin/pip install --no-build-isolation -e $path   # Polku loads it (entry point)
.venv/bin/polku plugins list                # $code $fi appears, source "entry point"
.venv/bin/pytest $path                # its tests, with Polku's fixtures
```
""")

MODULE = Template('''\
"""Polku plugin for $fi (municipality code $code).

Created with ``polku plugins new $name --municipality $code``: one commented example of every
hook. Keep what you need, delete the rest. Everything imported here is Polku's plugin API,
documented field by field in Polku's docs/plugins.md.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from engine import (
    EventView,
    FactDefinition,
    GuardContext,
    Instrument,
    JourneyView,
    LocalHoliday,
    Municipality,
    ReferralTarget,
    Rule,
    RuleContext,
    StatutoryBasis,
    Verdict,
    age_under,
    hookimpl,
    local_service,
    municipality,
    provider,
)

__version__ = "0.1.0"

log = logging.getLogger(__name__)

#: The legal source of our own rules: the act and section, or the decision they rest on.
LOCAL_DECISION = "$fi: paikallinen päätös (kirjaa päätöksen numero ja päivämäärä)"

# Who we are. The wellbeing services county and the employment area are what join us to the
# services they offer (social rehabilitation, multi-agency support, work trials), whichever
# plugin offers them: spell them exactly as that plugin does (see `polku plugins list`).
HOME = municipality(
    "$code",
    $fi_repr,
    $sv_repr,
    wellbeing_county=$county_repr,
    employment_area=$area_repr,
    region=$region_repr,
)

# A service provider: the service's own contact details, never a person's.
YOUTH_SERVICES = provider(
    "$name.nuorisopalvelut",
    $youth_repr,
    "municipality",
    HOME,
    email="nuorisopalvelut@$dist.example.org",
)

# A fact our own rule reads (recorded by the coach, dated).
WORKSHOP_INTERVIEW = FactDefinition(
    "${name}_workshop_interview",
    "bool",
    {
        "fi": "Pajan tutustumiskäynti tehty",
        "sv": "Introduktionsbesök i verkstaden gjort",
        "en": "Workshop introduction visit done",
    },
)


def interview_first(*, context: RuleContext) -> Verdict | None:
    """A rule of our own: the workshop starts after an introduction visit."""
    missing = context.require(WORKSHOP_INTERVIEW.key)  # "record first: ..." when unknown
    if missing:
        return missing
    if context.facts.value(WORKSHOP_INTERVIEW.key):
        return context.allow()
    return context.deny(
        fi="Paja alkaa tutustumiskäynnin jälkeen.",
        sv="Verkstaden börjar efter ett introduktionsbesök.",
        en="The workshop starts after an introduction visit.",
    )


@hookimpl
def polku_municipalities() -> list[Municipality]:
    # The municipalities this plugin serves.
    return [HOME]


@hookimpl
def polku_referral_targets() -> list[ReferralTarget]:
    # Our services. A known pathway type brings the national rules with it: outreach youth
    # work is for under-29s (Nuorisolaki 1285/2016) without a line of code here.
    return [
        local_service("outreach_youth_work", YOUTH_SERVICES, [HOME], place=$fi_repr),
        local_service(
            "workshop",
            YOUTH_SERVICES,
            [HOME],
            place=$fi_repr,
            # A target's own rules: each with its legal source and validity dates.
            rules=[
                age_under(30, key="${name}_workshop_under_30", legal_source=LOCAL_DECISION),
            ],
        ),
    ]


@hookimpl
def polku_referral_rules() -> list[Rule]:
    # A rule for every target of some pathway types offered to our clients (area).
    return [
        Rule(
            key="${name}_workshop_interview_first",
            legal_source=LOCAL_DECISION,
            check=interview_first,
            pathway_types=("workshop",),
            area=("$code",),
            valid_from=date(2026, 1, 1),
        )
    ]


@hookimpl
def polku_fact_definitions() -> list[FactDefinition]:
    # The facts our rules read; the national ones come with Polku.
    return [WORKSHOP_INTERVIEW]


@hookimpl
def polku_check_transition(context: GuardContext) -> Verdict | None:
    # Asked on every move of every journey: deny, allow or no opinion (None). Read only.
    ours = context.client.municipality_code == "$code"
    if context.trigger == "refer" and ours and context.client.birth_date is None:
        return Verdict.deny(
            "${name}_birth_date_before_referral",
            fi="Kirjaa syntymäaika ennen jatko-ohjausta.",
            sv="Registrera födelsedatum före hänvisningen.",
            en="Record the birth date before referring.",
            legal_source=LOCAL_DECISION,
        )
    return None


@hookimpl
def polku_guards() -> dict[str, Any]:
    # Named guards for pathway files of your own (`guards: [${name}_resident]`).
    def resident(*, context: GuardContext) -> bool:
        return context.client.municipality_code == "$code"

    return {"${name}_resident": resident}


@hookimpl
def polku_pathway_files() -> list[Path]:
    # Pathway files of your own (YAML as in Polku's pathways/), e.g.
    # [Path(__file__).parent / "pathways" / "${name}_workshop.yaml"].
    return []


@hookimpl
def polku_assessment_instruments() -> list[Instrument]:
    # Assessment instruments, e.g.
    # [Instrument(key="${name}_arki", label={"fi": ..., "sv": ..., "en": ...},
    #             items=(InstrumentItem("asuminen", {...}, Scale(1, 5)),), source="...")].
    return []


@hookimpl
def polku_statutory_bases() -> list[StatutoryBasis]:
    # Statutory bases for disclosing a referral packet without consent, e.g.
    # [StatutoryBasis("1301/2014:41§", "Sosiaalihuoltolaki 1301/2014 41 §",
    #                 {"fi": ..., "sv": ..., "en": ...}, valid_from=date(2015, 4, 1))].
    # The national plugin already names the Social Welfare Act's.
    return []


@hookimpl
def polku_local_holidays() -> list[LocalHoliday]:
    # Local holidays the weekly schedules of groups and events skip here, e.g.
    # [LocalHoliday(HOME.code, date(2027, 6, 1), {"fi": ..., "sv": ..., "en": ...})].
    # Finland's public holidays are computed by the core.
    return []


@hookimpl
def polku_after_transition(journey: JourneyView, event: EventView) -> None:
    # After each committed move: notifications, integrations. Ids only, never client data.
    if journey.client_id and event.to_state == "referred":
        log.debug("journey %s referred", journey.id)
''')

TESTS = Template('''\
"""Tests of the $fi plugin, with Polku's test kit (the pytest plugin engine.testing: no
conftest needed). Each test gets an empty database; set POLKU_TEST_DATABASE_URL to run them on
PostgreSQL too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from engine.runtime import Runtime
from engine.testing import assert_allowed, assert_denied, make_client, referral_options_of

import polku_$name

RuntimeWith = Callable[..., Runtime]
TODAY = date(2026, 11, 23)


def test_our_municipality_is_known(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_$name)
    assert runtime.municipalities["$code"].name["fi"] == $fi_repr


def test_the_national_age_limit_applies_to_our_youth_work(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_$name)
    client, _journey = make_client(runtime, municipality_code="$code", birth_date=date(1990, 1, 1))
    key = "$name.nuorisopalvelut.outreach_youth_work"
    option = referral_options_of(runtime, client, today=TODAY)[key]
    [why] = option.eligibility.denied
    assert why.rule == "outreach_youth_work_under_29"


def test_the_workshop_needs_an_introduction_visit(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_$name)
    key = "$name.nuorisopalvelut.workshop"
    young = date(2004, 1, 1)  # the workshop is for under-30s
    client, _journey = make_client(
        runtime,
        municipality_code="$code",
        birth_date=young,
        facts={"${name}_workshop_interview": False},
        facts_from=date(2026, 11, 1),
    )
    blocked = referral_options_of(runtime, client, today=TODAY)[key]
    assert [v.rule for v in blocked.eligibility.denied] == ["${name}_workshop_interview_first"]
    visited, _journey = make_client(
        runtime,
        municipality_code="$code",
        birth_date=young,
        facts={"${name}_workshop_interview": True},
        facts_from=date(2026, 11, 1),
    )
    assert referral_options_of(runtime, visited, today=TODAY)[key].eligible


def test_referral_needs_a_birth_date(runtime_with: RuntimeWith) -> None:
    runtime = runtime_with(polku_$name)
    _client, journey = make_client(
        runtime, municipality_code="$code", birth_date=None, state="individual_work"
    )
    assert_denied(runtime, journey, "refer", rule="${name}_birth_date_before_referral")
    _client, known = make_client(runtime, municipality_code="$code", state="individual_work")
    assert_allowed(runtime, known, "refer")
''')


def _quoted(text: str) -> str:
    """A Python string literal in double quotes (as ruff format writes them)."""
    return json.dumps(text, ensure_ascii=False)


def known_municipalities() -> dict[str, Municipality]:
    """What the loaded plugins describe (core, built-ins, installed entry points)."""
    pm = build_plugin_manager()
    return collect_records(pm, "polku_municipalities", Municipality, lambda m: m.code)


def scaffold(
    name: str,
    code: str,
    *,
    into: Path,
    fi: str | None = None,
    sv: str | None = None,
    wellbeing_county: str | None = None,
    employment_area: str | None = None,
    region: str = "",
) -> Path:
    """Create ``into/polku-<name>/``; returns its path. Raises :class:`ScaffoldError`."""
    if not NAME.match(name):
        raise ScaffoldError(f"plugin name {name!r}: use lower-case letters, digits and _")
    if not re.fullmatch(r"\d{3}", code):
        raise ScaffoldError(f"municipality code {code!r} is not three digits (kuntanumero)")
    known = known_municipalities()
    if code in known:
        place = known[code]
        fi, sv = place.name["fi"], place.name["sv"]
        wellbeing_county, employment_area = place.wellbeing_county, place.employment_area
        region = place.region
    else:
        missing = [
            option
            for option, value in (
                ("--name", fi),
                ("--wellbeing-county", wellbeing_county),
                ("--employment-area", employment_area),
            )
            if not value
        ]
        if missing:
            counties = sorted({m.wellbeing_county for m in known.values()})
            areas = sorted({m.employment_area for m in known.values()})
            raise ScaffoldError(
                f"Polku does not know municipality {code}: give {', '.join(missing)}. "
                f"Wellbeing counties the plugins know: {'; '.join(counties)}. "
                f"Employment areas: {'; '.join(areas)}"
            )
    assert fi
    assert wellbeing_county
    assert employment_area
    target = into / f"polku-{name.replace('_', '-')}"
    if target.exists():
        raise ScaffoldError(f"{target} exists already")
    values = {
        "name": name,
        "dist": name.replace("_", "-"),
        "code": code,
        "fi": fi,
        "path": str(target),
        "fi_repr": _quoted(fi),
        "sv_repr": _quoted(sv or fi),
        "county_repr": _quoted(wellbeing_county),
        "area_repr": _quoted(employment_area),
        "region_repr": _quoted(region),
        "youth_repr": _quoted(f"{fi}, nuorisopalvelut"),
    }
    (target / "tests").mkdir(parents=True)
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"polku_{name}.py": MODULE,
        f"tests/test_polku_{name}.py": TESTS,
    }
    for path, template in files.items():
        (target / path).write_text(template.substitute(values), encoding="utf-8")
    return target
