"""Looking inside a fitted network: its decomposition into each unit's
contribution, and the loss along one of its parameters.

Both run the library's own network (:mod:`sknn_squiggle._nn.network`) over
the fitted parameters; the estimator is never modified.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils import Bunch
from sklearn.utils.validation import column_or_1d

from ._nn.network import Network
from ._nn.objective import Objective


def decompose(estimator, X):
    """The parts of the network's output for validated ``X`` (see
    ``BaseSquiggle.decompose``).

    The network is run with an identity output, keeping every layer's
    pre-activation: the last layer's is the squiggle before the output
    activation.
    """
    dtype = np.result_type(X.dtype, estimator.coefs_[0].dtype)
    n = X.shape[0]
    layers = estimator._layers(out_activation="identity")
    params = estimator._current_params().astype(dtype, copy=False)
    net = Network(layers, params, n, keep_pre_activations=True)
    output = net.forward(X)
    hidden = net.layers[:-1]
    last_hidden = hidden[-1].A if hidden else X
    if sp.issparse(last_hidden):
        last_hidden = last_hidden.toarray()
    return Bunch(
        pre_activations=[layer.Z for layer in hidden],
        activations=[layer.A for layer in hidden],
        contributions=last_hidden[:, :, None] * estimator.coefs_[-1][None, :, :],
        intercept=estimator.intercepts_[-1].copy(),
        output=output,
    )


def parameter_index(estimator, parameter):
    """Position of one weight or bias in the flat parameter vector, and a name.

    ``("intercepts", i, j)`` is ``intercepts_[i][j]``; ``("coefs", i, j, k)``
    or ``("coefs", i, (j, k))`` is ``coefs_[i][j, k]``.
    """
    message = (
        'parameter must be ("coefs", layer, row, column) or '
        f'("intercepts", layer, unit); got {parameter!r}.'
    )
    if not isinstance(parameter, tuple | list) or len(parameter) < 3:
        raise ValueError(message)
    kind, layer, *where = parameter
    if len(where) == 1 and isinstance(where[0], tuple | list):
        where = list(where[0])
    if kind not in ("coefs", "intercepts"):
        raise ValueError(message)
    locations = estimator._layout().locations(kind)
    if not isinstance(layer, int | np.integer) or not 0 <= layer < len(locations):
        raise ValueError(
            f"The network has {len(locations)} layers of {kind}; got layer {layer!r}."
        )
    flat_slice, shape = locations[layer]
    if len(where) != len(shape) or not all(
        isinstance(w, int | np.integer) and 0 <= w < s for w, s in zip(where, shape)
    ):
        raise ValueError(
            f"{kind}_[{layer}] has shape {shape}; got the position {tuple(where)}."
        )
    offset = int(np.ravel_multi_index(tuple(where), shape))
    position = (
        "".join(f"[{w}]" for w in where)
        if kind == "intercepts"
        else (f"[{where[0]}, {where[1]}]")
    )
    return flat_slice.start + offset, f"{kind}_[{layer}]{position}"


def loss_along(
    estimator, X, y, parameter, values, *, loss="objective", sample_weight=None
):
    """Loss and its slope as one parameter takes each of ``values``.

    All other parameters keep their fitted values; the estimator is not
    modified.

    Parameters
    ----------
    estimator : fitted SquiggleRegressor or SquiggleClassifier
    X, y : the data the loss is measured on
    parameter : tuple
        ``("coefs", layer, row, column)`` or ``("intercepts", layer, unit)``.
    values : array-like of shape (n_values,)
    loss : {"objective", "ssr"}, default="objective"
        "objective": the training objective the estimator minimises
        (:mod:`sknn_squiggle._nn.objective`), which is what ``loss_``
        reports. "ssr": the sum of squared residuals
        ``sum_i sum_k (y_ik - p_ik)^2`` of a squared-error regressor, the
        lesson's measure, unweighted and without penalty.
    sample_weight : array-like of shape (n_samples,), default=None
        Used by "objective" only.

    Returns
    -------
    losses, slopes : ndarray of shape (n_values,)
        The loss and its derivative with respect to the parameter, the latter
        from the library's backpropagation.
    name : str
        The parameter, e.g. ``"intercepts_[1][0]"``.
    """
    if loss not in ("objective", "ssr"):
        raise ValueError(f'loss must be "objective" or "ssr", got {loss!r}.')
    if loss == "ssr" and (
        is_classifier(estimator) or estimator._loss_name() != "squared_error"
    ):
        raise ValueError(
            'loss="ssr" is the sum of squared residuals of a regressor fitted '
            'with the squared error; use loss="objective" for this estimator.'
        )
    X, Y, sample_weight = estimator._loss_data(X, y, sample_weight)
    X = X.toarray() if sp.issparse(X) else X
    X, Y = X.astype(np.float64, copy=False), Y.astype(np.float64)
    flat_index, name = parameter_index(estimator, parameter)
    values = column_or_1d(np.asarray(values, dtype=np.float64))
    params = estimator._current_params().astype(np.float64)
    net = Network(estimator._layers(), params, X.shape[0], estimator._loss_name())
    if loss == "ssr":
        # The squared-error loss sums (y - p)^2 / 2; dividing by 1/2 gives the
        # sum of squared residuals, and the gradient scales the same way.
        sample_weight, normaliser, l2 = None, 0.5, 0.0
    else:
        if sample_weight is not None:
            sample_weight = sample_weight.astype(np.float64)
        objective = Objective(estimator.alpha, X.shape[0], sample_weight)
        normaliser, l2 = objective.total_weight, objective.l2
    losses = np.empty_like(values)
    slopes = np.empty_like(values)
    for i, value in enumerate(values):
        params[flat_index] = value
        losses[i] = net.loss_grad(X, Y, sample_weight, normaliser, l2)
        slopes[i] = net.grad[flat_index]
    return losses, slopes, name
