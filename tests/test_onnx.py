"""ONNX export: the graphs onnxruntime runs against predict and predict_proba.

The expected values are our estimators' own ``predict`` and ``predict_proba``
(whose arithmetic the other test modules check against formulas and
scikit-learn), and numpy's activations from ``_nn.activations``, evaluated on
fresh random inputs, never the training rows. Graph outputs are compared with
``rtol`` relative to each column's scale: ``|onnx - expected| <= rtol *
(|expected| + max|expected column|)``, 1e-5 for float64 graphs and 1e-4 for
float32 ones, so that an output close to zero, the difference of terms of
the column's size, is held to the precision of those terms.
"""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import sknn_squiggle
from sknn_squiggle import SquiggleClassifier, SquiggleRegressor, to_onnx
from sknn_squiggle._nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
skl2onnx = pytest.importorskip("skl2onnx")
from onnx import TensorProto, helper  # noqa: E402

from sknn_squiggle import _onnx  # noqa: E402

# skl2onnx warns when the target opset is beyond the one it was tested with.
pytestmark = pytest.mark.filterwarnings("ignore:Parameter target_opset")

DTYPES = (np.float64, np.float32)
RTOL = {np.float64: 1e-5, np.float32: 1e-4}
ONNX_DEFAULT_OPSET = onnx.defs.onnx_opset_version()
TINY = {"hidden_layer_sizes": (5, 4), "solver": "lbfgs", "max_iter": 5}

_rng = np.random.default_rng(0)
X_TRAIN = _rng.normal(0, 1.5, (40, 3))
X_NEW = _rng.normal(0, 2.0, (60, 3))  # fresh rows, wider than the training ones


