"""engine.keras.utils additions: Sequence in fit, get_file, custom objects, source inputs."""

import hashlib
import io
import os
import tarfile
import zipfile

import numpy as np
import pytest

import engine
from engine.keras import utils
from engine.keras.datasets.download import DownloadError
from tests.local_http import Server

K = engine.keras


class Batches(utils.Sequence):
    def __init__(self, n=4):
        self.n, self.ends, self.seen = n, 0, []

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        self.seen.append(i)
        x = np.random.default_rng(i).normal(size=(8, 3)).astype("float32")
        return x, x @ np.array([[1.0], [-2.0], [0.5]], "float32")

    def on_epoch_end(self):
        self.ends += 1


def _model():
    engine.random.set_seed(0)
    model = K.Sequential([K.layers.Dense(1, input_shape=(3,))])
    model.compile(K.optimizers.SGD(0.1), "mse")
    return model


def test_sequence_in_fit_reads_every_batch_once_per_epoch_and_calls_on_epoch_end():
    seq = Batches()
    history = _model().fit(seq, epochs=3, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 3
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert seq.seen == [0, 1, 2, 3] * 3
    assert seq.ends == 3


def test_sequence_shuffle_permutes_batches_each_epoch():
    seq = Batches(6)
    _model().fit(seq, epochs=2, shuffle=True, verbose=0)
    first, second = seq.seen[:6], seq.seen[6:]
    assert sorted(first) == sorted(second) == list(range(6))


def test_sequence_in_evaluate_and_predict():
    model = _model()
    x = np.concatenate([Batches()[i][0] for i in range(4)])
    assert model.predict(Batches(), verbose=0).shape == (32, 1)
    np.testing.assert_allclose(model.predict(Batches(), verbose=0), model.predict(x, verbose=0),
                               rtol=1e-5)
    loss = model.evaluate(Batches(), verbose=0)
    y = np.concatenate([Batches()[i][1] for i in range(4)])
    np.testing.assert_allclose(loss, model.evaluate(x, y, verbose=0), rtol=1e-5)


def test_sequence_errors():
    with pytest.raises(ValueError, match="do not pass y"):
        _model().fit(Batches(), np.zeros((32, 1)), verbose=0)
    with pytest.raises(ValueError, match="positive number of batches"):
        _model().fit(Batches(0), verbose=0)
    with pytest.raises(NotImplementedError, match="__len__"):
        len(utils.Sequence())


def test_progbar_is_the_callbacks_one():
    assert utils.Progbar is K.callbacks.Progbar


# --- get_file -------------------------------------------------------------------------------
@pytest.fixture
def server():
    srv = Server()
    yield srv
    srv.close()


def _tar(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(members: dict) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_get_file_downloads_once_and_checks_the_hash(server, tmp_path, capsys):
    body = b"some data"
    server.files["data.bin"] = body
    sha, md5 = hashlib.sha256(body).hexdigest(), hashlib.md5(body).hexdigest()
    path = utils.get_file(origin=server.url + "data.bin", file_hash=sha, cache_dir=tmp_path)
    assert path == os.path.join(str(tmp_path), "datasets", "data.bin")
    assert open(path, "rb").read() == body
    again = utils.get_file("data.bin", server.url + "data.bin", md5_hash=md5, cache_dir=tmp_path)
    assert again == path and server.requests == ["data.bin"]
    with pytest.raises(ValueError, match="not a sha256 hash"):
        utils.get_file("x", server.url + "x", file_hash=md5, hash_algorithm="sha256",
                       cache_dir=tmp_path)


def test_get_file_rejects_a_corrupt_download_and_leaves_nothing(server, tmp_path):
    server.files["bad.bin"] = b"tampered"
    with pytest.raises(ValueError, match="corrupt"):
        utils.get_file("bad.bin", server.url + "bad.bin", file_hash="0" * 64,
                       cache_dir=tmp_path, cache_subdir="c")
    assert os.listdir(tmp_path / "c") == []
    with pytest.raises(DownloadError, match="missing.bin"):
        utils.get_file("missing.bin", server.url + "missing.bin", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="origin is required"):
        utils.get_file("a.bin", cache_dir=tmp_path)


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_get_file_extracts_archives(server, tmp_path, kind):
    members = {"pack/a.txt": b"alpha", "pack/sub/b.txt": b"beta"}
    name = "pack.tar.gz" if kind == "tar" else "pack.zip"
    server.files[name] = _tar(members) if kind == "tar" else _zip(members)
    path = utils.get_file(name, server.url + name, extract=True, cache_dir=tmp_path)
    root = os.path.dirname(path)
    assert open(os.path.join(root, "pack", "sub", "b.txt"), "rb").read() == b"beta"
    assert not [e for e in os.listdir(root) if e.startswith(".extract-")]
    with pytest.raises(ValueError, match="archive_format"):
        utils.get_file(name, server.url + name, extract=True, archive_format="rar",
                       cache_dir=tmp_path)


def test_get_file_untar_returns_the_folder(server, tmp_path):
    server.files["corpus.tar.gz"] = _tar({"corpus/x.txt": b"x"})
    path = utils.get_file("corpus", server.url + "corpus.tar.gz", untar=True,
                          cache_dir=tmp_path)
    assert os.path.isdir(path) and os.path.basename(path) == "corpus"
    assert os.path.exists(os.path.join(path, "x.txt"))


def test_get_file_refuses_members_outside_the_folder(server, tmp_path):
    server.files["evil.zip"] = _zip({"../escaped.txt": b"no"})
    with pytest.raises(ValueError, match="outside"):
        utils.get_file("evil.zip", server.url + "evil.zip", extract=True, cache_dir=tmp_path)
    assert not (tmp_path / "escaped.txt").exists()


# --- custom objects and serialization --------------------------------------------------------
class Twice(K.layers.Layer):
    def call(self, x):
        return 2.0 * x


def test_custom_object_scope_feeds_deserialization_and_nests():
    config = {"class_name": "Twice", "config": {"name": "t"}}
    with pytest.raises(ValueError, match="Unknown layer"):
        K.layers.deserialize(config)
    with utils.custom_object_scope({"Twice": Twice}):
        assert type(K.layers.deserialize(config)) is Twice
        with utils.CustomObjectScope({"Twice": K.layers.Dense}):
            assert K.layers.deserialize({"class_name": "Twice",
                                         "config": {"units": 2}}).units == 2
        assert type(K.layers.deserialize(config)) is Twice
    with pytest.raises(ValueError, match="Unknown layer"):
        K.layers.deserialize(config)
    with pytest.raises(TypeError, match="expected dicts"):
        utils.custom_object_scope(["Twice"])


def test_model_from_config_finds_scoped_layers():
    inputs = K.Input((3,))
    model = K.Model(inputs, Twice()(inputs))
    with utils.CustomObjectScope({"Twice": Twice}):
        clone = K.Model.from_config(model.get_config())
    x = np.ones((1, 3), "float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), 2 * x)


def test_get_custom_objects_is_the_global_table():
    def my_metric(y_true, y_pred):
        return y_pred

    table = utils.get_custom_objects()
    table["my_metric"] = my_metric
    try:
        assert K.metrics.get("my_metric") is my_metric
    finally:
        del table["my_metric"]
    with pytest.raises(ValueError):
        K.metrics.get("my_metric")


def test_serialize_and_deserialize_keras_object_round_trip():
    init = K.initializers.RandomUniform(-1.0, 2.0, seed=3)
    config = utils.serialize_keras_object(init)
    assert config == {"class_name": "RandomUniform",
                      "config": {"minval": -1.0, "maxval": 2.0, "seed": 3}}
    table = {"RandomUniform": K.initializers.RandomUniform}
    again = utils.deserialize_keras_object(config, module_objects=table)
    np.testing.assert_array_equal(again((4,)).numpy(), init((4,)).numpy())
    assert utils.deserialize_keras_object("RandomUniform", module_objects=table) is table[
        "RandomUniform"]
    with pytest.raises(ValueError, match="Unknown"):
        utils.deserialize_keras_object("Nope", module_objects=table)


def test_get_registered_name():
    @utils.register_keras_serializable(package="t_more")
    class Custom(K.layers.Layer):
        pass

    class Sub(Custom):
        pass

    assert utils.get_registered_name(Custom) == "t_more>Custom"
    assert utils.get_registered_name(Sub) == "Sub"
    assert utils.get_registered_name(len) == "len"


def test_get_source_inputs():
    a, b = K.Input((2,)), K.Input((2,))
    hidden = K.layers.Dense(2)(a)
    out = K.layers.Add()([hidden, b * 3.0])
    sources = utils.get_source_inputs(out)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert utils.get_source_inputs(a) == [a]
    with pytest.raises(TypeError, match="Keras tensors"):
        utils.get_source_inputs(engine.constant(1.0))
