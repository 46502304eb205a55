"""Pathway definitions: load YAML, validate it, and build one shared state machine per version.

A pathway file (``pathways/*.yaml``) is data only: states with labels in fi/sv/en, transitions
with trigger, source, destination and guard names, and a version. Loading checks everything that
``transitions`` itself would only discover when a trigger fires (unknown states, unknown guards,
unreachable states...), and every error names the file and the key.

One :class:`transitions.Machine` is built per (pathway, version) with ``model=None``: requests fire
``machine.events[trigger].trigger(probe)`` on a tiny throwaway :class:`Probe`, never on ORM rows.
The machine is pure: its only callbacks are guard checks, which record verdicts and write nothing.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator
from transitions import Machine

from engine.guards import LANGUAGES, GuardContext, Verdict

# transitions logs every state change at INFO: noise, and a cost on the hot path.
logging.getLogger("transitions").setLevel(logging.WARNING)

#: Trigger names the engine writes itself (a journey's start, a version migration).
RESERVED_TRIGGERS = frozenset({"start", "migrate_version"})

FUNNEL_STAGES = ("contacted", "engaged", "goals", "active", "referred", "on_pathway")
IDENT = r"^[a-z][a-z0-9_]*$"


class LocalText(BaseModel):
    """A label in every UI language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    fi: str = Field(min_length=1)
    sv: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, language: str) -> str:
        return str(getattr(self, language, None) or self.fi)


class StateDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: LocalText
    description: LocalText | None = None
    final: bool = False
    #: Which funnel stage (DOMAIN.md) entering this state proves; counted from the event log.
    funnel: Literal["contacted", "engaged", "goals", "active", "referred", "on_pathway"] | None = (
        None
    )


class TransitionDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    trigger: str = Field(pattern=IDENT)
    label: LocalText
    source: list[str]
    dest: list[str]
    #: Return to the state the journey was in before entering the source (e.g. resume a pause).
    #: ``dest`` then lists every state it may return to.
    returns_to_previous: bool = False
    guards: list[str] = Field(default_factory=list)
    reason: Literal["required", "optional"] = "optional"
    #: Outcome codes (keys of the pathway's ``outcomes``) one of which must be given.
    outcomes: list[str] = Field(default_factory=list)
    #: Fired only by this engine service (e.g. ``referral``: sending or moving a follow-on
    #: referral), never on its own: ``Journeys.advance`` refuses it without ``via=`` that name.
    moved_by: str | None = Field(default=None, pattern=IDENT)

    @field_validator("source", "dest", mode="before")
    @classmethod
    def _listify(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def _increasing(months: list[int]) -> list[int]:
    if any(later <= earlier for earlier, later in pairwise(months)):
        raise ValueError("months are listed in increasing order, each once")
    return months


#: Months after a follow-on pathway started at which the coach checks in: 1..60, increasing.
Months = Annotated[
    list[Annotated[int, Field(ge=1, le=60)]],
    Field(min_length=1, max_length=12),
    AfterValidator(_increasing),
]
#: The default check-ins (jälkiseuranta): one, three and six months after the start.
DEFAULT_AFTERCARE_MONTHS = (1, 3, 6)


class AftercareDef(BaseModel):
    """Aftercare (jälkiseuranta): check-in reminders for the coach after a follow-on pathway
    starts (the journey enters ``starts_in``), at ``months`` after the start -- by the follow-on
    pathway's type (the partner service type of the referral, ``by_type``), ``months`` for the
    types not named. They run while the journey stays in ``continues_in`` and stop when it
    leaves (closes, or the referral returns)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    starts_in: str
    continues_in: list[str]
    months: Months = Field(default_factory=lambda: list(DEFAULT_AFTERCARE_MONTHS))
    by_type: dict[str, Months] = Field(default_factory=dict)

    def months_for(self, service_type: str | None) -> tuple[int, ...]:
        return tuple(self.by_type.get(service_type or "", self.months))


class PathwayDef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    pathway: str = Field(pattern=IDENT)
    version: int = Field(ge=1)
    title: LocalText
    initial: str
    states: dict[str, StateDef]
    transitions: list[TransitionDef]
    outcomes: dict[str, LocalText] = Field(default_factory=dict)
    #: Aftercare check-ins after a follow-on pathway starts (client journey only).
    aftercare: AftercareDef | None = None


@dataclass(frozen=True)
class PathwayProblem:
    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.message}"


class PathwayError(Exception):
    """A pathway file is broken. ``problems`` names each file and key."""

    def __init__(self, problems: Sequence[PathwayProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


#: libyaml's parser when PyYAML was built with it (the wheels are): a runtime parses every
#: pathway and form file at start, ~3x faster than the pure-Python parser
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """SafeLoader that refuses duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top)"


