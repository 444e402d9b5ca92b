"""Activation functions, each registered with its derivative beside it.

Every function works in place on a preallocated array, as in scikit-learn's
``neural_network/_base.py``: the forward pass writes a layer's pre-activation
``Z = A_prev @ W + b`` into a buffer and the activation overwrites it with
``A = f(Z)``. The derivative multiplies the backpropagated error ``delta``
(the gradient of the loss with respect to ``A``) by ``f'(Z)`` in place,
turning it into the gradient with respect to ``Z``.

Most derivatives are functions of the activation's *output* ``A = f(Z)``, so
the forward pass does not need to keep ``Z``. GELU, SiLU and Mish are not
invertible from their output: they are registered with
``needs_pre_activation=True`` and the layer keeps a copy of ``Z`` for them.

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
    with_slope : callable or None
        ``with_slope(Z, slope)`` overwrites ``Z`` with ``f(Z)`` and writes
        ``f'(Z)`` into ``slope``, sharing the work of the two (for
        activations whose derivative would recompute an ``exp`` from ``Z``).
    """

    name: str
    forward: object
    derivative: object
    needs_pre_activation: bool
    hidden: bool
    with_buffers: object
    with_slope: object = None


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
    with_slope=None,
    aliases=(),
):
    """Add an activation (and its aliases) to :data:`ACTIVATIONS`."""
    for key in (name, *aliases):
        ACTIVATIONS[key] = Activation(
            key,
            forward,
            derivative,
            needs_pre_activation,
            hidden,
            with_buffers,
            with_slope,
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
# selu: f(x) = lambda x for x > 0, lambda alpha (exp(x) - 1) otherwise
# (Klambauer et al., 2017: the fixed point of zero mean and unit variance)

SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805


def selu(Z):
    """Scaled exponential linear unit in place:
    f(x) = lambda x for x > 0, lambda alpha (exp(x) - 1) otherwise.

    Computed as ``lambda P + lambda alpha (exp(x - P) - 1)`` with ``P =
    max(x, 0)`` taken by :func:`relu` (``x - P = min(x, 0)``): every pass is
    a whole-array ufunc between arrays, where ``expm1`` restricted by
    ``where=`` runs a masked loop and ``minimum`` against the scalar 0 a slow
    one (a 256 x 256 float32 batch: 0.25 ms this way, 1.5 ms with
    ``expm1(where=)``, timed on this machine). ``exp(x) - 1`` loses relative
    precision near 0 but not absolute precision (one rounding of 1).
    """
    P = Z.copy()
    relu(P)
    Z -= P  # min(x, 0)
    np.exp(Z, out=Z)
    Z -= 1
    Z *= SELU_SCALE * SELU_ALPHA
    # lambda x overflows only beyond the largest float / lambda: cap there.
    np.minimum(P, np.finfo(P.dtype).max / SELU_SCALE, out=P)
    P *= SELU_SCALE
    Z += P


def selu_derivative(Z, A, delta):
    """f'(x) = lambda for x > 0 and lambda alpha exp(x) = f(x) + lambda alpha
    otherwise; sign(A) = sign(x)."""
    slope = A + SELU_SCALE * SELU_ALPHA
    np.copyto(slope, SELU_SCALE, where=A > 0)
    delta *= slope


register("selu", selu, selu_derivative)


# ----------------------------------------------------------------------
# mish: f(x) = x tanh(softplus(x)) (Misra, 2019)


# exp(x) is capped here: beyond it tanh(softplus(x)) is 1 to float64 precision.
_MISH_CAP = 20.0


def _mish_terms(Z):
    """``u = exp(min(x, 20))`` and ``n = u (u + 2)``, from which
    ``tanh(softplus(x)) = ((1 + u)^2 - 1) / ((1 + u)^2 + 1) = n / (n + 2)``."""
    u = np.minimum(Z, _MISH_CAP)
    np.exp(u, out=u)
    n = u + 2
    n *= u
    return u, n


def mish(Z):
    """Mish in place: f(x) = x tanh(log(1 + exp(x))) = x n / (n + 2).

    With ``n = u (u + 2)``, ``u = exp(x)`` (see :func:`_mish_terms`): one
    ``exp`` and a few products, where ``tanh(logaddexp(0, x))`` takes about
    ten times as long (a 256 x 256 float32 batch: 2.5 ms against 0.25 ms,
    timed on this machine).
    """
    _, n = _mish_terms(Z)
    n += 2
    t = np.divide(2, n, out=n)
    np.subtract(1, t, out=t)  # t = n / (n + 2) = 1 - 2 / (n + 2), in [0, 1)
    Z *= t


def _mish_slope(Z, u, n, slope):
    """``slope = f'(x) = t + x t'`` from the terms ``u``, ``n`` of ``Z``,
    with ``t = n / (n + 2)`` and ``t' = 4 u (u + 1) / (n + 2)^2`` (``n' = 2 u
    (u + 1)``); leaves ``t`` in ``n``. Beyond the cap ``x t'`` is below 2e-7
    (it is ``x`` times about ``4 exp(-x)``): ``x`` is capped with ``u``."""
    n += 2  # n + 2
    np.add(u, 1, out=slope)
    slope *= u
    slope *= 4
    slope /= n
    slope /= n  # t'
    np.minimum(Z, _MISH_CAP, out=u)
    slope *= u  # x t'
    np.divide(2, n, out=n)
    np.subtract(1, n, out=n)  # t = 1 - 2 / (n + 2)
    slope += n


def mish_derivative(Z, A, delta):
    """``delta *= f'(Z)``, f' as in :func:`_mish_slope`."""
    u, n = _mish_terms(Z)
    slope = np.empty_like(u)
    _mish_slope(Z, u, n, slope)
    delta *= slope


def mish_with_slope(Z, slope):
    """``Z = f(Z)`` and ``slope = f'(Z)`` from one ``exp``: f = x t with the
    ``t`` that :func:`_mish_slope` leaves. A (256, 128) float32 batch's
    value and slope take 195 us this way against 277 us by :func:`mish`
    then :func:`mish_derivative` (two ``exp``; timeit, best of 5 x 200 on
    this 2-core machine)."""
    u, n = _mish_terms(Z)
    _mish_slope(Z, u, n, slope)
    Z *= n


register(
    "mish",
    mish,
    mish_derivative,
    needs_pre_activation=True,
    with_slope=mish_with_slope,
)


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
