"""Helpers several handlers share: pixel fingerprints and de-duplication, idx reading,
count binning's home, split sizes, fixture writers."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

from data.types import Example
from handlers import _fixtures, _readers, _splits


def test_pixel_digest_sees_through_the_encoding_but_not_the_mode():
    grey = _fixtures.pixels(1, 9, 7, 1)
    png, bmp = _fixtures.png_bytes(grey), _fixtures.bmp_bytes(grey)
    assert _readers.pixel_digest(png) == _readers.pixel_digest(bmp)
    rgb = _fixtures.png_bytes(np.repeat(grey[..., None], 3, axis=-1))
    assert _readers.pixel_digest(rgb) != _readers.pixel_digest(png)
    assert _readers.pixel_digest(rgb, "L") == _readers.pixel_digest(png, "L")
    assert _readers.pixel_digest(png, "L") != _readers.pixel_digest(_fixtures.png_bytes(grey.T), "L")


def test_pixel_digest_names_an_undecodable_member():
    with pytest.raises(ValueError, match=r"a\.zip: x/broken\.png is not a readable image"):
        _readers.pixel_digest(b"\x89PNG not really", "L", "a.zip: x/broken.png")


def _example(key: str, seed: int, label: int) -> Example:
    return Example(key=key, image=_fixtures.png_bytes(_fixtures.pixels(seed, 6, 6, 1)), label=label)


def test_drop_exact_duplicates_keeps_the_first_per_pixels_and_label():
    examples = [_example("a", 1, 0), _example("b", 2, 0), _example("c", 1, 0), _example("d", 1, 1),
                Example(key="bad", image=b"", label=0)]
    kept = _readers.drop_exact_duplicates(examples, "L", "z.zip", exempt={"bad"})
    assert [e.key for e in kept] == ["a", "b", "d", "bad"]
    with pytest.raises(ValueError, match="z.zip: bad is not a readable image"):
        list(_readers.drop_exact_duplicates(examples, "L", "z.zip"))


@pytest.mark.parametrize("dtype", [np.uint8, np.dtype(">i4"), np.dtype(">f8")])
def test_idx_readers_agree_whole_streamed_and_gzipped(tmp_path, dtype):
    array = (np.arange(2 * 3 * 4) * 7 % 251).astype(dtype).reshape(2, 3, 4)
    codes = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f8"): 0x0E}
    body = bytes([0, 0, codes[np.dtype(dtype)], 3]) + b"".join(
        n.to_bytes(4, "big") for n in array.shape) + array.tobytes()
    (tmp_path / "a.idx").write_bytes(body)
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(body))
    for name in ("a.idx", "a.idx.gz"):
        assert np.array_equal(_readers.read_idx(tmp_path / name), array)
    header, *records = _readers.iter_idx_records(io.BytesIO(body), "a.idx")
    assert header == (2, (3, 4)) and np.array_equal(np.stack(records), array)
    with pytest.raises(ValueError, match="ends early"):
        _readers.read_idx_stream(io.BytesIO(body[:-1]), "a.idx")
    with pytest.raises(ValueError, match="more data"):
        _readers.read_idx_stream(io.BytesIO(body + b"\0"), "a.idx")


def test_read_idx_refuses_a_file_that_is_not_idx(tmp_path):
    (tmp_path / "x").write_bytes(b"\x01\x02\x08\x01" + bytes(8))
    with pytest.raises(ValueError, match="x is not an idx file"):
        _readers.read_idx(tmp_path / "x")


def test_emnist_keeps_reaching_the_shared_idx_reader():
    from handlers import emnist

    assert emnist.idx_header is _readers.idx_header
    assert emnist.read_idx_stream is _readers.read_idx_stream


def test_counting_datasets_share_one_binning():
    import handlers
    from handlers import _counting

    for name in ("shanghai_tech", "trancos", "mall"):
        assert handlers.get(name).features.class_names == _counting.BIN_NAMES


def test_wanted_skips_junk_and_unwanted_suffixes():
    assert _readers.wanted("a/b.png", (".png",), None)
    assert not _readers.wanted("__MACOSX/a/b.png", (".png",), None)
    assert not _readers.wanted("a/b.txt", (".png",), None)
    assert not _readers.wanted("a/b.png", None, lambda name: name.startswith("c/"))


def test_split_sizes_count_in_first_seen_order_and_keep_declared_zeros():
    sizes = _splits.SplitSizes(test=0)
    for split in ("train", "dev", "train"):
        sizes.add(split)
    sizes.add("dev", 0)
    sizes.add("test", 2)
    assert list(sizes.items()) == [("test", 2), ("train", 2), ("dev", 1)]
    assert _splits.SplitSizes(["b", "a", "b"]) == {"b": 2, "a": 1}
    keys = [f"k{i}" for i in range(50)]
    assert _splits.tally(keys, _splits.TR2) == dict(sorted(_splits.SplitSizes(
        _splits.by_fraction(key, _splits.TR2) for key in keys).items()))
