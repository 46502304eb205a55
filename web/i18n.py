"""UI languages: Finnish (default), Swedish and English, with Babel catalogs and locale formats.

The language of a request is, in order: the ``lang`` cookie (set by the language switcher, a POST
form), the best match in ``Accept-Language``, then Finnish. Templates translate with the jinja2
i18n extension (``{% trans %}``, ``_()``); the gettext callables and the date and number filters
read the language of the template being rendered from a context variable that
:func:`use_language` sets around each render, so one shared Environment serves every language.

Catalogs: ``web/locale/<lang>/LC_MESSAGES/messages.po`` (source, committed) compiled to ``.mo``
by ``make translations`` (part of ``make install``). Message ids are English.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from fastapi import Request

log = logging.getLogger("polku.web.i18n")

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
#: UI languages, the default first.
LANGUAGES: tuple[str, ...] = ("fi", "sv", "en")
DEFAULT_LANGUAGE = "fi"
COOKIE = "lang"
#: Each language's name in that language, for the switcher.
LANGUAGE_NAMES = {"fi": "Suomi", "sv": "Svenska", "en": "English"}
#: Times are shown in Finnish time, whatever the server's zone (they are stored in UTC).
DISPLAY_TIMEZONE = get_timezone("Europe/Helsinki")

_current: ContextVar[str] = ContextVar("polku_ui_language", default=DEFAULT_LANGUAGE)


class CatalogMissing(RuntimeError):
    """A compiled catalog (.mo) is missing: run ``make translations`` (part of ``make install``)."""


@cache
def translations(language: str) -> Translations | NullTranslations:
    """The compiled catalog of ``language``. Missing catalogs fail loudly, never fall back."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported UI language {language!r}; known: {', '.join(LANGUAGES)}")
    mo = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"
    if not mo.is_file():
        raise CatalogMissing(f"{mo} is missing: run `make translations` (part of `make install`)")
    with mo.open("rb") as fp:
        return Translations(fp, domain=DOMAIN)


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an ``Accept-Language`` header, best first (``q=0`` dropped)."""
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if q > 0:
            ranked.append((-q, index, tag))
    return [tag for _q, _i, tag in sorted(ranked)]


def negotiate(accept_language: str | None) -> str | None:
    """The first supported language in an ``Accept-Language`` header (``sv-FI`` -> ``sv``)."""
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return None


def request_language(request: Request) -> str:
    """The UI language of a request: ``lang`` cookie, then ``Accept-Language``, then Finnish."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return negotiate(request.headers.get("accept-language")) or DEFAULT_LANGUAGE


@contextmanager
def use_language(language: str) -> Iterator[str]:
    """Render (and format) in ``language`` inside the block."""
    translations(language)  # fail before rendering, not halfway through
    token = _current.set(language)
    try:
        yield language
    finally:
        _current.reset(token)


def current_language() -> str:
    return _current.get()


# --- gettext callables installed in the jinja2 Environment (newstyle) ---------------------------


def gettext(message: str) -> str:
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return str(translations(_current.get()).pgettext(context, message))


def npgettext(context: str, singular: str, plural: str, n: int) -> str:
    return str(translations(_current.get()).npgettext(context, singular, plural, n))


# --- locale-aware formats (jinja2 filters) ------------------------------------------------------


def _locale() -> Locale:
    return Locale.parse(_current.get())


def date_filter(value: date | datetime | None, format: str = "medium") -> str:
    """``{{ d|date }}``: 23.11.2026 (fi), 23 nov. 2026 (sv), Nov 23, 2026 (en)."""
    if value is None:
        return ""
    return format_date(value, format=format, locale=_locale())


def datetime_filter(value: datetime | None, format: str = "medium", tzinfo: Any = None) -> str:
    """``{{ t|datetime }}`` in the UI language, in Finnish time unless ``tzinfo`` is given."""
    if value is None:
        return ""
    zone = tzinfo or DISPLAY_TIMEZONE
    return format_datetime(value, format=format, tzinfo=zone, locale=_locale())


def number_filter(value: int | float | Decimal | None, format: str | None = None) -> str:
    """``{{ n|number }}``: 1 234,5 (fi, sv), 1,234.5 (en)."""
    if value is None:
        return ""
    return format_decimal(value, format=format, locale=_locale())


FILTERS = {"date": date_filter, "datetime": datetime_filter, "number": number_filter}
