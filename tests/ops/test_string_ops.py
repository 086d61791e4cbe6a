"""String ops (`engine.strings`) against Python's own string methods, eagerly, traced (with
unknown dimensions), in `engine.data` maps, on a (fake) GPU scope, and their errors."""

import re
import warnings

import numpy as np
import pytest

import engine
from engine import strings as S
from engine.errors import DTypeError, InvalidArgumentError, ShapeError, UnimplementedError
from engine.ops.fingerprint import fingerprint64

# Non-ASCII UTF-8 text, whitespace and an empty string, in a (2, 3) tensor.
TEXTS = [["Ärger", "ß", "😀 ok"], ["  Mixed Case\t", "", "abc xyz"]]


def _py(fn, texts, dtype=object) -> np.ndarray:
    """`fn` applied to each Python str of `texts`, as an array of `texts`' shape."""
    arr = np.array(texts, dtype=object)
    out = np.empty(arr.shape, dtype=dtype)
    out.reshape(-1)[:] = [fn(t) for t in arr.reshape(-1).tolist()]
    return out


def _all_ways(fn, texts):
    """fn's result eagerly, traced with unknown dimensions, and the traced static shape."""
    x = engine.constant(texts)
    static = []

    def record(t):
        out = fn(t)
        static.append(out.shape.as_list())
        return out

    spec = engine.TensorSpec([None] * x.shape.rank, engine.string)
    traced = engine.function(record, input_signature=[spec])(x)
    eager = fn(x)
    return eager, traced, static[0]


ELEMENTWISE = [
    ("lower_ascii", lambda x: S.lower(x), lambda s: s.encode().lower()),
    ("lower_utf8", lambda x: S.lower(x, encoding="utf-8"), lambda s: s.lower().encode()),
    ("upper_ascii", lambda x: S.upper(x), lambda s: s.encode().upper()),
    ("upper_utf8", lambda x: S.upper(x, "utf-8"), lambda s: s.upper().encode()),
    ("strip", S.strip, lambda s: s.encode().strip()),
    ("length_bytes", S.length, lambda s: len(s.encode())),
    ("length_chars", lambda x: S.length(x, unit="UTF8_CHAR"), len),
    ("substr_bytes", lambda x: S.substr(x, 0, 3), lambda s: s.encode()[:3]),
    ("substr_chars", lambda x: S.substr(x, 0, 2, unit="UTF8_CHAR"), lambda s: s[:2].encode()),
    ("substr_to_the_end", lambda x: S.substr(x, 0, -1, unit="UTF8_CHAR"), str.encode),
    ("regex_replace", lambda x: S.regex_replace(x, r"\s+", "_"),
     lambda s: re.sub(r"\s+", "_", s, flags=re.ASCII).encode()),
    ("regex_replace_first", lambda x: S.regex_replace(x, r"[a-z]", "#", replace_global=False),
     lambda s: re.sub(r"[a-z]", "#", s, count=1).encode()),
    ("regex_groups", lambda x: S.regex_replace(x, r"(\w)(\w)", r"\2\1\0\\"),
     lambda s: re.sub(r"(\w)(\w)", r"\2\1\g<0>\\", s, flags=re.ASCII).encode()),
    ("regex_full_match", lambda x: S.regex_full_match(x, r".*\w"),
     lambda s: re.fullmatch(r".*\w", s, flags=re.ASCII) is not None),
    ("join_scalar", lambda x: S.join([x, "!", x], separator="|"),
     lambda s: f"{s}|!|{s}".encode()),
    ("as_string_roundtrip", lambda x: S.as_string(S.length(x), width=3, fill="0"),
     lambda s: b"%03d" % len(s.encode())),
    ("hash", lambda x: S.to_hash_bucket_fast(x, 1000),
     lambda s: int(fingerprint64([s.encode()])[0] % np.uint64(1000))),
]


@pytest.mark.parametrize("fn, ref", [c[1:] for c in ELEMENTWISE], ids=[c[0] for c in ELEMENTWISE])
def test_elementwise_ops_match_python(fn, ref):
    expected = _py(ref, TEXTS)
    eager, traced, static = _all_ways(fn, TEXTS)
    for got in (eager, traced):
        assert got.shape == [2, 3]
        np.testing.assert_array_equal(got.numpy(), expected.astype(got.numpy().dtype))
    assert static == [None, None]  # unknown dims stay unknown
    scalar = fn(engine.constant(TEXTS[0][0]))  # string scalars
    assert scalar.shape == [] and scalar.numpy() == ref(TEXTS[0][0])
    empty = fn(engine.constant(np.empty((2, 0), dtype=object)))
    assert empty.shape == [2, 0]


