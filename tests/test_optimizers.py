"""The flat-vector optimizers against their update rules written out here.

Each test runs several steps with random gradients and compares the parameter
trajectory with an independent implementation of the formula (and, where the
rule is scikit-learn's, with scikit-learn's own optimizer applied to the same
vector split into per-layer pieces).
"""

import warnings

import numpy as np
import pytest
from sklearn.neural_network import MLPRegressor
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SkAdam,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SkSGD,
)

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle._training.optimizers import AdamOptimizer as _Adam
from sknn_squiggle._training.optimizers import SGDOptimizer as _SGD
from sknn_squiggle._training.schedules import (
    SCHEDULES,
    ConstantSchedule,
    InvScalingSchedule,
)


def SGDOptimizer(
    params, lr=0.1, schedule="constant", momentum=0.9, nesterov=True, power_t=0.5
):
    """sgd over ``params`` with the named schedule starting at ``lr``."""
    if schedule == "invscaling":
        rule = InvScalingSchedule(lr, power_t)
    else:
        rule = SCHEDULES[schedule](lr)
    return _SGD(params, rule, momentum, nesterov)


def AdamOptimizer(params, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """adam over ``params`` with a constant base rate ``lr``."""
    return _Adam(params, ConstantSchedule(lr), beta_1, beta_2, epsilon)


N_PARAMS = 11
N_STEPS = 6


def _gradients(seed=0, n_steps=N_STEPS):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=N_PARAMS) for _ in range(n_steps)]


def _start(seed=1):
    return np.random.default_rng(seed).normal(size=N_PARAMS)


def _split(flat):
    """Per-layer pieces (views) of a flat vector, as scikit-learn stores them."""
    return [flat[:6].reshape(2, 3), flat[6:9], flat[9:]]


# ---------------------------------------------------------------------------
# SGD


@pytest.mark.parametrize("nesterov", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9])
def test_sgd_momentum_formula(nesterov, momentum):
    lr = 0.05
    theta = _start()
    opt = SGDOptimizer(theta, lr, "constant", momentum, nesterov)

    expected = theta.copy()
    velocity = np.zeros(N_PARAMS)
    for g in _gradients():
        opt.update_params(theta, g)
        velocity = momentum * velocity - lr * g
        if nesterov:
            # Look-ahead: step along the new velocity once more, plus the
            # gradient step.
            expected = expected + momentum * velocity - lr * g
        else:
            expected = expected + velocity
        np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-15)


def test_sgd_zero_momentum_is_plain_gradient_descent():
    lr = 0.1
    theta = _start()
    expected = theta.copy()
    opt = SGDOptimizer(theta, lr, "constant", 0.0, True)
    for g in _gradients():
        opt.update_params(theta, g)
        expected -= lr * g
    np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-15)


def test_sgd_nesterov_differs_from_classical():
    """The two momentum variants are different rules after the first step."""
    a, b = _start(), _start()
    opt_a = SGDOptimizer(a, 0.1, "constant", 0.9, True)
    opt_b = SGDOptimizer(b, 0.1, "constant", 0.9, False)
    for g in _gradients():
        opt_a.update_params(a, g)
        opt_b.update_params(b, g)
    assert np.abs(a - b).max() > 1e-3


@pytest.mark.parametrize("schedule", ["constant", "invscaling", "adaptive"])
@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_sklearn_per_layer(schedule, nesterov):
    theta = _start()
    sk_flat = theta.copy()
    sk_params = _split(sk_flat)
    ours = SGDOptimizer(theta, 0.2, schedule, 0.8, nesterov, power_t=0.4)
    theirs = SkSGD(sk_params, 0.2, schedule, 0.8, nesterov, power_t=0.4)
    time_step = 0
    for epoch in range(3):
        for g in _gradients(seed=epoch):
            ours.update_params(theta, g)
            theirs.update_params(sk_params, _split(g.copy()))
        time_step += 7
        ours.schedule.epoch_ends(time_step)
        theirs.iteration_ends(time_step)
        assert ours.learning_rate == pytest.approx(theirs.learning_rate, rel=1e-15)
    np.testing.assert_allclose(theta, sk_flat, rtol=1e-13, atol=1e-14)


def test_sgd_invscaling_schedule():
    lr0, power_t = 0.3, 0.25
    theta = _start()
    opt = SGDOptimizer(theta, lr0, "invscaling", 0.0, False, power_t)
    expected = theta.copy()
    for time_step, g in zip([10, 20, 30, 40], _gradients()):
        opt.update_params(theta, g)
        expected -= opt.learning_rate * g
        lr_used = opt.learning_rate
        opt.schedule.epoch_ends(time_step)
        # eta = eta_0 / (t + 1) ** power_t, t the samples seen so far.
        assert opt.learning_rate == pytest.approx(lr0 / (time_step + 1) ** power_t)
        assert opt.learning_rate < lr_used
    np.testing.assert_allclose(theta, expected, rtol=1e-14)


@pytest.mark.parametrize("schedule", ["constant", "adaptive"])
def test_sgd_iteration_ends_keeps_rate_for_other_schedules(schedule):
    opt = SGDOptimizer(_start(), 0.3, schedule)
    opt.schedule.epoch_ends(1000)
    assert opt.learning_rate == 0.3


