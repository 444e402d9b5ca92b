"""TableEncoder: RealMLP-TD preprocessing of a raw table.

Expected values come from the formulas, computed here independently: quantiles
by linear interpolation between sorted values by hand, scikit-learn's
StandardScaler and OneHotEncoder, and literal tables.
"""

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from palmerpenguins import load_penguins
from sklearn.base import clone
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from sknn_squiggle._tabular._encoder import TableEncoder

RAW = {"numeric_scaling": None, "smooth_clip": False}


def quantile_by_hand(values, p):
    """Quantile p of the values: linear interpolation at h = (n - 1) p."""
    x = sorted(values)
    h = (len(x) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(x) - 1)
    return x[lo] + (h - lo) * (x[hi] - x[lo])


def smooth_clip(z):
    return z / np.sqrt(1 + (z / 3) ** 2)


def frame(**columns):
    return pd.DataFrame(columns)


# ----------------------------------------------------------------------
# Numeric scaling


def test_robust_scaling_against_quantiles_by_hand():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=101)
    median = quantile_by_hand(x, 0.5)
    iqr = quantile_by_hand(x, 0.75) - quantile_by_hand(x, 0.25)
    z = (x - median) / iqr
    X = frame(x=x)
    clipped = TableEncoder().fit(X)
    unclipped = TableEncoder(smooth_clip=False).fit(X)
    assert_allclose(clipped.center_, [median])
    assert_allclose(clipped.scale_, [1 / iqr])
    assert_allclose(unclipped.transform(X)[:, 0], z)
    assert_allclose(clipped.transform(X)[:, 0], smooth_clip(z))


def test_zero_iqr_scales_by_two_over_range():
    x = np.array([0.0] * 10 + [1.0, 5.0, -3.0])
    X = frame(x=x)
    encoder = TableEncoder(smooth_clip=False).fit(X)
    # q25 = q75 = 0 = median, so s = 2 / (5 - (-3)).
    assert quantile_by_hand(x, 0.25) == quantile_by_hand(x, 0.75) == 0
    assert_allclose(encoder.scale_, [2 / 8])
    assert_allclose(encoder.transform(X)[:, 0], x * 2 / 8)


@pytest.mark.parametrize("scaling", ["robust", "standard"])
def test_constant_column_becomes_zero(scaling):
    X = frame(x=[7.0] * 5)
    encoder = TableEncoder(numeric_scaling=scaling, smooth_clip=False).fit(X)
    assert_array_equal(encoder.scale_, [0.0])
    assert_array_equal(encoder.center_, [7.0])
    assert_array_equal(encoder.transform(frame(x=[7.0, 100.0, -1e300]))[:, 0], 0)


def test_smooth_clip_formula_and_limits():
    x = np.array([-1e200, -50.0, -3.0, -0.5, 0.0, 0.25, 3.0, 9.0, 1e200])
    encoder = TableEncoder(numeric_scaling=None).fit(frame(x=x))
    out = encoder.transform(frame(x=x))[:, 0]
    assert_allclose(out[1:-1], x[1:-1] / np.sqrt(1 + (x[1:-1] / 3) ** 2))
    # The limits of the map at ±infinity are ±3.
    assert_allclose(out[[0, -1]], [-3.0, 3.0])
    assert np.all(np.abs(out) < 3.0 + 1e-12)


def test_standard_scaling_matches_standard_scaler():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3)) * [1.0, 10.0, 0.1] + [0.0, 5.0, -2.0]
    expected = StandardScaler().fit_transform(X)
    encoder = TableEncoder(numeric_scaling="standard", smooth_clip=False).fit(X)
    assert_allclose(encoder.transform(X), expected)
    assert_allclose(encoder.center_, X.mean(axis=0))
    clipped = TableEncoder(numeric_scaling="standard").fit(X)
    assert_allclose(clipped.transform(X), smooth_clip(expected))


def test_standard_scaling_ignores_missing_values():
    x = np.array([1.0, np.nan, 2.0, 4.0, np.nan, 9.0])
    present = x[~np.isnan(x)]
    encoder = TableEncoder(numeric_scaling="standard", smooth_clip=False)
    out = encoder.fit_transform(frame(x=x))
    expected = (present - present.mean()) / present.std()
    assert_allclose(out[~np.isnan(x), 0], expected)
    assert_array_equal(out[np.isnan(x), 0], 0.0)


