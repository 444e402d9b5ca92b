"""Starting weights, frozen parameters, several starts, and decompose.

Expected values come from hand-written numpy (forward pass, loss, finite
differences, least squares) or from scikit-learn, never from the code under
test.
"""

import warnings

import numpy as np
import pytest
from scipy.special import expit, softmax
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(12, 3))
Y = X @ [1.0, -2.0, 0.5] + np.sin(X[:, 0])
HIDDEN = (4, 3)
SHAPES = [(3, 4), (4, 3), (3, 1)]


def _start(seed=1):
    rng = np.random.RandomState(seed)
    coefs = [rng.normal(scale=0.5, size=s) for s in SHAPES]
    intercepts = [rng.normal(scale=0.5, size=s[1]) for s in SHAPES]
    return coefs, intercepts


def _forward(X, coefs, intercepts):
    """tanh hidden layers, identity output, by hand."""
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = A @ W + b
        A = Z if i == len(coefs) - 1 else np.tanh(Z)
    return A


def _objective(flat, alpha=0.0):
    """sum (y - p)^2 / (2 n) + alpha / (2 n) ||W||^2 over a flat vector laid
    out as coefs then intercepts (the layout is only used inside this file)."""
    coefs, intercepts = _unflatten(flat)
    p = _forward(X, coefs, intercepts)[:, 0]
    n = X.shape[0]
    penalty = sum(float((W**2).sum()) for W in coefs)
    return ((Y - p) ** 2).sum() / (2 * n) + alpha * penalty / (2 * n)


def _flatten(coefs, intercepts):
    return np.concatenate([np.ravel(a) for a in [*coefs, *intercepts]])


def _unflatten(flat):
    coefs, intercepts, k = [], [], 0
    for s in SHAPES:
        coefs.append(flat[k : k + s[0] * s[1]].reshape(s))
        k += s[0] * s[1]
    for s in SHAPES:
        intercepts.append(flat[k : k + s[1]])
        k += s[1]
    return coefs, intercepts


def _numeric_gradient(flat, alpha=0.0, h=1e-6):
    grad = np.empty_like(flat)
    for i in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[i] += h
        down[i] -= h
        grad[i] = (_objective(up, alpha) - _objective(down, alpha)) / (2 * h)
    return grad


def _reg(**params):
    base = dict(
        hidden_layer_sizes=HIDDEN,
        activation="tanh",
        batch_size=X.shape[0],
        shuffle=False,
        random_state=0,
    )
    return SquiggleRegressor(**{**base, **params})


