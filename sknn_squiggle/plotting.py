"""Pictures of a fitted network: its squiggle and its loss landscape.

Two displays follow scikit-learn's convention (see
:class:`sklearn.metrics.PredictionErrorDisplay`): the constructor stores
computed data, :meth:`plot` draws it on a matplotlib axes and sets the
attributes ``ax_``, ``figure_`` and the drawn artists, and the class method
``from_estimator`` computes the data from a fitted estimator and plots it.

- :class:`SquiggleDisplay` takes the network apart along one input feature:
  each last-layer unit's curve scaled by its outgoing weight, and their sum
  shifted by the final bias, the squiggle.
- :class:`LossLandscapeDisplay` draws the training loss as a function of one
  weight or bias with the others held fixed, and marks gradient-descent steps
  on it: the lesson's pink curve.

Both take a fitted network or a scikit-learn Pipeline whose last step is one:
the raw data then go through the pipeline's earlier steps, and the squiggle is
drawn along a raw column, in its own units.

matplotlib is an optional dependency (``pip install "sknn-squiggle[plot]"``):
it is imported only when something is drawn, so the computations work without
it.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.pipeline import Pipeline
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._base import BaseSquiggle
from ._inspection import loss_along

__all__ = ["LossLandscapeDisplay", "SquiggleDisplay"]

# The lesson's colours: the first unit's curve is blue, the second orange, the
# squiggle green and the loss curve pink. Further units take the remaining
# colours of matplotlib's default cycle, green and pink excepted, then two
# more: ten units drawn, ten colours.
_UNIT_COLORS = (
    "tab:blue",
    "tab:orange",
    "tab:purple",
    "tab:brown",
    "tab:red",
    "tab:gray",
    "tab:olive",
    "tab:cyan",
    "gold",
    "navy",
)
_SQUIGGLE_COLOR = "tab:green"
_LOSS_COLOR = "tab:pink"

_INSTALL_HINT = 'pip install "sknn-squiggle[plot]"'

#: A network whose last hidden layer has at most this many units has each
#: unit's curve drawn; a larger one has the ``_MAX_UNITS - 1`` units whose
#: scaled curves have the largest range along the grid drawn, and one legend
#: entry saying how many are not: with the squiggle and the training points,
#: at most ``_MAX_UNITS + 2`` legend entries.
_MAX_UNITS = 10
#: Above this many training points, a deterministic random subset of this
#: size is drawn, with smaller, translucent markers.
_MAX_POINTS = 500
#: The legend sits outside the axes, on their right, off the curves.
_LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.02, 1.0), "borderaxespad": 0.0}


def _check_matplotlib(caller_name):
    try:
        check_matplotlib_support(caller_name)
    except ImportError as exc:
        raise ImportError(
            f"{caller_name} requires matplotlib: {_INSTALL_HINT} "
            "(or pip install matplotlib)."
        ) from exc


def _style(defaults, user, artist):
    """Default style keywords overridden by the user's.

    matplotlib's aliases (``c`` for ``color``, ``lw`` for ``linewidth``...)
    are expanded first, so a user's ``c=`` replaces the default ``color=``
    instead of clashing with it.
    """
    from matplotlib.cbook import normalize_kwargs

    return {**defaults, **normalize_kwargs(user or {}, artist)}


def _get_axes(ax, figsize=None):
    if ax is None:
        import matplotlib.pyplot as plt

        # A constrained layout makes room for a legend outside the axes.
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _split_pipeline(estimator, caller):
    """The fitted network, and the steps before it (None for a network
    alone): a Pipeline whose last step is one of our networks is split."""
    steps = None
    if isinstance(estimator, Pipeline) and isinstance(estimator[-1], BaseSquiggle):
        if len(estimator) > 1:
            steps = estimator[:-1]
        estimator = estimator[-1]
    if not isinstance(estimator, BaseSquiggle):
        what = type(estimator).__name__
        if isinstance(estimator, Pipeline):
            what += f" ending in {type(estimator[-1]).__name__}"
        raise TypeError(
            f"{caller} takes a fitted SquiggleRegressor or SquiggleClassifier, or "
            f"a Pipeline whose last step is one, got {what}."
        )
    check_is_fitted(estimator)
    return estimator, steps


def _dense_X(estimator, X):
    """X as a dense float array with the estimator's number of features."""
    X = check_array(X, accept_sparse=["csr", "csc"], dtype=np.float64)
    if sp.issparse(X):
        X = X.toarray()
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {type(estimator).__name__} is "
            f"expecting {estimator.n_features_in_} features as input."
        )
    return X