def test_no_scaling_passes_values_and_fills_missing_with_zero():
    X = frame(x=[1.5, np.nan, -20.0], y=["a", "b", "a"])
    out = TableEncoder(**RAW).fit_transform(X)
    assert_array_equal(out[:, 0], [1.5, 0.0, -20.0])


def test_all_components_switched_off():
    X = frame(
        x=[1.0, np.nan, 3.0],
        b=["no", "yes", None],
        c=["a", "b", "c"],
    )
    encoder = TableEncoder(
        **RAW, missing_indicators=False, one_hot_max_levels=0, signed_binary=False
    ).fit(X)
    out = encoder.transform(X)
    # Raw numbers, missing -> 0; both categoricals as codes (sorted levels,
    # code k for missing).
    assert_array_equal(out, [[1.0, 0, 0], [0.0, 1, 1], [3.0, 2, 2]])
    assert (encoder.n_numeric_, encoder.n_flags_) == (1, 0)
    assert encoder.cardinalities_ == [3, 4]


def test_infinity_is_clipped_to_the_fit_range():
    x = np.array([1.0, 2.0, 3.0, 4.0, np.inf, -np.inf])
    encoder = TableEncoder(smooth_clip=False).fit(frame(x=x))
    finite = [1.0, 2.0, 3.0, 4.0]
    median = quantile_by_hand(finite, 0.5)
    iqr = quantile_by_hand(finite, 0.75) - quantile_by_hand(finite, 0.25)
    assert_allclose(encoder.center_, [median])
    assert_allclose(encoder.scale_, [1 / iqr])
    out = encoder.transform(frame(x=[np.inf, -np.inf, 10.0]))[:, 0]
    assert_allclose(out, [(4 - median) / iqr, (1 - median) / iqr, (10 - median) / iqr])
    # inf is not missing: no indicator.
    assert encoder.n_flags_ == 0


# ----------------------------------------------------------------------
# Missing values


def mixed_missing_frame():
    return pd.DataFrame(
        {
            "f": [1.0, np.nan, 3.0, 4.0, 5.0],
            "i": pd.array([1, pd.NA, 3, 4, 10], dtype="Int64"),
            "F": pd.array([0.5, 1.5, pd.NA, 2.5, 3.5], dtype="Float64"),
            "s": pd.Series(["a", None, "b", "c", "a"], dtype="str"),
            "S": pd.Series(["a", pd.NA, "b", "c", "a"], dtype="string"),
            "o": pd.Series(["a", None, pd.NA, np.nan, "b"], dtype=object),
            "c": pd.Categorical(["x", "y", None, "z", "x"]),
            "B": pd.array([True, pd.NA, False, True, False], dtype="boolean"),
        }
    )


def test_missing_markers_in_every_dtype():
    X = mixed_missing_frame()
    encoder = TableEncoder(smooth_clip=False).fit(X)
    out = encoder.transform(X)
    assert np.isfinite(out).all()
    assert list(encoder.column_kinds_) == [
        "numeric",
        "numeric",
        "numeric",
        "one_hot",
        "one_hot",
        "binary",
        "one_hot",
        "binary",
    ]
    names = list(encoder.get_feature_names_out())
    assert names[:6] == ["f", "i", "F", "f_missing", "i_missing", "F_missing"]
    # Indicators: 1 exactly where the value was missing.
    assert_array_equal(out[:, 3], [0, 1, 0, 0, 0])
    assert_array_equal(out[:, 4], [0, 1, 0, 0, 0])
    assert_array_equal(out[:, 5], [0, 0, 1, 0, 0])
    # Fill values: the median of the present values, which scales to 0.
    assert_allclose(encoder.center_, [3.5, 3.5, 2.0])
    assert_array_equal(out[[1, 1, 2], [0, 1, 2]], 0.0)
    # Binary columns: o has levels a, b; B has False, True; missing is 0.
    assert_array_equal(out[:, names.index("o_b")], [-1, 0, 0, 0, 1])
    assert_array_equal(out[:, names.index("B_True")], [1, 0, -1, 1, -1])
    # One-hot rows of missing values are all zero.
    for column, missing_row in [("s", 1), ("S", 1), ("c", 2)]:
        block = [k for k, name in enumerate(names) if name.startswith(column + "_")]
        assert len(block) == 3
        assert_array_equal(out[missing_row, block], 0)
        assert_array_equal(np.delete(out[:, block], missing_row, axis=0).sum(1), 1)


