"""The plugin contract: hook specifications for project name ``polku``.

Only markers and empty functions live here; each docstring is the contract. Hooks are called
with keyword arguments only; arguments may be added in later versions, never renamed, so an
implementation may accept any subset of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    from engine.guards import GuardContext, Verdict
    from engine.views import EventView, JourneyView

hookspec = pluggy.HookspecMarker("polku")
hookimpl = pluggy.HookimplMarker("polku")


@hookspec
def polku_pathway_files() -> list[Path]:  # type: ignore[empty-body]
    """Contribute pathway definition files (YAML, see ``pathways/``).

    Return a list of paths; every plugin's lists are concatenated. A file that fails validation
    stops start-up with a message naming the file and the key. ``None`` contributes nothing.

    Example::

        @hookimpl
        def polku_pathway_files():
            return [Path(__file__).parent / "pathways" / "local_workshop.yaml"]
    """


@hookspec
def polku_guards() -> dict[str, Any]:  # type: ignore[empty-body]
    """Contribute guard functions by name, for pathway files to refer to in ``guards:``.

    Return ``{name: callable}``. A guard is called as ``guard(context=GuardContext)`` and returns
    a :class:`~engine.guards.Verdict`, ``True``/``False``, or ``None`` for "no opinion". A guard
    that raises denies the transition (fail closed) and is logged. Two plugins may not register
    the same name.

    Example::

        @hookimpl
        def polku_guards():
            return {"resident_only": lambda *, context: context.client.municipality_code == "261"}
    """


@hookspec
def polku_check_transition(context: GuardContext) -> Verdict | list[Verdict] | None:
    """Veto or allow any transition of any pathway. Every plugin is asked.

    Return a Verdict (or a list of them) or ``None`` for "no opinion". Any deny wins over any
    number of allows. A plugin that raises denies (fail closed) and the failure is logged. The
    verdicts are stored with the event, so the coach can be told why ("blocked by: <rule>,
    <legal source>"). Called inside the transition's transaction: read, never write.

    Example::

        @hookimpl
        def polku_check_transition(context):
            if context.trigger == "refer" and context.client.municipality_code != "261":
                return Verdict.deny("kittila_only", fi="...", sv="...", en="...")
            return None
    """


@hookspec
def polku_after_transition(journey: JourneyView, event: EventView) -> None:
    """React after a transition has been committed (notifications, integrations).

    ``journey`` is a snapshot taken before the move; ``event`` is the committed event
    (``event.to_state`` is the journey's new state, ``event.seq`` its new version).

    Called once per committed event, after the commit, never on rollback. Exceptions are logged
    and swallowed: the transition has already happened. Must not hold client data in logs.
    """
