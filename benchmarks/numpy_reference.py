"""Hand-written NumPy versions of W1-W4, W6 and W7: the figures eagerlab is held to.

Each model computes its loss and gradients by hand and preallocates its buffers,
as a careful NumPy programmer would; `Adam` updates the parameters in place.
`gemm_only_step` runs just the matrix products one train step needs (the floor).

    python benchmarks/numpy_reference.py          # print the reference figures
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import workloads as W
from numpy.lib.stride_tricks import as_strided


# ---------------------------------------------------------------- shared pieces
def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple:
    """Mean sparse softmax CE of `logits` (n, classes) and its gradient wrt the logits."""
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, labels]))
    exp /= total  # now the softmax probabilities
    exp[rows, labels] -= 1.0
    exp /= n
    return loss, exp


class Adam:
    """Keras-style Adam, updating parameters in place with one scratch buffer each."""

    def __init__(self, params: list, lr: float) -> None:
        self.params, self.lr, self.t = params, lr, 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.tmp = [np.empty_like(p) for p in params]

    def apply(self, grads: list) -> None:
        self.t += 1
        b1, b2 = W.ADAM_BETA1, W.ADAM_BETA2
        alpha = self.lr * np.sqrt(1 - b2 ** self.t) / (1 - b1 ** self.t)
        for p, g, m, v, tmp in zip(self.params, grads, self.m, self.v, self.tmp):
            np.subtract(g, m, out=tmp)      # m += (1 - b1) (g - m)
            tmp *= 1 - b1
            m += tmp
            np.square(g, out=tmp)           # v += (1 - b2) (g^2 - v)
            tmp -= v
            tmp *= 1 - b2
            v += tmp
            np.sqrt(v, out=tmp)             # p -= alpha m / (sqrt(v) + eps)
            tmp += W.ADAM_EPS
            np.divide(m, tmp, out=tmp)
            tmp *= alpha
            p -= tmp


def train_step(model, batches: list, lr: float) -> Callable[[], float]:
    """A step function cycling over `batches`: loss and gradients, then Adam."""
    opt = Adam(model.params, lr)
    count = [0]

    def step() -> float:
        x, y = batches[count[0] % len(batches)]
        count[0] += 1
        loss, grads = model.loss_and_grads(x, y)
        opt.apply(grads)
        return loss
    return step


def gemm_only_step(workload: str) -> Callable[[], None]:
    """A step that runs exactly the GEMMs (M, K, N, count) of one `workload` train step."""
    r = np.random.default_rng(0)
    fwd, bwd = W.GEMMS[workload]
    products = []
    for m, k, n, count in fwd + bwd:
        a = r.standard_normal((m, k), dtype=W.DTYPE)
        b = r.standard_normal((k, n), dtype=W.DTYPE)
        products.append((a, b, np.empty((m, n), W.DTYPE), count))

    def step() -> None:
        for a, b, out, count in products:
            for _ in range(count):
                np.matmul(a, b, out=out)
    return step


# ---------------------------------------------------------------- W1
def w1_ops() -> dict:
    """{'add': c = a + b on 32x32, 'matmul': c = a @ b on 64x64}, plain NumPy arrays."""
    a, b, ma, mb = W.w1_data()
    return {"add": lambda: a + b, "matmul": lambda: ma @ mb}


# ---------------------------------------------------------------- W2
class Mlp:
    """Dense layers, relu between them, linear output; buffers sized for one batch."""

    def __init__(self, params: list, batch: int) -> None:
        self.params = [p.copy() for p in params]
        widths = [w.shape[1] for w in self.params[0::2]]
        self.z = [np.empty((batch, n), W.DTYPE) for n in widths]      # pre-activations
        self.h = [np.empty((batch, n), W.DTYPE) for n in widths[:-1]]  # relu outputs
        self.mask = [np.empty((batch, n), bool) for n in widths[:-1]]
        self.dh = [np.empty((batch, n), W.DTYPE) for n in widths[:-1]]
        self.grads = [np.empty_like(p) for p in self.params]

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple:
        layers = len(self.z)
        inputs = [x] + self.h
        for i in range(layers):
            z = np.matmul(inputs[i], self.params[2 * i], out=self.z[i])
            z += self.params[2 * i + 1]
            if i < layers - 1:
                np.greater(z, 0, out=self.mask[i])
                np.maximum(z, 0, out=self.h[i])
        loss, delta = softmax_cross_entropy(self.z[-1], y)  # (batch, classes)
        for i in reversed(range(layers)):
            np.matmul(inputs[i].T, delta, out=self.grads[2 * i])
            np.sum(delta, axis=0, out=self.grads[2 * i + 1])
            if i > 0:  # no gradient for the input data
                delta = np.matmul(delta, self.params[2 * i].T, out=self.dh[i - 1])
                np.multiply(delta, self.mask[i - 1], out=delta)
        return loss, self.grads


# ---------------------------------------------------------------- W3
def im2col(x: np.ndarray, k: int, out: np.ndarray) -> np.ndarray:
    """Copy the k x k VALID patches of NHWC `x` into `out` (n, ho, wo, k, k, c)."""
    n, h, w, c = x.shape
    s = x.strides
    patches = as_strided(x, shape=(n, h - k + 1, w - k + 1, k, k, c),
                         strides=(s[0], s[1], s[2], s[1], s[2], s[3]), writeable=False)
    np.copyto(out, patches)
    return out.reshape(-1, k * k * c)  # (positions, k*k*c), rows ordered like HWIO kernels


def pool_forward(y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """2x2 max pool, stride 2, VALID: a trailing odd row/column is dropped."""
    ho, wo = out.shape[1:3]
    corners = [y[:, i:2 * ho:2, j:2 * wo:2] for i in (0, 1) for j in (0, 1)]
    np.maximum(corners[0], corners[1], out=out)
    np.maximum(out, corners[2], out=out)
    return np.maximum(out, corners[3], out=out)


def pool_relu_backward(y: np.ndarray, pooled: np.ndarray, dpooled: np.ndarray,
                       dz: np.ndarray) -> np.ndarray:
    """Gradient through relu then 2x2 max pool into `dz`, the pre-relu gradient.

    The gradient goes to each position equal to its window's maximum. A window
    whose maximum is 0 lies wholly in relu's flat part, so it gets none; ties
    between positive values have probability zero with these float inputs.
    """
    ho, wo = pooled.shape[1:3]
    live = dpooled * (pooled > 0)
    for i in (0, 1):
        for j in (0, 1):
            np.multiply(live, y[:, i:2 * ho:2, j:2 * wo:2] == pooled,
                        out=dz[:, i:2 * ho:2, j:2 * wo:2])
    return dz  # a trailing odd row/column stays zero: it was allocated so


class Cnn:
    """W3's CNN (NHWC, HWIO kernels): convolutions as im2col + one GEMM each."""

    def __init__(self, params: list, batch: int) -> None:
        self.params = [p.copy() for p in params]
        n, k, dt = batch, W.W3_KERNEL, W.DTYPE
        s1, p1, s2, p2 = W.W3_HW1, W.W3_HW1P, W.W3_HW2, W.W3_HW2P
        c0, c1, c2 = W.W3_IN_CH, W.W3_CONV1, W.W3_CONV2
        self.cols1 = np.empty((n, s1, s1, k, k, c0), dt)
        self.z1 = np.empty((n, s1, s1, c1), dt)
        self.pool1 = np.empty((n, p1, p1, c1), dt)
        self.cols2 = np.empty((n, s2, s2, k, k, c1), dt)
        self.z2 = np.empty((n, s2, s2, c2), dt)
        self.pool2 = np.empty((n, p2, p2, c2), dt)
        self.dz2 = np.zeros_like(self.z2)
        self.dpool1 = np.empty_like(self.pool1)
        self.dz1 = np.zeros_like(self.z1)
        self.grads = [np.empty_like(p) for p in self.params]

    def loss_and_grads(self, x: np.ndarray, y: np.ndarray) -> tuple:
        k1, b1, k2, b2, wd, bd = self.params
        g = self.grads
        n, k = x.shape[0], W.W3_KERNEL
        cols1 = im2col(x, k, self.cols1)                        # (n*26*26, 9)
        z1 = np.matmul(cols1, k1.reshape(-1, W.W3_CONV1), out=self.z1.reshape(-1, W.W3_CONV1))
        z1 += b1
        np.maximum(z1, 0, out=z1)                               # relu in place: y1
        pool_forward(self.z1, self.pool1)                       # (n, 13, 13, 32)
        cols2 = im2col(self.pool1, k, self.cols2)               # (n*11*11, 288)
        z2 = np.matmul(cols2, k2.reshape(-1, W.W3_CONV2), out=self.z2.reshape(-1, W.W3_CONV2))
        z2 += b2
        np.maximum(z2, 0, out=z2)
        flat = pool_forward(self.z2, self.pool2).reshape(n, -1)  # (n, 1600)
        logits = flat @ wd + bd
        loss, dlogits = softmax_cross_entropy(logits, y)
        np.matmul(flat.T, dlogits, out=g[4])
        np.sum(dlogits, axis=0, out=g[5])
        dflat = (dlogits @ wd.T).reshape(self.pool2.shape)
        dz2 = pool_relu_backward(self.z2, self.pool2, dflat, self.dz2).reshape(-1, W.W3_CONV2)
        np.matmul(cols2.T, dz2, out=g[2].reshape(-1, W.W3_CONV2))
        np.sum(dz2, axis=0, out=g[3])
        dcols2 = (dz2 @ k2.reshape(-1, W.W3_CONV2).T).reshape(self.cols2.shape)
        self._col2im(dcols2, self.dpool1)
        dz1 = pool_relu_backward(self.z1, self.pool1, self.dpool1, self.dz1)
        dz1 = dz1.reshape(-1, W.W3_CONV1)
        np.matmul(cols1.T, dz1, out=g[0].reshape(-1, W.W3_CONV1))
        np.sum(dz1, axis=0, out=g[1])
        return loss, g

    @staticmethod
    def _col2im(dcols: np.ndarray, dx: np.ndarray) -> None:
        """Sum patch gradients (n, ho, wo, k, k, c) back onto the input positions."""
        ho, wo, k = dcols.shape[1], dcols.shape[2], dcols.shape[3]
        dx.fill(0)
        for i in range(k):
            for j in range(k):
                dx[:, i:i + ho, j:j + wo] += dcols[:, :, :, i, j]


