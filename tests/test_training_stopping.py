"""sknn_squiggle/_training/stopping.py: patience, the best parameters (and
the pending ones), and the messages of stopping.

Expected counts and best values are worked out by hand from the documented
rule (no progress when ``loss > best_loss - tol``, or under early stopping
``score < best_score + tol``), on numbers exact in binary; the end-to-end
tests compare a fit with a refit stopped at its best epoch.
"""

import warnings

import numpy as np
import pytest
from conftest import small_binary
from sklearn.exceptions import ConvergenceWarning

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._training.state import TrainingState
from sknn_squiggle._training.stopping import (
    Diverged,
    Stopping,
    raise_nothing_finite,
    warn_diverged,
    warn_interrupted,
    warn_max_iter,
)


def _stopping(early_stopping, tol=0.25, n_iter_no_change=1):
    params = np.zeros(3)
    state = TrainingState.fresh(with_validation=early_stopping)
    return params, state, Stopping(params, state, tol, n_iter_no_change, early_stopping)


def test_patience_counts_epochs_without_progress_by_tol():
    """An epoch is progress when its loss is at or below best - tol; the
    best loss is the lowest seen, progress or not."""
    _, state, stopping = _stopping(False, tol=0.25, n_iter_no_change=1)
    counts, bests, messages = [], [], []
    for loss in [4.0, 3.875, 3.5, 3.5, 3.75, 1.0]:
        stopping.epoch_ends(loss, None)
        counts.append(state.no_improvement_count)
        bests.append(state.best_loss)
        messages.append(stopping.plateau())
    assert counts == [0, 1, 0, 1, 2, 0]
    assert bests == [4.0, 3.875, 3.5, 3.5, 3.5, 1.0]
    # More than n_iter_no_change = 1 epochs in a row without progress.
    assert messages[:4] == [None] * 4 and messages[5] is None
    assert messages[4] == (
        "Training loss did not improve more than tol=0.250000 for 1 consecutive epochs."
    )
    stopping.restart_patience()
    assert state.no_improvement_count == 0


def test_a_new_best_loss_is_pending_until_confirmed():
    """The parameters at the end of an epoch with a new best loss become the
    best only once confirmed (a later batch evaluated them), or at the end
    of training."""
    params, _, stopping = _stopping(False)
    params[:] = [1.0, 2.0, 3.0]
    stopping.epoch_ends(2.0, None)
    assert stopping.pending
    np.testing.assert_array_equal(stopping.best_params, [0.0, 0.0, 0.0])
    stopping.confirm_pending()
    assert not stopping.pending
    np.testing.assert_array_equal(stopping.best_params, [1.0, 2.0, 3.0])
    assert stopping.best_params is not params  # a copy, not the vector

    params[:] = [7.0, 7.0, 7.0]
    stopping.epoch_ends(2.5, None)  # no new best: nothing pending
    assert not stopping.pending
    stopping.restore_best()
    np.testing.assert_array_equal(params, [1.0, 2.0, 3.0])

    params[:] = [5.0, 5.0, 5.0]
    stopping.epoch_ends(1.0, None)
    stopping.training_ends()  # the last epoch's pending parameters are kept
    assert not stopping.pending
    np.testing.assert_array_equal(stopping.best_params, [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(params, [5.0, 5.0, 5.0])


def test_early_stopping_copies_the_best_epoch_at_once_and_restores_it():
    params, state, stopping = _stopping(True, tol=0.25, n_iter_no_change=2)
    trace = []
    for epoch, score in enumerate([0.5, 0.625, 1.0, 1.125, 0.75, 0.5]):
        params[:] = epoch
        stopping.epoch_ends(9.0, score)
        trace.append((state.no_improvement_count, state.best_validation_score))
        assert not stopping.pending
    assert state.validation_scores == [0.5, 0.625, 1.0, 1.125, 0.75, 0.5]
    # 0.625 < 0.5 + 0.25 and 1.125 < 1.0 + 0.25: no progress, yet new bests.
    assert trace == [(0, 0.5), (1, 0.625), (0, 1.0), (1, 1.125), (2, 1.125), (3, 1.125)]
    np.testing.assert_array_equal(stopping.best_params, [3.0, 3.0, 3.0])
    assert state.best_loss is None
    assert stopping.plateau() == (
        "Validation score did not improve more than tol=0.250000 for 2 "
        "consecutive epochs."
    )
    stopping.training_ends()
    np.testing.assert_array_equal(params, [3.0, 3.0, 3.0])


def test_the_warnings_and_errors_of_stopping():
    assert Diverged().at_start is False and Diverged(at_start=True).at_start
    with pytest.raises(ValueError, match="^Solver produced non-finite parameter"):
        raise_nothing_finite()
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(7\) reached"):
        warn_max_iter(7)
    with pytest.warns(UserWarning, match="interrupted by user after 3 lbfgs iter"):
        warn_interrupted(3, "lbfgs iterations")
    with pytest.warns(ConvergenceWarning) as record:
        warn_diverged(4, 0.5)
    message = str(record[0].message)
    assert message.startswith("Training diverged after 4 epochs")
    assert "learning_rate_init=0.5" in message and "StandardScaler" in message


# ---------------------------------------------------------------------------
# Early stopping end to end


def test_early_stopping_restores_best_validation_weights():
    """With a patience longer than training, the weights at the end are those
    of the best epoch: they equal a fit stopped right after that epoch (the
    trajectory up to it is the same, and it is a strict new best)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 5))
    y = X[:, 0] + rng.normal(size=80)
    params = dict(
        hidden_layer_sizes=(30,),
        learning_rate_init=0.05,
        early_stopping=True,
        validation_fraction=0.25,
        n_iter_no_change=1000,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = SquiggleRegressor(max_iter=30, **params).fit(X, y)
    scores = np.asarray(reg.validation_scores_)
    assert len(scores) == reg.n_iter_ == 30
    best = int(np.argmax(scores))
    assert reg.best_validation_score_ == scores[best]
    # Overfitting sets in: the best epoch is not the last one, so restoring
    # matters.
    assert best < 29 and scores[-1] < scores[best] - 0.05
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stopped = SquiggleRegressor(max_iter=best + 1, **params).fit(X, y)
    assert stopped.validation_scores_[-1] == scores[best]
    for p, q in zip(reg.coefs_ + reg.intercepts_, stopped.coefs_ + stopped.intercepts_):
        np.testing.assert_array_equal(p, q)


def test_early_stopping_stops_after_patience_and_sets_attributes():
    X, y = small_binary(n=100)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(5,),
        solver="adam",
        learning_rate_init=0.05,
        early_stopping=True,
        n_iter_no_change=3,
        tol=1.0,  # no epoch can improve by 1: stop after 1 + 3 epochs
        max_iter=100,
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ == 5
    assert len(clf.validation_scores_) == 5
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert all(0 <= s <= 1 for s in clf.validation_scores_)
