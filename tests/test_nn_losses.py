"""sknn_squiggle/_nn/losses.py: each loss, its output activation, and the
squared error summed over outputs.

Expected values are the textbook per-sample losses
(``conftest.textbook_loss``), finite differences of an independent numpy
objective, and the documented table of (loss, output activation) pairs.
"""

import numpy as np
import pytest
from conftest import (
    flatten,
    ours_one_step,
    step_vs_reported_loss,
    tanh_objective,
    textbook_activation,
    textbook_loss,
    tiny_regression,
    tiny_weights,
)

from sknn_squiggle._nn.losses import LOSSES, OUTPUT_ACTIVATIONS


def _outputs_and_targets(loss, n=9, n_out=3, seed=0):
    """Outputs of the loss's own output activation, and valid targets."""
    rng = np.random.default_rng(seed)
    p = textbook_activation(OUTPUT_ACTIVATIONS[loss], rng.normal(size=(n, n_out)))
    if loss == "squared_error":
        y = rng.normal(size=(n, n_out))
    elif loss == "poisson":
        y = rng.poisson(2.0, size=(n, n_out)).astype(float)
        y[0] = 0.0  # a zero count: y log y = 0
    elif loss == "binary_log_loss":
        y = rng.integers(0, 2, size=(n, n_out)).astype(float)
    else:
        y = np.eye(n_out)[rng.integers(0, n_out, size=n)]
    return y, p, rng.uniform(0.2, 2.0, size=n)


def test_each_loss_has_the_documented_output_activation():
    assert OUTPUT_ACTIVATIONS == {
        "squared_error": "identity",
        "poisson": "exp",
        "binary_log_loss": "logistic",
        "log_loss": "softmax",
    }
    assert all(LOSSES[name].name == name for name in LOSSES)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_value_is_the_weighted_sum_of_the_per_sample_loss(loss, weighted):
    """``LOSSES[name](y, p, s) = sum_i s_i sum_k l(y_ik, p_ik)``."""
    y, p, sw = _outputs_and_targets(loss)
    sw = sw if weighted else None
    per_sample = textbook_loss(loss, y, p)
    expected = per_sample.sum() if sw is None else per_sample @ sw
    assert LOSSES[loss](y, p, sw) == pytest.approx(expected, rel=1e-12)
    # The scratch buffer changes nothing but where temporaries go.
    scratch = np.empty_like(p)
    assert LOSSES[loss].value(y, p, sw, scratch) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_squared_error_from_the_residual_equals_its_value(weighted):
    y, p, sw = _outputs_and_targets("squared_error")
    sw = sw if weighted else None
    loss = LOSSES["squared_error"]
    assert loss.from_residual(p - y, sw) == pytest.approx(
        loss.value(y, p, sw), rel=1e-14
    )
    assert all(
        LOSSES[name].from_residual is None
        for name in ("poisson", "binary_log_loss", "log_loss")
    )


def test_saturated_probabilities_cost_at_most_minus_log_eps():
    """A sigmoid output of exactly 0 or 1 on the wrong label is clipped to
    [eps, 1 - eps]: it costs -log(eps), not infinity."""
    eps = np.finfo(np.float64).eps
    y = np.array([[0.0], [1.0]])
    p = np.array([[1.0], [0.0]])
    assert LOSSES["binary_log_loss"](y, p) == pytest.approx(-2 * np.log(eps))
    assert LOSSES["log_loss"](np.eye(2), np.eye(2)[::-1]) == pytest.approx(
        -2 * np.log(eps)
    )


def test_float32_losses_add_up_without_overflowing():
    """Per-entry losses near the float32 maximum are summed in float64."""
    residual = np.full((10, 1), 1e19, dtype=np.float32)  # each 5e37 / entry
    value = LOSSES["squared_error"].from_residual(residual, None)
    assert np.isfinite(value)
    assert value == pytest.approx(10 * 0.5 * 1e38, rel=1e-6)
    assert value > float(np.finfo(np.float32).max)


# ---------------------------------------------------------------------------
# Multi-output squared error: the reported loss is the descended function
# (scikit-learn's defect, issue 8349: test_sklearn_defects.py)


@pytest.mark.parametrize("alpha", [0.0, 0.5])
def test_multioutput_reported_loss_is_the_function_descended(alpha):
    followed, fd = step_vs_reported_loss(ours_one_step, alpha)
    np.testing.assert_allclose(followed, fd, rtol=1e-5, atol=1e-8)


def test_multioutput_loss_value_is_summed_over_outputs():
    """loss_ of a full-batch epoch is the summed half squared error at the
    starting weights (independent numpy formula)."""
    X, Y = tiny_regression()
    units = [3, 2, 3]
    flat0 = flatten(*tiny_weights(units))
    loss, _ = ours_one_step(flat0, units, X, Y, 0.1, 0.3)
    expected = tanh_objective(flat0, units, X, Y, None, 0.3)
    assert loss == pytest.approx(expected, rel=1e-12)
