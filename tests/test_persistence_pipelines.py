"""save/load of whole pipelines (skops files with a trusted list).

Expected predictions come from the pipeline that was saved; what a refused
file would run is shown by canaries that record their calls, and by loading
the same file with skops itself, trusting everything, as a positive control.
"""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import sknn_squiggle
from sknn_squiggle import SquiggleClassifier, SquiggleRegressor, load, save

sio = pytest.importorskip("skops.io")
ROOT = Path(__file__).resolve().parents[1]
STRINGS = ["island", "sex"]
NUMBERS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]


@pytest.fixture(scope="module")
def penguins():
    load_penguins = pytest.importorskip("palmerpenguins").load_penguins
    frame = load_penguins().dropna(subset=["species"])
    return frame[STRINGS + NUMBERS], frame["species"]


def preprocessing():
    return ColumnTransformer(
        [
            (
                "strings",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                STRINGS,
            ),
            ("numbers", make_pipeline(SimpleImputer(), StandardScaler()), NUMBERS),
        ]
    )


@pytest.fixture(scope="module")
def penguin_pipeline(penguins):
    X, y = penguins
    network = SquiggleClassifier(
        hidden_layer_sizes=(8,), solver="lbfgs", max_iter=50, random_state=0
    )
    return make_pipeline(preprocessing(), network).fit(X, y)


def assert_bitwise_equal(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b)


# ----------------------------------------------------------------------
# Round trips


def test_penguin_pipeline_round_trip(penguin_pipeline, penguins, tmp_path):
    X, _ = penguins
    path = tmp_path / "pipe.npz"  # the name: the content decides
    save(penguin_pipeline, path)
    with zipfile.ZipFile(path) as archive:
        assert "schema.json" in archive.namelist()
    again = load(path)
    assert type(again) is type(penguin_pipeline)
    assert again is not penguin_pipeline
    assert_bitwise_equal(again.predict(X), penguin_pipeline.predict(X))
    assert_bitwise_equal(again.predict_proba(X), penguin_pipeline.predict_proba(X))
    assert list(again[-1].classes_) == ["Adelie", "Chinstrap", "Gentoo"]


def test_regression_pipeline_round_trip(penguins, tmp_path):
    X, _ = penguins
    X = X[NUMBERS].dropna()
    y = X.pop("body_mass_g")
    pipe = make_pipeline(
        StandardScaler(),
        SquiggleRegressor(hidden_layer_sizes=(5,), max_iter=20, random_state=0),
    ).fit(X, y)
    save(pipe, tmp_path / "regression.skops")
    again = load(tmp_path / "regression.skops")
    assert_bitwise_equal(again.predict(X), pipe.predict(X))
    # The network's optimizer state came back too: one more epoch each gives
    # the same weights.
    again[-1].partial_fit(again[0].transform(X), y)
    pipe[-1].partial_fit(pipe[0].transform(X), y)
    for mine, theirs in zip(again[-1].coefs_, pipe[-1].coefs_):
        assert_bitwise_equal(mine, theirs)


def test_column_transformer_round_trip(penguins, tmp_path):
    X, _ = penguins
    transformer = preprocessing().fit(X)
    save(transformer, tmp_path / "columns.skops")
    again = load(tmp_path / "columns.skops")
    expected = transformer.transform(X)
    assert_bitwise_equal(again.transform(X), expected)
    assert list(again.get_feature_names_out()) == list(
        transformer.get_feature_names_out()
    )


def test_our_estimator_keeps_the_npz_format(tmp_path):
    X, y = [[0.0], [1.0], [2.0]], [0.0, 1.0, 0.0]
    reg = SquiggleRegressor(hidden_layer_sizes=(2,), solver="lbfgs", random_state=0)
    save(reg.fit(X, y), tmp_path / "model.npz")
    with zipfile.ZipFile(tmp_path / "model.npz") as archive:
        names = archive.namelist()
    assert "metadata.npy" in names and "schema.json" not in names
    with np.load(tmp_path / "model.npz", allow_pickle=False) as archive:
        assert "sknn_squiggle model" in str(archive["metadata"])


