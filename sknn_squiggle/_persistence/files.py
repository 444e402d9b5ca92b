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
"""

import json
import os
import uuid
import zipfile

import numpy as np

from .codec import Refused, plain_array, unique_keys
from .schema import build, dump

METADATA = "metadata"


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
        metadata, arrays = dump(estimator)
        text = json.dumps(metadata)
        # Build the estimator back from exactly what will be written: a file
        # that save writes, load reads.
        build(json.loads(text), arrays)
    except Refused as exc:
        raise ValueError(f"Cannot save the estimator: {exc}") from None
    arrays[METADATA] = np.array(text)

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
    _check_is_archive(path)
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
        f"Cannot load {path!r}: it is {_what_file(head)}, not an .npz archive "
        "written by sknn_squiggle.save."
        + (pickle_note if head[:1] == b"\x80" or _compressed(head) else "")
    )


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
