"""The one place that builds the pluggy PluginManager, and the ways the engine asks plugins.

Order: the core's own hookimpls (:mod:`engine.defaults`), the built-in plugins shipped in
``plugins/``, then setuptools entry points in group ``polku``. ``POLKU_PLUGINS`` (comma-separated
names) restricts which non-core plugins load; ``POLKU_TRACE_HOOKS=1`` traces every hook call to
the ``polku.hooks`` logger (hook and plugin names only: the arguments hold client data).

Two ways to ask plugins:

- :func:`ask_each` asks every implementation separately, so that one raising plugin is logged
  and reported while the others still answer (decisions at request time fail closed on it);
- :func:`collect_records` gathers the static contributions (municipalities, rules, fact
  definitions, instruments) once at start-up, where a raising plugin or two plugins claiming the
  same key stop start-up with a message naming them.
"""

from __future__ import annotations

import importlib
import logging
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any, TypeVar

import pluggy

from engine import hookspecs
from engine.errors import log_failure

log = logging.getLogger("polku.plugins")
hook_log = logging.getLogger("polku.hooks")

CORE_PLUGINS = ("engine.defaults",)
#: Built-in plugins shipped in the plugins/ folder (module paths): national rules first, then
#: one module per region of the seed municipalities.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "plugins.national",
    "plugins.etela_karjala",
    "plugins.lappi",
    "plugins.pohjois_pohjanmaa",
    "plugins.etela_savo",
    "plugins.keski_pohjanmaa",
)
ENTRY_POINT_GROUP = "polku"

R = TypeVar("R")

#: Plugin managers built with tracing on (POLKU_TRACE_HOOKS).
_traced: weakref.WeakSet[pluggy.PluginManager] = weakref.WeakSet()


def refuse_wrappers(pm: pluggy.PluginManager) -> None:
    """Polku asks every plugin separately (:func:`ask_each`), so a hook wrapper would never run:
    a wrapper meant to deny would fail open. Refuse them at start-up instead."""
    for name in pm.hook.__dict__:
        caller = getattr(pm.hook, name)
        for impl in caller.get_hookimpls():
            if impl.wrapper or impl.hookwrapper:
                raise PluginError(
                    f"plugin {impl.plugin_name}: {name} is a hook wrapper; Polku asks each "
                    "plugin separately, so write a plain hook implementation"
                )


class PluginError(Exception):
    """A plugin's static contribution is broken; start-up stops, naming the plugin."""


def _wanted(name: str, only: set[str]) -> bool:
    return not only or name in only or name.rsplit(".", 1)[-1] in only


def build_plugin_manager(*, only: str = "", trace: bool = False) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("polku")
    pm.add_hookspecs(hookspecs)
    restrict = {n.strip() for n in only.split(",") if n.strip()}
    for name in CORE_PLUGINS:
        pm.register(importlib.import_module(name), name=name)
    for name in BUILTIN_PLUGINS:
        if _wanted(name, restrict):
            pm.register(importlib.import_module(name), name=name)
    if restrict:
        # load_setuptools_entrypoints loads every entry point; filter by name first.
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in restrict and pm.get_plugin(ep.name) is None:
                pm.register(ep.load(), name=ep.name)
    else:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    if trace:
        enable_tracing(pm)
    pm.check_pending()
    refuse_wrappers(pm)
    return pm


def enable_tracing(pm: pluggy.PluginManager) -> None:
    """Log every hook call (hook name, the plugins asked, how it ended) to ``polku.hooks``.

    pluggy's own tracing prints the call's arguments, which hold client data; this does not.
    :func:`ask_each` adds one line per plugin asked.
    """
    _traced.add(pm)
    hook_log.setLevel(logging.DEBUG)

    def before(hook_name: str, impls: Sequence[pluggy.HookImpl], _kwargs: Any) -> None:
        hook_log.debug("call %s -> %s", hook_name, ", ".join(i.plugin_name for i in impls))

    def after(outcome: Any, hook_name: str, _impls: Any, _kwargs: Any) -> None:
        error = outcome.exception
        hook_log.debug("done %s%s", hook_name, f": raised {type(error).__name__}" if error else "")

    pm.add_hookcall_monitoring(before, after)


@dataclass(frozen=True, slots=True)
class Answer:
    """One plugin's answer to a hook. ``error`` names the exception type when it raised."""

    plugin: str
    value: Any = None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