def _as_estimator_input(estimator, X):
    """Wrap an array in a DataFrame when the estimator was fitted on one, so
    that its feature-name check passes."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return X
    return pd.DataFrame(X, columns=names)


def _feature_index(estimator, feature):
    names = getattr(estimator, "feature_names_in_", None)
    if isinstance(feature, str):
        if names is None:
            raise ValueError(
                f"feature={feature!r} is a name, but the estimator was not fitted "
                "on data with feature names: give the column index instead."
            )
        matches = np.flatnonzero(names == feature)
        if not matches.size:
            raise ValueError(f"feature {feature!r} is not one of {list(names)}.")
        return int(matches[0]), feature
    n_features = estimator.n_features_in_
    if not isinstance(feature, int | np.integer) or not (
        -n_features <= feature < n_features
    ):
        raise ValueError(
            f"feature must be a column index in [0, {n_features}) or a feature "
            f"name, got {feature!r}."
        )
    index = int(feature) % n_features
    name = str(names[index]) if names is not None else f"feature {index}"
    return index, name


def _output_names(estimator):
    """What each output of the network is, before its output activation."""
    n_outputs = estimator.n_outputs_
    if not is_classifier(estimator):
        # With the Poisson loss the output activation is exp: the squiggle is
        # the log of the prediction.
        what = (
            "log of prediction"
            if estimator.out_activation_ == "exp"
            else ("prediction")
        )
        if n_outputs == 1:
            return [what]
        return [f"{what} of target {k}" for k in range(n_outputs)]
    classes = estimator.classes_
    if estimator.out_activation_ == "softmax":
        return [f"softmax score of class {c}" for c in classes]
    if estimator._label_binarizer.y_type_ == "binary":
        return [f"log-odds of class {classes[1]}"]
    return [f"log-odds of label {k}" for k in range(n_outputs)]


class SquiggleDisplay:
    """The network's squiggle along one feature, unit by unit.

    The lesson's picture of a neural network as a squiggle-fitting machine:
    each unit of the last hidden layer draws a curve (its activation along the
    chosen feature), the output layer scales each curve by the unit's outgoing
    weight, adds them up and shifts the sum by the final bias; the result is
    the squiggle, the network's output before its output activation. The other
    features are held at fixed values. For a Pipeline ending in a network,
    the feature is a raw column, in its own units. The legend stands outside
    the axes, on their right.

    Build it with :meth:`from_estimator`; all parameters are stored as
    attributes.

    Parameters
    ----------
    grid_values : ndarray of shape (n_grid,)
        Values of the feature along the horizontal axis.
    contributions : ndarray of shape (n_grid, n_units)
        Each last-layer unit's activation times its outgoing weight.
    intercept : float
        The final bias, added to the sum of the contributions.
    squiggle : ndarray of shape (n_grid,)
        ``contributions.sum(axis=1) + intercept``.
    weights : ndarray of shape (n_units,)
        The outgoing weight of each unit (used in the legend).
    feature_name : str, default="feature 0"
        Label of the horizontal axis.
    output_name : str, default="prediction"
        What the squiggle is (label of the vertical axis).
    data_x : ndarray of shape (n_samples,) or None, default=None
        The chosen feature of the training points, if they are drawn.
    data_y : ndarray of shape (n_samples,) or None, default=None
        For a regressor, the targets drawn against ``data_x``. For a
        classifier, 1 where a point belongs to the class of the drawn output
        and 0 elsewhere; the points are then drawn as a rug along the
        horizontal axis, since labels have no place on the log-odds scale.
    is_classifier : bool, default=False
        Whether the estimator is a classifier (changes how the points are
        drawn).

    Attributes
    ----------
    lines_ : list of matplotlib Line2D
        The scaled curve of each unit drawn (in the order of
        ``units_drawn_``), then the squiggle.
    units_drawn_ : ndarray of shape (n_drawn,)
        The units whose curves are drawn: all of them for a last hidden layer
        of at most 10 units; for a larger one, the 9 whose scaled curves have
        the largest range along the grid (how much each bends the squiggle
        there), largest first, and a legend entry says how many are not
        drawn. Empty when the contributions are not drawn.
    squiggle_line_ : matplotlib Line2D
        The squiggle.
    scatter_ : matplotlib PathCollection or None
        The training points, if drawn: those with a finite feature value, or,
        above 500 of them, a random subset of 500 (the same at every call),
        with smaller, translucent markers and a legend label saying so.
    ax_ : matplotlib Axes
        The axes of the plot.
    figure_ : matplotlib Figure
        The figure of the plot.

    See Also
    --------
    LossLandscapeDisplay : The loss as a function of one parameter.
    sknn_squiggle.SquiggleRegressor.decompose : The numbers behind the picture.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sknn_squiggle import SquiggleRegressor
    >>> from sknn_squiggle.plotting import SquiggleDisplay
    >>> X, y = np.array([[0.0], [0.5], [1.0]]), np.array([0.0, 1.0, 0.0])
    >>> reg = SquiggleRegressor(hidden_layer_sizes=(2,), activation="softplus",
    ...                         solver="lbfgs", n_init=10, random_state=0)
    >>> disp = SquiggleDisplay.from_estimator(reg.fit(X, y), X, y)
    >>> disp.contributions.shape
    (200, 2)
    >>> len(disp.lines_)
    3
    >>> import matplotlib.pyplot as plt
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        *,
        grid_values,
        contributions,
        intercept,
        squiggle,
        weights,
        feature_name="feature 0",
        output_name="prediction",
        data_x=None,
        data_y=None,
        is_classifier=False,
    ):
        self.grid_values = grid_values
        self.contributions = contributions
        self.intercept = intercept
        self.squiggle = squiggle
        self.weights = weights
        self.feature_name = feature_name
        self.output_name = output_name
        self.data_x = data_x
        self.data_y = data_y
        self.is_classifier = is_classifier

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        feature=0,
        output_index=0,
        fixed="median",
        grid=None,
        grid_resolution=200,
        ax=None,
        show_contributions=True,
        contribution_kwargs=None,
        squiggle_kwargs=None,
        scatter_kwargs=None,
    ):
        """Compute the squiggle of a fitted network along one feature and plot it.

        Parameters
        ----------
        estimator : SquiggleRegressor, SquiggleClassifier or Pipeline
            A fitted network, or a fitted scikit-learn Pipeline whose last step
            is one. With a Pipeline, ``X`` is the raw data the pipeline takes
            (a DataFrame of numbers, strings, categories...); the grid is made
            of raw rows, transformed by the pipeline's earlier steps
            (``pipe[:-1].transform``) and then taken apart by the network, so
            the horizontal axis is in the raw column's units.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, \
                n_features)
            Data that sets the range of the grid (unless ``grid`` is given) and
            the fixed values of the other features. For a Pipeline, the raw
            data (dense).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            If given, the training points are drawn too: for a regressor at
            their target values (of output ``output_index``), for a classifier
            as a rug along the horizontal axis coloured by whether their label
            is the class of the drawn output. Above 500 points, a random subset
            of 500 (the same at every call) is drawn, with smaller, translucent
            markers, and the legend says so.
        feature : int or str, default=0
            The feature along the horizontal axis: a column index, or a name if
            the estimator was fitted on a DataFrame. For a Pipeline, a column
            of the raw ``X`` (a name or an index), which must be numeric.
        output_index : int, default=0
            Which output of the network to draw. The squiggle is always the
            output *before* the output activation. For a regressor (squared
            error) it is the prediction itself (with ``loss="poisson"``, the log
            of the prediction). For a binary classifier the single output is the
            log-odds of ``classes_[1]`` (the input of the sigmoid); for a
            multilabel classifier, output ``k`` is the log-odds of label ``k``;
            for a multiclass classifier, output ``k`` is the score of
            ``classes_[k]`` fed to the softmax.
        fixed : {"median", "mean"} or array-like of shape (n_features,), \
                default="median"
            The values at which the other features are held: the column
            medians or means of ``X``, or explicit values (the entry of
            ``feature`` is ignored). For a Pipeline, the medians or means of
            the raw numeric columns (missing values skipped) and, for the
            other raw columns (strings, categories, booleans), their most
            frequent value; explicit values are one per raw column.
        grid : array-like of shape (n_grid,), default=None
            The values of the feature to evaluate; by default
            ``grid_resolution`` evenly spaced values from the smallest to the
            largest value of the feature in ``X`` (missing values skipped).
        grid_resolution : int, default=200
            Number of grid values when ``grid`` is None.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure (with a constrained layout, which
            makes room for the legend) is created if None.
        show_contributions : bool, default=True
            Whether to draw each unit's scaled curve as well as the squiggle.
            Above 10 units in the last hidden layer, only the 9 whose scaled
            curves have the largest range along the grid are drawn, and the
            legend says how many are not.
        contribution_kwargs, squiggle_kwargs, scatter_kwargs : dict, \
                default=None
            Keywords passed to matplotlib for the unit curves (``plot``), the
            squiggle (``plot``) and the training points (``scatter``).

        Returns
        -------
        display : SquiggleDisplay

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import pandas as pd
        >>> from sklearn.compose import make_column_transformer
        >>> from sklearn.pipeline import make_pipeline
        >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
        >>> from sknn_squiggle import SquiggleRegressor
        >>> from sknn_squiggle.plotting import SquiggleDisplay
        >>> X = pd.DataFrame({"dose_mg": [0.0, 5.0, 10.0, 0.0, 5.0, 10.0],
        ...                   "site": ["a", "a", "a", "b", "b", "b"]})
        >>> y = [0.0, 1.0, 0.0, 0.5, 1.5, 0.5]
        >>> pipe = make_pipeline(
        ...     make_column_transformer((StandardScaler(), ["dose_mg"]),
        ...                             (OneHotEncoder(), ["site"])),
        ...     SquiggleRegressor(hidden_layer_sizes=(3,), solver="lbfgs",
        ...                       random_state=0)).fit(X, y)
        >>> disp = SquiggleDisplay.from_estimator(pipe, X, y, feature="dose_mg")
        >>> float(disp.grid_values[0]), float(disp.grid_values[-1])
        (0.0, 10.0)
        >>> disp.ax_.get_xlabel()
        'dose_mg'
        >>> import matplotlib.pyplot as plt
        >>> plt.close(disp.figure_)
        """
        caller = f"{cls.__name__}.from_estimator"
        _check_matplotlib(caller)
        network, steps = _split_pipeline(estimator, caller)
        _check_output_index(network, output_index)
        if steps is None:
            grid, column, grid_input, feature_name = _network_grid(
                network, X, feature, fixed, grid, grid_resolution
            )
        else:
            grid, column, grid_input, feature_name = _pipeline_grid(
                steps, X, feature, fixed, grid, grid_resolution
            )
        parts = network.decompose(grid_input)
        data_x, data_y = _data_points(network, column, y, output_index)
        display = cls(
            grid_values=grid,
            contributions=parts.contributions[:, :, output_index],
            intercept=float(parts.intercept[output_index]),
            squiggle=parts.output[:, output_index].copy(),
            weights=network.coefs_[-1][:, output_index].copy(),
            feature_name=feature_name,
            output_name=_output_names(network)[output_index],
            data_x=data_x,
            data_y=data_y,
            is_classifier=is_classifier(network),
        )
        return display.plot(
            ax=ax,
            show_contributions=show_contributions,
            contribution_kwargs=contribution_kwargs,
            squiggle_kwargs=squiggle_kwargs,
            scatter_kwargs=scatter_kwargs,
        )

    def plot(
        self,
        ax=None,
        *,
        show_contributions=True,
        contribution_kwargs=None,
        squiggle_kwargs=None,
        scatter_kwargs=None,
    ):
        """Draw the unit curves, the squiggle and the training points.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        show_contributions : bool, default=True
            Whether to draw each unit's scaled curve as well as the squiggle
            (above 10 units, the 9 that bend the squiggle most: see
            ``units_drawn_``).
        contribution_kwargs, squiggle_kwargs, scatter_kwargs : dict, \
                default=None
            Keywords passed to matplotlib for the unit curves (``plot``), the
            squiggle (``plot``) and the training points (``scatter``).

        Returns
        -------
        display : SquiggleDisplay
            The object with the artists in ``lines_``, ``squiggle_line_`` and
            ``scatter_``, and the drawn units in ``units_drawn_``.
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        # Wider than matplotlib's default: the legend stands on the right.
        ax = _get_axes(ax, figsize=(9.0, 4.8))
        self.lines_ = []
        self.units_drawn_ = np.arange(0)
        if show_contributions:
            self.units_drawn_ = self._units_to_draw()
            self.lines_ += self._plot_contributions(ax, contribution_kwargs)
        self.squiggle_line_ = self._plot_squiggle(ax, squiggle_kwargs)
        self.lines_.append(self.squiggle_line_)
        self.scatter_ = None
        if self.data_x is not None:
            self.scatter_ = self._plot_points(ax, scatter_kwargs)
        ax.axhline(0, color="0.8", linewidth=0.8, zorder=0)
        ax.set_xlabel(self.feature_name)
        ax.set_ylabel(self.output_name)
        ax.legend(**_LEGEND)
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _units_to_draw(self):
        """The units whose curves are drawn: all of them up to ``_MAX_UNITS``;
        beyond, the ``_MAX_UNITS - 1`` whose scaled curves have the largest
        range along the grid, largest first.

        The range ``max_x c_j(x) - min_x c_j(x)`` of a unit's scaled curve
        ``c_j`` is how much the unit bends the squiggle along the grid: a
        unit whose curve is flat there only shifts the squiggle, as the bias
        does, however large its values (which a mean absolute value would
        rank high).
        """
        n_units = self.contributions.shape[1]
        if n_units <= _MAX_UNITS:
            return np.arange(n_units)
        spread = np.ptp(self.contributions, axis=0)
        return np.argsort(-spread, kind="stable")[: _MAX_UNITS - 1]

    def _plot_contributions(self, ax, kwargs):
        """The scaled curve of each unit of ``units_drawn_`` (its activation
        times its outgoing weight), and a legend entry for those not drawn;
        the lines."""
        from matplotlib.lines import Line2D

        lines = []
        for rank, j in enumerate(self.units_drawn_):
            style = _style(
                {
                    "color": _UNIT_COLORS[rank % len(_UNIT_COLORS)],
                    "linewidth": 1.5,
                    "label": f"unit {j} × {self.weights[j]:.3g}",
                },
                kwargs,
                Line2D,
            )
            (line,) = ax.plot(self.grid_values, self.contributions[:, j], **style)
            lines.append(line)
        hidden = self.contributions.shape[1] - len(self.units_drawn_)
        if hidden:
            # An empty line: a legend entry without a curve.
            ax.plot([], [], linestyle="none", label=f"{hidden} more units not drawn")
        return lines

    def _plot_squiggle(self, ax, kwargs):
        """The squiggle: the sum of the curves plus the final bias."""
        from matplotlib.lines import Line2D

        sign = "+" if self.intercept >= 0 else "−"
        style = _style(
            {
                "color": _SQUIGGLE_COLOR,
                "linewidth": 3,
                "label": f"squiggle = sum {sign} {abs(self.intercept):.3g}",
            },
            kwargs,
            Line2D,
        )
        (line,) = ax.plot(self.grid_values, self.squiggle, **style)
        return line

    def _plot_points(self, ax, kwargs):
        """The training points: at their targets for a regressor, as a rug
        just above the horizontal axis for a classifier (x in data units, y
        in axes units)."""
        from matplotlib.collections import PathCollection

        rows, n_points = self._points_to_draw()
        x, y = np.asarray(self.data_x)[rows], np.asarray(self.data_y)[rows]
        thinned = len(rows) < n_points
        note = f"{len(rows):,} of {n_points:,} drawn" if thinned else ""
        # Many points: smaller, translucent markers.
        faint = {"alpha": 0.4} if thinned else {}
        if not self.is_classifier:
            style = _style(
                {
                    "color": "black",
                    "s": 12 if thinned else 50,
                    "zorder": 3,
                    "label": f"training points ({note})" if note else "training points",
                    **faint,
                },
                kwargs,
                PathCollection,
            )
            return ax.scatter(x, y, **style)
        member = np.asarray(y, dtype=bool)
        style = _style(
            {
                "c": np.where(member, "black", "lightgray"),
                "marker": "|",
                "s": 60 if thinned else 100,
                "label": "training points (black: this class"
                + (f"; {note})" if note else ")"),
                "transform": ax.get_xaxis_transform(),
                "zorder": 3,
                **faint,
            },
            kwargs,
            PathCollection,
        )
        return ax.scatter(x, np.full(x.shape[0], 0.03), **style)

    def _points_to_draw(self):
        """The rows of the points drawn, and how many points have a finite
        feature value: all of them up to ``_MAX_POINTS``, else a random
        subset of that size, the same at every call (seed 0), in order."""
        finite = np.flatnonzero(np.isfinite(np.asarray(self.data_x, dtype=float)))
        if finite.shape[0] <= _MAX_POINTS:
            return finite, finite.shape[0]
        chosen = np.random.RandomState(0).choice(finite, _MAX_POINTS, replace=False)
        return np.sort(chosen), finite.shape[0]


def _check_output_index(estimator, output_index):
    n_outputs = estimator.n_outputs_
    if not isinstance(output_index, int | np.integer) or not (
        0 <= output_index < n_outputs
    ):
        raise ValueError(
            f"output_index must be in [0, {n_outputs}): the network has "
            f"{n_outputs} output(s); got {output_index!r}."
        )


def _grid_values(column, grid, grid_resolution):
    """The given grid, or evenly spaced values over the column's range
    (missing values skipped)."""
    if grid is None:
        grid = np.linspace(np.nanmin(column), np.nanmax(column), grid_resolution)
    return column_or_1d(np.asarray(grid, dtype=np.float64))


def _network_grid(network, X, feature, fixed, grid, grid_resolution):
    """The grid along a feature of the network's own input: the grid values,
    the feature's column in ``X``, the network's input along the grid (the
    other features held at ``fixed``) and the feature's name."""
    X = _dense_X(network, X)
    index, feature_name = _feature_index(network, feature)
    grid = _grid_values(X[:, index], grid, grid_resolution)
    X_grid = np.tile(_fixed_point(X, fixed), (grid.shape[0], 1))
    X_grid[:, index] = grid
    return grid, X[:, index], _as_estimator_input(network, X_grid), feature_name


