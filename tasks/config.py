"""Settings, bound to luigi.cfg sections (defaults here; luigi.cfg documents them)."""

from __future__ import annotations

import json
from pathlib import Path

import luigi
from luigi.configuration import LuigiConfigParser

from data import settings
from fetch import FetchSettings


def _install_defaults() -> None:
    """The package's defaults.cfg as Luigi's lowest-priority config file, so that a build
    from any directory gets the project's defaults (retcodes included) and ./luigi.cfg or
    $LUIGI_CONFIG_PATH override them key by key. Runs on import, which ``luigi --module
    tasks`` does before it reads any setting."""
    paths = LuigiConfigParser._config_paths
    if str(settings.DEFAULTS) not in paths:
        paths.insert(0, str(settings.DEFAULTS))
        LuigiConfigParser.reload()


_install_defaults()


class ParamsOnce:
    """Mixin: the class's parameters listed once. Luigi's ``get_params`` walks ``dir()`` of
    the class on every call (about 23 us), and makes about 25 calls per task it schedules
    and runs, and several for each settings section read; a class's parameters never
    change after it is defined."""

    @classmethod
    def get_params(cls):
        listed = cls.__dict__.get("_params_listed")
        if listed is None:
            listed = super().get_params()
            cls._params_listed = listed
        return list(listed)


class storage(ParamsOnce, luigi.Config):  # noqa: N801 - the class name is the luigi.cfg section
    data_dir = luigi.Parameter(
        default="",
        description=f"Root of artifacts/, staging/ and datasets/; empty means the "
        f"{settings.DATA_DIR_ENV} environment variable, else {settings.DEFAULT_DATA_DIR}",
    )
    datasets_url = luigi.Parameter(
        default="", description="Where built datasets go: empty means <data dir>/datasets; "
        "s3://bucket/prefix or gs://bucket/prefix puts them in object storage (fsspec)")
    fixture_data = luigi.BoolParameter(
        default=False, description="The artifacts are fixtures (the demo, the tests): the "
        "metadata says so, so that such a build never passes for the real dataset")


class fetch(ParamsOnce, luigi.Config):  # noqa: N801
    mirrors = luigi.Parameter(
        default="",
        description="Comma-separated folders or URL bases tried before the provider, "
        "each laid out as <mirror>/<source>/<file>",
    )
    offline = luigi.BoolParameter(default=False, description="Never contact providers")
    attempts = luigi.IntParameter(
        default=5, description="Tries per source on connection errors, timeouts, 408, 429, 5xx"
    )
    timeout_seconds = luigi.FloatParameter(
        default=60.0, description="Connect timeout, and the longest silence while reading"
    )
    backoff_seconds = luigi.FloatParameter(
        default=1.0, description="First retry delay; doubles per retry, with +-50% jitter"
    )
    max_backoff_seconds = luigi.FloatParameter(
        default=120.0, description="Cap of the retry delay, Retry-After included"
    )
    refresh = luigi.BoolParameter(
        default=False,
        description="Accept artifacts without a published checksum that differ from the "
        "sha256 recorded at their first fetch (and record the new one)",
    )
    gdrive_url = luigi.Parameter(default="https://drive.google.com",
                                 description="Google Drive's base URL (tests point it at a fake)")
    kaggle_api = luigi.Parameter(default="https://www.kaggle.com/api/v1",
                                 description="Kaggle's API base URL (tests point it at a fake)")
    checksum_overrides = luigi.Parameter(
        default="",
        description='A JSON file {"<source>/<file>": {"sha256": "..."}} replacing handler '
        "checksums: for fixture builds and deliberately re-packed mirrors",
    )


class convert(ParamsOnce, luigi.Config):  # noqa: N801
    target_shard_mb = luigi.FloatParameter(default=64.0)
    min_shards = luigi.IntParameter(default=4, description="Shards per split at least, for parallelism")
    max_image_pixels = luigi.IntParameter(default=178_956_970)
    check_counts = luigi.BoolParameter(
        default=True, description="Fail when split sizes differ from the handler's expectation"
    )
    keep_staging = luigi.BoolParameter(
        default=True, description="Keep a finished dataset's staged records (false: a repair plans again)"
    )


class validate(ParamsOnce, luigi.Config):  # noqa: N801
    enabled = luigi.BoolParameter(default=True, description="Check every built dataset")
    leakage_fails = luigi.BoolParameter(
        default=False, description="Fail the build on images shared between train and held-out "
        "splits (exact or near duplicates) instead of only reporting them")
    near_duplicate_distance = luigi.IntParameter(
        default=4, description="Hamming distance of 64-bit difference hashes that counts as near-duplicate")
    full_decode = luigi.BoolParameter(
        default=False, description="Decode passed-through JPEGs fully for their hashes (slower): "
        "exact duplicates by pixels instead of bytes, dHash at full instead of reduced scale")


def conversion_settings() -> dict:
    """The [convert] settings that change the bytes written (part of the fingerprint)."""
    section = convert()
    return {"target_shard_mb": section.target_shard_mb, "min_shards": section.min_shards}


def data_dir() -> Path:
    """``data.settings``' rule, applied to Luigi's value (which a command line may set)."""
    configured = storage().data_dir
    in_file, source = settings.value("storage", "data_dir")
    return settings.resolve_data_dir(configured, source if configured == in_file else None)


def fetch_settings() -> FetchSettings:
    section = fetch()
    overrides = ()
    if section.checksum_overrides:
        table = json.loads(Path(section.checksum_overrides).read_text())
        overrides = tuple(
            (name, next((algo, value) for algo, value in sorted(entry.items())
                        if algo in ("sha256", "md5")))
            for name, entry in sorted(table.items())
        )
    return FetchSettings(
        checksum_overrides=overrides,
        mirrors=tuple(m.strip() for m in section.mirrors.split(",") if m.strip()),
        offline=section.offline,
        attempts=section.attempts,
        timeout=section.timeout_seconds,
        backoff=section.backoff_seconds,
        max_backoff=section.max_backoff_seconds,
        refresh=section.refresh,
        gdrive_url=section.gdrive_url,
        kaggle_api=section.kaggle_api,
    )
