"""Speed: onnxruntime running our exported graph beside our own predict.

One fitted SquiggleClassifier (default architecture: one hidden layer of 100
ReLU units; 20 features, 3 classes) is converted with
``sknn_squiggle.to_onnx(..., options={"zipmap": False})`` and timed in the
same process against its own ``predict`` and ``predict_proba``:

- latency on one row: seconds per call, the median over runs of the mean of
  ``--calls`` consecutive calls;
- throughput on ``--rows`` rows (1,000,000 by default): seconds for one call
  on all rows, the median over runs.

One onnxruntime run returns labels and probabilities together, so it is set
beside each of our two methods. Every contestant first runs twice untimed:
onnxruntime's first two calls on 1,000,000 rows took 3 to 6 times as long
as the next ones (presumably while its memory arena grows). The contestants
then take turns going first, run by run, so that slow phases of a shared
machine hit both; a ratio is ``time_ours / time_onnxruntime`` (above 1:
onnxruntime is faster), the median of the per-run ratios. Before timing,
the graph's outputs are checked against predict and predict_proba on the
first rows.

Threads: by default each side uses what it would (our BLAS its threads,
onnxruntime one per core); ``--threads N`` gives both N.

Run from the repository root::

    python benchmarks/bench_onnx.py                 # float64, 1,000,000 rows
    python benchmarks/bench_onnx.py --dtype float32 --threads 1
    python benchmarks/bench_onnx.py --rows 100000 --runs 3   # quicker

Without onnxruntime or skl2onnx the script says so and exits with status 0.
"""

import argparse
import importlib
import os
import platform
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import make_classification
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

# Let the script run from a source checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sknn_squiggle import SquiggleClassifier, to_onnx  # noqa: E402

N_FEATURES = 20


def missing_modules():
    """The modules the benchmark needs that do not import."""
    missing = []
    for name in ("onnx", "onnxruntime", "skl2onnx"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--threads", type=int, default=None)
    return parser.parse_args()


def fitted_classifier(dtype):
    """The network: default architecture, 50 Adam epochs on 5,000 rows."""
    X, y = make_classification(
        n_samples=5000,
        n_features=N_FEATURES,
        n_informative=10,
        n_classes=3,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = SquiggleClassifier(max_iter=50, random_state=0)
        return model.fit(X.astype(dtype), y)


def onnx_session(model, dtype, threads):
    """An onnxruntime session of the model's graph, and its input's name."""
    import onnxruntime as ort

    onx = to_onnx(model, np.zeros((1, N_FEATURES), dtype), options={"zipmap": False})
    options = ort.SessionOptions()
    if threads is not None:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        onx.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return session, session.get_inputs()[0].name, onx


def check_outputs(model, session, name, X):
    """The graph's labels and probabilities equal predict and predict_proba."""
    labels, proba = session.run(None, {name: X})
    rtol = 1e-4 if X.dtype == np.float32 else 1e-5
    np.testing.assert_allclose(proba, model.predict_proba(X), rtol=rtol, atol=rtol)
    np.testing.assert_array_equal(labels, model.predict(X))


def contestants(model, session, name, X, calls):
    """Functions returning seconds: per call on one row, or for all rows."""
    one = X[:1]

    def per_call(fn):
        def run():
            start = time.perf_counter()
            for _ in range(calls):
                fn(one)
            return (time.perf_counter() - start) / calls

        return run

    def all_rows(fn):
        def run():
            start = time.perf_counter()
            fn(X)
            return time.perf_counter() - start

        return run

    def onnxruntime(rows):
        return session.run(None, {name: rows})

    methods = {
        "predict": model.predict,
        "predict_proba": model.predict_proba,
        "onnxruntime": onnxruntime,
    }
    return {
        "one row": {k: per_call(fn) for k, fn in methods.items()},
        "all rows": {k: all_rows(fn) for k, fn in methods.items()},
    }


def paired_runs(runners, runs, warmup=2):
    """Run every contestant ``warmup`` times untimed, then ``runs`` times,
    rotating who goes first."""
    for run in runners.values():
        for _ in range(warmup):
            run()
    times = {key: [] for key in runners}
    keys = list(runners)
    for r in range(runs):
        order = keys[r % len(keys) :] + keys[: r % len(keys)]
        for key in order:
            times[key].append(runners[key]())
    return times


def ratio(times, ours):
    """Median over runs of time_ours / time_onnxruntime, and its range."""
    ratios = [a / b for a, b in zip(times[ours], times["onnxruntime"])]
    return statistics.median(ratios), min(ratios), max(ratios)


def print_table(results, args):
    """One row per workload: the three times and our-time / ORT ratios."""
    print(
        f"{'workload':<22} {'predict':>11} {'predict_proba':>14} "
        f"{'onnxruntime':>12} {'predict/ORT':>18} {'proba/ORT':>18}"
    )
    for workload, times in results.items():
        label = "1 row (s/call)" if workload == "one row" else f"{args.rows:,} rows (s)"
        med = {key: statistics.median(values) for key, values in times.items()}
        cells = [f"{med[k]:.3g}" for k in ("predict", "predict_proba", "onnxruntime")]
        spans = []
        for ours in ("predict", "predict_proba"):
            mid, low, high = ratio(times, ours)
            spans.append(f"{mid:.2f} [{low:.2f}-{high:.2f}]")
        print(
            f"{label:<22} {cells[0]:>11} {cells[1]:>14} {cells[2]:>12} "
            f"{spans[0]:>18} {spans[1]:>18}"
        )


def print_environment(args, onx):
    import onnx
    import onnxruntime
    import skl2onnx

    opset = {o.domain or "ai.onnx": o.version for o in onx.opset_import}
    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, onnx "
        f"{onnx.__version__}, onnxruntime {onnxruntime.__version__}, skl2onnx "
        f"{skl2onnx.__version__}; graph opsets {opset}"
    )
    threads = "default" if args.threads is None else args.threads
    print(
        f"{os.cpu_count()} CPUs, threads: {threads}; dtype {args.dtype}; "
        f"{args.runs} runs, {args.calls} calls per one-row run"
    )


def main():
    args = parse_args()
    missing = missing_modules()
    if missing:
        print(
            f"bench_onnx: skipped, {', '.join(missing)} not installed "
            '(pip install "sknn-squiggle[onnx]").'
        )
        return 0
    dtype = np.dtype(args.dtype)
    model = fitted_classifier(dtype)
    session, name, onx = onnx_session(model, dtype, args.threads)
    X = np.random.default_rng(1).normal(size=(args.rows, N_FEATURES)).astype(dtype)
    check_outputs(model, session, name, X[:10_000])
    print_environment(args, onx)
    runners = contestants(model, session, name, X, args.calls)
    with threadpool_limits(limits=args.threads):
        results = {key: paired_runs(value, args.runs) for key, value in runners.items()}
    print_table(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
