"""What state each dataset is in, read from the data dir alone (no scheduler needed).

Failures are journaled by the tasks themselves (``record_failure``) under
``<data_dir>/errors/``, one JSON file per failed task, removed when that task later
succeeds; so ``python -m tasks status`` can show the last error of every dataset even
after the scheduler that ran it is gone.
"""

from __future__ import annotations

import json
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import handlers
from data import format as fmt
from data import locate, staging
from data.atomic import write_json_atomic


def _errors_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "errors"


def _error_file(data_dir: Path, task_id: str) -> Path:
    return _errors_dir(data_dir) / f"{task_id}.json"


def record_failure(data_dir: Path, task, exception: BaseException) -> None:
    """Journal a task's failure for ``status``; the datasets it concerns are listed."""
    datasets = _datasets_of(task)
    entry = {
        "task": task.task_id,
        "datasets": datasets,
        "error": f"{type(exception).__name__}: {exception}",
        "traceback": "".join(traceback.format_exception(exception))[-4000:],
        "time": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    write_json_atomic(_error_file(data_dir, task.task_id), entry)


def clear_failure(data_dir: Path, task) -> None:
    _error_file(data_dir, task.task_id).unlink(missing_ok=True)


def _datasets_of(task) -> list[str]:
    if hasattr(task, "dataset") and isinstance(task.dataset, str):
        return [task.dataset]
    if hasattr(task, "source"):
        return [spec.name for spec in handlers.all_specs() if spec.source == task.source]
    return []


def last_errors(data_dir: Path) -> dict[str, dict]:
    """The newest journaled failure per dataset."""
    newest: dict[str, dict] = {}
    for path in sorted(_errors_dir(data_dir).glob("*.json")):
        try:
            entry = json.loads(path.read_text())
        except ValueError:
            continue
        for dataset in entry.get("datasets", []):
            if dataset not in newest or entry["time"] >= newest[dataset]["time"]:
                newest[dataset] = entry
    return newest


def dataset_status(spec, data_dir: Path, errors: dict[str, dict], fingerprint: str | None = None, *,
                   shard_counts: Callable[[dict], dict[str, int]]) -> dict:
    """The state of one dataset; ``fingerprint`` names its current staging folder
    (default: the most recently planned one), ``shard_counts`` gives a plan's shards per
    split under the current settings (``tasks.graph.shard_counts``)."""
    present = [a.file for a in spec.artifacts
               if (locate.artifacts_dir(data_dir, spec.source_of(a)) / a.file).exists()]
    output = locate.dataset_dir(data_dir, spec.name, spec.version)
    stage_dir = locate.staging_dir(data_dir, spec.name)
    if fingerprint is None:
        plans = sorted(stage_dir.glob(f"*/{staging.PLAN_FILE}"), key=lambda p: p.stat().st_mtime)
        fingerprint = plans[-1].parent.name if plans else "-"
    stage_dir = stage_dir / fingerprint
    splits = {}
    if (stage_dir / staging.PLAN_FILE).exists():
        plan = staging.read_plan(stage_dir)
        for split, count in sorted(shard_counts(plan).items()):
            done = sum(
                (output / fmt.shard_name(spec.name, split, i, count)).exists() for i in range(count)
            )
            splits[split] = (done, count)
    complete = (output / fmt.INFO_FILE).exists() and all(d == n for d, n in splits.values())
    error = None if complete else errors.get(spec.name)
    return {
        "name": spec.name,
        "artifacts": (len(present), len(spec.artifacts)),
        "planned": bool(splits),
        "splits": splits,
        "complete": complete,
        "error": error,
    }


def format_status(rows: list[dict]) -> str:
    lines = []
    for row in rows:
        have, total = row["artifacts"]
        if row["complete"]:
            state = "complete"
        elif row["error"]:
            state = "failed"
        elif row["planned"] or have:
            state = "partial"
        else:
            state = "not started"
        shards = ", ".join(f"{split} {d}/{n}" for split, (d, n) in row["splits"].items())
        lines.append(
            f"{row['name']:<28} {state:<11} artifacts {have}/{total} verified"
            + (f"; shards {shards}" if shards else "; not planned")
        )
        if row["error"]:
            lines.append(f"    last error ({row['error']['time']}, {row['error']['task']}):")
            lines.append("      " + row["error"]["error"].strip().replace("\n", "\n      ")[:2000])
    return "\n".join(lines)
