"""The training rules of the tabular recipe against their formulas: the
coslog4 schedule, the flat-cosine strength of regularisation, the per-step
rules, decoupled weight decay and per-parameter learning-rate factors."""

import numpy as np
import pytest

from sknn_squiggle._training.optimizers import AdamOptimizer, SGDOptimizer
from sknn_squiggle._training.schedules import (
    ConstantSchedule,
    CosLogSchedule,
    StepRules,
    flat_cos,
)


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
        self.random_layers = layers


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


def test_decoupled_weight_decay_and_lr_factors_in_adam():
    """theta_W <- theta_W (1 - eta f lambda), then Adam's step times f, with
    each factor applied once; unpenalised entries only take the step."""
    rng = np.random.default_rng(0)
    theta = rng.normal(size=6)
    g = rng.normal(size=6)
    f = np.array([1.0, 6.0, 0.1, 1.0, 0.1, 2.0])
    opt = AdamOptimizer(theta, ConstantSchedule(0.05), beta_1=0.9, beta_2=0.95)
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
    opt = SGDOptimizer(theta, ConstantSchedule(0.1), momentum=0.0, nesterov=False)
    opt.lr_factors = np.array([1.0, 0.5, 2.0])
    opt.update_params(theta, np.ones(3))
    np.testing.assert_allclose(theta, [-0.1, -0.05, -0.2])
