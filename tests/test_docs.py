"""Every Python code block of README.md and docs/*.rst runs as written.

Each page is one test: its Python blocks run in order, top to bottom, in one
fresh namespace (as if pasted one after the other into a new interpreter), in
a temporary working directory, with matplotlib's Agg backend; afterwards the
figures are closed, dask clients and clusters left open are closed, and
scikit-learn's configuration and the environment variables are restored. The
pages are found by glob, so a new ``docs/*.rst`` page is checked without
changing this file; a page without Python blocks is reported as skipped. The
pages may use the packages of the ``test`` extra (dask, matplotlib, rich,
...), which CI installs.

A page fails when one of its blocks

- raises (the traceback points at the page's own line numbers; the blocks
  after it are not run);
- makes a cross-validation fit fail (scikit-learn's ``FitFailedWarning``) or a
  score fail ("Scoring failed"), or leaves non-finite test or train scores in
  a search ("One or more of the test scores are non-finite");
- leaves a search (anything with ``cv_results_``) or a ``cross_validate``
  result in its namespace whose scores are not all finite, even with the
  warnings silenced;
- calls something deprecated (a ``DeprecationWarning`` or ``FutureWarning``
  attributed to the page's own code).

Which blocks run
----------------

- Markdown (README.md): fenced blocks whose language is ``python`` or ``py``
  (indented, unfenced Markdown code is not run: fence it).
- reStructuredText: ``.. code-block:: python`` (also ``.. code::`` and
  ``.. sourcecode::``; ``py``, ``python3`` and ``py3`` are the same language).
- Blocks in another language (``bash``, ``text``, ...) are shown, never run.
- ``::`` literal blocks are never run: they are for shell commands and
  program output. A ``::`` literal block that parses as Python with an import,
  an assignment or a call fails its page, so that Python cannot hide from this
  test in one: write ``.. code-block:: python`` (or ``.. code-block:: text``
  for output). A ``.. code-block::`` without a language fails for the same
  reason, and so do ``pycon``/``ipython`` blocks (with ``>>>`` prompts):
  write the code without prompts.

Opting a block out (for writers)
--------------------------------

A block that cannot run here (it needs a real remote cluster, it shows only a
signature, ...) is skipped by a marker on its own line just before it, with
the reason after the colon::

    .. skip-next-block: connects to a real cluster's scheduler

    .. code-block:: python

        client = Client("tcp://scheduler-address:8786")

In Markdown the marker is an HTML comment:
``<!-- skip-next-block: reason -->``. The rst marker is a comment, so it is
not rendered. A marker without a reason, or one not followed by a Python
block, fails the page. Prefer a block that runs: make it small and cheap (this
whole module should stay well under a minute) rather than skipping it.
"""

import ast
import importlib.util
import os
import re
import sys
import textwrap
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import sklearn
from sklearn.exceptions import FitFailedWarning

ROOT = Path(__file__).resolve().parents[1]
# Written into docs/ by Sphinx-Gallery at every build (see docs/.gitignore).
GENERATED = {"sg_execution_times.rst"}
PAGES = [
    ROOT / "README.md",
    *sorted(p for p in (ROOT / "docs").glob("*.rst") if p.name not in GENERATED),
]

PYTHON = {"python", "py", "python3", "py3"}
PROMPTED = {"pycon", "ipython", "ipython3"}
SKIP_MARKER = "skip-next-block:"

# A bad score, in sklearn's own words (UserWarning messages).
SCORE_WARNINGS = (
    "Scoring failed",
    "scores are non-finite",
)
SCORE_KEY = re.compile(r"^(split\d+_|mean_)?(test|train)_")


@dataclass
class Block:
    """One code block of a page: where it starts and what it holds."""

    line: int  # 1-based line of the block's first line of code in the page
    language: str  # lower case; "" when none was given, "::" for literal blocks
    source: str  # dedented code
    skip: str | None = None  # the opt-out reason, if any


