"""Keras 2's `preprocessing.image`: the image file helpers.

`load_img`, `img_to_array`, `array_to_img`, `save_img` (Pillow, imported when first used).

`ImageDataGenerator` is not provided: use the random image layers
(`engine.keras.layers.RandomFlip`, `RandomRotation`, ...) in the model or in a
`Dataset.map` instead.

Example:
    >>> engine.keras.preprocessing.image.img_to_array(np.zeros((2, 2))).shape
    (2, 2, 1)
"""

from engine.keras.image_io import array_to_img, img_to_array, load_img, save_img

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img"]
