"""The package stays readable: no function or method longer than 60 code
lines, no class longer than 450.

A code line holds a token that is not a comment: blank lines, comment lines
and docstrings (a string literal opening a module, class or function) do
not count; the lines of a function or class run from its ``def``/``class``
line (decorators not included) to its last line.
"""

import ast
import io
import tokenize
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sknn_squiggle"
MAX_FUNCTION_LINES = 60
MAX_CLASS_LINES = 450

_NOT_CODE = {
    tokenize.COMMENT,
    tokenize.NL,
    tokenize.NEWLINE,
    tokenize.INDENT,
    tokenize.DEDENT,
    tokenize.ENDMARKER,
}
_SCOPES = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def code_lines(source):
    """The numbers of the lines of ``source`` that hold code."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, _SCOPES) and ast.get_docstring(node, clean=False):
            first = node.body[0]
            docstrings.update(range(first.lineno, first.end_lineno + 1))
    lines = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in _NOT_CODE:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines - docstrings


def definition_sizes(source):
    """``(name, kind, code lines)`` of every function and class in source."""
    code = code_lines(source)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, _DEFINITIONS):
            size = sum(node.lineno <= line <= node.end_lineno for line in code)
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            yield f"{node.name} (line {node.lineno})", kind, size


def test_the_count_skips_docstrings_comments_and_blank_lines():
    source = '''
@decorator
def f(a,
      b):
    """Doc.

    More doc.
    """
    # a comment

    x = (a +
         b)  # trailing
    return x


class C:
    """Doc."""

    def g(self):
        return 1
'''
    sizes = {name.split()[0]: size for name, _, size in definition_sizes(source)}
    # f: the two def lines, the two lines of x, return.
    assert sizes == {"f": 5, "C": 3, "g": 2}


def _package_definitions():
    for path in sorted(PACKAGE.rglob("*.py")):
        for name, kind, size in definition_sizes(path.read_text()):
            yield path.relative_to(PACKAGE.parent), name, kind, size


def test_the_package_is_found():
    assert sum(1 for _ in _package_definitions()) > 100


@pytest.mark.parametrize(
    "kind, limit", [("function", MAX_FUNCTION_LINES), ("class", MAX_CLASS_LINES)]
)
def test_no_definition_is_too_long(kind, limit):
    too_long = [
        f"{path}: {name}: {size} code lines"
        for path, name, k, size in _package_definitions()
        if k == kind and size > limit
    ]
    assert not too_long, f"longer than {limit} code lines: {too_long}"
