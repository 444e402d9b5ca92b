"""sknn_squiggle/_training/validation.py: the early-stopping split and the
score of each epoch, on any scorer.

Expected values are counted by hand (class proportions), recomputed with
scikit-learn's metrics on the same validation rows, or written out from the
documented weighted mean of the loss.
"""

import warnings

import numpy as np
import pytest
from conftest import BREAST_CANCER_X_STD, BREAST_CANCER_Y, IRIS_X, IRIS_Y
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import train_test_split

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._nn.losses import LOSSES
from sknn_squiggle._training import validation
from sknn_squiggle._training.validation import (
    Validation,
    scorer_on_rows,
    split_validation,
)


def _three_classes():
    """60 rows of class 0, 30 of class 1, 30 of class 2, one-hot (as the
    classifier encodes them); column 0 of X is the row index."""
    labels = np.repeat([0, 1, 2], [60, 30, 30])
    X = np.column_stack([np.arange(120.0), np.ones(120)]).astype(np.float32)
    return X, np.eye(3, dtype=bool)[labels], np.linspace(0.5, 2.0, 120), labels


def test_split_keeps_the_class_proportions_and_the_rows_together():
    X, Y, sw, labels = _three_classes()
    (X_t, Y_t, sw_t), (X_v, Y_v, sw_v) = split_validation(
        X, Y, sw, 0.2, np.random.RandomState(0), stratify=True
    )
    train, val = X_t[:, 0].astype(int), X_v[:, 0].astype(int)
    assert np.bincount(labels[val]).tolist() == [12, 6, 6]
    assert sorted([*train, *val]) == list(range(120))
    np.testing.assert_array_equal(Y_t, Y[train])
    np.testing.assert_array_equal(Y_v, Y[val])
    np.testing.assert_array_equal(sw_t, sw[train])
    np.testing.assert_array_equal(sw_v, sw[val])
    # The held-out targets in X's dtype (the loss is computed on them).
    assert Y_v.dtype == np.float32 and Y_t.dtype == bool


def test_split_draws_as_train_test_split():
    """Unstratified, the rows are those of scikit-learn's train_test_split
    with the same RandomState."""
    X, Y, _, _ = _three_classes()
    (X_t, _, sw_t), (X_v, _, sw_v) = split_validation(
        X, Y, None, 0.25, np.random.RandomState(4), stratify=False
    )
    train, val = train_test_split(
        np.arange(120), test_size=0.25, random_state=np.random.RandomState(4)
    )
    np.testing.assert_array_equal(X_t[:, 0], train)
    np.testing.assert_array_equal(X_v[:, 0], val)
    assert sw_t is None and sw_v is None


def test_a_validation_set_too_small_is_refused():
    X, Y, _, _ = _three_classes()
    with pytest.raises(ValueError, match="validation set is too small"):
        split_validation(X[:20], Y[:20], None, 0.01, np.random.RandomState(0), False)
    rng = np.random.RandomState(0)
    X20, y20 = rng.randn(20, 3), rng.randn(20)
    with pytest.raises(ValueError, match="Increase 'validation_fraction'"):
        SquiggleRegressor(
            max_iter=2, early_stopping=True, validation_fraction=0.01
        ).fit(X20, y20)


class _FixedOutput:
    """A network whose prediction is given."""

    def __init__(self, output):
        self.output = output

    def predict(self, X):
        return self.output


