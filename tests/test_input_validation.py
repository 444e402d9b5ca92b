"""Bad input gets a clear error: ValueError or TypeError naming the problem.

Here: the data given to fit and predict (the validate stage), the
constructor parameters' types and ranges (``_parameter_constraints``) and
calls on an unfitted estimator. The errors of what a parameter means are
tested with the module that decodes it: hidden layer sizes, activation
lists, starting weights and trainable masks in test_settings.py, class
weights and partial_fit's classes in test_classifier.py, Poisson targets in
test_regressor.py, the validation set in test_training_validation.py,
partial_fit with early stopping in test_base.py.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import make_column_transformer
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(20, 3)
Y_REG = X[:, 0].copy()
Y_CLF = np.arange(20) % 2


def _with(array, index, value):
    array = np.array(array, dtype=float)
    array[index] = value
    return array


def _reg(**params):
    return SquiggleRegressor(max_iter=2, **params)


def _clf(**params):
    return SquiggleClassifier(max_iter=2, **params)


def _pandas_with_na():
    frame = pd.DataFrame(X, columns=list("abc")).astype("Float64")
    frame.iloc[0, 0] = pd.NA
    return frame


FIT_CASES = {
    "NaN in X": (lambda: _reg().fit(_with(X, (0, 0), np.nan), Y_REG), "NaN"),
    "inf in X": (lambda: _reg().fit(_with(X, (0, 0), np.inf), Y_REG), "infinity"),
    "NaN in y": (lambda: _reg().fit(X, _with(Y_REG, 0, np.nan)), "NaN"),
    "inf in y": (lambda: _reg().fit(X, _with(Y_REG, 0, np.inf)), "infinity"),
    "NaN in sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=_with(np.ones(20), 0, np.nan)),
        "sample_weight contains NaN",
    ),
    "inf in sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=_with(np.ones(20), 0, np.inf)),
        "sample_weight contains infinity",
    ),
    "negative sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=_with(np.ones(20), 0, -1)),
        "Negative values in data passed to `sample_weight`",
    ),
    "all-zero sample_weight": (
        lambda: _reg().fit(X, Y_REG, sample_weight=np.zeros(20)),
        "non-zero",
    ),
    "all-zero sample_weight in partial_fit": (
        lambda: _reg().partial_fit(X, Y_REG, sample_weight=np.zeros(20)),
        "non-zero",
    ),
    "empty X": (lambda: _reg().fit(np.empty((0, 3)), []), "0 sample"),
    "X and y of different lengths": (
        lambda: _reg().fit(X, Y_REG[:5]),
        "inconsistent numbers of samples",
    ),
    "sample_weight of another length": (
        lambda: _reg().fit(X, Y_REG, sample_weight=np.ones(5)),
        r"sample_weight.shape == \(5,\), expected \(20,\)",
    ),
    "3-D X": (lambda: _reg().fit(X.reshape(20, 3, 1), Y_REG), "dim 3"),
    "string X": (
        lambda: _reg().fit(np.full((20, 3), "a"), Y_REG),
        "could not convert string to float",
    ),
    "object X": (
        lambda: _reg().fit(np.array([[object()] * 3] * 20), Y_REG),
        "float",
    ),
    "complex X": (lambda: _reg().fit(X + 1j, Y_REG), "Complex data not supported"),
    "string y for the regressor": (
        lambda: _reg().fit(X, np.array(["a", "b"] * 10)),
        "could not convert string to float",
    ),
    "continuous y for the classifier": (
        lambda: _clf().fit(X, Y_REG),
        "Unknown label type: continuous",
    ),
    "pandas column holding pd.NA": (
        lambda: _reg().fit(_pandas_with_na(), Y_REG),
        "NaN",
    ),
    "sparse X holding NaN": (
        lambda: _reg().fit(sp.csr_matrix(_with(X, (0, 0), np.nan)), Y_REG),
        "NaN",
    ),
}


@pytest.mark.parametrize("case", list(FIT_CASES), ids=list(FIT_CASES))
def test_bad_fit_input_raises_a_clear_error(case):
    call, message = FIT_CASES[case]
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_predicting_before_fit_raises_not_fitted():
    for method in ("predict", "decompose"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(SquiggleRegressor(), method)(X)
    for method in ("predict", "predict_proba", "predict_log_proba"):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            getattr(SquiggleClassifier(), method)(X)


@pytest.fixture(scope="module")
def fitted():
    return _reg().fit(X, Y_REG), _clf().fit(X, Y_CLF)


def test_a_different_number_of_features_is_refused(fitted):
    regressor, classifier = fitted
    message = "X has 2 features, but .* is expecting 3 features"
    for call in (
        lambda: regressor.predict(X[:, :2]),
        lambda: classifier.predict_proba(X[:, :2]),
        lambda: regressor.partial_fit(X[:, :2], Y_REG),
        lambda: classifier.partial_fit(X[:, :2], Y_CLF),
    ):
        with pytest.raises(ValueError, match=message):
            call()


def test_nan_at_predict_is_refused(fitted):
    regressor, classifier = fitted
    with pytest.raises(ValueError, match="NaN"):
        regressor.predict(_with(X, (1, 1), np.nan))
    with pytest.raises(ValueError, match="NaN"):
        classifier.predict_proba(_with(X, (1, 1), np.nan))


# Each constructor parameter, given a value of the wrong type and one out of
# range: fit must refuse both with an error naming the parameter.
BAD_PARAMETERS = {
    "hidden_layer_sizes": ["abc", 0],
    "activation": ["foo", 3],
    "solver": ["newton", None],
    "alpha": [-1.0, "0.1"],
    "batch_size": [0, "big"],
    "learning_rate": ["fast", 1],
    "learning_rate_init": [0.0, "0.1"],
    "power_t": [-0.5, "half"],
    "max_iter": [0, 2.5],
    "shuffle": ["yes", 2],
    "random_state": ["seed", 1.5],
    "tol": [-1e-4, "small"],
    "verbose": ["loud", -1.5],
    "warm_start": ["no", 2],
    "momentum": [1.5, "high"],
    "nesterovs_momentum": ["yes", 3],
    "early_stopping": ["no", 4],
    "validation_fraction": [1.0, "tenth"],
    "beta_1": [1.0, "b"],
    "beta_2": [-0.1, "b"],
    "epsilon": [0.0, "tiny"],
    "n_iter_no_change": [0, "ten"],
    "max_fun": [0, 1.5],
    "coefs_init": ["zeros", 3],
    "intercepts_init": ["zeros", 3],
    "trainable": ["all", [True]],
    "n_init": [0, 1.5],
}


@pytest.mark.parametrize("Estimator", [SquiggleRegressor, SquiggleClassifier])
@pytest.mark.parametrize("name", list(BAD_PARAMETERS))
def test_every_parameter_refuses_bad_values(Estimator, name):
    y = Y_REG if Estimator is SquiggleRegressor else Y_CLF
    for value in BAD_PARAMETERS[name]:
        with pytest.raises((ValueError, TypeError), match=f"'{name}' parameter"):
            Estimator(**{name: value}).fit(X, y)


def test_estimator_specific_parameters_refuse_bad_values():
    with pytest.raises(ValueError, match="'loss' parameter"):
        SquiggleRegressor(loss="absolute_error").fit(X, Y_REG)
    with pytest.raises(ValueError, match="'class_weight' parameter"):
        SquiggleClassifier(class_weight="uniform").fit(X, Y_CLF)


N = 8
SMALL = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)


@pytest.fixture(autouse=True)
def quiet_convergence():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def raw_frame():
    """A penguin-like frame: strings, a category, a boolean and numbers."""
    return pd.DataFrame(
        {
            "island": pd.Series(["Torgersen", "Biscoe"] * (N // 2), dtype=object),
            "bill_length_mm": np.linspace(35.0, 50.0, N),
            "sex": pd.Series(["male", "female"] * (N // 2), dtype="string"),
            "colour": pd.Categorical(["red", "blue", "red", "red"] * (N // 4)),
            "ringed": [True, False] * (N // 2),
            "site": pd.Series(["a", "b"] * (N // 2), dtype="str"),
        }
    )


LABELS = np.array(["Adelie", "Gentoo"] * (N // 2), dtype=object)
VALUES = np.linspace(3000.0, 5000.0, N)
NON_NUMERIC = ["island", "sex", "colour", "site"]


def _listed(frame, names):
    return ", ".join(f"{name!r} ({frame[name].dtype})" for name in names)


def _expected_frame_message(estimator, frame, names):
    name = type(estimator).__name__
    tabular = "TabularSquiggleClassifier"
    if isinstance(estimator, SquiggleRegressor):
        tabular = "TabularSquiggleRegressor"
    several = len(names) > 1
    return (
        f"X has {len(names)} non-numeric column{'s' if several else ''}, which "
        f"{name} cannot take as numbers: {_listed(frame, names)}. Encode "
        f"{'them' if several else 'it'} first with a ColumnTransformer and a "
        "OneHotEncoder, e.g. make_pipeline(make_column_transformer("
        f"(OneHotEncoder(handle_unknown='ignore'), {names!r}), "
        f"remainder='passthrough'), {name}()), or use {tabular}, which takes "
        "raw frames (strings, categories and missing values)."
    )


# ----------------------------------------------------------------------
# Raw frames with strings


@pytest.mark.parametrize(
    "Estimator, y", [(SquiggleClassifier, LABELS), (SquiggleRegressor, VALUES)]
)
def test_fit_names_the_non_numeric_columns(Estimator, y):
    X = raw_frame()
    estimator = Estimator(**SMALL)
    with pytest.raises(ValueError) as info:
        estimator.fit(X, y)
    assert str(info.value) == _expected_frame_message(estimator, X, NON_NUMERIC)
    # numpy's own error stays in the chain.
    assert "could not convert string to float" in str(info.value.__cause__)


@pytest.mark.parametrize(
    "Estimator, y", [(SquiggleClassifier, LABELS), (SquiggleRegressor, VALUES)]
)
def test_the_suggested_pipeline_fits(Estimator, y):
    X = raw_frame()
    with pytest.raises(ValueError) as info:
        Estimator(**SMALL).fit(X, y)
    example = re.search(r"e\.g\. (make_pipeline\(.*\)\)), or use", str(info.value))
    pipe = eval(
        example.group(1),
        {
            "make_pipeline": make_pipeline,
            "make_column_transformer": make_column_transformer,
            "OneHotEncoder": OneHotEncoder,
            Estimator.__name__: Estimator,
        },
    )
    pipe[-1].set_params(**SMALL)
    assert pipe.fit(X, y).predict(X).shape == (N,)


def test_one_column_of_each_kind():
    X = raw_frame()
    for name in NON_NUMERIC:
        estimator = SquiggleClassifier(**SMALL)
        frame = X[["bill_length_mm", name]]
        with pytest.raises(ValueError) as info:
            estimator.fit(frame, LABELS)
        assert str(info.value) == _expected_frame_message(estimator, frame, [name])


def test_booleans_and_numeric_categories_are_numbers():
    X = pd.DataFrame(
        {
            "ringed": [True, False] * (N // 2),
            "size": pd.Categorical([1.0, 2.0] * (N // 2)),
            "count": pd.Series([1, 2] * (N // 2), dtype=object),
        }
    )
    clf = SquiggleClassifier(**SMALL).fit(X, LABELS)
    assert clf.predict(X).shape == (N,)


@pytest.mark.parametrize(
    "Estimator, y", [(SquiggleClassifier, LABELS), (SquiggleRegressor, VALUES)]
)
def test_predict_names_the_non_numeric_columns(Estimator, y):
    numeric = pd.DataFrame(
        {"island": np.arange(N) % 2, "bill_length_mm": np.linspace(35.0, 50.0, N)}
    )
    estimator = Estimator(**SMALL).fit(numeric, y)
    raw = numeric.assign(island=["Torgersen", "Biscoe"] * (N // 2))
    with pytest.raises(ValueError) as info:
        estimator.predict(raw)
    assert str(info.value) == _expected_frame_message(estimator, raw, ["island"])


# ----------------------------------------------------------------------
# Missing labels and values

MARKERS = {"nan": np.nan, "None": None, "pd.NA": pd.NA}


def _labels_with(marker, dtype, missing=(1, 5)):
    labels = list(LABELS)
    for i in missing:
        labels[i] = marker
    return pd.Series(labels, dtype=dtype)


def _expected_missing(estimator, count, what, mask):
    noun = what[:-1] if count == 1 else what
    needs = "a label" if what == "labels" else "a target value"
    return (
        f"y has {count} missing {noun} (NaN, None or pd.NA) in {N} samples: "
        f"{type(estimator).__name__} needs {needs} for every sample. Drop those "
        f"samples first, e.g. mask = {mask}; X, y = X[mask], y[mask]"
    )


def _fit(estimator, method, X, y, classes=None):
    if method == "fit":
        return estimator.fit(X, y)
    return estimator.partial_fit(
        X, y, **({} if classes is None else {"classes": classes})
    )


def _drop_as_told(message, X, y):
    """Run the message's recipe: ``mask = ...; X, y = X[mask], y[mask]``."""
    recipe = message.split("e.g. ", 1)[1]
    namespace = {"pd": pd, "np": np, "X": X, "y": y}
    exec(recipe, namespace)
    return namespace["X"], namespace["y"]


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("dtype", [object, "string", "category"])
@pytest.mark.parametrize("marker", list(MARKERS))
def test_missing_labels(marker, dtype, method):
    X = pd.DataFrame({"bill_length_mm": np.linspace(35.0, 50.0, N)})
    y = _labels_with(MARKERS[marker], dtype)
    clf = SquiggleClassifier(**SMALL)
    with pytest.raises(ValueError) as info:
        _fit(clf, method, X, y, classes=["Adelie", "Gentoo"])
    message = str(info.value)
    assert message == _expected_missing(clf, 2, "labels", "y.notna()")
    X, y = _drop_as_told(message, X, y)
    assert len(y) == N - 2
    _fit(clf, method, X, y.astype(object), classes=["Adelie", "Gentoo"])
    assert set(clf.classes_) == {"Adelie", "Gentoo"}


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("marker", list(MARKERS))
def test_missing_labels_in_arrays_and_lists(marker, method):
    X = np.linspace(0.0, 1.0, N).reshape(-1, 1)
    labels = list(LABELS)
    labels[3] = MARKERS[marker]
    clf = SquiggleClassifier(**SMALL)
    for y in (np.array(labels, dtype=object), labels):
        with pytest.raises(ValueError) as info:
            _fit(clf, method, X, y, classes=["Adelie", "Gentoo"])
        assert str(info.value) == _expected_missing(clf, 1, "labels", "~pd.isna(y)")
    kept_X, kept_y = _drop_as_told(str(info.value), X, np.array(labels, dtype=object))
    assert kept_y.shape == (N - 1,) and kept_X.shape == (N - 1, 1)


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_missing_numeric_labels(method):
    X = np.linspace(0.0, 1.0, N).reshape(-1, 1)
    clf = SquiggleClassifier(**SMALL)
    y = pd.Series([0, 1] * (N // 2), dtype="Int64")
    y[[0, 2, 4]] = pd.NA
    with pytest.raises(ValueError) as info:
        _fit(clf, method, X, y, classes=[0, 1])
    assert str(info.value) == _expected_missing(clf, 3, "labels", "y.notna()")
    floats = np.array([0.0, 1.0] * (N // 2))
    floats[7] = np.nan
    with pytest.raises(ValueError) as info:
        _fit(clf, method, X, floats, classes=[0.0, 1.0])
    assert str(info.value) == _expected_missing(clf, 1, "labels", "~pd.isna(y)")


@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize(
    "marker, dtype",
    [("nan", float), ("None", object), ("pd.NA", "Float64"), ("nan", object)],
)
def test_missing_values(marker, dtype, method):
    X = pd.DataFrame({"bill_length_mm": np.linspace(35.0, 50.0, N)})
    values = list(VALUES)
    for i in (0, 3, 6):
        values[i] = MARKERS[marker]
    y = pd.Series(values, dtype=dtype)
    reg = SquiggleRegressor(**SMALL)
    with pytest.raises(ValueError) as info:
        _fit(reg, method, X, y)
    message = str(info.value)
    assert message == _expected_missing(reg, 3, "values", "y.notna()")
    X, y = _drop_as_told(message, X, y)
    _fit(reg, method, X, y.astype(float))
    assert reg.n_features_in_ == 1


def test_missing_values_of_several_targets():
    X = np.linspace(0.0, 1.0, N).reshape(-1, 1)
    Y = np.c_[VALUES, VALUES[::-1]]
    Y[2, 0] = Y[2, 1] = Y[5, 1] = np.nan
    reg = SquiggleRegressor(**SMALL)
    with pytest.raises(ValueError) as info:
        reg.fit(X, Y)
    message = str(info.value)
    assert message == _expected_missing(reg, 3, "values", "~pd.isna(y).any(axis=1)")
    kept_X, kept_Y = _drop_as_told(message, X, Y)
    assert kept_Y.shape == (N - 2, 2)
    frame = pd.DataFrame(Y, columns=["a", "b"])
    with pytest.raises(ValueError) as info:
        reg.fit(X, frame)
    assert str(info.value) == _expected_missing(
        reg, 3, "values", "y.notna().all(axis=1)"
    )


# ----------------------------------------------------------------------
# A scoring that nothing reads


def _scoring_warnings(estimator, method="fit"):
    X = np.linspace(0.0, 1.0, N).reshape(-1, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        getattr(estimator, method)(X, VALUES)
    return [
        str(w.message)
        for w in caught
        if issubclass(w.category, UserWarning) and "scoring=" in str(w.message)
    ]


@pytest.mark.parametrize("scoring", ["loss", "r2"])
def test_scoring_without_early_stopping_warns_once(scoring):
    reg = SquiggleRegressor(scoring=scoring, n_init=3, **SMALL)
    assert _scoring_warnings(reg) == [
        f"scoring={scoring!r} is ignored: early_stopping=False, and scoring is the "
        "score early stopping reads on its validation split. Set "
        "early_stopping=True to stop on it, or leave scoring=None."
    ]
    # Once per call.
    assert len(_scoring_warnings(reg)) == 1


def test_scoring_with_lbfgs_warns():
    reg = SquiggleRegressor(
        solver="lbfgs", scoring="loss", early_stopping=True, **SMALL
    )
    assert _scoring_warnings(reg) == [
        "scoring='loss' is ignored: solver='lbfgs' has no early stopping (it "
        "trains on all the data), and scoring is the score early stopping reads "
        "on its validation split. Use solver='adam' or 'sgd' with "
        "early_stopping=True to stop on it, or leave scoring=None."
    ]


def test_scoring_with_partial_fit_warns():
    reg = SquiggleRegressor(solver="sgd", scoring="r2", **SMALL)
    assert _scoring_warnings(reg, "partial_fit") == [
        "scoring='r2' is ignored: partial_fit has no early stopping, and scoring "
        "is the score early stopping reads on its validation split. Use fit with "
        "early_stopping=True to stop on it, or leave scoring=None."
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"scoring": None},
        {"scoring": "loss", "early_stopping": True},
        {"scoring": "r2", "early_stopping": True, "solver": "sgd"},
    ],
    ids=["none", "adam-early", "sgd-early"],
)
def test_scoring_that_is_read_does_not_warn(params):
    reg = SquiggleRegressor(
        **{**SMALL, "max_iter": 5, "validation_fraction": 0.5, **params}
    )
    assert _scoring_warnings(reg) == []