def _pipeline_grid(steps, X, feature, fixed, grid, grid_resolution):
    """The grid along a raw column of a pipeline's input: the grid values,
    the raw column, the grid's raw rows (the other columns held at their
    typical values) transformed by ``steps``, and the column's name."""
    is_frame = isinstance(X, pd.DataFrame)
    frame = X if is_frame else pd.DataFrame(np.asarray(X))
    label = _raw_column(frame, feature)
    column = frame[label].to_numpy(dtype=np.float64, na_value=np.nan)
    grid = _grid_values(column, grid, grid_resolution)
    n = grid.shape[0]
    # One raw row per grid value: the grid in the feature's column, the
    # typical values elsewhere (as floats in numeric columns, in the column's
    # own dtype in the others, so that categories stay categories).
    data = {}
    for name, value in _typical_row(frame, fixed).items():
        if name == label:
            data[name] = grid
        elif _is_number_column(frame[name]):
            data[name] = np.full(n, value, dtype=np.float64)
        else:
            data[name] = pd.Series([value] * n, dtype=frame[name].dtype)
    rows = pd.DataFrame(data, columns=frame.columns)
    raw = rows if is_frame else rows.to_numpy(dtype=np.asarray(X).dtype)
    name = str(label) if is_frame else f"feature {label}"
    return grid, column, steps.transform(raw), name


