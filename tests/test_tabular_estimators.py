"""TabularSquiggleClassifier and TabularSquiggleRegressor: raw tables in,
scikit-learn's conventions out."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sknn_squiggle import TabularSquiggleClassifier, TabularSquiggleRegressor

SMALL = {"hidden_layer_sizes": (16, 16), "max_iter": 15, "random_state": 0}


def _frame(n=120, seed=0):
    """A table with every column kind and every missing marker."""
    rng = np.random.RandomState(seed)
    x = rng.normal(size=n)
    frame = pd.DataFrame(
        {
            "number": x,
            "count": pd.array(rng.randint(0, 5, n), dtype="Int64"),
            "flag": rng.rand(n) > 0.5,
            "maybe": pd.array(rng.rand(n) > 0.5, dtype="boolean"),
            "colour": rng.choice(["red", "green", "blue"], n),
            "city": pd.Series(rng.choice([f"c{i}" for i in range(12)], n)).astype(
                "category"
            ),
            "text": pd.Series(rng.choice(["a", "b"], n), dtype="string"),
            "mixed": rng.choice(np.array(["u", "v", "w"], dtype=object), n),
        }
    )
    frame.loc[::7, "number"] = np.nan
    frame.loc[1::9, "count"] = pd.NA
    frame.loc[2::11, "maybe"] = pd.NA
    frame.loc[3::13, "colour"] = None
    frame.loc[4::10, "text"] = pd.NA
    frame.loc[5::12, "mixed"] = np.nan
    return frame, x


def test_raw_frame_with_every_column_kind_and_missing_marker():
    X, x = _frame()
    y_class = np.where(
        np.nan_to_num(X["number"]) + (X["colour"] == "red") > 0.3, "yes", "no"
    )
    clf = TabularSquiggleClassifier(**SMALL).fit(X, y_class)
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2) and np.allclose(proba.sum(axis=1), 1)
    assert set(clf.predict(X)) <= {"no", "yes"}
    assert clf.feature_names_in_.tolist() == X.columns.tolist()
    assert clf.n_features_in_ == 8
    reg = TabularSquiggleRegressor(**SMALL).fit(X, 3 * x + 1)
    assert np.isfinite(reg.predict(X)).all()


def test_unseen_categories_and_missing_values_at_predict():
    X, x = _frame()
    reg = TabularSquiggleRegressor(**SMALL).fit(X, x)
    new = X.head(5).copy()
    new["colour"] = ["purple", None, "red", "teal", np.nan]
    new["city"] = pd.Categorical(["elsewhere"] * 5)
    new["number"] = np.nan
    assert np.isfinite(reg.predict(new)).all()


def test_numpy_arrays_work_too():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] - X[:, 1]
    reg = TabularSquiggleRegressor(**SMALL).fit(X, y)
    assert reg.predict(X).shape == (80,)
    assert not hasattr(reg, "feature_names_in_")


def test_columns_are_checked_at_predict():
    X, x = _frame()
    reg = TabularSquiggleRegressor(**SMALL).fit(X, x)
    with pytest.raises(ValueError, match="colour"):
        reg.predict(X.drop(columns="colour"))


def test_regression_predictions_are_clipped_to_the_training_range():
    X, x = _frame()
    y = 100 + 50 * x
    reg = TabularSquiggleRegressor(**SMALL).fit(X, y)
    extreme = X.head(3).copy()
    extreme["number"] = [1e6, -1e6, 0.0]
    pred = reg.predict(extreme)
    assert (pred >= y.min()).all() and (pred <= y.max()).all()
    # Targets are standardised for training: the scale is learned back.
    assert reg.target_mean_ == pytest.approx(y.mean())
    assert reg.target_scale_ == pytest.approx(y.std())


def test_label_smoothing_bounds_the_targets():
    X, x = _frame()
    y = np.where(x > 0, "up", "down")
    clf = TabularSquiggleClassifier(**SMALL, label_smoothing=0.2)
    Y = clf._validate_fit_data(X, y, None, False, reset=True)[1]
    # (1 - eps) onehot + eps / K, K = 2 classes (softmax for binary too).
    assert sorted(np.unique(Y).tolist()) == pytest.approx([0.1, 0.9])
    assert Y.shape == (120, 2)


def test_same_random_state_gives_identical_fits():
    X, x = _frame()
    y = np.where(x > 0, 1, 0)
    a = TabularSquiggleClassifier(**SMALL).fit(X, y)
    b = TabularSquiggleClassifier(**SMALL).fit(X, y)
    np.testing.assert_array_equal(a._params, b._params)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    c = TabularSquiggleClassifier(**{**SMALL, "random_state": 1}).fit(X, y)
    assert not np.array_equal(a._params, c._params)


def test_sample_weight_of_zero_removes_the_rows_influence_on_the_loss():
    X, x = _frame()
    y = np.where(x > 0, 1, 0)
    weights = np.ones(120)
    weights[:30] = 0
    clf = TabularSquiggleClassifier(**SMALL).fit(X, y, sample_weight=weights)
    assert np.isfinite(clf.loss_)
    with pytest.raises(ValueError, match="sample_weight"):
        TabularSquiggleClassifier(**SMALL).fit(X, y, sample_weight=-weights)


def test_class_weight_shifts_the_predictions_to_the_heavy_class():
    X, x = _frame()
    y = np.where(x > 0.8, "rare", "common")
    plain = TabularSquiggleClassifier(**SMALL).fit(X, y)
    heavy = TabularSquiggleClassifier(**SMALL, class_weight={"rare": 20.0}).fit(X, y)
    index = list(plain.classes_).index("rare")
    assert (
        heavy.predict_proba(X)[:, index].mean()
        > plain.predict_proba(X)[:, index].mean()
    )


def test_history_verbose_and_best_epoch(capsys):
    X, x = _frame()
    clf = TabularSquiggleClassifier(**SMALL, n_ensemble=1, verbose=True).fit(X, x > 0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(clf.history_) == clf.n_iter_ == 15
    assert lines[0].startswith("Iteration 1, loss = ")
    assert "Validation score" in lines[0]
    # The last of the best validation epochs is restored.
    scores = clf.validation_scores_
    assert clf.best_validation_score_ == max(scores)


def test_verbose_ensemble_heads_each_network(capsys):
    """With several networks each one's epochs follow a header line."""
    X, x = _frame()
    TabularSquiggleClassifier(**SMALL, n_ensemble=3, verbose=True).fit(X, x > 0)
    lines = capsys.readouterr().out.splitlines()
    headers = [i for i, line in enumerate(lines) if line.startswith("Network ")]
    assert [lines[i] for i in headers] == [
        "Network 2 of 3",
        "Network 3 of 3",
        "Network 1 of 3",
    ]
    # 15 epochs per network under each header.
    assert headers == [0, 16, 32] and len(lines) == 48


