"""Hashing: FarmHash Fingerprint64 and SipHash-2-4 against published vectors and a scalar
reference, and the Hashing layer against Keras' documented outputs."""

import json

import numpy as np
import pytest

import engine
import engine.data
from engine.errors import DTypeError
from engine.ops.fingerprint import fingerprint64, siphash64

layers = engine.keras.layers
M64 = (1 << 64) - 1

# Published FarmHash Fingerprint64 values (Guava's FarmHashFingerprint64Test and ports of
# it), chosen to cover every length class: 0-3, 4-7, 8-16, 17-32, 33-64 and > 64 bytes.
FINGERPRINTS = {
    b"": 11160318154034397263,
    b"Q": 13816109650407654260,
    b",=": 1326014594494455617,
    b"WW5": 6316074107149058620,
    b"test": 8581389452482819506,
    b"e#p8": 252499459662674074,
    b"P9|0-Xg": 15614415556471156694,
    b"#cDR^sLO": 328147020574120176,
    b"K6Pjv<>ad": 16506019169567922731,
    b"y2=B@rsu:g9bWU": 2493222351070148393,
    b"M)(iJ1-nf>5XCc0L?": 9968500208262240300,
    b"T#e:),mqALpU]hrJ%f.*|=&r": 11789374840096016445,
    b"test" * 8: -4196240717365766262 & M64,
    b"ECCD828C-5D7A-4C8B-9A1B-F244747E96C3": 9693850515132481856,
    b"F7479877-4690-4A44-AFC9-8FE987EA512F:some_other_id": 6862335115798125349,
    b"test" * 64: 3500507768004279527,
}

# SipHash-2-4 reference vectors (the SipHash paper): key 00 01 .. 0f, message 00 01 .. n-1.
SIP_KEY = (0x0706050403020100, 0x0F0E0D0C0B0A0908)
SIPHASHES = {0: 0x726FDB47DD0E0E31, 1: 0x74F839C593DC67FD, 2: 0x0D6C8009D9A94F5A,
             3: 0x85676696D7FB7E2D, 8: 0x93F5F5799A932462, 15: 0xA129CA6149BE45E5}


# --- scalar references, one string at a time with Python integers --------------------
def _rotr(v, s):
    return ((v >> s) | (v << (64 - s))) & M64


def _fetch(s, i, n=8):
    return int.from_bytes(s[i:i + n], "little")


def _mix16(u, v, mul):
    a = ((u ^ v) * mul) & M64
    a ^= a >> 47
    b = ((v ^ a) * mul) & M64
    b ^= b >> 47
    return (b * mul) & M64


def _weak(s, i, a, b):
    w, x, y, z = (_fetch(s, i + k) for k in (0, 8, 16, 24))
    a = (a + w) & M64
    b = _rotr((b + a + z) & M64, 21)
    c = a
    a = (a + x + y) & M64
    b = (b + _rotr(a, 44)) & M64
    return (a + z) & M64, (b + c) & M64


