"""The shared base estimator: validation of settings, initialisation and the
training loops (minibatch sgd/adam and full-batch L-BFGS).

The public estimators in ``_regressor.py`` and ``_classifier.py`` add only what
differs between them: target validation and encoding, the loss, the score and
the prediction methods.
"""

import contextlib
import math
import time
import warnings
from abc import ABC, abstractmethod
from numbers import Integral, Real

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn.base import BaseEstimator, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import check_scoring, get_scorer_names
from sklearn.model_selection import train_test_split
from sklearn.utils import Bunch, check_random_state, gen_batches
from sklearn.utils._chunking import get_chunk_n_rows
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.optimize import _check_optimize_result
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from threadpoolctl import ThreadpoolController

from ._activations import HIDDEN_ACTIVATIONS
from ._losses import LOSSES, OUTPUT_ACTIVATIONS
from ._network import Network, ParameterLayout, forward
from ._optimizers import OPTIMIZERS
from ._reporting import (
    HISTORY_COLUMNS,
    CallbackBridge,
    CallbackSupport,
    table_row,
)

_STOCHASTIC_SOLVERS = ("sgd", "adam")

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))

# Bytes of each layer's buffer when predicting in chunks (see _forward_fast).
_PREDICT_CHUNK_BYTES = 2**22

# Bytes of X gathered at a time by the stochastic solvers (a whole number of
# batches, at least one): large enough that the Python cost of a gather is
# spread over many small batches, small enough to stay in cache and add little
# to the memory a fit needs.
_GATHER_BYTES = 2**18

# Fitted attributes that describe one training run; n_init keeps the best run.
_RUN_STATE = (
    "_params",
    "history_",
    "n_iter_",
    "t_",
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
    "_no_improvement_count",
    "_optimizer",
)


# OpenBLAS splits even small matrix products across threads, and on a small
# network the synchronisation costs far more than the product itself: lbfgs on
# breast_cancer with 50 hidden units fits 25 times faster on one thread than on
# two (benchmarks/bench_mlp.py, W5). Training whose largest matrix product per
# batch has fewer multiply-adds than this runs on one BLAS thread; at about
# this size (a batch of 128 through a 256 x 128 layer) both take the same time.
_SMALL_PRODUCT = 4_000_000
_THREADPOOLS = []


def _blas_threads_for(multiply_adds):
    """A context that limits BLAS to one thread for small products."""
    if multiply_adds >= _SMALL_PRODUCT:
        return contextlib.nullcontext()
    if not _THREADPOOLS:
        # Inspecting the loaded libraries takes milliseconds: do it once.
        _THREADPOOLS.append(ThreadpoolController())
    return _THREADPOOLS[0].limit(limits=1, user_api="blas")


class _Diverged(Exception):
    """The loss or the parameters became non-finite during training."""


class _Run:
    """What one call to fit or partial_fit trains on, and how it reports."""

    def __init__(self, **fields):
        self.X_val = self.y_val = self.sw_val = None
        self.printed_header = False
        self.__dict__.update(fields)


