"""Shared data and independent reference computations of the test suite.

What more than one test module uses lives here, and the modules import it
(``from conftest import IRIS_X, small_regression``):

- data sets, as module-level constants (read-only: no test may modify them)
  or small factories taking a size and a seed;
- the lesson's network (dosages, published weights, the squiggle by hand);
- a tanh network written out in numpy (forward pass, the documented
  objective, finite differences), the reference of the tests that check one
  training step against ``-lr * grad J``;
- the textbook formulas of every activation and loss;
- the fitted estimators and the deep comparison of the round trips (model
  files, pickle, joblib, skops).

None of it calls the code under test to produce an expected value, except
the round-trip comparators, whose expected values are the saved estimator's
own state.
"""

import warnings

import numpy as np
from scipy.special import erf
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.preprocessing import LabelBinarizer, StandardScaler

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._nn.embeddings import CategoryEmbedding, PeriodicEmbedding
from sknn_squiggle._nn.layers import Blend, Dense, Dropout, Scaling
from sknn_squiggle._training.optimizers import AdamOptimizer, SGDOptimizer

# ----------------------------------------------------------------------
# Data sets

#: iris as scikit-learn loads it (150 rows: the default batch is all of them).
IRIS_X, IRIS_Y = load_iris(return_X_y=True)
#: iris standardised column by column.
IRIS_X_STD = StandardScaler().fit_transform(IRIS_X)
#: breast_cancer standardised column by column, and its binary target.
BREAST_CANCER_X_STD, BREAST_CANCER_Y = load_breast_cancer(return_X_y=True)
BREAST_CANCER_X_STD = StandardScaler().fit_transform(BREAST_CANCER_X_STD)


def small_regression(n=60, d=4, seed=0):
    """Gaussian X; y = x_0 - x_1^2 / 2 plus a little noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = X[:, 0] - 0.5 * X[:, 1] ** 2 + 0.1 * rng.normal(size=n)
    return X, y


def small_binary(n=60, d=3, seed=0):
    """Gaussian X; a noisy linear boundary gives the labels 0 and 1."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.3 * rng.normal(size=n) > 0).astype(int)
    return X, y


