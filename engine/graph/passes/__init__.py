"""Graph optimization passes and the switches that turn them on and off.

`optimize(graph)` runs the enabled passes in order and returns a report: one entry per
pass with what it changed (nodes before and after, and a short list of the rewrites).
Every pass keeps the graph's invariants: nodes stay in an order where each comes after
its inputs, stateful nodes are never dropped, merged or reordered, and the graph
computes the same values.

The order: constant folding first (it turns constant subexpressions into constants that
the simplifier can recognize, e.g. `x * (2.0 / 2.0)`), then algebraic simplification,
then common-subexpression elimination (which also merges the equal constants folding
made), and dead-code elimination last, to drop what the others bypassed. Constant
arrays that no node uses any more are then forgotten. `engine/graph/passes/rewrite.py`
holds the graph edits the passes share.

Switches (`engine.config.optimizer.set_experimental_options`): TensorFlow's names where
TensorFlow has the pass (`constant_folding`, `arithmetic_optimization`, `remapping` for
fusion, `dependency_optimization`), plus eagerlab's own names for the others
(`matmul_sum_merging`: a sum of many matrix products, such as the per-step gradients of an
unrolled RNN's weight, becomes one product of stacked operands, see `matmul_sums.py`;
`common_subexpression_elimination`, `dead_code_elimination`, `conv_pool_fusion`: a
shallow convolution and the max pooling after it (and their gradient) run as one compiled
CPU kernel, see `conv_pool.py`; `inplace_variable_updates`:
fused optimizer updates write the variables' buffers in place, see `inplace.py`;
`cuda_graphs`: on a CuPy GPU, capture the compiled program into a CUDA graph, see
`engine/graph/cuda_graphs.py`; `embedding_folding`: Keras' LSTM and GRU read a small
Embedding's table and ids instead of its output, see `engine/keras/layers/rnn_kernels.py`;
`max_pool_reordering`: Keras' max pooling layers pool a convolution's output before its bias
and activation, see `engine/keras/layers/pooling.py`; `cpu_jit`: large fused elementwise
nodes run as one Numba-compiled loop when Numba is installed, see
`engine/graph/fused_jit.py`).
"""

from __future__ import annotations

import time

from engine.graph.passes import (
    conv_pool,
    cse,
    dce,
    folding,
    fusion,
    inplace,
    matmul_sums,
    rewrite,
    simplify,
)

__all__ = ["optimize", "set_experimental_options", "get_experimental_options", "PASSES"]

# (option name, pass function) in the order they run.
PASSES: list = [
    ("constant_folding", folding.run),
    ("arithmetic_optimization", simplify.run),
    ("matmul_sum_merging", matmul_sums.run),  # before CSE, which merges the stacks it makes
    ("common_subexpression_elimination", cse.run),
    ("dead_code_elimination", dce.run),
    ("conv_pool_fusion", conv_pool.run),  # a shallow Conv2D and its MaxPool: one CPU kernel
    ("elementwise_fusion", fusion.run),  # it sees the final elementwise ops
    ("inplace_variable_updates", inplace.run),  # fused updates write variables in place
]

# TensorFlow option names that map onto ours.
ALIASES = {"dependency_optimization": "dead_code_elimination",
           "remapping": "elementwise_fusion"}

_OPTIONS: dict = {name: True for name, _ in PASSES}
_OPTIONS["disable_meta_optimizer"] = False
_OPTIONS["cuda_graphs"] = True  # not a pass: the executor's capture (engine.graph.cuda_graphs)
# Not a pass either: Keras' fused LSTM/GRU take an Embedding's table and ids instead of its
# output when that costs fewer FLOPs (engine.keras.layers.rnn_kernels), eagerly and traced.
_OPTIONS["embedding_folding"] = True
# Keras' max pooling layers pool a convolution's output before its bias and activation
# when those commute with the max (engine.keras.layers.pooling).
_OPTIONS["max_pool_reordering"] = True
# Not a pass: large fused elementwise nodes run as Numba-compiled loops on the CPU when
# Numba is installed (engine.graph.fused_jit), for graphs compiled from then on.
_OPTIONS["cpu_jit"] = True


def set_experimental_options(options: dict) -> None:
    """Turns optimization passes on or off for graphs traced from now on.

    Args:
        options: `{name: bool}`. Names: see `get_experimental_options()`;
            `disable_meta_optimizer: True` turns every pass off.

    Raises:
        ValueError: for an unknown option, naming the known ones.

    Example:
        >>> engine.config.optimizer.set_experimental_options({"dead_code_elimination": False})
        >>> engine.config.optimizer.get_experimental_options()["dead_code_elimination"]
        False
        >>> engine.config.optimizer.set_experimental_options({"dead_code_elimination": True})
    """
    for key, value in options.items():
        name = ALIASES.get(key, key)
        if name not in _OPTIONS:
            raise ValueError(f"set_experimental_options: unknown option {key!r}; known: "
                             f"{', '.join(sorted(set(_OPTIONS) | set(ALIASES)))}.")
        _OPTIONS[name] = bool(value)


def get_experimental_options() -> dict:
    """The current switches, `{name: bool}`.

    Returns:
        A dict (a copy).

    Example:
        >>> engine.config.optimizer.get_experimental_options()["disable_meta_optimizer"]
        False
    """
    return dict(_OPTIONS)


def optimize(graph) -> list[dict]:
    """Runs the enabled passes on `graph` in place; returns what each changed.

    Args:
        graph: a traced graph (its `outputs` set).

    Sub-graphs (the branches and loop bodies in `graph.functions`) are optimized first,
    with the same passes; their inputs and outputs keep their positions.

    Returns:
        One dict per pass that ran and graph it ran on: `{"pass", "graph", "nodes_before",
        "nodes_after", "changes", "ms"}`; `changes` is a list of strings. Empty when every
        pass is off.

    Example:
        >>> g = engine.function(lambda x: x * 1.0).get_concrete_function(
        ...     engine.TensorSpec([2])).graph
        >>> [n.type for n in g.nodes]
        ['Placeholder']
    """
    report = []
    if _OPTIONS["disable_meta_optimizer"]:
        return report
    for sub in graph.functions.values():
        report.extend(optimize(sub))
    # Arrays that Const nodes use now, or that passes add, are forgotten once unused.
    constants = {n.attrs["array"] for n in graph.nodes if n.type == "Const"}
    known = set(graph.arrays)
    for name, run in PASSES:
        if not _OPTIONS.get(name, True):
            continue
        before = len(graph.nodes)
        start = time.perf_counter()
        changes = run(graph)
        report.append({"pass": name, "graph": graph.name, "nodes_before": before,
                       "nodes_after": len(graph.nodes),
                       "changes": changes, "ms": (time.perf_counter() - start) * 1e3})
    if report:
        rewrite.prune_arrays(graph, constants | (graph.arrays.keys() - known))
    return report
