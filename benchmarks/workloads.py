"""Benchmark workloads W1-W7: constants, synthetic data and initial weights.

The shapes, hyperparameters, seeds and dtypes match the peer benchmarks (NumPy,
PyTorch, TensorFlow, JAX) exactly, so eagerlab's figures can be set beside theirs.
All data is synthetic: float32 features and int32 labels drawn from NumPy's
`default_rng` with fixed seeds. Nothing here imports a deep-learning framework.

Example:
    >>> from workloads import w2_batches
    >>> x, y = w2_batches()[0]
    >>> x.shape, y.dtype
    ((128, 784), dtype('int32'))
"""

from __future__ import annotations

import itertools

import numpy as np

SEED = 1234
DTYPE = np.float32

# Measurement protocol: a block is a timed run of consecutive steps lasting at
# least BLOCK_SECONDS; a figure is the median over REPEATS blocks.
REPEATS = 5
BLOCK_SECONDS = 0.4
MIN_STEPS_PER_BLOCK = 3
WARMUP_STEPS = 3

# Adam, with Keras' defaults (the peers configure PyTorch with the same eps).
ADAM_BETA1 = 0.9
ADAM_BETA2 = 0.999
ADAM_EPS = 1e-7

# W1: per-op dispatch overhead.
W1_ITERS = 20_000
W1_ADD_SHAPE = (32, 32)
W1_MATMUL_SHAPE = (64, 64)

# W2: MLP 784 -> 512 relu -> 512 relu -> 10, sparse softmax CE from logits.
W2_LAYERS = (784, 512, 512, 10)
W2_BATCH = 128
W2_LR = 1e-3
W2_POOL_BATCHES = 16

# W3: CNN, NHWC. 28x28x1 -> conv 3x3x32 relu -> pool 2 -> conv 3x3x64 relu
# -> pool 2 -> flatten (5*5*64) -> dense 10. Convolutions are VALID.
W3_HW = 28
W3_IN_CH = 1
W3_CONV1 = 32
W3_CONV2 = 64
W3_KERNEL = 3
W3_POOL = 2
W3_CLASSES = 10
W3_BATCH = 64
W3_LR = 1e-3
W3_POOL_BATCHES = 8
W3_HW1 = W3_HW - W3_KERNEL + 1          # 26: conv1 output side
W3_HW1P = W3_HW1 // W3_POOL             # 13: after pool 1
W3_HW2 = W3_HW1P - W3_KERNEL + 1        # 11: conv2 output side
W3_HW2P = W3_HW2 // W3_POOL             # 5: after pool 2 (floor drops row/col 10)
W3_FLAT = W3_HW2P * W3_HW2P * W3_CONV2  # 1600

# W4: char LSTM LM. tokens (B, T) -> Embedding(65, 64) -> LSTM(128, all steps)
# -> Dense(65) -> sparse CE against the next token.
W4_VOCAB = 65
W4_EMBED = 64
W4_HIDDEN = 128
W4_SEQ = 50
W4_BATCH = 64
W4_LR = 1e-3
W4_POOL_BATCHES = 8

# W5: the first call of the traced W2 step (trace, passes, compile), in ms; the median
# over this many fresh functions.
W5_SAMPLES = 3

# W6: tiny MLP 16 -> 32 relu -> 1, MSE, SGD: per-step overhead.
W6_LAYERS = (16, 32, 1)
W6_BATCH = 32
W6_LR = 0.01
W6_POOL_BATCHES = 64

# W7: W2's MLP, inference on 10,000 samples in batches of 1,000.
W7_SAMPLES = 10_000
W7_BATCH = 1_000

# Memory: the process that imports the framework and runs W2 for this many steps.
MEM_STEPS = 20


def rng(offset: int = 0) -> np.random.Generator:
    """The generator for one workload's data; `offset` keeps the streams apart."""
    return np.random.default_rng(SEED + offset)


def _split(x: np.ndarray, y: np.ndarray, batch: int, count: int) -> list:
    return [(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]) for i in range(count)]


def w1_data() -> tuple:
    """(a, b) for the 32x32 add and (ma, mb) for the 64x64 matmul, float32."""
    r = rng(1)
    a = r.standard_normal(W1_ADD_SHAPE, dtype=DTYPE)
    b = r.standard_normal(W1_ADD_SHAPE, dtype=DTYPE)
    ma = r.standard_normal(W1_MATMUL_SHAPE, dtype=DTYPE)
    mb = r.standard_normal(W1_MATMUL_SHAPE, dtype=DTYPE)
    return a, b, ma, mb


