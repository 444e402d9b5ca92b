"""ONNX export of the networks, through skl2onnx.

This is the only module that imports ``onnx`` and ``skl2onnx``; the package
imports it only when :func:`sknn_squiggle.to_onnx` or
:func:`sknn_squiggle.register_onnx_converters` is called.

skl2onnx converts a scikit-learn model, or a Pipeline holding one, into an
ONNX graph by calling, for each estimator, a *shape calculator* (which checks
the estimator's input and declares the types and shapes of its outputs) and a
*converter* (which writes its nodes). :func:`register_onnx_converters` gives
skl2onnx ours; everything else (the pipeline, the other transformers, the
ZipMap that turns probabilities into dictionaries) stays skl2onnx's.

The graph of a network, read from its layers (the estimator's ``_layers()``
and their views of the fitted parameters), each converted by the entry of
:data:`LAYERS` for its type:

- a dense layer ``i`` is one Gemm node, ``Z_i = A_{i-1} @ W_i + b_i`` with
  ``A_{-1} = X``, ``W_i = coefs_[i]`` and ``b_i = intercepts_[i]``, followed by
  the nodes of its activation, ``A_i = f_i(Z_i)`` (:func:`emit_dense_layer`);
- each activation's nodes come from the registry :data:`ONNX_ACTIVATIONS`
  (hidden layers) or :data:`OUTPUT_ACTIVATIONS` (last layer), whose entries
  state their formula;
- a regressor outputs the last layer, ``predict``'s values as one column per
  target; a classifier outputs ``predict``'s labels and ``predict_proba``'s
  probabilities (:func:`emit_probabilities`, :func:`emit_labels`).

The graph computes in the float type of its input: float32 for a float32
input, float64 otherwise (an integer or boolean input is cast to float64, as
``predict`` does), whatever the dtype the network was trained in.

Operators are picked by opset: an activation with its own operator in the
target opset uses it, one without (GELU before opset 20, Swish before 24) is
composed from primitives. skl2onnx refuses nodes newer than its latest tested
opset (22 for skl2onnx 1.20), so operators are picked from
``min(target_opset, skl2onnx.get_latest_tested_opset_version())``: a later
target opset, such as the installed onnx's default, gets a graph of operators
it has. Two facts about onnxruntime (measured with 1.32, CPU) shape the graph
too:

- its CPU kernels of Erf, Gelu, Softplus, Elu and LeakyRelu take float32 only
  (:data:`FLOAT32_ONLY_OPERATORS`): float64 graphs compose these activations
  from operators it runs in float64, and evaluate erf in float32 (there is
  no float64 Erf kernel), which leaves GELU within about 1e-7 of its value;
- its Sigmoid loses relative precision on the negative tail (a third of the
  value near 1e-15 in float64): hidden layers, where an absolute error of
  1e-16 is harmless, use it, but the probabilities of a sigmoid output are
  computed as ``exp(min(x, 0)) / (1 + exp(-|x|))``, accurate to a few ulps.
"""

import math
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
import scipy.sparse as sp
from onnx import TensorProto
from skl2onnx import get_latest_tested_opset_version, update_registered_converter
from skl2onnx import to_onnx as skl2onnx_to_onnx
from skl2onnx.common.data_types import (
    BooleanTensorType,
    DoubleTensorType,
    FloatTensorType,
    Int64TensorType,
    StringTensorType,
)
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._classifier import SquiggleClassifier
from ._nn.activations import LEAKY_RELU_SLOPE, SELU_ALPHA, SELU_SCALE
from ._nn.layout import ParameterLayout
from ._regressor import SquiggleRegressor

#: The lowest target opset (of the main ONNX domain) the converters support:
#: Erf, from which GELU is composed before the Gelu operator, appeared in 9.
MIN_OPSET = 9
#: Operators whose onnxruntime CPU kernels take float32 only (onnxruntime
#: 1.32): float64 graphs do without them.
FLOAT32_ONLY_OPERATORS = frozenset(
    {"Erf", "Gelu", "Softplus", "Elu", "LeakyRelu", "Selu"}
)

