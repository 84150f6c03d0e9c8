"""Values through functions: what the context-sensitive analysis finds, where it says it,
and what it must leave alone (each case is checked against TensorFlow's verdict by the
oracle in tests/test_interproc_oracle.py; here the wording, places and formats)."""

from __future__ import annotations

import json
from pathlib import Path

from sm_lint.api import Linter, lint_source
from sm_lint.cache import FactsCache
from sm_lint.config import Config
from sm_lint.output.report import diagnostic_json
from tests.conftest import code_notebook

MODELS = (Path(__file__).parent / "fixtures" / "models").resolve()
CONFIG = Config(models=(MODELS,))
HEAD = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    f"loaded = tf.saved_model.load({str(MODELS / 'keras_export_dense')!r})\n"
    'infer = loaded.signatures["serving_default"]\n'
)


def findings(body: str) -> list[tuple[str, int]]:
    return [(d.code, d.line - 4) for d in lint_source(HEAD + body, "case.py", CONFIG)]


def test_one_finding_per_distinct_caller_identical_ones_merged() -> None:
    body = (
        "def predict(batch):\n    return infer(keras_tensor=batch)\n"
        "predict(np.zeros((2, 7), np.float32))\n"
        "predict(np.zeros((2, 7), np.float32))\n"
        "predict(np.zeros((2, 9), np.float32))\n"
        "predict(np.zeros((2, 5), np.float32))\n"
    )
    found = lint_source(HEAD + body, "case.py", CONFIG)
    assert [(d.code, d.line) for d in found] == [("SM008", 6), ("SM008", 6)]
    assert sorted(r.line for d in found for r in d.related) == [7, 9]
    assert all(d.fix is None for d in found)


def test_context_free_findings_are_not_repeated_per_caller() -> None:
    body = (
        "def predict(batch):\n    return infer(wrong=batch)\n"
        "predict(np.zeros((2, 7)))\npredict(np.zeros((2, 5)))\n"
    )
    found = lint_source(HEAD + body, "case.py", CONFIG)
    assert [(d.code, d.related) for d in found] == [("SM002", ())]


def test_unknown_for_one_caller_stays_unknown_for_that_caller_only() -> None:
    body = (
        "def predict(batch):\n    return infer(keras_tensor=batch)\n"
        "predict(load_from_disk())\npredict(np.zeros((2, 7), np.float32))\n"
    )
    found = lint_source(HEAD + body, "case.py", CONFIG)
    assert len(found) == 1 and "called at line 8" in found[0].message


def test_containers_changed_by_functions_are_not_trusted() -> None:
    body = (
        "feed = {}\ndef fill(d):\n    d['keras_tensor'] = np.zeros((2, 5), np.float32)\n"
        "fill(feed)\ninfer(**feed)\n"
        "g = {}\ndef add():\n    g['keras_tensor'] = np.zeros((2, 5), np.float32)\n"
        "add()\ninfer(**g)\n"
        "rows = []\nappend_to(rows)\ninfer(keras_tensor=np.array(rows))\n"
    )
    assert findings(body) == []


def test_self_attribute_from_constructor_and_changed_attributes() -> None:
    body = (
        "class P:\n    def __init__(self, fn):\n        self.fn = fn\n"
        "    def run(self, x):\n        return self.fn(keras_tensor=x)\n"
        "P(infer).run(np.zeros((2, 7)))\n"
    )
    assert findings(body) == [("SM008", 5)]
    assert findings(body + "q = P(infer)\nq.fn = other\n") == []
    assert findings(body.replace("class P:", "class P(Base):")) == []


def test_json_and_notebook_carry_related_information(tmp_path: Path) -> None:
    body = "def predict(batch):\n    return infer(keras_tensor=batch)\npredict(np.zeros((2, 7)))\n"
    (finding,) = lint_source(HEAD + body, "case.py", CONFIG)
    data = diagnostic_json(finding)
    assert data["related"] == [
        {
            "line": 7,
            "column": 1,
            "end_line": 7,
            "end_column": 26,
            "message": "`predict` called here with float64 numpy array (2, 7)",
        }
    ]
    cells = [HEAD, "def predict(batch):\n    return infer(keras_tensor=batch)\n", "x = 1\n"]
    cells.append("predict(np.zeros((2, 7)))\n")
    notebook = code_notebook(cells)
    (nb_finding,) = Linter(CONFIG).lint_notebook(json.dumps(notebook), tmp_path / "n.ipynb")
    assert (nb_finding.cell, nb_finding.line) == (2, 2)
    assert "called at cell 4 line 1" in nb_finding.message
    assert [(r.cell, r.line) for r in nb_finding.related] == [(4, 1)]


def test_function_redefined_in_a_later_cell_uses_the_new_definition() -> None:
    body = (
        "def predict(batch):\n    return infer(keras_tensor=batch)\n"
        "def predict(batch):\n    return infer(keras_tensor=tf.cast(batch, tf.float32)[:, :5])\n"
        "predict(np.zeros((2, 7)))\n"
    )
    assert findings(body) == []


