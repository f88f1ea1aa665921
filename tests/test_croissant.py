"""croissant.json of a fixture build: valid for mlcroissant, and true to the files it lists."""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re

import pytest

import data
from data.croissant import CROISSANT_FILE

mlc = pytest.importorskip("mlcroissant")


@pytest.mark.parametrize("name", ["semeion", "awa2", "mall_count"])
def test_croissant_validates_and_matches_the_files(workspace, name):
    workspace.fixture(name)
    workspace.build(name)
    directory = workspace.dataset_dir(name)
    info = data.info(directory)
    path = directory / CROISSANT_FILE

    dataset = mlc.Dataset(jsonld=path)  # raises ValidationError on any error
    warnings = dataset.metadata.issues.warnings
    assert all("datePublished" in str(w) for w in warnings), warnings  # no build date, by design
    assert dataset.metadata.name == name

    document = json.loads(path.read_text())
    files = {d["contentUrl"]: d for d in document["distribution"] if d["@type"] == "cr:FileObject"}
    shards = sorted(p.name for p in directory.glob(f"{name}-*.tfrecord-*"))
    assert sorted(files) == shards
    for file, entry in files.items():
        content = (directory / file).read_bytes()
        assert entry["sha256"] == hashlib.sha256(content).hexdigest(), file
        assert entry["contentSize"] == f"{len(content)} B"
    (file_set,) = [d for d in document["distribution"] if d["@type"] == "cr:FileSet"]
    assert sorted(fnmatch.filter([p.name for p in directory.iterdir()], file_set["includes"])) == shards

    record_sets = {r["@id"]: r for r in document["recordSet"]}
    assert [row["splits/name"] for row in record_sets["splits"]["data"]] == sorted(info["splits"])
    names = info["features"].get("class_names") or info["features"].get("label_vocabulary")
    if names:
        assert [row["classes/name"] for row in record_sets["classes"]["data"]] == names
    else:
        assert "classes" not in record_sets
    fields = {f["name"]: f for f in record_sets["examples"]["field"]}
    label = {"single_label": "label", "multi_label": "multi_label", "regression": "target"}
    assert set(fields) == {"image", "key", "split", label[info["features"]["task"]]}
    assert fields["image"]["dataType"] == "sc:ImageObject"
    # The split field's regex recovers each shard's split from its file name.
    pattern = re.compile(fields["split"]["source"]["transform"]["regex"])
    for split, entry in info["splits"].items():
        for shard in entry["shards"]:
            assert pattern.match(shard["file"]).group(1) == split