_ESTIMATORS = (SquiggleRegressor, SquiggleClassifier)
_FLOAT_INPUTS = (FloatTensorType, DoubleTensorType)
_CAST_INPUTS = (Int64TensorType, BooleanTensorType)
_Y_TYPES = ("binary", "multiclass", "multilabel-indicator")

# The constants already added to each container, by value: skl2onnx links a
# repeated initializer to the first by an Identity node in the version of the
# target opset, which it then refuses beyond its latest tested opset.
_CONSTANTS = weakref.WeakKeyDictionary()


class Graph:
    """Where a converter writes its nodes.

    It wraps skl2onnx's scope (which hands out unique names) and container
    (which collects nodes and initializers), with the graph's float type
    (``TensorProto.FLOAT`` or ``DOUBLE``) and the opset its operators are
    picked from.
    """

    def __init__(self, scope, container, proto_dtype, opset):
        self.scope = scope
        self.container = container
        self.proto_dtype = proto_dtype
        self.dtype = np.dtype(
            np.float32 if proto_dtype == TensorProto.FLOAT else np.float64
        )
        self.opset = opset
        self._constants = _CONSTANTS.setdefault(container, {})

    def has(self, op_type):
        """Whether ``op_type`` exists in the opset and onnxruntime runs it in
        the graph's float type."""
        if self.dtype != np.float32 and op_type in FLOAT32_ONLY_OPERATORS:
            return False
        try:
            onnx.defs.get_schema(op_type, max_inclusive_version=self.opset)
        except onnx.defs.SchemaError:
            return False
        return True

    def node(self, op_type, inputs, output=None, **attributes):
        """Add one ``op_type`` node, in its latest version within the opset;
        return the name of its output."""
        if output is None:
            output = self.scope.get_unique_variable_name(op_type.lower())
        schema = onnx.defs.get_schema(op_type, max_inclusive_version=self.opset)
        self.container.add_node(
            op_type,
            list(inputs),
            [output],
            op_version=schema.since_version,
            name=self.scope.get_unique_operator_name(op_type),
            **attributes,
        )
        return output

    def constant(self, value, onnx_type=None):
        """Add an initializer holding ``value``; return its name.

        Numbers are stored in the graph's float type unless ``onnx_type`` is
        given; strings (``onnx_type`` STRING) as UTF-8 bytes.
        """
        if onnx_type is None:
            onnx_type, value = self.proto_dtype, np.asarray(value, dtype=self.dtype)
        value = np.asarray(value)
        content = value.ravel()
        if onnx_type == TensorProto.STRING:
            content = [str(s).encode("utf-8") for s in content]
        key = (onnx_type, value.shape, value.dtype.str, value.tobytes())
        if key not in self._constants:
            name = self.scope.get_unique_variable_name("const")
            self.container.add_initializer(name, onnx_type, list(value.shape), content)
            self._constants[key] = name
        return self._constants[key]


# ----------------------------------------------------------------------
# The activations: one entry per name, each with its formula.


@dataclass(frozen=True)
class OnnxActivation:
    """How one activation becomes ONNX nodes.

    ``formula`` states the function; ``build(graph, x)`` adds the nodes that
    compute it from the tensor named ``x`` and returns the name of the result.
    """

    formula: str
    build: Callable


def _identity(graph, x):
    """f(x) = x: no node."""
    return x


def _operator(op_type, **attributes):
    """A builder adding one ``op_type`` node, the activation's own operator."""

    def build(graph, x):
        return graph.node(op_type, [x], **attributes)

    return build


