"""Tensor contractions: einsum and tensordot.

Primitive: Einsum (TensorFlow's raw op); `tensordot` writes its equation. Labels are ASCII
letters; `...` dimensions broadcast like NumPy shapes, other labels must match exactly.
The gradient of each operand is again an einsum, so gradients nest.
"""

from __future__ import annotations

import functools
import string

import numpy as np

from engine import dtypes as _dt
from engine.convert import convert_to_tensor
from engine.dispatch import dispatch
from engine.errors import ShapeError
from engine.ops import array_ops as _a
from engine.ops import infer as _inf
from engine.ops import static_args as _sa
from engine.ops.diag_ops import eye
from engine.ops.widening import computes_in_float32
from engine.registry import NUMERIC, OpDef, register
from engine.tensor_shape import TensorSpec

__all__ = ["einsum", "tensordot"]


# --- parsing equations ----------------------------------------------------------------------
def _einsum_error(equation, message) -> ShapeError:
    return ShapeError(f"einsum: equation {equation!r}: {message}")


def _split_term(equation, term) -> tuple:
    """('ab', 'c') for 'ab...c'; ('ab', None) without an ellipsis."""
    if term.count("...") > 1 or term.replace("...", "").count("."):
        raise _einsum_error(equation, f"term {term!r} has a stray '.'; use one '...' at most.")
    before, _, after = term.partition("...")
    for c in before + after:
        if c not in string.ascii_letters:
            raise _einsum_error(equation, f"term {term!r} has {c!r}; labels are ASCII letters.")
    return (before, after) if "..." in term else (before, None)


@functools.lru_cache(maxsize=1024)
def _parse_einsum(equation: str, ranks: tuple) -> tuple:
    """The labels of each operand and of the output, with '...' expanded.

    Ellipsis dimensions become the labels '0', '1', … aligned from the right (they
    broadcast like NumPy shapes). `ranks` may be None to check the syntax only.
    """
    eq = equation.replace(" ", "")
    if eq.count("->") > 1:
        raise _einsum_error(equation, "more than one '->'.")
    lhs, arrow, rhs = eq.partition("->")
    terms = [_split_term(equation, t) for t in lhs.split(",")]
    if ranks is not None and len(terms) != len(ranks):
        raise _einsum_error(equation, f"it has {len(terms)} input terms but {len(ranks)} "
                            "operands were given; pass one tensor per term.")
    ell = []
    for k, (before, after) in enumerate(terms):
        named = len(before) + len(after or "")
        rank = None if ranks is None else ranks[k]
        if rank is not None and (rank < named or (after is None and rank != named)):
            raise _einsum_error(equation, f"operand {k} has rank {rank} but its term has "
                                f"{named} labels{' and ...' if after is not None else ''}.")
        ell.append(0 if after is None or rank is None else rank - named)
    width = max(ell, default=0)
    inputs = tuple(tuple(before) + tuple(str(i) for i in range(width - e, width)) +
                   tuple(after or "") for (before, after), e in zip(terms, ell))
    if arrow:
        out_before, out_after = _split_term(equation, rhs)
        output = tuple(out_before) + (tuple(str(i) for i in range(width)) + tuple(out_after)
                                      if out_after is not None else ())
        letters = {c for labels in inputs for c in labels}
        for c in output:
            if output.count(c) > 1 or c not in letters:
                raise _einsum_error(equation, f"output label {c!r} is repeated or not in "
                                    "any input term.")
    else:  # implicit output: ellipsis, then the letters used once, sorted (as NumPy does)
        counts = {}
        for labels in inputs:
            for c in labels:
                counts[c] = counts.get(c, 0) + 1
        once = sorted(c for c, n in counts.items() if n == 1 and c.isalpha())
        output = tuple(str(i) for i in range(width)) + tuple(once)
    return inputs, output


def _label_sizes(equation, inputs, shapes) -> dict:
    """label → size (None when unknown); ShapeError when operands disagree.

    Letter labels must have one size; '...' labels (digits) broadcast: 1 gives way.
    """
    sizes: dict = {}
    origin: dict = {}
    for k, (labels, shape) in enumerate(zip(inputs, shapes)):
        for label, d in zip(labels, shape):
            if label not in sizes:
                sizes[label], origin[label] = d, k
                continue
            prev = sizes[label]
            broadcast = label.isdigit()
            if d == prev or (broadcast and d == 1 and prev is not None):
                continue
            if prev is None or d is None:
                if broadcast and (d == 1 or prev == 1):
                    sizes[label] = None  # 1 against unknown: unknown
                elif prev is None:
                    sizes[label], origin[label] = d, k
                continue
            if broadcast and prev == 1:
                sizes[label], origin[label] = d, k
                continue
            given = ", ".join(str(tuple(s)) for s in shapes)
            what = f"label {label!r}" if label.isalpha() else "a '...' dimension"
            raise _einsum_error(equation, f"got shapes {given}; {what} has size {prev} in "
                                f"operand {origin[label]} but {d} in operand {k}. Sizes of "
                                "one label must match (only '...' dimensions broadcast).")
    return sizes