def test_missing_at_transform_in_a_column_complete_in_fit():
    X = frame(x=[1.0, 2.0, 3.0, 10.0])
    encoder = TableEncoder().fit(X)
    out = encoder.transform(pd.DataFrame({"x": pd.array([pd.NA, 2], "Int64")}))
    assert out.shape == (2, 1)
    # median 2.5, q25 = 1.75, q75 = 4.75: missing -> 0, 2 -> (2 - 2.5) / 3.
    assert_allclose(out[:, 0], [0.0, smooth_clip(-0.5 / 3)])


def test_all_missing_columns():
    X = frame(x=[np.nan, np.nan], s=pd.Series([None, None], dtype=object))
    encoder = TableEncoder().fit(X)
    out = encoder.transform(X)
    # The numeric column is 0 with its indicator; the categorical one has no
    # level and so no output column.
    assert_array_equal(out, [[0.0, 1.0], [0.0, 1.0]])
    assert list(encoder.get_feature_names_out()) == ["x", "x_missing"]


# ----------------------------------------------------------------------
# Categorical columns


def test_one_hot_up_to_eight_levels_matches_one_hot_encoder():
    levels = [f"l{k}" for k in range(8)]
    values = np.random.default_rng(2).choice(levels, size=40)
    values[:8] = levels
    X = frame(c=pd.Series(values, dtype="str"))
    encoder = TableEncoder().fit(X)
    expected = OneHotEncoder(sparse_output=False).fit_transform(values[:, None])
    assert_array_equal(encoder.transform(X), expected)
    assert list(encoder.categories_[0]) == levels
    assert (encoder.n_flags_, encoder.cardinalities_) == (8, [])


def test_codes_above_eight_levels_with_reserved_code():
    levels = [f"l{k}" for k in range(9)]
    X = frame(c=pd.Series(levels[::-1], dtype="str"))
    encoder = TableEncoder().fit(X)
    assert encoder.column_kinds_[0] == "code"
    assert encoder.cardinalities_ == [10]
    assert (encoder.n_numeric_, encoder.n_flags_) == (0, 0)
    assert_array_equal(encoder.transform(X)[:, 0], np.arange(9)[::-1])
    new = frame(c=pd.Series(["l3", None, "unseen", "l8"], dtype="str"))
    assert_array_equal(encoder.transform(new)[:, 0], [3, 9, 9, 8])


def test_one_hot_max_levels_threshold():
    X = frame(c=list("abcd"))
    assert TableEncoder(one_hot_max_levels=4).fit(X).column_kinds_[0] == "one_hot"
    coded = TableEncoder(one_hot_max_levels=3).fit(X)
    assert coded.column_kinds_[0] == "code"
    assert coded.cardinalities_ == [5]
    every = TableEncoder(one_hot_max_levels=None).fit(
        frame(c=[str(k) for k in range(50)])
    )
    assert every.n_flags_ == 50


def test_binary_signed_and_unsigned():
    X = frame(b=["yes", "no", None, "yes"])
    signed = TableEncoder().fit(X)
    assert list(signed.get_feature_names_out()) == ["b_yes"]
    assert_array_equal(signed.transform(X)[:, 0], [1, -1, 0, 1])
    assert_array_equal(signed.transform(frame(b=["maybe"]))[:, 0], [0])
    two = TableEncoder(signed_binary=False).fit(X)
    assert_array_equal(two.transform(X), [[0, 1], [1, 0], [0, 0], [0, 1]])


def test_unseen_categories_give_zero_rows():
    X = frame(c=["a", "b", "c", "a"])
    encoder = TableEncoder().fit(X)
    out = encoder.transform(frame(c=["c", "zzz", None, "a"]))
    assert_array_equal(out, [[0, 0, 1], [0, 0, 0], [0, 0, 0], [1, 0, 0]])


