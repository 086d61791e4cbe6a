"""Regressions found by differential testing against TF 2.21 (image, strings, signal, io)."""

import os
import struct
import zlib

import numpy as np
import pytest

import engine
from engine.errors import InvalidArgumentError, NotFoundError, UnimplementedError


# --- signal ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", [engine.signal.hann_window, engine.signal.hamming_window])
def test_odd_periodic_windows_are_symmetric_as_in_tf(fn):
    np.testing.assert_allclose(fn(9).numpy(), fn(9, periodic=False).numpy(), rtol=1e-6)
    a = 0.5 if fn is engine.signal.hann_window else 0.54
    n = np.arange(10)
    np.testing.assert_allclose(fn(10).numpy(), a - (1 - a) * np.cos(2 * np.pi * n / 10),
                               rtol=1e-5, atol=1e-6)


def test_overlap_and_add_with_a_step_longer_than_the_frame_leaves_gaps():
    frames = np.arange(8, dtype=np.float32).reshape(2, 4)
    out = engine.signal.overlap_and_add(frames, 6).numpy()
    np.testing.assert_array_equal(out, [0, 1, 2, 3, 0, 0, 4, 5, 6, 7])


def test_inverse_stft_window_fn_reconstructs():
    x = np.random.RandomState(0).randn(100).astype(np.float32)
    fn = engine.signal.inverse_stft_window_fn(8)
    y = engine.signal.inverse_stft(engine.signal.stft(x, 32, 8), 32, 8, window_fn=fn).numpy()
    np.testing.assert_allclose(y[32:64], x[32:64], atol=1e-5)


def test_mfccs_of_zero_bins_is_an_error():
    with pytest.raises(ValueError, match="mfccs_from_log_mel_spectrograms"):
        engine.signal.mfccs_from_log_mel_spectrograms(np.zeros((3, 0), np.float32))


# --- strings --------------------------------------------------------------------------------
def test_to_number_reads_hex_floats_and_nan_with_chars_as_strtod():
    out = engine.strings.to_number(["0x10", "-0x1.8", "0X1p3", " 0x10 ", "nan(1)", "0x1p999"])
    np.testing.assert_array_equal(out.numpy()[:4], [16, -1.5, 8, 16])
    assert np.isnan(out.numpy()[4]) and np.isinf(out.numpy()[5])
    for bad in ["0x", "0x1g", "1p3", "0x1_0"]:
        with pytest.raises(InvalidArgumentError, match="to_number"):
            engine.strings.to_number([bad])


# --- io -------------------------------------------------------------------------------------
def test_glob_and_matching_files_match_dotfiles(tmp_path):
    for name in ["a.txt", ".hid.txt", "c.csv"]:
        (tmp_path / name).write_bytes(b"1")
    want = sorted([str(tmp_path / ".hid.txt"), str(tmp_path / "a.txt")])
    assert engine.io.gfile.glob(str(tmp_path / "*.txt")) == want
    got = engine.io.matching_files([str(tmp_path / "*.txt"), str(tmp_path / "*.csv")]).numpy()
    assert [p.decode() for p in got] == want + [str(tmp_path / "c.csv")]
    assert engine.io.matching_files(str(tmp_path / "zz*")).shape == [0]


def test_gfile_writes_str_and_bytes_in_either_mode(tmp_path):
    for mode in ["w", "wb"]:
        with engine.io.gfile.GFile(str(tmp_path / mode), mode) as f:
            f.write("ab")
            f.write(b"cd")
        assert (tmp_path / mode).read_bytes() == b"abcd"


def test_write_file_creates_parent_directories(tmp_path):
    path = tmp_path / "x" / "y" / "z.bin"
    engine.io.write_file(str(path), b"1")
    assert path.read_bytes() == b"1"


def test_gfile_mkdir_copy_stat_walk(tmp_path):
    g = engine.io.gfile
    g.mkdir(str(tmp_path / "d"))
    with pytest.raises(NotFoundError, match="mkdir"):
        g.mkdir(str(tmp_path / "no" / "d"))
    engine.io.write_file(str(tmp_path / "d" / "a"), b"abc")
    g.copy(str(tmp_path / "d" / "a"), str(tmp_path / "b"))
    with pytest.raises(engine.errors.AlreadyExistsError, match="copy"):
        g.copy(str(tmp_path / "d" / "a"), str(tmp_path / "b"))
    assert g.stat(str(tmp_path / "b")).length == 3
    assert [sorted(t[2]) for t in g.walk(str(tmp_path / "d"))] == [["a"]]
    assert g.join("a", "b") == os.path.join("a", "b")


def test_base64_is_web_safe_with_optional_padding():
    data = [b"", b"a", b"ab", b"\xfb\xff\xfe"]
    enc = engine.io.encode_base64(engine.constant(data)).numpy().tolist()
    assert enc == [b"", b"YQ", b"YWI", b"-__-"]
    assert engine.io.encode_base64(engine.constant([b"a"]), pad=True).numpy()[0] == b"YQ=="
    assert engine.io.decode_base64(engine.constant(enc)).numpy().tolist() == data
    assert engine.io.decode_base64(engine.constant(["YQ=="])).numpy()[0] == b"a"
    for bad in ["+/+/", "Y", "Y=QQ"]:
        with pytest.raises(InvalidArgumentError, match="decode_base64"):
            engine.io.decode_base64(engine.constant([bad]))


