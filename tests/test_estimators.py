"""Behaviour of SquiggleRegressor and SquiggleClassifier, test by test.

Each test states one promise of the public estimators; expected values come
from independent computations (numpy, scikit-learn utilities, refits with
equivalent settings), never from the estimator checking itself.
"""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor


@pytest.fixture(autouse=True)
def _quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        yield


def _regression(n=60, d=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return X, y


def _binary(n=60, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def _params(est):
    return est.coefs_ + est.intercepts_


# ---------------------------------------------------------------------------
# float32 end to end


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_float32_regression_end_to_end(solver):
    X, y = _regression()
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


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_float32_classification_end_to_end(solver):
    X, y = _binary()
    clf = SquiggleClassifier(
        hidden_layer_sizes=(8,), solver=solver, max_iter=30, random_state=0
    ).fit(X.astype(np.float32), y)
    assert all(p.dtype == np.float32 for p in _params(clf))
    proba = clf.predict_proba(X.astype(np.float32))
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)


# ---------------------------------------------------------------------------
# Activations


def test_activation_list_equals_repeated_string():
    X, y = _regression()
    params = dict(
        hidden_layer_sizes=(5, 3), solver="lbfgs", max_iter=50, random_state=0
    )
    a = SquiggleRegressor(activation=["tanh", "tanh"], **params).fit(X, y)
    b = SquiggleRegressor(activation="tanh", **params).fit(X, y)
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_array_equal(p, q)


def test_activation_list_per_layer_is_applied_in_order():
    """predict equals a hand-written forward pass with softplus in the first
    hidden layer and leaky ReLU in the second."""
    X, y = _regression()
    reg = SquiggleRegressor(
        hidden_layer_sizes=(5, 3),
        activation=["softplus", "leaky_relu"],
        solver="lbfgs",
        max_iter=50,
        random_state=0,
    ).fit(X, y)
    (W0, W1, W2), (b0, b1, b2) = reg.coefs_, reg.intercepts_
    h1 = np.log1p(np.exp(X @ W0 + b0))
    z2 = h1 @ W1 + b1
    h2 = np.where(z2 > 0, z2, 0.01 * z2)
    np.testing.assert_allclose(reg.predict(X), (h2 @ W2 + b2).ravel(), rtol=1e-12)


@pytest.mark.parametrize("activation", [["relu"], ["relu", "tanh", "relu"]])
def test_activation_list_of_wrong_length_raises(activation):
    X, y = _regression()
    reg = SquiggleRegressor(hidden_layer_sizes=(4, 4), activation=activation)
    with pytest.raises(ValueError, match="one name per hidden layer"):
        reg.fit(X, y)


def test_activation_list_with_unknown_name_raises():
    X, y = _regression()
    reg = SquiggleRegressor(hidden_layer_sizes=(4, 4), activation=["relu", "swish"])
    with pytest.raises(ValueError, match="swish"):
        reg.fit(X, y)


@pytest.mark.parametrize(
    "activation", ["softplus", "sigmoid", "leaky_relu", "elu", "gelu", "silu"]
)
def test_extra_activation_fits_a_nonlinear_regression(activation):
    X, y = make_friedman1(n_samples=300, n_features=5, noise=0.3, random_state=0)
    X = StandardScaler().fit_transform(X)
    y = (y - y.mean()) / y.std()
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    reg = SquiggleRegressor(
        hidden_layer_sizes=(20,),
        activation=activation,
        learning_rate_init=0.01,
        max_iter=300,
        random_state=0,
    ).fit(X_train, y_train)
    assert reg.score(X_test, y_test) > 0.8


# ---------------------------------------------------------------------------
# class_weight


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_class_weight_dict_equals_sample_weight(solver):
    X, y = _binary()
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=40, random_state=0)
    a = SquiggleClassifier(class_weight={0: 1, 1: 3}, **params).fit(X, y)
    b = SquiggleClassifier(**params).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_array_equal(p, q)
    # And it does change the fit.
    c = SquiggleClassifier(**params).fit(X, y)
    assert np.abs(a.coefs_[0] - c.coefs_[0]).max() > 1e-3


