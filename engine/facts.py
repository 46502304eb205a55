"""Dated facts about a client (asiakkaan tiedot) that referral rules read.

Plugins define which facts exist (``polku_fact_definitions``: key, type, labels fi/sv/en); the
coach records them with the date from which they hold; rules read the facts as of the day they
are evaluated. A change is a new row, so both "what holds on 1.3.2025 as now recorded" and "what
did we know on 1.3.2025, before later corrections" (``known_at``) can always be answered.
See :class:`engine.models.ClientFact`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import select
from sqlmodel import Session, col

from engine.clock import Clock
from engine.errors import InputRequired, NotFound
from engine.models import Client, ClientFact

FactKind = Literal["date", "bool", "int", "choice", "text"]
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TEXT_MAX = 500
_TRUE = {"true", "yes", "1", "kyllä"}
_FALSE = {"false", "no", "0", "ei"}


@dataclass(frozen=True, slots=True)
class FactDefinition:
    """A kind of fact a plugin's rules read.

    ``kind`` is ``date`` (ISO text), ``bool``, ``int`` (not negative), ``choice`` (one of the keys
    of ``choices``) or ``text`` (up to 500 characters). ``label`` and each choice's labels are
    ``{"fi", "sv", "en"}``.
    """

    key: str
    kind: FactKind
    label: Mapping[str, str]
    choices: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not KEY_PATTERN.match(self.key):
            raise ValueError(f"fact key {self.key!r} is not a lower-case identifier")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"fact {self.key!r}: choices go with kind 'choice' only")

    def clean(self, value: object) -> str:
        """Validate an input value; return its canonical text. Raises ValueError."""
        if self.kind == "bool":
            if isinstance(value, bool):
                return "true" if value else "false"
            text = str(value).strip().lower()
            if text in _TRUE | _FALSE:
                return "true" if text in _TRUE else "false"
            raise ValueError("expected true or false")
        if self.kind == "int":
            if isinstance(value, bool):
                raise ValueError("expected a whole number")
            try:
                number = int(str(value).strip())
            except ValueError:
                raise ValueError("expected a whole number") from None
            if number < 0:
                raise ValueError("expected a number of at least 0")
            return str(number)
        if self.kind == "date":
            if isinstance(value, date):
                return value.isoformat()
            try:
                return date.fromisoformat(str(value).strip()).isoformat()
            except ValueError:
                raise ValueError("expected a date as YYYY-MM-DD") from None
        text = str(value).strip()
        if self.kind == "choice":
            if text not in self.choices:
                raise ValueError("expected one of: " + ", ".join(self.choices))
            return text
        if not text or len(text) > TEXT_MAX:
            raise ValueError(f"expected text of 1 to {TEXT_MAX} characters")
        return text

    def parse(self, text: str) -> Any:
        """The typed value of stored canonical text."""
        if self.kind == "bool":
            return text == "true"
        if self.kind == "int":
            return int(text)
        if self.kind == "date":
            return date.fromisoformat(text)
        return text

    def text(self, language: str = "fi") -> str:
        return self.label.get(language) or self.label.get("fi") or self.key


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact as rules see it: the typed value and when it holds from."""

    key: str
    value: Any
    valid_from: date
    recorded_at: datetime | None = None
    recorded_by: int | None = None


class Facts(Mapping[str, Fact]):
    """A client's facts as of one date: the latest value per key; unknown keys are absent."""

    def __init__(
        self,
        definitions: Mapping[str, FactDefinition],
        facts: Mapping[str, Fact],
        as_of: date,
    ):
        self.definitions = definitions
        self._facts = dict(facts)
        self.as_of = as_of

    @classmethod
    def from_values(
        cls,
        definitions: Mapping[str, FactDefinition],
        values: Mapping[str, object],
        as_of: date,
    ) -> Facts:
        """Facts from plain values (tests, ``polku plugins try``), validated like recorded ones."""
        facts = {}
        for key, value in values.items():
            definition = _definition(definitions, key)
            facts[key] = Fact(key, definition.parse(_clean(definition, value)), as_of)
        return cls(definitions, facts, as_of)

    def __getitem__(self, key: str) -> Fact:
        return self._facts[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._facts)

    def __len__(self) -> int:
        return len(self._facts)

    def value(self, key: str, default: Any = None) -> Any:
        fact = self._facts.get(key)
        return default if fact is None else fact.value

    def label(self, key: str, language: str = "fi") -> str:
        definition = self.definitions.get(key)
        return definition.text(language) if definition else key


