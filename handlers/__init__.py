"""The dataset registry: every public module here declares one or more DatasetSpecs.

Modules whose names start with an underscore are shared code. Extra handler modules
(private datasets, tests) are importable modules named in the environment variable
DATASETS_STORAGE_HANDLERS, comma-separated.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import os
import pkgutil

from handlers._spec import Artifact, DatasetSpec

EXTRA_HANDLERS_ENV = "DATASETS_STORAGE_HANDLERS"


class UnknownDatasetError(KeyError):
    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


def _module_names() -> list[str]:
    own = [
        f"{__name__}.{info.name}"
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    extra = [name.strip() for name in os.environ.get(EXTRA_HANDLERS_ENV, "").split(",")]
    return own + [name for name in extra if name]


_ORIGINS: dict[str, str] = {}


@functools.cache
def _registry() -> dict[str, DatasetSpec]:
    specs: dict[str, DatasetSpec] = {}
    for module_name in _module_names():
        module = importlib.import_module(module_name)
        short = module_name.rsplit(".", 1)[-1]
        found = [value for value in vars(module).values() if isinstance(value, DatasetSpec)]
        if not found:
            raise ImportError(f"handler module {module_name} declares no DatasetSpec")
        for spec in found:
            if not spec.name.startswith(short):
                raise ImportError(f"{module_name}: dataset {spec.name!r} must start with {short!r}")
            if spec.name in specs and specs[spec.name] is not spec:
                raise ImportError(f"dataset {spec.name!r} is declared twice")
            specs[spec.name] = spec
            _ORIGINS[spec.name] = module_name
    return dict(sorted(specs.items()))


def module_of(name: str) -> str:
    """The module that declares dataset ``name`` (its code is part of the build's provenance)."""
    get(name)
    return _ORIGINS[name]


def names() -> list[str]:
    return list(_registry())


def get(name: str) -> DatasetSpec:
    registry = _registry()
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, registry, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownDatasetError(
        f"unknown dataset {name!r}{hint} (`python -m tasks list` shows all {len(registry)})"
    )


def all_specs() -> list[DatasetSpec]:
    return list(_registry().values())


def collections() -> dict[str, list[str]]:
    """Named groups of datasets usable wherever a dataset name is."""
    specs = all_specs()
    return {
        "all": [spec.name for spec in specs],
        "automatic": [spec.name for spec in specs if not spec.needs_manual_download],
    }


def expand(names) -> list[str]:
    """Dataset names with collections expanded, in order, without repeats.

    An unknown name raises UnknownDatasetError listing close names.
    """
    groups = collections()
    result: list[str] = []
    for name in names:
        for member in groups.get(name) or [get(name).name]:
            if member not in result:
                result.append(member)
    return result


__all__ = ["Artifact", "DatasetSpec", "UnknownDatasetError", "all_specs", "collections", "expand", "get", "module_of", "names"]
