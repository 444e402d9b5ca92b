"""sknn_squiggle/_base.py: the stages of fit that both estimators share:
float32 end to end, warm_start, partial_fit, several initialisations
(n_init), the fitted parameters as views of one vector, and pickling (the
optimizer's state travels as plain data).

Expected values come from independent computations: refits with equivalent
settings (a fit of 8 epochs against 5 + 3 warm-started ones), Glorot draws
written out from their formula, hand-written forward passes, and for the
round trips the saved estimator's own state.
"""

import math
import pickle

import joblib
import numpy as np
import pytest
from conftest import (
    HAND_X,
    HAND_Y,
    IRIS_X_STD,
    IRIS_Y,
    ROUND_TRIP_X,
    TASKS,
    assert_same,
    assert_same_predictions,
    fit_task,
    hand_regressor,
    hand_start,
    params_after,
    small_binary,
    small_regression,
)

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

# The fits here are short: their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore")

SOLVERS = ("sgd", "adam", "lbfgs")


def _params(est):
    return est.coefs_ + est.intercepts_


# ---------------------------------------------------------------------------
# float32 end to end


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_regression_end_to_end(solver):
    X, y = small_regression()
    reg = SquiggleRegressor(
        hidden_layer_sizes=(8, 4), solver=solver, max_iter=30, random_state=0
    )
    reg.fit(X.astype(np.float32), y.astype(np.float32))
    assert all(p.dtype == np.float32 for p in _params(reg))
    pred = reg.predict(X.astype(np.float32))
    assert pred.dtype == np.float32
    assert np.all(np.isfinite(pred))
    # float32 training follows the float64 one closely from the same start.
    reg64 = SquiggleRegressor(
        hidden_layer_sizes=(8, 4), solver=solver, max_iter=30, random_state=0
    ).fit(X, y)
    assert reg64.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(pred, reg64.predict(X), rtol=0, atol=0.05)


@pytest.mark.parametrize("solver", SOLVERS)
def test_float32_classification_end_to_end(solver):
    X, y = small_binary()
    clf = SquiggleClassifier(
        hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0
    ).fit(X.astype(np.float32), y)
    assert all(p.dtype == np.float32 for p in _params(clf))
    proba = clf.predict_proba(X.astype(np.float32))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


# ---------------------------------------------------------------------------
# The fitted parameters


def test_coefs_are_views_of_one_vector_until_replaced():
    """After fit every coefs_ and intercepts_ array is a view of _params; an
    array assigned to an entry is what predict and warm_start then use."""
    X, y = small_regression()
    reg = SquiggleRegressor(
        hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0
    ).fit(X, y)
    assert all(np.shares_memory(a, reg._params) for a in _params(reg))
    W = np.full((4, 3), 0.1)
    reg.coefs_[0] = W
    hidden = np.maximum(X @ W + reg.intercepts_[0], 0)
    expected = (hidden @ reg.coefs_[1] + reg.intercepts_[1]).ravel()
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-12)
    # warm_start continues from the assigned array: one frozen-everything
    # lbfgs step (nothing trains) keeps it.
    frozen = {"coefs": [False, False], "intercepts": [False, False]}
    reg.set_params(warm_start=True, trainable=frozen).fit(X, y)
    np.testing.assert_array_equal(reg.coefs_[0], W)


def _row_by_row(est, X):
    return np.concatenate([est.predict_proba(X[i : i + 1]) for i in range(len(X))])


def test_few_rows_predict_as_the_whole_batch_through_every_change():
    """Few-row predictions (which reuse the estimator's network) equal the
    rows of a whole-batch prediction (a network of its own) after an
    in-place edit, an assigned array, a new activation and a refit, and
    from concurrent threads."""
    from concurrent.futures import ThreadPoolExecutor

    X, y = IRIS_X_STD, IRIS_Y
    clf = SquiggleClassifier(hidden_layer_sizes=(8,), max_iter=20, random_state=0)
    clf.fit(X, y)
    assert len(X) > 32  # the whole batch does not reuse the network

    def check():
        np.testing.assert_allclose(
            _row_by_row(clf, X), clf.predict_proba(X), rtol=1e-12, atol=1e-15
        )

    check()
    clf.coefs_[1] *= 3  # in place: the reused network reads it
    check()
    clf.set_params(activation="tanh")
    check()
    clf.coefs_[0] = clf.coefs_[0] * -1  # split from the flat vector
    check()
    clf.set_params(hidden_layer_sizes=(5,)).fit(X, y)
    check()
    with ThreadPoolExecutor(4) as pool:
        outputs = list(pool.map(lambda _: _row_by_row(clf, X), range(8)))
    for out in outputs:
        np.testing.assert_allclose(out, clf.predict_proba(X), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------------------
# warm_start


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_continues_training(solver):
    """fit(5 epochs) then, warm-started, fit(3 epochs) is exactly fit(8
    epochs): same weights, same optimizer state (Adam's step count), the
    history and loss curve going on."""
    X, y = small_regression()
    params = dict(
        hidden_layer_sizes=(6,),
        solver=solver,
        batch_size=16,
        shuffle=False,
        learning_rate_init=0.01,
        random_state=0,
    )
    warm = SquiggleRegressor(warm_start=True, max_iter=5, **params).fit(X, y)
    batches_per_epoch = 4  # ceil(60 / 16)
    if solver == "adam":
        assert warm._optimizer.t == 5 * batches_per_epoch
    warm.set_params(max_iter=3).fit(X, y)
    if solver == "adam":
        assert warm._optimizer.t == 8 * batches_per_epoch
    assert len(warm.loss_curve_) == 8
    assert [row["epoch"] for row in warm.history_] == [1, 2, 3, 4, 5, 6, 7, 8]
    straight = SquiggleRegressor(max_iter=8, **params).fit(X, y)
    for p, q in zip(_params(warm), _params(straight)):
        np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)


