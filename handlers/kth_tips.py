"""KTH-TIPS and KTH-TIPS2: 200x200 crops of material textures under varying
illumination, pose and scale.

Homepage https://www.csc.kth.se/cvap/databases/kth-tips/ (Hayman, Caputo, Fritz,
Eklundh, "On the significance of real-world conditions for material classification",
ECCV 2004; Caputo, Hayman, Mallikarjuna, "Class-specific material categorisation",
ICCV 2005). Four tars, one per variant: KTH-TIPS in colour and in grey (10 materials,
81 images each, 810) lay images out as ``KTH_TIPS/<material>/<image>.png``; KTH-TIPS2-a
and -b (11 materials, four physical samples each; 2-b has 108 images per sample, 4,752,
2-a fewer) as ``KTH-TIPS2-<a|b>/<material>/sample_<x>/<image>.png``. The label is the
material folder (parent, or grandparent for TIPS2); only PNGs are examples (the readme
is ignored). No official split: every image is drawn into train/dev/dev-test/test
(0.56/0.12/0.12/0.20) by a hash of its member path. Images of one physical sample can
land in different splits (the papers' protocols split by sample instead).

Images are named ``<NN>-scale_<s>_im_<i>_<col|grey>.png`` (``NN`` a number per
material, e.g. 15 for aluminium_foil) and, in TIPS2, ``<NN><x>-scale_<s>_im_<i>_col.png``
inside ``sample_<x>`` (x = a-d). Evidence: for KTH-TIPS2-b, a public list of all 4,752
image paths (replayed from ``tests/listings/kth_tips_2b.json.gz``): the 11 material
spellings, samples a-d, scales 2-10 x 12 images each. For the other three only image
paths quoted by loaders (dm_nevis's among them) and the provider's figures.
"""

import functools
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "https://www.csc.kth.se/cvap/databases/kth-tips/"
ARTIFACTS = {
    "kth_tips": Artifact("kth_tips_col_200x200.tar", _HOST + "kth_tips_col_200x200.tar", md5="4f92fe540feb4f3c66938291e4516f6c"),
    "kth_tips_grey": Artifact("kth_tips_grey_200x200.tar", _HOST + "kth_tips_grey_200x200.tar", md5="3aab2bffd539865b237cb3a63dffb14a"),
    "kth_tips_2a": Artifact("kth-tips2-a_col_200x200.tar", _HOST + "kth-tips2-a_col_200x200.tar", md5="911eb17220748fa36e6524aea71db7d7"),
    "kth_tips_2b": Artifact("kth-tips2-b_col_200x200.tar", _HOST + "kth-tips2-b_col_200x200.tar", md5="00470a104a57f5a5be22cc8a0f234c4e"),
}
TOP = {"kth_tips": "KTH_TIPS", "kth_tips_grey": "KTH_TIPS", "kth_tips_2a": "KTH-TIPS2-a", "kth_tips_2b": "KTH-TIPS2-b"}

TIPS_MATERIALS = ("aluminium_foil", "brown_bread", "corduroy", "cotton", "cracker", "linen", "orange_peel",
                  "sandpaper", "sponge", "styrofoam")
TIPS2_MATERIALS = ("aluminium_foil", "brown_bread", "corduroy", "cork", "cotton", "cracker", "lettuce_leaf",
                   "linen", "white_bread", "wood", "wool")


def examples(artifacts_dir: Path, variant: str):
    tips2 = variant.startswith("kth_tips_2")
    labels = {name: index for index, name in enumerate(TIPS2_MATERIALS if tips2 else TIPS_MATERIALS)}
    artifact = ARTIFACTS[variant]
    for name, data in _readers.tar_members(artifacts_dir / artifact.file, suffixes=(".png",)):
        if tips2 and not _readers.class_folder(name).startswith("sample_"):
            raise ValueError(f"{artifact.file}: {name} is not inside a sample_<x> folder")
        material = _readers.class_folder(name, 2 if tips2 else 1)
        if material not in labels:
            raise ValueError(f"{artifact.file}: unknown material folder {material!r} ({name})")
        yield Example(key=name, image=data, label=labels[material], split=_splits.by_fraction(name, _splits.ALL))


