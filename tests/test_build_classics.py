"""End to end for two classics: dtd (an uncompressed tar under a .tar.gz name whose split
lists arrive as annotations) and the two CIFAR-100 variants built together from one
shared artifact (fine and coarse labels of the same pickled batches)."""

from __future__ import annotations

import data
import handlers
from data.types import Annotation


def _expected(name, workspace):
    """key -> (label, split) as the handler states them, annotations joined."""
    spec = handlers.get(name)
    table, notes = {}, {}
    for item in spec.examples(workspace.mirror_root / spec.source):
        if isinstance(item, Annotation):
            notes[item.key] = item
        else:
            table[item.key] = (item.label, item.split)
    for key, note in notes.items():
        label, split = table[key]
        table[key] = (label if note.label is None else note.label, split or note.split)
    return table


def _built(name, workspace):
    directory = workspace.dataset_dir(name)
    table = {}
    for split in data.info(directory)["splits"]:
        for record in data.load(directory, split, decode=False).as_numpy_iterator():
            table[record["key"].decode()] = (int(record["label"]), split)
    return table


def test_dtd_splits_come_from_the_fold_lists(workspace):
    counts = workspace.fixture("dtd")
    workspace.build("dtd")
    assert {s: v["num_examples"] for s, v in data.info(workspace.dataset_dir("dtd"))["splits"].items()} == counts
    assert _built("dtd", workspace) == _expected("dtd", workspace)


def test_cifar100_variants_share_one_artifact(workspace):
    for name in ("cifar100", "cifar100_coarse"):
        workspace.fixture(name)
    workspace.build("cifar100", "cifar100_coarse")
    fine, coarse = _built("cifar100", workspace), _built("cifar100_coarse", workspace)
    assert fine == _expected("cifar100", workspace)
    assert coarse == _expected("cifar100_coarse", workspace)
    assert set(fine) == set(coarse)
    assert any(fine[key][0] != coarse[key][0] for key in fine)
    assert sorted(p.name for p in (workspace.data_dir).rglob("cifar-100-python.tar.gz")) == ["cifar-100-python.tar.gz"]
