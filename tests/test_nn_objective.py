"""sknn_squiggle/_nn/objective.py: the one objective ``J`` of every solver
and batch size.

Expected values are the documented formulas (``S = sum_i s_i``, ``l2 =
alpha / S``, a batch's normaliser ``|b| S / n``) and finite differences of
an independent numpy ``J`` (``conftest.tanh_objective``). scikit-learn's
defects that these fix are shown in test_sklearn_defects.py.
"""

import warnings

import numpy as np
import pytest
from conftest import (
    ALPHA_UNITS,
    alpha_problem,
    fd_gradient,
    flatten,
    ours_one_step,
    tanh_objective,
    tiny_weights,
    zero_first_batch_data,
)

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._nn.objective import Objective


def test_normalisers_without_sample_weights():
    objective = Objective(alpha=0.3, n_samples=8)
    assert objective.total_weight == 8
    assert objective.l2 == pytest.approx(0.3 / 8, rel=1e-15)
    assert objective.batch_normaliser(8) == 8
    assert objective.batch_normaliser(3) == pytest.approx(3, rel=1e-15)


def test_normalisers_with_sample_weights():
    """S is the total weight; a batch of |b| rows divides by |b| S / n, its
    share of the total weight on average."""
    weights = np.array([0.5, 2.0, 0.0, 1.5, 4.0])
    objective = Objective(alpha=2.0, n_samples=5, sample_weight=weights)
    assert objective.total_weight == pytest.approx(8.0, rel=1e-15)
    assert type(objective.total_weight) is float
    assert objective.l2 == pytest.approx(2.0 / 8.0, rel=1e-15)
    assert objective.batch_normaliser(2) == pytest.approx(2 * 8.0 / 5, rel=1e-15)
    assert objective.batch_normaliser(5) == pytest.approx(8.0, rel=1e-15)


# ---------------------------------------------------------------------------
# A minibatch whose sample weights are all zero


def test_zero_weight_minibatch_is_a_no_op():
    """A batch of zero weights contributes no gradient; the other batches step
    exactly as when the zero-weight samples are absent. Each batch divides by
    |b| * S / n, so dropping the 10 samples multiplies every step by 50/40:
    compensated by the learning rate."""
    X, y, sw = zero_first_batch_data()
    params = dict(
        hidden_layer_sizes=(4,),
        solver="sgd",
        momentum=0.0,
        alpha=0.0,
        batch_size=10,
        shuffle=False,
        max_iter=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = SquiggleRegressor(learning_rate_init=0.01, **params)
        full.fit(X, y, sample_weight=sw)
        start = SquiggleRegressor(learning_rate_init=1e-300, **params)
        start.set_params(max_iter=1).fit(X, y)
        kept = SquiggleRegressor(
            learning_rate_init=0.01 * 50 / 40,
            coefs_init=[c.copy() for c in start.coefs_],
            intercepts_init=[b.copy() for b in start.intercepts_],
            **params,
        )
        kept.fit(X[10:], y[10:], sample_weight=sw[10:])
    assert np.all(np.isfinite(full._params))
    for a, b in zip(full.coefs_ + full.intercepts_, kept.coefs_ + kept.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_zero_weight_minibatch_does_not_raise_classifier(solver):
    X, y, sw = zero_first_batch_data()
    labels = (y > 0).astype(int)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(4,),
        solver=solver,
        batch_size=10,
        shuffle=False,
        max_iter=5,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, labels, sample_weight=sw)
    assert np.all(np.isfinite(clf.loss_curve_))
    assert np.all(np.isfinite(clf.predict_proba(X)))


# ---------------------------------------------------------------------------
# alpha means the same objective for every solver and batch size


@pytest.mark.parametrize("weighted", [False, True])
def test_full_batch_step_is_gradient_of_documented_objective(weighted):
    """One full-batch plain-sgd step with a tiny rate moves by -lr * grad J,
    J the documented objective with alpha / (2 S) (finite differences of an
    independent numpy J; S != n with weights, so a penalty scaled by n would
    fail)."""
    X, Y, flat0, sw = alpha_problem()
    sw = sw if weighted else None
    alpha = 2.0
    lr = 1e-3
    _, flat1 = ours_one_step(flat0, ALPHA_UNITS, X, Y, lr, alpha, sw)
    expected = fd_gradient(
        lambda f: tanh_objective(f, ALPHA_UNITS, X, Y, sw, alpha), flat0
    )
    np.testing.assert_allclose((flat0 - flat1) / lr, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("batch", [5, 10, 20])
def test_minibatch_epoch_follows_full_batch_gradient(batch, weighted):
    """With a tiny rate, one epoch of plain sgd over n / B batches moves the
    parameters by -lr * (n / B) * grad J to first order: each batch estimates
    grad J without bias, alpha included."""
    X, Y, flat0, sw = alpha_problem()
    sw = sw if weighted else None
    alpha = 2.0
    n = X.shape[0]
    lr = 1e-7
    _, full = ours_one_step(flat0, ALPHA_UNITS, X, Y, lr, alpha, sw)
    _, mini = ours_one_step(flat0, ALPHA_UNITS, X, Y, lr, alpha, sw, batch)
    full_move = flat0 - full
    mini_move = (flat0 - mini) * batch / n
    # The second-order drift within the epoch is O(lr): far below rtol.
    np.testing.assert_allclose(mini_move, full_move, rtol=1e-4, atol=1e-13)


@pytest.mark.parametrize("weighted", [False, True])
def test_lbfgs_optimum_is_stationary_point_of_documented_objective(weighted):
    """At the lbfgs solution, the documented objective (independent numpy
    formula) is flat, and its value is the reported loss_."""
    X, Y, _, sw = alpha_problem()
    coefs0, intercepts0 = tiny_weights(ALPHA_UNITS, seed=6)
    sw = sw if weighted else None
    alpha = 3.0
    reg = SquiggleRegressor(
        hidden_layer_sizes=(2,),
        activation="tanh",
        solver="lbfgs",
        alpha=alpha,
        tol=1e-12,
        max_iter=5000,
        coefs_init=coefs0,
        intercepts_init=intercepts0,
    ).fit(X, Y, sample_weight=sw)
    flat = flatten(reg.coefs_, reg.intercepts_)

    def J(f):
        return tanh_objective(f, ALPHA_UNITS, X, Y, sw, alpha)

    assert reg.loss_ == pytest.approx(J(flat), rel=1e-10)
    grad = fd_gradient(J, flat)
    # The penalty matters at this alpha: its gradient alone is far from 0.
    coef_part = flat[: sum(c.size for c in coefs0)]
    S = X.shape[0] if sw is None else sw.sum()
    assert np.abs(alpha / S * coef_part).max() > 1e-2
    # L-BFGS-B stops on its relative-decrease test with a gradient of order
    # 1e-6 here; a penalty scaled by n instead of S would leave ~1e-2.
    assert np.abs(grad).max() < 1e-4
