"""Public TensorFlow notebooks (tests/fixtures/notebooks/tf_*.ipynb, see its README) read as
IPython runs them: every code cell agrees with IPython itself, no notebook Jupyter runs gets an
SM900, and every signature call is found in its cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sm_lint.api import Linter
from sm_lint.config import Config
from sm_lint.sources.ipython import transform_cell
from tests.ipython_oracle import FAILED, compare, ipython_code, parses
from tests.test_notebooks import NOTEBOOK, _lint, _project

NOTEBOOKS = Path(__file__).parent / "fixtures" / "notebooks"
PUBLIC = sorted(NOTEBOOKS.glob("tf_*.ipynb"))
EXERCISE = NOTEBOOKS / "tf_examples_tflite_c05_exercise.ipynb"

# (cell, line in the cell, signature key or restored function) of every call of a loaded
# model, read off the notebooks: `imported(...)`, `imported.mutate(...)` and `loaded(5)` call
# the restored object's functions (`imported.v.numpy()` reads a variable: no call).
CALLS = {
    "tf_docs_saved_model.ipynb": [
        (22, 1, "serving_default"),
        (37, 2, "__call__"),
        (37, 3, "mutate"),
        (37, 4, "__call__"),
        (40, 5, "__call__"),
    ],
    "tf_docs_migrate_saved_model.ipynb": [(28, 4, "serving_default"), (30, 3, "__call__")],
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


def _program(cells: list[tuple[int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """The cells that parse as IPython runs them, joined into one program, and the (cell,
    line) of each program line: the other cells are left out."""
    lines: list[str] = []
    where: list[tuple[int, int]] = []
    for number, source in cells:
        python = transform_cell(source).python
        if python is None or not parses(python):
            continue
        cell_lines = python.split("\n")
        lines.extend(cell_lines)
        where.extend((number, line) for line in range(1, len(cell_lines) + 1))
    return "\n".join(lines) + "\n", where


@pytest.mark.parametrize("path", PUBLIC, ids=lambda p: p.name)
def test_every_signature_call_is_found_in_its_cell(path: Path) -> None:
    program, where = _program(_code_cells(path))
    facts = Linter(Config()).analyze_source(program, path).facts
    assert facts is not None
    found = sorted((*where[call.span.line - 1], call.key) for call in facts.calls)
    assert found == CALLS[path.name]


@pytest.mark.parametrize("path", [p for p in PUBLIC if p != EXERCISE], ids=lambda p: p.name)
def test_no_notebook_jupyter_runs_gets_sm900(path: Path) -> None:
    findings = Linter(Config()).lint_notebook(path.read_text(encoding="utf-8"), path)
    assert [f for f in findings if f.code == "SM900"] == []


def test_thousands_of_cells_of_magics_are_read_without_a_finding() -> None:
    shapes = [
        ["!pip install -q tensorflow-hub \\\n", "  --upgrade\n", "v = 1\n"],
        ["%%bash\n", "echo (\n"],  # not Python: left out
        ["%%capture\n", "%matplotlib inline\n"],  # only magics
        ["  x = v\n", "  if x:\n", "      !ls\n"],  # indented as a block
        ["pip install -q kagglehub"],  # automagic
        ["model?"],
    ]
    cells = [
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": shapes[i % len(shapes)]}
        for i in range(3000)
    ]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    assert Linter(Config()).lint_notebook(text, "many.ipynb") == []
    python = [transform_cell("".join(cell["source"])).python for cell in cells]
    assert sum(code is None for code in python) == 500  # the %%bash cells are left out
    for shape in shapes:
        same, why = compare("".join(shape))
        assert same, why
    # The same notebook with one real syntax error: an SM900 in that cell, no traceback.
    cells[7]["source"] = ["x = (\n"]
    text = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    findings = Linter(Config()).lint_notebook(text, "many.ipynb")
    assert [(f.code, f.cell) for f in findings] == [("SM900", 8)]


def test_findings_and_fixes_land_in_an_indented_cell(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = project / NOTEBOOK.name
    data = json.loads(target.read_text(encoding="utf-8"))
    # Cell 6's body indented as a block, and the %time line form: IPython strips both.
    data["cells"][5]["source"] = [
        "%%time\n",
        "  batch = np.random.rand(8, 5)\n",
        "  %time labeling = infer(keras_tensor=tf.constant(batch))",
    ]
    target.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    result = _lint(project, NOTEBOOK.name, "--format", "json")
    found = [(d["cell"], d["line"], d["column"], d["code"]) for d in json.loads(result.stdout)]
    # Column 31 of the statement in the original cell is 31 + 2 (indent) + 6 ("%time ").
    assert found == [(6, 3, 39, "SM005"), (7, 1, 16, "SM010")]
    _lint(project, NOTEBOOK.name, "--fix")
    fixed = json.loads(target.read_text(encoding="utf-8"))["cells"][5]["source"]
    cast = "tf.cast(tf.constant(batch), tf.float32)"
    assert fixed[2] == f"  %time labeling = infer(keras_tensor={cast})"