def test_pipelines_search_and_cross_validation():
    X, x = _frame()
    y = 2 * x
    pipe = make_pipeline(FunctionTransformer(), TabularSquiggleRegressor(**SMALL))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert np.isfinite(scores).all()
    search = GridSearchCV(
        TabularSquiggleRegressor(**SMALL), {"dropout": [0.0, 0.15]}, cv=2
    ).fit(X, y)
    assert search.best_params_["dropout"] in (0.0, 0.15)


def test_every_component_can_be_switched_off():
    X, x = _frame()
    off = dict(
        blend_activation=False,
        dropout=0.0,
        weight_decay=0.0,
        lr_schedule="constant",
        learning_rate_init=0.01,
        group_lr_factors=False,
        validation_fraction=None,
        ntk=False,
        scaling_layer=False,
        numeric_embedding=None,
        one_hot_max_levels=None,
        numeric_scaling="standard",
        smooth_clip=False,
        missing_indicators=False,
        regularisation_schedule="constant",
    )
    reg = TabularSquiggleRegressor(**SMALL, **off).fit(X, x)
    assert np.isfinite(reg.predict(X)).all()
    assert reg.validation_scores_ is None
    kinds = {type(layer).__name__ for layer in reg._layers()}
    assert kinds == {"Dense"}


def test_pickle_and_clone_round_trip():
    X, x = _frame()
    clf = TabularSquiggleClassifier(**SMALL).fit(X, x > 0)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))
    assert clone(clf).get_params() == clf.get_params()


