"""Stochastic optimizers working on one flat parameter vector.

These are plain classes, not estimators. The difference from scikit-learn's
``neural_network/_stochastic_optimizers.py`` is the storage: all weights and
biases live in one contiguous array, so a step is a handful of in-place
vector operations on preallocated state instead of a Python loop over layers
building new arrays. The step size comes from a schedule
(:mod:`sknn_squiggle._training.schedules`).

``state()`` is an optimizer's whole state as plain data (its kind, numbers,
strings and arrays): pickling and the model files both store it, and
``OPTIMIZERS[kind].from_state(params, state)`` rebuilds the optimizer.
``STATE`` names the optimizer's own fields and the kind of value each holds
("real", "bool", "count", or "array": one entry per parameter). Adding an
optimizer is one class here and one entry in :data:`OPTIMIZERS`.
"""

import math

import numpy as np

from .schedules import SCHEDULES


class _Optimizer:
    """What every optimizer shares: its plain-data state, per-parameter
    learning-rate factors and decoupled weight decay.

    Two attributes (set by the solver, off by default) refine every step:

    - ``lr_factors``: a flat vector multiplying each parameter's step (its
      layer's learning-rate factor), or None;
    - ``weight_decay`` (``lambda``, with ``n_penalised``): decoupled weight
      decay (Loshchilov and Hutter, 2019) of the penalised block, before the
      step, ``theta_W <- theta_W (1 - eta f lambda)`` with ``eta`` the
      schedule's rate and ``f`` the entries' factors (each factor once).
    """

    kind = None
    STATE = {}
    lr_factors = None
    weight_decay = 0.0
    n_penalised = 0

    def _decay(self, params, scratch):
        """``theta_W <- theta_W (1 - eta f lambda)`` on the penalised block."""
        P = self.n_penalised
        decay = np.multiply(
            params[:P], self.schedule.learning_rate * self.weight_decay, out=scratch[:P]
        )
        if self.lr_factors is not None:
            decay *= self.lr_factors[:P]
        params[:P] -= decay

    def state(self):
        """The optimizer's plain-data state, its schedule's included."""
        own = {key: getattr(self, key) for key in self.STATE}
        return {"kind": self.kind, **self.schedule.state(), **own}

    @classmethod
    def from_settings(cls, params, settings):
        """A fresh optimizer over ``params`` for the estimator's settings (a
        :class:`~sknn_squiggle._training.state.Settings`)."""
        raise NotImplementedError

    def matches(self, params):
        """Whether the optimizer's state is one entry per entry of ``params``
        (same size and dtype): warm_start and partial_fit continue with it."""
        return self._step.shape == params.shape and self._step.dtype == params.dtype

    @classmethod
    def from_state(cls, params, state):
        """The optimizer that :meth:`state` describes, over ``params``."""
        schedule = SCHEDULES[state["lr_schedule"]].from_state(state)
        optimizer = cls(params, schedule)
        for key, kind in cls.STATE.items():
            # Arrays are copied: the new optimizer never shares its moments.
            value = np.array(state[key]) if kind == "array" else state[key]
            setattr(optimizer, key, value)
        return optimizer


class SGDOptimizer(_Optimizer):
    """Stochastic gradient descent with (Nesterov) momentum.

    With velocity ``v`` (starting at 0), momentum ``mu`` and learning rate
    ``eta``, each step computes ``v <- mu v - eta g`` and then

    - classical momentum: ``theta <- theta + v``;
    - Nesterov's momentum: ``theta <- theta + mu v - eta g``, the look-ahead
      form used by scikit-learn.

    Parameters
    ----------
    params : ndarray
        The flat parameter vector (only its shape and dtype are used).
    schedule : schedule
        Gives ``eta``.
    momentum : float, default=0.9
    nesterov : bool, default=True
    """

    kind = "sgd"
    STATE = {"momentum": "real", "nesterov": "bool", "velocity": "array"}

    def __init__(self, params, schedule, momentum=0.9, nesterov=True):
        self.schedule = schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.velocity = np.zeros_like(params)
        self._step = np.empty_like(params)
        self._look_ahead = np.empty_like(params)

    @classmethod
    def from_settings(cls, params, settings):
        """sgd with the ``learning_rate`` schedule, ``momentum`` and
        ``nesterovs_momentum``."""
        schedule = SCHEDULES[settings.learning_rate].from_settings(settings)
        return cls(params, schedule, settings.momentum, settings.nesterovs_momentum)

    @property
    def learning_rate(self):
        """The current step size ``eta``."""
        return self.schedule.learning_rate

    def update_params(self, params, grad):
        """Take one step: update ``params`` in place from ``grad``."""
        step, v, mu = self._step, self.velocity, self.momentum
        if self.weight_decay:
            self._decay(params, step)
        np.multiply(grad, self.schedule.learning_rate, out=step)  # step = eta g
        if self.lr_factors is not None:
            step *= self.lr_factors
        v *= mu
        v -= step  # v = mu v - eta g
        if self.nesterov:
            # theta += mu v - eta g, rounded as scikit-learn rounds it.
            look_ahead = np.multiply(v, mu, out=self._look_ahead)
            look_ahead -= step
            params += look_ahead
        else:
            params += v


