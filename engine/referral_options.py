"""Where may this client be referred, and if not, why not: every plugin's targets, every rule.

For one client on one day:

1. every plugin is asked separately for its targets (``polku_referral_targets``); targets not
   offered in the client's municipality (by code, or through its wellbeing county or
   employment area) are left out;
2. each target is assessed by every rule in force that day: the rules from
   ``polku_referral_rules`` governing its pathway type, then the target's own local rules;
3. any deny blocks; each verdict carries its reasons (fi/sv/en) and legal source.

Fail closed: a plugin that raises (or answers nonsense) when asked for its targets shows up as
one blocked "unavailable" option and is logged; a rule that raises denies its target and is
logged; every other plugin and rule still answers. Uses the same fail-closed primitive as the
transition guards (:func:`engine.guards.ask`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import date
from functools import partial

import pluggy
from sqlmodel import Session

from engine.clock import Clock
from engine.facts import ClientFacts, Facts
from engine.guards import Verdict, ask
from engine.models import Client
from engine.plugins import ask_each
from engine.rules import (
    Eligibility,
    Municipality,
    ReferralOption,
    ReferralTarget,
    Rule,
    RuleContext,
)
from engine.views import ClientView

log = logging.getLogger("polku.referral_options")

UNAVAILABLE = "unavailable"


class ReferralOptions:
    """Built once per process by the runtime, from the rules collected at start-up."""

    def __init__(
        self,
        pm: pluggy.PluginManager,
        rules: Mapping[str, Rule],
        facts: ClientFacts,
        clock: Clock | None = None,
        municipalities: Mapping[str, Municipality] | None = None,
    ):
        self.pm = pm
        #: The municipalities the plugins describe: a target offered to a wellbeing county or
        #: an employment area reaches the clients of every municipality that declares it.
        self.municipalities: Mapping[str, Municipality] = municipalities or {}
        self.clock = clock or Clock()
        self.rules = list(rules.values())
        self.facts = facts

    def assess(
        self, target: ReferralTarget, *, client: Client | ClientView, facts: Facts, today: date
    ) -> Eligibility:
        """Every rule in force on ``today`` that governs ``target``, asked about ``client``."""
        missing: set[str] = set()
        verdicts: list[Verdict] = []
        for rule in [*self.rules, *target.rules]:
            if not rule.governs(target, client, today):
                continue
            context = RuleContext(rule, client, facts, today, target, missing)
            verdicts += ask(
                rule.key,
                partial(rule.check, context=context),
                where=f"referral rule for target {target.key}",
            )
        return Eligibility(tuple(verdicts), tuple(sorted(missing)))

    def for_client(
        self, client: Client | ClientView, facts: Facts, today: date
    ) -> list[ReferralOption]:
        """Every target offered to ``client``, assessed (no database access)."""
        options: list[ReferralOption] = []
        answers = ask_each(
            self.pm,
            "polku_referral_targets",
            where=f"referral options of client {client.id}",
            client=client,
            facts=facts,
            today=today,
        )
        for answer in answers:
            targets = None if answer.failed else _targets(answer.value)
            if targets is None:
                if not answer.failed:
                    log.error(
                        "plugin %s answered polku_referral_targets with %s, not a list of "
                        "ReferralTarget; its targets are blocked",
                        answer.plugin,
                        type(answer.value).__name__,
                    )
                options.append(_unavailable(answer.plugin))
                continue
            options.extend(
                ReferralOption(
                    target,
                    answer.plugin,
                    self.assess(target, client=client, facts=facts, today=today),
                )
                for target in targets
                if target.offered_to(client, self.municipalities)
            )
        return options

    def of_client(
        self, session: Session, client_id: int, *, today: date | None = None
    ) -> list[ReferralOption]:
        """The options of a stored client, with their facts as of ``today`` (default: today)."""
        today = today or self.clock.today()
        facts = self.facts.current(session, client_id, as_of=today)
        client = session.get(Client, client_id)
        assert client is not None  # current() raised NotFound otherwise
        # plugins read a frozen snapshot: a change they made could never reach the database
        return self.for_client(ClientView.of(client), facts, today)


def _targets(value: object) -> list[ReferralTarget] | None:
    """A plugin's answer as a list of targets; ``None`` when it is not one (fail closed)."""
    if value is None:
        return []
    if not isinstance(value, Iterable) or isinstance(value, str | bytes | Mapping):
        return None
    targets = list(value)
    if not all(isinstance(t, ReferralTarget) for t in targets):
        return None
    return targets


def _unavailable(plugin: str) -> ReferralOption:
    rule = f"plugin:{plugin}"
    target = ReferralTarget(
        key=UNAVAILABLE,
        pathway_type=UNAVAILABLE,
        label={
            "fi": "Laajennuksen palveluita ei saatu",
            "sv": "Tilläggets tjänster kunde inte hämtas",
            "en": "This plugin's services could not be fetched",
        },
    )
    return ReferralOption(target, plugin, Eligibility((Verdict.failed(rule),)))
