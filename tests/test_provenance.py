"""Provenance: a changed handler or artifact rebuilds exactly its dataset."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from conftest import PLUGINS

import data
import handlers


def _stamps(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in directory.glob("[!.]*.tfrecord-*")}


def _plugin_copy(workspace) -> Path:
    """A private copy of the toyset handler module, first on the subprocesses' path."""
    folder = workspace.path / "plugins"
    folder.mkdir()
    shutil.copy(PLUGINS / "toyset.py", folder / "toyset.py")
    return folder


def _env_with(workspace, folder: Path) -> dict:
    env = workspace.env()
    env["PYTHONPATH"] = f"{folder}{os.pathsep}{env['PYTHONPATH']}"
    return env


def test_info_records_what_the_build_depended_on(workspace):
    workspace.fixture("semeion")
    workspace.build("semeion")
    provenance = data.info(workspace.dataset_dir("semeion"))["provenance"]
    assert set(provenance["code"]) >= {"handlers.semeion", "handlers._splits", "data.images"}
    assert provenance["code"]["handlers.semeion"] == hashlib.sha256(
        Path(__import__("handlers.semeion").semeion.__file__).read_bytes()).hexdigest()
    pinned = json.loads(Path(workspace.settings["fetch"]["checksum_overrides"]).read_text())
    assert provenance["artifacts"]["semeion.data"] == "sha256:" + pinned["semeion/semeion.data"]["sha256"]
    assert provenance["artifact_sha256"]["semeion.data"] == pinned["semeion/semeion.data"]["sha256"]
    assert provenance["format_version"] == data.FORMAT_VERSION
    assert set(provenance["settings"]) == {"target_shard_mb", "min_shards"}


def test_changed_handler_rebuilds_its_dataset_only(workspace):
    folder = _plugin_copy(workspace)
    env = _env_with(workspace, folder)
    workspace.fixture("toyset")
    workspace.fixture("semeion")
    workspace.build("toyset", "semeion", env_extra=env)
    toy, other = workspace.dataset_dir("toyset"), workspace.dataset_dir("semeion")
    toy_before, other_before = _stamps(toy), _stamps(other)
    old = data.info(toy)["provenance"]["fingerprint"]

    source = folder / "toyset.py"
    source.write_text(source.read_text() + "\n# a changed handler\n")
    result = workspace.build("toyset", "semeion", env_extra=env)
    assert "running   PlanExamples(dataset=toyset)" in result.stderr
    assert "PlanExamples(dataset=semeion)" not in result.stderr.split("running")[-1]
    assert data.info(toy)["provenance"]["fingerprint"] != old
    toy_after = _stamps(toy)
    assert toy_after.keys() == toy_before.keys()
    assert all(toy_after[name] != stamp for name, stamp in toy_before.items()), "toyset shards rebuilt"
    assert _stamps(other) == other_before, "the other dataset is untouched"
    assert [p.name for p in (workspace.data_dir / "staging" / "toyset").iterdir()] == [
        data.info(toy)["provenance"]["fingerprint"]], "the stale staging folder is gone"


def test_changed_artifact_rebuilds_the_dataset(workspace, tmp_path):
    workspace.fixture("semeion")
    workspace.build("semeion")
    before = data.info(workspace.dataset_dir("semeion"))
    # The provider publishes a new file (and the checksum pinned for it changes).
    mirror_file = workspace.mirror_root / "semeion" / "semeion.data"
    original = mirror_file.read_bytes()
    try:
        lines = original.decode().splitlines(keepends=True)
        mirror_file.write_text("".join(lines[:-5]))
        workspace.pin_checksums("semeion")
        result = workspace.build("semeion")
    finally:
        mirror_file.write_bytes(original)
    after = data.info(workspace.dataset_dir("semeion"))
    assert "running   FetchArtifact" in result.stderr
    assert after["provenance"]["fingerprint"] != before["provenance"]["fingerprint"]
    total = lambda info: sum(s["num_examples"] for s in info["splits"].values())  # noqa: E731
    assert total(after) == total(before) - 5
    artifacts = workspace.data_dir / "artifacts" / "semeion"
    assert list(artifacts.glob("semeion.data.superseded-*")), "the old file is kept aside"
    assert data.verify(workspace.dataset_dir("semeion"))


