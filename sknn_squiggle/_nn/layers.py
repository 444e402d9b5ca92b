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
  keep_pre_activation)``: the working copy;
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


class Dense:
    """A fully connected layer followed by its activation.

    Forward, for the input ``A_in`` (the previous layer's output, or X)::

        Z = A_in W + b          (each unit's weighted sum plus its bias:
                                 the lesson's "x-axis coordinate")
        A = f(Z)                (the activation bends it: the "y-axis
                                 coordinate")

    Backward, given ``dA = dL/dA`` (the chain rule)::

        dZ = dA * f'(Z)
        dL/dW = A_in^T dZ       dL/db = 1^T dZ      dL/dA_in = dZ W^T

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
    """

    def __init__(self, fan_in, fan_out, activation="identity", init_activation=None):
        self.fan_in = fan_in
        self.fan_out = fan_out
        self.activation = activation
        self.init_activation = (
            activation if init_activation is None else init_activation
        )

    def param_specs(self):
        """The weight matrix (penalised) and the bias vector (not)."""
        return [
            ParamSpec("coefs", (self.fan_in, self.fan_out), True),
            ParamSpec("intercepts", (self.fan_out,), False),
        ]

    def multiply_adds(self):
        """Multiply-adds of the forward pass per row (its matrix product)."""
        return self.fan_in * self.fan_out

    def initial_params(self, rng):
        """Glorot-uniform weights and biases, in scikit-learn's order.

        Both are drawn uniformly from ``+-sqrt(c / (fan_in + fan_out))``,
        ``c = 2`` for the logistic sigmoid and 6 otherwise, the weights first,
        so that the same random_state gives scikit-learn's starting point.
        """
        factor = 2.0 if self.init_activation in ("logistic", "sigmoid") else 6.0
        bound = np.sqrt(factor / (self.fan_in + self.fan_out))
        coefs = rng.uniform(-bound, bound, (self.fan_in, self.fan_out))
        intercepts = rng.uniform(-bound, bound, self.fan_out)
        return {"coefs": coefs, "intercepts": intercepts}

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
        """A working copy over the given parameter (and gradient) views."""
        bound = copy.copy(self)
        act = ACTIVATIONS[self.activation]
        bound.W, bound.b = params["coefs"], params["intercepts"]
        bound.A = np.empty((max_rows, self.fan_out), dtype=dtype)
        keep = keep_pre_activation or (training and act.needs_pre_activation)
        bound.Z = np.empty((max_rows, self.fan_out), dtype=dtype) if keep else None
        bound.f = act.forward
        if training and act.with_buffers is not None:
            bound.f = act.with_buffers(max_rows, self.fan_out, dtype)
        bound.f_prime = act.derivative
        bound.A_in = None
        if training:
            bound.dW, bound.db = grads["coefs"], grads["intercepts"]
            bound.ones = ones
        bound.propagate = propagate
        if propagate:
            bound.W_T = bound.W.T
            bound.dA_in = np.empty((max_rows, self.fan_in), dtype=dtype)
            bound.input_gradient = _input_gradient(
                max_rows, self.fan_in, self.fan_out, dtype
            )
        return bound

    def forward(self, A_in, n):
        """``A = f(A_in W + b)`` for the first ``n`` rows (a buffer view)."""
        Z = self.A[:n]
        if isinstance(A_in, np.ndarray):
            np.matmul(A_in, self.W, out=Z)
        else:  # a sparse input
            Z[...] = A_in @ self.W
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
        if isinstance(A_in, np.ndarray):
            np.matmul(A_in.T, dZ, out=self.dW)
        else:  # a sparse input
            self.dW[...] = A_in.T @ dZ
        np.matmul(self.ones[:n], dZ, out=self.db)
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
