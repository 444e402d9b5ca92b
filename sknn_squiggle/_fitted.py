"""The estimators' fitted attributes, listed once.

Each entry names an attribute, the *kind* of value it holds (which the model
files store and check: ``sknn_squiggle._persistence``) and, for the public
ones, its numpydoc description (the estimators' docstrings are built from
it: ``sknn_squiggle._docstrings``). The attributes that one training run
sets come from its state, by the field named in ``state``
(``sknn_squiggle._training.state.TrainingState``).
"""

from typing import NamedTuple


class FittedAttribute(NamedTuple):
    """One fitted attribute.

    Attributes
    ----------
    name : str
    kind : str
        "count" (an int >= 0), "name" (a str), "real", "real_or_none",
        "reals" (a list of floats), "reals_or_none", "arrays" (a list of
        float arrays), "names" (feature names), "history" (a list of dicts of
        numbers) or "labels" (an array of class labels).
    type_doc, doc : str or None
        The numpydoc type and description; None for private attributes.
    optional : bool
        Whether a fitted estimator may lack it.
    state : str or None
        The TrainingState field it holds, for the attributes a training run
        sets.
    """

    name: str
    kind: str
    type_doc: str = None
    doc: str = None
    optional: bool = False
    state: str = None


FITTED_ATTRIBUTES = (
    FittedAttribute(
        "coefs_",
        "arrays",
        "list of ndarray",
        "``coefs_[i]`` is the weight matrix from layer i to layer i + 1.",
    ),
    FittedAttribute(
        "intercepts_",
        "arrays",
        "list of ndarray",
        "``intercepts_[i]`` is the bias vector of layer i + 1.",
    ),
    FittedAttribute(
        "n_layers_", "count", "int", "Number of layers, input and output included."
    ),
    FittedAttribute("n_outputs_", "count", "int", "Number of output units."),
    FittedAttribute(
        "out_activation_", "name", "str", "Activation of the output layer."
    ),
    FittedAttribute(
        "n_iter_",
        "count",
        "int",
        "Number of epochs (sgd, adam) or iterations (lbfgs) of the last fit.",
        state="n_iter",
    ),
    FittedAttribute(
        "t_",
        "count",
        "int",
        "Number of training samples seen by the stochastic solvers.",
        state="t",
    ),
    FittedAttribute(
        "loss_",
        "real",
        "float",
        "The training loss at the end of the last fit (penalty included).",
        state="loss",
    ),
    FittedAttribute(
        "loss_curve_",
        "reals",
        "list of float",
        "The training loss after each epoch or lbfgs iteration.",
        state="loss_curve",
    ),
    FittedAttribute(
        "best_loss_",
        "real_or_none",
        "float or None",
        "The lowest training loss reached (None under early stopping).",
        state="best_loss",
    ),
    FittedAttribute(
        "validation_scores_",
        "reals_or_none",
        "list of float or None",
        "The validation score after each epoch under early stopping.",
        state="validation_scores",
    ),
    FittedAttribute(
        "best_validation_score_",
        "real_or_none",
        "float or None",
        "The best validation score under early stopping.",
        state="best_validation_score",
    ),
    FittedAttribute(
        "history_",
        "history",
        "list of dict",
        'One record per epoch (sgd, adam) or iteration (lbfgs), with "epoch", '
        '"loss" (training loss), "learning_rate" (None for lbfgs), "seconds" '
        'since the fit started, and under early stopping "val_loss" and '
        '"val_score". ``pandas.DataFrame(est.history_)`` makes it a table.',
        optional=True,
        state="history",
    ),
    FittedAttribute(
        "n_features_in_", "count", "int", "Number of features seen during fit."
    ),
    FittedAttribute(
        "feature_names_in_",
        "names",
        "ndarray of shape (`n_features_in_`,)",
        "Names of the features seen during fit, when X has string column names.",
        optional=True,
    ),
    FittedAttribute("_no_improvement_count", "count", state="no_improvement_count"),
)

#: The classifier's own.
CLASSIFIER_ATTRIBUTES = (
    FittedAttribute(
        "classes_",
        "labels",
        "ndarray or list of ndarray",
        "The class labels (for multilabel targets, the label indices).",
    ),
)

#: Fitted state that is not a plain attribute: the flat parameter vector
#: (``coefs_`` and ``intercepts_`` are views of it), the optimizer that
#: warm_start and partial_fit continue with (its ``state()``), and the
#: classifier's label encoding.
OTHER_STATE = ("_params", "_optimizer", "_label_binarizer")

#: The fitted attribute that holds each TrainingState field.
STATE_ATTRIBUTES = {
    **{a.state: a.name for a in FITTED_ATTRIBUTES if a.state is not None},
    "optimizer": "_optimizer",
}