def test_context_calls_survive_the_cache(tmp_path: Path) -> None:
    body = "def predict(batch):\n    return infer(keras_tensor=batch)\npredict(np.zeros((2, 7)))\n"
    path = tmp_path / "case.py"
    path.write_text(HEAD + body)
    first = Linter(CONFIG, cache=FactsCache(tmp_path)).lint_file(path)
    second_linter = Linter(CONFIG, cache=FactsCache(tmp_path))
    second = second_linter.lint_file(path)
    assert first == second and len(first) == 1 and first[0].related


def test_list_attributes_filled_by_methods_are_not_trusted() -> None:
    body = (
        "class Batcher:\n    def __init__(self):\n        self.rows = []\n"
        "    def add(self, r):\n        self.rows.append(r)\n"
        "    def run(self):\n        return infer(keras_tensor=np.array(self.rows, np.float32))\n"
        "b = Batcher()\nb.add([1.0, 2.0, 3.0, 4.0, 5.0])\nb.run()\n"
    )
    assert findings(body) == []


def test_an_instance_attribute_shadows_the_method_of_that_name() -> None:
    body = (
        "class Holder:\n    def __init__(self, fn):\n        self.predict = fn\n"
        "    def predict(self, x):\n        return None\n"
        "Holder(infer).predict(keras_tensor=np.zeros((2, 7), np.float32))\n"
    )
    assert findings(body) == [("SM008", 6)]


def test_sarif_related_locations_validate_against_the_schema() -> None:
    import jsonschema

    from sm_lint.output.ci_formats import sarif

    body = "def predict(batch):\n    return infer(keras_tensor=batch)\npredict(np.zeros((2, 7)))\n"
    log = sarif(lint_source(HEAD + body, "case.py", CONFIG))
    schema = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json").read_text())
    jsonschema.validate(log, schema)
    (result,) = log["runs"][0]["results"]
    (related,) = result["relatedLocations"]
    assert related["physicalLocation"]["region"]["startLine"] == 7
    assert related["message"]["text"].startswith("`predict` called here")


def test_a_dict_filled_by_a_function_holds_what_the_function_put_in() -> None:
    body = (
        "def fill(d, x):\n    d['keras_tensor'] = x\n"
        "feed = {}\nfill(feed, np.zeros((2, 7), np.float32))\ninfer(**feed)\n"
        # Aliased inside the function: unknown afterwards.
        "def alias(d, x):\n    e = d\n    e['keras_tensor'] = x\n"
        "g = {}\nalias(g, np.zeros((2, 5), np.float32))\ninfer(**g)\n"
        # Changed on one path only: what differs between paths is unknown.
        "def maybe(d, x, flag):\n    if flag:\n        d['keras_tensor'] = x\n        return\n"
        "h = {'keras_tensor': np.zeros((2, 5), np.float32)}\n"
        "maybe(h, np.zeros((2, 7)), cond)\ninfer(**h)\n"
    )
    assert findings(body) == [("SM008", 2)]


def test_a_load_in_a_body_analysed_twice_is_one_load() -> None:
    """A method analysed on its own and again per calling context loads one model, so
    `--verbose`, `calls` and SM011/SM012 see it once; a helper called with two different
    paths still makes two loads."""
    source = (
        "import tensorflow as tf\n"
        "class Scorer:\n"
        "    def __init__(self, path):\n"
        "        self.model = tf.saved_model.load('models/missing')\n"
        "        self.other = tf.saved_model.load(path)\n"
        "Scorer('a')\n"
        "Scorer('b')\n"
    )
    analysis = Linter(CONFIG).analyze_source(source, "case.py")
    assert analysis.facts is not None
    loads = [(load.span.line, load.path) for load in analysis.facts.loads]
    assert loads.count((4, "models/missing")) == 1
    assert (5, "a") in loads and (5, "b") in loads


def test_calls_lists_a_signature_only_its_callers_pass_in(tmp_path: Path) -> None:
    """`calls` lists a call whose signature arrives as a parameter (the Object Detection
    tutorial's `run_detector(detector, path)`), once per caller, with the caller's place
    (in a notebook, its cell); a call known on its own is listed once."""
    from sm_lint.output.calls import call_records, render_calls_text

    cells = [
        HEAD,
        "def run(fn, batch):\n    return fn(keras_tensor=batch)\n",
        "run(infer, np.zeros((2, 5), np.float32))\nrun(infer, np.zeros((3, 7)))\n",
        "def direct(batch):\n    return infer(keras_tensor=batch)\n"
        "direct(np.zeros((2, 5), np.float32))\n",
    ]
    path = tmp_path / "n.ipynb"
    path.write_text(json.dumps(code_notebook(cells)))
    linter = Linter(CONFIG)
    analysis = linter.analyze(linter.read(path))
    records = call_records([analysis])
    through = [r for r in records if "called_from" in r]
    assert [(r["cell"], r["line"]) for r in through] == [(2, 2), (2, 2)]
    assert [r["called_from"] for r in through] == [
        [{"function": "run", "cell": 3, "line": 1, "column": 1}],
        [{"function": "run", "cell": 3, "line": 2, "column": 1}],
    ]
    assert [a["shape"] for r in through for a in r["arguments"]] == [[2, 5], [3, 7]]
    assert [(r["cell"], r["line"]) for r in records if "called_from" not in r] == [(4, 2)]
    text = render_calls_text([analysis])
    assert "[serving_default] through run called at cell 3, line 2" in text
