"""`engine.signal`: FFTs, windows, framing, STFTs and mel features (TF 2's `tf.signal`).

Transforms run over the innermost axes; leading axes are a batch. Every function works
eagerly and inside `engine.function`.

Example:
    >>> spectrum = engine.signal.rfft(engine.constant([1.0, 0.0, -1.0, 0.0]))
    >>> engine.signal.irfft(spectrum).numpy()
    array([ 1.,  0., -1.,  0.], dtype=float32)
"""

from engine.ops.fft_ops import *  # noqa: F403
from engine.ops.signal_more import *  # noqa: F403
from engine.ops.signal_ops import *  # noqa: F403
