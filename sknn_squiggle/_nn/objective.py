"""The training objective ``J``: its one definition.

For every solver and batch size the estimators minimise::

    J(theta) = sum_i s_i l(y_i, f(x_i; theta)) / S  +  alpha / (2 S) ||W||^2

with ``s_i`` the sample weights (1 without them), ``S = sum_i s_i`` and
``W`` the penalised parameters (the weight matrices, not the biases).

A minibatch ``b`` estimates the data term without bias by dividing its
weighted loss sum by ``|b| S / n`` (the batch's share of the total weight on
average), so a batch whose weights are all zero contributes no data gradient,
and ``alpha`` means the same penalty as for lbfgs. scikit-learn divides the
penalty by the batch's weight instead, so its minibatch ``alpha=a`` is ours
``a * n / |b|``.
"""


class Objective:
    """The normalisers and the penalty coefficient of ``J`` for one data set.

    Parameters
    ----------
    alpha : float
        The L2 strength.
    n_samples : int
        ``n``, the number of training samples.
    sample_weight : ndarray of shape (n_samples,) or None
        ``s``; None for unit weights.

    Attributes
    ----------
    total_weight : float
        ``S = sum_i s_i`` (``n`` without weights): the full-batch normaliser.
    l2 : float
        ``alpha / S``, the coefficient of ``||W||^2 / 2``.
    """

    def __init__(self, alpha, n_samples, sample_weight=None):
        self.n_samples = n_samples
        self.total_weight = (
            n_samples if sample_weight is None else float(sample_weight.sum())
        )
        self.l2 = alpha / self.total_weight

    def batch_normaliser(self, rows):
        """``|b| S / n``: what a batch of ``rows`` samples divides its
        weighted loss sum by."""
        return rows * self.total_weight / self.n_samples
