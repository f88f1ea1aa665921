"""Every setting resolved in one place, the data dir first, for the graph, the CLI and ``data.load``.

Settings are luigi.cfg files read in Luigi's own order, later files winning key by key:
the package's ``defaults.cfg`` (so the defaults travel with the package, whatever the
current directory), ``/etc/luigi/luigi.cfg``, ``./luigi.cfg``, then the file named by
``$LUIGI_CONFIG_PATH``. This module reads them with ``configparser`` and never imports
Luigi, so reading a dataset back does not pay for it; ``tasks.config`` hands the same
defaults file to Luigi's own parser.
"""

from __future__ import annotations

import configparser
import functools
import os
from pathlib import Path

DEFAULTS = Path(__file__).with_name("defaults.cfg")
CONFIG_PATH_ENV = "LUIGI_CONFIG_PATH"
DATA_DIR_ENV = "DATASETS_STORAGE_DIR"
# Not the current directory: the same data dir whichever directory a command runs from.
DEFAULT_DATA_DIR = Path("~/datasets_storage")


def config_files() -> list[Path]:
    """The files settings come from, lowest priority first (missing ones included)."""
    files = [DEFAULTS, Path("/etc/luigi/luigi.cfg"), Path("luigi.cfg")]
    if os.environ.get(CONFIG_PATH_ENV):
        files.append(Path(os.environ[CONFIG_PATH_ENV]))
    return files


def _sources() -> list[tuple[Path, configparser.ConfigParser]]:
    """The settings files that exist, parsed; parsed again only when one changes (every
    task's output() asks for the data dir, so this is called thousands of times a build)."""
    stamps = []
    for path in config_files():
        try:
            stat = path.stat()
        except OSError:
            continue
        stamps.append((str(path.absolute()), stat.st_mtime_ns, stat.st_size))
    return _parsed(tuple(stamps))


@functools.lru_cache(maxsize=8)
def _parsed(stamps: tuple[tuple[str, int, int], ...]) -> list[tuple[Path, configparser.ConfigParser]]:
    parsed = []
    for name, _, _ in stamps:
        path = Path(name)
        parser = configparser.ConfigParser(interpolation=None)
        try:
            if not parser.read(path):
                continue
        except configparser.Error as error:
            raise SettingsError(f"{path} is not a valid settings file: {error}") from None
        parsed.append((path, parser))
    return parsed


class SettingsError(ValueError):
    """A settings file that cannot be read, or a value that makes no sense."""


def value(section: str, key: str, fallback: str = "") -> tuple[str, Path | None]:
    """(the winning value of ``[section] key``, the file that set it) or (fallback, None)."""
    for path, parser in reversed(_sources()):
        if parser.has_option(section, key):
            return parser.get(section, key).strip(), path
    return fallback, None


def resolve_data_dir(configured: str = "", relative_to: Path | None = None) -> Path:
    """The one rule: a configured path (relative ones from the directory of the file that
    set it), else ``$DATASETS_STORAGE_DIR``, else ``~/datasets_storage``."""
    if configured:
        path = Path(configured).expanduser()
        if not path.is_absolute() and relative_to is not None:
            path = relative_to.resolve().parent / path
        return path
    return Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR).expanduser()


def data_dir() -> Path:
    """The data dir as every command and ``data.load`` see it."""
    configured, source = value("storage", "data_dir")
    return resolve_data_dir(configured, source)


# [archives]: what one archive may decode to; see handlers/_limits.py.
DEFAULT_MAX_UNCOMPRESSED_GB = 200.0
DEFAULT_MAX_RATIO = 200.0


def archive_limits() -> tuple[int, float]:
    """(``[archives] max_uncompressed_gb`` in bytes, ``[archives] max_ratio``)."""
    return (int(_positive("archives", "max_uncompressed_gb", DEFAULT_MAX_UNCOMPRESSED_GB) * 1e9),
            _positive("archives", "max_ratio", DEFAULT_MAX_RATIO))


def max_image_pixels() -> int:
    """``[convert] max_image_pixels``: images with more pixels are refused before decoding."""
    return int(_positive("convert", "max_image_pixels", 178_956_970))


def _positive(section: str, key: str, fallback: float) -> float:
    text, source = value(section, key)
    if not text:
        return fallback
    try:
        number = float(text)
    except ValueError:
        number = -1.0
    if not number > 0:
        raise SettingsError(f"[{section}] {key} = {text!r} in {source} is not a positive number; "
                            "fix it or remove it to use the default")
    return number