def separable_classification(n=120, seed=0):
    """Four standardised features, two well separated classes."""
    X, y = make_classification(
        n_samples=n,
        n_features=4,
        n_informative=3,
        n_redundant=0,
        class_sep=1.5,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def tiny_regression(n=30, d=3, n_outputs=3, seed=0):
    """A few outputs of a random tanh map, with noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.tanh(X @ rng.normal(size=(d, n_outputs))) + 0.1 * rng.normal(
        size=(n, n_outputs)
    )
    return X, Y


def tiny_weights(units, seed=1):
    """Per-layer weights and biases drawn from U(-0.8, 0.8)."""
    rng = np.random.default_rng(seed)
    coefs = [rng.uniform(-0.8, 0.8, (a, b)) for a, b in zip(units[:-1], units[1:])]
    intercepts = [rng.uniform(-0.8, 0.8, b) for b in units[1:]]
    return coefs, intercepts


#: The network of :func:`alpha_problem`: 3 inputs, 2 tanh units, 2 outputs.
ALPHA_UNITS = [3, 2, 2]


def alpha_problem():
    """Two outputs, starting weights (flat) and sample weights: the problem
    of the tests of what alpha means for every solver and batch size."""
    X, Y = tiny_regression(n=40, n_outputs=2, seed=5)
    sw = np.random.default_rng(7).uniform(0.5, 3.0, size=40)
    return X, Y, flatten(*tiny_weights(ALPHA_UNITS, seed=6)), sw


def zero_first_batch_data():
    """50 rows whose first 10 (the first batch of 10, unshuffled) have
    sample weight 0."""
    rng = np.random.default_rng(3)
    X = rng.normal(size=(50, 3))
    y = X @ [1.0, -1.0, 0.5] + 0.1 * rng.normal(size=50)
    sw = rng.uniform(0.5, 2.0, size=50)
    sw[:10] = 0.0
    return X, y, sw


# ----------------------------------------------------------------------
# The lesson (1.4, "Neural Networks"): three dosages and a (1, 2, 1)
# softplus network

DOSAGE = np.array([[0.0], [0.5], [1.0]])
EFFECTIVE = np.array([0.0, 1.0, 0.0])
#: Part one: the network already fitted to the dosages.
LESSON = dict(w1=-34.4, b1=2.14, w2=-2.52, b2=1.29, w3=-1.3, w4=2.28, b3=-0.58)
#: Part two: everything optimal but b3 (which the lesson starts at 0).
BP = dict(w1=3.34, b1=-1.43, w2=-3.53, b2=0.57, w3=-1.22, w4=-2.30)
#: Every parameter frozen.
FROZEN = {"coefs": [False, False], "intercepts": [False, False]}


def softplus(x):
    """log(1 + e^x), without overflow."""
    return np.logaddexp(0, x)


def lesson_squiggle(x, w1, b1, w2, b2, w3, w4, b3):
    """The lesson's network written out by hand."""
    return w3 * softplus(w1 * x + b1) + w4 * softplus(w2 * x + b2) + b3


def lesson_network(w1, b1, w2, b2, w3, w4, b3, learning_rate_init=1.0, alpha=0.0):
    """A SquiggleRegressor doing plain full-batch gradient descent from the
    given weights, fitted with every parameter frozen (so it holds exactly
    them)."""
    reg = SquiggleRegressor(
        hidden_layer_sizes=(2,),
        activation="softplus",
        solver="sgd",
        learning_rate_init=learning_rate_init,
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=3,
        shuffle=False,
        alpha=alpha,
        coefs_init=[np.array([[w1, w2]]), np.array([[w3], [w4]])],
        intercepts_init=[np.array([b1, b2]), np.array([b3])],
        trainable=FROZEN,
    )
    return reg.partial_fit(DOSAGE, EFFECTIVE)


# ----------------------------------------------------------------------
# A tanh network by hand: tanh hidden layers, identity output, the squared
# error, parameters as one flat vector of every coefficient matrix
# (row-major) then every intercept vector.


def flatten(coefs, intercepts):
    """One flat vector: the coefficient matrices, then the intercepts."""
    return np.concatenate([np.ravel(a) for a in [*coefs, *intercepts]])


def unflatten(flat, units):
    """Copies of the per-layer arrays of a flat vector, for ``units`` per
    layer (input and output included)."""
    shapes = [(a, b) for a, b in zip(units[:-1], units[1:])]
    shapes += [(b,) for b in units[1:]]
    arrays, k = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        arrays.append(flat[k : k + size].reshape(shape).copy())
        k += size
    n = len(units) - 1
    return arrays[:n], arrays[n:]


def tanh_forward(X, coefs, intercepts):
    """tanh hidden layers, identity output."""
    A = X
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        A = A @ W + b
        if i < len(coefs) - 1:
            A = np.tanh(A)
    return A


def tanh_objective(flat, units, X, Y, sample_weight=None, alpha=0.0):
    """The documented objective, written independently::

        J = sum_i s_i sum_k 1/2 (y_ik - p_ik)^2 / S + alpha / (2 S) ||W||^2

    with ``S = sum_i s_i`` (n without weights).
    """
    coefs, intercepts = unflatten(flat, units)
    p = tanh_forward(X, coefs, intercepts)
    Y = np.reshape(Y, p.shape)
    s = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    S = s.sum()
    data = s @ (0.5 * ((Y - p) ** 2).sum(axis=1)) / S
    return data + alpha / (2 * S) * sum((W**2).sum() for W in coefs)


def fd_gradient(f, flat, eps=1e-6):
    """Central finite differences ``(f(x + eps e_k) - f(x - eps e_k)) / (2
    eps)``, entry by entry."""
    grad = np.empty_like(flat)
    for k in range(flat.size):
        up, down = flat.copy(), flat.copy()
        up[k] += eps
        down[k] -= eps
        grad[k] = (f(up) - f(down)) / (2 * eps)
    return grad


#: Twelve rows, three features, a smooth target: the problem of the tests
#: that follow single steps from given weights.
HAND_RNG = np.random.RandomState(0)
HAND_X = HAND_RNG.normal(size=(12, 3))
HAND_Y = HAND_X @ [1.0, -2.0, 0.5] + np.sin(HAND_X[:, 0])
HAND_UNITS = [3, 4, 3, 1]
HAND_HIDDEN = (4, 3)
HAND_SHAPES = [(3, 4), (4, 3), (3, 1)]


def hand_start(seed=1):
    """Starting weights for the HAND problem's network, N(0, 0.5^2)."""
    rng = np.random.RandomState(seed)
    coefs = [rng.normal(scale=0.5, size=s) for s in HAND_SHAPES]
    intercepts = [rng.normal(scale=0.5, size=s[1]) for s in HAND_SHAPES]
    return coefs, intercepts


def hand_objective(flat, alpha=0.0):
    """The objective of the HAND problem at a flat parameter vector."""
    return tanh_objective(flat, HAND_UNITS, HAND_X, HAND_Y, None, alpha)


def hand_gradient(flat, alpha=0.0):
    """Finite differences of :func:`hand_objective`."""
    return fd_gradient(lambda f: hand_objective(f, alpha), flat)


def hand_regressor(**params):
    """The HAND problem's tanh network: full batches in a fixed order."""
    base = dict(
        hidden_layer_sizes=HAND_HIDDEN,
        activation="tanh",
        batch_size=HAND_X.shape[0],
        shuffle=False,
        random_state=0,
    )
    return SquiggleRegressor(**{**base, **params})


def hand_masks(seed=3):
    """Random trainable masks for every layer of the HAND network."""
    rng = np.random.RandomState(seed)
    return {
        "coefs": [rng.rand(*s) < 0.5 for s in HAND_SHAPES],
        "intercepts": [rng.rand(s[1]) < 0.5 for s in HAND_SHAPES],
    }


#: One epoch of plain sgd, in a fixed order, through a tanh layer.
SGD_ONE_EPOCH = dict(
    solver="sgd",
    momentum=0.0,
    shuffle=False,
    max_iter=1,
    activation="tanh",
)


def ours_one_step(flat, units, X, Y, lr, alpha, sw=None, batch=None):
    """(reported loss_, parameters after one plain-sgd epoch) from ``flat``,
    full batch unless ``batch`` is given."""
    coefs, intercepts = unflatten(flat, units)
    est = SquiggleRegressor(
        hidden_layer_sizes=tuple(units[1:-1]),
        learning_rate_init=lr,
        alpha=alpha,
        batch_size=X.shape[0] if batch is None else batch,
        coefs_init=coefs,
        intercepts_init=intercepts,
        **SGD_ONE_EPOCH,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, Y, sample_weight=sw)
    return est.loss_, flatten(est.coefs_, est.intercepts_)


def step_vs_reported_loss(one_step, alpha):
    """The direction a full-batch plain-sgd epoch moved in, (theta0 - theta1)
    / lr, against finite differences of the loss_ the estimator reports, on
    three outputs."""
    X, Y = tiny_regression()
    units = [3, 2, 3]
    flat0 = flatten(*tiny_weights(units))
    lr = 0.1
    _, flat1 = one_step(flat0, units, X, Y, lr, alpha)
    followed = (flat0 - flat1) / lr

    def reported_loss(flat):
        return one_step(flat, units, X, Y, lr, alpha)[0]

    return followed, fd_gradient(reported_loss, flat0)


# ----------------------------------------------------------------------
# Textbook formulas of the activations and losses (no package code)


def textbook_activation(name, z):
    """f(z) of every registered activation, from its formula."""
    if name == "identity":
        return z
    if name in ("logistic", "sigmoid"):
        return 1.0 / (1.0 + np.exp(-z))
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, 0.01 * z)
    if name == "softplus":
        return np.log1p(np.exp(z))
    if name == "elu":
        return np.where(z > 0, z, np.exp(z) - 1.0)
    if name == "gelu":
        # x * Phi(x), Phi the standard normal CDF.
        return z * 0.5 * (1.0 + erf(z / np.sqrt(2.0)))
    if name == "silu":
        return z / (1.0 + np.exp(-z))
    if name == "selu":
        lam, alpha = 1.0507009873554805, 1.6732632423543772
        return np.where(z > 0, lam * z, lam * alpha * np.expm1(z))
    if name == "mish":
        return z * np.tanh(np.log1p(np.exp(z)))
    if name == "exp":
        return np.exp(z)
    if name == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    raise ValueError(name)


