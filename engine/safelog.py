"""Logging failures without client data.

An exception's message may carry whatever the failing code put in it (a client's name, a note).
Application logs hold ids, never client data, so failures are logged with the exception's type
and the stack's file/line/function frames, never its message or local values.
"""

from __future__ import annotations

import logging
import traceback


def log_failure(logger: logging.Logger, message: str, *args: object, exc: BaseException) -> None:
    frames = "".join(
        f"\n  {frame.filename}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(exc.__traceback__)
    )
    logger.error(message + " [%s]%s", *args, type(exc).__name__, frames)