# ----------------------------------------------------------------------
# Refused on save

CALLS = []


def canary(X, c=None):
    """A function a file may reference; calling it leaves a trace."""
    CALLS.append("called")
    return X


class Canary:
    """Rebuilding one of these from a file runs its ``__setstate__``."""

    def __init__(self):
        self.value = 1

    def __setstate__(self, state):
        CALLS.append("rebuilt")
        self.__dict__.update(state)


@pytest.fixture(autouse=True)
def no_calls():
    CALLS.clear()
    yield
    CALLS.clear()


def _system():
    return f"{os.system.__module__}.system"


def test_save_refuses_a_code_reference_and_keeps_the_file(tmp_path):
    path = tmp_path / "pipe.skops"
    path.write_bytes(b"the file that was there")
    pipe = make_pipeline(FunctionTransformer(func=os.system), StandardScaler())
    with pytest.raises(ValueError) as info:
        save(pipe, path)
    message = str(info.value)
    assert message.startswith(
        f"Cannot save the Pipeline: it references a type that sknn_squiggle.load "
        f"does not trust, because loading it could run code: {_system()} "
        "(at Pipeline.steps[0][1].func). Nothing was written."
    )
    assert "Remove or replace what holds it" in message
    assert "pickle or joblib" in message
    assert path.read_bytes() == b"the file that was there"
    assert os.listdir(tmp_path) == ["pipe.skops"]


def test_save_names_every_place_in_a_column_transformer(tmp_path):
    columns = ColumnTransformer(
        [
            ("scaled", StandardScaler(), [0]),
            ("canary", FunctionTransformer(func=canary, kw_args={"c": Canary()}), [1]),
        ]
    )
    with pytest.raises(ValueError) as info:
        save(columns, tmp_path / "columns.skops")
    message = str(info.value)
    module = canary.__module__
    assert "it references 2 types that sknn_squiggle.load does not trust" in message
    assert (
        f"{module}.Canary (at ColumnTransformer.transformers[1][1]"
        ".kw_args['c']); " in message
    )
    assert f"{module}.canary (at ColumnTransformer.transformers[1][1].func)" in message
    assert not (tmp_path / "columns.skops").exists()
    assert not CALLS


def test_save_refuses_a_subclass_of_our_estimator(tmp_path):
    class Mine(SquiggleClassifier):
        pass

    with pytest.raises(ValueError) as info:
        save(Mine(), tmp_path / "mine.npz")
    message = str(info.value)
    name = f"{Mine.__module__}.Mine"
    assert f"{name} (the Mine itself)" in message
    assert (
        f"{name} subclasses sknn_squiggle's SquiggleClassifier: only "
        "SquiggleClassifier itself is trusted" in message
    )
    assert not (tmp_path / "mine.npz").exists()


def test_save_refuses_what_is_not_an_estimator(tmp_path):
    with pytest.raises(ValueError, match="got builtins.dict"):
        save({"weights": np.zeros(3)}, tmp_path / "dict.skops")
    assert not (tmp_path / "dict.skops").exists()


# ----------------------------------------------------------------------
# Refused on load


def _crafted_file(path):
    """A skops file written by skops itself (not by save) that references the
    canaries: rebuilding it calls ``Canary.__setstate__``, transforming with
    it calls ``canary``."""
    step = FunctionTransformer(func=canary, kw_args={"c": Canary()})
    sio.dump(make_pipeline(step, StandardScaler()), path)
    return path


def test_the_crafted_file_would_run_code(tmp_path):
    # The positive control: skops, told to trust what the file names, runs
    # the canary while building the pipeline and calls the function after.
    path = _crafted_file(tmp_path / "crafted.skops")
    untrusted = sio.get_untrusted_types(file=path)
    pipe = sio.load(path, trusted=untrusted)
    assert CALLS == ["rebuilt"]
    pipe[0].transform(np.zeros((1, 1)))
    assert CALLS == ["rebuilt", "called"]


