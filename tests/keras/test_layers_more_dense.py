"""GroupNormalization, EinsumDense and AbstractRNNCell against NumPy, with gradients.

The companion of test_layers_more.py: values against NumPy references, weight and input
gradients against float64 central differences, traced graphs with unknown sizes, config
round trips and the errors for bad arguments.
"""

import numpy as np
import pytest

import engine
from engine.errors import ShapeError
from tests.keras.layer_checks import check_config_round_trip, check_layer_gradients

keras = engine.keras
layers = engine.keras.layers


def group_norm(x, groups, axis, gamma, beta, eps):
    """NumPy reference: statistics per example and group of channels."""
    moved = np.moveaxis(x, axis, -1)                                   # (batch, ..., channels)
    shape = moved.shape
    grouped = moved.reshape(shape[:-1] + (groups, shape[-1] // groups))
    reduce = tuple(range(1, grouped.ndim - 2)) + (grouped.ndim - 1,)
    mean = grouped.mean(reduce, keepdims=True)
    var = grouped.var(reduce, keepdims=True)
    out = ((grouped - mean) / np.sqrt(var + eps)).reshape(shape) * gamma + beta
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("shape,groups,axis", [
    ((3, 8), 4, -1), ((2, 5, 6), 3, -1), ((2, 4, 3, 6), 2, -1), ((2, 6, 3, 4), 3, 1),
    ((2, 5, 6), -1, -1), ((2, 5, 6), 1, 2)])
def test_group_norm_matches_numpy_with_gradients(rng, shape, groups, axis):
    channels = shape[axis]
    x = rng.normal(size=shape) * 2 + 1
    layer = layers.GroupNormalization(groups=groups, axis=axis, epsilon=1e-3, dtype="float64")
    layer.build(engine.TensorShape(shape))
    gamma, beta = rng.normal(size=channels), rng.normal(size=channels)
    layer.set_weights([gamma, beta])
    expected = group_norm(x, channels if groups == -1 else groups, axis % len(shape),
                          gamma, beta, 1e-3)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(layer(x, training=True).numpy(), expected, rtol=1e-10,
                               atol=1e-12)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv, layer.gamma, layer.beta])


def test_group_norm_traced_with_unknown_sizes_and_weights(rng):
    layer = layers.GroupNormalization(groups=2, axis=-1, name="gn")
    x = rng.normal(size=(3, 4, 5, 6)).astype(np.float32)
    eager = layer(x).numpy()
    assert [w.name for w in layer.weights] == ["gn/gamma:0", "gn/beta:0"]
    assert layer.gamma.shape == (6,)
    traced = engine.function(lambda t: layer(t),
                             input_signature=[engine.TensorSpec([None, None, None, 6])])
    np.testing.assert_allclose(traced(engine.constant(x)).numpy(), eager, rtol=1e-5,
                               atol=1e-6)
    bare = layers.GroupNormalization(groups=3, center=False, scale=False)
    bare(x)
    assert bare.weights == []
    half = layers.GroupNormalization(groups=3, dtype="float16")
    out = half(x.astype(np.float16))
    assert out.dtype == engine.float16 and half.gamma.dtype == engine.float32
    expected = group_norm(x, 3, 3, np.ones(6), np.zeros(6), 1e-3)
    np.testing.assert_allclose(out.numpy().astype(np.float32), expected, atol=2e-2)


def test_group_norm_config_round_trip(rng):
    layer = layers.GroupNormalization(groups=2, axis=1, epsilon=1e-5,
                                      gamma_regularizer="l2", beta_constraint="non_neg",
                                      gamma_initializer="random_normal")
    clone = check_config_round_trip(layer, rng.normal(size=(2, 4, 3)).astype(np.float32))
    assert clone.groups == 2 and clone.axis == 1 and clone.epsilon == 1e-5
    assert len(clone.losses) == 1  # the gamma regularizer


