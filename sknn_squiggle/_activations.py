"""Activation functions and their derivatives, registered by name.

Every function works in place on a preallocated array, as in scikit-learn's
``neural_network/_base.py``: the forward pass writes a layer's pre-activation
``Z = A_prev @ W + b`` into a buffer and the activation overwrites it with
``f(Z)``. The derivatives multiply the backpropagated error ``delta`` (the
gradient of the loss with respect to the layer's output) by ``f'(Z)`` in place,
turning it into the gradient with respect to ``Z``.

Most derivatives are functions of the activation's *output* ``A = f(Z)``, so
the forward pass does not need to keep ``Z``. GELU and SiLU are not invertible
from their output; for them :data:`NEEDS_PRE_ACTIVATION` tells the network to
keep a copy of ``Z``.
"""

import numpy as np
from scipy.special import expit, ndtr

LEAKY_RELU_SLOPE = 0.01
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)


def inplace_identity(X):
    """Leave ``X`` unchanged: f(x) = x."""


def inplace_logistic(X):
    """Logistic sigmoid in place: f(x) = 1 / (1 + exp(-x)).

    ``scipy.special.expit`` never overflows: for very negative ``x`` it
    returns 0 rather than computing ``1 / (1 + inf)``.
    """
    expit(X, out=X)


def inplace_tanh(X):
    """Hyperbolic tangent in place."""
    np.tanh(X, out=X)


# The longest piece of a layer that a ReLU compares with zeros in one call.
_ZEROS_BYTES = 2**17


