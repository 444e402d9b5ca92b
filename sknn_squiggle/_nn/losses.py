"""Loss functions, registered by name.

Each loss returns the *weighted sum* over samples of the per-sample loss,
itself summed over outputs: ``sum_i s_i * sum_k l(y_ik, p_ik)``. The caller
divides by the normaliser (the total sample weight) so that the training
objective is a weighted mean; see :mod:`sknn_squiggle._nn.objective`.

Every loss is paired with the output activation whose inverse is its
canonical link:

=====================  ==================  =====================
loss                   output activation   per-sample loss
=====================  ==================  =====================
``squared_error``      identity            1/2 (y - p)^2
``poisson``            exp                 y log(y / p) - y + p
``binary_log_loss``    logistic            -y log p - (1 - y) log(1 - p)
``log_loss``           softmax             -sum_k y_k log p_k
=====================  ==================  =====================

For each pair the derivative of the loss with respect to the *pre-activation*
``z`` of the output layer is simply ``p - y``: that is what makes a link
canonical, and why backpropagation starts from ``delta = output - y``.

Unlike scikit-learn, the squared error is summed (not averaged) over outputs,
as the log losses and Poisson already are, so the reported loss is exactly the
function whose gradient is ``p - y`` (scikit-learn issue 8349).

Adding a loss is one :func:`register` call here: the network, the estimators
and the model files read :data:`LOSSES`.
"""

from typing import NamedTuple

import numpy as np
from scipy.special import xlogy


def _weighted_sum(per_entry, sample_weight):
    """Sum of per-entry losses, weighted by sample.

    Accumulated in float64, so float32 losses near the top of their range
    (single terms up to 3e38) add up without overflowing.
    """
    if sample_weight is None:
        return float(per_entry.sum(dtype=np.float64))
    return float(
        per_entry.sum(axis=1, dtype=np.float64) @ sample_weight.astype(np.float64)
    )


def _inner(a, b, sample_weight):
    """``sum_i s_i sum_k a_ik b_ik``, accumulated in float64.

    float64 input: one dot product (without weights) or a row-wise product and
    a matrix-vector product (with them), no temporary of a's size. float32
    input is widened entry by entry, like :func:`_weighted_sum`, so that terms
    up to 3e38 cannot overflow the sum.
    """
    if a.dtype == np.float64 and b.dtype == np.float64:
        if sample_weight is None:
            return float(np.vdot(a, b))
        return float(np.einsum("ij,ij->i", a, b) @ sample_weight)
    if sample_weight is None:
        return float(np.einsum("ij,ij->", a, b, dtype=np.float64))
    per_sample = np.einsum("ij,ij->i", a, b, dtype=np.float64)
    return float(per_sample @ sample_weight.astype(np.float64))


def _squared_residual_sum(residual, sample_weight=None):
    """Half the (weighted) sum of squared residuals ``p - y``.

    The network has the residual at hand (it is the output error), so the
    squared error costs one dot product and no temporary.
    """
    return 0.5 * _inner(residual, residual, sample_weight)


def _clip_probabilities(y_prob, out):
    """``y_prob`` clipped to ``[eps, 1 - eps]``, written into ``out``.

    Two ufunc calls rather than ``np.clip``, whose Python wrapper costs more
    than the clipping itself on a minibatch.
    """
    low, high = _clip_bounds(y_prob.dtype)
    np.maximum(y_prob, low, out=out)
    return np.minimum(out, high, out=out)


def _clip_bounds(dtype):
    """``(eps, 1 - eps)`` of a float dtype, cached (``np.finfo`` is slow)."""
    bounds = _CLIP_BOUNDS.get(dtype)
    if bounds is None:
        eps = np.finfo(dtype).eps
        bounds = _CLIP_BOUNDS[dtype] = (eps, 1 - eps)
    return bounds


_CLIP_BOUNDS = {}