def test_group_norm_bad_arguments_name_the_layer():
    with pytest.raises(ShapeError, match=r"gn_check.*groups=4 must divide the 6 channels"):
        layers.GroupNormalization(groups=4, name="gn_check")(np.ones((2, 6), np.float32))
    with pytest.raises(ShapeError, match="groups=8 must divide the 6 channels"):
        layers.GroupNormalization(groups=8)(np.ones((2, 6), np.float32))
    with pytest.raises(ValueError, match=r"groups must be a positive int.*got groups=0"):
        layers.GroupNormalization(groups=0)
    with pytest.raises(TypeError, match=r"axis must be one int.*axis=\[1, 2\]"):
        layers.GroupNormalization(axis=[1, 2])
    with pytest.raises(ValueError, match="axis=0 is the batch axis"):
        layers.GroupNormalization(groups=1, axis=0)(np.ones((2, 6), np.float32))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        layers.GroupNormalization(groups=1, axis=3)(np.ones((2, 6), np.float32))
    with pytest.raises(ValueError, match="must have a known size"):
        layers.GroupNormalization(groups=1).build(engine.TensorShape((None, None)))


EINSUM_CASES = [
    # equation, output_shape, bias_axes, input shape, kernel shape, bias shape, output shape
    ("ab,bc->ac", 4, "c", (3, 5), (5, 4), (4,), (3, 4)),
    ("abc,cd->abd", (None, 4), "d", (2, 3, 5), (5, 4), (4,), (2, 3, 4)),
    ("abc,cde->abde", (None, 2, 4), "be", (2, 3, 5), (5, 2, 4), (3, 1, 4), (2, 3, 2, 4)),
    ("abc,cde->abde", (3, 2, 4), None, (2, 3, 5), (5, 2, 4), None, (2, 3, 2, 4)),
    ("...b,bc->...c", 4, "c", (2, 3, 5), (5, 4), (4,), (2, 3, 4)),
    ("ab...,bc->ac...", 4, "c", (2, 5, 3, 2), (5, 4), (4, 1, 1), (2, 4, 3, 2)),
    ("abcd,cde->abe", (None, 3), "e", (2, 4, 5, 2), (5, 2, 3), (3,), (2, 4, 3)),
]


@pytest.mark.parametrize("equation,output_shape,bias_axes,shape,kernel,bias,out_shape",
                         EINSUM_CASES, ids=[c[0] + str(c[2]) for c in EINSUM_CASES])
def test_einsum_dense_matches_numpy_with_gradients(rng, equation, output_shape, bias_axes,
                                                   shape, kernel, bias, out_shape):
    layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes,
                               activation="tanh", dtype="float64")
    x = rng.normal(size=shape)
    layer.build(engine.TensorShape(shape))
    assert tuple(layer.kernel.shape) == kernel
    assert (layer.bias is None and bias is None) or tuple(layer.bias.shape) == bias
    weights = [rng.normal(size=w.shape.as_list()) for w in layer.weights]
    layer.set_weights(weights)
    expected = np.einsum(equation, x, weights[0])
    if bias is not None:
        expected = expected + weights[1]
    expected = np.tanh(expected)
    assert expected.shape == out_shape and tuple(layer.full_output_shape) == out_shape
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-10, atol=1e-12)
    traced = engine.function(lambda t: layer(t))
    np.testing.assert_allclose(traced(engine.constant(x)).numpy(), expected, rtol=1e-10,
                               atol=1e-12)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: layer(xv), [xv] + layer.trainable_weights)


def test_einsum_dense_symbolic_inputs_config_and_regularizers(rng):
    inputs = keras.Input((None, 5))
    layer = layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3), bias_axes="de",
                               kernel_regularizer="l2", activity_regularizer="l1",
                               name="ed")
    outputs = layer(inputs)
    assert outputs.shape.as_list() == [None, None, 2, 3]
    assert [w.name for w in layer.weights] == ["ed/kernel:0", "ed/bias:0"]
    model = keras.Model(inputs, outputs)
    x = rng.normal(size=(2, 4, 5)).astype(np.float32)
    np.testing.assert_allclose(model(x).numpy(), layer(x).numpy(), rtol=1e-6)
    assert len(layer.losses) == 2  # kernel and activity regularizers
    config = layer.get_config()
    assert config["output_shape"] == [None, 2, 3] and config["bias_axes"] == "de"
    check_config_round_trip(layer, x)


