"""Sphinx configuration of the sknn_squiggle documentation.

Build from the repository root with ``bash .ci/docs`` (or ``python -m sphinx
-W --keep-going -b html docs docs/_build/html``). The gallery runs every
``examples/plot_*.py`` and keeps its pictures in ``docs/auto_examples``.
The package and the docs extras must be installed (``pip install -e
".[docs]"``).
"""

import os
import re

import matplotlib

import sknn_squiggle

# The gallery draws off-screen.
matplotlib.use("Agg")
os.environ.setdefault("MPLBACKEND", "Agg")

project = "sknn_squiggle"
author = "The sknn_squiggle developers"
copyright = "2026, the sknn_squiggle developers"
release = sknn_squiggle.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = []
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
root_doc = "index"

# autodoc / autosummary / numpydoc
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# HTML: the PyData theme, with no external resources fetched at build time.
html_theme = "pydata_sphinx_theme"
html_title = f"sknn_squiggle {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

# Sphinx-Gallery: every examples/plot_*.py is executed; its figures, output and
# timings land in docs/auto_examples.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    # By name (a string keeps the configuration picklable, hence cached).
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "plot_gallery": "True",
    "backreferences_dir": None,
}


# Members inherited from scikit-learn (score, get_params, set_fit_request, ...)
# carry cross-references into scikit-learn's own documentation (its labels and
# glossary), which do not exist here and cannot be fetched at build time:
# keep their text, drop the link.
_SKLEARN_ROLE = re.compile(r":(?:ref|term):`(?:([^`<]*?)\s*<[^`>]*>|([^`]*))`")


def _unlink_sklearn_references(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if not module.startswith("sklearn"):
        return
    for i, line in enumerate(lines):
        lines[i] = _SKLEARN_ROLE.sub(lambda m: m.group(1) or m.group(2), line)


def _draw_lesson_squiggle(app):
    """The user guide's first picture: what ``python -m sknn_squiggle`` draws
    (the lesson's network and one fitted here), written to generated/."""
    import contextlib
    import io

    from sknn_squiggle.__main__ import main

    out = os.path.join(app.srcdir, "generated", "lesson_squiggle.png")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        main(["--output", out])


def setup(app):
    app.connect("builder-inited", _draw_lesson_squiggle)
    # Priority below numpydoc's (500): run on the raw docstring.
    app.connect("autodoc-process-docstring", _unlink_sklearn_references, priority=100)