def ask_each(
    pm: pluggy.PluginManager, hook_name: str, *, where: str, **kwargs: Any
) -> list[Answer]:
    """Ask every implementation of ``hook_name`` separately, in registration order.

    Each implementation gets the keyword arguments it names (arguments may be added to a hook,
    so an implementation may take any subset). One that raises is logged with ``where``, the
    exception type and its stack frames, never the exception's message or the arguments (they
    may hold client data), and answers with ``error`` set: the caller decides how to fail
    closed, and the other plugins still answer. Hook wrappers (``wrapper=True``) wrap a whole
    hook call; asked one by one, there is no call to wrap, so they are not asked.
    """
    answers = []
    traced = pm in _traced
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        if impl.wrapper or impl.hookwrapper:
            continue
        if traced:
            hook_log.debug("ask %s -> %s", hook_name, impl.plugin_name)
        try:
            value = impl.function(**{name: kwargs[name] for name in impl.argnames})
        except Exception as exc:
            log_failure(log, exc, "plugin %s failed in %s (%s)", impl.plugin_name, hook_name, where)
            answers.append(Answer(impl.plugin_name, error=type(exc).__name__))
            continue
        answers.append(Answer(impl.plugin_name, value))
    return answers


def static_answers(
    pm: pluggy.PluginManager, hook_name: str, expected: type | tuple[type, ...]
) -> list[tuple[str, Any]]:
    """``(plugin, answer)`` of every plugin that answers a start-up hook (``None`` is skipped).
    A raising plugin, or an answer not of the ``expected`` type, stops start-up."""
    answers = []
    for answer in ask_each(pm, hook_name, where="start-up"):
        if answer.failed:
            raise PluginError(f"plugin {answer.plugin} raised {answer.error} in {hook_name}")
        if answer.value is None:
            continue
        if not isinstance(answer.value, expected):
            raise PluginError(
                f"plugin {answer.plugin}: {hook_name} returned {type(answer.value).__name__}"
            )
        answers.append((answer.plugin, answer.value))
    return answers


def collect_records(
    pm: pluggy.PluginManager, hook_name: str, record_type: type[R], key: Callable[[R], Hashable]
) -> dict[Any, R]:
    """Every plugin's records of ``record_type`` from a static hook, by key, in registration
    order. Two plugins may contribute the same record (equal in every field); two different
    records with the same key, a raising plugin, or anything but a list of ``record_type``
    stop start-up.
    """
    records: dict[Any, R] = {}
    owners: dict[Any, str] = {}
    for plugin, contributed in static_answers(pm, hook_name, (list, tuple)):
        for record in contributed:
            if not isinstance(record, record_type):
                raise PluginError(
                    f"plugin {plugin}: {hook_name} returned a {type(record).__name__}, "
                    f"not a {record_type.__name__}"
                )
            k = key(record)
            if k in records and records[k] != record:
                raise PluginError(
                    f"{hook_name}: {k!r} is contributed by both {owners[k]} and {plugin}"
                    " with different contents"
                )
            records.setdefault(k, record)
            owners.setdefault(k, plugin)
    return records


def plugin_source(pm: pluggy.PluginManager, plugin: Any) -> str:
    name = pm.get_name(plugin) or ""
    if name in CORE_PLUGINS:
        return "core"
    if name in BUILTIN_PLUGINS:
        return "built-in"
    dists = {p: d for p, d in pm.list_plugin_distinfo()}
    if plugin in dists:
        return "entry point"
    return "registered"


@dataclass(frozen=True)
class PluginInfo:
    """What ``polku plugins list`` shows about one plugin."""

    name: str
    version: str
    source: str
    #: ``(code, Finnish name)`` of every municipality the plugin describes.
    municipalities: list[tuple[str, str]] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)


def polku_version() -> str:
    try:
        return version("polku")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def describe_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Each registered plugin: name, version, source and the municipalities it serves."""
    dists = {p: d for p, d in pm.list_plugin_distinfo()}
    served: dict[str, list[tuple[str, str]]] = {}
    for answer in ask_each(pm, "polku_municipalities", where="plugins list"):
        served[answer.plugin] = [(m.code, m.name["fi"]) for m in answer.value or ()]
    infos = []
    for plugin in pm.get_plugins():
        name = pm.get_name(plugin) or repr(plugin)
        dist = dists.get(plugin)
        source = plugin_source(pm, plugin)
        if dist is not None:
            plugin_version = str(dist.version)
        elif source in ("core", "built-in"):
            plugin_version = polku_version()
        else:
            plugin_version = str(getattr(plugin, "__version__", "-"))
        infos.append(
            PluginInfo(
                name=name,
                version=plugin_version,
                source=source,
                municipalities=sorted(served.get(name, [])),
                hooks=sorted(c.name for c in pm.get_hookcallers(plugin) or ()),
            )
        )
    order = {"core": 0, "built-in": 1, "entry point": 2, "registered": 3}
    return sorted(infos, key=lambda i: (order[i.source], i.name))
