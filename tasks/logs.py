"""The project's own log records (``tasks.*``, ``data.*``, ``handlers.*``) on Luigi's console.

Luigi configures only its ``luigi-interface`` logger; records of other loggers fall to
Python's last-resort handler, which prints WARNING and above only, so download summaries
and other INFO lines were lost. A forwarding handler hands them to ``luigi-interface``,
whose level and format (``[core] log_level``, ``--log-level``) then decide for all.
"""

from __future__ import annotations

import logging

OWN_LOGGERS = ("tasks", "data", "handlers")
LUIGI_LOGGER = "luigi-interface"


class _ToLuigi(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        target = logging.getLogger(LUIGI_LOGGER)
        if target.handlers and record.levelno >= target.getEffectiveLevel():
            for handler in target.handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
        elif record.levelno >= logging.WARNING and not target.handlers:
            logging.lastResort.handle(record)


def route_to_luigi() -> None:
    """Idempotent: one forwarding handler per own logger, INFO let through to it."""
    for name in OWN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(handler, _ToLuigi) for handler in logger.handlers):
            logger.addHandler(_ToLuigi())
        if logger.level == logging.NOTSET:
            logger.setLevel(logging.INFO)