def test_load_refuses_a_code_reference_and_runs_nothing(tmp_path):
    path = _crafted_file(tmp_path / "crafted.skops")
    module = canary.__module__
    refused = [f"{module}.Canary", f"{module}.canary"]
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == (
        f"Cannot load {str(path)!r}: it is a skops file that references 2 types "
        f"outside sknn_squiggle's trusted list: {', '.join(refused)}. Nothing in "
        "the file was run: building them could run code. If you made this file "
        f"yourself and trust them, read it with skops.io.load({str(path)!r}, "
        f"trusted={refused!r}); otherwise remove or replace what holds them (a "
        "FunctionTransformer's function, for instance) and save the model "
        "again. Trusted are scikit-learn's estimators, numpy's and scipy's "
        "types, Python's plain data and sknn_squiggle's estimators."
    )
    assert not CALLS


def test_load_refuses_os_system(tmp_path):
    path = tmp_path / "system.skops"
    sio.dump(make_pipeline(FunctionTransformer(func=os.system)), path)
    with pytest.raises(ValueError, match=f"trusted list: {_system()}. Nothing"):
        load(path)


# ----------------------------------------------------------------------
# Files that are neither


def test_load_describes_other_zip_archives(tmp_path):
    path = tmp_path / "data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("a.txt", "b.csv", "c.json", "d.txt"):
            archive.writestr(name, "1,2\n")
    with pytest.raises(ValueError) as info:
        load(path)
    assert str(info.value) == (
        f"Cannot load {str(path)!r}: it is a zip archive holding 'a.txt', "
        "'b.csv', 'c.json' and 1 more, not an .npz model file or a skops file "
        "written by sknn_squiggle.save (a model file holds metadata.npy, a skops "
        "file schema.json)."
    )


def test_load_describes_an_npz_of_arrays(tmp_path):
    path = tmp_path / "arrays.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(ValueError, match="an .npz archive of numpy arrays holding"):
        load(path)


def test_load_describes_an_empty_zip(tmp_path):
    path = tmp_path / "empty.zip"
    zipfile.ZipFile(path, "w").close()
    with pytest.raises(
        ValueError,
        match="it is an empty zip archive, not an .npz model file or a skops",
    ):
        load(path)


def test_load_describes_a_corrupt_zip(tmp_path):
    path = tmp_path / "broken.skops"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(ValueError, match="cannot be read as one .*corrupt"):
        load(path)


# ----------------------------------------------------------------------
# The trusted list and the lazy import


def test_trusted_list_holds_our_estimators_and_no_function():
    from sknn_squiggle._persistence import pipelines

    trusted = set(pipelines.TRUSTED_TYPES)
    assert {
        "sknn_squiggle._classifier.SquiggleClassifier",
        "sknn_squiggle._regressor.SquiggleRegressor",
        "numpy.dtype",
    } <= trusted
    for name in trusted - set(pipelines.OTHER_TRUSTED_TYPES):
        module, _, attribute = name.rpartition(".")
        assert isinstance(getattr(sys.modules[module], attribute), type), name
    assert not any(name.endswith((".save", ".load", ".to_onnx")) for name in trusted)


def test_an_exported_estimator_is_trusted(monkeypatch):
    from sklearn.base import BaseEstimator

    from sknn_squiggle._persistence import pipelines

    class Exported(BaseEstimator):
        pass

    assert f"{__name__}.Exported" not in pipelines.library_estimator_types()
    monkeypatch.setattr(sknn_squiggle, "Exported", Exported, raising=False)
    monkeypatch.setattr(sknn_squiggle, "__all__", [*sknn_squiggle.__all__, "Exported"])
    assert f"{__name__}.Exported" in pipelines.library_estimator_types()


def test_importing_the_library_does_not_import_skops():
    code = (
        "import sys, sknn_squiggle; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'skops'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.stdout.strip() == "[]"
