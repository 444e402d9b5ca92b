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

matplotlib is an optional dependency (``pip install "sknn-squiggle[plot]"``):
it is imported only when something is drawn, so the computations work without
it.
"""

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import is_classifier
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils.validation import check_array, check_is_fitted, column_or_1d

from ._base import BaseSquiggle
from ._inspection import loss_along

__all__ = ["LossLandscapeDisplay", "SquiggleDisplay"]

# The lesson's colours: the first unit's curve is blue, the second orange, the
# squiggle green and the loss curve pink. Further units take the remaining
# colours of matplotlib's default cycle, green excepted.
_UNIT_COLORS = (
    "tab:blue",
    "tab:orange",
    "tab:purple",
    "tab:brown",
    "tab:red",
    "tab:gray",
    "tab:olive",
    "tab:cyan",
)
_SQUIGGLE_COLOR = "tab:green"
_LOSS_COLOR = "tab:pink"

_INSTALL_HINT = 'pip install "sknn-squiggle[plot]"'


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


def _get_axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _check_squiggle_estimator(estimator, caller):
    if not isinstance(estimator, BaseSquiggle):
        raise TypeError(
            f"{caller} takes a fitted SquiggleRegressor or SquiggleClassifier, "
            f"got {type(estimator).__name__}."
        )
    check_is_fitted(estimator)


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
    features are held at fixed values.

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
        The scaled curve of each unit (if drawn), then the squiggle.
    squiggle_line_ : matplotlib Line2D
        The squiggle.
    scatter_ : matplotlib PathCollection or None
        The training points, if drawn.
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
        estimator : SquiggleRegressor or SquiggleClassifier
            A fitted network.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Data that sets the range of the grid (unless ``grid`` is given) and
            the fixed values of the other features.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), \
                default=None
            If given, the training points are drawn too: for a regressor at
            their target values (of output ``output_index``), for a classifier
            as a rug along the horizontal axis coloured by whether their label
            is the class of the drawn output.
        feature : int or str, default=0
            The feature along the horizontal axis: a column index, or a name if
            the estimator was fitted on a DataFrame.
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
            ``feature`` is ignored).
        grid : array-like of shape (n_grid,), default=None
            The values of the feature to evaluate; by default
            ``grid_resolution`` evenly spaced values from the smallest to the
            largest value of the feature in ``X``.
        grid_resolution : int, default=200
            Number of grid values when ``grid`` is None.
        ax : matplotlib Axes, default=None
            Axes to plot on; a new figure is created if None.
        show_contributions : bool, default=True
            Whether to draw each unit's scaled curve as well as the squiggle.
        contribution_kwargs, squiggle_kwargs, scatter_kwargs : dict, \
                default=None
            Keywords passed to matplotlib for the unit curves (``plot``), the
            squiggle (``plot``) and the training points (``scatter``).

        Returns
        -------
        display : SquiggleDisplay
        """
        caller = f"{cls.__name__}.from_estimator"
        _check_matplotlib(caller)
        _check_squiggle_estimator(estimator, caller)
        X = _dense_X(estimator, X)
        index, feature_name = _feature_index(estimator, feature)
        _check_output_index(estimator, output_index)
        grid = _grid_values(X[:, index], grid, grid_resolution)
        X_grid = np.tile(_fixed_point(X, fixed), (grid.shape[0], 1))
        X_grid[:, index] = grid

        parts = estimator.decompose(_as_estimator_input(estimator, X_grid))
        contributions = parts.contributions[:, :, output_index]
        intercept = float(parts.intercept[output_index])
        data_x, data_y = _data_points(estimator, X[:, index], y, output_index)

        display = cls(
            grid_values=grid,
            contributions=contributions,
            intercept=intercept,
            squiggle=parts.output[:, output_index].copy(),
            weights=estimator.coefs_[-1][:, output_index].copy(),
            feature_name=feature_name,
            output_name=_output_names(estimator)[output_index],
            data_x=data_x,
            data_y=data_y,
            is_classifier=is_classifier(estimator),
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
            Whether to draw each unit's scaled curve as well as the squiggle.
        contribution_kwargs, squiggle_kwargs, scatter_kwargs : dict, \
                default=None
            Keywords passed to matplotlib for the unit curves (``plot``), the
            squiggle (``plot``) and the training points (``scatter``).

        Returns
        -------
        display : SquiggleDisplay
            The object with the artists in ``lines_``, ``squiggle_line_`` and
            ``scatter_``.
        """
        _check_matplotlib(f"{type(self).__name__}.plot")
        ax = _get_axes(ax)
        self.lines_ = []
        if show_contributions:
            self.lines_ += self._plot_contributions(ax, contribution_kwargs)
        self.squiggle_line_ = self._plot_squiggle(ax, squiggle_kwargs)
        self.lines_.append(self.squiggle_line_)
        self.scatter_ = None
        if self.data_x is not None:
            self.scatter_ = self._plot_points(ax, scatter_kwargs)
        ax.axhline(0, color="0.8", linewidth=0.8, zorder=0)
        ax.set_xlabel(self.feature_name)
        ax.set_ylabel(self.output_name)
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    def _plot_contributions(self, ax, kwargs):
        """Each unit's curve scaled by its outgoing weight; the lines."""
        from matplotlib.lines import Line2D

        lines = []
        for j in range(self.contributions.shape[1]):
            style = _style(
                {
                    "color": _UNIT_COLORS[j % len(_UNIT_COLORS)],
                    "linewidth": 1.5,
                    "label": f"unit {j} × {self.weights[j]:.3g}",
                },
                kwargs,
                Line2D,
            )
            (line,) = ax.plot(self.grid_values, self.contributions[:, j], **style)
            lines.append(line)
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

        if not self.is_classifier:
            style = _style(
                {"color": "black", "s": 50, "zorder": 3, "label": "training points"},
                kwargs,
                PathCollection,
            )
            return ax.scatter(self.data_x, self.data_y, **style)
        member = np.asarray(self.data_y, dtype=bool)
        style = _style(
            {
                "c": np.where(member, "black", "lightgray"),
                "marker": "|",
                "s": 100,
                "label": "training points (black: this class)",
                "transform": ax.get_xaxis_transform(),
                "zorder": 3,
            },
            kwargs,
            PathCollection,
        )
        return ax.scatter(self.data_x, np.full(self.data_x.shape[0], 0.03), **style)


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
    """The given grid, or evenly spaced values over the column's range."""
    if grid is None:
        grid = np.linspace(column.min(), column.max(), grid_resolution)
    return column_or_1d(np.asarray(grid, dtype=np.float64))


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
        estimator : SquiggleRegressor or SquiggleClassifier
            A fitted network; its other parameters stay at their fitted values
            and the estimator itself is not modified.
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data the loss is measured on.
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
        _check_squiggle_estimator(estimator, caller)
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
