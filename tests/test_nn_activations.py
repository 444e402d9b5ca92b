"""sknn_squiggle/_nn/activations.py: every activation and its derivative.

Expected values are the textbook formulas (``conftest.textbook_activation``),
central finite differences of them, and fits that a usable activation must
manage.
"""

import numpy as np
import pytest
from conftest import textbook_activation
from scipy.special import expit
from sklearn.datasets import make_friedman1
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle._nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS

# Away from 0, where relu-like kinks would make a finite difference wrong.
Z = np.array([[-6.0, -2.5, -0.7, -0.2], [0.3, 0.9, 2.2, 5.0], [-1.3, 1.7, -4.1, 3.3]])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_forward_is_the_formula_in_place(name):
    """Every registered activation (aliases and output-only ones included)
    overwrites its argument with f(Z)."""
    A = Z.copy()
    assert ACTIVATIONS[name].forward(A) is None
    # atol: the textbook GELU loses digits to 1 + erf(z) in the far left tail.
    np.testing.assert_allclose(A, textbook_activation(name, Z), rtol=1e-12, atol=1e-15)
    assert not np.array_equal(A, Z) or name == "identity"


@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_derivative_is_the_finite_difference_of_the_formula(name):
    """derivative(Z, A, delta) multiplies delta by f'(Z) in place; Z is
    only given to the activations that need it."""
    act = ACTIVATIONS[name]
    A = textbook_activation(name, Z)
    delta = np.linspace(0.5, 2.0, Z.size).reshape(Z.shape)
    expected = delta.copy()
    h = 1e-6
    slope = (textbook_activation(name, Z + h) - textbook_activation(name, Z - h)) / (
        2 * h
    )
    act.derivative(Z.copy() if act.needs_pre_activation else None, A, delta)
    np.testing.assert_allclose(delta, expected * slope, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize(
    "name", [name for name in HIDDEN_ACTIVATIONS if ACTIVATIONS[name].with_slope]
)
def test_with_slope_gives_the_formula_and_its_finite_difference(name):
    """with_slope(Z, slope) overwrites Z with f(Z) and fills slope with
    f'(Z), a central finite difference of the textbook formula; large
    arguments (past the exp cap) included."""
    Zw = np.vstack([Z, [[19.0, 21.0, 40.0, -30.0]]])
    A, slope = Zw.copy(), np.full_like(Zw, np.nan)
    assert ACTIVATIONS[name].with_slope(A, slope) is None
    h = 1e-6
    expected = (
        textbook_activation(name, Zw + h) - textbook_activation(name, Zw - h)
    ) / (2 * h)
    np.testing.assert_allclose(A, textbook_activation(name, Zw), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(slope, expected, rtol=1e-7, atol=1e-9)


def test_registry():
    """Aliases share their activation's functions; hidden layers may use
    every activation but the output-only exp and softmax; GELU, SiLU and
    Mish alone need the pre-activation (they cannot be inverted from
    f(Z))."""
    assert ACTIVATIONS["sigmoid"].forward is ACTIVATIONS["logistic"].forward
    assert ACTIVATIONS["sigmoid"].derivative is ACTIVATIONS["logistic"].derivative
    assert set(ACTIVATIONS) - set(HIDDEN_ACTIVATIONS) == {"exp", "softmax"}
    assert all(ACTIVATIONS[name].derivative is None for name in ("exp", "softmax"))
    needing = {name for name, a in ACTIVATIONS.items() if a.needs_pre_activation}
    assert needing == {"gelu", "silu", "mish"}


def test_softmax_with_buffers_equals_softmax():
    """The training softmax (preallocated buffers, a running maximum over
    the columns for tall batches) gives the formula's result for batches
    below and above 16 rows per class."""
    buffered = ACTIVATIONS["softmax"].with_buffers(200, 3, np.float64)
    rng = np.random.default_rng(0)
    for rows in (5, 120):
        Z3 = rng.normal(scale=3.0, size=(rows, 3))
        A = Z3.copy()
        buffered(A)
        np.testing.assert_allclose(A, textbook_activation("softmax", Z3), rtol=1e-12)


def test_relu_on_a_strided_view_changes_only_the_view():
    """A non-contiguous layer cannot be flattened into a view: ReLU must still
    apply in place to exactly its entries."""
    rng = np.random.default_rng(6)
    data = rng.normal(size=(5, 8))
    expected = data.copy()
    expected[:, ::2] = np.maximum(expected[:, ::2], 0)
    ACTIVATIONS["relu"].forward(data[:, ::2])
    np.testing.assert_array_equal(data, expected)


def test_softplus_is_exact_where_naive_formulas_fail():
    x = np.array([-800.0, -30.0, 0.0, 30.0, 800.0])
    y = x.copy()
    ACTIVATIONS["softplus"].forward(y)
    # log(1 + e^x) = x + log(1 + e^-x): e^x for x < 0, x for x >> 0.
    np.testing.assert_allclose(y[:2], np.exp(x[:2]), rtol=1e-12)
    np.testing.assert_allclose(y[2], np.log(2.0))
    np.testing.assert_allclose(y[3:], x[3:] + np.exp(-x[3:]), rtol=1e-12)
    delta = np.ones_like(x)
    ACTIVATIONS["softplus"].derivative(None, y, delta)
    np.testing.assert_allclose(delta, expit(x), rtol=1e-12)


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