# ----------------------------------------------------------------------------
# Extraction
# ----------------------------------------------------------------------------

_RST_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+(code-block|code|sourcecode)::\s*(\S*)\s*$")
_RST_MARKER = re.compile(r"^\s*\.\.\s+" + re.escape(SKIP_MARKER) + r"(.*)$")
_MD_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
_MD_MARKER = re.compile(r"^\s*<!--\s*" + re.escape(SKIP_MARKER) + r"(.*?)-->\s*$")


def _indent(line):
    return len(line) - len(line.lstrip())


def _indented_body(lines, start, indent):
    """Lines from ``start`` on that are blank or indented deeper than
    ``indent``: the body of an rst directive or literal block. Returns the
    index of the first body line with text and the index just past the body."""
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    first = start
    while first < end and not lines[first].strip():
        first += 1
    return first, end


def _rst_directive_body(lines, i, indent):
    """Skip the directive's options (``:caption:`` ...) and return its body."""
    j = i + 1
    while j < len(lines) and lines[j].strip().startswith(":"):
        j += 1
    return _indented_body(lines, j, indent)


def extract_rst(text):
    """The code blocks of an rst page and the problems of its markup.

    Returns ``(blocks, problems)``: every ``code-block``/``code``/
    ``sourcecode`` directive and every ``::`` literal block, in order, each
    with the opt-out reason of a skip marker just before it.
    """
    lines = text.splitlines()
    blocks, markers = [], _Markers()
    i = 0
    while i < len(lines):
        line = lines[i]
        directive = _RST_DIRECTIVE.match(line)
        literal = not directive and line.rstrip().endswith("::")
        literal = literal and not line.lstrip().startswith("..")
        if m := _RST_MARKER.match(line):
            markers.found(i + 1, m.group(1))
        elif directive or literal:
            indent = _indent(line)
            if directive:
                first, end = _rst_directive_body(lines, i, indent)
                language = directive.group(3).lower()
            else:
                first, end = _indented_body(lines, i + 1, indent)
                language = "::"
            if first < end:
                body = textwrap.dedent("\n".join(lines[first:end])).strip("\n")
                blocks.append(markers.attach(Block(first + 1, language, body + "\n")))
                i = end
                continue
        elif line.strip():
            markers.interrupted(i + 1)
        i += 1
    return blocks, markers.finish()


def extract_markdown(text):
    """The fenced code blocks of a Markdown page, as :func:`extract_rst`."""
    lines = text.splitlines()
    blocks, markers = [], _Markers()
    i = 0
    while i < len(lines):
        fence = _MD_FENCE.match(lines[i])
        if m := _MD_MARKER.match(lines[i]):
            markers.found(i + 1, m.group(1))
        elif fence:
            indent, ticks = len(fence.group(1)), fence.group(2)
            end = i + 1
            while end < len(lines) and not lines[end].strip().startswith(ticks):
                end += 1
            body = [
                line[indent:] if _indent(line) >= indent else line.lstrip()
                for line in lines[i + 1 : end]
            ]
            language = fence.group(3).lower()
            blocks.append(
                markers.attach(Block(i + 2, language, "\n".join(body) + "\n"))
            )
            i = end
        elif lines[i].strip():
            markers.interrupted(i + 1)
        i += 1
    return blocks, markers.finish()


class _Markers:
    """The skip markers of one page: each must stand just before a Python
    block (blank lines between are fine) and give a reason."""

    def __init__(self):
        self.pending = None  # (line, reason) of a marker awaiting its block
        self.problems = []

    def found(self, line, reason):
        self.interrupted(line)
        self.pending = (line, reason.strip())

    def interrupted(self, line):
        if self.pending is not None:
            self.problems.append(
                f"line {self.pending[0]}: skip marker not just before a code "
                f"block (line {line} comes first): put it right above the block"
            )
            self.pending = None

    def attach(self, block):
        """``block``, with the pending marker's reason."""
        if self.pending is None:
            return block
        line, reason = self.pending
        self.pending = None
        if not reason:
            self.problems.append(
                f"line {line}: skip marker without a reason: say why the block "
                "cannot run"
            )
        if block.language not in PYTHON:
            self.problems.append(
                f"line {line}: skip marker before a {block.language or 'plain'} "
                "block, which is never run anyway: remove the marker"
            )
        block.skip = reason or "no reason given"
        return block

    def finish(self):
        """The problems found, once the page has been read to its end."""
        if self.pending is not None:
            self.problems.append(
                f"line {self.pending[0]}: skip marker with no code block after it"
            )
        return self.problems