class Loss(NamedTuple):
    """A loss and the output activation whose inverse is its canonical link.

    Attributes
    ----------
    name : str
    output_activation : str
        A key of :data:`sknn_squiggle._nn.activations.ACTIVATIONS`.
    value : callable
        ``value(y_true, y_pred, sample_weight, scratch=None)``: the weighted
        sum of the per-sample losses; ``scratch``, shaped like ``y_pred``,
        may receive temporaries.
    from_residual : callable or None
        ``from_residual(residual, sample_weight)``: the same sum computed from
        the residual ``y_pred - y_true``, when the loss is a function of it
        alone (the network has the residual at hand as the output error).
    """

    name: str
    output_activation: str
    value: object
    from_residual: object

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The weighted loss sum: ``self.value(y_true, y_pred, sample_weight)``."""
        return self.value(y_true, y_pred, sample_weight)


#: Every loss by name.
LOSSES = {}


def register(name, output_activation, value, from_residual=None):
    """Add a loss to :data:`LOSSES`."""
    LOSSES[name] = Loss(name, output_activation, value, from_residual)


# ----------------------------------------------------------------------
# squared_error: 1/2 (y - p)^2 with an identity output


def squared_loss(y_true, y_pred, sample_weight=None, scratch=None):
    """Half the squared error, summed over outputs and (weighted) samples."""
    return _squared_residual_sum(y_pred - y_true, sample_weight)


register("squared_error", "identity", squared_loss, _squared_residual_sum)


# ----------------------------------------------------------------------
# poisson: y log(y / p) - y + p with an exp output (log link)


def poisson_loss(y_true, y_pred, sample_weight=None, scratch=None):
    """Half the Poisson deviance, summed over outputs and (weighted) samples.

    ``xlogy(y, y / p)`` is 0 where y = 0, so zero counts cost only ``p``.
    """
    tiny = np.finfo(y_pred.dtype).tiny
    per_entry = xlogy(y_true, y_true / np.maximum(y_pred, tiny)) - y_true + y_pred
    return _weighted_sum(per_entry, sample_weight)


register("poisson", "exp", poisson_loss)


# ----------------------------------------------------------------------
# binary_log_loss: -y log p - (1 - y) log(1 - p) with a sigmoid output


def binary_log_loss(y_true, y_prob, sample_weight=None, scratch=None):
    """Binary cross-entropy of sigmoid outputs, summed over labels.

    Probabilities are clipped to ``[eps, 1 - eps]`` so that a saturated
    output costs at most ``-log(eps)`` instead of infinity. With p clipped
    away from 0 and 1 both logarithms are finite, so y log p = xlogy(y, p)
    exactly (0 where y = 0) and likewise for 1 - y.
    """
    if scratch is None:
        scratch = np.empty_like(y_prob)
    p = _clip_probabilities(y_prob, scratch)
    log_p = np.log(p)
    np.subtract(1, p, out=p)
    log_q = np.log(p, out=p)
    return -(
        _inner(y_true, log_p, sample_weight) + _inner(1 - y_true, log_q, sample_weight)
    )


register("binary_log_loss", "logistic", binary_log_loss)


# ----------------------------------------------------------------------
# log_loss: -sum_k y_k log p_k with a softmax output


def log_loss(y_true, y_prob, sample_weight=None, scratch=None):
    """Categorical cross-entropy of softmax outputs.

    Clipped, log p is finite, so y log p = xlogy(y, p): 0 where y = 0.
    """
    if scratch is None:
        scratch = np.empty_like(y_prob)
    log_p = np.log(_clip_probabilities(y_prob, scratch), out=scratch)
    return -_inner(y_true, log_p, sample_weight)


register("log_loss", "softmax", log_loss)


#: The output activation that makes each loss's link canonical.
OUTPUT_ACTIVATIONS = {name: loss.output_activation for name, loss in LOSSES.items()}


def smoothed_targets(Y, eps, K):
    """Label smoothing of 0/1 targets: ``(1 - eps) Y + eps / K``.

    ``K`` is the number of classes a row's targets share: the columns of a
    softmax output, or 2 for each column of sigmoid outputs (binary and
    multilabel). ``eps = 0`` returns ``Y`` itself.
    """
    if eps == 0:
        return Y
    return (1 - eps) * Y + eps / K
