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
from ._losses import _loss_sum, _squared_residual_sum


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
    funcs = [ACTIVATIONS[name] for name in hidden_activations]
    funcs.append(ACTIVATIONS[out_activation])
    return _forward(X, coefs, intercepts, funcs, activations, pre_activations)


def _forward(X, coefs, intercepts, funcs, activations, pre_activations=None):
    """:func:`forward` with the activation functions already looked up.

    Only the first layer can see a sparse input; every later layer multiplies
    dense buffers, so the sparse test is made once.
    """
    n = X.shape[0]
    A = X
    last = len(coefs) - 1
    for i in range(last + 1):
        Z = activations[i][:n]
        if i == 0 and sp.issparse(X):
            Z[...] = X @ coefs[0]
        else:
            np.matmul(A, coefs[i], out=Z)
        Z += intercepts[i]
        if i < last and pre_activations is not None and pre_activations[i] is not None:
            pre_activations[i][:n] = Z
        funcs[i](Z)
        A = Z
    return A


def _softmax_with_buffers(max_rows, units, dtype):
    """Row-wise softmax in place, as
    :func:`~sknn_squiggle._activations.inplace_softmax`, with its per-row
    maximum and sum written into a preallocated column and the sum taken as
    a matrix-vector product with a column of ones.

    numpy reduces each row of a narrow matrix in a separate inner loop
    (about 30 ns a row); for a batch with many more rows than classes the
    row maxima are cheaper as a running maximum over the columns. Both give
    the same, exact, maxima.
    """
    column = np.empty((max_rows, 1), dtype=dtype)
    ones = np.ones((units, 1), dtype=dtype)

    def softmax(Z):
        n = Z.shape[0]
        c = column[:n]
        if n >= 16 * units:
            running = c[:, 0]
            np.copyto(running, Z[:, 0])
            for j in range(1, units):
                np.maximum(running, Z[:, j], out=running)
        else:
            np.maximum.reduce(Z, axis=1, keepdims=True, out=c)
        Z -= c
        np.exp(Z, out=Z)
        np.matmul(Z, ones, out=c)
        Z /= c

    return softmax


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
    work : ndarray, optional
        A vector of at least ``layout.n_coefs`` entries of the parameters'
        dtype that :meth:`loss_grad` may overwrite (its contents are not kept
        between calls), so that training needs one vector fewer.
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
        work=None,
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
        # Everything below is looked up or allocated once, not per batch.
        self._funcs = [ACTIVATIONS[a] for a in self.hidden_activations]
        self._funcs.append(
            _softmax_with_buffers(max_rows, units[-1], dtype)
            if out_activation == "softmax"
            else ACTIVATIONS[out_activation]
        )
        self._derivatives = [DERIVATIVES[a] for a in self.hidden_activations]
        # A column of ones: 1^T delta sums the error over the batch (the
        # intercept gradient) as one matrix-vector product.
        self._ones = np.ones(max_rows, dtype=dtype)
        # Room for l2 * W, so the penalty's gradient allocates nothing: the
        # caller's ``work`` vector when it has one free during loss_grad (an
        # optimizer's scratch), else our own.
        if work is None:
            work = np.empty(layout.n_coefs, dtype=dtype)
        self._scratch = work[: layout.n_coefs]
        # Room for the output's temporaries in the loss.
        self._loss_scratch = np.empty((max_rows, units[-1]), dtype=dtype)
        self._mask = None if trainable_mask is None else trainable_mask.astype(dtype)
        self._keep_pre = any(p is not None for p in self.pre_activations)
        self._coefs_T = [W.T for W in self.coefs]
        # For a layer of one unit, delta_i @ W_i^T is an outer product: a k=1
        # matrix product, which BLAS runs about eight times slower than k=2.
        # So the error is copied into the first column of an (n, 2) buffer and
        # W_i^T into the first row of a (2, fan_in) one, the rest left at zero:
        # every entry is d * w + 0 * 0, the outer product with one rounding.
        self._outer_pairs = [
            (np.zeros((max_rows, 2), dtype=dtype), np.zeros((2, fan_in), dtype=dtype))
            if fan_out == 1 and i > 0
            else None
            for i, (fan_in, fan_out) in enumerate(layout.coef_shapes)
        ]
        self._coef_block = params[: layout.n_coefs]
        self._grad_block = self.grad[: layout.n_coefs]

    def forward(self, X):
        """Output of the network for ``X`` (a view of an internal buffer)."""
        return _forward(
            X,
            self.coefs,
            self.intercepts,
            self._funcs,
            self.activations,
            self.pre_activations,
        )

    def penalty(self, l2):
        """The L2 penalty ``l2 / 2 * sum(W ** 2)`` over coefficients only."""
        coefs = self._coef_block
        return 0.5 * l2 * float(coefs @ coefs)

    def loss_grad(self, X, y, sample_weight, normaliser, l2):
        """Loss and gradient of one batch; the gradient goes into ``self.grad``.

        The batch objective is::

            sum_i s_i * loss(y_i, p_i) / normaliser + l2 / 2 * sum(W ** 2)

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (b, n_features)
        y : ndarray of shape (b, n_outputs)
            Targets in the parameters' dtype (the training loops widen a
            classifier's boolean one-hot targets before they get here).
        sample_weight : ndarray of shape (b,) or None
        normaliser : float
            What the weighted loss sum is divided by.
        l2 : float
            The coefficient of the L2 penalty (intercepts are not penalised).

        Returns
        -------
        loss : float
        """
        # Everything here runs once per minibatch: per-layer lists and views
        # are prepared in __init__, and the only Python work left is the loop
        # over layers.
        n = X.shape[0]
        sparse = not isinstance(X, np.ndarray) and sp.issparse(X)
        coefs, activations = self.coefs, self.activations
        last = len(coefs) - 1
        if sparse or self._keep_pre:
            output = _forward(
                X,
                coefs,
                self.intercepts,
                self._funcs,
                activations,
                self.pre_activations,
            )
        else:
            A = X
            for W, b, f, buf in zip(coefs, self.intercepts, self._funcs, activations):
                A = np.matmul(A, W, out=buf[:n])
                A += b
                f(A)
            output = A

        # Output layer. For every (loss, output activation) pair we use, the
        # link is canonical, so d loss / d Z_out = output - y: the chain rule's
        # d loss / d output and d output / d Z cancel to this difference.
        delta = np.subtract(output, y, out=self.deltas[last][:n])
        if self.loss == "squared_error":
            # The residual is already there: the loss is half its squared norm.
            loss = _squared_residual_sum(delta, sample_weight)
        else:
            loss = _loss_sum(
                self.loss, y, output, sample_weight, self._loss_scratch[:n]
            )
        loss /= normaliser
        if l2:
            loss += self.penalty(l2)
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        delta *= 1.0 / normaliser

        # Walk back through the layers with the chain rule: dL/dW_i is the
        # outer product of what came in (A_{i-1}) and the error at Z_i, dL/db_i
        # is the error summed over samples, and the error at the previous
        # layer's output is delta_i @ W_i^T, times f'(Z_{i-1}).
        ones = self._ones[:n]
        coef_grads, intercept_grads = self.coef_grads, self.intercept_grads
        for i in range(last, 0, -1):
            A_prev = activations[i - 1][:n]
            np.matmul(A_prev.T, delta, out=coef_grads[i])
            np.matmul(ones, delta, out=intercept_grads[i])
            prev_delta = self.deltas[i - 1][:n]
            pair = self._outer_pairs[i]
            if pair is not None:
                delta_pair, weight_pair = pair[0][:n], pair[1]
                delta_pair[:, :1] = delta
                weight_pair[:1] = self._coefs_T[i]
                np.matmul(delta_pair, weight_pair, out=prev_delta)
            else:
                np.matmul(delta, self._coefs_T[i], out=prev_delta)
            pre = self.pre_activations[i - 1]
            self._derivatives[i - 1](
                None if pre is None else pre[:n], A_prev, prev_delta
            )
            delta = prev_delta
        if sparse:
            coef_grads[0][...] = X.T @ delta
        else:
            np.matmul(X.T, delta, out=coef_grads[0])
        np.matmul(ones, delta, out=intercept_grads[0])

        # The penalty's gradient l2 * W, added to the coefficient block at once.
        # (Not through scipy's BLAS axpy: scipy and numpy each load their own
        # OpenBLAS, and waking the second one's threads between numpy's matrix
        # products made training eight times slower on two cores.)
        if l2:
            scratch = np.multiply(self._coef_block, l2, out=self._scratch)
            self._grad_block += scratch
        if self._mask is not None:
            self.grad *= self._mask
        return loss