def _erf(graph, x):
    """erf(x): the Erf operator, evaluated in float32 in a float64 graph
    (onnxruntime has no float64 Erf kernel), about 1e-7 off."""
    if graph.has("Erf"):
        return graph.node("Erf", [x])
    x32 = graph.node("Cast", [x], to=TensorProto.FLOAT)
    return graph.node("Cast", [graph.node("Erf", [x32])], to=graph.proto_dtype)


def _gelu(graph, x):
    """f(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt(2))).

    The Gelu operator (its default ``approximate="none"`` is this exact
    form) from opset 20; before, and in float64, composed with the same
    symbols.
    """
    if graph.has("Gelu"):
        return graph.node("Gelu", [x])
    x_over_sqrt2 = graph.node("Mul", [x, graph.constant(1.0 / math.sqrt(2.0))])
    one_plus_erf = graph.node("Add", [_erf(graph, x_over_sqrt2), graph.constant(1.0)])
    half_x = graph.node("Mul", [x, graph.constant(0.5)])
    return graph.node("Mul", [half_x, one_plus_erf])


def _silu(graph, x):
    """f(x) = x sigmoid(x): the Swish operator (alpha = 1) from opset 24;
    before, Mul(x, Sigmoid(x))."""
    if graph.has("Swish"):
        return graph.node("Swish", [x])
    return graph.node("Mul", [x, graph.node("Sigmoid", [x])])


def _softplus(graph, x):
    """f(x) = log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)).

    The Softplus operator, or the second form, whose exponent is never
    positive (no overflow) and whose absolute error is a few ulps of 1.
    """
    if graph.has("Softplus"):
        return graph.node("Softplus", [x])
    exp_minus_abs = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [x])])])
    log_term = graph.node(
        "Log", [graph.node("Add", [exp_minus_abs, graph.constant(1.0)])]
    )
    return graph.node("Add", [graph.node("Relu", [x]), log_term])


def _elu(graph, x):
    """f(x) = x if x > 0 else exp(x) - 1 = max(x, 0) + (exp(min(x, 0)) - 1).

    The Elu operator (alpha = 1), or the second form: for x > 0 it adds
    exp(0) - 1 = 0 exactly, and the exponent is never positive.
    """
    if graph.has("Elu"):
        return graph.node("Elu", [x], alpha=1.0)
    exp_min = graph.node("Exp", [graph.node("Min", [x, graph.constant(0.0)])])
    expm1 = graph.node("Sub", [exp_min, graph.constant(1.0)])
    return graph.node("Add", [graph.node("Relu", [x]), expm1])


def _leaky_relu(graph, x):
    """f(x) = x if x > 0 else s x = max(x, s x), s = LEAKY_RELU_SLOPE.

    The LeakyRelu operator, whose float32 attribute holds 0.01 within
    2.2e-10, or the second form, with s in the graph's type.
    """
    if graph.has("LeakyRelu"):
        return graph.node("LeakyRelu", [x], alpha=LEAKY_RELU_SLOPE)
    scaled = graph.node("Mul", [x, graph.constant(LEAKY_RELU_SLOPE)])
    return graph.node("Max", [x, scaled])


def _selu(graph, x):
    """f(x) = lambda x if x > 0 else lambda alpha (exp(x) - 1)
    = lambda max(x, 0) + lambda alpha (exp(min(x, 0)) - 1).

    The Selu operator (with the library's constants), or the second form.
    """
    if graph.has("Selu"):
        return graph.node("Selu", [x], alpha=SELU_ALPHA, gamma=SELU_SCALE)
    exp_min = graph.node("Exp", [graph.node("Min", [x, graph.constant(0.0)])])
    negative = graph.node(
        "Mul",
        [
            graph.node("Sub", [exp_min, graph.constant(1.0)]),
            graph.constant(SELU_SCALE * SELU_ALPHA),
        ],
    )
    positive = graph.node("Mul", [graph.node("Relu", [x]), graph.constant(SELU_SCALE)])
    return graph.node("Add", [positive, negative])


