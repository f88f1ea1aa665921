"""TRANCOS: traffic-jam photos from road cameras, each with its number of vehicles.

Homepage https://gram.web.uah.es/data/datasets/trancos/index.html (Guerrero-Gómez-Olmedo,
Torre-Jiménez, López-Sastre, Maldonado-Bascón, Oñoro-Rubio, "Extremely Overlapping Vehicle
Counting", IbPRIA 2015). One tar.gz, ``TRANCOS_v3``: ``images/image-<k>-<nnnnnn>.jpg``,
each with a same-stem ``.txt`` of one ``x y`` line per annotated vehicle (the count is its
number of non-blank lines; dm_nevis counted every line) and other per-image files (dot
maps, masks) that are not read; ``image_sets/training.txt``, ``validation.txt`` and
``test.txt`` list image file names, one per line (``trainval.txt``, the union of the
first two, and the ``code/`` folder are not read). The lists and the ``.txt`` files may
stream before or after the images, so counts and splits are handed over as annotations
once the archive has been read; an image in no list, or listed twice, fails the build.
Two variants: ``trancos`` is dm_nevis's task, the count cut into 10 ordered classes of
roughly equal size over all images (counts from 200 up share the top histogram cell; see
``handlers._counting.count_bins``); ``trancos_count`` keeps the count as a float target.
Splits: the training list is drawn into train/dev (0.8/0.2) by a hash of the member path;
validation is ``dev-test``; test is ``test``.

Evidence: a public repository vendoring the unpacked ``TRANCOS_v3/`` (its README.txt,
version 2015.3, names images/, image_sets/ with training, validation, trainval and test
lists, code/ and LICENSE.txt, and the per-image ``.txt`` as one ``x y`` line per vehicle;
the copy's ``.txt`` separate x and y by a tab). Its ``training.txt`` lists
``image-1-000001.jpg`` ... ``image-1-000403.jpg`` and ``validation.txt``
``image-2-000001.jpg`` ... ``image-2-000420.jpg``, one name per line with ``.jpg``; its
test.txt is missing, so the 421 test images are the provider's 1,244 less those two lists.
"""

import re
from pathlib import Path

from data.types import Annotation, Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._counting import BIN_NAMES, count_bins
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact(
        "TRANCOS_v3.tar.gz",
        "https://universidaddealcala-my.sharepoint.com/:u:/g/personal/gram_uah_es/"
        "Eank6osXQgxEqa-1bb0nVsoBc3xO4XDwENc_g0nc6t58BA?&Download=1",
        md5="e9b4d5a62ab1fe5f542ec8326f2d4fda",
    ),
)
IMAGES = "TRANCOS_v3/images/"
SETS = "TRANCOS_v3/image_sets/"
# list -> split (None: the hash-drawn train/dev pool)
LISTS = {f"{SETS}training.txt": None, f"{SETS}validation.txt": "dev-test", f"{SETS}test.txt": "test"}
MAX_COUNT = 200  # counts at or above share the top histogram cell when binning, as in dm_nevis
_ANNOTATED = re.compile(re.escape(IMAGES) + r"image-\d+-\d+\.(jpg|txt)")


def examples(artifacts_dir: Path):
    path = artifacts_dir / ARTIFACTS[0].file
    images, counts, splits = [], {}, {}
    for name, data in _readers.tar_members(path, keep=_wanted):
        if name in LISTS:
            for image in listed_images(data.decode("utf-8")):
                if image in splits:
                    raise ValueError(f"{path.name}: {image} is listed twice in {sorted(LISTS)}")
                splits[image] = LISTS[name] or _splits.by_fraction(image, _splits.TR2)
        elif name.endswith(".txt"):
            counts[name.removesuffix(".txt") + ".jpg"] = vehicle_count(data)
        else:
            images.append(name)
            yield Example(key=name, image=data)
    for what, table in (("a .txt of vehicle positions", counts), ("a place in the image_sets lists", splits)):
        if missing := [image for image in images if image not in table]:
            raise ValueError(f"{path.name}: {len(missing)} images lack {what}, e.g. {missing[0]}")
    if absent := sorted(set(splits) - set(images)):
        raise ValueError(f"{path.name}: {len(absent)} listed images are not in the archive, e.g. {absent[0]}")
    labels = count_bins([counts[image] for image in images], MAX_COUNT)
    for image, label in zip(images, labels, strict=True):
        yield Annotation(key=image, target=float(counts[image]), label=label, split=splits[image])


def listed_images(text: str) -> list[str]:
    """Image members named by an image_sets list: one file name per line (the ``.jpg`` is
    added where a line omits it)."""
    names = []
    for line in filter(None, (line.strip() for line in text.splitlines())):
        names.append(IMAGES + (line if line.endswith(".jpg") else f"{line}.jpg"))
    return names