def test_learns_a_signal_from_raw_columns():
    """A regression on a number and a category, fitted from the raw frame,
    beats predicting the mean by far on held-out rows."""
    rng = np.random.RandomState(0)
    n = 600
    X = pd.DataFrame(
        {"x": rng.uniform(-2, 2, n), "group": rng.choice(list("abcdefghijk"), n)}
    )
    effect = {g: i / 3 for i, g in enumerate("abcdefghijk")}
    y = np.sin(2 * X["x"]) + X["group"].map(effect) + 0.05 * rng.normal(size=n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = TabularSquiggleRegressor(max_iter=60, random_state=0).fit(
            X[:450], y[:450]
        )
    assert reg.score(X[450:], y[450:]) > 0.9


def _second_seed(random_state):
    """The seed of an ensemble's second network, drawn as documented."""
    return int(np.random.RandomState(random_state).randint(2**31, size=1)[0])


def test_an_ensemble_averages_the_probabilities_of_independent_fits():
    X, x = _frame()
    y = np.where(x > 0.5, "high", np.where(x < -0.5, "low", "mid"))
    ensemble = TabularSquiggleClassifier(**SMALL, n_ensemble=2).fit(X, y)
    first = TabularSquiggleClassifier(**SMALL, n_ensemble=1).fit(X, y)
    second = TabularSquiggleClassifier(
        **SMALL | {"random_state": _second_seed(0), "n_ensemble": 1}
    ).fit(X, y)
    # The first network is the fit of n_ensemble=1; the second is a fit of
    # its own, from the seed drawn from random_state.
    for ours, single in zip(ensemble.coefs_, first.coefs_):
        np.testing.assert_array_equal(ours, single)
    assert len(ensemble.ensemble_params_) == 1
    expected = (first.predict_proba(X) + second.predict_proba(X)) / 2
    np.testing.assert_allclose(ensemble.predict_proba(X), expected, rtol=1e-12)
    np.testing.assert_array_equal(
        ensemble.predict(X), ensemble.classes_[expected.argmax(axis=1)]
    )
    assert not np.allclose(first.predict_proba(X), second.predict_proba(X))


def test_an_ensemble_regressor_averages_the_predictions():
    X, x = _frame()
    params = dict(SMALL, validation_fraction=None, n_ensemble=1)
    ensemble = TabularSquiggleRegressor(**params | {"n_ensemble": 3}).fit(X, 5 * x)
    seeds = np.random.RandomState(0).randint(2**31, size=2)
    singles = [TabularSquiggleRegressor(**params).fit(X, 5 * x)] + [
        TabularSquiggleRegressor(**dict(params, random_state=int(s))).fit(X, 5 * x)
        for s in seeds
    ]
    X_inside = X[np.abs(x) < 1]  # far from the clipping at the training range
    expected = np.mean([s.predict(X_inside) for s in singles], axis=0)
    np.testing.assert_allclose(ensemble.predict(X_inside), expected, rtol=1e-12)
    assert len(ensemble.ensemble_params_) == 2


def test_a_single_network_has_no_other_members():
    X, x = _frame()
    clf = TabularSquiggleClassifier(**SMALL, n_ensemble=1).fit(X, x > 0)
    assert clf.ensemble_params_ == []
    assert clf.ensemble_temperatures_.shape == (0,)


def test_an_ensemble_survives_save_and_load(tmp_path):
    from sknn_squiggle import load, save

    X, x = _frame()
    clf = TabularSquiggleClassifier(**SMALL, n_ensemble=2).fit(X, x > 0)
    save(clf, tmp_path / "ensemble.skops")
    again = load(tmp_path / "ensemble.skops")
    np.testing.assert_array_equal(again.predict_proba(X), clf.predict_proba(X))


def test_scoring_warns_only_when_no_validation_split_reads_it():
    X, x = _frame()
    params = dict(SMALL, validation_fraction=None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TabularSquiggleRegressor(**params).fit(X, x)  # the default: silent
        TabularSquiggleRegressor(**SMALL, scoring="r2").fit(X, x)  # read: silent
    with pytest.warns(UserWarning, match=r"scoring='r2' is ignored: validation_"):
        TabularSquiggleRegressor(**params, scoring="r2").fit(X, x)


def test_a_named_scorer_reads_the_network_being_trained():
    """A scorer given by name scores the validation rows as the built-in
    score does: accuracy equals scoring=None's, epoch by epoch."""
    X, x = _frame()
    y = np.where(x > 0, "up", "down")
    by_name = TabularSquiggleClassifier(**SMALL, scoring="accuracy").fit(X, y)
    built_in = TabularSquiggleClassifier(**SMALL, scoring=None).fit(X, y)
    assert len(by_name.validation_scores_) == SMALL["max_iter"]
    assert by_name.validation_scores_ == built_in.validation_scores_


def test_a_callable_scorer_sees_what_predict_gives():
    """At the restored best epoch, the predictions a callable scorer was
    given for the validation rows are the fitted estimator's predictions for
    those rows of the raw table."""
    X, x = _frame()
    seen = []

    def scorer(estimator, X_val, y_val):
        y_pred = estimator.predict(X_val)
        seen.append((np.array(X_val), y_pred))
        return -float(np.mean((y_pred - y_val) ** 2))

    reg = TabularSquiggleRegressor(**SMALL, n_ensemble=1, scoring=scorer).fit(X, 5 * x)
    scores = np.array(reg.validation_scores_)
    best = len(scores) - 1 - int(np.argmax(scores[::-1]))  # the last of ties
    X_val, y_pred = seen[best]
    encoded = reg.encoder_.transform(X)
    rows = [int(np.flatnonzero((encoded == row).all(axis=1))[0]) for row in X_val]
    np.testing.assert_allclose(y_pred, reg.predict(X)[rows], rtol=1e-12)
