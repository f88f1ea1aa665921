"""Statistics in dataset_info.json equal a direct NumPy computation on the fixture images."""

from __future__ import annotations

import io
import random
from collections import Counter

import numpy as np
import pytest
from PIL import Image

import data
import handlers
from data import images, stats
from data.decoding import decode_image


def _source_pixels(name: str, mirror_root) -> dict[str, np.ndarray]:
    """key -> HxWxC uint8, straight from the handler's images and PIL."""
    spec = handlers.get(name)
    mode = images.mode_for(spec.features.channels)
    out = {}
    for example in spec.examples(mirror_root / spec.source):
        if not isinstance(example, data.Example):
            continue
        image = example.image
        if isinstance(image, bytes):
            image = Image.open(io.BytesIO(image))
        elif isinstance(image, np.ndarray):
            image = Image.fromarray(image)
        pixels = np.asarray(image.convert(mode))
        out[example.key] = pixels.reshape(pixels.shape[0], pixels.shape[1], -1)
    return out


# toyset: PNGs, one of them larger (so min, median and max differ); caltech101: JPEGs
# passed through, of several sizes, and a greyscale one converted to RGB.
@pytest.mark.parametrize("name", ["toyset", "caltech101"])
def test_statistics_match_numpy_on_the_fixture_images(workspace, name):
    workspace.fixture(name)
    workspace.build(name)
    directory = workspace.dataset_dir(name)
    info = data.info(directory)
    pixels = _source_pixels(name, workspace.mirror_root)
    for split, entry in info["splits"].items():
        records = list(data.load(directory, split, as_numpy=True))
        arrays = [pixels[r["key"].decode()] for r in records]
        flat = np.concatenate([a.reshape(-1, a.shape[-1]) for a in arrays]).astype(np.float64)
        got = entry["statistics"]
        assert got["num_images"] == len(arrays) and got["num_pixels"] == len(flat)
        np.testing.assert_allclose(got["pixel_mean"], flat.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(got["pixel_std"], flat.std(axis=0), rtol=1e-9)
        for field, axis in (("height", 0), ("width", 1)):
            sizes = [a.shape[axis] for a in arrays]
            assert got[field] == {"min": min(sizes), "median": np.median(sizes), "max": max(sizes)}
        labels = Counter(int(r["label"]) for r in records)
        assert entry["label_counts"] == {str(k): labels[k] for k in sorted(labels)}
    assert info["splits"]["train"]["statistics"]["height"]["max"] > info["splits"]["train"][
        "statistics"]["height"]["min"]


def test_merging_is_exact_and_independent_of_shard_order():
    rng = np.random.default_rng(7)
    arrays = [rng.integers(0, 256, (int(rng.integers(3, 40)), int(rng.integers(3, 40)), 3),
                           dtype=np.uint8) for _ in range(30)]
    encoded = [images.png_from_array(a) for a in arrays]
    parts = []
    for start in range(0, 30, 7):  # uneven "shards"
        accumulator = stats.ImageStats(channels=3)
        for image in encoded[start : start + 7]:
            accumulator.add_image(image)
        parts.append(accumulator.to_json())
    merged = stats.merge(parts)
    shuffled = parts[:]
    random.Random(1).shuffle(shuffled)
    assert stats.merge(shuffled) == merged
    whole = stats.ImageStats(channels=3)
    for image in encoded:
        whole.add_image(image)
    assert stats.merge([whole.to_json()]) == merged
    flat = np.concatenate([a.reshape(-1, 3) for a in arrays]).astype(np.float64)
    np.testing.assert_allclose(merged["pixel_mean"], flat.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(merged["pixel_std"], flat.std(axis=0), rtol=1e-9)
    heights = [a.shape[0] for a in arrays]
    assert merged["height"]["median"] == np.median(heights)


def test_greyscale_images_have_one_channel_of_statistics():
    grey = np.arange(60, dtype=np.uint8).reshape(6, 10)
    accumulator = stats.ImageStats(channels=1)
    accumulator.add_image(images.png_from_array(grey))
    merged = stats.merge([accumulator.to_json()])
    assert merged["pixel_mean"] == [grey.mean()] and merged["pixel_std"] == pytest.approx([grey.std()])
    assert merged["height"] == {"min": 6, "median": 6, "max": 6}
    assert decode_image(images.png_from_array(grey), 1).shape == (6, 10, 1)


def _jpeg(seed: int, width: int, height: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_passed_through_jpegs_of_a_large_split_are_decoded_for_a_sample_only():
    """Sizes are counted for every JPEG; pixels for the keys in the sample, chosen by key
    (the same whatever the shard), and the merge says how many images they rest on."""
    from data import images
    from data.observers import StoredImage

    def stored(jpeg: bytes) -> StoredImage:
        image = StoredImage(*images.stored_image(jpeg, 3, 10**6))
        assert image.data == jpeg and image.is_jpeg  # passed through
        return image

    stride = stats.pixel_sample_stride(4 * stats.PIXEL_SAMPLE)
    assert stride == 4 and stats.pixel_sample_stride(2 * stats.PIXEL_SAMPLE - 1) == 1
    # Held-out splits are sampled at a quarter of train's size.
    assert stats.pixel_sample_stride(4 * stats.PIXEL_SAMPLE, "test") == 16
    assert stats.pixel_sample_stride(2 * stats.HELD_OUT_PIXEL_SAMPLE - 1, "dev-test") == 1
    keys = [f"k/{n}.jpg" for n in range(64)]
    sampled = [key for key in keys if stats.in_pixel_sample(key, stride)]
    assert 4 <= len(sampled) <= 32
    accumulator, reference = stats.ImageStats(3, stride), stats.ImageStats(3)
    for n, key in enumerate(keys):
        jpeg = _jpeg(n, 20 + n % 3, 16)
        accumulator.observe_encoded(key, {}, stored(jpeg))
        if key in sampled:
            reference.add_image(jpeg)
    merged, expected = stats.merge([accumulator.to_json()]), stats.merge([reference.to_json()])
    assert merged["num_images"] == 64 and merged["pixel_sample_images"] == len(sampled)
    assert merged["width"] == {"min": 20, "median": 21, "max": 22}
    assert merged["pixel_mean"] == expected["pixel_mean"] and merged["pixel_std"] == expected["pixel_std"]
    # With stride 1 (a split of at most 2 * PIXEL_SAMPLE) every JPEG is decoded.
    everything = stats.ImageStats(3)
    for n, key in enumerate(keys):
        everything.observe_encoded(key, {}, stored(_jpeg(n, 20 + n % 3, 16)))
    assert "pixel_sample_images" not in stats.merge([everything.to_json()])
