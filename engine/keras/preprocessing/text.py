"""Keras 2's legacy text helpers: `Tokenizer` and the word-splitting functions.

`Tokenizer`, `text_to_word_sequence`, `one_hot`, `hashing_trick`, `tokenizer_from_json`.

They work on Python strings and return Python lists or NumPy arrays (for new code Keras
recommends the `TextVectorization` layer, which eagerlab has too). Words are split by
`text_to_word_sequence`: lower-cased, every character of `filters` replaced by `split`,
then split on `split`, with empty pieces dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter, OrderedDict, defaultdict

import numpy as np

__all__ = ["Tokenizer", "text_to_word_sequence", "one_hot", "hashing_trick",
           "tokenizer_from_json"]

FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(input_text, filters=FILTERS, lower=True, split=" "):
    """Splits a text into a list of words.

    Args:
        input_text: a string.
        filters: characters to remove (each is replaced by `split`).
        lower: lower-case the text first.
        split: the word separator.

    Returns:
        A list of words.

    Raises:
        TypeError: if `input_text` is not a string.

    Example:
        >>> engine.keras.preprocessing.text.text_to_word_sequence("Hello, World!  Again")
        ['hello', 'world', 'again']
    """
    if not isinstance(input_text, str):
        raise TypeError(f"text_to_word_sequence: got {type(input_text).__name__}; expected "
                        "a str (decode bytes first with .decode('utf-8')).")
    if lower:
        input_text = input_text.lower()
    input_text = input_text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in input_text.split(split) if word]


def _hash_function(hash_function):
    if hash_function is None:
        return hash
    if hash_function == "md5":
        return lambda word: int(hashlib.md5(word.encode()).hexdigest(), 16)
    if not callable(hash_function):
        raise ValueError(f"hashing_trick: hash_function={hash_function!r}; expected None, "
                         "'md5' or a function from str to int.")
    return hash_function


def hashing_trick(text, n, hash_function=None, filters=FILTERS, lower=True, split=" ",
                  analyzer=None):
    """Words to indices in [1, n) by hashing (collisions possible; 0 is never used).

    Python's `hash` of strings changes between processes unless `PYTHONHASHSEED` is set:
    pass `hash_function="md5"` for indices that are stable.

    Args:
        text: a string.
        n: the size of the index space (indices go from 1 to n - 1).
        hash_function: None (Python's `hash`), "md5", or a function from str to int.
        filters: characters to remove.
        lower: lower-case the text first.
        split: the word separator.
        analyzer: a function from the text to its words, instead of the splitting above.

    Returns:
        A list of integers.

    Example:
        >>> engine.keras.preprocessing.text.hashing_trick("a b a", 10, "md5")
        [2, 5, 2]
    """
    if int(n) < 2:
        raise ValueError(f"hashing_trick: n={n!r}; expected n >= 2 (indices are 1..n-1).")
    hasher = _hash_function(hash_function)
    words = analyzer(text) if analyzer is not None else text_to_word_sequence(
        text, filters, lower, split)
    return [hasher(word) % (int(n) - 1) + 1 for word in words]


def one_hot(input_text, n, filters=FILTERS, lower=True, split=" ", analyzer=None):
    """Words to indices in [1, n) with Python's `hash` (Keras 2's `one_hot`).

    Args:
        input_text: a string.
        n: the size of the index space.
        filters: characters to remove.
        lower: lower-case the text first.
        split: the word separator.
        analyzer: a function from the text to its words.

    Returns:
        A list of integers, one per word (equal words get equal indices).

    Example:
        >>> ids = engine.keras.preprocessing.text.one_hot("cat dog cat", 50)
        >>> ids[0] == ids[2], all(1 <= i < 50 for i in ids)
        (True, True)
    """
    return hashing_trick(input_text, n, hash, filters, lower, split, analyzer)


class Tokenizer:
    """Builds a word index from texts, then turns texts into index lists or matrices.

    Index 0 is reserved (padding); with `oov_token` it gets index 1 and stands for
    unknown words. Words are ranked by count, ties in first-seen order.

    Args:
        num_words: keep only words of index < `num_words` when converting (None: all).
        filters: characters removed from texts.
        lower: lower-case texts.
        split: the word separator.
        char_level: treat every character as a word.
        oov_token: the word that replaces unknown words (None: drop them).
        analyzer: a function from a text to its words, instead of splitting.
        document_count: the number of texts seen so far (for restoring).
        **kwargs: none are accepted (a clear error names them).

    Example:
        >>> tok = engine.keras.preprocessing.text.Tokenizer(oov_token="<?>")
        >>> tok.fit_on_texts(["the cat sat", "the dog"])
        >>> tok.word_index
        {'<?>': 1, 'the': 2, 'cat': 3, 'sat': 4, 'dog': 5}
        >>> tok.texts_to_sequences(["the bird sat"])
        [[2, 1, 4]]
    """

    def __init__(self, num_words=None, filters=FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, analyzer=None, document_count=0,
                 **kwargs):
        if kwargs:
            raise TypeError(f"Tokenizer: unexpected arguments {sorted(kwargs)}; accepted: "
                            "num_words, filters, lower, split, char_level, oov_token, "
                            "analyzer, document_count.")
        if num_words is not None and (isinstance(num_words, bool) or int(num_words) < 1):
            raise ValueError(f"Tokenizer: num_words={num_words!r}; expected a positive int "
                             "or None.")
        self.num_words, self.filters, self.lower, self.split = num_words, filters, lower, split
        self.char_level, self.oov_token, self.analyzer = char_level, oov_token, analyzer
        self.document_count = document_count
        self.word_counts: OrderedDict = OrderedDict()
        self.word_docs: defaultdict = defaultdict(int)
        self.index_docs: defaultdict = defaultdict(int)
        self.word_index: dict = {}
        self.index_word: dict = {}

    def _words(self, text) -> list:
        if self.char_level or isinstance(text, list):
            if self.lower:
                text = [t.lower() for t in text] if isinstance(text, list) else text.lower()
            return list(text)
        if self.analyzer is not None:
            return list(self.analyzer(text))
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts) -> None:
        """Counts the words of `texts` and rebuilds `word_index` and `index_word`.

        Args:
            texts: a list of strings (or of lists of words).

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_texts(["b a b"])
            >>> tok.word_index, tok.word_counts["b"], tok.document_count
            ({'b': 1, 'a': 2}, 2, 1)
        """
        if isinstance(texts, str):
            raise TypeError("Tokenizer.fit_on_texts: got one string; expected a list of "
                            f"texts, e.g. fit_on_texts([{texts[:20]!r}]).")
        for text in texts:
            self.document_count += 1
            words = self._words(text)
            for word in words:
                self.word_counts[word] = self.word_counts.get(word, 0) + 1
            for word in set(words):
                self.word_docs[word] += 1
        ranked = sorted(self.word_counts.items(), key=lambda item: -item[1])  # stable
        vocabulary = [self.oov_token] if self.oov_token is not None else []
        vocabulary += [word for word, _ in ranked if word != self.oov_token]
        self.word_index = {word: i for i, word in enumerate(vocabulary, start=1)}
        self.index_word = {i: word for word, i in self.word_index.items()}
        self.index_docs = defaultdict(int, {self.word_index[w]: c
                                            for w, c in self.word_docs.items()})

    def fit_on_sequences(self, sequences) -> None:
        """Counts documents per index (for `sequences_to_matrix(mode="tfidf")`).

        Args:
            sequences: a list of lists of word indices.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_sequences([[1, 2, 2], [2]])
            >>> tok.document_count, dict(tok.index_docs)
            (2, {1: 1, 2: 2})
        """
        for seq in sequences:
            self.document_count += 1
            for index in set(seq):
                self.index_docs[index] += 1

    def _oov_index(self):
        return self.word_index.get(self.oov_token) if self.oov_token is not None else None

    def texts_to_sequences_generator(self, texts):
        """Yields the index list of each text (words beyond `num_words` become OOV).

        Args:
            texts: a list of strings.

        Yields:
            A list of ints per text.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_texts(["a b"])
            >>> next(tok.texts_to_sequences_generator(["b a c"]))
            [2, 1]
        """
        oov = self._oov_index()
        for text in texts:
            ids = []
            for word in self._words(text):
                index = self.word_index.get(word)
                if index is not None and not (self.num_words and index >= self.num_words):
                    ids.append(index)
                elif oov is not None:
                    ids.append(oov)
            yield ids

    def texts_to_sequences(self, texts) -> list:
        """The index list of each text.

        Args:
            texts: a list of strings.

        Returns:
            A list of lists of ints.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer(num_words=3)
            >>> tok.fit_on_texts(["x x y z"])
            >>> tok.texts_to_sequences(["z y x"])
            [[2, 1]]
        """
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        """Yields the text (words joined by spaces) of each index list.

        Args:
            sequences: a list of lists of ints.

        Yields:
            A string per list.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_texts(["a b"])
            >>> next(tok.sequences_to_texts_generator([[2, 1, 9]]))
            'b a'
        """
        oov = self._oov_index()
        for seq in sequences:
            words = []
            for index in seq:
                word = self.index_word.get(int(index))
                if word is not None and not (self.num_words and index >= self.num_words):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def sequences_to_texts(self, sequences) -> list:
        """The text of each index list (the inverse of `texts_to_sequences`).

        Args:
            sequences: a list of lists of ints.

        Returns:
            A list of strings.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_texts(["the cat"])
            >>> tok.sequences_to_texts(tok.texts_to_sequences(["cat the"]))
            ['cat the']
        """
        return list(self.sequences_to_texts_generator(sequences))

    def texts_to_matrix(self, texts, mode="binary") -> np.ndarray:
        """One row per text, one column per word index (see `sequences_to_matrix`).

        Args:
            texts: a list of strings.
            mode: "binary", "count", "freq" or "tfidf".

        Returns:
            A float64 array `(len(texts), num_words)`.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_texts(["a a b"])
            >>> tok.texts_to_matrix(["a a b"], mode="count")
            array([[0., 2., 1.]])
        """
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary") -> np.ndarray:
        """One row per index list: presence, count, frequency or TF-IDF of each index.

        Columns go up to `num_words` (default: `len(word_index) + 1`); larger indices are
        ignored. TF-IDF is `(1 + log(count)) * log(1 + documents / (1 + documents with
        the word))`.

        Args:
            sequences: a list of lists of ints.
            mode: "binary", "count", "freq" or "tfidf".

        Returns:
            A float64 array `(len(sequences), num_words)`.

        Raises:
            ValueError: for an unknown mode, or without `num_words` nor a fitted index.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer(num_words=4)
            >>> tok.sequences_to_matrix([[1, 1, 3]], mode="freq").round(3)
            array([[0.   , 0.667, 0.   , 0.333]])
        """
        if mode not in _MODES:
            raise ValueError(f"Tokenizer: unknown mode {mode!r}; expected one of "
                             f"{list(_MODES)}.")
        width = self.num_words or (len(self.word_index) + 1 if self.word_index else None)
        if not width:
            raise ValueError("Tokenizer: give num_words, or call fit_on_texts first, so that "
                             "the matrix width is known.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Tokenizer: fit on some texts (fit_on_texts or "
                             "fit_on_sequences) before using mode='tfidf'.")
        out = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            counts = Counter(int(j) for j in seq if int(j) < width)
            for j, count in counts.items():
                if mode == "count":
                    out[row, j] = count
                elif mode == "freq":
                    out[row, j] = count / len(seq)
                elif mode == "binary":
                    out[row, j] = 1.0
                else:
                    idf = np.log(1 + self.document_count / (1 + self.index_docs.get(j, 0)))
                    out[row, j] = (1 + np.log(count)) * idf
        return out

    def get_config(self) -> dict:
        """The tokenizer's settings and counts, JSON-able (dicts as JSON strings).

        Returns:
            A dict.

        Example:
            >>> engine.keras.preprocessing.text.Tokenizer(num_words=5).get_config()["num_words"]
            5
        """
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower,
                "split": self.split, "char_level": self.char_level,
                "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs) -> str:
        """The tokenizer as a JSON string, for `tokenizer_from_json`.

        Args:
            **kwargs: passed to `json.dumps` (e.g. `indent=2`).

        Returns:
            A string.

        Example:
            >>> tok = engine.keras.preprocessing.text.Tokenizer()
            >>> tok.fit_on_texts(["hi there"])
            >>> again = engine.keras.preprocessing.text.tokenizer_from_json(tok.to_json())
            >>> again.word_index == tok.word_index
            True
        """
        return json.dumps({"class_name": "Tokenizer", "config": self.get_config()}, **kwargs)


def tokenizer_from_json(json_string):
    """The `Tokenizer` saved by `Tokenizer.to_json`.

    Args:
        json_string: the JSON string.

    Returns:
        A `Tokenizer` with the same settings, counts and index.

    Raises:
        ValueError: if the string is not a saved tokenizer.

    Example:
        >>> tok = engine.keras.preprocessing.text.Tokenizer(oov_token="?")
        >>> tok.fit_on_texts(["a b b"])
        >>> text = tok.to_json()
        >>> engine.keras.preprocessing.text.tokenizer_from_json(text).texts_to_sequences(["b c"])
        [[2, 1]]
    """
    try:
        config = dict(json.loads(json_string)["config"])
        counts = {key: json.loads(config.pop(key)) for key in (
            "word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    except (TypeError, ValueError, KeyError) as err:
        raise ValueError(f"tokenizer_from_json: not a saved Tokenizer ({err!r}); pass the "
                         "string returned by Tokenizer.to_json().") from None
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(counts["word_counts"])
    tokenizer.word_docs = defaultdict(int, counts["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in counts["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in counts["index_word"].items()}
    tokenizer.word_index = counts["word_index"]
    return tokenizer
