"""What the estimators' network parameters mean: hidden layer sizes, per-layer
activations, starting weights and trainable masks, decoded and checked.

Each function takes the parameter's value as the user gave it and returns
what the network and the solvers use, or raises a ValueError saying what is
wrong and what is expected.
"""

from numbers import Integral

import numpy as np

from ._nn.activations import HIDDEN_ACTIVATIONS


def hidden_layer_sizes(sizes):
    """``hidden_layer_sizes`` as a list of positive ints."""
    if not hasattr(sizes, "__iter__"):
        sizes = [sizes]
    sizes = list(sizes)
    if any(
        not isinstance(s, Integral | np.integer) or isinstance(s, bool) or s <= 0
        for s in sizes
    ):
        raise ValueError(
            f"hidden_layer_sizes must hold positive integers, got {sizes}."
        )
    return [int(s) for s in sizes]


def hidden_activations(activation, n_hidden):
    """``activation`` as one name per hidden layer."""
    if isinstance(activation, str):
        return [activation] * n_hidden
    activation = list(activation)
    if len(activation) != n_hidden:
        raise ValueError(
            f"activation has {len(activation)} entries but there are "
            f"{n_hidden} hidden layers: give one name per hidden layer."
        )
    for name in activation:
        if name not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"activation {name!r} is not one of {sorted(HIDDEN_ACTIVATIONS)}."
            )
    return activation


def check_init_arrays(value, name, shapes):
    """Check ``coefs_init`` or ``intercepts_init`` against the layer shapes."""
    if len(value) != len(shapes):
        raise ValueError(
            f"{name} has {len(value)} arrays but the network has "
            f"{len(shapes)} layers of weights: expected shapes {shapes}."
        )
    for i, (array, shape) in enumerate(zip(value, shapes)):
        got = np.shape(array)
        if got != shape:
            raise ValueError(
                f"{name}[{i}] has shape {got}; layer {i} expects shape {shape}."
            )
        if not np.isfinite(np.asarray(array, dtype=float)).all():
            raise ValueError(f"{name}[{i}] holds NaN or infinite values.")


def trainable_mask(trainable, layout):
    """Flat boolean mask of the parameters that train, or None for all.

    ``trainable`` is None or ``{"coefs": [...], "intercepts": [...]}`` with
    one entry per layer: a bool, or a boolean mask shaped like the layer's
    array.
    """
    if trainable is None:
        return None
    unknown = set(trainable) - {"coefs", "intercepts"}
    if unknown:
        raise ValueError(
            f"trainable takes the keys 'coefs' and 'intercepts'; got {unknown}."
        )
    mask = np.ones(layout.n_params, dtype=bool)
    for key in ("coefs", "intercepts"):
        entries = trainable.get(key)
        if entries is None:
            continue
        locations = layout.locations(key)
        if len(entries) != len(locations):
            raise ValueError(
                f"trainable[{key!r}] has {len(entries)} entries; the network "
                f"has {len(locations)} layers of {key}."
            )
        for i, (entry, (s, shape)) in enumerate(zip(entries, locations)):
            mask[s] = _layer_mask(entry, key, i, shape).ravel()
    return None if mask.all() else mask


def _layer_mask(entry, key, i, shape):
    """One entry of ``trainable``, broadcast to the layer's shape."""
    entry = np.asarray(entry)
    if entry.dtype != bool:
        raise ValueError(f"trainable[{key!r}][{i}] must be a bool or a boolean mask.")
    if entry.ndim and entry.shape != shape:
        raise ValueError(
            f"trainable[{key!r}][{i}] has shape {entry.shape}; layer "
            f"{i} expects a bool or a mask of shape {shape}."
        )
    return np.broadcast_to(entry, shape)
