"""Preprocessing of a raw table into the input of a tabular network.

The recipe is RealMLP-TD's (Holzmüller, Grinsztajn and Steinwart, "Better by
default: strong pre-tuned MLPs and boosted trees on tabular data", NeurIPS
2024): numeric columns are centred on their median and scaled by the inverse
interquartile range, then smoothly clipped with ``x / sqrt(1 + (x/3)^2)``;
categorical columns with few levels are one-hot encoded (two levels become one
-1/+1 feature) and the others become integer codes for a learned embedding.

:class:`TableEncoder` returns one dense float array whose columns come in three
blocks, ``[numeric | flags | codes]``, described by its fitted attributes so
that a network can slice them.
"""

import math
import numbers

import numpy as np
import pandas as pd
from pandas.api import types as pdt
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_array,
    check_is_fitted,
    validate_data,
)

# What pandas.api.types.infer_dtype(skipna=True) answers for an object column
# whose non-missing values are all real numbers (booleans excluded).
_NUMERIC_INFERRED = frozenset(
    {"integer", "integer-na", "floating", "mixed-integer-float", "empty"}
)

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

# The kinds of input column, as listed in ``column_kinds_``.
NUMERIC, BINARY, ONE_HOT, CODE = "numeric", "binary", "one_hot", "code"


# ----------------------------------------------------------------------
# Reading the table


def _as_table(X):
    """X as a DataFrame (kept as is) or a 2-D ndarray.

    Lists holding strings become object arrays (numpy would otherwise turn
    their numbers into strings); string ndarrays become object arrays.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise ValueError(
                "X is a DataFrame with 0 rows: pass at least one row (sample)."
            )
        return X
    if isinstance(X, list | tuple):
        array = np.asarray(X)
        X = np.asarray(X, dtype=object) if array.dtype.kind in "USO" else array
    array = check_array(X, dtype=None, ensure_all_finite=False)
    if array.dtype.kind in "US":
        array = array.astype(object)
    return array


def _columns(X):
    """The columns of a DataFrame (Series) or of a 2-D ndarray (1-D arrays)."""
    if isinstance(X, pd.DataFrame):
        return [column for _, column in X.items()]
    return list(X.T)


def _column_label(X, j):
    """How error messages name column j."""
    return X.columns[j] if isinstance(X, pd.DataFrame) else f"x{j}"


def _frame_column_is_categorical(label, dtype):
    """The ``"from_dtype"`` rule for one DataFrame column.

    Categorical: ``category``, boolean (numpy ``bool``, nullable ``boolean``),
    ``object`` and string dtypes (``str``, ``string``, pyarrow strings).
    Numeric: real number dtypes (numpy and nullable integers and floats).
    Anything else (dates, durations, intervals, complex) raises.
    """
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pdt.is_bool_dtype(dtype)
        or pdt.is_object_dtype(dtype)
        or pdt.is_string_dtype(dtype)
    ):
        return True
    if pdt.is_numeric_dtype(dtype) and not pdt.is_complex_dtype(dtype):
        return False
    raise ValueError(
        f"Column {label!r} has dtype {dtype}, which is neither numeric nor "
        "categorical: convert it (e.g. dates to numbers) or list it in "
        "categorical_features."
    )


def _object_column_is_numeric(values):
    """True if every non-missing value of an object column is a real number.

    Booleans are not numbers here (they are 2-level categoricals), strings
    are never parsed ("1.5" is a level), and a column with no value at all is
    numeric.
    """
    inferred = pdt.infer_dtype(values, skipna=True)
    if inferred in _NUMERIC_INFERRED:
        return True
    if inferred != "mixed":
        return False
    present = values[~pd.isna(values)]
    return all(
        isinstance(v, numbers.Real) and not isinstance(v, bool | np.bool_)
        for v in present
    )


def _categorical_from_dtype(X):
    """The categorical mask of ``categorical_features="from_dtype"``."""
    if isinstance(X, pd.DataFrame):
        return np.array(
            [
                _frame_column_is_categorical(label, dtype)
                for label, dtype in zip(X.columns, X.dtypes, strict=True)
            ],
            dtype=bool,
        )
    if X.dtype.kind == "O":
        return np.array(
            [not _object_column_is_numeric(X[:, j]) for j in range(X.shape[1])],
            dtype=bool,
        )
    # A numeric ndarray is all numeric; a boolean one all categorical.
    return np.full(X.shape[1], X.dtype.kind == "b")


# ----------------------------------------------------------------------
# Numeric columns


def _numeric_column(column, label):
    """One column as float64 values, NaN where missing (NaN, None, pd.NA).

    ±inf are kept (they are clipped at transform, see ``_scale_numeric``).
    """
    if isinstance(column, np.ndarray) and column.dtype.kind in "biuf":
        return column.astype(np.float64)
    if isinstance(column, np.ndarray):
        column = pd.Series(column, copy=False)
    try:
        return column.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Column {label!r} is treated as numeric but holds values that are "
            f"not numbers ({exc}): list it in categorical_features or convert "
            "it to numbers."
        ) from exc


def _numeric_block(X, indices):
    """Columns ``indices`` of X as an (n, m) float64 array, NaN where missing."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "biuf":
        return np.asfortranarray(X[:, indices], dtype=np.float64)
    columns = _columns(X)
    values = np.empty((X.shape[0], len(indices)), dtype=np.float64, order="F")
    for i, j in enumerate(indices):
        values[:, i] = _numeric_column(columns[j], _column_label(X, j))
    return values