def farmhash_reference(s: bytes) -> int:
    k0, k1, k2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F
    n = len(s)
    mul = (k2 + 2 * n) & M64
    if n == 0:
        return k2
    if n < 4:
        y, z = s[0] + (s[n >> 1] << 8), n + (s[n - 1] << 2)
        h = ((y * k2) ^ (z * k0)) & M64
        return ((h ^ (h >> 47)) * k2) & M64
    if n < 8:
        return _mix16((n + (_fetch(s, 0, 4) << 3)) & M64, _fetch(s, n - 4, 4), mul)
    if n <= 16:
        a, b = (_fetch(s, 0) + k2) & M64, _fetch(s, n - 8)
        return _mix16((_rotr(b, 37) * mul + a) & M64, ((_rotr(a, 25) + b) * mul) & M64, mul)
    a, b = (_fetch(s, 0) * (k1 if n <= 32 else k2)) & M64, _fetch(s, 8)
    c, d = (_fetch(s, n - 8) * mul) & M64, (_fetch(s, n - 16) * k2) & M64
    y = (_rotr((a + b) & M64, 43) + _rotr(c, 30) + d) & M64
    z = _mix16(y, (a + _rotr((b + k2) & M64, 18) + c) & M64, mul)
    if n <= 32:
        return z
    if n <= 64:
        e, f = (_fetch(s, 16) * mul) & M64, _fetch(s, 24)
        g, h = ((y + _fetch(s, n - 32)) * mul) & M64, ((z + _fetch(s, n - 24)) * mul) & M64
        return _mix16((_rotr((e + f) & M64, 43) + _rotr(g, 30) + h) & M64,
                      (e + _rotr((f + a) & M64, 18) + g) & M64, mul)
    x, y = 81, (81 * k1 + 113) & M64
    z = (((y * k2 + 113) & M64) ^ (((y * k2 + 113) & M64) >> 47)) * k2 & M64
    v, w = (0, 0), (0, 0)
    x = (x * k2 + _fetch(s, 0)) & M64
    for i in range(0, (n - 1) // 64 * 64, 64):
        x = (_rotr((x + y + v[0] + _fetch(s, i + 8)) & M64, 37) * k1) & M64
        y = (_rotr((y + v[1] + _fetch(s, i + 48)) & M64, 42) * k1) & M64
        x ^= w[1]
        y = (y + v[0] + _fetch(s, i + 40)) & M64
        z = (_rotr((z + w[0]) & M64, 33) * k1) & M64
        v = _weak(s, i, (v[1] * k1) & M64, (x + w[0]) & M64)
        w = _weak(s, i + 32, (z + w[1]) & M64, (y + _fetch(s, i + 16)) & M64)
        x, z = z, x
    mul = (k1 + ((z & 0xFF) << 1)) & M64
    i = n - 64
    w = ((w[0] + ((n - 1) & 63)) & M64, w[1])
    v = ((v[0] + w[0]) & M64, v[1])
    w = ((w[0] + v[0]) & M64, w[1])
    x = (_rotr((x + y + v[0] + _fetch(s, i + 8)) & M64, 37) * mul) & M64
    y = (_rotr((y + v[1] + _fetch(s, i + 48)) & M64, 42) * mul) & M64
    x ^= (w[1] * 9) & M64
    y = (y + v[0] * 9 + _fetch(s, i + 40)) & M64
    z = (_rotr((z + w[0]) & M64, 33) * mul) & M64
    v = _weak(s, i, (v[1] * mul) & M64, (x + w[0]) & M64)
    w = _weak(s, i + 32, (z + w[1]) & M64, (y + _fetch(s, i + 16)) & M64)
    x, z = z, x
    return _mix16((_mix16(v[0], w[0], mul) + (y ^ (y >> 47)) * k0 + z) & M64,
                  (_mix16(v[1], w[1], mul) + x) & M64, mul)


def siphash_reference(s: bytes, k0: int, k1: int) -> int:
    def rotl(v, b):
        return ((v << b) | (v >> (64 - b))) & M64

    def rounds(v, count):
        for _ in range(count):
            v[0] = (v[0] + v[1]) & M64
            v[1] = rotl(v[1], 13) ^ v[0]
            v[0] = rotl(v[0], 32)
            v[2] = (v[2] + v[3]) & M64
            v[3] = rotl(v[3], 16) ^ v[2]
            v[0] = (v[0] + v[3]) & M64
            v[3] = rotl(v[3], 21) ^ v[0]
            v[2] = (v[2] + v[1]) & M64
            v[1] = rotl(v[1], 17) ^ v[2]
            v[2] = rotl(v[2], 32)

    v = [k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D, k0 ^ 0x6C7967656E657261,
         k1 ^ 0x7465646279746573]
    blocks = [int.from_bytes(s[i:i + 8], "little") for i in range(0, len(s) // 8 * 8, 8)]
    tail = int.from_bytes(s[len(s) // 8 * 8:], "little") | ((len(s) & 0xFF) << 56)
    for m in blocks + [tail]:
        v[3] ^= m
        rounds(v, 2)
        v[0] ^= m
    v[2] ^= 0xFF
    rounds(v, 4)
    return v[0] ^ v[1] ^ v[2] ^ v[3]


# --- the hash functions ---------------------------------------------------------------
def test_fingerprint64_matches_the_published_vectors():
    out = fingerprint64(list(FINGERPRINTS))
    assert out.dtype == np.uint64
    assert [int(h) for h in out] == list(FINGERPRINTS.values())
    assert [farmhash_reference(s) for s in FINGERPRINTS] == list(FINGERPRINTS.values())


def test_siphash64_matches_the_reference_vectors():
    messages = [bytes(range(n)) for n in SIPHASHES]
    assert [int(h) for h in siphash64(messages, SIP_KEY)] == list(SIPHASHES.values())
    assert [siphash_reference(m, *SIP_KEY) for m in messages] == list(SIPHASHES.values())


def test_vectorized_hashes_equal_the_scalar_references_at_every_length(rng):
    strings = [rng.integers(0, 256, size=n, dtype=np.uint8).tobytes()
               for n in list(range(0, 200)) + [255, 256, 257, 511, 1000]]
    strings.append(b"\x00\x00")  # NULs at the end are bytes too
    key = (int(rng.integers(0, 2 ** 62)), 2 ** 64 - 5)
    assert [int(h) for h in fingerprint64(strings)] == [farmhash_reference(s) for s in strings]
    assert [int(h) for h in siphash64(strings, key)] == [siphash_reference(s, *key)
                                                          for s in strings]
    grid = np.empty((2, 3), dtype=object)
    grid[:] = [[b"a", b"bb", b""], [b"x" * 70, b"y" * 20, b"z" * 40]]
    assert fingerprint64(grid).shape == (2, 3)
    assert fingerprint64(["é"])[0] == fingerprint64(["é".encode()])[0]


# --- the layer --------------------------------------------------------------------------
def test_hashing_matches_keras_documented_buckets():
    letters = [["A"], ["B"], ["C"], ["D"], ["E"]]
    out = layers.Hashing(num_bins=3)(letters)
    assert out.dtype == engine.int64 and out.shape == (5, 1)
    np.testing.assert_array_equal(out.numpy().ravel(), [1, 0, 1, 1, 2])
    masked = layers.Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]])
    np.testing.assert_array_equal(masked.numpy().ravel(), [1, 1, 0, 2, 2])
    salted = layers.Hashing(num_bins=3, salt=[133, 137])(letters)
    np.testing.assert_array_equal(salted.numpy().ravel(), [1, 2, 1, 0, 2])
    same_salt = layers.Hashing(num_bins=3, salt=133)
    assert same_salt.salt == [133, 133]
    np.testing.assert_array_equal(same_salt(letters).numpy().ravel(), [0, 0, 2, 1, 0])


def test_integers_hash_as_their_decimal_strings(rng):
    values = rng.integers(-1000, 1000, size=(6, 2))
    layer = layers.Hashing(num_bins=11)
    expected = fingerprint64([str(v).encode() for v in values.ravel()]) % np.uint64(11)
    np.testing.assert_array_equal(layer(values).numpy().ravel(), expected.astype(np.int64))
    masked = layers.Hashing(num_bins=11, mask_value=int(values[0, 0]))(values).numpy()
    assert masked[0, 0] == 0 and (masked.ravel()[values.ravel() != values[0, 0]] > 0).all()


@pytest.mark.parametrize("mode", ["one_hot", "multi_hot", "count"])
def test_encoded_outputs(mode):
    words = np.array([["a", "b"], ["c", "a"]])
    layer = layers.Hashing(num_bins=4, output_mode=mode)
    ids = layers.Hashing(num_bins=4)(words).numpy()
    if mode == "one_hot":
        words, ids = words[:, :1], ids[:, :1]
    expected = np.zeros((2, 4), np.float32)
    for row, bucket in zip(*np.nonzero(np.ones_like(ids))):
        expected[row, ids[row, bucket]] += 1
    if mode != "count":
        expected = np.minimum(expected, 1)
    out = layer(words)
    assert out.dtype == engine.float32
    np.testing.assert_array_equal(out.numpy(), expected)


def test_hashing_traces_into_functions_and_dataset_maps():
    layer = layers.Hashing(num_bins=5, mask_value="")
    words = np.array([["x", ""], ["yz", "x"]])
    eager = layer(words).numpy()
    traced = engine.function(lambda t: layer(t))
    out = traced(engine.constant(words))
    np.testing.assert_array_equal(out.numpy(), eager)
    spec = traced.get_concrete_function(engine.TensorSpec([None, 2], engine.string))
    assert spec.structured_outputs.shape.as_list() == [None, 2]
    ds = engine.data.Dataset.from_tensor_slices(words).batch(2).map(layer)
    assert ds.element_spec.shape.as_list() == [None, 2]
    np.testing.assert_array_equal(next(iter(ds)).numpy(), eager)


def test_config_round_trip():
    layer = layers.Hashing(num_bins=7, mask_value="-", salt=(3, 4), output_mode="multi_hot",
                           name="h")
    config = json.loads(json.dumps(layers.serialize(layer)))
    clone = layers.deserialize(config)
    assert clone.get_config() == layer.get_config() and clone.salt == [3, 4]
    words = np.array([["a", "-"], ["b", "c"]])
    np.testing.assert_array_equal(clone(words).numpy(), layer(words).numpy())


def test_errors():
    with pytest.raises(ValueError, match="num_bins"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="salt"):
        layers.Hashing(num_bins=3, salt="pepper")
    with pytest.raises(ValueError, match="output_mode"):
        layers.Hashing(num_bins=3, output_mode="tf_idf")
    with pytest.raises(DTypeError, match="string or integer"):
        layers.Hashing(num_bins=3)(np.array([1.5]))
    with pytest.raises(DTypeError, match="mask_value"):
        layers.Hashing(num_bins=3, mask_value="")(np.array([1, 2]))
    with pytest.raises(ValueError, match="sparse"):
        layers.Hashing(num_bins=3, sparse=True)
