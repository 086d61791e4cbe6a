"""Digits: 1,797 8x8 images of handwritten digits, available offline from scikit-learn.

The images ship inside scikit-learn (`sklearn.datasets.load_digits`), so this dataset
needs no download: it is the small, always-available dataset for tests, tutorials and
notebooks. scikit-learn is an optional dependency; without it `load_data` says how to
install it.
"""

from __future__ import annotations

import numpy as np

from engine.keras.datasets.boston_housing import split

__all__ = ["load_data"]


def load_data(test_split=0.2, seed=113):
    """Loads the 8x8 digits (pixel values 0-16) from scikit-learn, shuffled and split.

    Args:
        test_split: the fraction of images kept for the test set.
        seed: the seed of the shuffle before the split.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (n, 8, 8) and (n,);
        1,437 training and 360 test images with the default split.

    Raises:
        ImportError: if scikit-learn is not installed.

    Example:
        >>> (x, y), (x_test, _) = engine.keras.datasets.digits.load_data()  # doctest: +SKIP
        >>> x.shape, x_test.shape, int(x.max())  # doctest: +SKIP
        ((1437, 8, 8), (360, 8, 8), 16)
    """
    try:
        from sklearn.datasets import load_digits  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise ImportError("digits.load_data needs scikit-learn, which ships the 8x8 digits "
                          "images (no download): pip install scikit-learn") from None
    bunch = load_digits()
    x = bunch.images.astype(np.uint8)
    y = bunch.target.astype(np.uint8)
    return split(x, y, test_split, seed, "digits.load_data")
