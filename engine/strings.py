"""`engine.strings`: operations on string tensors (TensorFlow's `tf.strings`).

String tensors hold bytes (`str` is encoded as UTF-8); the ops run on the CPU, eagerly,
inside `engine.function` and in `engine.data` maps. See `engine.ops.string_regex_ops` for how
regular expressions differ from TensorFlow's RE2, and `engine.ops.string_split_ops` for
why `split` takes one string.

Example:
    >>> engine.strings.lower(engine.constant(["Hello", "WORLD"])).numpy()
    array([b'hello', b'world'], dtype=object)
"""

from engine.ops.string_convert_ops import (
    as_string,
    format,  # noqa: A004 - TensorFlow's name
    to_hash_bucket_fast,
    to_number,
)
from engine.ops.string_ops import join, length, lower, reduce_join, strip, substr, upper
from engine.ops.string_regex_ops import regex_full_match, regex_replace
from engine.ops.string_split_ops import bytes_split, ngrams, split, unicode_split
from engine.ops.strings_more import (
    to_hash_bucket,
    to_hash_bucket_strong,
    unicode_decode,
    unicode_encode,
    unsorted_segment_join,
)

__all__ = ["as_string", "bytes_split", "format", "join", "length", "lower", "ngrams",
           "reduce_join", "regex_full_match", "regex_replace", "split", "strip", "substr",
           "to_hash_bucket_fast", "to_number", "unicode_split", "upper",
           "to_hash_bucket", "to_hash_bucket_strong", "unicode_decode", "unicode_encode",
           "unsorted_segment_join"]
