"""`engine.keras.preprocessing`: Keras 2's legacy preprocessing helpers.

`sequence` (`pad_sequences`, `TimeseriesGenerator`), `text` (`Tokenizer` and friends) and
`image` (image file helpers), plus the dataset loaders Keras 2 also exposes here. New code
may prefer the preprocessing layers (`engine.keras.layers.TextVectorization`, ...).

Example:
    >>> engine.keras.preprocessing.sequence.pad_sequences([[1], [2, 3]])
    array([[0, 1],
           [2, 3]], dtype=int32)
"""

from engine.keras.array_datasets import timeseries_dataset_from_array
from engine.keras.directory_datasets import (
    image_dataset_from_directory,
    text_dataset_from_directory,
)
from engine.keras.preprocessing import image, sequence, text

__all__ = ["sequence", "text", "image", "image_dataset_from_directory",
           "text_dataset_from_directory", "timeseries_dataset_from_array"]
