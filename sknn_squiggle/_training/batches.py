"""Minibatches: the size, the shuffle and the gather into reused buffers."""

import warnings

import numpy as np
import scipy.sparse as sp

# Bytes of X gathered at a time (a whole number of batches, at least one):
# large enough that the Python cost of a gather is spread over many small
# batches, small enough to stay in cache and add little to the memory a fit
# needs.
_GATHER_BYTES = 2**18


def batch_rows(batch_size, n_samples, warn=False):
    """Rows per minibatch: ``batch_size``, "auto" being ``min(200, n)``,
    clipped to the number of samples (with scikit-learn's warning when
    ``warn`` and the given size is larger)."""
    if batch_size == "auto":
        return min(200, n_samples)
    if warn and batch_size > n_samples:
        warnings.warn(
            "Got `batch_size` less than 1 or larger than "
            "sample size. It is going to be clipped"
        )
    return int(np.clip(batch_size, 1, n_samples))


class Batches:
    """The minibatches of each epoch, as contiguous slices of reused buffers.

    The row order is shuffled once per epoch (when ``shuffle``) and the rows
    of a few batches at a time (about ``_GATHER_BYTES`` of X) are gathered
    into buffers, so that every batch is a contiguous slice: one copy per row
    and epoch, with little extra memory. ``mode="clip"`` (the indices are
    valid) lets ``np.take`` write straight into its ``out``; the default
    ``mode="raise"`` gathers into a temporary first. Compact targets (a
    classifier's booleans) are widened to ``dtype`` once per gathered chunk
    rather than per batch.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,) or None
    batch_size : int
        Rows per batch (the last batch of an epoch may be smaller).
    shuffle : bool
    rng : numpy.random.RandomState
    dtype : numpy dtype
        The parameters' dtype, which the targets are widened to.
    """

    def __init__(self, X, y, sample_weight, batch_size, shuffle, rng, dtype):
        self.X, self.y, self.sample_weight = X, y, sample_weight
        self.batch_size, self.shuffle, self.rng = batch_size, shuffle, rng
        n_samples = X.shape[0]
        self.n_samples = n_samples
        self.dense = not sp.issparse(X)
        self.order = np.arange(n_samples)
        row_bytes = X.shape[1] * X.dtype.itemsize if self.dense else 0
        per_gather = max(1, _GATHER_BYTES // max(1, batch_size * row_bytes))
        rows = self.gather_rows = min(n_samples, batch_size * per_gather)
        #: Batches per epoch.
        self.n_batches = -(-n_samples // batch_size)
        if shuffle:
            self.X_buf = np.empty((rows, X.shape[1]), X.dtype) if self.dense else None
            self.y_buf = np.empty((rows, y.shape[1]), y.dtype)
            self.sw_buf = (
                None if sample_weight is None else np.empty(rows, sample_weight.dtype)
            )
        self.y_wide = None if y.dtype == dtype else np.empty((rows, y.shape[1]), dtype)

    def epoch(self):
        """Yield ``(X_batch, y_batch, sample_weight_batch)`` for one epoch."""
        if self.shuffle:
            self.rng.shuffle(self.order)
        batch_size = self.batch_size
        for lo in range(0, self.n_samples, self.gather_rows):
            hi = min(lo + self.gather_rows, self.n_samples)
            X_part, y_part, sw_part = self._gather(lo, hi)
            for start in range(0, hi - lo, batch_size):
                stop = min(start + batch_size, hi - lo)
                yield (
                    X_part[start:stop],
                    y_part[start:stop],
                    None if sw_part is None else sw_part[start:stop],
                )

    def _gather(self, lo, hi):
        """Rows ``lo:hi`` of this epoch's order, as contiguous arrays."""
        if self.shuffle:
            rows = self.order[lo:hi]
            if self.dense:
                X_part = np.take(
                    self.X, rows, axis=0, out=self.X_buf[: hi - lo], mode="clip"
                )
            else:
                X_part = self.X[rows]
            y_part = np.take(
                self.y, rows, axis=0, out=self.y_buf[: hi - lo], mode="clip"
            )
            sw_part = (
                None
                if self.sample_weight is None
                else np.take(
                    self.sample_weight, rows, out=self.sw_buf[: hi - lo], mode="clip"
                )
            )
        else:
            X_part, y_part = self.X[lo:hi], self.y[lo:hi]
            sw_part = None if self.sample_weight is None else self.sample_weight[lo:hi]
        if self.y_wide is not None:
            np.copyto(self.y_wide[: hi - lo], y_part)
            y_part = self.y_wide[: hi - lo]
        return X_part, y_part, sw_part
