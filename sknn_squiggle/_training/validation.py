"""The validation set of early stopping: its split and its score."""

import warnings

import numpy as np
from scipy.optimize import minimize_scalar
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


def _content_split(X, y, sample_weight, fraction, rng):
    """Training and validation rows chosen by the rows' content, not their
    positions: ``(train_idx, train_weight, val_idx, val_weight)``.

    Rows are grouped by their content (features and target: a row and its
    duplicates form one group of weight ``W``, the sum of their weights), and
    each group gets a uniform draw ``u`` from a seeded key of its content.
    A group holds out the weight ``V = min(W, floor(f W + u))`` (for ``W <=
    1``: all of it when ``u > 1 - f``), so that on average the fraction
    ``f`` of the weight is held out, spread over the groups at random. A
    group that holds out part of its weight has its rows in both sets, each
    with its share of the weight. Hence a row of weight ``k`` is split
    exactly as ``k`` copies of it are, whatever the rows' order.
    """
    keys = row_keys([X, y], int(rng.randint(2**62)))
    w = np.ones(len(keys)) if sample_weight is None else sample_weight
    group_keys, group = np.unique(keys, return_inverse=True)
    group = group.ravel()
    W = np.bincount(group, weights=w)
    u = group_keys.astype(np.float64) / 2.0**64
    V = np.where(
        W <= 1, W * (u > 1 - fraction), np.minimum(W, np.floor(fraction * W + u))
    )
    share = np.divide(V, W, out=np.zeros_like(W), where=W > 0)[group]
    val_w = w * share
    train_w = w - val_w
    train_idx, val_idx = np.flatnonzero(train_w > 0), np.flatnonzero(val_w > 0)
    return train_idx, train_w[train_idx], val_idx, val_w[val_idx]


def _weighted_rows(X, y, split, dtype):
    """The rows of a content split with their weights (None when all are 1)."""
    train_idx, train_w, val_idx, val_w = split
    if np.all(train_w == 1) and np.all(val_w == 1):
        train_w = val_w = None
    else:
        train_w, val_w = train_w.astype(dtype), val_w.astype(dtype)
    return (
        (X[train_idx], y[train_idx], train_w),
        (X[val_idx], y[val_idx].astype(X.dtype), val_w),
    )


def split_validation(X, y, sample_weight, fraction, rng, stratify, by_content=False):
    """Hold out ``fraction`` of the rows for validation.

    Binary and multiclass targets are stratified when ``stratify`` (not
    multilabel), so that the validation set keeps the class proportions (as
    scikit-learn, a class with a single row raises).
    scikit-learn stratifies binary targets only (its multiclass targets are
    one-hot, ``n_outputs_ > 1``); the random draws are the same.

    With ``by_content`` the rows are held out by their content
    (:func:`_content_split`, not stratified), so that a sample weight means
    repeated rows.

    Returns
    -------
    train : tuple
        ``(X, y, sample_weight)`` of the training rows.
    validation : tuple
        ``(X, y, sample_weight)`` of the held-out rows, targets in X's dtype.
    """
    if by_content:
        # The caller trains on all rows when too few are held out.
        split = _content_split(X, y, sample_weight, fraction, rng)
        return _weighted_rows(X, y, split, X.dtype)
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

    def temperature(self, net):
        """The softmax temperature ``T`` that minimises the (weighted) log loss
        of the network's probabilities on the validation rows against their
        classes (the largest target of each row, so label smoothing does not
        count), searched over ``T`` in [1/2, 2] (temperature scaling, Guo et
        al., 2017): a validation set small enough to be all right would
        otherwise sharpen without bound."""
        proba = net.predict(self.X).astype(np.float64)
        classes = self.y.argmax(axis=1)

        def loss(log_t):
            p = tempered(proba, np.exp(log_t))[np.arange(len(classes)), classes]
            return -np.average(
                np.log(np.maximum(p, 1e-300)), weights=self.sample_weight
            )

        bound = np.log(_MAX_TEMPERATURE)
        best = minimize_scalar(loss, bounds=(-bound, bound), method="bounded")
        return float(np.exp(best.x))

    def evaluate(self, net):
        """``(val_loss, val_score)``: the mean validation loss (weighted by
        the sample weights, without penalty) and the score."""
        output = net.predict(self.X)
        val_loss = self.loss(self.y, output, self.sample_weight) / self.total_weight
        val_score = self.score(output, self.X, self.y, self.sample_weight, val_loss)
        return float(val_loss), float(val_score)


# The fitted temperature stays within [1 / _MAX_TEMPERATURE, _MAX_TEMPERATURE].
_MAX_TEMPERATURE = 2.0


def tempered(proba, temperature):
    """Probabilities at a softmax temperature ``T``: ``p_k^(1/T) / sum_j
    p_j^(1/T)``, the softmax of the logits divided by ``T`` (``log p`` is the
    logits up to a constant per row)."""
    log_p = np.log(np.maximum(proba, np.finfo(proba.dtype).tiny)) / temperature
    log_p -= log_p.max(axis=1, keepdims=True)
    out = np.exp(log_p)
    out /= out.sum(axis=1, keepdims=True)
    return out


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