def test_evaluate_is_the_weighted_mean_loss_and_the_score():
    """val_loss = sum_i s_i l(y_i, p_i) / sum_i s_i, without penalty; the
    score callable sees the outputs, the rows and that loss."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 1))
    p = rng.normal(size=(6, 1))
    sw = rng.uniform(0.5, 2.0, 6)
    seen = []

    def score(output, X_, y_, sw_, val_loss):
        seen.append((output, X_, y_, sw_, val_loss))
        return 0.25

    val_loss, val_score = Validation(X, y, sw, LOSSES["squared_error"], score).evaluate(
        _FixedOutput(p)
    )
    expected = float(sw @ (0.5 * (y - p)[:, 0] ** 2) / sw.sum())
    assert val_loss == pytest.approx(expected, rel=1e-12)
    assert val_score == 0.25
    ((output, X_, y_, sw_, loss_seen),) = seen
    assert output is p and X_ is X and y_ is y and sw_ is sw
    assert loss_seen == pytest.approx(expected, rel=1e-12)


def test_scorer_on_rows_calls_the_scorer_on_decoded_labels():
    calls = []

    def scorer(estimator, X, y, **kwargs):
        warnings.warn("X does not have valid feature names, but ...", UserWarning)
        calls.append((estimator, X, y, kwargs))
        return 0.5

    estimator = object()
    score = scorer_on_rows(estimator, scorer, lambda y: np.where(y[:, 0], "a", "b"))
    X, y = np.zeros((3, 2)), np.array([[True], [False], [True]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the feature-name warning is silenced
        assert score(None, X, y, None, 1.0) == 0.5
        assert score(None, X, y, np.ones(3), 1.0) == 0.5
    assert calls[0][0] is estimator and calls[0][1] is X
    assert calls[0][2].tolist() == ["a", "b", "a"]
    assert calls[0][3] == {}
    np.testing.assert_array_equal(calls[1][3]["sample_weight"], np.ones(3))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_early_stopping_stratifies_multiclass_targets(solver, monkeypatch):
    # A deliberate difference: scikit-learn stratifies the validation split of
    # binary targets only; we also keep the class proportions of multiclass
    # targets (the random draws are the same, the rows differ).
    splits = []

    def recording_split(*arrays, **kwargs):
        result = train_test_split(*arrays, **kwargs)
        splits.append(result[1])
        return result

    monkeypatch.setattr(validation, "train_test_split", recording_split)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        SquiggleClassifier(
            hidden_layer_sizes=(5,),
            solver=solver,
            max_iter=3,
            early_stopping=True,
            validation_fraction=0.2,
            random_state=0,
        ).fit(IRIS_X, IRIS_Y)
    (validation_rows,) = splits
    assert np.bincount(IRIS_Y[validation_rows]).tolist() == [10, 10, 10]


# ---------------------------------------------------------------------------
# Early stopping on any score


def _early_stopped(scoring, **params):
    return SquiggleClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        scoring=scoring,
        max_iter=40,
        n_iter_no_change=5,
        random_state=0,
        **params,
    ).fit(BREAST_CANCER_X_STD, BREAST_CANCER_Y)


def test_early_stopping_on_validation_loss_restores_the_best_weights():
    model = _early_stopped("loss", learning_rate_init=0.05)
    val_losses = [row["val_loss"] for row in model.history_]
    assert model.best_validation_score_ == pytest.approx(-min(val_losses))
    assert model.validation_scores_ == pytest.approx([-v for v in val_losses])


def _rng_after_init(model):
    """The random state as fit left it after drawing the initial weights."""
    rng = np.random.RandomState(model.random_state)
    for coef, intercept in zip(model.coefs_, model.intercepts_):
        rng.uniform(size=coef.shape)
        rng.uniform(size=intercept.shape)
    return rng


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
    X, y = BREAST_CANCER_X_STD, BREAST_CANCER_Y
    _, val = train_test_split(
        np.arange(len(y)),
        random_state=_rng_after_init(model),
        test_size=0.1,
        stratify=model._label_binarizer.transform(y),
    )
    score = metric(y[val], model.predict_proba(X[val]))
    assert score == pytest.approx(model.best_validation_score_, rel=1e-6)


def test_early_stopping_on_a_callable_scorer_sees_labels():
    seen = []

    def scorer(estimator, X, y):
        seen.append(set(np.unique(y)))
        return float(np.mean(estimator.predict(X) == y))

    model = _early_stopped(scorer)
    assert seen and all(labels <= {0, 1} for labels in seen)
    assert len(seen) == len(model.validation_scores_)
