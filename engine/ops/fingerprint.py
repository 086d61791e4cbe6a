"""Stable 64-bit string hashes, vectorized over NumPy arrays of `bytes`.

- `fingerprint64(strings)`: FarmHash's `Fingerprint64` (the `farmhashna::Hash64`
  function of github.com/google/farmhash). TensorFlow's `tf.strings.to_hash_bucket_fast`
  and Keras' `Hashing` layer use it, so `fingerprint64(s) % n` gives TensorFlow's buckets.
- `murmur64(strings)`: MurmurHash64A with seed 0xDECAFCAFFE, the older hash of
  `tf.strings.to_hash_bucket`.
- `siphash64(strings, key)`: SipHash-2-4 with a 128-bit key given as two 64-bit words,
  as `tf.strings.to_hash_bucket_strong` computes it (the `Hashing(salt=...)` path).

Both are written from the published algorithms and checked against their published test
vectors (tests/keras/test_preprocessing_hashing.py). All strings are processed at once:
their bytes are joined into one buffer, and every 8-byte read is one fancy-indexing
gather for all strings of a length class, so the cost per string is a few NumPy
operations shared by the whole batch rather than a Python loop.
"""

from __future__ import annotations

import numpy as np

__all__ = ["fingerprint64", "siphash64", "murmur64", "as_bytes_array"]

_U = np.uint64
_K0 = _U(0xC3A5C85C97CB3127)
_K1 = _U(0xB492B66FBE98F273)
_K2 = _U(0x9AE16A3B2F90404F)
_SEED = _U(81)
_MASK32 = _U(0xFFFFFFFF)
_PAD = 72  # bytes after the buffer, so reads past a string's end stay in bounds
_EIGHT = np.arange(8)
_FOUR = np.arange(4)


def as_bytes_array(values) -> np.ndarray:
    """`values` as a flat object array of `bytes`: str is encoded as UTF-8, integers are
    written in decimal (as `tf.strings.as_string` does)."""
    if isinstance(values, (list, tuple)):
        array = np.asarray(values, dtype=object)  # NumPy's "S" dtype would drop trailing NULs
    else:
        array = np.asarray(values)
    flat = array.reshape(-1)
    items = flat.tolist()
    if array.dtype == object and all(type(v) is bytes for v in items):
        return flat
    out = np.empty(len(items), dtype=object)
    out[:] = [v if isinstance(v, bytes) else str(v).encode() for v in items]
    return out


class _Buffer:
    """The strings' bytes joined into one array, with each string's start and length."""

    def __init__(self, strings: np.ndarray):
        items = strings.tolist()
        self.lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        self.starts = np.zeros(len(items), dtype=np.int64)
        np.cumsum(self.lengths[:-1], out=self.starts[1:])
        joined = b"".join(items) + b"\0" * _PAD
        self.data = np.frombuffer(joined, dtype=np.uint8)

    def fetch64(self, positions: np.ndarray) -> np.ndarray:
        """Little-endian 64-bit words at absolute byte `positions`."""
        chunk = self.data[positions[:, None] + _EIGHT]  # (n, 8)
        return np.ascontiguousarray(chunk).view("<u8").reshape(-1).astype(_U, copy=False)

    def fetch32(self, positions: np.ndarray) -> np.ndarray:
        chunk = self.data[positions[:, None] + _FOUR]  # (n, 4)
        return np.ascontiguousarray(chunk).view("<u4").reshape(-1).astype(_U)


# --- FarmHash Fingerprint64 ------------------------------------------------------------------
def _rotr(v, shift: int):
    return (v >> _U(shift)) | (v << _U(64 - shift))


def _shift_mix(v):
    return v ^ (v >> _U(47))


def _hash_len16(u, v, mul):
    a = (u ^ v) * mul
    a ^= a >> _U(47)
    b = (v ^ a) * mul
    b ^= b >> _U(47)
    return b * mul


def _len0to16(buf: _Buffer, start, length):
    out = np.full(length.shape, _K2, dtype=_U)  # the empty string
    n = length.astype(_U)
    mul = _K2 + n * _U(2)
    big = length >= 8
    if big.any():
        s, ln, m = start[big], length[big], mul[big]
        a = buf.fetch64(s) + _K2
        b = buf.fetch64(s + ln - 8)
        c = _rotr(b, 37) * m + a
        d = (_rotr(a, 25) + b) * m
        out[big] = _hash_len16(c, d, m)
    mid = (length >= 4) & ~big
    if mid.any():
        s, ln = start[mid], length[mid]
        a = buf.fetch32(s)
        out[mid] = _hash_len16(n[mid] + (a << _U(3)), buf.fetch32(s + ln - 4), mul[mid])
    small = (length > 0) & (length < 4)
    if small.any():
        s, ln = start[small], length[small]
        a = buf.data[s].astype(_U)
        b = buf.data[s + (ln >> 1)].astype(_U)
        c = buf.data[s + ln - 1].astype(_U)
        y = a + (b << _U(8))
        z = n[small] + (c << _U(2))
        out[small] = _shift_mix(y * _K2 ^ z * _K0) * _K2
    return out


