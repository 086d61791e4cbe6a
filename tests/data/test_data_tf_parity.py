"""Regressions found by comparing engine.data with tf.data, one test per difference."""

import numpy as np
import pytest

import engine
from engine.data import Dataset
from engine.data.experimental import make_csv_dataset
from engine.errors import DTypeError, ShapeError


def lists(ds):
    return [engine.nest.map_structure(lambda a: a.tolist(), e) for e in ds.as_numpy_iterator()]


def test_padded_batch_of_string_scalars_holds_bytes_not_arrays():
    batch = next(Dataset.from_tensor_slices(["a", "bb"]).padded_batch(2).as_numpy_iterator())
    assert batch.tolist() == [b"a", b"bb"]
    padded = Dataset.from_tensor_slices({"s": ["x", "y"]}).padded_batch(3, padding_values="p")
    assert [type(item) for item in next(iter(padded))["s"].numpy()] == [bytes, bytes]


def test_padded_batch_pads_bools_with_false_by_default():
    ds = Dataset.range(1, 4).map(lambda x: engine.fill([x], True)).padded_batch(2)
    assert lists(ds) == [[[True, False], [True, True]], [[True, True, True]]]


def test_padded_batch_rejects_a_known_dimension_larger_than_its_padded_shape_at_once():
    ds = Dataset.from_tensor_slices(np.zeros((4, 3), np.float32))
    with pytest.raises(ShapeError, match="padded_batch.*size 3, larger than its padded shape"):
        ds.padded_batch(3, padded_shapes=[2])


def test_padded_batch_padding_value_of_the_wrong_dtype_names_the_op():
    ds = Dataset.range(1, 3).map(lambda x: engine.fill([x], x))
    with pytest.raises(DTypeError, match="padded_batch: padding value 1.5 .* dtype int64"):
        ds.padded_batch(2, padding_values=1.5)


def test_unbatch_rejects_known_different_first_dimensions_at_once():
    with pytest.raises(ShapeError, match="unbatch: the components have different first"):
        Dataset.from_tensors(([1, 2], [1, 2, 3])).unbatch()


def test_bytes_inputs_yield_plain_bytes():
    assert [type(s) for s in Dataset.from_tensor_slices([b"a", b"b"]).as_numpy_iterator()] \
        == [bytes, bytes]
    element = next(Dataset.from_tensors(np.array([b"x"])).as_numpy_iterator())
    assert type(element[0]) is bytes


def test_range_rejects_non_numeric_and_too_narrow_output_types():
    with pytest.raises(TypeError, match="range: output_type must be an integer or float"):
        Dataset.range(3, output_type=engine.string)
    with pytest.raises(ValueError, match="do not fit output_type int32"):
        Dataset.range(2**31 - 1, 2**31 + 1, output_type=engine.int32)
    assert [int(x) for x in Dataset.range(5, 0, -2, output_type=engine.uint8)] == [5, 3, 1]


@pytest.mark.parametrize("datasets", [(), {}])
def test_zip_of_nothing_is_an_error_not_an_endless_dataset(datasets):
    with pytest.raises(ValueError, match="zip: got no datasets"):
        Dataset.zip(datasets)


@pytest.fixture
def csv_path(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b,c,label\n1,2.5,x,0\n3,,y,1\n")
    return str(path)


def test_make_csv_dataset_checks_one_default_per_selected_column(csv_path):
    with pytest.raises(ValueError, match="column_defaults has 4 entries but 2 columns"):
        make_csv_dataset(csv_path, batch_size=2, num_epochs=1, shuffle=False,
                         column_defaults=[0, 0.0, "d", 0], select_columns=["label", "a"])
    ds = make_csv_dataset(csv_path, batch_size=2, num_epochs=1, shuffle=False,
                          column_defaults=[0, 0], select_columns=["label", "a"])
    assert lists(ds) == [{"a": [1, 3], "label": [0, 1]}]


def test_make_csv_dataset_label_left_out_of_select_columns(csv_path):
    with pytest.raises(ValueError, match="'label' is a column but not among select_columns"):
        make_csv_dataset(csv_path, batch_size=2, select_columns=["a"], label_name="label")


@pytest.mark.parametrize("batch, drop, sizes, expected", [
    (4, True, 2, 2),  # batches of 4 split evenly into 2s: every new batch is full
    (4, True, [2, 2], 2),
    (4, True, 4, 4),
    (4, True, 8, None),
    (3, True, 2, None),
    (4, False, 2, None),  # the last input batch may be short
])
def test_rebatch_batch_dimension_is_static_when_input_batches_split_evenly(
        batch, drop, sizes, expected):
    ds = Dataset.range(12).batch(batch, drop_remainder=drop).rebatch(sizes)
    assert ds.element_spec.shape.as_list() == [expected]
    assert all(len(b) == expected for b in lists(ds)) or expected is None