def test_einsum_dense_bad_arguments_say_what_and_how():
    with pytest.raises(ValueError, match=r"got equation='ab->b'; expected one input"):
        layers.EinsumDense("ab->b", 3)
    with pytest.raises(ValueError, match=r"output_shape must be a positive int.*'x'"):
        layers.EinsumDense("ab,bc->ac", "x")
    with pytest.raises(TypeError, match=r"bias_axes must be a string.*bias_axes=1"):
        layers.EinsumDense("ab,bc->ac", 3, bias_axes=1)
    cases = [
        ("ab,bc->ac", 3, "d", (2, 4), r"bias_axes='d' has 'd', which is not an output label"),
        ("ab,bc->ac", (3, 4), None, (2, 4), r"got output_shape=\[3, 4\]; expected 1 sizes"),
        ("abc,cd->abd", (5, 3), None, (2, 4, 6), r"output label 'b' is shared with the "
                                                  r"input, whose size there is 4; got output "
                                                  r"size 5"),
        ("ab,bc->ad", 3, None, (2, 4), r"output label 'd' is in neither"),
        ("ab,bcd->ac", 3, None, (2, 4), r"kernel label 'd' is in neither"),
        ("ab,bc->ac", [None], None, (2, 4), r"kernel label 'c' has an unknown"),
        ("abc,cd->abd", (None, 3), None, (2, 4), r"the input term 'abc' has 3 axes"),
        ("ab,bc->bc", 3, None, (2, 4), r"first output label 'b' must be the batch label 'a'"),
    ]
    for equation, output_shape, bias_axes, shape, message in cases:
        layer = layers.EinsumDense(equation, output_shape, bias_axes=bias_axes)
        with pytest.raises(ShapeError, match=message):
            layer.build(engine.TensorShape(shape))


