"""The project's own log records (``tasks.*``, ``data.*``, ``handlers.*``) on Luigi's console.

Luigi configures only its ``luigi-interface`` logger; records of other loggers fall to
Python's last-resort handler, which prints WARNING and above only, so download summaries
and other INFO lines were lost. A forwarding handler hands them to ``luigi-interface``,
whose level and format (``[core] log_level``, ``--log-level``) then decide for all.
"""

from __future__ import annotations

import logging

from data import disk_errors

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


def _clear_error_types() -> tuple[type, ...]:
    """Errors whose message already says what happened and what to do: no traceback."""
    import handlers
    from data.settings import SettingsError
    from data.staging import PlanError
    from fetch import FetchError

    types: list[type] = [FetchError, handlers.UnknownDatasetError, PlanError, SettingsError]
    from tasks import graph

    types += [getattr(graph, name) for name in ("CountMismatchError", "ValidationError")
              if hasattr(graph, name)]
    return tuple(types)


def explain(error: BaseException) -> str | None:
    """One readable paragraph for an error a user can act on, or None (keep the traceback)."""
    from luigi.rpc import RPCError

    if isinstance(error, RPCError):
        return (f"no central scheduler answers ({error}). Run with --local-scheduler for a "
                "build on this machine alone, or start one with `python -m tasks scheduler` "
                "(see [core] scheduler_host and scheduler_port)")
    if disk_errors.is_local(error):
        return disk_errors.explain(error)
    if isinstance(error, _clear_error_types()):
        return str(error)
    return None


_RUN_BY_OTHERS = "being run by another worker"


def _explain_blocked(record: logging.LogRecord) -> None:
    """Luigi's summary names the tasks another worker kept from this run, never who or
    for how long: add that, and what to do (exit code 25)."""
    if record.exc_info or not isinstance(record.msg, str) or _RUN_BY_OTHERS not in record.msg:
        return
    from tasks.central_scheduler import explain_blocked

    lines = explain_blocked() or [
        "another worker of luigid holds them as running: a build still at work, or one "
        "killed that luigid has not given up yet (after [scheduler] "
        "worker_disconnect_delay). Run the same command again in a few seconds"]
    record.msg = record.getMessage() + "\nWhy tasks were being run by another worker:" + "".join(
        f"\n  - {line}" for line in lines)
    record.args = ()


class _WithoutTraceback(logging.Filter):
    """Turns a logged exception that ``explain`` knows into its paragraph."""

    def filter(self, record: logging.LogRecord) -> bool:
        _explain_blocked(record)
        if record.exc_info and record.exc_info[1] is None:  # logged outside an exception
            record.exc_info = None
        if record.exc_info:
            text = explain(record.exc_info[1])
            if text is not None:
                record.msg = f"{record.getMessage()}:\n  {text}"
                record.args = ()
                record.exc_info = record.exc_text = None
        return True


def quiet_known_failures() -> None:
    logger = logging.getLogger(LUIGI_LOGGER)
    if not any(isinstance(f, _WithoutTraceback) for f in logger.filters):
        logger.addFilter(_WithoutTraceback())
