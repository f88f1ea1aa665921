"""The files TensorFlow Datasets needs to open a built dataset, in ``<version>/tfds/``.

``tfds.builder_from_directory(<version dir>/tfds)`` reads ``dataset_info.json`` (a
DatasetInfo proto as JSON), ``features.json`` and ``<feature>.labels.txt`` there. They
cannot sit beside our own ``dataset_info.json``: TFDS parses that file strictly (an
unknown field such as ``format_version`` is an error) and its ``splits`` is a list
where ours is a mapping. So TFDS gets its own folder, and its split entries point one
level up (``filepathTemplate`` ``../{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}``)
at the very shards we wrote: our naming is TFDS's default one. Nothing is copied.

Derived splits (``train_and_dev``) are not listed: a TFDS split is one file template
over one run of shard numbers, so it cannot name the train and the dev shards both.
TFDS's own split syntax reads the same union: ``split="train+dev"``.

Features: ``image`` an Image of unknown height and width with the declared channels
(PNG or JPEG bytes: TFDS decodes either), ``key`` Text, and ``label`` a ClassLabel,
``multi_label`` a Sequence of ClassLabel, or ``target`` a float32 Scalar. Everything
comes from our metadata: no timestamps, no host names, the same bytes every build.
``downloadSize`` is the sum of the artifacts' declared sizes (left out, so TFDS shows
"Unknown", when an artifact declares none).

The catalog trap. ``tfds.load("mnist", data_dir=<data dir>/datasets)`` looks like the
right call, since ``datasets/<name>/<version>/`` is TFDS's own layout, but for a name in
TFDS's catalog (mnist, cifar10, caltech101, ...) TFDS uses its catalog code and version
(mnist 3.0.1), finds no such folder and starts a download and a build into the folder it
was given. Nothing we write where TFDS looks can make it pick our version, so the build
puts a guard where TFDS would download first: a regular file named ``downloads`` (TFDS's
download folder, ``<data_dir>/downloads``) in ``datasets/``, in the data dir itself, and
in ``tfds/`` (for ``data_dir=<version>/tfds``, the folder the documented call opens).
TFDS then fails at once on creating that folder (FileExistsError naming the guard, whose
text says what to call instead), before any network use or any other write. A folder of
that name already there (someone's real TFDS downloads) is left alone. Names outside the
catalog fail with TFDS's DatasetNotFoundError and write nothing.

The documented call reads every built dataset, catalog names included, from its own
folder and never downloads: ``tfds.builder_from_directory(data.tfds_dir(name))``, or
``data.tfds_builder(name)`` which does just that. TensorFlow Datasets is imported by
that function only (it is a test dependency).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from data import format as fmt
from data.atomic import atomic_path, canonical_json
from data.location import find_dataset

TFDS_DIR = "tfds"
FILEPATH_TEMPLATE = "../{DATASET}-{SPLIT}.{FILEFORMAT}-{SHARD_X_OF_Y}"
_FEATURES = "tensorflow_datasets.core.features."

# TFDS downloads into <data_dir>/downloads: a file of that name stops it (see above).
GUARD_NAME = "downloads"
GUARD_TEXT = (
    b"This is not a TensorFlow Datasets data dir. tfds.load(name, data_dir=...) pointed\n"
    b"here would download and build TFDS's own version of a catalog dataset into it;\n"
    b"this file (where TFDS puts its downloads) makes TFDS stop before it starts.\n"
    b"Read a dataset built here through TFDS with its own folder instead:\n"
    b"\n"
    b"    import data, tensorflow_datasets as tfds\n"
    b"    builder = tfds.builder_from_directory(data.tfds_dir(\"mnist\"))  # = data.tfds_builder(\"mnist\")\n"
    b"    ds = builder.as_dataset(split=\"train\")\n"
)


def tfds_files(info: dict) -> dict[str, bytes]:
    """File name -> content of every file of the tfds/ folder, from dataset_info.json."""
    features = info["features"]
    label_feature = {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL,
                     "regression": fmt.TARGET}[features["task"]]
    proto = {
        "name": info["name"],
        "version": info["version"],
        "description": info["description"],
        "citation": info["citation"],
        "fileFormat": "tfrecord",
        "supervisedKeys": {"input": fmt.IMAGE, "output": label_feature},
        "splits": [
            {
                "name": split,
                "numBytes": str(sum(shard["num_bytes"] for shard in entry["shards"])),
                "shardLengths": [str(shard["num_examples"]) for shard in entry["shards"]],
                "filepathTemplate": FILEPATH_TEMPLATE,
            }
            for split, entry in sorted(info["splits"].items())
        ],
    }
    sizes = [artifact.get("size") for artifact in info.get("artifacts", [])]
    if sizes and all(isinstance(size, int) for size in sizes):
        proto["downloadSize"] = str(sum(sizes))
    if info.get("homepage"):
        proto["location"] = {"urls": [info["homepage"]]}
    if info.get("license"):
        proto["redistributionInfo"] = {"license": info["license"]}
    connectors = {
        fmt.IMAGE: _connector("image_feature.Image", "image", {
            "dtype": "uint8",
            "shape": {"dimensions": ["-1", "-1", str(features["channels"])]},
        }),
        fmt.KEY: _connector("text_feature.Text", "text", {}),
    }
    files = {}
    names = features.get("class_names") or features.get("label_vocabulary")
    if features["task"] == "single_label":
        connectors[fmt.LABEL] = _class_label(len(names))
    elif features["task"] == "multi_label":
        connectors[fmt.MULTI_LABEL] = _connector(
            "sequence_feature.Sequence", "sequence", {"feature": _class_label(len(names)), "length": "-1"})
    else:
        connectors[fmt.TARGET] = _connector(
            "scalar.Scalar", "tensor", {"dtype": "float32", "encoding": "none", "shape": {}})
    if names:
        files[f"{label_feature}.labels.txt"] = "".join(f"{name}\n" for name in names).encode()
    files["features.json"] = canonical_json(
        _connector("features_dict.FeaturesDict", "featuresDict", {"features": connectors}))
    files["dataset_info.json"] = canonical_json(proto)
    files[GUARD_NAME] = GUARD_TEXT  # tfds.load(name, data_dir=<this folder>) stops on it
    return files


def write_tfds_files(directory: Path, info: dict) -> None:
    """Write the tfds/ folder of the built dataset at ``directory``, each file atomically,
    and the download guards of the data dir it sits in."""
    for name, content in sorted(tfds_files(info).items()):
        with atomic_path(Path(directory) / TFDS_DIR / name) as temporary:
            Path(temporary).write_bytes(content)
    write_download_guards(directory)


def guard_paths(directory: Path) -> list[Path]:
    """Where TFDS would download for ``data_dir=<data dir>/datasets`` and ``data_dir=<data
    dir>``, for a build at ``<data dir>/datasets/<name>/<version>``; none for a build
    folder elsewhere (a copy, a fixture)."""
    datasets = Path(directory).resolve().parent.parent
    if datasets.name != "datasets":
        return []
    return [datasets / GUARD_NAME, datasets.parent / GUARD_NAME]


def write_download_guards(directory: Path) -> None:
    """Best effort: a guard that cannot be written is logged, never a failed build; anything
    already at a guard's path that is not an older guard of ours is left alone."""
    for path in guard_paths(directory):
        try:
            if path.exists() or path.is_symlink():
                if not path.is_file() or path.is_symlink():
                    continue  # someone's real TFDS downloads (a folder or a link)
                content = path.read_bytes()
                if content == GUARD_TEXT or not content.startswith(GUARD_TEXT.split(b".")[0]):
                    continue  # our guard already, or someone else's file
            with atomic_path(path) as temporary:
                Path(temporary).write_bytes(GUARD_TEXT)
        except OSError as error:
            logging.getLogger(__name__).warning(
                "could not write the TFDS download guard %s (%s): tfds.load(name, data_dir=%s) "
                "may download into it", path, error, path.parent)


