"""CIFAR-10: 60,000 32x32 colour images in 10 classes (`keras.datasets.cifar10`).

The archive is read in place (the batches are taken out of the tarball in memory, nothing
is extracted). The batches are Python pickles, as published; they are read only after the
archive's SHA-256 matched, so only the published file is ever unpickled.
"""

from __future__ import annotations

import pickle
import tarfile

import numpy as np

from engine.keras.datasets import download

__all__ = ["load_data"]

ARCHIVE = "cifar-10-python.tar.gz"
FILE_HASH = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
_FOLDER = "cifar-10-batches-py"


def _batch(archive: tarfile.TarFile, name: str):
    member = archive.extractfile(f"{_FOLDER}/{name}")
    if member is None:
        raise ValueError(f"cifar10: {_FOLDER}/{name} in the archive is not a file.")
    batch = pickle.load(member, encoding="bytes")
    data = np.asarray(batch[b"data"], np.uint8).reshape(-1, 3, 32, 32)
    labels = np.asarray(batch[b"labels"], np.uint8).reshape(-1, 1)
    return data.transpose(0, 2, 3, 1), labels


def load_data(cache_dir=None):
    """Loads CIFAR-10, downloading the archive once (163 MB) into the dataset cache.

    Labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse,
    8 ship, 9 truck.

    Args:
        cache_dir: the cache folder (default `$EAGERLAB_DATA_DIR` or
            `~/.eagerlab/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (50000, 32, 32, 3),
        (50000, 1), (10000, 32, 32, 3) and (10000, 1) (channels last).

    Example:
        >>> (x, y), _ = engine.keras.datasets.cifar10.load_data()  # doctest: +SKIP
        >>> x.shape, y.shape  # doctest: +SKIP
        ((50000, 32, 32, 3), (50000, 1))
    """
    path = download.get_file(ARCHIVE, origin=download.ORIGINS["cifar"] + ARCHIVE,
                             file_hash=FILE_HASH, cache_dir=cache_dir)
    with tarfile.open(path, "r:gz") as archive:
        train = [_batch(archive, f"data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = _batch(archive, "test_batch")
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), (x_test, y_test)
