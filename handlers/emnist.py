"""EMNIST: handwritten digits and letters of NIST Special Database 19, converted to
MNIST's 28x28 greyscale format, in six subsets that differ in their classes.

Homepage https://www.nist.gov/itl/products-and-services/emnist-dataset (Cohen, Afshar,
Tapson, van Schaik, "EMNIST: an extension of MNIST to handwritten letters", 2017). One
zip, ``gzip.zip``, holds per subset ``gzip/emnist-<subset>-{train,test}-images-idx3-ubyte.gz``
and ``...-labels-idx1-ubyte.gz`` (MNIST idx files) and ``emnist-<subset>-mapping.txt``
(``<label> <ASCII code>...``, CRLF line ends); the handler checks the mapping names exactly
the classes declared here. One registry name per subset, as TFDS offers them, all reading
the one zip: byclass (62 classes: digits, upper case, lower case), bymerge and balanced (47:
the 15 letters whose two cases look alike are merged into the upper case), letters
(26, each merging both cases; the files number them 1-26, stored here as 0-25), digits
and mnist (10). The images are stored transposed (each 28x28 array is column-major)
and are transposed back so that characters stand upright. The idx files are streamed
from inside the zip, never unpacked. Official train/test splits only; their sizes are
the paper's (Table II), which the real letters label files confirm: 124,800 / 20,800,
4,800 / 800 per letter. (88,800 / 14,800, quoted by TFDS and the Kaggle CSV copies, are
not what the idx files hold.)

Evidence: a copy of the zip's 30 members (names as in the zip, idx files as LFS
pointers with their sizes, the six mapping files verbatim: all six pass the mapping
check below) and the real letters label files, read and counted.
"""

import gzip
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers
from handlers._readers import idx_header, iter_idx_records, read_idx_stream  # noqa: F401 (emnist.idx_header kept)
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("gzip.zip", "https://biometrics.nist.gov/cs_links/EMNIST/gzip.zip", size=561753746,
             sha256="fb9bb67e33772a9cc0b895e4ecf36d2cf35be8b709693c3564cea2a019fcda8e"),
)
SIDE = 28

_DIGITS = tuple("0123456789")
_UPPER = tuple(chr(code) for code in range(ord("A"), ord("Z") + 1))
_LOWER = tuple(chr(code) for code in range(ord("a"), ord("z") + 1))
# Lower-case letters bymerge/balanced keep apart; the other 15 join their upper case.
_DISTINCT_LOWER = tuple("abdefghnqrt")
# subset -> (class names, label of the first class in the files, (train, test) sizes as
# published in the EMNIST paper's Table II)
SUBSETS = {
    "byclass": (_DIGITS + _UPPER + _LOWER, 0, (697932, 116323)),
    "bymerge": (_DIGITS + _UPPER + _DISTINCT_LOWER, 0, (697932, 116323)),
    "balanced": (_DIGITS + _UPPER + _DISTINCT_LOWER, 0, (112800, 18800)),
    "letters": (tuple(f"{upper}/{lower}" for upper, lower in zip(_UPPER, _LOWER, strict=True)), 1, (124800, 20800)),
    "digits": (_DIGITS, 0, (240000, 40000)),
    "mnist": (_DIGITS, 0, (60000, 10000)),
}


def member(subset: str, part: str) -> str:
    """The zip member of ``subset``: part is "mapping" or "<split>-images" / "<split>-labels"."""
    if part == "mapping":
        return f"gzip/emnist-{subset}-mapping.txt"
    kind = "idx3" if part.endswith("images") else "idx1"
    return f"gzip/emnist-{subset}-{part}-{kind}-ubyte.gz"


def _examples(subset: str):
    names, first_label, _ = SUBSETS[subset]

    def examples(artifacts_dir: Path):
        with _readers.open_zip(artifacts_dir / ARTIFACTS[0].file) as archive:
            check_mapping(_read(archive, member(subset, "mapping")).decode("ascii"), names, first_label)
            for split in ("train", "test"):
                labels_member, images_member = member(subset, f"{split}-labels"), member(subset, f"{split}-images")
                with _open(archive, labels_member) as stream:
                    labels = read_idx_stream(stream, labels_member)
                if labels.ndim != 1:
                    raise ValueError(f"{labels_member}: labels of shape {labels.shape}")
                with _open(archive, images_member) as stream:
                    records = iter_idx_records(stream, images_member)
                    count, shape = next(records)
                    if count != len(labels) or shape != (SIDE, SIDE):
                        raise ValueError(f"{images_member}: {count} images of {shape} for {len(labels)} labels")
                    for index, (label, image) in enumerate(zip(labels, records, strict=True)):
                        label = int(label) - first_label
                        if not 0 <= label < len(names):
                            raise ValueError(f"{labels_member}: label {label + first_label} of record {index}")
                        yield Example(key=f"{split}/{index:06d}", image=np.ascontiguousarray(image.T),
                                      label=label, split=split)

    return examples