def tfds_dir(name_or_path: str | os.PathLike, data_dir: Path | None = None) -> Path | str:
    """The tfds/ folder of a built dataset (a name in the datasets root, a path or a URL):
    the one argument ``tfds.builder_from_directory`` needs. For a build in object storage,
    its URL (TensorFlow reads gs:// itself; s3:// needs tensorflow-io's file system)."""
    folder = find_dataset(name_or_path, data_dir)
    listed = folder.listing()
    if f"{TFDS_DIR}/dataset_info.json" not in listed or fmt.INFO_FILE not in listed:
        from data.metadata import read_info

        read_info(folder)  # says how to finish an unfinished build
        raise FileNotFoundError(f"{folder} has no {TFDS_DIR}/ folder; rebuild its metadata")
    return folder.url(TFDS_DIR) if folder.remote else folder.path / TFDS_DIR


def tfds_builder(name_or_path: str | os.PathLike, data_dir: Path | None = None):
    """A TFDS builder of a built dataset, catalog names included, read from its own folder:
    ``tfds.builder_from_directory(tfds_dir(...))``. It never downloads or writes."""
    import tensorflow_datasets as tfds

    return tfds.builder_from_directory(tfds_dir(name_or_path, data_dir))


def _class_label(num_classes: int) -> dict:
    return _connector("class_label_feature.ClassLabel", "classLabel", {"numClasses": str(num_classes)})


def _connector(class_name: str, field: str, body: dict) -> dict:
    return {"pythonClassName": _FEATURES + class_name, field: body}
