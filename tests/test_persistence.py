"""sknn_squiggle/_persistence/: safe model files (save/load), what load
refuses and why, and the files of older format versions.

The expected values here are the saved estimator's own state and predictions
(and scikit-learn's or numpy's own readers of the file): a round trip must
reproduce them bit for bit. (pickle, joblib and skops: test_base.py.)
"""

import gzip
import io
import json
import math
import os
import pickle
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import (
    ROUND_TRIP_BINARY,
    ROUND_TRIP_X,
    ROUND_TRIP_X_NEW,
    TASKS,
    assert_same,
    assert_same_estimator,
    assert_same_predictions,
    fit_task,
    params_after,
)
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import make_scorer, r2_score

import sknn_squiggle
from sknn_squiggle import SquiggleClassifier, SquiggleRegressor, _persistence
from sknn_squiggle._nn.activations import HIDDEN_ACTIVATIONS
from sknn_squiggle._persistence.schema import FORMAT_VERSION

# The public functions once sknn_squiggle exports them, the module's until then.
save = getattr(sknn_squiggle, "save", _persistence.save)
load = getattr(sknn_squiggle, "load", _persistence.load)

SOLVERS = ("sgd", "adam", "lbfgs")
# The data of conftest's TASKS, under short names.
X, X_NEW = ROUND_TRIP_X, ROUND_TRIP_X_NEW
_y = TASKS["regression"][2]
_binary = ROUND_TRIP_BINARY


def round_trip(estimator, tmp_path, name="model.npz"):
    path = tmp_path / name
    save(estimator, path)
    return load(path)