def check_mapping(text: str, names: tuple[str, ...], first_label: int) -> None:
    """Fail unless the mapping file gives label ``first_label + i`` the characters of names[i]."""
    found = []
    for line in text.splitlines():
        if line.strip():
            label, *codes = (int(field) for field in line.split())
            found.append((label, "/".join(chr(code) for code in codes)))
    expected = [(first_label + i, name) for i, name in enumerate(names)]
    if found != expected:
        differ = sorted(set(found) ^ set(expected))
        raise ValueError(f"the mapping file and the handler's classes differ: {differ[:6]}")


def write_fixture(artifacts_dir: Path, sizes=(("train", 12), ("test", 5))) -> dict[str, int]:
    """Every subset's five files under ``gzip/``: images stored transposed, letters numbered
    from 1, mapping lines ending in CRLF as in the real zip."""
    members = []
    for s, (subset, (names, first_label, _)) in enumerate(SUBSETS.items()):
        for split, count in sizes:
            labels = (np.arange(count) * 5 + s) % len(names)
            labels[:2] = (0, len(names) - 1)  # the first and last class, in the files' numbering
            labels += first_label
            images = np.stack([fixture_image(subset, split, i).T for i in range(count)])
            members.append((member(subset, f"{split}-images"), _gz(_fixtures.idx_bytes(images))))
            members.append((member(subset, f"{split}-labels"), _gz(_fixtures.idx_bytes(labels))))
        rows = [f"{first_label + i} " + " ".join(str(ord(c)) for c in name.split("/")) for i, name in enumerate(names)]
        members.append((member(subset, "mapping"), ("\r\n".join(rows) + "\r\n").encode()))
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, members)
    return dict(sizes)


def fixture_image(subset: str, split: str, index: int) -> np.ndarray:
    """The upright 28x28 image the fixture stores (transposed) as record ``index``."""
    seed = 1000 * list(SUBSETS).index(subset) + (500 if split == "test" else 0) + index
    image = _fixtures.pixels(seed, SIDE, SIDE, 1)
    image[2:6, 3:20] = 255  # a bar along the top: transposing would move it to the left
    return image


def _gz(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


def _read(archive: _readers.BoundedZip, name: str) -> bytes:
    return archive.read(name)


def _open(archive: _readers.BoundedZip, name: str):
    """A gzip member, inflated under the zip's budget (and one of its own)."""
    return _readers.open_decoded(archive.open(name))


def _spec(subset: str) -> DatasetSpec:
    names, _, (train, test) = SUBSETS[subset]
    return DatasetSpec(
        name=f"emnist_{subset}",
        description=f"EMNIST {subset}: {train + test:,} handwritten characters, 28x28 greyscale, in {len(names)} classes.",
        homepage="https://www.nist.gov/itl/products-and-services/emnist-dataset",
        citation=(
            "Cohen, G., Afshar, S., Tapson, J., van Schaik, A. EMNIST: an extension of MNIST to "
            "handwritten letters. arXiv:1702.05373, 2017."
        ),
        license="unknown; see homepage (derived from NIST Special Database 19, under NIST's terms)",
        artifacts=ARTIFACTS,
        features=Features(channels=1, class_names=names),
        examples=_examples(subset),
        write_fixture=write_fixture,
        num_examples={"train": train, "test": test},
        source="emnist",
        unconfirmed=(
            "that the file now served from biometrics.nist.gov still has the sha256 TFDS pinned "
            "for the itl.nist.gov copy; the license (the provider states none)"
        ),
        evidence=Evidence(
            "real listing",
            source=(
                "aurelienduarte/emnist@55838475bfb43e14b3b371aaa7b77b66413ed62e:gzip/ (the zip's 30 "
                "members by name, idx sizes from LFS pointers, the six mapping files verbatim: bymerge's "
                "equals balanced's, mnist's equals digits', letters' lines are '<n> <upper> <lower>'); "
                "ivarreukers/emnist-letters@39a3b1cf48dffd1ddb9ae96f17829ce9d2f9df83:"
                "emnist-letters-{train,test}-labels-idx1-ubyte.gz (same sizes as the zip's; labels 1-26, "
                "124,800 / 20,800, 4,800 / 800 each); other subsets' sizes from the paper's Table II"
            ),
        ),
        dm_nevis_differences=(
            "dm_nevis reads only TFDS emnist/balanced, keeps the images as stored (transposed) and "
            "carves dev / dev-test out of the train split's tail (70/15/15 by position) at read time; "
            "here images are transposed upright and only the official train/test are stored, so the "
            "stream can carve its own dev sets."
        ),
    )


emnist_byclass = _spec("byclass")
emnist_bymerge = _spec("bymerge")
emnist_balanced = _spec("balanced")
emnist_letters = _spec("letters")
emnist_digits = _spec("digits")
emnist_mnist = _spec("mnist")
