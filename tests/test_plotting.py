"""SquiggleDisplay, LossLandscapeDisplay and the gallery examples.

Expected curves are written out by hand in numpy from the fitted weights, or
come from the lesson and from the estimators' predict/predict_proba.
"""

import runpy
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BP, DOSAGE, EFFECTIVE, LESSON, lesson_network, softplus
from scipy.special import logit
from sklearn.compose import ColumnTransformer
from sklearn.datasets import make_classification, make_moons
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle.plotting import LossLandscapeDisplay, SquiggleDisplay

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("plot_*.py"))

BP0 = {**BP, "b3": 0.0}  # part two of the lesson starts at b3 = 0


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _fit_quietly(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y)


# ----------------------------------------------------------------------
# SquiggleDisplay


def test_squiggle_display_draws_the_lessons_curves():
    reg = lesson_network(**LESSON)
    grid = np.linspace(0, 1, 51)
    disp = SquiggleDisplay.from_estimator(reg, DOSAGE, EFFECTIVE, grid=grid)
    w = LESSON
    blue = w["w3"] * softplus(w["w1"] * grid + w["b1"])
    orange = w["w4"] * softplus(w["w2"] * grid + w["b2"])
    np.testing.assert_allclose(disp.contributions[:, 0], blue, rtol=1e-12)
    np.testing.assert_allclose(disp.contributions[:, 1], orange, rtol=1e-12)
    np.testing.assert_allclose(disp.squiggle, blue + orange + w["b3"], rtol=1e-12)
    assert disp.intercept == w["b3"]
    np.testing.assert_array_equal(disp.weights, [w["w3"], w["w4"]])

    # Two unit curves then the squiggle, drawn as computed.
    assert len(disp.lines_) == 3
    assert disp.lines_[-1] is disp.squiggle_line_
    np.testing.assert_array_equal(disp.squiggle_line_.get_xdata(), grid)
    np.testing.assert_array_equal(disp.squiggle_line_.get_ydata(), disp.squiggle)
    np.testing.assert_array_equal(
        disp.scatter_.get_offsets(), np.c_[DOSAGE[:, 0], EFFECTIVE]
    )
    assert disp.ax_.get_xlabel() == "feature 0"
    assert disp.ax_.get_ylabel() == "prediction"
    labels = [t.get_text() for t in disp.ax_.get_legend().get_texts()]
    assert labels == [
        "unit 0 × -1.3",
        "unit 1 × 2.28",
        "squiggle = sum − 0.58",
        "training points",
    ]
    assert disp.figure_ is disp.ax_.figure


def test_squiggle_display_default_grid_and_no_data():
    reg = lesson_network(**LESSON)
    disp = SquiggleDisplay.from_estimator(
        reg, DOSAGE, grid_resolution=11, show_contributions=False
    )
    np.testing.assert_allclose(disp.grid_values, np.linspace(0, 1, 11))
    np.testing.assert_allclose(disp.squiggle, reg.predict(disp.grid_values[:, None]))
    assert disp.lines_ == [disp.squiggle_line_]
    assert disp.scatter_ is None


def test_squiggle_display_on_a_given_axes_with_style_aliases():
    reg = lesson_network(**LESSON)
    fig, ax = plt.subplots()
    disp = SquiggleDisplay.from_estimator(
        reg, DOSAGE, ax=ax, squiggle_kwargs={"c": "red", "lw": 1, "label": "mine"}
    )
    assert disp.ax_ is ax
    assert disp.squiggle_line_.get_color() == "red"
    assert disp.squiggle_line_.get_linewidth() == 1
    assert disp.squiggle_line_.get_label() == "mine"


