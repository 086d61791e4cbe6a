"""engine.keras.utils dataset helpers: directory loaders, timeseries, split, normalize,
image files."""

import os

import numpy as np
import pytest

import engine
from engine.keras import utils


def _write(root, files: dict):
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


@pytest.fixture
def texts(tmp_path):
    files = {f"neg/{i}.txt": f"bad {i}" for i in range(4)}
    files.update({f"pos/{i}.txt": f"good {i}" for i in range(6)})
    files["pos/skip.md"] = "not a text file"
    _write(tmp_path, files)
    return tmp_path


def _collect(ds):
    xs, ys = [], []
    for x, y in ds:
        xs += [t.decode() for t in x.numpy().tolist()]
        ys += y.numpy().tolist()
    return xs, ys


def test_text_dataset_labels_follow_sorted_subfolders(texts, capsys):
    ds = utils.text_dataset_from_directory(texts, batch_size=3, shuffle=False)
    assert "Found 10 files belonging to 2 classes." in capsys.readouterr().out
    xs, ys = _collect(ds)
    assert ds.class_names == ["neg", "pos"]
    assert xs == [f"bad {i}" for i in range(4)] + [f"good {i}" for i in range(6)]
    assert ys == [0] * 4 + [1] * 6
    assert next(iter(ds))[1].dtype == engine.int32


def test_text_dataset_label_modes_and_max_length(texts):
    ds = utils.text_dataset_from_directory(texts, label_mode="categorical", max_length=3,
                                           shuffle=False, batch_size=None)
    text, label = next(iter(ds))
    assert text.numpy() == b"bad"
    np.testing.assert_array_equal(label.numpy(), [1.0, 0.0])
    binary = utils.text_dataset_from_directory(texts, label_mode="binary", shuffle=False)
    assert next(iter(binary))[1].shape == (10, 1)
    only_texts = utils.text_dataset_from_directory(texts, label_mode=None, labels=None,
                                                   shuffle=False)
    assert next(iter(only_texts)).shape == (10,)


def test_text_dataset_subsets_are_disjoint_and_cover_everything(texts):
    train, val = utils.text_dataset_from_directory(texts, validation_split=0.3, subset="both",
                                                   seed=5, batch_size=4)
    train_x, _ = _collect(train)
    val_x, _ = _collect(val)
    assert len(train_x) == 7 and len(val_x) == 3
    assert sorted(train_x + val_x) == sorted([f"bad {i}" for i in range(4)]
                                             + [f"good {i}" for i in range(6)])
    again = utils.text_dataset_from_directory(texts, validation_split=0.3,
                                              subset="validation", seed=5)
    assert sorted(_collect(again)[0]) == sorted(val_x)


def test_text_dataset_errors(texts, tmp_path):
    with pytest.raises(ValueError, match="pass a seed"):
        utils.text_dataset_from_directory(texts, validation_split=0.2, subset="training")
    with pytest.raises(ValueError, match="label_mode"):
        utils.text_dataset_from_directory(texts, label_mode="sparse")
    with pytest.raises(ValueError, match="not a folder"):
        utils.text_dataset_from_directory(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="class_names"):
        utils.text_dataset_from_directory(texts, class_names=["a", "b"])
    _write(texts, {"third/x.txt": "x"})
    with pytest.raises(ValueError, match="2 classes"):
        utils.text_dataset_from_directory(texts, label_mode="binary")


