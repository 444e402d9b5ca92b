"""Layers: each defines its parameters, their initialisation, its forward
pass and its backward pass side by side.

A layer is first a description (its sizes and settings). :meth:`bind` makes
a working copy for one :class:`~sknn_squiggle._nn.network.Network`: views of
the network's flat parameter and gradient vectors, and buffers for the
largest batch, allocated once and reused (a batch of ``n`` rows uses the
first ``n`` rows of each buffer). The description itself is never modified,
so one list of layers can build any number of networks.

The interface every layer follows:

- ``param_specs()``: the parameters it owns (``ParamSpec`` list, maybe empty);
- ``multiply_adds()``: the forward pass's multiply-adds per row (which
  decides how many BLAS threads training uses);
- ``initial_params(rng)``: ``{name: array}`` of starting values;
- ``bind(params, grads, max_rows, dtype, *, training, propagate, ones,
  keep_pre_activation)``: the working copy (:class:`Layer` writes it once;
  a layer gives it its buffers in ``_allocate``);
- ``forward(A_in, n)``: the layer's output for the first ``n`` rows;
- ``backward(dA, n)``: given ``dA = dL/d(output)``, write the gradient of
  the layer's parameters into its slice of the gradient vector and return
  ``dL/d(input)`` (None when ``propagate`` is False: nothing before the layer
  needs it).

Adding a layer type is one class here; the network and the training loops
only call these methods.
"""

import copy

import numpy as np

from .activations import ACTIVATIONS
from .layout import ParamSpec


def _input_gradient(max_rows, fan_in, fan_out, dtype):
    """A function ``product(delta, W_T, out)`` writing ``delta @ W_T`` into
    ``out``: the error propagated to a layer's input.

    Through a layer of one unit this is an outer product, a k=1 matrix
    product, which BLAS runs about eight times slower than k=2 (at 426 x 50
    on one thread: k=1 matmul 21 us, broadcast multiply 9.5 us, k=2 matmul
    2.6 us). So the error is copied into the first column of an (n, 2)
    buffer and ``W_T`` into the first row of a (2, fan_in) one, the rest left
    at zero: every entry is ``d * w + 0 * 0``, the outer product with one
    rounding.
    """
    if fan_out != 1:

        def product(delta, W_T, out):
            np.matmul(delta, W_T, out=out)

        return product
    delta_pair = np.zeros((max_rows, 2), dtype=dtype)
    weight_pair = np.zeros((2, fan_in), dtype=dtype)

    def one_unit_product(delta, W_T, out):
        pair = delta_pair[: delta.shape[0]]
        pair[:, :1] = delta
        weight_pair[:1] = W_T
        np.matmul(pair, weight_pair, out=out)

    return one_unit_product


class Layer:
    """What every layer shares: :meth:`bind`, which copies the description
    and lets the layer's ``_allocate`` give the copy its views and buffers,
    and the defaults of a layer without parameters."""

    def param_specs(self):
        return []

    def initial_params(self, rng, A_in=None, weights=None):
        return {}

    def bind(
        self,
        params,
        grads,
        max_rows,
        dtype,
        *,
        training,
        propagate,
        ones,
        keep_pre_activation=False,
    ):
        """A working copy over the given parameter (and gradient) views,
        with buffers for ``max_rows`` rows of ``dtype``."""
        bound = copy.copy(self)
        bound.params, bound.grads = params, grads
        bound.propagate = propagate
        bound.A_in = None
        bound._allocate(
            max_rows,
            np.dtype(dtype),
            training=training,
            ones=ones,
            keep_pre_activation=keep_pre_activation,
        )
        return bound

    def _allocate(self, max_rows, dtype, *, training, ones, keep_pre_activation):
        """Give a working copy its views and buffers (see :meth:`bind`)."""
        raise NotImplementedError