def _mish(graph, x):
    """f(x) = x tanh(softplus(x)) = x (1 - 2 / (n + 2)), n = u (u + 2),
    u = exp(min(x, 20)): the library's own form (no Softplus, which
    onnxruntime runs in float32 only), exact to a few ulps."""
    u = graph.node("Exp", [graph.node("Min", [x, graph.constant(20.0)])])
    n_plus_2 = graph.node(
        "Add",
        [
            graph.node("Mul", [u, graph.node("Add", [u, graph.constant(2.0)])]),
            graph.constant(2.0),
        ],
    )
    t = graph.node(
        "Sub", [graph.constant(1.0), graph.node("Div", [graph.constant(2.0), n_plus_2])]
    )
    return graph.node("Mul", [x, t])


def _precise_sigmoid(graph, x):
    """f(x) = 1 / (1 + exp(-x)) = exp(min(x, 0)) / (1 + exp(-|x|)).

    Both exponents are never positive, and each factor is accurate to a few
    ulps: unlike onnxruntime's Sigmoid, small probabilities keep their
    relative precision.
    """
    numerator = graph.node("Exp", [graph.node("Min", [x, graph.constant(0.0)])])
    exp_minus_abs = graph.node("Exp", [graph.node("Neg", [graph.node("Abs", [x])])])
    denominator = graph.node("Add", [exp_minus_abs, graph.constant(1.0)])
    return graph.node("Div", [numerator, denominator])


def _capped_exp(graph, x):
    """f(x) = exp(min(x, c)), c = 0.5 log(largest float of the graph's type).

    The cap is ``inplace_exp``'s: rates up to about 1e154 in float64 (1e19 in
    float32) pass unchanged.
    """
    cap = 0.5 * np.log(np.finfo(graph.dtype).max)
    return graph.node("Exp", [graph.node("Min", [x, graph.constant(cap)])])


_LOGISTIC = OnnxActivation("f(x) = 1 / (1 + exp(-x))", _operator("Sigmoid"))
_IDENTITY = OnnxActivation("f(x) = x", _identity)

#: The hidden activations, by the names ``activation`` accepts.
ONNX_ACTIVATIONS = {
    "identity": _IDENTITY,
    "logistic": _LOGISTIC,
    "sigmoid": _LOGISTIC,
    "tanh": OnnxActivation("f(x) = tanh(x)", _operator("Tanh")),
    "relu": OnnxActivation("f(x) = max(x, 0)", _operator("Relu")),
    "leaky_relu": OnnxActivation(
        f"f(x) = x if x > 0 else {LEAKY_RELU_SLOPE} x", _leaky_relu
    ),
    "softplus": OnnxActivation("f(x) = log(1 + exp(x))", _softplus),
    "elu": OnnxActivation("f(x) = x if x > 0 else exp(x) - 1", _elu),
    "gelu": OnnxActivation("f(x) = x Phi(x) = 0.5 x (1 + erf(x / sqrt(2)))", _gelu),
    "silu": OnnxActivation("f(x) = x sigmoid(x) = x / (1 + exp(-x))", _silu),
    "selu": OnnxActivation(
        "f(x) = lambda x if x > 0 else lambda alpha (exp(x) - 1)", _selu
    ),
    "mish": OnnxActivation("f(x) = x tanh(log(1 + exp(x)))", _mish),
}

#: The output activations, by the names ``out_activation_`` takes.
OUTPUT_ACTIVATIONS = {
    "identity": _IDENTITY,
    "logistic": OnnxActivation(
        "f(x) = 1 / (1 + exp(-x)) = exp(min(x, 0)) / (1 + exp(-|x|))",
        _precise_sigmoid,
    ),
    "exp": OnnxActivation("f(x) = exp(min(x, 0.5 log(largest float)))", _capped_exp),
    "softmax": OnnxActivation(
        "f(x)_j = exp(x_j) / sum_k exp(x_k), along each row",
        _operator("Softmax", axis=1),
    ),
}