class BaseSquiggle(CallbackSupport, BaseEstimator, ABC):
    """Base class of SquiggleRegressor and SquiggleClassifier (do not use)."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS)), list, tuple],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [
            StrOptions({"auto"}),
            Interval(Integral, 1, None, closed="left"),
        ],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
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
    }

    @abstractmethod
    def __init__(self, **params):
        for name, value in params.items():
            setattr(self, name, value)

    # ------------------------------------------------------------------
    # What each public estimator defines

    @abstractmethod
    def _validate_input(self, X, y, incremental, reset):
        """Validate X and y; return X and y as a 2-D float array of X's dtype."""

    @abstractmethod
    def _loss_name(self):
        """The loss key for the current target (after ``_validate_input``)."""

    @abstractmethod
    def _validation_score(self, output, y, sample_weight):
        """Score of network outputs against encoded targets (early stopping)."""

    def _check_sample_weight(self, sample_weight, X, y, incremental):
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
    # Settings derived from the parameters

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if not hasattr(sizes, "__iter__"):
            sizes = [sizes]
        sizes = list(sizes)
        if any(
            not isinstance(s, Integral | np.integer) or isinstance(s, bool) or s <= 0
            for s in sizes
        ):
            raise ValueError(
                f"hidden_layer_sizes must hold positive integers, got {sizes}."
            )
        return [int(s) for s in sizes]

    def _hidden_activations(self, n_hidden):
        activation = self.activation
        if isinstance(activation, str):
            return [activation] * n_hidden
        activation = list(activation)
        if len(activation) != n_hidden:
            raise ValueError(
                f"activation has {len(activation)} entries but there are "
                f"{n_hidden} hidden layers: give one name per hidden layer."
            )
        for name in activation:
            if name not in HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"activation {name!r} is not one of {sorted(HIDDEN_ACTIVATIONS)}."
                )
        return activation

    @property
    def _hidden_activations_(self):
        return self._hidden_activations(self.n_layers_ - 2)

    def _layout(self):
        return ParameterLayout(
            [self.coefs_[0].shape[0]] + [b.shape[0] for b in self.intercepts_]
        )

    def _bind_params(self, params, layout):
        """Make ``coefs_``/``intercepts_`` views of the flat vector ``params``."""
        self._params = params
        self.coefs_, self.intercepts_ = layout.views(params)

    def _check_init_arrays(self, value, name, shapes):
        if len(value) != len(shapes):
            raise ValueError(
                f"{name} has {len(value)} arrays but the network has "
                f"{len(shapes)} layers of weights: expected shapes {shapes}."
            )
        for i, (array, shape) in enumerate(zip(value, shapes)):
            got = np.shape(array)
            if got != shape:
                raise ValueError(
                    f"{name}[{i}] has shape {got}; layer {i} expects shape {shape}."
                )
            if not np.isfinite(np.asarray(array, dtype=float)).all():
                raise ValueError(f"{name}[{i}] holds NaN or infinite values.")

    def _trainable_mask(self, layout):
        """Flat boolean mask of the parameters that train, or None for all."""
        if self.trainable is None:
            return None
        unknown = set(self.trainable) - {"coefs", "intercepts"}
        if unknown:
            raise ValueError(
                f"trainable takes the keys 'coefs' and 'intercepts'; got {unknown}."
            )
        mask = np.ones(layout.n_params, dtype=bool)
        for key, slices, shapes in (
            ("coefs", layout.coef_slices, layout.coef_shapes),
            ("intercepts", layout.intercept_slices, layout.intercept_shapes),
        ):
            entries = self.trainable.get(key)
            if entries is None:
                continue
            if len(entries) != len(shapes):
                raise ValueError(
                    f"trainable[{key!r}] has {len(entries)} entries; the network "
                    f"has {len(shapes)} layers of {key}."
                )
            for i, (entry, s, shape) in enumerate(zip(entries, slices, shapes)):
                entry = np.asarray(entry)
                if entry.dtype != bool:
                    raise ValueError(
                        f"trainable[{key!r}][{i}] must be a bool or a boolean mask."
                    )
                if entry.ndim and entry.shape != shape:
                    raise ValueError(
                        f"trainable[{key!r}][{i}] has shape {entry.shape}; layer "
                        f"{i} expects a bool or a mask of shape {shape}."
                    )
                mask[s] = np.broadcast_to(entry, shape).ravel()
        return None if mask.all() else mask

    def _init_params(self, layout, dtype, rng):
        """Initial flat parameters: given arrays, or Glorot-uniform draws.

        Weights and biases of layer i are drawn uniformly from +-sqrt(6 /
        (fan_in + fan_out)) (factor 2 for the logistic sigmoid), in
        scikit-learn's order, so the same random_state gives the same start as
        MLPRegressor/MLPClassifier.
        """
        acts = self._hidden_activations(len(layout.coef_shapes) - 1)
        coefs, intercepts = [], []
        for i, (fan_in, fan_out) in enumerate(layout.coef_shapes):
            act = acts[min(i, len(acts) - 1)] if acts else "identity"
            factor = 2.0 if act in ("logistic", "sigmoid") else 6.0
            bound = np.sqrt(factor / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
            intercepts.append(rng.uniform(-bound, bound, fan_out))
        if self.coefs_init is not None:
            self._check_init_arrays(self.coefs_init, "coefs_init", layout.coef_shapes)
            coefs = self.coefs_init
        if self.intercepts_init is not None:
            self._check_init_arrays(
                self.intercepts_init, "intercepts_init", layout.intercept_shapes
            )
            intercepts = self.intercepts_init
        return layout.pack(coefs, intercepts, dtype)

    def _start_run(self, layout, dtype, rng):
        """Reset the state of one training run from fresh initial weights."""
        self._bind_params(self._init_params(layout, dtype, rng), layout)
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.history_ = []
        self._no_improvement_count = 0
        self._optimizer = None
        if self.early_stopping and self.solver in _STOCHASTIC_SOLVERS:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf

    # ------------------------------------------------------------------
    # Fitting

    def _fit(self, X, y, sample_weight=None, incremental=False):
        X_raw, y_raw, sw_raw = X, y, sample_weight
        hidden_sizes = self._hidden_sizes()
        hidden_acts = self._hidden_activations(len(hidden_sizes))
        first_pass = not hasattr(self, "coefs_") or (
            not self.warm_start and not incremental
        )
        X, y = self._validate_input(X, y, incremental, reset=first_pass)
        sample_weight = self._check_sample_weight(sample_weight, X, y, incremental)
        if incremental and self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True.")

        layer_units = [X.shape[1]] + hidden_sizes + [y.shape[1]]
        layout = ParameterLayout(layer_units)
        self.n_outputs_ = y.shape[1]
        self.n_layers_ = len(layer_units)
        loss = self._loss_name()
        self.out_activation_ = OUTPUT_ACTIVATIONS[loss]
        run = _Run(
            X=X,
            y=y,
            sample_weight=sample_weight,
            layout=layout,
            hidden_acts=hidden_acts,
            loss=loss,
            mask=self._trainable_mask(layout),
            rng=check_random_state(self.random_state),
            incremental=incremental,
            scorer=self._validation_scorer(),
            callbacks=CallbackBridge(self, X_raw, y_raw, sw_raw, incremental),
        )

        if first_pass:
            n_init = self.n_init
            if self.coefs_init is not None and self.intercepts_init is not None:
                if n_init > 1:
                    warnings.warn(
                        "coefs_init and intercepts_init fix the starting point: "
                        f"n_init={n_init} is ignored and one fit is run.",
                        RuntimeWarning,
                    )
                n_init = 1
            best = None
            for _ in range(n_init):
                self._start_run(layout, X.dtype, run.rng)
                interrupted = self._train(run)
                if best is None or self.loss_ < best["loss_"]:
                    best = {name: getattr(self, name) for name in _RUN_STATE}
                if interrupted or run.callbacks.stopped:
                    break
            for name, value in best.items():
                setattr(self, name, value)
            self._bind_params(self._params, layout)
        else:
            expected = layout.coef_shapes
            got = [c.shape for c in self.coefs_]
            if got != expected:
                raise ValueError(
                    "The fitted network has layers of shapes "
                    f"{got} but the data and hidden_layer_sizes ask for {expected}; "
                    "set warm_start=False to fit a new network."
                )
            # Rebuild the flat vector: pickling or user edits may have split the
            # views from it.
            params = layout.pack(self.coefs_, self.intercepts_, X.dtype)
            self._bind_params(params, layout)
            if not hasattr(self, "history_"):
                self.history_ = []
            self._train(run)
        run.callbacks.end_fit()
        if not np.isfinite(self._params).all():
            raise ValueError(
                "Solver produced non-finite parameter weights. The input data may"
                " contain large values and need to be preprocessed."
            )
        return self

    def _train(self, run):
        """Run the solver; return True if the user interrupted it."""
        run.start = time.perf_counter()
        rows = run.X.shape[0]
        if self.solver != "lbfgs":
            rows = self._batch_rows(rows)
        largest_product = rows * max(a * b for a, b in run.layout.coef_shapes)
        # Overflow is detected and reported by the solvers themselves (a
        # ConvergenceWarning and the best finite parameters), not by numpy.
        with (
            np.errstate(over="ignore", invalid="ignore", divide="ignore"),
            _blas_threads_for(largest_product),
        ):
            if self.solver == "lbfgs":
                return self._fit_lbfgs(run)
            return self._fit_stochastic(run)

    def _batch_rows(self, n_samples):
        """Rows per minibatch: ``batch_size``, "auto" being min(200, n),
        clipped to the number of samples."""
        if self.batch_size == "auto":
            return min(200, n_samples)
        return int(np.clip(self.batch_size, 1, n_samples))

    def _validation_scorer(self):
        """The early-stopping score: None for scikit-learn's (accuracy or R^2),
        "loss" for minus the validation loss, or a scorer(estimator, X, y)."""
        if self.scoring is None or self.scoring == "loss":
            return self.scoring
        return check_scoring(self, scoring=self.scoring)

    def _record(self, run, loss, learning_rate, val_loss=None, val_score=None):
        """Log one epoch (or lbfgs iteration): loss curve, history, verbose table
        and callbacks. Returns True if a callback asks to stop."""
        self.loss_curve_.append(loss)
        row = {
            "epoch": len(self.history_) + 1,
            "loss": loss,
            "learning_rate": learning_rate,
            "seconds": time.perf_counter() - run.start,
        }
        if val_score is not None:
            row["val_loss"] = val_loss
            row["val_score"] = val_score
        self.history_.append(row)
        if self.verbose:
            if not run.printed_header:
                run.printed_header = True
                print(table_row(HISTORY_COLUMNS))
            print(table_row([row.get(name, "") for name in HISTORY_COLUMNS]))
        return run.callbacks.end_epoch()

    def _new_optimizer(self):
        if self.solver == "sgd":
            return OPTIMIZERS["sgd"](
                self._params,
                self.learning_rate_init,
                self.learning_rate,
                self.momentum,
                self.nesterovs_momentum,
                self.power_t,
            )
        return OPTIMIZERS["adam"](
            self._params,
            self.learning_rate_init,
            self.beta_1,
            self.beta_2,
            self.epsilon,
        )

    def _fit_lbfgs(self, run):
        X, y, sample_weight, mask = run.X, run.y, run.sample_weight, run.mask
        params = self._params
        # Every evaluation sees the whole data set: widen compact targets once.
        y = y.astype(params.dtype, copy=False)
        net = Network(
            run.layout,
            params,
            run.hidden_acts,
            run.loss,
            self.out_activation_,
            X.shape[0],
            mask,
        )
        total_weight = X.shape[0] if sample_weight is None else sample_weight.sum()
        l2 = self.alpha / total_weight
        # The best finite point evaluated so far: what an interruption or a
        # failed line search leaves in the estimator.
        best = {"x": params.astype(np.float64), "loss": np.inf}
        n_curve = len(self.loss_curve_)

        def loss_grad(x):
            params[:] = x
            value = net.loss_grad(X, y, sample_weight, total_weight, l2)
            if not math.isfinite(value):
                # An overflowing point is infinitely bad: the line search
                # backtracks from it. (A non-finite gradient at a finite loss
                # ends in a non-finite result, which falls back to ``best``.)
                return np.inf, np.zeros_like(x)
            if value < best["loss"]:
                best["loss"] = value
                best["x"][:] = x
            # scipy may keep the returned gradient: hand it a copy, never the
            # buffer the next evaluation overwrites.
            return value, net.grad.astype(np.float64)

        def callback(intermediate_result):
            if run.callbacks.active:
                # Callbacks look at the model as this iteration left it.
                params[:] = intermediate_result.x
            if self._record(run, float(intermediate_result.fun), None):
                # scipy stops L-BFGS-B when the callback raises StopIteration.
                raise StopIteration
            run.callbacks.begin_epoch()

        if mask is not None and not mask.any():
            # Nothing to train: the loss of the given parameters is the result.
            self.n_iter_ = 0
            self.loss_ = self.best_loss_ = float(
                net.loss_grad(X, y, sample_weight, total_weight, l2)
            )
            return False
        bounds = None
        if mask is not None:
            # Frozen entries are pinned by equal lower and upper bounds, so
            # L-BFGS-B never moves them, whatever its line search does.
            x0 = params.astype(np.float64)
            bounds = [(v, v) if not m else (None, None) for v, m in zip(x0, mask)]
        run.callbacks.begin_epoch()
        try:
            result = scipy.optimize.minimize(
                loss_grad,
                params.astype(np.float64),
                method="L-BFGS-B",
                jac=True,
                bounds=bounds,
                callback=callback,
                options={
                    "maxfun": self.max_fun,
                    "maxiter": self.max_iter,
                    "gtol": self.tol,
                },
            )
        except KeyboardInterrupt:
            run.callbacks.abandon_epoch()
            params[:] = best["x"]
            self.n_iter_ = len(self.loss_curve_) - n_curve
            self.loss_ = float(best["loss"])
            self.best_loss_ = self.loss_
            warnings.warn(
                f"Training interrupted by user after {self.n_iter_} lbfgs "
                "iterations: the estimator keeps the best parameters seen so far.",
                UserWarning,
            )
            return True
        # The iteration begun after the last one never ran.
        run.callbacks.abandon_epoch()
        if not math.isfinite(best["loss"]):
            params[:] = best["x"]
            self.n_iter_ = 0
            self.loss_ = np.inf
            self.best_loss_ = np.inf
            warnings.warn(
                "lbfgs could not evaluate a finite loss: the data overflow the "
                "network. Standardise X (and y for regression), e.g. with "
                "StandardScaler.",
                ConvergenceWarning,
            )
            return False
        self.n_iter_ = _check_optimize_result("lbfgs", result, self.max_iter)
        if math.isfinite(result.fun) and np.isfinite(result.x).all():
            params[:] = result.x
            self.loss_ = float(result.fun)
        else:
            params[:] = best["x"]
            self.loss_ = float(best["loss"])
        self.best_loss_ = min(self.loss_curve_[n_curve:], default=self.loss_)
        return False

    def _fit_stochastic(self, run):
        X, y, sample_weight = run.X, run.y, run.sample_weight
        incremental = run.incremental
        params = self._params
        # warm_start and partial_fit continue with the optimizer's state
        # (momentum, Adam's moments and step count, the adaptive rate).
        if (
            not isinstance(self._optimizer, OPTIMIZERS[self.solver])
            or self._optimizer._step.shape != params.shape
            or self._optimizer._step.dtype != params.dtype
        ):
            self._optimizer = self._new_optimizer()
        optimizer = self._optimizer

        if self.early_stopping:
            # Stratify binary and multiclass targets (not multilabel) so the
            # validation set keeps the class proportions. scikit-learn
            # stratifies binary targets only (its multiclass targets are
            # one-hot, n_outputs_ > 1); the random draws are the same.
            stratify = y if is_classifier(self) and self._stratify_validation else None
            train_idx, val_idx = train_test_split(
                np.arange(X.shape[0]),
                random_state=run.rng,
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            if val_idx.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
            run.X_val, run.y_val = X[val_idx], y[val_idx].astype(X.dtype)
            if sample_weight is not None:
                run.sw_val = sample_weight[val_idx]
            X, y = X[train_idx], y[train_idx]
            if sample_weight is not None:
                sample_weight = sample_weight[train_idx]

        n_samples = X.shape[0]
        if self.batch_size != "auto" and self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` less than 1 or larger than "
                "sample size. It is going to be clipped"
            )
        batch_size = self._batch_rows(n_samples)

        net = Network(
            run.layout,
            params,
            run.hidden_acts,
            run.loss,
            self.out_activation_,
            batch_size,
            run.mask,
            # The optimizer's scratch is free while the gradient is computed.
            work=optimizer._step,
        )
        # One objective for every solver and batch size:
        #   J = sum_i s_i loss_i / S + alpha / (2 S) * ||W||^2,  S = sum_i s_i.
        # A batch b estimates its data term without bias by dividing its weighted
        # loss sum by |b| * S / n (the batch's share of the total weight on
        # average), so a batch whose weights are all zero simply contributes no
        # data gradient, and alpha means the same penalty as for lbfgs.
        total_weight = (
            n_samples if sample_weight is None else float(sample_weight.sum())
        )
        l2 = self.alpha / total_weight

        # Shuffle the row order once per epoch and gather the rows of a few
        # batches at a time into reused buffers (about _GATHER_BYTES of X),
        # so that every batch is a contiguous slice: one copy per row and
        # epoch, with little extra memory. mode="clip" (the indices are valid)
        # lets np.take write straight into ``out``; the default mode="raise"
        # gathers into a temporary first.
        dense = not sp.issparse(X)
        order = np.arange(n_samples)
        row_bytes = X.shape[1] * X.dtype.itemsize if dense else 0
        batches_per_gather = max(1, _GATHER_BYTES // max(1, batch_size * row_bytes))
        gather_rows = min(n_samples, batch_size * batches_per_gather)
        if self.shuffle:
            X_buf = np.empty((gather_rows, X.shape[1]), X.dtype) if dense else None
            y_buf = np.empty((gather_rows, y.shape[1]), y.dtype)
            sw_buf = (
                None
                if sample_weight is None
                else np.empty(gather_rows, sample_weight.dtype)
            )
        # Compact targets (a classifier's booleans) are widened to the
        # parameters' dtype once per gathered chunk rather than per batch.
        y_wide = (
            None
            if y.dtype == params.dtype
            else np.empty((gather_rows, y.shape[1]), params.dtype)
        )
        # The batch normaliser |b| * S / n (see above) for a full batch.
        full_norm = batch_size * total_weight / n_samples
        loss_grad, update, grad = net.loss_grad, optimizer.update_params, net.grad

        if not incremental:
            self.n_iter_ = 0
        # ``_best_params`` holds the best parameters seen so far: those at the
        # end of the epoch with the lowest training loss, or with the best
        # validation score under early stopping. A divergence or an
        # interruption falls back to them; early stopping restores them at the
        # end. Without a validation set, an epoch's final parameters become the
        # best only once the next batch has shown that their loss is finite
        # (the last step of an epoch is never evaluated within it): until then
        # they are ``pending``.
        self._best_params = params.copy()
        pending = False
        interrupted = False
        try:
            for _ in range(self.max_iter):
                run.callbacks.begin_epoch()
                if self.shuffle:
                    run.rng.shuffle(order)

                accumulated_loss = 0.0
                for lo in range(0, n_samples, gather_rows):
                    hi = min(lo + gather_rows, n_samples)
                    if self.shuffle:
                        rows = order[lo:hi]
                        if dense:
                            X_part = np.take(
                                X, rows, axis=0, out=X_buf[: hi - lo], mode="clip"
                            )
                        else:
                            X_part = X[rows]
                        y_part = np.take(
                            y, rows, axis=0, out=y_buf[: hi - lo], mode="clip"
                        )
                        sw_part = (
                            None
                            if sample_weight is None
                            else np.take(
                                sample_weight,
                                rows,
                                out=sw_buf[: hi - lo],
                                mode="clip",
                            )
                        )
                    else:
                        X_part, y_part = X[lo:hi], y[lo:hi]
                        sw_part = (
                            None if sample_weight is None else sample_weight[lo:hi]
                        )
                    if y_wide is not None:
                        np.copyto(y_wide[: hi - lo], y_part)
                        y_part = y_wide[: hi - lo]
                    for start in range(0, hi - lo, batch_size):
                        stop = min(start + batch_size, hi - lo)
                        size = stop - start
                        X_batch = X_part[start:stop]
                        batch_loss = loss_grad(
                            X_batch,
                            y_part[start:stop],
                            None if sw_part is None else sw_part[start:stop],
                            full_norm
                            if size == batch_size
                            else size * total_weight / n_samples,
                            l2,
                        )
                        if not math.isfinite(batch_loss):
                            raise _Diverged
                        if pending:
                            self._best_params[:] = params
                            pending = False
                        accumulated_loss += batch_loss * size
                        update(params, grad)
                if not np.isfinite(params).all():
                    raise _Diverged

                self.n_iter_ += 1
                self.loss_ = accumulated_loss / n_samples
                self.t_ += n_samples
                val_loss, val_score = self._validate_epoch(run, net)
                stop = self._record(
                    run, self.loss_, optimizer.learning_rate, val_loss, val_score
                )
                pending = self._update_no_improvement_count(val_score)
                if stop:
                    break
                optimizer.iteration_ends(self.t_)

                if self._no_improvement_count > self.n_iter_no_change:
                    if self.early_stopping:
                        msg = (
                            "Validation score did not improve more than "
                            f"tol={self.tol:f} for {self.n_iter_no_change} "
                            "consecutive epochs."
                        )
                    else:
                        msg = (
                            f"Training loss did not improve more than tol={self.tol:f}"
                            f" for {self.n_iter_no_change} consecutive epochs."
                        )
                    if optimizer.trigger_stopping(msg, self.verbose):
                        break
                    self._no_improvement_count = 0

                if incremental:
                    break
                if self.n_iter_ == self.max_iter:
                    warnings.warn(
                        f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                        "reached and the optimization hasn't converged yet.",
                        ConvergenceWarning,
                    )
            # The last step was never evaluated: finite weights can still be
            # large enough to overflow the outputs. One forward pass over the
            # last batch tells; if it overflows, fall back to the best epoch.
            if not np.isfinite(net.forward(X_batch)).all():
                raise _Diverged
            if pending:
                self._best_params[:] = params
        except KeyboardInterrupt:
            run.callbacks.abandon_epoch()
            interrupted = True
            params[:] = self._best_params
            if self.best_loss_ is not None and math.isfinite(self.best_loss_):
                self.loss_ = self.best_loss_
            warnings.warn(
                f"Training interrupted by user after {self.n_iter_} epochs: the "
                "estimator keeps the best parameters seen so far.",
                UserWarning,
            )
        except _Diverged:
            run.callbacks.abandon_epoch()
            params[:] = self._best_params
            # Momentum or Adam moments may hold non-finite values: start afresh.
            self._optimizer = None
            if self.best_loss_ is not None:
                self.loss_ = self.best_loss_
            warnings.warn(
                f"Training diverged after {self.n_iter_} epochs: the loss, the "
                "weights or the outputs overflowed to inf or NaN. The estimator "
                "keeps the best parameters it evaluated. The step size "
                "is probably "
                f"too large for this data (learning_rate_init="
                f"{self.learning_rate_init}): try a smaller learning_rate_init, "
                "standardising X (and y for regression) with StandardScaler, or "
                "solver='adam' or 'lbfgs'.",
                ConvergenceWarning,
            )

        if self.early_stopping and not interrupted:
            params[:] = self._best_params
        del self._best_params
        return interrupted

    def _validate_epoch(self, run, net):
        """Validation loss and score after an epoch (None, None without a
        validation set). The score is the one early stopping maximises."""
        if run.X_val is None:
            return None, None
        X_val, y_val, sw_val = run.X_val, run.y_val, run.sw_val
        outputs = [
            net.forward(X_val[rows]).copy()
            for rows in gen_batches(X_val.shape[0], net.activations[0].shape[0])
        ]
        output = np.vstack(outputs)
        total = X_val.shape[0] if sw_val is None else sw_val.sum()
        val_loss = LOSSES[run.loss](y_val, output, sw_val) / total
        if run.scorer is None:
            val_score = self._validation_score(output, y_val, sw_val)
        elif run.scorer == "loss":
            val_score = -val_loss
        else:
            with warnings.catch_warnings():
                # The validation rows are already a validated array.
                warnings.filterwarnings("ignore", "X does not have valid feature")
                kwargs = {} if sw_val is None else {"sample_weight": sw_val}
                val_score = float(
                    run.scorer(self, X_val, self._decode_targets(y_val), **kwargs)
                )
        return float(val_loss), float(val_score)

    def _decode_targets(self, y):
        """Encoded targets back to what the user passed (labels for classifiers)."""
        return y.ravel() if y.shape[1] == 1 else y

    def _update_no_improvement_count(self, val_score):
        """Count epochs without progress and keep track of the best parameters.

        Returns True when the epoch's training loss is the lowest so far
        (without a validation set): its final parameters are the new best,
        pending one finite evaluation. Under early stopping the best validation
        score's parameters are copied here, since the score evaluated them.
        """
        if self.early_stopping:
            self.validation_scores_.append(val_score)
            if not val_score >= self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if val_score > self.best_validation_score_:
                self.best_validation_score_ = val_score
                self._best_params[:] = self._params
            return False
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        if self.loss_curve_[-1] < self.best_loss_:
            self.best_loss_ = self.loss_curve_[-1]
            return True
        return False

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
        return validate_data(
            self,
            X,
            accept_sparse=["csr", "csc"],
            reset=False,
            dtype=(np.float64, np.float32),
        )

    def _forward_fast(self, X, check_input=True):
        """Network output for X, computed in chunks of rows.

        A chunk fits in scikit-learn's ``working_memory`` and each of its
        layer buffers in about ``_PREDICT_CHUNK_BYTES``: small enough to stay
        in cache between the matrix product and the activation, large enough
        for the matrix product to run at full speed.
        """
        if check_input:
            X = self._check_predict_input(X)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        units = [b.shape[0] for b in self.intercepts_]
        n = X.shape[0]
        chunk = max(1, _PREDICT_CHUNK_BYTES // (max(units) * dtype.itemsize))
        if n > chunk:
            chunk = min(
                chunk,
                get_chunk_n_rows(
                    row_bytes=2 * sum(units) * dtype.itemsize, max_n_rows=n
                ),
            )
        chunk = max(1, min(chunk, n))
        buffers = [np.empty((chunk, u), dtype=dtype) for u in units]
        acts = self._hidden_activations_
        if chunk == n:
            # One chunk: the last buffer is the output.
            return forward(
                X, self.coefs_, self.intercepts_, acts, self.out_activation_, buffers
            )
        out = np.empty((n, units[-1]), dtype=dtype)
        for rows in gen_batches(n, chunk):
            out[rows] = forward(
                X[rows],
                self.coefs_,
                self.intercepts_,
                acts,
                self.out_activation_,
                buffers,
            )
        return out

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
        X = self._check_predict_input(X)
        dtype = np.result_type(X.dtype, self.coefs_[0].dtype)
        acts = self._hidden_activations_
        n = X.shape[0]
        units = [b.shape[0] for b in self.intercepts_]
        buffers = [np.empty((n, u), dtype=dtype) for u in units]
        pre = [np.empty((n, u), dtype=dtype) for u in units[:-1]]
        # The identity output keeps the final pre-activation: the squiggle.
        forward(X, self.coefs_, self.intercepts_, acts, "identity", buffers, pre)
        last_hidden = buffers[-2] if len(units) > 1 else X
        if sp.issparse(last_hidden):
            last_hidden = last_hidden.toarray()
        contributions = last_hidden[:, :, None] * self.coefs_[-1][None, :, :]
        return Bunch(
            pre_activations=pre,
            activations=buffers[:-1],
            contributions=contributions,
            intercept=self.intercepts_[-1].copy(),
            output=buffers[-1],
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # ------------------------------------------------------------------
    # Pickling: the optimizer's state travels as plain data (its kind and
    # public attributes: numbers, strings and arrays), so that skops.io
    # trusts everything in a fitted estimator but the estimator's own class.

    def __getstate__(self):
        # A copy: object.__getstate__ returns the instance's own __dict__.
        state = dict(super().__getstate__())
        optimizer = state.get("_optimizer")
        for kind, cls in OPTIMIZERS.items():
            if type(optimizer) is cls:
                public = {k: v for k, v in vars(optimizer).items() if k[0] != "_"}
                state["_optimizer"] = {"kind": kind, **public}
        return state

    def __setstate__(self, state):
        optimizer = state.get("_optimizer")
        if isinstance(optimizer, dict):
            optimizer = dict(optimizer)
            # The constructor allocates the scratch buffers for the parameters.
            restored = OPTIMIZERS[optimizer.pop("kind")](state["_params"])
            vars(restored).update(optimizer)
            state = {**state, "_optimizer": restored}
        super().__setstate__(state)

    def _check_solver(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic optimizers. "
                f"{self.solver!r} is not stochastic: lbfgs always trains on the "
                "whole data set, use fit."
            )
        return True