class MinimalRNNCell(layers.AbstractRNNCell):
    """A test cell: `h = tanh(x W + h U)`, with a second state that counts the steps."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    @property
    def state_size(self):
        return [self.units, 1]

    @property
    def output_size(self):
        return self.units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", shape=[input_shape[-1], self.units])
        self.recurrent_kernel = self.add_weight("recurrent_kernel",
                                                shape=[self.units, self.units])

    def call(self, inputs, states):
        h = engine.tanh(engine.matmul(inputs, self.kernel) +
                        engine.matmul(states[0], self.recurrent_kernel))
        return h, [h, states[1] + 1.0]

    def get_config(self):
        config = super().get_config()
        config["units"] = self.units
        return config


def test_abstract_rnn_cell_subclass_runs_in_rnn_like_numpy(rng):
    cell = MinimalRNNCell(3, dtype="float64")
    rnn = layers.RNN(cell, return_sequences=True, return_state=True, dtype="float64")
    x = rng.normal(size=(2, 5, 4))
    outputs, h, count = rnn(x)
    w, u = (v.numpy() for v in cell.weights)
    state, expected = np.zeros((2, 3)), []
    for t in range(5):
        state = np.tanh(x[:, t] @ w + state @ u)
        expected.append(state)
    np.testing.assert_allclose(outputs.numpy(), np.stack(expected, 1), rtol=1e-10)
    np.testing.assert_allclose(h.numpy(), state, rtol=1e-10)
    np.testing.assert_array_equal(count.numpy(), 5.0)
    traced = engine.function(lambda t: rnn(t)[0])
    np.testing.assert_allclose(traced(engine.constant(x)).numpy(), outputs.numpy(), rtol=1e-10)
    xv = engine.Variable(x)
    check_layer_gradients(lambda: rnn(xv)[0], [xv, cell.kernel, cell.recurrent_kernel])
    zeros = cell.get_initial_state(batch_size=4)
    assert [tuple(z.shape) for z in zeros] == [(4, 3), (4, 1)]
    assert zeros[0].dtype == engine.float64
    config = layers.serialize(rnn)
    cell_clone = layers.deserialize(config["config"]["cell"],
                                    custom_objects={"MinimalRNNCell": MinimalRNNCell})
    assert isinstance(cell_clone, MinimalRNNCell) and cell_clone.units == 3
    clone = layers.RNN.from_config(config["config"],
                                   custom_objects={"MinimalRNNCell": MinimalRNNCell})
    assert isinstance(clone.cell, MinimalRNNCell) and clone.return_state


def test_abstract_rnn_cell_in_a_fitted_model(rng):
    x = rng.normal(size=(32, 6, 2)).astype(np.float32)
    y = x[:, :, :1].sum(1)
    model = keras.Sequential([keras.Input((6, 2)), layers.RNN(MinimalRNNCell(8)),
                              layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    losses = model.fit(x, y, batch_size=8, epochs=6, verbose=0).history["loss"]
    assert losses[-1] < 0.7 * losses[0], losses


def test_abstract_rnn_cell_says_what_a_subclass_must_define():
    class NoState(layers.AbstractRNNCell):
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(NotImplementedError, match="NoState.*must define the state_size"):
        layers.RNN(NoState())
    with pytest.raises(NotImplementedError, match="must define the output_size"):
        NoState().output_size
    with pytest.raises(NotImplementedError, match=r"must implement call\(inputs, states\)"):
        layers.AbstractRNNCell().call(engine.ones([1, 2]), [engine.ones([1, 2])])
    with pytest.raises(ValueError, match="got neither inputs with a known batch size nor "
                                         "batch_size"):
        MinimalRNNCell(2).get_initial_state()


@pytest.fixture(params=["fake", pytest.param("cupy", marks=pytest.mark.gpu)])
def gpu_backend(request):
    """The backend behind `/GPU:0`: the fake one (NumPy kernels), or CuPy on a real GPU."""
    from engine.backend import devices

    if request.param == "cupy":
        from engine.backend import cupy_backend

        yield cupy_backend
        return
    from tests.fake_gpu import FakeGPUBackend

    devices._install_gpu_backend(FakeGPUBackend())
    yield
    devices._install_gpu_backend(None)


GPU_CASES = [
    (lambda: layers.GroupNormalization(groups=3, axis=1), (4, 6, 5), False),
    (lambda: layers.EinsumDense("abc,cde->abde", (None, 2, 3), bias_axes="de"), (4, 5, 6),
     False),
    (lambda: layers.UnitNormalization(axis=[1, 2]), (4, 5, 6), False),
    (lambda: layers.ActivityRegularization(l1=0.1, l2=0.2), (4, 5, 6), False),
    (lambda: layers.Identity(), (4, 5, 6), False),
    (lambda: layers.GaussianNoise(0.5, seed=1), (4, 5, 6), True),
    (lambda: layers.GaussianDropout(0.3, seed=1), (4, 5, 6), True),
    (lambda: layers.AlphaDropout(0.3, noise_shape=(None, 1, None), seed=1), (4, 5, 6), True),
    (lambda: layers.SpatialDropout1D(0.5, seed=1), (4, 5, 6), True),
    (lambda: layers.SpatialDropout2D(0.5, seed=1, data_format="channels_first"),
     (4, 5, 6, 3), True),
]


def test_new_layers_on_the_gpu_match_the_cpu(gpu_backend, rng):
    for make, shape, noisy in GPU_CASES:
        x = rng.normal(size=shape).astype(np.float32)
        cpu = make()
        with engine.device("/GPU:0"):
            gpu = make()
            gpu.build(engine.TensorShape(shape))
        cpu.build(engine.TensorShape(shape))
        gpu.set_weights(cpu.get_weights())
        results = []
        for layer, device in ((cpu, "/CPU:0"), (gpu, "/GPU:0")):
            with engine.device(device):
                xv = engine.Variable(x)
                engine.random.set_seed(5)
                with engine.GradientTape() as tape:
                    out = layer(xv, training=noisy)
                    loss = engine.reduce_sum(out * out) + sum(layer.losses, 0.0)
                grads = tape.gradient(loss, [xv] + layer.trainable_weights)
            assert ("GPU" in out.device) == (device == "/GPU:0"), (type(layer), out.device)
            results.append([out.numpy()] + [np.asarray(g) for g in grads])
        for want, got in zip(*results):
            np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5,
                                       err_msg=type(cpu).__name__)
