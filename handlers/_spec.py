"""The handler contract: what a dataset module declares."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from data.types import Example, Features

ExamplesFn = Callable[[Path], Iterable[Example]]
FixtureFn = Callable[[Path], Mapping[str, int]]
SplitRule = Callable[[Sequence[str], Sequence[object]], Sequence[str]]

_HEX = {"sha256": 64, "md5": 32}


@dataclass(frozen=True)
class Artifact:
    """One file the dataset is built from, with the provider's checksum.

    ``url`` is None for files a human must fetch (``manual`` then says where and how).
    """

    file: str
    url: str | None = None
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    manual: str | None = None

    def __post_init__(self):
        if "/" in self.file or self.file in ("", ".", ".."):
            raise ValueError(f"artifact file name {self.file!r} must be a plain name")
        for algorithm, length in _HEX.items():
            value = getattr(self, algorithm)
            if value is not None and not re.fullmatch(f"[0-9a-f]{{{length}}}", value):
                raise ValueError(f"{self.file}: {algorithm} {value!r} is not {length} hex digits")
        if self.url is None and self.manual is None:
            raise ValueError(f"{self.file}: give a url or manual-download instructions")

    @property
    def checksum(self) -> tuple[str, str] | None:
        """(algorithm, hex digest), preferring sha256."""
        if self.sha256:
            return ("sha256", self.sha256)
        if self.md5:
            return ("md5", self.md5)
        return None

    def to_json(self) -> dict:
        fields = {"file": self.file, "url": self.url, "sha256": self.sha256, "md5": self.md5,
                  "size": self.size, "manual": self.manual}
        return {key: value for key, value in fields.items() if value is not None}


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the engine needs to know about one dataset.

    ``examples(artifacts_dir)`` yields every example once, with a stable key; splits the
    handler cannot decide per example are left None and decided by ``split_rule`` over
    all (key, label) pairs. ``write_fixture(artifacts_dir)`` writes tiny artifacts with
    the real names and layout and returns the number of examples per split.
    ``source`` names the artifact folder; variants sharing artifacts share it.
    """

    name: str
    description: str
    homepage: str
    citation: str
    license: str
    artifacts: tuple[Artifact, ...]
    features: Features
    examples: ExamplesFn
    write_fixture: FixtureFn
    num_examples: Mapping[str, int] | None = None
    split_rule: SplitRule | None = None
    version: str = "1.0.0"
    source: str = ""
    unconfirmed: str = ""
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"dataset name {self.name!r} must be snake_case")
        if not self.source:
            object.__setattr__(self, "source", self.name)
        files = [artifact.file for artifact in self.artifacts]
        if len(set(files)) != len(files):
            raise ValueError(f"{self.name}: artifact file names repeat")

    def artifact(self, file: str) -> Artifact:
        for artifact in self.artifacts:
            if artifact.file == file:
                return artifact
        raise KeyError(f"{self.name} has no artifact {file!r}; it has {[a.file for a in self.artifacts]}")

    @property
    def needs_manual_download(self) -> bool:
        return any(artifact.url is None for artifact in self.artifacts)
