"""What a model file holds, derived from the library's own registries.

The metadata of a file is a JSON document::

    {"format": ..., "format_version": ..., "library_version": ...,
     "sklearn_version": ..., "class": ..., "params": {...},
     "fitted": null or {"attributes": {...}, "optimizer": null or {...},
                        ["classes_object": ..., "label_binarizer": {...}]}}

- ``params``: every constructor parameter (``get_params``);
- ``fitted.attributes``: the fitted attributes of
  :data:`sknn_squiggle._fitted.FITTED_ATTRIBUTES` (and the classifier's),
  each checked on load by its kind;
- ``fitted.optimizer``: the optimizer's ``state()``, whose fields come from
  the optimizer and schedule registries
  (:mod:`sknn_squiggle._training.optimizers`, ``.schedules``).

:func:`dump` turns an estimator into (metadata, arrays); :func:`build` checks
every field and turns them back into an estimator, or raises
:class:`~.codec.Refused`.
"""

import numpy as np
import sklearn
from sklearn.preprocessing import LabelBinarizer

from .._classifier import SquiggleClassifier
from .._fitted import CLASSIFIER_ATTRIBUTES, FITTED_ATTRIBUTES, OTHER_STATE
from .._nn.layout import ParameterLayout
from .._nn.losses import LOSSES
from .._regressor import SquiggleRegressor
from .._training.optimizers import OPTIMIZERS
from .._training.schedules import SCHEDULES
from .codec import (
    ARRAY_KINDS,
    FLOAT_DTYPES,
    Decoder,
    Refused,
    check_fields,
    encode,
    is_int,
    is_real,
    label_array,
)

FORMAT_NAME = "sknn_squiggle model"
#: Bumped whenever a file written by this version could not be read by an
#: older one. Version 2: the optimizer's state holds its schedule's (Adam's
#: ``learning_rate`` is its base rate; sgd stores ``power_t`` only for
#: "invscaling"). Version 1 files are read by :func:`upgrade`.
FORMAT_VERSION = 2

ESTIMATORS = {cls.__name__: cls for cls in (SquiggleRegressor, SquiggleClassifier)}
#: The output activations each estimator's losses give.
OUT_ACTIVATIONS = {
    name: tuple(LOSSES[loss].output_activation for loss in cls._LOSSES)
    for name, cls in ESTIMATORS.items()
}
_Y_TYPES = ("binary", "multiclass", "multilabel-indicator")
_BINARIZER_FIELDS = ("neg_label", "pos_label", "sparse_output", "y_type_")
_BINARIZER_FIELDS += ("sparse_input_",)
# Not saved: scikit-learn's callbacks (set_callbacks) are code, not data.
_NOT_SAVED = ("_skl_callbacks",)
_TOP_FIELDS = ("format", "format_version", "library_version", "sklearn_version")
_TOP_FIELDS += ("class", "params", "fitted")


def _attributes(is_classifier):
    """The fitted attributes a file of this class holds."""
    return FITTED_ATTRIBUTES + (CLASSIFIER_ATTRIBUTES if is_classifier else ())


def _library_version():
    from .. import __version__

    return __version__


# ----------------------------------------------------------------------
# Estimator -> metadata and arrays


def dump(estimator):
    """The metadata (a JSON-ready dict) and arrays describing ``estimator``."""
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise Refused(
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
        "params": {k: encode(v, f"params.{k}", arrays) for k, v in params.items()},
        "fitted": None,
    }
    state = vars(estimator)
    extra = set(state) - set(params) - set(_NOT_SAVED)
    if "coefs_" not in state:
        if extra:
            raise Refused(
                f"the estimator is not fitted but has the attributes {sorted(extra)}."
            )
        return metadata, arrays
    is_classifier = name == "SquiggleClassifier"
    _check_dumped_attributes(state, extra, is_classifier)
    fitted = {"attributes": _dump_attributes(state, is_classifier, arrays)}
    fitted["optimizer"] = _dump_optimizer(state["_optimizer"], arrays)
    if is_classifier:
        fitted.update(_dump_labels(state, arrays))
    metadata["fitted"] = fitted
    return metadata, arrays


