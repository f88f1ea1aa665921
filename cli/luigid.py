"""luigid as ``python -m tasks scheduler`` runs it: with the project's defaults, and a
state file loaded only once it is known that no one else could have written it.

Plain ``luigid`` reads neither data/defaults.cfg (how fast a killed worker is given up,
the retry policy, the cluster's resources) nor cares who wrote the pickle it loads.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from cli import scheduler_state
from data import settings


def install_defaults() -> None:
    """data/defaults.cfg as Luigi's lowest-priority config file, as ``tasks.config`` does
    for the workers: luigid then reads the same [scheduler], [worker] and [resources]
    defaults, and any luigi.cfg still wins key by key."""
    from luigi.configuration import LuigiConfigParser

    paths = LuigiConfigParser._config_paths
    if str(settings.DEFAULTS) not in paths:
        paths.insert(0, str(settings.DEFAULTS))
        LuigiConfigParser.reload()


def state_path(given: str | None) -> Path:
    """--state-path, else luigi.cfg's ``[scheduler] state_path``, else ours (never luigi's
    own default, a shared system folder)."""
    if given:
        return Path(given)
    from luigi.configuration import get_config

    configured = get_config().get("scheduler", "state_path", "")
    return Path(configured) if configured else scheduler_state.state_dir() / scheduler_state.STATE_FILE


def serve_privately_pruning_often() -> None:
    """Wraps luigi.server.run, which luigid calls in its final process (after daemonizing,
    which resets the umask to 0): the state file and logs it writes are ours alone
    (umask 077), and it looks for silent workers every half [scheduler]
    worker_disconnect_delay (at least 1 s) besides Luigi's hard-wired 60 s, so a killed
    worker's tasks do not show as running for a minute longer. A look walks the task
    list once: milliseconds for thousands of tasks."""
    import luigi.scheduler
    import luigi.server
    import tornado.ioloop

    run = luigi.server.run

    def serve(api_port=8082, address=None, unix_socket=None, scheduler=None):
        os.umask(0o077)
        scheduler = scheduler or luigi.scheduler.Scheduler()
        every = max(scheduler._config.worker_disconnect_delay / 2, 1.0)
        tornado.ioloop.PeriodicCallback(scheduler.prune, every * 1000).start()
        return run(api_port=api_port, address=address, unix_socket=unix_socket, scheduler=scheduler)

    luigi.server.run = serve


def retry_orphans_at_once() -> None:
    """A task whose worker died did not fail: luigid still counts it as a failure (a task
    that keeps killing its worker is disabled by the [scheduler] retry policy), but makes
    it pending at once instead of after retry_delay, so that --assistant helpers take it
    over in seconds, as a rerun does."""
    import luigi.scheduler

    state = luigi.scheduler.SimpleTaskState
    original = state.fail_dead_worker_task

    def fail_dead_worker_task(self, task, config, assistants):
        before = task.status
        original(self, task, config, assistants)
        if before != luigi.scheduler.FAILED and task.status == luigi.scheduler.FAILED:
            task.retry = 0  # luigid's next look (the same prune) makes it pending

    state.fail_dead_worker_task = fail_dead_worker_task


def main(argv: list[str]) -> int:
    install_defaults()
    scheduler_state.known_to_luigi()
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--state-path")
    known, rest = parser.parse_known_args(argv)
    path = state_path(known.state_path).expanduser().absolute()
    try:
        notes = scheduler_state.secure(path)
    except (scheduler_state.UnsafeStateError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr, flush=True)
    os.umask(0o077)  # what luigid writes is ours alone (a daemon resets this: see serve)
    from luigi.cmdline import luigid

    serve_privately_pruning_often()
    retry_orphans_at_once()
    luigid([*rest, "--state-path", str(path)])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