def weighted_percentile(x, w, q):
    """Percentiles ``q`` (in [0, 100]) of ``x`` weighted by ``w``, as numpy's
    linear interpolation gives them on the data with each value repeated
    ``w`` times.

    With ``x`` sorted and ``c`` the cumulative weights, the expanded data's
    entry ``j`` (0-based) is the first ``x_i`` with ``c_i > j``; the
    percentile ``q`` interpolates linearly between the entries
    ``floor(h)`` and ``floor(h) + 1``, ``h = q / 100 (sum(w) - 1)``. Unit
    weights give ``np.percentile(x, q)``; zero weights drop their values.
    """
    order = np.argsort(x, kind="stable")
    x, c = x[order], np.cumsum(w[order])
    h = np.asarray(q, dtype=np.float64) / 100.0 * (c[-1] - 1.0)
    low = np.floor(h)
    entry = lambda j: x[np.minimum(np.searchsorted(c, j, side="right"), len(x) - 1)]  # noqa: E731
    below, above = entry(low), entry(low + 1)
    return below + (h - low) * (above - below)


def _robust_center_scale(x, w=None):
    """Median centre and robust scale of the finite values x of one column
    (weighted by ``w``: as if each value were repeated ``w`` times).

        c = q_{1/2},
        s = 1 / (q_{3/4} - q_{1/4})   if q_{3/4} > q_{1/4},
        s = 2 / (max - min)           else if max > min,
        s = 0                         else (a constant column becomes 0),

    with the quantiles q of numpy's default (linear) interpolation. A column
    with no finite value gets c = 0, s = 0.
    """
    if x.size == 0:
        return 0.0, 0.0
    if w is None:
        q_1, c, q_3 = np.percentile(x, [25, 50, 75])
    else:
        q_1, c, q_3 = weighted_percentile(x, w, [25, 50, 75])
    x_min, x_max = x.min(), x.max()
    if q_3 > q_1:
        s = 1.0 / (q_3 - q_1)
    elif x_max > x_min:
        s = 2.0 / (x_max - x_min)
    else:
        s = 0.0
    return float(c), float(s)


