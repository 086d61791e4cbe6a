"""`engine.image`: resizing, cropping, flipping and color adjustment (TF 2's `tf.image`).

Images are 3-D `(height, width, channels)` or 4-D `(batch, height, width, channels)`
tensors; every function works eagerly, inside `engine.function` and in `Dataset.map`.

Example:
    >>> image = engine.zeros([32, 48, 3])
    >>> engine.image.resize(engine.image.flip_left_right(image), [16, 24]).shape
    TensorShape([16, 24, 3])
"""

from engine.ops.image_color import *  # noqa: F403
from engine.ops.image_color_more import *  # noqa: F403
from engine.ops.image_more import *  # noqa: F403
from engine.ops.image_ops import *  # noqa: F403
from engine.ops.image_quality import *  # noqa: F403
from engine.ops.image_random import *  # noqa: F403
from engine.ops.image_resize import *  # noqa: F403
from engine.ops.png_codec import *  # noqa: F403
