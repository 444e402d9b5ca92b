"""The validation set of early stopping: its split and its score."""

import warnings

import numpy as np
from sklearn.model_selection import train_test_split


def _row_words(A):
    """The bytes of each row of ``A`` as 8-byte words (zero-padded)."""
    rows = np.ascontiguousarray(A).reshape(A.shape[0], -1).view(np.uint8)
    return np.pad(rows, ((0, 0), (0, -rows.shape[1] % 8))).view(np.uint64)


def row_keys(arrays, seed):
    """A 64-bit key per row, from the rows' bytes (each array's row, in
    turn) and ``seed``: equal rows get equal keys, other rows keys that look
    random (SplitMix64's mixing of each 8-byte word)."""
    h = np.full(arrays[0].shape[0], seed, dtype=np.uint64)
    for column in np.hstack([_row_words(A) for A in arrays]).T:
        h ^= column
        h += np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(30)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def _content_split(X, y, sample_weight, fraction, rng, stratify):
    """The validation rows chosen by the rows' content, not their positions.

    Rows are grouped by their content (features and target: a row and its
    duplicates form one group), groups ranked by a seeded key of their
    content, and, within each class when ``stratify``, the groups whose
    cumulative weight (at their middle) stays below ``fraction`` of the
    class's weight are held out. So duplicated rows never straddle the
    split, and a row of weight ``k`` is held out exactly when ``k`` copies of
    it would be: the split does not depend on the rows' order.
    """
    keys = row_keys([X, y], int(rng.randint(2**62)))
    weights = np.ones(len(keys)) if sample_weight is None else sample_weight
    classes = np.unique(y, axis=0, return_inverse=True)[1].ravel() if stratify else None
    held = np.zeros(len(keys), dtype=bool)
    for members in _class_members(classes, len(keys)):
        group_keys, group = np.unique(keys[members], return_inverse=True)
        group_weight = np.bincount(group.ravel(), weights=weights[members])
        middle = np.cumsum(group_weight) - group_weight / 2
        chosen = middle < fraction * group_weight.sum()
        if len(group_keys) > 1:
            chosen[0] |= not chosen.any()
            chosen[-1] &= not chosen.all()
        held[members] = chosen[group.ravel()]
    return np.flatnonzero(~held), np.flatnonzero(held)


def _class_members(classes, n):
    """The row indices of each class (one set of all rows without classes)."""
    if classes is None:
        return [np.arange(n)]
    return [np.flatnonzero(classes == c) for c in np.unique(classes)]


def split_validation(X, y, sample_weight, fraction, rng, stratify, by_content=False):
    """Hold out ``fraction`` of the rows for validation.

    Binary and multiclass targets are stratified when ``stratify`` (not
    multilabel), so that the validation set keeps the class proportions (when
    a class has a single row, or there are more classes than the validation
    or training set has rows, the split is plain random).
    scikit-learn stratifies binary targets only (its multiclass targets are
    one-hot, ``n_outputs_ > 1``); the random draws are the same.

    With ``by_content`` the rows are held out by their content
    (:func:`_content_split`), so that a sample weight means repeated rows.

    Returns
    -------
    train : tuple
        ``(X, y, sample_weight)`` of the training rows.
    validation : tuple
        ``(X, y, sample_weight)`` of the held-out rows, targets in X's dtype.
    """
    if stratify and not _can_stratify(y, fraction):
        stratify = False
    if by_content:
        # The caller trains on all rows when too few are held out.
        split = _content_split(X, y, sample_weight, fraction, rng, stratify)
        return _rows(X, y, sample_weight, *split)
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
    return _rows(X, y, sample_weight, train_idx, val_idx)


def _rows(X, y, sample_weight, train_idx, val_idx):
    """The training and validation rows, targets of the latter in X's dtype."""
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
