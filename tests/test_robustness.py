"""Nothing lost, nothing silently wrong: finite numbers at the numerical
edges, divergence and interruption (bitwise reproducibility:
test_determinism.py)."""

import warnings

import numpy as np
import pytest
from conftest import IRIS_X, IRIS_Y
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor
from sknn_squiggle._nn import network as _network
from sknn_squiggle._nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
from sknn_squiggle._nn.losses import LOSSES, OUTPUT_ACTIVATIONS

SOLVERS = ["sgd", "adam", "lbfgs"]


def _extreme_inputs(dtype):
    if dtype == np.float64:
        edge = 1e4
    else:
        edge = np.finfo(np.float32).max
    values = np.array([-edge, -1e3, -50.0, -1.0, 0.0, 1.0, 50.0, 1e3, edge])
    return np.repeat(values[:, None], 3, axis=1).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_hidden_activations_and_derivatives_stay_finite(name, dtype):
    Z = _extreme_inputs(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        A = Z.copy()
        act = ACTIVATIONS[name]
        act.forward(A)
        delta = np.ones_like(Z)
        act.derivative(Z if act.needs_pre_activation else None, A, delta)
    assert A.dtype == dtype and delta.dtype == dtype
    assert np.isfinite(A).all(), A
    assert np.isfinite(delta).all(), delta


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_output_activations_and_losses_stay_finite(loss, dtype):
    Z = _extreme_inputs(dtype)
    y = (np.arange(Z.size).reshape(Z.shape) % 2).astype(dtype)
    if loss == "log_loss":
        y = np.eye(3, dtype=dtype)[np.arange(Z.shape[0]) % 3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        output = Z.copy()
        ACTIVATIONS[OUTPUT_ACTIVATIONS[loss]].forward(output)
        value = LOSSES[loss](y, output, None)
    assert np.isfinite(output).all()
    assert np.isfinite(value)


@pytest.mark.parametrize("solver", SOLVERS)
def test_huge_inputs_train_to_finite_parameters(solver):
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:100] * 1e6, y[:100] * 1e6
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("error", RuntimeWarning)
        model = SquiggleRegressor(solver=solver, max_iter=20, random_state=0)
        model.fit(X, y)
        prediction = model.predict(X)
    assert all(np.isfinite(c).all() for c in model.coefs_ + model.intercepts_)
    assert np.isfinite(prediction).all()


@pytest.mark.parametrize("solver", SOLVERS)
def test_inputs_that_overflow_the_first_evaluation_raise(solver):
    """At 1e300 not even the starting point evaluates to a finite loss: there
    is nothing to fall back to, and fit raises scikit-learn's ValueError
    without numpy's overflow warnings."""
    X, y = load_diabetes(return_X_y=True)
    X, y = X[:100] * 1e300, y[:100] * 1e300
    model = SquiggleRegressor(solver=solver, max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="non-finite parameter weights"):
            model.fit(X, y)


def test_divergence_stops_with_advice_and_finite_parameters():
    X, y = load_diabetes(return_X_y=True)
    X = X * 1000  # unscaled inputs
    model = SquiggleRegressor(solver="sgd", learning_rate_init=10, random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        model.fit(X, y)
    message = str(record[0].message)
    assert "learning_rate_init=10" in message and "StandardScaler" in message
    assert model.n_iter_ < model.max_iter
    assert np.isfinite(model.predict(X)).all()
    assert np.isfinite(model.loss_)


class _Interrupt:
    """Make Network.loss_grad raise KeyboardInterrupt on its n-th call."""

    def __init__(self, monkeypatch, at_call):
        self.calls = 0
        self.at_call = at_call
        original = _network.Network.loss_grad

        def loss_grad(net, *args):
            self.calls += 1
            if self.calls == self.at_call:
                raise KeyboardInterrupt
            return original(net, *args)

        monkeypatch.setattr(_network.Network, "loss_grad", loss_grad)


@pytest.mark.parametrize("solver", SOLVERS)
def test_keyboard_interrupt_returns_a_usable_model(monkeypatch, solver):
    X, y = IRIS_X, IRIS_Y
    _Interrupt(monkeypatch, at_call=40)
    model = SquiggleClassifier(solver=solver, max_iter=500, random_state=0)
    with pytest.warns(UserWarning, match="interrupted"):
        model.fit(X, y)
    assert 0 < model.n_iter_ < 40
    # The model is fitted and predicts from the best parameters it saw.
    assert model.score(X, y) > 0.6
    if solver != "lbfgs":
        assert model.loss_ == pytest.approx(min(model.loss_curve_))


def test_keyboard_interrupt_stops_the_remaining_initialisations(monkeypatch):
    X, y = IRIS_X, IRIS_Y
    interrupt = _Interrupt(monkeypatch, at_call=5)
    with pytest.warns(UserWarning, match="interrupted"):
        SquiggleClassifier(solver="adam", max_iter=50, n_init=5).fit(X, y)
    assert interrupt.calls == 5


def test_divergence_never_falls_back_to_parameters_that_overflow():
    # Found by hypothesis: the last step of epoch 7 leaves finite weights whose
    # outputs overflow; epoch 8 diverges at once. The fallback must be
    # parameters that were seen to give a finite loss.
    rng = np.random.RandomState(0)
    X = rng.uniform(-10, 10, (30, 3))
    y = rng.uniform(-10, 10, 30)
    model = SquiggleRegressor(
        hidden_layer_sizes=(1,),
        solver="sgd",
        learning_rate_init=1.0,
        max_iter=15,
        random_state=0,
    )
    with pytest.warns(ConvergenceWarning, match="diverged"):
        model.fit(X, y)
    assert np.isfinite(model.predict(X)).all()
    assert model.loss_ == pytest.approx(min(model.loss_curve_))


# ---------------------------------------------------------------------------
# Inputs at the float64 maximum, as in scikit-learn's test_nonfinite_params


def _float64_max_regression(n_samples=10):
    """scikit-learn's test_nonfinite_params data: X up to the float64 maximum."""
    rng = np.random.RandomState(0)
    X = np.finfo(np.float64).max * rng.uniform(size=(n_samples, 2))
    return X, rng.standard_normal(size=n_samples)


def _sklearn_error(method, params, X, y):
    """The ValueError scikit-learn's MLPRegressor raises, as a string."""
    from sklearn.neural_network import MLPRegressor

    with pytest.raises(ValueError) as error, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(MLPRegressor(random_state=0, **params), method)(X, y)
    return str(error.value)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_non_finite_parameters_raise_scikit_learns_value_error(method, solver):
    """scikit-learn (1.9) checks coefs_ and intercepts_ at the end of every fit
    and partial_fit and raises this ValueError if one is not finite, which the
    stochastic solvers without early stopping produce here."""
    X, y = _float64_max_regression()
    expected = _sklearn_error(method, dict(solver=solver), X, y)
    assert expected == (
        "Solver produced non-finite parameter weights. The input data may contain"
        " large values and need to be preprocessed."
    )
    model = SquiggleRegressor(random_state=0, solver=solver)
    with pytest.raises(ValueError) as error, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        getattr(model, method)(X, y)
    assert str(error.value) == expected


@pytest.mark.parametrize(
    "params",
    [dict(solver="lbfgs"), dict(early_stopping=True, validation_fraction=0.2)],
    ids=["lbfgs", "early_stopping"],
)
def test_float64_max_inputs_raise_where_scikit_learn_keeps_the_start(params):
    """A deliberate difference: scikit-learn does not raise here (lbfgs stops
    at its first non-finite loss after 0 iterations, early stopping keeps
    the initial weights, which no non-finite validation score replaced) and
    returns a model whose predictions are of order 1e307. Ours raises the
    same ValueError as for the other solvers: no evaluation was finite."""
    from sklearn.neural_network import MLPRegressor

    X, y = _float64_max_regression()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = MLPRegressor(random_state=0, **params).fit(X, y)
        assert theirs.n_iter_ == 0 or params.get("early_stopping")
        # Targets of order 1, predictions of order 1e306 and more.
        assert np.abs(theirs.predict(X)).min() > 1e300
        with pytest.raises(ValueError) as error:
            SquiggleRegressor(random_state=0, **params).fit(X, y)
    assert str(error.value) == _sklearn_error("fit", {}, X, y)