def textbook_loss(loss, y, p):
    """Per-sample loss, summed over outputs."""
    if loss == "squared_error":
        return 0.5 * ((y - p) ** 2).sum(axis=1)
    if loss == "poisson":
        # Half Poisson deviance; y log(y / p) is 0 for y = 0.
        ylogy = np.where(y > 0, y * np.log(np.where(y > 0, y, 1.0) / p), 0.0)
        return (ylogy - y + p).sum(axis=1)
    if loss == "binary_log_loss":
        return -(y * np.log(p) + (1 - y) * np.log(1 - p)).sum(axis=1)
    if loss == "log_loss":
        return -(y * np.log(p)).sum(axis=1)
    raise ValueError(loss)


# ----------------------------------------------------------------------
# Fitted estimators and their round trips (model files, pickle, skops)

ROUND_TRIP_RNG = np.random.RandomState(0)
ROUND_TRIP_X = ROUND_TRIP_RNG.uniform(-1, 1, (40, 3))
ROUND_TRIP_X_NEW = ROUND_TRIP_RNG.uniform(-1.5, 1.5, (25, 3))
_y = np.sin(2 * ROUND_TRIP_X[:, 0]) + ROUND_TRIP_X[:, 1]
ROUND_TRIP_BINARY = (ROUND_TRIP_X[:, 0] + ROUND_TRIP_X[:, 1] > 0).astype(int)
_three = np.digitize(ROUND_TRIP_X[:, 0], [-1 / 3, 1 / 3])
#: For every kind of target: the estimator, its extra parameters, y.
TASKS = {
    "regression": (SquiggleRegressor, {}, _y),
    "multi_output": (
        SquiggleRegressor,
        {},
        np.column_stack([_y, ROUND_TRIP_X[:, 2] - ROUND_TRIP_X[:, 0]]),
    ),
    "poisson": (
        SquiggleRegressor,
        {"loss": "poisson"},
        ROUND_TRIP_RNG.poisson(np.exp(0.5 * ROUND_TRIP_X[:, 0])).astype(float),
    ),
    "binary": (SquiggleClassifier, {}, ROUND_TRIP_BINARY),
    "multiclass": (SquiggleClassifier, {}, _three),
    "multilabel": (SquiggleClassifier, {}, (ROUND_TRIP_X > 0).astype(int)),
    "string_labels": (SquiggleClassifier, {}, np.array(["cat", "dog", "emu"])[_three]),
    "integer_labels": (SquiggleClassifier, {}, np.array([-7, 42])[ROUND_TRIP_BINARY]),
    "boolean_labels": (SquiggleClassifier, {}, ROUND_TRIP_BINARY.astype(bool)),
}


