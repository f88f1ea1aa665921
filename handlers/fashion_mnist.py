"""Fashion-MNIST: 28x28 greyscale photos of Zalando articles in 10 clothing classes.

Homepage https://github.com/zalandoresearch/fashion-mnist (Xiao, Rasul, Vollgraf,
"Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms",
arXiv 2017). A drop-in replacement for MNIST: the same four gzip-compressed idx file
names and format, read with the MNIST-family reader; the fixture is MNIST's (same
names and layout). Class names are the provider's label order 0-9. Official 60,000 /
10,000 train/test split only.
"""

from pathlib import Path

from data.types import Features
from handlers import _readers
from handlers._spec import Artifact, DatasetSpec, Evidence
from handlers.mnist import FILES, write_fixture

_HOST = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
ARTIFACTS = (
    Artifact("train-images-idx3-ubyte.gz", _HOST + "train-images-idx3-ubyte.gz", size=26421880,
             sha256="3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84"),
    Artifact("train-labels-idx1-ubyte.gz", _HOST + "train-labels-idx1-ubyte.gz", size=29515,
             sha256="a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845"),
    Artifact("t10k-images-idx3-ubyte.gz", _HOST + "t10k-images-idx3-ubyte.gz", size=4422102,
             sha256="346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073"),
    Artifact("t10k-labels-idx1-ubyte.gz", _HOST + "t10k-labels-idx1-ubyte.gz", size=5148,
             sha256="67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5"),
)

CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
               "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def examples(artifacts_dir: Path):
    return _readers.idx_pair_examples(artifacts_dir, FILES)


fashion_mnist = DatasetSpec(
    name="fashion_mnist",
    description="70,000 28x28 greyscale images of clothing and accessories in 10 classes.",
    homepage="https://github.com/zalandoresearch/fashion-mnist",
    citation=(
        "Xiao, H., Rasul, K., Vollgraf, R. Fashion-MNIST: a Novel Image Dataset for Benchmarking "
        "Machine Learning Algorithms. arXiv:1708.07747, 2017."
    ),
    license="MIT License (as stated in the provider's repository)",
    artifacts=ARTIFACTS,
    features=Features(channels=1, class_names=CLASS_NAMES),
    examples=examples,
    write_fixture=write_fixture,
    num_examples={"train": 60000, "test": 10000},
    evidence=Evidence(
        "real artifact",
        source=(
            "zalandoresearch/fashion-mnist@b2617bb6d3ffa2e429640350f613e3291e10b141:data/fashion/ "
            "(train- and t10k-labels-idx1-ubyte.gz read: sha256 as pinned, 60,000 / 10,000 labels, "
            "6,000 / 1,000 per class; README's label table); "
            "datasets-mila/datasets--fashionmnist@bfe603e1850728fc6bd480905cdc3d524f8416f7:md5sums "
            "(annex keys: image files of 26,421,880 and 4,422,102 bytes, torchvision's md5s)"
        ),
    ),
    dm_nevis_differences=(
        "dm_nevis reads TFDS fashion_mnist and carves dev / dev-test out of the train split's tail "
        "(70/15/15 by position) at read time; here only the official train/test are stored."
    ),
)