def extract(path):
    """``(blocks, problems)`` of the page at ``path`` (Markdown or rst)."""
    text = Path(path).read_text(encoding="utf-8")
    if Path(path).suffix == ".md":
        return extract_markdown(text)
    return extract_rst(text)


def _looks_like_python(source):
    """True if ``source`` parses as Python and imports, assigns or calls."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    kinds = (ast.Import, ast.ImportFrom, ast.Assign, ast.AugAssign, ast.Call)
    return any(isinstance(node, kinds) for node in ast.walk(tree))


def markup_problems(blocks):
    """Blocks that would hold Python this test cannot see or run."""
    problems = []
    for block in blocks:
        where = f"line {block.line}"
        if block.language == "::" and _looks_like_python(block.source):
            problems.append(
                f"{where}: a '::' literal block that looks like Python is never "
                "run; write '.. code-block:: python' (or a language such as "
                "'text' if it is output)"
            )
        elif block.language == "":
            problems.append(
                f"{where}: a code block without a language; say which "
                "('python' blocks are run, others are not)"
            )
        elif block.language in PROMPTED:
            problems.append(
                f"{where}: a {block.language} block (with prompts) is not run; "
                "write it as a 'python' block without '>>>' prompts"
            )
    return problems


# ----------------------------------------------------------------------------
# Running
# ----------------------------------------------------------------------------


def _is_failure(w, filename):
    """True if the warning ``w`` means a fit or a score failed, or that the
    page's own code (in ``filename``) called something deprecated."""
    message = str(w.message)
    if issubclass(w.category, FitFailedWarning):
        return True
    if issubclass(w.category, UserWarning):
        return any(text in message for text in SCORE_WARNINGS)
    deprecated = issubclass(w.category, DeprecationWarning | FutureWarning)
    return deprecated and w.filename == filename


