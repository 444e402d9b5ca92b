"""Plain values to JSON and arrays, and back: the model files' codec.

Values that JSON cannot tell apart are tagged: a tuple is ``{"tuple": [...]}``,
a dict (whose keys may be labels of any type) is ``{"dict": [[key, value],
...]}``, a numpy scalar is ``{"scalar": [dtype, value]}`` and an array is
``{"array": name}``, the name of its member in the archive. Only numbers,
booleans and unicode strings are stored, never an object array, so that a
file is read with ``np.load(path, allow_pickle=False)``. Anything else is
refused with a :class:`Refused` error naming what and where.
"""

from numbers import Real

import numpy as np

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
ARRAY_KINDS = "biufU"  # bool, signed/unsigned integer, float, unicode
FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class Refused(ValueError):
    """The content cannot be stored or read as plain data."""


# ----------------------------------------------------------------------
# Plain values <-> JSON and arrays


def plain_array(array, name):
    """The array itself if it is a plain (pickle-free) array, else refuse."""
    if array.dtype.kind not in ARRAY_KINDS or array.dtype.names is not None:
        raise Refused(
            f"{name} is an array of dtype {array.dtype}; only boolean, integer, "
            "float and unicode arrays can be stored without pickling."
        )
    return array


def encode(value, name, arrays):
    """JSON for ``value``; its arrays go into ``arrays`` under names from
    ``name``."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, np.random.RandomState):
        raise Refused(
            f"{name} is a RandomState instance, whose state cannot be stored as "
            "plain data. Set it to an int or None before saving, for example "
            "est.set_params(random_state=0)."
        )
    if isinstance(value, np.generic):
        if isinstance(value, np.str_):
            return {"scalar": ["str", str(value)]}
        dtype = value.dtype.name
        if dtype not in _SCALAR_TYPES:
            raise Refused(f"{name} is a numpy scalar of unsupported dtype {dtype}.")
        return {"scalar": [dtype, value.item()]}
    if isinstance(value, np.ndarray):
        arrays[name] = plain_array(value, name)
        return {"array": name}
    if type(value) is list:
        return [encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
    if type(value) is tuple:
        return {
            "tuple": [encode(v, f"{name}.{i}", arrays) for i, v in enumerate(value)]
        }
    if type(value) is dict:
        return {
            "dict": [
                [
                    encode(k, f"{name}.key{i}", arrays),
                    encode(v, f"{name}.{i}", arrays),
                ]
                for i, (k, v) in enumerate(value.items())
            ]
        }
    raise Refused(
        f"{name} holds a value of type {type(value).__name__}, which cannot be "
        "stored as plain data (numbers, strings, lists, tuples, dicts, arrays)."
    )


class Decoder:
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
            raise Refused(f"{where} is not a valid encoded value: {value!r:.80}.")
        ((tag, content),) = value.items()
        if tag == "array" and type(content) is str:
            if content not in self.arrays:
                raise Refused(
                    f"{where} refers to the array {content!r}, which the file "
                    "does not hold."
                )
            self.used.add(content)
            return self.arrays[content]
        if tag == "tuple" and type(content) is list:
            return tuple(self(v, f"{where}[{i}]") for i, v in enumerate(content))
        if tag == "scalar" and type(content) is list and len(content) == 2:
            dtype, item = content
            if type(dtype) is not str or type(item) is not scalar_item_type(dtype):
                raise Refused(f"{where} is not a valid numpy scalar: {content!r:.80}.")
            try:
                return _SCALAR_TYPES[dtype](item)
            except (TypeError, ValueError, OverflowError) as exc:
                raise Refused(f"{where} is not a valid {dtype}: {item!r:.80}.") from exc
        if tag == "dict" and type(content) is list:
            result = {}
            for i, pair in enumerate(content):
                if type(pair) is not list or len(pair) != 2:
                    raise Refused(f"{where} holds a malformed dict entry.")
                key = self(pair[0], f"{where} key {i}")
                if not (key is None or isinstance(key, str | int | float | np.generic)):
                    raise Refused(f"{where} has a key of type {type(key).__name__}.")
                result[key] = self(pair[1], f"{where}[{key!r}]")
            return result
        raise Refused(f"{where} is not a valid encoded value: {value!r:.80}.")


def scalar_item_type(dtype):
    """The JSON type that holds a numpy scalar of ``dtype``, None if unknown."""
    if dtype not in _SCALAR_TYPES:
        return None
    kind = np.dtype(_SCALAR_TYPES[dtype]).kind
    return {"b": bool, "i": int, "u": int, "f": float, "U": str}[kind]


def check_fields(mapping, required, optional, where):
    if type(mapping) is not dict:
        raise Refused(f"{where} must be a JSON object.")
    unknown = set(mapping) - set(required) - set(optional)
    if unknown:
        raise Refused(f"{where} has unknown fields {sorted(unknown)}.")
    missing = set(required) - set(mapping)
    if missing:
        raise Refused(f"{where} lacks the fields {sorted(missing)}.")


def is_int(value):
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def is_real(value):
    return isinstance(value, Real) and not isinstance(value, bool | np.bool_)


def label_array(values, name):
    """Labels or names as a plain array, and whether they were objects."""
    values = np.asarray(values)
    if values.dtype.kind != "O":
        return plain_array(values, name), False
    # pandas and scikit-learn keep strings in object arrays: store unicode.
    if all(isinstance(v, str) for v in values.ravel()):
        return values.astype(str), True
    raise Refused(
        f"{name} is an object array of values that are not all strings; "
        "only string, integer, float and boolean labels can be saved."
    )


def unique_keys(pairs):
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise Refused("the metadata repeats a field.")
    return dict(pairs)
