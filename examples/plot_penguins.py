"""
Penguins: a network in a pandas-first pipeline
==============================================

The Palmer penguins are a small, real table: numbers with gaps, strings with
gaps, and three species to tell apart. This example puts
:class:`~sknn_squiggle.SquiggleClassifier` where a scikit-learn user would: at
the end of a :class:`~sklearn.pipeline.Pipeline` whose
:class:`~sklearn.compose.ColumnTransformer` imputes and scales the numbers and
one-hot encodes the strings, tuned by :class:`~sklearn.model_selection.GridSearchCV`.
The search results and the best network's training history are pandas
DataFrames, one row per candidate and one row per epoch.

The data come with the ``palmerpenguins`` package (``pip install
palmerpenguins``), which ships them as a CSV file: nothing is downloaded.
"""

# %%
# The data
# --------
# 344 penguins, 8 columns. A few measurements are missing and 11 birds have
# no recorded sex: we keep them all and let the pipeline fill the gaps.
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sknn_squiggle import SquiggleClassifier

penguins = load_penguins()
print(penguins.shape)
print(penguins.isna().sum().to_string())
penguins.head()

# %%
# ``species`` is the target; the year of the survey is not a property of the
# bird, so we leave it out.
numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
strings = ["island", "sex"]
X = penguins[numbers + strings]
y = penguins["species"]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The pipeline
# ------------
# Numbers: fill a gap with the median, then standardise (a network's weights
# all start on the same scale, so its inputs should be on one too). Strings:
# fill a gap with the most frequent value, then one column per category.
#
# The network trains with Adam and stops early on the *validation loss*
# (``scoring="loss"``): with 20 % of 200-odd training birds held out, the
# validation accuracy moves in steps of 2 % and is a coarse signal, while the
# log loss keeps falling as long as the probabilities improve.
preprocess = ColumnTransformer(
    [
        (
            "numbers",
            make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
            numbers,
        ),
        (
            "strings",
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore"),
            ),
            strings,
        ),
    ]
)
model = Pipeline(
    [
        ("preprocess", preprocess),
        (
            "squiggle",
            SquiggleClassifier(
                solver="adam",
                learning_rate_init=0.01,
                max_iter=300,
                early_stopping=True,
                validation_fraction=0.2,
                scoring="loss",
                n_iter_no_change=20,
                random_state=0,
            ),
        ),
    ]
)
model

# %%
# The search
# ----------
# Four architectures, from four hidden units to two layers of eight, and
# four strengths of the L2 penalty ``alpha``. Nested parameters reach the
# network through the step's name, ``squiggle__``.
grid = {
    "squiggle__hidden_layer_sizes": [(4,), (8,), (16,), (8, 8)],
    "squiggle__alpha": [1e-3, 1.0, 10.0, 100.0],
}
search = GridSearchCV(
    model, grid, cv=StratifiedKFold(4, shuffle=True, random_state=0), n_jobs=1
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"held-out accuracy: {search.score(X_test, y_test):.3f}")

# %%
# ``cv_results_`` is a dict of columns: a DataFrame away from a table.
results = pd.DataFrame(search.cv_results_)
results["architecture"] = results["param_squiggle__hidden_layer_sizes"].astype(str)
table = results[
    ["architecture", "param_squiggle__alpha", "mean_test_score", "std_test_score"]
]
table.sort_values("mean_test_score", ascending=False).head(6)

# %%
# The scores, one line per architecture: accuracy against the penalty.
# Penguins are easy for every one of these networks, and a fair penalty
# costs nothing; at ``alpha=100`` the weights cannot grow enough to tell
# Chinstraps from Adelies any more, and the accuracy falls to that of telling
# only Gentoos apart. (Where the architectures score alike, their lines lie on
# top of each other.)
fig, ax = plt.subplots(figsize=(6, 4))
for architecture, rows in results.groupby("architecture", sort=False):
    ax.errorbar(
        rows["param_squiggle__alpha"].astype(float),
        rows["mean_test_score"],
        yerr=rows["std_test_score"],
        marker="o",
        capsize=3,
        label=architecture,
    )
ax.set_xscale("log")
ax.set_xlabel("alpha (L2 penalty)")
ax.set_ylabel("cross-validated accuracy")
ax.set_title("Grid search over the network's size and penalty")
ax.legend(title="hidden_layer_sizes")
fig.tight_layout()

# %%
# The best network's learning curves
# ----------------------------------
# ``history_`` holds one record per epoch; as a DataFrame it is the learning
# curve. The training loss (with the L2 penalty) is measured along each
# epoch, the validation loss after it, on the birds held out for early
# stopping. Training stops once ``n_iter_no_change`` epochs in a row have not
# improved the validation loss by ``tol``, and the network keeps the weights
# of its best epoch (the dashed line).
best = search.best_estimator_.named_steps["squiggle"]
history = pd.DataFrame(best.history_)
history.tail()

# %%
# With ``scoring="loss"`` the early-stopping score ``val_score`` is minus
# ``val_loss``; the best epoch is the one with the lowest validation loss.
assert np.allclose(history["val_score"], -history["val_loss"])
best_epoch = int(history.loc[history["val_loss"].idxmin(), "epoch"])

fig, ax = plt.subplots(figsize=(6, 4))
ax.plot(history["epoch"], history["loss"], label="training loss")
ax.plot(history["epoch"], history["val_loss"], label="validation loss")
ax.axvline(best_epoch, color="0.5", linestyle="--", label="kept weights")
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("log loss (training loss includes the L2 penalty)")
ax.set_title(f"hidden_layer_sizes={best.hidden_layer_sizes}, alpha={best.alpha}")
ax.legend()
fig.tight_layout()

# %%
# What the network gets wrong on the held-out birds: a confusion table.
predicted = search.predict(X_test)
pd.crosstab(y_test, predicted, rownames=["true"], colnames=["predicted"])

# %%
# The fitted network remembers the DataFrame's column names after the
# preprocessing step ... and ``predict_proba`` on new birds gives one column
# per species, in the order of ``classes_``.
print(search.best_estimator_.named_steps["preprocess"].get_feature_names_out())
print(best.classes_)
new_birds = pd.DataFrame(
    {
        "bill_length_mm": [39.0, 48.0, 50.0],
        "bill_depth_mm": [18.5, 15.0, 19.0],
        "flipper_length_mm": [190.0, 220.0, 196.0],
        "body_mass_g": [3700.0, 5200.0, 3800.0],
        "island": ["Torgersen", "Biscoe", "Dream"],
        "sex": ["female", "male", np.nan],
    }
)
pd.DataFrame(
    search.predict_proba(new_birds), columns=best.classes_, index=["bird 1", "2", "3"]
).round(3)