def test_category_dtype_with_unused_categories():
    dtype = pd.CategoricalDtype(["z", "c", "b", "a", "unused"])
    X = frame(c=pd.Series(["a", "b", "c", "a", "z"], dtype=dtype))
    encoder = TableEncoder().fit(X)
    # Levels are the values present, sorted; category order is not used.
    assert list(encoder.categories_[0]) == ["a", "b", "c", "z"]
    out = encoder.transform(frame(c=pd.Series(["unused", "z"], dtype=dtype)))
    assert_array_equal(out, [[0, 0, 0, 0], [0, 0, 0, 1]])
    # A test frame with the categories in another order agrees.
    other = frame(c=pd.Categorical(["z", "a"], categories=["a", "z"]))
    assert_array_equal(encoder.transform(other), [[0, 0, 0, 1], [1, 0, 0, 0]])


def test_booleans_are_two_level_categoricals():
    X = frame(
        b=np.array([True, False, True]),
        n=pd.array([False, pd.NA, True], dtype="boolean"),
    )
    encoder = TableEncoder().fit(X)
    assert list(encoder.column_kinds_) == ["binary", "binary"]
    assert_array_equal(encoder.transform(X), [[1, -1], [-1, 0], [1, 1]])


def test_levels_compared_by_normalised_value():
    encoder = TableEncoder(categorical_features=[0]).fit(frame(c=[1, 2, 3, 2]))
    assert list(encoder.categories_[0]) == ["1", "2", "3"]
    # A float column (an integer column that gained a NaN) finds the levels.
    out = encoder.transform(frame(c=[3.0, np.nan, 1.0, 2.5]))
    assert_array_equal(out, [[0, 0, 1], [0, 0, 0], [1, 0, 0], [0, 0, 0]])


def test_booleans_are_not_merged_with_ones_and_zeros():
    values = [True, 1, 0, False, "a", 1.0]
    for order in (values, values[::-1]):
        X = np.array(order, dtype=object)[:, None]
        encoder = TableEncoder().fit(X)
        assert list(encoder.categories_[0]) == ["0", "1", "False", "True", "a"]
    out = encoder.transform(np.array([[True], [1], [False], [0.0]], dtype=object))
    assert_array_equal(out.argmax(axis=1), [3, 1, 2, 0])


def test_codes_are_exact_integers_in_float32():
    levels = [f"l{k:03d}" for k in range(300)]
    X = frame(c=pd.Series(levels, dtype="str"))
    out = TableEncoder(dtype=np.float32).fit_transform(X)
    assert out.dtype == np.float32
    assert_array_equal(out[:, 0], np.arange(300))


# ----------------------------------------------------------------------
# Which columns are categorical


def test_categorical_features_specs_agree():
    X = frame(a=[1.0, 2.0, 3.0], b=[1, 2, 1], c=[0.5, 0.5, 1.5])
    expected = TableEncoder(categorical_features=["b", "c"]).fit_transform(X)
    for spec in ([1, 2], np.array([False, True, True]), ["c", "b"]):
        encoder = TableEncoder(categorical_features=spec).fit(X)
        assert list(encoder.column_kinds_) == ["numeric", "binary", "binary"]
        assert_array_equal(encoder.transform(X), expected)
    assert_array_equal(expected[:, 1:], [[-1, -1], [1, -1], [-1, 1]])


def test_categorical_features_none_makes_all_numeric():
    X = frame(a=[1.0, 2.0], b=np.array([True, False]))
    encoder = TableEncoder(categorical_features=None, **RAW).fit(X)
    assert list(encoder.column_kinds_) == ["numeric", "numeric"]
    assert_array_equal(encoder.transform(X), [[1.0, 1.0], [2.0, 0.0]])
    with pytest.raises(ValueError, match="'s' is treated as numeric.*categorical_f"):
        TableEncoder(categorical_features=None).fit(frame(s=["a", "b"]))


