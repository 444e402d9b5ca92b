"""The tabular layers checked against finite differences and their formulas:
periodic and category embeddings (``_nn/embeddings.py``), and the scaling,
blended-activation, dropout and NTK dense layers (``_nn/layers.py``)."""

import numpy as np
import pytest
from conftest import tabular_input, tabular_layers

from sknn_squiggle._nn.embeddings import CategoryEmbedding, PeriodicEmbedding
from sknn_squiggle._nn.layers import (
    Dropout,
)
from sknn_squiggle._nn.layout import ParameterLayout
from sknn_squiggle._nn.network import Network, initial_values, values_by_name

EPS = 1e-6


def _finite_differences(net, X, y, l2):
    params = net.params
    numeric = np.empty_like(params)
    for k in range(params.size):
        original = params[k]
        params[k] = original + EPS
        up = net.loss_grad(X, y, None, X.shape[0], l2)
        params[k] = original - EPS
        down = net.loss_grad(X, y, None, X.shape[0], l2)
        params[k] = original
        numeric[k] = (up - down) / (2 * EPS)
    return numeric


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_tabular_stack_gradient_matches_finite_differences(l2):
    X = tabular_input()
    layers = tabular_layers()
    layout = ParameterLayout.of(layers)
    rng = np.random.RandomState(1)
    params = rng.normal(scale=0.5, size=layout.n_params)
    y = np.eye(3)[rng.randint(0, 3, X.shape[0])]
    net = Network(layers, params, X.shape[0], loss="log_loss")
    net.loss_grad(X, y, None, X.shape[0], l2)
    analytic = net.grad.copy()
    numeric = _finite_differences(net, X, y, l2)
    # Every layer's parameters get a gradient, and all of them are right.
    for slices in layout.slices:
        for s in slices.values():
            assert np.abs(analytic[s]).max() > 1e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)


def test_dropout_with_a_fixed_mask_matches_finite_differences():
    """With the mask held fixed (the same generator state for every
    evaluation), the gradient is the masked network's."""
    X = tabular_input(n=12)
    layers = tabular_layers(p=0.4)
    layout = ParameterLayout.of(layers)
    params = np.random.RandomState(2).normal(scale=0.5, size=layout.n_params)
    y = np.eye(3)[np.arange(12) % 3]
    net = Network(layers, params, 12, loss="log_loss")
    dropout = next(layer for layer in net.layers if isinstance(layer, Dropout))
    state = dropout.rng.bit_generator.state

    def evaluate():
        dropout.rng.bit_generator.state = state
        return net.loss_grad(X, y, None, 12, 0.0)

    evaluate()
    analytic = net.grad.copy()
    assert (dropout.mask[:12] == 0).any()
    numeric = np.empty_like(params)
    for k in range(params.size):
        original = params[k]
        params[k] = original + EPS
        up = evaluate()
        params[k] = original - EPS
        down = evaluate()
        params[k] = original
        numeric[k] = (up - down) / (2 * EPS)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)
    # At prediction the layer is the identity.
    assert not dropout.training
    np.testing.assert_array_equal(dropout.forward(X[:, :5], 12), X[:, :5])


def test_periodic_embedding_forward_is_its_formula():
    X = tabular_input(n=6)
    layer = PeriodicEmbedding(3, 4, n_frequencies=5, n_mixed=2)
    values = layer.initial_params(np.random.RandomState(0))
    bound = layer.bind(
        values, None, 6, np.dtype(float), training=False, propagate=False, ones=None
    )
    out = bound.forward(X, 6)
    w, b, V, c = (values[k] for k in ("frequencies", "phases", "mix", "mix_bias"))
    for j in range(3):
        H = np.cos(2 * np.pi * X[:, j : j + 1] * w[j] + b[j]) @ V[j] + c[j]
        np.testing.assert_allclose(out[:, 3 * j], X[:, j])
        np.testing.assert_allclose(out[:, 3 * j + 1 : 3 * j + 3], H, rtol=1e-12)
    np.testing.assert_array_equal(out[:, 9:], X[:, 3:])
    assert values["frequencies"].std() < 0.5  # N(0, 0.1^2) at the start


def test_category_embedding_looks_up_rows_and_copies_the_rest():
    X = tabular_input(n=7)
    layer = CategoryEmbedding(5, [4, 3], size=2)
    values = layer.initial_params(np.random.RandomState(0))
    bound = layer.bind(
        values, None, 7, np.dtype(float), training=False, propagate=False, ones=None
    )
    out = bound.forward(X, 7)
    np.testing.assert_array_equal(out[:, :5], X[:, :5])
    np.testing.assert_array_equal(out[:, 5:7], values["table_0"][X[:, 5].astype(int)])
    np.testing.assert_array_equal(out[:, 7:9], values["table_1"][X[:, 6].astype(int)])


def test_initial_values_see_the_data_through_the_layers_before():
    X = tabular_input(n=50)
    layers = tabular_layers()
    values = initial_values(layers, np.random.RandomState(0), X)
    assert values[2]["scale"].tolist() == [1.0] * layers[2].units
    packed = ParameterLayout.of(layers).pack(values_by_name(values), np.float64)
    net = Network(layers, packed, 50)
    net.forward(X)
    # The first dense layer's outputs (before its bias) have unit variance
    # over these rows.
    dense = net.layers[3]
    Z = dense.weight_scale * net.layers[2].A[:50] @ dense.W
    np.testing.assert_allclose(Z.std(axis=0), 1.0, rtol=1e-6)
