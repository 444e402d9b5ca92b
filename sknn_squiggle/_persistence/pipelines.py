"""Whole pipelines saved with skops, loading only types on a trusted list.

:func:`sknn_squiggle.save` writes one of the library's own estimators as its
``.npz`` model file (:mod:`.files`); any other scikit-learn object (a
Pipeline, a ColumnTransformer, a FeatureUnion, a search...) is written here
with skops (``skops.io``), whose file is a zip of JSON and arrays, read back
without unpickling anything.

skops names every type a file references, and trusts by default scikit-learn's
estimators, numpy's and scipy's types and Python's plain data. Any other type
could run code when it is rebuilt (a function is called, a class's
``__setstate__`` runs), so a file naming one is refused, on save before
anything is written and on load before anything is built. The types trusted
beyond skops' defaults are :data:`TRUSTED_TYPES`.

skops is imported only when a file of this kind is written or read: importing
sknn_squiggle does not import it.
"""

import inspect
import os
import pickle
import sys
import zipfile

import numpy as np
from sklearn.base import BaseEstimator

#: Types trusted beyond skops' defaults that are not the library's own:
#: ``numpy.dtype``, the data types scikit-learn's SimpleImputer and
#: KBinsDiscretizer store (``_fit_dtype``): skops lists them as untrusted,
#: but its ``DTypeNode`` only reads the dtype of an empty array that its
#: ``NdArrayNode`` loads without pickling, so no code runs.
OTHER_TRUSTED_TYPES = ("numpy.dtype",)

# How many places in the object an error names, at most.
_MAX_PLACES = 5


def _type_name(cls):
    """A class or function as skops names it: ``module.name``."""
    return f"{cls.__module__}.{cls.__name__}"


def _subclasses(cls):
    """Every subclass of ``cls``, however deep, among the loaded classes."""
    found, todo = set(), [cls]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return found


def _is_library_class(cls):
    """A concrete class defined at the top level of one of the package's
    modules (not in a function, not in another package)."""
    module = sys.modules.get(cls.__module__)
    return (
        cls.__module__.startswith("sknn_squiggle.")
        and module is not None
        and getattr(module, cls.__qualname__, None) is cls
        and not inspect.isabstract(cls)
    )


def library_estimator_types():
    """The names of the library's own estimator classes.

    Every class the package exports in ``sknn_squiggle.__all__`` that is a
    scikit-learn estimator (SquiggleRegressor, SquiggleClassifier and any
    estimator exported later), and every concrete estimator class defined in
    the package's modules that are loaded (such as the private encoder a
    tabular estimator holds). Classes only: never a function.
    """
    import sknn_squiggle as package

    exported = (getattr(package, name, None) for name in package.__all__)
    classes = {
        obj
        for obj in exported
        if isinstance(obj, type) and issubclass(obj, BaseEstimator)
    }
    classes |= {cls for cls in _subclasses(BaseEstimator) if _is_library_class(cls)}
    return tuple(sorted(_type_name(cls) for cls in classes))


#: The types a skops file may reference beyond those skops trusts by default
#: (scikit-learn's estimators, numpy, scipy, Python's plain data): the
#: library's estimator classes (:func:`library_estimator_types`, computed
#: when this module is first imported, by the first pipeline saved or
#: loaded) and :data:`OTHER_TRUSTED_TYPES`.
TRUSTED_TYPES = library_estimator_types() + OTHER_TRUSTED_TYPES


def _skops_io():
    """``skops.io``, imported on demand."""
    try:
        import skops.io
    except ImportError as exc:  # pragma: no cover - skops is a dependency
        raise ImportError(
            "Saving and loading a pipeline needs skops (a dependency of "
            "sknn-squiggle): pip install skops"
        ) from exc
    return skops.io


def refused_types(untrusted):
    """The names skops reports that :data:`TRUSTED_TYPES` does not hold."""
    return sorted(set(untrusted) - set(TRUSTED_TYPES))


# ----------------------------------------------------------------------
# Saving


def dumps(obj):
    """The bytes of the skops file of ``obj``, after checking that every type
    it references is trusted; raise ``ValueError`` otherwise.

    The file is read back (``skops.io.loads`` with :data:`TRUSTED_TYPES`)
    before the bytes are returned: a file that save writes, load reads.
    """
    name = type(obj).__name__
    if not isinstance(obj, BaseEstimator):
        raise ValueError(
            "save takes one of sknn_squiggle's estimators or a scikit-learn "
            f"estimator holding them (a Pipeline, a ColumnTransformer...), got "
            f"{_type_name(type(obj))}."
        )
    sio = _skops_io()
    try:
        data = sio.dumps(obj)
    except (TypeError, ValueError, AttributeError, pickle.PicklingError) as exc:
        raise ValueError(
            f"Cannot save the {name}: skops cannot store it "
            f"({type(exc).__name__}: {exc}). Nothing was written."
        ) from exc
    refused = refused_types(sio.get_untrusted_types(data=data))
    if refused:
        raise ValueError(_refused_on_save(obj, refused))
    sio.loads(data, trusted=list(TRUSTED_TYPES))
    return data


