"""The tabular estimators: a raw table in, the RealMLP-TD recipe inside.

``TabularSquiggleClassifier`` and ``TabularSquiggleRegressor`` run on the
same core as the drop-ins (``sknn_squiggle._base.BaseSquiggle``: the stages of
fit, the solvers, ``history_``, verbose, callbacks), with their own stages
where a table needs them:

- validate: :class:`~._encoder.TableEncoder` turns the raw DataFrame into
  numbers (robust scaling and smooth clipping, missing indicators, one-hot
  and ±1 columns, category codes); the targets are label-smoothed one-hot
  rows (classification) or standardised (regression);
- the layers (:meth:`_layers`): periodic embeddings of the numbers
  (``sknn_squiggle._nn.embeddings``), learned embeddings of the categories, a
  per-feature scaling layer, then dense layers in the neural-tangent-kernel
  parametrisation, each followed by an activation blended with the identity
  and dropout;
- the start: data-driven (each dense layer fitted to its input);
- training: Adam with per-group learning-rate factors, a per-step schedule,
  decoupled weight decay and dropout on their own schedule, and the best
  validation epoch (the last of ties) restored at the end.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context, clone
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    column_or_1d,
)

from .._base import BaseSquiggle, _arguments
from .._nn.activations import HIDDEN_ACTIVATIONS
from .._nn.embeddings import CategoryEmbedding, PeriodicEmbedding
from .._nn.layers import Blend, Dense, Dropout, Scaling
from .._nn.losses import OUTPUT_ACTIVATIONS, smoothed_targets
from .._nn.network import Network, initial_values, values_by_name
from .._regressor import SquiggleRegressor
from .._training.monitor import with_callbacks
from .._training.schedules import REGULARISATION_SCHEDULES, SCHEDULES
from .._training.state import Settings
from .._training.validation import row_keys, scorer_on_rows, tempered
from ._encoder import TableEncoder

#: The learning-rate factors of the parameter groups (RealMLP-TD's): the
#: scaling layer learns fast, biases, blend weights and the periodic
#: embeddings slowly.
LR_FACTORS = {"scale": 6.0, "bias": 0.1, "blend": 0.1, "periodic": 0.1}

#: Rows of X the data-driven start looks at (a random subset beyond).
_INIT_ROWS = 2048

_PREDICT_CHUNK_ROWS = 4096


class BaseTabularSquiggle(BaseSquiggle):
    """Base class of the tabular estimators (do not use)."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(HIDDEN_ACTIVATIONS))],
        "blend_activation": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "regularisation_schedule": [StrOptions(set(REGULARISATION_SCHEDULES))],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "lr_schedule": [StrOptions(set(SCHEDULES) - {"invscaling", "adaptive"})],
        "group_lr_factors": ["boolean"],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "n_ensemble": [Interval(Integral, 1, None, closed="left")],
        "ntk": ["boolean"],
        "scaling_layer": ["boolean"],
        "numeric_embedding": [StrOptions({"periodic"}), None],
        "n_frequencies": [Interval(Integral, 1, None, closed="left")],
        "frequency_scale": [Interval(Real, 0, None, closed="neither")],
        "embedding_size": [Interval(Integral, 1, None, closed="left")],
        "categorical_features": "no_validation",
        "one_hot_max_levels": [Interval(Integral, 0, None, closed="left"), None],
        "numeric_scaling": [StrOptions({"robust", "standard"}), None],
        "smooth_clip": ["boolean"],
        "missing_indicators": ["boolean"],
        "dtype": [StrOptions({"float32", "float64"})],
        "scoring": BaseSquiggle._parameter_constraints["scoring"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    #: Not the drop-ins' choices: one optimizer, no warm start or frozen
    #: entries, one start.
    solver = "adam"

    # ------------------------------------------------------------------
    # What the base's stages ask

    def _continues(self):
        return False

    def _with_validation(self):
        return self.validation_fraction is not None

    def _trainable_mask(self, layout):
        return None

    def _warn_ignored_scoring(self, incremental):
        """``scoring`` picks the best epoch on the validation split: warn when
        it is changed from its default but ``validation_fraction=None``."""
        if self.scoring == "loss" or self._with_validation():
            return
        warnings.warn(
            f"scoring={self.scoring!r} is ignored: validation_fraction=None, and "
            "scoring is the score that picks the best epoch on the validation "
            "split. Set validation_fraction (e.g. 0.2) to use it.",
            UserWarning,
            stacklevel=6,
        )

    def _validation_score(self):
        """As the drop-ins', but a scorer is called on the network being
        trained as an estimator of the encoded validation rows (this
        estimator's own methods take raw tables)."""
        if self.scoring is None or self.scoring == "loss":
            return super()._validation_score()
        scorer = check_scoring(self, scoring=self.scoring)
        return scorer_on_rows(_OnEncodedRows(self), scorer, self._decode_targets)

    def _n_starts(self):
        return 1

    @property
    def early_stopping(self):
        """Whether a validation set picks the best epoch (read by the
        solver's settings)."""
        return self._with_validation()

    # ------------------------------------------------------------------
    # Validate

    def _encode_X(self, X, reset, sample_weight=None):
        """The raw table as the network's input (``[numeric | flags |
        codes]``); the encoder is fitted on a first call (with the rows'
        weights)."""
        if reset:
            self.encoder_ = TableEncoder(
                categorical_features=self.categorical_features,
                numeric_scaling=self.numeric_scaling,
                smooth_clip=self.smooth_clip,
                missing_indicators=self.missing_indicators,
                one_hot_max_levels=self.one_hot_max_levels,
                dtype=np.dtype(self.dtype),
            ).fit(X, sample_weight=sample_weight)
            self.n_features_in_ = self.encoder_.n_features_in_
            if hasattr(self.encoder_, "feature_names_in_"):
                self.feature_names_in_ = self.encoder_.feature_names_in_
            elif hasattr(self, "feature_names_in_"):
                del self.feature_names_in_
        return self.encoder_.transform(X)

    def _validate_fit_data(self, X, y, sample_weight, incremental, reset):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None."
            )
        n = _num_samples(X)
        if sample_weight is not None:
            sample_weight = self._checked_sample_weight(
                _check_sample_weight(sample_weight, np.empty((n, 0))), np.empty((n, 0))
            )
        X_enc = self._encode_X(X, reset, sample_weight)
        y = self._checked_targets(y, n)
        Y = self._encode_targets(y, X_enc.dtype, sample_weight)
        if sample_weight is not None:
            sample_weight = sample_weight.astype(X_enc.dtype)
        weights = self._with_class_weights(y, sample_weight, X_enc.dtype)
        return X_enc, Y, self._checked_sample_weight(weights, X_enc)

    def _with_class_weights(self, y, sample_weight, dtype):
        """The sample weights times the class weights (classifier only)."""
        return sample_weight

    # ------------------------------------------------------------------
    # The network

    def _new_network_attributes(self, n_features, n_outputs):
        self.n_outputs_ = n_outputs
        self.out_activation_ = OUTPUT_ACTIVATIONS[self._loss_name()]
        sizes = list(self._hidden_sizes())
        self.n_layers_ = len(sizes) + 2
        seeds = np.random.RandomState(self._seed()).randint(2**31, size=len(sizes))
        return self._layers(sizes, seeds)

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        return [int(s) for s in (sizes if hasattr(sizes, "__iter__") else [sizes])]

    def _seed(self):
        """A seed for dropout, drawn from random_state."""
        return check_random_state(self.random_state).randint(2**31)

    def _layers(self, sizes=None, seeds=None, out_activation=None):
        """The layers: the input embeddings, the hidden blocks, the output.

        ``sizes`` are the hidden layers' (by default the fitted ones) and
        ``seeds`` their dropout masks' (by default 0: prediction draws none).
        """
        if sizes is None:
            sizes = [b.shape[0] for b in self.intercepts_[:-1]]
        seeds = [0] * len(sizes) if seeds is None else seeds
        factors = LR_FACTORS if self.group_lr_factors else dict.fromkeys(LR_FACTORS, 1)
        layers, width = self._input_layers(factors)
        for units, seed in zip(sizes, seeds):
            layers += self._hidden_block(width, units, int(seed), factors)
            width = units
        out = self.out_activation_ if out_activation is None else out_activation
        layers.append(
            Dense(
                width,
                self.n_outputs_,
                out,
                ntk=self.ntk,
                bias_lr_factor=factors["bias"],
            )
        )
        return layers

    def _input_layers(self, factors):
        """The embeddings and the scaling layer; their output width."""
        encoder = self.encoder_
        n_codes = len(encoder.cardinalities_)
        width = encoder.n_numeric_ + encoder.n_flags_ + n_codes
        layers = []
        if self.numeric_embedding == "periodic" and encoder.n_numeric_:
            layers.append(
                PeriodicEmbedding(
                    encoder.n_numeric_,
                    width - encoder.n_numeric_,
                    n_frequencies=self.n_frequencies,
                    sigma=self.frequency_scale,
                    lr_factor=factors["periodic"],
                )
            )
            width = layers[-1].n_out
        if n_codes:
            layers.append(
                CategoryEmbedding(
                    width - n_codes, encoder.cardinalities_, size=self.embedding_size
                )
            )
            width = layers[-1].n_out
        if self.scaling_layer:
            layers.append(Scaling(width, lr_factor=factors["scale"]))
        return layers, width

    def _hidden_block(self, width, units, seed, factors):
        """A dense layer, its activation (blended with the identity or not)
        and dropout."""
        if self.blend_activation:
            block = [
                Dense(width, units, ntk=self.ntk, bias_lr_factor=factors["bias"]),
                Blend(units, self.activation, lr_factor=factors["blend"]),
            ]
        else:
            block = [
                Dense(
                    width,
                    units,
                    self.activation,
                    ntk=self.ntk,
                    bias_lr_factor=factors["bias"],
                )
            ]
        if self.dropout > 0:
            block.append(Dropout(units, self.dropout, random_state=seed))
        return block

    def _initial_params(self, problem, layout):
        """Each layer's start, the dense layers fitted to the training rows
        (their weighted statistics; at most ``_INIT_ROWS`` of them).

        The rows are taken in the order of a seeded key of their content (not
        their positions), so that the start does not depend on the rows'
        order and a row of weight ``k`` counts as ``k`` copies of it.
        """
        X, rng = problem.X, problem.rng
        w = problem.sample_weight
        w = np.ones(X.shape[0]) if w is None else w
        order = np.argsort(row_keys([X], int(rng.randint(2**62))), kind="stable")
        order = order[w[order] > 0][:_INIT_ROWS]
        data = X[order] if self.ntk else None
        values = initial_values(problem.layers, rng, data, w[order])
        return layout.pack(values_by_name(values), X.dtype)

    # ------------------------------------------------------------------
    # Training

    def _solver_settings(self, incremental):
        return Settings(
            solver="adam",
            alpha=0.0,
            batch_size=self.batch_size,
            learning_rate="constant",
            learning_rate_init=self.learning_rate_init,
            power_t=0.5,
            max_iter=self.max_iter,
            shuffle=True,
            tol=0.0,
            momentum=0.9,
            nesterovs_momentum=True,
            early_stopping=self._with_validation(),
            validation_fraction=self.validation_fraction or 0.1,
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            n_iter_no_change=np.inf,
            max_fun=1,
            incremental=False,
            weight_decay=self.weight_decay,
            adam_learning_rate=self.lr_schedule,
            regularisation_schedule=self.regularisation_schedule,
            best_epoch_ties="last",
            fixed_epochs=True,
            warn_batch_size=False,
            content_split=True,
            calibrate=getattr(self, "calibrate", False),
        )

    def _set_fitted(self, state):
        # No warm start: the optimizer's moments would only make the model
        # (and its files) three times larger.
        super()._set_fitted(state)
        self._optimizer = None
        self.temperature_ = state.temperature or 1.0

    def _fit_ensemble(self, X, y, sample_weight):
        """Fit ``n_ensemble`` networks and keep them all.

        The first is this estimator's own fit, from ``random_state`` (the
        network of ``n_ensemble=1``; its attributes describe it); each other
        one is fitted from a seed drawn from ``random_state``, so it has its
        own start, shuffles, dropout masks and validation split: every row
        trains most of the networks (bagging by the validation splits).
        """
        seeds = []
        if self.n_ensemble > 1:
            rng = check_random_state(self.random_state)
            seeds = rng.randint(2**31, size=self.n_ensemble - 1)
        others = []
        for k, seed in enumerate(seeds, start=2):
            self._announce_network(k)
            other = clone(self).set_params(n_ensemble=1, random_state=int(seed))
            others.append(
                other._fit(X, y, sample_weight=sample_weight, incremental=False)
            )
        self._announce_network(1)
        self._fit(X, y, sample_weight=sample_weight, incremental=False)
        self.ensemble_params_ = [other._current_params() for other in others]
        self.ensemble_temperatures_ = np.array(
            [other.temperature_ for other in others], dtype=np.float64
        )
        return self

    def _announce_network(self, k):
        """With ``verbose`` and several networks, a header line before the
        epochs of network ``k`` (the others are fitted first, this
        estimator's own network, number 1, last)."""
        if self.verbose and self.n_ensemble > 1:
            print(f"Network {k} of {self.n_ensemble}", flush=True)

    # ------------------------------------------------------------------
    # Prediction

    def _network_outputs(self, X):
        """Each network's output for a raw table (this estimator's first,
        then the other networks of the ensemble), with its temperature.

        Prediction runs in float64 whatever the training precision: a row's
        output then does not depend on the other rows of its chunk (float32
        products of a row differ in their last bits with the number of rows
        BLAS blocks them with).
        """
        check_is_fitted(self)
        X_enc = self.encoder_.transform(X)
        members = zip(
            [self._current_params(), *self.ensemble_params_],
            [self.temperature_, *self.ensemble_temperatures_],
        )
        for params, temperature in members:
            yield self._encoded_output(X_enc, params), float(temperature)

    def _encoded_output(self, X_enc, params):
        """The output of the network with flat parameters ``params`` for
        encoded rows, in float64, in chunks of rows."""
        X_enc = np.asarray(X_enc, dtype=np.float64)
        rows = max(1, min(_PREDICT_CHUNK_ROWS, X_enc.shape[0]))
        return Network(self._layers(), params.astype(np.float64), rows).predict(X_enc)

    def _check_predict_input(self, X):
        return self.encoder_.transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.input_tags.string = True
        return tags