class Dense(Layer):
    """A fully connected layer followed by its activation.

    Forward, for the input ``A_in`` (the previous layer's output, or X)::

        Z = A_in W + b          (each unit's weighted sum plus its bias:
                                 the lesson's "x-axis coordinate")
        A = f(Z)                (the activation bends it: the "y-axis
                                 coordinate")

    Backward, given ``dA = dL/dA`` (the chain rule)::

        dZ = dA * f'(Z)
        dL/dW = A_in^T dZ       dL/db = 1^T dZ      dL/dA_in = dZ W^T

    In the neural-tangent-kernel parametrisation (``ntk=True``) the product
    is scaled, ``Z = s A_in W + b`` with ``s = 1 / sqrt(fan_in)``, so that
    weights of unit scale give outputs of unit scale whatever the width;
    backward then has ``dL/dW = s A_in^T dZ`` and ``dL/dA_in = s dZ W^T``.

    Parameters
    ----------
    fan_in, fan_out : int
        Units of the input and of the layer.
    activation : str, default="identity"
        A key of :data:`~sknn_squiggle._nn.activations.ACTIVATIONS`.
    init_activation : str, default=None
        The activation whose Glorot factor sets the initial range (default:
        ``activation``). scikit-learn uses the hidden activation for every
        layer, the output layer included.
    ntk : bool, default=False
        The neural-tangent-kernel parametrisation, and the data-driven
        initialisation of :meth:`initial_params` (which then needs the
        layer's input).
    bias_lr_factor : float, default=1.0
        The learning-rate factor of the bias.
    """

    def __init__(
        self,
        fan_in,
        fan_out,
        activation="identity",
        init_activation=None,
        *,
        ntk=False,
        bias_lr_factor=1.0,
    ):
        self.fan_in = fan_in
        self.fan_out = fan_out
        self.activation = activation
        self.init_activation = (
            activation if init_activation is None else init_activation
        )
        self.ntk = ntk
        self.bias_lr_factor = bias_lr_factor
        self.weight_scale = 1.0 / np.sqrt(fan_in) if ntk else 1.0

    def param_specs(self):
        """The weight matrix (penalised) and the bias vector (not)."""
        return [
            ParamSpec("coefs", (self.fan_in, self.fan_out), True),
            ParamSpec("intercepts", (self.fan_out,), False, self.bias_lr_factor),
        ]

    def multiply_adds(self):
        """Multiply-adds of the forward pass per row (its matrix product)."""
        return self.fan_in * self.fan_out

    def initial_params(self, rng, A_in=None, weights=None):
        """Glorot-uniform weights and biases, in scikit-learn's order; with
        ``ntk``, the data-driven start of :func:`data_driven_dense_init`.

        Glorot: both are drawn uniformly from ``+-sqrt(c / (fan_in +
        fan_out))``, ``c = 2`` for the logistic sigmoid and 6 otherwise, the
        weights first, so that the same random_state gives scikit-learn's
        starting point.
        """
        if self.ntk:
            return data_driven_dense_init(
                rng, A_in, self.fan_out, self.weight_scale, weights
            )
        factor = 2.0 if self.init_activation in ("logistic", "sigmoid") else 6.0
        bound = np.sqrt(factor / (self.fan_in + self.fan_out))
        coefs = rng.uniform(-bound, bound, (self.fan_in, self.fan_out))
        intercepts = rng.uniform(-bound, bound, self.fan_out)
        return {"coefs": coefs, "intercepts": intercepts}

    def _allocate(self, max_rows, dtype, *, training, ones, keep_pre_activation):
        act = ACTIVATIONS[self.activation]
        self.W, self.b = self.params["coefs"], self.params["intercepts"]
        self.A = np.empty((max_rows, self.fan_out), dtype=dtype)
        keep = keep_pre_activation or (training and act.needs_pre_activation)
        self.Z = np.empty((max_rows, self.fan_out), dtype=dtype) if keep else None
        self.f = act.forward
        if training and act.with_buffers is not None:
            self.f = act.with_buffers(max_rows, self.fan_out, dtype)
        self.f_prime = act.derivative
        if training:
            self.dW, self.db = self.grads["coefs"], self.grads["intercepts"]
            self.ones = ones
        if self.propagate:
            self.W_T = self.W.T
            self.dA_in = np.empty((max_rows, self.fan_in), dtype=dtype)
            self.input_gradient = _input_gradient(
                max_rows, self.fan_in, self.fan_out, dtype
            )

    def forward(self, A_in, n):
        """``A = f(A_in W + b)`` for the first ``n`` rows (a buffer view)."""
        Z = self.A[:n]
        if isinstance(A_in, np.ndarray):
            np.matmul(A_in, self.W, out=Z)
        else:  # a sparse input
            Z[...] = A_in @ self.W
        if self.ntk:
            Z *= self.weight_scale
        Z += self.b
        if self.Z is not None:
            self.Z[:n] = Z
        self.f(Z)
        self.A_in = A_in
        return Z

    def backward(self, dA, n):
        """Turn ``dA`` into ``dZ = dA * f'(Z)`` in place, then
        :meth:`backward_from_pre_activation`."""
        self.f_prime(None if self.Z is None else self.Z[:n], self.A[:n], dA)
        return self.backward_from_pre_activation(dA, n)

    def backward_from_pre_activation(self, dZ, n):
        """Gradients from ``dZ = dL/dZ``: ``dW = A_in^T dZ``, ``db = 1^T dZ``
        (the error summed over the batch, as one matrix-vector product), and
        ``dL/dA_in = dZ W^T`` when something before the layer needs it.

        The output layer enters here directly: with a canonical link the
        loss gives ``dL/dZ`` itself.
        """
        A_in = self.A_in
        np.matmul(self.ones[:n], dZ, out=self.db)
        if self.ntk:
            dZ *= self.weight_scale  # s dZ serves both products below
        if isinstance(A_in, np.ndarray):
            np.matmul(A_in.T, dZ, out=self.dW)
        else:  # a sparse input
            self.dW[...] = A_in.T @ dZ
        if not self.propagate:
            return None
        dA_in = self.dA_in[:n]
        self.input_gradient(dZ, self.W_T, dA_in)
        return dA_in


