"""The registry: one declaration per dataset, names that match modules, sound artifacts."""

from __future__ import annotations

import pkgutil
import re
from pathlib import Path

import pytest

import handlers
from data.metadata import DatasetFacts


def test_every_handler_module_is_registered_once():
    modules = {m.name for m in pkgutil.iter_modules(handlers.__path__) if not m.name.startswith("_")}
    specs = handlers.all_specs()
    names = [spec.name for spec in specs]
    assert len(names) == len(set(names))
    for module in modules:
        assert any(name.startswith(module) for name in names), f"{module} declares nothing"
    assert {"mnist", "cifar10", "semeion", "caltech101"} <= set(names)


@pytest.mark.parametrize("spec", handlers.all_specs(), ids=lambda s: s.name)
def test_spec_is_complete(spec):
    assert spec.homepage.startswith("http")
    assert spec.citation and spec.license and spec.description
    assert spec.artifacts
    for artifact in spec.artifacts:
        assert re.fullmatch(r"[^/]+", artifact.file)
        assert artifact.url or artifact.manual
        if artifact.url:
            assert artifact.url.startswith(("http://", "https://"))
    if spec.name != "toyset":
        assert all(a.checksum for a in spec.artifacts), "real artifacts carry provider checksums"
    assert spec.features.num_classes == len(spec.features.class_names or spec.features.label_vocabulary)
    assert isinstance(spec, DatasetFacts), "dataset_info.json reads these fields"


def test_unknown_name_lists_close_names():
    with pytest.raises(handlers.UnknownDatasetError) as error:
        handlers.get("mnits")
    assert "did you mean mnist" in str(error.value)


def test_bad_checksum_is_rejected_at_declaration():
    with pytest.raises(ValueError, match="hex digits"):
        handlers.Artifact("x.zip", "https://example.invalid/x.zip", sha256="abc")


def test_one_dataset_imports_only_its_module():
    """A build names its datasets: looking one up (and the owner of its artifact) imports
    the modules whose names start it, not the whole registry; collections still take all."""
    import os
    import subprocess
    import sys

    probe = ("import sys, handlers\n"
             "spec = handlers.get('mnist')\n"
             "owner = handlers.owner_of(spec.source, spec.artifacts[0].file)\n"
             "assert handlers.expand(['mnist']) == ['mnist'] and owner.name == 'mnist'\n"
             "print(sorted(m for m in sys.modules if m.startswith('handlers.') and not m.startswith('handlers._')))\n"
             "handlers.expand(['all'])\n"
             "print(len([m for m in sys.modules if m.startswith('handlers.') and not m.startswith('handlers._')]))\n")
    env = {k: v for k, v in os.environ.items() if k != handlers.EXTRA_HANDLERS_ENV}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                            cwd=Path(handlers.__file__).parent.parent, env=env)
    first, everything = result.stdout.splitlines()
    assert first == "['handlers.mnist']"
    assert int(everything) == len([m for m in pkgutil.iter_modules(handlers.__path__) if not m.name.startswith("_")])
