"""Speed: sknn_squiggle against scikit-learn's MLP, measured side by side.

Every workload trains (or predicts with) our estimator and scikit-learn's in
the same process, with the same architecture, solver, batch size, seeds and
number of epochs. Training runs a fixed number of epochs: ``tol=0``,
``n_iter_no_change=max_iter`` and no early stopping, so both do the same work.
The contestants take turns going first, run by run (ours, theirs; theirs,
ours; ...), so slow phases of a shared machine hit both; the reported ratio
is the median over runs of the per-run ratio ``time_sklearn / time_ours``.

Reported for each workload:

- seconds per epoch (for lbfgs: per loss-and-gradient evaluation, counted by
  wrapping the function each estimator hands to scipy) of both estimators
  (medians over runs);
- the ratio sklearn / ours (median of the per-run ratios, with its range);
- the accuracy (classification) or R^2 (regression) of both on a fixed
  held-out split;
- our achieved GFLOP/s and its fraction of numpy's matrix-multiply rate, where
  the reference is an epoch of exactly the matrix products backpropagation
  needs, on the same shapes, memory layouts and dtype, timed in the same
  rotation. Training FLOPs per epoch: forward ``2 n sum_i d_i d_{i+1}``; the
  backward pass as many again for the weight gradients, plus the error
  propagation through every layer but the first (nobody computes the
  gradient with respect to the input), i.e. a little under twice the forward.

``alpha``: scikit-learn divides the L2 penalty by the minibatch size, we
divide it by the number of training samples (one objective for every batch
size, see the ``alpha`` docstring). For stochastic solvers our estimator gets
``alpha * n_train / batch_size`` so that both minimise the same objective on
full batches; lbfgs uses the same ``alpha`` for both.

Memory is the peak growth of traced allocations (``tracemalloc``: numpy
reports its buffers to it) during one extra, untimed call.

BLAS threads: by default both use what threadpoolctl reports. On a machine
shared with other processes a multi-threaded BLAS can stall on a descheduled
thread, which makes single runs several times slower at random;
``--blas-threads 1`` pins both to one thread and gives stable numbers.

Run from the repository root::

    python benchmarks/bench_mlp.py             # everything (about 5 minutes)
    python benchmarks/bench_mlp.py --quick     # fewer runs, smaller data
    python benchmarks/bench_mlp.py --only W6,predict1 --blas-threads 1

OpenBLAS: where the machine sets OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE (a
guard for old OpenBLAS builds that forces older kernels), the script restarts
itself without both, so that both libraries run on the kernels OpenBLAS picks
for the CPU; ``--keep-openblas-env`` keeps them.
"""

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import scipy
import sklearn
from sklearn.datasets import (
    load_breast_cancer,
    load_digits,
    make_classification,
    make_friedman1,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.neural_network import _multilayer_perceptron as sk_mlp
from sklearn.preprocessing import StandardScaler

# Let the script run from a source checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sknn_squiggle import SquiggleClassifier, SquiggleRegressor  # noqa: E402
from sknn_squiggle._nn.network import Network  # noqa: E402

WORKLOADS = ("W2", "W3", "W3f32", "W4", "W5", "W6", "predict1", "proba1M")
SCORE_TOLERANCE = 0.005
ALPHA = 1e-4
SEED = 0


# ---------------------------------------------------------------------------
# Data


def _scaled_split(load):
    """A bundled data set, split 75/25 (stratified) and standardised."""
    X, y = load(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=0.25, random_state=SEED, stratify=y
    )
    scaler = StandardScaler().fit(X_tr)
    return scaler.transform(X_tr), scaler.transform(X_te), y_tr, y_te


def _digits():
    return _scaled_split(load_digits)


def _breast_cancer():
    return _scaled_split(load_breast_cancer)


def _classification(n_train):
    n_test = max(n_train // 5, 1000)
    X, y = make_classification(
        n_samples=n_train + n_test,
        n_features=100,
        n_informative=40,
        n_classes=5,
        random_state=SEED,
    )
    return train_test_split(X, y, test_size=n_test, random_state=SEED, stratify=y)


def _friedman(n_train):
    n_test = n_train // 5
    X, y = make_friedman1(
        n_samples=n_train + n_test, n_features=50, noise=1.0, random_state=SEED
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=n_test, random_state=SEED)
    scaler = StandardScaler().fit(X_tr)
    mean, std = y_tr.mean(), y_tr.std()
    return (
        scaler.transform(X_tr),
        scaler.transform(X_te),
        (y_tr - mean) / std,
        (y_te - mean) / std,
    )


# ---------------------------------------------------------------------------
# Measuring


def paired_runs(contestants, runs):
    """Time each contestant ``runs`` times, rotating who goes first.

    ``contestants`` maps a name to a callable returning the seconds it
    measured. Returns a dict of lists of seconds, index ``r`` being run ``r``.
    """
    names = list(contestants)
    times = {name: [] for name in names}
    for r in range(runs):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            gc.collect()
            times[name].append(contestants[name]())
    return times


def pair_ratios(times, num, den):
    return [a / b for a, b in zip(times[num], times[den])]


def peak_growth(fn):
    """Peak growth in bytes of traced allocations while ``fn()`` runs."""
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    try:
        fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base


def count_calls(owner, name, fn):
    """Call ``fn()`` while counting the calls of method ``owner.name``."""
    original = owner.__dict__[name]
    calls = [0]

    def counted(*args, **kwargs):
        calls[0] += 1
        return original(*args, **kwargs)

    setattr(owner, name, counted)
    try:
        fn()
    finally:
        setattr(owner, name, original)
    return calls[0]


def timed_fit(make, X, y, keep):
    """A contestant: fit a fresh estimator, remember it in ``keep``."""

    def run():
        est = make()
        start = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - start
        keep["est"] = est
        return seconds

    return run


def forward_flops(units, n):
    return 2 * n * sum(a * b for a, b in zip(units[:-1], units[1:]))


def train_flops(units, n):
    """Forward, weight gradients, and error propagation below layer 1."""
    pairs = [a * b for a, b in zip(units[:-1], units[1:])]
    return 2 * n * (2 * sum(pairs) + sum(pairs[1:]))


def matmul_reference(units, n, batch, dtype, repeats=1):
    """A contestant: the matrix products of ``repeats`` epochs of
    backpropagation alone, on the same shapes, layouts and dtype."""
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, units[0])).astype(dtype)
    Ws = [
        (rng.standard_normal((a, b)) / np.sqrt(a)).astype(dtype)
        for a, b in zip(units[:-1], units[1:])
    ]
    acts = [np.empty((batch, u), dtype=dtype) for u in units[1:]]
    deltas = [rng.standard_normal((batch, u)).astype(dtype) for u in units[1:]]
    grads = [np.empty_like(W) for W in Ws]
    last = len(Ws) - 1

    def run():
        start = time.perf_counter()
        for _ in range(repeats):
            for lo in range(0, n, batch):
                b = min(batch, n - lo)
                A = X[lo : lo + b]
                for W, out in zip(Ws, acts):
                    A = np.matmul(A, W, out=out[:b])
                for i in range(last, -1, -1):
                    A_prev = X[lo : lo + b] if i == 0 else acts[i - 1][:b]
                    np.matmul(A_prev.T, deltas[i][:b], out=grads[i])
                    if i > 0:
                        np.matmul(deltas[i][:b], Ws[i].T, out=deltas[i - 1][:b])
        return time.perf_counter() - start

    return run


