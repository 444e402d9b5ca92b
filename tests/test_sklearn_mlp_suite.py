"""scikit-learn's own MLP tests, run against SquiggleClassifier/Regressor.

Users migrate by changing a class name, so the strongest test of "drop-in" is
scikit-learn's test module for its MLP with its import line changed. This
module reads ``sklearn/neural_network/tests/test_mlp.py`` from the *installed*
scikit-learn (found through ``sklearn.__file__`` at collection time, so it
follows upgrades) and

1. checks that the line ``from sklearn.neural_network import MLPClassifier,
   MLPRegressor`` occurs exactly once, and replaces it by an import of our
   classes under the same names;
2. checks that nothing else in the file reaches ``sklearn.neural_network``;
3. compiles it (with pytest's assertion rewriting, so failures show values)
   under the file's own path, so tracebacks point at scikit-learn's lines;
4. executes it in a namespace of its own, removes the tests listed in
   ``DESELECTED`` (each must exist) and publishes the rest here, where pytest
   collects them as ours.

If any step fails, nothing is published and ``test_sklearn_suite_loads``
fails with the reason: the suite never silently tests scikit-learn's own
classes, nor silently shrinks.

The fixture ``global_random_seed`` stands in for the one scikit-learn's
conftest provides, with the same semantics: 42 by default; the environment
variable ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` set to ``N``, ``N-M`` or ``all``
(0-99) runs the tests that take it once per seed. The other fixtures the file
uses (``capsys``, ``tmp_path``) are pytest's; its helpers
(``sklearn.utils._testing``, ``CSR_CONTAINERS``) come from the installed
scikit-learn.
"""

import ast
import os
from pathlib import Path

import pytest
import sklearn
from sklearn.base import BaseEstimator

from sknn_squiggle import SquiggleClassifier, SquiggleRegressor

SKLEARN_TEST_FILE = (
    Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
)
SKLEARN_IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor\n"
OUR_IMPORT = (
    "from sknn_squiggle import SquiggleClassifier as MLPClassifier, "
    "SquiggleRegressor as MLPRegressor\n"
)

# Tests that read scikit-learn's private internals, which our estimators do
# not share; everything else in the file runs.
DESELECTED = {
    "test_fit": "sets and reads private _coef_grads/_intercept_grads",
    "test_gradient": "calls the private _loss_grad_lbfgs",
    "test_learning_rate_warmstart": "reads the private _optimizer",
    "test_adaptive_learning_rate": "reads the private _optimizer",
    "test_n_iter_no_change": "reads the private _no_improvement_count",
    "test_n_iter_no_change_inf": "reads the private _no_improvement_count",
}


class SklearnSuiteError(Exception):
    """scikit-learn's test module cannot be run against our classes as is."""


def _global_random_seeds():
    """The seeds of scikit-learn's ``global_random_seed`` fixture.

    Returns
    -------
    seeds : list of int
        ``[42]`` without ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED``; otherwise the
        seed ``N``, the range ``N-M`` (both ends included) or ``all`` (0-99)
        it names, each in [0, 99].
    """
    value = os.environ.get("SKLEARN_TESTS_GLOBAL_RANDOM_SEED")
    if value is None:
        return [42]
    if value == "all":
        return list(range(100))
    start, _, stop = value.partition("-")
    seeds = list(range(int(start), int(stop or start) + 1))
    if not seeds or min(seeds) < 0 or max(seeds) > 99:
        raise ValueError(
            "SKLEARN_TESTS_GLOBAL_RANDOM_SEED must name seeds in [0, 99] as N, "
            f"N-M or 'all', got {value!r}; unset it to use 42."
        )
    return seeds


@pytest.fixture(params=_global_random_seeds())
def global_random_seed(request):
    """A random seed: 42, or those ``SKLEARN_TESTS_GLOBAL_RANDOM_SEED`` names."""
    return request.param