# ----------------------------------------------------------------------
# The network.


def emit_dense_layer(graph, x, weights, bias, activation):
    """One dense layer: ``Z = x @ W + b``, then ``A = f(Z)``.

    ``Z`` is one Gemm node (``W`` of shape (fan_in, fan_out), ``b`` of shape
    (fan_out,), broadcast over the rows); ``f`` is the
    :class:`OnnxActivation` ``activation``. Returns the name of ``A``.
    """
    z = graph.node("Gemm", [x, graph.constant(weights), graph.constant(bias)])
    return activation.build(graph, z)


def fitted_layers(model):
    """The fitted network's layers (:mod:`sknn_squiggle._nn.layers`), each
    with an ONNX conversion for its type and activation.

    Raises a ValueError naming what cannot be converted.
    """
    name = type(model).__name__
    try:
        layers = model._layers()
    except ValueError as exc:
        raise ValueError(
            f"{name} cannot be converted to ONNX: {exc} Refit it with valid "
            "activations."
        ) from exc
    unsupported = sorted({type(layer).__name__ for layer in layers} - set(LAYERS))
    if unsupported:
        raise ValueError(
            f"{name} has layers of the type(s) {unsupported}, which cannot be "
            "converted to ONNX: add an entry to LAYERS in sknn_squiggle/_onnx.py."
        )
    unknown = sorted(
        {layer.activation for layer in layers[:-1]} - set(ONNX_ACTIVATIONS)
    )
    if unknown:
        raise ValueError(
            f"{name} uses the activation(s) {unknown}, which cannot be converted "
            f"to ONNX. Supported: {sorted(ONNX_ACTIVATIONS)}. Refit with one of "
            "these, or add an entry to ONNX_ACTIVATIONS in sknn_squiggle/_onnx.py."
        )
    if layers[-1].activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"{name}.out_activation_ is {layers[-1].activation!r}, which has no "
            f"ONNX conversion (supported: {sorted(OUTPUT_ACTIVATIONS)}): refit "
            "the model."
        )
    return layers


def emit_network(graph, x, model):
    """The network's output, layer by layer (each layer's converter from
    :data:`LAYERS`): the hidden activations on the hidden layers and
    ``out_activation_`` on the last one. Returns the name of the output."""
    layers = fitted_layers(model)
    views = ParameterLayout.of(layers).views(model._current_params())
    last = len(layers) - 1
    for index, (layer, params) in enumerate(zip(layers, views)):
        x = LAYERS[type(layer).__name__](graph, x, layer, params, index == last)
    return x


def _dense(graph, x, layer, params, is_output):
    """A :class:`~sknn_squiggle._nn.layers.Dense` layer and its activation."""
    activations = OUTPUT_ACTIVATIONS if is_output else ONNX_ACTIVATIONS
    return emit_dense_layer(
        graph,
        x,
        params["coefs"],
        params["intercepts"],
        activations[layer.activation],
    )


#: The converter of each layer type, by class name: ``converter(graph, x,
#: layer, params, is_output)`` returns the name of the layer's output.
LAYERS = {"Dense": _dense}


def emit_probabilities(graph, output, model, name):
    """``predict_proba`` from the network's output, into the tensor ``name``.

    Sigmoid outputs are clipped, ``p = min(max(p, eps), 1 - eps)`` with eps
    the machine epsilon of the graph's type; a binary target gets the two
    columns ``[1 - p, p]``; softmax outputs stay as they are.
    """
    if model.out_activation_ != "logistic":
        return graph.node("Identity", [output], output=name)
    eps = np.finfo(graph.dtype).eps
    p = graph.node("Max", [output, graph.constant(eps)])
    p = graph.node("Min", [p, graph.constant(1.0 - eps)])
    if model._label_binarizer.y_type_ != "binary":
        return graph.node("Identity", [p], output=name)
    q = graph.node("Sub", [graph.constant(1.0), p])
    return graph.node("Concat", [q, p], output=name, axis=1)


