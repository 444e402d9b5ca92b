"""Agreement with scikit-learn's MLPRegressor and MLPClassifier.

Where the two define the same objective (full batch, or unit sample weights)
and the same random draws, the fitted parameters must agree to rounding. The
expected values here come from scikit-learn itself.

To give scikit-learn chosen starting weights, it is fitted once with
``warm_start=True`` and ``max_iter=1`` (to allocate its layers), its
``coefs_``/``intercepts_`` are overwritten in place, and it is fitted again: a
warm-started stochastic fit builds a fresh optimizer and continues from the
current weights.
"""

import warnings

import numpy as np
import pytest
from conftest import BREAST_CANCER_X_STD, BREAST_CANCER_Y, IRIS_X, IRIS_Y
from sklearn.neural_network import MLPClassifier, MLPRegressor

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

N = 60
D = 4
HIDDEN = (5, 3)


def _data(kind, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N, D))
    signal = X @ rng.normal(size=(D, 3))
    if kind == "binary":
        y = (signal[:, 0] > 0).astype(int)
    elif kind == "multiclass":
        y = signal.argmax(axis=1)
    elif kind == "multilabel":
        y = (signal > 0).astype(int)
    elif kind == "regression":
        y = signal[:, 0] + 0.1 * rng.normal(size=N)
    elif kind == "multioutput":
        y = signal + 0.1 * rng.normal(size=(N, 3))
    elif kind == "poisson":
        y = rng.poisson(np.exp(0.3 * signal[:, 0])).astype(float)
    else:
        raise ValueError(kind)
    return X, y


def _initial_weights(n_outputs, seed=1):
    rng = np.random.default_rng(seed)
    units = [D, *HIDDEN, n_outputs]
    coefs = [rng.uniform(-0.5, 0.5, (a, b)) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.uniform(-0.5, 0.5, b) for b in units[1:]]
    return coefs, intercepts


def _sklearn_from(est, coefs, intercepts, X, y, sample_weight, max_iter):
    """Fit scikit-learn's estimator from the given starting weights."""
    est.set_params(warm_start=True, max_iter=1)
    est.fit(X, y, sample_weight=sample_weight)
    for mine, theirs in zip(coefs + intercepts, est.coefs_ + est.intercepts_):
        theirs[...] = mine
    est.set_params(max_iter=max_iter)
    return est.fit(X, y, sample_weight=sample_weight)


def _assert_same_params(ours, theirs, atol):
    assert len(ours.coefs_) == len(theirs.coefs_)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(a, b, rtol=0, atol=atol)


CASES = [
    ("binary", SquiggleClassifier, MLPClassifier, {}),
    ("multiclass", SquiggleClassifier, MLPClassifier, {}),
    ("multilabel", SquiggleClassifier, MLPClassifier, {}),
    ("regression", SquiggleRegressor, MLPRegressor, {}),
    ("multioutput", SquiggleRegressor, MLPRegressor, {}),
    ("poisson", SquiggleRegressor, MLPRegressor, {"loss": "poisson"}),
]


