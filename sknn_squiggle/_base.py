"""The shared base estimator: parameters, the stages of fit, prediction and
tags.

A call to fit goes through these stages, each in its own place:

1. validate the data (``_validate_fit_data``: the public estimators encode
   their targets);
2. build the problem: the network's layers (``sknn_squiggle._nn.layers``),
   its initial parameters, the trainable mask and the solver's settings;
3. run the solver (``sknn_squiggle._training.stochastic`` or ``.lbfgs``),
   once per ``n_init`` start, keeping the best run;
4. set the fitted attributes from the state the solver returns
   (``_set_fitted``), the only place that sets them.

The public estimators in ``_regressor.py`` and ``_classifier.py`` add only
what differs between them: target validation and encoding, the loss, the
score and the prediction methods.
"""

import contextlib
import math
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.utils import check_random_state
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from . import _inspection, _settings
from ._fitted import STATE_ATTRIBUTES
from ._nn.activations import HIDDEN_ACTIVATIONS
from ._nn.layers import Dropout, dense_stack
from ._nn.layout import ParameterLayout
from ._nn.losses import OUTPUT_ACTIVATIONS
from ._nn.network import Network, ReusedPredictionNetworks
from ._training.batches import batch_rows
from ._training.lbfgs import fit_lbfgs
from ._training.monitor import CallbackBridge, CallbackSupport, Monitor
from ._training.optimizers import OPTIMIZERS
from ._training.schedules import SCHEDULES
from ._training.state import Problem, Settings, TrainingState
from ._training.stochastic import fit_stochastic
from ._training.validation import scorer_on_rows

_STOCHASTIC_SOLVERS = ("sgd", "adam")

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

# Bytes of each layer's buffer when predicting in chunks (see _predict_output).
_PREDICT_CHUNK_BYTES = 2**22

# Predictions on up to this many rows reuse the estimator's network.
_REUSED_NETWORKS = ReusedPredictionNetworks(max_rows=32)

# OpenBLAS splits even small matrix products across threads, and on a small
# network the synchronisation costs far more than the product itself: lbfgs on
# breast_cancer with 50 hidden units fits 25 times faster on one thread than on
# two (benchmarks/bench_mlp.py, W5). Training whose largest matrix product per
# batch has fewer multiply-adds than this runs on one BLAS thread; at about
# this size (a batch of 128 through a 256 x 128 layer) both take the same time.
_SMALL_PRODUCT = 4_000_000
_THREADPOOLS = []


def _arguments(arguments):
    """A constructor's arguments, from ``locals()`` taken as its first
    statement: everything but ``self``."""
    return {name: value for name, value in arguments.items() if name != "self"}


def _missing_mask(y):
    """Where ``y`` holds a missing value (NaN, None, pd.NA, NaT), or None
    when it cannot hold one (integers, booleans, sparse matrices) or is not
    an array of targets (scikit-learn's validation says what is wrong)."""
    if y is None or sp.issparse(y):
        return None
    if hasattr(y, "isna"):  # a pandas Series or DataFrame
        mask = np.asarray(y.isna())
    else:
        y = np.asarray(y) if hasattr(y, "__array__") else np.asarray(y, dtype=object)
        if y.dtype.kind in "fc":
            mask = np.isnan(y)
        elif y.dtype.kind == "O":
            mask = np.asarray(pd.isna(y), dtype=bool)
        else:
            return None
    return mask if mask.ndim else None


def check_no_missing_targets(estimator, y, what):
    """Refuse targets with missing values, saying how many and how to drop
    them; ``what`` is "labels" or "values"."""
    missing = _missing_mask(y)
    count = 0 if missing is None else int(missing.sum())
    if not count:
        return
    two_d = missing.ndim == 2
    if hasattr(y, "notna"):
        mask = "y.notna().all(axis=1)" if two_d else "y.notna()"
    else:
        mask = "~pd.isna(y).any(axis=1)" if two_d else "~pd.isna(y)"
    noun = what[:-1] if count == 1 else what
    raise ValueError(
        f"y has {count} missing {noun} (NaN, None or pd.NA) in "
        f"{missing.shape[0]} samples: {type(estimator).__name__} needs "
        f"{'a label' if what == 'labels' else 'a target value'} for every "
        "sample. Drop those samples first, e.g. "
        f"mask = {mask}; X, y = X[mask], y[mask]"
    )


