"""engine.keras.datasets: download-once caching, checksums and the file formats, against a
local HTTP server that serves small files in the real layouts."""

import gzip
import hashlib
import io
import json
import os
import pickle
import sys
import tarfile

import numpy as np
import pytest

from engine.keras import datasets
from engine.keras.datasets import download
from engine.keras.datasets.download import DownloadError
from tests.local_http import Server


@pytest.fixture
def server(monkeypatch):
    server = Server()
    monkeypatch.setitem(download.ORIGINS, "keras", server.url)
    monkeypatch.setitem(download.ORIGINS, "cifar", server.url)
    yield server
    server.close()


def npz_bytes(allow_objects=False, **arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def mnist_arrays(rng):
    return {"x_train": rng.integers(0, 256, (6, 28, 28), dtype=np.uint8),
            "y_train": rng.integers(0, 10, 6, dtype=np.uint8),
            "x_test": rng.integers(0, 256, (2, 28, 28), dtype=np.uint8),
            "y_test": rng.integers(0, 10, 2, dtype=np.uint8)}


def leftovers(folder):
    return sorted(name for name in os.listdir(folder)) if os.path.isdir(folder) else []


def test_mnist_downloads_once_then_loads_offline(server, monkeypatch, tmp_path, rng):
    arrays = mnist_arrays(rng)
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", server.add("mnist.npz",
                                                                npz_bytes(**arrays)))
    (x, y), (x_test, y_test) = datasets.mnist.load_data(cache_dir=str(tmp_path))
    assert np.array_equal(x, arrays["x_train"]) and np.array_equal(y_test, arrays["y_test"])
    assert x.dtype == np.uint8 and x_test.shape == (2, 28, 28)
    assert server.requests == ["mnist.npz"] and leftovers(tmp_path) == ["mnist.npz"]
    monkeypatch.setitem(download.ORIGINS, "keras", "http://127.0.0.1:9/")  # nothing there
    (x_again, _), _ = datasets.mnist.load_data(cache_dir=str(tmp_path))
    assert np.array_equal(x_again, x) and server.requests == ["mnist.npz"]


def test_cache_folder_from_environment_and_home(server, monkeypatch, tmp_path, rng):
    monkeypatch.setattr(datasets.mnist, "FILE_HASH",
                        server.add("mnist.npz", npz_bytes(**mnist_arrays(rng))))
    monkeypatch.setenv("EAGERLAB_DATA_DIR", str(tmp_path / "env"))
    datasets.mnist.load_data()
    assert leftovers(tmp_path / "env") == ["mnist.npz"]
    monkeypatch.delenv("EAGERLAB_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert download.data_dir() == str(tmp_path / "home" / ".eagerlab" / "datasets")
    datasets.mnist.load_data()
    assert leftovers(tmp_path / "home" / ".eagerlab" / "datasets") == ["mnist.npz"]
    datasets.mnist.load_data(path=str(tmp_path / "absolute.npz"))
    assert (tmp_path / "absolute.npz").exists()


def test_checksum_mismatch_saves_nothing(server, monkeypatch, tmp_path, rng):
    server.add("mnist.npz", npz_bytes(**mnist_arrays(rng)))
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", "0" * 64)
    with pytest.raises(ValueError, match="corrupt or has changed: its sha256 hash is"):
        datasets.mnist.load_data(cache_dir=str(tmp_path))
    assert leftovers(tmp_path) == []


def test_interrupted_download_leaves_no_partial_file(server, monkeypatch, tmp_path, rng):
    digest = server.add("mnist.npz", npz_bytes(**mnist_arrays(rng)))
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", digest)
    server.truncated.add("mnist.npz")
    with pytest.raises(DownloadError, match="cut off"):
        datasets.mnist.load_data(cache_dir=str(tmp_path))
    assert leftovers(tmp_path) == []
    server.truncated.clear()
    datasets.mnist.load_data(cache_dir=str(tmp_path))  # a retry succeeds
    assert leftovers(tmp_path) == ["mnist.npz"]


def test_offline_and_missing_files_say_what_to_do(monkeypatch, server, tmp_path):
    monkeypatch.setitem(download.ORIGINS, "keras", "http://127.0.0.1:9/")
    with pytest.raises(DownloadError, match="are you offline.*save it as .*mnist.npz"):
        datasets.mnist.load_data(cache_dir=str(tmp_path))
    assert leftovers(tmp_path) == []
    monkeypatch.setitem(download.ORIGINS, "keras", server.url)
    with pytest.raises(DownloadError, match="Not Found"):
        datasets.boston_housing.load_data(cache_dir=str(tmp_path))
    assert leftovers(tmp_path) == []


def test_a_corrupt_cached_file_is_downloaded_again(server, monkeypatch, tmp_path, rng):
    arrays = mnist_arrays(rng)
    monkeypatch.setattr(datasets.mnist, "FILE_HASH", server.add("mnist.npz",
                                                                npz_bytes(**arrays)))
    (tmp_path / "mnist.npz").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="does not match its expected sha256"):
        (x, _), _ = datasets.mnist.load_data(cache_dir=str(tmp_path))
    assert np.array_equal(x, arrays["x_train"]) and server.requests == ["mnist.npz"]


