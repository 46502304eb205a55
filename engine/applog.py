"""Application logging (sovellusloki): ids and codes, never client data; no forged lines.

Code logs ids (``user 7``, ``journey 12``), never names, notes or usernames. As a second line of
defence :class:`EscapeControlCharacters` escapes CR, LF, ESC and every other control character in
each record, so text that reaches a log anyway cannot forge lines or drive a terminal.
:func:`configure_logging` installs it for the command line and the server (uvicorn's loggers too).
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_NAMED = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: _NAMED.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def _escaped(value: object) -> object:
    return escape_controls(value) if isinstance(value, str) else value


class EscapeControlCharacters(logging.Filter):
    """Escape control characters in a record's message and its string arguments, in place (the
    arguments stay arguments: formatters such as uvicorn's access log unpack them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _escaped(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_escaped(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _escaped(v) for k, v in record.args.items()}
        return True


#: Paths whose last part is a secret (a client's one-time feedback link, engine/voice.py): a
#: log shows the prefix and ``…`` instead.
SECRET_PATH_PREFIXES: tuple[str, ...] = ("/palaute/",)


def loggable_path(path: str) -> str:
    """``path`` as a log may show it: without the query string (``?…`` marks one) and without
    the secret of a :data:`SECRET_PATH_PREFIXES` path."""
    path, mark, _ = path.partition("?")
    for prefix in SECRET_PATH_PREFIXES:
        if path.startswith(prefix):
            path = prefix + "…"
    return path + ("?…" if mark else "")


class HideQueryStrings(logging.Filter):
    """uvicorn's access log line without the query string: a search (``/clients?q=...``) would
    otherwise write a client's name into the log. The path stays (ids only); ``?…`` marks that
    a query was there. A path with a secret in it (a feedback link) keeps only its prefix."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], loggable_path(args[2]), *args[3:])
        return True


def hide_query_strings() -> None:
    """Install :class:`HideQueryStrings` on uvicorn's access logger (once per process), so
    that it holds however the server was started."""
    logger = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, HideQueryStrings) for f in logger.filters):
        logger.addFilter(HideQueryStrings())


FORMAT = "%(levelname)s %(name)s: %(message)s"


def configure_logging(level: int = logging.INFO) -> None:
    """Root logging for the ``polku`` command, with control characters escaped."""
    logging.basicConfig(level=level, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(EscapeControlCharacters())


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with the escaping filter on its handlers."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["escape_controls"] = {
        "()": "engine.applog.EscapeControlCharacters"
    }
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("escape_controls")
    return config
