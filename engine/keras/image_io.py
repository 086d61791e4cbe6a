"""Reading and writing image files with Pillow (Keras 2's image helpers).

`load_img`, `img_to_array`, `array_to_img` and `save_img`, as in `tf.keras.utils`.

Pillow is imported only when one of these runs, so eagerlab imports without it; without
Pillow they raise ImportError saying how to install it.
"""

from __future__ import annotations

import io
import os

import numpy as np

__all__ = ["load_img", "img_to_array", "array_to_img", "save_img", "pil_image"]

_COLOR_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "hamming", "box", "lanczos")


def pil_image(what: str = "image loading"):
    """Pillow's `PIL.Image` module, or an ImportError saying how to install it.

    Args:
        what: the feature that needs Pillow, for the message.

    Returns:
        The `PIL.Image` module.

    Raises:
        ImportError: if Pillow is not installed.

    Example:
        >>> engine.keras.image_io.pil_image().__name__  # doctest: +SKIP
        'PIL.Image'
    """
    try:
        from PIL import Image  # noqa: PLC0415 - optional dependency
    except ImportError:
        raise ImportError(f"{what} needs Pillow, which is not installed; install it with "
                          "`pip install pillow`.") from None
    return Image


def _data_format(data_format) -> str:
    if data_format is None:
        from engine.keras.backend import image_data_format  # noqa: PLC0415

        return image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"data_format={data_format!r}; expected 'channels_last' or "
                         "'channels_first'.")
    return data_format


def load_img(path, grayscale=False, color_mode="rgb", target_size=None,
             interpolation="nearest", keep_aspect_ratio=False):
    """Loads an image file into a PIL image (needs Pillow).

    Args:
        path: a file path (str or path-like) or a binary file object.
        grayscale: deprecated: same as `color_mode="grayscale"`.
        color_mode: "grayscale", "rgb" or "rgba".
        target_size: `(height, width)` to resize to, or None to keep the size.
        interpolation: the resampling: "nearest", "bilinear", "bicubic", "hamming", "box"
            or "lanczos".
        keep_aspect_ratio: crop the middle of the image to the target's aspect ratio
            before resizing.

    Returns:
        A PIL image.

    Raises:
        ImportError: without Pillow.
        ValueError: for an unknown color mode or interpolation.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
        >>> engine.keras.utils.save_img(path, np.zeros((4, 6, 3)))  # doctest: +SKIP
        >>> engine.keras.utils.load_img(path, target_size=(2, 3)).size  # doctest: +SKIP
        (3, 2)
    """
    image_module = pil_image("load_img")
    if grayscale:
        color_mode = "grayscale"
    if color_mode not in _COLOR_MODES:
        raise ValueError(f"load_img: color_mode={color_mode!r}; expected one of "
                         f"{list(_COLOR_MODES)}.")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"load_img: interpolation={interpolation!r}; expected one of "
                         f"{list(_INTERPOLATIONS)}.")
    if isinstance(path, (str, bytes, os.PathLike)):
        with open(path, "rb") as file:
            image = image_module.open(io.BytesIO(file.read()))
    else:
        image = image_module.open(path)
    mode = _COLOR_MODES[color_mode]
    if image.mode != mode:
        image = image.convert(mode)
    if target_size is not None:
        height, width = int(target_size[0]), int(target_size[1])
        if image.size != (width, height):
            if keep_aspect_ratio:
                image = image.crop(_centre_box(image.size, width, height))
            resample = getattr(image_module.Resampling, interpolation.upper())
            image = image.resize((width, height), resample)
    return image


def _centre_box(size, width: int, height: int) -> tuple:
    old_w, old_h = size
    crop_w = min(old_w, old_h * width // height)
    crop_h = min(old_h, old_w * height // width)
    left, top = (old_w - crop_w) // 2, (old_h - crop_h) // 2
    return left, top, left + crop_w, top + crop_h


def img_to_array(img, data_format=None, dtype=None) -> np.ndarray:
    """A PIL image as a NumPy array `(height, width, channels)` (or channels first).

    Args:
        img: a PIL image.
        data_format: "channels_last" or "channels_first" (default: the backend's).
        dtype: the array dtype (default: `floatx()`).

    Returns:
        A 3-D NumPy array (grayscale images get one channel).

    Raises:
        ValueError: for an image that is not 2-D or 3-D.

    Example:
        >>> from PIL import Image  # doctest: +SKIP
        >>> engine.keras.utils.img_to_array(Image.new("L", (3, 2))).shape  # doctest: +SKIP
        (2, 3, 1)
    """
    data_format = _data_format(data_format)
    if dtype is None:
        from engine.keras.backend import floatx  # noqa: PLC0415

        dtype = floatx()
    array = np.asarray(img, dtype=dtype)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"img_to_array: got an image of shape {array.shape}; expected "
                         "(height, width) or (height, width, channels).")
    return array.transpose(2, 0, 1) if data_format == "channels_first" else array


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A 3-D array (height, width, 1/3/4 channels) as a PIL image (needs Pillow).

    Args:
        x: a NumPy array or tensor.
        data_format: "channels_last" or "channels_first" (default: the backend's).
        scale: stretch the values to 0..255 (by their min and max) first.
        dtype: accepted for Keras 2 compatibility (the array is cast to uint8).

    Returns:
        A PIL image ("L", "RGB" or "RGBA").

    Raises:
        ImportError: without Pillow.
        ValueError: for a shape that is not an image.

    Example:
        >>> img = engine.keras.utils.array_to_img(np.ones((2, 3, 3)))  # doctest: +SKIP
        >>> img.size, img.mode  # doctest: +SKIP
        ((3, 2), 'RGB')
    """
    image_module = pil_image("array_to_img")
    del dtype
    x = np.asarray(x, dtype="float64")
    if x.ndim != 3:
        raise ValueError(f"array_to_img: got an array of shape {x.shape}; expected 3-D "
                         "(height, width, channels).")
    if _data_format(data_format) == "channels_first":
        x = x.transpose(1, 2, 0)
    if x.shape[2] not in (1, 3, 4):
        raise ValueError(f"array_to_img: got {x.shape[2]} channels; expected 1, 3 or 4.")
    if scale:
        x = x - x.min()
        top = x.max()
        x = x / top * 255 if top > 0 else x
    pixels = np.clip(np.rint(x), 0, 255).astype("uint8")
    mode = {1: "L", 3: "RGB", 4: "RGBA"}[x.shape[2]]
    return image_module.fromarray(pixels[:, :, 0] if mode == "L" else pixels, mode)


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs) -> None:
    """Saves a 3-D array as an image file (needs Pillow).

    Args:
        path: the file path (or a binary file object).
        x: a NumPy array or tensor `(height, width, channels)`.
        data_format: "channels_last" or "channels_first" (default: the backend's).
        file_format: e.g. "png" (default: from the file name).
        scale: stretch the values to 0..255 first.
        **kwargs: passed to Pillow's `Image.save`.

    Raises:
        ImportError: without Pillow.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "x.png")
        >>> engine.keras.utils.save_img(path, np.zeros((2, 2, 1)))  # doctest: +SKIP
        >>> os.path.exists(path)  # doctest: +SKIP
        True
    """
    image = array_to_img(x, data_format=data_format, scale=scale)
    if image.mode == "RGBA" and (file_format or str(path)).lower().endswith(("jpg", "jpeg")):
        image = image.convert("RGB")
    image.save(path, format=file_format, **kwargs)
