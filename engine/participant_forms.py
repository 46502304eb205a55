"""ESF+ participant forms as versioned data (osallistujatiedot): ``forms/*.yaml``.

A form file (e.g. ``forms/esf_participant_2021_2027.yaml``) defines the entry form
(aloituslomake), the exit form (lopetuslomake) and the six-month follow-up, each a list of items
with their options, labels in fi/sv/en and why the item is asked, plus the long-term
unemployment rule with its source. The next programme period is a new file, not new code.

Loading checks the file (unknown item kinds, options missing, an ``only_if`` naming an unknown
item or option, duplicate keys, a form missing) and every problem names the file and the key;
a broken file stops start-up, like a broken pathway.

:func:`FormFile.check_answers` is the one rule for what an answer may be: the web page and the
command line both call it through :mod:`engine.participants`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InputRequired
from engine.pathway import PathwayProblem, _loc, _UniqueKeyLoader
from engine.settings import ROOT

FORMS_DIR = ROOT / "forms"
#: The programme period's form file used by new projects.
DEFAULT_FORM = "esf_participant_2021_2027"
#: The three forms every file has.
FORM_KINDS = ("entry", "exit", "follow_up")
#: The answer of a sensitive item the participant chose not to give (kieltäytyi vastaamasta).
DECLINED = "declined"
DECLINED_LABEL = {"fi": "Ei halua vastata", "sv": "Vill inte svara", "en": "Declined to answer"}
YES_NO = {
    "yes": {"fi": "Kyllä", "sv": "Ja", "en": "Yes"},
    "no": {"fi": "Ei", "sv": "Nej", "en": "No"},
}

Text = dict[Literal["fi", "sv", "en"], str]


class FormError(Exception):
    """A form file is broken. ``problems`` names each file and key."""

    def __init__(self, problems: Sequence[PathwayProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ItemDef(_Strict):
    """One question of a form."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    #: choice: one option; multi: one or more options; yes_no; date; client_birth_date: the
    #: client record's birth date (asked at intake, shown here, not stored twice).
    kind: Literal["choice", "multi", "yes_no", "date", "client_birth_date"]
    label: Text
    why: Text
    sensitive: bool = False
    options: dict[str, Text] = Field(default_factory=dict)
    #: For a multi item: the option that cannot be chosen with any other ("none of these").
    none_option: str | None = None
    #: Asked only when another item has this answer, e.g. {labour_market_status: unemployed}.
    only_if: dict[str, str] | None = None

    @model_validator(mode="after")
    def _options_fit_kind(self) -> ItemDef:
        if self.kind in ("choice", "multi") and not self.options:
            raise ValueError(f"item {self.key!r}: a {self.kind} item needs options")
        if self.kind not in ("choice", "multi") and self.options:
            raise ValueError(f"item {self.key!r}: a {self.kind} item has no options")
        if self.none_option is not None and (
            self.kind != "multi" or self.none_option not in self.options
        ):
            raise ValueError(f"item {self.key!r}: none_option must be one of a multi's options")
        if DECLINED in self.options:
            raise ValueError(f"item {self.key!r}: {DECLINED!r} is added to sensitive items")
        return self

    def choices(self) -> dict[str, Text]:
        """The answers offered, "declined to answer" last for a sensitive item."""
        base: dict[str, Any] = dict(YES_NO) if self.kind == "yes_no" else dict(self.options)
        if self.sensitive:
            base[DECLINED] = DECLINED_LABEL
        return base

    @property
    def stored(self) -> bool:
        return self.kind != "client_birth_date"


class FormDef(_Strict):
    label: Text
    when: Text
    items: list[ItemDef]
    #: The follow-up is due this many months after the exit.
    due_months: int | None = Field(default=None, ge=1, le=36)

    def item(self, key: str) -> ItemDef:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)


class LongTermRule(_Strict):
    """Pitkäaikaistyöttömyys: unemployed continuously for more than ``months`` months at entry
    (``young_months`` below ``young_below_age``)."""

    months: int = Field(ge=1, le=60)
    young_below_age: int = Field(ge=15, le=40)
    young_months: int = Field(ge=1, le=60)
    source: str = Field(min_length=10)
    #: Whether the rule has been checked against the funder's published definition.
    checked: bool = False

    def applies(self, *, unemployed_since: date, entered_on: date, age: int | None) -> bool:
        months = (
            self.young_months if age is not None and age < self.young_below_age else self.months
        )
        return _add_months(unemployed_since, months) < entered_on