def _gist(message):
    """The first line of a warning's message and, when it holds a traceback,
    its last line (the error itself)."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    text = lines[0] if len(lines) < 2 else f"{lines[0]} ... {lines[-1]}"
    return textwrap.shorten(text, 400)


def _warning_problems(caught, filename, line):
    """The failure warnings of one block, each once, with its count."""
    counts = {}
    for w in caught:
        if _is_failure(w, filename):
            key = f"{w.category.__name__}: {_gist(str(w.message))}"
            counts[key] = counts.get(key, 0) + 1
    return [
        f"block at line {line}: {key}" + (f" (x{n})" if n > 1 else "")
        for key, n in counts.items()
    ]


def _attribute(value, name):
    try:
        return getattr(value, name, None)
    except Exception:  # a property that cannot be computed: no scores there
        return None


def _scores_of(value):
    """``{name: array}`` of the scores held by ``value``: a search's
    ``cv_results_`` and ``best_score_``, or a ``cross_validate`` dict."""
    results = value if isinstance(value, dict) else _attribute(value, "cv_results_")
    if not isinstance(results, dict):
        return {}
    scores = {
        key: column
        for key, column in results.items()
        if isinstance(key, str) and SCORE_KEY.match(key)
    }
    if not isinstance(value, dict) and _attribute(value, "best_score_") is not None:
        scores["best_score_"] = value.best_score_
    return scores


def _non_finite_scores(namespace, seen, line):
    """Names in ``namespace`` holding scores that are NaN or infinite, each
    reported once (``seen`` keeps the objects already reported)."""
    problems = []
    for name, value in list(namespace.items()):
        if name.startswith("__") or id(value) in seen:
            continue
        bad = []
        for key, column in _scores_of(value).items():
            try:
                array = np.asarray(column, dtype=float)
            except (TypeError, ValueError):
                continue
            if not np.all(np.isfinite(array)):
                bad.append(f"{key} {np.array2string(array, precision=3)}")
        if bad:
            seen[id(value)] = value
            problems.append(
                f"block at line {line}: {name} has non-finite scores: " + "; ".join(bad)
            )
    return problems


def run_blocks(blocks, filename):
    """Run the Python ``blocks`` of one page in order in one fresh namespace.

    Returns the list of problems (empty when every block ran cleanly). The
    first block that raises ends the page, since the blocks after it depend
    on it.
    """
    namespace = {"__name__": "__main__"}
    problems, seen = [], {}
    try:
        for block in blocks:
            if block.language not in PYTHON or block.skip is not None:
                continue
            # Pad with blank lines so tracebacks give the page's line numbers.
            code = "\n" * (block.line - 1) + block.source
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                try:
                    exec(compile(code, filename, "exec"), namespace)
                except Exception as error:
                    problems.append(_raised(error, block.line))
                    break
            problems += _warning_problems(caught, filename, block.line)
            problems += _non_finite_scores(namespace, seen, block.line)
    finally:
        _close_clients(namespace)
    return problems


def _raised(error, line):
    """The traceback of ``error`` from the page's code on (without the frame
    of :func:`run_blocks`, which only runs it)."""
    error = error.with_traceback(error.__traceback__.tb_next)
    return f"block at line {line} raised:\n" + "".join(
        traceback.format_exception(error)
    )


def _close_clients(namespace):
    """Close the dask clients and clusters a page left open."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return
    kinds = (distributed.Client, distributed.deploy.Cluster)
    for value in namespace.values():
        if isinstance(value, kinds):
            value.close()


def run_page(path):
    """Problems of the page at ``path``: its markup, then running its blocks.

    Runs in the current working directory, under a scikit-learn configuration
    and environment variables that are restored afterwards.
    """
    blocks, problems = extract(path)
    problems = problems + markup_problems(blocks)
    with sklearn.config_context(), mock.patch.dict(os.environ):
        problems += run_blocks(blocks, str(path))
    return problems


# ----------------------------------------------------------------------------
# The pages
# ----------------------------------------------------------------------------


@pytest.fixture
def docs_sandbox(tmp_path, monkeypatch):
    """A temporary working directory and off-screen matplotlib figures."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    plt = None
    if importlib.util.find_spec("matplotlib") is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    yield tmp_path
    if plt is not None:
        plt.close("all")


@pytest.mark.parametrize(
    "page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES]
)
def test_page_runs(page, docs_sandbox):
    """Every Python block of the page runs, with finite scores."""
    problems = run_page(page)
    assert not problems, f"{page.relative_to(ROOT)}:\n" + "\n\n".join(problems)
    blocks, _ = extract(page)
    if not any(b.language in PYTHON and b.skip is None for b in blocks):
        pytest.skip("no Python code block on this page")


def test_every_rst_page_is_checked():
    """Discovery: README.md and each .rst file of docs/ (listed here without
    the glob the module uses) is one of the pages."""
    on_disk = {"README.md"} | {
        f"docs/{name}"
        for name in os.listdir(ROOT / "docs")
        if name.endswith(".rst") and name not in GENERATED
    }
    assert {p.relative_to(ROOT).as_posix() for p in PAGES} == on_disk
    assert {"README.md", "docs/quickstart.rst", "docs/user_guide.rst"} <= on_disk


# ----------------------------------------------------------------------------
# The checker itself, on made-up pages
# ----------------------------------------------------------------------------

RST_PAGE = """\
Title
=====

Some prose.

