"""The estimators inside scikit-learn's machinery.

Pipelines, column transformers, the searches, cross-validation, calibration,
ensembles, target transforms, multi-output wrappers, inspection tools, clone,
nested parameters and metadata routing. Every fit is tiny; every test checks
a number that scikit-learn or a direct fit computes independently.
"""

import numpy as np
import pandas as pd
import pytest
import sklearn
from conftest import separable_classification
from scipy.stats import loguniform
from sklearn.base import clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import make_regression
from sklearn.ensemble import StackingRegressor, VotingClassifier
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.impute import SimpleImputer
from sklearn.inspection import partial_dependence, permutation_importance
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import (
    GridSearchCV,
    HalvingGridSearchCV,
    KFold,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
    cross_validate,
)
from sklearn.multioutput import MultiOutputRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

# ---------------------------------------------------------------------------
# Tiny data and tiny networks


def _regression(n=100, seed=0, n_targets=1):
    X, y = make_regression(
        n_samples=n,
        n_features=4,
        n_informative=2,
        n_targets=n_targets,
        noise=1.0,
        random_state=seed,
    )
    return X, y / np.std(y, axis=0)


def _clf(**params):
    kwargs = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=100, random_state=0)
    kwargs.update(params)
    return SquiggleClassifier(**kwargs)


def _reg(**params):
    kwargs = dict(hidden_layer_sizes=(5,), solver="lbfgs", max_iter=100, random_state=0)
    kwargs.update(params)
    return SquiggleRegressor(**kwargs)


def _same_params(a, b, rtol=1e-10, atol=1e-12):
    for p, q in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_, strict=True):
        np.testing.assert_allclose(p, q, rtol=rtol, atol=atol)


# ---------------------------------------------------------------------------
# Pipelines and column transformers


def _penguin_like_frame(n=90, seed=0):
    """Numbers with gaps and strings: what a ColumnTransformer is for."""
    rng = np.random.default_rng(seed)
    species = rng.choice(["adelie", "gentoo", "chinstrap"], size=n)
    offset = pd.Series(species).map({"adelie": -2.0, "gentoo": 0.0, "chinstrap": 2.0})
    frame = pd.DataFrame(
        {
            "bill": offset + rng.normal(scale=0.5, size=n),
            "mass": 4000 + 300 * offset + rng.normal(scale=100, size=n),
            "island": np.where(species == "gentoo", "biscoe", "dream"),
        }
    )
    frame.loc[::9, "bill"] = np.nan
    return frame, species


def _column_pipeline(**params):
    numbers = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    columns = ColumnTransformer(
        [
            ("numbers", numbers, ["bill", "mass"]),
            ("strings", OneHotEncoder(handle_unknown="ignore"), ["island"]),
        ]
    )
    return Pipeline([("columns", columns), ("squiggle", _clf(**params))])


def test_pipeline_with_column_transformer_on_mixed_frame():
    frame, species = _penguin_like_frame()
    pipe = _column_pipeline().fit(frame, species)
    squiggle = pipe.named_steps["squiggle"]
    # 2 scaled numbers + 2 one-hot island columns.
    assert squiggle.n_features_in_ == 4
    assert set(squiggle.classes_) == {"adelie", "chinstrap", "gentoo"}
    assert pipe.score(frame, species) > 0.9

    # The same as fitting the transformed matrix directly.
    Xt = clone(pipe.named_steps["columns"]).fit_transform(frame)
    direct = _clf().fit(Xt, species)
    np.testing.assert_array_equal(pipe.predict(frame), direct.predict(Xt))
    np.testing.assert_allclose(pipe.predict_proba(frame), direct.predict_proba(Xt))


def test_clone_and_nested_set_params():
    X, y = separable_classification()
    pipe = Pipeline([("scale", StandardScaler()), ("squiggle", _clf())])
    pipe.set_params(squiggle__hidden_layer_sizes=(3, 2), squiggle__alpha=0.5)
    assert pipe.named_steps["squiggle"].hidden_layer_sizes == (3, 2)
    assert pipe.get_params()["squiggle__alpha"] == 0.5

    fitted = clone(pipe).fit(X, y)
    shapes = [c.shape for c in fitted.named_steps["squiggle"].coefs_]
    assert shapes == [(4, 3), (3, 2), (2, 1)]
    # The original was not fitted by fitting its clone.
    assert not hasattr(pipe.named_steps["squiggle"], "coefs_")

    # A clone of a fitted estimator has the same parameters and no fit.
    twin = clone(fitted.named_steps["squiggle"])
    assert twin.get_params() == fitted.named_steps["squiggle"].get_params()
    assert not hasattr(twin, "coefs_")
    # ... and refits to exactly the same network (every fit reseeds).
    _same_params(twin.fit(StandardScaler().fit_transform(X), y), fitted[-1])