def test_squiggle_display_holds_the_other_features_fixed():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    y = X[:, 0] - X[:, 1] ** 2
    reg = _fit_quietly(
        SquiggleRegressor(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0),
        X,
        y,
    )
    for fixed, point in (
        ("median", np.median(X, axis=0)),
        ("mean", X.mean(axis=0)),
        ([0.3, -1.0, 2.0], np.array([0.3, -1.0, 2.0])),
    ):
        disp = SquiggleDisplay.from_estimator(
            reg, X, y, feature=1, fixed=fixed, grid_resolution=7
        )
        X_grid = np.tile(point, (7, 1))
        X_grid[:, 1] = np.linspace(X[:, 1].min(), X[:, 1].max(), 7)
        np.testing.assert_allclose(disp.squiggle, reg.predict(X_grid), rtol=1e-12)
        assert disp.contributions.shape == (7, 5)
        np.testing.assert_array_equal(disp.data_x, X[:, 1])
        np.testing.assert_array_equal(disp.data_y, y)


def test_squiggle_display_feature_by_name():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    X = pd.DataFrame(rng.normal(size=(30, 2)), columns=["dose", "age"])
    y = X["dose"].to_numpy() ** 2
    reg = _fit_quietly(
        SquiggleRegressor(hidden_layer_sizes=(3,), solver="lbfgs", random_state=0),
        X,
        y,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "X does not have valid feature names"
        disp = SquiggleDisplay.from_estimator(reg, X, y, feature="age")
    assert disp.ax_.get_xlabel() == "age"
    with pytest.raises(ValueError, match="'weight' is not one of"):
        SquiggleDisplay.from_estimator(reg, X, feature="weight")


def test_squiggle_display_binary_classifier_draws_the_log_odds():
    X, y = make_moons(n_samples=60, noise=0.2, random_state=0)
    labels = np.array(["no", "yes"])[y]
    clf = _fit_quietly(
        SquiggleClassifier(hidden_layer_sizes=(3,), solver="lbfgs", random_state=0),
        X,
        labels,
    )
    disp = SquiggleDisplay.from_estimator(clf, X, labels, grid_resolution=9)
    X_grid = np.tile(np.median(X, axis=0), (9, 1))
    X_grid[:, 0] = disp.grid_values
    np.testing.assert_allclose(
        disp.squiggle, logit(clf.predict_proba(X_grid)[:, 1]), rtol=1e-7
    )
    assert disp.ax_.get_ylabel() == "log-odds of class yes"
    np.testing.assert_array_equal(disp.data_y, labels == "yes")
    # The points are a rug: y in axes coordinates, along the bottom.
    assert disp.scatter_.get_transform() != disp.ax_.transData


def test_squiggle_display_multiclass_output_index():
    X, y = make_classification(
        n_samples=90,
        n_features=3,
        n_informative=3,
        n_redundant=0,
        n_classes=3,
        n_clusters_per_class=1,
        random_state=0,
    )
    clf = _fit_quietly(
        SquiggleClassifier(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0),
        X,
        y,
    )
    scores = [
        SquiggleDisplay.from_estimator(
            clf, X, y, output_index=k, grid_resolution=5
        ).squiggle
        for k in range(3)
    ]
    X_grid = np.tile(np.median(X, axis=0), (5, 1))
    X_grid[:, 0] = np.linspace(X[:, 0].min(), X[:, 0].max(), 5)
    proba = clf.predict_proba(X_grid)
    # Softmax inputs are known up to a shift: their differences are log-ratios.
    np.testing.assert_allclose(
        scores[2] - scores[0], np.log(proba[:, 2] / proba[:, 0]), rtol=1e-7
    )
    with pytest.raises(ValueError, match=r"output_index must be in \[0, 3\)"):
        SquiggleDisplay.from_estimator(clf, X, output_index=3)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"feature": 5}, ValueError, r"feature must be a column index in \[0, 1\)"),
        ({"feature": "dose"}, ValueError, "not fitted on data with feature names"),
        ({"fixed": "mode"}, ValueError, 'fixed must be "median", "mean"'),
        ({"fixed": [1.0, 2.0]}, ValueError, "fixed has 2 values; X has 1"),
    ],
)
def test_squiggle_display_errors(kwargs, error, match):
    reg = lesson_network(**LESSON)
    with pytest.raises(error, match=match):
        SquiggleDisplay.from_estimator(reg, DOSAGE, **kwargs)