def _non_numeric_columns(X):
    """The columns of a DataFrame that cannot be read as numbers: strings,
    categories of strings, objects. Booleans and numeric categories are
    numbers."""
    if not hasattr(X, "columns") or not hasattr(X, "dtypes"):
        return []
    bad = []
    for name, dtype in zip(X.columns, X.dtypes):
        if pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            continue
        try:
            np.asarray(X[name], dtype=np.float64)
        except (TypeError, ValueError):
            bad.append((name, dtype))
    return bad


def validate_numeric_data(estimator, X, *args, **kwargs):
    """``validate_data(estimator, X, ...)``; when it fails on a DataFrame with
    columns that are not numbers, an error naming them and the two fixes."""
    try:
        return validate_data(estimator, X, *args, **kwargs)
    except (TypeError, ValueError) as exc:
        columns = _non_numeric_columns(X)
        if not columns:
            raise
        raise ValueError(_non_numeric_message(estimator, columns)) from exc


def _non_numeric_message(estimator, columns):
    """The error for columns that are not numbers: which, and the two fixes."""
    name = type(estimator).__name__
    tabular = "TabularSquiggle" + (
        "Classifier" if is_classifier(estimator) else "Regressor"
    )
    names = [column for column, _ in columns]
    listed = ", ".join(f"{column!r} ({dtype})" for column, dtype in columns)
    several = len(columns) > 1
    return (
        f"X has {len(columns)} non-numeric column{'s' if several else ''}, "
        f"which {name} cannot take as numbers: {listed}. Encode "
        f"{'them' if several else 'it'} first with a ColumnTransformer and a "
        "OneHotEncoder, e.g. make_pipeline(make_column_transformer("
        f"(OneHotEncoder(handle_unknown='ignore'), {names!r}), "
        f"remainder='passthrough'), {name}()), or use {tabular}, which takes "
        "raw frames (strings, categories and missing values)."
    )


def _refuse_for_lbfgs(params):
    """weight_decay and dropout are rules of the sgd and adam steps: lbfgs
    has no steps to decay, and a line search needs one loss, not a fresh
    dropout mask per evaluation."""
    if params["weight_decay"] > 0:
        raise ValueError(
            f"weight_decay={params['weight_decay']!r} is a rule of the sgd and "
            "adam steps; lbfgs has no steps to decay. Use alpha (the L2 "
            "penalty) with solver='lbfgs', or solver='adam'."
        )
    if params["dropout"] > 0:
        raise ValueError(
            f"dropout={params['dropout']!r} needs the sgd or adam solver: lbfgs's "
            "line search needs the same loss at every evaluation. Use "
            "solver='adam', or alpha to regularise lbfgs."
        )


def _blas_threads_for(multiply_adds):
    """A context that limits BLAS to one thread for small products."""
    if multiply_adds >= _SMALL_PRODUCT:
        return contextlib.nullcontext()
    if not _THREADPOOLS:
        # Inspecting the loaded libraries takes milliseconds: do it once.
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1, user_api="blas")


