"""One set of date rules (päivämääräsäännöt), defined once and called by every engine write that
takes a date, so the pages and the API refuse the same dates with the same message:

- a birth date inside a plausible working-age range (DOMAIN.md: roughly 15-64; a client may be
  recorded a little before and after), never in the future;
- no event before the client's birth or before the thing it follows (a contact before the
  client was recorded, a GAS follow-up before its goal's baseline);
- a next contact within a sensible window (``POLKU_NEXT_CONTACT_MAX_DAYS``, one year).

Each function raises :class:`~engine.errors.InputRequired` naming the field and saying what is
wrong (not only "give a past date").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo

from engine.clock import as_utc
from engine.errors import InputRequired

#: The plausible ages of a client (working age, with some room either side).
MIN_AGE, MAX_AGE = 13, 70
#: The default window for the next agreed contact, in days (a setting overrides it).
NEXT_CONTACT_MAX_DAYS = 365


def age_on(born: date, day: date) -> int:
    """Full years from ``born`` to ``day``."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def birth_date_problem(born: date, today: date) -> str | None:
    """What is wrong with a birth date, or None: in the future, or an age outside
    MIN_AGE..MAX_AGE (the one rule; :func:`check_birth_date` and the intake's input model read
    it)."""
    if born > today:
        return f"the date of birth {born.isoformat()} is in the future"
    age = age_on(born, today)
    if not MIN_AGE <= age <= MAX_AGE:
        return (
            f"the date of birth {born.isoformat()} makes the client {age} years old; "
            f"clients are {MIN_AGE}-{MAX_AGE} years old"
        )
    return None


def check_birth_date(born: date | None, today: date, field: str = "birth_date") -> None:
    """A birth date, if given, is in the past and makes the client MIN_AGE..MAX_AGE years old."""
    if born is None:
        return
    problem = birth_date_problem(born, today)
    if problem is not None:
        raise InputRequired(field, problem, [str(MIN_AGE), str(MAX_AGE)])


def check_not_before(
    day: date, earliest: date | None, field: str, what: str, follows: str = ""
) -> None:
    """``day`` is not before ``earliest`` (``what`` it follows: "the client's birth", ...;
    ``follows``: its key, see :class:`TooEarly`)."""
    if earliest is not None and day < earliest:
        raise TooEarly(field, day, earliest, what, follows)


class TooEarly(InputRequired):
    """A date before what it follows (:func:`check_not_before`): ``earliest`` is the first
    date allowed, ``follows`` says what it follows (a key the pages translate: ``"birth"``,
    ``"recorded"``, ``"goal_set"``)."""

    def __init__(self, field: str, day: date, earliest: date, what: str, follows: str):
        self.day, self.earliest, self.follows = day, earliest, follows
        super().__init__(
            field, f"{day.isoformat()} is before {what} ({earliest.isoformat()})", [str(earliest)]
        )


def local_day(moment: datetime, zone: tzinfo | None) -> date:
    """The day of a stored moment (UTC) in ``zone`` (UTC when None)."""
    return as_utc(moment).astimezone(zone).date() if zone else as_utc(moment).date()


def check_follow_up_date(
    rated_on: date, goals_set: dict[int, datetime], zone: tzinfo | None, field: str = "rated_on"
) -> None:
    """A GAS follow-up is not dated before any goal it rates was set (its baseline): the
    follow-up rates every described goal, so its date is on or after the latest goal's day
    (``goals_set``: goal id -> when the goal was set)."""
    if not goals_set:
        return
    earliest = max(local_day(moment, zone) for moment in goals_set.values())
    if rated_on < earliest:
        raise TooEarly(field, rated_on, earliest, "the goal was set", "goal_set")


def check_next_contact(
    due: date | None, after: date, max_days: int = NEXT_CONTACT_MAX_DAYS
) -> None:
    """The next agreed contact is on or after ``after`` and within ``max_days`` of it."""
    if due is None:
        return
    check_not_before(due, after, "next_contact_on", "this contact")
    latest = after + timedelta(days=max_days)
    if due > latest:
        raise InputRequired(
            "next_contact_on",
            f"the next contact {due.isoformat()} is more than {max_days} days ahead "
            f"(at the latest {latest.isoformat()})",
            [latest.isoformat()],
        )