def test_displays_refuse_other_estimators():
    lin = LinearRegression().fit(DOSAGE, EFFECTIVE)
    with pytest.raises(TypeError, match="SquiggleRegressor or SquiggleClassifier"):
        SquiggleDisplay.from_estimator(lin, DOSAGE)
    with pytest.raises(TypeError, match="SquiggleRegressor or SquiggleClassifier"):
        LossLandscapeDisplay.from_estimator(
            lin, DOSAGE, EFFECTIVE, parameter=("intercepts", 1, 0), values=[0.0]
        )


def test_displays_say_how_to_install_matplotlib(monkeypatch):
    reg = lesson_network(**LESSON)
    for name in [m for m in sys.modules if m.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install "sknn-squiggle\[plot\]"'):
        SquiggleDisplay.from_estimator(reg, DOSAGE)
    with pytest.raises(ImportError, match="requires matplotlib"):
        LossLandscapeDisplay.from_estimator(
            reg, DOSAGE, EFFECTIVE, parameter=("intercepts", 1, 0), values=[0.0]
        )


# ----------------------------------------------------------------------
# LossLandscapeDisplay


def test_loss_landscape_ssr_is_the_lessons_pink_curve():
    reg = lesson_network(**BP0)
    values = np.array([0.0, 1.0, 2.0, 3.0])
    curves = BP0["w3"] * softplus(BP0["w1"] * DOSAGE[:, 0] + BP0["b1"])
    curves += BP0["w4"] * softplus(BP0["w2"] * DOSAGE[:, 0] + BP0["b2"])
    slope_0 = np.sum(-2 * (EFFECTIVE - curves))  # dSSR/db3 at b3 = 0
    steps = [0.0, -0.1 * slope_0]  # the lesson's first step, learning rate 0.1
    disp = LossLandscapeDisplay.from_estimator(
        reg,
        DOSAGE,
        EFFECTIVE,
        parameter=("intercepts", 1, 0),
        values=values,
        steps=steps,
        loss="ssr",
    )
    # The lesson: 20.4, 7.8, 1.11 and 0.46; slopes -15.7 at b3 = 0 and -6.26
    # after the first step.
    np.testing.assert_allclose(disp.losses, [20.4, 7.8, 1.11, 0.46], atol=0.05)
    by_hand = [np.sum((EFFECTIVE - curves - b3) ** 2) for b3 in values]
    np.testing.assert_allclose(disp.losses, by_hand, rtol=1e-12)
    assert disp.step_slopes[0] == pytest.approx(-15.7, abs=0.05)
    assert disp.step_slopes[0] == pytest.approx(slope_0, rel=1e-12)
    assert disp.step_slopes[1] == pytest.approx(-6.26, abs=0.005)
    assert disp.parameter_name == "intercepts_[1][0]"
    assert disp.ax_.get_ylabel() == "sum of squared residuals"
    np.testing.assert_array_equal(disp.steps_line_.get_xdata(), steps)
    # The estimator itself is untouched.
    assert reg.intercepts_[1][0] == 0.0


def test_loss_landscape_objective_is_the_training_loss():
    alpha = 0.7
    reg = lesson_network(**BP0, alpha=alpha)
    values = np.linspace(-1, 3, 5)
    disp = LossLandscapeDisplay.from_estimator(
        reg, DOSAGE, EFFECTIVE, parameter=("intercepts", 1, 0), values=values
    )
    curves = reg.predict(DOSAGE)  # b3 = 0
    n = len(DOSAGE)
    penalty = sum(np.sum(W**2) for W in reg.coefs_) * alpha / (2 * n)
    by_hand = [np.sum((EFFECTIVE - curves - b3) ** 2) / (2 * n) for b3 in values]
    np.testing.assert_allclose(disp.losses, np.add(by_hand, penalty), rtol=1e-12)
    assert disp.ax_.get_ylabel() == "training loss"


def test_loss_landscape_slopes_match_finite_differences():
    X, y = make_moons(n_samples=40, noise=0.2, random_state=0)
    clf = _fit_quietly(
        SquiggleClassifier(
            hidden_layer_sizes=(3,), solver="lbfgs", alpha=0.1, random_state=0
        ),
        X,
        y,
    )
    w = clf.coefs_[0][1, 2]
    h = 1e-6
    steps = [w - 0.5, w, w + 0.3]
    disp = LossLandscapeDisplay.from_estimator(
        clf,
        X,
        y,
        parameter=("coefs", 0, (1, 2)),
        values=np.concatenate([[s - h, s + h] for s in steps]),
        steps=steps,
        show_tangents=True,
    )
    numeric = (disp.losses[1::2] - disp.losses[::2]) / (2 * h)
    np.testing.assert_allclose(disp.step_slopes, numeric, rtol=1e-5, atol=1e-8)
    # At the fitted value lbfgs has (nearly) zeroed the gradient.
    assert abs(disp.step_slopes[1]) < 1e-3
    assert disp.step_losses[1] == pytest.approx(clf.loss_, rel=1e-9)
    assert len(disp.tangent_lines_) == 3
    assert disp.parameter_name == "coefs_[0][1, 2]"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"parameter": ("weights", 0, 0)}, "parameter must be"),
        ({"parameter": ("intercepts", 2, 0)}, "2 layers of intercepts; got layer 2"),
        ({"parameter": ("coefs", 0, 0, 2)}, r"coefs_\[0\] has shape \(1, 2\)"),
        ({"loss": "mse"}, 'loss must be "objective" or "ssr"'),
    ],
)
def test_loss_landscape_errors(kwargs, match):
    reg = lesson_network(**BP0)
    params = {"parameter": ("intercepts", 1, 0), "values": [0.0], **kwargs}
    with pytest.raises(ValueError, match=match):
        LossLandscapeDisplay.from_estimator(reg, DOSAGE, EFFECTIVE, **params)


