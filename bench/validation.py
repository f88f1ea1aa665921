"""Validation benchmark: ``python -m bench.validation [--quality] [--share] [--scale 1.0]``.

``--quality`` measures the near-duplicate detector (data/validation/) on planted
duplicates: photo-like scenes (``scenes``: a sky/ground backdrop with a horizon, a
low-frequency colour field, blurred shapes, sensor grain) put in train, and copies made
by real transformations (JPEG re-encoding at several qualities, resizing, small crops,
colour shifts, combinations) put in test among unrelated scenes. Every image goes through
the build's own path: encoded (PNG, or JPEG for re-encodings), scanned by ``ShardScan``
from its bytes (JPEGs at reduced scale, as conversion does) and merged by ``merge``.
Per transformation it prints recall (planted copies grouped with their original),
precision (held-out images flagged as having a near-duplicate in train that are planted
copies of it) and the flagged negatives, at photo size and at CIFAR size (32x32), plus
"hard negatives": different scenes on the same backdrop, which no one would call a copy.

``--share`` measures validation's share of the work after fetching: CPU seconds of
staging, of ``convert_shard`` with the scan (the scan's own functions timed inside it:
hashing, its JSON, reading the written file back) and of the merge, on CIFAR-size data
(32x32 PNGs encoded from pixels) and photo-size data (passed-through JPEGs of
250-500 px), both smooth colour fields (bench/replicas.py). One line each. ``--scale`` shrinks the counts (default: 60,000 CIFAR-size
and 2,000 photo-size images; 0.1 for a quick look).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from data import validation
from data.types import Features
from data.validation import merging

FEATURES = Features(channels=3, class_names=("scene",))


# --- Photo-like scenes ------------------------------------------------------------


def _backdrop(rng: np.random.Generator, width: int, height: int) -> Image.Image:
    """Sky over ground with a tilted horizon, shaded by a low-frequency colour field."""
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    horizon = height * rng.uniform(0.3, 0.7) + (xs - width / 2) * rng.uniform(-0.3, 0.3)
    sky, ground = rng.uniform(0, 255, size=(2, 3)).astype(np.float32)
    top = sky + (ys / height)[..., None] * rng.uniform(-60, 60, size=3)
    bottom = ground + ((ys - horizon) / height)[..., None] * rng.uniform(-80, 80, size=3)
    image = np.where((ys < horizon)[..., None], top, bottom)
    coarse = rng.uniform(-50, 50, size=(4, 4, 3)).astype(np.float32)
    field = np.asarray(Image.fromarray(((coarse + 50) * 2.55).astype(np.uint8)).resize(
        (width, height), Image.Resampling.BICUBIC), dtype=np.float32) / 2.55 - 50
    return Image.fromarray(np.clip(image + field, 0, 255).astype(np.uint8))


def _objects(rng: np.random.Generator, image: Image.Image) -> Image.Image:
    """3 to 8 shapes (ellipses, boxes, polygons) in varied colours, a little blur."""
    image = image.copy()
    draw = ImageDraw.Draw(image)
    width, height = image.size
    for _ in range(int(rng.integers(3, 9))):
        w, h = (float(v) for v in rng.uniform(0.08, 0.45, size=2) * (width, height))
        x, y = float(rng.uniform(-w / 2, width - w / 2)), float(rng.uniform(-h / 2, height - h / 2))
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.ellipse((x, y, x + w, y + h), fill=colour)
        elif kind == 1:
            draw.rectangle((x, y, x + w, y + h), fill=colour)
        else:
            points = [(x + float(a) * w, y + float(b) * h) for a, b in rng.uniform(0, 1, size=(5, 2))]
            draw.polygon(points, fill=colour)
    return image.filter(ImageFilter.GaussianBlur(radius=max(width, height) / 300))


def _grain(rng: np.random.Generator, image: Image.Image) -> np.ndarray:
    pixels = np.asarray(image, dtype=np.int16) + rng.normal(0, 5, size=(image.height, image.width, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


def scenes(seed: int, count: int, size: tuple[int, int] | None = None,
           same_backdrop: bool = False) -> list[np.ndarray]:
    """``count`` photo-like RGB scenes, 160-400 px a side unless ``size`` (width, height);
    with ``same_backdrop``, all on one backdrop (different shapes only)."""
    rng = np.random.default_rng(seed)
    backdrop = None
    out = []
    for _ in range(count):
        width, height = size or (int(v) for v in rng.integers(160, 401, size=2))
        # Tiny images are rendered at 4x and shrunk, as CIFAR's were from larger photos.
        factor = 4 if max(width, height) < 100 else 1
        if backdrop is None or not same_backdrop:
            backdrop = _backdrop(rng, width * factor, height * factor)
        image = _grain(rng, _objects(rng, backdrop))
        if factor > 1:
            image = np.asarray(Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS))
        out.append(image)
    return out


# --- Transformations ----------------------------------------------------------------


def _png(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _resized(pixels: np.ndarray, factor: float) -> np.ndarray:
    image = Image.fromarray(pixels)
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS))


def _cropped(pixels: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A crop losing about ``fraction`` of each side in all (split at random between the
    two edges), resized back to the original size."""
    height, width = pixels.shape[:2]
    cut_x, cut_y = round(width * fraction), round(height * fraction)
    left, top = int(rng.integers(0, cut_x + 1)), int(rng.integers(0, cut_y + 1))
    part = pixels[top : height - (cut_y - top), left : width - (cut_x - left)]
    return np.asarray(Image.fromarray(part).resize((width, height), Image.Resampling.LANCZOS))


