"""SquiggleRegressor: the base network with an identity or exp output."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.metrics import r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import (
    BaseSquiggle,
    _arguments,
    check_no_missing_targets,
    validate_numeric_data,
)
from ._docstrings import ATTRIBUTES, PARAMETERS
from ._training.monitor import with_callbacks


class SquiggleRegressor(RegressorMixin, BaseSquiggle):
    __doc__ = (
        """Neural-network regressor: a squiggle fitted by backpropagation.

    A drop-in replacement for scikit-learn's
    :class:`~sklearn.neural_network.MLPRegressor` with the same parameters,
    attributes and methods, and more: extra activations (``"softplus"``,
    ``"leaky_relu"``, ``"elu"``, ``"gelu"``, ``"silu"``, or one per layer),
    starting weights and frozen parameters, several initialisations, the
    network's decomposition, a loss curve for lbfgs and float32 training.

    Parameters
    ----------
    loss : {"squared_error", "poisson"}, default="squared_error"
        ``"squared_error"``: half the squared error with an identity output;
        with several outputs it is summed over them (scikit-learn averages
        the reported loss but follows the summed loss's gradient, its issue
        8349). ``"poisson"``: half the Poisson deviance with an exponential
        output (log link); targets must be non-negative.
"""
        + PARAMETERS
        + ATTRIBUTES
        + """
    See Also
    --------
    SquiggleClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.model_selection import train_test_split
    >>> from sknn_squiggle import SquiggleRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1.0,
    ...                        random_state=1)
    >>> X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=1)
    >>> reg = SquiggleRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
    ...                         max_iter=300, random_state=1)
    >>> reg.fit(X_train, y_train).score(X_test, y_test) > 0.95
    True
    >>> reg.predict(X_test[:2]).shape
    (2,)
    """
    )

    #: The losses of ``loss``, keys of sknn_squiggle._nn.losses.LOSSES.
    _LOSSES = ("squared_error", "poisson")

    _parameter_constraints: dict = {
        **BaseSquiggle._parameter_constraints,
        "loss": [StrOptions(set(_LOSSES))],
    }

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        coefs_init=None,
        intercepts_init=None,
        trainable=None,
        n_init=1,
        scoring=None,
        weight_decay=0.0,
        dropout=0.0,
    ):
        # scikit-learn's convention: every argument stored as given, nothing
        # else (see BaseSquiggle.__init__).
        BaseSquiggle.__init__(self, **_arguments(locals()))

    def _validate_fit_data(self, X, y, sample_weight, incremental, reset):
        X, y = self._validate_Xy(X, y, reset)
        return X, y, self._checked_sample_weight(sample_weight, X)

    def _loss_data(self, X, y, sample_weight):
        """X, the targets and the weights that the training objective sees for
        these data, without changing the estimator."""
        return self._validate_fit_data(X, y, sample_weight, False, reset=False)

    def _validate_Xy(self, X, y, reset):
        """X as floats and y as a float column per output, in X's dtype."""
        check_no_missing_targets(self, y, "values")
        X, y = validate_numeric_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y = np.asarray(y, dtype=X.dtype)
        if y.ndim == 1:
            y = y.reshape(-1, 1)
        if self.loss == "poisson" and (y < 0).any():
            raise ValueError(
                "loss='poisson' models counts and rates: y must be non-negative, "
                f"got a minimum of {y.min()}."
            )
        return X, y

    def _loss_name(self):
        return self.loss

    def _score_outputs(self, output, y, sample_weight):
        if not np.isfinite(output).all():
            return np.nan
        return r2_score(y, output, sample_weight=sample_weight)

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights; the loss is their weighted mean.

        Returns
        -------
        self : SquiggleRegressor
            The fitted estimator.

        Examples
        --------
        >>> from sknn_squiggle import SquiggleRegressor
        >>> X, y = [[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0]
        >>> reg = SquiggleRegressor(hidden_layer_sizes=(2,), solver="lbfgs",
        ...                         activation="softplus", random_state=0)
        >>> reg.fit(X, y).n_layers_
        3
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the network with one epoch over the given data.

        Only for the stochastic solvers ("sgd" and "adam"): with
        ``solver="lbfgs"`` this method does not exist.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : SquiggleRegressor
            The updated estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_squiggle import SquiggleRegressor
        >>> X = np.linspace(0, 1, 20).reshape(-1, 1)
        >>> reg = SquiggleRegressor(hidden_layer_sizes=(4,), random_state=0)
        >>> for _ in range(3):
        ...     reg = reg.partial_fit(X, X.ravel())
        >>> len(reg.loss_curve_)
        3
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict using the fitted network.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.

        Examples
        --------
        >>> from sknn_squiggle import SquiggleRegressor
        >>> X, y = [[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0]
        >>> reg = SquiggleRegressor(hidden_layer_sizes=(2,), solver="lbfgs",
        ...                         random_state=0).fit(X, y)
        >>> reg.predict([[0.25], [0.75]]).shape
        (2,)
        """
        check_is_fitted(self)
        y_pred = self._predict_output(X)
        if y_pred.shape[1] == 1:
            return y_pred.ravel()
        return y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