def test_decode_raw():
    x = engine.constant([b"\x01\x02\x03\x04", b"\x05\x06\x07\x08"])
    np.testing.assert_array_equal(engine.io.decode_raw(x, engine.int16).numpy(),
                                  [[0x0201, 0x0403], [0x0605, 0x0807]])
    np.testing.assert_array_equal(engine.io.decode_raw(x, engine.int16, False).numpy(),
                                  [[0x0102, 0x0304], [0x0506, 0x0708]])
    padded = engine.io.decode_raw(engine.constant([b"abc", b"a"]), engine.uint8, fixed_length=4)
    np.testing.assert_array_equal(padded.numpy(), [[97, 98, 99, 0], [97, 0, 0, 0]])
    with pytest.raises(InvalidArgumentError, match="decode_raw"):
        engine.io.decode_raw(engine.constant([b"abc"]), engine.int16)


# --- PNG ------------------------------------------------------------------------------------
@pytest.mark.parametrize("channels", [1, 2, 3, 4])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_png_round_trip(channels, dtype):
    img = (np.random.RandomState(channels).rand(5, 7, channels) * np.iinfo(dtype).max)
    img = img.astype(dtype)
    png = engine.io.encode_png(engine.constant(img))
    out = engine.io.decode_png(png, dtype=engine.as_dtype(dtype)).numpy()
    np.testing.assert_array_equal(out, img)


def _png(width, height, depth, color, rows: list, extra=b""):
    def chunk(kind, body):
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + extra
            + chunk(b"IDAT", zlib.compress(b"".join(rows))) + chunk(b"IEND", b""))


def test_png_filters_palette_and_low_bit_depths():
    # RGB 2x2 with filters sub (1), up (2), average (3) and Paeth (4) against a hand result
    rows = [b"\x01" + bytes([10, 20, 30, 5, 5, 5]), b"\x02" + bytes([1, 1, 1, 2, 2, 2])]
    out = engine.io.decode_png(_png(2, 2, 8, 2, rows)).numpy()
    np.testing.assert_array_equal(out, [[[10, 20, 30], [15, 25, 35]], [[11, 21, 31], [17, 27, 37]]])
    rows = [b"\x00" + bytes([10, 20]), b"\x03" + bytes([5, 5]), b"\x04" + bytes([1, 1])]
    out = engine.io.decode_png(_png(2, 3, 8, 0, rows)).numpy()[..., 0]
    # avg: 10//2+5... row1: [5 + (0+10)//2, 5 + (10+20)//2] = [10, 20]; paeth row2 -> up
    np.testing.assert_array_equal(out, [[10, 20], [10, 20], [11, 21]])
    plte = struct.pack(">I", 6) + b"PLTE" + bytes([255, 0, 0, 0, 0, 255])
    plte += struct.pack(">I", zlib.crc32(b"PLTE" + bytes([255, 0, 0, 0, 0, 255])))
    out = engine.io.decode_png(_png(3, 1, 1, 3, [b"\x00" + bytes([0b10100000])], plte)).numpy()
    np.testing.assert_array_equal(out[0], [[0, 0, 255], [255, 0, 0], [0, 0, 255]])
    out = engine.io.decode_png(_png(4, 1, 2, 0, [b"\x00" + bytes([0b00011011])])).numpy()
    np.testing.assert_array_equal(out[0, :, 0], [0, 85, 170, 255])


def test_png_bad_input_errors():
    png = engine.io.encode_png(engine.zeros([2, 2, 3], engine.uint8)).numpy()
    with pytest.raises(InvalidArgumentError, match="signature"):
        engine.io.decode_png(b"not a png")
    broken = png[:20] + bytes([png[20] ^ 1]) + png[21:]
    with pytest.raises(InvalidArgumentError, match="CRC"):
        engine.io.decode_png(broken)
    with pytest.raises(InvalidArgumentError, match="encode_png"):
        engine.io.encode_png(engine.zeros([2, 2, 3]))
    with pytest.raises(InvalidArgumentError, match="channels"):
        engine.io.decode_png(png, channels=2)


def test_png_channel_conversion_and_decode_image():
    img = np.array([[[10, 200, 30], [0, 0, 0]]], np.uint8)
    png = engine.io.encode_png(engine.constant(img))
    gray = engine.io.decode_png(png, channels=1).numpy()
    np.testing.assert_array_equal(gray[..., 0], np.floor(img @ [0.299, 0.587, 0.114]))
    rgba = engine.io.decode_png(png, channels=4).numpy()
    assert rgba.shape == (1, 2, 4) and (rgba[..., 3] == 255).all()
    as_float = engine.io.decode_image(png, dtype=engine.float32)
    assert as_float.dtype == engine.float32 and as_float.shape == [1, 2, 3]


def test_jpeg_needs_pillow_or_round_trips():
    img = np.full((8, 8, 3), 128, np.uint8)
    try:
        data = engine.io.encode_jpeg(engine.constant(img))
    except UnimplementedError as error:
        assert "Pillow" in str(error)
        return
    out = engine.io.decode_image(data).numpy()
    assert out.shape == (8, 8, 3) and abs(int(out.mean()) - 128) <= 2


def test_png_codecs_run_inside_functions_and_dataset_map():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    png = engine.io.encode_png(engine.constant(img))

    @engine.function
    def round_trip(data):
        decoded = engine.io.decode_png(data, channels=3)
        assert decoded.shape.as_list() == [None, None, 3]  # as TensorFlow's static shape
        return engine.io.decode_png(engine.io.encode_png(decoded)), engine.io.decode_image(
            data, dtype=engine.float32)

    again, as_float = round_trip(png)
    np.testing.assert_array_equal(again.numpy(), img)
    np.testing.assert_allclose(as_float.numpy(), img / 255.0, rtol=1e-6)
    ds = engine.data.Dataset.from_tensor_slices([png.numpy()] * 2).map(
        lambda b: engine.image.resize(engine.io.decode_png(b, channels=3), [4, 6]))
    assert [x.shape.as_list() for x in ds] == [[4, 6, 3]] * 2
