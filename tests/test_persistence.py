"""Safe model files (save/load) and the pickle, joblib and skops round trips.

The expected values here are the saved estimator's own state and predictions
(and scikit-learn's or numpy's own readers of the file): a round trip must
reproduce them bit for bit.
"""

import json
import os
import pickle
import zipfile

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.metrics import make_scorer, r2_score
from sklearn.preprocessing import LabelBinarizer

import sknn_squiggle
from sknn_squiggle import SquiggleClassifier, SquiggleRegressor, _persistence
from sknn_squiggle._nn.activations import HIDDEN_ACTIVATIONS
from sknn_squiggle._persistence.schema import FORMAT_VERSION
from sknn_squiggle._training.optimizers import AdamOptimizer, SGDOptimizer

# The public functions once sknn_squiggle exports them, the module's until then.
save = getattr(sknn_squiggle, "save", _persistence.save)
load = getattr(sknn_squiggle, "load", _persistence.load)

SOLVERS = ("sgd", "adam", "lbfgs")

_rng = np.random.RandomState(0)
X = _rng.uniform(-1, 1, (40, 3))
X_NEW = _rng.uniform(-1.5, 1.5, (25, 3))
_y = np.sin(2 * X[:, 0]) + X[:, 1]
_binary = (X[:, 0] + X[:, 1] > 0).astype(int)
_three = np.digitize(X[:, 0], [-1 / 3, 1 / 3])
TASKS = {
    "regression": (SquiggleRegressor, {}, _y),
    "multi_output": (SquiggleRegressor, {}, np.column_stack([_y, X[:, 2] - X[:, 0]])),
    "poisson": (
        SquiggleRegressor,
        {"loss": "poisson"},
        _rng.poisson(np.exp(0.5 * X[:, 0])).astype(float),
    ),
    "binary": (SquiggleClassifier, {}, _binary),
    "multiclass": (SquiggleClassifier, {}, _three),
    "multilabel": (SquiggleClassifier, {}, (X > 0).astype(int)),
    "string_labels": (SquiggleClassifier, {}, np.array(["cat", "dog", "emu"])[_three]),
    "integer_labels": (SquiggleClassifier, {}, np.array([-7, 42])[_binary]),
    "boolean_labels": (SquiggleClassifier, {}, _binary.astype(bool)),
}


def make(task, solver="adam", activation="tanh", dtype=np.float64, **params):
    """A small estimator fitted on one of the TASKS."""
    Estimator, task_params, y = TASKS[task]
    params = {
        "hidden_layer_sizes": (4, 3),
        "activation": activation,
        "solver": solver,
        "max_iter": 10 if solver == "lbfgs" else 5,
        "random_state": 0,
        **task_params,
        **params,
    }
    return Estimator(**params).fit(X.astype(dtype), y)


def round_trip(estimator, tmp_path, name="model.npz"):
    path = tmp_path / name
    save(estimator, path)
    return load(path)