def w2_batches() -> list:
    """16 MNIST-like batches: x uniform [0, 1) (128, 784) float32, y int32 in [0, 10)."""
    n = W2_POOL_BATCHES * W2_BATCH
    r = rng(2)
    x = r.random((n, W2_LAYERS[0]), dtype=DTYPE)
    y = r.integers(0, W2_LAYERS[-1], size=n).astype(np.int32)
    return _split(x, y, W2_BATCH, W2_POOL_BATCHES)


def w3_batches() -> list:
    """8 image batches: x (64, 28, 28, 1) NHWC float32 in [0, 1), y int32 in [0, 10)."""
    n = W3_POOL_BATCHES * W3_BATCH
    r = rng(3)
    x = r.random((n, W3_HW, W3_HW, W3_IN_CH), dtype=DTYPE)
    y = r.integers(0, W3_CLASSES, size=n).astype(np.int32)
    return _split(x, y, W3_BATCH, W3_POOL_BATCHES)


def w6_batches() -> list:
    """64 regression batches: x (32, 16) standard normal, y = x @ w + 0.1 noise, (32, 1)."""
    n = W6_POOL_BATCHES * W6_BATCH
    r = rng(6)
    x = r.standard_normal((n, W6_LAYERS[0]), dtype=DTYPE)
    w = r.standard_normal((W6_LAYERS[0], 1), dtype=DTYPE)
    y = (x @ w + 0.1 * r.standard_normal((n, 1), dtype=DTYPE)).astype(DTYPE)
    return _split(x, y, W6_BATCH, W6_POOL_BATCHES)


def w7_batches() -> list:
    """W7's inputs: 10,000 MNIST-like rows (uniform [0, 1), float32) in batches of 1,000."""
    x = rng(2).random((W7_SAMPLES, W2_LAYERS[0]), dtype=DTYPE)
    return [x[i:i + W7_BATCH] for i in range(0, W7_SAMPLES, W7_BATCH)]


def w4_batches() -> list:
    """8 token batches (inputs, targets), each (64, 50) int32; targets are shifted by one."""
    r = rng(4)
    out = []
    for _ in range(W4_POOL_BATCHES):
        tokens = r.integers(0, W4_VOCAB, size=(W4_BATCH, W4_SEQ + 1)).astype(np.int32)
        out.append((np.ascontiguousarray(tokens[:, :-1]), np.ascontiguousarray(tokens[:, 1:])))
    return out


