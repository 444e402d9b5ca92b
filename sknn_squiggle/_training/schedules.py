"""Learning-rate schedules: plain objects the optimizers read their step size
from, and the rules that change training between batches.

Each schedule is built from the estimator's settings (``from_settings``),
holds the current rate ``learning_rate`` and changes it at two moments of
training:

- ``epoch_ends(time_step)``, after every epoch (``time_step`` counts the
  training samples seen so far);
- ``on_plateau()``, when ``n_iter_no_change`` epochs in a row failed to
  improve by ``tol``: it returns ``(stop, note)``, whether training stops and
  what the verbose output adds to the stopping message.

``state()`` is its plain-data state (its name and the fields of ``STATE``,
each with the kind of value it holds), which pickling and model files store;
``SCHEDULES[state["lr_schedule"]].from_state(state)`` rebuilds it. Adding a
schedule is one class here and one entry in :data:`SCHEDULES`.
"""

import numpy as np


class ConstantSchedule:
    """``eta_t = eta_0`` for every step.

    Parameters
    ----------
    learning_rate_init : float
        ``eta_0``.
    """

    name = "constant"
    STATE = {"learning_rate_init": "real", "learning_rate": "real"}
    #: Whether the rate changes between batches (``at_progress``) rather
    #: than between epochs.
    per_step = False

    def __init__(self, learning_rate_init):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)

    @classmethod
    def from_settings(cls, settings):
        """The schedule for the estimator's settings (a
        :class:`~sknn_squiggle._training.state.Settings`)."""
        return cls(settings.learning_rate_init)

    def epoch_ends(self, time_step):
        """Nothing changes between epochs."""

    def on_plateau(self):
        """Training stops once it stops improving."""
        return True, " Stopping."

    def state(self):
        """The schedule's plain-data state."""
        return {"lr_schedule": self.name, **{k: getattr(self, k) for k in self.STATE}}

    @classmethod
    def from_state(cls, state):
        """The schedule that :meth:`state` describes."""
        schedule = cls.__new__(cls)
        for key in cls.STATE:
            setattr(schedule, key, state[key])
        return schedule


class InvScalingSchedule(ConstantSchedule):
    """``eta = eta_0 / (t + 1) ** power_t``, ``t`` the samples seen, updated
    after every epoch.

    Parameters
    ----------
    learning_rate_init : float
        ``eta_0``.
    power_t : float, default=0.5
        The exponent.
    """

    name = "invscaling"
    STATE = {**ConstantSchedule.STATE, "power_t": "real"}

    def __init__(self, learning_rate_init, power_t=0.5):
        super().__init__(learning_rate_init)
        self.power_t = power_t

    @classmethod
    def from_settings(cls, settings):
        """The schedule with the estimator's ``power_t``."""
        return cls(settings.learning_rate_init, settings.power_t)

    def epoch_ends(self, time_step):
        """``eta = eta_0 / (t + 1) ** power_t``."""
        self.learning_rate = (
            float(self.learning_rate_init) / (time_step + 1) ** self.power_t
        )


class AdaptiveSchedule(ConstantSchedule):
    """``eta`` constant while training improves; divided by 5 each time
    ``n_iter_no_change`` epochs fail to improve by ``tol``; training stops
    once it is at or below 1e-6.

    Parameters
    ----------
    learning_rate_init : float
        ``eta_0``.
    """

    name = "adaptive"

    def on_plateau(self):
        """``eta <- eta / 5``, or stop once ``eta <= 1e-6``."""
        if self.learning_rate <= 1e-6:
            return True, " Learning rate too small. Stopping."
        self.learning_rate /= 5.0
        return False, f" Setting learning rate to {self.learning_rate:f}"


class CosLogSchedule(ConstantSchedule):
    """Four cosine cycles on a logarithmic time axis (RealMLP's "coslog4")::

        eta(t) = eta_0 (1 - cos(2 pi log2(1 + 15 t))) / 2

    with ``t`` in [0, 1] the fraction of the planned steps taken: the rate
    rises from 0 and falls back to 0 four times, each cycle twice as long as
    the one before, and ends at 0. Updated before every batch.

    Parameters
    ----------
    learning_rate_init : float
        ``eta_0``, the peak rate.
    """

    name = "coslog4"
    per_step = True

    def __init__(self, learning_rate_init):
        super().__init__(learning_rate_init)
        self.learning_rate = 0.0

    def at_progress(self, t):
        """Set the rate for the fraction ``t`` of training done."""
        cycles = np.log2(1.0 + 15.0 * t)
        self.learning_rate = float(
            self.learning_rate_init * 0.5 * (1.0 - np.cos(2.0 * np.pi * cycles))
        )

    def on_plateau(self):
        """The schedule runs its course: training stops once it stalls."""
        return True, " Stopping."


def flat_cos(t):
    """Flat, then half a cosine to 0: 1 for ``t < 1/2``, else
    ``(1 + cos(pi (2 t - 1))) / 2``, with ``t`` in [0, 1] the fraction of
    training done (RealMLP's schedule of dropout and weight decay)."""
    if t < 0.5:
        return 1.0
    return 0.5 * (1.0 + float(np.cos(np.pi * (2.0 * t - 1.0))))


#: The shapes over training of the regularisation (weight decay, dropout).
REGULARISATION_SCHEDULES = {"constant": lambda t: 1.0, "flat_cos": flat_cos}


class StepRules:
    """What changes between batches: the per-step learning-rate schedule,
    the decoupled weight decay and the dropout rates, each at the fraction
    ``t = step / total_steps`` of training done.

    Parameters
    ----------
    optimizer : optimizer
        Its ``schedule`` (when per step) and ``weight_decay`` are set.
    dropout_layers : list
        Bound dropout layers, whose ``p`` is set.
    weight_decay : float
        The decay at full strength.
    shape : str
        A key of :data:`REGULARISATION_SCHEDULES`, the strength over training.
    total_steps : int
        The planned number of steps.
    """

    def __init__(self, optimizer, dropout_layers, weight_decay, shape, total_steps):
        self.optimizer = optimizer
        self.schedule = optimizer.schedule if optimizer.schedule.per_step else None
        self.dropout = [(layer, layer.p) for layer in dropout_layers]
        self.weight_decay = weight_decay
        self.strength = REGULARISATION_SCHEDULES[shape]
        self.total_steps = max(1, total_steps)

    @classmethod
    def for_training(cls, optimizer, net, settings, total_steps):
        """The rules, or None when nothing changes between batches."""
        dropout = [layer for layer in net.dropout_layers if layer.p > 0]
        if not (optimizer.schedule.per_step or dropout or settings.weight_decay):
            return None
        return cls(
            optimizer,
            dropout,
            settings.weight_decay,
            settings.regularisation_schedule,
            total_steps,
        )

    def __call__(self, step):
        t = min(step / self.total_steps, 1.0)
        if self.schedule is not None:
            self.schedule.at_progress(t)
        strength = self.strength(t)
        self.optimizer.weight_decay = self.weight_decay * strength
        for layer, p in self.dropout:
            layer.p = p * strength


#: Every schedule by the name the estimators' ``learning_rate`` uses.
SCHEDULES = {
    cls.name: cls
    for cls in (ConstantSchedule, InvScalingSchedule, AdaptiveSchedule, CosLogSchedule)
}