def _patched_source(source):
    """scikit-learn's test source with its MLP import replaced by ours.

    Raises
    ------
    SklearnSuiteError
        If the import line does not occur exactly once.
    """
    lines = source.splitlines(keepends=True)
    count = lines.count(SKLEARN_IMPORT)
    if count != 1:
        raise SklearnSuiteError(
            f"{SKLEARN_TEST_FILE} holds the line {SKLEARN_IMPORT.strip()!r} "
            f"{count} times, expected exactly once: scikit-learn changed how it "
            "imports its MLPs. Update SKLEARN_IMPORT in "
            "tests/test_sklearn_mlp_suite.py so that every MLP the file uses "
            "is ours."
        )
    lines[lines.index(SKLEARN_IMPORT)] = OUR_IMPORT
    return "".join(lines)


def _references_to_sklearn_mlp(tree):
    """Lines of ``tree`` that import or name ``sklearn.neural_network``.

    Returns
    -------
    lines : list of int
        Line numbers of ``import``/``from`` statements that reach any
        ``sklearn.neural_network`` module, of attribute accesses
        ``.neural_network`` and of strings starting with
        ``sklearn.neural_network`` (as given to ``importlib``).
    """
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module] + [f"{module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.Attribute) and node.attr == "neural_network":
            names = ["sklearn.neural_network"]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        else:
            names = []
        if any(name.startswith("sklearn.neural_network") for name in names):
            found.append(node.lineno)
    return sorted(found)


def _compiled(source):
    """Code of ``source`` under scikit-learn's file name, asserts rewritten.

    pytest's assertion rewriting makes a failing ``assert`` show its operands;
    without it (a pytest whose private API moved) plain asserts still fail.
    """
    tree = ast.parse(source, filename=str(SKLEARN_TEST_FILE))
    lines = _references_to_sklearn_mlp(tree)
    if lines:
        raise SklearnSuiteError(
            f"{SKLEARN_TEST_FILE} still reaches sklearn.neural_network on lines "
            f"{lines} after its import was replaced: those tests would check "
            "scikit-learn's classes. Replace or deselect them in "
            "tests/test_sklearn_mlp_suite.py."
        )
    try:
        from _pytest.assertion.rewrite import rewrite_asserts

        rewrite_asserts(tree, source.encode(), str(SKLEARN_TEST_FILE))
    except ImportError:
        pass
    return compile(tree, str(SKLEARN_TEST_FILE), "exec")


def _sklearn_test_namespace():
    """scikit-learn's MLP test module, executed against our classes.

    Returns
    -------
    namespace : dict
        Its globals, without the ``DESELECTED`` tests.

    Raises
    ------
    SklearnSuiteError
        If the file is missing, its import line changed, it reaches
        ``sklearn.neural_network`` otherwise, or a deselected test is gone.
    """
    if not SKLEARN_TEST_FILE.is_file():
        raise SklearnSuiteError(
            f"{SKLEARN_TEST_FILE} does not exist: this scikit-learn "
            f"({sklearn.__version__}) was installed without its tests. Install "
            "it from PyPI's wheels, which ship them."
        )
    code = _compiled(_patched_source(SKLEARN_TEST_FILE.read_text()))
    namespace = {"__name__": __name__, "__file__": str(SKLEARN_TEST_FILE)}
    exec(code, namespace)
    missing = sorted(set(DESELECTED) - set(namespace))
    if missing:
        raise SklearnSuiteError(
            f"{SKLEARN_TEST_FILE} no longer defines {missing}: remove them from "
            "DESELECTED in tests/test_sklearn_mlp_suite.py."
        )
    for name in DESELECTED:
        del namespace[name]
    return namespace


def _publish(namespace):
    """Put the namespace's names into this module for pytest to collect.

    Names this module defines itself stay ours (the published tests look
    names up in their own namespace, not here).

    Raises
    ------
    SklearnSuiteError
        If one of scikit-learn's tests would take the name of one of ours.
    """
    ours = set(globals())
    clash = sorted(name for name in ours & set(namespace) if name.startswith("test"))
    if clash:
        raise SklearnSuiteError(
            f"scikit-learn's test module defines {clash}, names this module "
            "uses for its own tests: rename ours."
        )
    globals().update(
        (name, value)
        for name, value in namespace.items()
        if not name.startswith("__") and name not in ours
    )


try:
    SKLEARN_NAMESPACE = _sklearn_test_namespace()
    LOAD_ERROR = None
except Exception as error:  # reported by test_sklearn_suite_loads
    SKLEARN_NAMESPACE = {}
    LOAD_ERROR = f"{type(error).__name__}: {error}"


def _sklearn_tests():
    """scikit-learn's test functions that run here, by name."""
    return {
        name: value
        for name, value in SKLEARN_NAMESPACE.items()
        if name.startswith("test") and callable(value)
    }


def _is_sklearn_mlp(value):
    """Whether ``value`` is (an instance of) one of scikit-learn's MLPs."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    sklearn_mlps = (MLPClassifier, MLPRegressor)
    if isinstance(value, type):
        return issubclass(value, sklearn_mlps)
    return isinstance(value, sklearn_mlps)


def test_sklearn_suite_loads():
    assert LOAD_ERROR is None, LOAD_ERROR
    assert len(_sklearn_tests()) >= 30


def test_sklearn_suite_uses_our_classes():
    assert SKLEARN_NAMESPACE.get("MLPClassifier") is SquiggleClassifier
    assert SKLEARN_NAMESPACE.get("MLPRegressor") is SquiggleRegressor
    for name, test in _sklearn_tests().items():
        assert test.__globals__ is SKLEARN_NAMESPACE, name
    assert not [name for name, v in SKLEARN_NAMESPACE.items() if _is_sklearn_mlp(v)]


def test_sklearn_suite_parameters_are_our_classes():
    """No parametrization hands a test one of scikit-learn's MLPs."""
    estimators = set()
    for name, test in _sklearn_tests().items():
        for mark in getattr(test, "pytestmark", []):
            for values in mark.args[1:2] if mark.name == "parametrize" else []:
                for value in values:
                    assert not _is_sklearn_mlp(value), name
                    if isinstance(value, type) and issubclass(value, BaseEstimator):
                        estimators.add(value)
    assert estimators == {SquiggleClassifier, SquiggleRegressor}


def test_sklearn_suite_deselects_exactly_the_private_tests():
    assert not set(DESELECTED) & set(SKLEARN_NAMESPACE)
    assert not set(DESELECTED) & set(globals())


@pytest.mark.parametrize(
    "value, seeds",
    [(None, [42]), ("7", [7]), ("3-5", [3, 4, 5]), ("all", list(range(100)))],
)
def test_global_random_seeds_follow_sklearn_conftest(monkeypatch, value, seeds):
    """The seeds scikit-learn's conftest (1.9) parametrizes with."""
    monkeypatch.delenv("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", raising=False)
    if value is not None:
        monkeypatch.setenv("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", value)
    assert _global_random_seeds() == seeds


@pytest.mark.parametrize("value", ["100", "98-100"])
def test_global_random_seeds_outside_0_99_raise(monkeypatch, value):
    monkeypatch.setenv("SKLEARN_TESTS_GLOBAL_RANDOM_SEED", value)
    with pytest.raises(ValueError, match=r"\[0, 99\]"):
        _global_random_seeds()


def test_patched_source_demands_the_import_exactly_once():
    body = "import numpy as np\n"
    assert _patched_source(body + SKLEARN_IMPORT + body) == body + OUR_IMPORT + body
    for count in (0, 2):
        with pytest.raises(SklearnSuiteError, match=f" {count} times, expected"):
            _patched_source(body + SKLEARN_IMPORT * count)


@pytest.mark.parametrize(
    "snippet",
    [
        "from sklearn.neural_network import MLPClassifier",
        "from sklearn.neural_network._base import ACTIVATIONS",
        "import sklearn.neural_network.tests",
        "from sklearn import neural_network",
        "MLP = sklearn.neural_network.MLPRegressor",
        "module = importlib.import_module('sklearn.neural_network')",
    ],
)
def test_other_references_to_sklearn_mlp_are_found(snippet):
    source = f'"""Tests of sklearn.neural_network."""\nimport sklearn\n{snippet}\n'
    assert _references_to_sklearn_mlp(ast.parse(source)) == [3]


def test_our_import_is_no_reference_to_sklearn_mlp():
    source = _patched_source(f'"""Tests (sklearn.neural_network)."""\n{SKLEARN_IMPORT}')
    assert _references_to_sklearn_mlp(ast.parse(source)) == []


if LOAD_ERROR is None:
    _publish(SKLEARN_NAMESPACE)