def parse_pathway(text: str, file: str) -> PathwayDef:
    """Parse and schema-check one file; raise :class:`PathwayError` naming file and key."""
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise PathwayError([PathwayProblem(file, where, f"bad YAML: {problem}")]) from None
    if not isinstance(raw, dict):
        raise PathwayError([PathwayProblem(file, "(top)", "expected a mapping of pathway keys")])
    try:
        return PathwayDef.model_validate(raw)
    except ValidationError as exc:
        problems = [PathwayProblem(file, _loc(e["loc"]), e["msg"]) for e in exc.errors()]
        raise PathwayError(problems) from None


def check_pathway(
    definition: PathwayDef, file: str, guard_names: AbstractSet[str]
) -> list[PathwayProblem]:
    """Semantic checks: states, reachability, duplicate triggers, guards, outcomes."""
    problems: list[PathwayProblem] = []
    states = definition.states

    def problem(key: str, message: str) -> None:
        problems.append(PathwayProblem(file, key, message))

    for name in states:
        if not _is_ident(name):
            problem(f"states.{name}", "state names are lower_snake_case identifiers")
    if definition.initial not in states:
        problem("initial", f"initial state {definition.initial!r} is not defined in states")
    seen: dict[tuple[str, str], int] = {}
    outgoing: dict[str, int] = dict.fromkeys(states, 0)
    for i, t in enumerate(definition.transitions):
        key = f"transitions[{i}]"
        if t.trigger in RESERVED_TRIGGERS:
            problem(f"{key}.trigger", f"{t.trigger!r} is reserved for the engine's own events")
        for s in t.source:
            if s not in states:
                problem(f"{key}.source", f"unknown state {s!r}")
                continue
            outgoing[s] += 1
            if states[s].final:
                problem(f"{key}.source", f"{s!r} is a final state and cannot be left")
            if (t.trigger, s) in seen:
                first = seen[(t.trigger, s)]
                problem(
                    f"{key}.trigger",
                    f"duplicate trigger {t.trigger!r} from {s!r} (also transitions[{first}])",
                )
            else:
                seen[(t.trigger, s)] = i
        for d in t.dest:
            if d not in states:
                problem(f"{key}.dest", f"unknown state {d!r}")
        if len(t.dest) > 1 and not t.returns_to_previous:
            problem(f"{key}.dest", "several destinations need returns_to_previous: true")
        if not t.dest:
            problem(f"{key}.dest", "no destination")
        for g in t.guards:
            if g not in guard_names:
                known = ", ".join(sorted(guard_names)) or "none"
                problem(f"{key}.guards", f"unknown guard name {g!r} (known: {known})")
        for o in t.outcomes:
            if o not in definition.outcomes:
                problem(f"{key}.outcomes", f"unknown outcome {o!r}; define it under outcomes")
    if definition.aftercare is not None:
        problems += _aftercare_problems(definition.aftercare, states, file)
    for name, state in states.items():
        if not state.final and outgoing.get(name, 0) == 0:
            problem(f"states.{name}", "not final, but no transition leaves it")
    if definition.initial in states:
        reachable = _reachable(definition)
        for name in states:
            if name not in reachable:
                problem(f"states.{name}", f"unreachable from initial state {definition.initial!r}")
    return problems


