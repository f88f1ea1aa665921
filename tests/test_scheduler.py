"""Operations against a real central scheduler (luigid) on a loopback port."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import Workspace

import data
from cli.scheduler import luigid_program

DATASETS = ("semeion", "cifar10", "toyset")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Luigid:
    def __init__(self, root: Path):
        self.port = _free_port()
        self.root = root
        (root / "log").mkdir()
        self.process = subprocess.Popen(
            [*luigid_program(), "--address", "127.0.0.1", "--port", str(self.port),
             "--state-path", str(root / "state.pickle"), "--logdir", str(root / "log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=root,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                self.api("task_list", status="DONE")
                return
            except OSError:
                assert self.process.poll() is None, "luigid exited"
                assert time.monotonic() < deadline, "luigid did not start"
                time.sleep(0.1)

    def api(self, method: str, **params):
        query = urllib.parse.urlencode({"data": json.dumps(params)})
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/{method}?{query}", timeout=10) as r:
            return json.load(r)["response"]

    def tasks(self, status: str) -> dict:
        return self.api("task_list", status=status, upstream_status="", search="")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def _central(workspace: Workspace, port: int) -> list[str]:
    return ["--scheduler-host", "127.0.0.1", "--scheduler-port", str(port)]


def _central_command(workspace, port, *datasets, workers=1):
    command = workspace.luigi_command(*datasets, workers=workers)
    command.remove("--local-scheduler")
    return command + _central(workspace, port)


def test_build_against_luigid_reports_done_with_progress(workspace, luigid):
    for name in DATASETS:
        workspace.fixture(name)
    workspace.write_config()
    result = subprocess.run(_central_command(workspace, luigid.port, *DATASETS, workers=2),
                            cwd=workspace.path, env=workspace.env(), capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    done = luigid.tasks("DONE")
    families = {task["name"] for task in done.values()}
    assert {"BuildDataset", "WriteMetadata", "ConvertShard", "PlanExamples", "FetchArtifact"} <= families
    assert not luigid.tasks("FAILED") and not luigid.tasks("PENDING")
    # Every task type that runs ends at 100% with a final count in its status message.
    for family, final in (("ConvertShard", r"^\d+ examples in .+tfrecord"),
                          ("FetchArtifact", r" MB verified$"),
                          ("PlanExamples", r"^planned \d+ examples: "),
                          ("WriteMetadata", r"^\d+ examples in \d+ splits; ")):
        # (luigid may also hold tasks of earlier tests that were complete without running.)
        ran = [t for t in done.values() if t["name"] == family and t["status_message"]]
        assert ran and all(t["progress_percentage"] == 100 for t in ran), family
        assert all(re.search(final, t["status_message"]) for t in ran), (family, ran)
    for name in DATASETS:
        assert data.verify(workspace.dataset_dir(name))


AUDIT_RENAMES = """
import os, sys
_log = os.environ["RENAME_LOG"]
def _hook(event, args):
    if event in ("os.rename", "os.replace"):
        target = os.fsdecode(args[1])
        if "/datasets/" in target and ".tfrecord-" in target and "/." not in target:
            with open(_log, "a") as out:
                out.write(target + "\\n")
