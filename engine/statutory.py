"""Statutory bases for disclosure (lakiperusteet): the named provisions under which a referral
packet may go to a partner without the client's consent. The rules and plugins provide them
(``polku_statutory_bases``); the coach chooses one from the list, never types one. Each has a
code (as written into the disclosure log), the law reference, labels in fi/sv/en and validity
dates, like every rule (DOMAIN.md: rules change over time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from engine.errors import InputRequired


@dataclass(frozen=True, slots=True)
class StatutoryBasis:
    """One provision: ``code`` e.g. ``"1301/2014:41§"`` (the disclosure log's basis),
    ``law_reference`` e.g. ``"Sosiaalihuoltolaki 1301/2014 41 §"``, ``label`` by language, valid
    from ``valid_from`` to ``valid_to`` inclusive (None: open-ended)."""

    code: str
    law_reference: str
    label: Mapping[str, str] = field(hash=False)
    valid_from: date | None = None
    valid_to: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class StatutoryBases:
    """The bases every plugin contributed, by code (built once per process)."""

    def __init__(self, bases: Mapping[str, StatutoryBasis]):
        self.bases = dict(bases)

    def valid_on(self, day: date) -> list[StatutoryBasis]:
        return [b for b in self.bases.values() if b.valid_on(day)]

    def check(self, code: str, day: date) -> StatutoryBasis:
        """The basis of ``code`` valid on ``day``; anything else (a typed "asdf", a provision
        not in force) is refused naming the valid codes."""
        basis = self.bases.get(code.strip())
        if basis is None or not basis.valid_on(day):
            valid = [b.code for b in self.valid_on(day)]
            raise InputRequired("statutory_basis", "choose a statutory basis from the list", valid)
        return basis