# ---------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self):
        self.targets = []

    def target(self, name, description, value, ok):
        self.targets.append((name, description, value, ok))
        return "MET" if ok else "NOT MET"

    def summary(self):
        print("\nTargets")
        print("-------")
        for name, description, value, ok in self.targets:
            status = "MET    " if ok else "NOT MET"
            print(f"  {status} {name:<9} {description:<46} {value}")


def _spread(values):
    return f"[{min(values):.2f}..{max(values):.2f}]"


def _mb(nbytes):
    return f"{nbytes / 2**20:.1f} MB"


def environment():
    from threadpoolctl import threadpool_info

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print("Environment")
    print("-----------")
    print(f"  cores (nproc): {os.cpu_count()}   CPU: {cpu}")
    print(
        f"  python {platform.python_version()}, numpy {np.__version__}, "
        f"scipy {scipy.__version__}, scikit-learn {sklearn.__version__}"
    )
    for pool in threadpool_info():
        print(
            f"  {pool['user_api']}: {pool['internal_api']} {pool.get('version')} "
            f"({pool['prefix']}), {pool['num_threads']} threads, "
            f"architecture {pool.get('architecture', '-')}"
        )
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        print(f"  OPENBLAS_CORETYPE={coretype} (OpenBLAS kernels forced to it)")


