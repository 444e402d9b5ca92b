"""Parameter and attribute descriptions shared by both estimators."""

import textwrap

from ._fitted import CLASSIFIER_ATTRIBUTES, FITTED_ATTRIBUTES

PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of units in the ith hidden layer.

    activation : str or list of str, default="relu"
        Activation of the hidden layers: one name for all, or a list with one
        name per hidden layer.

        - "identity": f(x) = x
        - "logistic" (alias "sigmoid"): f(x) = 1 / (1 + exp(-x))
        - "tanh": f(x) = tanh(x)
        - "relu": f(x) = max(0, x)
        - "leaky_relu": f(x) = x if x > 0 else 0.01 x
        - "softplus": f(x) = log(1 + exp(x)), the lesson's curve, computed
          without overflow for any x
        - "elu": f(x) = x if x > 0 else exp(x) - 1
        - "gelu": f(x) = x Phi(x), Phi the standard normal CDF
        - "silu": f(x) = x / (1 + exp(-x))
        - "selu": f(x) = 1.0507 x if x > 0 else 1.7581 (exp(x) - 1)
        - "mish": f(x) = x tanh(log(1 + exp(x)))

    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        "lbfgs": scipy's L-BFGS-B on the whole data set, often best for small
        data; "sgd": minibatch gradient descent with momentum; "adam":
        minibatch Adam, robust on large data.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases). The
        objective, the same for every solver and batch size, is::

            sum_i s_i loss_i / S + alpha / (2 S) * ||W||^2,   S = sum_i s_i

        (S = n_samples without sample weights). Each minibatch step follows an
        unbiased estimate of its gradient. scikit-learn's MLP uses this
        objective for lbfgs and full batches, but divides the penalty by the
        *batch* size for minibatches: its ``alpha=a`` with batch size ``B``
        corresponds to ours ``alpha=a * n_samples / B``.

    batch_size : int or "auto", default="auto"
        Minibatch size of the stochastic solvers; "auto" is
        ``min(200, n_samples)``. Ignored by lbfgs.

    learning_rate : {"constant", "invscaling", "adaptive", "coslog4"}, \
            default="constant"
        Schedule of the sgd step size: constant; ``learning_rate_init / (t +
        1) ** power_t`` with t the samples seen; divided by 5 whenever
        ``n_iter_no_change`` epochs fail to improve by ``tol``; or, step by
        step, ``learning_rate_init (1 - cos(2 pi log2(1 + 15 t))) / 2`` with
        t the fraction of the ``max_iter`` epochs done (four cosine cycles on
        a log time axis, from and to 0). "coslog4" schedules adam's step size
        too; adam ignores the others, as in scikit-learn.

    learning_rate_init : float, default=0.001
        Initial step size of sgd and adam.

    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.

    max_iter : int, default=200
        Maximum number of epochs (sgd, adam) or iterations (lbfgs).

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch (sgd, adam).

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.
        An int makes every fit reproducible; the same int gives the same
        initial weights as scikit-learn's MLP.

    tol : float, default=1e-4
        Improvement below which an epoch counts as no progress; for lbfgs the
        gradient tolerance.

    verbose : bool, default=False
        Print one line per epoch or lbfgs iteration, starting with
        scikit-learn's ``Iteration N, loss = ...``.

    warm_start : bool, default=False
        Continue from the fitted weights and optimizer state (momentum, Adam
        moments) on the next call to fit.

    momentum : float, default=0.9
        Momentum of sgd, in [0, 1].

    nesterovs_momentum : bool, default=True
        Whether sgd uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        single-label classification) and stop when its score stops improving,
        restoring the best weights (sgd, adam).

    validation_fraction : float, default=0.1
        Share of the training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of Adam's first and second moment estimates.

    epsilon : float, default=1e-8
        Numerical stability term of Adam.

    n_iter_no_change : int, default=10
        Number of epochs without improvement by ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum number of loss evaluations of lbfgs.

    coefs_init : list of ndarray or None, default=None
        Starting weight matrices, shaped like ``coefs_``. None draws them at
        random.

    intercepts_init : list of ndarray or None, default=None
        Starting bias vectors, shaped like ``intercepts_``. None draws them at
        random.

    trainable : dict or None, default=None
        Which parameters train: None for all, or
        ``{"coefs": [...], "intercepts": [...]}`` with one entry per layer, a
        bool or a boolean mask shaped like the layer's array. Frozen entries
        keep their starting values under every solver.

    n_init : int, default=1
        Number of random initialisations to train from; the run with the
        lowest final training loss is kept (like KMeans). Ignored when both
        ``coefs_init`` and ``intercepts_init`` are given.

    scoring : None, "loss", str or callable, default=None
        What early stopping maximises on the validation set: None for
        scikit-learn's choice (accuracy for classifiers, R^2 for regressors);
        "loss" for minus the validation loss; a scorer name such as
        "neg_log_loss" or "roc_auc"; or a callable ``scorer(estimator, X, y)``.
        The best weights are restored at the end.

    weight_decay : float, default=0.0
        Decoupled weight decay (Loshchilov and Hutter, 2019) of the weights,
        not the biases, before each sgd or adam step: ``W <- W (1 - eta
        weight_decay)`` with ``eta`` the step size. Unlike ``alpha``, it does
        not enter the loss nor adam's moment estimates. 0 (the default) is
        scikit-learn's training; not available with lbfgs.

    dropout : float, default=0.0
        Inverted dropout after each hidden layer while training (sgd, adam):
        each unit's output is zeroed with probability ``dropout`` and the
        others scaled by ``1 / (1 - dropout)``; prediction uses every unit.
        0 (the default) is scikit-learn's training; not available with lbfgs.
"""


def _attribute_section(attributes):
    """Numpydoc entries of the documented fitted attributes."""
    entries = []
    for a in attributes:
        if a.doc is None:
            continue
        lines = textwrap.wrap(
            a.doc, width=78, initial_indent=" " * 8, subsequent_indent=" " * 8
        )
        entries.append(f"    {a.name} : {a.type_doc}\n" + "\n".join(lines) + "\n")
    return "\n".join(entries)


ATTRIBUTES = """
    Attributes
    ----------
""" + _attribute_section(FITTED_ATTRIBUTES)

#: The classifier's own attributes, after :data:`ATTRIBUTES`.
CLASSIFIER_ATTRIBUTES_DOC = _attribute_section(CLASSIFIER_ATTRIBUTES)
