"""A Parquet copy of a built dataset's examples, for readers that take no TFRecord.

mlcroissant has no TFRecord reader and Hugging Face ``datasets`` no TFRecord loader, so
``python -m tasks export NAME`` (or ``export_parquet``) writes, in ``<version>/parquet/``
by default::

    <name>-<split>-00000-of-00004.parquet   one file per TFRecord shard, the same
                                            records in the same order
    croissant.json                          Croissant whose ``examples`` record set
                                            mlcroissant iterates (over these files)
    README.md                               a Hugging Face dataset card: one data_files
                                            entry per split (HF-safe split names)

Columns: ``image`` a struct {bytes: the stored PNG/JPEG bytes, untouched; path: null}
(Hugging Face's Image storage), ``key`` string, and ``label`` int64 | ``multi_label``
list<int64> | ``target`` float32. The Parquet schema carries Hugging Face's feature
description, so ``datasets`` gives ``image`` as an Image and labels as ClassLabel with
the class names. Hugging Face wants split names matching ``\\w+(\\.\\w+)*``: ``dev-test``
is ``dev_test`` there only (file names and Croissant keep our names). A derived split
(``train_and_dev``) is one more data_files entry listing its parts' files.

The TFRecords stay the primary format: the export is derived from them and
dataset_info.json, and nothing reads it back into the build. Deterministic: equal
builds give byte-identical files with the same pyarrow version (no compression codec
choice left to defaults, no statistics, no timestamps; Parquet's ``created_by`` names
the pyarrow version). Each file is written atomically; ``croissant.json`` last.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from itertools import islice
from pathlib import Path

from data import format as fmt
from data.atomic import atomic_path, canonical_json, write_text_atomic
from data.croissant import CONFORMS_TO, CONTEXT, _classes_record_set, _field, _splits_record_set
from data.locate import find_dataset_dir
from data.metadata import read_info, split_parts

EXPORT_DIR = "parquet"
PARQUET_MIME = "application/x-parquet"
HF_CARD = "README.md"
_HF_SPLIT = re.compile(r"^\w+(\.\w+)*$")


def parquet_name(dataset: str, split: str, index: int, count: int) -> str:
    return f"{dataset}-{split}-{index:05d}-of-{count:05d}.parquet"


def hf_split_name(split: str) -> str:
    """Our split name as Hugging Face accepts it (``dev-test`` -> ``dev_test``)."""
    name = re.sub(r"\W", "_", split)
    if not _HF_SPLIT.match(name):
        raise ValueError(f"no Hugging Face split name for {split!r}")
    return name


def export_parquet(name_or_path: str | os.PathLike, data_dir: Path | None = None,
                   out: Path | None = None) -> Path:
    """Write the Parquet export of a built dataset (see the module docstring); returns its
    folder. Files of an earlier export there are replaced, or removed when this build
    has no such shard."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    import data

    directory = find_dataset_dir(name_or_path, data_dir)
    info = read_info(directory)
    out = Path(out) if out is not None else directory / EXPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    schema = _schema(pa, info)
    files: dict[str, list[dict]] = {}
    for split, entry in sorted(info["splits"].items()):
        examples = iter(data.load(directory, split, decode=False, as_numpy=True))
        count = len(entry["shards"])
        for index, shard in enumerate(entry["shards"]):
            rows = list(islice(examples, shard["num_examples"]))
            if len(rows) != shard["num_examples"]:
                raise ValueError(f"{shard['file']}: {len(rows)} records, expected {shard['num_examples']}")
            name = parquet_name(info["name"], split, index, count)
            table = pa.Table.from_pylist([_row(info, row) for row in rows], schema=schema)
            with atomic_path(out / name) as temporary:
                pq.write_table(table, temporary, compression="zstd", compression_level=3,
                               use_dictionary=False, write_statistics=False,
                               row_group_size=max(1, len(rows)))
            content = (out / name).read_bytes()
            files.setdefault(split, []).append({
                "file": name, "num_examples": len(rows), "num_bytes": len(content),
                "sha256": hashlib.sha256(content).hexdigest()})
    written = {f["file"] for entries in files.values() for f in entries}
    for stale in out.glob(f"{info['name']}-*.parquet"):
        if stale.name not in written:  # an earlier export of a build with other shard counts
            stale.unlink()
    write_text_atomic(out / HF_CARD, hf_card(info, files))
    with atomic_path(out / "croissant.json") as temporary:
        Path(temporary).write_bytes(canonical_json(parquet_croissant(info, files)))
    return out


