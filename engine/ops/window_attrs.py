"""Attributes and shapes of window ops (convolutions and pools), shared by their modules.

Two translations live here:
- TF-style op attributes to kernel arguments: `strides` / `dilations` / `ksize` as 4-tuples
  in NHWC order and `padding` with `explicit_paddings`, to the `(h, w)` pairs and padding
  spelling of `conv_kernels` (`kernel_args`, cached: attributes are hashable tuples);
- the public functions' TF 2 arguments (an int or a list of 1, n or n + 2 ints; padding
  as a string or `[before, after]` pairs; NHWC/NCHW and NWC/NCW) to those attributes
  (`op_attrs`), plus `run_nhwc`, which runs a 2-D NHWC op on channels-first or 1-D input.

It also holds the spatial shape inference (`out_size`, `spatial_out`) used by every
window op's `infer`.
"""

from __future__ import annotations

import functools

import numpy as np

from engine.dispatch import dispatch
from engine.errors import ShapeError, UnimplementedError
from engine.ops import array_ops as _a
from engine.ops import conv_kernels as _ck
from engine.ops import static_args as _sa
from engine.tensor_shape import TensorSpec

ONES = (1, 1, 1, 1)


# --- attributes: TF's 4-tuples in, kernel arguments out -----------------------------------
@functools.lru_cache(maxsize=256)
def kernel_args(op: str, strides: tuple, padding: str, explicit_paddings: tuple,
                data_format: str, dilations: tuple = ONES) -> tuple:
    """Validates TF-style window attrs; returns `((sh, sw), (dh, dw), padding)` for kernels.

    `padding` in the result is `'SAME'`, `'VALID'` or `((top, bottom), (left, right))`.
    """
    if data_format != "NHWC":
        raise UnimplementedError(
            f"{op}: data_format {data_format!r} is not supported by the raw op (it computes "
            "in NHWC, as TensorFlow's CPU kernels do). Call the engine.nn function with "
            f"data_format={data_format!r}, which transposes to NHWC and back.", op=op)
    for what, value in (("strides", strides), ("dilations", dilations)):
        if len(value) != 4 or value[0] != 1 or value[3] != 1 or min(value) < 1:
            raise ShapeError(f"{op}: got {what} {list(value)}; expected 4 positive values "
                             f"[1, h, w, 1] in NHWC order (batch and channel {what} must be "
                             "1). Pass an int or a pair to the engine.nn function instead.")
    if padding in ("SAME", "VALID"):
        if explicit_paddings:
            raise ShapeError(f"{op}: explicit_paddings {list(explicit_paddings)} given with "
                             f"padding {padding!r}; they are used only with padding "
                             "'EXPLICIT'.")
        pads = padding
    elif padding == "EXPLICIT":
        flat = tuple(int(p) for p in explicit_paddings)
        if len(flat) != 8 or flat[:2] != (0, 0) or flat[6:] != (0, 0) or min(flat) < 0:
            raise ShapeError(f"{op}: got explicit_paddings {list(explicit_paddings)}; "
                             "expected 8 non-negative ints (0, 0, top, bottom, left, right, "
                             "0, 0): the batch and channel axes are never padded.")
        pads = (flat[2:4], flat[4:6])
    else:
        raise ShapeError(f"{op}: got padding {padding!r}; expected 'SAME', 'VALID' or "
                         "'EXPLICIT' (or, in engine.nn functions, a list of [before, after] "
                         "pairs).")
    return (strides[1], strides[2]), (dilations[1], dilations[2]), pads


def attrs_args(op: str, attrs: dict) -> tuple:
    """`kernel_args` for an op's attrs dict (as `infer` and `vjp` rules receive them)."""
    return kernel_args(op, tuple(attrs["strides"]), attrs["padding"],
                       tuple(attrs.get("explicit_paddings", ())),
                       attrs.get("data_format", "NHWC"), tuple(attrs.get("dilations", ONES)))


