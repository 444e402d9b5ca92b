"""Activation functions, each registered with its derivative beside it.

Every function works in place on a preallocated array, as in scikit-learn's
``neural_network/_base.py``: the forward pass writes a layer's pre-activation
``Z = A_prev @ W + b`` into a buffer and the activation overwrites it with
``A = f(Z)``. The derivative multiplies the backpropagated error ``delta``
(the gradient of the loss with respect to ``A``) by ``f'(Z)`` in place,
turning it into the gradient with respect to ``Z``.

Most derivatives are functions of the activation's *output* ``A = f(Z)``, so
the forward pass does not need to keep ``Z``. GELU and SiLU are not invertible
from their output: they are registered with ``needs_pre_activation=True`` and
the layer keeps a copy of ``Z`` for them.

Adding an activation is one :func:`register` call here, next to the two
functions it names: the estimators' parameter validation, the docs' list and
the tests' parametrisations all read :data:`ACTIVATIONS`.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import expit, ndtr

LEAKY_RELU_SLOPE = 0.01
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


class Activation(NamedTuple):
    """An activation ``f`` and its derivative, as the layers use them.

    Attributes
    ----------
    name : str
    forward : callable
        ``forward(Z)`` overwrites ``Z`` with ``f(Z)``.
    derivative : callable or None
        ``derivative(Z, A, delta)`` multiplies ``delta`` by ``f'(Z)`` in
        place; ``Z`` is None unless ``needs_pre_activation``. None for the
        output-only activations, whose derivative the canonical link of their
        loss absorbs (see :mod:`sknn_squiggle._nn.losses`).
    needs_pre_activation : bool
        Whether ``derivative`` reads ``Z`` (not only ``A``).
    hidden : bool
        Whether users may choose it for hidden layers.
    with_buffers : callable or None
        ``with_buffers(max_rows, units, dtype)`` returns a faster ``forward``
        for training that uses preallocated buffers (same results).
    """

    name: str
    forward: object
    derivative: object
    needs_pre_activation: bool
    hidden: bool
    with_buffers: object


#: Every activation by name (aliases included), in registration order.
ACTIVATIONS = {}


def register(
    name,
    forward,
    derivative=None,
    *,
    needs_pre_activation=False,
    hidden=True,
    with_buffers=None,
    aliases=(),
):
    """Add an activation (and its aliases) to :data:`ACTIVATIONS`."""
    for key in (name, *aliases):
        ACTIVATIONS[key] = Activation(
            key, forward, derivative, needs_pre_activation, hidden, with_buffers
        )


# ----------------------------------------------------------------------
# identity: f(x) = x, f'(x) = 1


def identity(Z):
    """Leave ``Z`` unchanged: f(x) = x."""


def identity_derivative(Z, A, delta):
    """f'(x) = 1: nothing to do."""


register("identity", identity, identity_derivative)


# ----------------------------------------------------------------------
# logistic: f(x) = 1 / (1 + exp(-x)), f'(x) = f(x) (1 - f(x))


def logistic(Z):
    """Logistic sigmoid in place: f(x) = 1 / (1 + exp(-x)).

    ``scipy.special.expit`` never overflows: for very negative ``x`` it
    returns 0 rather than computing ``1 / (1 + inf)``.
    """
    expit(Z, out=Z)


def logistic_derivative(Z, A, delta):
    """f'(x) = f(x) (1 - f(x)) for the logistic sigmoid."""
    delta *= A
    delta *= 1 - A


register("logistic", logistic, logistic_derivative, aliases=("sigmoid",))


# ----------------------------------------------------------------------
# tanh: f'(x) = 1 - tanh(x)^2


def tanh(Z):
    """Hyperbolic tangent in place."""
    np.tanh(Z, out=Z)


def tanh_derivative(Z, A, delta):
    """f'(x) = 1 - tanh(x)^2."""
    delta *= 1 - A * A


register("tanh", tanh, tanh_derivative)


# ----------------------------------------------------------------------
# relu: f(x) = max(x, 0), f'(x) = 1 for x > 0, else 0

# The longest piece of a layer that a ReLU compares with zeros in one call.
_ZEROS_BYTES = 2**17
_ZEROS = {}