def test_class_weight_multiplies_sample_weight():
    X, y = _binary()
    sw = np.random.default_rng(1).uniform(0.5, 2.0, size=y.size)
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=40, random_state=0)
    a = SquiggleClassifier(class_weight={0: 2, 1: 0.5}, **params)
    a.fit(X, y, sample_weight=sw)
    b = SquiggleClassifier(**params)
    b.fit(X, y, sample_weight=sw * np.where(y == 1, 0.5, 2.0))
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)


def test_class_weight_balanced():
    """'balanced' weighs class c by n_samples / (n_classes * count_c)."""
    X, y = _binary(n=50)
    y[:12] = 0
    y[12:] = np.where(np.arange(38) % 4 == 0, 0, 1)
    counts = np.bincount(y)
    balanced = (y.size / (2 * counts))[y]
    params = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=40, random_state=0)
    a = SquiggleClassifier(class_weight="balanced", **params).fit(X, y)
    b = SquiggleClassifier(**params).fit(X, y, sample_weight=balanced)
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=1e-14)


def test_integer_weight_equals_duplicated_samples():
    """A weight of 3 counts a sample three times: the lbfgs objective (and so
    the fit) equals the one on data where those samples are repeated."""
    X, y = _binary(n=30)
    weight = np.where(y == 1, 3, 1)
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0)
    a = SquiggleClassifier(class_weight={0: 1, 1: 3}, **params).fit(X, y)
    idx = np.repeat(np.arange(y.size), weight)
    b = SquiggleClassifier(**params).fit(X[idx], y[idx])
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-8)


def test_class_weight_with_multilabel_raises():
    X, _ = _binary()
    Y = (X[:, :2] > 0).astype(int)
    clf = SquiggleClassifier(hidden_layer_sizes=(3,), class_weight={0: 1, 1: 2})
    with pytest.raises(ValueError, match="multilabel"):
        clf.fit(X, Y)


def test_class_weight_unknown_label_raises():
    X, y = _binary()
    clf = SquiggleClassifier(hidden_layer_sizes=(3,), class_weight={0: 1, 5: 2})
    with pytest.raises(ValueError, match="5"):
        clf.fit(X, y)


# ---------------------------------------------------------------------------
# lbfgs: loss curve and verbose output


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
def test_lbfgs_loss_curve_is_non_increasing(Estimator):
    X, y = _binary() if Estimator is SquiggleClassifier else _regression()
    est = Estimator(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=60, random_state=0
    )
    est.fit(X, y)
    curve = np.asarray(est.loss_curve_)
    assert len(curve) == est.n_iter_ > 5
    # L-BFGS-B's line search only accepts steps that decrease the objective.
    assert np.all(np.diff(curve) <= 0)
    assert curve[-1] == pytest.approx(est.loss_, rel=1e-12)
    assert curve[0] > curve[-1]


def test_lbfgs_verbose_prints_one_line_per_iteration(capsys):
    """One printed row per L-BFGS iteration: its number, then its loss (a
    header line, if any, holds no numbers)."""
    X, y = _regression()
    reg = SquiggleRegressor(
        hidden_layer_sizes=(6,),
        solver="lbfgs",
        max_iter=12,
        verbose=True,
        random_state=0,
    ).fit(X, y)
    number = r"[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?"
    rows = [
        [float(token) for token in re.findall(number, line)]
        for line in capsys.readouterr().out.splitlines()
    ]
    rows = [row for row in rows if row]
    assert len(rows) == reg.n_iter_ == len(reg.loss_curve_) == 12
    for k, (row, loss) in enumerate(zip(rows, reg.loss_curve_), start=1):
        assert row[0] == k
        assert any(value == pytest.approx(loss, rel=1e-5) for value in row[1:])


# ---------------------------------------------------------------------------
# warm_start and partial_fit


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_warm_start_continues_training(solver):
    """fit(5 epochs) then, warm-started, fit(3 epochs) is exactly fit(8
    epochs): same weights, same optimizer state (Adam's step count)."""
    X, y = _regression()
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
    straight = SquiggleRegressor(max_iter=8, **params).fit(X, y)
    for p, q in zip(_params(warm), _params(straight)):
        np.testing.assert_allclose(p, q, rtol=1e-13, atol=1e-15)


