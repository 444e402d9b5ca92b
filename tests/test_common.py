"""scikit-learn's estimator checks, for both estimators and every solver."""

import pytest
from sklearn.utils.estimator_checks import (
    check_dataframe_column_names_consistency,
    check_param_validation,
    parametrize_with_checks,
)

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

CONFIGURATIONS = [
    {},
    {"solver": "sgd"},
    {"solver": "adam"},
    {"solver": "lbfgs"},
    {"activation": "softplus"},
]

ESTIMATORS = [
    Estimator(**params)
    for Estimator in (SquiggleRegressor, SquiggleClassifier)
    for params in CONFIGURATIONS
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
