"""Defects of scikit-learn's MLP (1.9) that SquiggleRegressor/Classifier fix.

Each test here shows that scikit-learn still fails a check our estimators
pass; this proves the check can fail. Our side of each pair lives with the
module it concerns:

- the multi-output squared error reported 1 / n_outputs too small (issue
  8349): test_nn_losses.py;
- a minibatch whose sample weights are all zero, and alpha's strength
  changing with the batch size: test_nn_objective.py;
- ``partial_fit`` advertised for lbfgs: test_base.py.

If one of these tests starts failing, scikit-learn has fixed its defect and
the test can be deleted.
"""

import warnings

import numpy as np
import pytest
from conftest import (
    ALPHA_UNITS,
    SGD_ONE_EPOCH,
    alpha_problem,
    flatten,
    step_vs_reported_loss,
    unflatten,
    zero_first_batch_data,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor


def _sklearn_one_step(flat, units, X, Y, lr, alpha, sw=None, batch=None):
    """scikit-learn's (loss_, parameters after one plain-sgd epoch) from
    ``flat``: fitted once to allocate its layers, the weights overwritten in
    place, then a warm-started epoch."""
    coefs, intercepts = unflatten(flat, units)
    est = MLPRegressor(
        hidden_layer_sizes=tuple(units[1:-1]),
        learning_rate_init=lr,
        alpha=alpha,
        batch_size=X.shape[0] if batch is None else batch,
        warm_start=True,
        **SGD_ONE_EPOCH,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, Y, sample_weight=sw)
        for mine, theirs in zip(coefs + intercepts, est.coefs_ + est.intercepts_):
            theirs[...] = mine
        est.fit(X, Y, sample_weight=sw)
    return est.loss_, flatten(est.coefs_, est.intercepts_)


def test_sklearn_multioutput_reported_loss_is_n_outputs_times_off():
    """scikit-learn issue 8349: it reports the squared error averaged over the
    3 outputs but descends the summed one, 3 times steeper."""
    followed, fd = step_vs_reported_loss(_sklearn_one_step, 0.0)
    assert not np.allclose(followed, fd, rtol=1e-3)
    np.testing.assert_allclose(followed, 3 * fd, rtol=1e-5, atol=1e-8)


def test_sklearn_zero_weight_minibatch_raises():
    X, y, sw = zero_first_batch_data()
    with pytest.raises(ZeroDivisionError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPRegressor(solver="sgd", batch_size=10, shuffle=False, max_iter=2).fit(
            X, y, sample_weight=sw
        )


def test_sklearn_regressor_advertises_partial_fit_for_lbfgs():
    """MLPRegressor's ``available_if`` receives ``est._check_solver`` without
    calling it, so the (truthy) bound method always passes."""
    assert hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


def test_sklearn_minibatch_penalty_depends_on_batch_size():
    """scikit-learn divides the penalty by the batch's weight, so alpha's
    strength grows with the number of batches: the same check as
    test_nn_objective.py's test_minibatch_epoch_follows_full_batch_gradient
    fails."""
    X, Y, flat0, _ = alpha_problem()
    n, batch, alpha, lr = X.shape[0], 10, 2.0, 1e-7
    _, full = _sklearn_one_step(flat0, ALPHA_UNITS, X, Y, lr, alpha)
    _, mini = _sklearn_one_step(flat0, ALPHA_UNITS, X, Y, lr, alpha, None, batch)
    assert not np.allclose((flat0 - mini) * batch / n, flat0 - full, rtol=1e-2)
