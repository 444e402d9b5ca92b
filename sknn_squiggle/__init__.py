"""sknn_squiggle: neural networks as squiggle-fitting machines, for scikit-learn.

Two estimators, :class:`SquiggleRegressor` and :class:`SquiggleClassifier`,
drop in for scikit-learn's ``MLPRegressor`` and ``MLPClassifier``; two more,
:class:`TabularSquiggleRegressor` and :class:`TabularSquiggleClassifier`, take
raw tables (pandas DataFrames with categories and missing values).
"""

from ._classifier import SquiggleClassifier
from ._persistence import load, save
from ._regressor import SquiggleRegressor
from ._tabular._estimators import TabularSquiggleClassifier, TabularSquiggleRegressor

__version__ = "0.1.0"

__all__ = [
    "SquiggleClassifier",
    "SquiggleRegressor",
    "TabularSquiggleClassifier",
    "TabularSquiggleRegressor",
    "__version__",
    "load",
    "register_onnx_converters",
    "save",
    "to_onnx",
]


def _onnx_module():
    """Import ``sknn_squiggle._onnx``, which needs the onnx extra, on demand."""
    try:
        from . import _onnx
    except ImportError as exc:
        if (exc.name or "").startswith(__name__):
            raise
        raise ImportError(
            f"ONNX export needs onnx, onnxruntime and skl2onnx ({exc.name!r} is "
            'missing): pip install "sknn-squiggle[onnx]"'
        ) from exc
    return _onnx


def to_onnx(model, X_sample=None, **options):
    """Convert a fitted network, or a pipeline holding one, to ONNX.

    Registers our converters with skl2onnx (see
    :func:`register_onnx_converters`), checks that every network in ``model``
    is fitted, then calls ``skl2onnx.to_onnx(model, X_sample, **options)``.
    Needs the onnx extra: ``pip install "sknn-squiggle[onnx]"``.

    A regressor's graph outputs ``predict``'s values, shape (n_samples,
    n_outputs) even for one target. A classifier's graph outputs the labels
    of ``predict`` and the probabilities of ``predict_proba``; labels are
    int64 for integer, boolean (0 and 1) and whole-number float classes, and
    strings for string classes. The graph computes in float32 for a float32
    input and in float64 otherwise.

    Parameters
    ----------
    model : estimator
        A fitted :class:`SquiggleRegressor` or :class:`SquiggleClassifier`, or
        a scikit-learn Pipeline, ColumnTransformer... holding one alongside
        estimators that skl2onnx converts.
    X_sample : array-like or DataFrame, default=None
        A few rows of input, from which skl2onnx infers the graph's inputs
        (their names, float type and number of columns); or None with
        ``initial_types`` among ``options``. A DataFrame gives a pipeline one
        input per column; for one of our estimators alone it is taken as a
        matrix.
    **options
        Keyword arguments of ``skl2onnx.to_onnx``, passed on unchanged: among
        them ``target_opset`` (skl2onnx's default when omitted) and
        ``options``, such as ``options={"zipmap": False}`` for probabilities
        as a tensor rather than a list of dictionaries (which ONNX holds in
        float32 only); our classifier also takes skl2onnx's options ``nocl``
        and ``output_class_labels``.

    Returns
    -------
    onnx_model : onnx.ModelProto
        The ONNX graph.

    Raises
    ------
    ImportError
        Without onnx or skl2onnx.
    sklearn.exceptions.NotFittedError
        If a network in ``model`` is not fitted.
    ValueError or TypeError
        For what cannot be converted (a sparse sample, an activation without
        ONNX conversion, a too old target opset...), saying what to do.

    See Also
    --------
    register_onnx_converters : Make ``skl2onnx.to_onnx`` itself accept our
        estimators.
    save : Save a model to a safe file that this library loads back.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sknn_squiggle import SquiggleClassifier, to_onnx
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.9, 0.1], [0.1, 0.8]])
    >>> clf = SquiggleClassifier(hidden_layer_sizes=(4,), solver="lbfgs",
    ...                          random_state=0).fit(X, ["a", "b", "b", "a"])
    >>> onx = to_onnx(clf, X[:1], options={"zipmap": False})
    >>> session = ort.InferenceSession(onx.SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> labels, proba = session.run(None, {"X": X})
    >>> labels.tolist() == clf.predict(X).tolist()
    True
    >>> bool(np.allclose(proba, clf.predict_proba(X), rtol=1e-12))
    True
    """
    return _onnx_module().to_onnx(model, X_sample, **options)


def register_onnx_converters():
    """Teach skl2onnx to convert :class:`SquiggleRegressor` and
    :class:`SquiggleClassifier`.

    After this call, ``skl2onnx.to_onnx`` and ``skl2onnx.convert_sklearn``
    convert our estimators and pipelines holding them, with the classifier
    options skl2onnx users know: ``zipmap`` (True, False or "columns"),
    ``nocl`` and ``output_class_labels``. :func:`to_onnx` calls it for you.
    Calling it again does no harm. Needs the onnx extra: ``pip install
    "sknn-squiggle[onnx]"``.

    See Also
    --------
    to_onnx : Register, check and convert in one call.

    Examples
    --------
    >>> import numpy as np
    >>> import skl2onnx
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sknn_squiggle import SquiggleRegressor, register_onnx_converters
    >>> X, y = [[0.0], [0.5], [1.0]], [0.0, 1.0, 0.0]
    >>> pipe = make_pipeline(StandardScaler(), SquiggleRegressor(
    ...     hidden_layer_sizes=(3,), solver="lbfgs", random_state=0)).fit(X, y)
    >>> register_onnx_converters()
    >>> onx = skl2onnx.to_onnx(pipe, np.array(X[:1]))
    >>> [output.name for output in onx.graph.output]
    ['variable']
    """
    _onnx_module().register_onnx_converters()
