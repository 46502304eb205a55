"""The plugin contract: hook specifications for project name ``polku``.

Only markers and empty functions live here; each docstring is the contract. Hooks are called
with keyword arguments only; arguments may be added in later versions, never renamed, so an
implementation may accept any subset of them. The plugin guide (``docs/plugins.md``) repeats
every signature exactly; a meta-test keeps the two in step.

Static hooks (municipalities, pathway files, guards, referral rules, fact definitions,
instruments) are asked once at start-up: a plugin that raises there stops start-up with a
message naming it. Request-time hooks (referral targets, transition checks) fail closed: a
plugin that raises denies and is logged while the other plugins still answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from datetime import date
    from pathlib import Path

    from engine.facts import FactDefinition, Facts
    from engine.guards import GuardContext, Verdict
    from engine.holidays import LocalHoliday
    from engine.instruments import Instrument
    from engine.rules import Municipality, ReferralTarget, Rule
    from engine.statutory import StatutoryBasis
    from engine.views import ClientView, EventView, JourneyView

hookspec = pluggy.HookspecMarker("polku")
hookimpl = pluggy.HookimplMarker("polku")


@hookspec
def polku_municipalities() -> list[Municipality] | None:
    """Describe the municipalities (kunnat) this plugin serves.

    Return a list of :class:`~engine.rules.Municipality`: official code (kuntanumero), names in
    Finnish and Swedish, wellbeing services county (hyvinvointialue) and employment area
    (työllisyysalue). Asked once at start-up; ``None`` describes none. Two plugins may describe
    the same municipality only identically. ``polku plugins list`` shows them per plugin.

    Example::

        @hookimpl
        def polku_municipalities():
            return [Municipality(code="261", name={"fi": "Kittilä", "sv": "Kittilä"},
                                 wellbeing_county="Lapin hyvinvointialue",
                                 employment_area="Tunturi-Lapin työllisyysalue")]
    """


@hookspec
def polku_pathway_files() -> list[Path] | None:
    """Contribute pathway definition files (YAML, see ``pathways/``).

    Return a list of paths; every plugin's lists are concatenated. A file that fails validation
    stops start-up with a message naming the file and the key. ``None`` contributes nothing.

    Example::

        @hookimpl
        def polku_pathway_files():
            return [Path(__file__).parent / "pathways" / "local_workshop.yaml"]
    """


@hookspec
def polku_guards() -> dict[str, Any] | None:
    """Contribute guard functions by name, for pathway files to refer to in ``guards:``.

    Return ``{name: callable}``. A guard is called as ``guard(context=GuardContext)`` and returns
    a :class:`~engine.guards.Verdict`, ``True``/``False``, or ``None`` for "no opinion". A guard
    that raises denies the transition (fail closed) and is logged. Two plugins may not register
    the same name. ``None`` contributes no guards.

    Example::

        @hookimpl
        def polku_guards():
            return {"resident_only": lambda *, context: context.client.municipality_code == "261"}
    """


@hookspec
def polku_referral_targets(
    client: ClientView, facts: Facts, today: date
) -> list[ReferralTarget] | None:
    """Offer follow-on pathways and services (jatkopolut) a client may be referred to.

    Return a list of :class:`~engine.rules.ReferralTarget`: pathway type, labels in fi/sv/en,
    the provider with its contact details, the municipalities whose clients it is offered to
    (``area``, or every municipality declaring one of its ``wellbeing_counties`` or
    ``employment_areas``) and its local rules. The engine leaves out targets not offered in the
    client's municipality, then assesses each with every rule in force on ``today`` (national
    rules of its pathway type from ``polku_referral_rules``, then the target's own rules) and
    lists it as eligible or blocked with every reason and legal source. ``facts`` are the
    client's facts as of ``today``. ``None`` offers nothing. Asked on every request: read,
    never write. A plugin that raises (or returns something other than a list of targets) is
    logged and shown as one blocked "unavailable" option (fail closed); the other plugins still
    answer.

    Example::

        @hookimpl
        def polku_referral_targets(client, facts, today):
            return [ReferralTarget(key="kittila.etsiva_nuorisotyo",
                                   pathway_type="outreach_youth_work",
                                   label={"fi": "Etsivä nuorisotyö", "sv": ..., "en": ...},
                                   area=("261",))]
    """


@hookspec
def polku_referral_rules() -> list[Rule] | None:
    """Contribute eligibility rules that govern every target of some pathway types.

    Return a list of :class:`~engine.rules.Rule`, each with a unique key, its legal source,
    validity dates (``valid_from``/``valid_to``, inclusive; a rule is not asked outside them),
    the ``pathway_types`` it governs (empty: all) and optionally an ``area`` of municipality
    codes. ``rule.check(context=RuleContext)`` returns ``context.allow()``,
    ``context.deny(fi=, sv=, en=)``, ``context.require("fact_key")`` when a fact is missing,
    or ``None`` for no opinion; any deny blocks the target; a check that raises denies and is
    logged. Asked once at start-up; ``None`` contributes none. Rules that only one target has
    (resident-only, a waiting list) go in that target's ``rules`` instead.

    Example::

        @hookimpl
        def polku_referral_rules():
            return [age_under(29, key="youth_act_under_29",
                              legal_source="Nuorisolaki 1285/2016, 3 § ja 11 §",
                              pathway_types=("outreach_youth_work",),
                              valid_from=date(2017, 1, 1))]
    """


@hookspec
def polku_fact_definitions() -> list[FactDefinition] | None:
    """Define the dated facts about a client that your rules read (asiakkaan tiedot).

    Return a list of :class:`~engine.facts.FactDefinition`: key, kind (``date``, ``bool``,
    ``int``, ``choice`` or ``text``), labels in fi/sv/en and, for ``choice``, the choices. Only
    defined keys can be recorded (``POST /api/clients/{id}/facts``); rules read them as
    ``context.facts.value(key)``. Asked once at start-up; ``None`` defines none. Two plugins may
    define the same key only identically.

    Example::

        @hookimpl
        def polku_fact_definitions():
            return [FactDefinition("unemployed_since", "date",
                                   {"fi": "Työtön alkaen", "sv": "Arbetslös sedan",
                                    "en": "Unemployed since"})]
    """


@hookspec
def polku_assessment_instruments() -> list[Instrument] | None:
    """Contribute assessment instruments (arviointivälineet): definitions, not results.

    Return a list of :class:`~engine.instruments.Instrument`: key, labels in fi/sv/en, items
    each on a :class:`~engine.instruments.Scale`, the source or licence and ``scores_only`` for
    licensed forms whose item texts must never be stored. The core contributes the Kykyviisari
    summary (0-10) and a generic ability and requirement profile (1-5). Asked once at start-up;
    ``None`` contributes none; keys are unique across plugins.

    Example::

        @hookimpl
        def polku_assessment_instruments():
            scale = Scale(1, 5)
            return [Instrument(key="esimerkkila_arki", label={"fi": ..., "sv": ..., "en": ...},
                               items=(InstrumentItem("asuminen", {...}, scale),),
                               source="Esimerkkilän kunta")]
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

    ``journey`` is a read-only snapshot taken before the move; ``event`` is the committed event
    (``event.to_state`` is the journey's new state, ``event.seq`` its new version).

    Called once per committed event, after the commit, never on rollback. The return value is
    ignored (``None``). Exceptions are logged and swallowed: the transition has already
    happened. Must not hold client data in logs.

    Example::

        @hookimpl
        def polku_after_transition(journey, event):
            if event.to_state == "referred":
                notify_partner_queue(journey_id=journey.id)  # ids only, no client data
    """


@hookspec
def polku_statutory_bases() -> list[StatutoryBasis] | None:
    """Name the statutory bases (lakiperusteet) under which a referral packet may be disclosed
    without the client's consent.

    Return a list of :class:`~engine.statutory.StatutoryBasis`: the code written into the
    disclosure log, the law reference, labels in fi/sv/en and validity dates. Asked once at
    start-up; two plugins may contribute the same basis only identically. The coach chooses
    from the bases valid on the day of the referral; anything else is refused (422).

    Example::

        @hookimpl
        def polku_statutory_bases():
            return [StatutoryBasis("1301/2014:41§", "Sosiaalihuoltolaki 1301/2014 41 §",
                                   {"fi": "Monialainen yhteistyö", "sv": "Sektorsövergripande
                                   samarbete", "en": "Multi-agency cooperation"},
                                   valid_from=date(2015, 4, 1))]
    """


@hookspec
def polku_local_holidays() -> list[LocalHoliday] | None:
    """Add a municipality's local holidays to the calendar that schedules skip.

    Return a list of :class:`~engine.holidays.LocalHoliday`: the municipality code, the day and
    a label in fi/sv/en. Asked once at start-up. Finland's public holidays (Easter and the
    days around it, midsummer, All Saints' Day, Christmas, ...) are computed by the core and
    need no plugin. A weekly series of a group or an event whose municipality has the day as a
    holiday moves that week's meeting to the next week.

    Example::

        @hookimpl
        def polku_local_holidays():
            return [LocalHoliday("261", date(2027, 4, 9),
                                 {"fi": "Kittilän markkinat", "sv": "Kittilä marknad",
                                  "en": "Kittilä fair"})]
    """