def test_text_dataset_trains_a_model(texts):
    ds = utils.text_dataset_from_directory(texts, batch_size=4, seed=1)
    layer = engine.keras.layers.TextVectorization(max_tokens=20, output_mode="multi_hot")
    layer.adapt(ds.map(lambda x, y: x))
    model = engine.keras.Sequential([layer, engine.keras.layers.Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy")
    model.fit(ds.map(lambda x, y: (x, engine.cast(y, "float32"))), epochs=1, verbose=0)


def test_image_dataset_from_directory(tmp_path):
    pytest.importorskip("PIL")
    for label, value in (("dark", 10.0), ("light", 200.0)):
        os.makedirs(tmp_path / label)
        for i in range(3):
            image = np.full((6, 4, 3), value)
            image[0, 0] = 0.0
            image[0, 1] = 255.0  # keep the range fixed so that scaling leaves values alone
            utils.save_img(str(tmp_path / label / f"{i}.png"), image, scale=False)
    ds = utils.image_dataset_from_directory(tmp_path, image_size=(3, 2), batch_size=4,
                                            shuffle=False, interpolation="nearest")
    images, labels = next(iter(ds))
    assert images.shape == (4, 3, 2, 3) and images.dtype == engine.float32
    assert labels.numpy().tolist() == [0, 0, 0, 1]
    assert float(images.numpy()[0, 2, 1, 0]) == 10.0
    assert float(images.numpy()[3, 2, 1, 0]) == 200.0
    gray = utils.image_dataset_from_directory(tmp_path, image_size=(6, 4), color_mode="grayscale",
                                              shuffle=False, label_mode=None, labels=None)
    assert next(iter(gray)).shape == (6, 6, 4, 1)
    with pytest.raises(ValueError, match="color_mode"):
        utils.image_dataset_from_directory(tmp_path, color_mode="cmyk")


def test_image_file_round_trip(tmp_path):
    pytest.importorskip("PIL")
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(5, 7, 3)).astype("float32")
    path = str(tmp_path / "x.png")
    utils.save_img(path, pixels, scale=False)
    image = utils.load_img(path)
    assert image.size == (7, 5)
    np.testing.assert_array_equal(utils.img_to_array(image), pixels)
    first = utils.img_to_array(image, data_format="channels_first")
    assert first.shape == (3, 5, 7)
    assert utils.load_img(path, color_mode="grayscale", target_size=(2, 3)).size == (3, 2)
    scaled = utils.img_to_array(utils.array_to_img(np.array([[[0.0], [0.5]]])))
    np.testing.assert_array_equal(scaled[..., 0], [[0.0, 255.0]])
    with pytest.raises(ValueError, match="channels"):
        utils.array_to_img(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="color_mode"):
        utils.load_img(path, color_mode="cmyk")


def test_image_helpers_say_to_install_pillow(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError("No module named 'PIL'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    with pytest.raises(ImportError, match="pip install pillow"):
        utils.array_to_img(np.zeros((2, 2, 3)))
    with pytest.raises(ImportError, match="pip install pillow"):
        utils.image_dataset_from_directory(".")


def _windows(data, targets, length, stride, rate, start, end):
    count = end - start - (length - 1) * rate
    if targets is not None:
        count = min(count, len(targets) - start)
    starts = list(range(start, start + count, stride))
    xs = [data[s:s + length * rate:rate] for s in starts]
    return np.array(xs), None if targets is None else np.array([targets[s] for s in starts])


@pytest.mark.parametrize("length,stride,rate,start,end", [
    (3, 1, 1, None, None), (3, 2, 2, 1, None), (4, 3, 1, 2, 15), (1, 1, 3, None, 10)])
def test_timeseries_dataset_matches_a_numpy_reference(length, stride, rate, start, end):
    data = np.arange(40, dtype="float32").reshape(20, 2)
    targets = np.arange(20) * 10
    ds = utils.timeseries_dataset_from_array(data, targets, length, sequence_stride=stride,
                                             sampling_rate=rate, batch_size=3,
                                             start_index=start, end_index=end)
    xs, ys = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    want_x, want_y = _windows(data, targets, length, stride, rate, start or 0, end or 20)
    np.testing.assert_array_equal(np.concatenate(xs), want_x)
    np.testing.assert_array_equal(np.concatenate(ys), want_y)


def test_timeseries_dataset_shuffle_and_errors():
    data = np.arange(10)
    plain = np.concatenate([x.numpy() for x in utils.timeseries_dataset_from_array(
        data, None, 2, batch_size=4)])
    mixed = np.concatenate([x.numpy() for x in utils.timeseries_dataset_from_array(
        data, None, 2, batch_size=4, shuffle=True, seed=3)])
    assert sorted(map(tuple, mixed)) == sorted(map(tuple, plain))
    assert not np.array_equal(mixed, plain)
    with pytest.raises(ValueError, match="sampling_rate"):
        utils.timeseries_dataset_from_array(data, None, 2, sampling_rate=0)
    with pytest.raises(ValueError, match="start_index"):
        utils.timeseries_dataset_from_array(data, None, 2, start_index=12)


def test_split_dataset_sizes_and_order():
    x, y = np.arange(10), np.arange(10) * 2
    left, right = utils.split_dataset((x, y), left_size=0.33)
    assert [int(a) for a, _ in left] == [0, 1, 2]
    assert [int(b) for _, b in right] == [6, 8, 10, 12, 14, 16, 18]
    left, right = utils.split_dataset(x, right_size=0.25)
    assert len(list(left)) == 8 and len(list(right)) == 2
    left, right = utils.split_dataset(x, left_size=5, right_size=3)
    assert [int(a) for a in right] == [7, 8, 9]
    ds = engine.data.Dataset.from_tensor_slices({"a": x})
    left, right = utils.split_dataset(ds, left_size=0.5, shuffle=True, seed=1)
    values = sorted(int(e["a"]) for part in (left, right) for e in part)
    assert values == list(range(10))


def test_split_dataset_errors():
    with pytest.raises(ValueError, match="left_size or right_size"):
        utils.split_dataset(np.arange(4))
    with pytest.raises(ValueError, match="left_size=1.5"):
        utils.split_dataset(np.arange(4), left_size=1.5)
    with pytest.raises(ValueError, match="at most all"):
        utils.split_dataset(np.arange(4), left_size=3, right_size=3)


def test_normalize_against_numpy():
    x = np.random.default_rng(0).normal(size=(4, 5))
    np.testing.assert_allclose(utils.normalize(x), x / np.linalg.norm(x, axis=-1,
                                                                       keepdims=True))
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1),
                               x / np.abs(x).sum(0, keepdims=True))
    np.testing.assert_allclose(utils.normalize(np.array([3.0, 4.0]), order=1),
                               [[3 / 7, 4 / 7]])
    np.testing.assert_array_equal(utils.normalize(np.zeros((2, 2))), np.zeros((2, 2)))
