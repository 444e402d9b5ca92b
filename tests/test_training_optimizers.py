"""sknn_squiggle/_training/optimizers.py: sgd and adam on the flat vector,
and their state as plain data.

The update rules are checked against their formulas written out here.

Each test runs several steps with random gradients and compares the parameter
trajectory with an independent implementation of the formula (and, where the
rule is scikit-learn's, with scikit-learn's own optimizer applied to the same
vector split into per-layer pieces).
"""

import copy

import numpy as np
import pytest
from sklearn.neural_network._stochastic_optimizers import (
    AdamOptimizer as SkAdam,
)
from sklearn.neural_network._stochastic_optimizers import (
    SGDOptimizer as SkSGD,
)

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle._training.optimizers import OPTIMIZERS
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


# ---------------------------------------------------------------------------
# The state as plain data


def _trained(kind, schedule="constant"):
    """An optimizer after a few steps (so its arrays and counts are not at
    their starting values)."""
    theta = _start()
    if kind == "sgd":
        opt = SGDOptimizer(theta, 0.1, schedule, 0.7, False, power_t=0.3)
    else:
        opt = AdamOptimizer(theta, 0.02, 0.8, 0.95, 1e-7)
    for time_step, g in enumerate(_gradients(), start=1):
        opt.update_params(theta, g)
        opt.schedule.epoch_ends(10 * time_step)
    if schedule == "adaptive":
        opt.schedule.on_plateau()
    return opt, theta


@pytest.mark.parametrize(
    "kind, schedule",
    [("sgd", "constant"), ("sgd", "invscaling"), ("sgd", "adaptive"), ("adam", None)],
)
def test_state_round_trip_continues_identically(kind, schedule):
    """state() is the kind, the schedule's fields and the optimizer's own,
    as plain values and arrays; from_state rebuilds an optimizer whose next
    steps are the same, bit for bit."""
    opt, theta = _trained(kind, schedule or "constant")
    state = opt.state()
    own = set(type(opt).STATE)
    expected_schedule = {"sgd": schedule, "adam": "constant"}[kind]
    assert state["kind"] == kind and state["lr_schedule"] == expected_schedule
    assert set(state) == {"kind", "lr_schedule", "learning_rate_init"} | {
        "learning_rate",
        *own,
        *(["power_t"] if schedule == "invscaling" else []),
    }
    assert all(
        isinstance(state[k], np.ndarray)
        for k, what in type(opt).STATE.items()
        if what == "array"
    )
    assert state["learning_rate"] == opt.schedule.learning_rate
    # A copy of the state, as pickling or a model file gives it back.
    theta_copy = theta.copy()
    rebuilt = OPTIMIZERS[kind].from_state(theta_copy, copy.deepcopy(state))
    assert type(rebuilt) is type(opt) and type(rebuilt.schedule) is type(opt.schedule)
    assert rebuilt.learning_rate == opt.learning_rate
    for g in _gradients(seed=9, n_steps=4):
        opt.update_params(theta, g)
        rebuilt.update_params(theta_copy, g)
        opt.schedule.epoch_ends(1000)
        rebuilt.schedule.epoch_ends(1000)
    np.testing.assert_array_equal(theta_copy, theta)
    new, again = opt.state(), rebuilt.state()
    assert new.keys() == again.keys()
    for key in new:
        np.testing.assert_array_equal(again[key], new[key])


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_matches_means_same_size_and_dtype(kind):
    opt, theta = _trained(kind)
    assert opt.matches(theta)
    assert opt.matches(np.zeros_like(theta))
    assert not opt.matches(np.zeros(theta.size + 1))
    assert not opt.matches(theta.astype(np.float32))


def _settings(**params):
    return SquiggleRegressor(**params)._solver_settings(incremental=False)


@pytest.mark.parametrize("learning_rate", ["constant", "invscaling", "adaptive"])
def test_from_settings_reads_the_estimators_parameters(learning_rate):
    theta = np.zeros(5, dtype=np.float32)
    sgd = OPTIMIZERS["sgd"].from_settings(
        theta,
        _settings(
            solver="sgd",
            learning_rate=learning_rate,
            learning_rate_init=0.25,
            power_t=0.75,
            momentum=0.3,
            nesterovs_momentum=False,
        ),
    )
    assert type(sgd) is _SGD
    assert (sgd.momentum, sgd.nesterov) == (0.3, False)
    assert sgd.schedule.name == learning_rate and sgd.learning_rate == 0.25
    assert sgd.velocity.dtype == np.float32 and not sgd.velocity.any()
    if learning_rate == "invscaling":
        assert sgd.schedule.power_t == 0.75
    adam = OPTIMIZERS["adam"].from_settings(
        theta,
        _settings(
            solver="adam",
            learning_rate=learning_rate,  # sgd's schedules: ignored by adam
            learning_rate_init=0.5,
            beta_1=0.6,
            beta_2=0.7,
            epsilon=1e-3,
        ),
    )
    assert type(adam) is _Adam and adam.schedule.name == "constant"
    assert (adam.beta_1, adam.beta_2, adam.epsilon, adam.t) == (0.6, 0.7, 1e-3, 0)
    assert adam.learning_rate == 0.5


def test_decoupled_weight_decay_and_lr_factors_in_adam():
    """theta_W <- theta_W (1 - eta f lambda), then Adam's step times f, with
    each factor applied once; unpenalised entries only take the step."""
    rng = np.random.default_rng(0)
    theta = rng.normal(size=6)
    g = rng.normal(size=6)
    f = np.array([1.0, 6.0, 0.1, 1.0, 0.1, 2.0])
    opt = _Adam(theta, ConstantSchedule(0.05), beta_1=0.9, beta_2=0.95)
    opt.lr_factors, opt.weight_decay, opt.n_penalised = f, 0.02, 4
    expected = theta.copy()
    expected[:4] *= 1 - 0.05 * f[:4] * 0.02
    eta_1 = 0.05 * np.sqrt(1 - 0.95) / (1 - 0.9)
    m, v = 0.1 * g, 0.05 * g**2
    expected -= eta_1 * f * m / (np.sqrt(v) + 1e-8)
    opt.update_params(theta, g)
    np.testing.assert_allclose(theta, expected, rtol=1e-12)


def test_lr_factors_in_sgd_scale_each_entry_step():
    theta = np.zeros(3)
    opt = _SGD(theta, ConstantSchedule(0.1), momentum=0.0, nesterov=False)
    opt.lr_factors = np.array([1.0, 0.5, 2.0])
    opt.update_params(theta, np.ones(3))
    np.testing.assert_allclose(theta, [-0.1, -0.05, -0.2])
