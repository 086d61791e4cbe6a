"""Graphs: tracing (`engine.function`), the graph IR, optimization passes, the executor.

- `ir`: `Graph`, `Node`, `SymbolicTensor` (plain data, serializable);
- `trace`: `FuncGraph`, which `dispatch` feeds while a function traces;
- `signature`: how calls are keyed and why a call retraces;
- `function`: `engine.function`, `Function`, `ConcreteFunction`;
- `passes`: constant folding, CSE, DCE, simplification, fusion, buffer planning;
- `executor`: the compiled instruction list.
"""