# ---------------------------------------------------------------------------
# Searches and cross-validation


def test_grid_search_matches_cross_val_score():
    X, y = separable_classification()
    grid = {"hidden_layer_sizes": [(2,), (6,)], "alpha": [1e-4, 1.0]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    search = GridSearchCV(_clf(max_iter=60), grid, cv=cv).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_ in search.cv_results_["params"]
    assert search.best_score_ > 0.8
    # Each candidate's mean score is what cross_val_score gives it.
    for params, mean in zip(
        search.cv_results_["params"], search.cv_results_["mean_test_score"]
    ):
        expected = cross_val_score(_clf(max_iter=60, **params), X, y, cv=cv).mean()
        assert mean == pytest.approx(expected, abs=1e-12)
    # The refitted model is a fit on all the data with the best parameters.
    _same_params(
        search.best_estimator_, _clf(max_iter=60, **search.best_params_).fit(X, y)
    )


def test_grid_search_in_pipeline_over_nested_parameters():
    X, y = separable_classification()
    pipe = Pipeline([("scale", StandardScaler()), ("squiggle", _clf(max_iter=50))])
    search = GridSearchCV(
        pipe, {"squiggle__hidden_layer_sizes": [(2,), (4, 3)]}, cv=3
    ).fit(X, y)
    best = search.best_params_["squiggle__hidden_layer_sizes"]
    assert best in [(2,), (4, 3)]
    assert search.best_estimator_.named_steps["squiggle"].hidden_layer_sizes == best
    assert search.best_estimator_.named_steps["squiggle"].n_layers_ == len(best) + 2
    assert search.score(X, y) > 0.8


def test_randomized_search_over_alpha():
    X, y = _regression()
    search = RandomizedSearchCV(
        _reg(max_iter=60),
        {"alpha": loguniform(1e-4, 1e1), "hidden_layer_sizes": [(3,), (6,)]},
        n_iter=3,
        cv=3,
        random_state=0,
    ).fit(X, y)
    alphas = [p["alpha"] for p in search.cv_results_["params"]]
    assert len(alphas) == 3 and all(1e-4 <= a <= 10 for a in alphas)
    assert search.best_estimator_.alpha == search.best_params_["alpha"]
    assert search.best_score_ > 0.8
    assert search.best_score_ == max(search.cv_results_["mean_test_score"])


def test_halving_grid_search():
    X, y = separable_classification(n=160)
    search = HalvingGridSearchCV(
        _clf(max_iter=40),
        {"hidden_layer_sizes": [(1,), (2,), (4,), (8,)]},
        factor=2,
        min_resources=40,
        cv=3,
        random_state=0,
    ).fit(X, y)
    # Iterations use 40, 80, 160 samples with 4, 2, 1 candidates.
    assert list(search.n_resources_) == [40, 80, 160]
    assert list(search.n_candidates_) == [4, 2, 1]
    assert search.best_params_["hidden_layer_sizes"] in [(1,), (2,), (4,), (8,)]
    assert search.best_estimator_.score(X, y) > 0.8


def test_cross_validate_scores_equal_direct_fits():
    X, y = _regression()
    cv = KFold(3, shuffle=True, random_state=1)
    result = cross_validate(
        _reg(max_iter=80),
        X,
        y,
        cv=cv,
        scoring=["r2", "neg_mean_squared_error"],
        return_estimator=True,
        return_train_score=True,
    )
    assert len(result["estimator"]) == 3
    for k, (train, test) in enumerate(cv.split(X)):
        direct = _reg(max_iter=80).fit(X[train], y[train])
        pred = direct.predict(X[test])
        assert result["test_r2"][k] == pytest.approx(r2_score(y[test], pred))
        mse = np.mean((y[test] - pred) ** 2)
        assert -result["test_neg_mean_squared_error"][k] == pytest.approx(mse)
        _same_params(result["estimator"][k], direct)
    assert result["test_r2"].mean() > 0.8
    assert np.all(result["train_r2"] > 0.8)


# ---------------------------------------------------------------------------
# Calibration and ensembles


def test_calibrated_classifier():
    X, y = separable_classification(n=150)
    calibrated = CalibratedClassifierCV(_clf(max_iter=50), cv=3, method="sigmoid")
    calibrated.fit(X, y)
    assert len(calibrated.calibrated_classifiers_) == 3
    proba = calibrated.predict_proba(X)
    assert proba.shape == (150, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all((proba > 0) & (proba < 1))
    assert accuracy_score(y, calibrated.predict(X)) > 0.85
    # Each fold's network is a SquiggleClassifier fitted on that fold.
    assert all(
        isinstance(c.estimator, SquiggleClassifier)
        for c in calibrated.calibrated_classifiers_
    )


def test_soft_voting_averages_probabilities():
    X, y = separable_classification()
    voting = VotingClassifier(
        [
            ("small", _clf(hidden_layer_sizes=(2,))),
            ("tanh", _clf(activation="tanh", random_state=1)),
            ("linear", LogisticRegression()),
        ],
        voting="soft",
    ).fit(X, y)
    members = [
        _clf(hidden_layer_sizes=(2,)).fit(X, y),
        _clf(activation="tanh", random_state=1).fit(X, y),
        LogisticRegression().fit(X, y),
    ]
    expected = np.mean([m.predict_proba(X) for m in members], axis=0)
    np.testing.assert_allclose(voting.predict_proba(X), expected, rtol=1e-10)
    np.testing.assert_array_equal(voting.predict(X), expected.argmax(axis=1))
    assert voting.score(X, y) > 0.85


def test_stacking_regressor():
    X, y = _regression()
    stack = StackingRegressor(
        [("squiggle", _reg(max_iter=80)), ("ridge", Ridge())],
        final_estimator=Ridge(alpha=1e-3),
        cv=3,
    ).fit(X, y)
    assert stack.score(X, y) > 0.9
    # The final estimator combines the two base predictions.
    base = np.column_stack([e.predict(X) for e in stack.estimators_])
    expected = stack.final_estimator_.predict(base)
    np.testing.assert_allclose(stack.predict(X), expected, rtol=1e-10)
    _same_params(stack.estimators_[0], _reg(max_iter=80).fit(X, y))


def test_transformed_target_regressor():
    X, y = _regression()
    y_big = 1e4 + 3e3 * y  # a target far from the network's natural scale
    model = TransformedTargetRegressor(_reg(), transformer=StandardScaler()).fit(
        X, y_big
    )
    assert model.score(X, y_big) > 0.9
    # Equivalent to fitting the standardised target and undoing the scaling.
    mean, std = y_big.mean(), y_big.std()
    direct = _reg().fit(X, (y_big - mean) / std)
    np.testing.assert_allclose(model.predict(X), direct.predict(X) * std + mean)


def test_multi_output_regressor_fits_one_network_per_target():
    X, Y = _regression(n_targets=2)
    model = MultiOutputRegressor(_reg(max_iter=80)).fit(X, Y)
    assert len(model.estimators_) == 2
    pred = model.predict(X)
    assert pred.shape == (100, 2)
    for k in range(2):
        direct = _reg(max_iter=80).fit(X, Y[:, k])
        np.testing.assert_allclose(pred[:, k], direct.predict(X))
        assert r2_score(Y[:, k], pred[:, k]) > 0.8


# ---------------------------------------------------------------------------
# Inspection


def test_permutation_importance_finds_the_informative_feature():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = np.sin(2 * X[:, 1])  # only feature 1 matters
    reg = _reg(hidden_layer_sizes=(8,), max_iter=150).fit(X, y)
    result = permutation_importance(reg, X, y, n_repeats=3, random_state=0)
    assert result.importances.shape == (3, 3)
    assert np.argmax(result.importances_mean) == 1
    assert result.importances_mean[1] > 0.5
    assert np.all(np.abs(result.importances_mean[[0, 2]]) < 0.1)


def test_partial_dependence_display_is_the_average_prediction():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.inspection import PartialDependenceDisplay

    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(80, 2))
    y = X[:, 0] ** 2 + 0.5 * X[:, 1]
    reg = _reg(hidden_layer_sizes=(8,), activation="tanh", max_iter=200).fit(X, y)
    display = PartialDependenceDisplay.from_estimator(
        reg, X, features=[0, 1], grid_resolution=7, kind="average"
    )
    try:
        assert display.axes_.shape == (1, 2)
        assert len(display.lines_.ravel()) == 2
        grid = display.pd_results[0]["grid_values"][0]
        average = display.pd_results[0]["average"][0]
        # By definition: the mean prediction with feature 0 set to each grid value.
        expected = []
        for value in grid:
            X_set = X.copy()
            X_set[:, 0] = value
            expected.append(reg.predict(X_set).mean())
        np.testing.assert_allclose(average, expected, rtol=1e-10)
        # The network learned the parabola: high at the ends, low in the middle.
        assert average[0] > average[3] + 1 and average[-1] > average[3] + 1
        # ... and the straight line in feature 1.
        slope = partial_dependence(reg, X, [1], grid_resolution=5)["average"][0]
        assert np.all(np.diff(slope) > 0)
    finally:
        plt.close("all")


# ---------------------------------------------------------------------------
# Sample weights: the old way and metadata routing


def _integer_weights(n, seed=0):
    return np.random.default_rng(seed).integers(0, 4, size=n)


def test_pipeline_step_sample_weight_equals_duplicated_rows():
    X, y = separable_classification()
    w = _integer_weights(len(y))
    pipe = Pipeline([("scale", StandardScaler()), ("squiggle", _clf(max_iter=30))])
    pipe.fit(X, y, squiggle__sample_weight=w)
    # The scaler saw every row once; the network saw row i w_i times.
    Xs = StandardScaler().fit_transform(X)
    duplicated = _clf(max_iter=30).fit(np.repeat(Xs, w, axis=0), np.repeat(y, w))
    _same_params(pipe.named_steps["squiggle"], duplicated, rtol=1e-6, atol=1e-9)


def test_metadata_routing_needs_a_request():
    X, y = separable_classification()
    w = _integer_weights(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        pipe = Pipeline([("scale", StandardScaler()), ("squiggle", _clf())])
        with pytest.raises(UnsetMetadataPassedError, match="sample_weight"):
            pipe.fit(X, y, sample_weight=w)


def test_metadata_routing_through_pipeline():
    X, y = separable_classification()
    w = _integer_weights(len(y))
    Xs = StandardScaler().fit_transform(X)
    with sklearn.config_context(enable_metadata_routing=True):
        squiggle = _clf(max_iter=30).set_fit_request(sample_weight=True)
        pipe = Pipeline(
            [
                ("scale", StandardScaler().set_fit_request(sample_weight=False)),
                ("squiggle", squiggle),
            ]
        )
        pipe.fit(X, y, sample_weight=w)
    duplicated = _clf(max_iter=30).fit(np.repeat(Xs, w, axis=0), np.repeat(y, w))
    unweighted = _clf(max_iter=30).fit(Xs, y)
    fitted = pipe.named_steps["squiggle"]
    _same_params(fitted, duplicated, rtol=1e-6, atol=1e-9)
    assert not np.allclose(fitted.coefs_[0], unweighted.coefs_[0])


def test_metadata_routing_through_grid_search():
    X, y = separable_classification()
    w = _integer_weights(len(y), seed=1)
    grid = {"hidden_layer_sizes": [(2,), (4,)]}
    cv = KFold(3, shuffle=True, random_state=0)
    with sklearn.config_context(enable_metadata_routing=True):
        # Weighted fits, unweighted scores.
        estimator = (
            _clf(max_iter=30)
            .set_fit_request(sample_weight=True)
            .set_score_request(sample_weight=False)
        )
        weighted = GridSearchCV(estimator, grid, cv=cv).fit(X, y, sample_weight=w)
        unweighted = GridSearchCV(estimator, grid, cv=cv).fit(X, y)

    # The weights reached every fit: the scores differ from unweighted ones ...
    assert not np.allclose(
        weighted.cv_results_["split0_test_score"],
        unweighted.cv_results_["split0_test_score"],
    ) or not np.allclose(
        weighted.cv_results_["split1_test_score"],
        unweighted.cv_results_["split1_test_score"],
    )
    # ... and each split's score is that of a fit on its duplicated rows (the
    # scorer is unweighted: accuracy on the plain test rows).
    train, test = next(cv.split(X))
    for k, params in enumerate(weighted.cv_results_["params"]):
        fold = _clf(max_iter=30, **params).fit(
            np.repeat(X[train], w[train], axis=0), np.repeat(y[train], w[train])
        )
        assert weighted.cv_results_["split0_test_score"][k] == pytest.approx(
            fold.score(X[test], y[test])
        )
    # The refit on all rows used the weights too.
    best = _clf(max_iter=30, **weighted.best_params_).fit(
        np.repeat(X, w, axis=0), np.repeat(y, w)
    )
    _same_params(weighted.best_estimator_, best, rtol=1e-6, atol=1e-9)