def test_warm_start_second_fit_starts_from_first_fit_weights():
    """Plain sgd has no optimizer state, so the warm-started second fit equals
    a fresh fit from the first fit's weights."""
    X, y = small_regression()
    params = dict(
        hidden_layer_sizes=(6,),
        solver="sgd",
        momentum=0.0,
        batch_size=20,
        shuffle=False,
        learning_rate_init=0.01,
        max_iter=4,
        random_state=0,
    )
    warm = SquiggleRegressor(warm_start=True, **params).fit(X, y)
    first = [p.copy() for p in _params(warm)]
    warm.fit(X, y)
    fresh = SquiggleRegressor(
        coefs_init=first[:2], intercepts_init=first[2:], **params
    ).fit(X, y)
    assert np.abs(warm.coefs_[0] - first[0]).max() > 1e-4
    for p, q in zip(_params(warm), _params(fresh)):
        np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)


def test_without_warm_start_fit_restarts():
    """A new fit starts over: the same weights again, and a history of its
    own epochs only."""
    X, y = small_regression()
    params = dict(hidden_layer_sizes=(6,), solver="adam", max_iter=5, random_state=0)
    reg = SquiggleRegressor(tol=0.0, **params).fit(X, y)
    assert len(reg.history_) == 5
    once = [p.copy() for p in _params(reg)]
    reg.fit(X, y)
    for p, q in zip(_params(reg), once):
        np.testing.assert_array_equal(p, q)
    assert len(reg.history_) == 5
    reg.set_params(max_iter=3).fit(X, y)
    assert len(reg.history_) == 3


# ---------------------------------------------------------------------------
# partial_fit


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
def test_first_partial_fit_call_runs_one_epoch(Estimator):
    X, y = small_binary()
    est = Estimator(hidden_layer_sizes=(4,), solver="adam", random_state=0)
    kwargs = {"classes": [0, 1]} if Estimator is SquiggleClassifier else {}
    est.partial_fit(X, y, **kwargs)
    assert est.n_iter_ == 1
    assert len(est.loss_curve_) == 1
    assert est.t_ == y.size


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_calls_equal_epochs_of_fit(solver):
    X, y = small_regression()
    params = dict(
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=20,
        shuffle=False,
        learning_rate_init=0.01,
        random_state=0,
    )
    inc = SquiggleRegressor(**params)
    for _ in range(4):
        inc.partial_fit(X, y)
    full = SquiggleRegressor(max_iter=4, **params).fit(X, y)
    for p, q in zip(_params(inc), _params(full)):
        np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)