def assert_same(a, b, where="estimator"):
    """Recursive equality: same types, array dtypes and shapes, same bits."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), where
    elif isinstance(a, list | tuple):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b)):
            assert_same(u, v, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert type(b) is dict and list(a) == list(b), where
        for key in a:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, LabelBinarizer):
        assert type(a) is type(b), where
        assert sorted(vars(a)) == sorted(vars(b)), where
        for key in vars(a):
            assert_same(getattr(a, key), getattr(b, key), f"{where}.{key}")
    elif isinstance(a, SGDOptimizer | AdamOptimizer):
        # The optimizer's whole state (its private arrays are scratch).
        assert type(a) is type(b), where
        assert_same(a.state(), b.state(), f"{where}.state()")
    elif isinstance(a, float | np.floating) and np.isnan(a):
        assert np.isnan(b), where
    else:
        # Numbers may come back as Python numbers (loss curves): same value.
        assert a == b, where
        assert isinstance(b, str) == isinstance(a, str), where
        assert isinstance(b, bool | np.bool_) == isinstance(a, bool | np.bool_), where


def assert_same_estimator(original, loaded):
    assert type(loaded) is type(original)
    assert_same(original.get_params(deep=False), loaded.get_params(deep=False))
    assert sorted(vars(loaded)) == sorted(vars(original))
    for key, value in vars(original).items():
        assert_same(value, getattr(loaded, key), key)
    # The per-layer arrays are views of the flat vector, as after fit.
    for array in [*loaded.coefs_, *loaded.intercepts_]:
        assert np.shares_memory(array, loaded._params)


def assert_same_predictions(original, loaded):
    for data in (X, X_NEW, X_NEW.astype(np.float32)):
        for method in ("predict", "predict_proba", "predict_log_proba"):
            if hasattr(original, method):
                assert_same(
                    getattr(original, method)(data), getattr(loaded, method)(data)
                )


def params_after(estimator, method, *args):
    getattr(estimator, method)(*args)
    return estimator._params.copy()


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
    original = make(task, solver, dtype=dtype)
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
        original = make(task, solver, activation=activation)
        loaded = round_trip(original, tmp_path)
        assert_same_estimator(original, loaded)
        assert_same_predictions(original, loaded)


@pytest.mark.parametrize("task", ["regression", "string_labels", "multilabel"])
def test_round_trip_early_stopping(task, tmp_path):
    original = make(task, "adam", early_stopping=True, validation_fraction=0.2)
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
    original = make(task, **params)
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
    original = make("multiclass", solver, warm_start=True)
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
    original = make("regression", early_stopping=True, scoring=scoring)
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
    estimator = make("regression", scoring=make_scorer(r2_score))
    with pytest.raises(ValueError, match="params.scoring.*plain data"):
        save(estimator, tmp_path / "model.npz")


@pytest.mark.parametrize(
    "class_weight", [{"cat": 2.0, "emu": 0.5}, "balanced", None], ids=str
)
def test_class_weight_round_trip(class_weight, tmp_path):
    original = make("string_labels", class_weight=class_weight)
    loaded = round_trip(original, tmp_path)
    assert_same_estimator(original, loaded)


def test_object_labels_and_history_round_trip(tmp_path):
    # Labels kept in an object array (as pandas keeps strings) come back as
    # objects; a per-epoch history of numbers comes back as it was.
    original = make("string_labels")
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
    estimator = make("string_labels", "sgd")
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
    save(make("boolean_labels"), path)
    arrays, _ = read_file(path)
    assert arrays["classes_"].dtype == bool


def test_file_written_exactly_at_the_given_path(tmp_path):
    estimator = make("regression", "lbfgs")
    for name in ("model", "model.bin", "model.npz"):
        save(estimator, str(tmp_path / name))
    assert sorted(os.listdir(tmp_path)) == ["model", "model.bin", "model.npz"]
    assert zipfile.is_zipfile(tmp_path / "model")
    assert_same_predictions(estimator, load(str(tmp_path / "model")))
    # Saving again replaces the file.
    other = make("regression", "sgd")
    save(other, tmp_path / "model")
    assert load(tmp_path / "model").solver == "sgd"


def test_failed_save_leaves_existing_file(tmp_path):
    path = tmp_path / "model.npz"
    save(make("regression"), path)
    before = path.read_bytes()
    estimator = make("regression")
    estimator.set_params(random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match="RandomState"):
        save(estimator, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_save_refuses_what_is_not_plain_data(tmp_path):
    path = tmp_path / "model.npz"
    estimator = make("regression")
    estimator.extra_ = object()
    with pytest.raises(ValueError, match="extra_"):
        save(estimator, path)

    estimator = make("regression")
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
    save(make("string_labels", "adam"), path)
    return path


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


def test_refuses_pickle_and_joblib_files(tmp_path):
    estimator = make("regression")
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps([estimator, Trap()]))
    with pytest.raises(ValueError, match="pickle"):
        load(path)
    joblib.dump([estimator, Trap()], tmp_path / "model.joblib")
    with pytest.raises(ValueError, match="pickle"):
        load(tmp_path / "model.joblib")
    assert not SPRUNG


@pytest.mark.parametrize(
    "content",
    [b"", b"hello", b"PK\x03\x04 truncated zip", b"\x93NUMPY"],
    ids=["empty", "text", "truncated_zip", "npy"],
)
def test_refuses_other_files(content, tmp_path):
    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="Cannot load"):
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
    save(make("regression").fit(pd.DataFrame(X, columns=list("abc")), _y), path)
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
# pickle, joblib and skops


def _fitted_pairs():
    return [
        pytest.param(task, solver, id=f"{task}-{solver}")
        for task in ("multi_output", "string_labels")
        for solver in SOLVERS
    ]


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("task, solver", _fitted_pairs())
def test_pickle_and_joblib_round_trip(how, task, solver, tmp_path):
    original = make(task, solver)
    if how == "pickle":
        loaded = pickle.loads(pickle.dumps(original))
    else:
        joblib.dump(original, tmp_path / "model.joblib")
        loaded = joblib.load(tmp_path / "model.joblib")
    assert_same_predictions(original, loaded)
    y = TASKS[task][2]
    method = "partial_fit" if solver != "lbfgs" else "fit"
    if method == "fit":
        original.set_params(warm_start=True)
        loaded.set_params(warm_start=True)
    assert_same(
        params_after(original, method, X, y), params_after(loaded, method, X, y)
    )


def _skops_round_trip(original, tmp_path):
    sio = pytest.importorskip("skops.io")
    path = tmp_path / "model.skops"
    sio.dump(original, path)
    untrusted = sio.get_untrusted_types(file=path)
    return untrusted, sio.load(path, trusted=untrusted)


@pytest.mark.parametrize("task, solver", _fitted_pairs())
def test_skops_round_trip(task, solver, tmp_path):
    original = make(task, solver)
    untrusted, loaded = _skops_round_trip(original, tmp_path)
    # Nothing outside this library needs trusting.
    assert all(name.startswith("sknn_squiggle.") for name in untrusted)
    assert_same_predictions(original, loaded)
    if solver != "lbfgs":
        y = TASKS[task][2]
        assert_same(
            params_after(original, "partial_fit", X, y),
            params_after(loaded, "partial_fit", X, y),
        )


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("task", ["regression", "string_labels"])
def test_skops_trusts_all_but_our_estimators(task, solver, tmp_path):
    original = make(task, solver)
    untrusted, _ = _skops_round_trip(original, tmp_path)
    Estimator = type(original)
    assert untrusted == [f"{Estimator.__module__}.{Estimator.__name__}"]