def dense_stack(layer_units, hidden_activations, out_activation):
    """The layers of a multi-layer perceptron: one :class:`Dense` per pair of
    consecutive sizes in ``layer_units`` (input and output included).

    Every layer is initialised with the Glorot factor of its hidden
    activation, the output layer with that of the last hidden layer (or the
    identity's without hidden layers), as scikit-learn does.
    """
    activations = [*hidden_activations, out_activation]
    init = [*hidden_activations, *hidden_activations[-1:]] or ["identity"]
    return [
        Dense(fan_in, fan_out, act, init_act)
        for fan_in, fan_out, act, init_act in zip(
            layer_units[:-1], layer_units[1:], activations, init
        )
    ]


def data_driven_dense_init(rng, A_in, fan_out, weight_scale, weights=None, n_simplex=5):
    """Weights and biases of a dense layer fitted to its input at the start.

    Weights: ``W ~ N(0, 1)``, each column then divided by the (weighted)
    standard deviation of its unit's ``s A_in W`` over the rows of ``A_in``,
    so that every unit starts with unit-variance outputs. Biases ("he+5"):
    for unit ``j``, ``b_j = -sum_k lambda_k (s A_in W)_{i_k j}`` over
    ``n_simplex`` rows ``i_k`` drawn with probability proportional to their
    weight, ``lambda`` uniform on the simplex (normalised exponential
    draws), so that each unit's kink starts inside the data, at a random
    point of the convex hull of a few training rows. Rows are drawn by the
    inverse of their cumulative weight, so a row of weight ``k`` is drawn as
    often as ``k`` adjacent copies of it would be.
    """
    fan_in = A_in.shape[1]
    w = np.ones(A_in.shape[0]) if weights is None else weights
    W = rng.standard_normal((fan_in, fan_out))
    Z = weight_scale * (A_in @ W)
    mean = np.average(Z, axis=0, weights=w)
    std = np.sqrt(np.average((Z - mean) ** 2, axis=0, weights=w))
    std[std == 0] = 1.0
    W /= std
    Z /= std
    cumulative = np.cumsum(w)
    draws = rng.uniform(0, cumulative[-1], size=(fan_out, n_simplex))
    rows = np.minimum(np.searchsorted(cumulative, draws, side="right"), len(w) - 1)
    weights = rng.exponential(size=(fan_out, n_simplex))
    weights /= weights.sum(axis=1, keepdims=True)
    b = -(Z[rows, np.arange(fan_out)[:, None]] * weights).sum(axis=1)
    return {"coefs": W, "intercepts": b}


class _Elementwise(Layer):
    """What layers that keep the width share: an output buffer."""

    def __init__(self, units):
        self.units = units

    def multiply_adds(self):
        return self.units

    def _allocate(self, max_rows, dtype, *, training, ones, keep_pre_activation):
        self.A = np.empty((max_rows, self.units), dtype=dtype)


class Scaling(_Elementwise):
    """A learned scale per feature: ``A = x * s``.

    Backward: ``dL/ds = sum_rows x * dA`` and ``dL/dx = s * dA``. ``s``
    starts at 1, so the layer starts as the identity.

    Parameters
    ----------
    units : int
    lr_factor : float, default=1.0
    """

    def __init__(self, units, lr_factor=1.0):
        super().__init__(units)
        self.lr_factor = lr_factor

    def param_specs(self):
        return [ParamSpec("scale", (self.units,), True, self.lr_factor)]

    def initial_params(self, rng, A_in=None, weights=None):
        return {"scale": np.ones(self.units)}

    def forward(self, A_in, n):
        self.A_in = A_in
        return np.multiply(A_in, self.params["scale"], out=self.A[:n])

    def backward(self, dA, n):
        np.einsum("ij,ij->j", self.A_in, dA, out=self.grads["scale"])
        if not self.propagate:
            return None
        dA *= self.params["scale"]
        return dA


