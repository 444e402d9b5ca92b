"""sknn_squiggle/_nn/network.py: forward pass, loss and backpropagation,
checked against finite differences and an independent loss.

``Network.loss_grad`` returns the batch objective

    J(theta) = sum_i s_i * loss(y_i, p_i) / normaliser + l2 / 2 * ||W||^2

and writes dJ/dtheta into ``net.grad``. Two independent checks:

- the gradient against central finite differences of the returned loss,
  ``(J(theta + eps e_k) - J(theta - eps e_k)) / (2 eps)``, whose error is
  O(eps^2) (plus rounding of order 1e-16 / eps);
- the returned loss against a from-scratch numpy forward pass and loss, with
  every activation and loss written out from its textbook formula
  (``conftest.textbook_activation``, ``conftest.textbook_loss``).
"""

import numpy as np
import pytest
from conftest import textbook_activation, textbook_loss

from sknn_squiggle._nn.activations import _ZEROS_BYTES, HIDDEN_ACTIVATIONS
from sknn_squiggle._nn.layers import dense_stack
from sknn_squiggle._nn.layout import ParameterLayout
from sknn_squiggle._nn.network import Network, ReusedPredictionNetworks

EPS = 1e-6
RTOL = 1e-5
ATOL = 1e-8

# (loss, output activation, number of outputs)
LOSS_PAIRS = [
    ("squared_error", "identity", 1),
    ("squared_error", "identity", 2),
    ("squared_error", "identity", 3),
    ("poisson", "exp", 1),
    ("poisson", "exp", 2),
    ("binary_log_loss", "logistic", 1),
    ("binary_log_loss", "logistic", 3),
    ("log_loss", "softmax", 3),
]


# ---------------------------------------------------------------------------
# Independent reference objective (textbook formulas, no package code)


def _ref_objective(X, y, coefs, intercepts, hidden, out_act, loss, sw, norm, l2):
    a = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        z = a @ W + b
        a = textbook_activation(hidden[i] if i < len(hidden) else out_act, z)
    per_sample = textbook_loss(loss, y, a)
    weights = np.ones(X.shape[0]) if sw is None else sw
    penalty = 0.5 * l2 * sum(float((W**2).sum()) for W in coefs)
    return float(weights @ per_sample) / norm + penalty


# ---------------------------------------------------------------------------
# Problem construction


class _Layout:
    """The flat layout of an MLP with the given units per layer."""

    def __init__(self, units):
        self.units = list(units)
        self.flat = ParameterLayout.of(
            dense_stack(self.units, ["identity"] * (len(units) - 2), "identity")
        )
        self.n_params = self.flat.n_params

    def views(self, params):
        return self.flat.arrays(params, "coefs"), self.flat.arrays(params, "intercepts")


def _network(layout, params, hidden, loss, out_act, max_rows, mask=None):
    layers = dense_stack(layout.units, hidden, out_act)
    return Network(layers, params, max_rows, loss, mask)


def _targets(loss, n, n_out, rng):
    if loss == "squared_error":
        return rng.normal(size=(n, n_out))
    if loss == "poisson":
        y = rng.poisson(2.0, size=(n, n_out)).astype(float)
        y[0] = 0.0  # a zero count exercises the y log y = 0 convention
        return y
    if loss == "binary_log_loss":
        return rng.integers(0, 2, size=(n, n_out)).astype(float)
    if loss == "log_loss":
        return np.eye(n_out)[rng.integers(0, n_out, size=n)]
    raise ValueError(loss)


def _problem(hidden_sizes, loss, n_out, seed=0, n=7, d=4):
    rng = np.random.default_rng(seed)
    layout = _Layout([d, *hidden_sizes, n_out])
    # Small weights keep exp/softmax outputs moderate so that finite
    # differences are well conditioned.
    params = rng.normal(scale=0.5, size=layout.n_params)
    X = rng.normal(size=(n, d))
    y = _targets(loss, n, n_out, rng)
    sw = rng.uniform(0.2, 2.0, size=n)
    return layout, params, X, y, sw


