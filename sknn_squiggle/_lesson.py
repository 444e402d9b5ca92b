"""The lesson's data, its published weights and its walkthrough, computed live.

The lesson ("Neural Networks", lesson 1.4) fits a squiggle to three points:
a drug given at a low (0), medium (0.5) and high (1) dosage, effective only at
the medium one. Its network has one input, one hidden layer of two softplus
units and one output::

    x_top    = w1 * dosage + b1      y_top    = softplus(x_top)
    x_bottom = w2 * dosage + b2      y_bottom = softplus(x_bottom)
    squiggle = w3 * y_top + w4 * y_bottom + b3

In the estimators' attributes that is ``coefs_ = [[[w1, w2]], [[w3], [w4]]]``
and ``intercepts_ = [[b1, b2], [b3]]``.

Everything here goes through the public estimator API (``coefs_init``,
``intercepts_init``, ``trainable``, ``partial_fit``, ``decompose``,
``predict``); ``python -m sknn_squiggle``, the examples and the tests reuse it.
"""

import numpy as np
from sklearn.utils import Bunch

from ._regressor import SquiggleRegressor

#: The three dosages (one feature) and whether each was effective.
DOSAGE = np.array([[0.0], [0.5], [1.0]])
EFFECTIVENESS = np.array([0.0, 1.0, 0.0])

#: Part one: the weights and biases of the network fitted to the dosages.
FITTED_WEIGHTS = {
    "w1": -34.4,
    "b1": 2.14,
    "w2": -2.52,
    "b2": 1.29,
    "w3": -1.3,
    "w4": 2.28,
    "b3": -0.58,
}

#: Part two: backpropagation on b3 alone, every other parameter already
#: optimal; b3 starts at 0 as biases often do.
BACKPROP_WEIGHTS = {
    "w1": 3.34,
    "b1": -1.43,
    "w2": -3.53,
    "b2": 0.57,
    "w3": -1.22,
    "w4": -2.30,
    "b3": 0.0,
}

#: The lesson's learning rate, for gradient descent on the sum of squared
#: residuals.
LESSON_LEARNING_RATE = 0.1

#: Gradient descent stops once a step is smaller than this (the lesson stops
#: "when the step size is close to zero"; the threshold is ours).
MIN_STEP_SIZE = 1e-3

#: The estimator settings of the lesson's network.
ARCHITECTURE = {"hidden_layer_sizes": (2,), "activation": "softplus"}

ALL_FROZEN = {"coefs": [False, False], "intercepts": [False, False]}
ONLY_B3 = {"coefs": [False, False], "intercepts": [False, True]}


def to_arrays(weights):
    """``coefs_init`` and ``intercepts_init`` holding the lesson's weights."""
    coefs = [
        np.array([[weights["w1"], weights["w2"]]]),
        np.array([[weights["w3"]], [weights["w4"]]]),
    ]
    intercepts = [np.array([weights["b1"], weights["b2"]]), np.array([weights["b3"]])]
    return coefs, intercepts


def from_estimator(estimator):
    """The lesson's names for a fitted (1, 2, 1) network's parameters."""
    (W1, W2), (b12, b3) = estimator.coefs_, estimator.intercepts_
    return {
        "w1": float(W1[0, 0]),
        "b1": float(b12[0]),
        "w2": float(W1[0, 1]),
        "b2": float(b12[1]),
        "w3": float(W2[0, 0]),
        "w4": float(W2[1, 0]),
        "b3": float(b3[0]),
    }


def sgd_learning_rate_init(lesson_learning_rate, n_samples):
    """``learning_rate_init`` that reproduces gradient descent on the SSR.

    The lesson descends the sum of squared residuals ``SSR = sum (y - p)^2``.
    The estimators minimise ``sum (y - p)^2 / 2 / n = SSR / (2 n)``, whose
    gradient is ``dSSR / (2 n)``; plain full-batch sgd (``momentum=0``,
    ``batch_size=n``, ``shuffle=False``, ``alpha=0``) takes the step
    ``learning_rate_init * dSSR / (2 n)``, which is the lesson's
    ``lesson_learning_rate * dSSR`` when
    ``learning_rate_init = lesson_learning_rate * 2 * n``.
    """
    return lesson_learning_rate * 2 * n_samples


def gradient_descent_regressor(weights, trainable, learning_rate_init):
    """A regressor doing plain full-batch gradient descent from ``weights``.

    Every call to ``partial_fit`` on the three dosages is one step.
    """
    coefs, intercepts = to_arrays(weights)
    return SquiggleRegressor(
        **ARCHITECTURE,
        solver="sgd",
        learning_rate="constant",
        learning_rate_init=learning_rate_init,
        momentum=0.0,
        nesterovs_momentum=False,
        batch_size=DOSAGE.shape[0],
        shuffle=False,
        alpha=0.0,
        coefs_init=coefs,
        intercepts_init=intercepts,
        trainable=trainable,
    )


