"""Training you can watch and steer: history_, the verbose table, early
stopping on any score, and scikit-learn's callbacks."""

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


def test_verbose_prints_a_table_with_one_line_per_epoch(capsys):
    SquiggleClassifier(
        hidden_layer_sizes=(4,),
        max_iter=7,
        early_stopping=True,
        verbose=True,
        random_state=0,
    ).fit(X_IRIS, Y_IRIS)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split() == [
        "epoch",
        "loss",
        "val_loss",
        "val_score",
        "learning_rate",
        "seconds",
    ]
    rows = [line.split() for line in lines[1:] if line.split()[0].isdigit()]
    assert [int(row[0]) for row in rows] == list(range(1, 8))
    assert all(len(row) == 6 for row in rows)


def test_verbose_reports_lbfgs_iterations(capsys):
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=9, verbose=True
    ).fit(X_IRIS, Y_IRIS)
    rows = [
        line.split()
        for line in capsys.readouterr().out.splitlines()
        if line.split() and line.split()[0].isdigit()
    ]
    assert len(rows) == model.n_iter_ == 9
    np.testing.assert_allclose([float(r[1]) for r in rows], model.loss_curve_, 1e-5)


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