@pytest.mark.parametrize(("kind", "Ours", "Theirs", "extra"), CASES, ids=lambda c: c)
@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("max_iter", [1, 4])
@pytest.mark.parametrize("weighted", [False, True])
def test_full_batch_epochs_match_sklearn(
    kind, Ours, Theirs, extra, solver, max_iter, weighted
):
    X, y = _data(kind)
    n_outputs = {"multiclass": 3, "multilabel": 3, "multioutput": 3}.get(kind, 1)
    coefs, intercepts = _initial_weights(n_outputs)
    sample_weight = np.random.default_rng(2).uniform(0.5, 2.0, N) if weighted else None
    params = dict(
        hidden_layer_sizes=HIDDEN,
        activation="tanh",
        solver=solver,
        alpha=1e-2,
        batch_size=N,
        shuffle=False,
        learning_rate_init=0.05,
        **extra,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = Ours(
            **params,
            max_iter=max_iter,
            coefs_init=[c.copy() for c in coefs],
            intercepts_init=[b.copy() for b in intercepts],
        ).fit(X, y, sample_weight=sample_weight)
        theirs = _sklearn_from(
            Theirs(**params), coefs, intercepts, X, y, sample_weight, max_iter
        )
    # The weights really moved: the comparison is not between two copies of
    # the starting point.
    assert np.abs(ours.coefs_[0] - coefs[0]).max() > 1e-3
    _assert_same_params(ours, theirs, atol=1e-10)


@pytest.mark.parametrize(
    ("Ours", "Theirs", "activation"),
    [
        (SquiggleClassifier, MLPClassifier, "relu"),
        (SquiggleClassifier, MLPClassifier, "logistic"),
        (SquiggleRegressor, MLPRegressor, "tanh"),
        (SquiggleRegressor, MLPRegressor, "logistic"),
    ],
)
def test_same_random_state_same_initial_weights(Ours, Theirs, activation):
    """A learning rate of 1e-300 leaves the initial weights exactly unchanged,
    exposing the Glorot draws (factor 2 for the logistic sigmoid)."""
    X, y = IRIS_X, IRIS_Y
    params = dict(
        hidden_layer_sizes=(6, 4),
        activation=activation,
        solver="sgd",
        learning_rate_init=1e-300,
        max_iter=1,
        random_state=7,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = Ours(**params).fit(X, y)
        theirs = Theirs(**params).fit(X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    ("solver", "max_iter", "atol"),
    [("sgd", 10, 1e-10), ("adam", 10, 1e-10), ("lbfgs", 15, 1e-8)],
)
@pytest.mark.parametrize("Ours, Theirs", [(SquiggleClassifier, MLPClassifier)])
def test_iris_trajectory_matches_sklearn(solver, max_iter, atol, Ours, Theirs):
    """iris has 150 < 200 samples: the default batch is the full data set,
    so shuffling only reorders a sum and both trajectories coincide."""
    X, y = IRIS_X, IRIS_Y
    params = dict(
        hidden_layer_sizes=(10,),
        solver=solver,
        max_iter=max_iter,
        random_state=0,
        learning_rate_init=0.01,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = Ours(**params).fit(X, y)
        theirs = Theirs(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    _assert_same_params(ours, theirs, atol=atol)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-8)
    if solver != "lbfgs":
        np.testing.assert_allclose(ours.loss_curve_, theirs.loss_curve_, rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_allclose(
        ours.predict_proba(X), theirs.predict_proba(X), rtol=0, atol=1e-8
    )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_iris_regression_trajectory_matches_sklearn(solver):
    X, y = IRIS_X, IRIS_Y
    params = dict(hidden_layer_sizes=(8,), solver=solver, max_iter=10, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = SquiggleRegressor(**params).fit(X, y)
        theirs = MLPRegressor(**params).fit(X, y)
    _assert_same_params(ours, theirs, atol=1e-10)
    np.testing.assert_allclose(ours.predict(X), theirs.predict(X), atol=1e-10)


def _breast_cancer_150():
    return BREAST_CANCER_X_STD[:150], BREAST_CANCER_Y[:150]


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize(
    "Ours, Theirs",
    [(SquiggleClassifier, MLPClassifier), (SquiggleRegressor, MLPRegressor)],
)
def test_early_stopping_matches_sklearn(solver, Ours, Theirs):
    """Same validation split, same validation scores, same restored weights."""
    X, y = _breast_cancer_150()
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        random_state=0,
        max_iter=60,
        early_stopping=True,
        n_iter_no_change=3,
        learning_rate_init=0.01,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = Ours(**params).fit(X, y)
        theirs = Theirs(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_allclose(
        ours.validation_scores_, theirs.validation_scores_, rtol=0, atol=1e-12
    )
    assert ours.best_validation_score_ == pytest.approx(theirs.best_validation_score_)
    _assert_same_params(ours, theirs, atol=1e-10)


def test_adaptive_schedule_in_training_matches_sklearn():
    """In a full fit, the adaptive schedule lowers the rate and keeps training
    exactly as scikit-learn does (same epochs, same final rate, same weights).
    A large tol makes training stall quickly so the schedule kicks in."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=40)
    params = dict(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        tol=0.5,
        n_iter_no_change=2,
        max_iter=200,
        batch_size=40,
        shuffle=False,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = SquiggleRegressor(**params).fit(X, y)
        theirs = MLPRegressor(**params).fit(X, y)
    assert ours.n_iter_ == theirs.n_iter_
    # Stopped by the schedule (not max_iter) after several rate reductions.
    assert ours.n_iter_ < 200
    assert ours._optimizer.learning_rate <= 1e-6
    assert ours._optimizer.learning_rate == pytest.approx(
        theirs._optimizer.learning_rate, rel=1e-12
    )
    for a, b in zip(ours.coefs_, theirs.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