def _colour(pixels: np.ndarray, kind: str) -> np.ndarray:
    image = Image.fromarray(pixels)
    if kind == "brighter":
        return np.asarray(ImageEnhance.Brightness(image).enhance(1.2))
    if kind == "contrast":
        return np.asarray(ImageEnhance.Contrast(image).enhance(0.75))
    if kind == "saturation":
        return np.asarray(ImageEnhance.Color(image).enhance(0.5))
    if kind == "gamma":
        return np.clip(255 * (pixels / 255.0) ** 0.8, 0, 255).astype(np.uint8)
    if kind == "warm":  # white balance: red up, blue down
        return np.clip(pixels.astype(np.int16) + np.array([18, 4, -18]), 0, 255).astype(np.uint8)
    raise ValueError(kind)


TRANSFORMS = {
    "jpeg q90": lambda p, rng: _jpeg(p, 90),
    "jpeg q70": lambda p, rng: _jpeg(p, 70),
    "jpeg q50": lambda p, rng: _jpeg(p, 50),
    "jpeg q30": lambda p, rng: _jpeg(p, 30),
    "resize 0.5x": lambda p, rng: _png(_resized(p, 0.5)),
    "resize 1.5x": lambda p, rng: _png(_resized(p, 1.5)),
    "crop 2%": lambda p, rng: _png(_cropped(p, 0.02, rng)),
    "crop 5%": lambda p, rng: _png(_cropped(p, 0.05, rng)),
    "crop 10%": lambda p, rng: _png(_cropped(p, 0.10, rng)),
    "brightness +20%": lambda p, rng: _png(_colour(p, "brighter")),
    "contrast -25%": lambda p, rng: _png(_colour(p, "contrast")),
    "saturation -50%": lambda p, rng: _png(_colour(p, "saturation")),
    "gamma 0.8": lambda p, rng: _png(_colour(p, "gamma")),
    "white balance": lambda p, rng: _png(_colour(p, "warm")),
    "crop 3% + resize 0.75x + jpeg q75": lambda p, rng: _jpeg(_resized(_cropped(p, 0.03, rng), 0.75), 75),
}


# --- Quality ------------------------------------------------------------------------


