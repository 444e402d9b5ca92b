"""sknn_squiggle/_inspection.py: a fitted network taken apart (decompose)
and the loss along one of its parameters (loss_along, parameter_index).

Expected values are hand-written numpy forward passes and objectives from
the fitted weights, and flat offsets counted by hand.
"""

import numpy as np
import pytest
from conftest import BP, DOSAGE, EFFECTIVE, lesson_network, softplus
from scipy.special import expit, softmax
from sklearn.datasets import make_classification, make_regression

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._inspection import loss_along, parameter_index

# The fits here are short: their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore")


# ----------------------------------------------------------------------
# decompose


def test_decompose_regressor_by_hand():
    Xr, yr = make_regression(n_samples=30, n_features=3, random_state=0)
    reg = SquiggleRegressor(
        hidden_layer_sizes=(4, 3),
        activation=["softplus", "tanh"],
        solver="lbfgs",
        max_iter=50,
        random_state=0,
    )
    reg.fit(Xr, yr)
    parts = reg.decompose(Xr)
    W, b = reg.coefs_, reg.intercepts_
    Z0 = Xr @ W[0] + b[0]
    A0 = softplus(Z0)
    Z1 = A0 @ W[1] + b[1]
    A1 = np.tanh(Z1)
    np.testing.assert_allclose(parts.pre_activations[0], Z0, rtol=1e-12)
    np.testing.assert_allclose(parts.activations[0], A0, rtol=1e-12)
    np.testing.assert_allclose(parts.pre_activations[1], Z1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts.activations[1], A1, rtol=1e-12, atol=1e-12)
    assert parts.contributions.shape == (30, 3, 1)
    np.testing.assert_allclose(
        parts.contributions, A1[:, :, None] * W[2][None, :, :], rtol=1e-12
    )
    np.testing.assert_array_equal(parts.intercept, b[2])
    assert parts.output.shape == (30, 1)
    np.testing.assert_allclose(
        parts.output, parts.contributions.sum(axis=1) + parts.intercept, rtol=1e-12
    )
    np.testing.assert_allclose(parts.output[:, 0], reg.predict(Xr), rtol=1e-12)
    # The returned intercept is a copy: editing it leaves the network alone.
    parts.intercept[0] += 1.0
    assert reg.intercepts_[2][0] != parts.intercept[0]


def test_decompose_binary_classifier_output_is_the_log_odds():
    Xc, yc = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=100, random_state=0
    )
    clf.fit(Xc, yc)
    parts = clf.decompose(Xc)
    assert parts.contributions.shape == (60, 5, 1)
    np.testing.assert_allclose(
        parts.output, parts.contributions.sum(axis=1) + parts.intercept, rtol=1e-12
    )
    np.testing.assert_allclose(
        expit(parts.output[:, 0]), clf.predict_proba(Xc)[:, 1], rtol=1e-9, atol=1e-12
    )


def test_decompose_multiclass_output_is_the_softmax_input():
    Xc, yc = make_classification(
        n_samples=90,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    clf = SquiggleClassifier(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=100, random_state=0
    )
    clf.fit(Xc, yc)
    parts = clf.decompose(Xc)
    assert parts.contributions.shape == (90, 6, 3)
    assert parts.intercept.shape == (3,)
    np.testing.assert_allclose(
        softmax(parts.output, axis=1), clf.predict_proba(Xc), rtol=1e-9, atol=1e-12
    )


# ----------------------------------------------------------------------
# parameter_index and loss_along


def test_parameter_index_counts_the_flat_offsets():
    """2 features -> 3 units -> 1: coefs_[0] holds entries 0-5 (row-major),
    coefs_[1] 6-8, intercepts_[0] 9-11, intercepts_[1] 12."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    reg = SquiggleRegressor(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3)
    reg.fit(X, X[:, 0])
    assert parameter_index(reg, ("coefs", 0, 1, 2)) == (5, "coefs_[0][1, 2]")
    assert parameter_index(reg, ("coefs", 0, (1, 2))) == (5, "coefs_[0][1, 2]")
    assert parameter_index(reg, ("coefs", 1, 2, 0)) == (8, "coefs_[1][2, 0]")
    assert parameter_index(reg, ("intercepts", 0, 1)) == (10, "intercepts_[0][1]")
    assert parameter_index(reg, ("intercepts", 1, 0)) == (12, "intercepts_[1][0]")
    assert reg._params[5] == reg.coefs_[0][1, 2]
    assert reg._params[10] == reg.intercepts_[0][1]


def test_loss_along_the_weighted_objective_leaves_the_estimator_alone():
    """With sample weights, "objective" is sum_i s_i (y_i - p_i)^2 / (2 S)
    + alpha / (2 S) ||W||^2 as b3 takes each value; its slope is the sum of
    the weighted residuals over S."""
    alpha = 0.4
    reg = lesson_network(**BP, b3=0.0, alpha=alpha)
    before = reg._params.copy()
    weights = np.array([1.0, 3.0, 0.5])
    values = np.array([-1.0, 0.5, 2.0])
    losses, slopes, name = loss_along(
        reg,
        DOSAGE,
        EFFECTIVE,
        ("intercepts", 1, 0),
        values,
        sample_weight=weights,
    )
    assert name == "intercepts_[1][0]"
    curves = BP["w3"] * softplus(BP["w1"] * DOSAGE[:, 0] + BP["b1"])
    curves += BP["w4"] * softplus(BP["w2"] * DOSAGE[:, 0] + BP["b2"])
    S = weights.sum()
    penalty = alpha / (2 * S) * sum(np.sum(W**2) for W in reg.coefs_)
    for b3, loss, slope in zip(values, losses, slopes):
        residual = curves + b3 - EFFECTIVE
        assert loss == pytest.approx(weights @ residual**2 / (2 * S) + penalty)
        assert slope == pytest.approx(weights @ residual / S, rel=1e-10)
    np.testing.assert_array_equal(reg._params, before)