def _aftercare_problems(
    aftercare: AftercareDef, states: dict[str, StateDef], file: str
) -> list[PathwayProblem]:
    """The aftercare section names known states (the start among those it continues in) and
    follow-on pathway types only."""
    from engine.partner_catalogue import FOLLOW_ON_TYPES

    problems = []
    if aftercare.starts_in not in states:
        problems.append(
            PathwayProblem(file, "aftercare.starts_in", f"unknown state {aftercare.starts_in!r}")
        )
    elif aftercare.starts_in not in aftercare.continues_in:
        problems.append(
            PathwayProblem(file, "aftercare.continues_in", f"must include {aftercare.starts_in!r}")
        )
    for i, name in enumerate(aftercare.continues_in):
        if name not in states:
            problems.append(
                PathwayProblem(file, f"aftercare.continues_in[{i}]", f"unknown state {name!r}")
            )
        elif states[name].final:
            problems.append(
                PathwayProblem(
                    file, f"aftercare.continues_in[{i}]", f"{name!r} is final: aftercare stops"
                )
            )
    for kind in aftercare.by_type:
        if kind not in FOLLOW_ON_TYPES:
            known = ", ".join(sorted(FOLLOW_ON_TYPES))
            problems.append(
                PathwayProblem(
                    file,
                    f"aftercare.by_type.{kind}",
                    f"not a follow-on pathway type (known: {known})",
                )
            )
    return problems


def _is_ident(name: str) -> bool:
    return re.fullmatch(IDENT, name) is not None


def _reachable(definition: PathwayDef) -> set[str]:
    edges: dict[str, set[str]] = {}
    for t in definition.transitions:
        for s in t.source:
            edges.setdefault(s, set()).update(t.dest)
    seen = {definition.initial}
    queue = deque([definition.initial])
    while queue:
        for nxt in edges.get(queue.popleft(), ()):
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


class Probe:
    """The throwaway model a shared machine fires on: just a state."""

    __slots__ = ("state",)

    def __init__(self, state: str):
        self.state = state


#: Evaluates a transition's guards (by name) plus any plugin checks; returns every verdict.
Evaluator = Callable[[GuardContext, Sequence[str]], list[Verdict]]


@dataclass
class Attempt:
    """What firing a trigger on a probe produced (no side effects happened)."""

    trigger: str
    source: str
    dest: str | None
    transition: TransitionDef | None
    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.dest is not None