def test_str_and_bytes_inputs_agree():
    for fn in (S.lower, S.strip, S.length):
        np.testing.assert_array_equal(fn(["Ärger", "x "]).numpy(),
                                      fn([b"\xc3\x84rger", b"x "]).numpy())
    assert S.upper(np.array(["ab", b"cd"], dtype=object)).numpy().tolist() == [b"AB", b"CD"]


def test_substr_positions_broadcast_and_count_from_the_end():
    words = [["ten", "eleven", "twelve"], ["thirteen", "fourteen", "fifteen"]]
    got = S.substr(words, [1, 2, 3], [1, 2, 3]).numpy()
    np.testing.assert_array_equal(got, [[b"e", b"ev", b"lve"], [b"h", b"ur", b"tee"]])
    got = S.substr("Ärger😀", [[-2], [0]], [[1], [9]], unit="UTF8_CHAR").numpy()
    np.testing.assert_array_equal(got, [[b"r"], ["Ärger😀".encode()]])
    assert S.substr("hello", 2, -1).numpy() == b"llo"  # negative len: the rest
    assert S.substr("hello", 5, 1).numpy() == b""  # pos == length is allowed
    pos64 = engine.constant([0, 1], engine.int64)
    assert S.substr(["ab", "cd"], pos64, [1, 1]).numpy().tolist() == [b"a", b"d"]


def test_join_and_reduce_join():
    a = [["a", "b"], ["c", "d"]]
    np.testing.assert_array_equal(S.join([a, "x"], "-").numpy(),
                                  [[b"a-x", b"b-x"], [b"c-x", b"d-x"]])
    # TensorFlow's documented examples: the last listed axis is the outermost.
    assert S.reduce_join(a).numpy() == b"abcd"
    assert S.reduce_join(a, [0, 1]).numpy() == b"acbd"
    assert S.reduce_join(a, [1, 0]).numpy() == b"abcd"
    np.testing.assert_array_equal(S.reduce_join(a, 0, separator=".").numpy(), [b"a.c", b"b.d"])
    np.testing.assert_array_equal(S.reduce_join(a, -1, keepdims=True).numpy(), [[b"ab"], [b"cd"]])
    np.testing.assert_array_equal(S.reduce_join(a, []).numpy(), np.array(a, dtype=bytes))
    cube = np.array([[[f"{i}{j}{k}" for k in range(2)] for j in range(3)] for i in range(2)],
                    dtype=object)
    ref = [[",".join(cube[i, :, k]) for k in range(2)] for i in range(2)]
    np.testing.assert_array_equal(S.reduce_join(cube, 1, separator=",").numpy(),
                                  _py(str.encode, ref))
    ref = [",".join(cube[i, j, k] for k in range(2) for i in range(2)) for j in range(3)]
    np.testing.assert_array_equal(S.reduce_join(cube, [0, 2], separator=",").numpy(),
                                  _py(str.encode, ref))


def test_to_number_and_as_string_match_python():
    texts = ["1.5", " -2e3 ", "inf", "0.1", "-0", "+7"]
    np.testing.assert_array_equal(S.to_number(texts, engine.float64).numpy(),
                                  [float(t) for t in texts])
    np.testing.assert_array_equal(S.to_number(texts).numpy(),
                                  np.array([float(t) for t in texts], np.float32))
    ints = ["12", " -42", "+7 ", "2147483647"]
    np.testing.assert_array_equal(S.to_number(ints, engine.int32).numpy(), [12, -42, 7, 2**31 - 1])
    values = np.array([3.14159, -2.5e-7, 1e10], np.float64)
    for kwargs, fmt in [({}, "%f"), ({"precision": 2}, "%.2f"), ({"scientific": True}, "%e"),
                        ({"shortest": True, "precision": 3}, "%.3g"),
                        ({"width": 12, "fill": "-"}, "%-12f")]:
        np.testing.assert_array_equal(S.as_string(values, **kwargs).numpy(),
                                      [(fmt % v).encode() for v in values])
    assert S.as_string([True, False]).numpy().tolist() == [b"true", b"false"]
    assert S.as_string(np.array([1 - 2j], np.complex64), precision=1).numpy()[0] == b"(1.0,-2.0)"
    assert S.as_string(engine.constant([7], engine.int64), width=3).numpy()[0] == b"  7"
    assert S.as_string("text").numpy() == b"text"


