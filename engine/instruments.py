"""Assessment instruments (arviointivälineet): definitions only, contributed by plugins through
``polku_assessment_instruments``. An instrument checks a set of scores; a client's completed
assessments are stored by :mod:`engine.assessments` (any instrument, no schema change).

The core contributes two (see :mod:`engine.defaults`):

- the Kykyviisari summary (Työterveyslaitos, TTL): a licensed self-assessment of which only the
  0-10 summary scores are kept (overall work ability and five areas), never its item texts;
- a generic ability and requirement profile (kyky- ja vaatimusprofiili), items rated 1-5 for the
  client and for a named job or activity (``with_requirement``), written for Polku (not the
  licensed Melba/IMBA item sets).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.rules import IDENT, Texts, require_texts


@dataclass(frozen=True, slots=True)
class Scale:
    """Whole-number scores from ``minimum`` to ``maximum``; ``anchors`` label some points."""

    minimum: int
    maximum: int
    anchors: Mapping[int, Texts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.maximum <= self.minimum:
            raise ValueError("a scale needs maximum > minimum")
        if any(not self.minimum <= point <= self.maximum for point in self.anchors):
            raise ValueError("a scale anchor lies outside the scale")


@dataclass(frozen=True, slots=True)
class InstrumentItem:
    key: str
    label: Texts
    scale: Scale


@dataclass(frozen=True, slots=True)
class Instrument:
    """An assessment instrument: items, each scored on a scale."""

    key: str
    label: Texts
    items: tuple[InstrumentItem, ...]
    #: Publisher, licence or origin.
    source: str
    #: Licensed instruments: keep the scores only, never the item texts of the original form.
    scores_only: bool = False
    #: Each item is rated twice: the client's ability and what a named job or activity
    #: requires of it (a requirement profile); the gaps are where the requirement is higher.
    with_requirement: bool = False

    def __post_init__(self) -> None:
        require_texts(f"instrument {self.key}", self.label)
        keys = [item.key for item in self.items]
        if not IDENT.match(self.key) or not keys or len(set(keys)) != len(keys):
            raise ValueError(f"instrument {self.key!r}: bad key, or missing/duplicate item keys")
        for item in self.items:
            require_texts(f"instrument {self.key} item {item.key}", item.label)

    def check_scores(self, scores: Mapping[str, int]) -> list[str]:
        """Problems with a set of scores (unknown items, out-of-scale values); empty if fine.
        Items may be left out (not every item is always answered)."""
        items = {item.key: item for item in self.items}
        problems = []
        for key, score in scores.items():
            item = items.get(key)
            if item is None:
                problems.append(f"{key}: not an item of {self.key}")
            elif isinstance(score, bool) or not isinstance(score, int):
                problems.append(f"{key}: a score is a whole number")
            elif not item.scale.minimum <= score <= item.scale.maximum:
                problems.append(
                    f"{key}: {score} is outside {item.scale.minimum}-{item.scale.maximum}"
                )
        return problems


_ZERO_TEN = Scale(
    0,
    10,
    {
        0: {"fi": "Heikoin mahdollinen", "sv": "Sämsta möjliga", "en": "Worst possible"},
        10: {"fi": "Paras mahdollinen", "sv": "Bästa möjliga", "en": "Best possible"},
    },
)

KYKYVIISARI = Instrument(
    key="kykyviisari",
    label={
        "fi": "Kykyviisari (yhteenvetopisteet)",
        "sv": "Kykyviisari (sammanfattande poäng)",
        "en": "Kykyviisari (summary scores)",
    },
    items=tuple(
        InstrumentItem(key, label, _ZERO_TEN)
        for key, label in (
            (
                "overall_work_ability",
                {
                    "fi": "Työ- ja toimintakyky kokonaisuutena",
                    "sv": "Arbets- och funktionsförmåga som helhet",
                    "en": "Overall work ability",
                },
            ),
            (
                "mental_wellbeing",
                {
                    "fi": "Psyykkinen hyvinvointi",
                    "sv": "Psykiskt välbefinnande",
                    "en": "Mental wellbeing",
                },
            ),
            (
                "social_participation",
                {
                    "fi": "Sosiaalinen osallisuus",
                    "sv": "Social delaktighet",
                    "en": "Social participation",
                },
            ),
            (
                "physical_capacity",
                {
                    "fi": "Fyysinen toimintakyky",
                    "sv": "Fysisk funktionsförmåga",
                    "en": "Physical capacity",
                },
            ),
            ("skills", {"fi": "Osaaminen", "sv": "Kompetens", "en": "Skills and competence"}),
            (
                "everyday_coping",
                {
                    "fi": "Arjessa selviytyminen",
                    "sv": "Att klara vardagen",
                    "en": "Everyday coping",
                },
            ),
        )
    ),
    source="Työterveyslaitos (TTL), lisensoitu itsearviointi: vain yhteenvetopisteet",
    scores_only=True,
)

_ONE_FIVE = Scale(
    1,
    5,
    {
        1: {"fi": "Hyvin vähäinen", "sv": "Mycket liten", "en": "Very low"},
        3: {"fi": "Kohtalainen", "sv": "Måttlig", "en": "Moderate"},
        5: {"fi": "Hyvin suuri", "sv": "Mycket stor", "en": "Very high"},
    },
)

ABILITY_PROFILE = Instrument(
    key="ability_profile",
    label={
        "fi": "Kyky- ja vaatimusprofiili",
        "sv": "Förmåge- och kravprofil",
        "en": "Ability and requirement profile",
    },
    items=tuple(
        InstrumentItem(key, {"fi": fi, "sv": sv, "en": en}, _ONE_FIVE)
        for key, fi, sv, en in (
            ("concentration", "Keskittyminen", "Koncentration", "Concentration"),
            ("learning", "Uuden oppiminen", "Att lära sig nytt", "Learning new things"),
            ("problem_solving", "Ongelmanratkaisu", "Problemlösning", "Problem solving"),
            ("cooperation", "Yhteistyö", "Samarbete", "Working with others"),
            ("communication", "Viestintä", "Kommunikation", "Communication"),
            (
                "independence",
                "Itsenäinen työskentely",
                "Självständigt arbete",
                "Working independently",
            ),
            ("punctuality", "Täsmällisyys", "Punktlighet", "Punctuality"),
            ("endurance", "Fyysinen kestävyys", "Fysisk uthållighet", "Physical endurance"),
            ("fine_motor", "Hienomotoriikka", "Finmotorik", "Fine motor skills"),
            ("lifting", "Nostaminen ja kantaminen", "Lyfta och bära", "Lifting and carrying"),
        )
    ),
    source="Polku: yleinen profiili, arvio 1-5 (ei lisensoitu lomake)",
    with_requirement=True,
)