def _refused_on_save(obj, refused):
    """The error of a save that references untrusted types."""
    name = type(obj).__name__
    places = _places(obj, set(refused))
    described = []
    for type_name in refused:
        where = [
            f"the {name} itself" if place == name else f"at {place}"
            for place in places.get(type_name, [])
        ]
        shown = ", ".join(where[:_MAX_PLACES])
        if len(where) > _MAX_PLACES:
            shown += f" and {len(where) - _MAX_PLACES} more places"
        described.append(f"{type_name} ({shown})" if where else type_name)
    return (
        f"Cannot save the {name}: it references "
        f"{_types_phrase(refused)} that sknn_squiggle.load does not trust, "
        f"because loading {_them(refused)} could run code: "
        f"{'; '.join(described)}. Nothing was written."
        + _subclass_hint(obj, refused)
        + " Remove or replace what holds "
        + _them(refused)
        + " (a FunctionTransformer's function, for instance, by a scikit-learn "
        "transformer that does the same), or, only for a file you will load "
        "yourself, save with pickle or joblib: loading those runs whatever code "
        "the file names, so load them only from a source you trust. Trusted "
        "are scikit-learn's estimators, numpy's and scipy's types, Python's "
        "plain data and sknn_squiggle's estimators."
    )


def _types_phrase(names):
    return "a type" if len(names) == 1 else f"{len(names)} types"


def _them(names):
    return "it" if len(names) == 1 else "them"


def _subclass_hint(obj, refused):
    """A sentence for classes that subclass one of the library's estimators."""
    trusted = set(TRUSTED_TYPES)
    hints = []
    for cls in _classes_in(obj):
        if _type_name(cls) not in refused:
            continue
        bases = [b for b in cls.__mro__[1:] if _type_name(b) in trusted]
        if bases:
            hints.append(
                f" {_type_name(cls)} subclasses sknn_squiggle's "
                f"{bases[0].__name__}: only {bases[0].__name__} itself is "
                "trusted (a subclass defined elsewhere runs its own code when "
                "it is rebuilt)."
            )
    return "".join(sorted(set(hints)))


def _children(value):
    """The (suffix, child) pairs to look into: an object's attributes, a
    dict's values, a list's or tuple's items; nothing in arrays or strings."""
    if isinstance(value, np.ndarray | str | bytes | int | float | complex):
        return []
    if isinstance(value, dict):
        return [(f"[{key!r}]", child) for key, child in value.items()]
    if isinstance(value, list | tuple):
        return [(f"[{i}]", child) for i, child in enumerate(value)]
    if isinstance(value, type) or not hasattr(value, "__dict__"):
        return []
    return [(f".{key}", child) for key, child in vars(value).items()]


def _walk(obj):
    """(path, value) for ``obj`` and everything it holds, each value once."""
    seen = set()
    todo = [(type(obj).__name__, obj)]
    while todo:
        path, value = todo.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        yield path, value
        for suffix, child in reversed(_children(value)):
            todo.append((path + suffix, child))


def _names_of(value):
    """The type names skops could report for a value: its class, and the
    value itself if it is a class or a function."""
    names = [_type_name(type(value))]
    module = getattr(value, "__module__", None)
    if callable(value) and isinstance(module, str) and hasattr(value, "__name__"):
        names.append(f"{module}.{value.__name__}")
    return names


def _places(obj, names):
    """Where in ``obj`` each of ``names`` is held, as attribute paths such as
    ``Pipeline.steps[0][1].func``."""
    places = {}
    for path, value in _walk(obj):
        for name in _names_of(value):
            if name in names and path not in places.setdefault(name, []):
                places[name].append(path)
    return places


def _classes_in(obj):
    """The classes of everything ``obj`` holds."""
    return {type(value) for _, value in _walk(obj)}


# ----------------------------------------------------------------------
# Loading


def load(path):
    """The object of a skops file, if every type it references is trusted.

    ``skops.io.get_untrusted_types`` reads the file's description without
    building anything; a file naming a type outside :data:`TRUSTED_TYPES`
    (and skops' defaults) is refused before anything is built. Otherwise
    ``skops.io.load`` builds it, trusting :data:`TRUSTED_TYPES` only.
    """
    sio = _skops_io()
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise ValueError(
            f"Cannot load {path!r}: it is a skops file that skops cannot read "
            f"({type(exc).__name__}: {exc})."
        ) from exc
    refused = refused_types(untrusted)
    if refused:
        listed = ", ".join(refused)
        raise ValueError(
            f"Cannot load {path!r}: it is a skops file that references "
            f"{_types_phrase(refused)} outside sknn_squiggle's trusted list: "
            f"{listed}. Nothing in the file was run: building "
            f"{_them(refused)} could run code. If you made this file yourself "
            f"and trust {_them(refused)}, read it with "
            f"skops.io.load({os.fspath(path)!r}, trusted={refused!r}); "
            "otherwise remove or replace what holds "
            f"{_them(refused)} (a FunctionTransformer's function, for "
            "instance) and save the model again. Trusted are scikit-learn's "
            "estimators, numpy's and scipy's types, Python's plain data and "
            "sknn_squiggle's estimators."
        )
    return sio.load(path, trusted=list(TRUSTED_TYPES))
