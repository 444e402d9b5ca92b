"""Input layers that embed table columns: numbers by periodic functions,
categories by learned vectors.

Both take a block of columns of their input and pass the other columns
through, so that they can stand one after the other at the front of a
network (the numbers first, then the flags, then the category codes, as
``sknn_squiggle._tabular._encoder.TableEncoder`` lays out a table). They
follow the layer interface of :mod:`sknn_squiggle._nn.layers`.
"""

import numpy as np

from .layers import Layer
from .layout import ParamSpec


class _Embedding(Layer):
    """The bookkeeping shared by the embedding layers."""

    def multiply_adds(self):
        return self.n_out

    def _allocate(self, max_rows, dtype, *, training, ones, keep_pre_activation):
        self.A = np.empty((max_rows, self.n_out), dtype=dtype)
        self._buffers(max_rows, dtype)

    def _buffers(self, max_rows, dtype):
        """The layer's own per-batch buffers."""


class PeriodicEmbedding(_Embedding):
    """Each of the first ``n_numeric`` columns ``x_j`` becomes ``1 + m``
    values: itself and a learned mix of ``k`` periodic functions of it.

    Forward, for feature ``j`` with frequencies ``w_j`` and phases ``b_j``
    (``k`` each), weights ``V_j`` (``k x m``) and biases ``c_j`` (``m``)::

        U_j = 2 pi x_j w_j + b_j          (n x k)
        H_j = cos(U_j) V_j + c_j          (n x m)
        out_j = [x_j, H_j]                (n x (1 + m))

    and the other columns are copied after the ``n_numeric * (1 + m)``
    embedded ones. Backward, with ``dH_j`` the part of the output's gradient
    that ``H_j`` receives::

        dc_j = 1^T dH_j      dV_j = cos(U_j)^T dH_j
        dU_j = -sin(U_j) * (dH_j V_j^T)
        db_j = 1^T dU_j      dw_j = 2 pi x_j^T dU_j

    At the start ``w ~ N(0, sigma^2)``, ``b ~ U[-pi, pi]`` and ``V``, ``c``
    uniform on ``+-1 / sqrt(k)``.

    Parameters
    ----------
    n_numeric : int
        The numeric columns, at the front of the input.
    n_other : int
        The columns after them, copied through.
    n_frequencies : int, default=16
        ``k``.
    n_mixed : int, default=3
        ``m``: each feature becomes ``1 + m`` values.
    sigma : float, default=0.1
        The frequencies' scale at the start.
    lr_factor : float, default=1.0
        The learning-rate factor of all four parameters.
    """

    def __init__(
        self,
        n_numeric,
        n_other,
        n_frequencies=16,
        n_mixed=3,
        sigma=0.1,
        lr_factor=1.0,
    ):
        self.n_numeric, self.n_other = n_numeric, n_other
        self.k, self.m, self.sigma = n_frequencies, n_mixed, sigma
        self.lr_factor = lr_factor
        self.n_out = n_numeric * (1 + n_mixed) + n_other

    def param_specs(self):
        J, k, m, f = self.n_numeric, self.k, self.m, self.lr_factor
        return [
            ParamSpec("frequencies", (J, k), True, f),
            ParamSpec("phases", (J, k), True, f),
            ParamSpec("mix", (J, k, m), True, f),
            ParamSpec("mix_bias", (J, m), True, f),
        ]

    def initial_params(self, rng, A_in=None, weights=None):
        J, k, m = self.n_numeric, self.k, self.m
        bound = 1.0 / np.sqrt(k)
        return {
            "frequencies": self.sigma * rng.standard_normal((J, k)),
            "phases": rng.uniform(-np.pi, np.pi, (J, k)),
            "mix": rng.uniform(-bound, bound, (J, k, m)),
            "mix_bias": rng.uniform(-bound, bound, (J, m)),
        }

    def _buffers(self, max_rows, dtype):
        if self.propagate:
            raise ValueError(
                "PeriodicEmbedding stands first: no layer with parameters can "
                "stand before it (its input's gradient is not computed)."
            )
        J, k = self.n_numeric, self.k
        # Feature-major buffers: feature j's rows are one (n, k) matrix, so
        # the per-feature products are one batched matmul.
        self.U = np.empty((J, max_rows, k), dtype=dtype)
        self.C = np.empty((J, max_rows, k), dtype=dtype)
        self.H = np.empty((J, max_rows, self.m), dtype=dtype)

    def forward(self, A_in, n):
        J, m, p = self.n_numeric, self.m, self.params
        x = A_in[:, :J]  # (n, J)
        U, C, H = self.U[:, :n], self.C[:, :n], self.H[:, :n]
        # U_j = 2 pi x_j w_j + b_j, for every j at once.
        np.multiply(x.T[:, :, None], p["frequencies"][:, None, :], out=U)
        U *= 2 * np.pi
        U += p["phases"][:, None, :]
        np.cos(U, out=C)
        np.matmul(C, p["mix"], out=H)
        H += p["mix_bias"][:, None, :]
        out = self.A[:n]
        embedded = out[:, : J * (1 + m)].reshape(n, J, 1 + m)
        embedded[:, :, 0] = x
        embedded[:, :, 1:] = H.transpose(1, 0, 2)
        out[:, J * (1 + m) :] = A_in[:, J:]
        self.x = x
        return out

    def backward(self, dA, n):
        J, m, p, g = self.n_numeric, self.m, self.params, self.grads
        U, C = self.U[:, :n], self.C[:, :n]
        dH = dA[:, : J * (1 + m)].reshape(n, J, 1 + m)[:, :, 1:].transpose(1, 0, 2)
        np.sum(dH, axis=1, out=g["mix_bias"])
        np.matmul(C.transpose(0, 2, 1), dH, out=g["mix"])
        dU = np.matmul(dH, p["mix"].transpose(0, 2, 1))  # dC, (J, n, k)
        dU *= np.sin(U)
        np.negative(dU, out=dU)
        np.sum(dU, axis=1, out=g["phases"])
        # dw_j = 2 pi sum_rows x_j dU_j
        np.einsum("jn,jnk->jk", self.x.T, dU, out=g["frequencies"])
        g["frequencies"] *= 2 * np.pi
        return None


