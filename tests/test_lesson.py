"""The lesson's numbers, reproduced through the public API.

The expected values are the lesson's own (lesson 1.4, "Neural Networks"),
rounded as the lesson rounds them, and hand-written numpy formulas of the
same network; neither comes from the code under test.
"""

import re
import sys
import warnings

import numpy as np
import pytest
from conftest import (
    BP,
    DOSAGE,
    EFFECTIVE,
    LESSON,
    lesson_network,
    lesson_squiggle,
    softplus,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPRegressor
from threadpoolctl import threadpool_limits

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle.__main__ import main

W1, B1, W2, B2, W3, W4, B3 = (
    LESSON[k] for k in ("w1", "b1", "w2", "b2", "w3", "w4", "b3")
)
ONLY_B3 = {"coefs": [False, False], "intercepts": [False, True]}

# The lesson rounds to two decimals (one for the weights it writes so): a
# computed number agrees with it when it is within half a unit of the last
# digit, plus a little for floating point.
TWO_DECIMALS = 0.005 + 1e-9
ONE_DECIMAL = 0.05 + 1e-9


def ssr(y, p):
    return float(np.sum((np.asarray(y) - np.asarray(p)) ** 2))


# ----------------------------------------------------------------------
# Part one: the forward pass


@pytest.fixture(scope="module")
def fitted_lesson():
    return lesson_network(W1, B1, W2, B2, W3, W4, B3)


def test_frozen_fit_keeps_the_published_weights(fitted_lesson):
    np.testing.assert_array_equal(fitted_lesson.coefs_[0], [[W1, W2]])
    np.testing.assert_array_equal(fitted_lesson.coefs_[1], [[W3], [W4]])
    np.testing.assert_array_equal(fitted_lesson.intercepts_[0], [B1, B2])
    np.testing.assert_array_equal(fitted_lesson.intercepts_[1], [B3])


def test_forward_pass_top_node(fitted_lesson):
    parts = fitted_lesson.decompose([[0.0], [0.1]])
    x_top = parts.pre_activations[0][:, 0]
    y_top = parts.activations[0][:, 0]
    # The lesson: 2.14 and -1.3 on the x-axis, 2.25 and 0.24 on the y-axis.
    assert x_top[0] == pytest.approx(2.14, abs=TWO_DECIMALS)
    assert x_top[1] == pytest.approx(-1.3, abs=TWO_DECIMALS)
    assert y_top[0] == pytest.approx(2.25, abs=TWO_DECIMALS)
    assert y_top[1] == pytest.approx(0.24, abs=TWO_DECIMALS)
    # And the formulas behind them.
    np.testing.assert_allclose(x_top, [B1, 0.1 * W1 + B1], rtol=1e-12)
    np.testing.assert_allclose(y_top, softplus(np.array([B1, 0.1 * W1 + B1])))
    # Scaled by w3 = -1.3, 2.25 becomes -2.93: the blue curve at dosage 0.
    blue = parts.contributions[0, 0, 0]
    assert blue == pytest.approx(-2.93, abs=TWO_DECIMALS)
    assert blue == pytest.approx(W3 * softplus(B1), rel=1e-12)


def test_forward_pass_bottom_node(fitted_lesson):
    parts = fitted_lesson.decompose([[0.0]])
    assert parts.pre_activations[0][0, 1] == pytest.approx(1.29, abs=TWO_DECIMALS)
    assert parts.activations[0][0, 1] == pytest.approx(1.53, abs=TWO_DECIMALS)
    assert parts.contributions[0, 1, 0] == pytest.approx(W4 * softplus(B2), rel=1e-12)


def test_the_squiggle_fits_the_data(fitted_lesson):
    parts = fitted_lesson.decompose(DOSAGE)
    squiggle = parts.output[:, 0]
    np.testing.assert_allclose(squiggle, [0.0, 1.0, 0.0], atol=0.05)
    np.testing.assert_allclose(
        squiggle, lesson_squiggle(DOSAGE[:, 0], W1, B1, W2, B2, W3, W4, B3)
    )
    # For the regressor the squiggle is the prediction.
    np.testing.assert_allclose(fitted_lesson.predict(DOSAGE), squiggle)


# ----------------------------------------------------------------------
# Part two: backpropagation on b3


def test_predictions_and_ssr_along_b3():
    start = lesson_network(**BP, b3=0.0)
    predictions = start.predict(DOSAGE)
    np.testing.assert_allclose(predictions, [-2.6, -1.61, -2.61], atol=TWO_DECIMALS)
    np.testing.assert_allclose(
        predictions, lesson_squiggle(DOSAGE[:, 0], **BP, b3=0.0), rtol=1e-12
    )
    lesson_ssr = {0.0: (20.4, ONE_DECIMAL), 1.0: (7.8, ONE_DECIMAL)}
    lesson_ssr |= {2.0: (1.11, TWO_DECIMALS), 3.0: (0.46, TWO_DECIMALS)}
    for b3, (expected, tol) in lesson_ssr.items():
        shifted = lesson_network(**BP, b3=b3)
        assert ssr(EFFECTIVE, shifted.predict(DOSAGE)) == pytest.approx(
            expected, abs=tol
        ), b3


def _b3_descent(n_steps):
    """b3 after each of ``n_steps`` sgd steps with b3 alone unfrozen.

    The lesson descends the sum of squared residuals with learning rate 0.1.
    The library minimises SSR / (2 n) with n = 3 samples, so the same steps
    take learning_rate_init = 0.1 * 2 * 3 = 0.6 with plain full-batch sgd
    (momentum 0, batch_size 3, no shuffling, alpha 0).
    """
    reg = lesson_network(**BP, b3=0.0, learning_rate_init=0.1 * 2 * 3)
    reg.set_params(trainable=ONLY_B3)
    values = [0.0]
    for _ in range(n_steps):
        reg.partial_fit(DOSAGE, EFFECTIVE)
        values.append(float(reg.intercepts_[1][0]))
    return reg, np.array(values)


def test_gradient_descent_on_b3_follows_the_lesson():
    reg, b3 = _b3_descent(20)
    # The derivative of the SSR with respect to b3 at b3 = 0 is -15.7, so
    # the first step size is 0.1 * -15.7 = -1.57 and b3 becomes 1.57.
    slope_0 = np.sum(-2 * (EFFECTIVE - lesson_squiggle(DOSAGE[:, 0], **BP, b3=0.0)))
    assert slope_0 == pytest.approx(-15.7, abs=ONE_DECIMAL)
    step_size = b3[0] - b3[1]
    assert step_size == pytest.approx(-1.57, abs=TWO_DECIMALS)
    assert b3[1] == pytest.approx(1.57, abs=TWO_DECIMALS)
    assert b3[2] == pytest.approx(2.19, abs=TWO_DECIMALS)
    # The slope at b3 = 1.57 is -6.26.
    slope_1 = np.sum(-2 * (EFFECTIVE - lesson_squiggle(DOSAGE[:, 0], **BP, b3=b3[1])))
    assert slope_1 == pytest.approx(-6.26, abs=TWO_DECIMALS)
    # The steps shrink to nearly nothing at b3 = 2.61.
    assert abs(b3[-1] - b3[-2]) < 1e-3
    assert b3[-1] == pytest.approx(2.61, abs=TWO_DECIMALS)
    # Everything else stayed frozen.
    np.testing.assert_array_equal(reg.coefs_[0], [[BP["w1"], BP["w2"]]])
    np.testing.assert_array_equal(reg.intercepts_[0], [BP["b1"], BP["b2"]])


def test_gradient_descent_on_b3_matches_hand_written_descent():
    _, b3 = _b3_descent(12)
    expected = [0.0]
    for _ in range(12):
        residuals = EFFECTIVE - lesson_squiggle(DOSAGE[:, 0], **BP, b3=expected[-1])
        slope = np.sum(-2 * residuals)  # dSSR/db3, chain rule with dp/db3 = 1
        expected.append(expected[-1] - 0.1 * slope)
    np.testing.assert_allclose(b3, expected, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------
# Part three: from random weights


def test_fit_from_random_weights_finds_a_squiggle_for_every_seed():
    # Our settings: L-BFGS, 10 random starts, no penalty, and a tolerance
    # tight enough that L-BFGS runs until the gradient has vanished.
    # 200 fits of 7 parameters take about 0.3 s; one BLAS thread keeps it so on
    # a busy machine, where scipy's L-BFGS-B loses ~10x to OpenBLAS threads.
    with threadpool_limits(limits=1, user_api="blas"):
        ssrs = [_fit_from_random(random_state) for random_state in range(20)]
    assert max(ssrs) < 1e-3, ssrs


def _fit_from_random(random_state):
    reg = SquiggleRegressor(
        hidden_layer_sizes=(2,),
        activation="softplus",
        solver="lbfgs",
        n_init=10,
        alpha=0.0,
        tol=1e-10,
        max_iter=5000,
        random_state=random_state,
    ).fit(DOSAGE, EFFECTIVE)
    return ssr(EFFECTIVE, reg.predict(DOSAGE))


def test_scikit_learn_relu_network_can_stay_at_the_mean():
    # The contrast the lesson's data shows: a (2,) ReLU network whose units
    # die predicts the mean 1/3 everywhere, an SSR of 2/3, for some seeds.
    stuck = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for random_state in range(5):
            reg = MLPRegressor(
                hidden_layer_sizes=(2,),
                solver="lbfgs",
                alpha=0.0,
                tol=1e-10,
                max_iter=5000,
                random_state=random_state,
            ).fit(DOSAGE, EFFECTIVE)
            stuck.append(ssr(EFFECTIVE, reg.predict(DOSAGE)))
    assert min(abs(s - 2 / 3) for s in stuck) < 1e-6


# ----------------------------------------------------------------------
# python -m sknn_squiggle


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"no match for {pattern!r} in:\n{text}"
    return [float(g) for g in match.groups()]


def test_main_prints_the_walkthrough_and_draws_the_squiggle(
    tmp_path, monkeypatch, capsys
):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    out = capsys.readouterr().out

    x0, y0 = _number(r"dosage 0: +x = .* = (\S+), +y = log\(1 \+ e\^\S+\) = (\S+)", out)
    assert (x0, y0) == (2.14, 2.25)
    x01, y01 = _number(r"dosage 0\.1: +x = .* = (\S+), +y = (\S+)", out)
    assert (x01, y01) == (-1.3, 0.24)
    (blue,) = _number(r"scaled by w3 = \S+: \S+ × \S+ = (\S+)", out)
    assert blue == -2.93
    xb, yb = _number(
        r"Bottom hidden node:\n +dosage 0: +x = .* = (\S+), +y = (\S+)", out
    )
    assert (xb, yb) == (1.29, 1.53)
    for dose, observed in ((r"0", 0), (r"0\.5", 1), (r"1", 0)):
        (value,) = _number(rf"dosage {dose} *: .* = +(\S+) +\(observed", out)
        assert value == pytest.approx(observed, abs=0.05)

    predictions = _number(r"at dosages 0, 0\.5, 1: (\S+), (\S+), (\S+) \(observed", out)
    assert predictions == [-2.6, -1.61, -2.61]
    ssr_values = _number(
        r"b3 = 0: (\S+), +b3 = 1: (\S+), +b3 = 2: (\S+), +b3 = 3: (\S+)", out
    )
    np.testing.assert_allclose(ssr_values, [20.4, 7.8, 1.11, 0.46], atol=0.05)
    (slope,) = _number(r"at b3 = 0: dSSR/db3 = (\S+)", out)
    assert slope == -15.7
    (lr_init,) = _number(r"learning_rate_init = 0\.1 × 2 × 3 = ([\d.]+) \(", out)
    assert lr_init == pytest.approx(0.6)
    rows = re.findall(
        r"^ +(\d+) +(-?\d+\.\d+) +(-?\d+\.\d+) +(-?\d+\.\d+) +(-?\d+\.\d+)$",
        out,
        flags=re.M,
    )
    table = np.array(rows, dtype=float)
    assert table.shape[0] > 5
    np.testing.assert_allclose(table[0, 1:], [0.0, -15.66, -1.57, 1.57], atol=0.01)
    assert table[1, 4] == pytest.approx(2.19, abs=TWO_DECIMALS)
    assert abs(table[-1, 3]) < 1e-3
    (final_b3,) = _number(r"steps:\n +b3 = (\S+),", out)
    assert final_b3 == 2.61

    (fitted_ssr,) = _number(r"Sum of squared residuals: (\S+)\n", out)
    assert fitted_ssr < 1e-3
    assert "w1 = " in out.split("3. Fitting")[1]

    png = tmp_path / "squiggle.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert str(png) in out


def test_main_without_matplotlib(tmp_path, monkeypatch, capsys):
    # None in sys.modules makes any import of matplotlib (or of a submodule
    # already loaded) raise ImportError.
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.chdir(tmp_path)
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "2.25" in out and "-15.7" in out  # the walkthrough is all there
    assert 'pip install "sknn-squiggle[plot]"' in out
    assert 'pip install ".[plot]"' in out
    assert not (tmp_path / "squiggle.png").exists()
