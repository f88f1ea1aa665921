"""Builds into object storage: a real S3-compatible server (moto's) on 127.0.0.1, real
Luigi builds in subprocesses reaching it through AWS_ENDPOINT_URL, real TensorFlow and
the NumPy reader streaming the shards back, and two "hosts" under one real luigid."""

from __future__ import annotations

import functools
import itertools
import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import Workspace

pytest.importorskip("s3fs", reason="s3fs is in the test extra: pip install -e '.[test]'")
pytest.importorskip("moto.server", reason="moto[server] is in the test extra: pip install -e '.[test]'")

import data  # noqa: E402
import handlers  # noqa: E402
from cli import local_s3  # noqa: E402
from data.location import Folder  # noqa: E402

_buckets = itertools.count()


@pytest.fixture(scope="session")
def s3():
    with local_s3.serve() as server:
        yield server


@pytest.fixture
def bucket(s3, monkeypatch):
    """A fresh bucket; this process's clients pointed at the server like the builds."""
    name = f"datasets-{os.getpid()}-{next(_buckets)}"
    s3.create_bucket(name)
    for key, value in s3.env.items():
        monkeypatch.setenv(key, value)
    Folder.forget_listings()
    s3.reset_counts()
    yield f"s3://{name}/collection"
    Folder.forget_listings()


def _into(workspace: Workspace, url: str, s3) -> Workspace:
    workspace.settings["storage"]["datasets_url"] = url
    workspace.env = functools.partial(lambda env: env() | s3.env, workspace.env)
    return workspace


def _objects(url: str) -> dict[str, bytes]:
    """name -> bytes of every object under ``url`` (hidden build records left out)."""
    folder = Folder(url)
    return {name: folder.read_bytes(name) for name in folder.listing(refresh=True)
            if not name.startswith(".build/")}


def _local_files(directory) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def test_build_into_a_bucket_reads_back_verifies_and_equals_the_local_build(
        workspace, bucket, s3, tmp_path_factory, http_mirror):
    counts = workspace.fixture("cifar10")
    _into(workspace, bucket, s3).build("cifar10", workers=2)
    url = f"{bucket}/cifar10/1.0.0"
    assert not workspace.dataset_dir("cifar10").exists(), "nothing written to the local datasets/"

    local = Workspace(tmp_path_factory.mktemp("local"), *http_mirror)
    local.fixture("cifar10")
    local.build("cifar10", workers=1)
    stored, expected = _objects(url), _local_files(local.dataset_dir("cifar10"))
    # The same files, byte for byte (the TFDS guards of a local data dir aside).
    assert sorted(stored) == sorted(expected)
    for name, content in expected.items():
        assert stored[name] == content, name

    assert data.verify(url) == {"shards": sum(len(s["shards"]) for s in data.info(url)["splits"].values()),
                                "examples": sum(counts.values())}
    for split, count in counts.items():
        remote = list(data.load(url, split).as_numpy_iterator())
        here = list(data.load(local.dataset_dir("cifar10"), split).as_numpy_iterator())
        assert len(remote) == len(here) == count
        for a, b in zip(remote, here, strict=True):
            assert a["key"] == b["key"] and a["label"] == b["label"]
            assert (a["image"] == b["image"]).all()
        numpy = data.load(url, split, as_numpy=True)
        assert len(numpy) == count
        assert [e["key"] for e in numpy] == [e["key"] for e in remote]
    assert data.tfds_dir(url) == f"{url}/tfds"

    # A name is looked up in [storage] datasets_url, as a training host configures it.
    (workspace.path / "reader.cfg").write_text(f"[storage]\ndatasets_url = {bucket}\n")
    reader = subprocess.run(
        [sys.executable, "-c", "import data; print(len(data.load('cifar10', 'test', as_numpy=True)), "
         "data.verify('cifar10')['examples'])"],
        cwd=workspace.path, env=workspace.env() | {"LUIGI_CONFIG_PATH": str(workspace.path / "reader.cfg")},
        capture_output=True, text=True, timeout=120)
    assert reader.stdout.split() == [str(counts["test"]), str(sum(counts.values()))], reader.stderr[-2000:]

    # A rerun finds the build complete with one listing and one read, writing nothing.
    s3.reset_counts()
    workspace.build("cifar10")
    assert s3.counts["LIST"] == 1 and s3.counts["GET"] == 1, s3.counts
    assert not s3.written


