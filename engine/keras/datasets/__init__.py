"""`engine.keras.datasets`: small standard datasets as NumPy arrays (Keras' loaders).

`mnist`, `fashion_mnist`, `cifar10`, `imdb` and `boston_housing` download their files once
from the public Keras mirrors into `~/.eagerlab/datasets` (or `$EAGERLAB_DATA_DIR`, or a
`cache_dir` argument), check their SHA-256, and load them from the cache afterwards,
without network. `digits` loads scikit-learn's bundled 8x8 digits, with no download.
`download.get_file` does the downloading for all of them.

Example:
    >>> sorted(m for m in dir(engine.keras.datasets) if not m.startswith("_"))[:3]
    ['boston_housing', 'cifar10', 'digits']
"""

from engine.keras.datasets import (  # noqa: F401
    boston_housing,
    cifar10,
    digits,
    download,
    fashion_mnist,
    imdb,
    mnist,
)