def vehicle_count(data: bytes) -> int:
    """Annotated vehicles in a per-image ``.txt``: its non-blank lines."""
    return sum(1 for line in data.decode("ascii").splitlines() if line.strip())


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Per image its JPEG, ``.txt`` (tab- or space-separated, with a trailing blank line
    once), dot map and mask; the lists (trainval too) after the images, with Windows line
    ends in one; the README and a code file."""
    members = [("TRANCOS_v3/README.txt", b"fixture\n"), ("TRANCOS_v3/code/setup.m", b"% not read\n")]
    lists: dict[str, list[str]] = {name: [] for name in (*LISTS, f"{SETS}trainval.txt")}
    counts = _splits.SplitSizes()
    for i in range(1, 19):
        part = 0 if i <= 10 else i % 2 + 1  # 0 training, 1 validation, 2 test
        stem = f"image-{part + 1}-{i * 17:06d}"  # real lists: image-1-* training, image-2-* validation
        vehicles = (i * 13) % 47 + (60 if i % 4 == 0 else 3)
        lines = "".join(f"{7 * v % 640}{chr(9) if i % 2 else ' '}{11 * v % 480}\n" for v in range(vehicles))
        members += [
            (f"{IMAGES}{stem}.jpg", _fixtures.jpeg_bytes(_fixtures.pixels(i, 18, 24, 3))),
            (f"{IMAGES}{stem}.txt", (lines + ("\n" if i == 5 else "")).encode()),
            (f"{IMAGES}{stem}dots.png", _fixtures.png_bytes(_fixtures.pixels(i, 18, 24, 1))),
            (f"{IMAGES}{stem}mask.mat", b"MATLAB 5.0 MAT-file, not read"),
        ]
        listed = (f"{SETS}training.txt", f"{SETS}validation.txt", f"{SETS}test.txt")[part]
        lists[listed].append(f"{stem}.jpg")
        if listed != f"{SETS}test.txt":
            lists[f"{SETS}trainval.txt"].append(f"{stem}.jpg")
        split = LISTS[listed] or _splits.by_fraction(f"{IMAGES}{stem}.jpg", _splits.TR2)
        counts.add(split)
    for name, lines in lists.items():
        ending = "\r\n" if name.endswith("validation.txt") else "\n"
        members.append((name, "".join(line + ending for line in lines).encode()))
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    return counts


def _wanted(name: str) -> bool:
    return name in LISTS or bool(_ANNOTATED.fullmatch(name))


_COMMON = dict(
    homepage="https://gram.web.uah.es/data/datasets/trancos/index.html",
    citation=(
        "Guerrero-Gómez-Olmedo, R., Torre-Jiménez, B., López-Sastre, R., Maldonado-Bascón, S., "
        "Oñoro-Rubio, D. Extremely Overlapping Vehicle Counting. Iberian Conference on Pattern "
        "Recognition and Image Analysis (IbPRIA), 2015."
    ),
    license="research use only (terms of the Spanish DGT, whose public cameras took the images)",
    artifacts=ARTIFACTS,
    examples=examples,
    write_fixture=write_fixture,
    # The training list (drawn into train/dev) and the 420 of validation were read; test is the
    # provider's 1,244 images less those two lists.
    num_examples={**_splits.tally((f"{IMAGES}image-1-{n:06d}.jpg" for n in range(1, 404)), _splits.TR2),
                  "dev-test": 420, "test": 421},
    source="trancos",
    unconfirmed=(
        "whether the SharePoint link still serves the file without a browser sign-in (the fetch "
        "layer rejects an HTML page; if so, download TRANCOS_v3.tar.gz from the homepage by hand "
        "and place it under that name); the artifact's file name (dm_nevis took the server's); "
        "the test list's names and size (421 assumed: 1,244 less the two lists read); "
        "whether any .txt has blank lines (dm_nevis would count them as vehicles)"
    ),
    evidence=Evidence(
        "real listing",
        source=(
            "Connoriginal/FCN-BLA@743605eae76b352bea86edab65071d81ce4984b8:data/TRANCOS_v3/ (README.txt "
            "2015.3: folder layout and .txt format; image_sets/training.txt = image-1-000001..000403.jpg, "
            "validation.txt = image-2-000001..000420.jpg; no test.txt in that copy); homepage (1,244 images, "
            "46,796 vehicles); deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/trancos.py "
            "(member paths, bin rule)"
        ),
    ),
)

trancos = DatasetSpec(
    name="trancos",
    description=(
        "About 1,244 road-camera photos of traffic jams; label: the vehicle count cut into 10 "
        "ordered classes of roughly equal size over all images (class k holds larger counts than k-1)."
    ),
    features=Features(channels=3, class_names=BIN_NAMES),
    dm_nevis_differences=(
        "Classes are named 'count bin k' rather than by count ranges; blank lines of a .txt are not "
        "counted as vehicles, and should two bin edges coincide dm_nevis's scan would shift later "
        "labels by one where this rule leaves a class empty."
    ),
    **_COMMON,
)

trancos_count = DatasetSpec(
    name="trancos_count",
    description="About 1,244 road-camera photos of traffic jams, each with its count of annotated vehicles.",
    features=Features(channels=3, regression_target="count"),
    dm_nevis_differences="dm_nevis has only the 10-class task (registered here as trancos); this variant keeps the count itself.",
    **_COMMON,
)