class BaseSquiggle(CallbackSupport, BaseEstimator, ABC):
    """Base class of SquiggleRegressor and SquiggleClassifier (do not use)."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", *OPTIMIZERS})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions(set(SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            Options(Real, {np.inf}),
        ],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "coefs_init": [list, None],
        "intercepts_init": [list, None],
        "trainable": [dict, None],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "scoring": [None, StrOptions({"loss", *get_scorer_names()}), callable],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "dropout": [Interval(Real, 0, 1, closed="left")],
    }

    @abstractmethod
    def __init__(self, **params):
        """Store every parameter as an attribute of the same name, unchanged
        (the public estimators pass their signature's arguments)."""
        for name, value in params.items():
            setattr(self, name, value)

    # ------------------------------------------------------------------
    # What each public estimator defines

    @abstractmethod
    def _validate_fit_data(self, X, y, sample_weight, incremental, reset):
        """Validate the data of a fit; return ``(X, Y, sample_weight)``: X as
        a float array (or sparse matrix), the encoded targets ``Y`` of shape
        (n_samples, n_outputs) and the sample weights (class weights
        included) or None."""

    @abstractmethod
    def _loss_name(self):
        """The loss key for the current target (after validation)."""

    @abstractmethod
    def _score_outputs(self, output, y, sample_weight):
        """Score of network outputs against encoded targets (early stopping)."""

    def _decode_targets(self, y):
        """Encoded targets back to what the user passed (labels for classifiers)."""
        return y.ravel() if y.shape[1] == 1 else y

    @property
    def _stratify_validation(self):
        """Whether the early-stopping split keeps the class proportions."""
        return False

    def _checked_sample_weight(self, sample_weight, X):
        """``sample_weight`` as a finite, non-negative float vector, or None."""
        if sample_weight is None:
            return None
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=X.dtype, ensure_non_negative=True
        )
        if not np.isfinite(sample_weight).all():
            raise ValueError("sample_weight must be finite (no NaN or inf).")
        if sample_weight.sum() <= 0:
            raise ValueError(
                "sample_weight must not be all zero: at least one sample needs a "
                "positive weight."
            )
        return sample_weight

    # ------------------------------------------------------------------
    # The network

    def _layers(self, layer_units=None, out_activation=None):
        """The network's layers: by default those of the fitted network (its
        sizes read off ``coefs_`` and ``intercepts_``), else for the given
        units per layer, input and output included."""
        if layer_units is None:
            layer_units = [self.coefs_[0].shape[0]]
            layer_units += [b.shape[0] for b in self.intercepts_]
        activations = _settings.hidden_activations(
            self.activation, len(layer_units) - 2
        )
        return dense_stack(
            layer_units,
            activations,
            self.out_activation_ if out_activation is None else out_activation,
        )

    def _layers_key(self):
        """What :meth:`_layers` builds the fitted network from (the units of
        each layer and the activations): equal keys give the same layers."""
        units = (self.coefs_[0].shape[0], *(b.shape[0] for b in self.intercepts_))
        activation = self.activation
        if not isinstance(activation, str):
            activation = tuple(activation)
        return (units, activation, self.out_activation_)

    @property
    def _hidden_activations_(self):
        return _settings.hidden_activations(self.activation, self.n_layers_ - 2)

    def _layout(self):
        """The flat layout of the fitted network's parameters."""
        return ParameterLayout.of(self._layers())

    def _parameter_attributes(self, params, layout=None):
        """``_params`` and its per-layer views ``coefs_`` and ``intercepts_``."""
        layout = self._layout() if layout is None else layout
        return {
            "_params": params,
            "coefs_": layout.arrays(params, "coefs"),
            "intercepts_": layout.arrays(params, "intercepts"),
        }

    def _current_params(self):
        """The fitted flat parameters, as ``coefs_`` and ``intercepts_`` hold
        them now.

        After fit every array of both lists is a view of ``_params``; a user
        who assigns a new array to an entry (``coefs_[0] = W``), or a pickle
        round trip, splits it from the vector, and a copy of the vector takes
        the lists' values. Checking the views costs well under a microsecond
        a layer; the copy copies every parameter.
        """
        params = self._params
        arrays = [*self.coefs_, *self.intercepts_]
        if all(a.base is params for a in arrays):
            return params
        layout = self._layout()
        current = params.astype(np.result_type(params, *arrays))
        for name, values in (("coefs", self.coefs_), ("intercepts", self.intercepts_)):
            for (flat, _), array in zip(layout.locations(name), values, strict=True):
                current[flat] = np.asarray(array).ravel()
        return current

    def _bind_params(self, params, layout=None):
        """Make ``coefs_``/``intercepts_`` views of the flat vector ``params``."""
        for name, value in self._parameter_attributes(params, layout).items():
            setattr(self, name, value)

    def _initial_params(self, problem, layout):
        """Initial flat parameters in X's dtype: each layer's own draws
        (Glorot uniform, in scikit-learn's order), replaced by ``coefs_init``
        and ``intercepts_init`` where given."""
        dtype = problem.X.dtype
        draws = [layer.initial_params(problem.rng) for layer in problem.layers]
        names = dict.fromkeys(name for d in draws for name in d)
        values = {name: [d[name] for d in draws if name in d] for name in names}
        for name in ("coefs", "intercepts"):
            given = getattr(self, f"{name}_init")
            if given is not None:
                shapes = [shape for _, shape in layout.locations(name)]
                _settings.check_init_arrays(given, f"{name}_init", shapes)
                values[name] = given
        return layout.pack(values, dtype)

    # ------------------------------------------------------------------
    # Fitting

    def _fit(self, X, y, sample_weight=None, incremental=False):
        """The stages of fit and partial_fit."""
        raw = (X, y, sample_weight)
        first_call = not hasattr(self, "coefs_") or (
            not self._continues() and not incremental
        )
        X, Y, sample_weight = self._validate_fit_data(
            X, y, sample_weight, incremental, reset=first_call
        )
        if incremental and self._with_validation():
            raise ValueError("partial_fit does not support early_stopping=True.")
        self._warn_ignored_scoring(incremental)
        layers = self._new_network_attributes(X.shape[1], Y.shape[1])
        monitor = Monitor(
            self.verbose, CallbackBridge(self, *raw, incremental), self.solver
        )
        problem = Problem(
            X=X,
            y=Y,
            sample_weight=sample_weight,
            layers=layers,
            params=None,
            loss=self._loss_name(),
            trainable_mask=self._trainable_mask(ParameterLayout.of(layers)),
            rng=check_random_state(self.random_state),
            stratify=self._stratify_validation,
        )
        if first_call:
            params, state = self._train_new_network(problem, monitor, incremental)
        else:
            params, state = self._continue_training(problem, monitor, incremental)
        self._bind_params(params, ParameterLayout.of(layers))
        self._set_fitted(state)
        monitor.end_fit()
        return self

    def _warn_ignored_scoring(self, incremental):
        """``scoring`` is what early stopping maximises on its validation
        split: warn when it is set but no early stopping will read it."""
        if self.scoring is None:
            return
        if self.solver == "lbfgs":
            why = "solver='lbfgs' has no early stopping (it trains on all the data)"
            fix = "Use solver='adam' or 'sgd' with early_stopping=True"
        elif incremental:
            why = "partial_fit has no early stopping"
            fix = "Use fit with early_stopping=True"
        elif not self.early_stopping:
            why = "early_stopping=False"
            fix = "Set early_stopping=True"
        else:
            return
        warnings.warn(
            f"scoring={self.scoring!r} is ignored: {why}, and scoring is the "
            "score early stopping reads on its validation split. "
            f"{fix} to stop on it, or leave scoring=None.",
            UserWarning,
            # Past _fit, fit, scikit-learn's _fit_context and with_callbacks:
            # the user's call.
            stacklevel=6,
        )

    def _new_network_attributes(self, n_features, n_outputs):
        """Set the attributes that describe the network for these data (the
        solvers' scorers and callbacks predict with them); return its layers."""
        sizes = _settings.hidden_layer_sizes(self.hidden_layer_sizes)
        self.n_outputs_ = n_outputs
        self.out_activation_ = OUTPUT_ACTIVATIONS[self._loss_name()]
        self.n_layers_ = len(sizes) + 2
        return self._with_dropout(self._layers([n_features, *sizes, n_outputs]))

    def _with_dropout(self, layers):
        """The training network: a :class:`Dropout` of rate ``dropout`` after
        each hidden layer (none at 0). It has no parameters and is the
        identity at prediction, so the fitted network (:meth:`_layers`) leaves
        it out; each mask's generator is seeded from ``random_state``."""
        if self.dropout == 0:
            return layers
        hidden = layers[:-1]
        seeds = check_random_state(self.random_state).randint(2**31, size=len(hidden))
        out = []
        for layer, seed in zip(hidden, seeds):
            out += [layer, Dropout(layer.fan_out, self.dropout, random_state=seed)]
        return [*out, layers[-1]]

    def _continues(self):
        """Whether fit continues from the fitted network (warm_start)."""
        return self.warm_start

    def _with_validation(self):
        """Whether training holds out a validation set (early stopping)."""
        return self.early_stopping and self.solver != "lbfgs"

    def _trainable_mask(self, layout):
        """The flat mask of the entries that train (None: all), from
        ``trainable``."""
        return _settings.trainable_mask(self.trainable, layout)

    def _n_starts(self):
        """How many random starts to train from: ``n_init``, one when
        ``coefs_init`` and ``intercepts_init`` fix the start."""
        if self.coefs_init is None or self.intercepts_init is None:
            return self.n_init
        if self.n_init > 1:
            warnings.warn(
                "coefs_init and intercepts_init fix the starting point: "
                f"n_init={self.n_init} is ignored and one fit is run.",
                RuntimeWarning,
            )
        return 1

    def _train_new_network(self, problem, monitor, incremental):
        """Train from ``_n_starts()`` starts; return the parameters and state
        of the lowest loss."""
        layout = ParameterLayout.of(problem.layers)
        best = None
        for _ in range(self._n_starts()):
            params = self._initial_params(problem, layout)
            state = TrainingState.fresh(self._with_validation())
            state, interrupted = self._train(
                problem, params, state, monitor, incremental
            )
            if best is None or state.loss < best[1].loss:
                best = params, state
            if interrupted or monitor.stopped:
                break
        return best

    def _continue_training(self, problem, monitor, incremental):
        """warm_start and partial_fit: train on from the fitted parameters
        and the state the last call left."""
        layout = ParameterLayout.of(problem.layers)
        expected = [shape for _, shape in layout.locations("coefs")]
        got = [c.shape for c in self.coefs_]
        if got != expected:
            raise ValueError(
                "The fitted network has layers of shapes "
                f"{got} but the data and hidden_layer_sizes ask for {expected}; "
                "set warm_start=False to fit a new network."
            )
        # Rebuild the flat vector: pickling or user edits may have split the
        # views from it.
        params = layout.pack(
            {"coefs": self.coefs_, "intercepts": self.intercepts_}, problem.X.dtype
        )
        state = TrainingState(
            **{
                field: getattr(self, attribute, None)
                for field, attribute in STATE_ATTRIBUTES.items()
            }
        )
        if state.history is None:
            state.history = []
        state, _ = self._train(problem, params, state, monitor, incremental)
        return params, state

    def _train(self, problem, params, state, monitor, incremental):
        """Run the solver on ``params``; return the state and whether the
        user interrupted it."""
        self._bind_params(params, ParameterLayout.of(problem.layers))
        problem = problem._replace(params=params)
        monitor.start_run(state)
        rows = problem.X.shape[0]
        if self.solver != "lbfgs":
            rows = batch_rows(self.batch_size, rows)
        largest = rows * max(layer.multiply_adds() for layer in problem.layers)
        # Overflow is detected and reported by the solvers themselves (a
        # ConvergenceWarning and the best finite parameters), not by numpy.
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            _blas_threads_for(largest),
        ):
            settings = self._solver_settings(incremental)
            if self.solver == "lbfgs":
                return fit_lbfgs(problem, settings, state, monitor)
            return fit_stochastic(
                problem, settings, state, monitor, self._validation_score()
            )

    def _solver_settings(self, incremental):
        """The parameters the solvers read."""
        params = self.get_params(deep=False)
        if params["solver"] == "lbfgs":
            _refuse_for_lbfgs(params)
        # scikit-learn's schedules are sgd's alone; "coslog4", ours, also
        # steers adam's rate.
        coslog4 = params["learning_rate"] == "coslog4"
        return Settings(
            **{name: params[name] for name in Settings._fields if name in params},
            incremental=incremental,
            adam_learning_rate="coslog4" if coslog4 else "constant",
        )

    def _validation_score(self):
        """What early stopping maximises, as ``score(output, X, y,
        sample_weight, val_loss)``: scikit-learn's score (accuracy or R^2)
        for ``scoring=None``, minus the validation loss for "loss", else the
        scorer called on the estimator."""
        if self.scoring is None:
            return lambda output, X, y, sw, val_loss: self._score_outputs(output, y, sw)
        if self.scoring == "loss":
            return lambda output, X, y, sw, val_loss: -val_loss
        scorer = check_scoring(self, scoring=self.scoring)
        return scorer_on_rows(self, scorer, self._decode_targets)

    def _set_fitted(self, state):
        """Set the fitted attributes of a training run from its state."""
        for field, attribute in STATE_ATTRIBUTES.items():
            setattr(self, attribute, getattr(state, field))

    # ------------------------------------------------------------------
    # Prediction

    def _check_predict_input(self, X):
        """``validate_data(self, X, reset=False)`` for prediction, with a
        shortcut for what it would return unchanged.

        A 2-D float64/float32 ndarray with at least one row, the fitted number
        of features, finite values and an estimator fitted without feature
        names passes every check ``validate_data`` makes and comes back as
        is; anything else goes through ``validate_data`` (which also raises
        the errors). The shortcut costs a few microseconds instead of ~50.
        """
        if (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in _FLOAT_DTYPES
            and X.shape[0] > 0
            and X.shape[1] == getattr(self, "n_features_in_", -1)
            and not hasattr(self, "feature_names_in_")
            # A finite sum means finite entries (NaN and inf propagate); an
            # overflowing sum of finite entries only takes the long way.
            and math.isfinite(X.sum())
        ):
            return X
        return validate_numeric_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            reset=False,
            dtype=(np.float64, np.float32),
        )

    def _predict_output(self, X):
        """Network output for X, computed in chunks of rows.

        A chunk fits in scikit-learn's ``working_memory`` and each of its
        layer buffers in about ``_PREDICT_CHUNK_BYTES``: small enough to stay
        in cache between the matrix product and the activation, large enough
        for the matrix product to run at full speed. A few rows reuse the
        estimator's network (see ``ReusedPredictionNetworks``).
        """
        X = self._check_predict_input(X)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        params = self._current_params().astype(dtype, copy=False)
        units = [b.shape[0] for b in self.intercepts_]
        n = X.shape[0]
        if n <= _REUSED_NETWORKS.max_rows:
            key = self._layers_key()
            return _REUSED_NETWORKS.predict(self, key, params, self._layers, X)
        chunk = max(1, _PREDICT_CHUNK_BYTES // (max(units) * dtype.itemsize))
        if n > chunk:
            chunk = min(
                chunk,
                get_chunk_n_rows(
                    row_bytes=2 * sum(units) * dtype.itemsize, max_n_rows=n
                ),
            )
        return Network(self._layers(), params, max(1, min(chunk, n))).predict(X)

    def decompose(self, X):
        """Take the network apart along the way from ``X`` to the output.

        This is the lesson's picture of a network as a squiggle-fitting
        machine: each hidden unit bends a line (its pre-activation) with its
        activation curve, the last layer scales each unit's curve by its
        outgoing weight, adds them up and shifts the sum by the final bias.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        parts : :class:`~sklearn.utils.Bunch`
            - ``pre_activations``: list with one (n_samples, units) array per
              hidden layer: the x-axis coordinates fed to each unit's activation;
            - ``activations``: the same after the activation (y-axis coordinates);
            - ``contributions``: (n_samples, n_last_hidden_units, n_outputs),
              each last-layer unit's curve scaled by its outgoing weight;
            - ``intercept``: (n_outputs,), the final bias;
            - ``output``: (n_samples, n_outputs), contributions summed over
              units plus the intercept: the squiggle before the output
              activation (for the regressor with squared error, ``predict``).

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_squiggle import SquiggleRegressor
        >>> X = np.array([[0.0], [0.5], [1.0]])
        >>> reg = SquiggleRegressor(
        ...     hidden_layer_sizes=(2,), activation="softplus", solver="lbfgs",
        ...     random_state=0).fit(X, [0.0, 1.0, 0.0])
        >>> parts = reg.decompose(X)
        >>> parts.contributions.shape
        (3, 2, 1)
        >>> np.allclose(parts.contributions.sum(axis=1) + parts.intercept,
        ...             parts.output)
        True
        """
        check_is_fitted(self)
        return _inspection.decompose(self, self._check_predict_input(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------
    # Pickling: the optimizer's state travels as plain data (its
    # ``state()``: numbers, strings and arrays), so that skops.io trusts
    # everything in a fitted estimator but the estimator's own class.

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        if state.get("_optimizer") is not None:
            state["_optimizer"] = state["_optimizer"].state()
        return state

    def __setstate__(self, state):
        optimizer = state.get("_optimizer")
        if isinstance(optimizer, dict):
            restored = OPTIMIZERS[optimizer["kind"]].from_state(
                state["_params"], optimizer
            )
            state = {**state, "_optimizer": restored}
        super().__setstate__(state)
        if "coefs_" in state and "_params" in state:
            # Pickling copies the views: make them views of one vector again.
            self._bind_params(self._current_params())

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. "
                f"{self.solver!r} is not stochastic: lbfgs always trains on the "
                "whole data set, use fit."
            )
        return True
