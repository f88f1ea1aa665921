"""End to end for two classics: dtd (an uncompressed tar under a .tar.gz name whose split
lists arrive as annotations) and the two CIFAR-100 variants built together from one
shared artifact (fine and coarse labels of the same pickled batches)."""

from __future__ import annotations

from conftest import assert_labels_match, build_and_read_back, read_back

import handlers


def test_dtd_splits_come_from_the_fold_lists(workspace):
    spec = handlers.get("dtd")
    for _, record, want in build_and_read_back(workspace, "dtd", decode=False):
        assert_labels_match(spec, record, want)


def test_cifar100_variants_share_one_artifact(workspace):
    counts = {name: workspace.fixture(name) for name in ("cifar100", "cifar100_coarse")}
    workspace.build("cifar100", "cifar100_coarse")
    labels = {}
    for name in counts:
        spec = handlers.get(name)
        labels[name] = {}
        for _, record, want in read_back(workspace, name, counts[name], decode=False):
            assert_labels_match(spec, record, want)
            labels[name][want.key] = int(record["label"])
    fine, coarse = labels["cifar100"], labels["cifar100_coarse"]
    assert set(fine) == set(coarse)
    assert any(fine[key] != coarse[key] for key in fine)
    assert sorted(p.name for p in (workspace.data_dir).rglob("cifar-100-python.tar.gz")) == ["cifar-100-python.tar.gz"]
