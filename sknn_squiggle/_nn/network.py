"""The network: a sequence of layers over one flat parameter vector.

Its forward pass, its loss-and-gradient (backpropagation) and its chunked
prediction are written once, here, and used by training (both solvers),
prediction, :meth:`decompose` and the loss-landscape pictures alike.
"""

import threading
import weakref

import numpy as np

from .layers import Dropout
from .layout import ParameterLayout
from .losses import LOSSES

# Entries of the penalised block scaled at a time when the penalty's gradient
# is added (see _add_scaled).
_PENALTY_PIECE = 2**13


def _add_scaled(y, a, x, scratch):
    """``y += a * x`` through a small scratch vector, piece by piece.

    Each entry is rounded as in ``y += np.multiply(x, a)``, without a
    temporary of ``x``'s size (the penalised block can be most of the
    parameters: a second vector of it was 0.47 MB of W3's 5.2 MB fit memory
    in benchmarks/bench_mlp.py). Not through scipy's BLAS axpy: scipy and
    numpy each load their own OpenBLAS, and waking the second one's threads
    between numpy's matrix products made training eight times slower on two
    cores.
    """
    piece = scratch.shape[0]
    for start in range(0, x.shape[0], piece):
        part = x[start : start + piece]
        scaled = np.multiply(part, a, out=scratch[: part.shape[0]])
        y[start : start + piece] += scaled


class Network:
    """Forward pass, loss and gradient of a sequence of layers.

    Parameters
    ----------
    layers : list of layers
        Descriptions (see :mod:`sknn_squiggle._nn.layers`); the network binds
        its own working copies.
    params : ndarray of shape (n_params,)
        The flat parameters, laid out by ``ParameterLayout.of(layers)``; read
        (never copied) at every evaluation.
    max_rows : int
        The largest batch the network will be evaluated on.
    loss : str, optional
        A key of :data:`~sknn_squiggle._nn.losses.LOSSES`. Without it the
        network only runs forward (prediction): no gradient buffers.
    trainable_mask : ndarray of bool, optional
        Flat mask; the gradient of frozen entries is set to 0.
    keep_pre_activations : bool, default=False
        Keep every layer's ``Z`` in ``layers[i].Z`` (for :meth:`decompose`).

    Attributes
    ----------
    layers : list
        The bound layers.
    grad : ndarray of shape (n_params,)
        The gradient written by :meth:`loss_grad`.
    """

    def __init__(
        self,
        layers,
        params,
        max_rows,
        loss=None,
        trainable_mask=None,
        keep_pre_activations=False,
    ):
        dtype = params.dtype
        self.layout = ParameterLayout.of(layers)
        self.params = params
        self.max_rows = max_rows
        training = loss is not None
        views = self.layout.views(params)
        grads = [None] * len(layers)
        ones = None
        if training:
            self.grad = np.empty_like(params)
            grads = self.layout.views(self.grad)
            # A row of ones: 1^T delta sums the error over the batch (the
            # bias gradient) as one matrix-vector product.
            ones = np.ones(max_rows, dtype=dtype)
        # No layer before the first one with parameters needs its input's
        # gradient: backpropagation stops there.
        first = next(i for i, spec in enumerate(self.layout.shapes) if spec)
        self.layers = [
            layer.bind(
                views[i],
                grads[i],
                max_rows,
                dtype,
                training=training,
                propagate=training and i > first,
                ones=ones,
                keep_pre_activation=keep_pre_activations,
            )
            for i, layer in enumerate(layers)
        ]
        self._backward_layers = self.layers[-2::-1]
        #: The layers that act differently in the evaluations that train:
        #: dropout draws masks, a blended activation keeps its slope.
        self.training_layers = [
            layer for layer in self.layers if hasattr(layer, "training")
        ]
        #: The dropout layers, whose rates a schedule may change.
        self.dropout_layers = [
            layer for layer in self.training_layers if isinstance(layer, Dropout)
        ]
        if training:
            self._init_training(loss, trainable_mask, max_rows, dtype)

    def _init_training(self, loss, trainable_mask, max_rows, dtype):
        """The buffers of :meth:`loss_grad`, allocated once."""
        n_outputs = self.layers[-1].A.shape[1]
        self.loss = LOSSES[loss]
        self.trainable_mask = trainable_mask
        self._mask = None if trainable_mask is None else trainable_mask.astype(dtype)
        # The output error dL/dZ, and room for the loss's temporaries.
        self._delta = np.empty((max_rows, n_outputs), dtype=dtype)
        self._loss_scratch = np.empty((max_rows, n_outputs), dtype=dtype)
        self._penalised = self.params[: self.layout.n_penalised]
        self._penalised_grad = self.grad[: self.layout.n_penalised]
        self._penalty_scratch = np.empty(
            max(1, min(_PENALTY_PIECE, self.layout.n_penalised)), dtype=dtype
        )

    def forward(self, X):
        """Output of the network for ``X`` (a view of the last layer's buffer)."""
        n = X.shape[0]
        A = X
        for layer in self.layers:
            A = layer.forward(A, n)
        return A

    def predict(self, X):
        """Output for any number of rows, ``max_rows`` rows at a time (a new
        array, or the last buffer when ``X`` fits in one chunk)."""
        n = X.shape[0]
        if n <= self.max_rows:
            return self.forward(X)
        out = np.empty((n, self.layers[-1].A.shape[1]), dtype=self.params.dtype)
        for start in range(0, n, self.max_rows):
            rows = slice(start, min(start + self.max_rows, n))
            out[rows] = self.forward(X[rows])
        return out

    def penalty(self, l2):
        """The L2 penalty ``l2 / 2 * sum(W ** 2)`` over the penalised block."""
        W = self._penalised
        return 0.5 * l2 * float(W @ W)

    def loss_grad(self, X, y, sample_weight, normaliser, l2):
        """Loss and gradient of one batch; the gradient goes into ``self.grad``.

        The batch objective is::

            sum_i s_i * loss(y_i, p_i) / normaliser + l2 / 2 * sum(W ** 2)

        Parameters
        ----------
        X : ndarray or sparse matrix of shape (b, n_features)
        y : ndarray of shape (b, n_outputs)
            Targets in the parameters' dtype.
        sample_weight : ndarray of shape (b,) or None
        normaliser : float
            What the weighted loss sum is divided by (see
            :class:`~sknn_squiggle._nn.objective.Objective`).
        l2 : float
            The coefficient of the L2 penalty.

        Returns
        -------
        loss : float
        """
        n = X.shape[0]
        for layer in self.training_layers:
            layer.training = True
        output = self.forward(X)
        # For every (loss, output activation) pair the link is canonical, so
        # d loss / d Z_out = output - y: the chain rule's d loss / d output
        # and d output / d Z cancel to this difference.
        delta = np.subtract(output, y, out=self._delta[:n])
        if self.loss.from_residual is not None:
            loss = self.loss.from_residual(delta, sample_weight)
        else:
            loss = self.loss.value(y, output, sample_weight, self._loss_scratch[:n])
        loss /= normaliser
        if l2:
            loss += self.penalty(l2)
        if sample_weight is not None:
            delta *= sample_weight[:, None]
        delta *= 1.0 / normaliser
        self._backward(delta, n)
        for layer in self.training_layers:
            layer.training = False
        if l2:
            _add_scaled(
                self._penalised_grad, l2, self._penalised, self._penalty_scratch
            )
        if self._mask is not None:
            self.grad *= self._mask
        return loss

    def _backward(self, delta, n):
        """Walk back through the layers with the chain rule, from the output
        error ``dL/dZ_out``; each layer writes its parameters' gradient."""
        dA = self.layers[-1].backward_from_pre_activation(delta, n)
        for layer in self._backward_layers:
            if dA is None:
                break
            dA = layer.backward(dA, n)


