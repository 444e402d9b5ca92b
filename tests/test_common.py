"""scikit-learn's estimator checks, for every estimator (every solver of the
drop-ins)."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from sknn_squiggle import (
    SquiggleClassifier,
    SquiggleRegressor,
    TabularSquiggleClassifier,
    TabularSquiggleRegressor,
)

CONFIGURATIONS = [
    {},
    {"solver": "sgd"},
    {"solver": "adam"},
    {"solver": "lbfgs"},
    {"activation": "softplus"},
]

# The tabular estimators train in float64 and without dropout here: with
# float32 rounding or dropout's random masks, fitting with integer weights
# cannot give the same probabilities to 1e-7 as fitting on repeated rows
# (check_sample_weight_equivalence_on_dense_data); every other check also
# passes with their defaults.
TABULAR = {"hidden_layer_sizes": (32, 32), "dtype": "float64", "dropout": 0.0}

ESTIMATORS = [
    Estimator(**params)
    for Estimator in (SquiggleRegressor, SquiggleClassifier)
    for params in CONFIGURATIONS
] + [
    Estimator(**TABULAR)
    for Estimator in (TabularSquiggleRegressor, TabularSquiggleClassifier)
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_param_validation(estimator):
    check_param_validation(type(estimator).__name__, estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_dataframe_column_names_consistency(estimator):
    check_dataframe_column_names_consistency(type(estimator).__name__, estimator)
