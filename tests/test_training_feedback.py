"""Training you can watch and steer: history_, the verbose lines, early
stopping on any score, and scikit-learn's callbacks."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

X_IRIS, Y_IRIS = load_iris(return_X_y=True)
X_IRIS = StandardScaler().fit_transform(X_IRIS)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_history_is_one_row_per_epoch(solver):
    model = SquiggleClassifier(
        hidden_layer_sizes=(5,), solver=solver, max_iter=12, random_state=0
    ).fit(X_IRIS, Y_IRIS)
    history = pd.DataFrame(model.history_)
    assert list(history["epoch"]) == list(range(1, len(history) + 1))
    assert len(history) == len(model.loss_curve_)
    np.testing.assert_array_equal(history["loss"], model.loss_curve_)
    assert history["seconds"].is_monotonic_increasing
    if solver == "lbfgs":
        assert history["learning_rate"].isna().all()
    else:
        assert len(history) == model.n_iter_
        assert (history["learning_rate"] > 0).all()
    assert "val_loss" not in history


def test_history_records_validation_under_early_stopping():
    model = SquiggleClassifier(
        hidden_layer_sizes=(5,), early_stopping=True, max_iter=15, random_state=0
    ).fit(X_IRIS, Y_IRIS)
    history = pd.DataFrame(model.history_)
    assert {"val_loss", "val_score"} <= set(history.columns)
    np.testing.assert_array_equal(history["val_score"], model.validation_scores_)
    assert (history["val_loss"] > 0).all()


def test_warm_start_continues_the_history():
    model = SquiggleRegressor(max_iter=3, warm_start=True, random_state=0)
    model.fit(X_IRIS, Y_IRIS)
    model.fit(X_IRIS, Y_IRIS)
    assert [row["epoch"] for row in model.history_] == [1, 2, 3, 4, 5, 6]


# One verbose line per epoch: scikit-learn's "Iteration N, loss = %.8f", then
# the values there are, each labelled.
VERBOSE_LINE = re.compile(
    r"Iteration (?P<iteration>\d+), loss = (?P<loss>\d+\.\d{8})"
    r"( \| Validation score: (?P<val_score>\d\.\d{6})"
    r" \| validation loss = (?P<val_loss>\d+\.\d{8}))?"
    r"( \| (?P<rate_name>learning rate|adam's bias-corrected rate)"
    r" = (?P<rate>\d\.\d{4}e[-+]\d\d))?"
    r" \| (?P<seconds>\d+\.\d\d) s"
)


def _verbose_lines(capsys):
    lines = capsys.readouterr().out.strip().splitlines()
    matches = [VERBOSE_LINE.fullmatch(line) for line in lines]
    return [m for m in matches if m is not None], lines


def test_verbose_prints_one_labelled_line_per_epoch(capsys):
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,),
        max_iter=7,
        early_stopping=True,
        verbose=True,
        random_state=0,
    ).fit(X_IRIS, Y_IRIS)
    rows, lines = _verbose_lines(capsys)
    assert len(rows) == len(lines) == 7
    assert [int(row["iteration"]) for row in rows] == list(range(1, 8))
    history = model.history_
    for row, record in zip(rows, history):
        assert row["loss"] == f"{record['loss']:.8f}"
        assert row["val_score"] == f"{record['val_score']:f}"
        assert row["val_loss"] == f"{record['val_loss']:.8f}"
        # Adam's step size is labelled as its bias-corrected rate, not the
        # learning_rate_init setting (0.001), which it starts far below.
        assert row["rate_name"] == "adam's bias-corrected rate"
        assert row["rate"] == f"{record['learning_rate']:.4e}"
    assert float(rows[0]["rate"]) < 0.5 * model.learning_rate_init


def test_verbose_prints_only_the_values_there_are(capsys):
    SquiggleClassifier(
        hidden_layer_sizes=(4,), solver="sgd", max_iter=3, random_state=0, verbose=1
    ).fit(X_IRIS, Y_IRIS)
    rows, lines = _verbose_lines(capsys)
    assert len(rows) == 3
    assert all(row["val_score"] is None for row in rows)
    assert all(row["rate_name"] == "learning rate" for row in rows)
    assert all("Validation" not in line for line in lines)


def test_verbose_reports_lbfgs_iterations(capsys):
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=9, verbose=True
    ).fit(X_IRIS, Y_IRIS)
    rows, _ = _verbose_lines(capsys)
    assert len(rows) == model.n_iter_ == 9
    assert [int(row["iteration"]) for row in rows] == list(range(1, 10))
    assert all(row["rate"] is None and row["val_score"] is None for row in rows)
    np.testing.assert_allclose(
        [float(row["loss"]) for row in rows], model.loss_curve_, 1e-5
    )


def _early_stopped(scoring, **params):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    return SquiggleClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        scoring=scoring,
        max_iter=40,
        n_iter_no_change=5,
        random_state=0,
        **params,
    ).fit(X, y)


def test_early_stopping_on_validation_loss_restores_the_best_weights():
    model = _early_stopped("loss", learning_rate_init=0.05)
    val_losses = [row["val_loss"] for row in model.history_]
    assert model.best_validation_score_ == pytest.approx(-min(val_losses))
    assert model.validation_scores_ == pytest.approx([-v for v in val_losses])


@pytest.mark.parametrize(
    "scoring, metric",
    [
        ("neg_log_loss", lambda y, p: -log_loss(y, p)),
        ("roc_auc", lambda y, p: roc_auc_score(y, p[:, 1])),
    ],
)
def test_early_stopping_on_a_named_scorer(scoring, metric):
    model = _early_stopped(scoring)
    best = int(np.argmax(model.validation_scores_))
    assert model.best_validation_score_ == model.validation_scores_[best]
    # The restored weights are those of the best epoch: recompute the score of
    # the final model on the same validation rows (the split is reproducible).
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    _, val = train_test_split(
        np.arange(len(y)),
        random_state=_rng_after_init(model),
        test_size=0.1,
        stratify=model._label_binarizer.transform(y),
    )
    score = metric(y[val], model.predict_proba(X[val]))
    assert score == pytest.approx(model.best_validation_score_, rel=1e-6)


def _rng_after_init(model):
    """The random state as fit left it after drawing the initial weights."""
    rng = np.random.RandomState(model.random_state)
    for coef, intercept in zip(model.coefs_, model.intercepts_):
        rng.uniform(size=coef.shape)
        rng.uniform(size=intercept.shape)
    return rng


def test_early_stopping_on_a_callable_scorer_sees_labels():
    seen = []

    def scorer(estimator, X, y):
        seen.append(set(np.unique(y)))
        return float(np.mean(estimator.predict(X) == y))

    model = _early_stopped(scorer)
    assert seen and all(labels <= {0, 1} for labels in seen)
    assert len(seen) == len(model.validation_scores_)


callback = pytest.importorskip("sklearn.callback")


def test_scoring_monitor_records_one_score_per_epoch():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = SquiggleClassifier(hidden_layer_sizes=(4,), max_iter=6, random_state=0)
    model.set_callbacks(monitor).fit(X_IRIS, Y_IRIS)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == model.n_iter_ == 6
    # The last epoch's score is the score of the fitted model.
    assert epochs[-1]["accuracy"] == pytest.approx(model.score(X_IRIS, Y_IRIS))


def test_scoring_monitor_follows_lbfgs_iterations():
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=8, random_state=0
    )
    model.set_callbacks(monitor).fit(X_IRIS, Y_IRIS)
    epochs = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(epochs) == model.n_iter_
    assert epochs[-1]["accuracy"] == pytest.approx(model.score(X_IRIS, Y_IRIS))


def test_progress_bar_nests_our_epochs_inside_a_grid_search(capsys):
    pytest.importorskip("rich")
    search = GridSearchCV(
        SquiggleClassifier(max_iter=3, random_state=0),
        {"hidden_layer_sizes": [(3,), (4,)]},
        cv=2,
    )
    search.set_callbacks(callback.ProgressBar()).fit(X_IRIS, Y_IRIS)
    output = capsys.readouterr().out
    assert "SquiggleClassifier - fit" in output
    assert search.best_estimator_.n_iter_ == 3


# ---------------------------------------------------------------------------
# scikit-learn's verbose lines

# Every line scikit-learn's MLP (1.9) prints starts with one of these: per
# epoch "Iteration %d, loss = %.8f" % (n_iter_, loss_), under early stopping
# then "Validation score: %f", and when n_iter_no_change epochs pass without
# improvement its reason ("Training loss did not improve more than tol=%f for
# %d consecutive epochs." or "Validation score did not improve ...") followed
# by " Stopping.", " Setting learning rate to %f" or " Learning rate too
# small. Stopping." (sgd's adaptive schedule).
SKLEARN_VERBOSE_PREFIXES = (
    "Iteration ",
    "Validation score",
    "Training loss did not improve",
)
X_BINARY, Y_BINARY = X_IRIS, (Y_IRIS == 2).astype(int)


def _printed_lines(capsys, model, X, y):
    model.fit(X, y)
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    "params",
    [
        dict(solver="sgd", tol=0.05),
        dict(solver="adam", tol=0.05, verbose=10),
        dict(solver="sgd", early_stopping=True),
        dict(solver="adam", early_stopping=True),
        dict(solver="sgd", learning_rate="adaptive", tol=0.05),
    ],
    ids=["sgd", "adam", "sgd-early-stopping", "adam-early-stopping", "adaptive"],
)
def test_verbose_prints_scikit_learns_lines(capsys, params):
    """Our output holds scikit-learn's lines, in its order and format (on a
    full batch both fits follow the same trajectory); other lines may
    surround them."""
    from sklearn.neural_network import MLPClassifier

    params = {
        "hidden_layer_sizes": (10,),
        "max_iter": 40,
        "n_iter_no_change": 2,
        "random_state": 0,
        "learning_rate_init": 0.01,
        "verbose": True,
        **params,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _printed_lines(capsys, MLPClassifier(**params), X_BINARY, Y_BINARY)
        model = SquiggleClassifier(**params)
        printed = _printed_lines(capsys, model, X_BINARY, Y_BINARY)
    assert all(line.startswith(SKLEARN_VERBOSE_PREFIXES) for line in expected)
    assert "Stopping." in expected[-1]
    # Each of our epoch lines starts with scikit-learn's "Iteration" line and
    # holds its "Validation score" line (one line per epoch, not two); the
    # stopping messages are scikit-learn's, whole.
    ours = [ln for ln in printed if ln.startswith(SKLEARN_VERBOSE_PREFIXES)]
    position = 0
    for line in expected:
        if line.startswith("Validation score: "):
            assert f"| {line} |" in ours[position - 1]
            continue
        if line.startswith("Iteration "):
            assert ours[position].startswith(line + " | ")
        else:
            assert ours[position] == line
        position += 1
    assert position == len(ours)
    iterations = [ln.split(" | ")[0] for ln in ours if ln.startswith("Iteration ")]
    assert iterations == [
        f"Iteration {k}, loss = {loss:.8f}"
        for k, loss in enumerate(model.loss_curve_, start=1)
    ]


def test_verbose_partial_fit_prints_one_iteration_line_per_call(capsys):
    """scikit-learn prints "Iteration 1, loss = %.8f" at each partial_fit call
    (it counts the epochs of the call); the loss is that epoch's."""
    model = SquiggleClassifier(hidden_layer_sizes=(4,), verbose=True, random_state=0)
    for call in range(3):
        model.partial_fit(X_IRIS, Y_IRIS, classes=[0, 1, 2])
        lines = capsys.readouterr().out.splitlines()
        iterations = [line for line in lines if line.startswith("Iteration ")]
        assert len(iterations) == 1
        assert re.fullmatch(
            rf"Iteration \d+, loss = {model.loss_curve_[-1]:.8f} \| .*",
            iterations[0],
        )