def test_a_killed_build_leaves_nothing_complete_looking_and_resumes(workspace, bucket, s3):
    workspace.fixture("cifar10")
    workspace.settings["convert"]["target_shard_mb"] = "0.000001"  # one shard per example
    _into(workspace, bucket, s3).write_config()
    url = f"{bucket}/cifar10/1.0.0"
    process = subprocess.Popen(workspace.luigi_command("cifar10"), cwd=workspace.path,
                               env=workspace.env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    folder = Folder(url)
    while sum(".tfrecord-" in n and "/" not in n for n in folder.listing(refresh=True)) < 3:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()

    listed = folder.listing(refresh=True)
    assert "dataset_info.json" not in listed
    shards = {n for n in listed if ".tfrecord-" in n and "/" not in n}
    sidecars = {n.rsplit("/", 1)[1][:-len(".json")] for n in listed if "/shards-" in n}
    assert shards <= sidecars, "every shard in the store has its sidecar"
    with pytest.raises(data.IncompleteDatasetError, match="unfinished"):
        data.load(url, "train", as_numpy=True)

    s3.reset_counts()
    workspace.build("cifar10")
    rewritten = [path.rsplit("/", 1)[1] for path in s3.written if ".tfrecord-" in path and "/.build/" not in path]
    total = sum(len(s["shards"]) for s in data.info(url)["splits"].values())
    assert len(rewritten) == len(set(rewritten)) == total - len(shards)
    assert not set(rewritten) & shards, "a finished shard was written again"
    assert data.verify(url)["shards"] == total

    # A shard deleted from the bucket is rebuilt alone; a damaged one fails verify.
    info = folder.read_bytes("dataset_info.json")
    victim = sorted(shards)[0]
    folder.delete(victim)
    s3.reset_counts()
    workspace.build("cifar10")
    assert [p.rsplit("/", 1)[1] for p in s3.written if ".tfrecord-" in p and "/.build/" not in p] == [victim]
    assert folder.read_bytes("dataset_info.json") == info
    folder.write_bytes(victim, folder.read_bytes(victim)[:-1] + b"!")
    with pytest.raises(data.VerificationError, match=f"{victim}: sha256"):
        data.verify(url)


def test_two_hosts_build_into_one_bucket_and_write_each_shard_once(bucket, s3, tmp_path, http_mirror):
    from test_scheduler import Luigid, _central_command

    (tmp_path / "luigid").mkdir()
    luigid = Luigid(tmp_path / "luigid")
    hosts = []
    for name in ("host-a", "host-b"):  # each with its own data dir: artifacts, staging
        host = Workspace(tmp_path / name, *http_mirror)
        host.path.mkdir()
        host.fixture("cifar10")
        host.settings["convert"]["target_shard_mb"] = "0.0005"
        # Idle workers ask for work every 0.1-0.3 s (Luigi's default: 1-6 s).
        host.settings["worker"] = {"wait_interval": "0.1", "wait_jitter": "0.2"}
        _into(host, bucket, s3).write_config()
        hosts.append(host)
    logs = [tmp_path / "host-a.log", tmp_path / "host-b.log"]
    # Host b first: a helper that schedules nothing itself (--dataset ",": none) and runs
    # whatever luigid has pending, the shards host a's metadata task adds included. Host a
    # builds, kept alive while the helper runs tasks of its graph.
    commands = [[*_central_command(hosts[0], luigid.port, "cifar10"), "--worker-keep-alive"],
                [*_central_command(hosts[1], luigid.port, ","), "--assistant", "--worker-keep-alive"]]
    try:
        workers = [None, None]
        for index in (1, 0):
            workers[index] = subprocess.Popen(
                commands[index], cwd=hosts[index].path, env=hosts[index].env(),
                stdout=subprocess.DEVNULL, stderr=open(logs[index], "w"))  # noqa: SIM115
            deadline = time.monotonic() + 60
            while index == 1 and "Done scheduling tasks" not in logs[1].read_text():
                assert workers[1].poll() is None and time.monotonic() < deadline, logs[1].read_text()[-2000:]
                time.sleep(0.05)
        workers[0].wait(timeout=300)
        deadline = time.monotonic() + 120
        while luigid.tasks("PENDING") or luigid.tasks("RUNNING"):
            assert time.monotonic() < deadline, "the build did not finish"
            time.sleep(0.2)
        workers[1].terminate()
        workers[1].wait(timeout=60)
        failed = luigid.tasks("FAILED")
    finally:
        luigid.stop()
    outputs = [log.read_text() for log in logs]
    # Luigi's codes when another worker ran some of this graph: 10 (already_running: e.g.
    # the helper took the plan), 25 (not_run); the build itself is checked below.
    assert workers[0].returncode in (0, 10, 25), outputs[0][-3000:] + "\n---- helper:\n" + outputs[1][-5000:]
    assert not failed, outputs[1][-3000:]

    url = f"{bucket}/cifar10/1.0.0"
    shards = [path for path in s3.written if ".tfrecord-" in path and "/.build/" not in path]
    total = sum(len(s["shards"]) for s in data.info(url)["splits"].values())
    assert len(shards) == len(set(shards)) == total, "every shard written exactly once"
    ran = [[line.split("running   ")[1] for line in out.splitlines() if "running   ConvertShard" in line]
           for out in outputs]
    # Which host converts what is the scheduler's choice (one host may take them all on
    # fixture-sized shards); together they converted each shard once.
    assert len(ran[0]) + len(ran[1]) == len(set(ran[0] + ran[1])) == total, [len(r) for r in ran]
    for host, converted, out in zip(hosts, ran, outputs, strict=True):
        # A host stages on its own disk exactly the datasets it plans or converts shards of.
        staged = bool(list((host.data_dir / "staging" / "cifar10").glob("*/records.bin")))
        assert staged == bool(converted or "running   PlanExamples" in out), [len(r) for r in ran]
    assert data.verify(url)["shards"] == total


def test_an_unusable_location_fails_with_what_to_do():
    from data.location import LocationError

    with pytest.raises(LocationError, match=r"nosuch://.*s3://bucket/prefix or gs://bucket/prefix"):
        data.load("nosuch://bucket/mnist/1.0.0", "train")
    try:
        import gcsfs  # noqa: F401
    except ImportError:
        with pytest.raises(LocationError, match=r"pip install gcsfs"):
            data.info("gs://bucket/mnist/1.0.0")


def test_reading_an_unfinished_build_in_a_bucket_says_how_to_finish_it(bucket):
    Folder(f"{bucket}/mnist/1.0.0").write_bytes("mnist-train.tfrecord-00000-of-00001", b"")
    with pytest.raises(data.IncompleteDatasetError, match="--dataset mnist"):
        data.load(f"{bucket}/mnist", "train", as_numpy=True)


def test_a_reader_sees_a_build_another_process_finished_a_moment_ago(bucket):
    """A listing this process made a moment ago (under LISTING_MAX_AGE) lacks the
    metadata that another process has written since: a build's own checks trust that
    listing, but a reader lists again before saying the build is unfinished."""
    url = f"{bucket}/mnist/1.0.0"
    folder = Folder(url)
    folder.write_bytes("mnist-train.tfrecord-00000-of-00001", b"")
    with pytest.raises(data.IncompleteDatasetError):
        data.info(url)
    # Written as another process would: straight to the store, not through this
    # process's listing.
    info = f"{folder.root}/dataset_info.json"
    folder.fs.pipe(info, b'{"format_version": 3, "name": "mnist"}')
    assert not folder.exists("dataset_info.json")  # the fresh listing, trusted
    assert data.info(url)["name"] == "mnist"
    # The same through the dataset's folder (its newest version is read).
    folder.fs.rm(info)
    folder.listing(refresh=True)
    folder.fs.pipe(info, b'{"format_version": 3, "name": "mnist"}')
    assert data.info(f"{bucket}/mnist")["name"] == "mnist"
    assert folder.exists("dataset_info.json")


def test_a_bucket_serves_as_the_artifact_mirror(workspace, bucket, s3):
    counts = workspace.fixture("semeion")
    spec = handlers.get("semeion")
    mirror = bucket.replace("/collection", "/artifacts")
    for artifact in spec.artifacts:  # as `aws s3 sync <data dir>/artifacts <mirror>` leaves it
        Folder(f"{mirror}/{spec.source}").write_bytes(
            artifact.file, (workspace.mirror_root / spec.source / artifact.file).read_bytes())
    workspace.settings["fetch"]["mirrors"] = mirror  # the bucket only; offline: no provider
    _into(workspace, bucket, s3).build("semeion")
    assert data.verify(f"{bucket}/semeion/1.0.0")["examples"] == sum(counts.values())
    assert (workspace.data_dir / "artifacts" / spec.source / spec.artifacts[0].file).is_file()


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_folder_publishes_whole_files_and_lists_them(where, tmp_path, request):
    """The same Folder interface on local disk and in a bucket: a published file appears
    under its name whole, the listing (one request) follows this process's own writes."""
    base = str(tmp_path / "folder") if where == "local" else request.getfixturevalue("bucket") + "/folder"
    folder = Folder(base)
    assert folder.listing() == {}
    local = tmp_path / "shard.bin"
    local.write_bytes(b"x" * 1000)
    folder.publish(local, "a.tfrecord-00000-of-00001")
    assert not local.exists(), "published files are moved"
    (tmp_path / "kept.json").write_text("{}")
    folder.publish(tmp_path / "kept.json", ".build/kept.json", keep=True)
    assert (tmp_path / "kept.json").exists()
    folder.write_bytes("tfds/features.json", b"{}")
    assert folder.exists("a.tfrecord-00000-of-00001") and folder.exists("tfds/features.json")
    assert folder.listing(refresh=True) == {"a.tfrecord-00000-of-00001": 1000, ".build/kept.json": 2,
                                            "tfds/features.json": 2}
    assert folder.read_bytes("a.tfrecord-00000-of-00001") == b"x" * 1000
    with folder.open("a.tfrecord-00000-of-00001") as stream:
        assert stream.read(10) == b"x" * 10
    folder.delete("a.tfrecord-00000-of-00001")
    assert not folder.exists("a.tfrecord-00000-of-00001")
    assert [p for p in (tmp_path / "folder").rglob(".*partial*")] == []


def test_a_new_shard_count_replaces_the_old_shards_in_the_bucket(workspace, bucket, s3):
    workspace.fixture("toyset")
    _into(workspace, bucket, s3).build("toyset")
    url = f"{bucket}/toyset/{handlers.get('toyset').version}"
    workspace.settings["convert"]["min_shards"] = "3"
    workspace.build("toyset")
    listed = {n for n in Folder(url).listing(refresh=True) if ".tfrecord-" in n and "/" not in n}
    assert listed == {s["file"] for split in data.info(url)["splits"].values() for s in split["shards"]}
    assert all(name.endswith("-of-00003") for name in listed)
    records = [n for n in Folder(url).listing() if n.startswith(".build/") and "/plan-" not in n]
    assert sorted({n.rsplit("/", 1)[1][:-len(".json")] for n in records}) == sorted(listed)
    assert len(records) == 2 * len(listed), "a sidecar and a scan per current shard, nothing else"
    assert data.verify(url)