# --- the op and its gradient ----------------------------------------------------------------
def _einsum_infer(*operands, equation):
    dtype = _inf.same_dtype("einsum", *operands)
    _inf.check_dtype("einsum", operands[0], NUMERIC)
    ranks = tuple(o.shape.rank for o in operands)
    if None in ranks:
        _parse_einsum(equation, None)
        return TensorSpec(None, dtype)
    inputs, output = _parse_einsum(equation, ranks)
    sizes = _label_sizes(equation, inputs, [o.shape.as_list() for o in operands])
    return TensorSpec([sizes[c] for c in output], dtype)


@computes_in_float32  # NumPy's einsum refuses bfloat16
def _einsum_kernel(xp, *operands, equation):
    inputs, output = _parse_einsum(equation, tuple(o.ndim for o in operands))
    sizes = _label_sizes(equation, inputs, [o.shape for o in operands])
    # BLAS-backed contraction paths pay off only past a little work; they cost ~15 µs.
    work = int(np.prod(list(sizes.values()), dtype=np.float64))
    optimize = len(operands) > 2 or (len(operands) == 2 and work > 4096)
    return xp.einsum(equation, *operands, optimize=optimize)


def _einsum_vjp(ctx, g):
    # The gradient of operand k is an einsum of g and the other operands into k's labels.
    # Before that, every label is made a letter, a size-1 '...' dimension that broadcast
    # gets a private label (so it sums), and afterwards labels only k has are broadcast
    # back and repeated labels (diagonals) are put back with identity matrices.
    tensors = ctx.inputs
    shapes = [tuple(t._value.shape) for t in tensors]
    inputs, output = _parse_einsum(ctx.attrs["equation"], tuple(len(s) for s in shapes))
    sizes = _label_sizes(ctx.attrs["equation"], inputs, shapes)
    used = {c for labels in inputs for c in labels}
    free = iter(c for c in string.ascii_letters if c not in used)
    letters: dict = {}

    def letter(label):
        if label.isalpha():
            return label
        if label not in letters:
            letters[label] = _fresh(free)
        return letters[label]

    subs = ["".join(_fresh(free) if d == 1 and sizes[c] != 1 else letter(c)
                    for c, d in zip(labels, shape)) for labels, shape in zip(inputs, shapes)]
    out_subs = "".join(letter(c) for c in output)
    grads = []
    for k, x in enumerate(tensors):
        if x._value.dtype not in _dt.INEXACT_NUMPY:  # a set: bfloat16's dtype kind is "V"
            grads.append(None)
            continue
        terms = [(out_subs, g)] + [(subs[j], tensors[j]) for j in range(len(tensors)) if j != k]
        grads.append(_einsum_grad_for(subs[k], shapes[k], terms, free, g.dtype))
    return tuple(grads)


def _fresh(free) -> str:
    try:
        return next(free)
    except StopIteration:
        raise ShapeError("einsum: the gradient needs more than 52 distinct labels.") from None


def _einsum_grad_for(target, shape, terms, free, dtype):
    available = set("".join(s for s, _ in terms))
    unique = "".join(dict.fromkeys(target))
    keep = "".join(c for c in unique if c in available)
    if len(terms) == 1 and terms[0][0] == keep:
        h = terms[0][1]
    else:
        spec = ",".join(s for s, _ in terms) + "->" + keep
        h = einsum(spec, *[t for _, t in terms])
    size = dict(zip(target, shape))
    if len(keep) < len(unique):  # labels only this operand had were summed: broadcast back
        h = _a.reshape(h, [size[c] if c in available else 1 for c in unique])
        h = _a.broadcast_to(h, [size[c] for c in unique])
    if len(unique) < len(target):  # repeated labels: place h on those diagonals
        seen, out, eyes, specs = set(), "", [], []
        for c in target:
            if c in seen:
                f = _fresh(free)
                specs.append(c + f)
                eyes.append(eye(size[c], dtype=dtype))
                out += f
            else:
                seen.add(c)
                out += c
        h = einsum(",".join([unique] + specs) + "->" + out, h, *eyes)
    return h


_EINSUM = register(OpDef(
    "einsum", "Einsum", ("*inputs",), _einsum_infer, _einsum_kernel, vjp=_einsum_vjp,
    attrs={"equation": ""}, dtypes=NUMERIC,
    doc="Tensor contraction given by an equation such as 'ij,jk->ik'."))


