"""The network itself: parameter layout, forward pass, loss and backprop.

All weights and biases of a network live in one flat, contiguous vector
``params``: first every layer's coefficient matrix (row-major), then every
layer's intercept vector, the order of scikit-learn's ``_pack``. The per-layer
arrays the estimators expose as ``coefs_`` and ``intercepts_`` are *views* of
that vector, so an optimizer step is one vector operation over all layers,
lbfgs works on the vector without packing, and the L2 penalty, which touches
only coefficients, is one operation on the leading block.

:class:`Network` owns the buffers of one training run (activations, deltas,
the gradient vector), allocated once for the largest batch and reused: a batch
of ``b`` rows uses the first ``b`` rows of each buffer.
"""

import numpy as np
import scipy.sparse as sp

from ._activations import ACTIVATIONS, DERIVATIVES, NEEDS_PRE_ACTIVATION
from ._losses import LOSSES


class ParameterLayout:
    """Where each layer's coefficients and intercepts sit in the flat vector.

    Parameters
    ----------
    layer_units : list of int
        Units per layer, input and output layers included.
    """

    def __init__(self, layer_units):
        self.layer_units = list(layer_units)
        self.coef_shapes = [
            (fan_in, fan_out)
            for fan_in, fan_out in zip(self.layer_units[:-1], self.layer_units[1:])
        ]
        self.intercept_shapes = [(fan_out,) for fan_out in self.layer_units[1:]]
        sizes = [a * b for a, b in self.coef_shapes] + self.layer_units[1:]
        bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        n_layers = len(self.coef_shapes)
        self.coef_slices = [slice(bounds[i], bounds[i + 1]) for i in range(n_layers)]
        self.intercept_slices = [
            slice(bounds[n_layers + i], bounds[n_layers + i + 1])
            for i in range(n_layers)
        ]
        self.n_coefs = int(bounds[n_layers])
        self.n_params = int(bounds[-1])

    def views(self, flat):
        """Per-layer views ``(coefs, intercepts)`` of a flat vector."""
        coefs = [
            flat[s].reshape(shape)
            for s, shape in zip(self.coef_slices, self.coef_shapes)
        ]
        intercepts = [flat[s] for s in self.intercept_slices]
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """A new flat vector holding copies of per-layer arrays."""
        flat = np.empty(self.n_params, dtype=dtype)
        for s, c in zip(self.coef_slices, coefs):
            flat[s] = np.asarray(c).ravel()
        for s, b in zip(self.intercept_slices, intercepts):
            flat[s] = np.asarray(b).ravel()
        return flat


def _affine(A, W, b, out):
    """``out = A @ W + b`` into a preallocated buffer (A may be sparse)."""
    if sp.issparse(A):
        out[...] = A @ W
    else:
        np.matmul(A, W, out=out)
    out += b
    return out


def forward(
    X,
    coefs,
    intercepts,
    hidden_activations,
    out_activation,
    activations,
    pre_activations=None,
):
    """Run the network forward, writing each layer's output into a buffer.

    Layer ``i`` computes ``Z_i = A_{i-1} @ W_i + b_i`` (``A_{-1} = X``): each
    unit takes a weighted sum of the previous layer plus its bias, the
    lesson's "x-axis coordinate". The activation then bends it:
    ``A_i = f_i(Z_i)``, the "y-axis coordinate".

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    coefs, intercepts : lists of ndarray
    hidden_activations : list of str
        One activation name per hidden layer.
    out_activation : str
    activations : list of ndarray
        One buffer per layer after the input, of at least ``n_samples`` rows;
        the first ``n_samples`` rows are overwritten.
    pre_activations : list of (ndarray or None), optional
        Where a buffer is given for a hidden layer, ``Z_i`` is copied into it
        before the activation.

    Returns
    -------
    output : ndarray of shape (n_samples, n_outputs)
        A view of the last buffer.
    """
    n = X.shape[0]
    A = X
    last = len(coefs) - 1
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        Z = _affine(A, W, b, activations[i][:n])
        if i < last:
            if pre_activations is not None and pre_activations[i] is not None:
                pre_activations[i][:n] = Z
            ACTIVATIONS[hidden_activations[i]](Z)
        else:
            ACTIVATIONS[out_activation](Z)
        A = Z
    return A


