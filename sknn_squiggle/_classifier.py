"""SquiggleClassifier: the base network with a sigmoid or softmax output."""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._base import (
    BaseSquiggle,
    _arguments,
    check_no_missing_targets,
    validate_numeric_data,
)
from ._docstrings import ATTRIBUTES, CLASSIFIER_ATTRIBUTES_DOC, PARAMETERS
from ._nn.losses import smoothed_targets
from ._training.monitor import with_callbacks


def _fitted_label_binarizer(y):
    """``LabelBinarizer().fit(y)`` for targets that passed
    ``check_classification_targets``.

    For a 1-d array of numbers or booleans the fitted state is built directly:
    its classes are ``np.unique(y)`` and, the targets being known to be
    discrete, its type is "binary" for at most two classes and "multiclass"
    otherwise, which is what ``LabelBinarizer.fit`` finds. Its ``fit`` runs
    the target-type checks twice more, which costs more than a small lbfgs
    fit's whole set-up. Every other target (strings, multilabel) goes through
    ``fit``.
    """
    binarizer = LabelBinarizer()
    if y.ndim != 1 or y.dtype.kind not in "biuf":
        return binarizer.fit(y)
    classes = np.unique(y)
    binarizer.y_type_ = "binary" if len(classes) <= 2 else "multiclass"
    binarizer.sparse_input_ = False
    binarizer.classes_ = classes
    return binarizer


