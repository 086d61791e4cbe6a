"""engine.io: read_file / write_file (atomic), gfile, serialize_tensor / parse_tensor and
decode_csv, eagerly and inside engine.function."""

import os

import numpy as np
import pytest

import engine
from engine import io as eio
from engine.errors import AlreadyExistsError, DTypeError, InvalidArgumentError, NotFoundError
from engine.ops import io_ops

gfile = eio.gfile


def _leftovers(directory, keep):
    return sorted(set(os.listdir(directory)) - set(keep))


# --- read_file / write_file ------------------------------------------------------------------
def test_write_then_read_round_trips_bytes_with_trailing_nuls(tmp_path):
    path = str(tmp_path / "data.bin")
    payload = bytes(range(256)) + b"\x00\x00"
    assert eio.write_file(path, engine.constant(payload)) is None
    got = eio.read_file(path)
    assert got.dtype == engine.string and got.shape == ()
    assert got.numpy() == payload
    eio.write_file(engine.constant(path.encode()), "text é")
    assert eio.read_file(tmp_path / "data.bin").numpy() == "text é".encode()
    assert _leftovers(tmp_path, ["data.bin"]) == []


def test_read_and_write_run_when_the_graph_runs(tmp_path):
    path = str(tmp_path / "f.txt")

    @engine.function
    def copy_upper(src, dst):
        data = eio.read_file(src)
        eio.write_file(dst, engine.strings.upper(data))
        return data

    eio.write_file(path, b"one")
    assert copy_upper(path, path + ".out").numpy() == b"one"
    eio.write_file(path, b"two")  # a traced read of "one" would return it again
    assert copy_upper(path, path + ".out").numpy() == b"two"
    assert open(path + ".out", "rb").read() == b"TWO"
    assert copy_upper.get_concrete_function(path, path + ".out").structured_outputs.shape == ()