sys.addaudithook(_hook)
"""


def test_two_worker_processes_write_each_shard_once(workspace, luigid, tmp_path, http_mirror):
    for name in DATASETS[:2]:
        workspace.fixture(name)
    workspace.settings["convert"]["target_shard_mb"] = "0.0005"
    workspace.write_config()
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(AUDIT_RENAMES)
    log = tmp_path / "renames.log"
    env = workspace.env()
    env.update(RENAME_LOG=str(log), PYTHONPATH=f"{hook}{os.pathsep}{env['PYTHONPATH']}")
    # Two processes standing for two hosts, as the README says: the build command, and
    # an assistant (--assistant: runs any pending task, the dynamically added shards of
    # the other worker included). --no-lock: luigi refuses a second identical command
    # on one host.
    command = _central_command(workspace, luigid.port, *DATASETS[:2], workers=1)
    launch = functools.partial(subprocess.Popen, cwd=workspace.path, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    workers = [launch(command), launch([*command, "--assistant", "--worker-keep-alive"])]
    first = workers[0].communicate(timeout=300)[1]
    deadline = time.monotonic() + 120
    while luigid.tasks("PENDING") or luigid.tasks("RUNNING"):
        assert time.monotonic() < deadline, (
            f"the build did not finish: {sorted(luigid.tasks('PENDING'))[:5]} "
            f"{[w.poll() for w in workers]} {first[-1500:]}")
        time.sleep(0.2)
    workers[1].terminate()  # an assistant serves until stopped
    outputs = [first, workers[1].communicate(timeout=60)[1]]
    # A worker whose remaining tasks the other one ran ends with luigi's not_run (25); one
    # that found every task it could run already taken by the assistant (a race both
    # ways) ends with already_running (10) and says which live worker holds them.
    code = workers[0].returncode
    assert code in (0, 25) or (code == 10 and "which is alive" in first), first[-2500:]
    assert not luigid.tasks("FAILED")
    assert {t["name"] for t in luigid.tasks("DONE").values()} >= {"WriteMetadata", "ConvertShard"}
    renames = log.read_text().splitlines()
    assert len(renames) == len(set(renames)), "a shard was written twice"
    runs = [line.split("running   ")[1] for out in outputs for line in out.splitlines()
            if "running   ConvertShard" in line]
    assert len(runs) == len(set(runs)) == len(renames), "each shard task ran exactly once"

    single = Workspace(tmp_path / "single", *http_mirror)
    single.path.mkdir()
    for name in DATASETS[:2]:
        single.fixture(name)
    single.settings["convert"]["target_shard_mb"] = "0.0005"
    single.build(*DATASETS[:2])
    for name in DATASETS[:2]:
        ours, theirs = workspace.dataset_dir(name), single.dataset_dir(name)
        files = sorted(p.relative_to(theirs) for p in theirs.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(ours) for p in ours.rglob("*") if p.is_file())
        for path in files:
            assert (ours / path).read_bytes() == (theirs / path).read_bytes(), path


def test_failed_shard_shows_failed_and_reruns_alone(workspace, luigid):
    workspace.fixture("toyset")
    workspace.fixture("semeion")
    workspace.settings["convert"]["max_image_pixels"] = "1000"
    workspace.write_config()
    command = _central_command(workspace, luigid.port, "toyset", "semeion", workers=2)
    failed = subprocess.run(command, cwd=workspace.path, env=workspace.env(), capture_output=True,
                            text=True, timeout=300)
    assert failed.returncode == 30
    failures = luigid.tasks("FAILED")
    assert [t["name"] for t in failures.values()] == ["ConvertShard"]
    assert data.verify(workspace.dataset_dir("semeion")), "the other dataset still completes"

    status = subprocess.run([sys.executable, "-m", "tasks", "status", "toyset", "semeion"],
                            cwd=workspace.path, env=workspace.env(), capture_output=True, text=True)
    assert "toyset" in status.stdout and "failed" in status.stdout and "max_image_pixels" in status.stdout
    assert "semeion" in status.stdout and "complete" in status.stdout

    workspace.settings["convert"]["max_image_pixels"] = "100000"
    workspace.write_config()
    fixed = subprocess.run(command, cwd=workspace.path, env=workspace.env(), capture_output=True,
                           text=True, timeout=300)
    assert fixed.returncode == 0, fixed.stderr[-3000:]
    ran = [line.split("running   ")[1] for line in fixed.stderr.splitlines() if "running   " in line]
    assert {r.split("(")[0] for r in ran} == {"ConvertShard", "WriteMetadata", "BuildDataset"}, ran
    assert len([r for r in ran if r.startswith("ConvertShard")]) == 1, ran
    assert not luigid.tasks("FAILED")
    after = subprocess.run([sys.executable, "-m", "tasks", "status", "toyset"],
                           cwd=workspace.path, env=workspace.env(), capture_output=True, text=True)
    assert "complete" in after.stdout and "last error" not in after.stdout


def test_status_of_a_build_killed_midway(workspace):
    workspace.fixture("cifar10")
    workspace.settings["convert"]["target_shard_mb"] = "0.000001"
    workspace.write_config()
    directory = workspace.dataset_dir("cifar10")
    process = subprocess.Popen(workspace.luigi_command("cifar10"), cwd=workspace.path,
                               env=workspace.env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(directory.glob("[!.]*.tfrecord-*"))) < 3:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = {split: len(list(directory.glob(f"cifar10-{split}.tfrecord-*"))) for split in ("train", "test")}
    result = subprocess.run([sys.executable, "-m", "tasks", "status", "cifar10"], cwd=workspace.path,
                            env=workspace.env(), capture_output=True, text=True)
    line = result.stdout.splitlines()[0]
    assert "partial" in line and "artifacts 1/1 verified" in line
    assert f"test {done['test']}/6" in line and f"train {done['train']}/30" in line


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="Chromium is not installed (.ci/run installs it)")
def test_visualiser_shows_the_task_graph(workspace, luigid, tmp_path):
    workspace.fixture("semeion")
    workspace.write_config()
    subprocess.run(_central_command(workspace, luigid.port, "semeion"), cwd=workspace.path,
                   env=workspace.env(), capture_output=True, check=True, timeout=300)
    root = next(t for t in luigid.tasks("DONE") if t.startswith("BuildDataset"))
    shot = tmp_path / "graph.png"
    url = (f"http://127.0.0.1:{luigid.port}/static/visualiser/index.html"
           f"#tab=graph&taskId={urllib.parse.quote(root)}")
    subprocess.run(
        [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--hide-scrollbars",
         "--window-size=1400,900", "--virtual-time-budget=8000", f"--screenshot={shot}", url],
        capture_output=True, timeout=120, check=True,
    )
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1400, 900)
    # Below the (green) navigation bar, DONE nodes are bright green dots: one per task.
    graph = image.crop((0, 200, 1400, 900)).getcolors(maxcolors=1 << 20)
    green = sum(n for n, (r, g, b) in graph if g > 180 and r < 90 and b < 90)
    tasks = len(luigid.tasks("DONE"))
    assert tasks >= 6 and green > 60 * tasks, f"no task graph drawn ({green} green pixels)"
    (Path(os.environ.get("SCREENSHOT_DIR", tmp_path)) / "visualiser.png").write_bytes(shot.read_bytes())
