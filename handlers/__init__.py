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
    return _module_names_with(os.environ.get(EXTRA_HANDLERS_ENV, ""))


@functools.cache
def _module_names_with(extra_env: str) -> list[str]:
    own = [
        f"{__name__}.{info.name}"
        for info in pkgutil.iter_modules(__path__)
        if not info.name.startswith("_")
    ]
    extra = [name.strip() for name in extra_env.split(",")]
    return own + [name for name in extra if name]


_ORIGINS: dict[str, str] = {}


@functools.cache
def _declared_in(module_name: str) -> dict[str, DatasetSpec]:
    """The DatasetSpecs module ``module_name`` declares (imported on first use)."""
    module = importlib.import_module(module_name)
    short = module_name.rsplit(".", 1)[-1]
    found = [value for value in vars(module).values() if isinstance(value, DatasetSpec)]
    if not found:
        raise ImportError(f"handler module {module_name} declares no DatasetSpec")
    for spec in found:
        if not spec.name.startswith(short):
            raise ImportError(f"{module_name}: dataset {spec.name!r} must start with {short!r}")
    return {spec.name: spec for spec in found}


@functools.cache
def _registry() -> dict[str, DatasetSpec]:
    specs: dict[str, DatasetSpec] = {}
    for module_name in _module_names():
        for name, spec in _declared_in(module_name).items():
            if name in specs and specs[name] is not spec:
                raise ImportError(f"dataset {name!r} is declared twice")
            specs[name] = spec
            _ORIGINS[name] = module_name
    return dict(sorted(specs.items()))


def _candidates(name: str) -> list[tuple[str, DatasetSpec]]:
    """(module, spec) of ``name`` among the modules whose name starts it (a dataset's name
    starts with its module's): a build of one dataset imports a module or two, not the
    hundred-odd of the registry (a quarter of a second)."""
    return [(module_name, spec) for module_name in _module_names()
            if name.startswith(module_name.rsplit(".", 1)[-1])
            for declared, spec in _declared_in(module_name).items() if declared == name]


def module_of(name: str) -> str:
    """The module that declares dataset ``name`` (its code is part of the build's provenance)."""
    get(name)
    return _ORIGINS[name]


def names() -> list[str]:
    return list(_registry())


def get(name: str) -> DatasetSpec:
    found = _candidates(name)
    if len(found) == 1:
        _ORIGINS[name] = found[0][0]
        return found[0][1]
    registry = _registry()  # unknown, or declared twice: the whole registry says which
    if name in registry:
        return registry[name]
    close = difflib.get_close_matches(name, registry, n=5, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownDatasetError(
        f"unknown dataset {name!r}{hint} (`python -m tasks list` shows all {len(registry)})"
    )


def owner_of(source: str, file: str) -> DatasetSpec:
    """The dataset that declares artifact ``source``/``file`` itself (not a borrower):
    looked for first in the dataset named like the source, then in all of them."""
    def declares(spec: DatasetSpec) -> bool:
        return spec.source == source and any(a.file == file and not a.source for a in spec.artifacts)

    for _, spec in _candidates(source):
        if declares(spec):
            return spec
    for spec in all_specs():
        if declares(spec):
            return spec
    raise UnknownDatasetError(f"no dataset declares artifact {source}/{file}")


def all_specs() -> list[DatasetSpec]:
    return list(_registry().values())


COLLECTIONS = ("all", "automatic")


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
    result: list[str] = []
    for name in names:
        # (A collection takes the whole registry; a name, its module only.)
        for member in collections()[name] if name in COLLECTIONS else [get(name).name]:
            if member not in result:
                result.append(member)
    return result


__all__ = ["Artifact", "DatasetSpec", "UnknownDatasetError", "all_specs", "collections", "expand", "get", "module_of",
           "names", "owner_of"]