def _check_dumped_attributes(state, extra, is_classifier):
    """Refuse attributes the format does not know, and missing ones."""
    attributes = _attributes(is_classifier)
    known = {a.name for a in attributes} | set(OTHER_STATE)
    unknown = extra - known
    if unknown:
        raise Refused(
            f"the estimator has attributes {sorted(unknown)} that this version of "
            "the model file format does not know how to store."
        )
    required = {a.name for a in attributes if not a.optional} | {"_optimizer"}
    if is_classifier:
        required.add("_label_binarizer")
    missing = required - set(state)
    if missing:
        raise Refused(f"the fitted estimator lacks the attributes {sorted(missing)}.")


def _dump_attributes(state, is_classifier, arrays):
    """The fitted attributes as JSON (arrays by reference)."""
    encoded = {}
    for a in _attributes(is_classifier):
        if a.name not in state:
            continue
        value = state[a.name]
        if a.kind in ("reals", "reals_or_none") and value is not None:
            value = np.asarray(value, dtype=np.float64)
        elif a.kind in ("names", "labels"):
            value, _ = label_array(value, a.name)
        encoded[a.name] = encode(value, a.name, arrays)
    return encoded


def _dump_optimizer(optimizer, arrays):
    """The optimizer's state (kind and fields), or None."""
    if optimizer is None:
        return None
    if not any(type(optimizer) is cls for cls in OPTIMIZERS.values()):
        raise Refused(
            f"_optimizer is a {type(optimizer).__name__}, not one of the "
            "library's optimizers."
        )
    state = dict(optimizer.state())
    kind = state.pop("kind")
    return {
        "kind": kind,
        "state": {
            key: encode(value, f"optimizer.{key}", arrays)
            for key, value in sorted(state.items())
        },
    }


def _dump_labels(state, arrays):
    """Whether ``classes_`` held objects, and the label binarizer's state."""
    _, as_objects = label_array(state["classes_"], "classes_")
    binarizer = state["_label_binarizer"]
    if type(binarizer) is not LabelBinarizer or set(vars(binarizer)) != {
        *_BINARIZER_FIELDS,
        "classes_",
    }:
        raise Refused("_label_binarizer is not a fitted LabelBinarizer.")
    if not np.array_equal(binarizer.classes_, state["classes_"]):
        raise Refused("_label_binarizer.classes_ differs from classes_.")
    return {
        "classes_object": as_objects,
        "label_binarizer": {
            key: encode(getattr(binarizer, key), f"_label_binarizer.{key}", arrays)
            for key in _BINARIZER_FIELDS
        },
    }


# ----------------------------------------------------------------------
# Metadata and arrays -> estimator (every check happens here)


def build(metadata, arrays):
    """A new estimator from validated metadata and arrays."""
    check_fields(metadata, _TOP_FIELDS, (), "the metadata")
    metadata = upgrade(metadata)
    cls = ESTIMATORS[metadata["class"]]
    decode = Decoder(arrays)
    # Parameters: the class's own names only; a missing one takes its default.
    params = metadata["params"]
    check_fields(params, (), cls().get_params(deep=False), "params")
    params = {k: decode(v, f"params.{k}") for k, v in params.items()}
    estimator = cls(**params)
    try:
        estimator._validate_params()
    except ValueError as exc:
        raise Refused(f"invalid parameters: {exc}") from exc
    if metadata["fitted"] is not None:
        _restore_fitted(estimator, metadata["fitted"], decode)
    unused = set(arrays) - decode.used
    if unused:
        raise Refused(f"the file holds unknown fields {sorted(unused)}.")
    return estimator


