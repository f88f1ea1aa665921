"""Replays a real member listing through a handler: the handler's own rules, real names.

A listing (``tests/listings/<name>.json`` or ``.json.gz``; format in the README there)
names every member of a real artifact, with its size, and the figures the provider
published. ``rebuild`` writes artifacts with exactly those member names, each image a
tiny placeholder in the member's own format, plus the small real text files the
listing carries verbatim (annotations, split lists). Staging them with the real
staging code shows what the handler makes of the real layout: which members it keeps,
the labels and the splits, without a byte of the real images.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from PIL import Image

from data import staging
from data.settings import CONFIG_PATH_ENV
from handlers import _fixtures

LISTINGS = Path(__file__).parent / "listings"
_TAR_SUFFIXES = {".tar": "w", ".tar.gz": "w:gz", ".tgz": "w:gz", ".tar.bz2": "w:bz2",
                 ".tar.xz": "w:xz"}
_IMAGE_FORMATS = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".gif": "GIF",
                  ".bmp": "BMP", ".tif": "TIFF", ".tiff": "TIFF", ".ppm": "PPM",
                  ".pgm": "PPM", ".pbm": "PPM", ".pnm": "PPM"}


def listing_files() -> list[Path]:
    return sorted(p for p in LISTINGS.iterdir() if p.name.endswith((".json", ".json.gz")))


def load(path: Path) -> dict:
    raw = path.read_bytes()
    if path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    listing = json.loads(raw)
    for required in ("source", "artifacts", "expect"):
        if required not in listing:
            raise ValueError(f"{path.name}: no {required!r}")
    return listing


@lru_cache(maxsize=64)
def placeholder(suffix: str, size: tuple[int, int] = (8, 8), seed: int = 7) -> bytes:
    """A tiny valid image in the format a member name promises (``seed`` varies it)."""
    image_format = _IMAGE_FORMATS.get(suffix.lower())
    if image_format is None:
        return b""
    mode = "L" if suffix.lower() in (".pgm", ".pbm", ".gif") else "RGB"
    array = _fixtures.pixels(seed, size[1], size[0], 1 if mode == "L" else 3)
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format=image_format)
    return buffer.getvalue()


def _suffix(name: str) -> str:
    base = name.rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1] if "." in base else ""


def _members(entry: dict, size: tuple[int, int], unique: bool):
    texts = entry.get("texts", {})
    for index, (name, _) in enumerate(entry.get("members", [])):
        if name.endswith("/"):
            continue
        if name in texts:
            yield name, texts[name].encode()
        elif unique:  # for handlers that drop duplicate images: every member differs
            yield name, placeholder.__wrapped__(_suffix(name), size, index)
        else:
            yield name, placeholder(_suffix(name), size)
    listed = {name for name, _ in entry.get("members", [])}
    for name, text in texts.items():
        if name not in listed:
            yield name, text.encode()


def rebuild(listing: dict, artifacts_dir: Path) -> None:
    """Writes every artifact the listing describes into ``artifacts_dir``."""
    size = tuple(listing.get("placeholder_size", (8, 8)))
    unique = bool(listing.get("unique_placeholders", False))
    for file, entry in listing["artifacts"].items():
        path = artifacts_dir / file
        if "text" in entry:
            path.write_text(entry["text"])
            continue
        tar_mode = next((mode for suffix, mode in _TAR_SUFFIXES.items() if file.endswith(suffix)), None)
        members = list(_members(entry, size, unique))
        if file.endswith(".zip"):
            _fixtures.write_zip(path, members)
        elif tar_mode is not None:
            with tarfile.open(path, tar_mode) as archive:
                _fixtures._add_members(archive, members)
        elif file.endswith(".rar"):
            from handlers import _rar

            _rar.write_rar(path, members)
        else:
            raise ValueError(f"{file}: no archive format known for this name")


@contextmanager
def _placeholder_ratios_allowed(root: Path):
    """Thousands of byte-identical placeholders (and their tar headers) compress a few
    hundred times, far beyond any real artifact: the ratio limit is lifted meanwhile."""
    settings_file = root / "replay-limits.cfg"
    settings_file.write_text("[archives]\nmax_ratio = 1000000\n")
    before = os.environ.get(CONFIG_PATH_ENV)
    os.environ[CONFIG_PATH_ENV] = str(settings_file)
    try:
        yield
    finally:
        if before is None:
            del os.environ[CONFIG_PATH_ENV]
        else:
            os.environ[CONFIG_PATH_ENV] = before


def replay(spec, listing: dict, root: Path) -> tuple[dict[str, int], int]:
    """Stages ``spec`` over the rebuilt artifacts: ({split: count}, classes seen)."""
    artifacts = root / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    if not any(artifacts.iterdir()):
        rebuild(listing, artifacts)
    with _placeholder_ratios_allowed(root):
        kept = (item for item in spec.examples(artifacts) if item.key not in spec.skip_members)
        plan = staging.stage(kept, spec.features, root / f"staging-{spec.name}", spec.split_rule)
    counts, seen = {}, set()
    for split, entry in plan["splits"].items():
        labels = json.loads((root / f"staging-{spec.name}" / entry["labels"]).read_text())
        seen.update(label for value in labels for label in (value if isinstance(value, list) else [value]))
        counts[split] = entry["num_examples"]
    return counts, len(seen)