def _as_jpeg(data: bytes) -> bytes:
    """A photo as a photo set holds it: JPEG (quality 90) unless it is one already."""
    if data.startswith(b"\xff\xd8"):
        return data
    return _jpeg(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")), 90)


# Applied to every image before it is scanned (``signatures`` sets it to _as_jpeg).
_STORED = [lambda data: data]


def _scan(split: str, items: list[tuple[str, bytes]]) -> dict:
    scan = validation.ShardScan(f"{split}-0", split, FEATURES)
    for key, data in items:
        scan.add(key, {"label": [0]}, [_STORED[0](data)])
    return json.loads(json.dumps(scan.to_json()))


def _flagged(section: dict, split: str = "test") -> tuple[set[str], list[dict]]:
    """Held-out keys in groups with train, from the section's listed groups (all of them:
    the caller raises NUM_GROUPS), and the groups."""
    groups = section["near_duplicates"]["examples"]
    flagged = {key for g in groups if "train" in g["keys"] for key in g["keys"].get(split, [])}
    return flagged, groups


def quality(originals: int, negatives: int, size: tuple[int, int] | None, label: str,
            seed: int = 0, skip: tuple[str, ...] = ()) -> list[str]:
    """Recall and precision per transformation; lines of a table.

    Train holds the ``originals`` and ``negatives`` smooth colour fields; test holds the
    copies, ``negatives`` other scenes and ``negatives`` other smooth fields (unrelated
    smooth images are what a difference hash confuses most)."""
    base = scenes(seed, originals + negatives, size)
    train_images, negative_images = base[:originals], base[originals:]
    smooth = _smooth_fields(seed, 2 * negatives, size)
    train = _scan("train", [(f"train/{i:05d}", _png(p)) for i, p in enumerate(train_images)]
                  + [(f"train/smooth{i:05d}", _png(p)) for i, p in enumerate(smooth[:negatives])])
    negative_items = [(f"test/neg{i:05d}", _png(p)) for i, p in enumerate(negative_images)]
    negative_items += [(f"test/smooth{i:05d}", _png(p)) for i, p in enumerate(smooth[negatives:])]
    lines = []
    previous = merging.NUM_GROUPS, merging.NUM_EXAMPLES
    merging.NUM_GROUPS, merging.NUM_EXAMPLES = 10**9, 10**9  # list every group
    try:
        totals = [0, 0, 0, 0]
        for name, transform in TRANSFORMS.items():
            if name in skip:
                continue
            rng = np.random.default_rng(zlib.crc32(name.encode()))
            planted = [(f"test/copy{i:05d}", transform(p, rng)) for i, p in enumerate(train_images)]
            test = _scan("test", planted + negative_items)
            section = validation.merge({"train": [train], "test": [test]}, FEATURES)
            flagged, groups = _flagged(section)
            found = 0
            for group in groups:
                copies = {k[len("test/copy"):] for k in group["keys"].get("test", []) if "copy" in k}
                found += len(copies & {k[len("train/"):] for k in group["keys"].get("train", [])})
            true_flags = sum(1 for k in flagged if "copy" in k)
            false_flags = len(flagged) - true_flags
            totals = [totals[0] + found, totals[1] + originals, totals[2] + true_flags, totals[3] + len(flagged)]
            lines.append(_quality_line(label, name, found, originals, true_flags, len(flagged), false_flags))
        lines.append(_quality_line(label, "all transformations", totals[0], totals[1], totals[2], totals[3],
                                   totals[3] - totals[2]))
        # Hard negatives: the same backdrop, different shapes.
        pairs = [tuple(scenes(seed + 10 + i, 2, size, same_backdrop=True)) for i in range(min(originals, 200))]
        section = validation.merge({
            "train": [_scan("train", [(f"train/{i:05d}", _png(a)) for i, (a, _) in enumerate(pairs)])],
            "test": [_scan("test", [(f"test/{i:05d}", _png(b)) for i, (_, b) in enumerate(pairs)])],
        }, FEATURES)
        flagged, _ = _flagged(section)
        lines.append(f"{label:<11} {'hard negatives (same backdrop)':<36} flagged {len(flagged)} of {len(pairs)}")
    finally:
        merging.NUM_GROUPS, merging.NUM_EXAMPLES = previous
    return lines


# The reduced-scale luma a passed-through JPEG's dHashes are computed from: the DCT
# scale follows from the least size asked of PIL's draft (data/validation/hashing.py).
SIGNATURES = {"luma at 1/4 (draft to 72 px, before)": (72, 72), "luma at 1/8 (draft to 32 px, adopted)": (32, 32)}


def signatures(scale: float) -> list[str]:
    """Passed-through JPEGs: the near-duplicate signature from luma decoded at 1/4 scale
    (draft to 72 px, what validation used) against 1/8 (draft to 32 px: the DC
    coefficients only, no inverse DCT), on a photo set held as JPEGs (originals, copies
    and negatives all JPEG, quality 90, as a photo dataset's files are): recall and
    precision per transformation, and the CPU cost of decode and hash per image."""
    from data import jpeg
    from data.validation import hashing

    originals, negatives = max(20, int(300 * scale)), max(50, int(1_500 * scale))
    photos = [_jpeg(p, 90) for p in scenes(7, 200)]
    lines, previous = [], hashing._DRAFT_SIZE
    _STORED[0] = _as_jpeg
    try:
        for name, draft in SIGNATURES.items():
            hashing._DRAFT_SIZE = draft
            started = time.process_time()
            for data in photos:
                hashing.image_hashes(data, "RGB", False)
            cost = (time.process_time() - started) / len(photos) * 1e6
            scale_used = jpeg.draft_scale((300, 300), (min(300, draft[0]), min(300, draft[1])))
            lines.append(f"signature: {name}: {cost:.0f} us per 160-400 px JPEG (decode + dHashes; "
                         f"1/{scale_used} at 300 px)")
            # With the originals stored as JPEG q90, the q90 copies are their very bytes:
            # exact duplicates, not a test of the signature.
            lines += quality(originals, negatives, None, f"JPEG 1/{scale_used}", skip=("jpeg q90",))
    finally:
        hashing._DRAFT_SIZE, _STORED[0] = previous, (lambda data: data)
    return lines


def _smooth_fields(seed: int, count: int, size: tuple[int, int] | None) -> list[np.ndarray]:
    """Low-frequency colour fields with grain (bench/replicas.py), 160-400 px a side
    unless ``size``."""
    from bench import replicas

    rng = np.random.default_rng(seed + 1000)
    if size:
        return list(replicas.natural_images(rng, count, size[1], size[0], 3))
    return [replicas.natural_images(rng, 1, int(rng.integers(160, 401)), int(rng.integers(160, 401)), 3)[0]
            for _ in range(count)]


def _quality_line(label, name, found, planted, true_flags, flagged, false_flags) -> str:
    recall = found / planted
    precision = true_flags / flagged if flagged else float("nan")
    return (f"{label:<11} {name:<36} recall {recall:6.1%} ({found}/{planted})  "
            f"precision {precision:6.1%}  false flags {false_flags}")


# --- Share of the build ---------------------------------------------------------------


class _Timed:
    """Accumulates the CPU time spent in some functions (patched in, then restored)."""

    def __init__(self, targets: list[tuple[object, str]]):
        self.targets, self.seconds, self.saved = targets, 0.0, []

    def __enter__(self):
        for owner, name in self.targets:
            original = getattr(owner, name)
            self.saved.append((owner, name, original))

            def timed(*args, _original=original, **kwargs):
                started = time.process_time()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds += time.process_time() - started

            setattr(owner, name, timed)
        return self

    def __exit__(self, *exc):
        for owner, name, original in self.saved:
            setattr(owner, name, original)


def _share(label: str, examples: list, scratch: Path) -> str:
    """CPU seconds of staging, conversion with the scan (the scan's own part timed
    inside it) and the merge: one line. CPU time, not wall time, so that other processes
    on the machine do not blur the split."""
    from data import shards, staging

    staged = scratch / "staging"
    started = time.process_time()
    plan = staging.stage(examples, FEATURES, staged, None)
    staging.write_plan(staged, plan)
    staged_in = time.process_time() - started
    # The scan: hashing every record, its JSON, and reading the written file back.
    scan_parts = [(validation.ShardScan, "observe_encoded"), (validation.ShardScan, "observe_stack"),
                  (validation.ShardScan, "to_json"), (shards, "_check_framing"), (shards, "write_json_atomic")]
    with _Timed(scan_parts) as scanning:
        started = time.process_time()
        shards.convert_shard(staged, "train", 0, 1, FEATURES, scratch / "shard.tfrecord", scratch / "side.json",
                             10**9, scan_path=scratch / "scan.json")
        converted = time.process_time() - started
    started = time.process_time()
    section = validation.merge({"train": [scratch / "scan.json"]}, FEATURES)
    merged = time.process_time() - started
    count = len(examples)
    checked = scanning.seconds + merged
    build = staged_in + converted + merged
    search = section["near_duplicates"]["search"]
    shutil.rmtree(staged)
    return (f"{label:<40} CPU s: stage {staged_in:5.2f}, convert {converted - scanning.seconds:5.2f} "
            f"+ scan {scanning.seconds:5.2f}, merge {merged:5.2f}: validation {checked / build:4.0%} of "
            f"stage+convert+merge; {search['comparisons'] / count:.1f} comparisons/image, "
            f"{search['capped_records']} in capped buckets; unrelated images grouped as near-duplicates: "
            f"{section['near_duplicates']['records_in_groups']}")


def share(scale: float, scratch: Path) -> list[str]:
    from bench import replicas
    from data.types import Example

    lines = []
    rng = np.random.default_rng(7)
    count = max(100, int(60_000 * scale))
    pixels = replicas.natural_images(rng, count, 32, 32, 3)
    examples = [Example(f"c/{i:06d}", pixels[i], label=0, split="train") for i in range(count)]
    lines.append(_share(f"CIFAR-size: {count} 32x32 PNGs", examples, scratch / "cifar"))
    count = max(50, int(2_000 * scale))
    examples = []
    for i in range(count):
        height, width = (int(v) for v in rng.integers(250, 501, size=2))
        image = replicas.natural_images(rng, 1, height, width, 3)[0]
        examples.append(Example(f"p/{i:06d}", _jpeg(image, 88), label=0, split="train"))
    lines.append(_share(f"photo-size: {count} JPEGs of 250-500 px", examples, scratch / "photos"))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quality", action="store_true", help="recall/precision on planted duplicates")
    parser.add_argument("--share", action="store_true", help="validation's share of conversion")
    parser.add_argument("--scale", type=float, default=1.0, help="count factor (0.1: a quick look)")
    parser.add_argument("--scratch", type=Path, default=Path(tempfile.gettempdir()) / "datasets_storage_bench_v")
    args = parser.parse_args()
    if not (args.quality or args.share):
        args.quality = args.share = True
    for line in run(args.quality, args.share, args.scale, args.scratch):
        print(line, flush=True)


def run(quality_: bool, share_: bool, scale: float, scratch: Path) -> list[str]:
    lines = []
    if quality_:
        originals, negatives = max(20, int(300 * scale)), max(50, int(1_500 * scale))
        lines += quality(originals, negatives, None, "photo-size")
        lines += quality(originals, negatives, (32, 32), "CIFAR-size")
        lines += signatures(scale)
    if share_:
        shutil.rmtree(scratch, ignore_errors=True)
        for folder in ("cifar", "photos"):
            (scratch / folder).mkdir(parents=True)
        lines += share(scale, scratch)
        shutil.rmtree(scratch, ignore_errors=True)
    return lines


if __name__ == "__main__":
    main()
