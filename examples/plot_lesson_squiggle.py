"""
The lesson's squiggle, curve by curve
=====================================

A neural network is a big fancy squiggle-fitting machine. This example
reproduces the forward pass of the lesson's network, which has one input (the
dosage of a drug), two softplus units in one hidden layer and one output: each
hidden unit turns the dosage into an x-axis coordinate of its activation
curve, the curve gives the y-axis coordinate, the output layer scales each
curve by a weight, adds them and shifts the sum by a bias.

The weights come from the lesson; we set them with ``coefs_init`` and
``intercepts_init`` and freeze them all with ``trainable``, so that fitting
leaves them exactly as published. ``decompose`` then returns every
intermediate curve.
"""

# %%
# The network of the lesson
# -------------------------
# ``partial_fit`` with every parameter frozen fits the estimator without
# moving anything: the gradient of a frozen parameter is zero.
import matplotlib.pyplot as plt
import numpy as np

from sknn_squiggle import SquiggleRegressor
from sknn_squiggle.plotting import SquiggleDisplay

dosage = np.array([[0.0], [0.5], [1.0]])
effective = np.array([0.0, 1.0, 0.0])

w1, b1, w2, b2, w3, w4, b3 = -34.4, 2.14, -2.52, 1.29, -1.3, 2.28, -0.58
reg = SquiggleRegressor(
    hidden_layer_sizes=(2,),
    activation="softplus",
    solver="sgd",
    coefs_init=[np.array([[w1, w2]]), np.array([[w3], [w4]])],
    intercepts_init=[np.array([b1, b2]), np.array([b3])],
    trainable={"coefs": [False, False], "intercepts": [False, False]},
).partial_fit(dosage, effective)

grid = np.linspace(0, 1, 201)
parts = reg.decompose(grid[:, None])
for name, values in [
    ("x-axis coordinates (pre-activations)", parts.pre_activations[0]),
    ("y-axis coordinates (activations)", parts.activations[0]),
]:
    print(f"{name} at dosage 0: {np.round(values[0], 2)}")

# %%
# Each hidden unit uses a slice of the same softplus curve
# --------------------------------------------------------
# As the dosage goes from 0 to 1, the top unit's x-axis coordinate runs from
# 2.14 down to -32.3 and the bottom unit's from 1.29 to -1.23: each uses a
# different part of the softplus curve (the shaded boxes).
z = np.linspace(-35, 5, 400)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
units = [
    ("top", w1, b1, "tab:blue"),
    ("bottom", w2, b2, "tab:orange"),
]
for unit, (ax, (name, w, b, color)) in enumerate(zip(axes, units)):
    x = parts.pre_activations[0][:, unit]
    ax.plot(z, np.logaddexp(0, z), color="0.6", label="softplus")
    ax.axvspan(x.min(), x.max(), color=color, alpha=0.15, label="used by dosages 0-1")
    ax.plot(x, parts.activations[0][:, unit], color=color, linewidth=3)
    ax.set_title(f"{name} unit: x = {w} × dosage + {b}")
    ax.set_xlabel("x-axis coordinate")
    ax.legend(loc="upper left")
axes[0].set_ylabel("softplus(x)")
fig.tight_layout()

# %%
# The curves against the dosage, scaled by w3 and w4
# ---------------------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
axes[0].plot(grid, parts.activations[0][:, 0], color="tab:blue", label="top unit")
axes[0].plot(grid, parts.activations[0][:, 1], color="tab:orange", label="bottom unit")
axes[0].set_title("Activations along the dosage")
axes[1].plot(grid, parts.contributions[:, 0, 0], color="tab:blue", label=f"top × {w3}")
axes[1].plot(
    grid, parts.contributions[:, 1, 0], color="tab:orange", label=f"bottom × {w4}"
)
axes[1].set_title("Scaled by their outgoing weights")
for ax in axes:
    ax.set_xlabel("dosage")
    ax.legend()
fig.tight_layout()

# %%
# Added up and shifted by b3: the green squiggle
# ----------------------------------------------
# :class:`~sknn_squiggle.plotting.SquiggleDisplay` draws the scaled curves,
# their sum shifted by the final bias, and the data.
display = SquiggleDisplay.from_estimator(reg, dosage, effective, grid=grid)
display.ax_.set_xlabel("dosage")
display.ax_.set_ylabel("effectiveness")
display.ax_.set_title("The lesson's squiggle")

for d in (0.0, 0.5, 1.0):
    print(f"squiggle at dosage {d}: {reg.predict([[d]])[0]:.2f}")