class SquiggleClassifier(ClassifierMixin, BaseSquiggle):
    __doc__ = (
        """Neural-network classifier: squiggles turned into probabilities.

    A drop-in replacement for scikit-learn's
    :class:`~sklearn.neural_network.MLPClassifier` with the same parameters,
    attributes and methods, and more: class weights, extra activations,
    starting weights and frozen parameters, several initialisations, the
    network's decomposition, a loss curve for lbfgs and float32 training.

    Binary and multilabel targets get one sigmoid output per label with the
    binary log loss; multiclass targets a softmax output with the categorical
    log loss.

    Parameters
    ----------"""
        + PARAMETERS
        + """
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into ``sample_weight``: a dict
        ``{label: weight}``, or "balanced" for ``n_samples / (n_classes *
        np.bincount(y))``. Not available for multilabel targets, and
        "balanced" not in ``partial_fit``.

    label_smoothing : float, default=0.0
        Train towards ``(1 - label_smoothing) y + label_smoothing / K``
        instead of the 0/1 targets ``y``: ``K`` is the number of classes of a
        softmax output, 2 for each sigmoid output (binary and multilabel).
        Predictions keep their meaning; probabilities become less extreme.
        0 (the default) is scikit-learn's training.
"""
        + ATTRIBUTES
        + "\n"
        + CLASSIFIER_ATTRIBUTES_DOC
        + """
    See Also
    --------
    SquiggleRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : The estimator this one replaces.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from sknn_squiggle import SquiggleClassifier
    >>> X, y = make_moons(n_samples=200, noise=0.1, random_state=0)
    >>> clf = SquiggleClassifier(hidden_layer_sizes=(16,), solver="lbfgs",
    ...                          random_state=0).fit(X, y)
    >>> clf.score(X, y) > 0.95
    True
    >>> clf.predict_proba(X[:1]).shape
    (1, 2)
    """
    )

    #: The losses it trains with: one sigmoid per label, or a softmax.
    _LOSSES = ("binary_log_loss", "log_loss")

    _parameter_constraints: dict = {
        **BaseSquiggle._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        coefs_init=None,
        intercepts_init=None,
        trainable=None,
        n_init=1,
        scoring=None,
        weight_decay=0.0,
        dropout=0.0,
        class_weight=None,
        label_smoothing=0.0,
    ):
        # scikit-learn's convention: every argument stored as given, nothing
        # else (see BaseSquiggle.__init__).
        BaseSquiggle.__init__(self, **_arguments(locals()))

    # ------------------------------------------------------------------
    # Targets

    def _validate_fit_data(self, X, y, sample_weight, incremental, reset):
        X, labels = self._validate_Xy(X, y, reset)
        if not hasattr(self, "classes_") or (not self.warm_start and not incremental):
            self._fit_classes(labels)
        else:
            self._check_known_classes(labels, same=self.warm_start and not incremental)
        sample_weight = self._class_weighted(
            labels, self._checked_sample_weight(sample_weight, X), incremental, X.dtype
        )
        return X, self._smoothed(self._one_hot(labels)), sample_weight

    def _loss_data(self, X, y, sample_weight):
        """X, the encoded targets and the weights that the training objective
        sees for these data, without changing the estimator."""
        X, labels = self._validate_Xy(X, y, reset=False)
        self._check_known_classes(labels, same=False)
        sample_weight = self._class_weighted(
            labels, self._checked_sample_weight(sample_weight, X), False, X.dtype
        )
        return X, self._smoothed(self._one_hot(labels)), sample_weight

    def _validate_Xy(self, X, y, reset):
        """X as floats and y as checked class labels."""
        check_no_missing_targets(self, y, "labels")
        if getattr(y, "dtype", None) == "boolean":
            # pandas' nullable booleans would become floats in check_array;
            # without missing values (checked above) they are plain booleans.
            y = y.to_numpy(dtype=bool)
        X, y = validate_numeric_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return X, y

    def _fit_classes(self, y):
        """Learn the classes (and the label encoding) from the labels.

        A single class is a "binary" target, as for scikit-learn's
        MLPClassifier: one sigmoid output trained towards 0 (see
        :meth:`_one_hot`), and ``predict`` returns the class.
        """
        self._label_binarizer = _fitted_label_binarizer(y)
        self.classes_ = self._label_binarizer.classes_

    def _check_known_classes(self, y, same):
        """Every label is one of ``classes_`` (all of them when ``same``, as
        warm_start needs)."""
        classes = unique_labels(y)
        if same:
            if set(classes) != set(self.classes_):
                raise ValueError(
                    "warm_start can only be used where `y` has the same "
                    "classes as in the previous call to fit. Previously "
                    f"got {self.classes_}, `y` has {classes}"
                )
        elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
            raise ValueError(
                "`y` has classes not in `self.classes_`. "
                f"`self.classes_` has {self.classes_}. 'y' has {classes}."
            )

    def _one_hot(self, y):
        """Encode labels as the network's targets: one boolean column per class
        (one column, for classes_[1], when there are two classes), as
        LabelBinarizer.transform does; the solvers widen them to floats.

        Every label of ``y`` is known to be in ``classes_`` (checked above), so
        its column is its position in the sorted ``classes_``: one
        ``searchsorted`` instead of LabelBinarizer's repeated target-type
        checks, which cost more than a small lbfgs fit's whole set-up.
        """
        binarizer = self._label_binarizer
        if binarizer.y_type_.startswith("multilabel"):
            return binarizer.transform(y).astype(bool)
        columns = np.searchsorted(self.classes_, y)
        if len(self.classes_) <= 2:
            # One column, true for classes_[1]: a single class is all false.
            return (columns == 1)[:, None]
        Y = np.zeros((len(y), len(self.classes_)), dtype=bool)
        Y[np.arange(len(y)), columns] = True
        return Y

    def _smoothed(self, Y):
        """The targets, label-smoothed (:func:`smoothed_targets`): ``K`` is
        the number of classes of a softmax output, 2 for sigmoid columns."""
        K = Y.shape[1] if self._loss_name() == "log_loss" else 2
        return smoothed_targets(Y, self.label_smoothing, K)

    def _class_weighted(self, labels, sample_weight, incremental, dtype):
        """``sample_weight`` multiplied by the weights of the labels' classes
        (in ``dtype``, X's)."""
        if self.class_weight is None:
            return sample_weight
        if self._label_binarizer.y_type_.startswith("multilabel"):
            raise ValueError("class_weight is not supported for multilabel targets.")
        if incremental and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' needs the whole data set: it is not "
                "available in partial_fit. Pass a dict of weights instead."
            )
        if isinstance(self.class_weight, dict):
            unknown = [c for c in self.class_weight if c not in set(self.classes_)]
            if unknown:
                raise ValueError(
                    f"class_weight names labels {unknown} that are not classes "
                    f"of y ({self.classes_.tolist()})."
                )
        weights = compute_sample_weight(self.class_weight, labels).astype(dtype)
        if sample_weight is not None:
            weights *= sample_weight
        if not incremental and weights.sum() <= 0:
            raise ValueError("class_weight and sample_weight leave no weight at all.")
        return weights

    @property
    def _stratify_validation(self):
        return not self._label_binarizer.y_type_.startswith("multilabel")

    def _loss_name(self):
        if self._label_binarizer.y_type_ == "multiclass":
            return "log_loss"
        return "binary_log_loss"

    def _decide(self, output):
        """Indicator predictions from network outputs."""
        if self.out_activation_ == "softmax":
            Y = np.zeros_like(output, dtype=bool)
            Y[np.arange(output.shape[0]), output.argmax(axis=1)] = True
            return Y
        return output > 0.5

    def _decode_targets(self, y):
        return self._label_binarizer.inverse_transform(y > 0.5)

    def _score_outputs(self, output, y, sample_weight):
        if not np.isfinite(output).all():
            return np.nan
        correct = (self._decide(output) == (y > 0.5)).all(axis=1)
        return float(np.average(correct, weights=sample_weight))

    # ------------------------------------------------------------------
    # Public methods

    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the network to data matrix X and labels y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data. float32 input trains in float32.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a label indicator matrix for multilabel data.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, multiplied by the class weights.

        Returns
        -------
        self : SquiggleClassifier
            The fitted estimator.

        Examples
        --------
        >>> from sknn_squiggle import SquiggleClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], ["low", "low", "high", "high"]
        >>> clf = SquiggleClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
        ...                          random_state=0).fit(X, y)
        >>> clf.classes_.tolist()
        ['high', 'low']
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=False)

    @available_if(lambda est: est._check_solver())
    @with_callbacks
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the network with one epoch over the given data.

        Only for the stochastic solvers ("sgd" and "adam"): with
        ``solver="lbfgs"`` this method does not exist.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            All the classes over all calls; required on the first call.

        Returns
        -------
        self : SquiggleClassifier
            The updated estimator.

        Examples
        --------
        >>> from sknn_squiggle import SquiggleClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], [0, 0, 1, 1]
        >>> clf = SquiggleClassifier(hidden_layer_sizes=(3,), random_state=0)
        >>> clf = clf.partial_fit(X[:2], y[:2], classes=[0, 1])
        >>> clf = clf.partial_fit(X[2:], y[2:])
        >>> clf.classes_.tolist()
        [0, 1]
        """
        check_no_missing_targets(self, y, "labels")
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            The predicted classes.

        Examples
        --------
        >>> from sknn_squiggle import SquiggleClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], ["low", "low", "high", "high"]
        >>> clf = SquiggleClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
        ...                          random_state=0).fit(X, y)
        >>> clf.predict([[0.1], [0.9]]).tolist()
        ['low', 'high']
        """
        check_is_fitted(self)
        output = self._predict_output(X)
        if self.out_activation_ == "softmax":
            return self.classes_[output.argmax(axis=1)]
        if len(self.classes_) == 1:
            return np.repeat(self.classes_, output.shape[0])
        if self._label_binarizer.y_type_ == "binary":
            return self.classes_[(output[:, 0] > 0.5).astype(int)]
        return self._label_binarizer.inverse_transform(output > 0.5)

    def predict_proba(self, X):
        """Probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probability of each class, in the order of ``classes_``.
            Sigmoid outputs are kept strictly inside (0, 1).

        Examples
        --------
        >>> from sknn_squiggle import SquiggleClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], [0, 0, 1, 1]
        >>> clf = SquiggleClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
        ...                          random_state=0).fit(X, y)
        >>> proba = clf.predict_proba([[0.1], [0.9]])
        >>> proba.shape, bool(proba[0, 0] > 0.5), bool(proba[1, 1] > 0.5)
        ((2, 2), True, True)
        """
        check_is_fitted(self)
        output = self._predict_output(X)
        if self.out_activation_ == "logistic":
            # A saturated sigmoid rounds to exactly 0 or 1; keep probabilities
            # strictly inside (0, 1) so that log-probabilities stay finite.
            eps = np.finfo(output.dtype).eps
            np.clip(output, eps, 1 - eps, out=output)
            if self._label_binarizer.y_type_ == "binary":
                return np.hstack([1 - output, output])
        return output

    def predict_log_proba(self, X):
        """Log of probability estimates.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            ``log(predict_proba(X))``.

        Examples
        --------
        >>> import numpy as np
        >>> from sknn_squiggle import SquiggleClassifier
        >>> X, y = [[0.0], [0.2], [0.8], [1.0]], [0, 0, 1, 1]
        >>> clf = SquiggleClassifier(hidden_layer_sizes=(3,), solver="lbfgs",
        ...                          random_state=0).fit(X, y)
        >>> bool(np.allclose(np.exp(clf.predict_log_proba(X)), clf.predict_proba(X)))
        True
        """
        proba = self.predict_proba(X)
        return np.log(proba, out=proba)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