def test_sgd_adaptive_trigger_stopping():
    """'adaptive' divides the rate by 5 each time training stalls and stops
    only once the rate has fallen to 1e-6 or below."""
    opt = SGDOptimizer(_start(), 1e-3, "adaptive")
    rates = [opt.learning_rate]
    out = []
    while True:
        stop, note = opt.schedule.on_plateau()
        out.append("Stalled." + note)
        if stop:
            break
        rates.append(opt.learning_rate)
        assert len(rates) < 100
    # 1e-3 / 5**k > 1e-6 for k = 0..4, so five reductions happen, and the
    # sixth call (rate 3.2e-7 <= 1e-6) stops.
    np.testing.assert_allclose(rates, [1e-3 / 5**k for k in range(6)], rtol=1e-15)
    assert opt.learning_rate == pytest.approx(1e-3 / 5**5)
    assert len(out) == 6
    assert out[0].startswith("Stalled. Setting learning rate to 0.000200")
    assert out[-1] == "Stalled. Learning rate too small. Stopping."


@pytest.mark.parametrize("schedule", ["constant", "invscaling"])
def test_sgd_non_adaptive_trigger_stopping_stops(schedule):
    opt = SGDOptimizer(_start(), 0.1, schedule)
    assert opt.schedule.on_plateau() == (True, " Stopping.")
    assert opt.learning_rate == 0.1


def test_adaptive_schedule_in_training_matches_sklearn():
    """In a full fit, the adaptive schedule lowers the rate and keeps training
    exactly as scikit-learn does (same epochs, same final rate, same weights).
    A large tol makes training stall quickly so the schedule kicks in."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=40)
    params = dict(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=0.5,
        n_iter_no_change=2,
        max_iter=200,
        batch_size=40,
        shuffle=False,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = SquiggleRegressor(**params).fit(X, y)
        theirs = MLPRegressor(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    # Stopped by the schedule (not max_iter) after several rate reductions.
    assert ours.n_iter_ < 200
    assert ours._optimizer.learning_rate <= 1e-6
    assert ours._optimizer.learning_rate == pytest.approx(
        theirs._optimizer.learning_rate, rel=1e-12
    )
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# Adam


@pytest.mark.parametrize(
    ("lr", "beta_1", "beta_2", "epsilon"),
    [(1e-3, 0.9, 0.999, 1e-8), (0.05, 0.5, 0.9, 1e-3), (0.1, 0.0, 0.0, 1e-8)],
)
def test_adam_formula(lr, beta_1, beta_2, epsilon):
    theta = _start()
    opt = AdamOptimizer(theta, lr, beta_1, beta_2, epsilon)
    expected = theta.copy()
    m = np.zeros(N_PARAMS)
    v = np.zeros(N_PARAMS)
    for t, g in enumerate(_gradients(n_steps=8), start=1):
        opt.update_params(theta, g)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        # Bias corrections folded into the step size (scikit-learn's form).
        eta_t = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        expected = expected - eta_t * m / (np.sqrt(v) + epsilon)
        assert opt.t == t
        assert opt.learning_rate == pytest.approx(eta_t, rel=1e-14)
        np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-15)


def test_adam_first_step_is_sign_step():
    """With zero-initialised moments, the bias-corrected first step moves each
    parameter by about lr against the sign of its gradient."""
    theta = _start()
    before = theta.copy()
    g = _gradients()[0]
    AdamOptimizer(theta, 0.01).update_params(theta, g)
    # Exactly lr * g / (|g| + epsilon): the sign up to epsilon / |g|.
    np.testing.assert_allclose(before - theta, 0.01 * np.sign(g), rtol=1e-4)


def test_adam_matches_sklearn_per_layer():
    theta = _start()
    sk_flat = theta.copy()
    sk_params = _split(sk_flat)
    ours = AdamOptimizer(theta, 0.02, 0.8, 0.95, 1e-7)
    theirs = SkAdam(sk_params, 0.02, 0.8, 0.95, 1e-7)
    for g in _gradients(n_steps=10):
        ours.update_params(theta, g)
        theirs.update_params(sk_params, _split(g.copy()))
    assert ours.t == theirs.t == 10
    np.testing.assert_allclose(theta, sk_flat, rtol=1e-13, atol=1e-15)


def test_adam_trigger_stopping_always_stops():
    opt = AdamOptimizer(_start())
    assert opt.schedule.on_plateau() == (True, " Stopping.")


# ---------------------------------------------------------------------------
# float32


@pytest.mark.parametrize("make", ["sgd", "adam"])
def test_optimizers_keep_float32(make):
    theta32 = _start().astype(np.float32)
    theta64 = theta32.astype(np.float64)
    if make == "sgd":
        o32 = SGDOptimizer(theta32, 0.1, "constant", 0.9, True)
        o64 = SGDOptimizer(theta64, 0.1, "constant", 0.9, True)
    else:
        o32 = AdamOptimizer(theta32, 0.01)
        o64 = AdamOptimizer(theta64, 0.01)
    for g in _gradients():
        o32.update_params(theta32, g.astype(np.float32))
        o64.update_params(theta64, g)
    assert theta32.dtype == np.float32
    np.testing.assert_allclose(theta32, theta64, rtol=1e-5, atol=1e-6)