def _zeros(dtype):
    """A read-only vector of ``_ZEROS_BYTES`` of zeros, cached per dtype (one
    for the whole process, whatever the number of layers and fits)."""
    zeros = _ZEROS.get(dtype)
    if zeros is None:
        zeros = np.zeros(_ZEROS_BYTES // dtype.itemsize, dtype=dtype)
        zeros.flags.writeable = False
        _ZEROS[dtype] = zeros
    return zeros


_ZEROS = {}


def inplace_relu(X):
    """Rectified linear unit in place: f(x) = max(x, 0).

    numpy vectorises ``maximum`` only between contiguous arrays of the same
    shape: against the scalar 0 or a broadcast row of zeros it runs two to
    four times slower. So a contiguous ``X`` is taken as one flat vector and
    compared, piece by piece, with a cached vector of zeros (same result).
    """
    if not X.flags.c_contiguous:
        np.maximum(X, 0, out=X)
        return
    flat = X.reshape(-1)  # a view, X being contiguous
    zeros = _zeros(X.dtype)
    piece, n = zeros.shape[0], flat.shape[0]
    if n <= piece:
        np.maximum(flat, zeros[:n], out=flat)
        return
    for start in range(0, n, piece):
        part = flat[start : start + piece]
        np.maximum(part, zeros[: part.shape[0]], out=part)


def inplace_leaky_relu(X):
    """Leaky ReLU in place: f(x) = x for x > 0, 0.01 x otherwise."""
    np.maximum(X, LEAKY_RELU_SLOPE * X, out=X)


def inplace_softplus(X):
    """Softplus in place: f(x) = log(1 + exp(x)), the lesson's curve.

    ``logaddexp(0, x)`` evaluates ``log(exp(0) + exp(x))`` by factoring out
    the larger exponent, so it neither overflows for large ``x`` (where it
    returns ``x``) nor loses the tiny positive value ``exp(x)`` for very
    negative ``x``.
    """
    np.logaddexp(0, X, out=X)


def inplace_elu(X):
    """Exponential linear unit in place: x for x > 0, exp(x) - 1 otherwise."""
    negative = X < 0
    # expm1 keeps precision near 0; exp never overflows on the negative part.
    np.expm1(X, out=X, where=negative)


def inplace_gelu(X):
    """Gaussian error linear unit in place: f(x) = x * Phi(x).

    Phi is the standard normal CDF, computed by ``scipy.special.ndtr``.
    """
    X *= ndtr(X)


def inplace_silu(X):
    """Sigmoid linear unit (swish) in place: f(x) = x * sigmoid(x)."""
    X *= expit(X)


def inplace_exp(X):
    """Exponential in place: the inverse of the log link of the Poisson loss.

    The exponent is capped at half of log(largest float): rates up to about
    1e154 in float64 (1e19 in float32), far beyond any count, whose sums and
    products in the loss and its gradient still cannot overflow.
    """
    np.minimum(X, 0.5 * np.log(np.finfo(X.dtype).max), out=X)
    np.exp(X, out=X)


def inplace_softmax(X):
    """Row-wise softmax in place.

    Subtracting each row's maximum leaves the softmax unchanged (it cancels
    between numerator and denominator) and keeps every exponent <= 0, so
    ``exp`` cannot overflow.
    """
    # The ufuncs' own reductions skip the Python wrappers of X.max and X.sum,
    # which cost more than the arithmetic on a minibatch.
    X -= np.maximum.reduce(X, axis=1, keepdims=True)
    np.exp(X, out=X)
    X /= np.add.reduce(X, axis=1, keepdims=True)


ACTIVATIONS = {
    "identity": inplace_identity,
    "logistic": inplace_logistic,
    "sigmoid": inplace_logistic,
    "tanh": inplace_tanh,
    "relu": inplace_relu,
    "leaky_relu": inplace_leaky_relu,
    "softplus": inplace_softplus,
    "elu": inplace_elu,
    "gelu": inplace_gelu,
    "silu": inplace_silu,
    "exp": inplace_exp,
    "softmax": inplace_softmax,
}

#: The activations a user may choose for hidden layers.
HIDDEN_ACTIVATIONS = (
    "identity",
    "logistic",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "softplus",
    "elu",
    "gelu",
    "silu",
)


# Derivatives. Each takes the pre-activation ``Z`` (None unless the activation
# is in NEEDS_PRE_ACTIVATION), the output ``A = f(Z)`` and ``delta``, and
# multiplies ``delta`` by f'(Z) in place.


def inplace_identity_derivative(Z, A, delta):
    """f'(x) = 1: nothing to do."""


def inplace_logistic_derivative(Z, A, delta):
    """f'(x) = f(x) (1 - f(x)) for the logistic sigmoid."""
    delta *= A
    delta *= 1 - A


def inplace_tanh_derivative(Z, A, delta):
    """f'(x) = 1 - tanh(x)^2."""
    delta *= 1 - A * A


def inplace_relu_derivative(Z, A, delta):
    """f'(x) = 1 where the unit is active (A > 0), 0 elsewhere.

    One multiply by the boolean mask: cheaper than ``delta[A == 0] = 0``,
    which scatters through fancy indexing.
    """
    delta *= A > 0


def inplace_leaky_relu_derivative(Z, A, delta):
    """f'(x) = 1 for x > 0 and the slope otherwise; sign(A) = sign(x)."""
    delta *= np.where(A > 0, 1.0, LEAKY_RELU_SLOPE).astype(delta.dtype, copy=False)


def inplace_softplus_derivative(Z, A, delta):
    """f'(x) = sigmoid(x) = 1 - exp(-f(x)) for softplus.

    From A = log(1 + e^x): e^-A = 1 / (1 + e^x) = 1 - sigmoid(x). ``-expm1(-A)``
    keeps full precision when A is tiny (very negative x).
    """
    delta *= -np.expm1(-A)


def inplace_elu_derivative(Z, A, delta):
    """f'(x) = 1 for x > 0 and exp(x) = f(x) + 1 otherwise."""
    delta *= np.where(A > 0, 1, A + 1)


def inplace_gelu_derivative(Z, A, delta):
    """f'(x) = Phi(x) + x phi(x), with phi the standard normal density."""
    # x phi(x) is below 1e-300 once |x| > 38: capping x there keeps x * x from
    # overflowing in float32 and changes nothing else.
    Zc = np.clip(Z, -40, 40)
    delta *= ndtr(Z) + Zc * _INV_SQRT_2PI * np.exp(-0.5 * Zc * Zc)


def inplace_silu_derivative(Z, A, delta):
    """f'(x) = s + x s (1 - s) with s = sigmoid(x)."""
    s = expit(Z)
    delta *= s * (1 + Z * (1 - s))


DERIVATIVES = {
    "identity": inplace_identity_derivative,
    "logistic": inplace_logistic_derivative,
    "sigmoid": inplace_logistic_derivative,
    "tanh": inplace_tanh_derivative,
    "relu": inplace_relu_derivative,
    "leaky_relu": inplace_leaky_relu_derivative,
    "softplus": inplace_softplus_derivative,
    "elu": inplace_elu_derivative,
    "gelu": inplace_gelu_derivative,
    "silu": inplace_silu_derivative,
}

#: Activations whose derivative needs the pre-activation Z, not only f(Z).
NEEDS_PRE_ACTIVATION = frozenset({"gelu", "silu"})
