"""
A classifier's squiggles on two moons
=====================================

A classifier is the same squiggle-fitting machine with one more step: the
squiggle, the network's output, goes through a sigmoid to become a
probability. With two inputs each hidden unit draws a bent surface instead
of a curve; the output layer scales the surfaces, adds them up and shifts
the sum, and the decision boundary is where that sum crosses zero
(probability 0.5).
"""

# %%
# Fit a small network
# -------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

from sknn_squiggle import SquiggleClassifier
from sknn_squiggle.plotting import SquiggleDisplay

X, y = make_moons(n_samples=200, noise=0.15, random_state=0)
clf = SquiggleClassifier(
    hidden_layer_sizes=(4,),
    activation="softplus",
    solver="lbfgs",
    alpha=0.1,
    max_iter=1000,
    random_state=0,
).fit(X, y)
print(f"training accuracy: {clf.score(X, y):.3f}")

# %%
# Each hidden unit's contribution, and their sum
# ----------------------------------------------
# ``decompose`` on a grid gives every unit's activation times its outgoing
# weight; their sum plus the final bias is the log-odds of class 1, whose
# zero contour is the decision boundary.
xx, yy = np.meshgrid(np.linspace(-1.6, 2.6, 120), np.linspace(-1.1, 1.6, 100))
grid = np.c_[xx.ravel(), yy.ravel()]
parts = clf.decompose(grid)
n_units = parts.contributions.shape[1]

fig, axes = plt.subplots(1, n_units + 1, figsize=(3.2 * (n_units + 1), 3.2))
limit = np.abs(parts.contributions).max()
for j, ax in enumerate(axes[:-1]):
    surface = parts.contributions[:, j, 0].reshape(xx.shape)
    ax.contourf(xx, yy, surface, levels=20, cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_title(f"unit {j} × {clf.coefs_[1][j, 0]:.2g}")
logit = parts.output[:, 0].reshape(xx.shape)
bound = np.abs(logit).max()
axes[-1].contourf(xx, yy, logit, levels=20, cmap="RdBu_r", vmin=-bound, vmax=bound)
axes[-1].contour(xx, yy, logit, levels=[0], colors="black", linewidths=2)
axes[-1].scatter(
    X[:, 0], X[:, 1], c=y, cmap="coolwarm", s=8, edgecolors="k", linewidths=0.3
)
axes[-1].set_title(f"sum {parts.intercept[0]:+.2g}: the log-odds")
for ax in axes:
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle(
    "Red adds to the log-odds of class 1, blue takes away; black: decision boundary"
)
fig.tight_layout()

# %%
# The squiggle along one feature
# ------------------------------
# Along the first feature, with the second held at its median, the
# classifier's squiggle is the log-odds before the sigmoid: class 1 where it
# is above zero. The rug marks the training points of class 1 in black.
display = SquiggleDisplay.from_estimator(clf, X, y, feature=0)
display.ax_.set_title("Log-odds along feature 0 (feature 1 at its median)")
