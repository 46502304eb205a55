"""The one place that builds the pluggy PluginManager.

Order: the core's own hookimpls (:mod:`engine.defaults`), the built-in plugins shipped in
``plugins/``, then setuptools entry points in group ``polku``. ``POLKU_PLUGINS`` (comma-separated
names) restricts which non-core plugins load; ``POLKU_TRACE_HOOKS=1`` traces every hook call to
the ``polku.hooks`` logger.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

import pluggy

from engine import hookspecs

log = logging.getLogger("polku.plugins")

CORE_PLUGINS = ("engine.defaults",)
#: Built-in plugins shipped in the plugins/ folder (module paths).
BUILTIN_PLUGINS: tuple[str, ...] = ()


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
        from importlib.metadata import entry_points

        for ep in entry_points(group="polku"):
            if ep.name in restrict and pm.get_plugin(ep.name) is None:
                pm.register(ep.load(), name=ep.name)
    else:
        pm.load_setuptools_entrypoints("polku")
    if trace:
        hook_log = logging.getLogger("polku.hooks")
        pm.trace.root.setwriter(lambda msg: hook_log.debug("%s", msg.rstrip()))
        pm.enable_tracing()
    pm.check_pending()
    return pm


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