# ---------------------------------------------------------------- W4
def _sigmoid(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.negative(x, out=out)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


class CharLstm:
    """W4's Embedding -> LSTM -> Dense, time-major inside, with backprop through time."""

    def __init__(self, params: list, batch: int) -> None:
        self.params = [p.copy() for p in params]
        t, b, hid, dt = W.W4_SEQ, batch, W.W4_HIDDEN, W.DTYPE
        self.emb = np.empty((t, b, W.W4_EMBED), dt)
        self.acts = np.empty((t, b, 4 * hid), dt)   # gate activations [i, f, g, o]
        self.h = np.zeros((t + 1, b, hid), dt)      # h[0] is the initial state
        self.c = np.zeros((t + 1, b, hid), dt)
        self.tanh_c = np.empty((t, b, hid), dt)
        self.dgates = np.empty((t, b, 4 * hid), dt)
        self.grads = [np.empty_like(p) for p in self.params]

    def loss_and_grads(self, tokens: np.ndarray, targets: np.ndarray) -> tuple:
        emb_w, wx, wh, bias, wd, bd = self.params
        hid, steps = W.W4_HIDDEN, W.W4_SEQ
        acts, h, c, tanh_c = self.acts, self.h, self.c, self.tanh_c
        tok = tokens.T                                            # (T, B)
        np.take(emb_w, tok, axis=0, out=self.emb)
        emb = self.emb.reshape(-1, W.W4_EMBED)                    # (T*B, E)
        np.matmul(emb, wx, out=acts.reshape(-1, 4 * hid))         # inputs' share of gates
        acts += bias
        for t in range(steps):
            a = acts[t]                                           # (B, 4H)
            a += h[t] @ wh
            _sigmoid(a[:, :2 * hid], out=a[:, :2 * hid])
            np.tanh(a[:, 2 * hid:3 * hid], out=a[:, 2 * hid:3 * hid])
            _sigmoid(a[:, 3 * hid:], out=a[:, 3 * hid:])
            np.multiply(a[:, hid:2 * hid], c[t], out=c[t + 1])
            c[t + 1] += a[:, :hid] * a[:, 2 * hid:3 * hid]
            np.tanh(c[t + 1], out=tanh_c[t])
            np.multiply(a[:, 3 * hid:], tanh_c[t], out=h[t + 1])
        hs = h[1:].reshape(-1, hid)                               # (T*B, H)
        loss, dlogits = softmax_cross_entropy(hs @ wd + bd, targets.T.reshape(-1))
        g = self.grads
        np.matmul(hs.T, dlogits, out=g[4])
        np.sum(dlogits, axis=0, out=g[5])
        dh_out = (dlogits @ wd.T).reshape(steps, -1, hid)         # (T, B, H)
        self._bptt(dh_out)
        dgates = self.dgates.reshape(-1, 4 * hid)
        np.matmul(h[:-1].reshape(-1, hid).T, dgates, out=g[2])
        np.matmul(emb.T, dgates, out=g[1])
        np.sum(dgates, axis=0, out=g[3])
        g[0].fill(0)
        np.add.at(g[0], tok.reshape(-1), dgates @ wx.T)           # embedding rows used
        return loss, g

    def _bptt(self, dh_out: np.ndarray) -> None:
        """Fill self.dgates (T, B, 4H), the loss gradient wrt the gate pre-activations."""
        hid, wh = W.W4_HIDDEN, self.params[2]
        acts, dgates = self.acts, self.dgates
        # the activations' derivatives, all steps at once: s(1 - s) and 1 - tanh^2
        deriv = acts * (1 - acts)
        gate_g = acts[:, :, 2 * hid:3 * hid]
        np.subtract(1, gate_g * gate_g, out=deriv[:, :, 2 * hid:3 * hid])
        dh = np.zeros_like(self.h[0])
        dc = np.zeros_like(dh)
        for t in reversed(range(W.W4_SEQ)):
            a, d = acts[t], dgates[t]
            i, f, g, o = (a[:, n * hid:(n + 1) * hid] for n in range(4))
            dh += dh_out[t]
            np.multiply(dh, self.tanh_c[t], out=d[:, 3 * hid:])            # d o
            dc += dh * o * (1 - self.tanh_c[t] ** 2)
            np.multiply(dc, g, out=d[:, :hid])                             # d i
            np.multiply(dc, self.c[t], out=d[:, hid:2 * hid])              # d f
            np.multiply(dc, i, out=d[:, 2 * hid:3 * hid])                  # d g
            dc *= f                                                        # to step t - 1
            d *= deriv[t]
            np.matmul(d, wh.T, out=dh)                                     # to step t - 1


# ---------------------------------------------------------------- W6, W7
def w6_step() -> Callable[[], float]:
    """W6's tiny MLP step: forward, MSE, backward, plain SGD, as the peers' NumPy writes it."""
    params = W.mlp_params(W.W6_LAYERS)
    batches = W.w6_batches()
    count = [0]

    def step() -> float:
        x, y = batches[count[0] % len(batches)]
        count[0] += 1
        w1, b1, w2, b2 = params
        z = x @ w1
        z += b1
        h = np.maximum(z, 0.0)
        pred = h @ w2
        pred += b2
        diff = pred - y
        loss = float(np.mean(diff * diff))
        g = diff * (2.0 / diff.size)                     # (batch, 1)
        gw2, gb2 = h.T @ g, g.sum(axis=0)
        g = g @ w2.T
        g *= z > 0
        gw1, gb1 = x.T @ g, g.sum(axis=0)
        for p, grad in zip(params, (gw1, gb1, gw2, gb2)):
            p -= W.W6_LR * grad
        return loss
    return step


def mlp_forward(params: list, x: np.ndarray) -> np.ndarray:
    """The W2 MLP's forward pass (relu between dense layers) on a batch."""
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i]
        h += params[i + 1]
        if i < len(params) - 2:
            np.maximum(h, 0.0, out=h)
    return h


