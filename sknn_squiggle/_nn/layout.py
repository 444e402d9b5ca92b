"""Where every layer's parameters live in one flat vector.

All weights and biases of a network live in one flat, contiguous vector
``params``. Each layer declares its parameters (name, shape, and whether the
L2 penalty applies to them); the layout gives each a slice of the vector:
first every penalised parameter, layer by layer, then every other one. For a
stack of dense layers that is every coefficient matrix (row-major), then
every intercept vector: the order of scikit-learn's ``_pack``. So

- an optimizer step is one vector operation over all layers;
- lbfgs works on the vector without packing;
- the penalty, which touches only the penalised block, is one operation on
  the vector's leading ``n_penalised`` entries.

The per-layer arrays the estimators expose (``coefs_``, ``intercepts_``) are
*views* of that vector.
"""

import math
from typing import NamedTuple

import numpy as np


class ParamSpec(NamedTuple):
    """One parameter array of a layer.

    Attributes
    ----------
    name : str
    shape : tuple
    penalised : bool
        Whether the L2 penalty (``alpha``) and the decoupled weight decay
        apply to it (weights yes, biases no).
    lr_factor : float, default=1.0
        Its step size is the optimizer's times this (a per-parameter-group
        learning rate).
    """

    name: str
    shape: tuple
    penalised: bool
    lr_factor: float = 1.0


class ParameterLayout:
    """The slice of the flat vector that each layer's parameters own.

    Parameters
    ----------
    param_specs : list of list of ParamSpec
        For each layer, the parameters it owns (possibly none).

    Attributes
    ----------
    slices : list of dict
        For each layer, ``{name: slice}``.
    shapes : list of dict
        For each layer, ``{name: shape}``.
    n_penalised : int
        Number of leading entries the penalty applies to.
    n_params : int
        Size of the flat vector.
    """

    def __init__(self, param_specs):
        self.specs = [list(specs) for specs in param_specs]
        self.shapes = [{p.name: tuple(p.shape) for p in specs} for specs in param_specs]
        self.slices = [{} for _ in param_specs]
        start = 0
        for penalised in (True, False):
            for layer, specs in enumerate(param_specs):
                for p in specs:
                    if p.penalised == penalised:
                        size = math.prod(p.shape)
                        self.slices[layer][p.name] = slice(start, start + size)
                        start += size
            if penalised:
                self.n_penalised = start
        self.n_params = start

    @classmethod
    def of(cls, layers):
        """The layout of a sequence of layers (each with ``param_specs()``)."""
        return cls([layer.param_specs() for layer in layers])

    def views(self, flat):
        """For each layer, ``{name: view}`` of the flat vector."""
        return [
            {name: flat[s].reshape(shapes[name]) for name, s in slices.items()}
            for slices, shapes in zip(self.slices, self.shapes)
        ]

    def arrays(self, flat, name):
        """Views of the parameter ``name`` of every layer that has one, in
        layer order (``arrays(params, "coefs")`` is ``coefs_``)."""
        return [views[name] for views in self.views(flat) if name in views]

    def locations(self, name):
        """``(slice, shape)`` of the parameter ``name`` of every layer that
        has one, in layer order."""
        return [
            (slices[name], shapes[name])
            for slices, shapes in zip(self.slices, self.shapes)
            if name in slices
        ]

    def pack(self, values, dtype):
        """A new flat vector holding copies of ``values``, a dict
        ``{name: [array for each layer that has the parameter name]}``, e.g.
        ``{"coefs": coefs_, "intercepts": intercepts_}``."""
        flat = np.empty(self.n_params, dtype=dtype)
        for name, arrays in values.items():
            for (s, _), array in zip(self.locations(name), arrays, strict=True):
                flat[s] = np.asarray(array).ravel()
        return flat

    def lr_factors(self, dtype):
        """The flat vector of every entry's ``lr_factor``, or None when all
        are 1 (the optimizer then skips the multiplication)."""
        if all(p.lr_factor == 1.0 for specs in self.specs for p in specs):
            return None
        factors = np.empty(self.n_params, dtype=dtype)
        for slices, specs in zip(self.slices, self.specs):
            for p in specs:
                factors[slices[p.name]] = p.lr_factor
        return factors