def write_fixture(artifacts_dir: Path, variant: str, per_folder: int = 7) -> dict[str, int]:
    """Three materials (two samples each for TIPS2), real-style names, and a readme, in an
    uncompressed tar."""
    tips2 = variant.startswith("kth_tips_2")
    top, channels = TOP[variant], 1 if variant == "kth_tips_grey" else 3
    tone = "grey" if variant == "kth_tips_grey" else "col"
    members, keys = [(f"{top}/README.txt", b"unused\n")], []
    for m, (material, code) in enumerate((("aluminium_foil", 15), ("cotton", 46), ("linen", 44))):
        for s, sample in enumerate("ab" if tips2 else ("",)):
            folder = f"{top}/{material}/sample_{sample}/" if tips2 else f"{top}/{material}/"
            for i in range(per_folder):
                scale = i + 2 if tips2 else i + 1
                name = f"{folder}{code}{sample}-scale_{scale}_im_{i + 1}_{tone}.png"
                members.append((name, _fixtures.png_bytes(_fixtures.pixels(m * 100 + s * 10 + i, 20, 20, channels))))
                keys.append(name)
    _fixtures.write_tar(artifacts_dir / ARTIFACTS[variant].file, members, mode="w")
    return _splits.tally(keys, _splits.ALL)


# The hash split of KTH-TIPS2-b, tallied over its real image paths.
NUM_EXAMPLES = {"kth_tips_2b": {"train": 2667, "dev": 586, "dev-test": 602, "test": 897}}
EVIDENCE = {
    "kth_tips_2b": Evidence(
        "real listing",
        source="calebabr/STATS-TangentProjection-Project@20a9da0a97b34a8a0b08c560291b733ee15061be:"
        "data/KTH-TIPS2-b/metadata.csv (relative paths of all 4,752 images of the extracted tar)",
        listing="kth_tips_2b.json.gz",
    ),
}
_QUOTED = Evidence(
    "documentation",
    source="https://www.csc.kth.se/cvap/databases/kth-tips/ (materials, 81 images each for KTH-TIPS, "
    "four samples for TIPS2); deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/"
    "kth_tips.py (KTH_TIPS/linen/44-scale_3_im_1_col.png, KTH-TIPS2-a/wool/sample_a/"
    "22a-scale_10_im_10_col.png); loaders quoting KTH_TIPS/<material>/<NN>-scale_<s>_im_<i>_grey.png",
)


def _spec(variant: str, description: str) -> DatasetSpec:
    tips2 = variant.startswith("kth_tips_2")
    return DatasetSpec(
        name=variant,
        description=description,
        homepage="https://www.csc.kth.se/cvap/databases/kth-tips/",
        citation=(
            "Caputo, B., Hayman, E., Mallikarjuna, P. Class-specific material categorisation. ICCV 2005." if tips2 else
            "Hayman, E., Caputo, B., Fritz, M., Eklundh, J.-O. On the significance of real-world conditions for material classification. ECCV 2004."
        ),
        license="unknown; see homepage",
        artifacts=(ARTIFACTS[variant],),
        features=Features(channels=1 if variant == "kth_tips_grey" else 3,
                          class_names=TIPS2_MATERIALS if tips2 else TIPS_MATERIALS),
        examples=functools.partial(examples, variant=variant),
        write_fixture=functools.partial(write_fixture, variant=variant),
        num_examples=NUM_EXAMPLES.get(variant),
        source="kth_tips",
        unconfirmed="" if variant == "kth_tips_2b" else (
            "the exact image list, so the split sizes and (for 2-a) the image count"
            + ("" if tips2 else "; the KTH-TIPS material folder spellings beyond loaders' quotes")),
        evidence=EVIDENCE.get(variant, _QUOTED),
    )


kth_tips = _spec("kth_tips", "810 colour 200x200 texture crops of 10 materials at 9 scales, 3 poses and 3 illuminations.")
kth_tips_grey = _spec("kth_tips_grey", "810 greyscale 200x200 texture crops of 10 materials at 9 scales, 3 poses and 3 illuminations.")
kth_tips_2a = _spec("kth_tips_2a", "200x200 colour texture crops of 11 materials, four physical samples each (KTH-TIPS2-a).")
kth_tips_2b = _spec("kth_tips_2b", "4,752 colour 200x200 texture crops of 11 materials, four physical samples of 108 images each (KTH-TIPS2-b).")
