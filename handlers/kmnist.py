"""Kuzushiji-MNIST: 28x28 greyscale cursive Japanese characters, 10 hiragana classes.

Homepage http://codh.rois.ac.jp/kmnist/ (Clanuwat, Bober-Irizar, Kitamoto, Lamb,
Yamamoto, Ha, "Deep Learning for Classical Japanese Literature", NeurIPS 2018 workshop
on Machine Learning for Creativity and Design; arXiv 2018). The same four
gzip-compressed idx file names and format as MNIST, read with the MNIST-family reader;
the fixture is MNIST's (same names and layout). The provider also publishes NumPy .npz
copies, not used. Classes, in label order, are one hiragana per row of the syllabary
(お き す つ な は ま や れ を), named by their romanisation. Official 60,000 / 10,000
train/test split only.

Evidence: the provider's README (70,000 images, 6,000 / 1,000 per class, MNIST's idx
format and file names) as mirrored with the files; the mirror's annex keys give the
sizes pinned here and the md5s torchvision pins. Git LFS pointers of a torchvision
download (``data/KMNIST/raw/``) carry exactly the four sha256s and sizes pinned here, so
the pins are those of the files torchvision fetches; their bytes were not readable, so the
idx headers (hence the counts) were not read.
"""

from pathlib import Path

from data.types import Features
from handlers import _readers
from handlers._spec import Artifact, DatasetSpec, Evidence
from handlers.mnist import FILES, write_fixture

_HOST = "http://codh.rois.ac.jp/kmnist/dataset/kmnist/"
ARTIFACTS = (
    Artifact("train-images-idx3-ubyte.gz", _HOST + "train-images-idx3-ubyte.gz", size=18165135,
             sha256="51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4"),
    Artifact("train-labels-idx1-ubyte.gz", _HOST + "train-labels-idx1-ubyte.gz", size=29497,
             sha256="e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17"),
    Artifact("t10k-images-idx3-ubyte.gz", _HOST + "t10k-images-idx3-ubyte.gz", size=3041136,
             sha256="edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5"),
    Artifact("t10k-labels-idx1-ubyte.gz", _HOST + "t10k-labels-idx1-ubyte.gz", size=5120,
             sha256="20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c"),
)

CLASS_NAMES = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")


def examples(artifacts_dir: Path):
    return _readers.idx_pair_examples(artifacts_dir, FILES)


kmnist = DatasetSpec(
    name="kmnist",
    description="70,000 28x28 greyscale Kuzushiji (cursive Japanese) characters, one hiragana per class.",
    homepage="http://codh.rois.ac.jp/kmnist/",
    citation=(
        "Clanuwat, T., Bober-Irizar, M., Kitamoto, A., Lamb, A., Yamamoto, K., Ha, D. Deep Learning "
        "for Classical Japanese Literature. arXiv:1812.01718, 2018."
    ),
    license="Creative Commons Attribution-ShareAlike 4.0 International (CC BY-SA 4.0)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 60000, "test": 10000},
    evidence=Evidence(
        "documentation",
        source="datasets-mila/datasets--kmnist@cb75286a3270f0a62a6c89e10386f6056717a420:README.md "
        "(the provider's README: 60,000 / 10,000, 6k / 1k per class, one hiragana per row) and "
        "md5sums plus annex keys (MD5E-s18165135--bdb82020..., MD5E-s29497--e144d726..., "
        "MD5E-s3041136--5c965bf0..., MD5E-s5120--7320c461...: the pinned sizes); "
        "namanlab/CVCNN_Paper@0f30b9c85290:data/KMNIST/raw/*-ubyte.gz (Git LFS pointers: the four "
        "pinned sha256s and sizes; bytes not stored)",
    ),
)
