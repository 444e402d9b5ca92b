"""The stochastic solvers' loop: minibatch sgd and adam, epoch by epoch.

One epoch: shuffle and gather the batches (``batches``), evaluate the loss
and gradient of each (``Network.loss_grad``) against the objective's
normaliser (``Objective``), step (the optimizer and its schedule); then
score the validation set (``validation``), record the epoch (``monitor``)
and decide whether to stop (``stopping``).
"""

import math

import numpy as np

from .._nn.layout import ParameterLayout
from .._nn.losses import LOSSES
from .._nn.network import Network
from .._nn.objective import Objective
from .batches import Batches, batch_rows
from .optimizers import OPTIMIZERS
from .schedules import StepRules
from .stopping import (
    Diverged,
    Stopping,
    raise_nothing_finite,
    warn_diverged,
    warn_interrupted,
    warn_max_iter,
)
from .validation import Validation, split_validation


def fit_stochastic(problem, settings, state, monitor, score):
    """Train ``problem.params`` in place with sgd or adam.

    Parameters
    ----------
    problem : Problem
    settings : Settings
    state : TrainingState
        Where the run stands (fresh, or left by the previous call); updated
        in place and returned.
    monitor : Monitor
    score : callable
        The validation score (see :class:`~.validation.Validation`).

    Returns
    -------
    state : TrainingState
    interrupted : bool
        Whether the user interrupted training (Ctrl-C).
    """
    params = problem.params
    optimizer = _optimizer_for(
        state.optimizer, params, settings, ParameterLayout.of(problem.layers)
    )
    state.optimizer = optimizer
    (X, y, sample_weight), validation = _training_rows(problem, settings, score)
    if validation is None and settings.early_stopping:
        # No validation set after all: track the training loss instead.
        state.validation_scores = state.best_validation_score = None
        state.best_loss = np.inf
    batch_size = batch_rows(
        settings.batch_size, X.shape[0], warn=settings.warn_batch_size
    )
    net = Network(
        problem.layers, params, batch_size, problem.loss, problem.trainable_mask
    )
    objective = Objective(settings.alpha, X.shape[0], sample_weight)
    batches = Batches(
        X, y, sample_weight, batch_size, settings.shuffle, problem.rng, params.dtype
    )
    stopping = Stopping(
        params,
        state,
        settings.tol,
        settings.n_iter_no_change,
        validation is not None,
        settings.best_epoch_ties,
    )
    if not settings.incremental:
        state.n_iter = 0
    rules = StepRules.for_training(
        optimizer, net, settings, settings.max_iter * batches.n_batches
    )
    interrupted = False
    try:
        last_batch = _run_epochs(
            net, batches, optimizer, objective, stopping, validation, state,
            monitor, settings, rules,
        )  # fmt: skip
        # The last step was never evaluated: finite weights can still be
        # large enough to overflow the outputs. One forward pass over the last
        # batch tells; if it overflows, fall back to the best epoch.
        if not np.isfinite(net.forward(last_batch)).all():
            raise Diverged
        stopping.training_ends()
        if settings.calibrate and validation is not None:
            state.temperature = validation.temperature(net)
    except KeyboardInterrupt:
        interrupted = True
        _recover_from_interrupt(stopping, state, monitor)
    except Diverged as diverged:
        _recover_from_divergence(diverged, stopping, state, monitor, settings)
    return state, interrupted


def _recover_from_interrupt(stopping, state, monitor):
    """Ctrl-C: keep the best epoch so far (its loss too) and warn."""
    monitor.abandon_epoch()
    stopping.restore_best()
    if state.best_loss is not None and math.isfinite(state.best_loss):
        state.loss = state.best_loss
    warn_interrupted(state.n_iter)


def _recover_from_divergence(diverged, stopping, state, monitor, settings):
    """Non-finite loss or outputs: raise if nothing finite was ever reached,
    else fall back to the best epoch, drop the optimizer and warn."""
    monitor.abandon_epoch()
    if diverged.at_start:
        raise_nothing_finite()
    stopping.restore_best()
    # Momentum or Adam moments may hold non-finite values: start afresh.
    state.optimizer = None
    if state.best_loss is not None:
        state.loss = state.best_loss
    warn_diverged(state.n_iter, settings.learning_rate_init)


