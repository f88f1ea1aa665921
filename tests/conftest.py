"""Shared test machinery: fixture artifacts served over loopback HTTP, and real builds.

Every build runs the real ``luigi`` command in a subprocess, in a workspace with its
own luigi.cfg: artifacts come from a mirror served on 127.0.0.1, the providers' URLs
are never contacted (offline = true), and fixture checksums replace the real ones.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fakes.server import FaultServer

import handlers
from cli import fixture_mirror

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = Path(__file__).resolve().parent / "plugin_handlers"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Test-only handlers are visible to this process and to every luigi subprocess.
os.environ["DATASETS_STORAGE_HANDLERS"] = "toyset,leakset"
sys.path.insert(0, str(PLUGINS))
handlers._registry.cache_clear()


@pytest.fixture(scope="session")
def http_mirror(tmp_path_factory):
    """(folder, base URL): a real HTTP server on 127.0.0.1 serving the folder."""
    root = tmp_path_factory.mktemp("mirror")
    with fixture_mirror.serve(root) as url:
        yield root, url


def write_fixture(name: str, mirror_root: Path) -> dict[str, int]:
    """Write ``name``'s fixture artifacts under <mirror>/<source>/ (once per session)."""
    return fixture_mirror.write(name, mirror_root)


class Workspace:
    """A working directory with a luigi.cfg, a data dir and fixture checksums."""

    def __init__(self, path: Path, mirror_root: Path, mirror_url: str):
        self.path = path
        self.data_dir = path / "data"
        self.mirror_root = mirror_root
        self.settings = {
            "fetch": {"mirrors": mirror_url, "offline": "true", "attempts": "2",
                      "backoff_seconds": "0.05",
                      "checksum_overrides": str(path / "checksums.json")},
            "convert": {"check_counts": "false", "min_shards": "2"},  # fewer tasks per build: faster tests
            "storage": {"data_dir": str(self.data_dir)},
        }

    def fixture(self, name: str) -> dict[str, int]:
        """Serve ``name``'s fixture; a borrowed artifact is served from its owner's fixture
        (a borrower's fixture must copy the owner's, byte for byte)."""
        counts = fixture_mirror.write(name, self.mirror_root)
        self.pin_checksums(name)
        return counts

    def pin_checksums(self, name: str) -> None:
        """The served files' digests as checksum overrides (again after changing one)."""
        fixture_mirror.pin_checksums(name, self.mirror_root, Path(self.settings["fetch"]["checksum_overrides"]))

    def write_config(self) -> None:
        base = (ROOT / "luigi.cfg").read_text()
        lines = [base]
        for section, values in self.settings.items():
            lines.append(f"\n[{section}]")
            lines.extend(f"{key} = {value}" for key, value in values.items())
        # Later duplicate keys win in luigi's parser; sections are merged.
        (self.path / "luigi.cfg").write_text(_merge_ini("\n".join(lines)))

    def env(self) -> dict:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            [str(ROOT), str(PLUGINS), env.get("PYTHONPATH", "")]
        ).rstrip(os.pathsep)
        env["LUIGI_CONFIG_PATH"] = str(self.path / "luigi.cfg")
        return env

    def luigi_command(self, *datasets: str, workers: int = 1, extra=()) -> list[str]:
        return [sys.executable, "-m", "luigi", "--module", "tasks", "BuildDataset",
                "--dataset", ",".join(datasets), "--local-scheduler",
                "--workers", str(workers), "--no-lock", *extra]

    def build(self, *datasets: str, workers: int = 1, check: bool = True, extra=(),
              env_extra=None) -> subprocess.CompletedProcess:
        self.write_config()
        env = self.env() | (env_extra or {})
        result = subprocess.run(
            self.luigi_command(*datasets, workers=workers, extra=extra),
            cwd=self.path, env=env, capture_output=True, text=True, timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"build of {datasets} exited {result.returncode}:\n{result.stderr[-6000:]}"
            )
        return result

    def dataset_dir(self, name: str) -> Path:
        spec = handlers.get(name)
        return self.data_dir / "datasets" / name / spec.version


def _merge_ini(text: str) -> str:
    """Collapse repeated sections and keys (the last value wins) into one valid file."""
    import configparser

    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    out = []
    for section in parser.sections():
        out.append(f"[{section}]")
        out.extend(f"{key} = {value}" for key, value in parser.items(section, raw=True))
        out.append("")
    return "\n".join(out)


