"""Polku's workflow engine: pathway loading and validation, the shared machines, ``advance()``,
persistence (SQLModel tables, sessions, Alembic migrations), hookspecs and the plugin manager,
referral rules and client facts.

May import: the standard library and third-party packages. Never imports ``web`` or ``plugins``.

This module exports the plugin-facing API: everything a hook receives or returns, the record
types and the shared builders. Plugins import only these names (or only pluggy's
``HookimplMarker("polku")``). ``docs/plugins.md`` documents each with its fields; a meta-test
keeps the two in step. Test helpers for plugin authors are in :mod:`engine.testing`.
"""

from engine.errors import GuardRejected
from engine.facts import Fact, FactDefinition, Facts
from engine.guards import GuardContext, Verdict
from engine.holidays import LocalHoliday
from engine.hookspecs import hookimpl
from engine.instruments import Instrument, InstrumentItem, Scale
from engine.regions import (
    county_service,
    employment_area_service,
    local_service,
    municipality,
    provider,
    slug,
)
from engine.rules import (
    PATHWAY_TYPES,
    Eligibility,
    Municipality,
    ReferralOption,
    ReferralTarget,
    Rule,
    RuleContext,
    ServiceProvider,
    Texts,
    age_under,
    residents_only,
    waiting_list,
)
from engine.statutory import StatutoryBasis
from engine.views import ClientView, EventView, JourneyView

__all__ = [
    "PATHWAY_TYPES",
    "ClientView",
    "Eligibility",
    "EventView",
    "Fact",
    "FactDefinition",
    "Facts",
    "GuardContext",
    "GuardRejected",
    "Instrument",
    "InstrumentItem",
    "JourneyView",
    "LocalHoliday",
    "Municipality",
    "ReferralOption",
    "ReferralTarget",
    "Rule",
    "RuleContext",
    "Scale",
    "ServiceProvider",
    "StatutoryBasis",
    "Texts",
    "Verdict",
    "age_under",
    "county_service",
    "employment_area_service",
    "hookimpl",
    "local_service",
    "municipality",
    "provider",
    "residents_only",
    "slug",
    "waiting_list",
]
