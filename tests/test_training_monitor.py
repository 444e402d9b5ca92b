"""sknn_squiggle/_training/monitor.py: training you can watch and steer:
``history_`` (one record per epoch, a table for pandas), the verbose lines,
and scikit-learn's callbacks.

Expected values: the documented formats (scikit-learn's ``Iteration N, loss
= %.8f``, then each value there is, labelled), scikit-learn's own verbose
output on the same trajectory, the fitted attributes the records must agree
with, and the documented step sizes (adam's bias-corrected rate).
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import IRIS_X_STD, IRIS_Y
from sklearn.model_selection import GridSearchCV

from sknn_squiggle import SquiggleClassifier
from sknn_squiggle._training.monitor import Monitor, verbose_line
from sknn_squiggle._training.state import TrainingState

BASE_COLUMNS = ["epoch", "loss", "learning_rate", "seconds"]


def _history_table(est):
    """``history_`` as documented: a list of one dict per epoch or lbfgs
    iteration, which ``pandas.DataFrame`` makes a table."""
    history = est.history_
    assert isinstance(history, list)
    assert all(type(row) is dict for row in history)
    table = pd.DataFrame(history)
    assert len(table) == len(history)
    return table


# ---------------------------------------------------------------------------
# history_


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_history_is_one_row_per_epoch(solver):
    # 150 samples, batch_size="auto" (200): one step per epoch.
    model = SquiggleClassifier(
        hidden_layer_sizes=(5,),
        solver=solver,
        max_iter=15,
        learning_rate_init=0.01,
        tol=0.0,
        random_state=0,
    ).fit(IRIS_X_STD, IRIS_Y)
    table = _history_table(model)
    assert list(table.columns) == BASE_COLUMNS
    assert len(table) == model.n_iter_ == len(model.loss_curve_) == 15
    np.testing.assert_array_equal(table["epoch"], np.arange(1, 16))
    np.testing.assert_array_equal(table["loss"], model.loss_curve_)
    assert np.issubdtype(table["loss"].dtype, np.floating)
    # Seconds since the fit started: finite and never going back.
    seconds = table["seconds"].to_numpy()
    assert np.all(np.isfinite(seconds)) and np.all(seconds >= 0)
    assert table["seconds"].is_monotonic_increasing
    if solver == "lbfgs":
        assert table["learning_rate"].isna().all()
        return
    if solver == "sgd":
        expected_rate = np.full(15, 0.01)
    else:
        # Adam's step size after t steps: eta * sqrt(1 - beta2^t) / (1 - beta1^t).
        t = np.arange(1, 16)
        expected_rate = 0.01 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
    np.testing.assert_allclose(table["learning_rate"], expected_rate, rtol=1e-12)
    assert (table["learning_rate"] > 0).all()


def test_history_records_the_adaptive_learning_rate():
    # tol so large that no epoch counts as an improvement: the adaptive rate
    # is divided by 5 after every n_iter_no_change + 1 epochs.
    model = SquiggleClassifier(
        hidden_layer_sizes=(8,),
        solver="sgd",
        learning_rate="adaptive",
        learning_rate_init=0.01,
        n_iter_no_change=2,
        tol=1e6,
        max_iter=9,
        random_state=0,
    ).fit(IRIS_X_STD, IRIS_Y)
    rates = _history_table(model)["learning_rate"].to_numpy()
    assert rates[0] == pytest.approx(0.01)
    assert rates.min() < 0.01
    # Only ever divided by 5.
    ratios = rates[:-1] / rates[1:]
    assert np.all(np.isclose(ratios, 1.0) | np.isclose(ratios, 5.0))


def test_history_with_early_stopping_has_validation_columns():
    model = SquiggleClassifier(
        hidden_layer_sizes=(5,),
        solver="adam",
        early_stopping=True,
        max_iter=12,
        tol=0.0,
        learning_rate_init=0.01,
        n_iter_no_change=100,
        random_state=0,
    ).fit(IRIS_X_STD, IRIS_Y)
    table = _history_table(model)
    assert set(table.columns) == set(BASE_COLUMNS) | {"val_loss", "val_score"}
    assert len(table) == model.n_iter_ == 12
    np.testing.assert_array_equal(table["val_score"], model.validation_scores_)
    assert table["val_score"].between(0, 1).all()
    assert (table["val_loss"] > 0).all()
    # A network that learns: the validation loss falls over the epochs.
    assert table["val_loss"].iloc[-1] < table["val_loss"].iloc[0]


# ---------------------------------------------------------------------------
# The verbose lines

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


def test_verbose_line_format():
    row = {"epoch": 3, "loss": 0.123456789, "learning_rate": 0.00123456, "seconds": 1.2}
    assert verbose_line(3, row, "sgd") == (
        "Iteration 3, loss = 0.12345679 | learning rate = 1.2346e-03 | 1.20 s"
    )
    assert verbose_line(7, row, "adam") == (
        "Iteration 7, loss = 0.12345679 | adam's bias-corrected rate = 1.2346e-03 "
        "| 1.20 s"
    )
    row |= {"learning_rate": None, "val_loss": 0.2, "val_score": 0.9123456}
    assert verbose_line(3, row, "lbfgs") == (
        "Iteration 3, loss = 0.12345679 | Validation score: 0.912346 | "
        "validation loss = 0.20000000 | 1.20 s"
    )
    assert VERBOSE_LINE.fullmatch(verbose_line(3, row, "lbfgs"))


class _Callbacks:
    """Stands in for the CallbackBridge: counts the epochs it is told of."""

    active = False
    stopped = False

    def __init__(self, stop_after):
        self.ended, self.stop_after = 0, stop_after

    def end_epoch(self):
        self.ended += 1
        return self.ended >= self.stop_after


def test_monitor_records_the_curve_the_history_and_the_line(capsys):
    """record appends to the run's loss curve and history (its epoch counts
    every row the history holds, the verbose line names the iteration as
    n_iter_ does) and returns what the callbacks say."""
    callbacks = _Callbacks(stop_after=2)
    monitor = Monitor(verbose=True, callbacks=callbacks, solver="sgd")
    state = TrainingState.fresh(with_validation=False)
    state.history.append({"epoch": 1, "loss": 1.0})  # left by an earlier call
    monitor.start_run(state)
    assert monitor.record(1, 0.5, 0.01) is False
    assert monitor.record(2, 0.25, 0.01, val_loss=0.3, val_score=0.75) is True
    assert state.loss_curve == [0.5, 0.25]
    assert [row["epoch"] for row in state.history] == [1, 2, 3]
    assert "val_loss" not in state.history[1]
    assert (state.history[2]["val_loss"], state.history[2]["val_score"]) == (0.3, 0.75)
    monitor.note("Stopping.")
    rows, lines = _verbose_lines(capsys)
    assert [r["iteration"] for r in rows] == ["1", "2"] and lines[-1] == "Stopping."
    Monitor(verbose=False, callbacks=callbacks, solver="sgd").note("silent")
    assert capsys.readouterr().out == ""


def test_verbose_prints_one_labelled_line_per_epoch(capsys):
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,),
        max_iter=7,
        early_stopping=True,
        verbose=True,
        random_state=0,
    ).fit(IRIS_X_STD, IRIS_Y)
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
    ).fit(IRIS_X_STD, IRIS_Y)
    rows, lines = _verbose_lines(capsys)
    assert len(rows) == 3
    assert all(row["val_score"] is None for row in rows)
    assert all(row["rate_name"] == "learning rate" for row in rows)
    assert all("Validation" not in line for line in lines)


def test_verbose_prints_one_line_per_lbfgs_iteration(capsys):
    """One printed row per L-BFGS iteration: its number, then its loss, no
    step size and no validation score."""
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,),
        solver="lbfgs",
        max_iter=12,
        verbose=True,
        random_state=0,
    ).fit(IRIS_X_STD, IRIS_Y)
    rows, lines = _verbose_lines(capsys)
    assert len(rows) == len(lines) == model.n_iter_ == len(model.loss_curve_) == 12
    assert [int(row["iteration"]) for row in rows] == list(range(1, 13))
    assert all(row["rate"] is None and row["val_score"] is None for row in rows)
    for row, loss in zip(rows, model.loss_curve_):
        assert float(row["loss"]) == pytest.approx(loss, rel=1e-5)
        assert row["loss"] == f"{loss:.8f}"


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
X_BINARY, Y_BINARY = IRIS_X_STD, (IRIS_Y == 2).astype(int)


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
        model.partial_fit(IRIS_X_STD, IRIS_Y, classes=[0, 1, 2])
        lines = capsys.readouterr().out.splitlines()
        iterations = [line for line in lines if line.startswith("Iteration ")]
        assert len(iterations) == 1
        assert re.fullmatch(
            rf"Iteration \d+, loss = {model.loss_curve_[-1]:.8f} \| .*",
            iterations[0],
        )


# ---------------------------------------------------------------------------
# scikit-learn's callbacks (sklearn.callback, scikit-learn >= 1.9)


@pytest.fixture
def callback():
    """``sklearn.callback``; the tests that use it skip without it."""
    return pytest.importorskip("sklearn.callback")


def test_scoring_monitor_records_one_score_per_epoch(callback):
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = SquiggleClassifier(hidden_layer_sizes=(4,), max_iter=6, random_state=0)
    model.set_callbacks(monitor).fit(IRIS_X_STD, IRIS_Y)
    rows = monitor.get_logs().data
    epochs = [row for row in rows if row["task_name"] == "epoch"]
    assert len(epochs) == model.n_iter_ == 6
    # The last epoch's score is the score of the fitted model.
    assert epochs[-1]["accuracy"] == pytest.approx(model.score(IRIS_X_STD, IRIS_Y))


def test_scoring_monitor_follows_lbfgs_iterations(callback):
    monitor = callback.ScoringMonitor(scoring="accuracy")
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,), solver="lbfgs", max_iter=8, random_state=0
    )
    model.set_callbacks(monitor).fit(IRIS_X_STD, IRIS_Y)
    epochs = [r for r in monitor.get_logs().data if r["task_name"] == "epoch"]
    assert len(epochs) == model.n_iter_
    assert epochs[-1]["accuracy"] == pytest.approx(model.score(IRIS_X_STD, IRIS_Y))


def test_progress_bar_nests_our_epochs_inside_a_grid_search(callback, capsys):
    pytest.importorskip("rich")
    search = GridSearchCV(
        SquiggleClassifier(max_iter=3, random_state=0),
        {"hidden_layer_sizes": [(3,), (4,)]},
        cv=2,
    )
    search.set_callbacks(callback.ProgressBar()).fit(IRIS_X_STD, IRIS_Y)
    output = capsys.readouterr().out
    assert "SquiggleClassifier - fit" in output
    assert search.best_estimator_.n_iter_ == 3