def test_verify_reports_a_build_made_by_other_code(workspace):
    import subprocess
    import sys

    folder = _plugin_copy(workspace)
    env = _env_with(workspace, folder)
    workspace.fixture("toyset")
    workspace.build("toyset", env_extra=env)
    command = [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), "verify", "toyset"]
    clean = subprocess.run(command, cwd=workspace.path, env=env, capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    source = folder / "toyset.py"
    source.write_text(source.read_text() + "\n# changed\n")
    stale = subprocess.run(command, cwd=workspace.path, env=env, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "code changed: toyset" in stale.stderr


def test_conversion_settings_are_recorded_beside_the_fingerprint():
    from tasks import provenance

    spec = handlers.get("semeion")
    pinned = lambda artifact, source: ("sha256", "0" * 64)  # noqa: E731
    default = provenance.describe(spec, pinned, {"target_shard_mb": 64.0, "min_shards": 4})
    smaller = provenance.describe(spec, pinned, {"target_shard_mb": 1.0, "min_shards": 2})
    assert default["fingerprint"] == smaller["fingerprint"], "staging does not depend on them"
    assert smaller["settings"] == {"min_shards": 2, "target_shard_mb": 1.0}
    assert not provenance.same_build(default, smaller)


def test_a_changed_converter_converts_again_from_the_same_staging(monkeypatch):
    from tasks import provenance

    spec = handlers.get("semeion")
    pinned = lambda artifact, source: ("sha256", "0" * 64)  # noqa: E731
    settings = {"target_shard_mb": 64.0, "min_shards": 4}
    before = provenance.describe(spec, pinned, settings)
    digest = provenance._source_digest
    monkeypatch.setattr(provenance, "_source_digest",
                        lambda path: "changed" if path.name == "shards.py" else digest(path))
    after = provenance.describe(spec, pinned, settings)
    assert after["fingerprint"] == before["fingerprint"] and after["conversion"] != before["conversion"]
    assert not provenance.same_build(before, after) and provenance.same_build(after, after)
    monkeypatch.setattr(provenance, "_source_digest",
                        lambda path: "changed" if path.name == "staging.py" else digest(path))
    assert provenance.describe(spec, pinned, settings)["fingerprint"] != before["fingerprint"]


def test_verify_reports_a_build_made_with_other_settings(workspace):
    import subprocess
    import sys

    workspace.fixture("semeion")
    workspace.build("semeion")
    workspace.settings["convert"]["min_shards"] = "3"
    workspace.write_config()
    command = [sys.executable, "-m", "tasks", "--data-dir", str(workspace.data_dir), "verify", "semeion"]
    stale = subprocess.run(command, cwd=workspace.path, env=workspace.env(), capture_output=True, text=True)
    assert stale.returncode == 1
    assert "settings: built with {'min_shards': 2" in stale.stderr


def _imports_by_syntax_tree(path: Path) -> set[str]:
    """The reference the text scan is held to: every handlers import in the module's AST."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module == "handlers":
            found |= {f"handlers.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("handlers."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("handlers.")}
    return found


def test_handler_imports_read_from_the_text_match_the_syntax_tree(tmp_path):
    from tasks import provenance

    root = Path(__file__).resolve().parent.parent
    modules = sorted(root.glob("handlers/*.py")) + sorted(root.glob("tests/plugin_handlers/**/*.py"))
    assert len(modules) > 100
    for path in modules:
        assert provenance._handler_imports(path) == _imports_by_syntax_tree(path), path
    spelled = tmp_path / "spelled.py"
    spelled.write_text(
        "import os, handlers._lzw as lzw\n"
        "from handlers import (\n    _readers,  # members\n    _splits as s,\n)\n"
        "from handlers import _fixtures as f, _limits\n"
        "from handlers._cifar import batch_examples\n"
        "def later():\n    from handlers import \\\n        _spec\n"
        "from handlersx import y\nimport handlersy\n"
    )
    expected = {"handlers._lzw", "handlers._readers", "handlers._splits", "handlers._fixtures",
                "handlers._limits", "handlers._cifar", "handlers._spec"}
    assert _imports_by_syntax_tree(spelled) == expected
    assert provenance._handler_imports(spelled) == expected
