"""
Backpropagation on one bias: the pink curve
===========================================

The lesson's second part estimates the last bias b3 of its network by
gradient descent, with every other weight and bias already optimal. The sum
of squared residuals (SSR) as a function of b3 is the pink curve; gradient
descent follows its slope, dSSR/db3, with steps that shrink as the curve
flattens.

Here the steps are the library's own. ``trainable`` freezes everything but b3
and each ``partial_fit`` of a plain gradient-descent regressor takes one step.
The estimators minimise ``SSR / (2 n)`` rather than the SSR, so the lesson's
learning rate of 0.1 on the SSR becomes ``learning_rate_init = 0.1 * 2 * n =
0.6`` with ``n = 3`` samples, ``momentum=0``, ``batch_size=3``,
``shuffle=False`` and ``alpha=0``.
"""

# %%
# The network with b3 = 0, everything frozen
# ------------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle.plotting import LossLandscapeDisplay, SquiggleDisplay

dosage = np.array([[0.0], [0.5], [1.0]])
effective = np.array([0.0, 1.0, 0.0])
w1, b1, w2, b2, w3, w4 = 3.34, -1.43, -3.53, 0.57, -1.22, -2.30

reg = SquiggleRegressor(
    hidden_layer_sizes=(2,),
    activation="softplus",
    solver="sgd",
    learning_rate_init=0.1 * 2 * len(dosage),
    momentum=0.0,
    batch_size=len(dosage),
    shuffle=False,
    alpha=0.0,
    coefs_init=[np.array([[w1, w2]]), np.array([[w3], [w4]])],
    intercepts_init=[np.array([b1, b2]), np.array([0.0])],
    trainable={"coefs": [False, False], "intercepts": [False, False]},
).partial_fit(dosage, effective)
print("predictions with b3 = 0:", np.round(reg.predict(dosage), 2))

# %%
# Gradient descent on b3 alone
# ----------------------------
# Unfreeze b3 and take steps until the step size is close to zero.
reg.set_params(trainable={"coefs": [False, False], "intercepts": [False, True]})
steps = [0.0]
while True:
    reg.partial_fit(dosage, effective)
    steps.append(reg.intercepts_[1][0])
    if abs(steps[-1] - steps[-2]) < 1e-3:
        break
print("b3:", " -> ".join(f"{b:.2f}" for b in steps))

# %%
# The pink curve and the steps
# ----------------------------
# :class:`~sknn_squiggle.plotting.LossLandscapeDisplay` sets b3
# (``intercepts_[1][0]``) to each value, keeps the rest, and evaluates the
# SSR with the library's forward pass; the tangents have the slopes that
# backpropagation computes.
fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
display = LossLandscapeDisplay.from_estimator(
    reg,
    dosage,
    effective,
    parameter=("intercepts", 1, 0),
    values=np.linspace(-0.5, 4, 200),
    steps=steps,
    loss="ssr",
    show_tangents=True,
    ax=axes[0],
)
display.ax_.set_xlabel("b3")
display.ax_.set_title("Sum of squared residuals as a function of b3")
print("dSSR/db3 at each step:", ", ".join(f"{s:.2f}" for s in display.step_slopes))

# %%
# The squiggle after the last step fits the data.
SquiggleDisplay.from_estimator(reg, dosage, effective, ax=axes[1])
axes[1].set_xlabel("dosage")
axes[1].set_title(f"The squiggle with b3 = {steps[-1]:.2f}")
fig.tight_layout()