def out_size(op: str, axis: str, in_size, k, stride, dilation, pad):
    """Output length along one spatial axis (None if unknown); ShapeError if not positive."""
    if in_size is None or k is None:
        return None
    before, after = _ck.padding_amounts(in_size, k, stride, dilation, pad)
    span = (k - 1) * dilation + 1
    out = (in_size + before + after - span) // stride + 1
    if out < 1:
        raise ShapeError(f"{op}: the window's {axis} {k} (spanning {span} with dilation "
                         f"{dilation}) is larger than the padded input {axis} "
                         f"{in_size + before + after}; expected a window that fits. Use "
                         "padding='SAME', a smaller window, or a larger input.")
    return out


def rank4(op: str, s: TensorSpec, what: str, layout: str) -> list:
    """The 4 dimensions of `s` (None where unknown); ShapeError unless it is 4-D."""
    rank = s.shape.rank
    if rank is None:
        return [None] * 4
    if rank != 4:
        hint = (" Add a batch axis with engine.expand_dims(x, 0)." if rank == 3 and
                what == "input" else "")
        raise ShapeError(f"{op}: got {what} of shape {s.shape} (rank {rank}); expected a 4-D "
                         f"{what} {layout}.{hint}")
    return s.shape.as_list()


def spatial_out(op: str, in_hw, k_hw, strides, dilations, pads) -> list:
    """`[out_h, out_w]` of a window op (None where unknown), via `out_size`."""
    per_axis = (pads, pads) if isinstance(pads, str) else pads
    return [out_size(op, axis, in_hw[a], k_hw[a], strides[a], dilations[a], per_axis[a])
            for a, axis in enumerate(("height", "width"))]


NHWC_LAYOUT = "(batch, height, width, channels) in NHWC"
HWIO_LAYOUT = "(height, width, in_channels, out_channels)"


def sizes_attr(op: str, sizes, what: str, runtime=None) -> list:
    """A 4-D shape attribute (`input_sizes`, `filter_sizes`, …) as a list of ints, None
    where a size is known only when the graph runs.

    `runtime` is the spec of the op's run-time shape input, if it has one: then the attr
    holds only what tracing knew (None entries, or None for all four).
    """
    if runtime is not None:
        if runtime.dtype.name not in ("int32", "int64") or not runtime.shape.is_compatible_with(
                [4]):
            raise ShapeError(f"{op}: got {what} as a {runtime.dtype.name} tensor of shape "
                             f"{runtime.shape}; expected a 1-D int32 tensor of 4 sizes, such "
                             "as engine.shape(x).")
        if sizes is None:
            return [None] * 4
    sizes = tuple(sizes) if sizes is not None else ()
    if len(sizes) != 4 or any(d is not None and int(d) < 0 for d in sizes) or (
            runtime is None and None in sizes):
        raise ShapeError(f"{op}: got {what} {list(sizes)}; expected the 4 dimensions of a "
                         f"shape {NHWC_LAYOUT if what != 'filter_sizes' else HWIO_LAYOUT}.")
    return [None if d is None else int(d) for d in sizes]


# --- public functions: argument normalization -------------------------------------------------
def freeze(value):
    """Lists (and tensors) to tuples, so that attributes can be cached and compared."""
    if hasattr(value, "_value") or hasattr(value, "_read"):
        value = _sa.static_shape(value)
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def is_channels_first(op: str, data_format, last: str, first: str) -> bool:
    """True for channels-first `data_format` (`first`), False for `last` or None."""
    if data_format is None or data_format == last:
        return False
    if data_format == first:
        return True
    raise ValueError(f"{op}: got data_format {data_format!r}; expected {last!r} (the default) "
                     f"or {first!r}.")


def spatial(op: str, what: str, value, n: int, channels_first: bool) -> tuple:
    """An int, or a list of 1, n or n + 2 ints (TF's forms), as n spatial ints."""
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = tuple(int(v) for v in value)
    if len(value) == 1:
        return value * n
    if len(value) == n:
        return value
    if len(value) == n + 2:
        outer = (value[0], value[1]) if channels_first else (value[0], value[-1])
        if outer == (1, 1):
            return value[2:] if channels_first else value[1:-1]
        raise ShapeError(f"{op}: got {what} {list(value)}; the batch and channel entries must "
                         "be 1.")
    raise ShapeError(f"{op}: got {what} {list(value)}; expected an int or a list of 1, {n} or "
                     f"{n + 2} ints.")