def emit_labels(graph, proba, model, classes, name):
    """``predict`` from the probabilities, into the tensor ``name``.

    Multilabel: the indicator matrix ``proba > 0.5`` as int64. Otherwise the
    label of the most probable column, ``classes[argmax_j proba_j]`` (first
    column on ties, as numpy's argmax). For a binary target this is
    ``classes[p > 0.5]``: ``1 - p`` is exact for ``p >= 0.5``, so ``p > 1 - p``
    exactly when ``p > 0.5``.
    """
    if model._label_binarizer.y_type_ == "multilabel-indicator":
        above = graph.node("Greater", [proba, graph.constant(0.5)])
        return graph.node("Cast", [above], output=name, to=TensorProto.INT64)
    column = graph.node("ArgMax", [proba], axis=1, keepdims=0)
    onnx_type = TensorProto.STRING if classes.dtype.kind == "U" else TensorProto.INT64
    return graph.node(
        "Gather", [graph.constant(classes, onnx_type), column], output=name, axis=0
    )


# ----------------------------------------------------------------------
# What can be converted.


def check_fitted(model):
    """Raise NotFittedError, saying what to do, for an unfitted estimator."""
    check_is_fitted(
        model,
        msg=(
            f"This {type(model).__name__} is not fitted yet, and only a fitted "
            "network can be converted to ONNX: call fit before to_onnx."
        ),
    )


def class_labels(model, nocl=False):
    """The labels the graph outputs: ``classes_`` as int64 (integer, boolean
    or whole-number float labels) or as unicode strings; the positions
    ``0 .. n_classes - 1`` with skl2onnx's option ``nocl``."""
    classes = np.asarray(model.classes_)
    if nocl:
        return np.arange(len(classes), dtype=np.int64)
    if classes.dtype.kind in "biu":
        return classes.astype(np.int64)
    if classes.dtype.kind == "f" and np.array_equal(classes, np.round(classes)):
        return classes.astype(np.int64)
    if classes.dtype.kind in "OU" and all(isinstance(c, str) for c in classes):
        return classes.astype(str)
    raise ValueError(
        f"The class labels {classes.tolist()} cannot be ONNX labels, which are "
        "int64 or strings: refit with integer or string labels, or convert "
        "with options={'nocl': True} to output class positions."
    )


def _graph_float_type(input_type):
    """The float type the graph computes in: float32 for a float32 input,
    float64 for anything else."""
    return (
        FloatTensorType if isinstance(input_type, FloatTensorType) else DoubleTensorType
    )


def check_input(operator):
    """Check the fitted model and its declared input; return the model."""
    model = operator.raw_operator
    name = type(model).__name__
    check_fitted(model)
    if len(operator.inputs) != 1:
        raise ValueError(
            f"{name} takes one input tensor of shape (n_samples, n_features) "
            f"but skl2onnx gives it {len(operator.inputs)} (a DataFrame gives one "
            "per column): convert with a numpy array (X.to_numpy()) or put the "
            "model after a ColumnTransformer."
        )
    input_type = operator.inputs[0].type
    if not isinstance(input_type, _FLOAT_INPUTS + _CAST_INPUTS):
        raise TypeError(
            f"{name} takes a dense float32, float64, int64 or boolean tensor, but "
            f"its input is declared {type(input_type).__name__}. ONNX graphs take "
            "dense tensors: declare FloatTensorType or DoubleTensorType, and "
            "densify sparse data (X.toarray()) before running the graph."
        )
    n_features = operator.inputs[0].get_second_dimension()
    if n_features is not None and n_features != model.n_features_in_:
        raise ValueError(
            f"{name} was fitted on {model.n_features_in_} features but its ONNX "
            f"input is declared with {n_features}: declare [None, "
            f"{model.n_features_in_}]."
        )
    opset = _target_opset(operator.target_opset)
    if opset < MIN_OPSET:
        raise ValueError(
            f"{name} converts to ONNX opset {MIN_OPSET} or later, not "
            f"target_opset={opset}: ask for a later target_opset."
        )
    fitted_layers(model)
    return model


