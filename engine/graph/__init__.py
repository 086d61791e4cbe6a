"""Graphs: tracing (`engine.function`), the graph IR, optimization passes, the executor.

- `ir`: `Graph`, `Node`, `SymbolicTensor` (plain data); `ir_export`: text, widget data,
  JSON (`as_text`, `as_graph_data`, `as_dict` / `from_dict`);
- `trace`: `FuncGraph`, which `dispatch` feeds while a function traces;
- `signature`: how calls are keyed; `retracing`: why a call retraced, and the warning;
- `function`: `engine.function`, `Function`; `concrete_function`: `ConcreteFunction`;
- `control_flow`, `control_flow_grad`, `subgraph`, `tensor_array`: cond / while_loop /
  switch_case over sub-graphs, their gradients (differentiable again), `TensorArray`;
- `passes`: constant folding, CSE, DCE, simplification, fusion, in-place updates;
- `executor`: the compiled instruction list (`lowering`: direct NumPy calls for hot ops;
  `variable_writes`: the assignments it emits; `diagnostics`: the instrumented path and
  error explanations);
- `fused`: a fused node's generated NumPy kernel (`fused_inplace`: variables written in
  place, `fused_cuda`: the CuPy kernel, `fused_explain`: which member failed);
- `cuda_graphs`: capture of a compiled program into a CUDA graph on a CuPy GPU;
- `cpu_jit`: Numba-compiled CPU kernels where Numba is installed (loading, disk cache,
  compiling after a node's first calls): `fused_jit` (large fused nodes, lone ReluGrads),
  `pool_jit` (max pooling and its gradient), `conv_jit` (the fold of Conv2DBackpropInput).
"""