def joined_examples(items) -> dict:
    """key -> Example, with what the handler's annotations state filled in (as staging does)."""
    import dataclasses

    from data.types import Annotation

    examples, notes = {}, []
    for item in items:
        if isinstance(item, Annotation):
            notes.append(item)
        else:
            examples[item.key] = item
    for note in notes:
        fields = ("label", "multi_label", "target", "split")
        given = {f: getattr(note, f) for f in fields if getattr(note, f) is not None}
        examples[note.key] = dataclasses.replace(examples[note.key], **given)
    return examples


def read_back(workspace: Workspace, name: str, counts: dict[str, int], decode: bool = True,
              as_numpy: bool = False):
    """Read the built ``name`` back against its handler's examples, yielding
    (split, record, example) for every stored record.

    Checked on the way: the dataset's info states ``counts`` as its split sizes and each
    split holds that many records; every record's key is one of the handler's examples
    (annotations joined), stored once, in the split the handler or the dataset's split
    rule gives it. After the last record: every example was read back. Consume the whole
    generator, or the last checks are not made.
    """
    import data

    spec = handlers.get(name)
    expected = joined_examples(spec.examples(workspace.mirror_root / spec.source))
    rule_splits = {}
    if spec.split_rule is not None:
        keys = list(expected)
        rule_splits = dict(zip(keys, spec.split_rule(keys, [expected[k].label for k in keys]), strict=True))
    directory = workspace.dataset_dir(name)
    assert {s: v["num_examples"] for s, v in data.info(directory)["splits"].items()} == counts
    seen = set()
    for split in counts:
        records = data.load(directory, split, decode=decode, as_numpy=as_numpy)
        read = 0
        for record in records if as_numpy else records.as_numpy_iterator():
            key = record["key"].decode()
            assert key in expected, f"{key} is none of the handler's examples"
            assert key not in seen, f"{key} is stored twice"
            want = expected[key]
            assert (want.split or rule_splits.get(key)) == split, key
            yield split, record, want
            seen.add(key)
            read += 1
        assert read == counts[split], split
    assert seen == set(expected)


def build_and_read_back(workspace: Workspace, name: str, decode: bool = True, as_numpy: bool = False):
    """Serve ``name``'s fixture, build it, and :func:`read_back` what was built against the
    fixture's counts (a generator of (split, record, example))."""
    counts = workspace.fixture(name)
    workspace.build(name)
    yield from read_back(workspace, name, counts, decode=decode, as_numpy=as_numpy)


def assert_labels_match(spec, record: dict, want) -> None:
    """The stored label is the handler's: ``label``, ``multi_label`` (in any order) or,
    for regression, ``target``."""
    key = record["key"].decode()
    if spec.features.task == "multi_label":
        assert sorted(record["multi_label"].tolist()) == sorted(want.multi_label), key
    elif spec.features.task == "regression":
        assert record["target"] == pytest.approx(want.target), key
    else:
        assert record["label"] == want.label, key


@pytest.fixture
def workspace(tmp_path, http_mirror):
    root, url = http_mirror
    return Workspace(tmp_path, root, url)


def build_once(tmp_path_factory, http_mirror, label: str, *names: str, **convert) -> Workspace:
    """A workspace with ``names`` built for real, for a module-scoped fixture whose tests
    only read the builds; ``convert`` overrides [convert] keys (e.g. min_shards="4")."""
    workspace = Workspace(tmp_path_factory.mktemp(label), *http_mirror)
    workspace.counts = {name: workspace.fixture(name) for name in names}
    workspace.settings["convert"].update({key: str(value) for key, value in convert.items()})
    workspace.build(*names)
    return workspace


@pytest.fixture
def server():
    """A local HTTP server whose faults a test sets (tests/fakes/server.py); test files
    with a server of their own define their own fixture of this name."""
    fault_server = FaultServer()
    yield fault_server
    fault_server.close()


@pytest.fixture
def target(tmp_path):
    """Where a fetch test's artifact lands."""
    return tmp_path / "artifacts" / "toy" / "toy.bin"


@pytest.fixture
def luigid(tmp_path):
    """A real luigid on a loopback port (tests/test_scheduler.py: Luigid), stopped after."""
    from test_scheduler import Luigid

    root = tmp_path / "luigid"
    root.mkdir()
    server = Luigid(root)
    yield server
    server.stop()