# ----------------------------------------------------------------------
# skl2onnx's shape calculators and converters.


def calculate_regressor_shapes(operator):
    """Declare the output: one float column per target, ``[N, n_outputs_]``."""
    model = check_input(operator)
    n = operator.inputs[0].get_first_dimension()
    float_type = _graph_float_type(operator.inputs[0].type)
    operator.outputs[0].set_type(float_type([n, model.n_outputs_]))


def calculate_classifier_shapes(operator):
    """Declare the outputs: labels ``[N]`` (``[N, n_labels]`` multilabel),
    int64 or string, and probabilities ``[N, n_classes]`` in the graph's
    float type."""
    model = check_input(operator)
    y_type = check_classifier_options(operator, model)
    nocl = operator.scope_inst.get_options(model, dict(nocl=False))["nocl"]
    classes = class_labels(model, nocl)
    n = operator.inputs[0].get_first_dimension()
    multilabel = y_type == "multilabel-indicator"
    label_type = StringTensorType if classes.dtype.kind == "U" else Int64TensorType
    operator.outputs[0].set_type(
        label_type([n, model.n_outputs_] if multilabel else [n])
    )
    n_columns = model.n_outputs_ if multilabel else len(classes)
    float_type = _graph_float_type(operator.inputs[0].type)
    if _zipmap_casts(operator.scope_inst, model, float_type):
        float_type = FloatTensorType
    operator.outputs[1].set_type(float_type([n, n_columns]))


def check_classifier_options(operator, model):
    """Check the target type and the options; return the target type."""
    y_type = getattr(model._label_binarizer, "y_type_", None)
    if y_type not in _Y_TYPES:
        raise ValueError(
            f"SquiggleClassifier was fitted on {y_type!r} targets; ONNX export "
            f"supports {list(_Y_TYPES)}."
        )
    options = operator.scope_inst.get_options(
        model, dict(nocl=False, output_class_labels=False)
    )
    if (
        options["output_class_labels"]
        and not options["nocl"]
        and np.asarray(model.classes_).dtype == bool
    ):
        raise ValueError(
            "skl2onnx's option output_class_labels does not take boolean "
            "classes: leave it out (the labels come out as 0 and 1), add "
            "nocl=True, or refit with integer labels."
        )
    return y_type


def _zipmap_casts(options, model, float_type):
    """Whether the probabilities are cast to float32 for skl2onnx's ZipMap.

    With the option ``zipmap=True`` (skl2onnx's default) the probabilities
    go through a ZipMap node, which takes float32 only: a float64 graph
    casts them.
    """
    zipmap = options.get_options(model, dict(zipmap=True))["zipmap"]
    return zipmap is True and float_type is not FloatTensorType


def _target_opset(target_opset):
    """The main-domain target opset; skl2onnx's default when not given."""
    if isinstance(target_opset, dict):
        target_opset = target_opset.get("")
    return target_opset or get_latest_tested_opset_version()


def _start_graph(scope, operator, container):
    """The graph to write into and the name of the network's float input.

    Operators are picked from ``min(target opset, skl2onnx's latest tested
    opset)``, the newest that skl2onnx accepts in a graph.
    """
    variable = operator.inputs[0]
    proto_dtype = (
        TensorProto.FLOAT
        if isinstance(variable.type, FloatTensorType)
        else TensorProto.DOUBLE
    )
    opset = min(
        _target_opset(container.target_opset), get_latest_tested_opset_version()
    )
    graph = Graph(scope, container, proto_dtype, opset)
    x = variable.full_name
    if not isinstance(variable.type, _FLOAT_INPUTS):
        x = graph.node("Cast", [x], to=proto_dtype)
    return graph, x


