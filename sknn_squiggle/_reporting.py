"""Reporting on training: the verbose table and scikit-learn's callbacks.

Training itself lives in ``_base.py``; after every epoch (or lbfgs iteration)
it records one row of ``history_`` and hands over to what is here.
"""

from numbers import Integral

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


HISTORY_COLUMNS = (
    "epoch",
    "loss",
    "val_loss",
    "val_score",
    "learning_rate",
    "seconds",
)


def table_row(cells):
    """One line of the verbose table: numbers in fixed-width columns."""
    out = []
    for cell in cells:
        if isinstance(cell, str):
            out.append(f"{cell:>13}")
        elif isinstance(cell, Integral):
            out.append(f"{cell:>13d}")
        elif cell is None:
            out.append(f"{'':>13}")
        else:
            out.append(f"{cell:>13.6g}")
    return " ".join(out)


class CallbackBridge:
    """Reports training to scikit-learn's callbacks (``sklearn.callback``,
    scikit-learn >= 1.9), one task per epoch or lbfgs iteration.

    Without callbacks set (or on older scikit-learn) every method is a no-op.
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
        max_epochs = 1 if incremental else estimator.max_iter * estimator.n_init
        if estimator.solver == "lbfgs":
            max_epochs += estimator.n_init  # scipy's callback opens one extra task
        self.ctx = estimator._init_callback_context(max_subtasks=max_epochs)
        self.ctx.call_on_fit_task_begin(
            estimator=estimator, X=X, y=y, metadata=self.metadata
        )

    def _fitted_attributes(self):
        est = self.estimator
        params = est._params.copy()
        coefs, intercepts = est._layout().views(params)
        return {"_params": params, "coefs_": coefs, "intercepts_": intercepts}

    def begin_epoch(self):
        if not self.active:
            return
        self.epoch_ctx = self.ctx.subcontext(task_name="epoch")
        self.epoch_ctx.call_on_fit_task_begin(
            estimator=self.estimator,
            X=self.X,
            y=self.y,
            metadata=self.metadata,
            reconstruction_attributes=self._fitted_attributes,
        )

    def end_epoch(self):
        """End the current epoch's task; True if a callback asks to stop."""
        if not self.active or self.epoch_ctx is None:
            return False
        ctx, self.epoch_ctx = self.epoch_ctx, None
        self.stopped = bool(
            ctx.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                metadata=self.metadata,
                reconstruction_attributes=self._fitted_attributes,
            )
        )
        return self.stopped

    def abandon_epoch(self):
        """End a task that did not run to completion, without results."""
        if self.active and self.epoch_ctx is not None:
            self.epoch_ctx.call_on_fit_task_end(estimator=self.estimator)
            self.epoch_ctx = None

    def end_fit(self):
        if self.active:
            self.ctx.call_on_fit_task_end(
                estimator=self.estimator,
                X=self.X,
                y=self.y,
                metadata=self.metadata,
                reconstruction_attributes=self._fitted_attributes,
            )
