"""sknn_squiggle/_training/stochastic.py: the epochs of sgd and adam.

From given starting weights, an epoch must be the step its update rule
makes along the gradient of the documented objective: expected values from
finite differences of the objective written out in numpy
(``conftest.hand_objective``) and from the update rules' formulas; frozen
entries move by nothing.
"""

import numpy as np
import pytest
from conftest import (
    HAND_X,
    HAND_Y,
    flatten,
    hand_gradient,
    hand_masks,
    hand_objective,
    hand_regressor,
    hand_start,
    small_regression,
)
from sklearn.exceptions import ConvergenceWarning

from sknn_squiggle import SquiggleRegressor

# The fits here are short: their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore")


def test_fit_starts_from_the_given_weights_sgd():
    coefs, intercepts = hand_start()
    flat0 = flatten(coefs, intercepts)
    lr, alpha = 0.05, 0.3
    reg = hand_regressor(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=alpha,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
    ).fit(HAND_X, HAND_Y)
    expected = flat0 - lr * hand_gradient(flat0, alpha)
    got = flatten(reg.coefs_, reg.intercepts_)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
    # The reported loss of that epoch is the objective at the start.
    assert reg.loss_curve_[0] == pytest.approx(hand_objective(flat0, alpha), rel=1e-12)
    # The inputs were copied, not trained in place.
    np.testing.assert_array_equal(flatten(coefs, intercepts), flat0)


def test_first_partial_fit_is_one_step_from_the_given_weights():
    coefs, intercepts = hand_start()
    flat0 = flatten(coefs, intercepts)
    lr = 0.05
    reg = hand_regressor(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        coefs_init=coefs,
        intercepts_init=intercepts,
    ).partial_fit(HAND_X, HAND_Y)
    assert reg.n_iter_ == 1
    expected = flat0 - lr * hand_gradient(flat0)
    np.testing.assert_allclose(
        flatten(reg.coefs_, reg.intercepts_), expected, rtol=1e-7, atol=1e-9
    )


def test_fit_starts_from_the_given_weights_adam():
    coefs, intercepts = hand_start()
    flat0 = flatten(coefs, intercepts)
    lr = 0.01
    reg = hand_regressor(
        solver="adam",
        learning_rate_init=lr,
        alpha=0.0,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
    ).fit(HAND_X, HAND_Y)
    # Adam's first step, in scikit-learn's formulation (eps added to sqrt(v)
    # before the bias correction): m = (1 - b1) g, v = (1 - b2) g^2 and
    # lr_1 = lr sqrt(1 - b2) / (1 - b1), so the step is
    # lr * g / (|g| + eps / sqrt(1 - b2)): about lr against the sign of g.
    # Checked where the gradient is well above the finite differences' error.
    g = hand_gradient(flat0)
    step = flatten(reg.coefs_, reg.intercepts_) - flat0
    clear = np.abs(g) > 1e-4
    assert clear.sum() > 20
    expected = -lr * g[clear] / (np.abs(g[clear]) + 1e-8 / np.sqrt(1 - 0.999))
    np.testing.assert_allclose(step[clear], expected, rtol=1e-7)
    assert np.all(np.abs(step) <= lr * (1 + 1e-12))


def test_one_sgd_step_moves_exactly_the_trainable_entries_by_the_gradient():
    coefs, intercepts = hand_start()
    masks = hand_masks(5)
    flat0 = flatten(coefs, intercepts)
    lr = 0.05
    reg = hand_regressor(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=masks,
    ).fit(HAND_X, HAND_Y)
    mask = flatten(masks["coefs"], masks["intercepts"])
    expected = flat0 - lr * mask * hand_gradient(flat0)
    np.testing.assert_allclose(
        flatten(reg.coefs_, reg.intercepts_), expected, rtol=1e-7, atol=1e-9
    )


def _hidden_features(X, coefs, intercepts):
    """The last hidden layer's output for a frozen hidden part (tanh)."""
    A = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = np.tanh(A @ W + b)
    return A


def test_frozen_hidden_layers_make_sgd_a_linear_gradient_descent():
    # The frozen network under sgd: every step must be the gradient step of
    # linear least squares on the hidden features H, written by hand.
    coefs, intercepts = hand_start()
    frozen_hidden = {"coefs": [False, False, True], "intercepts": [False, False, True]}
    lr, n_steps = 0.05, 5
    reg = hand_regressor(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        max_iter=n_steps,
        n_iter_no_change=100,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=frozen_hidden,
    ).fit(HAND_X, HAND_Y)
    H = _hidden_features(HAND_X, coefs, intercepts)
    w, b = coefs[-1][:, 0].copy(), intercepts[-1][0]
    n = HAND_X.shape[0]
    for _ in range(n_steps):
        residual = H @ w + b - HAND_Y
        w, b = w - lr * H.T @ residual / n, b - lr * residual.sum() / n
    np.testing.assert_allclose(reg.coefs_[-1][:, 0], w, rtol=1e-12)
    assert reg.intercepts_[-1][0] == pytest.approx(b, rel=1e-12)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_max_iter_epochs_warn_and_count_the_samples(solver):
    """A run that uses all its epochs warns as scikit-learn does; n_iter_
    counts the epochs, t_ the samples seen."""
    X, y = small_regression(n=30)
    reg = SquiggleRegressor(
        hidden_layer_sizes=(3,), solver=solver, max_iter=4, tol=0.0, batch_size=8
    )
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(4\)"):
        reg.fit(X, y)
    assert reg.n_iter_ == len(reg.loss_curve_) == 4
    assert reg.t_ == 4 * 30
    if solver == "adam":
        assert reg._optimizer.t == 4 * 4  # ceil(30 / 8) steps an epoch
