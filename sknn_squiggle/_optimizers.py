"""Stochastic optimizers working on one flat parameter vector.

These are plain classes, not estimators, with the interface of scikit-learn's
``neural_network/_stochastic_optimizers.py`` (``update_params``,
``iteration_ends``, ``trigger_stopping``). The difference is the storage: all
weights and biases live in one contiguous array, so a step is a handful of
in-place vector operations on preallocated state instead of a Python loop over
layers building new arrays.
"""

import math

import numpy as np


class BaseOptimizer:
    """Gradient descent with a learning rate that may change over time.

    Parameters
    ----------
    learning_rate_init : float
        The initial step size.

    Attributes
    ----------
    learning_rate : float
        The current step size.
    """

    def __init__(self, learning_rate_init=0.1):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)

    def update_params(self, params, grad):
        """Take one step: update ``params`` in place from ``grad``."""
        raise NotImplementedError

    def iteration_ends(self, time_step):
        """Update the schedule at the end of an epoch; ``time_step`` counts
        the training samples seen so far."""

    def trigger_stopping(self, msg, verbose):
        """Decide whether training stops when it has stopped improving.

        Returns
        -------
        is_stopping : bool
            True if training should stop.
        """
        if verbose:
            print(msg + " Stopping.")
        return True


class SGDOptimizer(BaseOptimizer):
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
    learning_rate_init : float, default=0.1
    lr_schedule : {"constant", "invscaling", "adaptive"}, default="constant"
        "invscaling": ``eta = eta_0 / (t + 1) ** power_t`` with ``t`` the
        number of samples seen; "adaptive": divide ``eta`` by 5 each time
        training stops improving, stop once it is below 1e-6.
    momentum : float, default=0.9
    nesterov : bool, default=True
    power_t : float, default=0.5
    """

    def __init__(
        self,
        params,
        learning_rate_init=0.1,
        lr_schedule="constant",
        momentum=0.9,
        nesterov=True,
        power_t=0.5,
    ):
        super().__init__(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros_like(params)
        self._step = np.empty_like(params)
        self._look_ahead = np.empty_like(params)

    def update_params(self, params, grad):
        step, v, mu = self._step, self.velocity, self.momentum
        np.multiply(grad, self.learning_rate, out=step)  # step = eta g
        v *= mu
        v -= step  # v = mu v - eta g
        if self.nesterov:
            # theta += mu v - eta g, rounded as scikit-learn rounds it.
            look_ahead = np.multiply(v, mu, out=self._look_ahead)
            look_ahead -= step
            params += look_ahead
        else:
            params += v

    def iteration_ends(self, time_step):
        if self.lr_schedule == "invscaling":
            self.learning_rate = (
                float(self.learning_rate_init) / (time_step + 1) ** self.power_t
            )

    def trigger_stopping(self, msg, verbose):
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False


class AdamOptimizer(BaseOptimizer):
    """Adam (Kingma and Ba, 2014), in scikit-learn's formulation.

    With first and second moments ``m``, ``v`` (starting at 0) and step count
    ``t``::

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
    learning_rate_init : float, default=0.001
    beta_1, beta_2 : float, default=0.9, 0.999
    epsilon : float, default=1e-8
    """

    def __init__(
        self, params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8
    ):
        super().__init__(learning_rate_init)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.m = np.zeros_like(params)  # first moment / (1 - beta_1)
        self.v = np.zeros_like(params)  # second moment / (1 - beta_2)
        self._step = np.empty_like(params)

    @property
    def first_moment(self):
        """The first moment estimate ``m`` (a new array)."""
        return self.m * (1 - self.beta_1)

    @property
    def second_moment(self):
        """The second moment estimate ``v`` (a new array)."""
        return self.v * (1 - self.beta_2)

    def update_params(self, params, grad):
        self.t += 1
        b1, b2, m, v, step = self.beta_1, self.beta_2, self.m, self.v, self._step
        m *= b1
        m += grad
        v *= b2
        np.multiply(grad, grad, out=step)
        v += step
        self.learning_rate = (
            self.learning_rate_init * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        )
        root = math.sqrt(1 - b2)
        np.sqrt(v, out=step)
        step += self.epsilon / root
        np.divide(m, step, out=step)
        step *= self.learning_rate * (1 - b1) / root
        params -= step


OPTIMIZERS = {"sgd": SGDOptimizer, "adam": AdamOptimizer}
