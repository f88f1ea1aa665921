"""SUN Attribute Database: 14,340 scene photos, each labelled with which of 102
attributes (materials, surfaces, functions, spatial envelope) annotators saw in it.

Homepage https://cs.brown.edu/~gmpatter/sunattributes.html (Patterson & Hays, CVPR 2012).
``SUNAttributeDB.tar.gz`` holds ``SUNAttributeDB/images.mat`` (``images``: relative paths
such as ``a/abbey/sun_....jpg``), ``attributeLabels_continuous.mat`` (``labels_cv``: one
row per image, the fraction of three annotators who voted for each attribute) and
``attributes.mat`` (the 102 names, checked against the vocabulary below when present).
Row i belongs to path i; the image is member ``images/<path>`` of the images tar, read
as a stream. As in dm_nevis, an attribute is present when any annotator voted for it.
Members not listed in images.mat are ignored. No official split: every example is drawn
into train/dev/dev-test/test (0.56/0.12/0.12/0.20) by a hash of its member path.

Evidence: the database's README (the three .mat files, 14,340 image names "formatted
exactly as in the SUN database", a 14,340 x 102 matrix of vote fractions from 3 workers,
rows and columns in the order of images.mat and attributes.mat). A public train/test label
list built from the .mat files names 14,317 distinct images (23 short of 14,340, so not a
complete listing) in 717 category folders, with paths of three or four parts such as
``a/abbey/sun_aakbdcgfpksytcwj.jpg`` and ``a/airport/airport/sun_aajqjnzswlmdcmyl.jpg``,
and attribute indices 0-101. No listing of either tar was found.
"""

import io
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_BASE = "https://cs.brown.edu/~gmpatter/Attributes/"
ARTIFACTS = (
    Artifact("SUNAttributeDB_Images.tar.gz", _BASE + "SUNAttributeDB_Images.tar.gz", md5="5966725c7306df6e05cd3ada7f45a18b"),
    Artifact("SUNAttributeDB.tar.gz", _BASE + "SUNAttributeDB.tar.gz", md5="883293e5b645822f6ae0046c6df54183"),
)
_MATS = {"images": "SUNAttributeDB/images.mat", "labels_cv": "SUNAttributeDB/attributeLabels_continuous.mat",
         "attributes": "SUNAttributeDB/attributes.mat"}

# The order of attributes.mat (and of the labels_cv columns).
ATTRIBUTES = tuple(line.strip() for line in """
sailing/ boating|driving|biking|transporting things or people|sunbathing|vacationing/ touring|hiking
climbing|camping|reading|studying/ learning|teaching/ training|research|diving|swimming|bathing|eating
cleaning|socializing|congregating|waiting in line/ queuing|competing|sports|exercise|playing|gaming
spectating/ being in an audience|farming|constructing/ building|shopping|medical activity|working
using tools|digging|conducting business|praying|fencing|railing|wire|railroad|trees|grass|vegetation
shrubbery|foliage|leaves|flowers|asphalt|pavement|shingles|carpet|brick|tiles|concrete|metal|paper
wood (not part of a tree)|vinyl/ linoleum|rubber/ plastic|cloth|sand|rock/stone|dirt/soil|marble|glass
waves/ surf|ocean|running water|still water|ice|snow|clouds|smoke|fire|natural light|direct sun/sunny
electric/indoor lighting|aged/ worn|glossy|matte|sterile|moist/ damp|dry|dirty|rusty|warm|cold|natural
man-made|open area|semi-enclosed area|enclosed area|far-away horizon|no horizon|rugged scene
mostly vertical components|mostly horizontal components|symmetrical|cluttered space|scary|soothing|stressful
""".strip().replace("\n", "|").split("|"))


def examples(artifacts_dir: Path):
    labels = _read_annotations(artifacts_dir / ARTIFACTS[1].file)
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, keep=labels.__contains__):
        yield Example(key=name, image=data, multi_label=labels.pop(name),
                      split=_splits.by_fraction(name, _splits.ALL))
    if labels:
        raise ValueError(f"{ARTIFACTS[0].file} lacks {len(labels)} images of images.mat, e.g. {min(labels)}")


