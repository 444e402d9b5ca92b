"""sknn_squiggle/_settings.py: what the network parameters mean:
``hidden_layer_sizes``, per-layer ``activation`` lists, the starting weights
``coefs_init``/``intercepts_init`` and the ``trainable`` masks; and the
errors that say what is wrong with them.

Expected values come from hand-written forward passes, flat offsets counted
by hand, and the given starting weights themselves.
"""

import re

import numpy as np
import pytest
from conftest import (
    HAND_SHAPES,
    HAND_X,
    HAND_Y,
    hand_masks,
    hand_regressor,
    hand_start,
    small_regression,
)

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor, _settings
from sknn_squiggle._nn.layers import dense_stack
from sknn_squiggle._nn.layout import ParameterLayout

# The fits here are short: their ConvergenceWarnings are noise.
pytestmark = pytest.mark.filterwarnings("ignore")


def _params(est):
    return est.coefs_ + est.intercepts_


# ---------------------------------------------------------------------------
# hidden_layer_sizes


def test_hidden_layer_sizes_are_positive_integers():
    assert _settings.hidden_layer_sizes(5) == [5]
    assert _settings.hidden_layer_sizes((3, np.int64(2))) == [3, 2]
    assert type(_settings.hidden_layer_sizes([np.int32(4)])[0]) is int
    assert _settings.hidden_layer_sizes(()) == []


@pytest.mark.parametrize("sizes", [(0,), (3, -1), (2.5,), (True,)], ids=str)
def test_hidden_layer_sizes_that_are_not_positive_integers_are_refused(sizes):
    X, y = small_regression(n=20, d=3)
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold positive int"):
        SquiggleRegressor(hidden_layer_sizes=sizes, max_iter=2).fit(X, y)


# ---------------------------------------------------------------------------
# activation: one name, or one per hidden layer


def test_activation_list_equals_repeated_string():
    X, y = small_regression()
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
    X, y = small_regression()
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
    X, y = small_regression()
    reg = SquiggleRegressor(hidden_layer_sizes=(4, 4), activation=activation)
    message = (
        f"activation has {len(activation)} entries but there are 2 hidden layers: "
        "give one name per hidden layer"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        reg.fit(X, y)


def test_activation_list_with_unknown_name_raises():
    X, y = small_regression()
    reg = SquiggleRegressor(hidden_layer_sizes=(4, 4), activation=["relu", "swish"])
    with pytest.raises(ValueError, match="activation 'swish' is not one of"):
        reg.fit(X, y)


# ---------------------------------------------------------------------------
# coefs_init and intercepts_init


@pytest.mark.parametrize(
    "param, value, match",
    [
        (
            "coefs_init",
            [np.zeros((3, 4)), np.zeros((4, 3))],
            r"coefs_init has 2 arrays but the network has 3 layers of weights: "
            r"expected shapes \[\(3, 4\), \(4, 3\), \(3, 1\)\]",
        ),
        (
            "coefs_init",
            [np.zeros((3, 4)), np.zeros((4, 2)), np.zeros((3, 1))],
            r"coefs_init\[1\] has shape \(4, 2\); layer 1 expects shape \(4, 3\)",
        ),
        (
            "coefs_init",
            [np.zeros((3, 3)), np.zeros((4, 3)), np.zeros((3, 1))],
            r"coefs_init\[0\] has shape \(3, 3\); layer 0 expects shape \(3, 4\)",
        ),
        (
            "intercepts_init",
            [np.zeros(4), np.zeros(3), np.zeros(1), np.zeros(1)],
            r"intercepts_init has 4 arrays but the network has 3 layers.*"
            r"\(4,\), \(3,\), \(1,\)",
        ),
        (
            "intercepts_init",
            [np.zeros(4), np.zeros(3), np.zeros(2)],
            r"intercepts_init\[2\] has shape \(2,\); layer 2 expects shape \(1,\)",
        ),
        (
            "intercepts_init",
            [np.zeros(5), np.zeros(3), np.zeros(1)],
            r"intercepts_init\[0\] has shape \(5,\); layer 0 expects shape \(4,\)",
        ),
        (
            "intercepts_init",
            [[np.nan, 0.0, 0.0, 0.0], np.zeros(3), np.zeros(1)],
            r"intercepts_init\[0\] holds NaN or infinite values",
        ),
    ],
)
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_wrong_init_shapes_name_the_layer_and_the_expected_shape(
    param, value, match, solver
):
    with pytest.raises(ValueError, match=match):
        hand_regressor(solver=solver, **{param: value}).fit(HAND_X, HAND_Y)


def test_wrong_init_shape_classifier():
    """A binary classifier has one output unit."""
    y = (HAND_Y > 0).astype(int)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(2,), coefs_init=[np.zeros((3, 2)), np.zeros((2, 2))]
    )
    with pytest.raises(ValueError, match=r"layer 1 expects shape \(2, 1\)"):
        clf.fit(HAND_X, y)


