"""Learning-rate schedules: plain objects the optimizers read their step size
from.

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


class ConstantSchedule:
    """``eta_t = eta_0`` for every step.

    Parameters
    ----------
    learning_rate_init : float
        ``eta_0``.
    """

    name = "constant"
    STATE = {"learning_rate_init": "real", "learning_rate": "real"}

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


#: Every schedule by the name the estimators' ``learning_rate`` uses.
SCHEDULES = {
    cls.name: cls for cls in (ConstantSchedule, InvScalingSchedule, AdaptiveSchedule)
}