def _is_number_column(column):
    """Whether a raw column holds numbers (booleans are categories here)."""
    dtype = column.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(
        dtype
    )


def _raw_column(frame, feature):
    """The label of a numeric raw column, from its name or index."""
    columns = list(frame.columns)
    if isinstance(feature, int | np.integer) and not isinstance(feature, bool):
        if not -len(columns) <= feature < len(columns):
            raise ValueError(
                f"feature must be a column index in [0, {len(columns)}) or a "
                f"column name of X, got {feature!r}."
            )
        label = columns[int(feature)]
    elif feature in columns:
        label = feature
    else:
        raise ValueError(f"feature {feature!r} is not one of {columns}.")
    if not _is_number_column(frame[label]):
        numeric = [c for c in columns if _is_number_column(frame[c])]
        raise ValueError(
            f"feature {label!r} is not a numeric column (its dtype is "
            f"{frame[label].dtype}): "
            "the squiggle is drawn along a numeric column, whose values make the "
            f"horizontal axis. Choose one of {numeric}."
        )
    return label


def _typical_row(frame, fixed):
    """The value each raw column is held at: its median or mean (numeric
    columns, missing values skipped), its most frequent value (the others:
    strings, categories, booleans), or the given values, one per column."""
    if not isinstance(fixed, str):
        values = list(fixed)
        if len(values) != frame.shape[1]:
            raise ValueError(
                f"fixed has {len(values)} values; X has {frame.shape[1]} columns."
            )
        return dict(zip(frame.columns, values))
    if fixed not in ("median", "mean"):
        raise ValueError(f'fixed must be "median", "mean" or an array, got {fixed!r}.')
    typical = {}
    for name in frame.columns:
        column = frame[name]
        if _is_number_column(column):
            typical[name] = column.median() if fixed == "median" else column.mean()
        else:
            modes = column.mode(dropna=True)
            typical[name] = modes.iloc[0] if len(modes) else column.iloc[0]
    return typical


