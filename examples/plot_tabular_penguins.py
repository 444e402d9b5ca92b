"""
A raw table in one line: TabularSquiggleClassifier on the penguins
==================================================================

The Palmer penguins come as a pandas DataFrame with numbers, strings and
gaps: 11 birds have no recorded sex, two have no measurements at all.
:class:`~sknn_squiggle.TabularSquiggleClassifier` takes the frame as it is:
no imputer, no encoder, no scaler. Inside, it scales the numbers robustly,
marks and fills what is missing, one-hot encodes the small categories and
learns embeddings of the large ones, then trains a network with the
RealMLP-TD recipe and keeps its best validation epoch.

The data come with the ``palmerpenguins`` package: nothing is downloaded.
"""

# %%
# Fit the raw frame
# -----------------
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from palmerpenguins import load_penguins
from sklearn.model_selection import cross_val_score, train_test_split

from sknn_squiggle import TabularSquiggleClassifier

penguins = load_penguins()
X, y = penguins.drop(columns="species"), penguins["species"]
print(X.dtypes.to_string())
print("missing values per column:", X.isna().sum().to_dict())

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)
clf = TabularSquiggleClassifier(random_state=0).fit(X_train, y_train)
print(f"held-out accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# Rows with gaps and unseen values
# --------------------------------
# A bird without measurements, and one from an island the training data never
# saw: both get a prediction (missing numbers are filled and flagged, unseen
# categories count as missing).
strange = X_test.head(2).copy()
measurements = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
strange.loc[strange.index[0], measurements] = np.nan
strange.loc[strange.index[1], "island"] = "Anvers"
print(strange.to_string())
print(pd.DataFrame(clf.predict_proba(strange), columns=clf.classes_).round(3))

# %%
# Training, epoch by epoch
# ------------------------
# ``history_`` holds one record per epoch: the training loss falls as the
# learning rate cycles (four cosine cycles on a log time axis), and the
# validation accuracy on the held-out fifth of the training rows picks the
# epoch whose weights are kept.
history = pd.DataFrame(clf.history_)
fig, (ax_loss, ax_rate) = plt.subplots(1, 2, figsize=(9, 3.5))
ax_loss.plot(history["epoch"], history["loss"], label="training loss")
ax_loss.plot(history["epoch"], history["val_loss"], label="validation loss")
ax_loss.set_xlabel("epoch")
ax_loss.set_yscale("log")
ax_loss.legend()
ax_rate.plot(history["epoch"], history["learning_rate"], color="tab:pink")
ax_rate.set_xlabel("epoch")
ax_rate.set_ylabel("Adam's bias-corrected rate")
fig.tight_layout()

# %%
# Cross-validated
# ---------------
scores = cross_val_score(TabularSquiggleClassifier(random_state=0), X, y, cv=3)
print(f"3-fold accuracy: {scores.mean():.3f} +- {scores.std():.3f}")
