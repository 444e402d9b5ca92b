"""The full-batch solver: scipy's L-BFGS-B on the flat parameter vector.

Every evaluation is the loss and gradient of the whole data set
(``Network.loss_grad`` with the objective's full normaliser ``S``); scipy's
callback after each iteration records it (``monitor``). Frozen entries are
pinned by equal lower and upper bounds.
"""

import math

import numpy as np
import scipy.optimize
from sklearn.utils.optimize import _check_optimize_result

from .._nn.network import Network
from .._nn.objective import Objective
from .stopping import raise_nothing_finite, warn_interrupted


class _BestPoint:
    """The best finite point evaluated so far: what an interruption or a
    failed line search leaves in the estimator."""

    def __init__(self, params):
        self.x = params.astype(np.float64)
        self.loss = np.inf

    def offer(self, x, loss):
        if loss < self.loss:
            self.loss = loss
            self.x[:] = x


def fit_lbfgs(problem, settings, state, monitor):
    """Train ``problem.params`` in place with L-BFGS-B.

    Parameters
    ----------
    problem : Problem
    settings : Settings
    state : TrainingState
        Updated in place and returned.
    monitor : Monitor

    Returns
    -------
    state : TrainingState
    interrupted : bool
        Whether the user interrupted training (Ctrl-C).
    """
    X, sample_weight, mask, params = (
        problem.X,
        problem.sample_weight,
        problem.trainable_mask,
        problem.params,
    )
    # Every evaluation sees the whole data set: widen compact targets once.
    y = problem.y.astype(params.dtype, copy=False)
    net = Network(problem.layers, params, X.shape[0], problem.loss, mask)
    objective = Objective(settings.alpha, X.shape[0], sample_weight)
    S, l2 = objective.total_weight, objective.l2
    if mask is not None and not mask.any():
        # Nothing to train: the loss of the given parameters is the result.
        state.n_iter = 0
        state.loss = state.best_loss = float(net.loss_grad(X, y, sample_weight, S, l2))
        return state, False
    best = _BestPoint(params)
    n_curve = len(state.loss_curve)

    def loss_grad(x):
        params[:] = x
        value = net.loss_grad(X, y, sample_weight, S, l2)
        if not math.isfinite(value):
            # An overflowing point is infinitely bad: the line search
            # backtracks from it. (A non-finite gradient at a finite loss
            # ends in a non-finite result, which falls back to ``best``.)
            return np.inf, np.zeros_like(x)
        best.offer(x, value)
        # scipy may keep the returned gradient: hand it a copy, never the
        # buffer the next evaluation overwrites.
        return value, net.grad.astype(np.float64)

    def callback(intermediate_result):
        if monitor.watching:
            # Callbacks look at the model as this iteration left it.
            params[:] = intermediate_result.x
        iteration = len(state.loss_curve) - n_curve + 1
        if monitor.record(iteration, float(intermediate_result.fun), None):
            # scipy stops L-BFGS-B when the callback raises StopIteration.
            raise StopIteration
        monitor.begin_epoch()

    monitor.begin_epoch()
    try:
        result = _minimize(loss_grad, callback, params, mask, settings)
    except KeyboardInterrupt:
        monitor.abandon_epoch()
        params[:] = best.x
        state.n_iter = len(state.loss_curve) - n_curve
        state.loss = state.best_loss = float(best.loss)
        warn_interrupted(state.n_iter, "lbfgs iterations")
        return state, True
    # The iteration begun after the last one never ran.
    monitor.abandon_epoch()
    _take_result(result, best, params, state, n_curve, settings.max_iter)
    return state, False


def _minimize(loss_grad, callback, params, mask, settings):
    """scipy's L-BFGS-B from ``params``, as scikit-learn calls it."""
    bounds = None
    if mask is not None:
        # Frozen entries are pinned by equal lower and upper bounds, so
        # L-BFGS-B never moves them, whatever its line search does.
        x0 = params.astype(np.float64)
        bounds = [(v, v) if not m else (None, None) for v, m in zip(x0, mask)]
    return scipy.optimize.minimize(
        loss_grad,
        params.astype(np.float64),
        method="L-BFGS-B",
        jac=True,
        bounds=bounds,
        callback=callback,
        options={
            "maxfun": settings.max_fun,
            "maxiter": settings.max_iter,
            "gtol": settings.tol,
        },
    )


def _take_result(result, best, params, state, n_curve, max_iter):
    """Leave scipy's result in ``params`` (or the best point evaluated, if
    the result is not finite) and in the state."""
    if not math.isfinite(best.loss):
        # Every point scipy tried overflowed: nothing to fall back to.
        raise_nothing_finite()
    state.n_iter = _check_optimize_result("lbfgs", result, max_iter)
    if math.isfinite(result.fun) and np.isfinite(result.x).all():
        params[:] = result.x
        state.loss = float(result.fun)
    else:
        params[:] = best.x
        state.loss = float(best.loss)
    state.best_loss = min(state.loss_curve[n_curve:], default=state.loss)
