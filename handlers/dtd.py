"""DTD, the Describable Textures Dataset: 5,640 texture photos in 47 classes.

Homepage https://www.robots.ox.ac.uk/~vgg/data/dtd/ (Cimpoi, Maji, Kokkinos, Mohamed,
Vedaldi, "Describing Textures in the Wild", CVPR 2014). One archive, an uncompressed
tar despite its ``.tar.gz`` name (the reader detects that): images
``dtd/images/<class>/<class>_<NNNN>.jpg``, 120 per class, labelled by their folder (the
"key attribute"; classes sorted); ``dtd/labels/{train,val,test}<k>.txt`` for ten folds
k = 1..10, lines ``<class>/<file>.jpg``. Fold 1 is used, as TFDS does: train1 is
``train``, val1 is ``validation``, test1 is ``test`` (1,880 each, 40 per class). The
lists may stream before or after the images, so their lines are handed over as
annotations (the engine joins them to the images; an unlisted image, or a listed image
that is missing, fails the build). ``labels_joint_anno.txt`` (multi-attribute labels),
``imdb/imdb.mat`` and the other folds are not used.

Evidence: OpenOOD's list of the DTD images, 5,640 distinct ``<class>/<class>_NNNN.jpg``
(numbers between 0001 and 0232), 120 in each of exactly the 47 folders named here; the
provider's README (folder layout, list names) and the archive's size in a DataLad mirror,
equal to the pin. No copy of the fold lists was found: the split sizes are the provider's
40 per class per split.
"""

from pathlib import Path

from data.types import Annotation, Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

ARTIFACTS = (
    Artifact("dtd-r1.0.1.tar.gz", "https://www.robots.ox.ac.uk/~vgg/data/dtd/download/dtd-r1.0.1.tar.gz",
             sha256="e42855a52a4950a3b59612834602aa253914755c95b0cff9ead6d07395f8e205", size=625239812),
)
IMAGES = "dtd/images/"
FOLD = 1
# fold-1 list -> split
LISTS = {f"dtd/labels/train{FOLD}.txt": "train", f"dtd/labels/val{FOLD}.txt": "validation",
         f"dtd/labels/test{FOLD}.txt": "test"}

CLASS_NAMES = tuple(sorted("""
banded blotchy braided bubbly bumpy chequered cobwebbed cracked crosshatched crystalline dotted
fibrous flecked freckled frilly gauzy grid grooved honeycombed interlaced knitted lacelike lined
marbled matted meshed paisley perforated pitted pleated polka-dotted porous potholed scaly smeared
spiralled sprinkled stained stratified striped studded swirly veined waffled woven wrinkled zigzagged
""".split()))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path):
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, keep=_wanted):
        if name in LISTS:
            for line in data.decode("utf-8").split():
                yield Annotation(key=IMAGES + line, split=LISTS[name])
            continue
        label = _readers.folder_label(name, _LABELS, ARTIFACTS[0].file)
        yield Example(key=name, image=data, label=label)


def write_fixture(artifacts_dir: Path, per_class: int = 6) -> dict[str, int]:
    """An uncompressed tar under the .tar.gz name: images, then imdb.mat, then two folds' lists."""
    classes = ("banded", "polka-dotted", "zigzagged")
    members, lists, counts = [], {}, _splits.SplitSizes()
    for c, folder in enumerate(classes):
        for i in range(1, per_class + 1):
            line = f"{folder}/{folder}_{i:04d}.jpg"
            members.append((IMAGES + line, _fixtures.jpeg_bytes(_fixtures.pixels(c * 50 + i, 26, 22 + i % 3, 3))))
            for fold, part in ((1, i % 3), (2, (i + 1) % 3)):
                lists.setdefault(f"dtd/labels/{('train', 'val', 'test')[part]}{fold}.txt", []).append(line)
            split = ("train", "validation", "test")[i % 3]
            counts.add(split)
    members.append(("dtd/imdb/imdb.mat", b"MATLAB 5.0 MAT-file, not read by the handler"))
    members += [(path, ("\n".join(lines) + "\n").encode()) for path, lines in sorted(lists.items())]
    members.append(("dtd/labels/labels_joint_anno.txt", f"{classes[0]}/{classes[0]}_0001.jpg banded lined \n".encode()))
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members, mode="w")
    return counts


def _wanted(name: str) -> bool:
    return name in LISTS or (name.startswith(IMAGES) and name.endswith(".jpg"))


dtd = DatasetSpec(
    name="dtd",
    description="5,640 texture photos in 47 describable classes (120 each); official fold 1: 1,880 train / 1,880 validation / 1,880 test.",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/dtd/",
    citation=(
        "Cimpoi, M., Maji, S., Kokkinos, I., Mohamed, S., Vedaldi, A. Describing Textures in the "
        "Wild. IEEE Conference on Computer Vision and Pattern Recognition (CVPR), 2014."
    ),
    license="No formal license; the homepage makes the data available for research purposes.",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 1880, "validation": 1880, "test": 1880},
    unconfirmed="the fold-1 lists themselves (not seen; split sizes are the provider's 40 per class each)",
    evidence=Evidence(
        "real listing",
        source=(
            "glhr/ood-labelnoise@12cecfc3bb4fadcd2487e6d57aae6c913a0a681c:data/benchmark_imglist/cifar10/"
            "test_texture.txt (OpenOOD's list of all 5,640 DTD images, 47 x 120); "
            "datasets-mila/datasets--dtd@7f1867379eff29a0b5b977d9c1fa6550b5327a6f:README.txt (the "
            "provider's README: dtd/images/<class>/, dtd/labels/{train,val,test}1..10.txt) and :md5sums "
            "(annex key of dtd-r1.0.1.tar.gz: 625,239,812 bytes, md5 fff73e5086ae6bdbea199a49dfb8a4c1)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis reads TFDS dtd (fold 1) and at read time cuts train 80/20 into train / dev by "
        "position, using validation as dev-test; here fold 1's train / validation / test are stored "
        "as published."
    ),
)