.. code-block:: python
   :caption: with an option

   x = 1
   if x:
       y = 2

Shell::

    pip install something

.. code-block:: bash

    echo not run

- A list item holding code:

  .. code:: py

      z = x + y

.. skip-next-block: shows a signature only

.. code-block:: python

    fit(X, y, sample_weight=None)
"""

MD_PAGE = """\
# Title

```bash
pip install .
```

```python
import math
r = math.sqrt(4)
```

<!-- skip-next-block: needs a GPU -->
```py
    gpu()
```
"""


def test_extract_rst_finds_blocks_lines_languages_and_markers():
    blocks, problems = extract_rst(RST_PAGE)
    assert problems == []
    assert [(b.line, b.language, b.skip) for b in blocks] == [
        (9, "python", None),
        (15, "::", None),
        (19, "bash", None),
        (25, "py", None),
        (31, "python", "shows a signature only"),
    ]
    assert blocks[0].source == "x = 1\nif x:\n    y = 2\n"
    assert blocks[1].source == "pip install something\n"
    assert blocks[3].source == "z = x + y\n"
    assert markup_problems(blocks) == []


def test_extract_markdown_finds_fenced_blocks_and_markers():
    blocks, problems = extract_markdown(MD_PAGE)
    assert problems == []
    assert [(b.line, b.language, b.skip) for b in blocks] == [
        (4, "bash", None),
        (8, "python", None),
        (14, "py", "needs a GPU"),
    ]
    assert blocks[1].source == "import math\nr = math.sqrt(4)\n"
    assert blocks[2].source == "    gpu()\n"


@pytest.mark.parametrize(
    "text, expected",
    [
        (".. skip-next-block:\n\n.. code-block:: python\n\n    a = 1\n", "reason"),
        (
            ".. skip-next-block: old\n\n.. code-block:: bash\n\n    ls\n",
            "never run anyway",
        ),
        (
            ".. skip-next-block: why\n\nProse first.\n\n"
            ".. code-block:: python\n\n    a = 1\n",
            "not just before",
        ),
        ("Text.\n\n.. skip-next-block: why\n", "no code block after it"),
    ],
)
def test_misplaced_or_unexplained_markers_are_problems(text, expected):
    _, problems = extract_rst(text)
    assert len(problems) == 1 and expected in problems[0]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Run::\n\n    import numpy as np\n    a = np.ones(3)\n", "literal block"),
        (".. code-block::\n\n    a = 1\n", "without a language"),
        (".. code-block:: pycon\n\n    >>> a = 1\n", "prompts"),
    ],
)
def test_python_the_runner_would_not_see_is_a_problem(text, expected):
    blocks, _ = extract_rst(text)
    problems = markup_problems(blocks)
    assert len(problems) == 1 and expected in problems[0]


def _page(tmp_path, *blocks, name="page.rst"):
    """An rst page of Python blocks, written to ``tmp_path``."""
    parts = ["Page\n====\n"]
    for source in blocks:
        body = textwrap.indent(textwrap.dedent(source).strip("\n"), "    ")
        parts.append(f".. code-block:: python\n\n{body}\n")
    path = tmp_path / name
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def test_a_clean_page_passes_with_one_namespace_in_order(tmp_path, docs_sandbox):
    path = _page(
        tmp_path,
        "x = 41",
        "x += 1",
        "assert x == 42, x",
    )
    assert run_page(path) == []


def test_an_exception_fails_the_page_and_stops_it(tmp_path, docs_sandbox):
    path = _page(
        tmp_path,
        "a = 1",
        "b = a + undefined_name",
        "open('reached.txt', 'w').close()",
    )
    problems = run_page(path)
    assert len(problems) == 1
    # Page lines: title, underline, blank, then per block the directive, a
    # blank, the code and a blank: the second block's code is line 10.
    assert problems[0].startswith("block at line 10 raised")
    assert f'File "{path}", line 10' in problems[0]
    assert "NameError: name 'undefined_name' is not defined" in problems[0]
    assert not (docs_sandbox / "reached.txt").exists()


def test_a_syntax_error_fails_the_page(tmp_path, docs_sandbox):
    problems = run_page(_page(tmp_path, "a = (1,"))
    assert len(problems) == 1
    assert "block at line 6 raised" in problems[0]
    assert "SyntaxError" in problems[0]


def test_a_skipped_block_is_not_run(tmp_path, docs_sandbox):
    path = tmp_path / "page.md"
    path.write_text(
        "<!-- skip-next-block: raises on purpose -->\n"
        "```python\nraise RuntimeError\n```\n",
        encoding="utf-8",
    )
    assert run_page(path) == []


NAN_SEARCH = """
import numpy as np
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GridSearchCV

