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

from engine.errors import log_failure
from engine.goals import has_described_goal

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
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

    @classmethod
    def failed(cls, rule: str) -> Verdict:
        """The deny given when a rule or plugin raised: fail closed."""
        return cls.deny(
            rule,
            fi="Sääntöä ei voitu tarkistaa, joten se estää varmuuden vuoksi.",
            sv="Regeln kunde inte kontrolleras och spärrar därför för säkerhets skull.",
            en="The rule could not be checked, so it blocks to be safe.",
        )

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
    ``session`` of the transition's transaction (for reads only): an ORM session, or the Core
    connection the transition runs on (``Database.write_connection``). Both answer
    ``execute(statement, params)``; a rule that reads should use only that."""

    session: Session | Connection
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

    def __contains__(self, name: object) -> bool:
        return name in self._guards

    def describe(self, name: str, language: str = "fi") -> str:
        """What guard ``name`` checks, in words people read (the pathway page shows this, not
        the name): the core guards' :data:`GUARD_TEXTS`, else a plugin guard's ``label``
        attribute (``{"fi", "sv", "en"}``), else the name itself."""
        texts = GUARD_TEXTS.get(name) or getattr(self._guards.get(name), "label", None)
        if isinstance(texts, Mapping):
            return str(texts.get(language) or texts.get("fi") or name)
        return name

    def evaluate(self, name: str, context: GuardContext) -> Verdict:
        """One guard's verdict; a guard answers with exactly one (else it denies)."""
        verdicts = ask(
            name,
            lambda: self._guards[name](context=context),
            where=f"guard on journey {context.journey.id}",
            keep_none=True,
        )
        return verdicts[0] if len(verdicts) == 1 else Verdict.failed(name)


def ask(
    rule: str, call: Callable[[], Any], *, where: str, keep_none: bool = False
) -> list[Verdict]:
    """Ask one rule (a guard, a referral rule) for its verdicts: the fail-closed code path.

    A rule that raises denies and is logged with ``where``, the exception type and the stack
    frames, never the exception's message or the arguments (they may hold client data). The
    answer is read by :func:`verdicts_of`.
    """
    try:
        answer = call()
    except Exception as exc:
        log_failure(log, exc, "%s failed in %s, denying", rule, where)
        return [Verdict.failed(rule)]
    return verdicts_of(rule, answer, where=where, keep_none=keep_none)


def verdicts_of(rule: str, answer: Any, *, where: str, keep_none: bool = False) -> list[Verdict]:
    """A rule's or plugin's answer as verdicts: a :class:`Verdict`, ``True``/``False``, ``None``
    or a list of them. ``None`` ("no opinion") is dropped unless ``keep_none``; anything else
    denies and is logged (fail closed)."""
    answers = answer if isinstance(answer, list) else [answer]
    try:
        return [coerce_verdict(rule, a) for a in answers if keep_none or a is not None]
    except TypeError as exc:  # our own message: names the rule and the type, no data
        log.error("%s in %s; denying", exc, where)
        return [Verdict.failed(rule)]


def coerce_verdict(name: str, answer: Verdict | bool | None) -> Verdict:
    if isinstance(answer, Verdict):
        return answer
    if answer is None or isinstance(answer, bool):
        return Verdict(name, answer)
    raise TypeError(f"rule {name!r} returned {type(answer).__name__}, not a Verdict/bool/None")


def age_on(birth_date: date, today: date) -> int:
    """Age in whole years on ``today``."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - before_birthday


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
    age = age_on(birth, context.today)
    if 15 <= age <= 64:
        return Verdict.allow("working_age")
    return Verdict.deny(
        "working_age",
        fi=f"Asiakas on {age}-vuotias; toiminta on 15–64-vuotiaille.",
        sv=f"Klienten är {age} år; verksamheten är för 15–64-åringar.",
        en=f"The client is {age}; the service is for people aged 15-64.",
    )


def gas_goals_described(*, context: GuardContext) -> Verdict:
    """Goal setting (GAS practice, Kiresuk & Sherman 1968) starts from a goal whose five levels
    -2..+2 are described with the client: at least one such goal."""
    if has_described_goal(context.session, context.client.id):
        return Verdict.allow("gas_goals_described")
    return Verdict.deny(
        "gas_goals_described",
        fi="Asiakkaalla ei ole vielä tavoitetta, jonka kaikki viisi tasoa (−2…+2) on kuvattu.",
        sv="Klienten har ännu inget mål där alla fem nivåer (−2…+2) har beskrivits.",
        en="The client has no goal yet with all five levels (-2 to +2) described.",
    )


#: What each core guard checks, for people (the pathway page).
GUARD_TEXTS: dict[str, dict[str, str]] = {
    "participation_consent": {
        "fi": "Asiakkaan suostumus osallistumiseen on kirjattu",
        "sv": "Klientens samtycke till deltagande har registrerats",
        "en": "The client's agreement to take part is recorded",
    },
    "working_age": {
        "fi": "Asiakas on 15–64-vuotias (jos syntymäaika tiedetään)",
        "sv": "Klienten är 15–64 år (om födelsedatumet är känt)",
        "en": "The client is aged 15-64 (when the birth date is known)",
    },
    "gas_goals_described": {
        "fi": "Asiakkaalla on tavoite, jonka kaikki viisi tasoa on kuvattu",
        "sv": "Klienten har ett mål där alla fem nivåer har beskrivits",
        "en": "The client has a goal with all five levels described",
    },
}

CORE_GUARDS: dict[str, Callable[..., Any]] = {
    "participation_consent": participation_consent,
    "working_age": working_age,
    "gas_goals_described": gas_goals_described,
}


def core_registry() -> GuardRegistry:
    registry = GuardRegistry()
    for name, guard in CORE_GUARDS.items():
        registry.register(name, guard)
    return registry