class Blend(_Elementwise):
    """An activation blended with the identity by a learned weight per unit:
    ``A = (1 - alpha) Z + alpha f(Z)``.

    Backward: ``dL/dZ = dA * ((1 - alpha) + alpha f'(Z))`` and
    ``dL/dalpha = sum_rows dA * (f(Z) - Z)``. ``alpha`` starts at 1 (the
    plain activation); training may straighten a unit towards the identity.

    Parameters
    ----------
    units : int
    activation : str
        A key of :data:`~sknn_squiggle._nn.activations.ACTIVATIONS`.
    lr_factor : float, default=1.0
        The learning-rate factor of ``alpha``.
    """

    def __init__(self, units, activation, lr_factor=1.0):
        super().__init__(units)
        self.activation = activation
        self.lr_factor = lr_factor

    def param_specs(self):
        return [ParamSpec("alpha", (self.units,), True, self.lr_factor)]

    def initial_params(self, rng, A_in=None, weights=None):
        return {"alpha": np.ones(self.units)}

    def _allocate(self, max_rows, dtype, **options):
        super()._allocate(max_rows, dtype, **options)
        self.fZ = np.empty((max_rows, self.units), dtype=dtype)
        self.act = ACTIVATIONS[self.activation]
        # Set by the network for the evaluations that train: the forward
        # pass then keeps f'(Z) when the activation computes it alongside f.
        self.training = self.sloped = False
        if options["training"]:
            # f'(Z) and f(Z) - Z, for backward.
            self.slope = np.empty((max_rows, self.units), dtype=dtype)
            self.gap = np.empty((max_rows, self.units), dtype=dtype)

    def forward(self, A_in, n):
        self.A_in = Z = A_in
        fZ = self.fZ[:n]
        np.copyto(fZ, Z)
        self.sloped = self.training and self.act.with_slope is not None
        if self.sloped:
            self.act.with_slope(fZ, self.slope[:n])
        else:
            self.act.forward(fZ)
        # A = Z + alpha (f(Z) - Z)
        A = np.subtract(fZ, Z, out=self.A[:n])
        A *= self.params["alpha"]
        A += Z
        return A

    def backward(self, dA, n):
        Z, fZ, alpha = self.A_in, self.fZ[:n], self.params["alpha"]
        gap = np.subtract(fZ, Z, out=self.gap[:n])
        np.einsum("ij,ij->j", dA, gap, out=self.grads["alpha"])
        if not self.propagate:
            return None
        slope = self.slope[:n]
        if not self.sloped:
            slope.fill(1)
            self.act.derivative(Z, fZ, slope)
        # (1 - alpha) + alpha f'(Z) = 1 + alpha (f'(Z) - 1)
        slope -= 1
        slope *= alpha
        slope += 1
        dA *= slope
        return dA


def _dropout_mask(rng, rows, units, p, dtype, out):
    """``out`` = the inverted-dropout mask: 0 with probability ``p``, else
    ``1 / (1 - p)``, for a (rows, units) batch.

    The draws are random bytes compared with ``round(256 p)`` (so ``p`` is
    taken to the nearest 1/256): a 256 x 256 float32 mask takes 140 us this
    way against 340 us from ``rng.random`` floats (measured on this 2-core
    machine under load; timeit over 200 masks).
    """
    threshold = min(int(round(256 * p)), 256)
    draws = np.frombuffer(rng.bytes(rows * units), dtype=np.uint8)
    kept = 1.0 - threshold / 256
    np.copyto(out, draws.reshape(rows, units) >= threshold)
    if kept > 0:
        out *= dtype.type(1.0 / kept)
    return out


class Dropout(_Elementwise):
    """Inverted dropout: while training, each entry is zeroed with
    probability ``p`` and the others scaled by ``1 / (1 - p)``, so that the
    expected output is the input; at prediction the layer is the identity.

    Backward: ``dL/dx = dA * mask``, the forward pass's own mask. The rate
    ``p`` may change during training (a schedule sets it between batches);
    the network sets ``training`` for the evaluations that train.

    Parameters
    ----------
    units : int
    p : float
    random_state : int
        Seeds the masks' generator.
    """

    def __init__(self, units, p, random_state=0):
        super().__init__(units)
        self.p = p
        self.random_state = random_state

    def _allocate(self, max_rows, dtype, **options):
        super()._allocate(max_rows, dtype, **options)
        self.mask = np.empty((max_rows, self.units), dtype=dtype)
        self.rng = np.random.default_rng(self.random_state)
        self.training = False

    def forward(self, A_in, n):
        if not self.training or self.p <= 0:
            self.dropped = False
            return A_in
        self.dropped = True
        mask = _dropout_mask(
            self.rng, n, self.units, self.p, self.mask.dtype, self.mask[:n]
        )
        return np.multiply(A_in, mask, out=self.A[:n])

    def backward(self, dA, n):
        if not self.propagate:
            return None
        if self.dropped:
            dA *= self.mask[:n]
        return dA