def upgrade(metadata):
    """Check the format, the version and the class; bring an older version's
    metadata to the current one."""
    if metadata["format"] != FORMAT_NAME:
        raise Refused(f"the format is {metadata['format']!r:.80}, not {FORMAT_NAME!r}.")
    if not all(
        type(metadata[key]) is str for key in ("library_version", "sklearn_version")
    ):
        raise Refused("library_version and sklearn_version must be strings.")
    version = metadata["format_version"]
    if not is_int(version) or version < 1:
        raise Refused(f"the format version {version!r:.80} is not valid.")
    if version > FORMAT_VERSION:
        raise Refused(
            f"the file has format version {version}, written by sknn_squiggle "
            f"{metadata['library_version']!r:.40}; this version "
            f"({_library_version()}) reads format versions up to {FORMAT_VERSION}. "
            "Upgrade sknn_squiggle to load it."
        )
    name = metadata["class"]
    if type(name) is not str or name not in ESTIMATORS:
        raise Refused(
            f"the class {name!r:.80} is not one of {sorted(ESTIMATORS)}: refused."
        )
    optimizer = (metadata["fitted"] or {}).get("optimizer")
    if (
        version == 1
        and type(optimizer) is dict
        and type(optimizer.get("state")) is dict
    ):
        _upgrade_optimizer_v1(optimizer)
    return metadata


def _upgrade_optimizer_v1(optimizer):
    """Version 1 stored sgd's ``power_t`` for every schedule, and Adam without
    a schedule, its ``learning_rate`` being the bias-corrected rate of its
    last step (which version 2 derives from its step count)."""
    state = optimizer["state"]
    if optimizer.get("kind") == "sgd" and state.get("lr_schedule") != "invscaling":
        state.pop("power_t", None)
    if optimizer.get("kind") == "adam" and "learning_rate_init" in state:
        state["lr_schedule"] = "constant"
        state["learning_rate"] = state["learning_rate_init"]


def _restore_fitted(estimator, fitted, decode):
    """Check the fitted state and set it on ``estimator``."""
    is_classifier = isinstance(estimator, SquiggleClassifier)
    required = ["attributes", "optimizer"]
    if is_classifier:
        required += ["classes_object", "label_binarizer"]
    check_fields(fitted, required, (), "fitted")
    attributes = _attributes(is_classifier)
    check_fields(
        fitted["attributes"],
        [a.name for a in attributes if not a.optional],
        [a.name for a in attributes if a.optional],
        "fitted.attributes",
    )
    a = {key: decode(value, key) for key, value in fitted["attributes"].items()}
    _check_scalars(a, type(estimator).__name__)
    units = _check_layers(a)
    for attribute in attributes:
        if attribute.name in a:
            a[attribute.name] = _KIND_CHECKS[attribute.kind](a, attribute.name)
    if is_classifier:
        _restore_labels(a, fitted, decode)
    for key, value in a.items():
        setattr(estimator, key, value)
    try:
        layout = ParameterLayout.of(estimator._layers(units))
    except ValueError as exc:
        raise Refused(str(exc)) from exc
    values = {"coefs": a["coefs_"], "intercepts": a["intercepts_"]}
    estimator._bind_params(layout.pack(values, a["coefs_"][0].dtype), layout)
    estimator._optimizer = _restore_optimizer(fitted["optimizer"], estimator, decode)


def _check_scalars(a, name):
    """The counts, the output activation and the losses."""
    for attribute in FITTED_ATTRIBUTES:
        if attribute.kind == "count" and not (
            is_int(a[attribute.name]) and a[attribute.name] >= 0
        ):
            raise Refused(
                f"{attribute.name} must be a non-negative integer, got "
                f"{a[attribute.name]!r:.80}."
            )
    if a["n_layers_"] < 2 or a["n_features_in_"] < 1 or a["n_outputs_"] < 1:
        raise Refused("n_layers_ must be >= 2, n_features_in_ and n_outputs_ >= 1.")
    out = a["out_activation_"]
    if type(out) is not str or out not in OUT_ACTIVATIONS[name]:
        raise Refused(
            f"out_activation_ {out!r:.80} is not one of {OUT_ACTIVATIONS[name]} for "
            f"a {name}."
        )
    if not is_real(a["loss_"]):
        raise Refused("loss_ must be a number.")
    for attribute in FITTED_ATTRIBUTES:
        value = a[attribute.name] if attribute.kind == "real_or_none" else None
        if value is not None and not is_real(value):
            raise Refused(f"{attribute.name} must be a number or null.")


