"""Attributes and shapes of the 3-D window ops (`Conv3D`, `MaxPool3D`, ...), shared by them.

The 3-D counterpart of `window_attrs`, on which it builds (`out_size`, `spatial`,
`freeze`, `is_channels_first`, `shape_of` serve every rank):

- TF's raw-op attributes (`strides`, `dilations`, `ksize` as NDHWC 5-tuples; `padding`
  `'SAME'` or `'VALID'`, since TF's 3-D ops have no explicit padding) to the `(d, h, w)`
  triples of `conv3d_kernels` (`kernel_args`, cached);
- the public functions' arguments (an int or a list of 1, 3 or 5 ints; NDHWC/NCDHW) to
  those attributes (`op_attrs`), and `run_ndhwc`, which runs an NDHWC op on NCDHW input by
  transposing to channels-last and back (the gradients flow through the transposes);
- the rank checks and spatial shape inference used by the ops' `infer`.
"""

from __future__ import annotations

import functools

from engine.dispatch import dispatch
from engine.errors import ShapeError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import window_attrs as _w
from engine.tensor_shape import TensorSpec

ONES = (1, 1, 1, 1, 1)
NDHWC_LAYOUT = "(batch, depth, height, width, channels) in NDHWC"
DHWIO_LAYOUT = "(depth, height, width, in_channels, out_channels)"
TO_LAST = (0, 2, 3, 4, 1)  # NCDHW -> NDHWC
TO_FIRST = (0, 4, 1, 2, 3)  # NDHWC -> NCDHW


@functools.lru_cache(maxsize=256)
def kernel_args(op: str, strides: tuple, padding: str, data_format: str,
                dilations: tuple = ONES) -> tuple:
    """Validates TF-style 3-D window attrs; returns `((sd, sh, sw), (dd, dh, dw), padding)`."""
    if data_format != "NDHWC":
        raise UnimplementedError(
            f"{op}: data_format {data_format!r} is not supported by the raw op (it computes in "
            "NDHWC, as TensorFlow's CPU kernels do). Call the engine.nn function with "
            f"data_format={data_format!r}, which transposes to NDHWC and back.", op=op)
    for what, value in (("strides", strides), ("dilations", dilations)):
        if len(value) != 5 or value[0] != 1 or value[4] != 1 or min(value) < 1:
            raise ShapeError(f"{op}: got {what} {list(value)}; expected 5 positive values "
                             f"[1, d, h, w, 1] in NDHWC order (batch and channel {what} must "
                             "be 1). Pass an int or a triple to the engine.nn function "
                             "instead.")
    if padding not in ("SAME", "VALID"):
        raise ShapeError(f"{op}: got padding {padding!r}; expected 'SAME' or 'VALID' (the 3-D "
                         "ops have no explicit padding: pad the input with engine.pad first).")
    return tuple(strides[1:4]), tuple(dilations[1:4]), padding


def attrs_args(op: str, attrs: dict) -> tuple:
    """`kernel_args` for an op's attrs dict (as `infer` and `vjp` rules receive them)."""
    return kernel_args(op, tuple(attrs["strides"]), attrs["padding"],
                       attrs.get("data_format", "NDHWC"), tuple(attrs.get("dilations", ONES)))


@functools.lru_cache(maxsize=256)
def pool_args(op: str, ksize: tuple, strides: tuple, padding: str, data_format: str) -> tuple:
    """Validated `((kd, kh, kw), (sd, sh, sw), padding)` for the 3-D pooling kernels."""
    s, _, pads = kernel_args(op, strides, padding, data_format)
    if len(ksize) != 5 or ksize[0] != 1 or ksize[4] != 1 or min(ksize) < 1:
        raise ShapeError(f"{op}: got ksize {list(ksize)}; expected 5 positive values "
                         "[1, kd, kh, kw, 1] (pooling over the batch or channel axis is not "
                         "supported).")
    return tuple(ksize[1:4]), s, pads


def rank5(op: str, s: TensorSpec, what: str, layout: str) -> list:
    """The 5 dimensions of `s` (None where unknown); ShapeError unless it is 5-D."""
    rank = s.shape.rank
    if rank is None:
        return [None] * 5
    if rank != 5:
        hint = (" Add a batch axis with engine.expand_dims(x, 0)." if rank == 4 and
                what in ("input", "orig_input") else "")
        raise ShapeError(f"{op}: got {what} of shape {s.shape} (rank {rank}); expected a 5-D "
                         f"{what} {layout}.{hint}")
    return s.shape.as_list()


