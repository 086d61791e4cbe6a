"""W1-W4 in eager PyTorch, TensorFlow and JAX, for the peer columns of the table.

`bench_engine.py` runs this file in a subprocess per framework, and only when
`importlib.util.find_spec` finds the framework, so a peer's threads, allocator
and imports never touch eagerlab's measurements. None of the peers is a
dependency of the project. Prints one JSON object {figure name: samples}.

With `--device cuda` (PyTorch only) the model, the data and every op live on the
GPU, and each timed block ends with `torch.cuda.synchronize()`.

    python benchmarks/peer_frameworks.py --framework torch --workloads W1,W2
    python benchmarks/peer_frameworks.py --framework torch --device cuda
"""

from __future__ import annotations

import argparse
import json
import os

import harness as H
import workloads as W

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def cycling(run, batches: list):
    """A step that feeds `run(x, y)` the pooled batches in turn."""
    count = [0]

    def step():
        x, y = batches[count[0] % len(batches)]
        count[0] += 1
        return run(x, y)
    return step


# ---------------------------------------------------------------- PyTorch
def torch_figures(workloads: list, device: str = "cpu") -> dict:
    import torch
    import torch.nn.functional as F
    from torch import nn

    if device != "cpu" and not torch.cuda.is_available():
        raise SystemExit(f"torch {torch.__version__}: --device {device} asked for, but "
                         "torch.cuda.is_available() is False (a CPU-only build, or no GPU)")
    dev = torch.device(device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else None
    out = {}
    if "W1" in workloads:
        a, b, ma, mb = (torch.from_numpy(t).to(dev) for t in W.w1_data())
        out["W1 add"] = H.us_per_op(lambda: a + b, sync=sync)
        out["W1 matmul"] = H.us_per_op(lambda: ma @ mb, sync=sync)

    def measure(model, batches, lr, flatten=False):
        model = model.to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(W.ADAM_BETA1, W.ADAM_BETA2),
                               eps=W.ADAM_EPS)
        data = [(torch.from_numpy(x).to(dev), torch.from_numpy(y).long().to(dev))
                for x, y in batches]

        def run(x, y):
            opt.zero_grad(set_to_none=True)
            logits = model(x)
            if flatten:
                logits, y = logits.reshape(-1, logits.shape[-1]), y.reshape(-1)
            loss = F.cross_entropy(logits, y)
            loss.backward()
            opt.step()
            return loss
        return H.rate_blocks(cycling(run, data), sync=sync)

    if "W2" in workloads:
        dims = W.W2_LAYERS
        model = nn.Sequential(nn.Linear(dims[0], dims[1]), nn.ReLU(), nn.Linear(dims[1], dims[2]),
                              nn.ReLU(), nn.Linear(dims[2], dims[3]))
        out["W2 eager"] = measure(model, W.w2_batches(), W.W2_LR)
    if "W3" in workloads:
        model = nn.Sequential(
            nn.Conv2d(W.W3_IN_CH, W.W3_CONV1, W.W3_KERNEL), nn.ReLU(), nn.MaxPool2d(W.W3_POOL),
            nn.Conv2d(W.W3_CONV1, W.W3_CONV2, W.W3_KERNEL), nn.ReLU(), nn.MaxPool2d(W.W3_POOL),
            nn.Flatten(), nn.Linear(W.W3_FLAT, W.W3_CLASSES))
        nchw = [(x.transpose(0, 3, 1, 2).copy(), y) for x, y in W.w3_batches()]
        out["W3 eager"] = measure(model, nchw, W.W3_LR)
    if "W4" in workloads:
        class CharLstm(nn.Module):
            def __init__(self):
                super().__init__()
                self.emb = nn.Embedding(W.W4_VOCAB, W.W4_EMBED)
                self.lstm = nn.LSTM(W.W4_EMBED, W.W4_HIDDEN, batch_first=True)
                self.out = nn.Linear(W.W4_HIDDEN, W.W4_VOCAB)

            def forward(self, tokens):
                return self.out(self.lstm(self.emb(tokens))[0])
        out["W4 eager"] = measure(CharLstm(), W.w4_batches(), W.W4_LR, flatten=True)
    return out


# ---------------------------------------------------------------- TensorFlow
def tensorflow_figures(workloads: list) -> dict:
    import tensorflow as tf

    keras, layers = tf.keras, tf.keras.layers
    out = {}
    if "W1" in workloads:
        a, b, ma, mb = (tf.constant(t) for t in W.w1_data())
        out["W1 add"] = H.us_per_op(lambda: a + b)
        out["W1 matmul"] = H.us_per_op(lambda: tf.matmul(ma, mb))

    def measure(build, batches, lr, name):
        """`{name} eager` and `{name} graph`: the custom-loop step as is and in a
        tf.function (TF's graph mode, WORKLOADS.md's "TF graph"), each on a fresh model."""
        data = [(tf.constant(x), tf.constant(y)) for x, y in batches]
        for mode in ("eager", "graph"):
            model = build()
            opt = keras.optimizers.Adam(learning_rate=lr, beta_1=W.ADAM_BETA1,
                                        beta_2=W.ADAM_BETA2, epsilon=W.ADAM_EPS)
            loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

            def run(x, y, model=model, opt=opt, loss_fn=loss_fn):
                with tf.GradientTape() as tape:
                    loss = loss_fn(y, model(x, training=True))
                grads = tape.gradient(loss, model.trainable_variables)
                opt.apply_gradients(zip(grads, model.trainable_variables))
                return loss
            step = tf.function(run) if mode == "graph" else run
            out[f"{name} {mode}"] = H.rate_blocks(cycling(step, data))

    if "W2" in workloads:
        dims = W.W2_LAYERS
        measure(lambda: keras.Sequential([keras.Input(shape=(dims[0],)),
                                          layers.Dense(dims[1], activation="relu"),
                                          layers.Dense(dims[2], activation="relu"),
                                          layers.Dense(dims[3])]),
                W.w2_batches(), W.W2_LR, "W2")
    if "W3" in workloads:
        measure(lambda: keras.Sequential([
            keras.Input(shape=(W.W3_HW, W.W3_HW, W.W3_IN_CH)),
            layers.Conv2D(W.W3_CONV1, W.W3_KERNEL, activation="relu"),
            layers.MaxPooling2D(W.W3_POOL),
            layers.Conv2D(W.W3_CONV2, W.W3_KERNEL, activation="relu"),
            layers.MaxPooling2D(W.W3_POOL), layers.Flatten(), layers.Dense(W.W3_CLASSES)]),
            W.w3_batches(), W.W3_LR, "W3")
    if "W4" in workloads:
        measure(lambda: keras.Sequential([keras.Input(shape=(W.W4_SEQ,), dtype="int32"),
                                          layers.Embedding(W.W4_VOCAB, W.W4_EMBED),
                                          layers.LSTM(W.W4_HIDDEN, return_sequences=True),
                                          layers.Dense(W.W4_VOCAB)]),
                W.w4_batches(), W.W4_LR, "W4")
    return out


