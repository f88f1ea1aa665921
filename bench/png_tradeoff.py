"""The PNG encoder's trade-off: ``python -m bench --only png`` (or ``python -m bench.png_tradeoff``).

Encodes CIFAR-size images (the replica's 32x32 colour fields with grain, bench/replicas.py)
with each PNG filter strategy and deflate level, and prints per strategy: bytes against
PIL's default (``Image.save(format="PNG")``: zlib level 6, the adaptive filter per row),
and CPU microseconds per image, against the encoder in use (data/images.py: per
image, none, sub or average by their non-zero bytes). Filters:

- ``none/sub``: per image, the one of the two leaving fewer non-zero bytes (the
  encoder before this measurement);
- ``sub``, ``up``, ``average``, ``paeth``: one filter for every row;
- ``adaptive``: per row, the filter whose bytes, read as signed, sum to the least in
  absolute value (libpng's and PIL's heuristic), over none, sub, up, average and paeth;
- ``best-of-4``: per image, whichever of none, sub, up and paeth leaves fewer
  non-zero bytes.

Every variant is computed with numpy over the whole stack, as the encoder does, then
deflated by ISA-L (levels 0-3), libdeflate (1-2, what data/images.py uses: ISA-L's output
varied between processes) or zlib. The bytes decode to the same pixels (checked).
The variants' times are their deflate's alone (this module filters generically, every
filter in int16, which says nothing of a filter's own cost): only the rows "PIL
default" and "data/images.py" time whole encoders. Filtering a 32x32 RGB image costs
about 2 us (sub), 4 us (average, in uint8) and 30 us (paeth, in int16) with numpy. A last line does the same on digit-like images
(the MNIST replica's), where empty backgrounds favour none and sub.

Measured (3,000 images, one run on a loaded 2-core machine; bytes per image, x PIL):

    PIL default (zlib 6, adaptive)       2267  1.000   195 us/image
    none/sub + ISA-L 1 (the encoder before)  2474  1.091    33 us (38 us now, calm runs)
    sub or up alone + ISA-L 1            2474  1.091
    average + ISA-L 1                    2376  1.048   (filtering: 4 us in uint8)
    paeth / adaptive + ISA-L 1           2272  1.002   (filtering: 30 us in int16)
    best-of-4 + ISA-L 1                  2282  1.006
    any filter, ISA-L 2 or 3             as level 1, slower; zlib 1-9: +1%, slower
    data/images.py (none/sub/average)    2376  1.048   52 us loaded, 1.15x the encoder before
    digit-like 28x28 grey                0.978 x PIL, unchanged

Paeth reaches PIL's size but doubles the encoder's time (numpy has no cheaper way to
pick among three neighbours); average is the one within 5% of PIL at about the same
speed, so data/images.py uses it, keeping none/sub where they leave fewer non-zero
bytes (digits, flat images).

Then (10,000 images, idle machine, libdeflate 1): average's first row, which has no
upper neighbour, was predicted by half its left byte; given sub instead (filters are
per row), the images went from 2,374 to 2,323 bytes (1.048 -> 1.025 x PIL) at the same
time (50.7 us against PIL's 170.8). The ``average`` rows above still filter the first
row by average, as PNG's filter does.
"""

from __future__ import annotations

import argparse
import io
import struct
import time
import zlib

import deflate as libdeflate
import numpy as np
from isal import isal_zlib
from PIL import Image

from bench.replicas import natural_images
from data import images

_FILTERS = ("none", "sub", "up", "average", "paeth")


def filtered_rows(stack: np.ndarray) -> dict[str, np.ndarray]:
    """Each PNG filter applied to every row: name -> (N, H, W*C) uint8."""
    count, height, width = stack.shape[:3]
    channels = 1 if stack.ndim == 3 else stack.shape[3]
    rows = stack.reshape(count, height, width * channels).astype(np.int16)
    left = np.zeros_like(rows)
    left[:, :, channels:] = rows[:, :, :-channels]
    up = np.zeros_like(rows)
    up[:, 1:] = rows[:, :-1]
    upper_left = np.zeros_like(rows)
    upper_left[:, 1:, channels:] = rows[:, :-1, :-channels]
    estimate = left + up - upper_left
    pa, pb, pc = np.abs(estimate - left), np.abs(estimate - up), np.abs(estimate - upper_left)
    paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upper_left))
    predictions = {"none": 0, "sub": left, "up": up, "average": (left + up) // 2, "paeth": paeth}
    return {name: ((rows - predictions[name]) % 256).astype(np.uint8) for name in _FILTERS}


def _assemble(choice: np.ndarray, filtered: dict[str, np.ndarray]) -> np.ndarray:
    """(N, H, 1 + W*C) scanlines: per row, the filter number ``choice`` picks, then its bytes."""
    stacked = np.stack([filtered[name] for name in _FILTERS])  # (5, N, H, L)
    picked = np.take_along_axis(stacked, choice[np.newaxis, :, :, np.newaxis], axis=0)[0]
    return np.concatenate([choice[:, :, np.newaxis].astype(np.uint8), picked], axis=2)


def scanlines(stack: np.ndarray, strategy: str) -> np.ndarray:
    filtered = filtered_rows(stack)
    count, height = stack.shape[:2]
    if strategy in _FILTERS:
        return _assemble(np.full((count, height), _FILTERS.index(strategy)), filtered)
    if strategy == "adaptive":
        cost = np.stack([np.abs(filtered[name].view(np.int8).astype(np.int16)).sum(axis=2) for name in _FILTERS])
        cost[0] = filtered["none"].astype(np.int32).sum(axis=2)  # libpng scores "none" unsigned
        return _assemble(np.argmin(cost, axis=0), filtered)
    candidates = {"none/sub": ("none", "sub"), "best-of-4": ("none", "sub", "up", "paeth")}[strategy]
    nonzero = np.stack([np.count_nonzero(filtered[name].reshape(count, -1), axis=1) for name in candidates])
    best = np.array([_FILTERS.index(name) for name in candidates])[np.argmin(nonzero, axis=0)]
    return _assemble(np.repeat(best[:, np.newaxis], height, axis=1), filtered)


def png(lines: np.ndarray, width: int, channels: int, deflate) -> bytes:
    height = lines.shape[0]
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(body, zlib.crc32(kind)))
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, {1: 0, 3: 2}[channels], 0, 0, 0))
    return images.PNG_SIGNATURE + head + chunk(b"IDAT", deflate(lines.tobytes())) + chunk(b"IEND", b"")