def _definition(definitions: Mapping[str, FactDefinition], key: str) -> FactDefinition:
    definition = definitions.get(key)
    if definition is None:
        raise InputRequired("key", f"unknown fact {key!r}", sorted(definitions))
    return definition


def _clean(definition: FactDefinition, value: object) -> str:
    try:
        return definition.clean(value)
    except ValueError as exc:
        raise InputRequired("value", f"{definition.key}: {exc}") from None


class ClientFacts:
    """Record and read clients' facts. Built once per process by the runtime."""

    def __init__(self, definitions: Mapping[str, FactDefinition], clock: Clock | None = None):
        self.definitions = dict(definitions)
        self.clock = clock or Clock()

    def record(
        self,
        session: Session,
        *,
        client_id: int,
        key: str,
        value: object | None,
        valid_from: date | None = None,
        recorded_by: int | None = None,
        at: datetime | None = None,
    ) -> ClientFact:
        """Add a fact (``None`` clears it from ``valid_from`` on). Raises NotFound or
        InputRequired (unknown key, a value of the wrong type)."""
        definition = _definition(self.definitions, key)
        text = None if value is None else _clean(definition, value)
        _require_client(session, client_id)
        now = at or self.clock.now()
        fact = ClientFact(
            client_id=client_id,
            key=key,
            value=text,
            valid_from=valid_from or self.clock.local_date(now),
            recorded_at=now,
            recorded_by=recorded_by,
        )
        session.add(fact)
        session.flush()
        return fact

    def history(self, session: Session, client_id: int) -> list[ClientFact]:
        """Every recorded fact row, by key, then valid_from and recording order."""
        _require_client(session, client_id)
        stmt = (
            select(ClientFact)
            .where(col(ClientFact.client_id) == client_id)
            .order_by(
                col(ClientFact.key),
                col(ClientFact.valid_from),
                col(ClientFact.recorded_at),
                col(ClientFact.id),
            )
        )
        return list(session.execute(stmt).scalars())

    def current_rows(
        self,
        session: Session,
        client_id: int,
        *,
        as_of: date | None = None,
        known_at: datetime | None = None,
    ) -> list[ClientFact]:
        """The rows in force as of ``as_of`` (default today): per key the row with the latest
        ``valid_from`` on or before it, the latest recorded on a tie. With ``known_at``, only
        rows recorded by then count: what was known at that moment, before later corrections.
        Cleared facts (``None``) and keys that no plugin defines any more are left out."""
        _require_client(session, client_id)
        conditions = [
            col(ClientFact.client_id) == client_id,
            col(ClientFact.valid_from) <= (as_of or self.clock.today()),
        ]
        if known_at is not None:
            conditions.append(col(ClientFact.recorded_at) <= known_at)
        stmt = (
            select(ClientFact)
            .where(*conditions)
            .order_by(
                col(ClientFact.key),
                col(ClientFact.valid_from).desc(),
                col(ClientFact.recorded_at).desc(),
                col(ClientFact.id).desc(),
            )
        )
        latest: dict[str, ClientFact] = {}
        for row in session.execute(stmt).scalars():
            latest.setdefault(row.key, row)
        return [
            row for row in latest.values() if row.value is not None and row.key in self.definitions
        ]

    def current(self, session: Session, client_id: int, *, as_of: date | None = None) -> Facts:
        """The client's facts as of ``as_of`` (default today), typed, for rules to read."""
        as_of = as_of or self.clock.today()
        facts = {}
        for row in self.current_rows(session, client_id, as_of=as_of):
            assert row.value is not None
            value = self.definitions[row.key].parse(row.value)
            facts[row.key] = Fact(row.key, value, row.valid_from, row.recorded_at, row.recorded_by)
        return Facts(self.definitions, facts, as_of)


def _require_client(session: Session, client_id: int) -> Client:
    client = session.get(Client, client_id)
    if client is None:
        raise NotFound(f"client {client_id} not found")
    return client