class Pathway:
    """A validated pathway version with its one shared machine."""

    def __init__(self, definition: PathwayDef, file: str):
        self.definition = definition
        self.file = file
        self.key = definition.pathway
        self.version = definition.version
        self.states = definition.states
        self.funnel_rank = funnel_ranks(self.key, definition.states)
        self._by_trigger_source: dict[tuple[str, str], TransitionDef] = {}
        self._triggers_from: dict[str, list[str]] = {s: [] for s in definition.states}
        for t in definition.transitions:
            for s in t.source:
                self._by_trigger_source[(t.trigger, s)] = t
                self._triggers_from[s].append(t.trigger)
        self.machine = self._build_machine()

    def _build_machine(self) -> Machine:
        machine = Machine(
            model=None,
            states=list(self.states),
            initial=self.definition.initial,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for t in self.definition.transitions:
            for dest in t.dest:
                conditions: list[Callable[[Any], bool]] = []
                if t.returns_to_previous:
                    conditions.append(_returns_to(dest))
                conditions.append(_guarded(t.guards))
                machine.add_transition(
                    t.trigger,
                    list(t.source),
                    dest,
                    conditions=conditions,  # type: ignore[arg-type]
                )
        return machine

    def triggers_from(self, state: str) -> list[str]:
        """Triggers defined from ``state``, in file order (before any guard is asked)."""
        return list(self._triggers_from.get(state, ()))

    def moved_by(self, trigger: str) -> TransitionDef | None:
        """A transition of ``trigger`` (from any state) that only an engine service fires."""
        return next(
            (t for t in self.definition.transitions if t.trigger == trigger and t.moved_by),
            None,
        )

    def transition(self, trigger: str, source: str) -> TransitionDef | None:
        return self._by_trigger_source.get((trigger, source))

    def attempt(self, trigger: str, context: GuardContext, evaluate: Evaluator) -> Attempt:
        """Fire ``trigger`` on a probe in ``context.source``; pure apart from guard reads."""
        source = context.source
        transition = self.transition(trigger, source)
        if transition is None:
            return Attempt(trigger, source, None, None)
        if transition.returns_to_previous and context.previous_state not in transition.dest:
            return Attempt(trigger, source, None, transition, [_no_previous(context)])
        probe = Probe(source)
        verdicts: list[Verdict] = []
        moved = self.machine.events[trigger].trigger(
            probe, context=context, evaluate=evaluate, verdicts=verdicts
        )
        dest = probe.state if moved and _passed(verdicts) else None
        return Attempt(trigger, source, dest, transition, verdicts)

    def label(self, state: str, language: str) -> str:
        return self.states[state].label.get(language)


#: Funnel stages a client journey never proves on its own: they are counted from follow-on
#: referrals (a referral journey proves "referred" from its start, "on pathway" once the partner
#: started or completed the work).
FROM_REFERRALS = ("referred", "on_pathway")
REFERRAL_STARTED = ("in_progress", "completed")


def funnel_ranks(key: str, states: Mapping[str, StateDef]) -> dict[str, int]:
    """What entering each state proves, as an index into :data:`FUNNEL_STAGES` (states that
    prove nothing are absent): a state's ``funnel:`` (never "referred"/"on pathway", which only
    referrals prove); every state of the referral pathway proves "referred", and its started
    states "on pathway". ``journey.furthest_stage`` is the maximum over a journey's events."""
    if key == "referral":  # engine.pathway_keys.REFERRAL
        referred, on_pathway = FUNNEL_STAGES.index("referred"), FUNNEL_STAGES.index("on_pathway")
        return {name: on_pathway if name in REFERRAL_STARTED else referred for name in states}
    return {
        name: FUNNEL_STAGES.index(state.funnel)
        for name, state in states.items()
        if state.funnel is not None and state.funnel not in FROM_REFERRALS
    }


def furthest(current: int | None, rank: int | None) -> int | None:
    """``journey.furthest_stage`` after entering a state of ``rank``."""
    if rank is None:
        return current
    return rank if current is None or rank > current else current


def _no_previous(context: GuardContext) -> Verdict:
    previous = context.previous_state or "-"
    return Verdict.deny(
        "returns_to_previous",
        fi=f"Paluu edelliseen tilaan ({previous}) ei ole mahdollinen tästä.",
        sv=f"Återgång till föregående tillstånd ({previous}) är inte möjlig härifrån.",
        en=f"Returning to the previous state ({previous}) is not possible from here.",
    )


def _passed(verdicts: list[Verdict]) -> bool:
    return not any(v.allowed is False for v in verdicts)


def _returns_to(dest: str) -> Callable[[Any], bool]:
    def check(event: Any) -> bool:
        return bool(event.kwargs["context"].previous_state == dest)

    return check


def _guarded(names: Sequence[str]) -> Callable[[Any], bool]:
    names = tuple(names)

    def check(event: Any) -> bool:
        context: GuardContext = event.kwargs["context"]
        context.dest = event.transition.dest
        found = event.kwargs["evaluate"](context, names)
        event.kwargs["verdicts"][:] = found
        return _passed(found)

    return check


#: "any of N states" / "back where it was", for grouped edges in diagrams.
_GROUP_TEXT = {
    "fi": ("mistä tahansa {n} tilasta", "takaisin edelliseen tilaan"),
    "sv": ("från vilket som helst av {n} tillstånd", "tillbaka till föregående tillstånd"),
    "en": ("from any of {n} states", "back to where it was"),
}


def diagram(
    pathway: Pathway, language: str = "en", current: str | None = None, *, group_from: int = 4
) -> str:
    """A Mermaid ``stateDiagram-v2`` of the pathway; ``current`` is highlighted.

    A transition with ``group_from`` or more sources (pause, drop out, close...) is drawn once,
    from a small grouping node, and a return-to-previous transition once, to one; otherwise
    those edges would bury the journey's main line. The text list of transitions that goes with
    a diagram in the UI stays complete.
    """
    d = pathway.definition
    many, back = _GROUP_TEXT.get(language, _GROUP_TEXT["en"])
    lines = ["stateDiagram-v2"]
    for name, state in d.states.items():
        label = state.label.get(language).replace('"', "'")
        lines.append(f'    state "{label}" as {name}')
    lines.append(f"    [*] --> {d.initial}")
    grouped: list[str] = []
    for i, t in enumerate(d.transitions):
        label = t.label.get(language).replace(":", " ")
        sources, dests = list(t.source), list(t.dest)
        if len(sources) >= group_from:
            node = f"__group_{i}_from"  # never a state name (those start with a letter)
            lines.append(f'    state "{many.format(n=len(sources))}" as {node}')
            grouped.append(node)
            sources = [node]
        if t.returns_to_previous and len(dests) > 1:
            node = f"__group_{i}_back"
            lines.append(f'    state "{back}" as {node}')
            grouped.append(node)
            dests = [node]
        for s in sources:
            for dest in dests:
                lines.append(f"    {s} --> {dest} : {label}")
    for name, state in d.states.items():
        if state.final:
            lines.append(f"    {name} --> [*]")
    if grouped:
        lines.append("    classDef group fill:#f4f6f8,stroke:#8a99a8,stroke-dasharray:4 3")
        lines.append(f"    class {','.join(grouped)} group")
    if current:
        lines.append("    classDef current fill:#ffd54f,stroke:#333,stroke-width:2px")
        lines.append(f"    class {current} current")
    return "\n".join(lines) + "\n"


class PathwayRegistry:
    """Every loaded pathway version, keyed by (key, version)."""

    def __init__(self) -> None:
        self._pathways: dict[tuple[str, int], Pathway] = {}

    def add(self, pathway: Pathway) -> None:
        k = (pathway.key, pathway.version)
        if k in self._pathways:
            other = self._pathways[k].file
            raise PathwayError(
                [
                    PathwayProblem(
                        pathway.file,
                        "version",
                        f"{pathway.key} version {pathway.version} is also defined in {other}",
                    )
                ]
            )
        self._pathways[k] = pathway

    def get(self, key: str, version: int | None = None) -> Pathway:
        if version is None:
            return self.latest(key)
        try:
            return self._pathways[(key, version)]
        except KeyError:
            raise KeyError(f"pathway {key!r} version {version} is not loaded") from None

    def latest(self, key: str) -> Pathway:
        versions = [p for (k, _v), p in self._pathways.items() if k == key]
        if not versions:
            raise KeyError(f"pathway {key!r} is not loaded")
        return max(versions, key=lambda p: p.version)

    def keys(self) -> list[str]:
        return sorted({k for k, _ in self._pathways})

    def __iter__(self) -> Any:
        return iter(self._pathways.values())


def load_files(
    files: Iterable[Path], guard_names: set[str]
) -> tuple[list[Pathway], list[PathwayProblem]]:
    """Load and check files; return the good pathways and every problem found."""
    pathways: list[Pathway] = []
    problems: list[PathwayProblem] = []
    guards = frozenset(guard_names)
    for path in files:
        file = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            problems.append(PathwayProblem(file, "(file)", f"cannot read: {exc.strerror}"))
            continue
        pathway, found = load_text(text, file, guards)
        problems.extend(found)
        if pathway is not None:
            pathways.append(pathway)
    return pathways, problems


@functools.lru_cache(maxsize=64)
def load_text(
    text: str, file: str, guard_names: frozenset[str]
) -> tuple[Pathway | None, tuple[PathwayProblem, ...]]:
    """One file's text parsed, checked and built, or its problems. Kept by content: every
    runtime of a process (a test suite builds thousands) shares the parse and the machine of an
    unchanged file, as the threads of one runtime already do (a :class:`Pathway` holds no
    per-request state); a changed file or another set of guards is parsed afresh."""
    try:
        definition = parse_pathway(text, file)
    except PathwayError as exc:
        return None, tuple(exc.problems)
    found = check_pathway(definition, file, guard_names)
    if found:
        return None, tuple(found)
    return Pathway(definition, file), ()


def pathway_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml"))


__all__ = [
    "FUNNEL_STAGES",
    "LANGUAGES",
    "Attempt",
    "Pathway",
    "PathwayDef",
    "PathwayError",
    "PathwayProblem",
    "PathwayRegistry",
    "diagram",
    "load_files",
    "load_text",
    "parse_pathway",
]
