"""The validation set of early stopping: its split and its score."""

import warnings

import numpy as np
from sklearn.model_selection import train_test_split


def split_validation(X, y, sample_weight, fraction, rng, stratify):
    """Hold out ``fraction`` of the rows for validation.

    Binary and multiclass targets are stratified when ``stratify`` (not
    multilabel), so that the validation set keeps the class proportions (when
    a class has a single row, or there are more classes than the validation
    or training set has rows, the split is plain random).
    scikit-learn stratifies binary targets only (its multiclass targets are
    one-hot, ``n_outputs_ > 1``); the random draws are the same.

    Returns
    -------
    train : tuple
        ``(X, y, sample_weight)`` of the training rows.
    validation : tuple
        ``(X, y, sample_weight)`` of the held-out rows, targets in X's dtype.
    """
    if stratify and not _can_stratify(y, fraction):
        stratify = False
    train_idx, val_idx = train_test_split(
        np.arange(X.shape[0]),
        random_state=rng,
        test_size=fraction,
        stratify=y if stratify else None,
    )
    if val_idx.shape[0] < 2:
        raise ValueError(
            "The validation set is too small. Increase 'validation_fraction' "
            "or the size of your dataset."
        )
    sw_train = sw_val = None
    if sample_weight is not None:
        sw_train, sw_val = sample_weight[train_idx], sample_weight[val_idx]
    return (
        (X[train_idx], y[train_idx], sw_train),
        (X[val_idx], y[val_idx].astype(X.dtype), sw_val),
    )


def _can_stratify(y, fraction):
    """Whether a stratified split exists: every class has two rows and the
    validation set room for every class (else the split is plain random)."""
    _, counts = np.unique(y, axis=0, return_counts=True)
    n_val = int(np.ceil(fraction * len(y)))
    return counts.min() >= 2 and len(counts) <= min(n_val, len(y) - n_val)


class Validation:
    """Scores the network on the held-out rows after every epoch.

    Parameters
    ----------
    X, y, sample_weight
        The validation rows (targets encoded, in X's dtype).
    loss : Loss
        The training loss (:data:`~sknn_squiggle._nn.losses.LOSSES` entry).
    score : callable
        What early stopping maximises, ``score(output, X, y, sample_weight,
        val_loss)``: built by the estimator from its ``scoring``.
    """

    def __init__(self, X, y, sample_weight, loss, score):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.loss, self.score = loss, score
        self.total_weight = X.shape[0] if sample_weight is None else sample_weight.sum()

    def evaluate(self, net):
        """``(val_loss, val_score)``: the mean validation loss (weighted by
        the sample weights, without penalty) and the score."""
        output = net.predict(self.X)
        val_loss = self.loss(self.y, output, self.sample_weight) / self.total_weight
        val_score = self.score(output, self.X, self.y, self.sample_weight, val_loss)
        return float(val_loss), float(val_score)


def scorer_on_rows(estimator, scorer, decode_targets):
    """``score(output, X, y, sample_weight, val_loss)`` calling a scikit-learn
    scorer on the estimator itself, with the targets decoded to labels."""

    def score(output, X, y, sample_weight, val_loss):
        with warnings.catch_warnings():
            # The validation rows are already a validated array.
            warnings.filterwarnings("ignore", "X does not have valid feature")
            kwargs = {} if sample_weight is None else {"sample_weight": sample_weight}
            return scorer(estimator, X, decode_targets(y), **kwargs)

    return score
