"""SVHN (cropped digits): 32x32 colour crops of house numbers from Google Street View.

Homepage http://ufldl.stanford.edu/housenumbers/ (Netzer, Wang, Coates, Bissacco, Wu,
Ng, "Reading Digits in Natural Images with Unsupervised Feature Learning", NIPS
Workshop on Deep Learning and Unsupervised Feature Learning, 2011). Three MATLAB v5
files, one per official part: ``train_32x32.mat`` (73,257), ``test_32x32.mat``
(26,032) and ``extra_32x32.mat`` (531,131 somewhat easier digits, kept as its own
split ``extra``). Each holds ``X`` (32 x 32 x 3 x N uint8: the image index is the last
axis) and ``y`` (N x 1, values 1-10 where 10 stands for the digit 0: label = y mod 10).
Keys are ``<file>/<index>``. scipy reads a whole file at once, so the extra part needs
about 1.6 GB of memory while it is read.

Evidence: the provider's description (``X(:,:,:,i)`` is image i, label 10 is digit 0)
and the published counts, mirrored with the three files; the mirror's annex keys give
the same sizes as pinned here and the md5s torchvision pins. No copy was read.
"""

from pathlib import Path

import numpy as np
from PIL import Image

from data.types import Example, Features
from handlers import _fixtures
from handlers._spec import Artifact, DatasetSpec, Evidence

_HOST = "http://ufldl.stanford.edu/housenumbers/"
ARTIFACTS = (
    Artifact("train_32x32.mat", _HOST + "train_32x32.mat", size=182040794,
             sha256="435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8"),
    Artifact("test_32x32.mat", _HOST + "test_32x32.mat", size=64275384,
             sha256="cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b"),
    Artifact("extra_32x32.mat", _HOST + "extra_32x32.mat", size=1329278602,
             sha256="a133a4beb38a00fcdda90c9489e0c04f900b660ce8a316a5e854838379a71eb3"),
)
SPLITS = {"train": "train_32x32.mat", "test": "test_32x32.mat", "extra": "extra_32x32.mat"}

CLASS_NAMES = tuple(str(digit) for digit in range(10))


def examples(artifacts_dir: Path):
    from scipy.io import loadmat

    for split, file in SPLITS.items():
        content = loadmat(artifacts_dir / file)
        images, labels = content["X"], content["y"].ravel()
        if images.shape[:3] != (32, 32, 3) or images.shape[3] != len(labels):
            raise ValueError(f"{file}: X has shape {images.shape} for {len(labels)} labels")
        for index in range(len(labels)):
            if not 1 <= labels[index] <= 10:
                raise ValueError(f"{file} row {index}: label {labels[index]} outside 1..10")
            yield Example(
                key=f"{file}/{index:06d}",
                image=Image.fromarray(np.ascontiguousarray(images[:, :, :, index]), "RGB"),
                label=int(labels[index]) % 10,
                split=split,
            )
        del content, images


def write_fixture(artifacts_dir: Path, sizes=(("train", 12), ("test", 6), ("extra", 7))) -> dict[str, int]:
    """The three .mat files with X as 32x32x3xN and y as an Nx1 column holding 10 for zero."""
    from scipy.io import savemat

    for seed, (split, count) in enumerate(sizes):
        images = np.stack([_fixtures.pixels(seed * 100 + i, 32, 32, 3) for i in range(count)], axis=-1)
        labels = ((np.arange(count) * 3 + seed) % 10 + 1).reshape(-1, 1).astype(np.uint8)
        savemat(artifacts_dir / SPLITS[split], {"X": images, "y": labels})
    return dict(sizes)


svhn_cropped = DatasetSpec(
    name="svhn_cropped",
    description="House-number digits cropped to 32x32 colour images from Street View photos, 10 classes.",
    homepage="http://ufldl.stanford.edu/housenumbers/",
    citation=(
        "Netzer, Y., Wang, T., Coates, A., Bissacco, A., Wu, B., Ng, A. Y. Reading Digits in Natural "
        "Images with Unsupervised Feature Learning. NIPS Workshop on Deep Learning and Unsupervised "
        "Feature Learning, 2011."
    ),
    license="Non-commercial use only (as stated on the homepage)",
    artifacts=ARTIFACTS,
    features=Features(channels=3, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 73257, "test": 26032, "extra": 531131},
    evidence=Evidence(
        "documentation",
        source="datasets-mila/datasets--svhn@952b2b45ddeaa41de11e2395aba41610aeac571c:README.rst "
        "(the provider page: X 4-D with the image index last, y 1-10 with 10 for '0', 73,257 / "
        "26,032 / 531,131) and md5sums plus annex keys (MD5E-s182040794--e26dedcc..., "
        "MD5E-s64275384--eb5a983b..., MD5E-s1329278602--a93ce644...: the pinned sizes)",
    ),
)
