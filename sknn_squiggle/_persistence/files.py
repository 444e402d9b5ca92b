"""Safe model files: an estimator saved as plain arrays and JSON.

A model file is an uncompressed ``.npz`` archive (numpy's zip of ``.npy``
arrays) holding

- ``metadata``: a 0-d unicode array with a JSON document: the format name and
  version, the library and scikit-learn versions that wrote it, the class, the
  parameters and the fitted state (numbers, strings and references to arrays;
  see :mod:`.schema`);
- one array for every array the estimator holds: each layer's coefficients and
  intercepts, the loss curve, the class labels, the feature names, the
  optimizer's running state (velocity, or Adam's moments) and any array given
  as a parameter (``coefs_init``, ``intercepts_init``, ``trainable`` masks).

Only numbers, booleans and unicode strings are stored, never an object array
(:mod:`.codec`), so :func:`load` reads the file with
``np.load(path, allow_pickle=False)`` and never runs code from it: it refuses
pickles, object arrays, unknown fields, arrays of the wrong shape or dtype and
unknown classes with a ``ValueError``.

Every other scikit-learn object (a Pipeline holding one of our estimators, a
ColumnTransformer...) is written and read as a skops file by
:mod:`.pipelines`; :func:`load` tells the two kinds of zip apart by their
members (``metadata.npy`` or skops' ``schema.json``).
"""

import json
import os
import uuid
import zipfile

import numpy as np

from .codec import Refused, plain_array, unique_keys
from .schema import ESTIMATORS, build, dump

METADATA = "metadata"
#: The member that describes a skops file's content (skops.io.dump).
SKOPS_SCHEMA = "schema.json"


def save(estimator, path):
    """Save an estimator or a whole pipeline to a file that loads safely.

    A :class:`SquiggleRegressor` or :class:`SquiggleClassifier` is written as
    the library's model file: an ``.npz`` archive of plain arrays and JSON
    that :func:`load` reads without unpickling anything. It records the
    format version, the library version, the class, every parameter and, for
    a fitted estimator, every fitted attribute (weights, loss curve, classes,
    feature names, ...) and the optimizer's state, so that ``partial_fit``
    and ``warm_start`` continue exactly where they stopped.

    Any other scikit-learn estimator (a Pipeline, ColumnTransformer,
    FeatureUnion..., made of scikit-learn's estimators and ours) is written
    with skops (``skops.io.dump``: a zip of JSON and arrays, whatever the
    name of ``path``), after checking that every type it references is
    trusted: those skops trusts by default (scikit-learn's estimators,
    numpy, scipy, Python's plain data) and the library's estimators. A
    reference to anything else, such as a ``FunctionTransformer`` holding
    ``os.system``, could run code when the file is loaded: it is refused,
    and nothing is written.

    Parameters
    ----------
    estimator : estimator
        One of our estimators, or a scikit-learn estimator holding them,
        fitted or not. Our estimator's ``random_state`` must be an int or
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
        If the estimator holds something that cannot be stored as plain data
        (an object array, a ``RandomState``, an unknown attribute), or, for a
        pipeline, references a type outside the trusted list (the error names
        it and where it sits). An existing file at ``path`` is left as it was.

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
    if type(estimator) not in ESTIMATORS.values():
        from . import pipelines

        data = pipelines.dumps(estimator)
        _write_atomically(path, lambda file: file.write(data))
        return
    try:
        metadata, arrays = dump(estimator)
        text = json.dumps(metadata)
        # Build the estimator back from exactly what will be written: a file
        # that save writes, load reads.
        build(json.loads(text), arrays)
    except Refused as exc:
        raise ValueError(f"Cannot save the estimator: {exc}") from None
    arrays[METADATA] = np.array(text)
    # A file object, not a name: numpy would append ".npz" to a name.
    _write_atomically(path, lambda file: np.savez(file, allow_pickle=False, **arrays))


def _write_atomically(path, write):
    """Call ``write(file)`` on a temporary file in ``path``'s folder, then move
    it over ``path``: an existing file is replaced whole or not at all."""
    path = os.fspath(path)
    folder, base = os.path.split(os.path.abspath(path))
    tmp = os.path.join(folder, f".{base}.{uuid.uuid4().hex}.tmp")
    # os.open applies the umask to 0o666, as a plain open() would.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def load(path):
    """Load an estimator or a pipeline from a file written by :func:`save`.

    Loading never runs code from the file. The kind of file is read from its
    content, whatever its name: a model file (an ``.npz`` archive holding
    ``metadata.npy``) is read with ``np.load(path, allow_pickle=False)``, and
    every field is checked against what the format allows before the
    estimator is built; a skops file (a zip holding ``schema.json``) is
    checked with ``skops.io.get_untrusted_types`` and refused if it
    references any type outside the trusted list (see :func:`save`), before
    anything is built; otherwise ``skops.io.load`` builds it, trusting that
    list only.

    Parameters
    ----------
    path : str or path-like
        The file, exactly as given to :func:`save`.

    Returns
    -------
    estimator : estimator
        The estimator or pipeline, with its parameters and, if it was fitted,
        its fitted state: it predicts exactly as the saved one did, and our
        estimators' ``partial_fit`` and ``warm_start`` continue from the
        saved optimizer state.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not one that :func:`save` writes (the error says what
        it is: a pickle, a CSV or other text file, another zip archive...), a
        model file holding a pickled object array, unknown or missing fields,
        arrays of the wrong shape or dtype, an unknown class, or a format
        version newer than this library reads, or a skops file that
        references an untrusted type (the error names it).

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
    _check_is_archive(path)
    if _archive_kind(path) == "skops":
        from . import pipelines

        return pipelines.load(path)
    try:
        arrays = _read_arrays(path)
        text = arrays.pop(METADATA, None)
        if text is None or text.dtype.kind != "U" or text.ndim != 0:
            raise Refused(
                f"there is no {METADATA!r} text: not written by sknn_squiggle.save."
            )
        for name, value in arrays.items():
            plain_array(value, f"the field {name!r}")
        try:
            metadata = json.loads(str(text[()]), object_pairs_hook=unique_keys)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise Refused(f"the metadata is not valid JSON ({exc}).") from None
        return build(metadata, arrays)
    except Refused as exc:
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