# ---------------------------------------------------------------------------
# Training workloads


def _stochastic_params(hidden, solver, batch, epochs, **extra):
    return dict(
        hidden_layer_sizes=hidden,
        solver=solver,
        batch_size=batch,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        early_stopping=False,
        shuffle=True,
        random_state=SEED,
        **extra,
    )


def bench_training(
    report,
    key,
    title,
    data,
    classify,
    hidden,
    solver,
    batch,
    epochs,
    runs,
    target,
    dtype=np.float64,
    sk_dtypes=(np.float64,),
    extra=None,
    matmul_target=None,
    fit_memory=False,
):
    extra = extra or {}
    X_tr, X_te, y_tr, y_te = data
    X_tr = np.ascontiguousarray(X_tr, dtype=dtype)
    X_te_ours = X_te.astype(dtype)
    n = X_tr.shape[0]
    n_out = len(np.unique(y_tr)) if classify else 1
    if classify and n_out == 2:
        n_out = 1
    units = [X_tr.shape[1], *hidden, n_out]
    Ours = SquiggleClassifier if classify else SquiggleRegressor
    Theirs = MLPClassifier if classify else MLPRegressor
    stochastic = solver != "lbfgs"
    if stochastic:
        params = _stochastic_params(hidden, solver, batch, epochs, **extra)
        alpha_ours = ALPHA * n / batch
    else:
        params = dict(
            hidden_layer_sizes=hidden,
            solver=solver,
            max_iter=epochs,
            tol=0.0,
            random_state=SEED,
            **extra,
        )
        alpha_ours = ALPHA
    kept = {}
    contestants = {
        "ours": timed_fit(
            lambda: Ours(alpha=alpha_ours, **params),
            X_tr,
            y_tr,
            kept.setdefault("ours", {}),
        )
    }
    X_sk = {}
    for sk_dtype in sk_dtypes:
        name = "sklearn" if sk_dtype == np.float64 else "sklearn-f32"
        X_sk[name] = np.ascontiguousarray(X_tr, dtype=sk_dtype)
        contestants[name] = timed_fit(
            lambda: Theirs(alpha=ALPHA, **params),
            X_sk[name],
            y_tr,
            kept.setdefault(name, {}),
        )
    per_eval = {}
    if stochastic:
        contestants["matmul"] = matmul_reference(units, n, batch, dtype, epochs)
        flops_unit = train_flops(units, n)
    else:
        # One loss-and-gradient evaluation on the whole training set, counted.
        evals_ours = count_calls(
            Network,
            "loss_grad",
            lambda: Ours(alpha=alpha_ours, **params).fit(X_tr, y_tr),
        )
        evals_sk = count_calls(
            sk_mlp.BaseMultilayerPerceptron,
            "_loss_grad_lbfgs",
            lambda: Theirs(alpha=ALPHA, **params).fit(X_sk["sklearn"], y_tr),
        )
        per_eval = {"ours": evals_ours, "sklearn": evals_sk}
        contestants["matmul"] = matmul_reference(units, n, n, dtype, evals_ours)
        flops_unit = train_flops(units, n)

    # Warm up both code paths (imports, BLAS threads, allocator) untimed.
    warm = dict(params, max_iter=1, n_iter_no_change=1) if stochastic else params
    Ours(alpha=alpha_ours, **warm).fit(X_tr[:500], y_tr[:500])
    Theirs(alpha=ALPHA, **warm).fit(X_tr[:500], y_tr[:500])

    times = paired_runs(contestants, runs)

    def units_of_work(name):
        est = kept[name]["est"]
        if stochastic:
            return est.n_iter_
        return per_eval["ours" if name == "ours" else "sklearn"]

    def score(name):
        est = kept[name]["est"]
        X_eval = X_te_ours if name == "ours" else X_te.astype(X_sk[name].dtype)
        return est.score(X_eval, y_te)

    unit = "s/epoch" if stochastic else "s/eval"
    metric = "accuracy" if classify else "R^2"
    dt_name = np.dtype(dtype).name
    print(f"\n{key}: {title}")
    print(f"  training rows {n}, layers {units}, {dt_name} input, {runs} paired runs")
    if not stochastic:
        print(
            f"  loss-and-gradient evaluations: ours {per_eval['ours']}, "
            f"sklearn {per_eval['sklearn']}; n_iter_: ours "
            f"{kept['ours']['est'].n_iter_}, sklearn "
            f"{kept['sklearn']['est'].n_iter_}"
        )
    print(f"  {'':<12} {unit:>10} {'range':>22} {metric:>9}")
    rows = ["ours"] + [k for k in contestants if k.startswith("sklearn")]
    scores = {}
    for name in rows:
        work = units_of_work(name)
        per = [t / work for t in times[name]]
        scores[name] = score(name)
        print(
            f"  {name:<12} {statistics.median(per):>10.5f} "
            f"{f'[{min(per):.5f}..{max(per):.5f}]':>22} {scores[name]:>9.4f}"
        )
        if stochastic and work != epochs:
            print(f"  WARNING: {name} ran {work} epochs instead of {epochs}")
    # Per-run ratios, each run's times normalised by its unit of work.
    norm = {name: [t / units_of_work(name) for t in times[name]] for name in rows}
    ratio_list = pair_ratios(norm, "sklearn", "ours")
    ratio = statistics.median(ratio_list)
    score_ok = scores["ours"] >= scores["sklearn"] - SCORE_TOLERANCE
    print(
        f"  ratio sklearn/ours: {ratio:.2f}x {_spread(ratio_list)}; "
        f"{metric} difference {scores['ours'] - scores['sklearn']:+.4f}"
    )
    for name in rows[2:]:
        extra_ratios = pair_ratios(norm, name, "ours")
        print(
            f"  ratio {name}/ours: {statistics.median(extra_ratios):.2f}x "
            f"{_spread(extra_ratios)}"
        )
    ours_unit = statistics.median(norm["ours"])
    mm_unit = [
        t / (epochs if stochastic else per_eval["ours"]) for t in times["matmul"]
    ]
    fraction_list = [m / o for m, o in zip(mm_unit, norm["ours"])]
    fraction = statistics.median(fraction_list)
    print(
        f"  ours {flops_unit / ours_unit / 1e9:.1f} GFLOP/s "
        f"({flops_unit / 1e9:.3f} GFLOP per {unit[2:]}); numpy matmul alone on "
        f"the same shapes {flops_unit / statistics.median(mm_unit) / 1e9:.1f} "
        f"GFLOP/s; ours = {100 * fraction:.0f}% of it {_spread(fraction_list)}"
    )
    label = f"{key}"
    report.target(
        label,
        f"sklearn/ours >= {target}x, {metric} within {SCORE_TOLERANCE}",
        f"{ratio:.2f}x, {metric} {scores['ours'] - scores['sklearn']:+.4f}",
        ratio >= target and score_ok,
    )
    if matmul_target is not None:
        report.target(
            label,
            f"ours >= {100 * matmul_target:.0f}% of the numpy matmul rate",
            f"{100 * fraction:.0f}%",
            fraction >= matmul_target,
        )
    if fit_memory:
        mem_ours = peak_growth(lambda: Ours(alpha=alpha_ours, **params).fit(X_tr, y_tr))
        mem_sk = peak_growth(
            lambda: Theirs(alpha=ALPHA, **params).fit(X_sk["sklearn"], y_tr)
        )
        print(
            f"  fit peak memory growth: ours {_mb(mem_ours)}, sklearn {_mb(mem_sk)} "
            f"(X itself: {_mb(X_tr.nbytes)})"
        )
        report.target(
            f"{key}-mem",
            "fit peak memory growth <= sklearn's",
            f"{_mb(mem_ours)} vs {_mb(mem_sk)}",
            mem_ours <= mem_sk,
        )
    return kept


