"""IMDB movie reviews: 50,000 reviews as word-index sequences, labelled by sentiment.

Words are indexed by frequency in the training set (1 is the most frequent word), then
shifted by `index_from`, so that 0 can pad, `start_char` can start each review and
`oov_char` can stand for words cut by `num_words` or `skip_top`. The published file holds
Python lists, so it is read with pickling allowed, after its SHA-256 matched.
"""

from __future__ import annotations

import json

import numpy as np

from engine.keras.datasets import download

__all__ = ["load_data", "get_word_index"]

FILE_HASH = "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"
WORD_INDEX_HASH = "bfafd718b763782e994055a2d397834f"  # MD5, as Keras publishes it


def _shuffled(x, y, rng: np.random.RandomState):
    order = np.arange(len(x))
    rng.shuffle(order)
    return x[order], y[order]


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, cache_dir=None):
    """Loads IMDB reviews, downloading them once (17 MB) into the dataset cache.

    Args:
        path: the file name in the cache folder (or an absolute path).
        num_words: keep only the `num_words` most frequent words (others become
            `oov_char`, or are dropped if it is None); None keeps all.
        skip_top: treat the `skip_top` most frequent words as out of vocabulary too.
        maxlen: drop reviews with `maxlen` or more words (None keeps all).
        seed: the seed of the shuffle of each split.
        start_char: the index that starts every review (None: no start marker).
        oov_char: the index of out-of-vocabulary words (None: drop them).
        index_from: the amount added to every word index.
        cache_dir: the cache folder (default `$EAGERLAB_DATA_DIR` or
            `~/.eagerlab/datasets`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: object arrays of lists of ints, and int
        label arrays (1 positive, 0 negative); 25,000 reviews each.

    Raises:
        ValueError: if `maxlen` removes every review of a split.

    Example:
        >>> (x, y), _ = engine.keras.datasets.imdb.load_data(num_words=10000)  # doctest: +SKIP
        >>> len(x), x[0][:3]  # doctest: +SKIP
        (25000, [1, 14, 22])
    """
    path = download.get_file(path, origin=download.ORIGINS["keras"] + "imdb.npz",
                             file_hash=FILE_HASH, cache_dir=cache_dir)
    with np.load(path, allow_pickle=True) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    rng = np.random.RandomState(seed)
    x_train, y_train = _shuffled(x_train, y_train, rng)
    x_test, y_test = _shuffled(x_test, y_test, rng)
    lead = [] if start_char is None else [start_char]
    x_train = [lead + [w + index_from for w in x] for x in x_train]
    x_test = [lead + [w + index_from for w in x] for x in x_test]
    if maxlen:
        x_train, y_train = _shorter_than(maxlen, x_train, y_train)
        x_test, y_test = _shorter_than(maxlen, x_test, y_test)
    if not num_words:
        num_words = max(max(x) for x in x_train + x_test if x)
    xs = [_clip(x, skip_top, num_words, oov_char) for x in x_train + x_test]
    cut = len(x_train)
    return ((_object_array(xs[:cut]), np.asarray(y_train)),
            (_object_array(xs[cut:]), np.asarray(y_test)))


def _shorter_than(maxlen: int, xs: list, ys):
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    if not keep:
        raise ValueError(f"imdb.load_data: no review is shorter than maxlen={maxlen}; "
                         "raise maxlen.")
    return [xs[i] for i in keep], np.asarray(ys)[keep]


def _clip(x: list, skip_top: int, num_words: int, oov_char) -> list:
    if oov_char is None:
        return [w for w in x if skip_top <= w < num_words]
    return [w if skip_top <= w < num_words else oov_char for w in x]


def _object_array(lists: list) -> np.ndarray:
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out


def get_word_index(path="imdb_word_index.json", cache_dir=None):
    """Loads the word -> index dictionary of the IMDB reviews (before `index_from`).

    Args:
        path: the file name in the cache folder (or an absolute path).
        cache_dir: the cache folder (default `$EAGERLAB_DATA_DIR` or
            `~/.eagerlab/datasets`).

    Returns:
        A dict from words to their frequency rank (1 is the most frequent).

    Example:
        >>> index = engine.keras.datasets.imdb.get_word_index()  # doctest: +SKIP
        >>> index["the"]  # doctest: +SKIP
        1
    """
    path = download.get_file(path, origin=download.ORIGINS["keras"] + "imdb_word_index.json",
                             file_hash=WORD_INDEX_HASH, cache_dir=cache_dir)
    with open(path, encoding="utf-8") as f:
        return json.load(f)