def _finite_difference_grad(net, X, y, sw, norm, l2):
    params = net.params
    fd = np.empty_like(params)
    for k in range(params.size):
        orig = params[k]
        params[k] = orig + EPS
        plus = net.loss_grad(X, y, sw, norm, l2)
        params[k] = orig - EPS
        minus = net.loss_grad(X, y, sw, norm, l2)
        params[k] = orig
        fd[k] = (plus - minus) / (2 * EPS)
    return fd


def _check_gradient(net, X, y, sw, norm, l2):
    net.loss_grad(X, y, sw, norm, l2)
    analytic = net.grad.copy()
    numeric = _finite_difference_grad(net, X, y, sw, norm, l2)
    np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL)
    # The check would be vacuous if everything were zero.
    assert np.abs(analytic).max() > 1e-3


# ---------------------------------------------------------------------------
# Gradient tests


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize(("loss", "out_act", "n_out"), LOSS_PAIRS)
@pytest.mark.parametrize("use_weights", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_every_hidden_activation_and_loss(
    activation, loss, out_act, n_out, use_weights, l2
):
    """Every hidden activation with every (loss, output activation) pair."""
    layout, params, X, y, sw = _problem((5,), loss, n_out)
    net = _network(layout, params, [activation], loss, out_act, 7)
    sw = sw if use_weights else None
    norm = X.shape[0] if sw is None else sw.sum()
    _check_gradient(net, X, y, sw, norm, l2)


@pytest.mark.parametrize(("loss", "out_act", "n_out"), LOSS_PAIRS)
@pytest.mark.parametrize("use_weights", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_every_loss(loss, out_act, n_out, use_weights, l2):
    """Every (loss, output activation) pair with an arbitrary normaliser."""
    layout, params, X, y, sw = _problem((4,), loss, n_out, seed=1)
    net = _network(layout, params, ["tanh"], loss, out_act, 7)
    sw = sw if use_weights else None
    # An arbitrary normaliser (as for a minibatch) must scale the data term only.
    norm = 3.7
    _check_gradient(net, X, y, sw, norm, l2)


@pytest.mark.parametrize(
    "hidden_acts",
    [
        ["gelu", "elu"],
        ["silu", "softplus"],
        ["relu", "logistic"],
        ["leaky_relu", "gelu"],
        ["identity", "silu"],
        ["tanh", "sigmoid"],
    ],
)
@pytest.mark.parametrize(("loss", "out_act", "n_out"), LOSS_PAIRS[::2])
def test_gradient_two_hidden_layers_per_layer_activations(
    hidden_acts, loss, out_act, n_out
):
    layout, params, X, y, sw = _problem((4, 3), loss, n_out, seed=2)
    net = _network(layout, params, hidden_acts, loss, out_act, 7)
    _check_gradient(net, X, y, sw, sw.sum(), 0.1)


def test_gradient_with_larger_buffer_than_batch():
    """Buffers sized for a larger batch must give the same gradient on a
    smaller batch (only the first rows are used)."""
    layout, params, X, y, sw = _problem((5,), "log_loss", 3)
    net = _network(layout, params, ["gelu"], "log_loss", "softmax", 50)
    _check_gradient(net, X, y, sw, 4.0, 0.2)


def test_trainable_mask_zeroes_frozen_gradient():
    layout, params, X, y, sw = _problem((5,), "squared_error", 2)
    rng = np.random.default_rng(3)
    mask = rng.random(layout.n_params) < 0.5
    assert mask.any() and (~mask).any()

    free = _network(layout, params, ["silu"], "squared_error", "identity", 7)
    loss_free = free.loss_grad(X, y, sw, sw.sum(), 0.2)
    grad_free = free.grad.copy()
    assert np.all(grad_free != 0)

    masked = _network(layout, params, ["silu"], "squared_error", "identity", 7, mask)
    loss_masked = masked.loss_grad(X, y, sw, sw.sum(), 0.2)
    assert loss_masked == pytest.approx(loss_free, rel=1e-15)
    np.testing.assert_array_equal(masked.grad[~mask], 0.0)
    np.testing.assert_array_equal(masked.grad[mask], grad_free[mask])


# ---------------------------------------------------------------------------
# The loss value itself


@pytest.mark.parametrize(("loss", "out_act", "n_out"), LOSS_PAIRS)
@pytest.mark.parametrize("use_weights", [False, True])
@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_loss_matches_independent_objective(loss, out_act, n_out, use_weights, l2):
    hidden = ["softplus", "gelu"]
    layout, params, X, y, sw = _problem((5, 3), loss, n_out, seed=4)
    net = _network(layout, params, hidden, loss, out_act, 7)
    sw = sw if use_weights else None
    norm = 2.5
    coefs, intercepts = layout.views(params.copy())
    expected = _ref_objective(
        X, y, coefs, intercepts, hidden, out_act, loss, sw, norm, l2
    )
    assert net.loss_grad(X, y, sw, norm, l2) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_forward_matches_independent_activation(activation):
    """Each hidden activation's forward pass equals its textbook formula."""
    layout, params, X, y, _ = _problem((6,), "squared_error", 1, seed=5)
    net = _network(layout, params, [activation], "squared_error", "identity", 7)
    coefs, intercepts = layout.views(params.copy())
    hidden = textbook_activation(activation, X @ coefs[0] + intercepts[0])
    expected = hidden @ coefs[1] + intercepts[1]
    np.testing.assert_allclose(net.forward(X), expected, rtol=1e-12, atol=1e-14)


def test_relu_layer_larger_than_the_zero_buffer():
    """ReLU compares a layer with zeros piece by piece (a bounded buffer): a
    layer of two pieces, and a smaller batch that ends inside the first, must
    still give the textbook forward pass and finite-difference gradients."""
    layout, params, X, y, sw = _problem((700,), "binary_log_loss", 1, n=30)
    params *= 0.2  # 700 units: keep the output away from saturation
    assert 30 * 700 * params.itemsize > _ZEROS_BYTES  # more than one piece
    net = _network(layout, params, ["relu"], "binary_log_loss", "logistic", 30)
    coefs, intercepts = layout.views(params.copy())
    for rows in (30, 20):
        A = np.maximum(X[:rows] @ coefs[0] + intercepts[0], 0)
        expected = 1 / (1 + np.exp(-(A @ coefs[1] + intercepts[1])))
        np.testing.assert_allclose(net.forward(X[:rows]), expected, rtol=1e-12)
    _check_gradient(net, X, y, sw, sw.sum(), 0.1)


def test_all_pairs_covered():
    """Guard: the loss table above covers every registered loss."""
    from sknn_squiggle._nn.losses import LOSSES, OUTPUT_ACTIVATIONS

    covered = {(loss, act) for loss, act, _ in LOSS_PAIRS}
    assert covered == set(OUTPUT_ACTIVATIONS.items())
    assert set(LOSSES) == {loss for loss, _ in covered}


def test_predict_in_chunks_equals_one_pass():
    """More rows than ``max_rows``: predict runs the rows ``max_rows`` at a
    time into a new array, the same outputs as one pass over them all."""
    layout, params, _, _, _ = _problem((5,), "log_loss", 3)
    X = np.random.default_rng(7).normal(size=(11, 4))
    chunked = _network(layout, params, ["tanh"], None, "softmax", 4).predict(X)
    whole = _network(layout, params, ["tanh"], None, "softmax", 11).forward(X)
    assert chunked.shape == (11, 3)
    np.testing.assert_allclose(chunked, whole, rtol=1e-14)
    coefs, intercepts = layout.views(params.copy())
    hidden = np.tanh(X @ coefs[0] + intercepts[0])
    expected = textbook_activation("softmax", hidden @ coefs[1] + intercepts[1])
    np.testing.assert_allclose(chunked, expected, rtol=1e-12)


def test_add_scaled_rounds_as_one_multiply_and_one_add():
    """``y += a * x`` through a scratch vector shorter than x, piece by
    piece: each entry exactly ``y + np.multiply(x, a)``."""
    from sknn_squiggle._nn.network import _add_scaled

    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(2, 1000))
    expected = y + np.multiply(x, 0.37)
    _add_scaled(y, 0.37, x, np.empty(64))
    np.testing.assert_array_equal(y, expected)


class _Owner:
    """Something an estimator-like cache entry can hang on."""


def _reused_setup():
    layout, params, _, _, _ = _problem((5,), "log_loss", 3)
    coefs, intercepts = layout.views(params)

    def textbook(X):
        hidden = np.tanh(X @ coefs[0] + intercepts[0])
        return textbook_activation("softmax", hidden @ coefs[1] + intercepts[1])

    built = []

    def build_layers():
        built.append(1)
        return dense_stack([4, 5, 3], ["tanh"], "softmax")

    return params, textbook, build_layers, built


def test_reused_network_is_built_once_and_reads_the_parameters():
    """The network is built on the first call only; it reads the parameter
    array at each call (an in-place change shows); its output is a copy."""
    params, textbook, build_layers, built = _reused_setup()
    cache, owner = ReusedPredictionNetworks(max_rows=8), _Owner()
    X = np.random.default_rng(3).normal(size=(6, 4))
    first = cache.predict(owner, "key", params, build_layers, X)
    np.testing.assert_allclose(first, textbook(X), rtol=1e-12)
    second = cache.predict(owner, "key", params, build_layers, X[:2])
    assert len(built) == 1
    np.testing.assert_allclose(first, textbook(X), rtol=1e-12)  # not overwritten
    np.testing.assert_allclose(second, textbook(X[:2]), rtol=1e-12)
    params *= 0.5
    np.testing.assert_allclose(
        cache.predict(owner, "key", params, build_layers, X), textbook(X), rtol=1e-12
    )
    assert len(built) == 1


def test_reused_network_is_rebuilt_for_a_new_key_or_array():
    params, textbook, build_layers, built = _reused_setup()
    cache, owner = ReusedPredictionNetworks(max_rows=8), _Owner()
    X = np.ones((1, 4))
    cache.predict(owner, "key", params, build_layers, X)
    cache.predict(owner, "other", params, build_layers, X)
    assert len(built) == 2
    new_params = params * 2
    coefs = ParameterLayout.of(build_layers()).views(new_params)
    out = cache.predict(owner, "other", new_params, build_layers, X)
    hidden = np.tanh(X @ coefs[0]["coefs"] + coefs[0]["intercepts"])
    logits = hidden @ coefs[1]["coefs"] + coefs[1]["intercepts"]
    np.testing.assert_allclose(out, textbook_activation("softmax", logits))


def test_a_busy_reused_network_is_not_shared():
    """A call that finds the kept network in use (another thread) builds its
    own, leaving the kept one as it is."""
    params, textbook, build_layers, built = _reused_setup()
    cache, owner = ReusedPredictionNetworks(max_rows=8), _Owner()
    X = np.random.default_rng(4).normal(size=(3, 4))
    cache.predict(owner, "key", params, build_layers, X)
    entry = cache._kept_for(owner, "key", params)
    kept = entry.network
    with entry.lock:  # held, as by a concurrent call
        out = cache.predict(owner, "key", params, build_layers, 2 * X)
    assert len(built) == 2 and entry.network is kept
    np.testing.assert_allclose(out, textbook(2 * X), rtol=1e-12)


def test_reused_networks_go_with_their_owner():
    import gc

    params, textbook, build_layers, _ = _reused_setup()
    cache, owner = ReusedPredictionNetworks(max_rows=8), _Owner()
    cache.predict(owner, "key", params, build_layers, np.ones((1, 4)))
    assert len(cache._kept) == 1
    del owner
    gc.collect()
    assert len(cache._kept) == 0
    unhashable = {}  # no weak references: served without keeping a network
    out = cache.predict(unhashable, "key", params, build_layers, np.ones((1, 4)))
    np.testing.assert_allclose(out, textbook(np.ones((1, 4))), rtol=1e-12)