# ---------------------------------------------------------------- initial weights
def glorot_uniform(r: np.random.Generator, shape: tuple, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot-uniform float32 weights: U(-l, l) with l = sqrt(6 / (fan_in + fan_out))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return r.uniform(-limit, limit, size=shape).astype(DTYPE)


def mlp_params(layers: tuple = W2_LAYERS, seed_offset: int = 10) -> list:
    """[W1, b1, W2, b2, ...] for a dense stack: glorot weights, zero biases."""
    r = rng(seed_offset)
    params = []
    for fan_in, fan_out in itertools.pairwise(layers):
        params.append(glorot_uniform(r, (fan_in, fan_out), fan_in, fan_out))
        params.append(np.zeros(fan_out, DTYPE))
    return params


def cnn_params(seed_offset: int = 30) -> list:
    """[K1, b1, K2, b2, Wd, bd] for W3; kernels are HWIO (Keras' glorot fans)."""
    r = rng(seed_offset)
    k = W3_KERNEL * W3_KERNEL
    k1 = glorot_uniform(r, (W3_KERNEL, W3_KERNEL, W3_IN_CH, W3_CONV1),
                        k * W3_IN_CH, k * W3_CONV1)
    k2 = glorot_uniform(r, (W3_KERNEL, W3_KERNEL, W3_CONV1, W3_CONV2),
                        k * W3_CONV1, k * W3_CONV2)
    wd = glorot_uniform(r, (W3_FLAT, W3_CLASSES), W3_FLAT, W3_CLASSES)
    return [k1, np.zeros(W3_CONV1, DTYPE), k2, np.zeros(W3_CONV2, DTYPE),
            wd, np.zeros(W3_CLASSES, DTYPE)]


def lstm_params(seed_offset: int = 40) -> list:
    """[E, Wx, Wh, b, Wd, bd] for W4. Gates are packed [i, f, g, o] along the last axis."""
    r = rng(seed_offset)
    gates = 4 * W4_HIDDEN
    emb = r.uniform(-0.05, 0.05, size=(W4_VOCAB, W4_EMBED)).astype(DTYPE)
    wx = glorot_uniform(r, (W4_EMBED, gates), W4_EMBED, gates)
    wh = glorot_uniform(r, (W4_HIDDEN, gates), W4_HIDDEN, gates)
    bias = np.zeros(gates, DTYPE)
    bias[W4_HIDDEN:2 * W4_HIDDEN] = 1.0  # forget-gate bias 1, as Keras' unit_forget_bias
    wd = glorot_uniform(r, (W4_HIDDEN, W4_VOCAB), W4_HIDDEN, W4_VOCAB)
    return [emb, wx, wh, bias, wd, np.zeros(W4_VOCAB, DTYPE)]


# ---------------------------------------------------------------- GEMM lists
# (M, K, N, count) of every matrix product one train step needs, forward then
# backward. The backward omits the gradient with respect to the input data.
# Running exactly these products gives the GEMM-only floor of a step.
W2_GEMMS_FWD = [(W2_BATCH, 784, 512, 1), (W2_BATCH, 512, 512, 1), (W2_BATCH, 512, 10, 1)]
W2_GEMMS_BWD = [
    (512, W2_BATCH, 10, 1),    # dW3 = h2^T @ dlogits
    (W2_BATCH, 10, 512, 1),    # dh2 = dlogits @ W3^T
    (512, W2_BATCH, 512, 1),   # dW2 = h1^T @ dz2
    (W2_BATCH, 512, 512, 1),   # dh1 = dz2 @ W2^T
    (784, W2_BATCH, 512, 1),   # dW1 = x^T @ dz1
]

_P1 = W3_BATCH * W3_HW1 * W3_HW1      # conv1 output positions: im2col rows
_P2 = W3_BATCH * W3_HW2 * W3_HW2      # conv2 output positions
_K1 = W3_KERNEL * W3_KERNEL * W3_IN_CH
_K2 = W3_KERNEL * W3_KERNEL * W3_CONV1
W3_GEMMS_FWD = [(_P1, _K1, W3_CONV1, 1), (_P2, _K2, W3_CONV2, 1),
                (W3_BATCH, W3_FLAT, W3_CLASSES, 1)]
W3_GEMMS_BWD = [
    (_K1, _P1, W3_CONV1, 1),                  # conv1 dK (no dX: input layer)
    (_K2, _P2, W3_CONV2, 1),                  # conv2 dK
    (_P2, W3_CONV2, _K2, 1),                  # conv2 dX in im2col form, before col2im
    (W3_FLAT, W3_BATCH, W3_CLASSES, 1),       # dense dW
    (W3_BATCH, W3_CLASSES, W3_FLAT, 1),       # dense dX
]

_BT = W4_BATCH * W4_SEQ
_G = 4 * W4_HIDDEN
W4_GEMMS_FWD = [(_BT, W4_EMBED, _G, 1),                # input projection of all steps
                (W4_BATCH, W4_HIDDEN, _G, W4_SEQ),     # h @ Wh, once per step
                (_BT, W4_HIDDEN, W4_VOCAB, 1)]         # output dense
W4_GEMMS_BWD = [
    (W4_HIDDEN, _BT, W4_VOCAB, 1),       # dense dW
    (_BT, W4_VOCAB, W4_HIDDEN, 1),       # dense dX
    (W4_BATCH, _G, W4_HIDDEN, W4_SEQ),   # dh_{t-1} = dgates @ Wh^T, once per step
    (W4_HIDDEN, _BT, _G, 1),             # dWh, all steps in one product
    (W4_EMBED, _BT, _G, 1),              # dWx
    (_BT, _G, W4_EMBED, 1),              # d(embedded inputs)
]

W6_GEMMS_FWD = [(W6_BATCH, 16, 32, 1), (W6_BATCH, 32, 1, 1)]
W6_GEMMS_BWD = [(32, W6_BATCH, 1, 1), (W6_BATCH, 1, 32, 1), (16, W6_BATCH, 32, 1)]
# W7 has no backward pass: the forward products of all ten batches.
_B7 = W7_SAMPLES // W7_BATCH
W7_GEMMS_FWD = [(W7_BATCH, a, b, _B7) for a, b in itertools.pairwise(W2_LAYERS)]

GEMMS = {
    "W2": (W2_GEMMS_FWD, W2_GEMMS_BWD),
    "W3": (W3_GEMMS_FWD, W3_GEMMS_BWD),
    "W4": (W4_GEMMS_FWD, W4_GEMMS_BWD),
    "W6": (W6_GEMMS_FWD, W6_GEMMS_BWD),
    "W7": (W7_GEMMS_FWD, []),
}


def gemm_flops_per_step(workload: str) -> int:
    """FLOPs of the GEMM list of one train step (2*M*K*N per product)."""
    fwd, bwd = GEMMS[workload]
    return sum(2 * m * k * n * count for (m, k, n, count) in fwd + bwd)


if __name__ == "__main__":
    for name in GEMMS:
        print(f"{name}: {gemm_flops_per_step(name) / 1e6:.1f} MFLOP of GEMMs per train step")
