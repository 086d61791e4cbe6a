"""engine.data text readers: TextLineDataset, CsvDataset and make_csv_dataset."""

import gzip
import zlib

import numpy as np
import pytest

import engine
from engine.data import Dataset, TextLineDataset
from engine.data.experimental import CsvDataset, make_csv_dataset
from engine.errors import InvalidArgumentError


def lines(ds):
    return [line.decode() for line in ds.as_numpy_iterator()]


@pytest.fixture
def text_files(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_bytes(b"a1\na2\r\n\na4")  # CRLF, an empty line, no final newline
    b.write_bytes(b"b1\nb2\nb3\n")
    return str(a), str(b)


def test_text_lines_of_several_files(text_files):
    ds = TextLineDataset(list(text_files))
    assert lines(ds) == ["a1", "a2", "", "a4", "b1", "b2", "b3"]
    assert ds.element_spec == engine.TensorSpec([], engine.string)
    assert lines(TextLineDataset(text_files[1])) == ["b1", "b2", "b3"]
    assert lines(TextLineDataset(engine.constant(list(text_files)))) == lines(ds)
    assert int(ds.cardinality()) == engine.data.UNKNOWN_CARDINALITY
    assert lines(ds.skip(4).take(2)) == ["b1", "b2"]


def test_text_lines_from_a_dataset_of_names_and_in_parallel(text_files):
    names = Dataset.from_tensor_slices(list(text_files))
    assert lines(TextLineDataset(names)) == ["a1", "a2", "", "a4", "b1", "b2", "b3"]
    mixed = lines(TextLineDataset(list(text_files), num_parallel_reads=2))
    assert mixed == ["a1", "b1", "a2", "b2", "", "b3", "a4"]


def test_text_lines_compressed(tmp_path):
    (tmp_path / "g.gz").write_bytes(gzip.compress(b"x\ny\n"))
    (tmp_path / "z.z").write_bytes(zlib.compress(b"p\nq"))
    assert lines(TextLineDataset(str(tmp_path / "g.gz"), compression_type="GZIP")) == ["x", "y"]
    assert lines(TextLineDataset(str(tmp_path / "z.z"), compression_type="ZLIB")) == ["p", "q"]
    with pytest.raises(ValueError, match="compression_type"):
        TextLineDataset(str(tmp_path / "z.z"), compression_type="BZIP")
    # TensorFlow's NotFoundError, which is also Python's FileNotFoundError, naming the reader
    with pytest.raises(engine.errors.NotFoundError, match="TextLineDataset: the file .*missing"):
        list(TextLineDataset(str(tmp_path / "missing.txt")))
    with pytest.raises(FileNotFoundError, match="CsvDataset: the file .*missing"):
        list(engine.data.experimental.CsvDataset(str(tmp_path / "missing.csv"), [0.0]))


def test_text_lines_map_with_py_function(text_files):
    ds = TextLineDataset(text_files[1]).map(
        lambda s: engine.py_function(lambda t: len(t.numpy()), [s], engine.int32))
    assert [int(n) for n in ds] == [2, 2, 2]


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text('id,score,name,extra\n1,0.5,"smith, j",x\n2,,doe,y\n3,NA,"say ""hi""",z\n')
    return str(path)


def records(ds):
    return [tuple(v.decode() if isinstance(v, bytes) else v.item() for v in rec)
            for rec in ds.as_numpy_iterator()]


def test_csv_dataset_defaults_quotes_and_na(csv_file):
    ds = CsvDataset(csv_file, [engine.int64, -1.0, engine.string, ""], header=True,
                    na_value="NA")
    assert records(ds) == [(1, 0.5, "smith, j", "x"), (2, -1.0, "doe", "y"),
                           (3, -1.0, 'say "hi"', "z")]
    assert ds.element_spec == (engine.TensorSpec([], engine.int64),
                               engine.TensorSpec([], engine.float32),
                               engine.TensorSpec([], engine.string),
                               engine.TensorSpec([], engine.string))


def test_csv_dataset_select_and_exclude_columns(csv_file):
    picked = CsvDataset(csv_file, [0, ""], header=True, select_cols=[0, 2])
    assert records(picked) == [(1, "smith, j"), (2, "doe"), (3, 'say "hi"')]
    dropped = CsvDataset(csv_file, [0, ""], header=True, exclude_cols=[1, 3])
    assert records(dropped) == records(picked)
    with pytest.raises(ValueError, match="increasing"):
        CsvDataset(csv_file, [0, ""], select_cols=[2, 0])
    with pytest.raises(ValueError, match="one default per column"):
        CsvDataset(csv_file, [0], select_cols=[0, 2])


def test_csv_dataset_errors_name_the_record(csv_file, tmp_path):
    required = CsvDataset(csv_file, [0, engine.float32, "", ""], header=True)
    with pytest.raises(InvalidArgumentError, match=r"field 1 is required .*data.csv:3"):
        list(required)
    with pytest.raises(InvalidArgumentError, match="expected 3 fields but got 4"):
        list(CsvDataset(csv_file, [0, 0.0, ""], header=True))
    bad = tmp_path / "bad.csv"
    bad.write_text("1\nx\n")
    with pytest.raises(InvalidArgumentError, match="not a valid int32: 'x'"):
        list(CsvDataset(str(bad), [0]))
    bad.write_text("1\n99999999999\n")
    with pytest.raises(InvalidArgumentError, match="out of the range of int32"):
        list(CsvDataset(str(bad), [0]))
    assert [int(v[0]) for v in CsvDataset(str(bad), [np.int64(0)])] == [1, 99999999999]
    with pytest.raises(TypeError, match="CSV columns"):
        CsvDataset(csv_file, [True])


def test_make_csv_dataset_infers_types_and_splits_the_label(tmp_path):
    path = tmp_path / "houses.csv"
    rows = [f"{i},{i * 1.5},{'ab'[i % 2]},{i * 10}" for i in range(10)]
    path.write_text("rooms,area,kind,price\n" + "\n".join(rows) + "\n")
    ds = make_csv_dataset(str(path), batch_size=4, label_name="price", num_epochs=1,
                          shuffle=False)
    features, label = next(iter(ds))
    assert sorted(features) == ["area", "kind", "rooms"]
    assert features["rooms"].dtype == engine.int32 and features["area"].dtype == engine.float32
    assert features["kind"].numpy().tolist() == [b"a", b"b", b"a", b"b"]
    assert label.numpy().tolist() == [0, 10, 20, 30]
    assert [int(lab.shape[0]) for _, lab in ds] == [4, 4, 2]


def test_make_csv_dataset_shuffles_repeats_and_selects(tmp_path):
    for k in range(2):
        (tmp_path / f"part{k}.csv").write_text(
            "a,b\n" + "".join(f"{k * 100 + i},{i}\n" for i in range(5)))
    pattern = str(tmp_path / "part*.csv")
    ds = make_csv_dataset(pattern, batch_size=3, select_columns=["a"], shuffle=True,
                          shuffle_seed=4, num_epochs=2)
    values = sorted(int(v) for batch in ds for v in batch["a"].numpy())
    assert values == sorted([k * 100 + i for k in range(2) for i in range(5)] * 2)
    forever = make_csv_dataset(pattern, batch_size=4, select_columns=["a"])
    assert int(forever.cardinality()) == engine.data.INFINITE_CARDINALITY
    assert forever.element_spec["a"].shape.as_list() == [4]
    assert [b["a"].shape[0] for b in forever.take(6)] == [4] * 6
    with pytest.raises(ValueError, match="label_name 'c'"):
        make_csv_dataset(pattern, batch_size=2, label_name="c")
    with pytest.raises(InvalidArgumentError, match="no files match"):
        make_csv_dataset(str(tmp_path / "none*.csv"), batch_size=2)


def test_make_csv_dataset_without_header_and_missing_values(tmp_path):
    path = tmp_path / "raw.csv"
    path.write_text("1,,x\n2,3.5,\n")
    ds = make_csv_dataset(str(path), batch_size=2, column_names=["i", "f", "s"],
                          header=False, num_epochs=1, shuffle=False)
    batch = next(iter(ds))
    assert batch["i"].numpy().tolist() == [1, 2]
    assert np.allclose(batch["f"].numpy(), [0.0, 3.5]) and batch["s"].numpy().tolist() == [
        b"x", b""]
    with pytest.raises(ValueError, match="column_names"):
        make_csv_dataset(str(path), batch_size=2, header=False)