class Network:
    """Forward pass, loss and gradient of an MLP over a flat parameter vector.

    Parameters
    ----------
    layout : ParameterLayout
    params : ndarray of shape (layout.n_params,)
        The parameters; read (never copied) at every evaluation.
    hidden_activations : list of str
    loss : str
        A key of :data:`sknn_squiggle._losses.LOSSES`.
    out_activation : str
    max_rows : int
        The largest batch this network will be evaluated on.
    trainable_mask : ndarray of bool, optional
        Flat mask; the gradient of frozen entries is set to 0.
    """

    def __init__(
        self,
        layout,
        params,
        hidden_activations,
        loss,
        out_activation,
        max_rows,
        trainable_mask=None,
    ):
        dtype = params.dtype
        self.layout = layout
        self.params = params
        self.coefs, self.intercepts = layout.views(params)
        self.grad = np.empty_like(params)
        self.coef_grads, self.intercept_grads = layout.views(self.grad)
        self.hidden_activations = list(hidden_activations)
        self.loss = loss
        self.out_activation = out_activation
        units = layout.layer_units[1:]
        self.activations = [np.empty((max_rows, u), dtype=dtype) for u in units]
        self.deltas = [np.empty((max_rows, u), dtype=dtype) for u in units]
        self.pre_activations = [
            np.empty((max_rows, u), dtype=dtype)
            if act in NEEDS_PRE_ACTIVATION
            else None
            for act, u in zip(self.hidden_activations, units)
        ]
        self.trainable_mask = trainable_mask

    def forward(self, X):
        """Output of the network for ``X`` (a view of an internal buffer)."""
        return forward(
            X,
            self.coefs,
            self.intercepts,
            self.hidden_activations,
            self.out_activation,
            self.activations,
            self.pre_activations,
        )

    def penalty(self, l2):
        """The L2 penalty ``l2 / 2 * sum(W ** 2)`` over coefficients only."""
        coefs = self.params[: self.layout.n_coefs]
        return 0.5 * l2 * float(coefs @ coefs)

    def loss_grad(self, X, y, sample_weight, normaliser, l2):
        """Loss and gradient of one batch; the gradient goes into ``self.grad``.

        The batch objective is::

            sum_i s_i * loss(y_i, p_i) / normaliser + l2 / 2 * sum(W ** 2)

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (b, n_features)
        y : ndarray of shape (b, n_outputs)
        sample_weight : ndarray of shape (b,) or None
        normaliser : float
            What the weighted loss sum is divided by.
        l2 : float
            The coefficient of the L2 penalty (intercepts are not penalised).

        Returns
        -------
        loss : float
        """
        n = X.shape[0]
        output = self.forward(X)
        loss = LOSSES[self.loss](y, output, sample_weight) / normaliser
        loss += self.penalty(l2)

        # Output layer. For every (loss, output activation) pair we use, the
        # link is canonical, so d loss / d Z_out = output - y: the chain rule's
        # d loss / d output and d output / d Z cancel to this difference.
        last = len(self.coefs) - 1
        delta = np.subtract(output, y, out=self.deltas[last][:n])
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        delta *= 1.0 / normaliser

        # Walk back through the layers with the chain rule: dL/dW_i is the
        # outer product of what came in (A_{i-1}) and the error at Z_i, dL/db_i
        # is the error summed over samples, and the error at the previous
        # layer's output is delta_i @ W_i^T, times f'(Z_{i-1}).
        for i in range(last, -1, -1):
            A_prev = X if i == 0 else self.activations[i - 1][:n]
            if sp.issparse(A_prev):
                self.coef_grads[i][...] = A_prev.T @ delta
            else:
                np.matmul(A_prev.T, delta, out=self.coef_grads[i])
            np.sum(delta, axis=0, out=self.intercept_grads[i])
            if i > 0:
                prev_delta = np.matmul(
                    delta, self.coefs[i].T, out=self.deltas[i - 1][:n]
                )
                pre = self.pre_activations[i - 1]
                DERIVATIVES[self.hidden_activations[i - 1]](
                    None if pre is None else pre[:n], A_prev, prev_delta
                )
                delta = prev_delta

        # The penalty's gradient l2 * W, added to the coefficient block at once.
        if l2:
            k = self.layout.n_coefs
            self.grad[:k] += l2 * self.params[:k]
        if self.trainable_mask is not None:
            self.grad *= self.trainable_mask
        return loss