class CategoryEmbedding(_Embedding):
    """Each of the last ``len(cardinalities)`` columns, a category code
    ``c`` in ``0 .. K-1``, becomes the ``c``-th row of a learned table ``E``
    (``K x size``); the columns before them are copied through.

    Backward: row ``c`` of ``dE`` is the sum of the output's gradient over
    the batch rows whose code is ``c`` (taken as ``onehot^T dA``, one small
    matrix product per column); the copied columns pass their gradient back
    (codes have none). Tables start ``N(0, 1)``.

    Parameters
    ----------
    n_other : int
        The columns before the codes, copied through.
    cardinalities : list of int
        ``K`` of each code column (the encoder's codes and one for missing
        or unseen categories).
    size : int, default=8
    lr_factor : float, default=1.0
    """

    def __init__(self, n_other, cardinalities, size=8, lr_factor=1.0):
        self.n_other = n_other
        self.cardinalities = list(cardinalities)
        self.size = size
        self.lr_factor = lr_factor
        self.n_out = n_other + size * len(self.cardinalities)

    def param_specs(self):
        return [
            ParamSpec(f"table_{i}", (K, self.size), True, self.lr_factor)
            for i, K in enumerate(self.cardinalities)
        ]

    def initial_params(self, rng, A_in=None, weights=None):
        return {
            f"table_{i}": rng.standard_normal((K, self.size))
            for i, K in enumerate(self.cardinalities)
        }

    def _buffers(self, max_rows, dtype):
        if self.propagate:
            width = self.n_other + len(self.cardinalities)
            self.dA_in = np.zeros((max_rows, width), dtype=dtype)

    def forward(self, A_in, n):
        out, e = self.A[:n], self.size
        out[:, : self.n_other] = A_in[:, : self.n_other]
        self.codes = A_in[:, self.n_other :].astype(np.intp)
        for i in range(len(self.cardinalities)):
            start = self.n_other + i * e
            np.take(
                self.params[f"table_{i}"],
                self.codes[:, i],
                axis=0,
                out=out[:, start : start + e],
            )
        return out

    def backward(self, dA, n):
        e = self.size
        for i, K in enumerate(self.cardinalities):
            start = self.n_other + i * e
            onehot = (self.codes[:, i, None] == np.arange(K)).astype(dA.dtype)
            np.matmul(onehot.T, dA[:, start : start + e], out=self.grads[f"table_{i}"])
        if not self.propagate:
            return None
        # The copied columns pass their gradient back; codes have none.
        dA_in = self.dA_in[:n]
        dA_in[:, : self.n_other] = dA[:, : self.n_other]
        return dA_in