def run(onx, feeds):
    """Check an ONNX model and run it in onnxruntime: a dict output name ->
    value."""
    onnx.checker.check_model(onx)
    session = ort.InferenceSession(
        onx.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    if not isinstance(feeds, dict):
        feeds = {session.get_inputs()[0].name: feeds}
    names = [output.name for output in session.get_outputs()]
    return dict(zip(names, session.run(None, feeds)))


def assert_close(actual, expected, rtol):
    """``|actual - expected| <= rtol * (|expected| + column scale)``."""
    actual = np.asarray(actual, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    assert actual.shape == expected.shape
    scale = np.abs(expected).max(axis=0, keepdims=True)
    bound = rtol * (np.abs(expected) + scale)
    excess = np.abs(actual - expected) - bound
    assert (excess <= 0).all(), (
        f"largest difference {np.abs(actual - expected).max():.3g}, beyond the "
        f"bound by {excess.max():.3g} (rtol={rtol})"
    )


# ----------------------------------------------------------------------
# The registry and the operators of each activation.


def test_every_hidden_activation_has_an_onnx_entry():
    missing = [
        name for name in HIDDEN_ACTIVATIONS if name not in _onnx.ONNX_ACTIVATIONS
    ]
    assert not missing, (
        f"the activations {missing} have no ONNX conversion: add an entry with "
        "its formula to ONNX_ACTIVATIONS in sknn_squiggle/_onnx.py"
    )
    for name in HIDDEN_ACTIVATIONS:
        assert _onnx.ONNX_ACTIVATIONS[name].formula.startswith("f(x) = ")


class _Collector:
    """Stands in for skl2onnx's scope and container: collects a standalone
    graph through the same calls."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def get_unique_variable_name(self, seed):
        self.count += 1
        return f"{seed}_{self.count}"

    get_unique_operator_name = get_unique_variable_name

    def add_node(self, op_type, inputs, outputs, op_version=None, **attributes):
        self.nodes.append(helper.make_node(op_type, inputs, outputs, **attributes))

    def add_initializer(self, name, onnx_type, shape, content):
        self.initializers.append(helper.make_tensor(name, onnx_type, shape, content))


def activation_model(activation, dtype, opset):
    """A standalone ONNX model y = f(x) from an :class:`OnnxActivation`."""
    proto = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    collector = _Collector()
    graph = _onnx.Graph(collector, collector, proto, opset)
    y = graph.node("Identity", [activation.build(graph, "x")], output="y")
    model = helper.make_model(
        helper.make_graph(
            collector.nodes,
            "activation",
            [helper.make_tensor_value_info("x", proto, [None, None])],
            [helper.make_tensor_value_info(y, proto, [None, None])],
            collector.initializers,
        ),
        opset_imports=[helper.make_opsetid("", opset)],
    )
    onnx.checker.check_model(model)
    return model, [node.op_type for node in collector.nodes]


# Both tails, zero and a point close to it, the elbows of relu and elu.
X_ACT = np.concatenate([np.linspace(-30, 30, 601), [-1e-9, 0.0, 1e-9]])[:, None]


@pytest.mark.parametrize("opset", [_onnx.MIN_OPSET, 19, 20, 22, 24])
@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", HIDDEN_ACTIVATIONS)
def test_activation_nodes_match_numpy(name, dtype, opset):
    model, op_types = activation_model(_onnx.ONNX_ACTIVATIONS[name], dtype, opset)
    x = X_ACT.astype(dtype)
    expected = x.copy()
    ACTIVATIONS[name].forward(expected)
    got = run(model, x)["y"]
    assert got.dtype == dtype
    # A hidden unit's error matters against the size of its layer's inputs:
    # absolute, on the scale of |x| (here 30).
    np.testing.assert_allclose(got, expected, rtol=RTOL[dtype], atol=RTOL[dtype])
    if name == "gelu":
        native = dtype == np.float32 and opset >= 20
        assert ("Gelu" in op_types) == native and ("Erf" in op_types) != native
    if name == "silu":
        assert ("Swish" in op_types) == (opset >= 24)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("name", sorted(_onnx.OUTPUT_ACTIVATIONS))
def test_output_activation_nodes_match_numpy(name, dtype):
    """Output activations keep their relative precision (the sigmoid's tail)."""
    model, _ = activation_model(_onnx.OUTPUT_ACTIVATIONS[name], dtype, 22)
    x = np.linspace(-30, 30, 600).reshape(-1, 3).astype(dtype)
    expected = x.copy()
    ACTIVATIONS[name].forward(expected)
    got = run(model, x)["y"]
    np.testing.assert_allclose(got, expected, rtol=100 * np.finfo(dtype).eps)


# ----------------------------------------------------------------------
# Every activation x output x dtype.

OUTPUT_KINDS = ("one target", "two targets", "poisson", "binary", "multilabel")
OUTPUT_KINDS += ("multiclass",)


def fitted_network(kind, activation, dtype):
    """A tiny network of the given output kind, trained a few iterations."""
    X = X_TRAIN.astype(dtype)
    if kind == "one target":
        return SquiggleRegressor(activation=activation, **TINY).fit(X, X[:, 0] ** 2)
    if kind == "two targets":
        return SquiggleRegressor(activation=activation, **TINY).fit(X, X[:, :2] * 3)
    if kind == "poisson":
        counts = np.floor(np.exp(X[:, 0]))
        return SquiggleRegressor("poisson", activation=activation, **TINY).fit(
            X, counts
        )
    if kind == "binary":
        y = np.where(X[:, 0] > 0, 7, -3)
    elif kind == "multilabel":
        y = (X > 0).astype(int)
    else:
        y = np.array(["low", "mid", "high"])[np.digitize(X[:, 0], [-0.5, 0.5])]
    return SquiggleClassifier(activation=activation, **TINY).fit(X, y)


def convert(model, X_sample, **options):
    """to_onnx, with probabilities as a tensor for a classifier."""
    if isinstance(model, SquiggleClassifier):
        options["options"] = {"zipmap": False}
    return to_onnx(model, X_sample, **options)


def check_agreement(model, onx, X, rtol):
    """The graph's outputs against predict (and predict_proba) on X."""
    outputs = run(onx, X)
    if isinstance(model, SquiggleRegressor):
        expected = model.predict(X).reshape(len(X), -1)
        assert outputs["variable"].shape == expected.shape
        assert_close(outputs["variable"], expected, rtol)
        return outputs
    assert_close(outputs["probabilities"], model.predict_proba(X), rtol)
    np.testing.assert_array_equal(outputs["label"], model.predict(X))
    return outputs


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("kind", OUTPUT_KINDS)
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_network_matches_predict(activation, kind, dtype):
    model = fitted_network(kind, activation, dtype)
    X = X_NEW.astype(dtype)
    onx = convert(model, X[:1])
    outputs = check_agreement(model, onx, X, RTOL[dtype])
    for name, value in outputs.items():
        if name != "label":
            assert value.dtype == dtype, name


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("opset", [_onnx.MIN_OPSET, 19, 20, 22, ONNX_DEFAULT_OPSET])
def test_per_layer_activations_at_every_opset(opset, dtype):
    """One hidden layer per activation, at old, new and the installed onnx's
    default opsets; GELU has its own operator from opset 20 in float32."""
    names = list(HIDDEN_ACTIVATIONS)
    X = X_TRAIN.astype(dtype)
    model = SquiggleClassifier(
        hidden_layer_sizes=(4,) * len(names), activation=names, solver="lbfgs"
    )
    model.set_params(max_iter=5).fit(X, X[:, 0] > 0)
    onx = convert(model, X[:1], target_opset=opset)
    check_agreement(model, onx, X_NEW.astype(dtype), RTOL[dtype])
    op_types = {node.op_type for node in onx.graph.node}
    assert ("Gelu" in op_types) == (dtype == np.float32 and opset >= 20)


def test_float32_graph_of_float64_network_and_back():
    """The graph computes in its input's type, whatever the training dtype."""
    model = fitted_network("multiclass", "tanh", np.float64)
    onx = convert(model, X_NEW[:1].astype(np.float32))
    outputs = check_agreement(model, onx, X_NEW.astype(np.float32), 1e-4)
    assert outputs["probabilities"].dtype == np.float32
    model = fitted_network("two targets", "gelu", np.float32)
    onx = to_onnx(model, X_NEW[:1])
    assert check_agreement(model, onx, X_NEW, 1e-5)["variable"].dtype == np.float64


def test_integer_input_is_cast_to_float64():
    model = fitted_network("one target", "relu", np.float64)
    X = np.round(X_NEW * 3).astype(np.int64)
    onx = to_onnx(model, X[:1])
    assert_close(run(onx, X)["variable"][:, 0], model.predict(X), 1e-5)


def test_small_probabilities_keep_their_relative_precision():
    """Saturated sigmoid outputs, down to the clipping at eps."""
    model = fitted_network("multilabel", "relu", np.float64)
    model.coefs_[-1] *= 40  # push the logits far into both tails
    onx = convert(model, X_NEW[:1])
    proba = run(onx, X_NEW)["probabilities"]
    expected = model.predict_proba(X_NEW)
    assert expected.min() < 1e-12
    np.testing.assert_allclose(proba, expected, rtol=1e-9)


def test_exp_output_is_capped_as_predict_caps_it():
    model = fitted_network("poisson", "identity", np.float64)
    model.coefs_[-1] *= 1e4
    onx = to_onnx(model, X_NEW[:1])
    expected = model.predict(X_NEW)
    assert expected.max() == np.exp(0.5 * np.log(np.finfo(np.float64).max))
    assert_close(run(onx, X_NEW)["variable"][:, 0], expected, 1e-5)


# ----------------------------------------------------------------------
# Labels and the classifier options.

LABELS = {
    "int": [3, -1],
    "bool": [False, True],
    "str": ["no", "sí"],
    "float": [0.0, 2.0],
    "int multiclass": [10, 20, 30],
    "str multiclass": ["a", "b", "c"],
}


@pytest.mark.parametrize("labels", LABELS.values(), ids=LABELS.keys())
def test_class_labels(labels):
    classes = np.array(labels)
    y = classes[np.digitize(X_TRAIN[:, 0], [-0.5, 0.5][: len(classes) - 1])]
    model = SquiggleClassifier(**{**TINY, "max_iter": 50}).fit(X_TRAIN, y)
    labels = run(convert(model, X_TRAIN[:1]), X_NEW)["label"]
    expected = model.predict(X_NEW)
    assert labels.dtype == (object if classes.dtype.kind == "U" else np.int64)
    # int64 stands for integer, boolean and whole-number float labels.
    np.testing.assert_array_equal(labels, expected.astype(labels.dtype))
    assert len(np.unique(expected)) == len(classes)


def test_zipmap_nocl_and_class_labels_options():
    model = fitted_network("multiclass", "relu", np.float64)
    expected = model.predict_proba(X_NEW)
    # skl2onnx's default zipmap: one {label: probability} per row, float32
    # (ZipMap takes nothing else) from a float64 graph.
    out = run(to_onnx(model, X_NEW[:1]), X_NEW)
    rows = out["output_probability"]
    got = np.array([[row[c] for c in model.classes_] for row in rows])
    assert_close(got, expected, 1e-6)
    np.testing.assert_array_equal(out["output_label"], model.predict(X_NEW))
    out = run(to_onnx(model, X_NEW[:1], options={"zipmap": "columns"}), X_NEW)
    assert_close(out["slow"], expected[:, list(model.classes_).index("low")], 1e-5)
    out = run(to_onnx(model, X_NEW[:1], options={"zipmap": False, "nocl": True}), X_NEW)
    positions = np.searchsorted(model.classes_, model.predict(X_NEW))
    np.testing.assert_array_equal(out["label"], positions)
    opts = {"zipmap": False, "output_class_labels": True}
    out = run(to_onnx(model, X_NEW[:1], options=opts), X_NEW)
    np.testing.assert_array_equal(out["class_labels"], model.classes_)


def test_class_labels_option_with_boolean_classes_is_refused():
    model = SquiggleClassifier(**TINY).fit(X_TRAIN, X_TRAIN[:, 0] > 0)
    opts = {"zipmap": False, "output_class_labels": True}
    with pytest.raises(ValueError, match="output_class_labels.*boolean.*nocl=True"):
        to_onnx(model, X_NEW[:1], options=opts)
    out = run(to_onnx(model, X_NEW[:1], options={**opts, "nocl": True}), X_NEW)
    np.testing.assert_array_equal(out["class_labels"], [0, 1])


# ----------------------------------------------------------------------
# Pipelines.


def test_skl2onnx_converts_pipelines_once_registered():
    X = X_TRAIN * [1, 100, 0.01]
    pipe = make_pipeline(StandardScaler(), SquiggleRegressor(**TINY))
    pipe.fit(X, X[:, 0] + X[:, 2] * 50)
    sknn_squiggle.register_onnx_converters()
    onx = skl2onnx.to_onnx(pipe, X[:1])
    X_new = X_NEW * [1, 100, 0.01]
    assert_close(run(onx, X_new)["variable"][:, 0], pipe.predict(X_new), 1e-5)
    clf = make_pipeline(StandardScaler(), SquiggleClassifier(**TINY))
    clf.fit(X, X[:, 1] > 0)
    onx = to_onnx(clf, X[:1].astype(np.float32), options={"zipmap": False})
    check_agreement(clf, onx, X_new.astype(np.float32), 1e-4)


@pytest.fixture(scope="module")
def penguins():
    load_penguins = pytest.importorskip("palmerpenguins").load_penguins
    data = load_penguins()
    numbers = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
    strings = ["island", "sex"]
    X = data[numbers + strings].copy()
    # onnxruntime's Imputer takes float32, and a string tensor has no NaN.
    X[numbers] = X[numbers].astype(np.float32)
    X[strings] = X[strings].fillna("")
    return X, data["species"], numbers, strings


def test_column_transformer_pipeline_on_penguins(penguins):
    X, y, numbers, strings = penguins
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
    net = SquiggleClassifier(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=30)
    model = Pipeline([("preprocess", preprocess), ("net", net)])
    model.fit(X.iloc[::2], y.iloc[::2])
    X_new = X.iloc[1::2]  # the rows the pipeline did not see
    onx = to_onnx(model, X_new.iloc[:1], options={"zipmap": False})
    feeds = {
        c: X_new[[c]].to_numpy(dtype=str if c in strings else np.float32) for c in X
    }
    out = run(onx, feeds)
    assert_close(out["probabilities"], model.predict_proba(X_new), 1e-4)
    np.testing.assert_array_equal(out["label"], model.predict(X_new))


def test_dataframe_sample_for_an_estimator_alone():
    X = pd.DataFrame(X_TRAIN, columns=["a", "b", "c"])
    model = SquiggleRegressor(**TINY).fit(X, X["a"])
    onx = to_onnx(model, X.iloc[:1])
    assert len(onx.graph.input) == 1
    expected = model.predict(pd.DataFrame(X_NEW, columns=X.columns))
    assert_close(run(onx, X_NEW)["variable"][:, 0], expected, 1e-5)


# ----------------------------------------------------------------------
# What cannot be converted.


def test_unfitted_network_is_refused():
    with pytest.raises(NotFittedError, match="not fitted.*call fit before to_onnx"):
        to_onnx(SquiggleClassifier(), X_NEW[:1])
    pipe = make_pipeline(StandardScaler(), SquiggleRegressor())
    pipe.steps[0][1].fit(X_TRAIN)
    with pytest.raises(NotFittedError, match="SquiggleRegressor is not fitted"):
        to_onnx(pipe, X_NEW[:1])


def test_sparse_sample_is_refused():
    model = fitted_network("binary", "relu", np.float64)
    with pytest.raises(TypeError, match="sparse.*dense tensors.*toarray"):
        to_onnx(model, sp.csr_matrix(X_NEW[:1]))


def test_unknown_activation_is_refused():
    model = fitted_network("one target", "relu", np.float64)
    model.activation = "swishy"  # put in by hand after fitting
    with pytest.raises(ValueError, match=r"\['swishy'\].*cannot be converted.*Refit"):
        to_onnx(model, X_NEW[:1])
    model.activation = ["relu"]  # one name for two hidden layers
    with pytest.raises(ValueError, match="converted.*1 entries.*2 hidden layers"):
        to_onnx(model, X_NEW[:1])


def test_bad_declared_input_is_refused():
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    model = fitted_network("one target", "relu", np.float64)
    with pytest.raises(ValueError, match="fitted on 3 features.*declare"):
        to_onnx(model, initial_types=[("X", FloatTensorType([None, 4]))])
    with pytest.raises(TypeError, match="StringTensorType.*dense tensors"):
        to_onnx(model, initial_types=[("X", StringTensorType([None, 3]))])


def test_too_old_opset_is_refused():
    model = fitted_network("one target", "gelu", np.float64)
    with pytest.raises(ValueError, match=f"opset {_onnx.MIN_OPSET} or later"):
        to_onnx(model, X_NEW[:1], target_opset=_onnx.MIN_OPSET - 1)


def test_labels_that_are_not_onnx_labels_are_refused():
    model = SquiggleClassifier(**TINY).fit(X_TRAIN, X_TRAIN[:, 0] > 0)
    # scikit-learn refuses fractional labels in fit; put them in by hand.
    model.classes_ = np.array([0.5, 1.5])
    with pytest.raises(ValueError, match=r"\[0.5, 1.5\] cannot be ONNX labels.*nocl"):
        to_onnx(model, X_NEW[:1], options={"zipmap": False})
    out = run(to_onnx(model, X_NEW[:1], options={"zipmap": False, "nocl": True}), X_NEW)
    np.testing.assert_array_equal(out["label"], model.predict(X_NEW) == 1.5)


# ----------------------------------------------------------------------
# The extra stays optional.


def test_the_package_imports_onnx_only_when_asked():
    """In a fresh interpreter (one, as starting one takes seconds): importing
    sknn_squiggle loads no ONNX module, and without skl2onnx to_onnx says
    what to install."""
    code = (
        "import sys\n"
        "import sknn_squiggle\n"
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('onnx', 'onnxruntime', 'skl2onnx')])\n"
        "sys.modules['skl2onnx'] = None  # as if it were not installed\n"
        "try:\n"
        "    sknn_squiggle.to_onnx(None)\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    loaded, message = result.stdout.strip().split("\n")
    assert loaded == "[]"
    assert 'pip install "sknn-squiggle[onnx]"' in message
    assert "skl2onnx" in message


def test_no_warning_at_the_default_opset():
    model = fitted_network("binary", "silu", np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_onnx(model, X_NEW[:1].astype(np.float32))


def test_tabular_estimators_are_refused_with_what_to_do():
    from sknn_squiggle import TabularSquiggleRegressor

    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0] * 5, "kind": list("abab") * 5})
    model = TabularSquiggleRegressor(hidden_layer_sizes=(4,), max_iter=2).fit(
        X, np.arange(20.0)
    )
    for wrapped in (model, make_pipeline(StandardScaler(), model)):
        with pytest.raises(TypeError, match="TabularSquiggleRegressor cannot.*save"):
            to_onnx(wrapped, X[:1])
