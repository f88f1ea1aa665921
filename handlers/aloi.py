"""ALOI (Amsterdam Library of Object Images): 1,000 small objects photographed under
systematically varied illumination direction, illumination colour and viewing angle.

Homepage https://aloi.science.uva.nl/ (Geusebroek, Burghouts, Smeulders, "The
Amsterdam library of object images", IJCV, 2005). The quarter-resolution ("red4",
192x144) PNG release, in colour (``aloi_red4_*.tar``) and in grey
(``aloi_grey_red4_*.tar``). Each capture series is a tar laid out as
``<top folder>/<object number>/<object>_<condition>.png``: ``ill`` has 24 illumination
directions per object (``_l<1-8>c<1-3>``), ``col`` 12 illumination colours
(``_i110`` ... ``_i250``), ``view`` 72 viewing angles (``_r0`` ... ``_r355``). The label is
the object number minus one; non-PNG members are ignored. The ``stereo`` series is not
used (dm_nevis downloads it but never reads it) and is not fetched. Splits: the ``ill``
series is ``test`` (24,000); ``col`` and ``view`` (84,000) are drawn into train/dev/
dev-test (0.70/0.15/0.15) by a hash of ``<object>/<file name>``, so colour and grey split
identically.

Evidence: no listing of the tars. dm_nevis labels every member of the three tars by
its second path component, so the object folders sit directly under one top folder;
public loaders read ``png4/<n>/<n>_<condition>.png`` from the colour tars with these
condition codes; and 1,000 x (24 + 12 + 72) images plus the 2,250 stereo images make
the documented 110,250. Until a listing confirms every name, split sizes are not
declared (``NUM_EXAMPLES`` is what the draw gives the documented names).
"""

import functools
import posixpath
from pathlib import Path

from data.types import Example, Features
from handlers import _fixtures, _readers, _splits
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://aloi.science.uva.nl/tars/"
_MD5 = {
    "aloi_red4_ill.tar": "0f72c3acf66908e61b6f8d5bf5981193",
    "aloi_red4_col.tar": "c0486588258de8a26df4ed7aff0b34f8",
    "aloi_red4_view.tar": "ca29f342bb0c1fa4788e9f76f591ec59",
    "aloi_grey_red4_ill.tar": "70eca95ebfcfb253eb7be199f158f10c",
    "aloi_grey_red4_col.tar": "91a31a2692797c899973e84783c08e92",
    "aloi_grey_red4_view.tar": "0347be95470dbb22cc02e441d8b7e956",
}
ARTIFACTS = {
    prefix: tuple(Artifact(f"{prefix}_{series}.tar", f"{_HOST}{prefix}_{series}.tar", md5=_MD5[f"{prefix}_{series}.tar"])
                  for series in ("ill", "col", "view"))
    for prefix in ("aloi_red4", "aloi_grey_red4")
}
# Capture series -> split (None: drawn into train/dev/dev-test by hash).
SERIES = {"ill": "test", "col": None, "view": None}
CONDITIONS = {
    "ill": [f"l{light}c{camera}" for light in range(1, 9) for camera in range(1, 4)],
    "col": [f"i{temperature}" for temperature in (*range(110, 200, 10), 210, 230, 250)],
    "view": [f"r{angle}" for angle in range(0, 360, 5)],
}

CLASS_NAMES = tuple(str(number) for number in range(1, 1001))
_LABELS = {name: index for index, name in enumerate(CLASS_NAMES)}


def examples(artifacts_dir: Path, prefix: str):
    for artifact, split in zip(ARTIFACTS[prefix], SERIES.values(), strict=True):
        for name, data in _readers.tar_members(artifacts_dir / artifact.file, suffixes=(".png",)):
            folder = _readers.class_folder(name)
            if folder not in _LABELS:
                raise ValueError(f"{artifact.file}: {name} is not in an object folder 1..1000")
            split_key = f"{folder}/{posixpath.basename(name)}"
            yield Example(key=name, image=data, label=_LABELS[folder],
                          split=split or _splits.by_fraction(split_key, _splits.TR3))


def write_fixture(artifacts_dir: Path, prefix: str) -> dict[str, int]:
    """The three series for objects 1, 2 and 1000 (a few conditions each), with a stray file."""
    channels = 1 if "grey" in prefix else 3
    counts = _splits.SplitSizes()
    for artifact, (series, split) in zip(ARTIFACTS[prefix], SERIES.items(), strict=True):
        members = [("png4/readme.txt", b"unused\n")]
        for number in (1, 2, 1000):
            for c, condition in enumerate(CONDITIONS[series][:7]):
                base = f"{number}_{condition}.png"
                members.append((f"png4/{number}/{base}", _fixtures.png_bytes(_fixtures.pixels(number * 100 + c, 12, 16, channels))))
                key = split or _splits.by_fraction(f"{number}/{base}", _splits.TR3)
                counts.add(key)
        _fixtures.write_tar(artifacts_dir / artifact.file, members, mode="w")
    return counts


def derived_counts() -> dict[str, int]:
    """The split sizes the TR3 hash draw gives the documented names (slow: 84,000
    hashes; NUM_EXAMPLES holds the result and a test recomputes it). Not declared on
    the spec until a listing of the tars confirms the names."""
    pool = (f"{n}/{n}_{c}.png" for series in ("col", "view") for n in range(1, 1001) for c in CONDITIONS[series])
    return {**_splits.tally(pool, _splits.TR3), "test": 1000 * len(CONDITIONS["ill"])}


NUM_EXAMPLES = {"train": 58815, "dev": 12529, "dev-test": 12656, "test": 24000}


def _spec(prefix: str) -> DatasetSpec:
    grey = "grey" in prefix
    return DatasetSpec(
        name="aloi_grey" if grey else "aloi",
        description=f"108,000 {'greyscale' if grey else 'colour'} 192x144 photos of 1,000 objects under 24 illumination directions (test), 12 illumination colours and 72 viewing angles.",
        homepage="https://aloi.science.uva.nl/",
        citation="Geusebroek, J.-M., Burghouts, G. J., Smeulders, A. W. M. The Amsterdam library of object images. International Journal of Computer Vision 61(1):103-112, 2005.",
        license="unknown; see homepage (free for research)",
        artifacts=ARTIFACTS[prefix],
        features=Features(channels=1 if grey else 3, class_names=CLASS_NAMES),
        examples=functools.partial(examples, prefix=prefix),
        write_fixture=functools.partial(write_fixture, prefix=prefix),
        # The names are documented, not listed: the sizes in NUM_EXAMPLES wait for a listing.
        num_examples=None,
        source="aloi",
        unconfirmed="every file name <object>_<condition>.png (seen in public loaders, not in a listing); the grey tars' top folder",
        evidence=Evidence(
            "unverified",
            source="deepmind/dm_nevis@37ccf1e2dd89:dm_nevis/datasets_storage/handlers/aloi.py (label = "
            "second path component - 1 for every member); Geusebroek et al. 2005 (24 illumination "
            "directions, 12 colours, 72 views, 110,250 images)",
        ),
    )


aloi = _spec("aloi_red4")
aloi_grey = _spec("aloi_grey_red4")