_TABULAR_DOC = """
    Parameters
    ----------
    hidden_layer_sizes : array-like of int, default=(128,)
        Units of each hidden layer. RealMLP-TD has three layers of 256; on our
        development sets (at most 2,000 rows) one layer of 128 scored as well
        as three in 0.39 of the time, and five such networks scored higher
        than two of three layers in less time (see the "Tabular data" page).
    activation : str, default="{activation}"
        Activation of the hidden layers (a name of the drop-ins' list, where
        "selu" and "mish" are RealMLP's choices).
    blend_activation : bool, default=True
        Blend each unit's activation with the identity by a learned weight
        ``alpha`` (starting at 1): ``(1 - alpha) z + alpha f(z)``.
    dropout : float, default=0.15
        Dropout rate after each hidden activation (0 switches it off).
    weight_decay : float, default=0.02
        Decoupled weight decay of the weights, embeddings and scales (not the
        biases), each step ``theta <- theta (1 - eta f weight_decay)``.
    regularisation_schedule : {{"flat_cos", "constant"}}, default="flat_cos"
        Strength of dropout and weight decay over training: "flat_cos" holds
        them for the first half, then decays them to 0 along half a cosine.
    learning_rate_init : float, default={lr}
        Adam's peak step size.
    lr_schedule : {{"coslog4", "constant"}}, default="coslog4"
        Step size over training: "coslog4" runs four cosine cycles on a
        logarithmic time axis, ``(1 - cos(2 pi log2(1 + 15 t))) / 2``.
    group_lr_factors : bool, default=True
        Per-group learning-rate factors: 6 for the scaling layer, 0.1 for the
        biases, the blend weights and the periodic embeddings.
    beta_1, beta_2 : float, default=0.9, 0.95
        Adam's decay rates of its moment estimates.
    epsilon : float, default=1e-8
        Adam's numerical stability term.
    batch_size : int, default=256
        Rows per minibatch.
    max_iter : int, default=96
        Number of epochs (all run: the schedules span them; RealMLP-TD runs
        256). On the development sets 128 epochs scored the same on average
        (+0.0002) at 1.27 times the fit time (see the "Tabular data" page).
    validation_fraction : float or None, default=0.2
        Share of the training rows held out to pick the best epoch (the last
        of ties), whose weights are restored at the end; None trains on all
        rows and keeps the last epoch.
    n_ensemble : int, default=5
        Number of networks, each from its own seed (start, shuffles, dropout,
        validation split), whose predictions are averaged (probabilities at
        each network's temperature); fit takes ``n_ensemble`` times as long.
        On the development sets one network scored 0.013 lower on average
        and two 0.0065 lower (see the "Tabular data" page); 1 fits in about
        a fifth of the time.
    ntk : bool, default=True
        Neural-tangent-kernel parametrisation of the dense layers
        (``z = W x / sqrt(fan_in) + b``), started from the data: unit-variance
        outputs and biases through random points of the data.
    scaling_layer : bool, default=True
        A learned scale per input feature in front of the network.
    numeric_embedding : {{"periodic"}} or None, default="periodic"
        Embed each numeric feature ``x`` as ``[x, V cos(2 pi w x + b) + c]``
        (``n_frequencies`` frequencies ``w``, mixed into 3 values).
    n_frequencies : int, default=16
        Frequencies of the periodic embeddings.
    frequency_scale : float, default=0.1
        Standard deviation of the frequencies at the start.
    embedding_size : int, default=8
        Size of the learned embedding of each category of the columns with
        more than ``one_hot_max_levels`` levels.
    categorical_features : "from_dtype", list or None, default="from_dtype"
        Which columns are categorical: from the DataFrame's dtypes (category,
        string, object, boolean), or names, indices or a mask.
    one_hot_max_levels : int or None, default=8
        Categorical columns with at most this many levels are one-hot (two
        levels: one ±1 feature); the others are embedded.
    numeric_scaling : {{"robust", "standard"}} or None, default="robust"
        Numeric columns centred by the median and scaled by the inter-quartile
        range ("robust"), or standardised.
    smooth_clip : bool, default=True
        Map each scaled number ``z`` to ``z / sqrt(1 + (z / 3) ** 2)``.
    missing_indicators : bool, default=True
        A 0/1 column for each numeric column with missing values.
    dtype : {{"float32", "float64"}}, default="float32"
        The precision of training (prediction always runs in float64).
    scoring : None, "loss", str or callable, default="loss"
        What picks the best epoch on the validation set: "loss" for minus the
        validation loss (the training loss on the held-out rows), None for
        accuracy (classifier) or R^2 (regressor), a scorer name or a callable.
    random_state : int, RandomState instance or None, default=None
        Seeds the start, the shuffles, the validation split and dropout.
    verbose : bool, default=False
        Print one line per epoch."""


