"""The examples never rot: the notebook runs (nbclient) and its numbers match the report's; mypy type-checks
the examples against the package's stubs; `help(ibias)` documents the functions."""

import json
import os
import subprocess
import sys

import pytest

import ibias
from conftest import ROOT

EXAMPLES = os.path.join(ROOT, "examples")


def test_the_notebook_runs_shows_its_figures_and_matches_the_report(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(os.path.join(EXAMPLES, "implicit_bias.ipynb"), as_version=4)
    work = tmp_path / "work"  # the notebook's working folder: it must stay empty
    work.mkdir()
    out = tmp_path / "numbers.json"
    os.environ["IBIAS_NOTEBOOK_OUT"] = str(out)
    try:
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(work)}}).execute()
    finally:
        del os.environ["IBIAS_NOTEBOOK_OUT"]
    got = json.loads(out.read_text())
    # The report's Exercise 2.2 rows (exact limits) at the same 27 values of α.
    r = ibias.study.ex2({"n_etas": 2, "md_seconds": 2.0, "reparam_max_iter": 10})
    exact = [row for row in r["rows"] if row["method"] == "exact"]
    assert len(exact) == len(got["alphas"]) == 27
    for row, a, g1, g2 in zip(exact, got["alphas"], got["l1_gap"], got["l2_gap"]):
        assert abs(row["alpha"] - a) <= 1e-12 * a
        assert abs(row["l1_gap_abs"] - g1) <= 1e-12 * max(1.0, abs(g1))
        assert abs(row["l2_gap_abs"] - g2) <= 1e-12 * max(1.0, abs(g2))
    # Both figures are shown inline (PNG outputs of their cells), and nothing lands in the working folder.
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2, [c.get("outputs") for c in nb.cells if c.cell_type == "code"]
    assert list(work.iterdir()) == []


def test_mypy_type_checks_the_examples_against_the_stubs(tmp_path):
    pytest.importorskip("mypy")
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(os.path.join(EXAMPLES, "implicit_bias.ipynb"), as_version=4)
    code = "\n\n".join(c.source for c in nb.cells if c.cell_type == "code")
    (tmp_path / "notebook_code.py").write_text(code)
    files = [os.path.join(EXAMPLES, "quickstart.py"), str(tmp_path / "notebook_code.py")]
    out = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "--no-error-summary", *files], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_the_quickstart_runs():
    out = subprocess.run([sys.executable, os.path.join(EXAMPLES, "quickstart.py")], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "breakpoints" in out.stdout, out.stderr


def test_help_documents_the_functions():
    text = subprocess.run([sys.executable, "-c", "import ibias; help(ibias)"], capture_output=True, text=True).stdout
    for name in ["md(", "min_l1(", "bregman(", "lasso_path(", "sweep(", "R(w) = (1/n)"]:
        assert name in text, name


def test_the_readme_python_block_runs_as_printed(tmp_path):
    # The block exactly as the README prints it (scripts/test also runs it right after the README's own
    # install line, before the test extras are installed), in an empty folder that it must leave empty.
    text = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    blocks = text.split("```python\n")[1:]
    assert blocks, "the README shows a Python block"
    code = blocks[0].split("```")[0]
    assert "to_pandas()" in code
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert list(tmp_path.iterdir()) == []


def test_study_functions_come_from_the_registry():
    """``ibias.study.<key>`` exists for exactly the library's registered studies, each documented by its line."""
    keys = ibias.study.keys()
    assert "ex2" in keys and "timeavg" in keys
    for key, about in ibias._ibias.study_list():
        f = getattr(ibias.study, key)
        assert f.__name__ == key and about in f.__doc__
    assert set(keys) <= set(dir(ibias.study))
    with pytest.raises(AttributeError, match="registered"):
        ibias.study.no_such_study  # noqa: B018