def _check_layers(a):
    """The layers must chain: input -> hidden units -> outputs. Returns the
    units per layer."""
    coefs, intercepts = a["coefs_"], a["intercepts_"]
    n_weights = a["n_layers_"] - 1
    for key, arrays, ndim in (("coefs_", coefs, 2), ("intercepts_", intercepts, 1)):
        if (
            type(arrays) is not list
            or len(arrays) != n_weights
            or not all(isinstance(x, np.ndarray) and x.ndim == ndim for x in arrays)
        ):
            raise Refused(
                f"{key} must be a list of n_layers_ - 1 = {n_weights} arrays of "
                f"{ndim} dimension(s)."
            )
    dtype = coefs[0].dtype
    if dtype not in FLOAT_DTYPES or any(
        x.dtype != dtype for x in [*coefs, *intercepts]
    ):
        raise Refused("coefs_ and intercepts_ must all be float32 or all float64.")
    units = [a["n_features_in_"]] + [b.shape[0] for b in intercepts]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        if W.shape != (units[i], units[i + 1]) or units[i + 1] < 1:
            raise Refused(
                f"coefs_[{i}] has shape {W.shape} but layer {i} maps {units[i]} "
                f"units to the {b.shape[0]} units of intercepts_[{i}]."
            )
    if units[-1] != a["n_outputs_"]:
        raise Refused(
            f"the last layer has {units[-1]} units but n_outputs_ is {a['n_outputs_']}."
        )
    return units


def _as_is(a, key):
    return a[key]


def _reals(a, key):
    """A 1-d float array, back to the list the estimator holds."""
    value = a[key]
    if value is None and key == "validation_scores_":
        return None
    if not isinstance(value, np.ndarray) or value.ndim != 1 or value.dtype.kind != "f":
        raise Refused(f"{key} must be a 1-d float array.")
    return value.tolist()


def _names(a, key):
    """Feature names: a unicode array, back to scikit-learn's object array."""
    names = a[key]
    if (
        not isinstance(names, np.ndarray)
        or names.dtype.kind != "U"
        or names.shape != (a["n_features_in_"],)
    ):
        raise Refused(
            f"{key} must be a unicode array of n_features_in_ = "
            f"{a['n_features_in_']} names."
        )
    return names.astype(object)


def _history(a, key):
    """The per-epoch log: a list of dicts from names to numbers or null."""
    history = a[key]
    if type(history) is not list or not all(
        type(row) is dict
        and all(
            type(k) is str and (value is None or is_real(value))
            for k, value in row.items()
        )
        for row in history
    ):
        raise Refused("history_ must be a list of dicts of numbers.")
    return history


#: How each kind of fitted attribute is checked (and converted) on load;
#: counts, names and numbers are checked by _check_scalars, the weights by
#: _check_layers, the labels by _restore_labels.
_KIND_CHECKS = {
    "count": _as_is,
    "name": _as_is,
    "real": _as_is,
    "real_or_none": _as_is,
    "arrays": _as_is,
    "labels": _as_is,
    "reals": _reals,
    "reals_or_none": _reals,
    "names": _names,
    "history": _history,
}


