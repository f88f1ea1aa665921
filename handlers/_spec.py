"""The handler contract: what a dataset module declares.

``DatasetSpec`` is read by the engine: its descriptive fields (name, version, licence,
features, artifacts) are ``data.metadata.DatasetFacts``, copied into dataset_info.json;
``extra`` holds optional declarations the engine looks up by name, today only
``"expected_keys"`` (tasks/graph.py: a count mismatch then names the differing keys).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from data.types import Example, Features

ExamplesFn = Callable[[Path], Iterable[Example]]
FixtureFn = Callable[[Path], Mapping[str, int]]
SplitRule = Callable[[Sequence[str], Sequence[object]], Sequence[str]]

_HEX = {"sha256": 64, "md5": 32}
_GDRIVE_ID = re.compile(r"[A-Za-z0-9_-]{10,}")
_KAGGLE_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")
GDRIVE_PAGE = "https://drive.google.com/file/d/{}/view"
# For a Kaggle artifact's ``unconfirmed``: its md5 cannot be taken as settled.
KAGGLE_REPACKED = (
    "the Kaggle zip's md5 is the one dm_nevis pinned; Kaggle re-packs datasets, so a current "
    "download may differ"
)
KAGGLE_PAGES = {"dataset": "https://www.kaggle.com/datasets/{}",
                "competition": "https://www.kaggle.com/competitions/{}"}


@dataclass(frozen=True)
class Artifact:
    """One file the dataset is built from, with the provider's checksum.

    ``url`` is None for files a human must fetch (``manual`` then says where and how).
    ``gdrive_id`` (a Google Drive file id) and ``kaggle`` (``"owner/slug"`` for a
    dataset, ``"competitions/<name>"`` for a competition's data) name artifacts fetched
    through those services' protocols; ``url`` then defaults to the page a human would
    open. ``content_disposition``: the file name the server announces must equal
    ``file`` (for hosts, such as Drive, that serve many files from one URL pattern);
    otherwise the server's name is ignored and ``file`` alone names the artifact.
    Use ``borrow`` to declare another dataset's artifact rather than downloading it twice.
    """

    file: str
    url: str | None = None
    sha256: str | None = None
    md5: str | None = None
    size: int | None = None
    manual: str | None = None
    gdrive_id: str | None = None
    kaggle: str | None = None
    content_disposition: bool = False
    # Set on an artifact borrowed from another dataset: the artifact folder (that
    # dataset's ``source``) it is fetched into once, and shared from.
    source: str = ""

    def __post_init__(self):
        if "/" in self.file or self.file in ("", ".", ".."):
            raise ValueError(f"artifact file name {self.file!r} must be a plain name")
        if self.gdrive_id is not None and self.kaggle is not None:
            raise ValueError(f"{self.file}: give gdrive_id or kaggle, not both")
        if self.gdrive_id is not None:
            if not _GDRIVE_ID.fullmatch(self.gdrive_id):
                raise ValueError(f"{self.file}: {self.gdrive_id!r} is not a Google Drive file id")
            if self.url is None:
                object.__setattr__(self, "url", GDRIVE_PAGE.format(self.gdrive_id))
        if self.kaggle is not None:
            if not _KAGGLE_REF.fullmatch(self.kaggle):
                raise ValueError(
                    f"{self.file}: kaggle={self.kaggle!r} must be 'owner/slug' or "
                    "'competitions/<name>'"
                )
            if self.url is None:
                kind, ref = self.kaggle_ref
                object.__setattr__(self, "url", KAGGLE_PAGES[kind].format(ref))
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

    @property
    def kaggle_ref(self) -> tuple[str, str]:
        """("dataset", "owner/slug") or ("competition", "name") for a Kaggle artifact."""
        if self.kaggle is None:
            raise ValueError(f"{self.file} is not a Kaggle artifact")
        owner, _, name = self.kaggle.partition("/")
        if owner == "competitions":
            return ("competition", name)
        return ("dataset", self.kaggle)

    def to_json(self) -> dict:
        fields = {"file": self.file, "url": self.url, "sha256": self.sha256, "md5": self.md5,
                  "size": self.size, "manual": self.manual, "gdrive_id": self.gdrive_id,
                  "kaggle": self.kaggle, "source": self.source or None}
        return {key: value for key, value in fields.items() if value is not None}


EVIDENCE_KINDS = {
    "real artifact": "a copy whose size and checksum equal the pinned ones was read",
    "real listing": "a complete member list or split file of the real artifact was read",
    "documentation": "the provider's documentation or paper only",
    "unverified": "no evidence beyond the handler's own reading of the layout",
}


@dataclass(frozen=True)
class Evidence:
    """What a handler's layout was checked against, so a reader knows how far to trust it.

    ``kind`` is one of ``EVIDENCE_KINDS``; ``source`` names where the evidence is
    (``owner/repo@commit:path``, a paper, a page); ``listing`` is the file under
    ``tests/listings/`` that CI replays through the handler, when there is one.
    """

    kind: str = "unverified"
    source: str = ""
    listing: str = ""

    def __post_init__(self):
        if self.kind not in EVIDENCE_KINDS:
            raise ValueError(f"evidence kind {self.kind!r} is not one of {sorted(EVIDENCE_KINDS)}")
        if self.kind != "unverified" and not self.source:
            raise ValueError(f"evidence of kind {self.kind!r} must name its source")


@dataclass(frozen=True)
class DatasetSpec:
    """Everything the engine needs to know about one dataset.

    ``examples(artifacts_dir)`` yields every example once, with a stable key; splits the
    handler cannot decide per example are left None and decided by ``split_rule`` over
    all (key, label) pairs. ``write_fixture(artifacts_dir)`` writes tiny artifacts with
    the real names and layout and returns the number of examples per split (counted
    with ``_splits.SplitSizes``).
    ``source`` names the artifact folder; variants sharing artifacts share it.
    ``extra``: optional declarations by name, e.g. ``{"expected_keys": fn}`` with
    ``fn(artifacts_dir) -> {split: keys}`` for a handler that can list the keys it expects.
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
    evidence: Evidence = Evidence()
    # Where this dataset deliberately differs from the dm_nevis task of the same name, and why.
    dm_nevis_differences: str = ""
    # Keys of members known to be broken upstream (truncated, undecodable): skipped, and
    # counted in dataset_info.json, instead of failing the build.
    skip_members: frozenset[str] = frozenset()
    extra: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"dataset name {self.name!r} must be snake_case")
        if not self.source:
            object.__setattr__(self, "source", self.name)
        files = [artifact.file for artifact in self.artifacts]
        if len(set(files)) != len(files):
            raise ValueError(f"{self.name}: artifact file names repeat")

    def source_of(self, artifact: Artifact) -> str:
        """The artifact folder ``artifact`` is fetched into."""
        return artifact.source or self.source

    @property
    def borrowed(self) -> tuple[Artifact, ...]:
        return tuple(artifact for artifact in self.artifacts if artifact.source)

    def artifact(self, file: str) -> Artifact:
        for artifact in self.artifacts:
            if artifact.file == file:
                return artifact
        raise KeyError(f"{self.name} has no artifact {file!r}; it has {[a.file for a in self.artifacts]}")

    @property
    def needs_manual_download(self) -> bool:
        return any(artifact.url is None for artifact in self.artifacts)


def borrow(owner: DatasetSpec, file: str) -> Artifact:
    """``owner``'s artifact ``file``, declared by another dataset that reads it too: the
    graph fetches it once into ``owner``'s folder and both datasets read that copy."""
    return replace(owner.artifact(file), source=owner.source)