def padding_attrs(op: str, padding, n: int, channels_first: bool) -> tuple:
    """`padding` as the raw op's `(padding, explicit_paddings)` for NHWC."""
    if isinstance(padding, str):
        upper = padding.upper()
        if upper in ("SAME", "VALID"):
            return upper, ()
        raise ShapeError(f"{op}: got padding {padding!r}; expected 'SAME', 'VALID' or a list of "
                         "[before, after] pairs.")
    pairs = [tuple(int(p) for p in pair) for pair in padding]
    if any(len(p) != 2 for p in pairs) or len(pairs) not in (n, n + 2):
        raise ShapeError(f"{op}: got padding {padding!r}; expected 'SAME', 'VALID', or {n + 2} "
                         f"[before, after] pairs in data_format order (or {n}, one per spatial "
                         "axis).")
    if len(pairs) == n + 2:
        outer = pairs[:2] if channels_first else [pairs[0], pairs[-1]]
        if any(outer_pair != (0, 0) for outer_pair in outer):
            raise ShapeError(f"{op}: got padding {padding!r}; the batch and channel axes "
                             "cannot be padded, expected [0, 0] for them.")
        pairs = pairs[2:] if channels_first else pairs[1:-1]
    if n == 1:
        pairs = [(0, 0)] + pairs
    return "EXPLICIT", (0, 0) + pairs[0] + pairs[1] + (0, 0)


@functools.lru_cache(maxsize=512)
def _cached_op_attrs(op: str, n: int, channels_first: bool, strides, padding,
                     dilations=1, ksize=None) -> dict:
    """Attrs of the 2-D raw op for an `n`-D (1 or 2) call of a public function."""
    s = spatial(op, "strides", strides, n, channels_first)
    pad, explicit = padding_attrs(op, padding, n, channels_first)
    attrs = {"strides": (1, 1) + s + (1,) if n == 1 else (1,) + s + (1,), "padding": pad,
             "explicit_paddings": explicit, "data_format": "NHWC"}
    if ksize is not None:
        k = spatial(op, "ksize", ksize, n, channels_first)
        attrs["ksize"] = (1, 1) + k + (1,) if n == 1 else (1,) + k + (1,)
    else:
        d = spatial(op, "dilations", 1 if dilations is None else dilations, n, channels_first)
        attrs["dilations"] = (1, 1) + d + (1,) if n == 1 else (1,) + d + (1,)
    return attrs


def op_attrs(op, n, channels_first, strides, padding, dilations=1, ksize=None) -> dict:
    """A fresh attrs dict for the 2-D raw op (`ksize` given: a pool, else a convolution)."""
    return dict(_cached_op_attrs(op, n, channels_first, freeze(strides), freeze(padding),
                                 freeze(dilations), freeze(ksize)))


def shape_of(x) -> list | None:
    """The shape of a tensor, variable, array or nested list; None if the rank is unknown."""
    shape = getattr(x, "shape", None)
    if shape is None:
        return list(np.shape(x))
    if hasattr(shape, "as_list"):
        return shape.as_list() if shape.rank is not None else None
    return list(shape)


def check_rank(op: str, what: str, x, rank: int, layout: str) -> list:
    """`shape_of(x)`; ShapeError if its rank is not `rank` (for the 1-D public functions)."""
    shape = shape_of(x)
    if shape is not None and len(shape) != rank:
        raise ShapeError(f"{op}: got {what} of shape {tuple(shape)} (rank {len(shape)}); "
                         f"expected rank {rank}, {layout}.")
    return shape


TO_LAST = {3: (0, 2, 1), 4: (0, 2, 3, 1)}
TO_FIRST = {3: (0, 2, 1), 4: (0, 3, 1, 2)}


def run_nhwc(op_def, x, others: tuple, attrs: dict, channels_first: bool, squeeze_h: bool = False):
    """Runs a 2-D NHWC op on `x` (1-D inputs get a height axis), restoring the layout."""
    rank = 3 if squeeze_h else 4
    if channels_first:
        x = _a.transpose(x, TO_LAST[rank])
    if squeeze_h:
        x = _a.expand_dims(x, 1)
    y = dispatch(op_def, (x,) + others, attrs)
    if squeeze_h:
        y = _a.squeeze(y, 1)
    return _a.transpose(y, TO_FIRST[rank]) if channels_first else y
