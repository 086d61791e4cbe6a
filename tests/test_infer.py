"""Every op's shape inference works with unknown dimensions and unknown rank.

Tracing (engine.function) and Keras' deferred build call `infer` on specs whose sizes are
not known yet. This test records every (op, inputs, attrs) that the op table of
tests/test_cupy.py reaches on the CPU, then asks each op's `infer` again with (a) every
dimension unknown and (b) the rank unknown: it must not fail, and what it returns must be
compatible with what the kernel really produced.
"""

import pytest

import engine
from engine import dispatch
from engine.tensor_shape import TensorShape, TensorSpec
from tests.test_cupy import OP_CASES, _run_case


def _record_calls(monkeypatch):
    calls = []
    original = dispatch._check_inference

    def spy(op, tensors, arrays, attrs, outputs):
        calls.append((op, [TensorSpec(a.shape, engine.as_dtype(a.dtype)) for a in arrays],
                      dict(attrs), [(tuple(o.shape), o.dtype) for o in outputs]))
        return original(op, tensors, arrays, attrs, outputs)

    monkeypatch.setattr(dispatch, "_check_inference", spy)
    return calls


@pytest.fixture(scope="module")
def recorded():
    monkeypatch = pytest.MonkeyPatch()
    calls = _record_calls(monkeypatch)
    strict = engine.context.GLOBAL.strict
    engine.config.experimental.set_strict_checks(True)  # dispatch then calls the spy
    try:
        for param in OP_CASES:
            engine.random.set_seed(1234)
            _run_case(*param.values)
    finally:
        engine.config.experimental.set_strict_checks(strict)
        monkeypatch.undo()
    unique = {}
    for op, specs, attrs, outs in calls:
        key = (op.tf_name, tuple((s.shape.rank, s.dtype) for s in specs))
        unique.setdefault(key, (op, specs, attrs, outs))
    return list(unique.values())


def _check(op, specs, attrs, outs, relax):
    relaxed = [TensorSpec(relax(s.shape), s.dtype) for s in specs]
    inferred = op.infer(*relaxed, **attrs)
    inferred = (inferred,) if isinstance(inferred, TensorSpec) else tuple(inferred)
    assert len(inferred) == len(outs), f"{len(inferred)} specs for {len(outs)} outputs"
    for spec, (shape, dtype) in zip(inferred, outs):
        assert spec.dtype is dtype, f"dtype {spec.dtype.name}, kernel made {dtype.name}"
        assert spec.shape.is_compatible_with(shape), f"shape {spec.shape} vs kernel {shape}"


def _unknown_dims(shape):
    return TensorShape([None] * shape.rank)


def _unknown_rank(shape):
    return TensorShape(None)


@pytest.mark.parametrize("relax", [_unknown_dims, _unknown_rank], ids=["dims", "rank"])
def test_infer_accepts_unknown_shapes(recorded, relax):
    failures = []
    for op, specs, attrs, outs in recorded:
        try:
            _check(op, specs, attrs, outs, relax)
        except Exception as exc:  # collect them all, report at once
            failures.append(f"{op.tf_name}{[str(s.shape) for s in specs]}: "
                            f"{type(exc).__name__}: {exc}")
    assert not failures, f"{len(failures)} ops:\n" + "\n".join(sorted(failures))


def test_the_recording_reaches_every_op(recorded):
    seen = {op.tf_name for op, *_ in recorded}
    ops = {op.tf_name for op in engine.registry.all_ops() if not op.tf_name.startswith("Test")}
    assert sorted(ops - seen) == []