class FormFileDef(_Strict):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    version: int = Field(ge=1)
    label: Text
    source: str
    long_term_unemployment: LongTermRule
    forms: dict[Literal["entry", "exit", "follow_up"], FormDef]

    @model_validator(mode="after")
    def _forms_complete(self) -> FormFileDef:
        missing = [k for k in FORM_KINDS if k not in self.forms]
        if missing:
            raise ValueError(f"forms missing: {', '.join(missing)}")
        if self.forms["follow_up"].due_months is None:
            raise ValueError("forms.follow_up needs due_months")
        return self


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has no such day)."""
    return _add_months(day, months)


@dataclass(frozen=True)
class FormFile:
    """A loaded, checked form file."""

    definition: FormFileDef
    path: str

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def long_term(self) -> LongTermRule:
        return self.definition.long_term_unemployment

    def form(self, kind: str) -> FormDef:
        if kind not in FORM_KINDS:
            raise KeyError(kind)
        return self.definition.forms[kind]  # type: ignore[index]

    def check_answers(self, kind: str, answers: Mapping[str, Any]) -> dict[str, Any]:
        """The answers of one form as stored: every value checked against the item; an item
        not answered is left out (a gap, never a default). Raises :class:`InputRequired` naming
        the item."""
        form = self.form(kind)
        known = {i.key for i in form.items if i.stored}
        for key in answers:
            if key not in known:
                raise InputRequired(key, f"{key}: not an item of the {kind} form")
        clean: dict[str, Any] = {}
        for item in form.items:
            if not item.stored or item.key not in answers:
                continue
            value = answers[item.key]
            if value is None or value == "" or value == []:
                continue
            clean[item.key] = _check_value(item, value)
        for item in form.items:
            if item.only_if and item.key in clean:
                for other, wanted in item.only_if.items():
                    if clean.get(other) != wanted:
                        raise InputRequired(item.key, f"{item.key}: only when {other} is {wanted}")
        return clean


def _check_value(item: ItemDef, value: Any) -> Any:
    allowed = list(item.choices())
    if item.kind == "multi":
        values = [value] if isinstance(value, str) else list(value)
        if not all(isinstance(v, str) and v in allowed for v in values):
            raise InputRequired(item.key, f"{item.key}: not one of the options", allowed)
        chosen = [v for v in allowed if v in values]
        exclusive = {item.none_option, DECLINED} - {None}
        if len(chosen) > 1 and exclusive & set(chosen):
            raise InputRequired(item.key, f"{item.key}: 'none of these' goes alone")
        return chosen
    if item.kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise InputRequired(item.key, f"{item.key}: not a date") from None
    if not isinstance(value, str) or value not in allowed:
        raise InputRequired(item.key, f"{item.key}: not one of the options", allowed)
    return value


@functools.lru_cache(maxsize=32)
def parse_form_file(text: str, file: str) -> FormFileDef:
    """Parse and check one form file; raise :class:`FormError` naming the file and the key.
    Kept by content (the definition is frozen): every runtime of a process shares the parse of
    an unchanged file; a changed or broken file is parsed afresh."""
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise FormError([PathwayProblem(file, where, f"bad YAML: {problem}")]) from None
    if not isinstance(raw, dict):
        raise FormError([PathwayProblem(file, "(top)", "expected a mapping")])
    try:
        definition = FormFileDef.model_validate(raw)
    except ValidationError as exc:
        problems = [PathwayProblem(file, _loc(e["loc"]), e["msg"]) for e in exc.errors()]
        raise FormError(problems) from None
    problems = []
    for kind, form in definition.forms.items():
        seen: set[str] = set()
        for i, item in enumerate(form.items):
            where = f"forms.{kind}.items[{i}]"
            if item.key in seen:
                problems.append(PathwayProblem(file, where, f"duplicate item {item.key!r}"))
            seen.add(item.key)
            for other, wanted in (item.only_if or {}).items():
                try:
                    target = form.item(other)
                except KeyError:
                    problems.append(PathwayProblem(file, f"{where}.only_if", f"no item {other!r}"))
                    continue
                if wanted not in target.choices():
                    problems.append(
                        PathwayProblem(file, f"{where}.only_if", f"{other} has no {wanted!r}")
                    )
    if problems:
        raise FormError(problems)
    return definition


def load_form_file(path: Path) -> FormFile:
    return FormFile(parse_form_file(path.read_text(encoding="utf-8"), path.name), path.name)


def load_forms(directory: Path = FORMS_DIR) -> dict[str, FormFile]:
    """Every form file of ``directory`` by key; every broken file's problems at once."""
    found: dict[str, FormFile] = {}
    problems: list[PathwayProblem] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name.endswith(".indicators.yaml"):
            continue
        try:
            loaded = load_form_file(path)
        except FormError as exc:
            problems.extend(exc.problems)
            continue
        if loaded.key in found:
            problems.append(PathwayProblem(path.name, "key", f"duplicate form key {loaded.key!r}"))
        found[loaded.key] = loaded
    if problems:
        raise FormError(problems)
    return found
