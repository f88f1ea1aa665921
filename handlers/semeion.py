"""Semeion Handwritten Digit: 1,593 16x16 binary digits written by about 80 people.

Homepage https://archive.ics.uci.edu/dataset/178/semeion+handwritten+digit (Semeion
Research Center, Rome, 2008). One text file, one digit per line: 256 pixel values
written as decimals (``1.0000`` / ``0.0000``), row-major, then ten 0/1 integers
one-hot coding the digit, a trailing space and CRLF. Pixels are stored as 0/255. There
is no official split: every example is drawn into train/dev/dev-test/test
(0.56/0.12/0.12/0.20) by a hash of its key, the line number.

Evidence: a real copy (md5 equal to the pinned one once a stray byte appended after the
last line is dropped) holds 1,593 lines of 266 values, every label one-hot, 155-162
examples per digit.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "semeion.data",
        "https://archive.ics.uci.edu/ml/machine-learning-databases/semeion/semeion.data",
        md5="cb545d371d2ce14ec121470795a77432",
    ),
)

CLASS_NAMES = tuple(str(digit) for digit in range(10))


def examples(artifacts_dir: Path):
    with open(artifacts_dir / ARTIFACTS[0].file) as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            values = line.split()
            if len(values) != 266:
                raise ValueError(f"semeion.data line {number}: {len(values)} values, expected 266")
            pixels = (np.array(values[:256], dtype=np.float32) > 0.5).astype(np.uint8) * 255
            onehot = [int(float(v)) for v in values[256:]]
            if sorted(onehot) != [0] * 9 + [1]:
                raise ValueError(f"semeion.data line {number}: label {onehot} is not one-hot")
            key = f"line{number:04d}"
            yield Example(
                key=key,
                image=Image.fromarray(pixels.reshape(16, 16), "L"),
                label=onehot.index(1),
                split=_splits.by_fraction(key, _splits.ALL),
            )


def write_fixture(artifacts_dir: Path, count: int = 60) -> dict[str, int]:
    """Lines in the real format (``%.4f`` pixels, one-hot tail, trailing space, CRLF)."""
    counts = _splits.SplitSizes()
    rows = []
    for index in range(count):
        pixels = _fixtures.pixels(index, 16, 16, 1) > 128
        label = index % 10
        onehot = ["1" if digit == label else "0" for digit in range(10)]
        rows.append(" ".join([f"{float(p):.4f}" for p in pixels.ravel()] + onehot) + " \r\n")
        split = _splits.by_fraction(f"line{index + 1:04d}", _splits.ALL)
        counts.add(split)
    (artifacts_dir / ARTIFACTS[0].file).write_bytes("".join(rows).encode())
    return counts


semeion = DatasetSpec(
    name="semeion",
    description="1,593 handwritten digits (16x16, binary) scanned from about 80 writers.",
    homepage="https://archive.ics.uci.edu/dataset/178/semeion+handwritten+digit",
    citation="Semeion Research Center of Sciences of Communication, Rome. Semeion Handwritten Digit Data Set, 2008. UCI Machine Learning Repository.",
    license="Creative Commons Attribution 4.0 International (CC BY 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # Keys are line numbers, so the hash-derived split sizes are known in advance.
    num_examples=_splits.tally((f"line{n:04d}" for n in range(1, 1594)), _splits.ALL),
    evidence=Evidence(
        "real artifact",
        source="felipeb-oliveira/Neural-Network-C-@eb41e989e1004b49ca315ed7ad29b5c4321e9c90:semeion.data "
        "(2,889,703 B; without its last byte, a stray 'E' after the final CRLF, md5 "
        "cb545d371d2ce14ec121470795a77432: 1,593 lines of 256 pixels + one-hot digit)",
    ),
)