def convert_regressor(scope, operator, container):
    """SquiggleRegressor: the network's output, ``[N, n_outputs_]``."""
    graph, x = _start_graph(scope, operator, container)
    output = emit_network(graph, x, operator.raw_operator)
    graph.node("Identity", [output], output=operator.outputs[0].full_name)


def convert_classifier(scope, operator, container):
    """SquiggleClassifier: labels (output 0) and probabilities (output 1)."""
    model = operator.raw_operator
    graph, x = _start_graph(scope, operator, container)
    output = emit_network(graph, x, model)
    proba_name = operator.outputs[1].full_name
    float_type = _graph_float_type(operator.inputs[0].type)
    cast = _zipmap_casts(container, model, float_type)
    proba = emit_probabilities(graph, output, model, None if cast else proba_name)
    nocl = container.get_options(model, dict(nocl=False))["nocl"]
    emit_labels(
        graph, proba, model, class_labels(model, nocl), operator.outputs[0].full_name
    )
    if cast:
        graph.node("Cast", [proba], output=proba_name, to=TensorProto.FLOAT)


def register_onnx_converters():
    """Register our shape calculators and converters with skl2onnx.

    The classifier declares the options skl2onnx's classifiers take, so that
    skl2onnx's own classifier parser handles them: ``zipmap`` (True, False or
    "columns"), ``nocl`` and ``output_class_labels``. Registering again
    replaces the previous registration.
    """
    update_registered_converter(
        SquiggleRegressor,
        "SknnSquiggleRegressor",
        calculate_regressor_shapes,
        convert_regressor,
    )
    update_registered_converter(
        SquiggleClassifier,
        "SknnSquiggleClassifier",
        calculate_classifier_shapes,
        convert_classifier,
        options={
            "zipmap": [True, False, "columns"],
            "nocl": [True, False],
            "output_class_labels": [False, True],
        },
    )


# ----------------------------------------------------------------------
# The public entry point.

# Fitted parts of a meta-estimator skl2onnx converts: Pipeline steps, a
# FeatureUnion's transformers (both fitted in place) and fitted attributes
# (ColumnTransformer.transformers_, estimators_...); never the unfitted
# templates a meta-estimator clones (ColumnTransformer.transformers...).
_FITTED_IN_PLACE = ("steps", "transformer_list")


def squiggles_in(model, seen=None):
    """Yield the SquiggleRegressor and SquiggleClassifier inside ``model``."""
    seen = set() if seen is None else seen
    if id(model) in seen:
        return
    seen.add(id(model))
    if isinstance(model, _ESTIMATORS):
        yield model
        return
    if isinstance(model, (list, tuple)):
        parts = model
    elif isinstance(model, dict):
        parts = model.values()
    elif isinstance(model, BaseEstimator):
        parts = [
            value
            for key, value in vars(model).items()
            if key in _FITTED_IN_PLACE or (key.endswith("_") and key[0] != "_")
        ]
    else:
        return
    for part in parts:
        yield from squiggles_in(part, seen)


def to_onnx(model, X_sample=None, **options):
    """Register our converters, check the model and call ``skl2onnx.to_onnx``.

    See :func:`sknn_squiggle.to_onnx`.
    """
    register_onnx_converters()
    if sp.issparse(X_sample):
        raise TypeError(
            "X_sample is a scipy sparse matrix, but ONNX graphs take dense "
            "tensors: pass a dense sample (X_sample[:1].toarray()) and densify "
            "the data before running the graph."
        )
    for estimator in squiggles_in(model):
        check_fitted(estimator)
    if isinstance(model, _ESTIMATORS) and hasattr(X_sample, "columns"):
        # A DataFrame would become one input per column; our estimators take
        # one matrix.
        X_sample = X_sample.to_numpy()
    return skl2onnx_to_onnx(model, X_sample, **options)