def test_to_hash_bucket_fast_is_tensorflows_and_the_hashing_layers():
    words = ["Hello", "TensorFlow", "2.x"]
    np.testing.assert_array_equal(S.to_hash_bucket_fast(words, 3).numpy(), [0, 2, 2])  # TF docs
    layer = engine.keras.layers.Hashing(num_bins=50)
    np.testing.assert_array_equal(S.to_hash_bucket_fast(TEXTS, 50).numpy(), layer(TEXTS).numpy())


def test_format_prints_like_tensorflow():
    assert S.format("tensor: {}, suffix", engine.range(5)).numpy() == b"tensor: [0 1 2 3 4], suffix"
    got = S.format("a: {}, b: {}, suffix", (engine.range(2), engine.range(1, 4, 2))).numpy()
    assert got == b"a: [0 1], b: [1 3], suffix"
    got = S.format("first: {}, second: {}, suffix",
                   (engine.reshape(engine.range(100), [10, 10]), engine.range(10))).numpy()
    assert got.decode() == ("first: [[0 1 2 ... 7 8 9]\n [10 11 12 ... 17 18 19]\n"
                            " [20 21 22 ... 27 28 29]\n ...\n [70 71 72 ... 77 78 79]\n"
                            " [80 81 82 ... 87 88 89]\n [90 91 92 ... 97 98 99]], second: "
                            "[0 1 2 ... 7 8 9], suffix")
    assert S.format("{}", engine.range(10), summarize=-1).numpy() == b"[0 1 2 3 4 5 6 7 8 9]"
    cube = S.format("<>", engine.reshape(engine.range(8), [2, 2, 2]), placeholder="<>").numpy()
    assert cube == b"[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]"
    got = S.format("{} {} {} {}", ([0.1, 2.0, 1e-7], np.float64(0.1), [True, False],
                                   ['say "hi"\n', "ß"])).numpy()
    assert got == b'[0.1 2 1e-07] 0.1 [1 0] ["say \\"hi\\"\\n" "\xc3\x9f"]'


def test_split_family_matches_python():
    for text in ["hello  big\tworld ", "", "Ärger ß 😀"]:
        assert S.split(text).numpy().tolist() == text.encode().split()
        assert S.split(text, sep=" ").numpy().tolist() == text.encode().split(b" ")
        assert S.split(text, maxsplit=1).numpy().tolist() == text.encode().split(None, 1)
        assert S.bytes_split(text).numpy().tolist() == [bytes([b]) for b in text.encode()]
        chars = S.unicode_split(text, "UTF-8").numpy().tolist()
        assert chars == [c.encode() for c in text]
    assert S.split("a<>b<><>c", sep="<>").numpy().tolist() == [b"a", b"b", b"", b"c"]
    bad = b"a\xffb"
    assert S.unicode_split(bad, "UTF-8").numpy().tolist() == [b"a", "\ufffd".encode(), b"b"]
    assert S.unicode_split(bad, "UTF-8", errors="ignore").numpy().tolist() == [b"a", b"b"]
    utf16 = "aß".encode("utf-16-be")
    assert S.unicode_split(utf16, "UTF-16-BE").numpy().tolist() == [
        c.encode("utf-16-be") for c in "aß"]


def _python_ngrams(tokens, width, pad=None, sep=" "):
    p = width - 1 if pad is not None else 0
    seq = [pad] * p + tokens + [pad] * p
    return [sep.join(seq[i:i + width]).encode() for i in range(len(seq) - width + 1)]


def test_ngrams_match_python():
    rows = [["a", "b", "c", "d"], ["e", "f", "g", "h"]]
    got = S.ngrams(rows, [2, 3])
    assert got.shape == [2, 5]
    np.testing.assert_array_equal(got.numpy(), [
        _python_ngrams(r, 2) + _python_ngrams(r, 3) for r in rows])
    got = S.ngrams(rows[0], 3, pad_values="#", separator="_").numpy().tolist()
    assert got == _python_ngrams(rows[0], 3, "#", "_")
    got = S.ngrams(["x", "y"], 3, pad_values=("<", ">"), padding_width=1).numpy().tolist()
    assert got == [b"< x y", b"x y >"]
    short = S.ngrams([["x"]], 3, preserve_short_sequences=True).numpy().tolist()
    assert short == [[b"x"]] and S.ngrams([["x"]], 3).shape == [1, 0]
    _, _, static = _all_ways(lambda t: S.ngrams(t, 2), TEXTS)
    assert static == [None, None]