@pytest.mark.parametrize(
    "spec, match",
    [
        (["nope"], "names columns that X does not have: \\['nope'\\]"),
        ([5], "indices outside \\[0, 1\\]"),
        ([True], "needs 2 entries"),
    ],
)
def test_bad_categorical_features(spec, match):
    with pytest.raises(ValueError, match=match):
        TableEncoder(categorical_features=spec).fit(frame(a=[1.0], b=[2.0]))


def test_names_need_a_frame():
    with pytest.raises(ValueError, match="names only for a DataFrame"):
        TableEncoder(categorical_features=["a"]).fit(np.zeros((2, 2)))


def test_unsupported_dtype_raises_unless_declared_categorical():
    X = frame(d=pd.to_datetime(["2024-01-01", "2024-01-02"]))
    with pytest.raises(ValueError, match="'d' has dtype datetime64.*categorical_f"):
        TableEncoder().fit(X)
    encoder = TableEncoder(categorical_features=["d"]).fit(X)
    assert encoder.column_kinds_[0] == "binary"


def test_numeric_ndarray_is_all_numeric():
    X = np.array([[1.0, 5.0], [2.0, np.nan], [4.0, 6.0]])
    encoder = TableEncoder(**RAW).fit(X)
    assert list(encoder.column_kinds_) == ["numeric", "numeric"]
    assert list(encoder.get_feature_names_out()) == ["x0", "x1", "x1_missing"]
    assert_array_equal(encoder.transform(X), [[1, 5, 0], [2, 0, 1], [4, 6, 0]])
    assert not hasattr(encoder, "feature_names_in_")
    # Declared categorical by index: float values become levels "5", "6".
    coded = TableEncoder(categorical_features=[1], **RAW).fit(X)
    assert list(coded.categories_[0]) == ["5", "6"]
    assert_array_equal(coded.transform(X), [[1, -1], [2, 0], [4, 1]])


def test_object_ndarray_decided_column_by_column():
    X = np.array(
        [
            [1, "a", True, None, "1.5"],
            [2.5, "b", False, 3, "2"],
            [None, None, None, pd.NA, "3"],
            [np.int64(4), 7, True, np.float32(1), "4"],
        ],
        dtype=object,
    )
    encoder = TableEncoder(**RAW).fit(X)
    # Numbers (missing allowed) are numeric; strings, booleans and numeric
    # strings are categorical.
    assert_array_equal(encoder.is_categorical_, [False, True, True, False, True])
    out = encoder.transform(X)
    assert_array_equal(out[:, :2], [[1, 0], [2.5, 3], [0, 0], [4, 1]])
    assert np.isfinite(out).all()
    assert list(encoder.categories_[0]) == ["7", "a", "b"]


def test_list_with_strings_keeps_numbers():
    encoder = TableEncoder(**RAW).fit([[1.5, "a"], [2.0, "b"]])
    assert list(encoder.column_kinds_) == ["numeric", "binary"]
    assert_array_equal(encoder.transform([[3.0, "b"]]), [[3.0, 1.0]])


# ----------------------------------------------------------------------
# Column checks


def test_reordered_columns_raise():
    X = frame(a=[1.0, 2.0], b=["x", "y"])
    encoder = TableEncoder().fit(X)
    with pytest.raises(
        ValueError,
        match="(?s)same order.*Got columns \\['b', 'a'\\].*X\\[encoder.feature_n",
    ):
        encoder.transform(X[["b", "a"]])


def test_missing_and_extra_columns_raise_naming_them():
    X = frame(a=[1.0, 2.0], b=["x", "y"])
    encoder = TableEncoder().fit(X)
    with pytest.raises(ValueError, match="yet now missing:\n- b"):
        encoder.transform(X[["a"]])
    with pytest.raises(ValueError, match="unseen at fit time:\n- c"):
        encoder.transform(X.assign(c=1.0))


def test_wrong_number_of_features_raises():
    encoder = TableEncoder().fit(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="X has 3 features.*expecting 2"):
        encoder.transform(np.zeros((3, 3)))


def test_numeric_column_with_strings_at_transform_raises():
    encoder = TableEncoder().fit(frame(a=[1.0, 2.0]))
    with pytest.raises(ValueError, match="'a' is treated as numeric"):
        encoder.transform(frame(a=["x", "y"]))