def _optimizer_for(optimizer, params, settings, layout):
    """The optimizer to continue with (warm_start and partial_fit keep
    momentum, Adam's moments and step count, the adaptive rate), or a new
    one when there is none for this solver and parameter vector; with the
    layers' learning-rate factors."""
    if not (
        isinstance(optimizer, OPTIMIZERS[settings.solver]) and optimizer.matches(params)
    ):
        optimizer = OPTIMIZERS[settings.solver].from_settings(params, settings)
    optimizer.lr_factors = layout.lr_factors(params.dtype)
    optimizer.n_penalised = layout.n_penalised
    return optimizer


def _training_rows(problem, settings, score):
    """The rows to train on and the :class:`Validation` of early stopping
    (None without it).

    A split by content (the tabular estimators') that cannot hold out two
    rows without splitting duplicates, or leaves nothing to train on, gives
    no validation set: all rows train and the last epoch is kept.
    """
    rows = (problem.X, problem.y, problem.sample_weight)
    if not settings.early_stopping:
        return rows, None
    train, (X_val, y_val, sw_val) = split_validation(
        *rows,
        settings.validation_fraction,
        problem.rng,
        problem.stratify,
        by_content=settings.content_split,
    )
    if settings.content_split and (X_val.shape[0] < 2 or train[0].shape[0] < 1):
        return rows, None
    return train, Validation(X_val, y_val, sw_val, LOSSES[problem.loss], score)


def _run_epochs(
    net,
    batches,
    optimizer,
    objective,
    stopping,
    validation,
    state,
    monitor,
    settings,
    rules,
):
    """Epochs until the patience, the callbacks or ``max_iter`` stop them;
    returns the last batch's rows. ``rules`` (or None) change training
    between batches, at the step counted from the first epoch of the
    schedule (partial_fit's calls continue it)."""
    n_samples = batches.n_samples
    for epoch in range(settings.max_iter):
        monitor.begin_epoch()
        loss_sum, last_batch = _train_epoch(
            net,
            batches,
            optimizer,
            objective,
            stopping,
            first=epoch == 0,
            rules=rules,
            step=state.n_iter * batches.n_batches,
        )
        state.n_iter += 1
        state.loss = loss_sum / n_samples
        state.t += n_samples
        val_loss, val_score = (
            (None, None) if validation is None else validation.evaluate(net)
        )
        stop = monitor.record(
            state.n_iter, state.loss, optimizer.learning_rate, val_loss, val_score
        )
        stopping.epoch_ends(state.loss, val_score)
        if stop:
            break
        optimizer.schedule.epoch_ends(state.t)
        message = stopping.plateau()
        if message is not None:
            stop, note = optimizer.schedule.on_plateau()
            monitor.note(message + note)
            if stop:
                break
            stopping.restart_patience()
        if settings.incremental:
            break
        if state.n_iter == settings.max_iter and not settings.fixed_epochs:
            warn_max_iter(settings.max_iter)
    return last_batch


def _train_epoch(net, batches, optimizer, objective, stopping, first, rules, step):
    """One pass over the batches: evaluate, check, step. Returns the sum of
    the batch losses weighted by batch size, and the last batch's rows.

    ``rules`` (or None) set the learning rate, weight decay and dropout
    before each batch, the ``step``-th of training for the first.

    Raises Diverged at a non-finite loss or parameter (``at_start`` when it
    is the first batch of the ``first`` epoch: nothing finite was seen).
    """
    loss_grad, update, grad, params = (
        net.loss_grad,
        optimizer.update_params,
        net.grad,
        net.params,
    )
    l2 = objective.l2
    loss_sum = 0.0
    for index, (X_batch, y_batch, sw_batch) in enumerate(batches.epoch()):
        if rules is not None:
            rules(step + index)
        size = X_batch.shape[0]
        batch_loss = loss_grad(
            X_batch, y_batch, sw_batch, objective.batch_normaliser(size), l2
        )
        if not math.isfinite(batch_loss):
            raise Diverged(at_start=first and index == 0)
        if stopping.pending:
            stopping.confirm_pending()
        loss_sum += batch_loss * size
        update(params, grad)
    if not np.isfinite(params).all():
        raise Diverged
    return loss_sum, X_batch
