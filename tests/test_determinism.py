"""Bitwise reproducibility: the same random_state gives the same fit, bit
for bit, in one process and across processes, for every solver, with early
stopping and with several initialisations.

The expected value is the first fit itself: a second one must equal it.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from conftest import IRIS_X, IRIS_Y
from sklearn.exceptions import ConvergenceWarning

from sknn_squiggle import SquiggleClassifier

DETERMINISM_CASES = [
    {"solver": "sgd"},
    {"solver": "adam"},
    {"solver": "lbfgs"},
    {"solver": "adam", "early_stopping": True},
    {"solver": "sgd", "early_stopping": True, "n_init": 3},
    {"solver": "lbfgs", "n_init": 3},
]


def _fit_for_determinism(params):
    model = SquiggleClassifier(
        hidden_layer_sizes=(8,), max_iter=30, random_state=7, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(IRIS_X, IRIS_Y)
    return model, IRIS_X


@pytest.mark.parametrize("params", DETERMINISM_CASES, ids=str)
def test_same_random_state_gives_bitwise_identical_fits(params):
    first, X = _fit_for_determinism(params)
    second, _ = _fit_for_determinism(params)
    for a, b in zip(
        first.coefs_ + first.intercepts_, second.coefs_ + second.intercepts_
    ):
        assert np.array_equal(a, b)
    assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


_CHILD = """
import sys, warnings
import numpy as np
from sklearn.datasets import load_iris
from sknn_squiggle import SquiggleClassifier
warnings.simplefilter("ignore")
X, y = load_iris(return_X_y=True)
for params in {cases!r}:
    model = SquiggleClassifier(hidden_layer_sizes=(8,), max_iter=30, random_state=7,
                               **params).fit(X, y)
    sys.stdout.write(model._params.tobytes().hex() + "\\n")
"""


def test_same_random_state_gives_identical_fits_across_processes():
    script = _CHILD.format(cases=DETERMINISM_CASES)
    runs = [
        subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] == runs[1]
    assert len(runs[0].splitlines()) == len(DETERMINISM_CASES)