def network_with_weights(weights, learning_rate_init=1.0):
    """A fitted regressor holding exactly the given weights.

    ``partial_fit`` with every parameter frozen by ``trainable``: the gradient
    of every frozen entry is zero, so nothing moves and the estimator is
    fitted with the weights as given. It is set up for plain gradient descent
    (see :func:`gradient_descent_regressor`), so unfreezing parameters with
    ``set_params(trainable=...)`` makes each further ``partial_fit`` one step.
    """
    reg = gradient_descent_regressor(weights, ALL_FROZEN, learning_rate_init)
    return reg.partial_fit(DOSAGE, EFFECTIVENESS)


def sum_of_squared_residuals(y_true, y_pred):
    """``sum_i (y_i - p_i)^2``, the lesson's measure of fit."""
    residuals = np.asarray(y_true) - np.asarray(y_pred)
    return float(residuals @ residuals)


def ssr_slope(y_true, y_pred):
    """dSSR/db3 by the chain rule: ``sum_i -2 (y_i - p_i) * dp_i/db3``, with
    ``dp_i/db3 = 1`` since the squiggle is the curves plus b3."""
    return float(np.sum(-2.0 * (np.asarray(y_true) - np.asarray(y_pred)) * 1.0))


def forward_pass(weights=FITTED_WEIGHTS):
    """Part one: the lesson's numbers from the fitted network's decomposition.

    Returns
    -------
    result : Bunch
        ``network`` (the fitted regressor), ``dosages`` (0, 0.1, 0.5, 1),
        ``parts`` (its ``decompose`` at those dosages), and the lesson's
        quantities at each dosage: ``x_top``, ``y_top``, ``x_bottom``,
        ``y_bottom`` (pre-activations and activations of the two hidden
        units), ``blue`` and ``orange`` (the curves scaled by w3 and w4) and
        ``squiggle``.
    """
    network = network_with_weights(weights)
    dosages = np.array([0.0, 0.1, 0.5, 1.0])
    parts = network.decompose(dosages[:, None])
    return Bunch(
        network=network,
        weights=dict(weights),
        dosages=dosages,
        parts=parts,
        x_top=parts.pre_activations[0][:, 0],
        y_top=parts.activations[0][:, 0],
        x_bottom=parts.pre_activations[0][:, 1],
        y_bottom=parts.activations[0][:, 1],
        blue=parts.contributions[:, 0, 0],
        orange=parts.contributions[:, 1, 0],
        intercept=float(parts.intercept[0]),
        squiggle=parts.output[:, 0],
        predictions=network.predict(DOSAGE),
    )


def backprop_b3(
    weights=BACKPROP_WEIGHTS,
    learning_rate=LESSON_LEARNING_RATE,
    min_step_size=MIN_STEP_SIZE,
    max_steps=1000,
):
    """Part two: gradient descent on b3 alone, every other parameter frozen.

    The steps are the library's own: the network is fitted with every
    parameter frozen, then ``set_params(trainable=...)`` unfreezes b3 alone
    and each ``partial_fit`` of this plain full-batch sgd regressor is one
    gradient-descent step (see :func:`sgd_learning_rate_init`). At each step
    the slope is also computed by hand with the chain rule from the current
    predictions, as in the lesson.

    Returns
    -------
    result : Bunch
        ``predictions_at_0`` (the squiggle at the three dosages with b3 = 0),
        ``ssr_at`` ({b3: SSR} for b3 = 0, 1, 2, 3), ``b3`` (the values of b3,
        starting at 0), ``slopes`` (dSSR/db3 at each value but the last),
        ``step_sizes`` (each step the library took, in the lesson's sign:
        old b3 - new b3, i.e. learning rate times slope),
        ``learning_rate_init`` and ``regressor`` (after the last step).
    """
    ssr_at = {}
    for b3 in (0.0, 1.0, 2.0, 3.0):
        shifted = network_with_weights({**weights, "b3": b3})
        ssr_at[b3] = sum_of_squared_residuals(EFFECTIVENESS, shifted.predict(DOSAGE))

    # The network with b3 = 0, every parameter frozen; then b3 alone is
    # unfrozen and each partial_fit takes one gradient-descent step.
    lr_init = sgd_learning_rate_init(learning_rate, DOSAGE.shape[0])
    reg = network_with_weights(weights, lr_init)
    predictions_at_0 = reg.predict(DOSAGE)
    reg.set_params(trainable=ONLY_B3)
    b3_values = [float(weights["b3"])]
    slopes, step_sizes = [], []
    predictions = predictions_at_0
    for _ in range(max_steps):
        slopes.append(ssr_slope(EFFECTIVENESS, predictions))
        reg.partial_fit(DOSAGE, EFFECTIVENESS)
        b3_values.append(float(reg.intercepts_[1][0]))
        step_sizes.append(b3_values[-2] - b3_values[-1])
        predictions = reg.predict(DOSAGE)
        if abs(step_sizes[-1]) < min_step_size:
            break
    return Bunch(
        weights=dict(weights),
        predictions_at_0=predictions_at_0,
        ssr_at=ssr_at,
        slope_at_0=slopes[0],
        b3=np.array(b3_values),
        slopes=np.array(slopes),
        step_sizes=np.array(step_sizes),
        learning_rate=learning_rate,
        learning_rate_init=lr_init,
        min_step_size=min_step_size,
        regressor=reg,
        final_ssr=sum_of_squared_residuals(EFFECTIVENESS, predictions),
    )


