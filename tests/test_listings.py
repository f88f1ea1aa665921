"""Every real listing under tests/listings/, replayed through its handlers: a wrong guess
about member names, labels or splits fails here, not at a user's first real build."""

from __future__ import annotations

import pytest
from listing_replay import listing_files, load, replay

import handlers

CASES = [(path, name) for path in listing_files() for name in load(path)["expect"]]


@pytest.mark.parametrize(("path", "name"), CASES, ids=[f"{p.name}:{n}" for p, n in CASES])
def test_handler_reproduces_published_figures_over_real_listing(path, name, tmp_path_factory):
    listing = load(path)
    spec = handlers.get(name)
    expect = listing["expect"][name]
    counts, classes = replay(spec, listing, tmp_path_factory.mktemp(name))
    if "total" in expect:
        assert sum(counts.values()) == expect["total"], counts
    if "splits" in expect:
        for split, count in expect["splits"].items():
            assert counts.get(split) == count, f"{split}: {counts}"
    if "classes" in expect and spec.features.task != "regression":
        assert classes == expect["classes"], counts
    if spec.num_examples is not None:
        assert counts == dict(spec.num_examples), "declared counts differ from the real listing"


def test_every_listing_names_its_source_and_a_registered_dataset():
    for path in listing_files():
        listing = load(path)
        assert listing["source"].strip()
        for name in listing["expect"]:
            spec = handlers.get(name)
            assert spec.evidence.listing == path.name, (
                f"{name}: evidence.listing should name {path.name}"
            )


def test_evidence_listing_files_exist():
    names = {path.name for path in listing_files()}
    for spec in handlers.all_specs():
        if spec.evidence.listing:
            assert spec.evidence.listing in names, spec.name
            assert spec.evidence.kind in ("real listing", "real artifact"), spec.name
