"""MNIST: 70,000 28x28 grayscale images of handwritten digits (`keras.datasets.mnist`)."""

from __future__ import annotations

import numpy as np

from engine.keras.datasets import download

__all__ = ["load_data"]

FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path="mnist.npz", cache_dir=None):
    """Loads MNIST, downloading it once (11 MB) into the dataset cache.

    Args:
        path: the file name in the cache folder (or an absolute path).
        cache_dir: the cache folder (default `$EAGERLAB_DATA_DIR` or
            `~/.eagerlab/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28) and (10000,); labels are digits 0-9.

    Example:
        >>> (x, y), _ = engine.keras.datasets.mnist.load_data()  # doctest: +SKIP
        >>> x.shape, y[:3]  # doctest: +SKIP
        ((60000, 28, 28), array([5, 0, 4], dtype=uint8))
    """
    path = download.get_file(path, origin=download.ORIGINS["keras"] + "mnist.npz",
                             file_hash=FILE_HASH, cache_dir=cache_dir)
    with np.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