# ---------------------------------------------------------------------------
# Prediction workloads


def bench_predict_one_row(report, runs, calls):
    X_tr, X_te, y_tr, y_te = _digits()
    params = dict(hidden_layer_sizes=(100,), max_iter=50, alpha=0.0, random_state=SEED)
    ours = SquiggleClassifier(**params).fit(X_tr, y_tr)
    theirs = MLPClassifier(**params).fit(X_tr, y_tr)
    row = X_te[:1].copy()
    assert ours.predict(row)[0] == theirs.predict(row)[0]

    def timer(est):
        def run():
            start = time.perf_counter()
            for _ in range(calls):
                est.predict(row)
            return (time.perf_counter() - start) / calls

        return run

    for est in (ours, theirs):
        timer(est)()  # warm up
    times = paired_runs({"ours": timer(ours), "sklearn": timer(theirs)}, runs)
    ratios = pair_ratios(times, "sklearn", "ours")
    t_ours, t_sk = statistics.median(times["ours"]), statistics.median(times["sklearn"])
    print("\npredict1: predict on one row, digits classifier, hidden (100,)")
    print(f"  {calls} calls per run, {runs} paired runs")
    print(f"  ours    {t_ours * 1e6:8.1f} us per call")
    print(f"  sklearn {t_sk * 1e6:8.1f} us per call")
    ratio = statistics.median(ratios)
    print(f"  ratio sklearn/ours: {ratio:.2f}x {_spread(ratios)}")
    report.target(
        "predict1", "ours <= half of sklearn's latency", f"{ratio:.2f}x", ratio >= 2
    )


