"""UI languages: complete fi/sv/en catalogs, compiled and current; negotiation; locale formats."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from web import i18n

ROOT = Path(__file__).resolve().parent.parent
MessageId = str | tuple[str, ...]


def catalog(language: str) -> Catalog:
    with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as fp:
        return read_po(fp, locale=language)


def ids(cat: Catalog) -> set[MessageId]:
    return {m.id if isinstance(m.id, str) else tuple(m.id) for m in cat if m.id}


@pytest.fixture(scope="module")
def extracted() -> set[MessageId]:
    """Every message the templates and web/ code use, extracted as ``make messages`` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as fp:
        method_map, options_map = parse_mapping_cfg(fp)
    for options in options_map.values():
        options["silent"] = "false"  # a template that does not parse fails here, not silently

    def walk(path: str) -> bool:
        name = os.path.basename(path)
        return not name.startswith((".", "_")) and name != "node_modules"

    found = extract_from_dir(ROOT, method_map, options_map, directory_filter=walk)
    return {message for _file, _line, message, _comments, _context in found}


def test_extraction_finds_the_ui_strings(extracted: set[MessageId]) -> None:
    assert "Skip to content" in extracted  # base.html
    assert ("%(states)s state", "%(states)s states") in extracted  # a plural
    assert any(isinstance(m, str) and m.startswith("A state diagram") for m in extracted)  # .py


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_catalog_has_exactly_the_messages_in_use(language: str, extracted: set[MessageId]) -> None:
    known = ids(catalog(language))
    missing, unused = extracted - known, known - extracted
    hint = f"{language}: run `make messages` and translate; missing {missing}, unused {unused}"
    assert not missing, hint
    assert not unused, hint


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_message_is_translated_and_checked(language: str) -> None:
    cat = catalog(language)
    for message in cat:
        if not message.id:
            continue
        assert not message.fuzzy, f"{language}: fuzzy {message.id!r}"
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: untranslated {message.id!r}"
    problems = [(m.id, [str(e) for e in errors]) for m, errors in cat.check()]
    assert problems == [], f"{language}: placeholders or plural forms differ: {problems}"


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_translations_are_real_not_copies_of_english(language: str) -> None:
    messages = [m for m in catalog(language) if m.id]
    same = [m.id for m in messages if m.string == m.id or m.string == tuple(m.id)]
    # A few words are the same in both languages (sv "Diagram", "Version %(version)s").
    assert len(same) <= 4, f"{language}: {same}"


def test_the_english_catalog_says_what_the_source_says() -> None:
    """English is the source language: its strings are the ids (a merge once glued the next
    entry's English onto one translation)."""
    differ = [m.id for m in catalog("en") if m.id and m.string != m.id and m.string != tuple(m.id)]
    assert differ == []


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_no_translation_holds_another_message_in_english(language: str) -> None:
    messages = [m for m in catalog(language) if isinstance(m.id, str) and m.id]
    long_ids = [m.id for m in messages if isinstance(m.id, str) and len(m.id) >= 40]
    glued = [
        (m.id, other)
        for m in messages
        if isinstance(m.string, str)
        for other in long_ids
        if other != m.id and other in m.string
    ]
    assert glued == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language: str) -> None:
    """The .mo the app loads was compiled from the current .po (``make translations``)."""
    translations = i18n.translations(language)
    for message in catalog(language):
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert translations.gettext(message.id) == message.string
        else:
            singular, plural = message.id
            assert isinstance(message.string, tuple | list)
            one, many = message.string
            assert translations.ngettext(singular, plural, 1) == one
            assert translations.ngettext(singular, plural, 5) == many


def test_a_missing_catalog_fails_loudly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    i18n.translations.cache_clear()
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    try:
        with pytest.raises(i18n.CatalogMissing, match="make translations"):
            i18n.translations("sv")
    finally:
        i18n.translations.cache_clear()
    with pytest.raises(ValueError, match="unsupported"):
        i18n.translations("de")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("sv-FI,sv;q=0.9,en-US;q=0.8,en;q=0.7", "sv"),
        ("en-US,en;q=0.9,fi;q=0.8", "en"),
        ("de-DE, fr;q=0.9, fi;q=0.1", "fi"),
        ("fr;q=0.9, en;q=0.2, sv;q=0.5", "sv"),
        ("sv;q=0, en", "en"),
        ("sv;q=bogus, en", "en"),
        ("SV_fi", "sv"),
        ("*", None),
        ("", None),
        (None, None),
    ],
)
def test_accept_language_negotiation(header: str | None, expected: str | None) -> None:
    assert i18n.negotiate(header) == expected


def test_gettext_follows_the_language_in_use_and_resets() -> None:
    assert i18n.current_language() == "fi"
    with i18n.use_language("sv"):
        assert i18n.gettext("Pathways") == "Stigar"
        assert i18n.ngettext("%(states)s state", "%(states)s states", 2) == "%(states)s tillstånd"
        with i18n.use_language("en"):
            assert i18n.gettext("Pathways") == "Pathways"
        assert i18n.current_language() == "sv"
    assert i18n.gettext("Pathways") == "Polut"


@pytest.mark.parametrize(
    ("language", "day", "moment", "number"),
    [
        ("fi", "23.11.2026", "23.11.2026 16.05.00", "1\xa0234,5"),
        ("sv", "23 nov. 2026", "23 nov. 2026 16:05:00", "1\xa0234,5"),
        ("en", "Nov 23, 2026", "Nov 23, 2026, 4:05:00\u202fPM", "1,234.5"),
    ],
)
def test_dates_and_numbers_in_the_ui_language(
    language: str, day: str, moment: str, number: str
) -> None:
    with i18n.use_language(language):
        assert i18n.date_filter(date(2026, 11, 23)) == day
        # Stored in UTC, shown in Finnish time (UTC+2 in November).
        assert i18n.datetime_filter(datetime(2026, 11, 23, 14, 5, tzinfo=UTC)) == moment
        assert i18n.number_filter(Decimal("1234.5")) == number
        assert i18n.number_filter(None) == i18n.date_filter(None) == ""
