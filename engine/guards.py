"""Guards: named checks that may allow, deny or have no opinion on a transition.

Pathway files name guards (``guards: [participation_consent]``); the names resolve at load time
against a :class:`GuardRegistry` that the core and plugins fill. Every guard of a transition is
asked and every verdict is kept; any deny wins; ``None`` means "no opinion"; a guard that raises
denies (fail closed) and is logged without any client data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Protocol

from engine.safelog import log_failure

if TYPE_CHECKING:
    from sqlmodel import Session

    from engine.views import ClientView, JourneyView

log = logging.getLogger("polku.guards")

LANGUAGES = ("fi", "sv", "en")


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule's answer. ``allowed`` is True, False or None (no opinion)."""

    rule: str
    allowed: bool | None
    reason: Mapping[str, str] = field(default_factory=dict)
    legal_source: str | None = None

    @classmethod
    def deny(
        cls, rule: str, *, fi: str, sv: str, en: str, legal_source: str | None = None
    ) -> Verdict:
        return cls(rule, False, {"fi": fi, "sv": sv, "en": en}, legal_source)

    @classmethod
    def allow(cls, rule: str, *, legal_source: str | None = None) -> Verdict:
        return cls(rule, True, {}, legal_source)

    def text(self, language: str = "fi") -> str:
        return self.reason.get(language) or self.reason.get("en") or self.rule

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "allowed": self.allowed,
            "reason": dict(self.reason),
            "legal_source": self.legal_source,
        }


@dataclass(slots=True)
class GuardContext:
    """What a guard may look at: read-only snapshots of the journey and the client, and the
    ``session`` of the transition's transaction (for reads only)."""

    session: Session
    journey: JourneyView
    client: ClientView
    trigger: str
    source: str
    dest: str
    actor_id: int | None
    reason: str | None = None
    #: The state the journey was in before it entered its current one (for "resume").
    previous_state: str | None = None
    today: date = field(default_factory=date.today)
    now: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Guard(Protocol):
    def __call__(self, *, context: GuardContext) -> Verdict | bool | None: ...


class GuardRegistry:
    """Maps guard names (as written in pathway files) to callables."""

    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}
        self._owners: dict[str, str] = {}

    def register(self, name: str, guard: Guard, *, owner: str = "core") -> None:
        if name in self._guards and self._owners[name] != owner:
            raise ValueError(
                f"guard {name!r} is registered twice ({self._owners[name]} and {owner})"
            )
        self._guards[name] = guard
        self._owners[name] = owner

    def names(self) -> set[str]:
        return set(self._guards)

    def owner(self, name: str) -> str:
        return self._owners[name]

    def __contains__(self, name: object) -> bool:
        return name in self._guards

    def evaluate(self, name: str, context: GuardContext) -> Verdict:
        guard = self._guards[name]
        try:
            answer = guard(context=context)
        except Exception as exc:  # fail closed, log without client data
            log_failure(
                log, "guard %s failed on journey %s; denying", name, context.journey.id, exc=exc
            )
            return Verdict.deny(
                name,
                fi="Sääntöä ei voitu tarkistaa; siirtymä estettiin varmuuden vuoksi.",
                sv="Regeln kunde inte kontrolleras; övergången spärrades för säkerhets skull.",
                en="The rule could not be checked; the move was blocked to be safe.",
            )
        return coerce_verdict(name, answer)


def coerce_verdict(name: str, answer: Verdict | bool | None) -> Verdict:
    if isinstance(answer, Verdict):
        return answer
    if answer is None or isinstance(answer, bool):
        return Verdict(name, answer)
    raise TypeError(f"guard {name!r} returned {type(answer).__name__}, not a Verdict/bool/None")


def decide(verdicts: list[Verdict]) -> bool:
    """Any deny wins; no opinion counts as allow."""
    return not any(v.allowed is False for v in verdicts)


# --- core guards --------------------------------------------------------------------------------


def participation_consent(*, context: GuardContext) -> Verdict:
    """Taking part is voluntary: engagement needs the client's recorded agreement."""
    if context.client.participation_consent_at is not None:
        return Verdict.allow("participation_consent")
    return Verdict.deny(
        "participation_consent",
        fi="Asiakkaan suostumusta osallistumiseen ei ole kirjattu.",
        sv="Klientens samtycke till deltagande har inte registrerats.",
        en="The client's agreement to take part has not been recorded.",
    )


def working_age(*, context: GuardContext) -> Verdict | None:
    """The projects serve working-age people (15-64); unknown birth date means no opinion."""
    birth = context.client.birth_date
    if birth is None:
        return None
    today = context.today
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    if 15 <= age <= 64:
        return Verdict.allow("working_age")
    return Verdict.deny(
        "working_age",
        fi=f"Asiakas on {age}-vuotias; toiminta on 15–64-vuotiaille.",
        sv=f"Klienten är {age} år; verksamheten är för 15–64-åringar.",
        en=f"The client is {age}; the service is for people aged 15-64.",
    )


CORE_GUARDS: dict[str, Callable[..., Any]] = {
    "participation_consent": participation_consent,
    "working_age": working_age,
}


def core_registry() -> GuardRegistry:
    registry = GuardRegistry()
    for name, guard in CORE_GUARDS.items():
        registry.register(name, guard)
    return registry