def fit_from_random(random_state=0, n_init=10):
    """Part three: fit all seven parameters from random starting weights.

    L-BFGS from ``n_init`` random starts keeps the run with the lowest loss;
    ``alpha=0`` fits the three points without a penalty and the tight
    ``tol`` lets L-BFGS run until the gradient has vanished.
    """
    reg = SquiggleRegressor(
        **ARCHITECTURE,
        solver="lbfgs",
        n_init=n_init,
        alpha=0.0,
        tol=1e-10,
        max_iter=5000,
        random_state=random_state,
    )
    return reg.fit(DOSAGE, EFFECTIVENESS)


# ----------------------------------------------------------------------
# The printed walkthrough


def _f(value, digits=2):
    """A number as the lesson writes it: rounded, without a negative zero."""
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def _g(value):
    """A given weight as written: -34.4, 2.14, 0."""
    return f"{value:g}"


def _parameter_lines(weights, fmt=_g, indent="   "):
    """Two lines: the weights w1..w4, then the biases b1..b3."""
    names = sorted(weights, key=lambda k: (k[0] != "w", k))
    ws = ", ".join(f"{k} = {fmt(weights[k])}" for k in names if k[0] == "w")
    bs = ", ".join(f"{k} = {fmt(weights[k])}" for k in names if k[0] == "b")
    return [f"{indent}weights: {ws}", f"{indent}biases:  {bs}"]


def format_forward_pass(fp):
    """Part one of the walkthrough, as lines of text."""
    w = fp.weights
    i0, i01 = 0, 1  # rows of dosage 0 and 0.1 in fp.dosages
    lines = [
        "1. The forward pass of the fitted network (the lesson's parameters)",
        *_parameter_lines(w),
        "   Top hidden node, softplus(x) = log(1 + e^x):",
        f"     dosage 0:   x = 0 × {_g(w['w1'])} + {_g(w['b1'])} = "
        f"{_f(fp.x_top[i0])},  y = log(1 + e^{_f(fp.x_top[i0])}) = "
        f"{_f(fp.y_top[i0])}",
        f"     dosage 0.1: x = 0.1 × {_g(w['w1'])} + {_g(w['b1'])} = "
        f"{_f(fp.x_top[i01])},  y = {_f(fp.y_top[i01])}",
        f"     scaled by w3 = {_g(w['w3'])}: {_f(fp.y_top[i0])} × {_g(w['w3'])} = "
        f"{_f(fp.blue[i0])}  (the blue curve at dosage 0)",
        "   Bottom hidden node:",
        f"     dosage 0:   x = 0 × {_g(w['w2'])} + {_g(w['b2'])} = "
        f"{_f(fp.x_bottom[i0])},  y = {_f(fp.y_bottom[i0])}",
        f"     scaled by w4 = {_g(w['w4'])}: {_f(fp.y_bottom[i0])} × {_g(w['w4'])} = "
        f"{_f(fp.orange[i0])}  (the orange curve at dosage 0)",
        f"   The green squiggle = blue + orange + b3, with b3 = {_g(fp.intercept)}:",
    ]
    sign = "-" if fp.intercept < 0 else "+"
    for k, dose in enumerate(fp.dosages):
        rows = np.flatnonzero(DOSAGE[:, 0] == dose)
        if not rows.size:
            continue  # dosage 0.1 is not a data point
        lines.append(
            f"     dosage {dose:<3g}: {_f(fp.blue[k]):>5} + {_f(fp.orange[k])} "
            f"{sign} {_f(abs(fp.intercept))} = {_f(fp.squiggle[k]):>5}   "
            f"(observed {EFFECTIVENESS[rows[0]]:g})"
        )
    return lines


