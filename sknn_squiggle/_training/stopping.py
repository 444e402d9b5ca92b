"""When stochastic training stops, and the best parameters it keeps.

Patience follows scikit-learn: an epoch counts as no progress when its
training loss is above ``best_loss - tol`` (or, under early stopping, its
validation score below ``best_validation_score + tol``); once more than
``n_iter_no_change`` epochs in a row made no progress, the learning-rate
schedule decides (stop, or a smaller rate and a fresh count).

The best parameters so far are the end of the epoch with the lowest
training loss, or with the best validation score under early stopping. A
divergence or an interruption falls back to them; early stopping restores
them at the end. Without a validation set, an epoch's final parameters
become the best only once the next batch has shown that their loss is finite
(the last step of an epoch is never evaluated within it): until then they
are *pending*.
"""

import warnings

from sklearn.exceptions import ConvergenceWarning


class Diverged(Exception):
    """The loss or the parameters became non-finite during training.

    Parameters
    ----------
    at_start : bool, default=False
        Whether not even the first evaluation was finite: there is then no
        finite point to fall back to.
    """

    def __init__(self, at_start=False):
        super().__init__()
        self.at_start = at_start


def raise_nothing_finite():
    """The error of a fit whose every evaluation overflowed (scikit-learn's)."""
    raise ValueError(
        "Solver produced non-finite parameter weights. The input data may contain "
        "large values and need to be preprocessed."
    )


# Under ties="last", validation scores this close to the best (relatively)
# tie with it: weighted averages that differ only by rows of negligible
# weight are not better or worse.
_TIE = 1e-6


class Stopping:
    """Patience, the best parameters, and the messages of stopping.

    Parameters
    ----------
    params : ndarray
        The flat parameters being trained (read, never written, except by
        :meth:`restore_best`).
    state : TrainingState
        Holds the counter and the best loss or score; updated in place.
    tol, n_iter_no_change, early_stopping
        The estimator's settings.
    ties : {"first", "last"}, default="first"
        Which of equally good validation epochs is the best: the first (as
        scikit-learn) or the last (scores within a relative 1e-6 of the best
        tie with it).
    """

    def __init__(
        self, params, state, tol, n_iter_no_change, early_stopping, ties="first"
    ):
        self.params = params
        self.state = state
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.ties = ties
        self.best_params = params.copy()
        self.pending = False

    def confirm_pending(self):
        """A batch evaluated the pending parameters to a finite loss: they
        are the best."""
        self.best_params[:] = self.params
        self.pending = False

    def epoch_ends(self, loss, val_score):
        """Count the epoch as progress or not, and note the best parameters."""
        state, tol = self.state, self.tol
        if self.early_stopping:
            state.validation_scores.append(val_score)
            if not val_score >= state.best_validation_score + tol:
                state.no_improvement_count += 1
            else:
                state.no_improvement_count = 0
            best = state.best_validation_score
            if val_score > best:
                state.best_validation_score = val_score
                # The validation score evaluated them: no need to wait.
                self.best_params[:] = self.params
            elif self.ties == "last" and val_score >= best - _TIE * max(1.0, abs(best)):
                self.best_params[:] = self.params
            return
        if loss > state.best_loss - tol:
            state.no_improvement_count += 1
        else:
            state.no_improvement_count = 0
        if loss < state.best_loss:
            state.best_loss = loss
            self.pending = True

    def plateau(self):
        """The message when training has stopped improving, else None."""
        if self.state.no_improvement_count <= self.n_iter_no_change:
            return None
        if self.early_stopping:
            return (
                f"Validation score did not improve more than tol={self.tol:f} "
                f"for {self.n_iter_no_change} consecutive epochs."
            )
        return (
            f"Training loss did not improve more than tol={self.tol:f} for "
            f"{self.n_iter_no_change} consecutive epochs."
        )

    def restart_patience(self):
        """A smaller learning rate gets a fresh count."""
        self.state.no_improvement_count = 0

    def training_ends(self):
        """The pending parameters of the last epoch are the best; under early
        stopping, the best validation epoch's parameters come back."""
        if self.pending:
            self.confirm_pending()
        if self.early_stopping:
            self.restore_best()

    def restore_best(self):
        """Put the best parameters back into ``params``."""
        self.params[:] = self.best_params


def warn_max_iter(max_iter):
    """The ConvergenceWarning of a run that used all its epochs."""
    warnings.warn(
        f"Stochastic Optimizer: Maximum iterations ({max_iter}) reached and the "
        "optimization hasn't converged yet.",
        ConvergenceWarning,
    )


def warn_interrupted(n_iter, unit="epochs"):
    """The warning of a run stopped by the user (Ctrl-C)."""
    warnings.warn(
        f"Training interrupted by user after {n_iter} {unit}: the estimator "
        "keeps the best parameters seen so far.",
        UserWarning,
    )


def warn_diverged(n_iter, learning_rate_init):
    """The ConvergenceWarning of a run whose loss or weights overflowed."""
    warnings.warn(
        f"Training diverged after {n_iter} epochs: the loss, the weights or the "
        "outputs overflowed to inf or NaN. The estimator keeps the best "
        "parameters it evaluated. The step size is probably too large for this "
        f"data (learning_rate_init={learning_rate_init}): try a smaller "
        "learning_rate_init, standardising X (and y for regression) with "
        "StandardScaler, or solver='adam' or 'lbfgs'.",
        ConvergenceWarning,
    )