def test_warm_start_second_fit_starts_from_first_fit_weights():
    """Plain sgd has no optimizer state, so the warm-started second fit equals
    a fresh fit from the first fit's weights."""
    X, y = _regression()
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
    X, y = _regression()
    params = dict(hidden_layer_sizes=(6,), solver="adam", max_iter=5, random_state=0)
    reg = SquiggleRegressor(**params).fit(X, y)
    once = [p.copy() for p in _params(reg)]
    reg.fit(X, y)
    for p, q in zip(_params(reg), once):
        np.testing.assert_array_equal(p, q)


def test_classifier_partial_fit_needs_classes_on_first_call():
    X, y = _binary()
    clf = SquiggleClassifier(hidden_layer_sizes=(4,), solver="sgd", random_state=0)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y)
    # The first batch may lack a class that later batches have.
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    clf.partial_fit(X, y)
    assert clf.predict_proba(X).shape == (y.size, 2)
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y + 5)


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
def test_first_partial_fit_call_runs_one_epoch(Estimator):
    X, y = _binary()
    est = Estimator(hidden_layer_sizes=(4,), solver="adam", random_state=0)
    kwargs = {"classes": [0, 1]} if Estimator is SquiggleClassifier else {}
    est.partial_fit(X, y, **kwargs)
    assert est.n_iter_ == 1
    assert len(est.loss_curve_) == 1
    assert est.t_ == y.size


@pytest.mark.parametrize("solver", ["sgd", "adam"])
def test_partial_fit_calls_equal_epochs_of_fit(solver):
    X, y = _regression()
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


# ---------------------------------------------------------------------------
# Probabilities of a saturated model


def _separable(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(int)
    X[:, 0] += np.where(y == 1, 3.0, -3.0)
    return 10 * X, y


def _saturated(X, Y):
    return SquiggleClassifier(
        hidden_layer_sizes=(10,),
        solver="lbfgs",
        alpha=0.0,
        tol=0.0,
        max_iter=2000,
        random_state=0,
    ).fit(X, Y)


def test_saturated_binary_probabilities_stay_inside_unit_interval():
    X, y = _separable()
    clf = _saturated(X, y)
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 2)
    assert np.all((proba > 0) & (proba < 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    assert np.all(np.isfinite(clf.predict_log_proba(X)))
    # Saturated indeed: the most confident outputs are within float eps of 1.
    assert proba.max() > 1 - 1e-12


def test_saturated_multilabel_probabilities_stay_inside_unit_interval():
    X, y = _separable()
    Y = np.stack([y, 1 - y, (X[:, 1] > 0).astype(int)], axis=1)
    clf = _saturated(X, Y)
    proba = clf.predict_proba(X)
    assert proba.shape == (60, 3)
    assert np.all((proba > 0) & (proba < 1))
    assert np.all(np.isfinite(clf.predict_log_proba(X)))
    np.testing.assert_array_equal(clf.predict(X), Y)


def test_multiclass_probabilities_sum_to_one():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 3))
    y = X.argmax(axis=1)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0
    ).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])


# ---------------------------------------------------------------------------
# early stopping


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
    reg = SquiggleRegressor(max_iter=30, **params).fit(X, y)
    scores = np.asarray(reg.validation_scores_)
    assert len(scores) == reg.n_iter_ == 30
    best = int(np.argmax(scores))
    assert reg.best_validation_score_ == scores[best]
    # Overfitting sets in: the best epoch is not the last one, so restoring
    # matters.
    assert best < 29 and scores[-1] < scores[best] - 0.05
    stopped = SquiggleRegressor(max_iter=best + 1, **params).fit(X, y)
    assert stopped.validation_scores_[-1] == scores[best]
    for p, q in zip(_params(reg), _params(stopped)):
        np.testing.assert_array_equal(p, q)


def test_early_stopping_stops_after_patience_and_sets_attributes():
    X, y = _binary(n=100)
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