X = np.arange(20.0).reshape(-1, 1)
y = np.arange(20) % 2

def nan_score(estimator, X, y):
    return float("nan")

search = GridSearchCV(
    DummyClassifier(), {"strategy": ["prior", "uniform"]}, scoring=nan_score, cv=2
).fit(X, y)
"""


def test_a_search_with_nan_scores_fails_the_page(tmp_path, docs_sandbox):
    problems = run_page(_page(tmp_path, NAN_SEARCH))
    assert any("One or more of the test scores are non-finite" in p for p in problems)
    assert any(
        "search has non-finite scores: split0_test_score [nan nan]" in p
        for p in problems
    )


def test_nan_scores_are_found_with_the_warnings_silenced(tmp_path, docs_sandbox):
    silenced = "import warnings\nwarnings.simplefilter('ignore')\n" + NAN_SEARCH
    cross_validated = """
    from sklearn.model_selection import cross_validate
    results = cross_validate(DummyClassifier(), X, y, scoring=nan_score, cv=2)
    """
    problems = run_page(_page(tmp_path, silenced, cross_validated))
    assert not any("UserWarning" in p for p in problems)
    assert any(
        "search has non-finite scores" in p and "mean_test_score [nan nan]" in p
        for p in problems
    )
    assert any(
        "results has non-finite scores: test_score [nan nan]" in p for p in problems
    )


def test_failed_scoring_and_failed_fits_fail_the_page(tmp_path, docs_sandbox):
    failing = """
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score

    X = np.arange(20.0).reshape(-1, 1)
    y = np.arange(20) % 2

    def broken_scorer(estimator, X, y):
        raise ValueError("no score")

    scores = cross_val_score(LogisticRegression(), X, y, scoring=broken_scorer, cv=2)
    """
    some_fits_fail = """
    from sklearn.model_selection import GridSearchCV

    # C=-1 is invalid: half of the fits fail.
    search = GridSearchCV(LogisticRegression(), {"C": [1.0, -1.0]}, cv=2).fit(X, y)
    """
    problems = run_page(_page(tmp_path, failing, some_fits_fail))
    assert any("UserWarning: Scoring failed" in p for p in problems)
    assert any("FitFailedWarning" in p for p in problems)


def test_deprecated_calls_from_the_page_fail_it(tmp_path, docs_sandbox):
    block = """
    import warnings

    def old_api():
        warnings.warn("old_api is deprecated", FutureWarning, stacklevel=2)

    old_api()
    # Raised inside some library, not by the page's own call: not reported.
    warnings.warn_explicit("internal", DeprecationWarning, "library.py", 1)
    """
    problems = run_page(_page(tmp_path, block))
    assert len(problems) == 1
    assert "FutureWarning: old_api is deprecated" in problems[0]


def test_global_state_is_restored_after_a_page(tmp_path, docs_sandbox):
    block = """
    import os
    import sklearn

    sklearn.set_config(enable_metadata_routing=True)
    os.environ["SKNN_DOCS_TEST"] = "1"
    """
    assert run_page(_page(tmp_path, block)) == []
    assert sklearn.get_config()["enable_metadata_routing"] is False
    assert "SKNN_DOCS_TEST" not in os.environ