def _fit_quietly(est, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(*args)


# ----------------------------------------------------------------------
# coefs_init / intercepts_init


def test_fit_starts_from_the_given_weights_sgd():
    coefs, intercepts = _start()
    flat0 = _flatten(coefs, intercepts)
    lr, alpha = 0.05, 0.3
    reg = _reg(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=alpha,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
    )
    _fit_quietly(reg, X, Y)
    expected = flat0 - lr * _numeric_gradient(flat0, alpha)
    got = _flatten(reg.coefs_, reg.intercepts_)
    np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
    # The reported loss of that epoch is the objective at the start.
    assert reg.loss_curve_[0] == pytest.approx(_objective(flat0, alpha), rel=1e-12)
    # The inputs were copied, not trained in place.
    np.testing.assert_array_equal(_flatten(coefs, intercepts), flat0)


def test_first_partial_fit_is_one_step_from_the_given_weights():
    coefs, intercepts = _start()
    flat0 = _flatten(coefs, intercepts)
    lr = 0.05
    reg = _reg(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        coefs_init=coefs,
        intercepts_init=intercepts,
    ).partial_fit(X, Y)
    assert reg.n_iter_ == 1
    expected = flat0 - lr * _numeric_gradient(flat0)
    np.testing.assert_allclose(
        _flatten(reg.coefs_, reg.intercepts_), expected, rtol=1e-7, atol=1e-9
    )


def test_fit_starts_from_the_given_weights_adam():
    coefs, intercepts = _start()
    flat0 = _flatten(coefs, intercepts)
    lr = 0.01
    reg = _reg(
        solver="adam",
        learning_rate_init=lr,
        alpha=0.0,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
    )
    _fit_quietly(reg, X, Y)
    # Adam's first step, in scikit-learn's formulation (eps added to sqrt(v)
    # before the bias correction): m = (1 - b1) g, v = (1 - b2) g^2 and
    # lr_1 = lr sqrt(1 - b2) / (1 - b1), so the step is
    # lr * g / (|g| + eps / sqrt(1 - b2)): about lr against the sign of g.
    # Checked where the gradient is well above the finite differences' error.
    g = _numeric_gradient(flat0)
    step = _flatten(reg.coefs_, reg.intercepts_) - flat0
    clear = np.abs(g) > 1e-4
    assert clear.sum() > 20
    expected = -lr * g[clear] / (np.abs(g[clear]) + 1e-8 / np.sqrt(1 - 0.999))
    np.testing.assert_allclose(step[clear], expected, rtol=1e-7)
    assert np.all(np.abs(step) <= lr * (1 + 1e-12))


def test_lbfgs_starts_from_the_given_weights():
    coefs, intercepts = _start()
    reg = _reg(solver="lbfgs", alpha=0.0, max_iter=1000, tol=1e-12)
    reg.set_params(coefs_init=coefs, intercepts_init=intercepts)
    reg.fit(X, Y)
    # The first entry of lbfgs's loss curve comes after its first step, so it
    # is below the objective at the given start (and far below a random one's
    # is not guaranteed); two fits from the same start agree exactly.
    assert reg.loss_curve_[0] < _objective(_flatten(coefs, intercepts))
    again = _reg(solver="lbfgs", alpha=0.0, max_iter=1000, tol=1e-12, random_state=5)
    again.set_params(coefs_init=coefs, intercepts_init=intercepts).fit(X, Y)
    for a, b in zip(reg.coefs_ + reg.intercepts_, again.coefs_ + again.intercepts_):
        np.testing.assert_array_equal(a, b)


def test_only_coefs_init_given_draws_the_intercepts():
    coefs, _ = _start()
    reg = _reg(solver="sgd", learning_rate_init=1e-12, max_iter=1, coefs_init=coefs)
    _fit_quietly(reg, X, Y)
    for got, given in zip(reg.coefs_, coefs):
        np.testing.assert_allclose(got, given, atol=1e-9)
    other = _reg(
        solver="sgd",
        learning_rate_init=1e-12,
        max_iter=1,
        coefs_init=coefs,
        random_state=1,
    )
    _fit_quietly(other, X, Y)
    assert not np.allclose(reg.intercepts_[0], other.intercepts_[0])


@pytest.mark.parametrize(
    "param, value, match",
    [
        (
            "coefs_init",
            [np.zeros((3, 4)), np.zeros((4, 3))],
            r"coefs_init has 2 arrays but the network has 3 layers.*"
            r"\(3, 4\), \(4, 3\), \(3, 1\)",
        ),
        (
            "coefs_init",
            [np.zeros((3, 4)), np.zeros((4, 2)), np.zeros((3, 1))],
            r"coefs_init\[1\] has shape \(4, 2\); layer 1 expects shape \(4, 3\)",
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
    ],
)
@pytest.mark.parametrize("solver", ["sgd", "lbfgs"])
def test_wrong_init_shapes_name_the_layer_and_the_expected_shape(
    param, value, match, solver
):
    with pytest.raises(ValueError, match=match):
        _reg(solver=solver, **{param: value}).fit(X, Y)


def test_wrong_init_shape_classifier():
    y = (Y > 0).astype(int)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(2,), coefs_init=[np.zeros((3, 2)), np.zeros((2, 2))]
    )
    with pytest.raises(ValueError, match=r"layer 1 expects shape \(2, 1\)"):
        clf.fit(X, y)


def test_given_start_ignores_n_init_with_a_warning():
    coefs, intercepts = _start()
    reg = _reg(solver="lbfgs", n_init=3, coefs_init=coefs, intercepts_init=intercepts)
    with pytest.warns(RuntimeWarning, match="n_init=3 is ignored"):
        _fit_quietly(reg, X, Y)


# ----------------------------------------------------------------------
# trainable


def _random_masks(seed=3):
    rng = np.random.RandomState(seed)
    return {
        "coefs": [rng.rand(*s) < 0.5 for s in SHAPES],
        "intercepts": [rng.rand(s[1]) < 0.5 for s in SHAPES],
    }


@pytest.mark.parametrize("solver", ["sgd", "adam", "lbfgs"])
def test_frozen_entries_never_change(solver):
    coefs, intercepts = _start()
    masks = _random_masks()
    reg = _reg(
        solver=solver,
        max_iter=50,
        learning_rate_init=0.01,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=masks,
    )
    _fit_quietly(reg, X, Y)
    for kind, start, fitted in (
        ("coefs", coefs, reg.coefs_),
        ("intercepts", intercepts, reg.intercepts_),
    ):
        for i, (mask, a, b) in enumerate(zip(masks[kind], start, fitted)):
            np.testing.assert_array_equal(b[~mask], a[~mask], err_msg=f"{kind}[{i}]")
            assert np.all(b[mask] != a[mask]), f"{kind}[{i}] did not train"


def test_frozen_entries_never_change_in_partial_fit():
    coefs, intercepts = _start()
    masks = _random_masks(4)
    reg = _reg(
        solver="adam",
        learning_rate_init=0.01,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=masks,
    )
    for _ in range(3):
        reg.partial_fit(X, Y)
    for mask, a, b in zip(masks["coefs"], coefs, reg.coefs_):
        np.testing.assert_array_equal(b[~mask], a[~mask])


def test_one_sgd_step_moves_exactly_the_trainable_entries_by_the_gradient():
    coefs, intercepts = _start()
    masks = _random_masks(5)
    flat0 = _flatten(coefs, intercepts)
    lr = 0.05
    reg = _reg(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        max_iter=1,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=masks,
    )
    _fit_quietly(reg, X, Y)
    mask = _flatten(masks["coefs"], masks["intercepts"])
    expected = flat0 - lr * mask * _numeric_gradient(flat0)
    np.testing.assert_allclose(
        _flatten(reg.coefs_, reg.intercepts_), expected, rtol=1e-7, atol=1e-9
    )


def _hidden_features(X, coefs, intercepts):
    """The last hidden layer's output for a frozen hidden part (tanh)."""
    A = X
    for W, b in zip(coefs[:-1], intercepts[:-1]):
        A = np.tanh(A @ W + b)
    return A


def test_frozen_hidden_layers_make_lbfgs_a_least_squares_fit():
    # With every hidden weight frozen, the output layer is a linear regression
    # on fixed features H, and the objective is convex: lbfgs must reach the
    # least-squares solution.
    coefs, intercepts = _start()
    frozen_hidden = {"coefs": [False, False, True], "intercepts": [False, False, True]}
    reg = _reg(
        solver="lbfgs",
        alpha=0.0,
        tol=1e-12,
        max_iter=5000,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=frozen_hidden,
    ).fit(X, Y)
    H = _hidden_features(X, coefs, intercepts)
    design = np.hstack([H, np.ones((X.shape[0], 1))])
    solution, *_ = np.linalg.lstsq(design, Y, rcond=None)
    # L-BFGS-B also stops on a relative decrease of the loss below ~2e-9 (its
    # default ftol), so compare the objective tightly and the weights loosely.
    optimum = np.sum((design @ solution - Y) ** 2) / (2 * X.shape[0])
    assert reg.loss_ == pytest.approx(optimum, rel=1e-7)
    np.testing.assert_allclose(reg.coefs_[-1][:, 0], solution[:-1], rtol=1e-3)
    assert reg.intercepts_[-1][0] == pytest.approx(solution[-1], rel=1e-3)
    for a, b in zip(reg.coefs_[:-1], coefs[:-1]):
        np.testing.assert_array_equal(a, b)


def test_frozen_hidden_layers_make_sgd_a_linear_gradient_descent():
    # The same frozen network under sgd: every step must be the gradient step
    # of linear least squares on H, written by hand.
    coefs, intercepts = _start()
    frozen_hidden = {"coefs": [False, False, True], "intercepts": [False, False, True]}
    lr, n_steps = 0.05, 5
    reg = _reg(
        solver="sgd",
        momentum=0.0,
        learning_rate_init=lr,
        alpha=0.0,
        max_iter=n_steps,
        n_iter_no_change=100,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=frozen_hidden,
    )
    _fit_quietly(reg, X, Y)
    H = _hidden_features(X, coefs, intercepts)
    w, b = coefs[-1][:, 0].copy(), intercepts[-1][0]
    n = X.shape[0]
    for _ in range(n_steps):
        residual = H @ w + b - Y
        w, b = w - lr * H.T @ residual / n, b - lr * residual.sum() / n
    np.testing.assert_allclose(reg.coefs_[-1][:, 0], w, rtol=1e-12)
    assert reg.intercepts_[-1][0] == pytest.approx(b, rel=1e-12)


def test_frozen_hidden_layer_classifier_is_a_logistic_regression():
    Xc, yc = make_classification(
        n_samples=80,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        flip_y=0.2,
        random_state=0,
    )
    rng = np.random.RandomState(2)
    coefs = [rng.normal(size=(4, 5)), rng.normal(size=(5, 1))]
    intercepts = [rng.normal(size=5), rng.normal(size=1)]
    clf = SquiggleClassifier(
        hidden_layer_sizes=(5,),
        activation="tanh",
        solver="lbfgs",
        alpha=0.0,
        tol=1e-12,
        max_iter=5000,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable={"coefs": [False, True], "intercepts": [False, True]},
    ).fit(Xc, yc)
    H = np.tanh(Xc @ coefs[0] + intercepts[0])
    logistic = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(H, yc)
    # The same convex problem: the same mean log loss, nearly the same weights.
    assert clf.loss_ == pytest.approx(log_loss(yc, logistic.predict_proba(H)), rel=1e-7)
    np.testing.assert_allclose(clf.coefs_[1][:, 0], logistic.coef_[0], rtol=1e-3)
    assert clf.intercepts_[1][0] == pytest.approx(logistic.intercept_[0], rel=1e-3)
    np.testing.assert_array_equal(clf.coefs_[0], coefs[0])


def test_lbfgs_with_everything_frozen_keeps_the_start():
    coefs, intercepts = _start()
    frozen = {"coefs": [False] * 3, "intercepts": [False] * 3}
    reg = _reg(
        solver="lbfgs", coefs_init=coefs, intercepts_init=intercepts, trainable=frozen
    ).fit(X, Y)
    for a, b in zip(reg.coefs_, coefs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "trainable, match",
    [
        ({"weights": [True]}, "keys 'coefs' and 'intercepts'"),
        ({"coefs": [True, True]}, r"trainable\['coefs'\] has 2 entries"),
        (
            {"coefs": [True, np.ones((3, 3), dtype=bool), True]},
            r"trainable\['coefs'\]\[1\] has shape \(3, 3\); layer 1 expects",
        ),
        ({"intercepts": [1, 1, 1]}, "must be a bool or a boolean mask"),
    ],
)
def test_wrong_trainable_is_refused(trainable, match):
    with pytest.raises(ValueError, match=match):
        _reg(solver="sgd", trainable=trainable).fit(X, Y)


# ----------------------------------------------------------------------
# n_init


def test_n_init_keeps_the_run_with_the_lowest_loss():
    # The lesson's three points: a (2,) softplus network from one random start
    # often ends in a poor local minimum, so the runs differ.
    Xl, yl = np.array([[0.0], [0.5], [1.0]]), np.array([0.0, 1.0, 0.0])
    params = dict(
        hidden_layer_sizes=(2,), activation="softplus", solver="lbfgs", alpha=0.0
    )
    # With a RandomState instance, each fit continues the same stream, so five
    # single-start fits start where the five starts of n_init=5 start.
    stream = np.random.RandomState(7)
    singles = [
        SquiggleRegressor(**params, random_state=stream).fit(Xl, yl) for _ in range(5)
    ]
    losses = [r.loss_ for r in singles]
    assert max(losses) > 10 * min(losses)  # the runs really differ
    best = singles[int(np.argmin(losses))]
    multi = SquiggleRegressor(**params, n_init=5, random_state=7).fit(Xl, yl)
    assert multi.loss_ == min(losses)
    for a, b in zip(multi.coefs_ + multi.intercepts_, best.coefs_ + best.intercepts_):
        np.testing.assert_array_equal(a, b)
    assert multi.loss_curve_ == best.loss_curve_
    assert multi.n_iter_ == best.n_iter_


# ----------------------------------------------------------------------
# decompose


def _softplus(z):
    return np.logaddexp(0, z)


def test_decompose_regressor_by_hand():
    Xr, yr = make_regression(n_samples=30, n_features=3, random_state=0)
    reg = SquiggleRegressor(
        hidden_layer_sizes=(4, 3),
        activation=["softplus", "tanh"],
        solver="lbfgs",
        max_iter=50,
        random_state=0,
    )
    _fit_quietly(reg, Xr, yr)
    parts = reg.decompose(Xr)
    W, b = reg.coefs_, reg.intercepts_
    Z0 = Xr @ W[0] + b[0]
    A0 = _softplus(Z0)
    Z1 = A0 @ W[1] + b[1]
    A1 = np.tanh(Z1)
    np.testing.assert_allclose(parts.pre_activations[0], Z0, rtol=1e-12)
    np.testing.assert_allclose(parts.activations[0], A0, rtol=1e-12)
    np.testing.assert_allclose(parts.pre_activations[1], Z1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(parts.activations[1], A1, rtol=1e-12, atol=1e-12)
    assert parts.contributions.shape == (30, 3, 1)
    np.testing.assert_allclose(
        parts.contributions, A1[:, :, None] * W[2][None, :, :], rtol=1e-12
    )
    np.testing.assert_array_equal(parts.intercept, b[2])
    assert parts.output.shape == (30, 1)
    np.testing.assert_allclose(
        parts.output, parts.contributions.sum(axis=1) + parts.intercept, rtol=1e-12
    )
    np.testing.assert_allclose(parts.output[:, 0], reg.predict(Xr), rtol=1e-12)
    # The returned intercept is a copy: editing it leaves the network alone.
    parts.intercept[0] += 1.0
    assert reg.intercepts_[2][0] != parts.intercept[0]


def test_decompose_binary_classifier_output_is_the_log_odds():
    Xc, yc = make_classification(n_samples=60, n_features=4, random_state=0)
    clf = SquiggleClassifier(
        hidden_layer_sizes=(5,), solver="lbfgs", max_iter=100, random_state=0
    )
    _fit_quietly(clf, Xc, yc)
    parts = clf.decompose(Xc)
    assert parts.contributions.shape == (60, 5, 1)
    np.testing.assert_allclose(
        parts.output, parts.contributions.sum(axis=1) + parts.intercept, rtol=1e-12
    )
    np.testing.assert_allclose(
        expit(parts.output[:, 0]), clf.predict_proba(Xc)[:, 1], rtol=1e-9, atol=1e-12
    )


def test_decompose_multiclass_output_is_the_softmax_input():
    Xc, yc = make_classification(
        n_samples=90,
        n_features=5,
        n_informative=4,
        n_redundant=0,
        n_classes=3,
        random_state=0,
    )
    clf = SquiggleClassifier(
        hidden_layer_sizes=(6,), solver="lbfgs", max_iter=100, random_state=0
    )
    _fit_quietly(clf, Xc, yc)
    parts = clf.decompose(Xc)
    assert parts.contributions.shape == (90, 6, 3)
    assert parts.intercept.shape == (3,)
    np.testing.assert_allclose(
        softmax(parts.output, axis=1), clf.predict_proba(Xc), rtol=1e-9, atol=1e-12
    )
