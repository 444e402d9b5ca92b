"""Defects of scikit-learn's MLP (1.9) that SquiggleRegressor/Classifier fix.

Each test checks the fixed behaviour of our estimators. Where it is cheap, a
companion test shows that scikit-learn fails the same check: this proves the
check can fail. If one of those companion tests starts failing, scikit-learn
has fixed its defect and the companion can be deleted.
"""

import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

# ---------------------------------------------------------------------------
# Helpers: a tiny tanh network, its weights as per-layer lists


def _tiny_regression(n=30, d=3, n_outputs=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.tanh(X @ rng.normal(size=(d, n_outputs))) + 0.1 * rng.normal(
        size=(n, n_outputs)
    )
    return X, Y


def _tiny_weights(units, seed=1):
    rng = np.random.default_rng(seed)
    coefs = [rng.uniform(-0.8, 0.8, (a, b)) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.uniform(-0.8, 0.8, b) for b in units[1:]]
    return coefs, intercepts


def _flatten(coefs, intercepts):
    return np.concatenate([a.ravel() for a in coefs + intercepts])


def _unflatten(flat, coefs_like, intercepts_like):
    out, k = [], 0
    for a in coefs_like + intercepts_like:
        out.append(flat[k : k + a.size].reshape(a.shape).copy())
        k += a.size
    n = len(coefs_like)
    return out[:n], out[n:]


def _numpy_objective(flat, coefs_like, intercepts_like, X, Y, sw, alpha):
    """The documented objective, written independently:

    J = sum_i s_i * sum_k 1/2 (y_ik - p_ik)^2 / S + alpha / (2 S) ||W||^2.
    """
    coefs, intercepts = _unflatten(flat, coefs_like, intercepts_like)
    a = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        a = a @ W + b
        if i < len(coefs) - 1:
            a = np.tanh(a)
    s = np.ones(X.shape[0]) if sw is None else sw
    S = s.sum()
    data = s @ (0.5 * ((Y - a) ** 2).sum(axis=1)) / S
    return data + alpha / (2 * S) * sum((W**2).sum() for W in coefs)


def _fd_gradient(f, flat, eps=1e-6):
    grad = np.empty_like(flat)
    for k in range(flat.size):
        e = np.zeros_like(flat)
        e[k] = eps
        grad[k] = (f(flat + e) - f(flat - e)) / (2 * eps)
    return grad


SGD_ONE_EPOCH = dict(
    solver="sgd",
    momentum=0.0,
    shuffle=False,
    max_iter=1,
    activation="tanh",
)


def _ours_one_step(flat, coefs0, intercepts0, X, Y, lr, alpha, sw=None, batch=None):
    """(reported loss_, parameters after one plain-sgd epoch) from ``flat``."""
    coefs, intercepts = _unflatten(flat, coefs0, intercepts0)
    est = SquiggleRegressor(
        hidden_layer_sizes=(coefs0[0].shape[1],),
        learning_rate_init=lr,
        alpha=alpha,
        batch_size=X.shape[0] if batch is None else batch,
        coefs_init=coefs,
        intercepts_init=intercepts,
        **SGD_ONE_EPOCH,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, Y, sample_weight=sw)
    return est.loss_, _flatten(est.coefs_, est.intercepts_)


def _sklearn_one_step(flat, coefs0, intercepts0, X, Y, lr, alpha, sw=None, batch=None):
    coefs, intercepts = _unflatten(flat, coefs0, intercepts0)
    est = MLPRegressor(
        hidden_layer_sizes=(coefs0[0].shape[1],),
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
    return est.loss_, _flatten(est.coefs_, est.intercepts_)


def _step_vs_reported_loss(one_step, alpha):
    """The direction a full-batch plain-sgd epoch moved in, (theta0 - theta1)
    / lr, against finite differences of the loss_ the estimator reports."""
    X, Y = _tiny_regression()
    coefs0, intercepts0 = _tiny_weights([3, 2, 3])
    flat0 = _flatten(coefs0, intercepts0)
    lr = 0.1
    _, flat1 = one_step(flat0, coefs0, intercepts0, X, Y, lr, alpha)
    followed = (flat0 - flat1) / lr

    def reported_loss(flat):
        return one_step(flat, coefs0, intercepts0, X, Y, lr, alpha)[0]

    return followed, _fd_gradient(reported_loss, flat0)


# ---------------------------------------------------------------------------
# (a) multi-output squared error: the reported loss is the descended function


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_multioutput_reported_loss_is_the_function_descended(alpha):
    followed, fd = _step_vs_reported_loss(_ours_one_step, alpha)
    np.testing.assert_allclose(followed, fd, rtol=1e-5, atol=1e-8)


def test_sklearn_multioutput_reported_loss_is_n_outputs_times_off():
    """scikit-learn issue 8349: it reports the squared error averaged over the
    3 outputs but descends the summed one, 3 times steeper."""
    followed, fd = _step_vs_reported_loss(_sklearn_one_step, 0.0)
    assert not np.allclose(followed, fd, rtol=1e-3)
    np.testing.assert_allclose(followed, 3 * fd, rtol=1e-5, atol=1e-8)


def test_multioutput_loss_value_is_summed_over_outputs():
    """loss_ of a full-batch epoch is the summed half squared error at the
    starting weights (independent numpy formula)."""
    X, Y = _tiny_regression()
    coefs0, intercepts0 = _tiny_weights([3, 2, 3])
    flat0 = _flatten(coefs0, intercepts0)
    loss, _ = _ours_one_step(flat0, coefs0, intercepts0, X, Y, 0.1, 0.3)
    expected = _numpy_objective(flat0, coefs0, intercepts0, X, Y, None, 0.3)
    assert loss == pytest.approx(expected, rel=1e-12)


# ---------------------------------------------------------------------------
# (b) a minibatch whose sample weights are all zero


def _zero_first_batch_data():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -1.0, 0.5] + 0.1 * rng.normal(size=50)
    sw = rng.uniform(0.5, 2.0, size=50)
    sw[:10] = 0.0
    return X, y, sw


def test_zero_weight_minibatch_is_a_no_op():
    """A batch of zero weights contributes no gradient; the other batches step
    exactly as when the zero-weight samples are absent. Each batch divides by
    |b| * S / n, so dropping the 10 samples multiplies every step by 50/40:
    compensated by the learning rate."""
    X, y, sw = _zero_first_batch_data()
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
    X, y, sw = _zero_first_batch_data()
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


def test_sklearn_zero_weight_minibatch_raises():
    X, y, sw = _zero_first_batch_data()
    with pytest.raises(ZeroDivisionError), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MLPRegressor(solver="sgd", batch_size=10, shuffle=False, max_iter=2).fit(
            X, y, sample_weight=sw
        )


# ---------------------------------------------------------------------------
# (c) Poisson with negative targets


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_poisson_negative_targets_raise(method):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0.0, 1.0, 2.0, -0.5, 3.0, 1.0])
    reg = SquiggleRegressor(loss="poisson", solver="sgd")
    with pytest.raises(ValueError, match=r"poisson.*non-negative.*-0\.5"):
        getattr(reg, method)(X, y)


