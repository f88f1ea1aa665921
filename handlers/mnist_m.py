"""MNIST-M: MNIST digits blended over colour patches cut from BSDS500 photos, 28x28 RGB.

Made by Ganin & Lempitsky for "Unsupervised Domain Adaptation by Backpropagation"
(ICML 2015); homepage http://yaroslav.ganin.net/. One tar.gz from Google Drive:
``mnist_m/mnist_m_{train,test}/<8 digits>.png`` (59,001 / 9,001 images) and
``mnist_m/mnist_m_{train,test}_labels.txt`` whose lines are ``<file name> <digit>``.
The train and test folders reuse the same file names, so a label belongs to
(folder, file name): the key is the member path and each list labels only its own
folder (dm_nevis keyed labels by bare file name and gave training images the label of
the test image with the same name). The tar is streamed once and the lists may come
before or after the images: an image whose list was read is labelled at once, a list
read later labels earlier images by annotation.
Both official parts are pooled, as dm_nevis does: exact duplicates (same decoded
pixels) are dropped, keeping the first in archive order, and every image is drawn
into train/dev/dev-test/test by the ALL fractions on a hash of its path. An image
missing from its list, or a listed image that is missing, fails the build.
"""

import posixpath
from pathlib import Path

from data.types import Annotation, Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec

ARTIFACTS = (
    Artifact("mnist_m.tar.gz", gdrive_id="0B_tExHiYS-0veklUZHFYT19KYjg", content_disposition=True,
             md5="859df31c91afe82e80e5012ba928f279"),
)
ROOT = "mnist_m/"
# label list -> the image folder it labels
LISTS = {f"{ROOT}mnist_m_{part}_labels.txt": f"{ROOT}mnist_m_{part}/" for part in ("train", "test")}

CLASS_NAMES = tuple(str(digit) for digit in range(10))


def examples(artifacts_dir: Path):
    pending: dict[str, int] = {}  # listed labels whose image has not come yet
    unlabelled: set[str] = set()  # images handed over before their list
    dropped: set[str] = set()
    seen_pixels: set[bytes] = set()
    members = _readers.tar_members(artifacts_dir / ARTIFACTS[0].file,
                                   keep=lambda n: n in LISTS or _is_image(n))
    for name, data in members:
        if name in LISTS:
            for key, label in parse_labels(data.decode("utf-8"), LISTS[name], name):
                if key in unlabelled:
                    unlabelled.discard(key)
                    yield Annotation(key=key, label=label)
                elif key not in dropped:
                    pending[key] = label
            continue
        digest = _readers.pixel_digest(data, name=f"{ARTIFACTS[0].file}: {name}")
        if digest in seen_pixels:
            dropped.add(name)
            pending.pop(name, None)
            continue
        seen_pixels.add(digest)
        label = pending.pop(name, None)
        if label is None:
            unlabelled.add(name)
        yield Example(key=name, image=data, label=label, split=_splits.by_fraction(name, _splits.ALL))
    if unlabelled:
        raise ValueError(f"{len(unlabelled)} images are in no label list, e.g. {sorted(unlabelled)[:3]}")
    if pending:
        raise FileNotFoundError(f"{ARTIFACTS[0].file}: {len(pending)} listed images are missing, "
                                f"e.g. {sorted(pending)[:3]}")


def parse_labels(text: str, folder: str, list_name: str):
    """(member path, digit) per line of a label list; the list names files in ``folder``."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) != 2 or not fields[1].isdigit() or int(fields[1]) > 9 or "/" in fields[0]:
            raise ValueError(f"{list_name} line {number}: expected '<file name> <digit>', got {line!r}")
        yield folder + fields[0], int(fields[1])


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Test names reusing train names with other digits, one list before its images and one
    after, an exact duplicate across the parts (dropped), and a README (unused)."""
    rows = {"train": [], "test": []}
    images = {"train": [], "test": []}
    counts: dict[str, int] = {}
    for part, count in (("train", 24), ("test", 10)):
        for i in range(count):
            file = f"{i:08d}.png"
            seed = 7000 + i if part == "test" else i
            digit = (i * 3 + (5 if part == "test" else 0)) % 10
            rows[part].append(f"{file} {digit}")
            images[part].append((f"{ROOT}mnist_m_{part}/{file}", _fixtures.png_bytes(_fixtures.pixels(seed, 28, 28, 3))))
    # The last test image repeats the first training image's pixels (and label).
    rows["test"][-1] = f"{len(rows['test']) - 1:08d}.png 0"
    images["test"][-1] = (images["test"][-1][0], images["train"][0][1])
    for name, _ in images["train"] + images["test"][:-1]:
        split = _splits.by_fraction(name, _splits.ALL)
        counts[split] = counts.get(split, 0) + 1
    lists = {part: (f"{ROOT}mnist_m_{part}_labels.txt", ("\n".join(rows[part]) + "\n").encode()) for part in rows}
    members = [lists["test"], *images["train"], *images["test"], lists["train"], (f"{ROOT}README", b"fixture\n")]
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _is_image(name: str) -> bool:
    return any(name.startswith(folder) for folder in LISTS.values()) and posixpath.splitext(name)[1] == ".png"


mnist_m = DatasetSpec(
    name="mnist_m",
    description="68,002 28x28 colour digits: MNIST strokes blended over random BSDS500 photo patches (pooled train and test, deduplicated).",
    homepage="http://yaroslav.ganin.net/",
    citation=(
        "Ganin, Y., Lempitsky, V. Unsupervised Domain Adaptation by Backpropagation. ICML 2015."
    ),
    license="unknown; see homepage (derived from MNIST and BSDS500)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # How many exact duplicates the pooled parts hold is not known, nor the hash draw.
    num_examples=None,
    unconfirmed=(
        "the Google Drive file is still shared and still named mnist_m.tar.gz; "
        "the number of exact duplicates in the real archive; the license"
    ),
)