def write_fixture(artifacts_dir: Path, count: int = 30) -> dict[str, int]:
    """The three .mat files (cell arrays, as MATLAB writes them), an image with no vote,
    an unlisted member and a grey JPEG."""
    from scipy.io import savemat

    scenes = ("a/abbey", "b/bedroom", "o/ocean", "a/airport/airport")  # real paths have 3 or 4 parts
    # Real names are sun_ and 16 lowercase letters.
    paths = [f"{scenes[i % 4]}/sun_{''.join(chr(97 + (i * 7 + j * j) % 26) for j in range(16))}.jpg"
             for i in range(count)]
    rng = np.random.default_rng(0)
    votes = rng.choice([0, 1 / 3, 2 / 3, 1], size=(count, len(ATTRIBUTES)), p=[0.9, 0.05, 0.03, 0.02])
    votes[0] = 0
    members, counts = {}, _splits.SplitSizes()
    for mat, value in (("images", paths), ("labels_cv", votes), ("attributes", list(ATTRIBUTES))):
        buffer = io.BytesIO()
        savemat(buffer, {mat: _cell(value) if mat != "labels_cv" else value})
        members[_MATS[mat]] = buffer.getvalue()
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[1].file, members)
    images = {"images/README.txt": b"unlisted\n"}
    for i, path in enumerate(paths):
        images[f"images/{path}"] = _fixtures.jpeg_bytes(_fixtures.pixels(i, 18, 24, 1 if i == 4 else 3))
        split = _splits.by_fraction(f"images/{path}", _splits.ALL)
        counts.add(split)
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, images)
    return counts


def _read_annotations(path: Path) -> dict[str, tuple[int, ...]]:
    from scipy.io import loadmat

    mats = {}
    for name, data in _readers.tar_members(path, keep=set(_MATS.values()).__contains__):
        mats[name] = loadmat(io.BytesIO(data))
    paths = [_string(entry) for entry in mats[_MATS["images"]]["images"].ravel()]
    votes = mats[_MATS["labels_cv"]]["labels_cv"]
    if votes.shape != (len(paths), len(ATTRIBUTES)):
        raise ValueError(f"labels_cv has shape {votes.shape}, images.mat lists {len(paths)} images")
    if _MATS["attributes"] in mats:
        names = tuple(_string(entry) for entry in mats[_MATS["attributes"]]["attributes"].ravel())
        if names != ATTRIBUTES:
            raise ValueError(f"attributes.mat names differ from the vocabulary: {names[:5]}...")
    return {f"images/{p}": tuple(int(i) for i in np.flatnonzero(row > 0)) for p, row in zip(paths, votes, strict=True)}


def _string(entry) -> str:
    """A MATLAB cell entry (a char array, possibly nested in 1x1 object arrays) as str."""
    while isinstance(entry, np.ndarray):
        entry = entry.ravel()[0]
    return str(entry)


def _cell(strings) -> np.ndarray:
    cell = np.empty((len(strings), 1), dtype=object)
    cell[:, 0] = strings
    return cell


sun_attributes = DatasetSpec(
    name="sun_attributes",
    description="14,340 scene photos from 717 SUN categories, each labelled with any of 102 attributes.",
    homepage="https://cs.brown.edu/~gmpatter/sunattributes.html",
    citation="Patterson, G., Hays, J. SUN Attribute Database: Discovering, Annotating, and Recognizing Scene Attributes. CVPR, 2012.",
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, label_vocabulary=ATTRIBUTES),
    examples=examples,
    write_fixture=write_fixture,
    # The image paths live in images.mat, which is not known in advance.
    num_examples=None,
    unconfirmed=(
        "the images tar's 'images/' prefix (dm_nevis's reader uses it); the attribute names and "
        "order (verified at build time when attributes.mat is present)"
    ),
    evidence=Evidence(
        "documentation",
        source="the README of SUNAttributeDB.tar.gz (Patterson & Hays), quoted in public "
        "repositories: attributes.mat (102 words), images.mat (14,340 SUN-style names), "
        "attributeLabels_continuous.mat (14,340 x 102 vote fractions); hqqasw/sunAttribute@"
        "3428ef7e47b4a1b227b5bb48ef05bcd7d3f1b67f:data/label/train.txt, test.txt (14,317 distinct "
        "paths in 717 category folders, 3 or 4 parts; attribute indices 0-101)",
    ),
)
