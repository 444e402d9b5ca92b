"""Bad input gets a clear error: ValueError or TypeError naming the problem.

Here: the data given to fit and predict (the validate stage), the
constructor parameters' types and ranges (``_parameter_constraints``) and
calls on an unfitted estimator. The errors of what a parameter means are
tested with the module that decodes it: hidden layer sizes, activation
lists, starting weights and trainable masks in test_settings.py, class
weights and partial_fit's classes in test_classifier.py, Poisson targets in
test_regressor.py, the validation set in test_training_validation.py,
partial_fit with early stopping in test_base.py.
"""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.exceptions import NotFittedError

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(20, 3)
Y_REG = X[:, 0].copy()
Y_CLF = np.arange(20) % 2


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def _reg(**params):
    return SquiggleRegressor(max_iter=2, **params)


def _clf(**params):
    return SquiggleClassifier(max_iter=2, **params)


def _pandas_with_na():
    frame = pd.DataFrame(X, columns=list("abc")).astype("Float64")
    frame.iloc[0, 0] = pd.NA
    return frame


FIT_CASES = {
    "NaN in X": (lambda: _reg().fit(_with(X, (0, 0), np.nan), Y_REG), "NaN"),
    "inf in X": (lambda: _reg().fit(_with(X, (0, 0), np.inf), Y_REG), "infinity"),
    "NaN in y": (lambda: _reg().fit(X, _with(Y_REG, 0, np.nan)), "NaN"),
    "inf in y": (lambda: _reg().fit(X, _with(Y_REG, 0, np.inf)), "infinity"),
    "NaN in sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=_with(np.ones(20), 0, np.nan)),
        "sample_weight contains NaN",
    ),
    "inf in sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=_with(np.ones(20), 0, np.inf)),
        "sample_weight contains infinity",
    ),
    "negative sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=_with(np.ones(20), 0, -1)),
        "Negative values in data passed to `sample_weight`",
    ),
    "all-zero sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=np.zeros(20)),
        "non-zero",
    ),
    "all-zero sample_weight in partial_fit": (
        lambda: _reg().partial_fit(X, Y_REG, sample_weight=np.zeros(20)),
        "non-zero",
    ),
    "empty X": (lambda: _reg().fit(np.empty((0, 3)), []), "0 sample"),
    "X and y of different lengths": (
        lambda: _reg().fit(X, Y_REG[:5]),
        "inconsistent numbers of samples",
    ),
    "sample_weight of another length": (
        lambda: _reg().fit(X, Y_REG, sample_weight=np.ones(5)),
        r"sample_weight.shape == \(5,\), expected \(20,\)",
    ),
    "3-D X": (lambda: _reg().fit(X.reshape(20, 3, 1), Y_REG), "dim 3"),
    "string X": (
        lambda: _reg().fit(np.full((20, 3), "a"), Y_REG),
        "could not convert string to float",
    ),
    "object X": (
        lambda: _reg().fit(np.array([[object()] * 3] * 20), Y_REG),
        "float",
    ),
    "complex X": (lambda: _reg().fit(X + 1j, Y_REG), "Complex data not supported"),
    "string y for the regressor": (
        lambda: _reg().fit(X, np.array(["a", "b"] * 10)),
        "could not convert string to float",
    ),
    "continuous y for the classifier": (
        lambda: _clf().fit(X, Y_REG),
        "Unknown label type: continuous",
    ),
    "pandas column holding pd.NA": (
        lambda: _reg().fit(_pandas_with_na(), Y_REG),
        "NaN",
    ),
    "sparse X holding NaN": (
        lambda: _reg().fit(sp.csr_matrix(_with(X, (0, 0), np.nan)), Y_REG),
        "NaN",
    ),
}


@pytest.mark.parametrize("case", list(FIT_CASES), ids=list(FIT_CASES))
def test_bad_fit_input_raises_a_clear_error(case):
    call, message = FIT_CASES[case]
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_predicting_before_fit_raises_not_fitted():
    for method in ("predict", "decompose"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(SquiggleRegressor(), method)(X)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(SquiggleClassifier(), method)(X)


@pytest.fixture(scope="module")
def fitted():
    return _reg().fit(X, Y_REG), _clf().fit(X, Y_CLF)


def test_a_different_number_of_features_is_refused(fitted):
    regressor, classifier = fitted
    message = "X has 2 features, but .* is expecting 3 features"
    for call in (
        lambda: regressor.predict(X[:, :2]),
        lambda: classifier.predict_proba(X[:, :2]),
        lambda: regressor.partial_fit(X[:, :2], Y_REG),
        lambda: classifier.partial_fit(X[:, :2], Y_CLF),
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_nan_at_predict_is_refused(fitted):
    regressor, classifier = fitted
    with pytest.raises(ValueError, match="NaN"):
        regressor.predict(_with(X, (1, 1), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        classifier.predict_proba(_with(X, (1, 1), np.nan))


# Each constructor parameter, given a value of the wrong type and one out of
# range: fit must refuse both with an error naming the parameter.
BAD_PARAMETERS = {
    "hidden_layer_sizes": ["abc", 0],
    "activation": ["foo", 3],
    "solver": ["newton", None],
    "alpha": [-1.0, "0.1"],
    "batch_size": [0, "big"],
    "learning_rate": ["fast", 1],
    "learning_rate_init": [0.0, "0.1"],
    "power_t": [-0.5, "half"],
    "max_iter": [0, 2.5],
    "shuffle": ["yes", 2],
    "random_state": ["seed", 1.5],
    "tol": [-1e-4, "small"],
    "verbose": ["loud", -1.5],
    "warm_start": ["no", 2],
    "momentum": [1.5, "high"],
    "nesterovs_momentum": ["yes", 3],
    "early_stopping": ["no", 4],
    "validation_fraction": [1.0, "tenth"],
    "beta_1": [1.0, "b"],
    "beta_2": [-0.1, "b"],
    "epsilon": [0.0, "tiny"],
    "n_iter_no_change": [0, "ten"],
    "max_fun": [0, 1.5],
    "coefs_init": ["zeros", 3],
    "intercepts_init": ["zeros", 3],
    "trainable": ["all", [True]],
    "n_init": [0, 1.5],
}


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
@pytest.mark.parametrize("name", list(BAD_PARAMETERS))
def test_every_parameter_refuses_bad_values(Estimator, name):
    y = Y_REG if Estimator is SquiggleRegressor else Y_CLF
    for value in BAD_PARAMETERS[name]:
        with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
            Estimator(**{name: value}).fit(X, y)


def test_estimator_specific_parameters_refuse_bad_values():
    with pytest.raises(ValueError, match="'loss' parameter"):
        SquiggleRegressor(loss="absolute_error").fit(X, Y_REG)
    with pytest.raises(ValueError, match="'class_weight' parameter"):
        SquiggleClassifier(class_weight="uniform").fit(X, Y_CLF)
