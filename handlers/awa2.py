"""Animals with Attributes 2: 37,322 photos of 50 animal classes, labelled with 85 attributes.

Homepage https://cvml.ist.ac.at/AwA2/ (Xian, Lampert, Schiele, Akata, "Zero-Shot
Learning -- A Comprehensive Evaluation of the Good, the Bad and the Ugly", TPAMI 2018).
One zip (about 13 GB) under ``Animals_with_Attributes2/``: ``classes.txt`` (``<id>\\t<name>``,
names with ``+`` for spaces), ``predicates.txt`` (the 85 attributes, same form),
``predicate-matrix-binary.txt`` (50 rows of 85 0/1 values, rows in classes.txt order),
``testclasses.txt`` (10 names), and the images in ``JPEGImages/<class>/<file>.jpg``.
Multi-label task: every image carries the attribute set of its class (there is no
per-image annotation); the vocabulary is predicates.txt in file order (the handler
checks it equals the tuple below). The small text files are read first (a zip allows
random access). Splits (a zero-shot protocol): images of the 10 test classes are
``test``; images of the 40 training classes go to train/dev/dev-test by a hash of the
member path. Images are kept at full size (dm_nevis shrank them to 256 px); an unknown
class folder is an error; ``licenses/`` and the continuous matrix are unused.

Evidence: documentation and dm_nevis's reader, no listing. The provider documents
37,322 images of 50 classes with 85 attributes; dm_nevis opens these side files under
``Animals_with_Attributes2/`` in the pinned zip and parses ``classes.txt`` as
``<id>\\t<name>``; a vendored ``predicates.txt`` (85 lines of a right-aligned id, a
tab and the name) lists the attributes exactly as ``PREDICATES`` does.
"""

from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("AwA2-data.zip", "https://cvml.ist.ac.at/AwA2/AwA2-data.zip", md5="eaa27cf799d5cf55af372356d7281b5e"),
)
ROOT = "Animals_with_Attributes2/"
SIDE_FILES = ("classes.txt", "predicates.txt", "predicate-matrix-binary.txt", "testclasses.txt")

PREDICATES = tuple("""
black white blue brown gray orange red yellow patches spots stripes furry hairless toughskin big small
bulbous lean flippers hands hooves pads paws longleg longneck tail chewteeth meatteeth buckteeth
strainteeth horns claws tusks smelly flys hops swims tunnels walks fast slow strong weak muscle bipedal
quadrapedal active inactive nocturnal hibernate agility fish meat plankton vegetation insects forager
grazer hunter scavenger skimmer stalker newworld oldworld arctic coastal desert bush plains forest
fields jungle mountains ocean ground water tree cave fierce timid smart group solitary nestspot domestic
""".split())


def examples(artifacts_dir: Path):
    archive = artifacts_dir / ARTIFACTS[0].file
    side = {name.removeprefix(ROOT): data.decode() for name, data in _readers.zip_members(
        archive, keep=lambda n: n.removeprefix(ROOT) in SIDE_FILES)}
    classes = [line.split()[-1] for line in side["classes.txt"].splitlines() if line.strip()]
    if tuple(line.split()[-1] for line in side["predicates.txt"].splitlines() if line.strip()) != PREDICATES:
        raise ValueError("predicates.txt does not list the handler's 85 attributes in order")
    rows = [line.split() for line in side["predicate-matrix-binary.txt"].splitlines() if line.strip()]
    if len(rows) != len(classes) or any(len(row) != len(PREDICATES) for row in rows):
        raise ValueError(f"predicate-matrix-binary.txt is not {len(classes)} x {len(PREDICATES)}")
    attributes = {name: tuple(i for i, v in enumerate(row) if v == "1") for name, row in zip(classes, rows, strict=True)}
    test_classes = set(side["testclasses.txt"].split())
    for name, data in _readers.zip_members(archive, suffixes=(".jpg",), keep=lambda n: n.startswith(f"{ROOT}JPEGImages/")):
        animal = _readers.class_folder(name)
        if animal not in attributes:
            raise ValueError(f"{name}: class folder {animal!r} is not in classes.txt")
        split = "test" if animal in test_classes else _splits.by_fraction(name, _splits.TR3)
        yield Example(key=name, image=data, multi_label=attributes[animal], split=split)


