"""Warnings at load: plugin data that is well-formed but cannot do what its author meant.

- a resident-only rule (:func:`engine.rules.residents_only`) that can never deny, because the
  target (or the rule's own ``area``) is offered only to residents of those municipalities;
- a referral target that no municipality is offered: its ``area`` names no municipality any
  plugin describes, and no described municipality declares its wellbeing county or employment
  area.

They are warnings, not errors: the app still starts. ``polku plugins list`` prints them and the
runtime logs each once at start-up (``polku.plugins`` logger); they name the plugin and the key,
never client data. Targets are read from plugins whose ``polku_referral_targets`` takes no
arguments (constant data, as most have); a plugin whose targets depend on the client is asked
at request time only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pluggy

from engine.plugins import ask_each, static_answers
from engine.rules import Municipality, ReferralTarget, Rule

log = logging.getLogger("polku.plugins")


@dataclass(frozen=True, slots=True)
class PluginWarning:
    """One warning: the plugin, the key of the rule or target, and what is wrong."""

    plugin: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"plugin {self.plugin}: {self.key}: {self.message}"


def constant_targets(pm: pluggy.PluginManager) -> list[tuple[str, ReferralTarget]]:
    """``(plugin, target)`` for every plugin whose ``polku_referral_targets`` takes no
    arguments (a raising one is skipped here: it is reported at request time)."""
    takes_none = {
        impl.plugin_name
        for impl in pm.hook.polku_referral_targets.get_hookimpls()
        if not impl.argnames
    }
    found = []
    for answer in ask_each(pm, "polku_referral_targets", where="start-up checks"):
        if answer.plugin in takes_none and not answer.failed and answer.value:
            found += [(answer.plugin, t) for t in answer.value if isinstance(t, ReferralTarget)]
    return found


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(sorted(codes))


def _never_denies(rule: Rule, offered: set[str]) -> bool:
    return rule.residents_of is not None and bool(offered) and offered <= set(rule.residents_of)


def plugin_warnings(
    pm: pluggy.PluginManager, municipalities: Mapping[str, Municipality]
) -> list[PluginWarning]:
    """Every warning about the loaded plugins' targets and rules (see the module docstring)."""
    warnings: list[PluginWarning] = []
    for plugin, contributed in static_answers(pm, "polku_referral_rules", (list, tuple)):
        for rule in contributed:
            if isinstance(rule, Rule) and rule.area and _never_denies(rule, set(rule.area)):
                warnings.append(
                    PluginWarning(
                        plugin,
                        rule.key,
                        f"residents-only rule can never deny: it governs only clients of "
                        f"{_codes(rule.area)}, whose residents it allows",
                    )
                )
    for plugin, target in constant_targets(pm):
        if target.everywhere:
            continue
        offered = target.reach(municipalities)
        if not offered & set(municipalities):
            where = [f"area {_codes(target.area)}"] if target.area else []
            where += [f"wellbeing county {c!r}" for c in target.wellbeing_counties]
            where += [f"employment area {a!r}" for a in target.employment_areas]
            warnings.append(
                PluginWarning(
                    plugin,
                    target.key,
                    f"target is offered to no municipality: no plugin describes "
                    f"{' or '.join(where)}",
                )
            )
            continue
        for rule in target.rules:
            if _never_denies(rule, offered):
                warnings.append(
                    PluginWarning(
                        plugin,
                        rule.key,
                        f"residents-only rule on target {target.key} can never deny: the target "
                        f"is offered only to {_codes(offered)}, whose residents it allows",
                    )
                )
    return warnings


def log_warnings(warnings: Iterable[PluginWarning]) -> None:
    for warning in warnings:
        log.warning("%s", warning)
