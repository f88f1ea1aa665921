"""A rerun under luigid waits for the scheduler to give up a killed worker, and says why.

After kill -9, luigid still counts the killed worker's task as running until that worker
has been silent for ``[scheduler] worker_disconnect_delay`` seconds, and Luigi's worker,
finding nothing else to do, stops at once ("being run by another worker", exit 25).
Here a worker with nothing else to do, whose remaining tasks are held by a worker that
no longer pings, waits instead: it asks luigid for its workers (``worker_list``, which
also makes luigid drop the silent ones) until the holder is dropped, puts the orphaned
task back to pending (``forgive_failures``: luigid marks it failed) and runs it. A task
whose holder is alive (it pinged since we first looked) is left to it, as Luigi does.
``tasks.logs`` adds what was waited for to Luigi's summary.
"""

from __future__ import annotations

import dataclasses
import logging
import time

log = logging.getLogger("luigi-interface")


@dataclasses.dataclass
class Holder:
    """Another worker that holds, as running, a task this worker needs."""

    task_id: str
    worker: str
    host: str
    pid: str
    first_active: float | None  # its last ping (luigid's clock) when we first looked
    silence: float = 0.0  # seconds without a ping, at our last look
    alive: bool | None = None  # None: not known yet
    given_up: bool = False  # luigid dropped it; the task was put back to pending

    @property
    def who(self) -> str:
        return f"the worker with pid {self.pid} on host {self.host}"


# task id -> its holder as last seen, for the end-of-run summary (one build per process)
HOLDERS: dict[str, Holder] = {}


def disconnect_delay() -> float:
    """``[scheduler] worker_disconnect_delay`` as this host's settings have it (luigid's
    own luigi.cfg may differ; ``python -m tasks scheduler`` reads the same defaults)."""
    from luigi.configuration import get_config

    return get_config().getfloat("scheduler", "worker_disconnect_delay", 60.0)


def _most_wait(delay: float) -> float:
    """Past this, a silent holder that luigid still keeps is not worth waiting for."""
    return 2 * max(delay, 60.0)


def _scheduler_now(workers: dict[str, dict], me: str) -> float:
    """luigid's clock, read off our own last contact (we just asked it for work): the
    silences we compute are then free of clock skew between hosts."""
    if me in workers:
        return workers[me]["last_active"]
    return max((w["last_active"] for w in workers.values()), default=time.time())


def _forget_from_history(worker, gone: set[str]) -> None:
    """Luigi's summary lists a task "being run by another worker" from every earlier answer
    that said so; once that worker is given up and the task ran here, that is no longer
    true (and would set exit code 10)."""
    for answer in worker._get_work_response_history:
        answer["running_tasks"] = [r for r in answer["running_tasks"] if r.get("worker") not in gone]


def should_wait(worker, response) -> bool:
    """True while a task this worker needs is held by a worker that may be dead."""
    from luigi.rpc import RemoteScheduler

    if not isinstance(worker._scheduler, RemoteScheduler):
        return False
    waits: dict[str, Holder] = worker.__dict__.setdefault("_holders", {})
    started = worker.__dict__.setdefault("_holders_since", time.monotonic())
    for held in response.running_tasks:
        task_id, other = held.get("task_id"), held.get("worker")
        if other == worker._id or task_id not in worker._scheduled_tasks:
            continue
        known = waits.get(task_id)
        if known is None or known.worker != other:
            waits[task_id] = HOLDERS[task_id] = Holder(
                task_id, other, str(held.get("host", "?")), str(held.get("pid", "?")), None)
    pending = [h for h in waits.values() if not h.given_up]
    if not pending:
        return False
    workers = {w["name"]: w for w in worker._scheduler.worker_list(include_running=False)}
    now = _scheduler_now(workers, worker._id)
    delay, silent_after = disconnect_delay(), 2 * worker._config.ping_interval + 1
    dropped = set()
    for holder in pending:
        entry = workers.get(holder.worker)
        if entry is None:
            holder.given_up = True
            dropped.add(holder.worker)
            worker._scheduler.forgive_failures(task_id=holder.task_id)
            log.info("luigid gave up %s: running %s here", holder.who, holder.task_id)
            continue
        holder.silence = now - entry["last_active"]
        if holder.first_active is None:
            holder.first_active = entry["last_active"]
        elif entry["last_active"] != holder.first_active:
            holder.alive = True
        if holder.alive is None and holder.silence > silent_after:
            holder.alive = False
            log.warning(
                "%s is held by %s, silent for %.0f s (killed?): waiting for luigid to give "
                "it up, which it does after [scheduler] worker_disconnect_delay (%.0f s in "
                "this host's settings), in about %.0f s",
                holder.task_id, holder.who, holder.silence,
                delay, max(delay - holder.silence, 0))
    if dropped:
        _forget_from_history(worker, dropped)
        worker._holders_since = time.monotonic()  # progress: a later wait gets its own time
        return True
    undecided = [h for h in pending if h.alive is not True]
    if undecided and time.monotonic() - started > _most_wait(delay):
        log.warning("gave up waiting after %.0f s for luigid to drop %s",
                    time.monotonic() - started, ", ".join(sorted({h.who for h in undecided})))
        return False
    return bool(undecided)


def explain_blocked() -> list[str]:
    """One line per task another worker kept from this run: who, and what to do."""
    lines = []
    delay = disconnect_delay()
    for holder in HOLDERS.values():
        if holder.given_up:
            continue
        who = holder.who
        if holder.alive:
            lines.append(
                f"{holder.task_id} is being run by {who}, which is alive (it pinged luigid "
                "during this run): this run left the task to it. Run the same command again "
                "once that build is done (`python -m tasks status` or luigid's UI show it), "
                "or help it with the same command plus --assistant --worker-keep-alive")
        else:
            lines.append(
                f"{holder.task_id} is held by {who}, silent for {holder.silence:.0f} s, which "
                "luigid has not given up yet: it does so after [scheduler] "
                f"worker_disconnect_delay ({delay:.0f} s in this host's settings; luigid's own "
                "luigi.cfg decides). Run the same command again after that; if that worker "
                "is really alive, wait for it to finish")
    return lines


def install() -> None:
    """Idempotent: Luigi's worker consults ``should_wait`` before it would stop idle."""
    from luigi import worker

    from cli.scheduler_state import known_to_luigi

    known_to_luigi()
    original = worker.Worker._keep_alive
    if getattr(original, "_waits_for_silent_holders", False):
        return

    def _keep_alive(self, get_work_response):
        if original(self, get_work_response):
            return True
        try:
            return should_wait(self, get_work_response)
        except Exception as error:  # the wait is a courtesy: never let it break the run
            log.warning("could not ask luigid about the workers holding tasks: %s", error)
            return False

    _keep_alive._waits_for_silent_holders = True
    worker.Worker._keep_alive = _keep_alive