# ---------------------------------------------------------------- JAX
def jax_figures(workloads: list) -> dict:
    """Pure JAX without jit: value_and_grad and a hand-written Adam, op by op."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    tree_map = jax.tree_util.tree_map
    out = {}
    if "W1" in workloads:
        a, b, ma, mb = (jnp.asarray(t) for t in W.w1_data())
        out["W1 add"] = H.us_per_op(lambda: a + b)
        out["W1 matmul"] = H.us_per_op(lambda: ma @ mb)

    def sparse_ce(logits, y):
        logp = jax.nn.log_softmax(logits.reshape(-1, logits.shape[-1]), axis=-1)
        return -jnp.mean(jnp.take_along_axis(logp, y.reshape(-1, 1), axis=-1))

    def measure(loss_fn, arrays, batches, lr):
        state = {"p": [jnp.asarray(p) for p in arrays], "t": 0}
        state["m"] = tree_map(jnp.zeros_like, state["p"])
        state["v"] = tree_map(jnp.zeros_like, state["p"])
        b1, b2 = W.ADAM_BETA1, W.ADAM_BETA2
        grad_fn = jax.value_and_grad(loss_fn)
        data = [(jnp.asarray(x), jnp.asarray(y)) for x, y in batches]

        def run(x, y):
            loss, grads = grad_fn(state["p"], x, y)
            state["t"] += 1
            alpha = lr * (1 - b2 ** state["t"]) ** 0.5 / (1 - b1 ** state["t"])
            state["m"] = tree_map(lambda m, g: b1 * m + (1 - b1) * g, state["m"], grads)
            state["v"] = tree_map(lambda v, g: b2 * v + (1 - b2) * g * g, state["v"], grads)
            state["p"] = [p - alpha * m / (jnp.sqrt(v) + W.ADAM_EPS)
                          for p, m, v in zip(state["p"], state["m"], state["v"])]
            return jax.block_until_ready(loss)
        return H.rate_blocks(cycling(run, data))

    def mlp_loss(p, x, y):
        h = x
        for i in range(0, len(p), 2):
            h = h @ p[i] + p[i + 1]
            h = jax.nn.relu(h) if i < len(p) - 2 else h
        return sparse_ce(h, y)

    def conv_relu_pool(x, kernel, bias):
        y = lax.conv_general_dilated(x, kernel, (1, 1), "VALID",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        y = jax.nn.relu(y + bias)
        return lax.reduce_window(y, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def cnn_loss(p, x, y):
        h = conv_relu_pool(conv_relu_pool(x, p[0], p[1]), p[2], p[3])
        return sparse_ce(h.reshape(h.shape[0], -1) @ p[4] + p[5], y)

    def lstm_loss(p, tokens, targets):
        emb, wx, wh, bias, wd, bd = p
        xw = jnp.take(emb, tokens.T, axis=0) @ wx + bias          # (T, B, 4H)
        h = c = jnp.zeros((tokens.shape[0], W.W4_HIDDEN), jnp.float32)
        outputs = []
        for t in range(W.W4_SEQ):
            i, f, g, o = jnp.split(xw[t] + h @ wh, 4, axis=1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            outputs.append(h)
        return sparse_ce(jnp.stack(outputs) @ wd + bd, targets.T)

    if "W2" in workloads:
        out["W2 eager"] = measure(mlp_loss, W.mlp_params(), W.w2_batches(), W.W2_LR)
    if "W3" in workloads:
        out["W3 eager"] = measure(cnn_loss, W.cnn_params(), W.w3_batches(), W.W3_LR)
    if "W4" in workloads:
        out["W4 eager"] = measure(lstm_loss, W.lstm_params(), W.w4_batches(), W.W4_LR)
    return out


FRAMEWORKS = {"torch": torch_figures, "tensorflow": tensorflow_figures, "jax": jax_figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=sorted(FRAMEWORKS), required=True)
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--repeats", type=int, default=W.REPEATS)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="cuda: PyTorch on the GPU (the other frameworks run on the CPU only)")
    args = parser.parse_args()
    if args.device != "cpu" and args.framework != "torch":
        parser.error(f"--device {args.device}: only --framework torch runs on a GPU here")
    W.REPEATS = args.repeats
    names = [name.strip() for name in args.workloads.split(",")]
    if args.framework == "torch":
        print(json.dumps(torch_figures(names, args.device)))
    else:
        print(json.dumps(FRAMEWORKS[args.framework](names)))


if __name__ == "__main__":
    main()