def test_write_file_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "model.ckpt"
    path.write_bytes(b"old contents")

    def broken_fsync(fd):
        raise OSError("disk full")

    monkeypatch.setattr(io_ops.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        eio.write_file(str(path), b"new contents that never fully land")
    assert path.read_bytes() == b"old contents"
    assert _leftovers(tmp_path, ["model.ckpt"]) == []  # the temporary file is removed


def test_read_write_errors(tmp_path):
    with pytest.raises(NotFoundError, match="does not exist"):
        eio.read_file(str(tmp_path / "missing"))
    eio.write_file(str(tmp_path / "no" / "dir" / "x"), b"1")  # parents created, as in TF
    assert (tmp_path / "no" / "dir" / "x").read_bytes() == b"1"
    with pytest.raises(InvalidArgumentError, match="directory"):
        eio.read_file(str(tmp_path))
    with pytest.raises(InvalidArgumentError, match="scalar"):
        eio.write_file(str(tmp_path / "x"), engine.constant([b"a", b"b"]))
    with pytest.raises(InvalidArgumentError, match="filename"):
        eio.read_file(3)
    f = engine.function(lambda p: eio.read_file(p))
    with pytest.raises(NotFoundError):
        f(str(tmp_path / "missing"))


# --- gfile -------------------------------------------------------------------------------------
def test_gfile_file_system_functions(tmp_path):
    d = str(tmp_path / "a" / "b")
    assert not gfile.exists(d)
    gfile.makedirs(d)
    gfile.makedirs(d)  # no error when it exists
    assert gfile.isdir(d) and gfile.exists(d) and not gfile.isdir(tmp_path / "nothing")
    for name in ("x.txt", "y.txt", "z.csv"):
        eio.write_file(os.path.join(d, name), name)
    assert gfile.listdir(d) == ["x.txt", "y.txt", "z.csv"]
    assert gfile.glob(os.path.join(d, "*.txt")) == [os.path.join(d, n) for n in ("x.txt", "y.txt")]
    assert len(gfile.glob([os.path.join(d, "*.txt"), os.path.join(d, "*.csv")])) == 3
    gfile.rename(os.path.join(d, "x.txt"), os.path.join(d, "w.txt"))
    with pytest.raises(AlreadyExistsError, match="overwrite=True"):
        gfile.rename(os.path.join(d, "w.txt"), os.path.join(d, "y.txt"))
    gfile.rename(os.path.join(d, "w.txt"), os.path.join(d, "y.txt"), overwrite=True)
    assert eio.read_file(os.path.join(d, "y.txt")).numpy() == b"x.txt"
    gfile.remove(os.path.join(d, "y.txt"))
    assert gfile.listdir(d) == ["z.csv"]
    with pytest.raises(NotFoundError):
        gfile.remove(os.path.join(d, "y.txt"))
    with pytest.raises(NotFoundError):
        gfile.rename(os.path.join(d, "nope"), os.path.join(d, "n2"))
    with pytest.raises(NotFoundError):
        gfile.listdir(os.path.join(d, "nope"))
    gfile.rmtree(str(tmp_path / "a"))
    assert not gfile.exists(tmp_path / "a")


def test_gfile_text_binary_append_and_reading(tmp_path):
    path = str(tmp_path / "log.txt")
    with gfile.GFile(path, "w") as f:
        f.write("a\n")
        f.write("b\n")
        assert not os.path.exists(path)  # the target appears only on close
    with gfile.GFile(path, "a") as f:
        f.write("c\n")
    with gfile.GFile(path) as f:
        assert f.readline() == "a\n"
        assert list(f) == ["b\n", "c\n"]
    with gfile.GFile(path, "rb") as f:
        assert f.read(2) == b"a\n" and f.tell() == 2 and f.size() == 6
    f = gfile.GFile(path, "wb")
    f.write(b"\x00\x01")
    f.close()
    f.close()  # closing twice is harmless
    assert f.closed and open(path, "rb").read() == b"\x00\x01"
    assert _leftovers(tmp_path, ["log.txt"]) == []


def test_gfile_write_is_atomic_when_the_block_raises(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"good")
    with pytest.raises(RuntimeError, match="crash"):
        with gfile.GFile(str(path), "wb") as f:
            f.write(b"half-writ")
            raise RuntimeError("crash mid-write")
    assert path.read_bytes() == b"good"
    assert _leftovers(tmp_path, ["weights.bin"]) == []


def test_gfile_errors(tmp_path):
    with pytest.raises(NotFoundError):
        gfile.GFile(str(tmp_path / "missing"))
    with pytest.raises(InvalidArgumentError, match="mode"):
        gfile.GFile(str(tmp_path / "x"), "rw")
    with pytest.raises(NotFoundError, match="makedirs"):
        gfile.GFile(str(tmp_path / "no" / "x"), "w")


# --- serialize_tensor / parse_tensor -----------------------------------------------------------
@pytest.mark.parametrize("value", [
    np.arange(6, dtype=np.int32).reshape(2, 3), np.float32(2.5), np.zeros((0, 3), np.float64),
    np.array([True, False]), np.array([1 + 2j], np.complex128), np.array([0, 255], np.uint8),
    np.array([[b"a\x00", b""], [b"xyz", b"\x00"]], dtype=object),
])
def test_serialize_parse_round_trip(value):
    t = engine.constant(value)
    s = eio.serialize_tensor(t)
    assert s.dtype == engine.string and s.shape == ()
    back = eio.parse_tensor(s, t.dtype)
    assert back.dtype == t.dtype and back.shape == t.shape
    np.testing.assert_array_equal(np.asarray(back.numpy()), np.asarray(t.numpy()))


def test_serialize_parse_in_a_graph_and_errors():
    f = engine.function(lambda x: eio.parse_tensor(eio.serialize_tensor(x), engine.float32) * 2,
                        input_signature=[engine.TensorSpec([None], engine.float32)])
    np.testing.assert_array_equal(f(np.float32([1, 2])).numpy(), [2, 4])
    s = eio.serialize_tensor(engine.constant([1, 2]))
    with pytest.raises(DTypeError, match="out_type=engine.int32"):
        eio.parse_tensor(s, engine.float32)
    with pytest.raises(InvalidArgumentError, match="TensorProto"):
        eio.parse_tensor(b"\x08\x01\x12\x00", engine.int32)
    with pytest.raises(InvalidArgumentError, match="needs 8"):
        eio.parse_tensor(s.numpy()[:-1], engine.int32)
    strings = eio.serialize_tensor(engine.constant([b"abc"])).numpy()
    with pytest.raises(InvalidArgumentError, match="truncated"):
        eio.parse_tensor(strings[:-1], engine.string)


# --- decode_csv --------------------------------------------------------------------------------
def test_decode_csv_types_defaults_quotes_and_shape():
    records = engine.constant([['1,2.5,"a,b",7'], [',,"say ""hi""",']])
    a, b, c, d = eio.decode_csv(records, [[0], [1.0], ["?"], engine.constant([9], engine.int64)])
    assert (a.dtype, b.dtype, c.dtype, d.dtype) == (engine.int32, engine.float32, engine.string,
                                                    engine.int64)
    assert a.shape == (2, 1)
    np.testing.assert_array_equal(a.numpy().ravel(), [1, 0])
    np.testing.assert_array_equal(b.numpy().ravel(), np.float32([2.5, 1.0]))
    assert list(c.numpy().ravel()) == [b"a,b", b'say "hi"']
    np.testing.assert_array_equal(d.numpy().ravel(), [7, 9])


def test_decode_csv_options():
    x, = eio.decode_csv(["1|2|3", "4|NA|6"], [[0.0]], field_delim="|", na_value="NA",
                        select_cols=[1])
    np.testing.assert_array_equal(x.numpy(), np.float32([2, 0]))
    q, = eio.decode_csv(['"a"'], [[""]], use_quote_delim=False)
    assert q.numpy()[0] == b'"a"'
    f = engine.function(lambda r: eio.decode_csv(r, [[0], [""]]),
                        input_signature=[engine.TensorSpec([None], engine.string)])
    a, b = f(engine.constant(["3,x", "4,y"]))
    np.testing.assert_array_equal(a.numpy(), [3, 4])
    assert list(b.numpy()) == [b"x", b"y"]


def test_decode_csv_errors():
    with pytest.raises(InvalidArgumentError, match="field 1 is required"):
        eio.decode_csv(["1,"], [[0], []])
    with pytest.raises(InvalidArgumentError, match="required"):
        eio.decode_csv(["1,"], [[0], engine.float64])
    with pytest.raises(InvalidArgumentError, match="has 3 fields; expected 2"):
        eio.decode_csv(["1,2,3"], [[0], [0]])
    with pytest.raises(InvalidArgumentError, match="expected a int32 value"):
        eio.decode_csv(["x"], [[0]])
    with pytest.raises(InvalidArgumentError, match="int32"):
        eio.decode_csv(["99999999999"], [[0]])
    with pytest.raises(DTypeError, match="expected float32, float64, int32, int64 or string"):
        eio.decode_csv(["1"], [[True]])
    with pytest.raises(InvalidArgumentError, match="one character"):
        eio.decode_csv(["1"], [[0]], field_delim="::")
    with pytest.raises(DTypeError, match="engine.string"):
        eio.decode_csv(engine.constant([1]), [[0]])
    with pytest.raises(InvalidArgumentError, match="non-empty list"):
        eio.decode_csv(["1"], [])
