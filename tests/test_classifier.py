"""sknn_squiggle/_classifier.py: what the classifier adds to the base
network: class weights, labels and their encoding, probabilities, and the
partial_fit of classes.

Expected values come from independent computations: sample weights that
class weights must equal, duplicated rows, scikit-learn's LabelBinarizer and
MLPClassifier, and the probability axioms.
"""

import numpy as np
import pytest
from conftest import small_binary

from sknn_squiggle import SquiggleClassifier

# The fits here are short: their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore")


def _params(est):
    return est.coefs_ + est.intercepts_


# ---------------------------------------------------------------------------
# class_weight


@pytest.mark.parametrize("solver", ["lbfgs", "sgd"])
def test_class_weight_dict_equals_sample_weight(solver):
    X, y = small_binary()
    params = dict(hidden_layer_sizes=(5,), solver=solver, max_iter=40, random_state=0)
    a = SquiggleClassifier(class_weight={0: 1, 1: 3}, **params).fit(X, y)
    b = SquiggleClassifier(**params).fit(X, y, sample_weight=np.where(y == 1, 3.0, 1.0))
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_array_equal(p, q)
    # And it does change the fit.
    c = SquiggleClassifier(**params).fit(X, y)
    assert np.abs(a.coefs_[0] - c.coefs_[0]).max() > 1e-3


def test_class_weight_multiplies_sample_weight():
    X, y = small_binary()
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
    X, y = small_binary(n=50)
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
    X, y = small_binary(n=30)
    weight = np.where(y == 1, 3, 1)
    params = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0)
    a = SquiggleClassifier(class_weight={0: 1, 1: 3}, **params).fit(X, y)
    idx = np.repeat(np.arange(y.size), weight)
    b = SquiggleClassifier(**params).fit(X[idx], y[idx])
    assert a.loss_ == pytest.approx(b.loss_, rel=1e-9)
    for p, q in zip(_params(a), _params(b)):
        np.testing.assert_allclose(p, q, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("class_weight", [{0: 1, 1: 2}, "balanced"], ids=str)
def test_class_weight_with_multilabel_raises(class_weight):
    X, _ = small_binary()
    Y = (X[:, :2] > 0).astype(int)
    clf = SquiggleClassifier(hidden_layer_sizes=(3,), class_weight=class_weight)
    with pytest.raises(ValueError, match="not supported for multilabel"):
        clf.fit(X, Y)


def test_class_weight_unknown_label_raises():
    X, y = small_binary()
    clf = SquiggleClassifier(hidden_layer_sizes=(3,), class_weight={0: 1, 5: 2})
    with pytest.raises(ValueError, match=r"class_weight names labels \[5\]"):
        clf.fit(X, y)


def test_balanced_class_weight_is_refused_in_partial_fit():
    X, y = small_binary()
    with pytest.raises(ValueError, match="not available in partial_fit"):
        SquiggleClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


# ---------------------------------------------------------------------------
# partial_fit and its classes


def test_classifier_partial_fit_needs_classes_on_first_call():
    X, y = small_binary()
    clf = SquiggleClassifier(hidden_layer_sizes=(4,), solver="sgd", random_state=0)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        clf.partial_fit(X, y)
    # The first batch may lack a class that later batches have.
    clf.partial_fit(X[y == 0], y[y == 0], classes=[0, 1])
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    clf.partial_fit(X, y)
    assert clf.predict_proba(X).shape == (y.size, 2)
    with pytest.raises(ValueError, match="`y` has classes not in `self.classes_`"):
        clf.partial_fit(X, y + 5)


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
# Labels


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


# ----------------------------------------------------------------------
# Label smoothing: the first epoch's loss against a hand-written forward pass


def _start(d, units, outputs, seed=1):
    rng = np.random.default_rng(seed)
    coefs = [rng.normal(size=(d, units)), rng.normal(size=(units, outputs))]
    intercepts = [rng.normal(size=units), rng.normal(size=outputs)]
    return coefs, intercepts


@pytest.mark.parametrize("n_classes", [2, 3])
def test_label_smoothing_trains_towards_the_smoothed_targets(n_classes):
    # One full batch at learning_rate_init ~ 0: loss_curve_[0] is the loss at
    # the hand-set start, -mean_i sum_k t_ik log p_ik with the smoothed
    # targets t = (1 - eps) onehot + eps / K (K = 2 for the sigmoid output).
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 3))
    y = np.arange(30) % n_classes
    outputs = 1 if n_classes == 2 else n_classes
    coefs, intercepts = _start(3, 4, outputs)
    eps = 0.2
    clf = SquiggleClassifier(
        hidden_layer_sizes=(4,),
        alpha=0.0,
        batch_size=30,
        max_iter=1,
        learning_rate_init=1e-12,
        coefs_init=coefs,
        intercepts_init=intercepts,
        label_smoothing=eps,
    )
    with pytest.warns(Warning):
        clf.fit(X, y)
    Z = np.maximum(X @ coefs[0] + intercepts[0], 0) @ coefs[1] + intercepts[1]
    if n_classes == 2:
        p1 = 1 / (1 + np.exp(-Z[:, 0]))
        P = np.column_stack([1 - p1, p1])
    else:
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
    T = np.full((30, n_classes), eps / n_classes) + (1 - eps) * np.eye(n_classes)[y]
    expected = -np.mean(np.sum(T * np.log(P), axis=1))
    np.testing.assert_allclose(clf.loss_curve_[0], expected, rtol=1e-9)
    np.testing.assert_allclose(clf.predict_proba(X), P, rtol=1e-6)
