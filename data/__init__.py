"""The standardized format: encoding, shards, metadata, reading back, verifying.

``load`` imports TensorFlow on first use only, so conversion workers and command-line
tools that never read images stay light.
"""

from data.format import FORMAT_VERSION
from data.metadata import IncompleteDatasetError, UnknownSplitError
from data.types import Example, Features
from data.verify import VerificationError, verify


def load(name_or_path, split, data_dir=None, decode=True, as_numpy=False):
    """A tf.data.Dataset of decoded examples (NumPy dicts with as_numpy) of a stored split
    or a derived one (``train_and_dev``); see data/reader.py."""
    from data.reader import load as _load

    return _load(name_or_path, split, data_dir=data_dir, decode=decode, as_numpy=as_numpy)


def info(name_or_path, data_dir=None) -> dict:
    """The metadata of a built dataset; see data/reader.py."""
    from data.reader import info as _info

    return _info(name_or_path, data_dir=data_dir)


def tfds_dir(name_or_path, data_dir=None):
    """The tfds/ folder of a built dataset, for ``tfds.builder_from_directory``; see
    data/tfds_compat.py."""
    from data.tfds_compat import tfds_dir as _tfds_dir

    return _tfds_dir(name_or_path, data_dir=data_dir)


def tfds_builder(name_or_path, data_dir=None):
    """A TensorFlow Datasets builder of a built dataset (catalog names too), read from its
    tfds/ folder; it never downloads. See data/tfds_compat.py."""
    from data.tfds_compat import tfds_builder as _tfds_builder

    return _tfds_builder(name_or_path, data_dir=data_dir)


__all__ = [
    "FORMAT_VERSION",
    "Example",
    "Features",
    "IncompleteDatasetError",
    "UnknownSplitError",
    "VerificationError",
    "info",
    "load",
    "tfds_builder",
    "tfds_dir",
    "verify",
]