def test_traced_shapes_and_an_unknown_rank():
    spec = engine.TensorSpec([None, 4], engine.string)
    shapes = {}

    @engine.function(input_signature=[spec])
    def f(x):
        shapes["reduce"] = S.reduce_join(x, axis=0, keepdims=True).shape.as_list()
        shapes["ngrams"] = S.ngrams(x, [2, 3]).shape.as_list()
        shapes["substr"] = S.substr(x, [[0], [1]], [[1], [1]]).shape.as_list()
        shapes["format"] = S.format("{}", x).shape.as_list()
        return S.join([x, S.upper(x)])

    x = [["a", "b", "c", "d"], ["e", "f", "g", "h"]]
    assert f(engine.constant(x)).numpy()[1, 0] == b"eE"
    assert shapes == {"reduce": [1, 4], "ngrams": [None, 5], "substr": [2, 4], "format": []}

    @engine.function(input_signature=[engine.TensorSpec([], engine.string)])
    def words(s):
        return S.split(S.regex_replace(s, "[[:punct:]]", " "))

    assert words(engine.constant("a,b;c")).numpy().tolist() == [b"a", b"b", b"c"]
    unknown_rank = engine.function(S.split, input_signature=[engine.TensorSpec(None,
                                                                              engine.string)])
    assert unknown_rank(engine.constant("a b")).numpy().tolist() == [b"a", b"b"]
    with pytest.raises(UnimplementedError, match=r"shape \(1,\).*RaggedTensor"):
        unknown_rank(engine.constant(["a b"]))  # known to be a vector only when it runs


def test_in_a_dataset_map():
    ds = engine.data.Dataset.from_tensor_slices(["Ärger im Büro", "  ß ok  "])
    ds = ds.map(lambda s: (S.upper(S.strip(s), encoding="utf-8"),
                           S.length(s, unit="UTF8_CHAR"), S.split(s)))
    got = [(u.numpy(), int(n), w.numpy().tolist()) for u, n, w in ds]
    assert got == [("ÄRGER IM BÜRO".encode(), 13, [w.encode() for w in ("Ärger", "im", "Büro")]),
                   (b"SS OK", 8, [b"\xc3\x9f", b"ok"])]
    numbers = engine.data.Dataset.from_tensor_slices(["1", "22", "333"]).map(S.to_number)
    assert [float(v) for v in numbers.batch(3).map(lambda v: v * 2).unbatch()] == [2, 44, 666]


