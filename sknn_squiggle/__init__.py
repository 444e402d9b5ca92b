"""sknn_squiggle: neural networks as squiggle-fitting machines, for scikit-learn.

Two estimators, :class:`SquiggleRegressor` and :class:`SquiggleClassifier`,
drop in for scikit-learn's ``MLPRegressor`` and ``MLPClassifier``.
"""

from ._classifier import SquiggleClassifier
from ._persistence import load, save
from ._regressor import SquiggleRegressor

__version__ = "0.1.0"

__all__ = ["SquiggleClassifier", "SquiggleRegressor", "__version__", "load", "save"]
