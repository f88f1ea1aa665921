"""Where a built dataset's files live: a folder on local disk, or a prefix in object storage.

``[storage] datasets_url`` names the root of the built datasets (``<root>/<name>/<version>/``):
empty means ``<data dir>/datasets``; ``s3://bucket/prefix`` or ``gs://bucket/prefix`` puts
them in a bucket, through fsspec (s3fs, gcsfs), with credentials from those libraries' usual
environment (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL``, ``GOOGLE_APPLICATION_CREDENTIALS``,
...). Artifacts and staging always stay on each host's disk (see the README).

``Folder`` is the one interface the graph, the readers and verify use for a dataset's
files. Object stores have no rename, so a file becomes final in the one step the store
guarantees: ``publish`` uploads a finished local file with a single PUT (or a multipart
upload, whose object appears only when it is completed; s3fs aborts it on failure), and
nothing partial is ever visible under a final name. Existence checks read ONE listing of
the folder per process, kept up to date by the process's own writes; a name missing from a
listing older than ``LISTING_MAX_AGE`` seconds, or made before this process forked, is
listed again (another host or worker process may have written it since), so Luigi's completeness checks cost one request per dataset, not one
per shard.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import threading
import time
from pathlib import Path

from data import settings

LISTING_MAX_AGE = 2.0  # seconds during which an absent name is taken as absent
READ_BLOCK = 8 << 20  # bytes per ranged GET when streaming a shard from a store


class LocationError(ValueError):
    """A datasets location that cannot be used (unknown scheme, missing library)."""


def is_url(location) -> bool:
    return isinstance(location, str) and "://" in location and not location.startswith("file://")


def _filesystem(url: str):
    """(fsspec filesystem, path inside it) of a URL, with a clear error when the library
    for its scheme is missing."""
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec is a runtime dependency
        raise LocationError("reading or writing object storage needs fsspec: pip install fsspec") from None
    try:
        # fsspec's own listing cache off: this module keeps the one listing it trusts.
        options = {"use_listings_cache": False}
        if url.startswith("s3://"):
            options["session"] = _s3_session()
        return fsspec.core.url_to_fs(url, **options)
    except (ImportError, ValueError) as error:
        scheme = url.split("://", 1)[0]
        extra = {"s3": "s3fs", "gs": "gcsfs", "gcs": "gcsfs"}.get(scheme)
        hint = (f"pip install {extra} (or pip install 'datasets-storage[{'s3' if extra == 's3fs' else 'gcs'}]')"
                if extra else "use s3://bucket/prefix or gs://bucket/prefix")
        raise LocationError(f"cannot open {url}: {error}. For the {scheme}:// scheme, {hint}.") from None


_S3_SESSION = None


def _s3_session():
    """One botocore session per process tree: a forked worker inherits it with the S3
    service model already loaded (a new client then costs ~0.3 s instead of ~1.2 s)."""
    global _S3_SESSION
    if _S3_SESSION is None:
        from aiobotocore.session import AioSession

        _S3_SESSION = AioSession()
    return _S3_SESSION


def datasets_root(data_dir: Path | None = None) -> str:
    """The root of the built datasets: ``[storage] datasets_url`` when set, else
    ``<data dir>/datasets`` (``data_dir`` given or configured)."""
    url, _ = settings.value("storage", "datasets_url")
    if url and data_dir is None:
        return url.rstrip("/")
    return str(Path(data_dir or settings.data_dir()) / "datasets")


def join(base: str, *names: str) -> str:
    """``base/name/...`` for a URL or a local path."""
    if is_url(base):
        return "/".join([base.rstrip("/"), *names])
    return str(Path(base, *names))


class Folder:
    """One folder of files (a built dataset's version folder): local or in a bucket.

    Names are relative to the folder (``a.tfrecord-00000-of-00004``, ``tfds/features.json``).
    """

    _listings: dict[str, tuple[int, float, dict[str, int]]] = {}  # location -> (pid, time, names)
    _lock = threading.Lock()

    def __init__(self, location: str | os.PathLike):
        self.remote = is_url(location)
        self.location = str(location).rstrip("/") if self.remote else str(Path(location))
        self._fs, self._pid = None, None

    @property
    def fs(self):
        """The fsspec filesystem, made again in a forked process (Luigi's workers fork;
        fsspec's async filesystems must not cross a fork)."""
        if self._pid != os.getpid():
            self._fs, self._root = _filesystem(self.location)
            self._pid = os.getpid()
        return self._fs

    @property
    def root(self) -> str:
        self.fs  # noqa: B018 - resolves the path too
        return self._root

    def __repr__(self) -> str:
        return f"Folder({self.location!r})"

    def __str__(self) -> str:
        return self.location

    @property
    def name(self) -> str:
        return self.location.rstrip("/").rsplit("/", 1)[-1] if self.remote else Path(self.location).name

    @property
    def path(self) -> Path:
        """The local folder (local folders only)."""
        assert not self.remote, self.location
        return Path(self.location)

    def url(self, name: str) -> str:
        """What a file is called outside this module: a URL, or a local path."""
        return join(self.location, name)

    def child(self, name: str) -> Folder:
        return Folder(self.url(name))

    # --- existence: one listing per folder ---------------------------------------

    def listing(self, refresh: bool = False) -> dict[str, int]:
        """name -> size of every file under the folder (hidden ones and subfolders'
        included); for a store, one LIST (a request per 1,000 names), kept for the process."""
        if not self.remote:
            root = Path(self.location)
            return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}
        with self._lock:
            cached = self._listings.get(self.location)
            if cached is not None and not refresh:
                return cached[2]
        found = {}
        with contextlib.suppress(FileNotFoundError):
            for path, detail in self.fs.find(self.root, detail=True, withdirs=False).items():
                found[path[len(self.root):].lstrip("/")] = int(detail.get("size") or 0)
        with self._lock:
            self._listings[self.location] = (os.getpid(), time.monotonic(), found)
        return found

    def exists(self, name: str, recheck: bool = False) -> bool:
        """Whether ``name`` is in the folder. ``recheck``: an absent name is listed again
        even from a fresh listing; a reader's question, which a build in another process
        may have answered since (a build's own checks trust the fresh listing)."""
        if not self.remote:
            return os.path.exists(self.url(name))
        with self._lock:
            cached = self._listings.get(self.location)
        if cached is not None:
            pid, listed_at, names = cached
            # Present stays present; absent only from a fresh listing made by this very
            # process (a forked worker's inherited one misses its siblings' writes).
            if name in names or (not recheck and pid == os.getpid()
                                 and time.monotonic() - listed_at < LISTING_MAX_AGE):
                return name in names
        return name in self.listing(refresh=True)

    def has_size(self, name: str, num_bytes: int | None) -> bool:
        """``name`` exists with the recorded size (None: any): one stat locally, the
        cached listing in a store."""
        if not self.remote:
            try:
                return num_bytes is None or os.path.getsize(self.url(name)) == num_bytes
            except FileNotFoundError:
                return False
        if not self.exists(name):
            return False
        with self._lock:
            size = self._listings[self.location][2].get(name)
        return num_bytes is None or size == num_bytes

    def _remember(self, name: str, size: int | None) -> None:
        with self._lock:
            cached = self._listings.get(self.location)
            if cached is None:
                return
            if size is None:
                cached[2].pop(name, None)
            else:
                cached[2][name] = size

    @classmethod
    def forget_listings(cls) -> None:
        with cls._lock:
            cls._listings.clear()

    # --- reading -----------------------------------------------------------------

    def open(self, name: str, block_size: int = READ_BLOCK):
        """A binary stream of one file: for a store, read ahead in ranged GETs of
        ``block_size`` bytes, never the whole object at once."""
        if not self.remote:
            return open(self.url(name), "rb", buffering=1 << 20)
        stream = self.fs.open(f"{self.root}/{name}", "rb", block_size=block_size, cache_type="readahead")
        # A record is three small reads: served from a C buffer, not fsspec's Python one.
        return io.BufferedReader(stream, buffer_size=1 << 20)

    def read_bytes(self, name: str) -> bytes:
        if not self.remote:
            return Path(self.url(name)).read_bytes()
        return self.fs.cat_file(f"{self.root}/{name}")

    def size(self, name: str) -> int:
        if not self.remote:
            return os.path.getsize(self.url(name))
        return int(self.fs.info(f"{self.root}/{name}")["size"])

    def subfolders(self) -> list[str]:
        """The names of the folder's immediate subfolders (the versions of a dataset)."""
        if not self.remote:
            root = Path(self.location)
            return sorted(p.name for p in root.glob("*") if p.is_dir())
        try:
            entries = self.fs.ls(self.root, detail=True)
        except FileNotFoundError:
            return []
        return sorted(e["name"].rstrip("/").rsplit("/", 1)[-1] for e in entries if e["type"] == "directory")

    # --- writing -----------------------------------------------------------------

    def publish(self, local: Path, name: str, keep: bool = False) -> None:
        """Make the finished local file ``local`` the folder's ``name`` in one step: a
        rename on local disk (a copy beside it first when on another filesystem), one
        PUT or a completed multipart upload in a store. ``keep`` leaves ``local`` there."""
        size = os.path.getsize(local)
        if self.remote:
            self.fs.put_file(str(local), f"{self.root}/{name}")
            if not keep:
                os.unlink(local)
            self._remember(name, size)
            return
        from data.atomic import atomic_path

        final = Path(self.url(name))
        if keep or os.stat(local).st_dev != _device_of(final.parent):
            with atomic_path(final) as temporary:
                shutil.copyfile(local, temporary)
            if not keep:
                os.unlink(local)
        else:
            os.replace(local, final)

    def write_bytes(self, name: str, content: bytes) -> None:
        """One small file, whole: a single PUT, or an atomic write on local disk."""
        if self.remote:
            self.fs.pipe_file(f"{self.root}/{name}", content)
            self._remember(name, len(content))
            return
        from data.atomic import atomic_path

        with atomic_path(Path(self.url(name))) as temporary:
            Path(temporary).write_bytes(content)

    def delete(self, name: str) -> None:
        if self.remote:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm_file(f"{self.root}/{name}")
            self._remember(name, None)
            return
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.url(name))