def _fixed_point(X, fixed):
    """Where the other features are held: column medians, means or given."""
    if isinstance(fixed, str):
        if fixed not in ("median", "mean"):
            raise ValueError(
                f'fixed must be "median", "mean" or an array, got {fixed!r}.'
            )
        return np.median(X, axis=0) if fixed == "median" else X.mean(axis=0)
    point = column_or_1d(np.asarray(fixed, dtype=np.float64)).copy()
    if point.shape[0] != X.shape[1]:
        raise ValueError(
            f"fixed has {point.shape[0]} values; X has {X.shape[1]} features."
        )
    return point


def _data_points(estimator, column, y, output_index):
    """The training points to draw: the feature's values and, for a
    regressor, the targets of the output, for a classifier whether each
    point is of the output's class. (None, None) without y."""
    if y is None:
        return None, None
    if is_classifier(estimator):
        data_y = _class_membership(estimator, y, output_index)
    else:
        y = np.asarray(y, dtype=np.float64)
        data_y = y.reshape(y.shape[0], -1)[:, output_index]
    if data_y.shape[0] != column.shape[0]:
        raise ValueError(
            f"X has {column.shape[0]} samples but y has {data_y.shape[0]}."
        )
    return column, data_y


def _class_membership(estimator, y, output_index):
    """1 where a sample belongs to the class (or has the label) of an output."""
    Y = estimator._label_binarizer.transform(y)
    if Y.shape[1] == 1 and estimator.out_activation_ == "logistic":
        return Y[:, 0]
    return Y[:, output_index]