def test_empty_frame_raises():
    with pytest.raises(ValueError, match="0 rows"):
        TableEncoder().fit(frame(a=np.array([], dtype=float)))


# ----------------------------------------------------------------------
# The whole table


def test_one_row_transform_matches_full_transform():
    X = mixed_missing_frame()
    encoder = TableEncoder().fit(X)
    full = encoder.transform(X)
    for i in range(len(X)):
        assert_array_equal(encoder.transform(X.iloc[[i]]), full[[i]])


def test_float32_output():
    X = mixed_missing_frame()
    out64 = TableEncoder().fit_transform(X)
    out32 = TableEncoder(dtype="float32").fit_transform(X)
    assert (out64.dtype, out32.dtype) == (np.float64, np.float32)
    assert_allclose(out32, out64, rtol=1e-6)


def test_huge_values_stay_finite_in_float32():
    X = frame(x=[1e300, -1e300, 0.0])
    out = TableEncoder(**RAW, dtype=np.dtype("float32")).fit_transform(X)
    big = np.finfo(np.float32).max
    assert_array_equal(out[:, 0], np.array([big, -big, 0.0], dtype=np.float32))


def test_fit_is_deterministic_and_row_order_free():
    X = mixed_missing_frame()
    shuffled = X.iloc[[3, 0, 4, 2, 1]]
    first, second = TableEncoder().fit(X), TableEncoder().fit(shuffled)
    assert_array_equal(first.transform(X), second.transform(X))
    assert_array_equal(first.transform(X), TableEncoder().fit(X).transform(X))
    for a, b in zip(first.categories_, second.categories_, strict=True):
        assert_array_equal(a, b)


def test_penguins_round_trip():
    penguins = load_penguins()
    encoder = TableEncoder().fit(penguins)
    out = encoder.transform(penguins)
    # 4 measurements with NaN and the year are numeric; 4 indicators, sex
    # binary (female, male), species and island 3 one-hot columns each.
    assert (encoder.n_numeric_, encoder.n_flags_, encoder.cardinalities_) == (
        5,
        4 + 1 + 3 + 3,
        [],
    )
    assert out.shape == (344, 16) == (len(penguins), len(encoder.feature_names_out_))
    assert np.isfinite(out).all()
    numeric = penguins[["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]]
    assert_array_equal(out[:, 5:8], numeric.isna().to_numpy())
    names = list(encoder.get_feature_names_out())
    assert names[9] == "sex_male"
    assert_array_equal(
        out[:, 9], penguins["sex"].map({"male": 1, "female": -1}).fillna(0)
    )
    median = [quantile_by_hand(penguins[c].dropna(), 0.5) for c in numeric]
    assert_allclose(encoder.center_[:3], median)

    coded = TableEncoder(one_hot_max_levels=2).fit(penguins)
    out = coded.transform(penguins)
    assert (coded.n_numeric_, coded.n_flags_, coded.cardinalities_) == (5, 5, [4, 4])
    assert list(coded.get_feature_names_out()[-2:]) == ["species", "island"]
    species = penguins["species"].map({"Adelie": 0, "Chinstrap": 1, "Gentoo": 2})
    assert_array_equal(out[:, -2], species)


def test_get_feature_names_out_with_input_features():
    encoder = TableEncoder().fit(np.array([[1.0, "a"], [np.nan, "b"]], dtype=object))
    assert list(encoder.get_feature_names_out(["m", "s"])) == ["m", "m_missing", "s_b"]


def test_clone_and_get_params_round_trip():
    params = {
        "categorical_features": ["a"],
        "numeric_scaling": "standard",
        "smooth_clip": False,
        "missing_indicators": False,
        "one_hot_max_levels": 3,
        "signed_binary": False,
        "dtype": np.float32,
    }
    encoder = TableEncoder(**params)
    assert encoder.get_params() == params
    copy = clone(encoder)
    assert copy is not encoder and copy.get_params() == params
    assert TableEncoder().set_params(**params).get_params() == params


def test_bad_parameter_raises():
    with pytest.raises(ValueError, match="numeric_scaling"):
        TableEncoder(numeric_scaling="minmax").fit(np.zeros((2, 1)))


@parametrize_with_checks([TableEncoder()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