def _restore_labels(a, fitted, decode):
    """Check classes_ and rebuild the LabelBinarizer that predict uses."""
    classes = a["classes_"]
    if (
        not isinstance(classes, np.ndarray)
        or classes.ndim != 1
        or classes.dtype.kind not in ARRAY_KINDS
    ):
        raise Refused("classes_ must be a 1-d array of labels.")
    if type(fitted["classes_object"]) is not bool:
        raise Refused("fitted.classes_object must be true or false.")
    if fitted["classes_object"]:
        if classes.dtype.kind != "U":
            raise Refused("fitted.classes_object is only for string labels.")
        classes = classes.astype(object)
    lb = fitted["label_binarizer"]
    check_fields(lb, _BINARIZER_FIELDS, (), "fitted.label_binarizer")
    lb = {key: decode(value, f"_label_binarizer.{key}") for key, value in lb.items()}
    _check_binarizer(lb, len(classes), a)
    binarizer = LabelBinarizer(
        neg_label=lb["neg_label"],
        pos_label=lb["pos_label"],
        sparse_output=lb["sparse_output"],
    )
    binarizer.y_type_ = lb["y_type_"]
    binarizer.sparse_input_ = lb["sparse_input_"]
    binarizer.classes_ = classes
    a["classes_"] = classes
    a["_label_binarizer"] = binarizer


def _check_binarizer(lb, n_classes, a):
    """The label binarizer's fields, and that the output layer encodes its
    labels: one sigmoid for two classes, a softmax over the classes, or one
    sigmoid per label."""
    if type(lb["y_type_"]) is not str or lb["y_type_"] not in _Y_TYPES:
        raise Refused(f"y_type_ {lb['y_type_']!r:.80} is not one of {_Y_TYPES}.")
    if not (is_int(lb["neg_label"]) and is_int(lb["pos_label"])):
        raise Refused("neg_label and pos_label must be integers.")
    if type(lb["sparse_output"]) is not bool or type(lb["sparse_input_"]) is not bool:
        raise Refused("sparse_output and sparse_input_ must be true or false.")
    y_type, n_outputs = lb["y_type_"], a["n_outputs_"]
    if y_type == "binary":
        fits = n_outputs == 1 and n_classes in (1, 2)
    else:
        fits = n_outputs == n_classes
    if not fits:
        raise Refused(
            f"a {y_type} classifier with {n_classes} classes cannot have "
            f"{n_outputs} outputs."
        )
    if (a["out_activation_"] == "softmax") != (y_type == "multiclass"):
        raise Refused(
            f"out_activation_ {a['out_activation_']!r:.80} does not fit y_type_ "
            f"{y_type!r}."
        )


#: How each kind of optimizer or schedule field is checked on load.
_STATE_CHECKS = {
    "real": is_real,
    "bool": lambda value: isinstance(value, bool | np.bool_),
    "count": lambda value: is_int(value) and value >= 0,
}


def _restore_optimizer(spec, estimator, decode):
    """The optimizer that warm_start and partial_fit continue with."""
    if spec is None:
        return None
    check_fields(spec, ("kind", "state"), (), "fitted.optimizer")
    kind = spec["kind"]
    if type(kind) is not str or kind not in OPTIMIZERS:
        raise Refused(f"the optimizer {kind!r:.80} is not one of {sorted(OPTIMIZERS)}.")
    cls = OPTIMIZERS[kind]
    raw = spec["state"]
    schedule = raw.get("lr_schedule") if type(raw) is dict else None
    if type(schedule) is not str or schedule not in SCHEDULES:
        raise Refused(
            f"optimizer.lr_schedule {schedule!r:.80} is not one of {sorted(SCHEDULES)}."
        )
    kinds = {**SCHEDULES[schedule].STATE, **cls.STATE}
    check_fields(raw, ["lr_schedule", *kinds], (), "fitted.optimizer.state")
    state = {k: decode(v, f"optimizer.{k}") for k, v in raw.items()}
    params = estimator._params
    for key, value_kind in kinds.items():
        value = state[key]
        if value_kind == "array":
            if not (
                isinstance(value, np.ndarray)
                and value.shape == params.shape
                and value.dtype == params.dtype
            ):
                raise Refused(
                    f"optimizer.{key} must be a {params.dtype} array of shape "
                    f"{params.shape}, one entry per parameter."
                )
        elif not _STATE_CHECKS[value_kind](value):
            raise Refused(f"optimizer.{key} has an invalid value {value!r:.80}.")
    return cls.from_state(params, state)