def test_early_stopping_with_partial_fit_raises():
    X, y = _regression()
    reg = SquiggleRegressor(solver="sgd", early_stopping=True)
    with pytest.raises(ValueError, match="early_stopping"):
        reg.partial_fit(X, y)


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


def test_n_init_keeps_the_run_with_lowest_loss():
    X, y = _regression(n=40)
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
    best = runs[int(np.argmin(losses))]
    assert multi.loss_ == min(losses)
    for p, q in zip(_params(multi), _params(best)):
        np.testing.assert_array_equal(p, q)
    assert multi.n_iter_ == best.n_iter_
    assert multi.loss_curve_ == best.loss_curve_


# ---------------------------------------------------------------------------
# Starting weights and frozen parameters


def test_coefs_init_wrong_shape_names_layer_and_expected_shape():
    X, y = _regression(d=3)
    bad = SquiggleRegressor(
        hidden_layer_sizes=(5,), coefs_init=[np.zeros((3, 5)), np.zeros((4, 1))]
    )
    with pytest.raises(
        ValueError, match=re.escape("coefs_init[1] has shape (4, 1); layer 1 expects")
    ) as info:
        bad.fit(X, y)
    assert "(5, 1)" in str(info.value)


def test_intercepts_init_wrong_shape_names_layer_and_expected_shape():
    X, y = _regression(d=3)
    bad = SquiggleRegressor(
        hidden_layer_sizes=(5,), intercepts_init=[np.zeros(4), np.zeros(1)]
    )
    with pytest.raises(ValueError, match=r"intercepts_init\[0\].*layer 0.*\(5,\)"):
        bad.fit(X, y)


def test_coefs_init_wrong_number_of_layers_raises():
    X, y = _regression(d=3)
    bad = SquiggleRegressor(hidden_layer_sizes=(5,), coefs_init=[np.zeros((3, 5))])
    with pytest.raises(ValueError, match=re.escape("[(3, 5), (5, 1)]")):
        bad.fit(X, y)


def test_coefs_init_is_the_starting_point():
    """A tiny sgd step from given weights barely moves them, and the given
    arrays themselves are not modified by training."""
    X, y = _regression(d=3)
    rng = np.random.default_rng(0)
    coefs = [rng.normal(size=(3, 5)), rng.normal(size=(5, 1))]
    intercepts = [rng.normal(size=5), rng.normal(size=1)]
    originals = [a.copy() for a in coefs + intercepts]
    reg = SquiggleRegressor(
        hidden_layer_sizes=(5,),
        solver="sgd",
        learning_rate_init=1e-300,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
    ).fit(X, y)
    for p, q, o in zip(_params(reg), coefs + intercepts, originals):
        np.testing.assert_array_equal(p, o)
        np.testing.assert_array_equal(q, o)


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_trainable_masks_keep_frozen_entries_unchanged(solver):
    X, y = _regression(d=3)
    rng = np.random.default_rng(1)
    coefs = [rng.normal(size=(3, 5)), rng.normal(size=(5, 4)), rng.normal(size=(4, 1))]
    intercepts = [rng.normal(size=5), rng.normal(size=4), rng.normal(size=1)]
    coef_mask = rng.random((3, 5)) < 0.5
    trainable = {
        "coefs": [coef_mask, False, True],
        "intercepts": [True, np.array([True, False, True, False]), False],
    }
    reg = SquiggleRegressor(
        hidden_layer_sizes=(5, 4),
        activation="tanh",
        solver=solver,
        alpha=0.5,  # the penalty's pull must not move frozen weights either
        learning_rate_init=0.01,
        max_iter=30,
        coefs_init=[c.copy() for c in coefs],
        intercepts_init=[b.copy() for b in intercepts],
        trainable=trainable,
        random_state=0,
    ).fit(X, y)
    W0, W1, W2 = reg.coefs_
    b0, b1, b2 = reg.intercepts_
    frozen = [
        (W0[~coef_mask], coefs[0][~coef_mask]),
        (W1, coefs[1]),
        (b1[[1, 3]], intercepts[1][[1, 3]]),
        (b2, intercepts[2]),
    ]
    for got, start in frozen:
        np.testing.assert_array_equal(got, start)
    trained = [
        (W0[coef_mask], coefs[0][coef_mask]),
        (W2, coefs[2]),
        (b0, intercepts[0]),
        (b1[[0, 2]], intercepts[1][[0, 2]]),
    ]
    for got, start in trained:
        assert np.all(got != start)


