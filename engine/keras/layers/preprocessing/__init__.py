"""Keras preprocessing layers: normalization, discretization, lookups, hashing, text, images.

Numeric layers (`Normalization`, `Rescaling`, `Discretization`, `CategoryEncoding`,
`IntegerLookup`) and the image layers (`Resizing`, `CenterCrop`, `RandomFlip`,
`RandomRotation`, ...) compute with engine ops, so they trace into graphs and run on any
device. String layers (`StringLookup`, `TextVectorization`, `Hashing`) run their string
work as NumPy code on the host: eagerly at once, and inside `engine.function` (traced
train steps, `engine.data` map functions) as `engine.py_function` nodes (see `host.py`).
`adapt` always runs eagerly.
"""

from engine.keras.layers.preprocessing.category_encoding import CategoryEncoding
from engine.keras.layers.preprocessing.discretization import Discretization
from engine.keras.layers.preprocessing.hashing import Hashing
from engine.keras.layers.preprocessing.image_geometry import (
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
)
from engine.keras.layers.preprocessing.image_intensity import RandomBrightness, RandomContrast
from engine.keras.layers.preprocessing.image_resizing import (
    CenterCrop,
    RandomCrop,
    RandomHeight,
    RandomWidth,
    Resizing,
)
from engine.keras.layers.preprocessing.integer_lookup import IntegerLookup
from engine.keras.layers.preprocessing.normalization import Normalization, Rescaling
from engine.keras.layers.preprocessing.preprocessing_layer import PreprocessingLayer
from engine.keras.layers.preprocessing.string_lookup import StringLookup
from engine.keras.layers.preprocessing.text_vectorization import TextVectorization

__all__ = ["CategoryEncoding", "Discretization", "Hashing", "IntegerLookup", "Normalization",
           "PreprocessingLayer", "Rescaling", "StringLookup", "TextVectorization",
           # images
           "CenterCrop", "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip",
           "RandomHeight", "RandomRotation", "RandomTranslation", "RandomWidth", "RandomZoom",
           "Resizing"]
