"""Public TensorFlow notebooks (tests/fixtures/notebooks/tf_*.ipynb, see its README) read as
IPython runs them: every code cell agrees with IPython itself, no notebook Jupyter runs gets an
SM900, and every signature call is found in its cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sm_lint.api import Linter
from sm_lint.config import Config
from sm_lint.notebooks import from_cells, parse_notebook
from sm_lint.sources.ipython import transform_cell
from tests.ipython_oracle import FAILED, compare, ipython_code, parses

NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"
PUBLIC = sorted(NOTEBOOKS.glob("tf_*.ipynb"))
EXERCISE = NOTEBOOKS / "tf_examples_tflite_c05_exercise.ipynb"

# (cell, line in the cell, signature key) of every signature call, read off the notebooks.
CALLS = {
    "tf_docs_saved_model.ipynb": [(22, 1, "serving_default")],
    "tf_docs_migrate_saved_model.ipynb": [(28, 4, "serving_default")],
    "tf_docs_hub_boundless.ipynb": [(18, 1, "default")],
    "tf_docs_hub_tweening_conv3d.ipynb": [(17, 1, "default")],
    "tf_docs_hub_retrieval_qa.ipynb": [
        (9, 53, "question_encoder"),
        (15, 4, "response_encoder"),
        (15, 16, "response_encoder"),
    ],
    "tf_examples_tflite_c05_exercise.ipynb": [],
}


def _code_cells(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (number, "".join(cell["source"]))
        for number, cell in enumerate(cells, start=1)
        if cell["cell_type"] == "code"
    ]


def test_the_fixtures_are_the_ones_the_readme_lists() -> None:
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    assert len(PUBLIC) == 6
    assert {path.name for path in PUBLIC} == set(CALLS)
    for path in PUBLIC:
        assert f"`{path.name}`" in readme


@pytest.mark.parametrize("path", PUBLIC, ids=lambda p: p.name)
def test_every_cell_agrees_with_ipython(path: Path) -> None:
    cells = _code_cells(path)
    disagreements = [(n, why) for n, source in cells for same, why in [compare(source)] if not same]
    assert disagreements == []
    # The cells that parse are exactly the ones IPython makes parse.
    ours = [n for n, s in cells if (p := transform_cell(s).python) is not None and parses(p)]
    theirs = []
    for number, source in cells:
        code = ipython_code(source)
        if code is not None and code is not FAILED and parses(code):
            theirs.append(number)
    assert ours == theirs
    broken = {n for n, s in cells if (p := transform_cell(s).python) is not None and not parses(p)}
    assert broken == ({13, 18, 36} if path == EXERCISE else set())


@pytest.mark.parametrize("path", PUBLIC, ids=lambda p: p.name)
def test_every_signature_call_is_found_in_its_cell(path: Path) -> None:
    # The cells that do not parse are left out, the others analysed as one program.
    kept = [(n, s) for n, s in _code_cells(path) if parses(transform_cell(s).python or "(")]
    notebook = from_cells(kept)
    facts = Linter(Config()).analyze_source(notebook.program, path).facts
    assert facts is not None
    found = []
    for call in facts.calls:
        where = notebook.locate(call.span.line)
        assert where is not None
        found.append((where[0].index, where[1], call.key))
    assert sorted(found) == CALLS[path.name]


@pytest.mark.parametrize("path", [p for p in PUBLIC if p != EXERCISE], ids=lambda p: p.name)
def test_no_notebook_jupyter_runs_gets_sm900(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert parse_notebook(text).cells  # read as a notebook
    findings = Linter(Config()).lint_notebook(text, path)
    assert [f for f in findings if f.code == "SM900"] == []