def einsum(equation, *inputs, **kwargs):
    """Contracts tensors as `equation` says (NumPy's and TensorFlow's notation).

    Labels are letters; `...` stands for broadcast leading dimensions; without `->` the
    output is the ellipsis and the labels used once, sorted. Labels repeated in one term
    take diagonals. Sizes of one label must match (only `...` dimensions broadcast).

    Args:
        equation: e.g. "ij,jk->ik", "bij,bjk->bik", "...ij,...j->...i", "ii->".
        *inputs: the tensors, one per term, of one dtype.
        **kwargs: `name` (ignored) and `optimize` (accepted for TensorFlow compatibility;
            the kernel picks a contraction path itself).

    Returns:
        The contracted tensor.

    Raises:
        ShapeError: for a malformed equation, a rank that does not fit its term, or sizes
            that do not match.

    Example:
        >>> a, b = engine.ones([2, 3]), engine.ones([3, 4])
        >>> engine.einsum("ij,jk->ik", a, b).shape
        TensorShape([2, 4])
    """
    unknown = set(kwargs) - {"name", "optimize"}
    if unknown:
        raise TypeError(f"einsum: unexpected arguments {sorted(unknown)}; expected the "
                        "equation, the tensors, and optionally name= or optimize=.")
    if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
        inputs = tuple(inputs[0])
    return dispatch(_EINSUM, tuple(inputs), {"equation": str(equation).replace(" ", "")})


# --- tensordot ------------------------------------------------------------------------------
def tensordot(a, b, axes, name=None):
    """Sums products of `a` and `b` over the given axes (an einsum).

    Args:
        a, b: tensors of one dtype.
        axes: an int N (the last N axes of `a` with the first N of `b`), or a pair
            `[a_axes, b_axes]` of ints or equally long lists of ints.
        name: ignored in eager mode.

    Returns:
        A tensor with the free axes of `a`, then those of `b`.

    Raises:
        ShapeError: when the paired axes differ in size or `axes` does not fit the ranks.

    Example:
        >>> engine.tensordot(engine.ones([2, 3]), engine.ones([3, 4]), axes=1).shape
        TensorShape([2, 4])
    """
    a, b = convert_to_tensor(a), convert_to_tensor(b)
    sa, sb = tuple(a._value.shape), tuple(b._value.shape)
    a_axes, b_axes = _tensordot_axes(_sa.static_axis(axes), len(sa), len(sb))
    for i, j in zip(a_axes, b_axes):
        if sa[i] != sb[j]:
            raise ShapeError(f"tensordot: got shapes {sa} and {sb} with axes {list(a_axes)} "
                             f"and {list(b_axes)}; axis {i} of a has size {sa[i]} but axis {j} "
                             f"of b has size {sb[j]}. Pair axes of equal size.")
    letters = string.ascii_letters
    if len(sa) + len(sb) > len(letters):
        raise ShapeError(f"tensordot: ranks {len(sa)} + {len(sb)} are too many (at most 52).")
    ta = letters[:len(sa)]
    tb = list(letters[len(sa):len(sa) + len(sb)])
    for i, j in zip(a_axes, b_axes):
        tb[j] = ta[i]
    out = "".join(c for i, c in enumerate(ta) if i not in a_axes)
    out += "".join(c for j, c in enumerate(tb) if j not in b_axes)
    return einsum(f"{ta},{''.join(tb)}->{out}", a, b)


def _tensordot_axes(axes, ra: int, rb: int) -> tuple:
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if not 0 <= n <= min(ra, rb):
            raise ShapeError(f"tensordot: got axes={n} for ranks {ra} and {rb}; expected "
                             f"0 <= axes <= {min(ra, rb)}.")
        return tuple(range(ra - n, ra)), tuple(range(n))
    try:
        a_axes, b_axes = axes
    except (TypeError, ValueError):
        raise ShapeError(f"tensordot: got axes={axes!r}; expected an int or a pair "
                         "[a_axes, b_axes].") from None
    a_axes = [a_axes] if isinstance(a_axes, (int, np.integer)) else list(a_axes)
    b_axes = [b_axes] if isinstance(b_axes, (int, np.integer)) else list(b_axes)
    if len(a_axes) != len(b_axes):
        raise ShapeError(f"tensordot: got {len(a_axes)} axes for a and {len(b_axes)} for b "
                         f"({axes!r}); expected equally many.")
    a_axes = tuple(_inf.normalize_axis("tensordot", int(i), ra) for i in a_axes)
    b_axes = tuple(_inf.normalize_axis("tensordot", int(j), rb) for j in b_axes)
    return a_axes, b_axes