def _check_is_archive(path):
    """Refuse, saying what the file is, anything but a zip archive."""
    with open(path, "rb") as file:
        head = file.read(512)
    if head[:4] == b"PK\x03\x04":
        return
    pickle_note = (
        " Pickle and joblib files are refused because loading them can run "
        "arbitrary code: open them with pickle or joblib, and only if you trust "
        "their source."
    )
    raise ValueError(
        f"Cannot load {path!r}: it is {_what_file(head)}, not an .npz model file "
        "or a skops file written by sknn_squiggle.save."
        + (pickle_note if head[:1] == b"\x80" or _compressed(head) else "")
    )


def _archive_kind(path):
    """The kind of a zip archive: "npz" for a model file, "skops" for a skops
    file; refuse, saying what it holds, any other zip archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise ValueError(
            f"Cannot load {path!r}: it starts as a zip archive but cannot be read "
            f"as one ({type(exc).__name__}: {exc}): the file is malformed, "
            "truncated or corrupt."
        ) from exc
    if f"{METADATA}.npy" in names:
        return "npz"
    if SKOPS_SCHEMA in names:
        return "skops"
    raise ValueError(
        f"Cannot load {path!r}: it is {_what_zip(names)}, not an .npz model file "
        f"or a skops file written by sknn_squiggle.save (a model file holds "
        f"{METADATA}.npy, a skops file {SKOPS_SCHEMA})."
    )


def _what_zip(names):
    """What a zip archive that is neither kind of file is, from the names of
    its members."""
    shown = ", ".join(repr(n) for n in names[:3])
    shown += f" and {len(names) - 3} more" if len(names) > 3 else ""
    if all(name.endswith(".npy") for name in names):
        return f"an .npz archive of numpy arrays holding {shown}"
    return f"a zip archive holding {shown}"


def _compressed(head):
    """Whether the bytes start a gzip or zlib stream."""
    return head[:2] in (b"\x1f\x8b", b"\x78\x9c", b"\x78\x01", b"\x78\xda")


def _what_file(head):
    """What the first bytes of a file say it is."""
    if not head:
        return "an empty file"
    if head[:1] == b"\x80":
        # Protocol 2+ pickles (and so joblib's uncompressed files) start 0x80.
        return "a pickle (or an uncompressed joblib file)"
    if head[:6] == b"\x93NUMPY":
        return "a single numpy array (an .npy file)"
    if _compressed(head):
        return "a compressed file (gzip or zlib, as joblib's compressed pickles)"
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        return "an HDF5 file"
    if head[:4] == b"PK\x03\x04":
        # Model files and skops files are both zips: _what_zip tells them
        # apart by their members.
        return "a zip archive"
    if head[:4] == b"PK\x05\x06":
        # A zip's end record with no member before it.
        return "an empty zip archive"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and "\x00" not in text:
        first = text.splitlines()[0][:40] if text.strip() else ""
        kind = "a CSV text file" if "," in first else "a text file"
        return f"{kind} (it starts {first!r})"
    return f"a file of unknown kind (it starts with the bytes {head[:8]!r})"


def _read_arrays(path):
    """Every array of the archive, read without unpickling; refuse pickled
    object arrays and repeated fields."""
    with np.load(path, allow_pickle=False) as archive:
        names = list(archive.files)
        if len(set(names)) != len(names):
            raise Refused("the archive holds the same field twice.")
        arrays = {}
        for name in names:
            try:
                value = archive[name]
            except ValueError as exc:
                if "allow_pickle" not in str(exc):
                    raise
                raise Refused(
                    f"the field {name!r} is a pickled object array, which "
                    "only unpickling could read: refused."
                ) from None
            if not isinstance(value, np.ndarray):
                raise Refused(f"the field {name!r} is not a numpy array.")
            arrays[name] = value
    return arrays
