"""Polku's workflow engine: pathway loading and validation, the shared machines, ``advance()``,
persistence (SQLModel tables, sessions, Alembic migrations), hookspecs and the plugin manager,
referral rules and client facts.

May import: the standard library and third-party packages. Never imports ``web`` or ``plugins``.

This module exports the plugin-facing API: plugins import only these names (or only pluggy's
``HookimplMarker("polku")``). See ``docs/plugins.md``.
"""

from engine.facts import Fact, FactDefinition, Facts
from engine.guards import GuardContext, Verdict
from engine.hookspecs import hookimpl
from engine.instruments import Instrument, InstrumentItem, Scale
from engine.rules import (
    PATHWAY_TYPES,
    Eligibility,
    Municipality,
    ReferralOption,
    ReferralTarget,
    Rule,
    RuleContext,
    ServiceProvider,
    age_under,
    residents_only,
    waiting_list,
)
from engine.statutory import StatutoryBasis

__all__ = [
    "PATHWAY_TYPES",
    "Eligibility",
    "Fact",
    "FactDefinition",
    "Facts",
    "GuardContext",
    "Instrument",
    "InstrumentItem",
    "Municipality",
    "ReferralOption",
    "ReferralTarget",
    "Rule",
    "RuleContext",
    "Scale",
    "ServiceProvider",
    "StatutoryBasis",
    "Verdict",
    "age_under",
    "hookimpl",
    "residents_only",
    "waiting_list",
]