def read_file(path):
    """The archive's arrays and its metadata, read with numpy's safe reader."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {name: archive[name] for name in archive.files}
    return arrays, json.loads(str(arrays.pop("metadata")[()]))


def write_file(path, arrays, metadata):
    """Write an archive as numpy does by default (object arrays get pickled)."""
    with open(path, "wb") as file:
        np.savez(file, metadata=np.array(json.dumps(metadata)), **arrays)


# ----------------------------------------------------------------------
# Round trips of the model file


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("solver", SOLVERS)
def test_round_trip_every_task(solver, task, dtype, tmp_path):
    original = fit_task(task, solver, dtype=dtype)
    loaded = round_trip(original, tmp_path)
    assert loaded.coefs_[0].dtype == dtype
    assert_same_estimator(original, loaded)
    assert_same_predictions(original, loaded)


@pytest.mark.parametrize(
    "activation", [*HIDDEN_ACTIVATIONS, ["softplus", "elu"]], ids=str
)
@pytest.mark.parametrize("solver", SOLVERS)
def test_round_trip_every_activation(solver, activation, tmp_path):
    for task in ("multi_output", "string_labels"):
        original = fit_task(task, solver, activation=activation)
        loaded = round_trip(original, tmp_path)
        assert_same_estimator(original, loaded)
        assert_same_predictions(original, loaded)


@pytest.mark.parametrize("task", ["regression", "string_labels", "multilabel"])
def test_round_trip_early_stopping(task, tmp_path):
    original = fit_task(task, "adam", early_stopping=True, validation_fraction=0.2)
    assert len(original.validation_scores_) == original.n_iter_
    loaded = round_trip(original, tmp_path)
    assert_same_estimator(original, loaded)
    assert_same_predictions(original, loaded)


def test_feature_names_from_dataframe(tmp_path):
    columns = ["height", "weight", "age"]
    frame = pd.DataFrame(X, columns=columns)
    original = SquiggleClassifier((3,), solver="lbfgs", max_iter=10, random_state=0)
    original.fit(frame, TASKS["string_labels"][2])
    loaded = round_trip(original, tmp_path)
    assert loaded.feature_names_in_.dtype == object
    assert list(loaded.feature_names_in_) == columns
    assert_same(original.predict(frame), loaded.predict(frame))
    # The names are enforced as before: other names are refused by both.
    renamed = frame.rename(columns={"age": "shoe_size"})
    for estimator in (original, loaded):
        with pytest.raises(ValueError, match="feature names"):
            estimator.predict(renamed)


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd"},
        {"solver": "sgd", "nesterovs_momentum": False, "learning_rate": "invscaling"},
        {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 1},
        {"solver": "adam"},
    ],
    ids=repr,
)
@pytest.mark.parametrize("task", ["multi_output", "string_labels"])
def test_partial_fit_continues_after_load(task, params, tmp_path):
    original = fit_task(task, **params)
    loaded = round_trip(original, tmp_path)
    y = TASKS[task][2]
    for _ in range(3):
        expected = params_after(original, "partial_fit", X[:30], y[:30])
        assert_same(expected, params_after(loaded, "partial_fit", X[:30], y[:30]))
    for estimator in (original, loaded):
        # Wall-clock times of the new epochs differ, nothing else may.
        for row in getattr(estimator, "history_", []):
            row.pop("seconds", None)
    assert_same_estimator(original, loaded)


@pytest.mark.parametrize("solver", SOLVERS)
def test_warm_start_continues_after_load(solver, tmp_path):
    original = fit_task("multiclass", solver, warm_start=True)
    loaded = round_trip(original, tmp_path)
    y = TASKS["multiclass"][2]
    assert_same(params_after(original, "fit", X, y), params_after(loaded, "fit", X, y))


def test_parameters_round_trip(tmp_path):
    """Arrays, masks, tuples, lists, numpy scalars and label-keyed dicts."""
    coefs = [np.full((3, 4), 0.1), np.linspace(-1, 1, 4).reshape(4, 1)]
    intercepts = [np.zeros(4), np.array([0.5])]
    trainable = {
        "coefs": [True, np.array([[True], [False], [True], [False]])],
        "intercepts": [False, np.array([True])],
    }
    original = SquiggleClassifier(
        hidden_layer_sizes=(4,),
        activation=["silu"],
        solver="adam",
        alpha=np.float32(1e-3),
        max_iter=5,
        n_iter_no_change=np.inf,
        random_state=np.int64(3),
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=trainable,
        class_weight={0: 1.0, np.int64(1): 2.5},
    )
    loaded = round_trip(original, tmp_path, "unfitted")
    assert_same(original.get_params(), loaded.get_params())
    assert type(loaded.get_params()["alpha"]) is np.float32
    with pytest.raises(NotFittedError):
        loaded.predict(X)

    original.fit(X, _binary)
    loaded = round_trip(original, tmp_path, "fitted")
    assert_same_estimator(original, loaded)
    # The same settings train the same network from scratch.
    assert_same(
        clone(original).fit(X, _binary).coefs_, clone(loaded).fit(X, _binary).coefs_
    )


@pytest.mark.parametrize("scoring", ["loss", "r2"])
def test_scoring_round_trip(scoring, tmp_path):
    original = fit_task("regression", early_stopping=True, scoring=scoring)
    loaded = round_trip(original, tmp_path)
    assert loaded.scoring == scoring
    assert_same_estimator(original, loaded)


def test_callbacks_are_not_saved(tmp_path):
    callback = pytest.importorskip("sklearn.callback")
    original = SquiggleRegressor(hidden_layer_sizes=(3,), max_iter=3, random_state=0)
    original.set_callbacks(callback.ScoringMonitor(scoring="r2"))
    original.fit(X, _y)
    loaded = round_trip(original, tmp_path)
    assert not hasattr(loaded, "_skl_callbacks")
    assert_same_predictions(original, loaded)


def test_callable_scoring_refused(tmp_path):
    estimator = fit_task("regression", scoring=make_scorer(r2_score))
    with pytest.raises(ValueError, match="params.scoring.*plain data"):
        save(estimator, tmp_path / "model.npz")


@pytest.mark.parametrize(
    "class_weight", [{"cat": 2.0, "emu": 0.5}, "balanced", None], ids=str
)
def test_class_weight_round_trip(class_weight, tmp_path):
    original = fit_task("string_labels", class_weight=class_weight)
    loaded = round_trip(original, tmp_path)
    assert_same_estimator(original, loaded)


def test_object_labels_and_history_round_trip(tmp_path):
    # Labels kept in an object array (as pandas keeps strings) come back as
    # objects; a per-epoch history of numbers comes back as it was.
    original = fit_task("string_labels")
    original.classes_ = original.classes_.astype(object)
    original._label_binarizer.classes_ = original.classes_
    original.history_ = [
        {"epoch": 1, "loss": 0.75, "learning_rate": None},
        {"epoch": 2, "loss": np.float32(0.5), "learning_rate": 1e-3},
    ]
    loaded = round_trip(original, tmp_path)
    assert loaded.classes_.dtype == object
    assert loaded._label_binarizer.classes_ is loaded.classes_
    assert_same_estimator(original, loaded)
    assert_same_predictions(original, loaded)

    original.history_ = [{"epoch": "one"}]
    with pytest.raises(ValueError, match="history_"):
        save(original, tmp_path / "history.npz")
    original.history_ = []
    original.classes_ = np.array(["cat", 2, "emu"], dtype=object)
    original._label_binarizer.classes_ = original.classes_
    with pytest.raises(ValueError, match="not all strings"):
        save(original, tmp_path / "mixed.npz")


def test_file_is_plain_arrays_and_json(tmp_path):
    estimator = fit_task("string_labels", "sgd")
    path = tmp_path / "model.npz"
    save(estimator, path)
    arrays, metadata = read_file(path)
    assert metadata["format_version"] == FORMAT_VERSION
    assert metadata["library_version"] == sknn_squiggle.__version__
    assert metadata["class"] == "SquiggleClassifier"
    assert sorted(metadata["params"]) == sorted(estimator.get_params())
    assert all(a.dtype.kind in "biufU" for a in arrays.values())
    assert arrays["classes_"].dtype.kind == "U"
    assert_same(arrays["coefs_.1"], estimator.coefs_[1])
    assert_same(arrays["optimizer.velocity"], estimator._optimizer.velocity)
    save(fit_task("boolean_labels"), path)
    arrays, _ = read_file(path)
    assert arrays["classes_"].dtype == bool


def test_file_written_exactly_at_the_given_path(tmp_path):
    estimator = fit_task("regression", "lbfgs")
    for name in ("model", "model.bin", "model.npz"):
        save(estimator, str(tmp_path / name))
    assert sorted(os.listdir(tmp_path)) == ["model", "model.bin", "model.npz"]
    assert zipfile.is_zipfile(tmp_path / "model")
    assert_same_predictions(estimator, load(str(tmp_path / "model")))
    # Saving again replaces the file.
    other = fit_task("regression", "sgd")
    save(other, tmp_path / "model")
    assert load(tmp_path / "model").solver == "sgd"


def test_failed_save_leaves_existing_file(tmp_path):
    path = tmp_path / "model.npz"
    save(fit_task("regression"), path)
    before = path.read_bytes()
    estimator = fit_task("regression")
    estimator.set_params(random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match="RandomState"):
        save(estimator, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_refuses_what_is_not_plain_data(tmp_path):
    path = tmp_path / "model.npz"
    estimator = fit_task("regression")
    estimator.extra_ = object()
    with pytest.raises(ValueError, match="extra_"):
        save(estimator, path)

    estimator = fit_task("regression")
    estimator.set_params(coefs_init=[np.array([object()])])
    with pytest.raises(ValueError, match="dtype object"):
        save(estimator, path)

    class Sub(SquiggleRegressor):
        pass

    with pytest.raises(ValueError, match="only SquiggleRegressor"):
        save(Sub(), path)
    assert not path.exists()


# ----------------------------------------------------------------------
# Files that load refuses

SPRUNG = []


def _spring():
    SPRUNG.append(True)
    return "sprung"


class Trap:
    """Unpickling this object runs ``_spring``: it must never happen."""

    def __reduce__(self):
        return (_spring, ())


@pytest.fixture
def valid_file(tmp_path):
    path = tmp_path / "valid.npz"
    save(fit_task("string_labels", "adam"), path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


def test_refuses_pickle_and_joblib_files(tmp_path):
    estimator = fit_task("regression")
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps([estimator, Trap()]))
    with pytest.raises(ValueError, match="pickle"):
        load(path)
    joblib.dump([estimator, Trap()], tmp_path / "model.joblib")
    with pytest.raises(ValueError, match="pickle"):
        load(tmp_path / "model.joblib")
    assert not SPRUNG


def _npy_bytes():
    buffer = io.BytesIO()
    np.save(buffer, np.arange(3))
    return buffer.getvalue()


PICKLE_NOTE = "Pickle and joblib files are refused because loading them can run"
#: What load says a file is, from its first bytes.
FILE_KINDS = {
    "empty": (b"", "an empty file"),
    "text": (b"hello\nworld\n", "a text file (it starts 'hello')"),
    "csv": (b"bill,flipper\n39.1,181\n", "a CSV text file (it starts 'bill,flipper')"),
    "npy": (_npy_bytes(), "a single numpy array (an .npy file)"),
    "pickle": (pickle.dumps([1, 2]), "a pickle (or an uncompressed joblib file)"),
    "gzip": (
        gzip.compress(pickle.dumps([1, 2])),
        "a compressed file (gzip or zlib, as joblib's compressed pickles)",
    ),
    "hdf5": (b"\x89HDF\r\n\x1a\n" + bytes(8), "an HDF5 file"),
    "binary": (
        b"\x00\x01\xfe\xff\x00\x01\xfe\xff\x07",
        "a file of unknown kind (it starts with the bytes "
        "b'\\x00\\x01\\xfe\\xff\\x00\\x01\\xfe\\xff')",
    ),
}


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_refuses_other_files_saying_what_they_are(kind, tmp_path):
    content, what = FILE_KINDS[kind]
    path = tmp_path / f"model.{kind}"
    path.write_bytes(content)
    with pytest.raises(ValueError) as error:
        load(path)
    message = str(error.value)
    assert message.startswith(
        f"Cannot load {str(path)!r}: it is {what}, not an .npz "
    ), message
    # Pickles and compressed (joblib) files get the reason they are refused.
    assert (PICKLE_NOTE in message) == (kind in ("pickle", "gzip"))


def test_refuses_a_truncated_archive(tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(b"PK\x03\x04 truncated zip")
    with pytest.raises(ValueError, match=r"Cannot load .*: the file is malformed"):
        load(path)


def test_refuses_npy_file(tmp_path):
    np.save(tmp_path / "model.npy", np.arange(3))
    with pytest.raises(ValueError, match="not an .npz"):
        load(tmp_path / "model.npy")


def test_rewritten_valid_file_still_loads(valid_file, tmp_path):
    # The helpers below change one thing at a time in a file that loads.
    arrays, metadata = read_file(valid_file)
    write_file(tmp_path / "copy.npz", arrays, metadata)
    assert_same_predictions(load(valid_file), load(tmp_path / "copy.npz"))


@pytest.mark.parametrize(
    "field", ["classes_", "coefs_.0", "new_field"], ids=lambda f: f"object_{f}"
)
def test_refuses_object_arrays(field, valid_file, tmp_path):
    arrays, metadata = read_file(valid_file)
    arrays[field] = np.array([Trap(), "cat"], dtype=object)
    write_file(tmp_path / "bad.npz", arrays, metadata)
    with pytest.raises(ValueError, match="object array"):
        load(tmp_path / "bad.npz")
    assert not SPRUNG


def _set(mapping, keys, value):
    for key in keys[:-1]:
        mapping = mapping[key]
    if value is _DELETE:
        del mapping[keys[-1]]
    else:
        mapping[keys[-1]] = value


_DELETE = object()
_FITTED = ("fitted", "attributes")

METADATA_CHANGES = {
    # unknown fields
    "top_level_field": (("comment",), "hi", "unknown fields"),
    "parameter": (("params", "exec"), "print(1)", "unknown fields"),
    "attribute": ((*_FITTED, "hook_"), 1, "unknown fields"),
    "optimizer_field": (("fitted", "optimizer", "state", "z"), 1, "unknown fields"),
    "binarizer_field": (("fitted", "label_binarizer", "x"), 1, "unknown fields"),
    "encoding_tag": (("params", "alpha"), {"eval": "1+1"}, "not a valid encoded"),
    # missing fields
    "no_attribute": ((*_FITTED, "loss_"), _DELETE, "lacks"),
    "no_class": (("class",), _DELETE, "lacks"),
    # unknown classes
    "sklearn_class": (("class",), "MLPClassifier", "not one of"),
    "dotted_class": (("class",), "os.system", "not one of"),
    "optimizer_kind": (("fitted", "optimizer", "kind"), "rmsprop", "not one of"),
    # versions and format
    "future_version": (
        ("format_version",),
        FORMAT_VERSION + 1,
        f"format version {FORMAT_VERSION + 1}.*Upgrade",
    ),
    "bad_version": (("format_version",), "1", "not valid"),
    "other_format": (("format",), "something else", "format"),
    # wrong values and shapes
    "n_features": ((*_FITTED, "n_features_in_"), 4, "shape"),
    "n_outputs": ((*_FITTED, "n_outputs_"), 2, "n_outputs_"),
    "n_layers": ((*_FITTED, "n_layers_"), 3, "n_layers_ - 1"),
    "negative_int": ((*_FITTED, "n_iter_"), -1, "non-negative"),
    "bool_for_int": ((*_FITTED, "t_"), True, "non-negative"),
    "out_activation": ((*_FITTED, "out_activation_"), "relu", "out_activation_"),
    "y_type": (("fitted", "label_binarizer", "y_type_"), "binary", "cannot have"),
    "bad_param": (("params", "solver"), "newton", "invalid parameters"),
    "bad_scalar": (("params", "alpha"), {"scalar": ["object", 1]}, "numpy scalar"),
    "string_loss": ((*_FITTED, "loss_"), "0.5", "number"),
    "adam_step": (("fitted", "optimizer", "state", "t"), 1.5, "optimizer.t"),
    "dangling_reference": ((*_FITTED, "classes_"), {"array": "nope"}, "nope"),
}


@pytest.mark.parametrize("change", METADATA_CHANGES)
def test_refuses_bad_metadata(change, valid_file, tmp_path):
    keys, value, message = METADATA_CHANGES[change]
    arrays, metadata = read_file(valid_file)
    _set(metadata, keys, value)
    write_file(tmp_path / "bad.npz", arrays, metadata)
    with pytest.raises(ValueError, match=message):
        load(tmp_path / "bad.npz")


def _transpose(a):
    return a.T.copy()


ARRAY_CHANGES = {
    "extra_array": ("extra", lambda a: np.zeros(3), "unknown fields"),
    "missing_array": ("coefs_.1", None, "does not hold"),
    "transposed_coefs": ("coefs_.1", _transpose, "shape"),
    "long_intercepts": ("intercepts_.0", lambda a: np.append(a, 0.0), "shape"),
    "integer_coefs": ("coefs_.0", lambda a: a.astype(int), "float32 or all float64"),
    "mixed_precision": ("coefs_.2", lambda a: a.astype(np.float32), "float32"),
    "2d_classes": ("classes_", lambda a: a.reshape(1, -1), "1-d array"),
    "more_classes": ("classes_", lambda a: np.append(a, "fox"), "cannot have"),
    "short_moment": ("optimizer.m", lambda a: a[:-1], "optimizer.m"),
    "float32_moment": ("optimizer.v", lambda a: a.astype(np.float32), "optimizer.v"),
    "structured": ("loss_curve_", lambda a: np.zeros(2, "f8,f8"), "dtype"),
    "2d_loss_curve": ("loss_curve_", lambda a: a.reshape(1, -1), "1-d float"),
}


@pytest.mark.parametrize("change", ARRAY_CHANGES)
def test_refuses_bad_arrays(change, valid_file, tmp_path):
    name, edit, message = ARRAY_CHANGES[change]
    arrays, metadata = read_file(valid_file)
    if edit is None:
        del arrays[name]
    else:
        arrays[name] = edit(arrays.get(name))
    write_file(tmp_path / "bad.npz", arrays, metadata)
    with pytest.raises(ValueError, match=message):
        load(tmp_path / "bad.npz")


def test_refuses_wrong_feature_names(tmp_path):
    path = tmp_path / "model.npz"
    save(fit_task("regression").fit(pd.DataFrame(X, columns=list("abc")), _y), path)
    arrays, metadata = read_file(path)
    arrays["feature_names_in_"] = np.array(["a", "b"])
    write_file(path, arrays, metadata)
    with pytest.raises(ValueError, match="feature_names_in_"):
        load(path)


def test_refuses_bad_json(valid_file, tmp_path):
    arrays, _ = read_file(valid_file)
    path = tmp_path / "bad.npz"
    for text in ("{not json", '{"format": 1, "format": 2}', "[1, 2]"):
        with open(path, "wb") as file:
            np.savez(file, metadata=np.array(text), **arrays)
        with pytest.raises(ValueError, match="Cannot load"):
            load(path)
    with open(path, "wb") as file:
        np.savez(file, **arrays)
    with pytest.raises(ValueError, match="metadata"):
        load(path)


# ----------------------------------------------------------------------
# Files written by format version 1


def _as_version_1(path):
    """Rewrite a file as format version 1 wrote it: sgd's state held
    power_t whatever the schedule; adam's had no schedule, and its
    learning_rate was the bias-corrected rate of its last step."""
    arrays, metadata = read_file(path)
    metadata["format_version"] = 1
    optimizer = metadata["fitted"]["optimizer"]
    state = optimizer["state"]
    if optimizer["kind"] == "sgd":
        state["power_t"] = 0.5
    else:
        del state["lr_schedule"]
        b1, b2, t = state["beta_1"], state["beta_2"], state["t"]
        state["learning_rate"] = (
            state["learning_rate_init"] * math.sqrt(1 - b2**t) / (1 - b1**t)
        )
    write_file(path, arrays, metadata)
    return metadata


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "sgd"},
        {"solver": "sgd", "learning_rate": "adaptive", "n_iter_no_change": 1},
        {"solver": "sgd", "learning_rate": "invscaling", "power_t": 0.5},
        {"solver": "adam"},
    ],
    ids=["sgd-constant", "sgd-adaptive", "sgd-invscaling", "adam"],
)
def test_a_version_1_file_loads_and_continues_identically(params, tmp_path):
    original = fit_task("multi_output", **params)
    path = tmp_path / "v1.npz"
    save(original, path)
    metadata = _as_version_1(path)
    assert metadata["format_version"] == 1
    loaded = load(path)
    assert_same_estimator(original, loaded)
    assert_same_predictions(original, loaded)
    y = TASKS["multi_output"][2]
    for _ in range(2):
        expected = params_after(original, "partial_fit", X[:30], y[:30])
        assert_same(expected, params_after(loaded, "partial_fit", X[:30], y[:30]))
    # Saved again, it is a current file.
    save(loaded, path)
    assert read_file(path)[1]["format_version"] == FORMAT_VERSION == 2
