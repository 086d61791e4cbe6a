"""Boston Housing: 506 rows of 13 features with median house prices (in k$).

The dataset has an ethical problem (its "B" feature); Keras discourages its use except to
illustrate ethical issues in data science. It is here for compatibility with examples.
"""

from __future__ import annotations

import numpy as np

from engine.keras.datasets import download

__all__ = ["load_data"]

FILE_HASH = "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"


def split(x, y, test_split: float, seed: int, what: str):
    """Shuffles `(x, y)` with `seed` (Keras' order) and splits off the last `test_split`."""
    if not 0 <= test_split < 1:
        raise ValueError(f"{what}: test_split must be in [0, 1); got {test_split}.")
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def load_data(path="boston_housing.npz", test_split=0.2, seed=113, cache_dir=None):
    """Loads Boston Housing, downloading it once into the dataset cache.

    Args:
        path: the file name in the cache folder (or an absolute path).
        test_split: the fraction of rows kept for the test set.
        seed: the seed of the shuffle before the split.
        cache_dir: the cache folder (default `$EAGERLAB_DATA_DIR` or
            `~/.eagerlab/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: float arrays of shapes (n, 13) and (n,).

    Example:
        >>> (x, y), _ = engine.keras.datasets.boston_housing.load_data()  # doctest: +SKIP
        >>> x.shape  # doctest: +SKIP
        (404, 13)
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"boston_housing.load_data: test_split must be in [0, 1); got "
                         f"{test_split}.")
    path = download.get_file(path, origin=download.ORIGINS["keras"] + "boston_housing.npz",
                             file_hash=FILE_HASH, cache_dir=cache_dir)
    with np.load(path, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    return split(x, y, test_split, seed, "boston_housing.load_data")
