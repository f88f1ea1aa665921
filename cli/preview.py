"""``python -m tasks preview``: a PNG contact sheet of a built dataset, without TensorFlow.

Records are read with data/decoding.py and decoded with PIL. The sheet shows the first
example of each class (in class order), then fills up with further examples in stored
order, which is already a shuffled sample; each tile is captioned with the label.

Size: ``columns' = min(columns, shown)`` tiles across and ``ceil(shown / columns')``
down, each tile ``tile`` pixels square plus a caption strip of ``CAPTION`` pixels, with
``PAD`` pixels around and between: ``PAD + columns' * (tile + PAD)`` wide and
``PAD + rows * (tile + CAPTION + PAD)`` high.

``--duplicates`` (``duplicates_sheet``) draws instead the groups the validation stage
listed in dataset_info.json, one row each, side by side so a person can judge them by
eye: first the largest groups of near-duplicates (those that span train and a held-out
split first), then exact duplicates across splits. Each row has a heading strip (kind,
size, images per split) and up to ``columns`` tiles captioned "split: key".
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from data import format as fmt
from data.decoding import decode_image, parse_example

PAD = 4
CAPTION = 14
BACKGROUND = (245, 245, 245)
TEXT = (20, 20, 20)
SCAN_FACTOR = 50  # read at most this many records per tile while looking for new classes


def sheet_size(shown: int, columns: int, tile: int) -> tuple[int, int]:
    across = max(1, min(columns, shown))
    rows = max(1, math.ceil(shown / across))
    return PAD + across * (tile + PAD), PAD + rows * (tile + CAPTION + PAD)


def contact_sheet(directory: Path, info: dict, split: str, count: int = 32, columns: int = 8,
                  tile: int = 96) -> tuple[Image.Image, int]:
    """(the sheet, how many examples it shows) for ``split`` of the dataset at ``directory``."""
    features = info["features"]
    examples = _pick(directory, info, split, count)
    width, height = sheet_size(len(examples), columns, tile)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=CAPTION - 3)
    across = max(1, min(columns, len(examples)))
    for i, example in enumerate(examples):
        left = PAD + (i % across) * (tile + PAD)
        top = PAD + (i // across) * (tile + CAPTION + PAD)
        pixels = decode_image(example[fmt.IMAGE][0], features["channels"])
        image = Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).convert("RGB")
        image = _fit(image, tile)
        sheet.paste(image, (left + (tile - image.width) // 2, top + (tile - image.height) // 2))
        caption = _truncate(draw, _caption(example, features), font, tile)
        draw.text((left, top + tile + 1), caption, fill=TEXT, font=font)
    return sheet, len(examples)


def _pick(directory: Path, info: dict, split: str, count: int) -> list[dict]:
    """The first example of each class (class order), then more in stored order."""
    single_label = info["features"]["task"] == "single_label"
    firsts: dict[int, dict] = {}
    others: list[dict] = []
    for seen, example in enumerate(_examples(directory, info, split), 1):
        label = example[fmt.LABEL][0] if single_label else None
        if single_label and label not in firsts:
            firsts[label] = example
        elif len(others) < count:
            others.append(example)
        enough = len(firsts) >= count if single_label else len(others) >= count
        if enough or seen >= count * SCAN_FACTOR:
            break
    return ([firsts[label] for label in sorted(firsts)] + others)[:count]


def _examples(directory: Path, info: dict, split: str):
    for shard in info["splits"][split]["shards"]:
        with open(Path(directory) / shard["file"], "rb") as stream:
            for record in fmt.iter_records(stream):
                yield parse_example(record)


def _caption(example: dict, features: dict) -> str:
    task = features["task"]
    if task == "single_label":
        return features["class_names"][example[fmt.LABEL][0]]
    if task == "multi_label":
        names = [features["label_vocabulary"][i] for i in example.get(fmt.MULTI_LABEL, [])]
        return ", ".join(names) or "(none)"
    return f"{features['regression_target']}: {example[fmt.TARGET][0]:g}"


def _fit(image: Image.Image, tile: int) -> Image.Image:
    """Scaled to fit the tile: blocky when enlarging (small digits stay crisp), smooth when shrinking."""
    scale = tile / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.NEAREST if scale >= 1 else Image.Resampling.LANCZOS)


def _truncate(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def duplicate_groups(info: dict) -> list[tuple[str, dict[str, list[str]]]]:
    """(heading, keys by split) of the groups the validation section lists, in order:
    near-duplicate groups (largest first), then exact duplicates across splits."""
    section = info.get("validation") or {}
    groups = []
    for group in (section.get("near_duplicates") or {}).get("examples", []):
        counts = ", ".join(f"{split} {n}" for split, n in group["by_split"].items())
        groups.append((f"near-duplicates, {group['size']} images ({counts})", group["keys"]))
    for group in (section.get("exact_duplicates_across_splits") or {}).get("examples", []):
        groups.append(("identical pixels in several splits", group))
    return groups


def duplicates_sheet(directory: Path, info: dict, count: int = 32, columns: int = 8,
                     tile: int = 96) -> tuple[Image.Image, int]:
    """(the sheet, how many groups it shows) of the duplicate groups in ``info``'s
    validation section, at most ``count`` images in all and ``columns`` per group."""
    rows: list[tuple[str, list[tuple[str, str]]]] = []
    budget = count
    for heading, by_split in duplicate_groups(info):
        members = [(split, key) for split, keys in sorted(by_split.items()) for key in keys]
        # Every split of the group on the row, then more of each in turn.
        members.sort(key=lambda item: (by_split[item[0]].index(item[1]), item[0]))
        members = members[:min(columns, budget)]
        if len(members) < 2:
            break
        rows.append((heading, members))
        budget -= len(members)
    if not rows:
        return Image.new("RGB", (1, 1), BACKGROUND), 0
    wanted = {(split, key) for _, members in rows for split, key in members}
    found = _find_records(directory, info, wanted)
    across = max(len(members) for _, members in rows)
    width = PAD + across * (tile + PAD)
    height = PAD + len(rows) * (CAPTION + tile + CAPTION + PAD)
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=CAPTION - 3)
    channels = info["features"]["channels"]
    for row, (heading, members) in enumerate(rows):
        top = PAD + row * (CAPTION + tile + CAPTION + PAD)
        draw.text((PAD, top), _truncate(draw, f"{row + 1}. {heading}", font, width - 2 * PAD), fill=TEXT, font=font)
        for column, (split, key) in enumerate(members):
            left = PAD + column * (tile + PAD)
            encoded = found.get((split, key))
            if encoded is not None:
                pixels = decode_image(encoded, channels)
                image = Image.fromarray(pixels.squeeze(-1) if pixels.shape[-1] == 1 else pixels).convert("RGB")
                image = _fit(image, tile)
                sheet.paste(image, (left + (tile - image.width) // 2, top + CAPTION + (tile - image.height) // 2))
            caption = _truncate(draw, f"{split}: {key.rsplit('/', 1)[-1]}", font, tile)
            draw.text((left, top + CAPTION + tile + 1), caption, fill=TEXT, font=font)
    return sheet, len(rows)


def _find_records(directory: Path, info: dict, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], bytes]:
    """The image bytes of the (split, key) records in ``wanted``; reads each split's
    shards until all of its keys are found."""
    found: dict[tuple[str, str], bytes] = {}
    for split in sorted({split for split, _ in wanted}):
        keys = {key for s, key in wanted if s == split}
        for example in _examples(directory, info, split):
            key = example[fmt.KEY][0].decode("utf-8")
            if key in keys:
                found[(split, key)] = example[fmt.IMAGE][0]
                keys.discard(key)
                if not keys:
                    break
    return found