def bench_predict_proba(report, runs, n_rows):
    X, y = make_classification(
        n_samples=2000, n_features=20, n_informative=10, random_state=SEED
    )
    params = dict(
        hidden_layer_sizes=(512, 512), max_iter=3, alpha=0.0, random_state=SEED
    )
    ours = SquiggleClassifier(**params).fit(X, y)
    theirs = MLPClassifier(**params).fit(X, y)
    X_big = np.random.default_rng(SEED).standard_normal((n_rows, 20))
    check = slice(0, 1000)
    diff = np.abs(ours.predict_proba(X_big[check]) - theirs.predict_proba(X_big[check]))
    assert diff.max() < 1e-8, diff.max()

    def timer(est):
        def run():
            start = time.perf_counter()
            est.predict_proba(X_big)
            return time.perf_counter() - start

        return run

    times = paired_runs({"ours": timer(ours), "sklearn": timer(theirs)}, runs)
    ratios = pair_ratios(times, "sklearn", "ours")
    mem_ours = peak_growth(lambda: ours.predict_proba(X_big))
    mem_sk = peak_growth(lambda: theirs.predict_proba(X_big))
    units = [20, 512, 512, 1]
    gflop = forward_flops(units, n_rows) / 1e9
    t_ours, t_sk = statistics.median(times["ours"]), statistics.median(times["sklearn"])
    print(
        f"\nproba1M: predict_proba on {n_rows} rows, layers {units}, float64 "
        f"({gflop:.0f} GFLOP)"
    )
    print(f"  {runs} paired runs; input X itself: {_mb(X_big.nbytes)}")
    print(
        f"  ours    {t_ours:8.3f} s ({gflop / t_ours:.1f} GFLOP/s), "
        f"peak memory growth {_mb(mem_ours)}"
    )
    print(
        f"  sklearn {t_sk:8.3f} s ({gflop / t_sk:.1f} GFLOP/s), "
        f"peak memory growth {_mb(mem_sk)}"
    )
    ratio = statistics.median(ratios)
    print(f"  ratio sklearn/ours: {ratio:.2f}x {_spread(ratios)}")
    report.target(
        "proba1M",
        "peak growth < 500 MB",
        _mb(mem_ours),
        mem_ours < 500 * 2**20,
    )
    report.target("proba1M", "no slower than sklearn", f"{ratio:.2f}x", ratio >= 1.0)


# ---------------------------------------------------------------------------


_OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def _restart_without_openblas_overrides(args, argv):
    """Run on the BLAS kernels OpenBLAS picks for this CPU.

    Some machines set OPENBLAS_CORETYPE (with OPENBLAS_L2_SIZE) to force older
    kernels, a guard against old OpenBLAS builds; current numpy and scipy run
    correctly without it and their matrix products get faster (SkylakeX
    instead of Haswell kernels here). OpenBLAS reads these variables when it
    loads, so the benchmark starts itself again without both; the tests and
    CI keep them. ``--keep-openblas-env`` measures with them.
    """
    if args.keep_openblas_env or not any(v in os.environ for v in _OPENBLAS_OVERRIDES):
        return
    for name in _OPENBLAS_OVERRIDES:
        os.environ.pop(name, None)
    argv = sys.argv[1:] if argv is None else list(argv)
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, os.path.abspath(__file__), *argv])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="3 runs and smaller data sets"
    )
    parser.add_argument(
        "--only",
        default=",".join(WORKLOADS),
        help=f"comma-separated workloads among {', '.join(WORKLOADS)}",
    )
    parser.add_argument("--runs", type=int, default=None, help="paired runs")
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit the BLAS threads of both (default: leave them as they are)",
    )
    parser.add_argument(
        "--keep-openblas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE as set (by default "
        "the benchmark restarts itself without them)",
    )
    args = parser.parse_args(argv)
    _restart_without_openblas_overrides(args, argv)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        # Kept for the whole run: the limiter is undone when it is collected.
        main.blas_limits = threadpool_limits(args.blas_threads, user_api="blas")
    lookup = {w.lower(): w for w in WORKLOADS}
    selected = []
    for item in args.only.split(","):
        if item.strip().lower() not in lookup:
            parser.error(f"unknown workload {item!r}; choose among {WORKLOADS}")
        selected.append(lookup[item.strip().lower()])
    quick = args.quick
    runs = args.runs or (3 if quick else 5)

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    environment()
    print(f"\nmode: {'quick' if quick else 'full'}, {runs} paired runs per workload")
    report = Report()
    w3_rows = 10_000 if quick else 50_000
    w3_epochs = 2 if quick else 10
    if "W2" in selected:
        bench_training(
            report,
            "W2",
            "digits, StandardScaler, hidden (100,), adam, batch 200, 200 epochs",
            _digits(),
            True,
            (100,),
            "adam",
            200,
            50 if quick else 200,
            runs,
            target=2.0,
        )
    if "W3" in selected or "W3f32" in selected:
        w3_data = _classification(w3_rows)
    if "W3" in selected:
        bench_training(
            report,
            "W3",
            f"make_classification({w3_rows}, 100 features, 40 informative, "
            f"5 classes), hidden (256, 128), adam, batch 256, {w3_epochs} epochs",
            w3_data,
            True,
            (256, 128),
            "adam",
            256,
            w3_epochs,
            runs,
            target=1.2,
            matmul_target=0.75,
            fit_memory=True,
        )
    if "W3f32" in selected:
        bench_training(
            report,
            "W3f32",
            "W3 with float32 input (ours float32; sklearn float64, and float32 "
            "for reference)",
            w3_data,
            True,
            (256, 128),
            "adam",
            256,
            w3_epochs,
            runs,
            target=2.0,
            dtype=np.float32,
            sk_dtypes=(np.float64, np.float32),
        )
    if "W4" in selected:
        w4_rows = 20_000 if quick else 100_000
        w4_epochs = 2 if quick else 5
        bench_training(
            report,
            "W4",
            f"make_friedman1({w4_rows}, 50 features), X scaled, y standardised, "
            f"hidden (128, 64), sgd + Nesterov 0.9, lr 1e-3, batch 128, "
            f"{w4_epochs} epochs",
            _friedman(w4_rows),
            False,
            (128, 64),
            "sgd",
            128,
            w4_epochs,
            runs,
            target=1.5,
            extra=dict(momentum=0.9, nesterovs_momentum=True, learning_rate_init=1e-3),
        )
    if "W5" in selected:
        bench_training(
            report,
            "W5",
            "breast_cancer, StandardScaler, hidden (50,), lbfgs, max_iter "
            f"{100 if quick else 500}",
            _breast_cancer(),
            True,
            (50,),
            "lbfgs",
            None,
            100 if quick else 500,
            runs,
            target=1.5,
        )
    if "W6" in selected:
        bench_training(
            report,
            "W6",
            "digits, StandardScaler, hidden (64,), adam, batch 32, 30 epochs "
            "(per-batch overhead)",
            _digits(),
            True,
            (64,),
            "adam",
            32,
            10 if quick else 30,
            runs,
            target=3.0,
        )
    if "predict1" in selected:
        bench_predict_one_row(report, runs, 500 if quick else 2000)
    if "proba1M" in selected:
        bench_predict_proba(report, runs, 100_000 if quick else 1_000_000)
    report.summary()


if __name__ == "__main__":
    main()