def test_loss_landscape_ssr_refuses_classifiers():
    X, y = make_moons(n_samples=20, random_state=0)
    clf = _fit_quietly(
        SquiggleClassifier(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=5),
        X,
        y,
    )
    with pytest.raises(ValueError, match='use loss="objective"'):
        LossLandscapeDisplay.from_estimator(
            clf, X, y, parameter=("intercepts", 1, 0), values=[0.0], loss="ssr"
        )


# ----------------------------------------------------------------------
# The gallery


def test_there_are_examples():
    assert {p.name for p in EXAMPLES} >= {
        "plot_lesson_squiggle.py",
        "plot_backprop_b3.py",
        "plot_classifier_squiggles.py",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys):
    runpy.run_path(str(path), run_name="__main__")
    assert plt.get_fignums(), f"{path.name} drew nothing"


STRINGS = ["island", "sex"]
NUMBERS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
FEATURE = "flipper_length_mm"


@pytest.fixture(scope="module")
def penguins():
    load_penguins = pytest.importorskip("palmerpenguins").load_penguins
    frame = load_penguins().dropna(subset=["species"])
    return frame[STRINGS + NUMBERS + ["year"]], frame["species"]


def preprocessing():
    return ColumnTransformer(
        [
            (
                "strings",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                STRINGS,
            ),
            (
                "numbers",
                make_pipeline(SimpleImputer(), StandardScaler()),
                NUMBERS + ["year"],
            ),
        ]
    )


def _fit(pipe, X, y):
    return pipe.fit(X, y)


@pytest.fixture(scope="module")
def small_pipeline(penguins):
    X, y = penguins
    network = SquiggleClassifier(
        hidden_layer_sizes=(6,),
        activation="tanh",
        solver="lbfgs",
        max_iter=200,
        random_state=0,
    )
    return _fit(make_pipeline(preprocessing(), network), X, y)


@pytest.fixture(scope="module")
def default_pipeline(penguins):
    X, y = penguins
    network = SquiggleClassifier(max_iter=30, random_state=0)  # (100,) relu
    return _fit(make_pipeline(preprocessing(), network), X, y)


def typical_raw_rows(X, feature, grid):
    """The raw rows of the grid, built independently: medians of the numeric
    columns (NaN skipped), the most frequent value of the others."""
    row = {}
    for name in X.columns:
        if name in STRINGS:
            row[name] = X[name].value_counts().idxmax()
        else:
            row[name] = float(np.nanmedian(X[name].to_numpy(dtype=float)))
    rows = pd.DataFrame([row] * len(grid))
    rows[feature] = grid
    return rows