def fit_task(task, solver="adam", activation="tanh", dtype=np.float64, **params):
    """A small estimator fitted on one of the TASKS."""
    Estimator, task_params, y = TASKS[task]
    params = {
        "hidden_layer_sizes": (4, 3),
        "activation": activation,
        "solver": solver,
        "max_iter": 10 if solver == "lbfgs" else 5,
        "random_state": 0,
        **task_params,
        **params,
    }
    return Estimator(**params).fit(ROUND_TRIP_X.astype(dtype), y)


def assert_same(a, b, where="estimator"):
    """Recursive equality: same types, array dtypes and shapes, same bits."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert type(b) is dict and list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, LabelBinarizer):
        assert type(a) is type(b), where
        assert sorted(vars(a)) == sorted(vars(b)), where
        for key in vars(a):
            assert_same(getattr(a, key), getattr(b, key), f"{where}.{key}")
    elif isinstance(a, SGDOptimizer | AdamOptimizer):
        # The optimizer's whole state (its private arrays are scratch).
        assert type(a) is type(b), where
        assert_same(a.state(), b.state(), f"{where}.state()")
    elif isinstance(a, float | np.floating) and np.isnan(a):
        assert np.isnan(b), where
    else:
        # Numbers may come back as Python numbers (loss curves): same value.
        assert a == b, where
        assert isinstance(b, str) == isinstance(a, str), where
        assert isinstance(b, bool | np.bool_) == isinstance(a, bool | np.bool_), where


def assert_same_estimator(original, loaded):
    """Same class, parameters and every attribute; the per-layer arrays
    views of the flat vector."""
    assert type(loaded) is type(original)
    assert_same(original.get_params(deep=False), loaded.get_params(deep=False))
    assert sorted(vars(loaded)) == sorted(vars(original))
    for key, value in vars(original).items():
        assert_same(value, getattr(loaded, key), key)
    # The per-layer arrays are views of the flat vector, as after fit.
    for array in [*loaded.coefs_, *loaded.intercepts_]:
        assert np.shares_memory(array, loaded._params)


def assert_same_predictions(original, loaded):
    """Every prediction method, on the training rows and on new ones."""
    for data in (ROUND_TRIP_X, ROUND_TRIP_X_NEW, ROUND_TRIP_X_NEW.astype(np.float32)):
        for method in ("predict", "predict_proba", "predict_log_proba"):
            if hasattr(original, method):
                assert_same(
                    getattr(original, method)(data), getattr(loaded, method)(data)
                )


def params_after(estimator, method, *args):
    """The flat parameters after calling ``method`` (fit or partial_fit)."""
    getattr(estimator, method)(*args)
    return estimator._params.copy()


# ----------------------------------------------------------------------
# A tabular network and its input, laid out as the TableEncoder lays a table


def tabular_input(n=9, n_numeric=3, n_flags=2, cardinalities=(4, 3), seed=0):
    """A network input laid out as the TableEncoder lays it out."""
    rng = np.random.RandomState(seed)
    codes = np.column_stack([rng.randint(0, k, n) for k in cardinalities])
    return np.hstack(
        [
            rng.normal(size=(n, n_numeric)),
            rng.randint(0, 2, (n, n_flags)).astype(float),
            codes.astype(float),
        ]
    )


def tabular_layers(n_numeric=3, n_flags=2, cardinalities=(4, 3), out=3, p=0.0):
    periodic = PeriodicEmbedding(n_numeric, n_flags + len(cardinalities), lr_factor=0.1)
    categories = CategoryEmbedding(
        periodic.n_out - len(cardinalities), list(cardinalities), size=2
    )
    width = categories.n_out
    return [
        periodic,
        categories,
        Scaling(width, 6.0),
        Dense(width, 5, ntk=True, bias_lr_factor=0.1),
        Blend(5, "selu", lr_factor=0.1),
        Dropout(5, p, random_state=3),
        Dense(5, 4, ntk=True),
        Blend(4, "mish"),
        Dense(4, out, "softmax", ntk=True),
    ]
