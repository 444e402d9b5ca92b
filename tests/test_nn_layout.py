"""sknn_squiggle/_nn/layout.py: where each layer's parameters live in the
flat vector.

Expected offsets are counted by hand from the documented order (every
penalised parameter, layer by layer, then every other one) or come from
scikit-learn's ``_pack``.
"""

import numpy as np
import pytest
from conftest import tabular_layers

from sknn_squiggle._nn.layers import Dense, dense_stack
from sknn_squiggle._nn.layout import ParameterLayout, ParamSpec


class _Described:
    """A layer that only describes its parameters."""

    def __init__(self, *specs):
        self.specs = list(specs)

    def param_specs(self):
        return self.specs


def _dense(fan_in, fan_out):
    return _Described(
        ParamSpec("coefs", (fan_in, fan_out), True),
        ParamSpec("intercepts", (fan_out,), False),
    )


def test_layout_order_matches_sklearn_pack():
    """The flat vector is all coefs (row-major, layer by layer) then all
    intercepts, like scikit-learn's ``_pack``."""
    from sklearn.neural_network._multilayer_perceptron import _pack

    layout = ParameterLayout.of(dense_stack([3, 4, 2], ["identity"], "identity"))
    flat = np.arange(layout.n_params, dtype=float)
    coefs, intercepts = layout.arrays(flat, "coefs"), layout.arrays(flat, "intercepts")
    assert [c.shape for c in coefs] == [(3, 4), (4, 2)]
    assert [b.shape for b in intercepts] == [(4,), (2,)]
    np.testing.assert_array_equal(_pack(coefs, intercepts), flat)
    # Views, not copies: writing through them changes the flat vector.
    coefs[1][0, 0] = -1.0
    assert flat[12] == -1.0


def test_penalised_parameters_come_first_whatever_the_layer_order():
    """A first layer owning only a non-penalised ``scale`` (3 entries), a
    layer owning nothing, then two dense layers 3 -> 2 -> 1: the weights
    (6 + 2 entries) lead, then, layer by layer, scale and the biases."""
    layers = [
        _Described(ParamSpec("scale", (3,), False)),
        _Described(),
        _dense(3, 2),
        _dense(2, 1),
    ]
    layout = ParameterLayout.of(layers)
    assert layout.n_penalised == 3 * 2 + 2 * 1
    assert layout.n_params == 8 + 3 + 2 + 1
    assert layout.slices == [
        {"scale": slice(8, 11)},
        {},
        {"coefs": slice(0, 6), "intercepts": slice(11, 13)},
        {"coefs": slice(6, 8), "intercepts": slice(13, 14)},
    ]
    assert layout.shapes[0] == {"scale": (3,)} and layout.shapes[1] == {}
    assert layout.locations("coefs") == [(slice(0, 6), (3, 2)), (slice(6, 8), (2, 1))]
    assert layout.locations("scale") == [(slice(8, 11), (3,))]

    flat = np.arange(14.0)
    views = layout.views(flat)
    assert views[1] == {}
    np.testing.assert_array_equal(views[0]["scale"], [8.0, 9.0, 10.0])
    np.testing.assert_array_equal(views[2]["coefs"], np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(views[3]["intercepts"], [13.0])
    assert all(np.shares_memory(v, flat) for d in views for v in d.values())
    # arrays() skips the layers without the parameter.
    assert [a.shape for a in layout.arrays(flat, "intercepts")] == [(2,), (1,)]


def test_pack_copies_the_given_arrays_into_their_slices():
    layout = ParameterLayout.of([_dense(3, 2), _dense(2, 1)])
    coefs = [np.arange(6.0).reshape(3, 2), np.array([[6.0], [7.0]])]
    intercepts = [np.array([8.0, 9.0]), np.array([10.0])]
    flat = layout.pack({"coefs": coefs, "intercepts": intercepts}, np.float32)
    assert flat.dtype == np.float32
    np.testing.assert_array_equal(flat, np.arange(11.0))
    coefs[0][0, 0] = 99.0  # a copy: the vector keeps its value
    assert flat[0] == 0.0
    with pytest.raises(ValueError):
        layout.pack({"coefs": coefs[:1]}, np.float64)


def test_layout_puts_penalised_parameters_first_and_keeps_factors():
    layers = tabular_layers()
    layout = ParameterLayout.of(layers)
    factors = layout.lr_factors(np.float64)
    penalised = {
        name
        for specs in layout.specs
        for p in specs
        if p.penalised
        for name in [p.name]
    }
    assert "intercepts" not in penalised and "coefs" in penalised
    # Every penalised entry comes before every other one.
    for slices, specs in zip(layout.slices, layout.specs):
        for p in specs:
            s = slices[p.name]
            assert (s.stop <= layout.n_penalised) == p.penalised
            assert (factors[s] == p.lr_factor).all()
    assert ParameterLayout.of([Dense(3, 2)]).lr_factors(np.float64) is None
