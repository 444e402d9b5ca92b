"""sknn_squiggle/_regressor.py: what the regressor adds to the base network:
its targets (one output or several, Poisson counts), its loss and its
early-stopping score.

Expected values: the targets themselves, scikit-learn's r2_score, and the
positivity of the exponential output.
"""

import numpy as np
import pytest
from conftest import small_regression
from sklearn.metrics import r2_score

from sknn_squiggle import SquiggleRegressor


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_poisson_negative_targets_raise(method):
    X = np.arange(12.0).reshape(6, 2)
    y = np.array([0.0, 1.0, 2.0, -0.5, 3.0, 1.0])
    reg = SquiggleRegressor(loss="poisson", solver="sgd")
    with pytest.raises(
        ValueError, match=r"poisson.*y must be non-negative, got a minimum of -0\.5"
    ):
        getattr(reg, method)(X, y)


def test_poisson_zero_targets_are_fine():
    X = np.arange(12.0).reshape(6, 2) / 10
    y = np.array([0.0, 1.0, 2.0, 0.0, 3.0, 1.0])
    reg = SquiggleRegressor(
        loss="poisson", solver="lbfgs", hidden_layer_sizes=(3,), random_state=0
    ).fit(X, y)
    assert reg.out_activation_ == "exp"
    assert np.all(reg.predict(X) > 0)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_predict_has_the_targets_shape(n_outputs):
    """One target: predict returns a vector; several: one column each."""
    X, y = small_regression(n=30)
    Y = y if n_outputs == 1 else np.column_stack([y, -y, 2 * y])
    reg = SquiggleRegressor(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5)
    reg.fit(X, Y)
    assert reg.n_outputs_ == n_outputs
    assert reg.out_activation_ == "identity"
    assert reg.predict(X).shape == Y.shape


def test_early_stopping_scores_r2_on_the_validation_rows():
    """The default validation score is R^2 (scikit-learn's r2_score, sample
    weights included), and NaN for outputs that overflowed."""
    reg = SquiggleRegressor()
    rng = np.random.default_rng(0)
    y, output = rng.normal(size=(10, 1)), rng.normal(size=(10, 1))
    weights = rng.uniform(0.5, 2.0, 10)
    assert reg._score_outputs(output, y, weights) == pytest.approx(
        r2_score(y, output, sample_weight=weights), rel=1e-12
    )
    output[3, 0] = np.inf
    assert np.isnan(reg._score_outputs(output, y, None))
