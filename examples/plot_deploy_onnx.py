"""
Deploying a penguins pipeline with ONNX
=======================================

A fitted pipeline is Python objects; to predict where there is no Python,
or no scikit-learn, convert it to `ONNX <https://onnx.ai>`_, a file format
for computation graphs that runtimes in many languages execute.
:func:`sknn_squiggle.to_onnx` converts a
:class:`~sknn_squiggle.SquiggleClassifier`, or a whole pipeline holding one,
through `skl2onnx <https://onnx.ai/sklearn-onnx/>`_. Here the pipeline of the
Palmer penguins (imputers, a one-hot encoder and a scaler in a
:class:`~sklearn.compose.ColumnTransformer`, then the network) becomes one
graph that `onnxruntime <https://onnxruntime.ai>`_ runs, and its
probabilities are checked against ``predict_proba``.

This needs the onnx extra: ``pip install "sknn-squiggle[onnx]"`` (onnx,
onnxruntime and skl2onnx).
"""

# %%
# The data, ready for a graph
# ---------------------------
# Two things about ONNX shape the table. A string tensor has no NaN, so a
# missing string is the empty string, which the string imputer is told to
# fill. And onnxruntime's Imputer works in float32, so the measurements are
# float32 (every step after them then computes in float32).
import os
import tempfile

import matplotlib.pyplot as plt
import numpy as np
import onnxruntime as ort
from onnx import TensorProto
from palmerpenguins import load_penguins
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from sknn_squiggle import SquiggleClassifier, to_onnx

penguins = load_penguins()
numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
strings = ["island", "sex"]
X = penguins[numbers + strings].copy()
X[numbers] = X[numbers].astype(np.float32)
X[strings] = X[strings].fillna("")
y = penguins["species"]
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

# %%
# The pipeline
# ------------
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
                SimpleImputer(missing_values="", strategy="most_frequent"),
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
            "net",
            SquiggleClassifier(
                hidden_layer_sizes=(16,),
                activation="gelu",
                solver="lbfgs",
                max_iter=300,
                random_state=0,
            ),
        ),
    ]
).fit(X_train, y_train)
print(f"test accuracy: {model.score(X_test, y_test):.3f}")

# %%
# The conversion
# --------------
# skl2onnx reads the names and types of the graph's inputs from a sample of
# the table: one input per column, float32 for the numbers and strings for
# the rest. ``zipmap=False`` asks for the probabilities as one tensor rather
# than a list of ``{species: probability}`` dictionaries (skl2onnx's default).
onx = to_onnx(model, X_train[:1], options={"zipmap": False})
for put in onx.graph.input:
    print("input ", put.name, TensorProto.DataType.Name(put.type.tensor_type.elem_type))
for put in onx.graph.output:
    print("output", put.name, TensorProto.DataType.Name(put.type.tensor_type.elem_type))

# %%
# Running it
# ----------
# The graph is a file, what a service written in C++, C#, Java or JavaScript
# would load; here it goes to a temporary folder and onnxruntime's Python
# package loads it back. It takes one array per input column, of shape
# (n_samples, 1).
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "penguins.onnx")
    with open(path, "wb") as file:
        file.write(onx.SerializeToString())
    print(f"{os.path.getsize(path):,} bytes")
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])

feeds = {
    column: X_test[[column]].to_numpy(dtype=str if column in strings else np.float32)
    for column in X_test.columns
}
labels, proba = session.run(None, feeds)

expected = model.predict_proba(X_test)
print("same labels:", bool((labels == model.predict(X_test)).all()))
print(f"largest difference in probability: {np.abs(proba - expected).max():.2g}")

# %%
# Every probability onnxruntime computed against the pipeline's own: the
# points lie on the diagonal, to float32 precision.
fig, ax = plt.subplots(figsize=(4.5, 4.5))
for j, species in enumerate(model.classes_):
    ax.scatter(expected[:, j], proba[:, j], s=12, label=species)
ax.plot([0, 1], [0, 1], color="grey", linewidth=0.8, zorder=0)
ax.set_xlabel("predict_proba (scikit-learn pipeline)")
ax.set_ylabel("onnxruntime")
ax.set_title("Test penguins: the same probabilities")
ax.legend(title="species")
fig.tight_layout()
plt.show()