def _len17to32(buf: _Buffer, start, length):
    mul = _K2 + length.astype(_U) * _U(2)
    a = buf.fetch64(start) * _K1
    b = buf.fetch64(start + 8)
    c = buf.fetch64(start + length - 8) * mul
    d = buf.fetch64(start + length - 16) * _K2
    return _hash_len16(_rotr(a + b, 43) + _rotr(c, 30) + d, a + _rotr(b + _K2, 18) + c, mul)


def _len33to64(buf: _Buffer, start, length):
    mul = _K2 + length.astype(_U) * _U(2)
    a = buf.fetch64(start) * _K2
    b = buf.fetch64(start + 8)
    c = buf.fetch64(start + length - 8) * mul
    d = buf.fetch64(start + length - 16) * _K2
    y = _rotr(a + b, 43) + _rotr(c, 30) + d
    z = _hash_len16(y, a + _rotr(b + _K2, 18) + c, mul)
    e = buf.fetch64(start + 16) * mul
    f = buf.fetch64(start + 24)
    g = (y + buf.fetch64(start + length - 32)) * mul
    h = (z + buf.fetch64(start + length - 24)) * mul
    return _hash_len16(_rotr(e + f, 43) + _rotr(g, 30) + h, e + _rotr(f + a, 18) + g, mul)