def test_poisson_zero_targets_are_fine():
    X = np.arange(12.0).reshape(6, 2) / 10
    y = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 1.0])
    reg = SquiggleRegressor(
        loss="poisson", solver="lbfgs", hidden_layer_sizes=(3,), random_state=0
    ).fit(X, y)
    assert np.all(reg.predict(X) > 0)


# ---------------------------------------------------------------------------
# (d) partial_fit exists exactly for the stochastic solvers


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
def test_partial_fit_only_for_stochastic_solvers(Estimator):
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")
    assert hasattr(Estimator(solver="adam"), "partial_fit")
    # And the availability follows set_params.
    est = Estimator(solver="adam")
    est.set_params(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        est.partial_fit


def test_sklearn_regressor_advertises_partial_fit_for_lbfgs():
    """MLPRegressor's ``available_if`` receives ``est._check_solver`` without
    calling it, so the (truthy) bound method always passes."""
    assert hasattr(MLPRegressor(solver="lbfgs"), "partial_fit")
    assert not hasattr(MLPClassifier(solver="lbfgs"), "partial_fit")


# ---------------------------------------------------------------------------
# (e) alpha means the same objective for every solver and batch size


def _alpha_problem():
    X, Y = _tiny_regression(n=40, n_outputs=2, seed=5)
    coefs0, intercepts0 = _tiny_weights([3, 2, 2], seed=6)
    sw = np.random.default_rng(7).uniform(0.5, 3.0, size=40)
    return X, Y, coefs0, intercepts0, sw


@pytest.mark.parametrize("weighted", [False, True])
def test_full_batch_step_is_gradient_of_documented_objective(weighted):
    """One full-batch plain-sgd step with a tiny rate moves by -lr * grad J,
    J the documented objective with alpha / (2 S) (finite differences of an
    independent numpy J; S != n with weights, so a penalty scaled by n would
    fail)."""
    X, Y, coefs0, intercepts0, sw = _alpha_problem()
    sw = sw if weighted else None
    alpha = 2.0
    flat0 = _flatten(coefs0, intercepts0)
    lr = 1e-3
    _, flat1 = _ours_one_step(flat0, coefs0, intercepts0, X, Y, lr, alpha, sw)
    expected = _fd_gradient(
        lambda f: _numpy_objective(f, coefs0, intercepts0, X, Y, sw, alpha), flat0
    )
    np.testing.assert_allclose((flat0 - flat1) / lr, expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("batch", [5, 10, 20])
def test_minibatch_epoch_follows_full_batch_gradient(batch, weighted):
    """With a tiny rate, one epoch of plain sgd over n / B batches moves the
    parameters by -lr * (n / B) * grad J to first order: each batch estimates
    grad J without bias, alpha included."""
    X, Y, coefs0, intercepts0, sw = _alpha_problem()
    sw = sw if weighted else None
    alpha = 2.0
    n = X.shape[0]
    flat0 = _flatten(coefs0, intercepts0)
    lr = 1e-7
    _, full = _ours_one_step(flat0, coefs0, intercepts0, X, Y, lr, alpha, sw)
    _, mini = _ours_one_step(flat0, coefs0, intercepts0, X, Y, lr, alpha, sw, batch)
    full_move = flat0 - full
    mini_move = (flat0 - mini) * batch / n
    # The second-order drift within the epoch is O(lr): far below rtol.
    np.testing.assert_allclose(mini_move, full_move, rtol=1e-4, atol=1e-13)


def test_sklearn_minibatch_penalty_depends_on_batch_size():
    """scikit-learn divides the penalty by the batch's weight, so alpha's
    strength grows with the number of batches: the same check fails."""
    X, Y, coefs0, intercepts0, _ = _alpha_problem()
    n, batch, alpha, lr = X.shape[0], 10, 2.0, 1e-7
    flat0 = _flatten(coefs0, intercepts0)
    _, full = _sklearn_one_step(flat0, coefs0, intercepts0, X, Y, lr, alpha)
    _, mini = _sklearn_one_step(
        flat0, coefs0, intercepts0, X, Y, lr, alpha, None, batch
    )
    assert not np.allclose((flat0 - mini) * batch / n, flat0 - full, rtol=1e-2)


@pytest.mark.parametrize("weighted", [False, True])
def test_lbfgs_optimum_is_stationary_point_of_documented_objective(weighted):
    """At the lbfgs solution, the documented objective (independent numpy
    formula) is flat, and its value is the reported loss_."""
    X, Y, coefs0, intercepts0, sw = _alpha_problem()
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
    flat = _flatten(reg.coefs_, reg.intercepts_)

    def J(f):
        return _numpy_objective(f, coefs0, intercepts0, X, Y, sw, alpha)

    assert reg.loss_ == pytest.approx(J(flat), rel=1e-10)
    grad = _fd_gradient(J, flat)
    # The penalty matters at this alpha: its gradient alone is far from 0.
    coef_part = flat[: sum(c.size for c in coefs0)]
    S = X.shape[0] if sw is None else sw.sum()
    assert np.abs(alpha / S * coef_part).max() > 1e-2
    # L-BFGS-B stops on its relative-decrease test with a gradient of order
    # 1e-6 here; a penalty scaled by n instead of S would leave ~1e-2.
    assert np.abs(grad).max() < 1e-4
