"""sknn_squiggle/_docstrings.py: the estimators' documented parameters and
attributes are exactly what they have.

Expected values: ``get_params()`` of each estimator, the one list of fitted
attributes (``_fitted.FITTED_ATTRIBUTES``), and the public attributes a fit
actually sets.
"""

import re

import numpy as np
import pandas as pd
import pytest

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._fitted import CLASSIFIER_ATTRIBUTES, FITTED_ATTRIBUTES

ESTIMATORS = [SquiggleRegressor, SquiggleClassifier]


def _section(doc, title):
    """The names a numpydoc section documents, in order (``a, b : type``
    documents both a and b)."""
    lines = doc.splitlines()
    start = next(
        i
        for i, line in enumerate(lines)
        if line.strip() == title and set(lines[i + 1].strip()) == {"-"}
    )
    names = []
    for line, after in zip(lines[start + 2 :], lines[start + 3 :] + [""]):
        if after.strip() and set(after.strip()) == {"-"}:
            break  # the next section's title
        match = re.match(r"^    (\w+(?:, \w+)*) :", line) or re.match(
            r"^    (\w+)$", line
        )
        if match:
            names.extend(match.group(1).split(", "))
    return names


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_documented_parameters_are_the_constructor_parameters(Estimator):
    documented = _section(Estimator.__doc__, "Parameters")
    assert len(documented) == len(set(documented))
    assert set(documented) == set(Estimator().get_params())


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_documented_attributes_are_the_fitted_attributes(Estimator):
    """The Attributes section lists the public entries of FITTED_ATTRIBUTES
    (and the classifier's own), in that order."""
    expected = [a.name for a in FITTED_ATTRIBUTES if a.doc is not None]
    if Estimator is SquiggleClassifier:
        expected += [a.name for a in CLASSIFIER_ATTRIBUTES]
    assert _section(Estimator.__doc__, "Attributes") == expected
    assert all(not name.startswith("_") for name in expected)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_a_fit_sets_exactly_the_documented_attributes(Estimator):
    """Every public attribute ending in ``_`` that fit sets is documented,
    and every documented one is set (fitted on a DataFrame with string
    column names, so that feature_names_in_ is too)."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"])
    y = (X["a"] > 0).astype(int)
    est = Estimator(hidden_layer_sizes=(3,), max_iter=3).fit(X, y)
    public = {
        name for name in vars(est) if name.endswith("_") and not name.startswith("_")
    }
    assert public == set(_section(Estimator.__doc__, "Attributes"))