def test_trainable_mask_of_wrong_shape_raises():
    X, y = _regression(d=3)
    reg = SquiggleRegressor(
        hidden_layer_sizes=(5,), trainable={"coefs": [np.ones((5, 3), bool), True]}
    )
    with pytest.raises(ValueError, match=re.escape("(3, 5)")):
        reg.fit(X, y)


@pytest.mark.parametrize(
    "y",
    [
        np.array([0, 1, 1, 0]),
        np.array([3.0, 1.0, 3.0]),
        np.array([True, False, True]),
        np.array([2, 0, 1, 2], dtype=np.uint8),
        np.array([5, 5, 5]),
        np.array(["b", "a", "c"]),
        np.array([[0, 1], [1, 1], [1, 0]]),
    ],
)
def test_label_binarizer_state_equals_scikit_learn_fit(y):
    # The classifier builds a LabelBinarizer's fitted state itself for plain
    # numeric labels; it must be exactly what LabelBinarizer.fit leaves.
    from sklearn.preprocessing import LabelBinarizer

    from sknn_squiggle._classifier import _fitted_label_binarizer

    ours, theirs = vars(_fitted_label_binarizer(y)), vars(LabelBinarizer().fit(y))
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        if isinstance(value, np.ndarray):
            assert ours[key].dtype == value.dtype
            np.testing.assert_array_equal(ours[key], value)
        else:
            assert ours[key] == value


# ---------------------------------------------------------------------------
# A target with a single class, as scikit-learn's MLPClassifier fits it


def _single_class_fits(labels, method, params):
    """Ours and scikit-learn's classifier, fitted the same way on one class."""
    from sklearn.neural_network import MLPClassifier

    X = np.random.RandomState(0).randn(10, 2)
    y = np.full(10, labels[0], dtype=np.asarray(labels).dtype)
    kwargs = {"classes": labels} if method == "partial_fit" else {}
    fitted = []
    for Estimator in (SquiggleClassifier, MLPClassifier):
        est = Estimator(random_state=0, **params)
        fitted.append(getattr(est, method)(X, y, **kwargs))
    return X, y, fitted[0], fitted[1]


@pytest.mark.parametrize(
    "labels", [[1], np.array(["a"], dtype=object)], ids=["int", "str"]
)
@pytest.mark.parametrize(
    "method, params",
    [
        ("fit", dict(solver="lbfgs")),
        ("fit", dict(early_stopping=True, validation_fraction=0.2)),
        ("partial_fit", dict(solver="sgd")),
    ],
    ids=["lbfgs", "adam-early-stopping", "sgd-partial_fit"],
)
def test_single_class_target_fits_like_scikit_learn(labels, method, params):
    """scikit-learn (1.9) fits a one-class target: its LabelBinarizer turns
    every label into 0, so the network is a logistic output trained towards
    0; predict returns the one class, predict_proba the two columns
    [1 - p, p] of that sigmoid output (two columns for one class)."""
    X, y, ours, theirs = _single_class_fits(labels, method, params)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.n_outputs_ == theirs.n_outputs_ == 1
    assert ours.out_activation_ == theirs.out_activation_ == "logistic"
    assert ours.n_iter_ == theirs.n_iter_
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
    np.testing.assert_array_equal(ours.predict(X), y)
    proba = ours.predict_proba(X)
    assert proba.shape == theirs.predict_proba(X).shape == (10, 2)
    np.testing.assert_allclose(proba, theirs.predict_proba(X), rtol=0, atol=1e-8)
    np.testing.assert_allclose(
        ours.predict_log_proba(X), theirs.predict_log_proba(X), rtol=1e-6
    )
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-6)
    assert ours.score(X, y) == theirs.score(X, y) == 1.0
    if params.get("early_stopping"):
        assert ours.validation_scores_ == theirs.validation_scores_