class AdamOptimizer(_Optimizer):
    """Adam (Kingma and Ba, 2014), in scikit-learn's formulation.

    With first and second moments ``m``, ``v`` (starting at 0), step count
    ``t`` and the schedule's rate ``eta_0``::

        m <- beta_1 m + (1 - beta_1) g
        v <- beta_2 v + (1 - beta_2) g^2
        eta_t = eta_0 sqrt(1 - beta_2^t) / (1 - beta_1^t)
        theta <- theta - eta_t m / (sqrt(v) + epsilon)

    The moments are stored rescaled, ``m' = m / (1 - beta_1)`` and
    ``v' = v / (1 - beta_2)``, which turns their updates into
    ``m' <- beta_1 m' + g`` and ``v' <- beta_2 v' + g^2`` (two vector
    operations saved per step). The constant factors move into scalars::

        theta <- theta - eta_t (1 - beta_1) / sqrt(1 - beta_2)
                         * m' / (sqrt(v') + epsilon / sqrt(1 - beta_2))

    which is the same step up to rounding.

    Parameters
    ----------
    params : ndarray
        The flat parameter vector (only its shape and dtype are used).
    schedule : schedule
        Gives ``eta_0``.
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8
    """

    kind = "adam"
    STATE = {
        "beta_1": "real",
        "beta_2": "real",
        "epsilon": "real",
        "t": "count",
        "m": "array",
        "v": "array",
    }

    def __init__(self, params, schedule, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
        self.schedule = schedule
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros_like(params)  # first moment / (1 - beta_1)
        self.v = np.zeros_like(params)  # second moment / (1 - beta_2)
        self._step = np.empty_like(params)

    @classmethod
    def from_settings(cls, params, settings):
        """adam with ``beta_1``, ``beta_2``, ``epsilon`` and the schedule
        ``adam_learning_rate`` names (scikit-learn's ``learning_rate``
        schedules are for sgd; its adam's rate is constant)."""
        schedule = SCHEDULES[settings.adam_learning_rate].from_settings(settings)
        return cls(params, schedule, settings.beta_1, settings.beta_2, settings.epsilon)

    @property
    def learning_rate(self):
        """``eta_t``, the bias-corrected step size of the last step (the
        schedule's rate before the first)."""
        if self.t == 0:
            return self.schedule.learning_rate
        return self._bias_corrected_rate()

    def _bias_corrected_rate(self):
        """``eta_t = eta_0 sqrt(1 - beta_2^t) / (1 - beta_1^t)``."""
        b1, b2, t = self.beta_1, self.beta_2, self.t
        return self.schedule.learning_rate * math.sqrt(1 - b2**t) / (1 - b1**t)

    @property
    def first_moment(self):
        """The first moment estimate ``m`` (a new array)."""
        return self.m * (1 - self.beta_1)

    @property
    def second_moment(self):
        """The second moment estimate ``v`` (a new array)."""
        return self.v * (1 - self.beta_2)

    def update_params(self, params, grad):
        """Take one step: update ``params`` in place from ``grad``."""
        self.t += 1
        b1, b2, m, v, step = self.beta_1, self.beta_2, self.m, self.v, self._step
        if self.weight_decay:
            self._decay(params, step)
        m *= b1
        m += grad
        v *= b2
        np.multiply(grad, grad, out=step)
        v += step
        eta_t = self._bias_corrected_rate()
        root = math.sqrt(1 - b2)
        np.sqrt(v, out=step)
        step += self.epsilon / root
        np.divide(m, step, out=step)
        step *= eta_t * (1 - b1) / root
        if self.lr_factors is not None:
            step *= self.lr_factors
        params -= step


#: Every optimizer by the solver name.
OPTIMIZERS = {cls.kind: cls for cls in (SGDOptimizer, AdamOptimizer)}
