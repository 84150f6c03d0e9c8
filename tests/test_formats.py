"""CI output formats: SARIF validated against the official schema, GitHub annotations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json").read_text())


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sarif_validates_against_the_official_schema() -> None:
    result = _run("examples/demo/src", "--models", "examples/demo/models", "--format", "sarif")
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.validate(log, SCHEMA)
    results = log["runs"][0]["results"]
    assert len(results) == 7
    first = results[0]
    assert first["ruleId"] == "SM006"
    region = first["locations"][0]["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (11, 25)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert rules[first["ruleIndex"]]["id"] == "SM006"


def test_sarif_with_no_findings_is_valid() -> None:
    result = _run(
        "examples/demo/src/good.py", "--models", "examples/demo/models", "--format", "sarif"
    )
    assert result.returncode == 0
    log = json.loads(result.stdout)
    jsonschema.validate(log, SCHEMA)
    assert log["runs"][0]["results"] == []


def test_github_annotations() -> None:
    result = _run(
        "examples/demo/src/multi_input.py", "--models", "examples/demo/models", "--format", "github"
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("::error file=examples/demo/src/multi_input.py,line=20,col=23,")
    assert "title=SM002 unexpected-input::SM002 'input_a' is not an input" in lines[0]
    assert len(lines) == 2


def test_statistics() -> None:
    result = _run("examples/demo/src", "--models", "examples/demo/models", "--statistics", "-q")
    assert "    1  SM005  * dtype-mismatch" in result.stdout
    assert "    1  SM007    rank-mismatch" in result.stdout


def _notebook_with_a_bad_call(tmp_path: Path) -> Path:
    model = ROOT / "examples" / "demo" / "models" / "dense"
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Predict\n"]},
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": ["import numpy as np\n", "import tensorflow as tf\n"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": [
                f"loaded = tf.saved_model.load({str(model)!r})\n",
                "loaded.signatures['serving_default'](wrong=tf.zeros((2, 5)))\n",
            ],
        },
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "predict.ipynb"
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    return path


def test_notebook_findings_name_their_cell_in_sarif(tmp_path: Path) -> None:
    notebook = _notebook_with_a_bad_call(tmp_path)
    result = _run(str(notebook), "--format", "sarif")
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    jsonschema.validate(log, SCHEMA)
    (finding,) = log["runs"][0]["results"]
    region = finding["locations"][0]["physicalLocation"]["region"]
    assert region["properties"] == {"cell": 3}
    assert (region["startLine"], region["startColumn"]) == (2, 38)
    assert finding["message"]["text"].startswith("cell 3, line 2, column 38: 'wrong' is not")


def test_notebook_findings_in_github_annotations_are_file_level(tmp_path: Path) -> None:
    notebook = _notebook_with_a_bad_call(tmp_path)
    result = _run(str(notebook), "--format", "github")
    (line,) = result.stdout.strip().splitlines()
    # A line number would point into the notebook's JSON: none is given; the cell is named.
    assert line.startswith(f"::error file={notebook},title=SM002 unexpected-input::")
    assert ",line=" not in line
    assert "::SM002 cell 3, line 2, column 38: 'wrong' is not an input" in line
