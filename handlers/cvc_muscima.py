"""CVC-MUSCIMA (writer identification): scanned handwritten music score pages by 50 writers.

Homepage http://www.cvc.uab.es/cvcmuscima/index_database.html (Fornés, Dutta, Gordo,
Lladós, "CVC-MUSCIMA: a ground truth of handwritten music score images for writer
identification and staff removal", IJDAR 15(3), 2012). 50 musicians copied the same 20
pages: 1,000 images. Images used: the grey ground truth
``CVCMUSCIMA_WI/PNG_GT_Gray/w-<NN>/p<NNN>.png``; the label is the writer folder
(``w-01`` ... ``w-50``, sorted; dm_nevis used an unsorted order). The other image
variants in the zip are skipped. Splits come from the official partition
``Partitions_Set/set_2_Independent/set_2_training_01.txt`` and ``set_2_testing_01.txt``
(lines ``w-NN/pNNN.png``): the testing list is ``test``; the training list is carved
into train/dev/dev-test by a hash of the member path; pages in neither list are skipped,
and a listed page missing from the image zip is an error.

Evidence: dm_nevis's reader of the same two zips (same md5s): the image prefix, the two
list members, lines joined as ``<writer folder>/<file>``; a MUSCIMA++ loader maps its
documents to ``CVCMUSCIMA_WI/PNG_GT_Gray/w-NN/pNNN.png``. Neither list nor a member list
was read, so no split sizes are declared.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://wwwo.cvc.uab.es/cvcmuscima/"
ARTIFACTS = (
    Artifact("CVCMUSCIMA_WI.zip", _HOST + "CVCMUSCIMA_WI.zip", md5="33d7464a3dc376a9456bbfe7aad8c18f"),
    Artifact("Partitions_Set.zip", _HOST + "Partitions_Set.zip", md5="dd22cff47fd50ca01ee077b757a978cd"),
)
IMAGES = "CVCMUSCIMA_WI/PNG_GT_Gray/"
LISTS = {"train": "Partitions_Set/set_2_Independent/set_2_training_01.txt",
         "test": "Partitions_Set/set_2_Independent/set_2_testing_01.txt"}

CLASS_NAMES = tuple(f"w-{writer:02d}" for writer in range(1, 51))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    lists = dict(_readers.zip_members(artifacts_dir / ARTIFACTS[1].file, keep=lambda n: n in LISTS.values()))
    official = {}
    for pool, member in LISTS.items():
        for line in lists[member].decode("ascii").splitlines():
            if line.strip():
                official[IMAGES + line.strip().replace("\\", "/")] = pool
    seen = set()
    for name, data in _readers.zip_members(artifacts_dir / ARTIFACTS[0].file, keep=official.__contains__):
        seen.add(name)
        split = "test" if official[name] == "test" else _splits.by_fraction(name, _splits.TR3)
        yield Example(key=name, image=data, label=_LABELS[_readers.class_folder(name)], split=split)
    if missing := sorted(set(official) - seen):
        raise ValueError(f"{ARTIFACTS[0].file} lacks {len(missing)} listed pages, e.g. {missing[0]}")


def write_fixture(artifacts_dir: Path) -> dict[str, int]:
    """Three writers x 6 pages in two image variants; lists leave page 6 out, as a quirk."""
    images, lists, counts = {}, {"train": [], "test": []}, _splits.SplitSizes()
    for w in (1, 23, 50):
        for p in range(1, 7):
            line = f"w-{w:02d}/p{p:03d}.png"
            pixels = _fixtures.pixels(w * 10 + p, 20, 16, 1)
            images[IMAGES + line] = _fixtures.png_bytes(pixels)
            images[f"CVCMUSCIMA_WI/PNG_GT_BW/{line}"] = _fixtures.png_bytes((pixels > 128).astype("uint8") * 255)
            if p == 6:
                continue
            pool = "test" if p in (2, 4) else "train"
            lists[pool].append(line)
            split = pool if pool == "test" else _splits.by_fraction(IMAGES + line, _splits.TR3)
            counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file, images)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[1].file, {
        **{LISTS[pool]: "\r\n".join(lines).encode() + b"\r\n" for pool, lines in lists.items()},
        "Partitions_Set/set_1_Dependent/set_1_training_01.txt": b"w-01/p001.png\r\n",
    })
    return counts


cvc_muscima = DatasetSpec(
    name="cvc_muscima",
    description="1,000 scanned handwritten music score pages (grey), labelled by which of 50 writers copied them.",
    homepage="http://www.cvc.uab.es/cvcmuscima/index_database.html",
    citation=(
        "Fornés, A., Dutta, A., Gordo, A., Lladós, J. CVC-MUSCIMA: a ground truth of handwritten "
        "music score images for writer identification and staff removal. IJDAR 15(3), 2012."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    # The partition lists (hence split keys and sizes) were not available offline.
    num_examples=None,
    unconfirmed="the partition lists' content (how many of the 1,000 pages each holds)",
    evidence=Evidence(
        "documentation",
        source=(
            "deepmind/dm_nevis@37ccf1e2dd894a13a8a4f6ceb150d2e7599301d0:dm_nevis/datasets_storage/handlers/"
            "cvc_muscima.py (CVCMUSCIMA_WI/PNG_GT_Gray prefix, Partitions_Set/set_2_Independent/"
            "set_2_{training,testing}_01.txt, lines '<w-NN>/<pNNN>.png'); IJDAR 2012 paper (50 writers x 20 pages)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis numbers the writers in a fixed unsorted order (w-23 first) and carves the training "
        "list by a seeded draw; here writers are sorted (w-01 = 0) and the carve is a hash of the path."
    ),
)
