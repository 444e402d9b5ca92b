"""Property-based tests: over random architectures, activations, losses,
sample weights and dtypes."""

import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._nn.activations import HIDDEN_ACTIVATIONS
from sknn_squiggle._nn.layers import dense_stack
from sknn_squiggle._nn.layout import ParameterLayout
from sknn_squiggle._nn.losses import OUTPUT_ACTIVATIONS
from sknn_squiggle._nn.network import Network

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def networks(draw):
    n_features = draw(st.integers(1, 4))
    hidden = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    loss = draw(st.sampled_from(sorted(OUTPUT_ACTIVATIONS)))
    n_outputs = draw(st.integers(2, 4) if loss == "log_loss" else st.integers(1, 3))
    activations = [draw(st.sampled_from(HIDDEN_ACTIVATIONS)) for _ in hidden]
    n_samples = draw(st.integers(1, 8))
    weighted = draw(st.booleans())
    alpha = draw(st.sampled_from([0.0, 0.1, 1.0]))
    seed = draw(st.integers(0, 2**16))
    return (
        n_features,
        hidden,
        loss,
        n_outputs,
        activations,
        n_samples,
        weighted,
        (
            alpha,
            seed,
        ),
    )


def _problem(spec):
    n_features, hidden, loss, n_outputs, activations, n, weighted, (alpha, seed) = spec
    rng = np.random.RandomState(seed)
    layout = dense_stack([n_features, *hidden, n_outputs], activations, "identity")
    params = rng.uniform(-1, 1, ParameterLayout.of(layout).n_params)
    X = rng.uniform(-2, 2, (n, n_features))
    if loss == "squared_error":
        y = rng.normal(size=(n, n_outputs))
    elif loss == "poisson":
        y = rng.poisson(2.0, size=(n, n_outputs)).astype(float)
    elif loss == "binary_log_loss":
        y = rng.randint(0, 2, size=(n, n_outputs)).astype(float)
    else:
        y = np.eye(n_outputs)[rng.randint(0, n_outputs, n)]
    sw = rng.uniform(0.1, 3, n) if weighted else None
    return layout, params, activations, loss, X, y, sw, alpha


def _loss_and_grad(layout, params, activations, loss, X, y, sw, l2, dtype):
    params = params.astype(dtype)
    layers = dense_stack(
        [layout[0].fan_in, *(layer.fan_out for layer in layout)],
        activations,
        OUTPUT_ACTIVATIONS[loss],
    )
    net = Network(layers, params, X.shape[0], loss)
    sw = None if sw is None else sw.astype(dtype)
    value = net.loss_grad(X.astype(dtype), y.astype(dtype), sw, 1.7, l2)
    return value, net.grad.copy()


@SETTINGS
@given(networks())
def test_gradient_matches_finite_differences(spec):
    layout, params, activations, loss, X, y, sw, l2 = _problem(spec)
    _, grad = _loss_and_grad(layout, params, activations, loss, X, y, sw, l2, float)
    numeric = np.empty_like(params)
    step = 1e-6
    for k in range(params.size):
        shifted = params.copy()
        shifted[k] += step
        up, _ = _loss_and_grad(layout, shifted, activations, loss, X, y, sw, l2, float)
        shifted[k] -= 2 * step
        down, _ = _loss_and_grad(
            layout, shifted, activations, loss, X, y, sw, l2, float
        )
        numeric[k] = (up - down) / (2 * step)
    # ReLU-like kinks make a finite difference straddling 0 wrong; the
    # random pre-activations almost never land within 1e-6 of a kink.
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-6)


@SETTINGS
@given(networks())
def test_float32_gradient_agrees_with_float64(spec):
    layout, params, activations, loss, X, y, sw, l2 = _problem(spec)
    v64, g64 = _loss_and_grad(layout, params, activations, loss, X, y, sw, l2, float)
    v32, g32 = _loss_and_grad(
        layout, params, activations, loss, X, y, sw, l2, np.float32
    )
    assert g32.dtype == np.float32
    np.testing.assert_allclose(v32, v64, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-4)


@st.composite
def fits(draw):
    is_classifier = draw(st.booleans())
    hidden = tuple(draw(st.lists(st.integers(1, 6), min_size=1, max_size=3)))
    activation = draw(st.sampled_from(HIDDEN_ACTIVATIONS))
    solver = draw(st.sampled_from(["sgd", "adam", "lbfgs"]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    n_outputs = draw(st.integers(1, 3))
    weighted = draw(st.booleans())
    seed = draw(st.integers(0, 2**16))
    learning_rate_init = draw(st.sampled_from([1e-3, 0.1, 1.0]))
    return (
        is_classifier,
        hidden,
        activation,
        solver,
        dtype,
        n_outputs,
        weighted,
        seed,
        learning_rate_init,
    )


@SETTINGS
@given(fits())
def test_fitting_bounded_data_gives_finite_parameters_and_well_formed_predictions(
    spec,
):
    is_classifier, hidden, activation, solver, dtype, n_out, weighted, seed, lr = spec
    rng = np.random.RandomState(seed)
    n = 30
    X = rng.uniform(-10, 10, (n, 3)).astype(dtype)
    sw = rng.uniform(0, 2, n) if weighted else None
    params = dict(
        hidden_layer_sizes=hidden,
        activation=activation,
        solver=solver,
        max_iter=15,
        learning_rate_init=lr,
        random_state=seed,
    )
    if is_classifier:
        y = rng.randint(0, 3, n)
        y[:3] = [0, 1, 2]
        model = SquiggleClassifier(**params)
    else:
        y = rng.uniform(-10, 10, (n, n_out)) if n_out > 1 else rng.uniform(-10, 10, n)
        model = SquiggleRegressor(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=sw)
    for array in model.coefs_ + model.intercepts_:
        assert array.dtype == dtype
        assert np.isfinite(array).all()
    prediction = model.predict(X)
    assert prediction.shape == np.shape(y)
    if is_classifier:
        assert set(prediction) <= {0, 1, 2}
        proba = model.predict_proba(X)
        assert proba.shape == (n, 3) and proba.dtype == dtype
        np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-4)
    else:
        assert prediction.dtype == dtype
        assert np.isfinite(prediction).all()
