"""Loss functions, registered by name.

Each loss returns the *weighted sum* over samples of the per-sample loss,
itself summed over outputs: ``sum_i s_i * sum_k l(y_ik, p_ik)``. The caller
divides by the normaliser (the total sample weight) so that the training
objective is a weighted mean; see :mod:`sknn_squiggle._network`.

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
"""

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


def squared_loss(y_true, y_pred, sample_weight=None):
    """Half the squared error, summed over outputs and (weighted) samples."""
    residual = y_pred - y_true
    if sample_weight is None:
        return 0.5 * float(np.einsum("ij,ij->", residual, residual, dtype=np.float64))
    per_sample = np.einsum("ij,ij->i", residual, residual, dtype=np.float64)
    return 0.5 * float(per_sample @ sample_weight.astype(np.float64))


def poisson_loss(y_true, y_pred, sample_weight=None):
    """Half the Poisson deviance, summed over outputs and (weighted) samples.

    ``xlogy(y, y / p)`` is 0 where y = 0, so zero counts cost only ``p``.
    """
    tiny = np.finfo(y_pred.dtype).tiny
    per_entry = xlogy(y_true, y_true / np.maximum(y_pred, tiny)) - y_true + y_pred
    return _weighted_sum(per_entry, sample_weight)


def binary_log_loss(y_true, y_prob, sample_weight=None):
    """Binary cross-entropy of sigmoid outputs, summed over labels.

    Probabilities are clipped to ``[eps, 1 - eps]`` so that a saturated
    output costs at most ``-log(eps)`` instead of infinity.
    """
    eps = np.finfo(y_prob.dtype).eps
    p = np.clip(y_prob, eps, 1 - eps)
    per_entry = xlogy(y_true, p) + xlogy(1 - y_true, 1 - p)
    return -_weighted_sum(per_entry, sample_weight)


def log_loss(y_true, y_prob, sample_weight=None):
    """Categorical cross-entropy of softmax outputs."""
    eps = np.finfo(y_prob.dtype).eps
    p = np.clip(y_prob, eps, 1 - eps)
    return -_weighted_sum(xlogy(y_true, p), sample_weight)


LOSSES = {
    "squared_error": squared_loss,
    "poisson": poisson_loss,
    "binary_log_loss": binary_log_loss,
    "log_loss": log_loss,
}

#: The output activation that makes each loss's link canonical.
OUTPUT_ACTIVATIONS = {
    "squared_error": "identity",
    "poisson": "exp",
    "binary_log_loss": "logistic",
    "log_loss": "softmax",
}