def _label_feature(info: dict) -> str:
    return {"single_label": fmt.LABEL, "multi_label": fmt.MULTI_LABEL,
            "regression": fmt.TARGET}[info["features"]["task"]]


def _class_names(info: dict) -> list[str] | None:
    features = info["features"]
    return features.get("class_names") or features.get("label_vocabulary")


def hf_features(info: dict) -> dict:
    """Hugging Face's JSON description of the columns (as ``Features.to_dict`` writes it)."""
    names = _class_names(info)
    label = _label_feature(info)
    features = {fmt.IMAGE: {"_type": "Image"}, fmt.KEY: {"dtype": "string", "_type": "Value"}}
    if label == fmt.LABEL:
        features[label] = {"names": names, "_type": "ClassLabel"}
    elif label == fmt.MULTI_LABEL:
        features[label] = {"feature": {"names": names, "_type": "ClassLabel"}, "_type": "List"}
    else:
        features[label] = {"dtype": "float32", "_type": "Value"}
    return features


def _schema(pa, info: dict):
    label = _label_feature(info)
    label_type = {fmt.LABEL: pa.int64(), fmt.MULTI_LABEL: pa.list_(pa.int64()),
                  fmt.TARGET: pa.float32()}[label]
    metadata = {b"huggingface": json.dumps({"info": {"features": hf_features(info)}},
                                           sort_keys=True).encode()}
    return pa.schema([
        (fmt.IMAGE, pa.struct([("bytes", pa.binary()), ("path", pa.string())])),
        (fmt.KEY, pa.string()),
        (label, label_type),
    ], metadata=metadata)


def _row(info: dict, example: dict) -> dict:
    label = _label_feature(info)
    value = example[label]
    value = [int(v) for v in value] if label == fmt.MULTI_LABEL else (
        float(value) if label == fmt.TARGET else int(value))
    return {fmt.IMAGE: {"bytes": bytes(example[fmt.IMAGE]), "path": None},
            fmt.KEY: bytes(example[fmt.KEY]).decode("utf-8"), label: value}


def hf_card(info: dict, files: dict[str, list[dict]]) -> str:
    """README.md with the YAML header Hugging Face reads: one config, a data_files entry
    per split (explicit file lists: ``dev-*`` would also match ``dev-test-*``)."""
    splits = {split: [f["file"] for f in entries] for split, entries in sorted(files.items())}
    for derived in sorted(info.get("derived_splits", {})):
        parts = split_parts(info, derived)
        splits[derived] = [name for part in parts for name in splits[part]]
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split, names in splits.items():
        lines.append(f"  - split: {hf_split_name(split)}")
        lines.append("    path:")
        lines.extend(f"    - {name}" for name in names)
    renamed = {s: hf_split_name(s) for s in splits if hf_split_name(s) != s}
    lines += ["---", "", f"# {info['name']} {info['version']} (Parquet export)", "",
              info["description"].strip(), "",
              "The examples of the TFRecord shards beside this folder, one Parquet file per "
              "shard, written by `python -m tasks export`. Read with "
              "`datasets.load_dataset(\"<this folder>\")`: `image` is an Image, "
              f"`{_label_feature(info)}` "
              + ("a ClassLabel with the class names." if _class_names(info) else "a float.")]
    if renamed:
        lines += ["", "Split names here: " + ", ".join(f"`{ours}` is `{hf}`" for ours, hf in sorted(renamed.items()))
                  + " (Hugging Face split names are word characters)."]
    fingerprint = info.get("provenance", {}).get("fingerprint")
    if fingerprint:
        lines += ["", f"Exported from the build with fingerprint `{fingerprint}` (its "
                  "dataset_info.json's provenance); export again after a rebuild."]
    if info.get("homepage"):
        lines += ["", f"Homepage: {info['homepage']}"]
    if info.get("license"):
        lines += ["", f"License: {info['license']}"]
    if info.get("citation"):
        lines += ["", "```bibtex", info["citation"].strip(), "```"]
    return "\n".join(lines) + "\n"


