"""The application's engine, built once per process: settings, plugins, guards, pathways,
municipalities, rules, fact definitions, assessment instruments, DB."""

from __future__ import annotations

from pathlib import Path

import pluggy

from engine.aftercare import schedule_of
from engine.auth import Auth
from engine.caseload import caseload_flags
from engine.clock import Clock
from engine.db import Database
from engine.facts import ClientFacts, FactDefinition
from engine.guards import GuardRegistry
from engine.holidays import HolidayCalendar, LocalHoliday
from engine.instruments import Instrument
from engine.journeys import Journeys
from engine.participant_forms import FormFile, load_forms
from engine.pathway import PathwayError, PathwayRegistry, load_files
from engine.plugin_checks import log_warnings, plugin_warnings
from engine.plugins import build_plugin_manager, collect_records, static_answers
from engine.referral_options import ReferralOptions
from engine.referrals import Referrals
from engine.rules import Municipality, Rule
from engine.settings import Settings, get_settings
from engine.statutory import StatutoryBases, StatutoryBasis


def collect_guards(pm: pluggy.PluginManager) -> GuardRegistry:
    registry = GuardRegistry()
    for plugin, contributed in static_answers(pm, "polku_guards", dict):
        for name, guard in contributed.items():
            registry.register(name, guard, owner=plugin)
    return registry


def collect_pathway_files(pm: pluggy.PluginManager) -> list[Path]:
    files: list[Path] = []
    for contributed in pm.hook.polku_pathway_files():
        files.extend(Path(f) for f in contributed or ())
    return files


def load_pathways(pm: pluggy.PluginManager, guards: GuardRegistry) -> PathwayRegistry:
    """Load every contributed pathway file; any problem stops start-up naming file and key."""
    pathways, problems = load_files(collect_pathway_files(pm), guards.names())
    if problems:
        raise PathwayError(problems)
    registry = PathwayRegistry()
    for pathway in pathways:
        registry.add(pathway)
    return registry


class Runtime:
    """Everything the web app and the command line share."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        plugin_manager: pluggy.PluginManager | None = None,
        database: Database | None = None,
        clock: Clock | None = None,
    ):
        self.settings = settings or get_settings()
        self.clock = clock or Clock(self.settings.timezone)
        self.pm = plugin_manager or build_plugin_manager(
            only=self.settings.plugins, trace=self.settings.trace_hooks
        )
        self.guards = collect_guards(self.pm)
        self.pathways = load_pathways(self.pm, self.guards)
        #: Aftercare check-ins (engine/aftercare.py): the newest client journey's schedule.
        self.aftercare = schedule_of(self.pathways, self.clock.zone)
        #: The caseload's badges (engine/caseload.py), built once: each builds its SQL once a day.
        self.caseload_flags = caseload_flags(self.aftercare)
        #: Every municipality the plugins describe, by code (kuntanumero).
        self.municipalities: dict[str, Municipality] = collect_records(
            self.pm, "polku_municipalities", Municipality, lambda m: m.code
        )
        #: Assessment instruments, by key.
        self.instruments: dict[str, Instrument] = collect_records(
            self.pm, "polku_assessment_instruments", Instrument, lambda i: i.key
        )
        fact_definitions: dict[str, FactDefinition] = collect_records(
            self.pm, "polku_fact_definitions", FactDefinition, lambda d: d.key
        )
        rules: dict[str, Rule] = collect_records(
            self.pm, "polku_referral_rules", Rule, lambda r: r.key
        )
        #: Statutory bases for disclosure without consent, by code (polku_statutory_bases).
        self.statutory_bases = StatutoryBases(
            collect_records(self.pm, "polku_statutory_bases", StatutoryBasis, lambda b: b.code)
        )
        #: The holiday calendar schedules skip: national holidays and the plugins' local ones.
        self.holidays = HolidayCalendar(
            collect_records(
                self.pm,
                "polku_local_holidays",
                LocalHoliday,
                lambda h: (h.municipality_code, h.day),
            ).values()
        )
        #: Well-formed plugin data that cannot do what was meant (logged once here).
        self.plugin_warnings = plugin_warnings(self.pm, self.municipalities)
        log_warnings(self.plugin_warnings)
        self.facts = ClientFacts(fact_definitions, self.clock)
        #: ESF+ participant form files (forms/*.yaml), by key; a broken one stops start-up.
        self.forms: dict[str, FormFile] = load_forms()
        self.referral_options = ReferralOptions(
            self.pm, rules, self.facts, self.clock, self.municipalities
        )
        self.db = database or Database(
            self.settings.database_url,
            pool_size=self.settings.pool_size,
            sqlite_synchronous=self.settings.sqlite_synchronous,
        )
        self.journeys = Journeys(self.pathways, self.guards, self.pm, self.clock)
        self.auth = Auth(self.settings, self.clock, self.db)
        self.referrals = Referrals(
            self.journeys,
            self.referral_options,
            self.facts,
            self.settings,
            self.statutory_bases,
        )

    def close(self) -> None:
        self.db.dispose()