def write_fixture(artifacts_dir: Path, per_class: int = 5) -> dict[str, int]:
    """Side files with 50 classes and 85 attributes; images for two training classes and
    one test class (one greyscale); license files and the continuous matrix unused."""
    classes = ["antelope", "grizzly+bear", "killer+whale"] + [f"animal{i}" for i in range(4, 51)]
    matrix = [[(c * 7 + a * 3) % 5 < 2 for a in range(len(PREDICATES))] for c in range(len(classes))]
    members = {
        f"{ROOT}classes.txt": "".join(f"{i + 1:6d}\t{name}\n" for i, name in enumerate(classes)),
        f"{ROOT}predicates.txt": "".join(f"{i + 1:6d}\t{name}\n" for i, name in enumerate(PREDICATES)),
        f"{ROOT}predicate-matrix-binary.txt": "".join(" ".join(str(int(v)) for v in row) + "\n" for row in matrix),
        f"{ROOT}predicate-matrix-continuous.txt": "".join(" ".join("12.5" for _ in row) + "\n" for row in matrix),
        f"{ROOT}testclasses.txt": "killer+whale\n" + "".join(f"animal{i}\n" for i in range(4, 13)),
        f"{ROOT}trainclasses.txt": "antelope\ngrizzly+bear\n",
    }
    counts = _splits.SplitSizes()
    for c, animal in enumerate(classes[:3]):
        members[f"{ROOT}licenses/{animal}/{animal}_10001.txt"] = "CC BY"
        for i in range(per_class):
            key = f"{ROOT}JPEGImages/{animal}/{animal}_{10001 + i}.jpg"
            members[key] = _fixtures.jpeg_bytes(_fixtures.pixels(c * 20 + i, 20, 24, 1 if c == i == 1 else 3))
            split = "test" if animal == "killer+whale" else _splits.by_fraction(key, _splits.TR3)
            counts.add(split)
    _fixtures.write_zip(artifacts_dir / ARTIFACTS[0].file,
                        {k: v.encode() if isinstance(v, str) else v for k, v in members.items()})
    return counts


awa2 = DatasetSpec(
    name="awa2",
    description="37,322 animal photos of 50 classes; each image carries its class's 85 binary attributes (10 classes held out for test).",
    homepage="https://cvml.ist.ac.at/AwA2/",
    citation=(
        "Xian, Y., Lampert, C. H., Schiele, B., Akata, Z. Zero-Shot Learning -- A Comprehensive "
        "Evaluation of the Good, the Bad and the Ugly. IEEE TPAMI 41(9), 2018."
    ),
    license="Images under their individual licenses (see licenses/ in the archive); attribute matrix per the provider's README.",
    artifacts=ARTIFACTS,
    features=Features(channels=3, label_vocabulary=PREDICATES),
    examples=examples,
    write_fixture=write_fixture,
    # 37,322 images in all; per-class counts (hence the test size and the carving) are not known here.
    num_examples=None,
    unconfirmed="the image file names and the per-class counts (no listing of the zip)",
    evidence=Evidence(
        "documentation",
        source="the provider's page (37,322 images, 50 classes, 85 attributes); "
        "deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/awa2.py (reads "
        "Animals_with_Attributes2/{classes,trainclasses,testclasses,predicates}.txt and "
        "predicate-matrix-binary.txt from the pinned zip); "
        "Stephen-Mayer/20Questions@5e4ed87f053d:predicates.txt (the 85 attributes, in PREDICATES' order)",
    ),
    dm_nevis_differences="Images keep their full size and are stored as RGB; dm_nevis shrank them "
    "to at most 256 px on the longer side, and its RGB conversion discarded its result.",
)
