"""Fashion-MNIST: 70,000 28x28 grayscale images of 10 kinds of clothing."""

from __future__ import annotations

import gzip

import numpy as np

from engine.keras.datasets import download

__all__ = ["load_data"]

FILE_HASHES = {
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def _read(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data(cache_dir=None):
    """Loads Fashion-MNIST, downloading its four files once (30 MB) into the cache.

    Labels: 0 T-shirt/top, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt,
    7 sneaker, 8 bag, 9 ankle boot.

    Args:
        cache_dir: the cache folder (default `$EAGERLAB_DATA_DIR` or
            `~/.eagerlab/datasets`); the files go to its `fashion-mnist` subfolder.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28) and (10000,).

    Example:
        >>> (x, y), _ = engine.keras.datasets.fashion_mnist.load_data()  # doctest: +SKIP
        >>> x.shape  # doctest: +SKIP
        (60000, 28, 28)
    """
    paths = {name: download.get_file(name, origin=download.ORIGINS["keras"] + name,
                                     file_hash=digest, cache_dir=cache_dir,
                                     cache_subdir="fashion-mnist")
             for name, digest in FILE_HASHES.items()}
    y_train = _read(paths["train-labels-idx1-ubyte.gz"], 8)
    x_train = _read(paths["train-images-idx3-ubyte.gz"], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths["t10k-labels-idx1-ubyte.gz"], 8)
    x_test = _read(paths["t10k-images-idx3-ubyte.gz"], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