class TabularSquiggleRegressor(RegressorMixin, BaseTabularSquiggle):
    __doc__ = (
        """Neural-network regressor for raw tables: RealMLP-TD's recipe on the
    library's core.

    Takes a pandas DataFrame with numeric, boolean, category and string
    columns and missing values (or an array) as it is: no ColumnTransformer,
    no imputer. Targets are standardised for training, predictions brought
    back and clipped to the training targets' range.
"""
        + _TABULAR_DOC.format(activation="mish", lr="0.2")
        + """

    Attributes
    ----------
    encoder_ : TableEncoder
        The fitted preprocessing of the table.
    coefs_, intercepts_ : list of ndarray
        The dense layers' weights and biases (views of the flat parameters).
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        The standardisation of the targets.
    target_min_, target_max_ : ndarray of shape (n_outputs,)
        The training targets' range, to which predictions are clipped.
    n_iter_, loss_, loss_curve_, history_, validation_scores_, \
best_validation_score_
        As for :class:`~sknn_squiggle.SquiggleRegressor`.
    ensemble_params_ : list of ndarray
        The flat parameters of the ensemble's other networks
        (``n_ensemble - 1`` of them; the first network's are this estimator's
        ``coefs_`` and ``intercepts_``, which, with ``history_`` and the
        other training attributes, describe the first network).
    ensemble_temperatures_ : ndarray of shape (n_ensemble - 1,)
        All 1 (a regressor has no temperature).
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> import pandas as pd
    >>> from sknn_squiggle import TabularSquiggleRegressor
    >>> X = pd.DataFrame({"size": [1.0, 2.0, None, 4.0, 5.0, 6.0] * 10,
    ...                   "kind": ["a", "b", "a", None, "b", "a"] * 10})
    >>> y = [1.0, 2.0, 2.5, 4.0, 5.5, 6.0] * 10
    >>> reg = TabularSquiggleRegressor(max_iter=20, random_state=0).fit(X, y)
    >>> reg.predict(X.head(2)).shape
    (2,)
    """
    )

    def __init__(
        self,
        hidden_layer_sizes=(128,),
        activation="mish",
        *,
        blend_activation=True,
        dropout=0.15,
        weight_decay=0.02,
        regularisation_schedule="flat_cos",
        learning_rate_init=0.2,
        lr_schedule="coslog4",
        group_lr_factors=True,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        batch_size=256,
        max_iter=96,
        validation_fraction=0.2,
        n_ensemble=5,
        ntk=True,
        scaling_layer=True,
        numeric_embedding="periodic",
        n_frequencies=16,
        frequency_scale=0.1,
        embedding_size=8,
        categorical_features="from_dtype",
        one_hot_max_levels=8,
        numeric_scaling="robust",
        smooth_clip=True,
        missing_indicators=True,
        dtype="float32",
        scoring="loss",
        random_state=None,
        verbose=False,
    ):
        BaseTabularSquiggle.__init__(self, **_arguments(locals()))

    def _checked_targets(self, y, n_samples):
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        y = y.reshape(n_samples, -1) if y.ndim == 1 else y
        if not np.isfinite(y).all():
            n = int((~np.isfinite(y)).any(axis=1).sum())
            raise ValueError(
                f"y has {n} missing or infinite values: drop those rows first, "
                "e.g. mask = y.notna(); X, y = X[mask], y[mask]."
            )
        return y

    def _encode_targets(self, y, dtype, sample_weight=None):
        """Standardised targets ``(y - mean) / std`` (std 1 for a constant),
        the statistics weighted as the rows; the range of the rows of
        positive weight."""
        self.target_mean_ = np.average(y, axis=0, weights=sample_weight)
        scale = np.sqrt(
            np.average((y - self.target_mean_) ** 2, axis=0, weights=sample_weight)
        )
        self.target_scale_ = np.where(scale > 0, scale, 1.0)
        kept = y if sample_weight is None else y[sample_weight > 0]
        self.target_min_, self.target_max_ = kept.min(axis=0), kept.max(axis=0)
        return ((y - self.target_mean_) / self.target_scale_).astype(dtype)

    def _decode_targets(self, y):
        y = y * self.target_scale_ + self.target_mean_
        return y.ravel() if y.shape[1] == 1 else y

    def _loss_name(self):
        return "squared_error"

    # The validation R^2 (invariant to the targets' standardisation).
    _score_outputs = SquiggleRegressor._score_outputs

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to a raw table X and target(s) y.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The raw table: numbers, booleans, categories, strings and missing
            values.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : TabularSquiggleRegressor
            The fitted estimator.
        """
        return self._fit_ensemble(X, y, sample_weight)

    def predict(self, X):
        """Predict the targets of a raw table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table with the columns of fit.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions, within the training targets' range.
        """
        # The ensemble's prediction is the mean of its networks'.
        output = np.mean([out for out, _ in self._network_outputs(X)], axis=0)
        return self._predictions(output)

    def _predictions(self, output):
        """Targets from the network's standardised output ``o``:
        ``o * target_scale_ + target_mean_``, clipped to the training range."""
        y = output * self.target_scale_ + self.target_mean_
        np.clip(y, self.target_min_, self.target_max_, out=y)
        return y.ravel() if y.shape[1] == 1 else y

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


class TabularSquiggleClassifier(ClassifierMixin, BaseTabularSquiggle):
    __doc__ = (
        """Neural-network classifier for raw tables: RealMLP-TD's recipe on the
    library's core.

    Takes a pandas DataFrame with numeric, boolean, category and string
    columns and missing values (or an array) as it is: no ColumnTransformer,
    no imputer. A softmax output over the classes (two for a binary target),
    trained on label-smoothed targets.
