"""engine.ops.strings_more: unicode_decode, unicode_encode, to_hash_bucket_strong and
unsorted_segment_join against Python references (and TensorFlow 2.21's values), with the
error messages."""

import numpy as np
import pytest

import engine
from engine.errors import DTypeError, InvalidArgumentError, ShapeError

S = engine.strings


@pytest.mark.parametrize("text, encoding", [("héllo wörld ✓", "UTF-8"), ("añ€", "UTF-16-BE"),
                                            ("𝄞x", "UTF-32-BE"), ("", "UTF-8")])
def test_unicode_decode_and_encode_round_trip(text, encoding):
    codec = encoding.lower()
    points = S.unicode_decode(engine.constant(text.encode(codec)), encoding)
    assert points.dtype == engine.int32
    assert points.numpy().tolist() == [ord(c) for c in text]
    assert S.unicode_encode(points, encoding).numpy() == text.encode(codec)


def test_unicode_decode_errors_option():
    bad = b"a\xffb"
    assert S.unicode_decode(bad, "UTF-8").numpy().tolist() == [97, 65533, 98]
    assert S.unicode_decode(bad, "UTF-8", errors="ignore").numpy().tolist() == [97, 98]
    assert S.unicode_decode(bad, "UTF-8", replacement_char=63).numpy().tolist() == [97, 63, 98]
    out = S.unicode_decode("a\tb", "UTF-8", replace_control_characters=True)
    assert out.numpy().tolist() == [97, 65533, 98]
    with pytest.raises(InvalidArgumentError, match="not valid utf-8"):
        S.unicode_decode(bad, "UTF-8", errors="strict")
    with pytest.raises(ShapeError, match="unicode_decode: got an input of shape"):
        S.unicode_decode(["a", "b"], "UTF-8")
    with pytest.raises(InvalidArgumentError, match="encoding='latin-1'"):
        S.unicode_decode("a", "latin-1")


def test_unicode_encode_shapes_and_errors():
    out = S.unicode_encode([[104, 233], [97, 98]], "UTF-8")
    assert out.shape == [2] and out.numpy().tolist() == [b"h\xc3\xa9", b"ab"]
    assert S.unicode_encode([104, 233], "UTF-8").shape == []
    assert S.unicode_encode([104, 0xD800, -1], "UTF-8").numpy() == b"h\xef\xbf\xbd\xef\xbf\xbd"
    assert S.unicode_encode([104, 0x110000], "UTF-8", errors="ignore").numpy() == b"h"
    with pytest.raises(InvalidArgumentError, match="code point 1114112 is out of range"):
        S.unicode_encode([104, 0x110000], "UTF-8", errors="strict")
    with pytest.raises(DTypeError, match="unicode_encode: got input of dtype float32"):
        S.unicode_encode([1.0], "UTF-8")
    with pytest.raises(ShapeError, match="unicode_encode: got a scalar"):
        S.unicode_encode(104, "UTF-8")


def test_to_hash_bucket_strong_matches_tensorflow():
    words = ["Hello", "TensorFlow", "", "2.x"]
    out = S.to_hash_bucket_strong(words, 1000, [1, 2])
    assert out.dtype == engine.int64
    assert out.numpy().tolist() == [274, 926, 435, 778]  # TensorFlow 2.21's buckets
    grid = S.to_hash_bucket_strong(np.array([words, words], dtype=object), 7, [5, 9])
    assert grid.shape == [2, 4] and (grid.numpy()[0] == grid.numpy()[1]).all()
    assert S.to_hash_bucket_fast(words, 1000).numpy().tolist() == [151, 254, 263, 357]
    with pytest.raises(InvalidArgumentError, match="got key=\\(1,\\); expected two"):
        S.to_hash_bucket_strong(words, 10, [1])
    with pytest.raises(InvalidArgumentError, match="num_buckets=0"):
        S.to_hash_bucket_strong(words, 0, [1, 2])


def test_to_hash_bucket_matches_tensorflows_legacy_hash():
    # lengths 0, 1, 5, 10, 8, 17 and a multi-byte UTF-8 string cover every tail length class
    words = ["", "a", "Hello", "TensorFlow", "exactly8", "seventeen bytes!!",
             "h\u00e9llo w\u00f6rld, 0123456789"]
    expected = [105434511174508091, 2996632905371535868, 1802903312739808229,
                4519201464338240520, 1875414794108121718, 3670717460316572411,
                2592130483955859524]  # TensorFlow 2.21, num_buckets=2**62
    out = S.to_hash_bucket(words, 2 ** 62)
    assert out.dtype == engine.int64 and out.numpy().tolist() == expected
    assert S.to_hash_bucket([["Hello"], ["2.x"]], 3).numpy().tolist() == [[2], [1]]
    traced = engine.function(lambda s: S.to_hash_bucket(s, 1000))
    assert traced(engine.constant(words)).numpy().tolist() == [899, 868, 941, 232, 526, 315, 236]
    with pytest.raises(InvalidArgumentError, match="to_hash_bucket: got num_buckets=0"):
        S.to_hash_bucket(words, 0)


def test_unsorted_segment_join():
    out = S.unsorted_segment_join(["a", "b", "c", "d"], [1, 0, 1, 2], 4, separator=":")
    assert out.numpy().tolist() == [b"b", b"a:c", b"d", b""]
    grid = S.unsorted_segment_join([["a", "b"], ["c", "d"]], [1, 0], 2)
    assert grid.numpy().tolist() == [[b"c", b"d"], [b"a", b"b"]]
    with pytest.raises(InvalidArgumentError, match="unsorted_segment_join: got segment_ids"):
        S.unsorted_segment_join(["a", "b"], [0, -1], 2)
    with pytest.raises(ShapeError, match="expected segment_ids to match the leading"):
        S.unsorted_segment_join(["a", "b"], [0, 1, 1], 2)
    with pytest.raises(DTypeError, match="got segment_ids of dtype float32"):
        S.unsorted_segment_join(["a", "b"], [0.0, 1.0], 2)
