"""Safe model files: an estimator saved as plain arrays and JSON.

A model file is an uncompressed ``.npz`` archive (numpy's zip of ``.npy``
arrays) holding

- ``metadata``: a 0-d unicode array with a JSON document: the format name and
  version, the library and scikit-learn versions that wrote it, the class, the
  parameters and the fitted state (numbers, strings and references to arrays);
- one array for every array the estimator holds: each layer's coefficients and
  intercepts, the loss curve, the class labels, the feature names, the
  optimizer's running state (velocity, or Adam's moments) and any array given
  as a parameter (``coefs_init``, ``intercepts_init``, ``trainable`` masks).

Only numbers, booleans and unicode strings are stored, never an object array,
so :func:`load` reads the file with ``np.load(path, allow_pickle=False)`` and
never runs code from it: it refuses pickles, object arrays, unknown fields,
arrays of the wrong shape or dtype and unknown classes with a ``ValueError``.

Values that JSON cannot tell apart are tagged: a tuple is ``{"tuple": [...]}``,
a dict (whose keys may be labels of any type) is ``{"dict": [[key, value],
...]}``, a numpy scalar is ``{"scalar": [dtype, value]}`` and an array is
``{"array": name}``, the name of its member in the archive. Every array in the
archive must be referenced exactly where an array is expected.
"""

import json
import os
import uuid
import zipfile
from numbers import Real

import numpy as np
import sklearn
from sklearn.preprocessing import LabelBinarizer

from ._classifier import SquiggleClassifier
from ._network import ParameterLayout
from ._optimizers import AdamOptimizer, SGDOptimizer
from ._regressor import SquiggleRegressor

FORMAT_NAME = "sknn_squiggle model"
#: Bumped whenever a file written by this version could not be read by an
#: older one.
FORMAT_VERSION = 1

_METADATA = "metadata"
_ESTIMATORS = {
    "SquiggleRegressor": SquiggleRegressor,
    "SquiggleClassifier": SquiggleClassifier,
}
_OUT_ACTIVATIONS = {
    "SquiggleRegressor": ("identity", "exp"),
    "SquiggleClassifier": ("logistic", "softmax"),
}
_Y_TYPES = ("binary", "multiclass", "multilabel-indicator")

# The optimizer state: scalars (settings, current learning rate, Adam's step
# count) and the per-parameter running averages, stored as the optimizer holds
# them: a change of their meaning (say, rescaled moments) needs a new
# FORMAT_VERSION. Private array attributes (``_step``...) are scratch buffers
# that the constructor allocates.
_OPTIMIZERS = {"sgd": SGDOptimizer, "adam": AdamOptimizer}
_OPTIMIZER_SCALARS = {
    "sgd": (
        "learning_rate_init",
        "learning_rate",
        "lr_schedule",
        "momentum",
        "nesterov",
        "power_t",
    ),
    "adam": ("learning_rate_init", "learning_rate", "beta_1", "beta_2", "epsilon", "t"),
}
_OPTIMIZER_ARRAYS = {"sgd": ("velocity",), "adam": ("m", "v")}

# Fitted attributes of every fitted estimator, stored in the JSON
# ``attributes`` (arrays by reference). ``_params`` is not stored: it is
# rebuilt from coefs_ and intercepts_, which become views of it again.
_INT_ATTRIBUTES = (
    "n_features_in_",
    "n_outputs_",
    "n_layers_",
    "n_iter_",
    "t_",
    "_no_improvement_count",
)
_ATTRIBUTES = (
    *_INT_ATTRIBUTES,
    "out_activation_",
    "coefs_",
    "intercepts_",
    "loss_",
    "loss_curve_",
    "best_loss_",
    "validation_scores_",
    "best_validation_score_",
)
_OPTIONAL_ATTRIBUTES = ("feature_names_in_", "history_")
_CLASSIFIER_ATTRIBUTES = ("classes_",)
# Attributes of the estimator stored elsewhere in the file or rebuilt.
_OTHER_STATE = ("_params", "_optimizer", "_label_binarizer")
# Not saved: scikit-learn's callbacks (set_callbacks) are code, not data.
_NOT_SAVED = ("_skl_callbacks",)
_BINARIZER_FIELDS = (
    "neg_label",
    "pos_label",
    "sparse_output",
    "y_type_",
    "sparse_input_",
)

