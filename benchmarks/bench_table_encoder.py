"""Speed of the tabular preprocessing (TableEncoder) on a mixed frame.

A 50,000-row frame with 10 columns: 5 float (one with 1 in 7 missing), a
5-level and a 100-level string column, a 3-level category, a boolean and an
object column with None. Prints fit time and the best and median of 7
transforms of the whole frame and of a single row.

Target: a transform of the whole frame well under a second.

Run from the repository root::

    python benchmarks/bench_table_encoder.py
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

# Let the script run from a source checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sknn_squiggle._tabular._encoder import TableEncoder  # noqa: E402

N_ROWS = 50_000
REPEATS = 7


def mixed_frame(n, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"n{i}": rng.normal(size=n) for i in range(5)})
    X.loc[::7, "n0"] = np.nan
    X["s_small"] = pd.Series(rng.choice(list("abcde"), n), dtype="str")
    X["s_big"] = pd.Series(rng.choice([f"l{i}" for i in range(100)], n), dtype="str")
    X["cat"] = pd.Categorical(rng.choice(list("xyz"), n))
    X["flag"] = rng.random(n) > 0.5
    X["obj"] = pd.Series(rng.choice(["u", "v", None], n), dtype=object)
    return X


def timings(function, repeats=REPEATS):
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        seconds.append(time.perf_counter() - start)
    return min(seconds), float(np.median(seconds))


def main():
    X = mixed_frame(N_ROWS)
    fit_best, fit_median = timings(lambda: TableEncoder().fit(X), repeats=3)
    encoder = TableEncoder().fit(X)
    out = encoder.transform(X)
    best, median = timings(lambda: encoder.transform(X))
    row = X.iloc[[0]]
    row_best, row_median = timings(lambda: encoder.transform(row))
    print(f"{X.shape} -> {out.shape} {out.dtype}")
    print(
        f"fit:           best {fit_best * 1e3:7.1f} ms, median {fit_median * 1e3:7.1f}"
    )
    print(f"transform:     best {best * 1e3:7.1f} ms, median {median * 1e3:7.1f}")
    print(
        f"one-row:       best {row_best * 1e3:7.2f} ms, median {row_median * 1e3:7.2f}"
    )
    print("target (< 1 s for the whole frame):", "met" if median < 1.0 else "MISSED")


if __name__ == "__main__":
    main()
