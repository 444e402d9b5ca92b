"""pandas in, pandas-shaped answers out.

DataFrames keep their column names (``feature_names_in_``) and are checked
against them at prediction time exactly as scikit-learn checks them; Series,
categorical, string and boolean targets come back from ``predict`` as labels of
the same kind. (``history_`` as a one-row-per-epoch DataFrame:
test_training_monitor.py.)

Expected values come from the data themselves (the labels we passed in) or
from scikit-learn (its MLPClassifier, its validation messages).
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import DataConversionWarning
from sklearn.neural_network import MLPClassifier

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

COLUMNS = ["bill", "flipper", "mass"]


def _frame(n=80, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.normal(size=(n, 3)), columns=COLUMNS)


def _side(X):
    """A linearly separable boolean target: an easy problem for any network."""
    return (X["bill"] + X["flipper"]) > 0


def _three_way(X):
    return np.select([X["bill"] > 0.5, X["bill"] < -0.5], ["high", "low"], "mid")


def _clf(**params):
    kwargs = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0)
    kwargs.update(params)
    return SquiggleClassifier(**kwargs)


def _reg(**params):
    kwargs = dict(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=200, random_state=0)
    kwargs.update(params)
    return SquiggleRegressor(**kwargs)


# ---------------------------------------------------------------------------
# Feature names


@pytest.mark.parametrize("make", [_clf, _reg])
def test_dataframe_input_keeps_feature_names(make):
    X = _frame()
    y = _side(X) if make is _clf else X["bill"] - X["mass"]
    est = make().fit(X, y)
    assert est.n_features_in_ == 3
    assert isinstance(est.feature_names_in_, np.ndarray)
    assert est.feature_names_in_.dtype == object
    assert list(est.feature_names_in_) == COLUMNS


def test_numpy_input_has_no_feature_names():
    X = _frame()
    est = _reg().fit(X.to_numpy(), X["bill"].to_numpy())
    assert est.n_features_in_ == 3
    assert not hasattr(est, "feature_names_in_")


@pytest.mark.parametrize("make", [_clf, _reg])
def test_predict_on_dataframe_equals_predict_on_its_values(make):
    X = _frame()
    y = _side(X) if make is _clf else X["bill"] - X["mass"]
    est = make().fit(X, y)
    X_new = _frame(n=20, seed=1)
    with warnings.catch_warnings():
        # A DataFrame with the fitted columns must not warn about names.
        warnings.simplefilter("error", UserWarning)
        from_frame = est.predict(X_new)
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        from_array = est.predict(X_new.to_numpy())
    np.testing.assert_array_equal(from_frame, from_array)
    if make is _clf:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            proba = est.predict_proba(X_new)
        assert proba.shape == (20, 2)


@pytest.mark.parametrize(
    "columns, message",
    [
        (["mass", "flipper", "bill"], "must be in the same order"),
        (["bill", "flipper"], "seen at fit time, yet now missing:\n- mass"),
        (["bill", "flipper", "weight"], "unseen at fit time:\n- weight"),
    ],
    ids=["reordered", "missing", "renamed"],
)
@pytest.mark.parametrize("method", ["predict", "score"])
def test_wrong_columns_raise_like_scikit_learn(columns, message, method):
    X = _frame()
    est = _reg().fit(X, X["bill"])
    X_bad = X.rename(columns={"mass": "weight"}) if "weight" in columns else X
    X_bad = X_bad[columns]
    with pytest.raises(ValueError, match="feature names should match") as ours:
        getattr(est, method)(*([X_bad] if method == "predict" else [X_bad, X.bill]))
    assert message in str(ours.value)

    # scikit-learn's MLP says the same thing, word for word (but its name).
    mlp = MLPClassifier(hidden_layer_sizes=(2,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlp.fit(X, _side(X))
    with pytest.raises(ValueError) as theirs:
        mlp.predict(X_bad)
    assert str(ours.value) == str(theirs.value)


def test_fitted_without_names_warns_on_dataframe():
    X = _frame()
    est = _reg().fit(X.to_numpy(), X["bill"].to_numpy())
    message = "X has feature names, but SquiggleRegressor was fitted without"
    with pytest.warns(UserWarning, match=re.escape(message)):
        est.predict(X)


def test_refit_on_other_columns_resets_names():
    X = _frame()
    est = _reg().fit(X, X["bill"])
    other = X.rename(columns=str.upper)
    est.fit(other, X["bill"])
    assert list(est.feature_names_in_) == [c.upper() for c in COLUMNS]
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(X)


def test_non_string_column_names_are_not_kept():
    # scikit-learn keeps names only when all of them are strings.
    X = _frame()
    X.columns = [0, 1, 2]
    est = _reg().fit(X, X[0])
    assert not hasattr(est, "feature_names_in_")


# ---------------------------------------------------------------------------
# Classification targets: what goes in comes out


def _labels_of_kind(X, kind):
    side = _side(X)
    if kind == "int":
        return side.astype(int) * 10 + 3  # labels 3 and 13
    if kind == "bool":
        return side
    if kind == "object strings":
        return pd.Series(np.where(side, "gentoo", "adelie"), dtype=object)
    if kind == "str dtype":
        return pd.Series(np.where(side, "gentoo", "adelie")).astype("str")
    if kind == "string dtype":
        return pd.Series(np.where(side, "gentoo", "adelie"), dtype="string")
    if kind == "categorical":
        return pd.Series(
            pd.Categorical(
                np.where(side, "gentoo", "adelie"),
                categories=["adelie", "chinstrap", "gentoo"],
            )
        )
    if kind == "multiclass strings":
        return pd.Series(_three_way(X), dtype="str")
    if kind == "multiclass categorical":
        return pd.Series(pd.Categorical(_three_way(X)))
    raise AssertionError(kind)


def _values(y):
    """The labels as plain Python values, for comparison."""
    if isinstance(y.dtype, pd.CategoricalDtype):
        y = y.astype(y.cat.categories.dtype)
    return [v.item() if hasattr(v, "item") else v for v in y.tolist()]


KINDS = [
    "int",
    "bool",
    "object strings",
    "str dtype",
    "string dtype",
    "categorical",
    "multiclass strings",
    "multiclass categorical",
]


@pytest.mark.parametrize("kind", KINDS)
def test_series_targets_come_back_as_the_same_labels(kind):
    X = _frame(n=120)
    y = _labels_of_kind(X, kind)
    clf = _clf().fit(X, y)
    pred = clf.predict(X)

    # classes_: the distinct labels that occur, sorted, as values of y's kind
    # (categories that never occur are not classes).
    expected_classes = sorted(set(_values(y)))
    assert _values(pd.Series(clf.classes_)) == expected_classes
    assert pred.shape == (len(y),)
    assert set(_values(pd.Series(pred))) <= set(expected_classes)

    if kind == "bool":
        assert pred.dtype == bool
    elif kind == "int":
        assert np.issubdtype(pred.dtype, np.integer)
    else:
        assert all(isinstance(v, str) for v in pred)

    # The labels are the right ones, not just the right kind.
    accuracy = np.mean(np.asarray(_values(pd.Series(pred))) == np.asarray(_values(y)))
    assert accuracy > 0.9
    assert clf.score(X, y) == pytest.approx(accuracy)


@pytest.mark.parametrize("kind", KINDS)
def test_classes_match_mlpclassifier(kind):
    X = _frame(n=60)
    y = _labels_of_kind(X, kind)
    ours = _clf(max_iter=5).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPClassifier(hidden_layer_sizes=(2,), max_iter=5).fit(X, y)
    np.testing.assert_array_equal(ours.classes_, theirs.classes_)
    assert ours.classes_.dtype == theirs.classes_.dtype
    assert ours.predict(X).dtype == theirs.predict(X).dtype


def test_nullable_boolean_target_comes_back_boolean():
    X = _frame()
    y = _side(X).astype("boolean")
    clf = _clf().fit(X, y)
    assert clf.classes_.dtype == bool
    assert clf.predict(X).dtype == bool


def test_nullable_boolean_target_predicts_the_right_truth_values():
    X = _frame()
    y = _side(X).astype("boolean")
    clf = _clf().fit(X, y)
    pred = clf.predict(X)
    # Whatever the dtype, the predictions equal the truth values.
    assert np.mean(pred == y.to_numpy(dtype=bool)) > 0.9


def test_class_weight_dict_with_string_labels():
    X = _frame(n=120)
    y = _labels_of_kind(X, "str dtype")
    # A huge weight on one class makes the network predict it almost everywhere.
    clf = _clf(class_weight={"gentoo": 1000.0, "adelie": 1.0}, alpha=10.0).fit(X, y)
    plain = _clf(alpha=10.0).fit(X, y)
    share = np.mean(clf.predict(X) == "gentoo")
    assert share > np.mean(plain.predict(X) == "gentoo")
    assert share > 0.6


def test_multilabel_dataframe_target():
    X = _frame(n=120)
    Y = pd.DataFrame({"left": _side(X).astype(int), "big": (X["mass"] > 0).astype(int)})
    clf = _clf().fit(X, Y)
    pred = clf.predict(X)
    assert pred.shape == (120, 2)
    assert np.mean(pred == Y.to_numpy()) > 0.9
    assert clf.predict_proba(X).shape == (120, 2)


# ---------------------------------------------------------------------------
# Regression targets


def test_regressor_with_series_target():
    X = _frame()
    y = pd.Series(X["bill"] - 0.5 * X["mass"], name="target")
    reg = _reg().fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (len(y),)
    assert reg.n_outputs_ == 1
    assert reg.score(X, y) > 0.95


def test_regressor_with_dataframe_target_is_multi_output():
    X = _frame()
    Y = pd.DataFrame({"sum": X["bill"] + X["flipper"], "diff": X["bill"] - X["mass"]})
    reg = _reg().fit(X, Y)
    pred = reg.predict(X)
    assert pred.shape == (len(Y), 2)
    assert reg.n_outputs_ == 2
    # Column k of the prediction belongs to column k of the target.
    for k, name in enumerate(Y.columns):
        residual = Y[name].to_numpy() - pred[:, k]
        assert np.sqrt(np.mean(residual**2)) < 0.2 * Y[name].std()


def test_regressor_with_single_column_dataframe_target():
    X = _frame()
    Y = X[["bill"]]
    # Like MLPRegressor: a column vector is flattened, with a warning.
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        reg = _reg().fit(X, Y)
    # One column in, one output: the same as fitting the Series.
    np.testing.assert_allclose(reg.predict(X), _reg().fit(X, X["bill"]).predict(X))


def test_float32_dataframe_trains_in_float32():
    X = _frame().astype(np.float32)
    reg = _reg().fit(X, X["bill"])
    assert reg.coefs_[0].dtype == np.float32
    assert reg.predict(X).dtype == np.float32


def test_mixed_integer_and_float_columns():
    X = _frame()
    X["count"] = np.arange(len(X)) % 4  # an int64 column
    reg = _reg().fit(X, X["bill"])
    assert reg.n_features_in_ == 4
    assert reg.coefs_[0].shape == (4, 8)
    assert reg.score(X, X["bill"]) > 0.9
