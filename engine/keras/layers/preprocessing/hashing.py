"""`Hashing`: strings or integers to `num_bins` buckets by a stable hash.

The hashes are TensorFlow's: FarmHash `Fingerprint64` by default (`to_hash_bucket_fast`),
SipHash-2-4 keyed by `salt` otherwise (`to_hash_bucket_strong`); integers are hashed as
their decimal strings, as Keras does. So the buckets equal TensorFlow's for the same
inputs (tests check Keras' documented examples). The hashing runs on the host (see
`host.py`); the other output modes are engine ops on the bucket indices.
"""

from __future__ import annotations

import numpy as np

from engine import dtypes as _dt
from engine.errors import DTypeError
from engine.keras.layers.preprocessing.category_encoding import (
    COUNT,
    INT,
    MULTI_HOT,
    ONE_HOT,
    encode_categorical,
)
from engine.keras.layers.preprocessing.host import on_host, strings_array
from engine.keras.layers.preprocessing.preprocessing_layer import (
    ValuesInputLayer,
    check_output_mode,
)
from engine.ops import math_ops
from engine.ops.fingerprint import as_bytes_array, fingerprint64, siphash64

__all__ = ["Hashing"]


class Hashing(ValuesInputLayer):
    """Hashes strings or integers into `num_bins` buckets (the "hashing trick").

    Args:
        num_bins: the number of buckets, mask bucket included.
        mask_value: a value that goes to bucket 0 (the others then use buckets 1 to
            `num_bins - 1`), or None.
        salt: None for FarmHash64; an int or a pair of ints to key SipHash64 instead.
        output_mode: "int" (bucket indices, int64), "one_hot", "multi_hot" or "count".
        sparse: only False.

    Example:
        >>> layer = engine.keras.layers.Hashing(num_bins=3)
        >>> layer([["A"], ["B"], ["C"], ["D"], ["E"]]).numpy().ravel()
        array([1, 0, 1, 1, 2])
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode=INT, sparse=False,
                 **kwargs):
        output_mode = check_output_mode("Hashing", output_mode,
                                        (INT, ONE_HOT, MULTI_HOT, COUNT))
        dtype = kwargs.get("dtype")
        if dtype is None or (output_mode == INT and not _dt.as_dtype(dtype).is_integer):
            from engine.keras import backend  # noqa: PLC0415

            kwargs["dtype"] = "int64" if output_mode == INT else backend.floatx()
        super().__init__(**kwargs)
        if not isinstance(num_bins, (int, np.integer)) or num_bins < 1:
            raise ValueError(f"Hashing: num_bins must be a positive integer; got "
                             f"{num_bins!r}.")
        if isinstance(salt, (int, np.integer)) and not isinstance(salt, bool):
            salt = [int(salt), int(salt)]
        elif salt is not None:
            if not (isinstance(salt, (list, tuple)) and len(salt) == 2
                    and all(isinstance(s, (int, np.integer)) for s in salt)):
                raise ValueError(f"Hashing: salt must be None, an integer or a pair of "
                                 f"integers; got {salt!r}.")
            salt = [int(s) for s in salt]
        if salt is not None and not all(0 <= s < 2 ** 64 for s in salt):
            raise ValueError(f"Hashing: salt values must be in [0, 2**64); got {salt}.")
        if sparse:
            raise ValueError("Hashing: sparse=True is not supported (the engine has no sparse "
                             "tensors); use sparse=False.")
        self.num_bins = int(num_bins)
        self.mask_value = mask_value
        self.salt = salt
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs):
        dtype = inputs.dtype
        if dtype is not _dt.string and not dtype.is_integer:
            raise DTypeError(f"{self.name}: expected string or integer inputs; got a "
                             f"{dtype.name} tensor. Cast floats to integers or strings first.")
        if self.mask_value is not None and isinstance(self.mask_value, str) != (
                dtype is _dt.string):
            raise DTypeError(f"{self.name}: mask_value={self.mask_value!r} cannot match "
                             f"{dtype.name} inputs; give a mask value of the inputs' kind.")
        buckets = on_host(self.hash_array, [inputs], _dt.int64, inputs.shape.dims)
        if self.output_mode == INT:
            return buckets if self._dtype is _dt.int64 else math_ops.cast(buckets, self._dtype)
        return encode_categorical(buckets, self.output_mode, self.num_bins, self._dtype,
                                  self.name)

    def hash_array(self, values: np.ndarray) -> np.ndarray:
        """The bucket of each value of a NumPy array (strings as bytes, or integers)."""
        if values.dtype.kind in "USO":
            values = strings_array(values)
        bins = self.num_bins
        mask = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            key = self.mask_value.encode() if isinstance(self.mask_value, str) \
                else self.mask_value
            mask = values == key
        strings = as_bytes_array(values)
        if self.salt is None:
            hashes = fingerprint64(strings)
        else:
            hashes = siphash64(strings, self.salt)
        out = (hashes % np.uint64(bins)).astype(np.int64).reshape(values.shape)
        if mask is not None:
            out = np.where(mask, 0, out + 1)
        return out

    def get_config(self) -> dict:
        """The layer's arguments."""
        config = super().get_config()
        config.update({"num_bins": self.num_bins, "mask_value": self.mask_value,
                       "salt": self.salt, "output_mode": self.output_mode,
                       "sparse": self.sparse})
        return config