def _weak32(buf: _Buffer, s, a, b):
    """FarmHash's WeakHashLen32WithSeeds over the 32 bytes at `s`, seeded by a and b."""
    w, x, y, z = (buf.fetch64(s + k) for k in (0, 8, 16, 24))
    a = a + w
    b = _rotr(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rotr(a, 44)
    return a + z, b + c


def _len_over64(buf: _Buffer, start, length):
    x = np.full(length.shape, _SEED, dtype=_U)
    y = x * _K1 + _U(113)
    z = _shift_mix(y * _K2 + _U(113)) * _K2
    v0 = v1 = w0 = w1 = np.zeros(length.shape, dtype=_U)
    x = x * _K2 + buf.fetch64(start)
    rounds = (length - 1) // 64
    for k in range(int(rounds.max())):
        active = k < rounds
        s = start + 64 * np.minimum(k, rounds - 1)  # finished rows reread their last chunk
        nx = _rotr(x + y + v0 + buf.fetch64(s + 8), 37) * _K1
        ny = _rotr(y + v1 + buf.fetch64(s + 48), 42) * _K1
        nx ^= w1
        ny = ny + v0 + buf.fetch64(s + 40)
        nz = _rotr(z + w0, 33) * _K1
        nv0, nv1 = _weak32(buf, s, v1 * _K1, nx + w0)
        nw0, nw1 = _weak32(buf, s + 32, nz + w1, ny + buf.fetch64(s + 16))
        nx, nz = nz, nx
        x, y, z = (np.where(active, new, old) for new, old in ((nx, x), (ny, y), (nz, z)))
        v0, v1, w0, w1 = (np.where(active, new, old) for new, old in
                          ((nv0, v0), (nv1, v1), (nw0, w0), (nw1, w1)))
    mul = _K1 + ((z & _U(0xFF)) << _U(1))
    s = start + length - 64  # the last 64 bytes
    w0 = w0 + ((length - 1) & 63).astype(_U)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rotr(x + y + v0 + buf.fetch64(s + 8), 37) * mul
    y = _rotr(y + v1 + buf.fetch64(s + 48), 42) * mul
    x ^= w1 * _U(9)
    y = y + v0 * _U(9) + buf.fetch64(s + 40)
    z = _rotr(z + w0, 33) * mul
    v0, v1 = _weak32(buf, s, v1 * mul, x + w0)
    w0, w1 = _weak32(buf, s + 32, z + w1, y + buf.fetch64(s + 16))
    x, z = z, x
    return _hash_len16(_hash_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z,
                       _hash_len16(v1, w1, mul) + x, mul)


def fingerprint64(strings) -> np.ndarray:
    """FarmHash `Fingerprint64` of each string, as TensorFlow's `Fingerprint64` computes it.

    Args:
        strings: an array or list of `bytes` (or `str`, encoded as UTF-8).

    Returns:
        A uint64 array of the same shape.

    Example:
        >>> from engine.ops.fingerprint import fingerprint64
        >>> int(fingerprint64([b"test"])[0])
        8581389452482819506
    """
    shape = np.shape(strings)
    flat = as_bytes_array(strings)
    out = np.empty(flat.shape, dtype=_U)
    if not flat.size:
        return out.reshape(shape)
    buf = _Buffer(flat)
    length, start = buf.lengths, buf.starts
    classes = ((length <= 16, _len0to16), ((length > 16) & (length <= 32), _len17to32),
               ((length > 32) & (length <= 64), _len33to64), (length > 64, _len_over64))
    with np.errstate(over="ignore"):
        for rows, hash_class in classes:
            if rows.any():
                out[rows] = hash_class(buf, start[rows], length[rows])
    return out.reshape(shape)


# --- SipHash-2-4 -----------------------------------------------------------------------------
def _rotl(v, shift: int):
    return (v << _U(shift)) | (v >> _U(64 - shift))


def _sip_rounds(v0, v1, v2, v3, count: int):
    for _ in range(count):
        v0 = v0 + v1
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = v2 + v3
        v3 = _rotl(v3, 16) ^ v2
        v0 = v0 + v3
        v3 = _rotl(v3, 21) ^ v0
        v2 = v2 + v1
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return v0, v1, v2, v3


def siphash64(strings, key) -> np.ndarray:
    """SipHash-2-4 of each string under a 128-bit `key` of two 64-bit words.

    Args:
        strings: an array or list of `bytes` (or `str`, encoded as UTF-8).
        key: `(k0, k1)`, two non-negative integers below 2**64.

    Returns:
        A uint64 array of the same shape.

    Example:
        >>> from engine.ops.fingerprint import siphash64
        >>> key = (0x0706050403020100, 0x0F0E0D0C0B0A0908)  # the SipHash paper's test
        >>> hex(int(siphash64([bytes(range(15))], key)[0]))
        '0xa129ca6149be45e5'
    """
    shape = np.shape(strings)
    flat = as_bytes_array(strings)
    if not flat.size:
        return np.empty(shape, dtype=_U)
    k0, k1 = (_U(int(k)) for k in key)
    buf = _Buffer(flat)
    length, start = buf.lengths, buf.starts
    n = len(flat)
    v0 = np.full(n, k0 ^ _U(0x736F6D6570736575), dtype=_U)
    v1 = np.full(n, k1 ^ _U(0x646F72616E646F6D), dtype=_U)
    v2 = np.full(n, k0 ^ _U(0x6C7967656E657261), dtype=_U)
    v3 = np.full(n, k1 ^ _U(0x7465646279746573), dtype=_U)
    blocks = length // 8
    with np.errstate(over="ignore"):
        for k in range(int(blocks.max())):
            active = k < blocks
            m = buf.fetch64(start + 8 * np.minimum(k, blocks))  # stays inside each string
            n0, n1, n2, n3 = _sip_rounds(v0, v1, v2, v3 ^ m, 2)
            n0 = n0 ^ m
            v0, v1, v2, v3 = (np.where(active, new, old) for new, old in
                              ((n0, v0), (n1, v1), (n2, v2), (n3, v3)))
        tail_len = (length & 7).astype(_U)
        keep = np.where(tail_len > 0, (_U(1) << (tail_len * _U(8))) - _U(1), _U(0))
        last = (buf.fetch64(start + 8 * blocks) & keep) | (length.astype(_U) << _U(56))
        v0, v1, v2, v3 = _sip_rounds(v0, v1, v2, v3 ^ last, 2)
        v0 = v0 ^ last
        v0, v1, v2, v3 = _sip_rounds(v0, v1, v2 ^ _U(0xFF), v3, 4)
        return (v0 ^ v1 ^ v2 ^ v3).reshape(shape)


_MURMUR_MUL = 0xC6A4A7935BD1E995
_MURMUR_SEED = 0xDECAFCAFFE
_MASK64 = (1 << 64) - 1


def _murmur_one(data: bytes) -> int:
    m, h = _MURMUR_MUL, (_MURMUR_SEED ^ (len(data) * _MURMUR_MUL)) & _MASK64
    whole = len(data) - len(data) % 8
    for pos in range(0, whole, 8):
        k = (int.from_bytes(data[pos:pos + 8], "little") * m) & _MASK64
        k = ((k ^ (k >> 47)) * m) & _MASK64
        h = ((h ^ k) * m) & _MASK64
    if len(data) > whole:  # the 1-7 tail bytes, little-endian
        h = ((h ^ int.from_bytes(data[whole:], "little")) * m) & _MASK64
    h = ((h ^ (h >> 47)) * m) & _MASK64
    return h ^ (h >> 47)


def murmur64(strings) -> np.ndarray:
    """MurmurHash64A (seed 0xDECAFCAFFE) of each string, as `tf.strings.to_hash_bucket`.

    A plain Python loop: this legacy hash is kept for compatibility, not speed.

    Args:
        strings: an array or list of `bytes` (or `str`, encoded as UTF-8).

    Returns:
        A uint64 array of the same shape.

    Example:
        >>> from engine.ops.fingerprint import murmur64
        >>> int(murmur64([b"Hello"])[0]) % 1000
        941
    """
    shape = np.shape(strings)
    flat = as_bytes_array(strings)
    return np.array([_murmur_one(bytes(v)) for v in flat], dtype=_U).reshape(shape)