def spatial_out(op: str, in_dhw, k_dhw, strides, dilations, padding: str) -> list:
    """`[out_d, out_h, out_w]` of a 3-D window op (None where unknown)."""
    return [_w.out_size(op, axis, in_dhw[a], k_dhw[a], strides[a], dilations[a], padding)
            for a, axis in enumerate(("depth", "height", "width"))]


def sizes_attr(op: str, sizes, what: str, runtime=None) -> list:
    """A 5-D shape attribute (`input_sizes`, `filter_sizes`, `orig_input_shape`) as a list
    of ints, None where a size is known only when the graph runs (`runtime`, the spec of
    the op's run-time shape input, is then given)."""
    if runtime is not None:
        if runtime.dtype.name not in ("int32", "int64") or not runtime.shape.is_compatible_with(
                [5]):
            raise ShapeError(f"{op}: got {what} as a {runtime.dtype.name} tensor of shape "
                             f"{runtime.shape}; expected a 1-D int32 tensor of 5 sizes, such "
                             "as engine.shape(x).")
        if sizes is None:
            return [None] * 5
    sizes = tuple(sizes) if sizes is not None else ()
    if len(sizes) != 5 or any(d is not None and int(d) < 0 for d in sizes) or (
            runtime is None and None in sizes):
        layout = DHWIO_LAYOUT if what == "filter_sizes" else NDHWC_LAYOUT
        raise ShapeError(f"{op}: got {what} {list(sizes)}; expected the 5 dimensions of a "
                         f"shape {layout}.")
    return [None if d is None else int(d) for d in sizes]


# --- public functions: argument normalization -------------------------------------------------
def _padding(op: str, padding) -> str:
    if isinstance(padding, str) and padding.upper() in ("SAME", "VALID"):
        return padding.upper()
    raise ShapeError(f"{op}: got padding {padding!r}; expected 'SAME' or 'VALID' (as in "
                     "TensorFlow, 3-D convolution and pooling take no explicit padding: pad "
                     "the input with engine.pad first).")


@functools.lru_cache(maxsize=256)
def _cached_op_attrs(op: str, first: bool, strides, padding, dilations, ksize) -> dict:
    attrs = {"strides": (1, *_w.spatial(op, "strides", strides, 3, first), 1),
             "padding": _padding(op, padding), "data_format": "NDHWC"}
    if ksize is not None:
        attrs["ksize"] = (1, *_w.spatial(op, "ksize", ksize, 3, first), 1)
    else:
        d = 1 if dilations is None else dilations
        attrs["dilations"] = (1, *_w.spatial(op, "dilations", d, 3, first), 1)
    return attrs


def op_attrs(op: str, first: bool, strides, padding, dilations=None, ksize=None) -> dict:
    """A fresh attrs dict for a 3-D raw op (`ksize` given: a pool, else a convolution).

    Args:
        op: the public function's name, for errors.
        first: whether the input is channels-first (NCDHW).
        strides, dilations, ksize: an int or a list of 1, 3 or 5 ints (5: in data_format
            order, with 1 for batch and channels).
        padding: `'SAME'` or `'VALID'`, any case.

    Returns:
        `{"strides", "padding", "data_format", "dilations" or "ksize"}` for NDHWC.
    """
    return dict(_cached_op_attrs(op, first, _w.freeze(strides), _w.freeze(padding),
                                 _w.freeze(dilations), _w.freeze(ksize)))


def check_input_rank(op: str, x) -> None:
    """ShapeError unless `x` (a tensor, array or nested list) is 5-D, before transposing."""
    shape = _w.shape_of(x)
    if shape is not None and len(shape) != 5:
        hint = " Add a batch axis with engine.expand_dims(x, 0)." if len(shape) == 4 else ""
        raise ShapeError(f"{op}: got input of shape {tuple(shape)} (rank {len(shape)}); "
                         "expected a 5-D input (batch, depth, height, width, channels), or "
                         f"(batch, channels, depth, height, width) for NCDHW.{hint}")


def run_ndhwc(op_def, x, others: tuple, attrs: dict, channels_first: bool):
    """Runs an NDHWC op on `x`, transposing channels-first input there and back."""
    if channels_first:
        x = _a.transpose(x, TO_LAST)
    y = dispatch(op_def, (x,) + others, attrs)
    return _a.transpose(y, TO_FIRST) if channels_first else y
