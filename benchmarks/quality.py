"""Predictive quality: sknn_squiggle against scikit-learn's MLP, default settings.

For six small scikit-learn data sets, both estimators run in a Pipeline with
StandardScaler under 5-fold cross-validation (StratifiedKFold for
classification, KFold for regression, both shuffled with random_state=0), with
default parameters except ``max_iter=1000`` and ``random_state=0``. The score
is accuracy for classification and R^2 (averaged over outputs) for regression.

A data set passes if our mean score is at least scikit-learn's minus 0.01.

Run from the repository root::

    python benchmarks/quality.py
"""

import sys
import time
import warnings
from pathlib import Path

from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_linnerud,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# Let the script run from a source checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sknn_squiggle import SquiggleClassifier, SquiggleRegressor  # noqa: E402

TOLERANCE = 0.01
PARAMS = {"max_iter": 1000, "random_state": 0}

DATASETS = [
    ("iris", load_iris, "classification"),
    ("wine", load_wine, "classification"),
    ("breast_cancer", load_breast_cancer, "classification"),
    ("digits", load_digits, "classification"),
    ("diabetes", load_diabetes, "regression"),
    ("linnerud", load_linnerud, "regression"),
]


def evaluate(estimator, X, y, cv, scoring):
    pipeline = make_pipeline(StandardScaler(), estimator)
    result = cross_validate(pipeline, X, y, cv=cv, scoring=scoring, n_jobs=1)
    return result["test_score"].mean(), result["fit_time"].mean()


def main():
    header = (
        f"{'dataset':<14} {'metric':<9} {'sklearn':>9} {'ours':>9} {'diff':>9} "
        f"{'result':>6} {'fit s (sk)':>11} {'fit s (ours)':>12}"
    )
    print(header)
    print("-" * len(header))
    all_pass = True
    for name, load, task in DATASETS:
        X, y = load(return_X_y=True)
        if task == "classification":
            cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
            scoring, theirs, ours = "accuracy", MLPClassifier, SquiggleClassifier
        else:
            cv = KFold(n_splits=5, shuffle=True, random_state=0)
            scoring, theirs, ours = "r2", MLPRegressor, SquiggleRegressor
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            score_sk, time_sk = evaluate(theirs(**PARAMS), X, y, cv, scoring)
            score_ours, time_ours = evaluate(ours(**PARAMS), X, y, cv, scoring)
        passed = score_ours >= score_sk - TOLERANCE
        all_pass &= passed
        print(
            f"{name:<14} {scoring:<9} {score_sk:>9.4f} {score_ours:>9.4f} "
            f"{score_ours - score_sk:>+9.4f} {'PASS' if passed else 'FAIL':>6} "
            f"{time_sk:>11.3f} {time_ours:>12.3f}"
        )
    print()
    print(f"PASS rule: ours >= sklearn - {TOLERANCE}.", "All pass." if all_pass else "")
    return 0 if all_pass else 1


if __name__ == "__main__":
    start = time.perf_counter()
    status = main()
    print(f"Total time: {time.perf_counter() - start:.1f}s")
    sys.exit(status)
