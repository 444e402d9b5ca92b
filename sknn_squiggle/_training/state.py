"""What a training run reads and what it leaves: the problem, the solver's
settings, and the state that carries over between calls to fit and
partial_fit.

The estimator builds these (``BaseSquiggle._fit``), hands them to a solver
(:func:`~sknn_squiggle._training.stochastic.fit_stochastic` or
:func:`~sknn_squiggle._training.lbfgs.fit_lbfgs`) and sets its fitted
attributes from the state the solver returns, in one place.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np


class Problem(NamedTuple):
    """What to train: data, network and parameters.

    Attributes
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    y : ndarray of shape (n_samples, n_outputs)
        Encoded targets (a classifier's one-hot booleans, regression floats).
    sample_weight : ndarray of shape (n_samples,) or None
    layers : list
        The network's layers (:mod:`sknn_squiggle._nn.layers`).
    params : ndarray
        The flat parameter vector, trained in place.
    loss : str
        A key of :data:`~sknn_squiggle._nn.losses.LOSSES`.
    trainable_mask : ndarray of bool or None
        Flat mask of the entries that train (None for all).
    rng : numpy.random.RandomState
        Shuffling and the validation split draw from it.
    stratify : bool
        Whether the validation split keeps the class proportions.
    """

    X: object
    y: np.ndarray
    sample_weight: object
    layers: list
    params: np.ndarray
    loss: str
    trainable_mask: object
    rng: np.random.RandomState
    stratify: bool


class Settings(NamedTuple):
    """The estimator's parameters that the solvers read (see the estimators'
    docstrings for their meaning), and seven that only the tabular estimators
    set: ``weight_decay`` (decoupled, of the penalised parameters),
    ``adam_learning_rate`` (adam's schedule), ``regularisation_schedule``
    (the strength of weight decay and dropout over training),
    ``best_epoch_ties`` ("last": the last of equally good validation epochs
    is restored, "first" as scikit-learn), ``fixed_epochs`` (training
    runs its ``max_iter`` epochs by design: no ConvergenceWarning) and
    ``warn_batch_size`` (scikit-learn's warning when ``batch_size`` exceeds
    the rows) and ``content_split`` (the validation rows are chosen by their
    content, so that weights mean repeated rows).
    """

    solver: str
    alpha: float
    batch_size: object
    learning_rate: str
    learning_rate_init: float
    power_t: float
    max_iter: int
    shuffle: bool
    tol: float
    momentum: float
    nesterovs_momentum: bool
    early_stopping: bool
    validation_fraction: float
    beta_1: float
    beta_2: float
    epsilon: float
    n_iter_no_change: object
    max_fun: int
    incremental: bool
    weight_decay: float = 0.0
    adam_learning_rate: str = "constant"
    regularisation_schedule: str = "constant"
    best_epoch_ties: str = "first"
    fixed_epochs: bool = False
    warn_batch_size: bool = True
    content_split: bool = False


@dataclass
class TrainingState:
    """What one call to fit leaves for the next (warm_start, partial_fit)
    and for the fitted attributes of the same names plus ``_``.

    A new state (:meth:`fresh`) starts a training run from scratch.
    """

    n_iter: int = 0
    t: int = 0
    loss: float = None
    loss_curve: list = field(default_factory=list)
    history: list = field(default_factory=list)
    best_loss: float = None
    validation_scores: list = None
    best_validation_score: float = None
    no_improvement_count: int = 0
    optimizer: object = None

    @classmethod
    def fresh(cls, with_validation):
        """The state before the first epoch; ``with_validation`` when early
        stopping will track a validation score."""
        if with_validation:
            return cls(validation_scores=[], best_validation_score=-np.inf)
        return cls(best_loss=np.inf)