def test_string_ops_run_on_the_cpu_under_a_gpu_scope(gpu):
    x = engine.constant(["ab", "Cd"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "has no GPU kernel" fallback warning
        with engine.device("/GPU:0"):
            numbers = engine.constant([1, 22])
            outputs = [S.upper(x), S.length(x), S.as_string(numbers), S.regex_full_match(x, "a.")]
            traced = engine.function(lambda t: S.join([t, t]))(x)
    assert numbers.device.endswith("GPU:0")
    for out in outputs + [traced]:
        assert out.device.endswith("CPU:0")
    assert outputs[2].numpy().tolist() == [b"1", b"22"]
    assert (S.length(x) + numbers).numpy().tolist() == [3, 24]  # a later op copies it over


def test_string_ops_have_no_gradient():
    x = engine.constant([1.5, 2.0])
    with engine.GradientTape(persistent=True) as tape:
        tape.watch(x)
        parsed = S.to_number(S.as_string(x))
        y = parsed * x
    assert tape.gradient(parsed, x) is None
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [1.5, 2.0])  # only through `* x`


def test_raw_ops():
    x = engine.constant([["a", "b"], ["c", "d"]])
    got = engine.raw_ops.ReduceJoin(inputs=x, reduction_indices=[0, 1], keep_dims=False,
                                    separator="")
    assert got.numpy() == b"acbd"
    assert engine.raw_ops.StringLower(input=["ÄB"], encoding="utf-8").numpy()[0] == "äb".encode()


@pytest.mark.parametrize("call, error, match", [
    (lambda: S.lower(engine.constant([1, 2])), DTypeError, r"lower: .*int32.*as_string"),
    (lambda: S.join(["a", engine.constant(1.0)]), DTypeError, r"inputs\[1\].*float32"),
    (lambda: S.reduce_join(engine.constant([True])), DTypeError, "reduce_join"),
    (lambda: S.length("a", unit="CHAR"), InvalidArgumentError, "unit='CHAR'"),
    (lambda: S.substr("a", 0, 1, unit="char"), InvalidArgumentError, "unit='char'"),
    (lambda: S.lower("a", encoding="latin-1"), InvalidArgumentError, "encoding='latin-1'"),
    (lambda: S.regex_replace("a", "(unclosed", ""), InvalidArgumentError,
     re.escape("'(unclosed'")),
    (lambda: S.regex_full_match("a", "a{2,1}"), InvalidArgumentError, re.escape("'a{2,1}'")),
    (lambda: S.regex_replace("a", "(a)", r"\2"), InvalidArgumentError, r"rewrite.*1 group"),
    (lambda: S.regex_replace("a", "a", "\\n"), InvalidArgumentError, "backslash"),
    (lambda: S.to_number(["1", "1x"]), InvalidArgumentError, r"b'1x' at index \(1,\)"),
    (lambda: S.to_number(["1_000"]), InvalidArgumentError, "b'1_000'"),
    (lambda: S.to_number(["1.5"], engine.int32), InvalidArgumentError, "integer"),
    (lambda: S.to_number(["3000000000"], engine.int32), InvalidArgumentError, "range of int32"),
    (lambda: S.to_number(["1"], engine.bool), DTypeError, "out_type=bool"),
    (lambda: S.substr(["abc"], 4, 1), InvalidArgumentError, r"pos 4 .*b'abc'"),
    (lambda: S.substr("😀", -2, 1, unit="UTF8_CHAR"), InvalidArgumentError, "1 characters"),
    (lambda: S.substr(["ab", "cd"], [0, 1], [1, 1, 1]), ShapeError, "same shape"),
    (lambda: S.substr("ab", 0.5, 1), DTypeError, "int32 or int64"),
    (lambda: S.split(["a b", "c"]), UnimplementedError, "RaggedTensor.*TextVectorization"),
    (lambda: S.unicode_split(["a"], "UTF-8"), UnimplementedError, "RaggedTensor"),
    (lambda: S.unicode_split(b"\xff", "UTF-8", errors="strict"), InvalidArgumentError,
     "not valid utf-8"),
    (lambda: S.unicode_split("a", "latin-1"), InvalidArgumentError, "input_encoding"),
    (lambda: S.format("{} {}", [1]), ValueError, "2 placeholder"),
    (lambda: S.format("{}", np.array([1j])), DTypeError, "complex"),
    (lambda: S.as_string([1, 2], precision=2), InvalidArgumentError, "int32"),
    (lambda: S.as_string([1.0], scientific=True, shortest=True), InvalidArgumentError, "one"),
    (lambda: S.as_string([1.0], width=3, fill="x"), InvalidArgumentError, "fill='x'"),
    (lambda: S.to_hash_bucket_fast("a", 0), InvalidArgumentError, "num_buckets=0"),
    (lambda: S.ngrams("a", 2), ShapeError, "rank >= 1"),
    (lambda: S.ngrams(["a"], 0), ValueError, "ngram_width"),
    (lambda: S.ngrams(["a"], 2, padding_width=1), ValueError, "pad_values"),
    (lambda: S.join("ab"), InvalidArgumentError, "reduce_join"),
    (lambda: S.regex_replace("a", 3, ""), DTypeError, "pattern=3"),
])
def test_bad_inputs_raise_clear_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_errors_that_depend_on_the_data_raise_when_the_graph_runs():
    f = engine.function(S.to_number, input_signature=[engine.TensorSpec([None], engine.string)])
    assert f(engine.constant(["2"])).numpy().tolist() == [2.0]
    with pytest.raises(InvalidArgumentError, match="b'two'"):
        f(engine.constant(["2", "two"]))


def test_raw_string_ops_under_a_gpu_scope_keep_strings_on_the_cpu(gpu):
    # A GPU cannot hold strings (CuPy has no object arrays): the fallback's string results
    # stay on /CPU:0 instead of failing the copy back (this fake refuses them, as CuPy).
    from engine.errors import DTypeError

    refuse = gpu.from_host

    def from_host(array, index):
        if array.dtype == object:
            raise DTypeError("the fake GPU holds no strings")
        return refuse(array, index)

    gpu.from_host = from_host
    with engine.device("/GPU:0"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the once-per-op "no GPU kernel" note
        out = engine.raw_ops.StringLower(input=engine.constant(["AbC"]), encoding="")
    assert out.device.endswith("CPU:0") and out.numpy().tolist() == [b"abc"]