def w7_predict() -> Callable[[], list]:
    """W7: the W2 MLP's forward pass over 10,000 samples in batches of 1,000."""
    params, batches = W.mlp_params(), W.w7_batches()
    return lambda: [mlp_forward(params, x) for x in batches]


# ---------------------------------------------------------------- the steps
def w2_step() -> Callable[[], float]:
    return train_step(Mlp(W.mlp_params(), W.W2_BATCH), W.w2_batches(), W.W2_LR)


def w3_step() -> Callable[[], float]:
    return train_step(Cnn(W.cnn_params(), W.W3_BATCH), W.w3_batches(), W.W3_LR)


def w4_step() -> Callable[[], float]:
    return train_step(CharLstm(W.lstm_params(), W.W4_BATCH), W.w4_batches(), W.W4_LR)


def reference_figures(workloads: list) -> dict:
    """Median figures of the reference measurements in `workloads`, keyed by name."""
    import harness as H

    out = {}
    ops = w1_ops()
    if "W1" in workloads:
        out["W1 add (us/op)"] = H.us_per_op(ops["add"])
        out["W1 matmul (us/op)"] = H.us_per_op(ops["matmul"])
    steps = {"W2": w2_step, "W3": w3_step, "W4": w4_step, "W6": w6_step}
    for name in ("W2", "W3", "W4", "W6"):
        if name in workloads:
            out[name + " hand step (steps/s)"] = H.rate_blocks(steps[name]())
            out[name + " GEMM-only (steps/s)"] = H.rate_blocks(gemm_only_step(name))
    if "W7" in workloads:
        out["W7 hand forward (samples/s)"] = H.rate_blocks(w7_predict(),
                                                           items_per_step=W.W7_SAMPLES)
        out["W7 GEMM-only (samples/s)"] = H.rate_blocks(gemm_only_step("W7"),
                                                        items_per_step=W.W7_SAMPLES)
    return out


if __name__ == "__main__":
    import harness as H

    print("\n".join(H.header_lines(H.machine_info())))
    for key, samples in reference_figures(["W1", "W2", "W3", "W4", "W6", "W7"]).items():
        print(f"NumPy {key:28s} median {H.median(samples):9.2f}   "
              f"(min {min(samples):.2f}, max {max(samples):.2f})")
