"""Models learn: end-to-end training to accuracy thresholds on real (offline) data."""

import numpy as np
import pytest

import engine

keras = engine.keras
layers = engine.keras.layers


@pytest.fixture(scope="module")
def digits():
    (x, y), (xt, yt) = keras.datasets.digits.load_data()
    return (x.astype("float32") / 16.0, y.astype("int32"),
            xt.astype("float32") / 16.0, yt.astype("int32"))


def test_mlp_on_digits_reaches_97_percent(digits):
    x, y, xt, yt = digits
    engine.random.set_seed(0)
    model = keras.Sequential([keras.Input(shape=(8, 8)), layers.Flatten(),
                              layers.Dense(64, activation="relu"), layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=20, verbose=0)
    _, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.97


def test_functional_two_input_model_learns(digits):
    # Left and right halves of each image through separate towers, merged by an op.
    x, y, xt, yt = digits
    engine.random.set_seed(1)
    left, right = keras.Input(shape=(32,), name="left"), keras.Input(shape=(32,), name="right")
    merged = engine.concat([layers.Dense(32, activation="relu")(left),
                            layers.Dense(32, activation="relu")(right)], axis=1)
    model = keras.Model([left, right], layers.Dense(10)(merged))
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])

    def halves(images):
        flat = images.reshape(len(images), 8, 8)
        return [flat[:, :, :4].reshape(-1, 32), flat[:, :, 4:].reshape(-1, 32)]

    model.fit(halves(x), y, batch_size=32, epochs=20, verbose=0)
    _, accuracy = model.evaluate(halves(xt), yt, verbose=0)
    assert accuracy >= 0.95


def test_small_cnn_on_digits_reaches_97_percent(digits):
    x, y, xt, yt = digits
    engine.random.set_seed(2)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(0.005),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    model.fit(x[..., None], y, batch_size=32, epochs=10, verbose=0)
    _, accuracy = model.evaluate(xt[..., None], yt, verbose=0)
    assert accuracy >= 0.97


def test_char_lstm_learns_a_repeated_text():
    text = "the quick brown fox jumps over the lazy dog. " * 20
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], np.int32)
    steps = 20
    starts = np.arange(0, len(ids) - steps - 1, 3)
    x = np.stack([ids[s:s + steps] for s in starts])
    y = np.stack([ids[s + 1:s + steps + 1] for s in starts])
    engine.random.set_seed(0)
    model = keras.Sequential([keras.Input(shape=(steps,), dtype="int32"),
                              layers.Embedding(len(chars), 16),
                              layers.LSTM(64, return_sequences=True),
                              layers.Dense(len(chars))])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert history.history["loss"][-1] < 0.15
