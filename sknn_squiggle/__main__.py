"""``python -m sknn_squiggle``: the lesson's squiggle, computed live and drawn.

Prints the lesson's walkthrough with every number computed by the library
(the forward pass of the fitted network, backpropagation on the last bias),
fits the three dosages from random weights with the lesson's architecture and
writes the picture of both squiggles to ``squiggle.png``. Without matplotlib
it prints everything and says how to get the picture.
"""

import argparse
import os
import sys

from . import __version__, _lesson


def main(argv=None):
    """Run the walkthrough; return the exit status.

    Parameters
    ----------
    argv : list of str, default=None
        Command-line arguments (``sys.argv[1:]`` if None).

    Returns
    -------
    status : int
        0 on success.
    """
    parser = argparse.ArgumentParser(
        prog="python -m sknn_squiggle",
        description="The lesson's squiggle, computed live, fitted and drawn.",
    )
    parser.add_argument(
        "--output",
        default="squiggle.png",
        help="where to write the picture (default: squiggle.png in the current "
        "directory)",
    )
    parser.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="random_state of the fit from random weights (default: 0)",
    )
    parser.add_argument(
        "--n-init",
        type=int,
        default=10,
        help="random starts of the fit, the best is kept (default: 10)",
    )
    args = parser.parse_args(argv)

    forward = _lesson.forward_pass()
    backprop = _lesson.backprop_b3()
    fitted = _lesson.fit_from_random(random_state=args.random_state, n_init=args.n_init)

    title = f"sknn_squiggle {__version__}: the lesson's squiggle, computed live"
    lines = [
        title,
        "=" * len(title),
        "Data: dosages 0 (low), 0.5 (medium), 1 (high); effective 0, 1, 0.",
        "Network: 1 input, 2 softplus hidden units, 1 output.",
        "",
        *_lesson.format_forward_pass(forward),
        "",
        *_lesson.format_backprop(backprop),
        "",
        *_lesson.format_fit(fitted),
        "",
    ]
    print("\n".join(lines))

    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        print(
            "matplotlib is not installed, so no picture was drawn. To get "
            "squiggle.png, install the plot extra:\n"
            '    pip install "sknn-squiggle[plot]"\n'
            'or, from a clone of the repository, pip install ".[plot]".'
        )
        return 0

    # A figure on the Agg canvas directly: no screen, no pyplot state.
    figure = Figure(figsize=(12, 5), layout="constrained")
    FigureCanvasAgg(figure)
    _lesson.draw(figure, forward.network, fitted)
    figure.savefig(args.output, dpi=120)
    print(f"Picture of both squiggles written to {os.path.abspath(args.output)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