"""
        + _TABULAR_DOC.format(activation="selu", lr="0.04")
        + """
    label_smoothing : float, default=0.1
        Train towards ``(1 - label_smoothing) onehot + label_smoothing / K``.
    calibrate : bool, default=True
        Fit a softmax temperature ``T`` on the validation rows at the end
        (temperature scaling): ``predict_proba`` returns ``p^(1/T)``
        renormalised, which undoes the under-confidence label smoothing
        teaches; ``predict`` is unchanged. Needs ``validation_fraction``.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    encoder_ : TableEncoder
        The fitted preprocessing of the table.
    coefs_, intercepts_ : list of ndarray
        The dense layers' weights and biases (views of the flat parameters).
    n_iter_, loss_, loss_curve_, history_, validation_scores_, \
best_validation_score_
        As for :class:`~sknn_squiggle.SquiggleClassifier`.
    ensemble_params_ : list of ndarray
        The flat parameters of the ensemble's other networks
        (``n_ensemble - 1`` of them; the first network's are this estimator's
        ``coefs_`` and ``intercepts_``, which, with ``history_`` and the
        other training attributes, describe the first network).
    temperature_ : float
        The first network's softmax temperature (1 without calibration).
    ensemble_temperatures_ : ndarray of shape (n_ensemble - 1,)
        The other networks' temperatures.
    n_features_in_ : int
    feature_names_in_ : ndarray of str

    Examples
    --------
    >>> from palmerpenguins import load_penguins
    >>> from sknn_squiggle import TabularSquiggleClassifier
    >>> penguins = load_penguins()
    >>> X, y = penguins.drop(columns="species"), penguins["species"]
    >>> clf = TabularSquiggleClassifier(max_iter=10, random_state=0).fit(X, y)
    >>> clf.classes_.tolist()
    ['Adelie', 'Chinstrap', 'Gentoo']
    """
    )

    _parameter_constraints: dict = {
        **BaseTabularSquiggle._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
        "calibrate": ["boolean"],
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(128,),
        activation="selu",
        *,
        blend_activation=True,
        dropout=0.15,
        weight_decay=0.02,
        regularisation_schedule="flat_cos",
        learning_rate_init=0.04,
        lr_schedule="coslog4",
        group_lr_factors=True,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        batch_size=256,
        max_iter=96,
        validation_fraction=0.2,
        n_ensemble=5,
        ntk=True,
        scaling_layer=True,
        numeric_embedding="periodic",
        n_frequencies=16,
        frequency_scale=0.1,
        embedding_size=8,
        categorical_features="from_dtype",
        one_hot_max_levels=8,
        numeric_scaling="robust",
        smooth_clip=True,
        missing_indicators=True,
        dtype="float32",
        scoring="loss",
        random_state=None,
        verbose=False,
        label_smoothing=0.1,
        calibrate=True,
        class_weight=None,
    ):
        BaseTabularSquiggle.__init__(self, **_arguments(locals()))

    def _checked_targets(self, y, n_samples):
        y = column_or_1d(np.asarray(y, dtype=object) if _is_frame(y) else y, warn=True)
        check_classification_targets(y)
        if type_of_target(y).startswith("multilabel"):
            raise ValueError(
                "TabularSquiggleClassifier takes one label per row; for "
                "multilabel targets use SquiggleClassifier."
            )
        return y

    def _encode_targets(self, y, dtype, sample_weight=None):
        """One-hot rows over the classes (a softmax output, for two classes
        too), label-smoothed (:func:`smoothed_targets`)."""
        self.classes_, codes = np.unique(y, return_inverse=True)
        K = len(self.classes_)
        Y = np.zeros((len(codes), K), dtype=dtype)
        Y[np.arange(len(codes)), codes] = 1
        eps = self.label_smoothing if K > 1 else 0.0
        return smoothed_targets(Y, eps, K).astype(dtype, copy=False)

    def _with_class_weights(self, y, sample_weight, dtype):
        if self.class_weight is None:
            return sample_weight
        weights = compute_sample_weight(self.class_weight, y).astype(dtype)
        return weights if sample_weight is None else weights * sample_weight

    def _decode_targets(self, y):
        return self.classes_[y.argmax(axis=1)]

    @property
    def _stratify_validation(self):
        return True

    def _loss_name(self):
        return "log_loss"

    def _score_outputs(self, output, y, sample_weight):
        if not np.isfinite(output).all():
            return np.nan
        correct = output.argmax(axis=1) == y.argmax(axis=1)
        return float(np.average(correct, weights=sample_weight))

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to a raw table X and labels y.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The raw table: numbers, booleans, categories, strings and missing
            values.
        y : array-like of shape (n_samples,)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, multiplied by the class weights.

        Returns
        -------
        self : TabularSquiggleClassifier
            The fitted estimator.
        """
        return self._fit_ensemble(X, y, sample_weight)

    def predict_proba(self, X):
        """Probability of each class for a raw table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table with the columns of fit.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            In the order of ``classes_``.
        """
        # The ensemble's probabilities are the mean of its networks', each
        # at its own temperature.
        return np.mean(
            [
                proba if t == 1.0 else tempered(proba, t)
                for proba, t in self._network_outputs(X)
            ],
            axis=0,
        )

    def predict_log_proba(self, X):
        """Log of :meth:`predict_proba`.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table with the columns of fit.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.
        """
        proba = self.predict_proba(X)
        return np.log(np.maximum(proba, np.finfo(proba.dtype).tiny), out=proba)

    def predict(self, X):
        """Predict the class of each row of a raw table.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            A table with the columns of fit.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The most probable class.
        """
        return self._predictions(self.predict_proba(X))

    def _predictions(self, proba):
        """The most probable class of each row."""
        return self.classes_[proba.argmax(axis=1)]


class _OnEncodedRows:
    """The network being trained, as a scikit-learn estimator of encoded
    rows: what a scorer named by ``scoring`` calls on the validation split
    during fit (one network, no temperature: calibration comes after)."""

    def __init__(self, estimator):
        self.estimator = estimator
        if hasattr(estimator, "classes_"):
            self.classes_ = estimator.classes_

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()

    def _output(self, X):
        return self.estimator._encoded_output(X, self.estimator._current_params())

    def predict(self, X):
        return self.estimator._predictions(self._output(X))

    def predict_proba(self, X):
        return self._output(X)


def _is_frame(y):
    return hasattr(y, "dtype") and str(getattr(y, "dtype", "")) in ("string", "str")