def parquet_croissant(info: dict, files: dict[str, list[dict]]) -> dict:
    """Croissant over the Parquet files: the same record sets as croissant.json beside the
    shards, with an ``examples`` record set that mlcroissant iterates."""
    name = info["name"]
    distribution = [
        {"@type": "cr:FileObject", "@id": f["file"], "name": f["file"], "contentUrl": f["file"],
         "contentSize": f"{f['num_bytes']} B", "encodingFormat": PARQUET_MIME, "sha256": f["sha256"]}
        for _, entries in sorted(files.items()) for f in entries
    ]
    distribution.append({
        "@type": "cr:FileSet", "@id": "parquet-files", "name": "parquet-files",
        "description": "Every Parquet file of the export; one row per example.",
        "encodingFormat": PARQUET_MIME, "includes": f"{name}-*.parquet",
    })
    record_sets = [_splits_record_set(sorted(info["splits"]))]
    names = _class_names(info)
    if names:
        record_sets.append(_classes_record_set(names))
    record_sets.append(_examples(name, info))
    document = {
        "@context": CONTEXT, "@type": "sc:Dataset", "conformsTo": CONFORMS_TO, "name": name,
        "description": info["description"], "version": info["version"], "citeAs": info["citation"],
        "distribution": distribution, "recordSet": record_sets,
    }
    if info.get("homepage"):
        document["url"] = info["homepage"]
    if info.get("license"):
        document["license"] = info["license"]
    return document


def _column(column: str, **transform) -> dict:
    source = {"fileSet": {"@id": "parquet-files"}, "extract": {"column": column}}
    if transform:
        source["transform"] = transform
    return {"source": source}


def _examples(name: str, info: dict) -> dict:
    features = info["features"]
    fields = [
        _field("examples", fmt.IMAGE, "sc:ImageObject",
               f"PNG or JPEG bytes, {features['channels']} channel(s).",
               **_column(fmt.IMAGE, jsonPath="bytes")),
        _field("examples", fmt.KEY, "sc:Text", "A stable id of the example within the source.",
               **_column(fmt.KEY)),
    ]
    label = _label_feature(info)
    if label == fmt.LABEL:
        fields.append(_field("examples", label, "sc:Integer", "The class index.",
                             references={"field": {"@id": "classes/index"}}, **_column(label)))
    elif label == fmt.MULTI_LABEL:
        # No ``references`` here: mlcroissant cannot join a repeated field (a list column)
        # with the classes record set.
        fields.append(_field("examples", label, "sc:Integer",
                             "The indices (classes/index) of the labels that apply.",
                             repeated=True, **_column(label)))
    else:
        fields.append(_field("examples", label, "sc:Float",
                             f"The regression target ({features['regression_target']}).",
                             **_column(label)))
    pattern = f"^{re.escape(name)}-(.+)-[0-9]{{5}}-of-[0-9]{{5}}\\.parquet$"
    # No ``references`` to splits/name: mlcroissant would apply the file-name regex to
    # the split names too (a warning per record) for no gain.
    fields.append(_field(
        "examples", "split", "sc:Text", "The split (one of splits/name), from the file's name.",
        source={"fileSet": {"@id": "parquet-files"}, "extract": {"fileProperty": "filename"},
                "transform": {"regex": pattern}},
    ))
    return {"@type": "cr:RecordSet", "@id": "examples", "name": "examples",
            "description": "One record per example, read from the Parquet files.",
            "key": {"@id": "examples/key"}, "field": fields}