def format_backprop(bp):
    """Part two of the walkthrough, as lines of text."""
    n = DOSAGE.shape[0]
    frozen = {k: v for k, v in bp.weights.items() if k != "b3"}
    lines = [
        "2. Backpropagation on the last bias b3",
        "   Every other parameter is already optimal and frozen:",
        *_parameter_lines(frozen, indent="     "),
        f"   b3 starts at {_g(bp.b3[0])}. The squiggle at dosages 0, 0.5, 1: "
        + ", ".join(_f(p) for p in bp.predictions_at_0)
        + " (observed 0, 1, 0)",
        "   Sum of squared residuals (SSR) as b3 shifts the squiggle up:",
        "     " + ",  ".join(f"b3 = {b3:g}: {_f(s)}" for b3, s in bp.ssr_at.items()),
        "   Chain rule: dSSR/db3 = sum_i -2 (observed_i - predicted_i) × 1",
        f"     at b3 = 0: dSSR/db3 = {_f(bp.slope_at_0, 1)}",
        f"   Gradient descent with the lesson's learning rate {bp.learning_rate:g}"
        " on the SSR. Our loss is",
        f"   SSR / (2n) with n = {n}, so the same steps are plain sgd with",
        f"   learning_rate_init = {bp.learning_rate:g} × 2 × {n} = "
        f"{bp.learning_rate_init:g} (momentum=0, batch_size={n}, shuffle=False, "
        "alpha=0).",
        "   The network is fitted with every parameter frozen, b3 is unfrozen with",
        '   set_params(trainable={"coefs": [False, False], "intercepts": '
        "[False, True]}),",
        "   and each partial_fit is one step (step size = learning rate × slope):",
        "     step   b3 before   dSSR/db3   step size   b3 after",
    ]
    for k, (slope, step) in enumerate(zip(bp.slopes, bp.step_sizes), start=1):
        lines.append(
            f"     {k:>4}   {bp.b3[k - 1]:>9.4f}   {slope:>8.4f}   {step:>9.4f}"
            f"   {bp.b3[k]:>8.4f}"
        )
    lines.append(
        f"   The step size is close to zero (|step| < {bp.min_step_size:g}) after "
        f"{len(bp.step_sizes)} steps:"
    )
    lines.append(f"   b3 = {_f(bp.b3[-1])}, SSR = {bp.final_ssr:.2g}.")
    return lines


def format_fit(reg):
    """Part three of the walkthrough, as lines of text."""
    predictions = reg.predict(DOSAGE)
    ssr = sum_of_squared_residuals(EFFECTIVENESS, predictions)
    params = reg.get_params()
    return [
        "3. Fitting all seven parameters from random weights",
        f"   SquiggleRegressor(hidden_layer_sizes={params['hidden_layer_sizes']}, "
        f"activation={params['activation']!r}, solver={params['solver']!r},",
        f"                     n_init={params['n_init']}, alpha={params['alpha']:g},"
        f" tol={params['tol']:g}, max_iter={params['max_iter']}, "
        f"random_state={params['random_state']})",
        "   Fitted parameters:",
        *_parameter_lines(from_estimator(reg), lambda v: _f(v, 3), indent="     "),
        "   Squiggle at dosages 0, 0.5, 1: "
        + ", ".join(_f(p, 4) for p in predictions)
        + " (observed 0, 1, 0)",
        f"   Sum of squared residuals: {ssr:.2e}",
        "   (Other random starts find other squiggles: many fit three points.)",
    ]


def draw(figure, lesson_network, fitted_network):
    """Both squiggles, unit by unit, side by side on a matplotlib figure."""
    from .plotting import SquiggleDisplay

    axes = figure.subplots(1, 2)
    grid = np.linspace(0.0, 1.0, 201)
    fitted_title = (
        f"Fitted here from random weights (best of {fitted_network.n_init} "
        f"starts, random_state={fitted_network.random_state})"
    )
    for ax, reg, title in (
        (axes[0], lesson_network, "The lesson's fitted network"),
        (axes[1], fitted_network, fitted_title),
    ):
        display = SquiggleDisplay.from_estimator(
            reg, DOSAGE, EFFECTIVENESS, grid=grid, ax=ax
        )
        w = from_estimator(reg)
        # The lesson's names in the legend: the blue and orange curves are the
        # top and bottom nodes scaled by w3 and w4.
        top, bottom, squiggle = display.lines_
        top.set_label(f"top node × w3 = {w['w3']:.3g}")
        bottom.set_label(f"bottom node × w4 = {w['w4']:.3g}")
        squiggle.set_label(f"squiggle = blue + orange + b3 (b3 = {w['b3']:.3g})")
        ax.legend()
        ax.set_title(
            f"{title}\nw1 = {w['w1']:.3g}, b1 = {w['b1']:.3g}, "
            f"w2 = {w['w2']:.3g}, b2 = {w['b2']:.3g}",
            fontsize=10,
        )
        ax.set_xlabel("dosage")
        ax.set_ylabel("effectiveness")
        ax.grid(alpha=0.3)
    figure.suptitle(
        "A neural network is a squiggle-fitting machine: "
        "softplus curves, scaled, added up and shifted by b3"
    )
    return axes