def _zeros(dtype):
    """A read-only vector of ``_ZEROS_BYTES`` of zeros, cached per dtype (one
    for the whole process, whatever the number of layers and fits)."""
    zeros = _ZEROS.get(dtype)
    if zeros is None:
        zeros = np.zeros(_ZEROS_BYTES // dtype.itemsize, dtype=dtype)
        zeros.flags.writeable = False
        _ZEROS[dtype] = zeros
    return zeros


def relu(Z):
    """Rectified linear unit in place: f(x) = max(x, 0).

    numpy vectorises ``maximum`` only between contiguous arrays of the same
    shape: against the scalar 0 or a broadcast row of zeros it runs two to
    four times slower (at 426 x 50, 6.3 against 3.6 us a call). So a
    contiguous ``Z`` is taken as one flat vector and compared, piece by
    piece, with a cached vector of zeros (same result).
    """
    if not Z.flags.c_contiguous:
        np.maximum(Z, 0, out=Z)
        return
    flat = Z.reshape(-1)  # a view, Z being contiguous
    zeros = _zeros(Z.dtype)
    piece, n = zeros.shape[0], flat.shape[0]
    if n <= piece:
        np.maximum(flat, zeros[:n], out=flat)
        return
    for start in range(0, n, piece):
        part = flat[start : start + piece]
        np.maximum(part, zeros[: part.shape[0]], out=part)


def relu_derivative(Z, A, delta):
    """f'(x) = 1 where the unit is active (A > 0), 0 elsewhere.

    One multiply by the boolean mask: cheaper than ``delta[A == 0] = 0``,
    which scatters through fancy indexing.
    """
    delta *= A > 0


register("relu", relu, relu_derivative)


# ----------------------------------------------------------------------
# leaky_relu: f(x) = x for x > 0, 0.01 x otherwise


def leaky_relu(Z):
    """Leaky ReLU in place: f(x) = x for x > 0, 0.01 x otherwise."""
    np.maximum(Z, LEAKY_RELU_SLOPE * Z, out=Z)


def leaky_relu_derivative(Z, A, delta):
    """f'(x) = 1 for x > 0 and the slope otherwise; sign(A) = sign(x)."""
    delta *= np.where(A > 0, 1.0, LEAKY_RELU_SLOPE).astype(delta.dtype, copy=False)


register("leaky_relu", leaky_relu, leaky_relu_derivative)


# ----------------------------------------------------------------------
# softplus: f(x) = log(1 + exp(x)), f'(x) = sigmoid(x) = 1 - exp(-f(x))


def softplus(Z):
    """Softplus in place: f(x) = log(1 + exp(x)), the lesson's curve.

    ``logaddexp(0, x)`` evaluates ``log(exp(0) + exp(x))`` by factoring out
    the larger exponent, so it neither overflows for large ``x`` (where it
    returns ``x``) nor loses the tiny positive value ``exp(x)`` for very
    negative ``x``.
    """
    np.logaddexp(0, Z, out=Z)


def softplus_derivative(Z, A, delta):
    """f'(x) = sigmoid(x) = 1 - exp(-f(x)) for softplus.

    From A = log(1 + e^x): e^-A = 1 / (1 + e^x) = 1 - sigmoid(x). ``-expm1(-A)``
    keeps full precision when A is tiny (very negative x).
    """
    delta *= -np.expm1(-A)


register("softplus", softplus, softplus_derivative)


# ----------------------------------------------------------------------
# elu: f(x) = x for x > 0, exp(x) - 1 otherwise


def elu(Z):
    """Exponential linear unit in place: x for x > 0, exp(x) - 1 otherwise."""
    negative = Z < 0
    # expm1 keeps precision near 0; exp never overflows on the negative part.
    np.expm1(Z, out=Z, where=negative)


def elu_derivative(Z, A, delta):
    """f'(x) = 1 for x > 0 and exp(x) = f(x) + 1 otherwise."""
    delta *= np.where(A > 0, 1, A + 1)


register("elu", elu, elu_derivative)


# ----------------------------------------------------------------------
# gelu: f(x) = x Phi(x), f'(x) = Phi(x) + x phi(x)


def gelu(Z):
    """Gaussian error linear unit in place: f(x) = x * Phi(x).

    Phi is the standard normal CDF, computed by ``scipy.special.ndtr``.
    """
    Z *= ndtr(Z)


def gelu_derivative(Z, A, delta):
    """f'(x) = Phi(x) + x phi(x), with phi the standard normal density."""
    # x phi(x) is below 1e-300 once |x| > 38: capping x there keeps x * x from
    # overflowing in float32 and changes nothing else.
    Zc = np.clip(Z, -40, 40)
    delta *= ndtr(Z) + Zc * _INV_SQRT_2PI * np.exp(-0.5 * Zc * Zc)


register("gelu", gelu, gelu_derivative, needs_pre_activation=True)


# ----------------------------------------------------------------------
# silu: f(x) = x s(x), f'(x) = s + x s (1 - s), s the logistic sigmoid


def silu(Z):
    """Sigmoid linear unit (swish) in place: f(x) = x * sigmoid(x)."""
    Z *= expit(Z)


def silu_derivative(Z, A, delta):
    """f'(x) = s + x s (1 - s) with s = sigmoid(x)."""
    s = expit(Z)
    delta *= s * (1 + Z * (1 - s))


register("silu", silu, silu_derivative, needs_pre_activation=True)


# ----------------------------------------------------------------------
# Output-only activations: the inverse links of the Poisson and log losses.


def exp(Z):
    """Exponential in place: the inverse of the log link of the Poisson loss.

    The exponent is capped at half of log(largest float): rates up to about
    1e154 in float64 (1e19 in float32), far beyond any count, whose sums and
    products in the loss and its gradient still cannot overflow.
    """
    np.minimum(Z, 0.5 * np.log(np.finfo(Z.dtype).max), out=Z)
    np.exp(Z, out=Z)


register("exp", exp, hidden=False)


def softmax(Z):
    """Row-wise softmax in place.

    Subtracting each row's maximum leaves the softmax unchanged (it cancels
    between numerator and denominator) and keeps every exponent <= 0, so
    ``exp`` cannot overflow.
    """
    # The ufuncs' own reductions skip the Python wrappers of Z.max and Z.sum,
    # which cost more than the arithmetic on a minibatch.
    Z -= np.maximum.reduce(Z, axis=1, keepdims=True)
    np.exp(Z, out=Z)
    Z /= np.add.reduce(Z, axis=1, keepdims=True)


def softmax_with_buffers(max_rows, units, dtype):
    """Row-wise softmax in place, as :func:`softmax`, with its per-row
    maximum and sum written into a preallocated column and the sum taken as
    a matrix-vector product with a column of ones.

    numpy reduces each row of a narrow matrix in a separate inner loop
    (about 30 ns a row); for a batch with many more rows than classes the
    row maxima are cheaper as a running maximum over the columns. Both give
    the same, exact, maxima.
    """
    column = np.empty((max_rows, 1), dtype=dtype)
    ones = np.ones((units, 1), dtype=dtype)

    def buffered_softmax(Z):
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

    return buffered_softmax


register("softmax", softmax, hidden=False, with_buffers=softmax_with_buffers)


#: The activations a user may choose for hidden layers.
HIDDEN_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.hidden)
