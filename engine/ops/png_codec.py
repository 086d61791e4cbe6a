"""PNG encoding and decoding in pure Python (zlib + NumPy); JPEG through Pillow if installed.

A PNG is a signature, then chunks (length, type, data, CRC-32). IHDR gives the size, bit
depth and color type (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA); IDAT chunks hold a
zlib stream of rows, each prefixed by a filter byte (0 none, 1 sub, 2 up, 3 average,
4 Paeth) that predicts each byte from its left, upper and upper-left neighbours. Bit depths
8 and 16 are supported, and 1/2/4 for gray and palette images; interlaced images are not.

Inside `engine.function` (and so in `Dataset.map`) each codec becomes a `py_function` node
whose output has the static shape TensorFlow gives, e.g. `(None, None, 3)` for channels=3.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.errors import InvalidArgumentError, UnimplementedError
from engine.ops.io_ops import _bytes_of, _in_graph, _py_function

__all__ = ["decode_png", "encode_png", "decode_image", "decode_jpeg", "encode_jpeg"]

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # color type -> samples per pixel
_COLOR_TYPE = {1: 0, 2: 4, 3: 2, 4: 6}  # channels -> color type


def _on_host(run, inputs: list, dtype, shape: list):
    """Runs `run(*inputs)` now, or inside `engine.function` as a py_function node."""
    if not _in_graph():
        return run(*inputs)
    out = _py_function(run, inputs, dtype)
    out.set_shape(shape)
    return out


def _chunks(data: bytes):
    pos = len(_SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        crc = data[pos + 8 + length:pos + 12 + length]
        if len(body) != length or len(crc) != 4:
            raise InvalidArgumentError(f"decode_png: the {kind!r} chunk is truncated.")
        if struct.unpack(">I", crc)[0] != zlib.crc32(kind + body):
            raise InvalidArgumentError(f"decode_png: the {kind!r} chunk fails its CRC check; "
                                       "the file is corrupt.")
        yield kind, body
        pos += 12 + length


def _paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _unfilter(raw: bytes, height: int, stride: int, bpp: int) -> np.ndarray:
    """Undoes the per-row filters; returns (height, stride) uint8."""
    if len(raw) < height * (stride + 1):
        raise InvalidArgumentError("decode_png: the image data is shorter than its size says.")
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.int64)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], np.frombuffer(raw, np.uint8, stride, start + 1).astype(np.int64)
        if kind == 2:
            row = (row + prev) & 255
        elif kind in (1, 3, 4):
            row = row.copy()
            for x in range(stride):  # each byte depends on the one just decoded
                left = int(row[x - bpp]) if x >= bpp else 0
                up_left = int(prev[x - bpp]) if x >= bpp else 0
                pred = {1: left, 3: (left + int(prev[x])) >> 1}.get(kind)
                if pred is None:
                    pred = _paeth(left, int(prev[x]), up_left)
                row[x] = (row[x] + pred) & 255
        elif kind != 0:
            raise InvalidArgumentError(f"decode_png: row {y} has filter type {kind}; expected "
                                       "0-4. The file is corrupt.")
        out[y] = row
        prev = row
    return out


def _parse_png(data: bytes):
    if not data.startswith(_SIGNATURE):
        raise InvalidArgumentError("decode_png: the contents do not start with the PNG "
                                   "signature; expected PNG bytes (engine.io.read_file).")
    header, idat, palette, transparency = None, [], None, None
    for kind, body in _chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif kind == b"tRNS":
            transparency = body
    if header is None or not idat:
        raise InvalidArgumentError("decode_png: no IHDR or IDAT chunk; the file is corrupt.")
    width, height, depth, color, _, _, interlace = header
    low_depth_ok = depth >= 8 or color in (0, 3)
    if color not in _CHANNELS or depth not in (1, 2, 4, 8, 16) or not low_depth_ok:
        raise InvalidArgumentError(f"decode_png: got color type {color} with bit depth {depth}; "
                                   "that is not a valid PNG combination.")
    if interlace:
        raise UnimplementedError("decode_png: interlaced (Adam7) PNGs are not supported; "
                                 "re-save the image without interlacing.")
    samples = _CHANNELS[color]
    stride = (width * samples * depth + 7) // 8
    rows = _unfilter(zlib.decompress(b"".join(idat)), height, stride, max(1, samples * depth // 8))
    if depth == 16:
        pixels = rows.view(">u2").astype(np.uint16).reshape(height, width, samples)
    elif depth == 8:
        pixels = rows.reshape(height, width, samples)
    else:
        bits = np.unpackbits(rows, axis=1).reshape(height, -1, depth)
        values = bits @ (1 << np.arange(depth - 1, -1, -1))
        pixels = values[:, :width, None].astype(np.uint8)
        if color == 0:  # scale gray levels to 0-255
            pixels = (pixels * (255 // ((1 << depth) - 1))).astype(np.uint8)
    if color == 3:
        if palette is None:
            raise InvalidArgumentError("decode_png: a palette image has no PLTE chunk.")
        alpha = np.full(len(palette), 255, np.uint8)
        if transparency:
            alpha[:len(transparency)] = np.frombuffer(transparency, np.uint8)[:len(palette)]
        table = np.concatenate([palette, alpha[:, None]], 1)
        pixels = table[np.minimum(pixels[..., 0], len(palette) - 1)]
        if not transparency:
            pixels = pixels[..., :3]
    return pixels


def _to_channels(pixels: np.ndarray, channels: int) -> np.ndarray:
    have = pixels.shape[-1]
    if channels in (0, have):
        return pixels
    color = pixels[..., :3] if have >= 3 else np.repeat(pixels[..., :1], 3, -1)
    if channels >= 3:
        if channels == 3:
            return color
        alpha = pixels[..., -1:] if have in (2, 4) else np.full_like(pixels[..., :1],
                                                                     np.iinfo(pixels.dtype).max)
        return np.concatenate([color, alpha], -1)
    gray = pixels[..., :1] if have < 3 else np.floor(
        color.astype(np.float64) @ np.array([0.299, 0.587, 0.114])[:, None]).astype(pixels.dtype)
    if channels == 1:
        return gray
    alpha = pixels[..., -1:] if have in (2, 4) else np.full_like(gray, np.iinfo(pixels.dtype).max)
    return np.concatenate([gray, alpha], -1)


def decode_png(contents, channels=0, dtype=_dt.uint8, name=None):
    """Decodes PNG bytes into a `(height, width, channels)` image tensor.

    Args:
        contents: the PNG file's bytes (a scalar string tensor or bytes).
        channels: 0 keeps the file's channels; 1 gray, 3 RGB, 4 RGBA.
        dtype: engine.uint8 or engine.uint16 (values are rescaled between the two).
        name: ignored.

    Returns:
        A uint8 or uint16 tensor.

    Raises:
        InvalidArgumentError: bytes that are not a valid PNG (bad signature, CRC or data).

    Example:
        >>> png = engine.io.encode_png(engine.constant([[[255, 0, 0]]], engine.uint8))
        >>> engine.io.decode_png(png).numpy().tolist()
        [[[255, 0, 0]]]
    """
    channels, dtype = int(channels), _dt.as_dtype(dtype)
    if channels not in (0, 1, 3, 4) or dtype not in (_dt.uint8, _dt.uint16):
        raise InvalidArgumentError(f"decode_png: got channels={channels}, dtype={dtype.name}; "
                                   "expected channels 0, 1, 3 or 4 and dtype uint8 or uint16.")

    def run(data):
        pixels = _to_channels(_parse_png(_bytes_of("decode_png", data)), channels)
        if pixels.dtype == np.uint16 and dtype == _dt.uint8:
            pixels = (pixels >> 8).astype(np.uint8)  # the high byte, as TensorFlow
        elif pixels.dtype == np.uint8 and dtype == _dt.uint16:
            pixels = pixels.astype(np.uint16) * 257
        return convert_to_tensor(np.ascontiguousarray(pixels), dtype=dtype)

    return _on_host(run, [contents], dtype, [None, None, channels or None])


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def encode_png(image, compression=-1, name=None):
    """Encodes a `(height, width, channels)` uint8 or uint16 image as PNG bytes.

    Args:
        image: the image; 1, 2, 3 or 4 channels.
        compression: the zlib level, 0-9, or -1 for the default.
        name: ignored.

    Returns:
        A scalar string tensor of the PNG bytes.

    Example:
        >>> png = engine.io.encode_png(engine.zeros([2, 2, 1], engine.uint8))
        >>> png.numpy()[:4]
        b'\\x89PNG'
    """
    x = convert_to_tensor(image)
    ok_dtype = x.dtype in (_dt.uint8, _dt.uint16)
    if not ok_dtype or x.shape.rank != 3 or x.shape[-1] not in _COLOR_TYPE:
        raise InvalidArgumentError(f"encode_png: got an image of shape {x.shape} and dtype "
                                   f"{x.dtype.name}; expected (height, width, 1-4) of uint8 or "
                                   "uint16. Use engine.image.convert_image_dtype first.")
    if not -1 <= int(compression) <= 9:
        raise InvalidArgumentError(f"encode_png: got compression={compression}; expected -1-9.")

    def run(image):
        pixels = image.numpy()
        height, width, channels = pixels.shape
        depth = 16 if pixels.dtype == np.uint16 else 8
        rows = pixels.astype(">u2").tobytes() if depth == 16 else pixels.tobytes()
        stride = width * channels * depth // 8
        raw = b"".join(b"\0" + rows[y * stride:(y + 1) * stride] for y in range(height))
        header = struct.pack(">IIBBBBB", width, height, depth, _COLOR_TYPE[channels], 0, 0, 0)
        data = (_SIGNATURE + _chunk(b"IHDR", header)
                + _chunk(b"IDAT", zlib.compress(raw, int(compression))) + _chunk(b"IEND", b""))
        return _scalar_bytes(data)

    return _on_host(run, [x], _dt.string, [])


def _scalar_bytes(data: bytes):
    array = np.empty((), object)
    array[()] = data
    return convert_to_tensor(array, dtype=_dt.string)


def _pillow(op: str):
    try:
        from PIL import Image  # noqa: PLC0415 - optional, imported only when JPEG is used
    except ImportError:
        raise UnimplementedError(f"{op}: JPEG needs Pillow, which is not installed; engine "
                                 "decodes and encodes PNG by itself. pip install pillow, or "
                                 "use PNG.") from None
    return Image


def decode_jpeg(contents, channels=0, name=None):
    """Decodes JPEG bytes into a uint8 `(height, width, channels)` image (needs Pillow).

    Args:
        contents: the JPEG file's bytes (a scalar string tensor or bytes).
        channels: 0 keeps the file's channels; 1 gray, 3 RGB, 4 RGBA.
        name: ignored.

    Returns:
        A uint8 tensor.

    Raises:
        UnimplementedError: Pillow is not installed.

    Example:
        >>> engine.io.decode_jpeg  # doctest: +ELLIPSIS
        <function decode_jpeg at ...>
    """
    import io  # noqa: PLC0415

    def run(data):
        image = _pillow("decode_jpeg").open(io.BytesIO(_bytes_of("decode_jpeg", data)))
        pixels = np.asarray(image.convert("L" if image.mode == "L" else "RGB"))
        pixels = pixels[..., None] if pixels.ndim == 2 else pixels
        return convert_to_tensor(_to_channels(pixels, int(channels)), dtype=_dt.uint8)

    return _on_host(run, [contents], _dt.uint8, [None, None, int(channels) or None])


def encode_jpeg(image, quality=95, name=None):
    """Encodes a uint8 `(height, width, 1 or 3)` image as JPEG bytes (needs Pillow).

    Args:
        image: the uint8 image.
        quality: the JPEG quality, 0-100.
        name: ignored.

    Returns:
        A scalar string tensor of the JPEG bytes.

    Raises:
        UnimplementedError: Pillow is not installed.

    Example:
        >>> engine.io.encode_jpeg  # doctest: +ELLIPSIS
        <function encode_jpeg at ...>
    """
    import io  # noqa: PLC0415

    def run(image):
        pixels = image.numpy()
        buffer = io.BytesIO()
        _pillow("encode_jpeg").fromarray(pixels[..., 0] if pixels.shape[-1] == 1 else pixels).save(
            buffer, format="JPEG", quality=int(quality))
        return _scalar_bytes(buffer.getvalue())

    return _on_host(run, [convert_to_tensor(image)], _dt.string, [])


def decode_image(contents, channels=None, dtype=_dt.uint8, name=None, expand_animations=True):
    """Decodes a PNG (or, with Pillow, JPEG) image, telling the format from its bytes.

    Args:
        contents: the file's bytes (a scalar string tensor or bytes).
        channels: None or 0 keeps the file's channels; else 1, 3 or 4.
        dtype: uint8, uint16, or a float dtype (scaled to [0, 1]).
        name: ignored.
        expand_animations: ignored (PNG and JPEG hold one frame).

    Returns:
        A `(height, width, channels)` image tensor.

    Raises:
        InvalidArgumentError: bytes that are neither PNG nor JPEG.

    Example:
        >>> png = engine.io.encode_png(engine.ones([1, 2, 3], engine.uint8))
        >>> engine.io.decode_image(png).shape
        TensorShape([1, 2, 3])
    """
    dtype = _dt.as_dtype(dtype)
    raw_dtype = _dt.uint16 if dtype == _dt.uint16 else _dt.uint8

    def run(contents):
        data = _bytes_of("decode_image", contents)
        if data.startswith(_SIGNATURE):
            return decode_png(data, channels or 0, raw_dtype)
        if data.startswith(b"\xff\xd8"):
            return decode_jpeg(data, channels or 0)
        raise InvalidArgumentError("decode_image: unknown format; expected PNG or JPEG bytes.")

    decoded = _on_host(run, [contents], raw_dtype, [None, None, channels or None])
    if dtype.is_floating:
        from engine.ops.image_color import convert_image_dtype  # noqa: PLC0415

        return convert_image_dtype(decoded, dtype)
    return decoded
