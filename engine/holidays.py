"""The holiday calendar (pyhäpäivät) that schedules skip: Finnish public holidays, computed for
any year (Easter by the Gregorian computus, the movable Saturdays of midsummer and All Saints'
Day), plus the local holidays a municipality's plugin adds (``polku_local_holidays``).

A weekly series (a group's meetings, a repeated event's sessions) skips a day in the calendar:
that week's meeting moves to the next week, and the series keeps its number of meetings. The
first meeting is on the day the coach chose, holiday or not (a deliberate choice).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

UTC = ZoneInfo("UTC")


@dataclass(frozen=True, slots=True)
class LocalHoliday:
    """A holiday of one municipality (``municipality_code``, kuntanumero) on ``day``, e.g. a
    town's own festival day, as ``polku_local_holidays`` returns them; ``label`` by language."""

    municipality_code: str
    day: date
    label: Mapping[str, str] = field(hash=False)


def easter_sunday(year: int) -> date:
    """Easter Sunday of ``year`` (the Gregorian computus: Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def _saturday_between(first: date) -> date:
    """The Saturday of the seven days from ``first``."""
    return first + timedelta(days=(5 - first.weekday()) % 7)


def finnish_holidays(year: int) -> dict[date, str]:
    """Finland's public holidays (and the days off of midsummer and Christmas eve) of ``year``,
    day -> key (the key names the label in the page translations)."""
    easter = easter_sunday(year)
    midsummer = _saturday_between(date(year, 6, 20))
    return {
        date(year, 1, 1): "new_year",
        date(year, 1, 6): "epiphany",
        easter - timedelta(days=2): "good_friday",
        easter: "easter_sunday",
        easter + timedelta(days=1): "easter_monday",
        date(year, 5, 1): "may_day",
        easter + timedelta(days=39): "ascension_day",
        easter + timedelta(days=49): "whit_sunday",
        midsummer - timedelta(days=1): "midsummer_eve",
        midsummer: "midsummer_day",
        _saturday_between(date(year, 10, 31)): "all_saints_day",
        date(year, 12, 6): "independence_day",
        date(year, 12, 24): "christmas_eve",
        date(year, 12, 25): "christmas_day",
        date(year, 12, 26): "boxing_day",
    }


class HolidayCalendar:
    """The national holidays and every plugin's local ones (built once per process)."""

    def __init__(self, local: Iterable[LocalHoliday] = (), *, national: bool = True):
        #: False: only the local holidays (a test kit whose dates follow the wall clock).
        self.national = national
        self.local: dict[str, set[date]] = {}
        for holiday in local:
            self.local.setdefault(holiday.municipality_code, set()).add(holiday.day)

    def is_holiday(self, day: date, municipality_code: str | None = None) -> bool:
        if self.national and day in finnish_holidays(day.year):
            return True
        return municipality_code is not None and day in self.local.get(municipality_code, ())

    def weekly(
        self,
        first: datetime,
        meetings: int,
        zone: ZoneInfo,
        municipality_code: str | None = None,
    ) -> list[datetime]:
        """``meetings`` weekly meetings from ``first`` (naive local wall-clock time, or aware)
        at the same local time, in UTC. The first is on the day chosen; a later week whose day
        is a holiday is skipped (the series keeps its number of meetings)."""
        local = first.astimezone(zone).replace(tzinfo=None) if first.tzinfo else first
        times: list[datetime] = []
        week = 0
        while len(times) < meetings:
            if week > meetings + 366:
                raise ValueError("no working day in a year of weeks")
            at = local + timedelta(weeks=week)
            week += 1
            if week == 1 or not self.is_holiday(at.date(), municipality_code):
                times.append(at.replace(tzinfo=zone).astimezone(UTC))
        return times


#: The calendar without local holidays (national ones only).
NATIONAL = HolidayCalendar()
#: No holidays at all: test kits whose schedules follow the wall clock ("a week ago").
NONE = HolidayCalendar(national=False)
