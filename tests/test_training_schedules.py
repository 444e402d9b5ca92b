"""sknn_squiggle/_training/schedules.py: the learning rate of sgd (and
adam's base rate), epoch by epoch and at a plateau.

Expected rates come from the documented formulas: ``eta_0 / (t + 1) **
power_t``, a division by 5 at each plateau, a stop at or below 1e-6.
"""

import numpy as np
import pytest

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle._training.optimizers import AdamOptimizer, SGDOptimizer
from sknn_squiggle._training.schedules import (
    SCHEDULES,
    AdaptiveSchedule,
    ConstantSchedule,
    CosLogSchedule,
    InvScalingSchedule,
    StepRules,
    flat_cos,
)

N_PARAMS = 11


def _gradients(seed=0, n_steps=6):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=N_PARAMS) for _ in range(n_steps)]


def _start(seed=1):
    return np.random.default_rng(seed).normal(size=N_PARAMS)


def test_sgd_invscaling_schedule():
    lr0, power_t = 0.3, 0.25
    theta = _start()
    opt = SGDOptimizer(theta, InvScalingSchedule(lr0, power_t), 0.0, False)
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
    opt = SGDOptimizer(_start(), SCHEDULES[schedule](0.3))
    opt.schedule.epoch_ends(1000)
    assert opt.learning_rate == 0.3


def test_sgd_adaptive_trigger_stopping():
    """'adaptive' divides the rate by 5 each time training stalls and stops
    only once the rate has fallen to 1e-6 or below."""
    opt = SGDOptimizer(_start(), AdaptiveSchedule(1e-3))
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
    opt = SGDOptimizer(_start(), SCHEDULES[schedule](0.1))
    assert opt.schedule.on_plateau() == (True, " Stopping.")
    assert opt.learning_rate == 0.1


def test_adam_trigger_stopping_always_stops():
    opt = AdamOptimizer(_start(), ConstantSchedule(0.001))
    assert opt.schedule.on_plateau() == (True, " Stopping.")


def _settings(**params):
    return SquiggleRegressor(**params)._solver_settings(incremental=False)


@pytest.mark.parametrize("name", ["constant", "invscaling", "adaptive"])
def test_from_settings_state_and_back(name):
    """Each schedule is built from the estimator's parameters, and state()
    is its name and the fields of STATE; from_state rebuilds it."""
    settings = _settings(learning_rate=name, learning_rate_init=0.04, power_t=0.7)
    schedule = SCHEDULES[name].from_settings(settings)
    assert type(schedule).name == name
    assert schedule.learning_rate_init == 0.04
    assert type(schedule.learning_rate) is float and schedule.learning_rate == 0.04
    schedule.epoch_ends(99)
    schedule.on_plateau()
    state = schedule.state()
    assert state["lr_schedule"] == name
    expected = {"learning_rate_init": 0.04}
    expected["learning_rate"] = {
        "constant": 0.04,
        "invscaling": 0.04 / 100**0.7,
        "adaptive": 0.04 / 5,
    }[name]
    if name == "invscaling":
        expected["power_t"] = 0.7
    assert state.keys() == expected.keys() | {"lr_schedule"}
    numbers = {key: state[key] for key in expected}
    assert numbers == pytest.approx(expected, rel=1e-15)
    rebuilt = SCHEDULES[state["lr_schedule"]].from_state(state)
    assert type(rebuilt) is type(schedule) and rebuilt.state() == state
    assert {"constant", "invscaling", "adaptive"} <= set(SCHEDULES)


@pytest.mark.parametrize("t", [0.0, 0.01, 1 / 15, 0.2, 0.5, 0.77, 1.0])
def test_coslog4_is_its_formula(t):
    schedule = CosLogSchedule(0.04)
    schedule.at_progress(t)
    expected = 0.04 * 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + 15 * t)))
    assert schedule.learning_rate == pytest.approx(expected, abs=1e-15)


def test_coslog4_runs_four_cycles_from_and_to_zero():
    schedule = CosLogSchedule(1.0)
    rates = []
    for t in np.linspace(0, 1, 20001):
        schedule.at_progress(t)
        rates.append(schedule.learning_rate)
    rates = np.array(rates)
    assert rates[0] == 0 and rates[-1] == pytest.approx(0, abs=1e-12)
    peaks = np.flatnonzero((rates[1:-1] > rates[:-2]) & (rates[1:-1] >= rates[2:]))
    assert len(peaks) == 4
    assert rates.max() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("t", [0.0, 0.3, 0.5, 0.6, 0.9, 1.0])
def test_flat_cos_is_flat_then_half_a_cosine(t):
    expected = 1.0 if t < 0.5 else 0.5 * (1 + np.cos(np.pi * (2 * t - 1)))
    assert flat_cos(t) == pytest.approx(expected, abs=1e-15)


class _Dropout:
    def __init__(self, p):
        self.p = p


class _Net:
    def __init__(self, layers):
        self.dropout_layers = layers


class _Settings:
    weight_decay = 0.02
    regularisation_schedule = "flat_cos"


def test_step_rules_set_rate_decay_and_dropout_at_each_step():
    optimizer = AdamOptimizer(np.zeros(3), CosLogSchedule(0.1))
    dropout = _Dropout(0.15)
    rules = StepRules.for_training(optimizer, _Net([dropout]), _Settings, 100)
    for step in (0, 30, 70, 100):
        rules(step)
        t = step / 100
        assert optimizer.schedule.learning_rate == pytest.approx(
            0.1 * 0.5 * (1 - np.cos(2 * np.pi * np.log2(1 + 15 * t))), abs=1e-15
        )
        assert optimizer.weight_decay == pytest.approx(0.02 * flat_cos(t))
        assert dropout.p == pytest.approx(0.15 * flat_cos(t))


def test_no_rules_without_anything_changing_between_batches():
    class NoDecay:
        weight_decay = 0.0
        regularisation_schedule = "constant"

    optimizer = SGDOptimizer(np.zeros(3), ConstantSchedule(0.1))
    assert StepRules.for_training(optimizer, _Net([]), NoDecay, 10) is None
