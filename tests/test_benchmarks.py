"""Every script in benchmarks/ starts against the current package.

The benchmarks import the library's modules by path; a renamed module would
otherwise surface only when someone runs them. Each script is imported as a
module (not run: its work sits under ``if __name__ == "__main__"``), which
executes its imports.
"""

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("*.py") if not p.name.startswith("_"))


def test_the_benchmarks_are_found():
    assert {"bench_mlp.py", "bench_onnx.py", "tabular.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_benchmark_script_imports(script):
    if script == "bench_onnx.py":
        pytest.importorskip("onnxruntime")
    code = (
        "import importlib.util, sys; "
        "spec = importlib.util.spec_from_file_location("
        f"'bench', {str(BENCHMARKS / script)!r}); "
        "module = importlib.util.module_from_spec(spec); "
        "spec.loader.exec_module(module)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
