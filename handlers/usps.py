"""USPS: 16x16 greyscale handwritten digits scanned from US Postal Service envelopes.

Homepage https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass.html#usps
(the LIBSVM copy; the data is Hull, "A database for handwritten text recognition
research", IEEE TPAMI 1994). Two bz2-compressed text files in LIBSVM format, ``usps.bz2``
(7,291 training digits) and ``usps.t.bz2`` (2,007 test digits): one digit per line,
``<label> 1:<v> 2:<v> ... 256:<v>`` with a trailing space, pixel values in [-1, 1],
16x16 row-major. Labels 1-10 stand for digits 0-9 (label - 1). Values map linearly
to 0-255; an index the line leaves out has the LIBSVM default value 0. Keys are
``<file>/<line index>``. Splits: the training file is drawn into train/dev/dev-test
(TR3) by a hash of the key; the test file is ``test``.

Evidence: a copy of ``usps.t.bz2`` in a public repository has the pinned md5 and size;
read through this handler it gives 2,007 dense lines (``1:`` ... ``256:``, six decimals,
a trailing space) whose labels 1..10 count 359, 264, 198, 166, 200, 160, 170, 147, 166,
177 -- the published per-digit test counts for 0..9, so label - 1 is the digit. The
training file was not read: another repository's Git LFS pointer for it gives 6,579,383 B
and a sha256 (its pointer for the test file carries the real test file's sha256), not the
md5 pinned here.
"""

import bz2
import io
from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/"
ARTIFACTS = (
    Artifact("usps.bz2", _HOST + "usps.bz2", md5="ec16c51db3855ca6c91edd34d0e9b197", size=6579383),
    Artifact("usps.t.bz2", _HOST + "usps.t.bz2", md5="8ea070ee2aca1ac39742fdd1ef5ed118", size=1831726),
)
# artifact -> official part (None: drawn into train/dev/dev-test)
PARTS = {"usps.bz2": None, "usps.t.bz2": "test"}

CLASS_NAMES = tuple(str(digit) for digit in range(10))


def examples(artifacts_dir: Path):
    for file, split in PARTS.items():
        with io.TextIOWrapper(_readers.open_decoded(artifacts_dir / file), encoding="utf-8") as lines:
            for index, line in enumerate(lines):
                if not line.strip():
                    continue
                key = f"{file}/{index:05d}"
                label, pixels = _parse(line, key)
                yield Example(key=key, image=Image.fromarray(pixels, "L"), label=label,
                              split=split or _splits.by_fraction(key, _splits.TR3))


def write_fixture(artifacts_dir: Path, sizes=(("usps.bz2", 30), ("usps.t.bz2", 8))) -> dict[str, int]:
    """Dense LIBSVM lines with trailing spaces, like the real files; one line omits zeros."""
    counts = _splits.SplitSizes()
    for seed, (file, count) in enumerate(sizes):
        rows = []
        for index in range(count):
            values = _fixtures.pixels(seed * 100 + index, 16, 16, 1).ravel() / 127.5 - 1
            pairs = [f"{i + 1}:{v:.6f}" for i, v in enumerate(values)]
            if index == 1:
                values[::7] = 0  # written sparsely: the zeros are left out
                pairs = [f"{i + 1}:{v:.6f}" for i, v in enumerate(values) if v != 0]
            rows.append(f"{(index * 3 + seed) % 10 + 1} " + " ".join(pairs) + " \n")
            split = PARTS[file] or _splits.by_fraction(f"{file}/{index:05d}", _splits.TR3)
            counts.add(split)
        (artifacts_dir / file).write_bytes(bz2.compress("".join(rows).encode()))
    return counts


def _parse(line: str, key: str) -> tuple[int, np.ndarray]:
    label, *pairs = line.split()
    values = np.zeros(256, dtype=np.float64)
    for pair in pairs:
        index, value = pair.split(":")
        if not 1 <= int(index) <= 256:
            raise ValueError(f"{key}: feature index {index} outside 1..256")
        values[int(index) - 1] = float(value)
    if not 1 <= int(label) <= 10:
        raise ValueError(f"{key}: label {label} outside 1..10")
    pixels = np.clip(np.rint((values + 1) * 127.5), 0, 255).astype(np.uint8)
    return int(label) - 1, pixels.reshape(16, 16)


usps = DatasetSpec(
    name="usps",
    description="9,298 handwritten digits (16x16 greyscale) from scanned US Postal Service envelopes.",
    homepage="https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass.html#usps",
    citation="Hull, J. J. A database for handwritten text recognition research. IEEE Transactions on Pattern Analysis and Machine Intelligence 16(5), 1994.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # One digit per line, so the keys and hence the hash-derived sizes are known.
    num_examples={"test": 2007, **_splits.tally((f"usps.bz2/{i:05d}" for i in range(7291)), _splits.TR3)},
    unconfirmed="usps.bz2's md5 and content (only its size and sha256 were seen, in a Git LFS pointer)",
    evidence=Evidence(
        "real artifact",
        source=(
            "team-approx-bayes/kpriors@7113fe83a025bc6eba02b4d9fa8c9f10e04c6366:data/usps.t.bz2 (1,831,726 B, "
            "md5 = the pinned one; 2,007 lines, per-label counts = the published per-digit test counts); "
            "Lallapallooza/cycle_adv_ot@e38f5b5389ae:data/usps.bz2, data/usps.t.bz2 (LFS pointers: "
            "6,579,383 B for usps.bz2; the usps.t.bz2 pointer's sha256 equals the real file's)"
        ),
    ),
    dm_nevis_differences=(
        "Pixels are rounded from [-1, 1] to 0-255 where dm_nevis truncated, so a pixel can be one grey "
        "level brighter here."
    ),
)