def idx_gz(array, header_size):
    return gzip.compress(b"\0" * header_size + array.tobytes())


def test_fashion_mnist(server, monkeypatch, tmp_path, rng):
    images = {"train": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
              "t10k": rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)}
    labels = {"train": np.arange(5, dtype=np.uint8), "t10k": np.arange(3, dtype=np.uint8)}
    hashes = {}
    for split in ("train", "t10k"):
        for kind, data, header in (("labels-idx1", labels[split], 8),
                                   ("images-idx3", images[split], 16)):
            name = f"{split}-{kind}-ubyte.gz"
            hashes[name] = server.add(name, idx_gz(data, header))
    monkeypatch.setattr(datasets.fashion_mnist, "FILE_HASHES", hashes)
    (x, y), (x_test, y_test) = datasets.fashion_mnist.load_data(cache_dir=str(tmp_path))
    assert np.array_equal(x, images["train"]) and np.array_equal(y, labels["train"])
    assert np.array_equal(x_test, images["t10k"]) and y_test.tolist() == [0, 1, 2]
    assert leftovers(tmp_path / "fashion-mnist") == sorted(hashes)


def cifar_tarball(batches):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, (data, labels) in batches.items():
            body = pickle.dumps({b"data": data, b"labels": labels}, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def test_cifar10_reads_the_python_tarball(server, monkeypatch, tmp_path, rng):
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images = rng.integers(0, 256, (2, 3, 32, 32), dtype=np.uint8)  # (n, channels, h, w)
        batches[name] = (images.reshape(2, 3072), [int(v) for v in rng.integers(0, 10, 2)])
    digest = server.add("cifar-10-python.tar.gz", cifar_tarball(batches))
    monkeypatch.setattr(datasets.cifar10, "FILE_HASH", digest)
    (x, y), (x_test, y_test) = datasets.cifar10.load_data(cache_dir=str(tmp_path))
    assert x.shape == (10, 32, 32, 3) and y.shape == (10, 1) and x_test.shape == (2, 32, 32, 3)
    first = batches["data_batch_1"][0].reshape(2, 3, 32, 32)
    assert np.array_equal(x[0, :, :, 2], first[0, 2])  # channels last
    assert np.array_equal(x[9], batches["data_batch_5"][0].reshape(2, 3, 32, 32)[1].transpose(
        1, 2, 0))
    assert y[:, 0].tolist() == sum((batches[f"data_batch_{i}"][1] for i in range(1, 6)), [])
    assert y_test[:, 0].tolist() == batches["test_batch"][1] and y.dtype == np.uint8
    assert leftovers(tmp_path) == ["cifar-10-python.tar.gz"]  # nothing extracted


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def test_imdb_indices_vocabulary_and_lengths(server, monkeypatch, tmp_path):
    # Review k holds words (k, k+1, ...); its label is k % 2, so rows stay checkable.
    train = [list(range(k, k + k)) for k in range(1, 7)]
    test = [list(range(k, k + 2)) for k in range(1, 4)]
    body = npz_bytes(x_train=object_array(train), y_train=np.array([k % 2 for k in range(1, 7)]),
                     x_test=object_array(test), y_test=np.array([k % 2 for k in range(1, 4)]))
    monkeypatch.setattr(datasets.imdb, "FILE_HASH", server.add("imdb.npz", body))
    (x, y), (x_test, y_test) = datasets.imdb.load_data(cache_dir=str(tmp_path),
                                                       num_words=100)
    assert x.dtype == object and len(x) == 6 and len(x_test) == 3
    for review, label in zip(x, y):
        assert review[0] == 1  # start_char
        k = review[1] - 3  # index_from
        assert review[1:] == [w + 3 for w in range(k, 2 * k)] and label == k % 2
    (x, _), _ = datasets.imdb.load_data(cache_dir=str(tmp_path))
    top = max(w + 3 for r in train for w in r)
    assert 2 in max(x, key=len) and top not in sum(map(list, x), [])  # as Keras: num_words
    # defaults to the largest index, which then counts as out of vocabulary
    (x, y), _ = datasets.imdb.load_data(cache_dir=str(tmp_path), num_words=8, skip_top=5,
                                        maxlen=5, start_char=None, index_from=0)
    assert sorted(len(r) for r in x) == [1, 2, 3, 4]  # reviews of 5+ words dropped
    assert all(w == 2 or 5 <= w < 8 for r in x for w in r)  # out of vocabulary -> 2
    same, _ = datasets.imdb.load_data(cache_dir=str(tmp_path), num_words=8, skip_top=5,
                                      maxlen=5, start_char=None, index_from=0)
    assert [list(r) for r in same[0]] == [list(r) for r in x]  # the seed fixes the order
    (dropped, _), _ = datasets.imdb.load_data(cache_dir=str(tmp_path), num_words=8,
                                              oov_char=None, index_from=0, start_char=None)
    assert all(w < 8 for r in dropped for w in r)
    with pytest.raises(ValueError, match="raise maxlen"):
        datasets.imdb.load_data(cache_dir=str(tmp_path), maxlen=1)
    assert server.requests == ["imdb.npz"]


def test_imdb_word_index_uses_the_md5_keras_publishes(server, monkeypatch, tmp_path):
    body = json.dumps({"the": 1, "movie": 2}).encode()
    server.files["imdb_word_index.json"] = body
    monkeypatch.setattr(datasets.imdb, "WORD_INDEX_HASH", hashlib.md5(body).hexdigest())
    assert datasets.imdb.get_word_index(cache_dir=str(tmp_path)) == {"the": 1, "movie": 2}


def test_boston_housing_split(server, monkeypatch, tmp_path):
    x = np.arange(10 * 13, dtype=np.float64).reshape(10, 13)
    y = np.arange(10, dtype=np.float64) * 2
    monkeypatch.setattr(datasets.boston_housing, "FILE_HASH",
                        server.add("boston_housing.npz", npz_bytes(x=x, y=y)))
    (x_train, y_train), (x_test, y_test) = datasets.boston_housing.load_data(
        cache_dir=str(tmp_path))
    assert x_train.shape == (8, 13) and x_test.shape == (2, 13)
    assert np.array_equal(x_train[:, 0] / 13 * 2, y_train)  # rows and targets stay paired
    assert sorted(y_train.tolist() + y_test.tolist()) == y.tolist()
    again = datasets.boston_housing.load_data(cache_dir=str(tmp_path))
    assert np.array_equal(again[0][1], y_train)
    other = datasets.boston_housing.load_data(cache_dir=str(tmp_path), seed=1)
    assert not np.array_equal(other[0][1], y_train)
    with pytest.raises(ValueError, match=r"test_split must be in \[0, 1\)"):
        datasets.boston_housing.load_data(cache_dir=str(tmp_path), test_split=1.5)


def test_digits_are_offline_with_scikit_learn():
    pytest.importorskip("sklearn")
    (x, y), (x_test, y_test) = datasets.digits.load_data()
    assert x.shape == (1437, 8, 8) and x_test.shape == (360, 8, 8)
    assert x.dtype == np.uint8 and int(x.max()) == 16 and set(y.tolist()) == set(range(10))


def test_digits_without_scikit_learn_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.digits.load_data()