def forward_by_hand(network, Z, activation):
    """Last hidden layer's activations and the output before its activation."""
    A = np.asarray(Z, dtype=float)
    for W, b in zip(network.coefs_[:-1], network.intercepts_[:-1]):
        A = activation(A @ W + b)
    return A, A @ network.coefs_[-1] + network.intercepts_[-1]


# ----------------------------------------------------------------------
# SquiggleDisplay of a pipeline


def test_pipeline_squiggle_in_raw_units(small_pipeline, penguins):
    X, y = penguins
    disp = SquiggleDisplay.from_estimator(
        small_pipeline, X, y, feature=FEATURE, output_index=2, grid_resolution=25
    )
    raw = X[FEATURE].to_numpy(dtype=float)
    low, high = np.nanmin(raw), np.nanmax(raw)
    # The grid spans the raw column's range, in millimetres.
    assert disp.grid_values[0] == low and disp.grid_values[-1] == high
    np.testing.assert_array_equal(disp.grid_values, np.linspace(low, high, 25))
    np.testing.assert_array_equal(disp.squiggle_line_.get_xdata(), disp.grid_values)
    left, right = disp.ax_.get_xlim()
    assert left <= low and right >= high
    assert right - left < 1.2 * (high - low)  # not standardised units
    assert disp.ax_.get_xlabel() == FEATURE
    assert disp.ax_.get_ylabel() == "softmax score of class Gentoo"

    # The curve at each grid value is what the network computes for the
    # transformed raw row.
    rows = typical_raw_rows(X, FEATURE, disp.grid_values)
    network = small_pipeline[-1]
    A, output = forward_by_hand(network, small_pipeline[:-1].transform(rows), np.tanh)
    np.testing.assert_allclose(disp.squiggle, output[:, 2], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        disp.contributions, A * network.coefs_[-1][:, 2], rtol=1e-10, atol=1e-12
    )
    proba = np.exp(output - output.max(axis=1, keepdims=True))
    proba /= proba.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(small_pipeline.predict_proba(rows), proba, rtol=1e-9)

    # The training points are drawn at their raw values (a rug for a class).
    finite = np.isfinite(raw)
    np.testing.assert_array_equal(disp.scatter_.get_offsets()[:, 0], raw[finite])
    np.testing.assert_array_equal(disp.data_y, (y == "Gentoo").to_numpy())


def test_feature_by_raw_index_and_fixed_values(small_pipeline, penguins):
    X, y = penguins
    index = list(X.columns).index(FEATURE)
    by_name = SquiggleDisplay.from_estimator(small_pipeline, X, feature=FEATURE)
    by_index = SquiggleDisplay.from_estimator(small_pipeline, X, feature=index)
    np.testing.assert_array_equal(by_name.squiggle, by_index.squiggle)

    means = SquiggleDisplay.from_estimator(
        small_pipeline, X, feature=FEATURE, fixed="mean", grid_resolution=5
    )
    rows = typical_raw_rows(X, FEATURE, means.grid_values)
    for name in NUMBERS + ["year"]:
        rows[name] = X[name].mean() if name != FEATURE else rows[name]
    _, output = forward_by_hand(
        small_pipeline[-1], small_pipeline[:-1].transform(rows), np.tanh
    )
    np.testing.assert_allclose(means.squiggle, output[:, 0], rtol=1e-10, atol=1e-12)

    given = ["Dream", "female", 40.0, 18.0, 0.0, 4000.0, 2008]
    explicit = SquiggleDisplay.from_estimator(
        small_pipeline, X, feature=FEATURE, fixed=given, grid_resolution=5
    )
    rows = pd.DataFrame([dict(zip(X.columns, given))] * 5)
    rows[FEATURE] = explicit.grid_values
    _, output = forward_by_hand(
        small_pipeline[-1], small_pipeline[:-1].transform(rows), np.tanh
    )
    np.testing.assert_allclose(explicit.squiggle, output[:, 0], rtol=1e-10, atol=1e-12)