def _deflaters():
    for level in range(4):
        yield f"isal {level}", (lambda data, level=level: isal_zlib.compress(data, level))
    for level in (1, 2):
        yield f"libdeflate {level}", (lambda data, level=level: libdeflate.zlib_compress(data, level))
    for level in (1, 6, 9):
        yield f"zlib {level}", (lambda data, level=level: zlib.compress(data, level))


def measure(stack: np.ndarray,
            strategies=("none/sub", "sub", "up", "average", "paeth", "adaptive", "best-of-4")) -> list[dict]:
    """One row per (strategy, deflater), and the references: PIL's default, today's encoder."""
    count, height, width = stack.shape[:3]
    channels = 1 if stack.ndim == 3 else stack.shape[3]
    rows = []
    started = time.process_time()
    pil = 0
    for image in stack:
        buffer = io.BytesIO()
        Image.fromarray(image).save(buffer, format="PNG")  # compress_level 6
        pil += buffer.tell()
    rows.append({"encoder": "PIL default (zlib 6, adaptive)", "bytes": pil,
                 "us": (time.process_time() - started) / count * 1e6})
    started = time.process_time()
    today = sum(map(len, images.pngs_from_stack(stack)))
    rows.append({"encoder": "data/images.py (none/sub/average)", "bytes": today,
                 "us": (time.process_time() - started) / count * 1e6})
    for strategy in strategies if len(strategies) else ():
        lines = scanlines(stack, strategy)
        for name, deflate in _deflaters():
            started = time.process_time()
            compressed = [deflate(line.tobytes()) for line in lines]
            spent = time.process_time() - started  # deflate alone: the filtering here is generic
            encoded = [png(line, width, channels, lambda _, idat=idat: idat) for line, idat in zip(lines, compressed, strict=True)]
            rows.append({"encoder": f"{strategy}, {name}", "bytes": sum(map(len, encoded)),
                         "us": spent / count * 1e6})
            decoded = np.asarray(Image.open(io.BytesIO(encoded[0])))
            assert (decoded == stack[0]).all(), (strategy, name)
    return rows


def run(count: int = 10_000, seed: int = 32) -> list[str]:
    stack = natural_images(np.random.default_rng(seed), count, 32, 32, 3)
    rows = measure(stack)
    pil, today = rows[0], rows[1]
    lines = [f"PNG trade-off on {count} CIFAR-size images (32x32 RGB replica), CPU us per image in one process",
             f"{'encoder (variants: deflate time only)':<36} {'bytes/image':>11} {'x PIL size':>10} {'us/image':>9} {'x ours time':>11}"]
    for row in rows:
        lines.append(f"{row['encoder']:<36} {row['bytes'] / count:11.0f} {row['bytes'] / pil['bytes']:10.3f} "
                     f"{row['us']:9.1f} {row['us'] / today['us']:11.2f}")
    digits = natural_images(np.random.default_rng(seed), count, 28, 28, 1)[..., 0]
    digits = np.where(digits > 150, digits, 0).astype(np.uint8)  # as bench/replicas.py's MNIST
    pil, today = measure(digits, strategies=())
    lines.append(f"digit-like 28x28 grey: PIL {pil['bytes'] / count:.0f} bytes/image, data/images.py "
                 f"{today['bytes'] / count:.0f} ({today['bytes'] / pil['bytes']:.3f} x PIL) in "
                 f"{today['us']:.1f} us against PIL's {pil['us']:.1f}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    for line in run(args.count):
        print(line, flush=True)


if __name__ == "__main__":
    main()