def test_early_stopping_with_partial_fit_raises():
    X, y = small_regression()
    reg = SquiggleRegressor(solver="sgd", early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stop"):
        reg.partial_fit(X, y)


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
def test_partial_fit_only_for_stochastic_solvers(Estimator):
    """(scikit-learn's regressor advertises it for lbfgs too:
    test_sklearn_defects.py.)"""
    assert not hasattr(Estimator(solver="lbfgs"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")
    assert hasattr(Estimator(solver="adam"), "partial_fit")
    # And the availability follows set_params.
    est = Estimator(solver="adam")
    est.set_params(solver="lbfgs")
    assert not hasattr(est, "partial_fit")
    with pytest.raises(AttributeError, match="partial_fit"):
        est.partial_fit


# ---------------------------------------------------------------------------
# n_init


def _glorot_draws(rng, units):
    """scikit-learn's initialisation for relu: U(+-sqrt(6 / (fan_in +
    fan_out))), coefficients then intercepts, layer by layer."""
    coefs, intercepts = [], []
    for fan_in, fan_out in zip(units[:-1], units[1:]):
        bound = np.sqrt(6.0 / (fan_in + fan_out))
        coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        intercepts.append(rng.uniform(-bound, bound, fan_out))
    return coefs, intercepts


def test_n_init_keeps_the_run_with_the_lowest_loss():
    X, y = small_regression(n=40)
    params = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=40)
    multi = SquiggleRegressor(n_init=5, random_state=0, **params).fit(X, y)
    single = SquiggleRegressor(n_init=1, random_state=0, **params).fit(X, y)
    assert multi.loss_ <= single.loss_

    # The five runs start from five consecutive draws of one RandomState.
    rng = np.random.RandomState(0)
    runs = []
    for _ in range(5):
        coefs, intercepts = _glorot_draws(rng, [4, 3, 1])
        runs.append(
            SquiggleRegressor(
                coefs_init=coefs, intercepts_init=intercepts, **params
            ).fit(X, y)
        )
    losses = [r.loss_ for r in runs]
    assert runs[0].loss_ == single.loss_
    assert len(set(losses)) == 5  # the runs really differ
    assert max(losses) > 10 * min(losses)
    assert int(np.argmin(losses)) != 0  # keeping the first run would fail
    # With a RandomState instance, each fit continues the same stream, so five
    # single-start fits start where the five starts of n_init=5 start.
    stream = np.random.RandomState(0)
    singles = [
        SquiggleRegressor(**params, random_state=stream).fit(X, y) for _ in range(5)
    ]
    assert [s.loss_ for s in singles] == losses
    best = runs[int(np.argmin(losses))]
    assert multi.loss_ == min(losses)
    for p, q in zip(_params(multi), _params(best)):
        np.testing.assert_array_equal(p, q)
    assert multi.n_iter_ == best.n_iter_
    assert multi.loss_curve_ == best.loss_curve_


def test_given_start_ignores_n_init_with_a_warning():
    coefs, intercepts = hand_start()
    reg = hand_regressor(
        solver="lbfgs", n_init=3, coefs_init=coefs, intercepts_init=intercepts
    )
    with pytest.warns(RuntimeWarning, match="n_init=3 is ignored"):
        reg.fit(HAND_X, HAND_Y)


# ---------------------------------------------------------------------------
# Pickling: the optimizer's state as plain data (pickle, joblib, skops)


def _fitted_pairs():
    return [
        pytest.param(task, solver, id=f"{task}-{solver}")
        for task in ("multi_output", "string_labels")
        for solver in SOLVERS
    ]


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("task, solver", _fitted_pairs())
def test_pickle_and_joblib_round_trip(how, task, solver, tmp_path):
    original = fit_task(task, solver)
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(original))
    else:
        joblib.dump(original, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    assert_same_predictions(original, loaded)
    y = TASKS[task][2]
    method = "partial_fit" if solver != "lbfgs" else "fit"
    if method == "fit":
        original.set_params(warm_start=True)
        loaded.set_params(warm_start=True)
    assert_same(
        params_after(original, method, ROUND_TRIP_X, y),
        params_after(loaded, method, ROUND_TRIP_X, y),
    )


def test_pickled_state_holds_the_optimizer_as_plain_data():
    """__getstate__ replaces the optimizer by its state() (numbers, strings
    and arrays) and leaves the estimator itself untouched."""
    original = fit_task("regression", "adam")
    state = original.__getstate__()
    assert type(state["_optimizer"]) is dict
    assert state["_optimizer"]["kind"] == "adam"
    assert state["_optimizer"]["t"] == original._optimizer.t
    assert type(original._optimizer).__name__ == "AdamOptimizer"


def _skops_round_trip(original, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(original, path)
    untrusted = sio.get_untrusted_types(file=path)
    return untrusted, sio.load(path, trusted=untrusted)


@pytest.mark.parametrize("task, solver", _fitted_pairs())
def test_skops_round_trip(task, solver, tmp_path):
    original = fit_task(task, solver)
    untrusted, loaded = _skops_round_trip(original, tmp_path)
    # Nothing outside this library needs trusting.
    assert all(name.startswith("sknn_squiggle.") for name in untrusted)
    assert_same_predictions(original, loaded)
    if solver != "lbfgs":
        y = TASKS[task][2]
        assert_same(
            params_after(original, "partial_fit", ROUND_TRIP_X, y),
            params_after(loaded, "partial_fit", ROUND_TRIP_X, y),
        )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("task", ["regression", "string_labels"])
def test_skops_trusts_all_but_our_estimators(task, solver, tmp_path):
    original = fit_task(task, solver)
    untrusted, _ = _skops_round_trip(original, tmp_path)
    Estimator = type(original)
    assert untrusted == [f"{Estimator.__module__}.{Estimator.__name__}"]


# ----------------------------------------------------------------------
# Decoupled weight decay (weight_decay): off by default, one rule per step


def _one_step(solver, weight_decay):
    """One full-batch step of ``solver`` from hand-set weights."""
    X, y = small_regression(n=40, d=3)
    rng = np.random.default_rng(1)
    coefs = [rng.normal(size=(3, 5)), rng.normal(size=(5, 1))]
    intercepts = [rng.normal(size=5), rng.normal(size=1)]
    reg = SquiggleRegressor(
        hidden_layer_sizes=(5,),
        solver=solver,
        batch_size=40,
        max_iter=1,
        shuffle=False,
        learning_rate_init=0.05,
        coefs_init=coefs,
        intercepts_init=intercepts,
        weight_decay=weight_decay,
    )
    reg.fit(X, y)
    return reg, coefs, intercepts


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_weight_decay_shrinks_the_weights_before_the_step(solver):
    # The gradient is taken at the starting weights W0 in both fits, so the
    # steps are equal and the decayed fit differs by -eta lambda W0 on the
    # weights and by nothing on the biases.
    plain, W0, _ = _one_step(solver, 0.0)
    decayed, _, _ = _one_step(solver, 0.3)
    for ours, base, start in zip(decayed.coefs_, plain.coefs_, W0):
        np.testing.assert_allclose(ours - base, -0.05 * 0.3 * start, atol=1e-12)
    for ours, base in zip(decayed.intercepts_, plain.intercepts_):
        np.testing.assert_allclose(ours, base, atol=1e-12)


def test_weight_decay_off_by_default_and_refused_by_lbfgs():
    assert SquiggleRegressor().weight_decay == 0.0
    X, y = small_regression()
    reg = SquiggleRegressor(solver="lbfgs", weight_decay=0.01, max_iter=5)
    with pytest.raises(ValueError, match="lbfgs has no steps to decay"):
        reg.fit(X, y)


# ----------------------------------------------------------------------
# Dropout (dropout): masks while training, every unit at prediction


def _dropout_fit(dropout, seed=0):
    X, y = small_regression(n=80, d=3)
    reg = SquiggleRegressor(
        hidden_layer_sizes=(8, 6), max_iter=30, dropout=dropout, random_state=seed
    )
    return reg.fit(X, y), X


def test_dropout_trains_with_masks_and_predicts_with_every_unit():
    reg, X = _dropout_fit(0.3)
    # Prediction: the plain ReLU network of the fitted weights, no mask.
    A = X
    for W, b in zip(reg.coefs_[:-1], reg.intercepts_[:-1]):
        A = np.maximum(A @ W + b, 0)
    expected = (A @ reg.coefs_[-1] + reg.intercepts_[-1]).ravel()
    np.testing.assert_allclose(reg.predict(X), expected, rtol=1e-10)
    # Training saw the masks: the same seed without dropout ends elsewhere,
    # and the masks are reproducible from random_state.
    plain, _ = _dropout_fit(0.0)
    assert not np.allclose(reg.coefs_[0], plain.coefs_[0])
    again, _ = _dropout_fit(0.3)
    np.testing.assert_array_equal(reg.coefs_[0], again.coefs_[0])


def test_dropout_refused_by_lbfgs():
    X, y = small_regression()
    reg = SquiggleRegressor(solver="lbfgs", dropout=0.1, max_iter=5)
    with pytest.raises(ValueError, match="dropout=0.1 needs the sgd or adam"):
        reg.fit(X, y)


@pytest.mark.parametrize("schedule", ["constant", "coslog4"])
def test_coslog4_steers_adam_and_the_others_leave_it(schedule):
    # 60 rows in one batch: 12 epochs are 12 adam steps; the last epoch's
    # step is taken at progress t = 11/12 with adam's bias-corrected rate
    # eta_t = eta sqrt(1 - beta_2^12) / (1 - beta_1^12). adam ignores
    # scikit-learn's schedules ("constant" here); coslog4 multiplies eta by
    # (1 - cos(2 pi log2(1 + 15 t))) / 2.
    X, y = small_regression()
    reg = SquiggleRegressor(
        hidden_layer_sizes=(5,),
        learning_rate=schedule,
        learning_rate_init=0.01,
        max_iter=12,
        tol=0.0,
        n_iter_no_change=100,
        random_state=0,
    ).fit(X, y)
    correction = math.sqrt(1 - 0.999**12) / (1 - 0.9**12)
    factor = 1.0
    if schedule == "coslog4":
        factor = (1 - math.cos(2 * math.pi * math.log2(1 + 15 * 11 / 12))) / 2
    expected = 0.01 * factor * correction
    assert reg.history_[-1]["learning_rate"] == pytest.approx(expected, rel=1e-9)