def test_pipeline_on_arrays():
    rng = np.random.RandomState(0)
    X = rng.normal(loc=[100.0, -5.0], scale=[20.0, 1.0], size=(60, 2))
    y = np.sin(X[:, 0] / 20.0) + X[:, 1]
    pipe = make_pipeline(
        StandardScaler(),
        SquiggleRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0),
    ).fit(X, y)
    disp = SquiggleDisplay.from_estimator(pipe, X, y, feature=0, grid_resolution=9)
    assert disp.grid_values[0] == X[:, 0].min()
    assert disp.grid_values[-1] == X[:, 0].max()
    rows = np.tile(np.median(X, axis=0), (9, 1))
    rows[:, 0] = disp.grid_values
    np.testing.assert_allclose(disp.squiggle, pipe.predict(rows), rtol=1e-10)
    assert disp.ax_.get_xlabel() == "feature 0"
    np.testing.assert_array_equal(disp.scatter_.get_offsets(), np.c_[X[:, 0], y])


def test_non_numeric_raw_feature_is_refused(small_pipeline, penguins):
    X, _ = penguins
    with pytest.raises(ValueError) as info:
        SquiggleDisplay.from_estimator(small_pipeline, X, feature="island")
    assert str(info.value) == (
        f"feature 'island' is not a numeric column (its dtype is "
        f"{X['island'].dtype}): the squiggle is drawn along a numeric column, "
        "whose values make the horizontal axis. Choose one of "
        "['bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', "
        "'body_mass_g', 'year']."
    )
    with pytest.raises(ValueError, match="'wing' is not one of"):
        SquiggleDisplay.from_estimator(small_pipeline, X, feature="wing")
    with pytest.raises(ValueError, match=r"column index in \[0, 7\)"):
        SquiggleDisplay.from_estimator(small_pipeline, X, feature=7)


def test_pipelines_ending_elsewhere_are_refused(penguins):
    X, y = penguins
    X = X[NUMBERS].fillna(0.0)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    with pytest.raises(TypeError) as info:
        SquiggleDisplay.from_estimator(pipe, X)
    assert str(info.value) == (
        "SquiggleDisplay.from_estimator takes a fitted SquiggleRegressor or "
        "SquiggleClassifier, or a Pipeline whose last step is one, got Pipeline "
        "ending in LogisticRegression."
    )


# ----------------------------------------------------------------------
# Large networks, many points, the legend


def _legend_texts(disp):
    return [text.get_text() for text in disp.ax_.get_legend().get_texts()]


def test_a_default_network_draws_the_units_that_bend_most(default_pipeline, penguins):
    X, y = penguins
    disp = SquiggleDisplay.from_estimator(default_pipeline, X, y, feature=FEATURE)
    texts = _legend_texts(disp)
    assert len(texts) <= 12
    assert "91 more units not drawn" in texts
    assert texts[-2:] == [
        disp.squiggle_line_.get_label(),
        "training points (black: this class)",
    ]
    # The 9 drawn: the largest ranges of the scaled curves, computed by hand.
    rows = typical_raw_rows(X, FEATURE, disp.grid_values)
    network = default_pipeline[-1]
    A, _ = forward_by_hand(
        network,
        default_pipeline[:-1].transform(rows),
        lambda Z: np.maximum(Z, 0.0),
    )
    curves = A * network.coefs_[-1][:, 0]
    ranges = curves.max(axis=0) - curves.min(axis=0)
    expected = np.argsort(-ranges, kind="stable")[:9]
    np.testing.assert_array_equal(disp.units_drawn_, expected)
    assert len(disp.lines_) == 10  # 9 units and the squiggle
    for line, unit in zip(disp.lines_, expected):
        np.testing.assert_allclose(line.get_ydata(), curves[:, unit], atol=1e-12)
        assert line.get_label().startswith(f"unit {unit} × ")
    # Nine distinct colours.
    assert len({line.get_color() for line in disp.lines_[:-1]}) == 9