def initial_values(layers, rng, X=None, weights=None):
    """Each layer's starting values (``{name: array}``), drawn in order.

    Layers whose start depends on the data (``Dense(ntk=True)``) see their
    input: ``X`` passed through the layers before them with the values just
    drawn (no dropout), with the rows' ``weights``. Without ``X`` no layer
    sees data.
    """
    values = []
    A = X
    for layer in layers:
        drawn = layer.initial_params(rng, A, weights)
        values.append(drawn)
        if A is not None:
            start = {name: np.asarray(v, dtype=A.dtype) for name, v in drawn.items()}
            n = A.shape[0]
            bound = layer.bind(
                start, None, n, A.dtype, training=False, propagate=False, ones=None
            )
            A = np.array(bound.forward(A, n))
    return values


def values_by_name(values):
    """Per-layer ``{name: array}`` as ``{name: [array of each layer that has
    it]}``, what :meth:`ParameterLayout.pack` takes."""
    names = dict.fromkeys(name for drawn in values for name in drawn)
    return {name: [d[name] for d in values if name in d] for name in names}


class ReusedPredictionNetworks:
    """Forward-only networks kept between prediction calls on a few rows.

    Building a :class:`Network` (its layout, the parameter views, the bound
    layers and their buffers) costs more than running it on one row: for a
    fitted (100,) classifier on digits, ``predict`` of one row took 147 us a
    call when every call built its network and 43.5 us with the network
    reused (``python benchmarks/bench_mlp.py --only predict1``). So each
    owner (an estimator) keeps one network of ``max_rows`` rows, rebuilt when
    its key changes (new parameters, sizes or activations).

    A network is used by one call at a time: a call that finds it busy (a
    concurrent prediction from another thread) builds its own. The output is
    a copy, never a view of the reused buffers. Owners are held weakly: the
    network goes with its estimator.

    Parameters
    ----------
    max_rows : int
        The rows of the kept networks; larger inputs are not served here.
    """

    def __init__(self, max_rows):
        self.max_rows = max_rows
        self._kept = weakref.WeakKeyDictionary()

    def predict(self, owner, key, params, build_layers, X):
        """``Network(build_layers(), params, max_rows).predict(X)``, the
        network reused while ``owner`` asks with the same ``key`` and the same
        ``params`` array (``X`` has at most ``max_rows`` rows)."""
        kept = self._kept_for(owner, key, params)
        if kept is None or not kept.lock.acquire(blocking=False):
            return Network(build_layers(), params, self.max_rows).predict(X).copy()
        try:
            if kept.network is None:
                kept.network = Network(build_layers(), params, self.max_rows)
            return kept.network.predict(X).copy()
        finally:
            kept.lock.release()

    def _kept_for(self, owner, key, params):
        """What is kept for ``owner``, new when the key or the parameter
        array changed; None for an owner that cannot be held weakly."""
        try:
            kept = self._kept.get(owner)
            if kept is None or kept.key != key or kept.params is not params:
                kept = _KeptNetwork(key, params)
                self._kept[owner] = kept
        except TypeError:  # unhashable, or no weak references
            return None
        return kept


class _KeptNetwork:
    """One owner's network (built on first use), what it was built for, and
    the lock of the call using it."""

    def __init__(self, key, params):
        self.key, self.params = key, params
        self.network = None
        self.lock = threading.Lock()
