"""The holiday calendar schedules skip (engine/holidays.py): Finland's public holidays computed
for any year, a weekly series moving past them, and a plugin's local holidays."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine import LocalHoliday, hookimpl
from engine.holidays import HolidayCalendar, easter_sunday, finnish_holidays
from engine.plugins import build_plugin_manager
from engine.runtime import Runtime

HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2008, date(2008, 3, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_the_holidays_of_2026() -> None:
    days = finnish_holidays(2026)
    assert days == {
        date(2026, 1, 1): "new_year",
        date(2026, 1, 6): "epiphany",
        date(2026, 4, 3): "good_friday",
        date(2026, 4, 5): "easter_sunday",
        date(2026, 4, 6): "easter_monday",
        date(2026, 5, 1): "may_day",
        date(2026, 5, 14): "ascension_day",
        date(2026, 5, 24): "whit_sunday",
        date(2026, 6, 19): "midsummer_eve",
        date(2026, 6, 20): "midsummer_day",
        date(2026, 10, 31): "all_saints_day",
        date(2026, 12, 6): "independence_day",
        date(2026, 12, 24): "christmas_eve",
        date(2026, 12, 25): "christmas_day",
        date(2026, 12, 26): "boxing_day",
    }


@pytest.mark.parametrize(
    ("year", "midsummer", "all_saints"),
    [
        (2025, date(2025, 6, 21), date(2025, 11, 1)),
        (2027, date(2027, 6, 26), date(2027, 11, 6)),
        (2028, date(2028, 6, 24), date(2028, 11, 4)),
    ],
)
def test_movable_saturdays(year: int, midsummer: date, all_saints: date) -> None:
    days = finnish_holidays(year)
    assert days[midsummer] == "midsummer_day"
    assert days[all_saints] == "all_saints_day"
    assert midsummer.weekday() == all_saints.weekday() == 5


def test_a_weekly_series_skips_ascension_day_and_keeps_its_count() -> None:
    # Thursdays from 30 April 2026; 14 May is Ascension Day
    times = HolidayCalendar().weekly(datetime(2026, 4, 30, 10, 0), 3, HELSINKI)
    local = [t.astimezone(HELSINKI) for t in times]
    assert [t.date() for t in local] == [date(2026, 4, 30), date(2026, 5, 7), date(2026, 5, 21)]
    assert {t.hour for t in local} == {10}


def test_christmas_week_and_new_year_are_skipped() -> None:
    # Thursdays: 24 Dec 2026 is Christmas eve, 31 Dec is a working day, 7 Jan too
    times = HolidayCalendar().weekly(datetime(2026, 12, 17, 9, 0), 3, HELSINKI)
    assert [t.astimezone(HELSINKI).date() for t in times] == [
        date(2026, 12, 17),
        date(2026, 12, 31),
        date(2027, 1, 7),
    ]


class LocalFair:
    @hookimpl
    def polku_local_holidays(self) -> list[LocalHoliday]:
        return [
            LocalHoliday(
                "261",
                date(2027, 3, 9),
                {"fi": "Kittilän markkinat", "sv": "Kittilä marknad", "en": "Kittilä fair"},
            )
        ]


def test_a_plugins_local_holiday_is_skipped_only_in_its_municipality(
    make_runtime: Callable[..., Runtime],
) -> None:
    pm = build_plugin_manager()
    pm.register(LocalFair(), name="local_fair")
    runtime = make_runtime(plugin_manager=pm)
    first = datetime(2027, 3, 2, 12, 0)  # Tuesdays; 9 March is the fair in Kittilä (261)
    kittila = runtime.holidays.weekly(first, 2, HELSINKI, "261")
    elsewhere = runtime.holidays.weekly(first, 2, HELSINKI, "091")
    assert [t.astimezone(HELSINKI).date() for t in kittila] == [date(2027, 3, 2), date(2027, 3, 16)]
    assert [t.astimezone(HELSINKI).date() for t in elsewhere] == [
        date(2027, 3, 2),
        date(2027, 3, 9),
    ]
    assert runtime.holidays.is_holiday(date(2027, 3, 9), "261")
    assert not runtime.holidays.is_holiday(date(2027, 3, 9), None)


def test_the_first_meeting_is_on_the_day_chosen_even_a_holiday() -> None:
    # Independence Day 2026 is a Sunday; the coach chose it on purpose
    times = HolidayCalendar().weekly(datetime(2026, 12, 6, 12, 0), 2, HELSINKI)
    assert [t.astimezone(HELSINKI).date() for t in times] == [date(2026, 12, 6), date(2026, 12, 13)]
