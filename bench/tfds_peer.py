"""TFDS's own builder on the photo replica: the peer ``python -m bench`` measures the photo
build against, in the same run and on the same zip.

``python -m bench.tfds_peer ARTIFACTS_DIR OUT_DIR`` builds ``PhotoZipPeer``: a
``tfds.core.GeneratorBasedBuilder`` written as TFDS users write one for a zip of class
folders. It keeps the JPEG bytes as they are (``tfds.features.Image`` given the encoded
bytes, with ``encoding_format="jpeg"``), draws the same train/dev/dev-test/test splits
as the eurosat handler, reads the zip with ``zipfile``, once per split, and lets
``download_and_prepare`` do the rest with its defaults (shuffling, sharding, the
dataset_info). It prints {"examples", "bytes"} as JSON. ``measure`` runs it in its own
process and returns a ``bench.__main__.Run``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import zipfile
from pathlib import Path

ZIP = "EuroSAT.zip"
SPLITS = ("dev", "dev-test", "test", "train")


def _builder_class():
    """The builder, defined on first use: importing TFDS (and TensorFlow) costs seconds."""
    import tensorflow_datasets as tfds

    from bench.replicas import EUROSAT_CLASSES
    from handlers import _splits

    class PhotoZipPeer(tfds.core.GeneratorBasedBuilder):
        """20,000 JPEG photos in class folders, stored as they are."""

        VERSION = tfds.core.Version("1.0.0")

        def _info(self):
            return self.dataset_info_from_configs(
                features=tfds.features.FeaturesDict({
                    "image": tfds.features.Image(shape=(None, None, 3), encoding_format="jpeg"),
                    "label": tfds.features.ClassLabel(names=list(EUROSAT_CLASSES)),
                    "key": tfds.features.Text(),
                }),
                supervised_keys=("image", "label"),
            )

        def _split_generators(self, dl_manager):
            archive = Path(os.environ["TFDS_PEER_ARTIFACTS"]) / ZIP
            return {split.replace("-", "_"): self._generate_examples(archive, split) for split in SPLITS}

        def _generate_examples(self, archive: Path, split: str):
            with zipfile.ZipFile(archive) as members:
                for info in members.infolist():
                    name = info.filename
                    if not name.endswith(".jpg") or _splits.by_fraction(name, _splits.ALL) != split:
                        continue
                    folder = name.split("/")[-2]
                    yield name, {"image": members.read(info), "label": folder, "key": name}

    return PhotoZipPeer


def build(artifacts: Path, out: Path) -> dict:
    os.environ["TFDS_PEER_ARTIFACTS"] = str(artifacts)
    builder = _builder_class()(data_dir=str(out))
    builder.download_and_prepare()
    examples = sum(split.num_examples for split in builder.info.splits.values())
    size = sum(p.stat().st_size for p in out.rglob("*.tfrecord*") if p.is_file())
    return {"examples": examples, "bytes": size}


def measure(label: str, artifacts: Path, out: Path, env: dict, measured):
    """The peer's run, in its own process (``measured``: bench's process-tree timer)."""
    from bench.__main__ import ROOT, Run

    wall, cpu, rss, stdout = measured([sys.executable, "-m", "bench.tfds_peer", str(artifacts), str(out)], ROOT, env)
    done = json.loads(stdout.strip().splitlines()[-1])
    return Run(f"{label}: TFDS GeneratorBasedBuilder (JPEG bytes as they are)", done["examples"], wall, cpu, rss,
               done["bytes"] / 1e6)


def ratio_lines(results) -> list[str]:
    """This project's photo builds against TFDS's, as measured in the same run."""
    peer = next((run for run in results if "TFDS" in run.label), None)
    if peer is None:
        return []
    prefix = peer.label.split(":")[0]
    # CPU per example too: on a loaded machine it moves less than the wall-clock rates.
    return [f"{run.label}: {run.rate / peer.rate:.2f}x TFDS ({run.rate:.0f} vs {peer.rate:.0f} examples/s; "
            f"CPU {run.cpu / run.examples * 1e3:.2f} vs {peer.cpu / peer.examples * 1e3:.2f} ms per example)"
            for run in results if run.label.startswith(prefix) and "BuildDataset" in run.label and run.examples]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("artifacts", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    # The builder's module must be importable by name (TFDS looks up files beside it).
    from bench import tfds_peer

    print(json.dumps(tfds_peer.build(args.artifacts, args.out)), flush=True)


if __name__ == "__main__":
    main()
