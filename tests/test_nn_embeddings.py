"""The tabular layers checked against finite differences and their formulas:
periodic and category embeddings (``_nn/embeddings.py``), and the scaling,
blended-activation, dropout and NTK dense layers (``_nn/layers.py``)."""

import numpy as np
import pytest

from sknn_squiggle._nn.embeddings import CategoryEmbedding, PeriodicEmbedding
from sknn_squiggle._nn.layers import (
    Blend,
    Dense,
    Dropout,
    Scaling,
    _dropout_mask,
    data_driven_dense_init,
)
from sknn_squiggle._nn.layout import ParameterLayout
from sknn_squiggle._nn.network import Network, initial_values, values_by_name

EPS = 1e-6


def _table(n=9, n_numeric=3, n_flags=2, cardinalities=(4, 3), seed=0):
    """A network input laid out as the TableEncoder lays it out."""
    rng = np.random.RandomState(seed)
    codes = np.column_stack([rng.randint(0, k, n) for k in cardinalities])
    return np.hstack(
        [
            rng.normal(size=(n, n_numeric)),
            rng.randint(0, 2, (n, n_flags)).astype(float),
            codes.astype(float),
        ]
    )


def _tabular_layers(n_numeric=3, n_flags=2, cardinalities=(4, 3), out=3, p=0.0):
    periodic = PeriodicEmbedding(n_numeric, n_flags + len(cardinalities), lr_factor=0.1)
    categories = CategoryEmbedding(
        periodic.n_out - len(cardinalities), list(cardinalities), size=2
    )
    width = categories.n_out
    return [
        periodic,
        categories,
        Scaling(width, 6.0),
        Dense(width, 5, ntk=True, bias_lr_factor=0.1),
        Blend(5, "selu", lr_factor=0.1),
        Dropout(5, p, random_state=3),
        Dense(5, 4, ntk=True),
        Blend(4, "mish"),
        Dense(4, out, "softmax", ntk=True),
    ]


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
    X = _table()
    layers = _tabular_layers()
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
    X = _table(n=12)
    layers = _tabular_layers(p=0.4)
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
    X = _table(n=6)
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
    X = _table(n=7)
    layer = CategoryEmbedding(5, [4, 3], size=2)
    values = layer.initial_params(np.random.RandomState(0))
    bound = layer.bind(
        values, None, 7, np.dtype(float), training=False, propagate=False, ones=None
    )
    out = bound.forward(X, 7)
    np.testing.assert_array_equal(out[:, :5], X[:, :5])
    np.testing.assert_array_equal(out[:, 5:7], values["table_0"][X[:, 5].astype(int)])
    np.testing.assert_array_equal(out[:, 7:9], values["table_1"][X[:, 6].astype(int)])


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


def test_initial_values_see_the_data_through_the_layers_before():
    X = _table(n=50)
    layers = _tabular_layers()
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


def test_layout_puts_penalised_parameters_first_and_keeps_factors():
    layers = _tabular_layers()
    layout = ParameterLayout.of(layers)
    factors = layout.lr_factors(np.float64)
    penalised = {
        name
        for specs in layout.specs
        for p in specs
        if p.penalised
        for name in [p.name]
    }
    assert "intercepts" not in penalised and "coefs" in penalised
    # Every penalised entry comes before every other one.
    for slices, specs in zip(layout.slices, layout.specs):
        for p in specs:
            s = slices[p.name]
            assert (s.stop <= layout.n_penalised) == p.penalised
            assert (factors[s] == p.lr_factor).all()
    assert ParameterLayout.of([Dense(3, 2)]).lr_factors(np.float64) is None