def test_coefs_init_is_the_starting_point():
    """A tiny sgd step from given weights barely moves them, and the given
    arrays themselves are not modified by training."""
    X, y = small_regression(d=3)
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


def test_only_coefs_init_given_draws_the_intercepts():
    coefs, _ = hand_start()
    reg = hand_regressor(
        solver="sgd", learning_rate_init=1e-12, max_iter=1, coefs_init=coefs
    ).fit(HAND_X, HAND_Y)
    for got, given in zip(reg.coefs_, coefs):
        np.testing.assert_allclose(got, given, atol=1e-9)
    other = hand_regressor(
        solver="sgd",
        learning_rate_init=1e-12,
        max_iter=1,
        coefs_init=coefs,
        random_state=1,
    ).fit(HAND_X, HAND_Y)
    assert not np.allclose(reg.intercepts_[0], other.intercepts_[0])


# ---------------------------------------------------------------------------
# trainable


def test_trainable_mask_is_flat_in_the_layout_order():
    """Units 3 -> 2 -> 1: the flat vector is coefs_[0] (6), coefs_[1] (2),
    intercepts_[0] (2), intercepts_[1] (1); a bool covers a whole layer."""
    layout = ParameterLayout.of(dense_stack([3, 2, 1], ["relu"], "identity"))
    mask = _settings.trainable_mask(
        {"coefs": [False, True], "intercepts": [np.array([True, False]), False]},
        layout,
    )
    expected = [False] * 6 + [True, True] + [True, False] + [False]
    np.testing.assert_array_equal(mask, expected)
    assert _settings.trainable_mask(None, layout) is None
    assert _settings.trainable_mask({"coefs": [True, True]}, layout) is None
    only = _settings.trainable_mask({"intercepts": [False, True]}, layout)
    np.testing.assert_array_equal(only, [True] * 8 + [False, False, True])


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_frozen_entries_never_change(solver):
    """Masks, a frozen layer (False) and a trainable one (True), with a
    penalty strong enough that its pull would move any frozen weight."""
    X, y = small_regression(d=3)
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
    for kind, start, fitted in (
        ("coefs", coefs, reg.coefs_),
        ("intercepts", intercepts, reg.intercepts_),
    ):
        for i, (entry, a, b) in enumerate(zip(trainable[kind], start, fitted)):
            mask = np.broadcast_to(entry, a.shape)
            np.testing.assert_array_equal(b[~mask], a[~mask], err_msg=f"{kind}[{i}]")
            assert np.all(b[mask] != a[mask]), f"{kind}[{i}] did not train"


def test_frozen_entries_never_change_in_partial_fit():
    coefs, intercepts = hand_start()
    masks = hand_masks(4)
    reg = hand_regressor(
        solver="adam",
        learning_rate_init=0.01,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=masks,
    )
    for _ in range(3):
        reg.partial_fit(HAND_X, HAND_Y)
    for mask, a, b in zip(masks["coefs"], coefs, reg.coefs_):
        np.testing.assert_array_equal(b[~mask], a[~mask])


@pytest.mark.parametrize(
    "trainable, match",
    [
        (
            {"weights": [True]},
            "trainable takes the keys 'coefs' and 'intercepts'; got {'weights'}",
        ),
        (
            {"coefs": [True, True]},
            r"trainable\['coefs'\] has 2 entries; the network has 3 layers of coefs",
        ),
        (
            {"coefs": [True, np.ones((3, 3), dtype=bool), True]},
            r"trainable\['coefs'\]\[1\] has shape \(3, 3\); layer 1 expects a bool "
            r"or a mask of shape \(4, 3\)",
        ),
        (
            {"intercepts": [1, 1, 1]},
            r"trainable\['intercepts'\]\[0\] must be a bool or a boolean mask",
        ),
    ],
)
def test_wrong_trainable_is_refused(trainable, match):
    with pytest.raises(ValueError, match=match):
        hand_regressor(solver="sgd", trainable=trainable).fit(HAND_X, HAND_Y)


def test_hand_shapes_are_the_networks():
    """Guard: the HAND network of conftest has the layers its helpers
    assume."""
    reg = hand_regressor(solver="sgd", max_iter=1).fit(HAND_X, HAND_Y)
    assert [c.shape for c in reg.coefs_] == HAND_SHAPES