def _device_of(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    return os.stat(directory).st_dev


def dataset_folder(dataset: str, version: str, data_dir: Path | None = None) -> Folder:
    """The folder a dataset's build is written to and read from."""
    return Folder(join(datasets_root(data_dir), dataset, version))


def _version_key(name: str):
    return tuple(int(x) if x.isdigit() else x for x in name.split("."))


def find_dataset(name_or_location, data_dir: Path | None = None) -> Folder:
    """A built dataset's folder: a local path or a URL to one (``<root>/<name>/<version>``,
    or ``<root>/<name>`` for its newest version), or a name looked up in the datasets root.

    A name resolves to its only version, or the newest one when several are built.
    """
    if is_url(name_or_location):
        folder = Folder(name_or_location)
        if folder.exists("dataset_info.json", recheck=True):
            return folder
        versions = folder.subfolders()
        if not versions:
            return folder  # reading it says the build is unfinished
        return folder.child(sorted(versions, key=_version_key)[-1])
    root = datasets_root(data_dir)
    if not is_url(root) or len(Path(str(name_or_location)).parts) > 1 or Path(name_or_location).is_dir():
        from data.locate import find_dataset_dir

        return Folder(find_dataset_dir(name_or_location, data_dir))
    base = Folder(join(root, str(name_or_location)))
    versions = base.subfolders()
    if not versions:
        raise FileNotFoundError(
            f"no built dataset {str(name_or_location)!r} under {root}; build it with "
            f"`luigi --module tasks BuildDataset --dataset {name_or_location} --local-scheduler`")
    return base.child(sorted(versions, key=_version_key)[-1])


def open_file(path: str | os.PathLike):
    """A binary stream of a local path or a file URL (streamed in ranged GETs)."""
    if is_url(path):
        parent, _, name = str(path).rpartition("/")
        return Folder(parent).open(name)
    return open(path, "rb", buffering=1 << 20)


def as_location(path) -> str | Path:
    """A shard's location as given: URLs stay strings (``Path`` would fold ``//``)."""
    return path if is_url(path) else Path(path)

