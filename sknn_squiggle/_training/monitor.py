"""Reporting on training, all in one place: the loss curve and ``history_``,
the verbose table and scikit-learn's callbacks.

The solvers call a :class:`Monitor` at the start and end of every epoch (or
lbfgs iteration); it records one row of history, prints it when verbose and
hands over to the callbacks, which may ask training to stop.
"""

import time

try:  # scikit-learn >= 1.9
    from sklearn.callback import CallbackSupportMixin as CallbackSupport  # noqa: F401
    from sklearn.callback import with_callbacks

    CALLBACKS_AVAILABLE = True
except ImportError:  # pragma: no cover - older scikit-learn

    class CallbackSupport:
        pass

    def with_callbacks(method):
        return method

    CALLBACKS_AVAILABLE = False


def verbose_line(iteration, row, solver):
    """One epoch (or lbfgs iteration) of ``history_`` as the verbose line;
    ``iteration`` counts as ``n_iter_`` does.

    It starts as scikit-learn's does, ``Iteration N, loss = %.8f``, so that
    logs read and grep the same, and goes on with what there is, labelled:
    under early stopping scikit-learn's ``Validation score: %f`` and the
    validation loss; the step size (for adam the bias-corrected rate
    ``eta_t = eta_0 sqrt(1 - beta_2^t) / (1 - beta_1^t)``, not the
    ``learning_rate_init`` setting); the seconds since the fit started.
    """
    parts = [f"Iteration {iteration}, loss = {row['loss']:.8f}"]
    if "val_score" in row:
        parts.append(f"Validation score: {row['val_score']:f}")
        parts.append(f"validation loss = {row['val_loss']:.8f}")
    if row["learning_rate"] is not None:
        what = "adam's bias-corrected rate" if solver == "adam" else "learning rate"
        parts.append(f"{what} = {row['learning_rate']:.4e}")
    parts.append(f"{row['seconds']:.2f} s")
    return " | ".join(parts)


class CallbackBridge:
    """Reports training to scikit-learn's callbacks (``sklearn.callback``,
    scikit-learn >= 1.9), one task per epoch or lbfgs iteration.

    Without callbacks set (or on older scikit-learn) every method is a no-op.
    The callbacks see the estimator as training leaves it: its parameters
    are the ones being trained (``_params`` and its views).
    """

    def __init__(self, estimator, X, y, sample_weight, incremental):
        self.estimator = estimator
        self.stopped = False
        self.epoch_ctx = None
        self.active = CALLBACKS_AVAILABLE and hasattr(estimator, "_skl_callbacks")
        if not self.active:
            return
        self.X, self.y = X, y
        self.metadata = (
            None if sample_weight is None else {"sample_weight": sample_weight}
        )
        n_starts = getattr(estimator, "n_init", 1)
        max_epochs = 1 if incremental else estimator.max_iter * n_starts
        if estimator.solver == "lbfgs":
            max_epochs += n_starts  # scipy's callback opens one extra task
        self.ctx = estimator._init_callback_context(max_subtasks=max_epochs)
        self.ctx.call_on_fit_task_begin(
            estimator=estimator, X=X, y=y, metadata=self.metadata
        )

    def _fitted_attributes(self):
        return self.estimator._parameter_attributes(self.estimator._params.copy())

    def _call(self, ctx, method):
        return getattr(ctx, method)(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=self._fitted_attributes,
        )

    def begin_epoch(self):
        if not self.active:
            return
        self.epoch_ctx = self.ctx.subcontext(task_name="epoch")
        self._call(self.epoch_ctx, "call_on_fit_task_begin")

    def end_epoch(self):
        """End the current epoch's task; True if a callback asks to stop."""
        if not self.active or self.epoch_ctx is None:
            return False
        ctx, self.epoch_ctx = self.epoch_ctx, None
        self.stopped = bool(self._call(ctx, "call_on_fit_task_end"))
        return self.stopped

    def abandon_epoch(self):
        """End a task that did not run to completion, without results."""
        if self.active and self.epoch_ctx is not None:
            self.epoch_ctx.call_on_fit_task_end(estimator=self.estimator)
            self.epoch_ctx = None

    def end_fit(self):
        if self.active:
            self._call(self.ctx, "call_on_fit_task_end")


class Monitor:
    """The loss curve, the history rows, the verbose table and the callbacks
    of one call to fit.

    Parameters
    ----------
    verbose : bool
    callbacks : CallbackBridge
    solver : str
        The solver's name (what the verbose lines call the step size).
    """

    def __init__(self, verbose, callbacks, solver):
        self.verbose = verbose
        self.callbacks = callbacks
        self.solver = solver
        self.start = time.perf_counter()

    def start_run(self, state):
        """Record into ``state`` (its ``loss_curve`` and ``history``) from
        now on; the clock of the ``seconds`` column restarts."""
        self.state = state
        self.start = time.perf_counter()

    def begin_epoch(self):
        self.callbacks.begin_epoch()

    def abandon_epoch(self):
        self.callbacks.abandon_epoch()

    @property
    def watching(self):
        """Whether callbacks look at the parameters between epochs."""
        return self.callbacks.active

    @property
    def stopped(self):
        """Whether a callback asked training to stop."""
        return self.callbacks.stopped

    def record(self, iteration, loss, learning_rate, val_loss=None, val_score=None):
        """Log one epoch (or lbfgs iteration): loss curve, history, verbose
        line and callbacks. Returns True if a callback asks to stop.

        ``iteration`` counts as ``n_iter_`` does (the verbose line names it);
        the history row's ``"epoch"`` counts every row the history holds.
        """
        self.state.loss_curve.append(loss)
        row = {
            "epoch": len(self.state.history) + 1,
            "loss": loss,
            "learning_rate": learning_rate,
            "seconds": time.perf_counter() - self.start,
        }
        if val_score is not None:
            row["val_loss"] = val_loss
            row["val_score"] = val_score
        self.state.history.append(row)
        if self.verbose:
            print(verbose_line(iteration, row, self.solver))
        return self.callbacks.end_epoch()

    def note(self, message):
        """Print a message about training when verbose."""
        if self.verbose:
            print(message)

    def end_fit(self):
        self.callbacks.end_fit()
