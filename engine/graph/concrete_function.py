"""`ConcreteFunction`: one traced graph of an `engine.function`, compiled and callable.

`Function` (`engine.graph.function`) makes one per input signature: the optimized graph,
its compiled `Program` (`engine.graph.executor`), run through a CUDA-graph runner where
one applies (`engine.graph.cuda_graphs`), and how to pack the program's output arrays
back into the structure the Python function returned.
"""

from __future__ import annotations

from engine import nest
from engine.convert import convert_to_tensor
from engine.errors import SignatureMismatchError
from engine.graph import cuda_graphs
from engine.graph import signature as _sig
from engine.graph.executor import Program
from engine.graph.trace import FuncGraph
from engine.tensor import Tensor, wrap

__all__ = ["ConcreteFunction"]


class ConcreteFunction:
    """One traced graph of a `Function`, for one input signature.

    Attributes:
        graph: the optimized `engine.Graph`.
        structured_input_signature: `(args, kwargs)` with `TensorSpec`s for the tensors.
        structured_outputs: what the Python function returned, with symbolic tensors.
        pass_report: what each optimization pass changed.
    """

    def __init__(self, graph: FuncGraph, leaves: list, structured_inputs, structured_outputs,
                 output_map: list, python_function, pass_report: list):
        self.graph = graph
        self._leaves = leaves
        self._tensor_leaves = [leaf for leaf in leaves if leaf.kind == "tensor"]
        self.structured_input_signature = structured_inputs
        self.structured_outputs = structured_outputs
        self._output_map = output_map
        self._python_function = python_function
        self.pass_report = pass_report
        self._program = Program(graph)
        from engine.graph import passes  # noqa: PLC0415 - passes import the executor's types

        self._runner, self._no_capture = cuda_graphs.runner_for(
            self._program, passes.get_experimental_options()["cuda_graphs"])
        self._out_devices = [t._device for t in graph.outputs]
        self._simple_output = (len(output_map) == 1 and output_map[0][0] == "t"
                               and not nest.is_nested(structured_outputs))

    @property
    def inputs(self) -> list:
        """The graph's input placeholders."""
        return list(self.graph.inputs)

    @property
    def outputs(self) -> list:
        """The graph's output tensors."""
        return list(self.graph.outputs)

    @property
    def variables(self) -> tuple:
        """The variables the graph reads or writes."""
        return tuple(self.graph.variables)

    @property
    def trainable_variables(self) -> tuple:
        """The trainable variables the graph reads or writes."""
        return tuple(v for v in self.graph.variables if v.trainable)

    @property
    def name(self) -> str:
        """The graph's name."""
        return self.graph.name

    @property
    def cuda_graph_status(self) -> str:
        """Whether calls replay a captured CUDA graph (`engine.graph.cuda_graphs`), and if not,
        why: "captured", "warming up", or "not captured: <the reason>"."""
        if self._no_capture is not None:
            return f"not captured: {self._no_capture}"
        return self._runner.status

    def cpu_kernels(self) -> list:
        """Which kernel each fused, pooling or convolution-fold node of the program runs on
        the CPU: compiled by Numba, or NumPy's and why (`engine.graph.cpu_jit`).

        Returns:
            `[{"node": name, "type": op type, "status": "compiled" | "numpy: <why>"}]` in
            program order, for the nodes that may get a compiled kernel (empty when none
            may, e.g. on a GPU).

        Example:
            >>> f = engine.function(lambda x: engine.nn.relu(x * 2.0 + 1.0))
            >>> c = f.get_concrete_function(engine.TensorSpec([4]))
            >>> [(k["type"], k["status"].split(":")[0]) for k in c.cpu_kernels()]
            [('Fused', 'numpy')]
        """
        from engine.graph import cpu_jit  # noqa: PLC0415

        return [{"node": ins.node.name, "type": ins.node.type, "status": cpu_jit.status(ins.fn)}
                for ins in self._program.instructions
                if ins.node.type == "Fused" or getattr(ins.fn, "jit_state", None) is not None]

    def pretty_printed_signature(self) -> str:
        """The input signature and outputs as text."""
        ins = ", ".join(f"{leaf.path}: {leaf.describe()}" for leaf in self._leaves)
        outs = ", ".join(f"{t.shape} {t.dtype.name}" for t in self.graph.outputs)
        return f"{self.graph.name}({ins}) -> ({outs})"

    def __call__(self, *args, **kwargs):
        """Runs the graph on arguments with this function's signature."""
        named = _sig.bind_arguments(None, args, kwargs)
        _, tensors, leaves = _sig.encode(named)
        tensors = [t if isinstance(t, Tensor) else convert_to_tensor(t) for t in tensors]
        if not _sig.compatible(self._leaves, leaves, exact_python=False):
            raise SignatureMismatchError(
                _sig.mismatch_message(self.graph.name, self._leaves, leaves))
        return self._call_flat(tensors)

    def _call_flat(self, tensors: list):
        arrays = [t._value for t in tensors]
        results = self._runner(arrays)
        if self._simple_output:
            return wrap(results[0], self._out_devices[0])
        flat = []
        for kind, value in self._output_map:
            if kind == "t":
                flat.append(wrap(results[value], self._out_devices[value]))
            else:
                flat.append(value)
        return nest.pack_sequence_as(self.structured_outputs, flat)

    def __repr__(self) -> str:
        return f"<ConcreteFunction {self.pretty_printed_signature()}>"