def _standard_center_scale(x, w=None):
    """Mean centre and inverse standard deviation of the finite values x
    (weighted by ``w``).

        c = mean(x),  s = 1 / sqrt(mean((x - c)^2))   (ddof = 0),

    and s = 0 when max(x) = min(x), also where rounding would leave a tiny
    non-zero standard deviation. A column with no finite value gets c = s = 0.
    """
    if x.size == 0 or x.max() == x.min():
        return (float(x[0]) if x.size else 0.0), 0.0
    c = np.average(x, weights=w)
    return float(c), float(1.0 / np.sqrt(np.average((x - c) ** 2, weights=w)))


def _smooth_clip(z):
    """RealMLP's smooth clipping to (-3, 3): z / sqrt(1 + (z/3)^2), in place.

    z is first clipped to ±1e150, where the map is already ±3 to double
    precision, so that (z/3)^2 cannot overflow.
    """
    np.clip(z, -1e150, 1e150, out=z)
    root = z * (1.0 / 3.0)
    np.square(root, out=root)
    root += 1.0
    np.sqrt(root, out=root)
    z /= root
    return z


def _scale_numeric(values, missing, center, scale, low, high, smooth_clip):
    """Scaled numeric block: z = s (x - c), then smooth clipping if asked.

    Missing x (where ``missing``) is replaced by c, so z = 0 there; x = +inf
    by ``high`` and x = -inf by ``low`` (the column's finite range in fit).
    ``values`` is overwritten and returned as z.
    """
    x = values
    np.copyto(x, np.broadcast_to(center, x.shape), where=missing)
    # Overflow of huge values is dealt with by the caller (``_write_numeric``).
    with np.errstate(over="ignore", invalid="ignore"):
        # A finite sum means no inf is left (an overflowing sum only costs the
        # two passes that find none).
        if not math.isfinite(x.sum()):
            np.copyto(x, np.broadcast_to(high, x.shape), where=x == np.inf)
            np.copyto(x, np.broadcast_to(low, x.shape), where=x == -np.inf)
        x -= center
        x *= scale
        return _smooth_clip(x) if smooth_clip else x


# ----------------------------------------------------------------------
# Categorical columns


def _level_key(value):
    """The string by which a categorical value is compared with the levels.

    Booleans give "True"/"False"; integers and integral floats their integer
    digits (1, 1.0, np.int64(1) and "1" are one level); other reals their
    shortest repr ("0.5", "inf"); anything else ``str(value)``.
    """
    if isinstance(value, bool | np.bool_):
        return "True" if value else "False"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _merges_bools(uniques):
    """True if pandas may have merged booleans with the numbers 0 and 1.

    ``pd.factorize`` hashes an object column by equality, and True == 1.
    """
    return any(
        isinstance(u, bool | np.bool_)
        or (isinstance(u, numbers.Number) and (u == 0 or u == 1))
        for u in uniques
    )


def _value_codes(column):
    """Codes (n,) into distinct values, -1 where missing, and their keys.

    Missing is whatever pandas calls missing: NaN, None, pd.NA, NaT.
    """
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    uniques = list(uniques)
    if pdt.is_object_dtype(column.dtype) and _merges_bools(uniques):
        values = np.asarray(column, dtype=object)
        # Factorize booleans and the rest apart, then join the two lists.
        is_bool = np.fromiter(
            (isinstance(v, bool | np.bool_) for v in values), bool, len(values)
        )
        codes = np.empty(len(values), dtype=np.intp)
        rest_codes, rest = pd.factorize(values[~is_bool], use_na_sentinel=True)
        bool_codes, bools = pd.factorize(values[is_bool], use_na_sentinel=True)
        codes[~is_bool] = rest_codes
        codes[is_bool] = bool_codes + len(rest)
        uniques = [*rest, *bools]
    return codes, [_level_key(u) for u in uniques]


def _fit_levels(column):
    """The levels of one column: its distinct non-missing keys, sorted."""
    _, keys = _value_codes(column)
    return np.array(sorted(set(keys)), dtype=object)


