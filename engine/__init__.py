"""Polku's workflow engine: pathway loading and validation, the shared machines, ``advance()``,
persistence (SQLModel tables, sessions, Alembic migrations), hookspecs and the plugin manager.

May import: the standard library and third-party packages. Never imports ``web`` or ``plugins``.

This module exports the plugin-facing API: plugins import only these names.
"""

from engine.guards import GuardContext, Verdict
from engine.hookspecs import hookimpl

__all__ = ["GuardContext", "Verdict", "hookimpl"]
