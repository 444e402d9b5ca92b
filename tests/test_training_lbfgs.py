"""sknn_squiggle/_training/lbfgs.py: scipy's L-BFGS-B on the flat vector.

Expected values: the objective written out in numpy
(``conftest.hand_objective``), least squares and logistic regression on the
features of a frozen hidden part (convex problems whose optimum numpy and
scikit-learn find independently), and the monotonicity L-BFGS-B's line
search guarantees.
"""

import numpy as np
import pytest
from conftest import (
    HAND_X,
    HAND_Y,
    flatten,
    hand_objective,
    hand_regressor,
    hand_start,
    small_binary,
    small_regression,
)
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

# The fits here are short: their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
def test_lbfgs_loss_curve_is_non_increasing(Estimator):
    X, y = small_binary() if Estimator is SquiggleClassifier else small_regression()
    est = Estimator(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=60, random_state=0
    )
    est.fit(X, y)
    curve = np.asarray(est.loss_curve_)
    assert len(curve) == est.n_iter_ > 5
    # L-BFGS-B's line search only accepts steps that decrease the objective.
    assert np.all(np.diff(curve) <= 0)
    assert curve[-1] == pytest.approx(est.loss_, rel=1e-12)
    assert curve[0] > curve[-1]
    # One history record per iteration, numbered from 1.
    assert [row["epoch"] for row in est.history_] == list(range(1, est.n_iter_ + 1))
    assert [row["loss"] for row in est.history_] == est.loss_curve_


def test_lbfgs_starts_from_the_given_weights():
    coefs, intercepts = hand_start()
    reg = hand_regressor(solver="lbfgs", alpha=0.0, max_iter=1000, tol=1e-12)
    reg.set_params(coefs_init=coefs, intercepts_init=intercepts)
    reg.fit(HAND_X, HAND_Y)
    # The first entry of lbfgs's loss curve comes after its first step, so it
    # is below the objective at the given start (and far below a random one's
    # is not guaranteed); two fits from the same start agree exactly.
    assert reg.loss_curve_[0] < hand_objective(flatten(coefs, intercepts))
    again = hand_regressor(
        solver="lbfgs", alpha=0.0, max_iter=1000, tol=1e-12, random_state=5
    )
    again.set_params(coefs_init=coefs, intercepts_init=intercepts).fit(HAND_X, HAND_Y)
    for a, b in zip(reg.coefs_ + reg.intercepts_, again.coefs_ + again.intercepts_):
        np.testing.assert_array_equal(a, b)


def _hidden_features(X, coefs, intercepts):
    """The last hidden layer's output for a frozen hidden part (tanh)."""
    A = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = np.tanh(A @ W + b)
    return A


def test_frozen_hidden_layers_make_lbfgs_a_least_squares_fit():
    # With every hidden weight frozen, the output layer is a linear regression
    # on fixed features H, and the objective is convex: lbfgs must reach the
    # least-squares solution.
    coefs, intercepts = hand_start()
    frozen_hidden = {"coefs": [False, False, True], "intercepts": [False, False, True]}
    reg = hand_regressor(
        solver="lbfgs",
        alpha=0.0,
        tol=1e-12,
        max_iter=5000,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=frozen_hidden,
    ).fit(HAND_X, HAND_Y)
    H = _hidden_features(HAND_X, coefs, intercepts)
    design = np.hstack([H, np.ones((HAND_X.shape[0], 1))])
    solution, *_ = np.linalg.lstsq(design, HAND_Y, rcond=None)
    # L-BFGS-B also stops on a relative decrease of the loss below ~2e-9 (its
    # default ftol), so compare the objective tightly and the weights loosely.
    optimum = np.sum((design @ solution - HAND_Y) ** 2) / (2 * HAND_X.shape[0])
    assert reg.loss_ == pytest.approx(optimum, rel=1e-7)
    np.testing.assert_allclose(reg.coefs_[-1][:, 0], solution[:-1], rtol=1e-3)
    assert reg.intercepts_[-1][0] == pytest.approx(solution[-1], rel=1e-3)
    for a, b in zip(reg.coefs_[:-1], coefs[:-1]):
        np.testing.assert_array_equal(a, b)


def test_frozen_hidden_layer_classifier_is_a_logistic_regression():
    Xc, yc = make_classification(
        n_samples=80,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        flip_y=0.2,
        random_state=0,
    )
    rng = np.random.RandomState(2)
    coefs = [rng.normal(size=(4, 5)), rng.normal(size=(5, 1))]
    intercepts = [rng.normal(size=5), rng.normal(size=1)]
    clf = SquiggleClassifier(
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="lbfgs",
        alpha=0.0,
        tol=1e-12,
        max_iter=5000,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable={"coefs": [False, True], "intercepts": [False, True]},
    ).fit(Xc, yc)
    H = np.tanh(Xc @ coefs[0] + intercepts[0])
    logistic = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(H, yc)
    # The same convex problem: the same mean log loss, nearly the same weights.
    assert clf.loss_ == pytest.approx(log_loss(yc, logistic.predict_proba(H)), rel=1e-7)
    np.testing.assert_allclose(clf.coefs_[1][:, 0], logistic.coef_[0], rtol=1e-3)
    assert clf.intercepts_[1][0] == pytest.approx(logistic.intercept_[0], rel=1e-3)
    np.testing.assert_array_equal(clf.coefs_[0], coefs[0])


def test_lbfgs_with_everything_frozen_keeps_the_start():
    coefs, intercepts = hand_start()
    frozen = {"coefs": [False] * 3, "intercepts": [False] * 3}
    reg = hand_regressor(
        solver="lbfgs", coefs_init=coefs, intercepts_init=intercepts, trainable=frozen
    ).fit(HAND_X, HAND_Y)
    for a, b in zip(reg.coefs_, coefs):
        np.testing.assert_array_equal(a, b)
    # Nothing to train: no iteration, and the loss is the objective there.
    assert reg.n_iter_ == 0
    assert reg.loss_ == pytest.approx(
        hand_objective(flatten(coefs, intercepts), alpha=1e-4), rel=1e-12
    )
