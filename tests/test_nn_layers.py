"""sknn_squiggle/_nn/layers.py: the dense layer's parameters, initialisation,
binding, forward and backward passes.

Expected values are numpy written out here (matrix products, the Glorot
bounds from their formula, draws of the same RandomState in the documented
order); the network's finite-difference checks are in test_nn_network.py.
"""

import copy

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_squiggle._nn.layers import (
    Blend,
    Dense,
    _dropout_mask,
    _input_gradient,
    data_driven_dense_init,
    dense_stack,
)
from sknn_squiggle._nn.layout import ParameterLayout, ParamSpec
from sknn_squiggle._nn.network import Network


def test_param_specs_and_multiply_adds():
    layer = Dense(3, 5, "tanh")
    assert layer.param_specs() == [
        ParamSpec("coefs", (3, 5), True),
        ParamSpec("intercepts", (5,), False),
    ]
    assert layer.multiply_adds() == 15


@pytest.mark.parametrize(
    "activation, factor", [("relu", 6.0), ("logistic", 2.0), ("sigmoid", 2.0)]
)
def test_initial_params_are_glorot_uniform_weights_then_biases(activation, factor):
    """U(+-sqrt(c / (fan_in + fan_out))), c = 2 for the logistic sigmoid and
    6 otherwise, the weights drawn before the biases."""
    drawn = Dense(4, 6, "identity", init_activation=activation).initial_params(
        np.random.RandomState(3)
    )
    bound = np.sqrt(factor / (4 + 6))
    rng = np.random.RandomState(3)
    np.testing.assert_array_equal(drawn["coefs"], rng.uniform(-bound, bound, (4, 6)))
    np.testing.assert_array_equal(drawn["intercepts"], rng.uniform(-bound, bound, 6))
    assert np.abs(drawn["coefs"]).max() <= bound


def test_dense_stack_initialises_like_scikit_learn():
    """Every layer uses its hidden activation's Glorot factor, the output
    layer the last hidden one's; without hidden layers, the identity's."""
    layers = dense_stack([3, 5, 4, 2], ["logistic", "tanh"], "softmax")
    assert [(la.fan_in, la.fan_out) for la in layers] == [(3, 5), (5, 4), (4, 2)]
    assert [la.activation for la in layers] == ["logistic", "tanh", "softmax"]
    assert [la.init_activation for la in layers] == ["logistic", "tanh", "tanh"]
    (single,) = dense_stack([3, 1], [], "identity")
    assert single.init_activation == "identity"


def test_bind_leaves_the_description_unchanged():
    """One list of layers builds any number of networks, each over its own
    parameters and buffers."""
    layers = dense_stack([3, 4, 1], ["tanh"], "identity")
    before = [copy.deepcopy(vars(layer)) for layer in layers]
    layout = ParameterLayout.of(layers)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 1))
    theta_a, theta_b = rng.normal(size=(2, layout.n_params))
    net_a = Network(layers, theta_a, 6, loss="squared_error")
    net_b = Network(layers, theta_b, 6, loss="squared_error")
    net_a.loss_grad(X, y, None, 6, 0.1)
    out_a = net_a.forward(X).copy()
    out_b = net_b.forward(X).copy()
    for layer, state in zip(layers, before):
        assert vars(layer).keys() == state.keys()
        assert vars(layer) == state
    # Each network reads its own vector: the outputs are those of a forward
    # pass written out with that vector.
    for theta, out in ((theta_a, out_a), (theta_b, out_b)):
        (W0, W1), (b0, b1) = (
            layout.arrays(theta, "coefs"),
            layout.arrays(theta, "intercepts"),
        )
        np.testing.assert_allclose(out, np.tanh(X @ W0 + b0) @ W1 + b1, rtol=1e-12)
    assert net_a.layers[0] is not net_b.layers[0] is not layers[0]


