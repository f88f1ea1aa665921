"""Oxford Flowers 102: 8,189 photos of 102 flower species common in the United Kingdom.

Homepage https://www.robots.ox.ac.uk/~vgg/data/flowers/102/ (Nilsback, Zisserman,
"Automated Flower Classification over a Large Number of Classes", ICVGIP 2008). Three
artifacts: ``102flowers.tgz`` holds ``jpg/image_<5 digits>.jpg`` (00001-08189; it may
be a plain tar despite its name: the reader detects the compression);
``imagelabels.mat`` holds ``labels`` (1 x 8189, values 1-102, indexed by image number;
label = value - 1); ``setid.mat`` holds the official split as image numbers: ``trnid``
(1,020, 10 per class) is ``train``, ``valid`` (1,020) is ``validation``, ``tstid``
(6,149) is ``test``. The two .mat files are read first, then the images stream. An
image in no list, in two lists, or listed but missing is an error. The provider
publishes no label-to-name file: the names below are the community list in label
order that TFDS uses (its "pink-yellow dahlia?" written without the question mark).

Evidence: copies of both .mat files with the pinned sha256 (their lists cover images
1-8189 once each, 10 training images per class); the tgz is known by the size and md5
in a DataLad mirror's annex key, its member names from TFDS's builder.
"""

import posixpath
from pathlib import Path

import numpy as np

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://www.robots.ox.ac.uk/~vgg/data/flowers/102/"
ARTIFACTS = (
    Artifact("102flowers.tgz", _HOST + "102flowers.tgz", size=344862509,
             sha256="2d01ecc807db462958cfe3d92f57a8c252b4abd240eb955770201e45f783b246"),
    Artifact("imagelabels.mat", _HOST + "imagelabels.mat", size=502,
             sha256="4903e94206bac23bf772aadf06451916df56b58fc483a62db32a97b82656651d"),
    Artifact("setid.mat", _HOST + "setid.mat", size=14989,
             sha256="46b8678f91fd95d3c8f4feab80d271a6c834a1dd896fe29fd3e6ad9ce5c8dccd"),
)
# setid.mat variable -> split
SETS = {"trnid": "train", "valid": "validation", "tstid": "test"}

CLASS_NAMES = tuple("""
pink primrose|hard-leaved pocket orchid|canterbury bells|sweet pea|english marigold|tiger lily|
moon orchid|bird of paradise|monkshood|globe thistle|snapdragon|colt's foot|king protea|spear thistle|
yellow iris|globe-flower|purple coneflower|peruvian lily|balloon flower|giant white arum lily|
fire lily|pincushion flower|fritillary|red ginger|grape hyacinth|corn poppy|prince of wales feathers|
stemless gentian|artichoke|sweet william|carnation|garden phlox|love in the mist|mexican aster|
alpine sea holly|ruby-lipped cattleya|cape flower|great masterwort|siam tulip|lenten rose|
barbeton daisy|daffodil|sword lily|poinsettia|bolero deep blue|wallflower|marigold|buttercup|
oxeye daisy|common dandelion|petunia|wild pansy|primula|sunflower|pelargonium|bishop of llandaff|
gaura|geranium|orange dahlia|pink-yellow dahlia|cautleya spicata|japanese anemone|black-eyed susan|
silverbush|californian poppy|osteospermum|spring crocus|bearded iris|windflower|tree poppy|gazania|
azalea|water lily|rose|thorn apple|morning glory|passion flower|lotus|toad lily|anthurium|
frangipani|clematis|hibiscus|columbine|desert-rose|tree mallow|magnolia|cyclamen|watercress|
canna lily|hippeastrum|bee balm|ball moss|foxglove|bougainvillea|camellia|mallow|mexican petunia|
bromelia|blanket flower|trumpet creeper|blackberry lily
""".replace("\n", "").split("|"))


def examples(artifacts_dir: Path):
    images = _image_table(artifacts_dir)
    for name, data in _readers.tar_members(artifacts_dir / ARTIFACTS[0].file, suffixes=(".jpg",)):
        number = _number(name)
        if number not in images:
            raise ValueError(f"{name} is in none of setid.mat's lists")
        label, split = images.pop(number)
        yield Example(key=name, image=data, label=label, split=split)
    if images:
        raise ValueError(f"{len(images)} listed images are missing from the archive, e.g. {min(images)}")


def write_fixture(artifacts_dir: Path, count: int = 24) -> dict[str, int]:
    """The tgz of jpg/ plus both .mat files as MATLAB writes them (1 x N double rows)."""
    from scipy.io import savemat

    members, labels, sets, counts = [], [], {name: [] for name in SETS}, _splits.SplitSizes()
    for number in range(1, count + 1):
        members.append((f"jpg/image_{number:05d}.jpg", _fixtures.jpeg_bytes(_fixtures.pixels(number, 24, 20 + number % 4, 3))))
        labels.append((0, 57, 101)[number % 3] + 1)
        set_name = ("trnid", "valid", "tstid", "tstid")[number % 4]
        sets[set_name].append(number)
        counts.add(SETS[set_name])
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[0].file, members)
    savemat(artifacts_dir / ARTIFACTS[1].file, {"labels": np.array([labels], dtype=np.float64)})
    savemat(artifacts_dir / ARTIFACTS[2].file, {name: np.array([ids], dtype=np.float64) for name, ids in sets.items()})
    return counts


def _image_table(artifacts_dir: Path) -> dict[int, tuple[int, str]]:
    """image number -> (label, split), from imagelabels.mat and setid.mat."""
    from scipy.io import loadmat

    labels = loadmat(artifacts_dir / ARTIFACTS[1].file)["labels"].ravel().astype(int)
    if labels.min() < 1 or labels.max() > len(CLASS_NAMES):
        raise ValueError(f"imagelabels.mat: labels outside 1..{len(CLASS_NAMES)}")
    setid = loadmat(artifacts_dir / ARTIFACTS[2].file)
    table: dict[int, tuple[int, str]] = {}
    for variable, split in SETS.items():
        for number in setid[variable].ravel().astype(int):
            if number in table:
                raise ValueError(f"setid.mat lists image {number} twice")
            table[int(number)] = (int(labels[number - 1]) - 1, split)
    return table


def _number(name: str) -> int:
    return int(posixpath.basename(name).removeprefix("image_").removesuffix(".jpg"))


oxford_flowers102 = DatasetSpec(
    name="oxford_flowers102",
    description="8,189 photos of 102 UK flower species (40-258 per class); official 1,020 train / 1,020 validation / 6,149 test.",
    homepage="https://www.robots.ox.ac.uk/~vgg/data/flowers/102/",
    citation=(
        "Nilsback, M.-E., Zisserman, A. Automated Flower Classification over a Large Number of "
        "Classes. Indian Conference on Computer Vision, Graphics and Image Processing (ICVGIP), 2008."
    ),
    license="unknown; see homepage",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 1020, "validation": 1020, "test": 6149},
    unconfirmed=(
        "the class names' order (a community list used by TFDS; the provider publishes no "
        "label-to-name file); the tgz's member names (jpg/image_<5 digits>.jpg, from TFDS)"
    ),
    evidence=Evidence(
        "real artifact",
        source="wallace-zhou/FloralVision@c76755263ca3:imagelabels.mat and setid.mat (sizes and "
        "sha256 = the pinned ones; trnid/valid/tstid = 1,020/1,020/6,149, covering 1-8189 once); "
        "datasets-mila/datasets--flowers102@666fc420e66f:102flowers.tgz (annex key "
        "MD5E-s344862509--52808999861908f626f3c1f4e79d11fa: the pinned size)",
    ),
)
