"""sknn_squiggle/_training/batches.py: the batch size, the shuffle of each
epoch, and the gather of the rows into reused buffers.

Every row of the data holds its own index, so a batch says which rows it
gathered; the expected orders come from a second RandomState with the same
seed shuffling ``arange(n)`` the same number of times.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from sknn_squiggle._training import batches as batches_module
from sknn_squiggle._training.batches import Batches, batch_rows

N = 23


def _data(n=N, d=3):
    """Column 0 is the row index; y and the sample weights follow it."""
    X = np.column_stack([np.arange(n, dtype=float), np.ones((n, d - 1))])
    y = np.column_stack([np.arange(n) % 2 == 0, np.arange(n) % 3 == 0])
    sw = 0.5 * np.arange(n) + 1.0
    return X, y, sw


def _epoch(batches):
    """One epoch's batches (views: valid until the next gather overwrites
    the buffers, so only while the epoch's rows fit in one gather)."""
    return list(batches.epoch())


def _rows(batches):
    """The row indices of each batch of one epoch, read as it is yielded."""
    return [X_b[:, 0].astype(int).tolist() for X_b, _, _ in batches.epoch()]


def test_batch_rows_auto_and_clipping():
    assert batch_rows("auto", 150) == 150
    assert batch_rows("auto", 1000) == 200
    assert batch_rows(32, 1000) == 32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert batch_rows(500, 120) == 120  # clipped, silently without warn
        assert batch_rows(120, 120, warn=True) == 120
    assert type(batch_rows(np.int64(7), 10)) is int


def test_batch_rows_warns_as_scikit_learn_when_clipping():
    with pytest.warns(UserWarning, match="Got `batch_size` less than 1 or larger"):
        assert batch_rows(500, 120, warn=True) == 120


@pytest.mark.parametrize("batch_size", [1, 5, 10, N])
def test_every_row_exactly_once_per_epoch(batch_size):
    """Batches of ``batch_size`` rows, the last one smaller when the size
    does not divide n; every row once per epoch, in a new order each
    epoch."""
    X, y, sw = _data()
    batches = Batches(X, y, sw, batch_size, True, np.random.RandomState(0), np.float64)
    seen = []
    for _ in range(3):
        rows = _rows(batches)
        sizes = [len(r) for r in rows]
        assert sizes[:-1] == [batch_size] * (len(sizes) - 1)
        assert sizes[-1] == N - batch_size * (len(sizes) - 1)
        assert 0 < sizes[-1] <= batch_size
        assert sorted(sum(rows, [])) == list(range(N))
        seen.append(sum(rows, []))
    if batch_size > 1:
        assert seen[0] != seen[1]


def test_shuffle_is_reproducible_with_the_rng():
    """Each epoch shuffles the previous epoch's order in place with the
    given RandomState."""
    X, y, sw = _data()
    batches = Batches(X, y, sw, 4, True, np.random.RandomState(5), np.float64)
    again = Batches(X, y, sw, 4, True, np.random.RandomState(5), np.float64)
    rng, order = np.random.RandomState(5), np.arange(N)
    for _ in range(3):
        rng.shuffle(order)
        rows = sum(_rows(batches), [])
        assert rows == order.tolist()
        assert sum(_rows(again), []) == rows


def test_batches_are_contiguous_slices_of_reused_buffers():
    X, y, sw = _data()
    batches = Batches(X, y, sw, 4, True, np.random.RandomState(0), np.float64)
    first = _epoch(batches)
    for X_b, y_b, sw_b in first:
        assert X_b.flags.c_contiguous and y_b.flags.c_contiguous
        assert np.shares_memory(X_b, batches.X_buf)
        assert np.shares_memory(sw_b, batches.sw_buf)
        assert not np.shares_memory(X_b, X)
    # The next epoch writes into the same buffers.
    second = _epoch(batches)
    assert np.shares_memory(second[0][0], first[0][0])


def test_without_shuffle_batches_are_views_in_row_order():
    X, y, sw = _data()
    batches = Batches(X, y, None, 10, False, np.random.RandomState(0), np.float64)
    epoch = _epoch(batches)
    assert _rows(batches) == [list(range(0, 10)), list(range(10, 20)), [20, 21, 22]]
    assert all(np.shares_memory(X_b, X) for X_b, _, _ in epoch)
    assert all(sw_b is None for _, _, sw_b in epoch)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_targets_and_weights_are_gathered_with_their_rows(shuffle, dtype):
    """Boolean targets come widened to the parameters' dtype; the sample
    weights and targets of a batch are those of its rows."""
    X, y, sw = _data()
    batches = Batches(X, y, sw, 6, shuffle, np.random.RandomState(1), dtype)
    for X_b, y_b, sw_b in batches.epoch():
        rows = X_b[:, 0].astype(int)
        assert y_b.dtype == dtype
        np.testing.assert_array_equal(y_b, y[rows].astype(dtype))
        np.testing.assert_array_equal(sw_b, sw[rows])


def test_sparse_X_gathers_the_same_rows():
    X, y, sw = _data()
    X_sparse = sp.csr_matrix(X)
    batches = Batches(X_sparse, y, sw, 5, True, np.random.RandomState(2), np.float64)
    dense = Batches(X, y, sw, 5, True, np.random.RandomState(2), np.float64)
    for (X_b, y_b, sw_b), (X_d, y_d, sw_d) in zip(batches.epoch(), dense.epoch()):
        assert sp.issparse(X_b)
        np.testing.assert_array_equal(X_b.toarray(), X_d)
        np.testing.assert_array_equal(y_b, y_d)
        np.testing.assert_array_equal(sw_b, sw_d)


def test_rows_gathered_a_few_batches_at_a_time(monkeypatch):
    """With room for two batches of X per gather, the epoch is gathered in
    several chunks: still every row once, in the shuffled order."""
    X, y, sw = _data()
    row_bytes = X.shape[1] * X.itemsize
    monkeypatch.setattr(batches_module, "_GATHER_BYTES", 2 * 4 * row_bytes)
    batches = Batches(X, y, sw, 4, True, np.random.RandomState(3), np.float64)
    assert batches.gather_rows == 8
    order = np.arange(N)
    np.random.RandomState(3).shuffle(order)
    rows = _rows(batches)
    assert [len(r) for r in rows] == [4, 4, 4, 4, 4, 3]
    assert sum(rows, []) == order.tolist()