def test_forward_and_backward_of_one_layer():
    """Z = A_in W + b, A = f(Z); backward: dZ = dA f'(Z), dW = A_in^T dZ,
    db = 1^T dZ, dA_in = dZ W^T; a sparse input gives the same."""
    rng = np.random.default_rng(1)
    W, b = rng.normal(size=(4, 3)), rng.normal(size=3)
    A_in = rng.normal(size=(5, 4))
    dA = rng.normal(size=(5, 3))
    grads = {"coefs": np.empty((4, 3)), "intercepts": np.empty(3)}
    for given in (A_in, sp.csr_matrix(A_in)):
        layer = Dense(4, 3, "tanh").bind(
            {"coefs": W, "intercepts": b},
            grads,
            8,
            np.float64,
            training=True,
            propagate=True,
            ones=np.ones(8),
        )
        A = layer.forward(given, 5)
        np.testing.assert_allclose(A, np.tanh(A_in @ W + b), rtol=1e-12)
        dZ = dA * (1 - np.tanh(A_in @ W + b) ** 2)
        dA_in = layer.backward(dA.copy(), 5)
        np.testing.assert_allclose(grads["coefs"], A_in.T @ dZ, rtol=1e-12)
        np.testing.assert_allclose(grads["intercepts"], dZ.sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(dA_in, dZ @ W.T, rtol=1e-12)


def test_backward_without_propagation_returns_none():
    layer = Dense(2, 2).bind(
        {"coefs": np.eye(2), "intercepts": np.zeros(2)},
        {"coefs": np.empty((2, 2)), "intercepts": np.empty(2)},
        3,
        np.float64,
        training=True,
        propagate=False,
        ones=np.ones(3),
    )
    layer.forward(np.ones((3, 2)), 3)
    assert layer.backward(np.ones((3, 2)), 3) is None


@pytest.mark.parametrize("fan_out", [1, 3])
def test_input_gradient_is_delta_times_the_transposed_weights(fan_out):
    """Through one unit the product is an outer product computed as a k=2
    matrix product with a zero column: each entry d * w + 0 * 0, rounded
    once, so exactly the outer product."""
    rng = np.random.default_rng(2)
    delta = rng.normal(size=(7, fan_out))
    W_T = rng.normal(size=(fan_out, 5))
    product = _input_gradient(10, 5, fan_out, np.float64)
    out = np.empty((7, 5))
    product(delta, W_T, out)
    if fan_out == 1:
        np.testing.assert_array_equal(out, delta * W_T)
    else:
        np.testing.assert_allclose(out, delta @ W_T, rtol=1e-14)


def test_blend_is_the_identity_at_alpha_zero_and_the_activation_at_one():
    Z = np.linspace(-3, 3, 12).reshape(4, 3)
    layer = Blend(3, "selu")
    for alpha, expected in (
        (np.zeros(3), Z),
        (
            np.ones(3),
            np.where(Z > 0, 1.0507009873554805 * Z, 1.7580993408473766 * np.expm1(Z)),
        ),
    ):
        bound = layer.bind(
            {"alpha": alpha}, None, 4, np.dtype(float), training=False,
            propagate=False, ones=None,
        )  # fmt: skip
        np.testing.assert_allclose(bound.forward(Z, 4), expected, rtol=1e-12)


def test_dropout_mask_rate_and_scale():
    rng = np.random.default_rng(0)
    out = np.empty((400, 500), dtype=np.float32)
    mask = _dropout_mask(rng, 400, 500, 0.15, np.dtype(np.float32), out)
    kept = 1 - round(256 * 0.15) / 256
    assert (mask == 0).mean() == pytest.approx(1 - kept, abs=0.005)
    np.testing.assert_allclose(np.unique(mask), [0, 1 / kept], rtol=1e-6)


def test_data_driven_dense_start_has_unit_variance_and_biases_inside_the_data():
    rng = np.random.RandomState(0)
    A = rng.normal(loc=3.0, scale=2.0, size=(500, 6))
    s = 1 / np.sqrt(6)
    values = data_driven_dense_init(rng, A, 10, s)
    Z = s * A @ values["coefs"]
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-10)
    Z_b = Z + values["intercepts"]
    # Each bias puts the unit's zero at a convex combination of data points:
    # strictly inside the range of its pre-activation over the data.
    assert (Z_b.min(axis=0) < 0).all() and (Z_b.max(axis=0) > 0).all()