class LossLandscapeDisplay:
    """The training loss as a function of one parameter, with descent steps.

    The lesson's pink curve: every parameter but one keeps its fitted value,
    the chosen weight or bias sweeps a range of values, and the loss is
    computed at each by the library's own forward pass and loss. Gradient
    descent steps on that parameter can be marked on the curve, optionally
    with the tangent (the slope backpropagation computes) at each step.

    Build it with :meth:`from_estimator`; all parameters are stored as
    attributes.

    Parameters
    ----------
    parameter_values : ndarray of shape (n_values,)
        The values of the parameter along the horizontal axis.
    losses : ndarray of shape (n_values,)
        The loss at each value.
    parameter_name : str
        Label of the horizontal axis, e.g. ``"intercepts_[1][0]"``.
    loss_name : str, default="training loss"
        Label of the vertical axis.
    steps : ndarray of shape (n_steps,) or None, default=None
        Successive values of the parameter during gradient descent.
    step_losses : ndarray of shape (n_steps,) or None, default=None
        The loss at each step.
    step_slopes : ndarray of shape (n_steps,) or None, default=None
        The derivative of the loss with respect to the parameter at each step.

    Attributes
    ----------
    line_ : matplotlib Line2D
        The loss curve.
    steps_line_ : matplotlib Line2D or None
        The steps, joined in order.
    tangent_lines_ : list of matplotlib Line2D
        The tangent at each step, if drawn.
    ax_ : matplotlib Axes
        The axes of the plot.
    figure_ : matplotlib Figure
        The figure of the plot.

    See Also
    --------
    SquiggleDisplay : The squiggle itself, unit by unit.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sknn_squiggle import SquiggleRegressor
    >>> from sknn_squiggle.plotting import LossLandscapeDisplay
    >>> X, y = np.array([[0.0], [0.5], [1.0]]), np.array([0.0, 1.0, 0.0])
    >>> reg = SquiggleRegressor(hidden_layer_sizes=(2,), activation="softplus",
    ...                         solver="lbfgs", alpha=0, random_state=0)
    >>> reg = reg.fit(X, y)
    >>> disp = LossLandscapeDisplay.from_estimator(
    ...     reg, X, y, parameter=("intercepts", 1, 0),
    ...     values=np.linspace(-2, 2, 41), loss="ssr")
    >>> disp.losses.shape
    (41,)
    >>> import matplotlib.pyplot as plt
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        *,
        parameter_values,
        losses,
        parameter_name,
        loss_name="training loss",
        steps=None,
        step_losses=None,
        step_slopes=None,
    ):
        self.parameter_values = parameter_values
        self.losses = losses
        self.parameter_name = parameter_name
        self.loss_name = loss_name
        self.steps = steps
        self.step_losses = step_losses
        self.step_slopes = step_slopes

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        parameter,
        values,
        steps=None,
        loss="objective",
        sample_weight=None,
        ax=None,
        show_tangents=False,
        curve_kwargs=None,
        steps_kwargs=None,
    ):
        """Compute the loss along one parameter of a fitted network and plot it.

        Parameters
        ----------
        estimator : SquiggleRegressor, SquiggleClassifier or Pipeline
            A fitted network, or a fitted Pipeline whose last step is one; the
            network's other parameters stay at their fitted values and the
            estimator itself is not modified.
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, \
                n_features)
            The data the loss is measured on. For a Pipeline, the raw data:
            the loss is that of the network on ``pipe[:-1].transform(X)``,
            and ``parameter`` is one of the network's.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets or labels.
        parameter : tuple
            Which parameter varies: ``("intercepts", layer, unit)`` for
            ``intercepts_[layer][unit]``, or ``("coefs", layer, row, column)``
            (or ``("coefs", layer, (row, column))``) for
            ``coefs_[layer][row, column]``. The lesson's last bias b3 is
            ``("intercepts", 1, 0)``.
        values : array-like of shape (n_values,)
            The values of the parameter along the curve.
        steps : array-like of shape (n_steps,), default=None
            Successive values of the parameter during gradient descent, marked
            on the curve.
        loss : {"objective", "ssr"}, default="objective"
            "objective": the training objective the estimator minimises (what
            ``loss_`` reports): the weighted mean loss plus the L2 penalty,
            ``sum_i s_i loss_i / S + alpha / (2 S) ||W||^2``. "ssr": the sum
            of squared residuals ``sum_i (y_i - p_i)^2``, as in the lesson,
            for regressors fitted with the squared error. For such a regressor
            with ``alpha=0`` and no sample weights the objective is
            ``SSR / (2 n)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights of the objective (ignored by "ssr").
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        show_tangents : bool, default=False
            Whether to draw the tangent of the curve at each step.
        curve_kwargs, steps_kwargs : dict, default=None
            Keywords passed to matplotlib's ``plot`` for the curve and the
            steps.

        Returns
        -------
        display : LossLandscapeDisplay
        """
        caller = f"{cls.__name__}.from_estimator"
        _check_matplotlib(caller)
        estimator, preprocessing = _split_pipeline(estimator, caller)
        if preprocessing is not None:
            X = preprocessing.transform(X)
        losses, _, name = loss_along(
            estimator,
            X,
            y,
            parameter,
            values,
            loss=loss,
            sample_weight=sample_weight,
        )
        step_losses = step_slopes = None
        if steps is not None:
            steps = column_or_1d(np.asarray(steps, dtype=np.float64))
            step_losses, step_slopes, _ = loss_along(
                estimator,
                X,
                y,
                parameter,
                steps,
                loss=loss,
                sample_weight=sample_weight,
            )
        display = cls(
            parameter_values=column_or_1d(np.asarray(values, dtype=np.float64)),
            losses=losses,
            parameter_name=name,
            loss_name=(
                "sum of squared residuals" if loss == "ssr" else "training loss"
            ),
            steps=steps,
            step_losses=step_losses,
            step_slopes=step_slopes,
        )
        return display.plot(
            ax=ax,
            show_tangents=show_tangents,
            curve_kwargs=curve_kwargs,
            steps_kwargs=steps_kwargs,
        )

    def plot(
        self, ax=None, *, show_tangents=False, curve_kwargs=None, steps_kwargs=None
    ):
        """Draw the loss curve and the steps.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        show_tangents : bool, default=False
            Whether to draw the tangent of the curve at each step (needs
            ``step_slopes``).
        curve_kwargs, steps_kwargs : dict, default=None
            Keywords passed to matplotlib's ``plot`` for the curve and the
            steps.

        Returns
        -------
        display : LossLandscapeDisplay
            The object with the artists in ``line_``, ``steps_line_`` and
            ``tangent_lines_``.
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        from matplotlib.lines import Line2D

        ax = _get_axes(ax)
        style = _style(
            {"color": _LOSS_COLOR, "linewidth": 2.5, "label": self.loss_name},
            curve_kwargs,
            Line2D,
        )
        (self.line_,) = ax.plot(self.parameter_values, self.losses, **style)

        self.steps_line_ = None
        self.tangent_lines_ = []
        if self.steps is not None:
            style = _style(
                {
                    "color": "black",
                    "marker": "o",
                    "markersize": 5,
                    "linewidth": 0.8,
                    "linestyle": "--",
                    "label": f"gradient-descent steps ({len(self.steps)} values)",
                    "zorder": 3,
                },
                steps_kwargs,
                Line2D,
            )
            (self.steps_line_,) = ax.plot(self.steps, self.step_losses, **style)
            if show_tangents:
                if self.step_slopes is None:
                    raise ValueError("show_tangents=True needs step_slopes.")
                # A short segment of slope d loss / d parameter through each
                # step: the derivative gradient descent follows.
                half = 0.06 * np.ptp(self.parameter_values)
                for value, level, slope in zip(
                    self.steps, self.step_losses, self.step_slopes
                ):
                    xs = np.array([value - half, value + half])
                    (line,) = ax.plot(
                        xs,
                        level + slope * (xs - value),
                        color="tab:red",
                        linewidth=1.2,
                    )
                    self.tangent_lines_.append(line)
        ax.set_xlabel(self.parameter_name)
        ax.set_ylabel(self.loss_name)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self