def test_ten_units_are_all_drawn():
    X = np.linspace(0.0, 1.0, 20).reshape(-1, 1)
    y = np.sin(6 * X).ravel()
    reg = SquiggleRegressor(hidden_layer_sizes=(10,), solver="lbfgs", random_state=0)
    disp = SquiggleDisplay.from_estimator(reg.fit(X, y), X, y)
    np.testing.assert_array_equal(disp.units_drawn_, np.arange(10))
    texts = _legend_texts(disp)
    assert len(texts) == 12 and not any("not drawn" in t for t in texts)
    no_units = SquiggleDisplay.from_estimator(reg, X, y, show_contributions=False)
    assert no_units.units_drawn_.shape == (0,)
    assert len(_legend_texts(no_units)) == 2


def test_many_points_are_thinned():
    rng = np.random.RandomState(0)
    X = rng.uniform(0.0, 10.0, size=(2000, 1))
    y = np.sin(X[:, 0]) + rng.normal(scale=0.1, size=2000)
    reg = SquiggleRegressor(hidden_layer_sizes=(5,), solver="lbfgs", random_state=0)
    reg.fit(X, y)
    disp = SquiggleDisplay.from_estimator(reg, X, y)
    offsets = disp.scatter_.get_offsets()
    assert offsets.shape == (500, 2)
    # Real points, each once, in their order, the same at every call.
    points = {tuple(p) for p in np.c_[X[:, 0], y]}
    assert all(tuple(p) in points for p in offsets)
    assert len({tuple(p) for p in offsets}) == 500
    again = SquiggleDisplay.from_estimator(reg, X, y)
    np.testing.assert_array_equal(again.scatter_.get_offsets(), offsets)
    assert disp.scatter_.get_label() == "training points (500 of 2,000 drawn)"
    assert disp.scatter_.get_alpha() == 0.4
    assert disp.scatter_.get_sizes()[0] < 50

    few = SquiggleDisplay.from_estimator(reg, X[:500], y[:500])
    assert few.scatter_.get_offsets().shape == (500, 2)
    assert few.scatter_.get_label() == "training points"


def test_many_class_points_are_thinned():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(900, 2))
    y = np.where(X[:, 0] > 0, "yes", "no")
    clf = SquiggleClassifier(hidden_layer_sizes=(3,), solver="lbfgs", random_state=0)
    disp = SquiggleDisplay.from_estimator(clf.fit(X, y), X, y)
    assert disp.scatter_.get_offsets().shape == (500, 2)
    assert disp.scatter_.get_label() == (
        "training points (black: this class; 500 of 900 drawn)"
    )


def test_the_legend_is_outside_the_axes(default_pipeline, penguins):
    X, y = penguins
    disp = SquiggleDisplay.from_estimator(default_pipeline, X, y, feature=FEATURE)
    disp.figure_.canvas.draw()
    legend = disp.ax_.get_legend().get_window_extent()
    axes = disp.ax_.get_window_extent()
    assert legend.x0 >= axes.x1
    # And inside the figure, which the constrained layout keeps it in.
    assert legend.x1 <= disp.figure_.bbox.x1 + 1


# ----------------------------------------------------------------------
# LossLandscapeDisplay of a pipeline


def test_loss_landscape_of_a_pipeline_is_the_networks(small_pipeline, penguins):
    X, y = penguins
    network = small_pipeline[-1]
    b = network.intercepts_[1][0]
    values = np.linspace(b - 1.0, b + 1.0, 7)
    params = dict(parameter=("intercepts", 1, 0), values=values, steps=[b, b + 0.5])
    from_pipe = LossLandscapeDisplay.from_estimator(small_pipeline, X, y, **params)
    from_net = LossLandscapeDisplay.from_estimator(
        network, small_pipeline[:-1].transform(X), y, **params
    )
    np.testing.assert_array_equal(from_pipe.losses, from_net.losses)
    np.testing.assert_array_equal(from_pipe.step_slopes, from_net.step_slopes)
    # At the fitted value, the loss the network reports.
    assert from_pipe.step_losses[0] == pytest.approx(network.loss_, rel=1e-9)
    assert from_pipe.parameter_name == "intercepts_[1][0]"