def _level_indices(column, levels):
    """Index of each value's key in ``levels``; -1 for missing and unseen."""
    codes, keys = _value_codes(column)
    position = {level: t for t, level in enumerate(levels)}
    # Code -1 (missing) reads the appended -1.
    lookup = np.array([position.get(key, -1) for key in keys] + [-1], dtype=np.intp)
    return lookup[codes]


# ----------------------------------------------------------------------
# The transformer


class TableEncoder(TransformerMixin, BaseEstimator):
    """Encode a raw table for a tabular network (RealMLP-TD preprocessing).

    Takes a pandas DataFrame (numeric, boolean, ``category``, string and
    object columns, missing values as NaN, None or pd.NA) or an array, and
    returns one dense float array in three column blocks::

        [ numeric (n_numeric_) | flags (n_flags_) | codes (len(cardinalities_)) ]

    * numeric: each numeric column scaled, ``z = s (x - c)``, then smoothly
      clipped, ``z / sqrt(1 + (z/3)^2)``;
    * flags, in this order: one missing indicator per numeric column that had
      missing values in fit (1.0 where missing); one -1/+1 column per
      categorical column with two levels (see ``signed_binary``); then the
      one-hot columns of the other categorical columns with at most
      ``one_hot_max_levels`` levels;
    * codes: one column per remaining categorical column, holding the level's
      code 0..k-1 (as an exact integer in the float array), or k for missing
      and unseen values; such a column needs ``k + 1`` embedding rows.

    Within each kind, columns keep the order of the input columns.

    Parameters
    ----------
    categorical_features : "from_dtype", array-like of str, int or bool, or \
None, default="from_dtype"
        Which columns are categorical (the others are numeric).

        - "from_dtype": in a DataFrame, columns of dtype ``category``,
          ``object``, string (``str``, ``string``, pyarrow strings) and
          boolean (``bool``, ``boolean``) are categorical and real number
          columns numeric; other dtypes (dates, durations) raise. A numeric
          ndarray is all numeric, a boolean ndarray all categorical; an
          object ndarray (or a list holding strings) is decided column by
          column: numeric if every non-missing value is a real number (not a
          boolean, not a string, "1.5" is a level), else categorical.
        - column names (a DataFrame fitted with string column names), integer
          column indices, or a boolean mask of length ``n_features_in_``.
        - None: every column is numeric.

    numeric_scaling : {"robust", "standard"} or None, default="robust"
        Centre ``c`` and scale ``s`` of each numeric column, from its finite
        non-missing values in fit.

        - "robust": ``c`` = median, ``s = 1 / (q75 - q25)``; if the
          interquartile range is 0, ``s = 2 / (max - min)``; if the column is
          constant, ``s = 0`` (the feature becomes 0). Quantiles interpolate
          linearly (numpy's default).
        - "standard": ``c`` = mean, ``s`` = 1 / standard deviation (ddof=0),
          0 for a constant column.
        - None: ``c = 0, s = 1`` (values pass unscaled; missing become 0).

    smooth_clip : bool, default=True
        Map each scaled value z to ``z / sqrt(1 + (z/3)^2)``, which is close to
        z near 0 and tends to ±3.

    missing_indicators : bool, default=True
        Append a 0/1 indicator (1.0 where missing) for each numeric column
        with missing values in fit. Whether or not, a missing numeric entry is
        filled with ``center_``, so its scaled value is 0; a column without
        missing values in fit has no indicator, and its missing values at
        transform are filled the same way.

    one_hot_max_levels : int or None, default=8
        Categorical columns with at most this many levels (distinct
        non-missing values seen in fit) are one-hot encoded; the others become
        code columns for an embedding. 0 sends every categorical column to the
        codes block, None one-hot encodes them all.

    signed_binary : bool, default=True
        A categorical column with exactly two levels (and
        ``one_hot_max_levels >= 2``) becomes a single feature,
        -1 for the first level, +1 for the second, 0 for missing and unseen
        (RealMLP's binary encoding). If False, it gets two one-hot columns.

    dtype : {np.float64, np.float32}, default=np.float64
        The dtype of the output (also as a string or ``np.dtype``); codes are
        exact integers in it (float32 holds integers exactly up to 2**24).

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in fit.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen in fit. Defined only when X had string column names.

    is_categorical_ : ndarray of bool, shape (n_features_in_,)
        Which input columns are categorical.

    column_kinds_ : ndarray of str, shape (n_features_in_,)
        How each input column is encoded: "numeric", "binary", "one_hot" or
        "code".

    numeric_columns_ : ndarray of int
        Indices of the numeric input columns, in output order.

    categorical_columns_ : ndarray of int
        Indices of the categorical input columns.

    center_ : ndarray of float64, shape (len(numeric_columns_),)
        Centre ``c`` of each numeric column, also its fill value for missing.

    scale_ : ndarray of float64, shape (len(numeric_columns_),)
        Scale ``s`` of each numeric column.

    data_min_, data_max_ : ndarray of float64, shape (len(numeric_columns_),)
        Finite range of each numeric column in fit; -inf and +inf at transform
        are replaced by them (0 for a column with no finite value).

    missing_in_fit_ : ndarray of bool, shape (len(numeric_columns_),)
        Which numeric columns had missing values in fit (those get an
        indicator when ``missing_indicators``).

    categories_ : list of ndarray of str
        Levels of each categorical column (in ``categorical_columns_`` order),
        as the normalised strings values are compared by, sorted. A code
        column's codes and a one-hot column's columns follow this order; a
        binary column is -1 for ``categories_[i][0]``, +1 for the other.

    n_numeric_ : int
        Width of the numeric block.

    n_flags_ : int
        Width of the flags block (indicators, binary and one-hot columns).

    cardinalities_ : list of int
        Embedding rows per code column: its number of levels k, plus 1 for
        missing and unseen (code k).

    feature_names_out_ : ndarray of str
        Output column names: ``name`` for numeric and code columns,
        ``name_missing`` for indicators, ``name_level`` for one-hot columns
        and, for a binary column, its +1 level.

    See Also
    --------
    sklearn.preprocessing.OneHotEncoder : One-hot encoding alone.
    sklearn.preprocessing.RobustScaler : Median and IQR scaling alone.

    Notes
    -----
    Levels are compared by a normalised string: booleans as "True"/"False",
    integers and integral floats by their digits (so 1, 1.0 and "1" are one
    level and an integer column that gained a NaN keeps its levels), other
    values by ``str``. Levels are the values present in fit: unused
    categories of a ``category`` dtype are not levels, and the category order
    is not used, so that train and test frames built apart agree. A
    categorical column with no value in fit has no level and no output
    column.

    Columns are matched by position, after checking that a DataFrame has the
    columns of fit, in the same order (missing, extra or reordered columns
    raise a ValueError naming them: reordering is left to the caller, as in
    scikit-learn). ±inf in numeric columns are not missing: they are clipped
    to the fit range. The output is always finite.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sknn_squiggle._tabular._encoder import TableEncoder
    >>> X = pd.DataFrame(
    ...     {
    ...         "mass": [3.0, 4.0, np.nan, 5.0],
    ...         "sex": ["f", "m", "m", None],
    ...         "island": ["a", "b", "c", "a"],
    ...     }
    ... )
    >>> encoder = TableEncoder().fit(X)
    >>> encoder.get_feature_names_out().tolist()
    ['mass', 'mass_missing', 'sex_m', 'island_a', 'island_b', 'island_c']
    >>> encoder.transform(X).round(3)
    array([[-0.949,  0.   , -1.   ,  1.   ,  0.   ,  0.   ],
           [ 0.   ,  0.   ,  1.   ,  0.   ,  1.   ,  0.   ],
           [ 0.   ,  1.   ,  1.   ,  0.   ,  0.   ,  1.   ],
           [ 0.949,  0.   ,  0.   ,  1.   ,  0.   ,  0.   ]])
    >>> encoder.n_numeric_, encoder.n_flags_, encoder.cardinalities_
    (1, 5, [])
    """

    _parameter_constraints: dict = {
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
        "numeric_scaling": [StrOptions({"robust", "standard"}), None],
        "smooth_clip": ["boolean"],
        "missing_indicators": ["boolean"],
        "one_hot_max_levels": [
            Interval(numbers.Integral, 0, None, closed="left"),
            None,
        ],
        "signed_binary": ["boolean"],
        "dtype": [
            Options(type, {np.float64, np.float32}),
            Options(np.dtype, set(_FLOAT_DTYPES)),
            StrOptions({"float64", "float32"}),
        ],
    }

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        numeric_scaling="robust",
        smooth_clip=True,
        missing_indicators=True,
        one_hot_max_levels=8,
        signed_binary=True,
        dtype=np.float64,
    ):
        self.categorical_features = categorical_features
        self.numeric_scaling = numeric_scaling
        self.smooth_clip = smooth_clip
        self.missing_indicators = missing_indicators
        self.one_hot_max_levels = one_hot_max_levels
        self.signed_binary = signed_binary
        self.dtype = dtype

    # ------------------------------------------------------------------
    # Fit

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the column kinds, numeric statistics and categorical levels.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The raw table; missing values may be NaN, None or pd.NA.
        y : None
            Ignored.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows: the statistics are those of the table with
            each row repeated as many times (rows of weight 0 are left out:
            they bring no level, no missing value and no range).

        Returns
        -------
        self : TableEncoder
            The fitted encoder.
        """
        X = self._check_table(X, reset=True)
        w = None
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype=np.float64)
            if w.shape != (X.shape[0],):
                raise ValueError(
                    f"sample_weight has shape {w.shape}; X has {X.shape[0]} rows."
                )
            if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
                raise ValueError(
                    "sample_weight must be finite and non-negative, with at least "
                    "one non-zero weight."
                )
            X = X[w > 0] if isinstance(X, np.ndarray) else X.loc[w > 0]
            w = w[w > 0]
        self.is_categorical_ = self._categorical_mask(X)
        self.numeric_columns_ = np.flatnonzero(~self.is_categorical_)
        self.categorical_columns_ = np.flatnonzero(self.is_categorical_)
        self._fit_numeric(_numeric_block(X, self.numeric_columns_), w)
        columns = _columns(X)
        self.categories_ = [_fit_levels(columns[j]) for j in self.categorical_columns_]
        self._fit_layout()
        return self

    def _check_table(self, X, reset):
        """X as a DataFrame or ndarray, with its columns checked against fit.

        Sets ``n_features_in_`` and ``feature_names_in_`` when ``reset``.
        """
        if not reset:
            check_is_fitted(self)
        X = _as_table(X)
        try:
            validate_data(self, X, reset=reset, skip_check_array=True)
        except ValueError as exc:
            if "feature names should match" not in str(exc):
                raise
            raise ValueError(
                f"{exc}Got columns {list(X.columns)}. The encoder matches "
                "columns by position: pass the columns of fit in their order, "
                f"{list(self.feature_names_in_)}, e.g. X[encoder.feature_names_in_]."
            ) from exc
        return X

    def _categorical_mask(self, X):
        """Boolean mask of the categorical columns (``categorical_features``)."""
        spec, n = self.categorical_features, self.n_features_in_
        if spec is None:
            return np.zeros(n, dtype=bool)
        if isinstance(spec, str):
            return _categorical_from_dtype(X)
        spec = np.asarray(spec)
        mask = np.zeros(n, dtype=bool)
        if spec.size == 0:
            return mask
        if spec.dtype.kind == "b":
            if spec.shape != (n,):
                raise ValueError(
                    f"categorical_features as a boolean mask needs {n} entries, "
                    f"one per column of X, got {spec.size}."
                )
            return spec.copy()
        if spec.dtype.kind in "iu":
            if spec.min() < 0 or spec.max() >= n:
                raise ValueError(
                    f"categorical_features holds column indices outside "
                    f"[0, {n - 1}]: {spec.tolist()}; X has {n} columns."
                )
            mask[spec] = True
            return mask
        return self._mask_from_names(spec, mask)

    def _mask_from_names(self, spec, mask):
        """Mask of categorical columns given by name."""
        names = getattr(self, "feature_names_in_", None)
        if names is None or spec.dtype.kind not in "UO":
            raise ValueError(
                "categorical_features must be 'from_dtype', None, a boolean "
                "mask, integer indices, or column names (names only for a "
                f"DataFrame with string column names); got {spec.tolist()}."
            )
        position = {name: j for j, name in enumerate(names)}
        unknown = [name for name in spec.tolist() if name not in position]
        if unknown:
            raise ValueError(
                f"categorical_features names columns that X does not have: "
                f"{unknown}; X's columns are {list(names)}."
            )
        mask[[position[name] for name in spec.tolist()]] = True
        return mask

    def _fit_numeric(self, values, w=None):
        """Per-column centre, scale, finite range and missingness of fit
        (the statistics weighted by ``w``)."""
        center_scale = {
            "robust": _robust_center_scale,
            "standard": _standard_center_scale,
            None: lambda x, w: (0.0, 1.0),
        }[self.numeric_scaling]
        m = values.shape[1]
        self.center_, self.scale_ = np.zeros(m), np.zeros(m)
        self.data_min_, self.data_max_ = np.zeros(m), np.zeros(m)
        self.missing_in_fit_ = np.isnan(values).any(axis=0)
        for i in range(m):
            finite = np.isfinite(values[:, i])
            x = values[finite, i]
            self.center_[i], self.scale_[i] = center_scale(
                x, None if w is None else w[finite]
            )
            if x.size:
                self.data_min_[i], self.data_max_[i] = x.min(), x.max()

    def _encoding(self, n_levels):
        """How a categorical column with ``n_levels`` levels is encoded."""
        limit = self.one_hot_max_levels
        if limit is not None and n_levels > limit:
            return CODE
        if n_levels == 2 and self.signed_binary:
            return BINARY
        return ONE_HOT

    def _fit_layout(self):
        """Column kinds, block widths, cardinalities and output names."""
        kinds = np.full(self.n_features_in_, NUMERIC, dtype=object)
        for j, levels in zip(self.categorical_columns_, self.categories_, strict=True):
            kinds[j] = self._encoding(len(levels))
        self.column_kinds_ = kinds
        self.n_numeric_ = len(self.numeric_columns_)
        cat_kinds = kinds[self.categorical_columns_]
        self.n_flags_ = int(
            self._indicator_mask().sum()
            + np.sum(cat_kinds == BINARY)
            + sum(
                len(levels)
                for levels, kind in zip(self.categories_, cat_kinds, strict=True)
                if kind == ONE_HOT
            )
        )
        self.cardinalities_ = [
            len(levels) + 1
            for levels, kind in zip(self.categories_, cat_kinds, strict=True)
            if kind == CODE
        ]
        self.feature_names_out_ = self._names_out(_check_feature_names_in(self, None))

    def _indicator_mask(self):
        """Which numeric columns get a missing indicator."""
        return self.missing_in_fit_ & bool(self.missing_indicators)

    def _categorical_groups(self):
        """(position among categorical columns, levels) per encoding kind."""
        cat_kinds = self.column_kinds_[self.categorical_columns_]
        return {
            kind: [
                (i, levels)
                for i, (levels, k) in enumerate(
                    zip(self.categories_, cat_kinds, strict=True)
                )
                if k == kind
            ]
            for kind in (BINARY, ONE_HOT, CODE)
        }

    def _names_out(self, names):
        """Output column names, block by block, from the input names."""
        numeric = [names[j] for j in self.numeric_columns_]
        flagged = np.asarray(numeric, dtype=object)[self._indicator_mask()]
        groups = self._categorical_groups()
        cat_names = [names[j] for j in self.categorical_columns_]
        out = [*numeric, *(f"{name}_missing" for name in flagged)]
        out += [f"{cat_names[i]}_{levels[1]}" for i, levels in groups[BINARY]]
        out += [
            f"{cat_names[i]}_{level}"
            for i, levels in groups[ONE_HOT]
            for level in levels
        ]
        out += [cat_names[i] for i, _ in groups[CODE]]
        return np.asarray(out, dtype=object)

    # ------------------------------------------------------------------
    # Transform

    def transform(self, X):
        """Encode X into the ``[numeric | flags | codes]`` float array.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table with the columns of fit.

        Returns
        -------
        X_out : ndarray of shape (n_samples, n_numeric_ + n_flags_ + \
len(cardinalities_))
            Finite values of dtype ``dtype``.
        """
        X = self._check_table(X, reset=False)
        values = _numeric_block(X, self.numeric_columns_)
        missing = np.isnan(values)
        columns = _columns(X)
        indices = [
            _level_indices(columns[j], levels)
            for j, levels in zip(
                self.categorical_columns_, self.categories_, strict=True
            )
        ]
        dtype = np.dtype(self.dtype)
        out = np.zeros((X.shape[0], len(self.feature_names_out_)), dtype=dtype)
        self._write_numeric(out, values, missing)
        column = self._write_indicators(out, missing, self.n_numeric_)
        self._write_categorical(out, indices, column)
        return out

    def _write_numeric(self, out, values, missing):
        """The numeric block: scaled values, made finite in the output dtype."""
        z = _scale_numeric(
            values,
            missing,
            self.center_,
            self.scale_,
            self.data_min_,
            self.data_max_,
            self.smooth_clip,
        )
        # z is NaN only where s (x - c) overflowed with s = 0, and unclipped
        # values may exceed the output dtype's range: both become finite.
        with np.errstate(over="ignore", invalid="ignore"):
            finite = math.isfinite(z.sum())
        if not (self.smooth_clip and finite):
            big = np.finfo(out.dtype).max
            np.nan_to_num(z, copy=False, nan=0.0)
            np.clip(z, -big, big, out=z)
        out[:, : self.n_numeric_] = z

    def _write_indicators(self, out, missing, column):
        """Missing indicators from ``column`` on; returns the next column."""
        flagged = missing[:, self._indicator_mask()]
        out[:, column : column + flagged.shape[1]] = flagged
        return column + flagged.shape[1]

    def _write_categorical(self, out, indices, column):
        """Binary, one-hot and code columns from ``column`` on.

        For a level index t (-1 for missing and unseen) of a column with k
        levels: binary ``2t - 1`` (0 if t = -1); one-hot 1 at ``column + t``
        (nothing if t = -1); code t (k if t = -1).
        """
        groups = self._categorical_groups()
        for i, _ in groups[BINARY]:
            t = indices[i]
            out[:, column] = np.where(t < 0, 0, 2 * t - 1)
            column += 1
        for i, levels in groups[ONE_HOT]:
            t = indices[i]
            rows = np.flatnonzero(t >= 0)
            out[rows, column + t[rows]] = 1
            column += len(levels)
        for i, levels in groups[CODE]:
            t = indices[i]
            out[:, column] = np.where(t < 0, len(levels), t)
            column += 1
        return column

    def get_feature_names_out(self, input_features=None):
        """Output column names, block by block.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input column names; by default ``feature_names_in_``, or
            ``x0, x1, ...`` when X had no string column names.

        Returns
        -------
        feature_names_out : ndarray of str
            ``name`` for numeric and code columns, ``name_missing`` for
            indicators, ``name_level`` for one-hot and binary columns.
        """
        check_is_fitted(self)
        return self._names_out(_check_feature_names_in(self, input_features))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        float64 = isinstance(self.dtype, type | str | np.dtype) and (
            self.dtype in (np.float64, "float64")
        )
        tags.transformer_tags.preserves_dtype = ["float64"] if float64 else []
        return tags