# Numpy scalar types a value may have; kinds of arrays a file may hold.
_SCALAR_TYPES = {
    "bool": np.bool_,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "float16": np.float16,
    "float32": np.float32,
    "float64": np.float64,
    "str": np.str_,
}
_ARRAY_KINDS = "biufU"  # bool, signed/unsigned integer, float, unicode
_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class _Refused(ValueError):
    """The content cannot be stored or read as plain data."""


# ----------------------------------------------------------------------
# Plain values <-> JSON and arrays


def _plain_array(array, name):
    """The array itself if it is a plain (pickle-free) array, else refuse."""
    if array.dtype.kind not in _ARRAY_KINDS or array.dtype.names is not None:
        raise _Refused(
            f"{name} is an array of dtype {array.dtype}; only boolean, integer, "
            "float and unicode arrays can be stored without pickling."
        )
    return array


def _encode(value, name, arrays):
    """JSON for ``value``; its arrays go into ``arrays`` under names from
    ``name``."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.random.RandomState):
        raise _Refused(
            f"{name} is a RandomState instance, whose state cannot be stored as "
            "plain data. Set it to an int or None before saving, for example "
            "est.set_params(random_state=0)."
        )
    if isinstance(value, np.generic):
        if isinstance(value, np.str_):
            return {"scalar": ["str", str(value)]}
        dtype = value.dtype.name
        if dtype not in _SCALAR_TYPES:
            raise _Refused(f"{name} is a numpy scalar of unsupported dtype {dtype}.")
        return {"scalar": [dtype, value.item()]}
    if isinstance(value, np.ndarray):
        arrays[name] = _plain_array(value, name)
        return {"array": name}
    if type(value) is list:
        return [_encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
    if type(value) is tuple:
        return {
            "tuple": [_encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
        }
    if type(value) is dict:
        return {
            "dict": [
                [
                    _encode(k, f"{name}.key{i}", arrays),
                    _encode(v, f"{name}.{i}", arrays),
                ]
                for i, (k, v) in enumerate(value.items())
            ]
        }
    raise _Refused(
        f"{name} holds a value of type {type(value).__name__}, which cannot be "
        "stored as plain data (numbers, strings, lists, tuples, dicts, arrays)."
    )


class _Decoder:
    """Turns JSON back into values, fetching referenced arrays."""

    def __init__(self, arrays):
        self.arrays = arrays
        self.used = set()

    def __call__(self, value, where):
        if value is None or type(value) in (bool, int, float, str):
            return value
        if type(value) is list:
            return [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if type(value) is not dict or len(value) != 1:
            raise _Refused(f"{where} is not a valid encoded value: {value!r:.80}.")
        ((tag, content),) = value.items()
        if tag == "array" and type(content) is str:
            if content not in self.arrays:
                raise _Refused(
                    f"{where} refers to the array {content!r}, which the file "
                    "does not hold."
                )
            self.used.add(content)
            return self.arrays[content]
        if tag == "tuple" and type(content) is list:
            return tuple(self(v, f"{where}[{i}]") for i, v in enumerate(content))
        if tag == "scalar" and type(content) is list and len(content) == 2:
            dtype, item = content
            if type(dtype) is not str or type(item) is not _scalar_item_type(dtype):
                raise _Refused(f"{where} is not a valid numpy scalar: {content!r:.80}.")
            try:
                return _SCALAR_TYPES[dtype](item)
            except (TypeError, ValueError, OverflowError) as exc:
                raise _Refused(
                    f"{where} is not a valid {dtype}: {item!r:.80}."
                ) from exc
        if tag == "dict" and type(content) is list:
            result = {}
            for i, pair in enumerate(content):
                if type(pair) is not list or len(pair) != 2:
                    raise _Refused(f"{where} holds a malformed dict entry.")
                key = self(pair[0], f"{where} key {i}")
                if not (key is None or isinstance(key, str | int | float | np.generic)):
                    raise _Refused(f"{where} has a key of type {type(key).__name__}.")
                result[key] = self(pair[1], f"{where}[{key!r}]")
            return result
        raise _Refused(f"{where} is not a valid encoded value: {value!r:.80}.")


def _scalar_item_type(dtype):
    """The JSON type that holds a numpy scalar of ``dtype``, None if unknown."""
    if dtype not in _SCALAR_TYPES:
        return None
    kind = np.dtype(_SCALAR_TYPES[dtype]).kind
    return {"b": bool, "i": int, "u": int, "f": float, "U": str}[kind]


def _check_fields(mapping, required, optional, where):
    if type(mapping) is not dict:
        raise _Refused(f"{where} must be a JSON object.")
    unknown = set(mapping) - set(required) - set(optional)
    if unknown:
        raise _Refused(f"{where} has unknown fields {sorted(unknown)}.")
    missing = set(required) - set(mapping)
    if missing:
        raise _Refused(f"{where} lacks the fields {sorted(missing)}.")


def _is_int(value):
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def _library_version():
    from . import __version__

    return __version__


# ----------------------------------------------------------------------
# Estimator -> metadata and arrays


def _label_array(values, name):
    """Labels or names as a plain array, and whether they were objects."""
    values = np.asarray(values)
    if values.dtype.kind != "O":
        return _plain_array(values, name), False
    # pandas and scikit-learn keep strings in object arrays: store unicode.
    if all(isinstance(v, str) for v in values.ravel()):
        return values.astype(str), True
    raise _Refused(
        f"{name} is an object array of values that are not all strings; "
        "only string, integer, float and boolean labels can be saved."
    )


def _dump(estimator):
    """The metadata (a JSON-ready dict) and arrays describing ``estimator``."""
    name = type(estimator).__name__
    if _ESTIMATORS.get(name) is not type(estimator):
        raise _Refused(
            f"only SquiggleRegressor and SquiggleClassifier can be saved, got "
            f"{type(estimator).__module__}.{type(estimator).__qualname__}."
        )
    arrays = {}
    params = estimator.get_params(deep=False)
    metadata = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "library_version": _library_version(),
        "sklearn_version": sklearn.__version__,
        "class": name,
        "params": {k: _encode(v, f"params.{k}", arrays) for k, v in params.items()},
        "fitted": None,
    }
    state = vars(estimator)
    extra = set(state) - set(params) - set(_NOT_SAVED)
    if "coefs_" not in state:
        if extra:
            raise _Refused(
                f"the estimator is not fitted but has the attributes {sorted(extra)}."
            )
        return metadata, arrays

    is_classifier = name == "SquiggleClassifier"
    known = {*_ATTRIBUTES, *_OPTIONAL_ATTRIBUTES, *_OTHER_STATE}
    if is_classifier:
        known.update(_CLASSIFIER_ATTRIBUTES)
    unknown = extra - known
    if unknown:
        raise _Refused(
            f"the estimator has attributes {sorted(unknown)} that this version of "
            "the model file format does not know how to store."
        )
    required = {*_ATTRIBUTES, "_optimizer"}
    if is_classifier:
        required.update({*_CLASSIFIER_ATTRIBUTES, "_label_binarizer"})
    missing = required - set(state)
    if missing:
        raise _Refused(f"the fitted estimator lacks the attributes {sorted(missing)}.")

    attributes = {}
    for key in _ATTRIBUTES:
        value = state[key]
        if key in ("loss_curve_", "validation_scores_") and value is not None:
            value = np.asarray(value, dtype=np.float64)
        attributes[key] = _encode(value, key, arrays)
    if "feature_names_in_" in state:
        names, _ = _label_array(state["feature_names_in_"], "feature_names_in_")
        attributes["feature_names_in_"] = _encode(names, "feature_names_in_", arrays)
    if "history_" in state:
        attributes["history_"] = _encode(state["history_"], "history_", arrays)
    fitted = {"attributes": attributes, "optimizer": None}

    if is_classifier:
        classes, as_objects = _label_array(state["classes_"], "classes_")
        attributes["classes_"] = _encode(classes, "classes_", arrays)
        fitted["classes_object"] = as_objects
        binarizer = state["_label_binarizer"]
        if type(binarizer) is not LabelBinarizer or set(vars(binarizer)) != {
            *_BINARIZER_FIELDS,
            "classes_",
        }:
            raise _Refused("_label_binarizer is not a fitted LabelBinarizer.")
        if not np.array_equal(binarizer.classes_, state["classes_"]):
            raise _Refused("_label_binarizer.classes_ differs from classes_.")
        fitted["label_binarizer"] = {
            key: _encode(getattr(binarizer, key), f"_label_binarizer.{key}", arrays)
            for key in _BINARIZER_FIELDS
        }

    optimizer = state["_optimizer"]
    if optimizer is not None:
        kinds = [k for k, cls in _OPTIMIZERS.items() if type(optimizer) is cls]
        if not kinds:
            raise _Refused(
                f"_optimizer is a {type(optimizer).__name__}, not one of the "
                "library's optimizers."
            )
        kind = kinds[0]
        fields = {*_OPTIMIZER_SCALARS[kind], *_OPTIMIZER_ARRAYS[kind]}
        scratch = {
            k
            for k, v in vars(optimizer).items()
            if k.startswith("_") and isinstance(v, np.ndarray)
        }
        if set(vars(optimizer)) - scratch != fields:
            raise _Refused(
                f"the {kind} optimizer has attributes {sorted(vars(optimizer))}; "
                f"this version of the model file format stores {sorted(fields)}."
            )
        fitted["optimizer"] = {
            "kind": kind,
            "state": {
                key: _encode(getattr(optimizer, key), f"optimizer.{key}", arrays)
                for key in sorted(fields)
            },
        }
    metadata["fitted"] = fitted
    return metadata, arrays


# ----------------------------------------------------------------------
# Metadata and arrays -> estimator (every check happens here)


def _build(metadata, arrays):
    """A new estimator from validated metadata and arrays."""
    _check_fields(
        metadata,
        (
            "format",
            "format_version",
            "library_version",
            "sklearn_version",
            "class",
            "params",
            "fitted",
        ),
        (),
        "the metadata",
    )
    if metadata["format"] != FORMAT_NAME:
        raise _Refused(
            f"the format is {metadata['format']!r:.80}, not {FORMAT_NAME!r}."
        )
    if not all(
        type(metadata[key]) is str for key in ("library_version", "sklearn_version")
    ):
        raise _Refused("library_version and sklearn_version must be strings.")
    version = metadata["format_version"]
    if not _is_int(version) or version < 1:
        raise _Refused(f"the format version {version!r:.80} is not valid.")
    if version > FORMAT_VERSION:
        raise _Refused(
            f"the file has format version {version}, written by sknn_squiggle "
            f"{metadata['library_version']!r:.40}; this version "
            f"({_library_version()}) reads format versions up to {FORMAT_VERSION}. "
            "Upgrade sknn_squiggle to load it."
        )
    name = metadata["class"]
    if type(name) is not str or name not in _ESTIMATORS:
        raise _Refused(
            f"the class {name!r:.80} is not one of {sorted(_ESTIMATORS)}: refused."
        )
    cls = _ESTIMATORS[name]
    decode = _Decoder(arrays)

    # Parameters: the class's own names only; a missing one takes its default.
    params = metadata["params"]
    _check_fields(params, (), cls().get_params(deep=False), "params")
    params = {k: decode(v, f"params.{k}") for k, v in params.items()}
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except ValueError as exc:
        raise _Refused(f"invalid parameters: {exc}") from exc

    fitted = metadata["fitted"]
    if fitted is not None:
        _restore_fitted(estimator, name, fitted, decode)
    unused = set(arrays) - decode.used
    if unused:
        raise _Refused(f"the file holds unknown fields {sorted(unused)}.")
    return estimator


def _restore_fitted(estimator, name, fitted, decode):
    is_classifier = name == "SquiggleClassifier"
    required = ["attributes", "optimizer"]
    if is_classifier:
        required += ["classes_object", "label_binarizer"]
    _check_fields(fitted, required, (), "fitted")

    attrs = fitted["attributes"]
    _check_fields(
        attrs,
        _ATTRIBUTES + (_CLASSIFIER_ATTRIBUTES if is_classifier else ()),
        _OPTIONAL_ATTRIBUTES,
        "fitted.attributes",
    )
    a = {key: decode(value, key) for key, value in attrs.items()}

    for key in _INT_ATTRIBUTES:
        if not _is_int(a[key]) or a[key] < 0:
            raise _Refused(f"{key} must be a non-negative integer, got {a[key]!r:.80}.")
    if a["n_layers_"] < 2 or a["n_features_in_"] < 1 or a["n_outputs_"] < 1:
        raise _Refused("n_layers_ must be >= 2, n_features_in_ and n_outputs_ >= 1.")
    if (
        type(a["out_activation_"]) is not str
        or a["out_activation_"] not in _OUT_ACTIVATIONS[name]
    ):
        raise _Refused(
            f"out_activation_ {a['out_activation_']!r:.80} is not one of "
            f"{_OUT_ACTIVATIONS[name]} for a {name}."
        )
    if not _is_real(a["loss_"]):
        raise _Refused("loss_ must be a number.")
    for key in ("best_loss_", "best_validation_score_"):
        if a[key] is not None and not _is_real(a[key]):
            raise _Refused(f"{key} must be a number or null.")

    # The layers must chain: input -> hidden units -> outputs.
    coefs, intercepts = a["coefs_"], a["intercepts_"]
    n_weights = a["n_layers_"] - 1
    for key, arrays, ndim in (("coefs_", coefs, 2), ("intercepts_", intercepts, 1)):
        if (
            type(arrays) is not list
            or len(arrays) != n_weights
            or not all(isinstance(x, np.ndarray) and x.ndim == ndim for x in arrays)
        ):
            raise _Refused(
                f"{key} must be a list of n_layers_ - 1 = {n_weights} arrays of "
                f"{ndim} dimension(s)."
            )
    dtype = coefs[0].dtype
    if dtype not in _FLOAT_DTYPES or any(
        x.dtype != dtype for x in [*coefs, *intercepts]
    ):
        raise _Refused("coefs_ and intercepts_ must all be float32 or all float64.")
    units = [a["n_features_in_"]] + [b.shape[0] for b in intercepts]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        if W.shape != (units[i], units[i + 1]) or units[i + 1] < 1:
            raise _Refused(
                f"coefs_[{i}] has shape {W.shape} but layer {i} maps {units[i]} "
                f"units to the {b.shape[0]} units of intercepts_[{i}]."
            )
    if units[-1] != a["n_outputs_"]:
        raise _Refused(
            f"the last layer has {units[-1]} units but n_outputs_ is {a['n_outputs_']}."
        )

    for key in ("loss_curve_", "validation_scores_"):
        value = a[key]
        if value is None and key == "validation_scores_":
            continue
        if (
            not isinstance(value, np.ndarray)
            or value.ndim != 1
            or value.dtype.kind != "f"
        ):
            raise _Refused(f"{key} must be a 1-d float array.")
        a[key] = value.tolist()

    if "feature_names_in_" in a:
        names = a["feature_names_in_"]
        if (
            not isinstance(names, np.ndarray)
            or names.dtype.kind != "U"
            or names.shape != (a["n_features_in_"],)
        ):
            raise _Refused(
                "feature_names_in_ must be a unicode array of n_features_in_ = "
                f"{a['n_features_in_']} names."
            )
        # scikit-learn keeps feature names in an object array.
        a["feature_names_in_"] = names.astype(object)

    if "history_" in a:
        _check_history(a["history_"])

    if is_classifier:
        _restore_labels(a, fitted, decode)

    for key, value in a.items():
        setattr(estimator, key, value)
    layout = ParameterLayout(units)
    estimator._bind_params(layout.pack(coefs, intercepts, dtype), layout)
    try:
        estimator._hidden_activations(a["n_layers_"] - 2)
    except ValueError as exc:
        raise _Refused(str(exc)) from exc
    estimator._optimizer = _restore_optimizer(fitted["optimizer"], estimator, decode)


def _check_history(history):
    """The per-epoch log: a list of dicts from names to numbers or null."""
    if type(history) is not list or not all(
        type(row) is dict
        and all(
            type(key) is str and (value is None or _is_real(value))
            for key, value in row.items()
        )
        for row in history
    ):
        raise _Refused("history_ must be a list of dicts of numbers.")


def _restore_labels(a, fitted, decode):
    """Check classes_ and rebuild the LabelBinarizer that predict uses."""
    classes = a["classes_"]
    if (
        not isinstance(classes, np.ndarray)
        or classes.ndim != 1
        or classes.dtype.kind not in _ARRAY_KINDS
    ):
        raise _Refused("classes_ must be a 1-d array of labels.")
    if type(fitted["classes_object"]) is not bool:
        raise _Refused("fitted.classes_object must be true or false.")
    if fitted["classes_object"]:
        if classes.dtype.kind != "U":
            raise _Refused("fitted.classes_object is only for string labels.")
        classes = classes.astype(object)

    lb = fitted["label_binarizer"]
    _check_fields(lb, _BINARIZER_FIELDS, (), "fitted.label_binarizer")
    lb = {key: decode(value, f"_label_binarizer.{key}") for key, value in lb.items()}
    if type(lb["y_type_"]) is not str or lb["y_type_"] not in _Y_TYPES:
        raise _Refused(f"y_type_ {lb['y_type_']!r:.80} is not one of {_Y_TYPES}.")
    if not (_is_int(lb["neg_label"]) and _is_int(lb["pos_label"])):
        raise _Refused("neg_label and pos_label must be integers.")
    if type(lb["sparse_output"]) is not bool or type(lb["sparse_input_"]) is not bool:
        raise _Refused("sparse_output and sparse_input_ must be true or false.")

    # The output layer encodes the labels: one sigmoid for two classes, a
    # softmax over the classes, or one sigmoid per label.
    y_type, n_outputs = lb["y_type_"], a["n_outputs_"]
    expected = (1, 2) if y_type == "binary" else (len(classes), len(classes))
    if (n_outputs, len(classes)) != expected:
        raise _Refused(
            f"a {y_type} classifier with {len(classes)} classes cannot have "
            f"{n_outputs} outputs."
        )
    if (a["out_activation_"] == "softmax") != (y_type == "multiclass"):
        raise _Refused(
            f"out_activation_ {a['out_activation_']!r} does not fit y_type_ {y_type!r}."
        )
    binarizer = LabelBinarizer(
        neg_label=lb["neg_label"],
        pos_label=lb["pos_label"],
        sparse_output=lb["sparse_output"],
    )
    binarizer.y_type_ = y_type
    binarizer.sparse_input_ = lb["sparse_input_"]
    binarizer.classes_ = classes
    a["classes_"] = classes
    a["_label_binarizer"] = binarizer


def _restore_optimizer(spec, estimator, decode):
    """The optimizer that warm_start and partial_fit continue with."""
    if spec is None:
        return None
    _check_fields(spec, ("kind", "state"), (), "fitted.optimizer")
    kind = spec["kind"]
    if type(kind) is not str or kind not in _OPTIMIZERS:
        raise _Refused(
            f"the optimizer {kind!r:.80} is not one of {sorted(_OPTIMIZERS)}."
        )
    scalars, arrays = _OPTIMIZER_SCALARS[kind], _OPTIMIZER_ARRAYS[kind]
    _check_fields(spec["state"], scalars + arrays, (), "fitted.optimizer.state")
    state = {k: decode(v, f"optimizer.{k}") for k, v in spec["state"].items()}
    params = estimator._params
    for key in arrays:
        value = state[key]
        if not (
            isinstance(value, np.ndarray)
            and value.shape == params.shape
            and value.dtype == params.dtype
        ):
            raise _Refused(
                f"optimizer.{key} must be a {params.dtype} array of shape "
                f"{params.shape}, one entry per parameter."
            )
    for key in scalars:
        value = state[key]
        if key == "lr_schedule":
            ok = type(value) is str and value in ("constant", "invscaling", "adaptive")
        elif key == "nesterov":
            ok = isinstance(value, bool | np.bool_)
        elif key == "t":
            ok = _is_int(value) and value >= 0
        else:
            ok = _is_real(value)
        if not ok:
            raise _Refused(f"optimizer.{key} has an invalid value {value!r:.80}.")
    optimizer = _OPTIMIZERS[kind](params)
    for key, value in state.items():
        setattr(optimizer, key, value)
    return optimizer


# ----------------------------------------------------------------------
# Files


def save(estimator, path):
    """Save an estimator to a safe model file of plain arrays and JSON.

    The file is an ``.npz`` archive that :func:`load` reads without
    unpickling anything. It records the format version, the library version,
    the class, every parameter and, for a fitted estimator, every fitted
    attribute (weights, loss curve, classes, feature names, ...) and the
    optimizer's state, so that ``partial_fit`` and ``warm_start`` continue
    exactly where they stopped.

    Parameters
    ----------
    estimator : SquiggleRegressor or SquiggleClassifier
        The estimator, fitted or not. Its ``random_state`` must be an int or
        None (a ``RandomState`` instance cannot be stored as plain data), and
        ``scoring`` a string or None. Callbacks set with ``set_callbacks``
        are not saved (they are code, not data): set them again after loading.
    path : str or path-like
        Where to write. The file is written exactly there (no ``.npz`` is
        appended): first to a temporary file in the same folder, then moved
        over ``path``, so an existing file is replaced whole or not at all.

    Raises
    ------
    ValueError
        If the estimator holds something that cannot be stored as plain data:
        an object array, a ``RandomState``, an unknown attribute.

    See Also
    --------
    load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sknn_squiggle import SquiggleClassifier, load, save
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> y = ["no", "yes", "yes", "no"]
    >>> clf = SquiggleClassifier(hidden_layer_sizes=(4,), activation="tanh",
    ...                          solver="lbfgs", random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "xor.model")
    ...     save(clf, path)
    ...     again = load(path)
    >>> again.classes_
    array(['no', 'yes'], dtype='<U3')
    >>> bool((again.predict_proba(X) == clf.predict_proba(X)).all())
    True
    """
    try:
        metadata, arrays = _dump(estimator)
        text = json.dumps(metadata)
        # Build the estimator back from exactly what will be written: a file
        # that save writes, load reads.
        _build(json.loads(text), arrays)
    except _Refused as exc:
        raise ValueError(f"Cannot save the estimator: {exc}") from None
    arrays[_METADATA] = np.array(text)

    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{base}.{uuid.uuid4().hex}.tmp")
    # os.open applies the umask to 0o666, as a plain open() would.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            # A file object, not a name: numpy would append ".npz" to a name.
            np.savez(file, allow_pickle=False, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Load an estimator from a model file written by :func:`save`.

    Loading never runs code from the file: it is read with
    ``np.load(path, allow_pickle=False)``, and every field is checked against
    what the format allows before the estimator is built.

    Parameters
    ----------
    path : str or path-like
        The file, exactly as given to :func:`save`.

    Returns
    -------
    estimator : SquiggleRegressor or SquiggleClassifier
        The estimator, with its parameters and, if it was fitted, its fitted
        state: it predicts exactly as the saved one did, and ``partial_fit``
        and ``warm_start`` continue from the saved optimizer state.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not a model file: a pickle or other file, an archive
        holding a pickled object array, unknown or missing fields, arrays of
        the wrong shape or dtype, an unknown class, or a format version newer
        than this library reads.

    See Also
    --------
    save : Write the file.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sknn_squiggle import SquiggleRegressor, load, save
    >>> X = np.linspace(0, 1, 20).reshape(-1, 1)
    >>> y = np.sin(6 * X).ravel()
    >>> reg = SquiggleRegressor(hidden_layer_sizes=(8,), solver="sgd",
    ...                         max_iter=5, random_state=0).fit(X, y)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = os.path.join(folder, "squiggle.npz")
    ...     save(reg, path)
    ...     again = load(path)
    >>> bool((again.predict(X) == reg.predict(X)).all())
    True
    >>> _ = reg.partial_fit(X, y), again.partial_fit(X, y)
    >>> bool((again.predict(X) == reg.predict(X)).all())
    True
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path!r}.")
    with open(path, "rb") as file:
        magic = file.read(4)
    if magic != b"PK\x03\x04":
        # Protocol 2+ pickles (and so joblib's uncompressed files) start 0x80.
        kind = "a pickle" if magic[:1] == b"\x80" else "not an .npz archive"
        raise ValueError(
            f"Cannot load {path!r}: it is {kind}, not a model file written by "
            "sknn_squiggle.save. Pickle and joblib files are refused because "
            "loading them can run arbitrary code: open them with pickle or "
            "joblib, and only if you trust their source."
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if len(set(names)) != len(names):
                raise _Refused("the archive holds the same field twice.")
            arrays = {}
            for name in names:
                try:
                    value = archive[name]
                except ValueError as exc:
                    if "allow_pickle" not in str(exc):
                        raise
                    raise _Refused(
                        f"the field {name!r} is a pickled object array, which "
                        "only unpickling could read: refused."
                    ) from None
                if not isinstance(value, np.ndarray):
                    raise _Refused(f"the field {name!r} is not a numpy array.")
                arrays[name] = value
        text = arrays.pop(_METADATA, None)
        if text is None or text.dtype.kind != "U" or text.ndim != 0:
            raise _Refused(
                f"there is no {_METADATA!r} text: not written by sknn_squiggle.save."
            )
        for name, value in arrays.items():
            _plain_array(value, f"the field {name!r}")
        try:
            metadata = json.loads(str(text[()]), object_pairs_hook=_unique_keys)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise _Refused(f"the metadata is not valid JSON ({exc}).") from None
        return _build(metadata, arrays)
    except _Refused as exc:
        raise ValueError(f"Cannot load {path!r}: {exc}") from None
    except (
        ValueError,
        OSError,
        EOFError,
        zipfile.BadZipFile,
        KeyError,
        TypeError,
        AttributeError,
        IndexError,
        RecursionError,
    ) as exc:
        # Anything malformed that the checks above did not name, e.g. a
        # truncated or corrupt zip archive.
        raise ValueError(
            f"Cannot load {path!r}: the file is malformed "
            f"({type(exc).__name__}: {exc})."
        ) from exc


def _unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Refused("the metadata repeats a field.")
    return dict(pairs)
