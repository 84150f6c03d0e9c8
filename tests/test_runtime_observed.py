"""Models seen at run time (docs/design.md, "Where a model comes from", step ``observed``).

A script takes its model folder from the command line, so statically the load's path is
unknown and no call through it is checked. ``sm-lint run script.py MODEL_DIR`` records, per
load site, the folder and its signatures in ``.sm-lint/observed.json``; a later static run
checks every call through that load site, also calls in functions that never ran.

The generated-program suite takes cases of the static oracle (tests/oracle_cases.py), puts
each call in a function the script never calls, runs the script through ``sm-lint run``
(in this process, so TensorFlow is imported once: ``cli.main(["run", ...])`` is the very
code the console script runs; two tests run the real command in a subprocess), lints it
statically and compares the verdict with what real TensorFlow does with the same call
(``execute`` / ``derive`` of tests/test_oracle_calls.py). ``SM_LINT_ORACLE_BUDGET`` (a
float, default 1) scales the number of programs (60 by default).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint import cli, observed  # noqa: E402
from sm_lint.api import Linter  # noqa: E402
from sm_lint.config import find_pyproject, load_config  # noqa: E402
from sm_lint.models import read_signatures  # noqa: E402
from sm_lint.output.report import render_json  # noqa: E402
from sm_lint.runtime import Recorder, guard, save_observations  # noqa: E402
from tests import test_oracle_calls as static_oracle  # noqa: E402
from tests.oracle_cases import CASES, MODELS_DIR, Case  # noqa: E402
from tests.test_oracle_calls import derive, execute  # noqa: E402

#: The session fixture of test_oracle_calls: each fixture model loaded once, unguarded.
oracle_models = static_oracle.oracle_models
pytest_plugins = ["pytester"]

BUDGET = float(os.environ.get("SM_LINT_ORACLE_BUDGET", "1") or "1")
PROGRAMS = max(30, round(60 * BUDGET))

#: How the script gets its model folder from the command line.
HEADS = {
    "argv": ("import sys\n", "sys.argv[1]", ["{dir}"]),
    "argv-variable": ("import sys\nmodel_dir = sys.argv[1]\n", "model_dir", ["{dir}"]),
    "argparse": (
        "import argparse\nparser = argparse.ArgumentParser()\n"
        'parser.add_argument("model_dir")\nargs = parser.parse_args()\n',
        "args.model_dir",
        ["{dir}"],
    ),
    "argparse-option": (
        "import argparse\nparser = argparse.ArgumentParser()\n"
        'parser.add_argument("--model", required=True)\nargs = parser.parse_args()\n',
        "args.model",
        ["--model", "{dir}"],
    ),
}


def _select() -> list[Case]:
    """A spread of the oracle's cases: every model, calls that break the signature and
    calls that do not, in a fixed order (crc32 of the case id)."""
    usable = [c for c in CASES if c.xfail is None and c.lookup is None and c.key is not None]
    usable.sort(key=lambda c: zlib.crc32(c.id.encode()))
    groups: dict[tuple[str, bool], list[Case]] = {}
    for case in usable:
        groups.setdefault((case.model, case.error is None), []).append(case)
    picked: list[Case] = []
    while len(picked) < PROGRAMS and any(groups.values()):
        for key in sorted(groups):
            if groups[key] and len(picked) < PROGRAMS:
                picked.append(groups[key].pop())
    return picked


SELECTED = _select()


def program(case: Case, index: int) -> tuple[str, list[str], int]:
    """The script for *case* (its call in a function that never runs), its command-line
    arguments (``{dir}`` for the model folder), and the line of the ``def``."""
    head, path_expr, argv = list(HEADS.values())[index % len(HEADS)]
    lookup = f"loaded.signatures[{case.key!r}]".replace("'", '"')
    # The lookup in the function, or at module level (not a lookup that fails: the script
    # would stop there).
    inside = index % 2 == 1 or case.error == "SM001"
    lines = [*head.splitlines(), "import numpy as np", "import tensorflow as tf", ""]
    lines.append(f"loaded = tf.saved_model.load({path_expr})")
    if not inside:
        lines.append(f"infer = {lookup}")
    lines += ["", ""]
    def_line = len(lines) + 1
    lines.append("def never_runs():")
    if inside:
        lines.append(f"    infer = {lookup}")
    lines += [f"    {line}" for line in (*case.setup, f"result = {case.call}", *case.after)]
    lines += ["    return result", ""]
    return "\n".join(lines) + "\n", argv, def_line


def _linter(path: Path) -> Linter:
    """What ``sm-lint PATH`` uses: the configuration of PATH's pyproject.toml."""
    return Linter(load_config(find_pyproject(path.resolve().parent)))


def _lint_json(path: str | Path) -> list[dict[str, Any]]:
    """``sm-lint PATH --format json``, in this process."""
    findings = _linter(Path(path)).lint_paths([path])
    result: list[dict[str, Any]] = json.loads(render_json(findings))
    return result


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A project with a copy of every fixture model, as the working directory."""
    root = tmp_path_factory.mktemp("observed-project")
    (root / "pyproject.toml").write_text("[tool.sm-lint]\n")
    for name in {c.model for c in SELECTED}:
        shutil.copytree(MODELS_DIR / name, root / "models" / name)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        yield root


@pytest.fixture(scope="module")
def recorded(project: Path) -> dict[int, int]:
    """Every generated program run once through ``sm-lint run`` (exit status by index)."""
    statuses = {}
    for index, case in enumerate(SELECTED):
        source, argv, _ = program(case, index)
        script = project / f"program_{index}.py"
        script.write_text(source)
        args = [a.format(dir=f"models/{case.model}") for a in argv]
        statuses[index] = cli.main(["run", str(script), *args])
    return statuses


def test_enough_programs() -> None:
    assert len(SELECTED) >= 30
    assert {c.error is None for c in SELECTED} == {True, False}
    assert len({c.model for c in SELECTED}) >= 5


@pytest.mark.parametrize(
    "index", range(len(SELECTED)), ids=[f"{i}: {c.id}" for i, c in enumerate(SELECTED)]
)
def test_call_in_a_function_that_never_ran(
    index: int,
    project: Path,
    recorded: dict[int, int],
    oracle_models: dict[str, Any],
) -> None:
    case = SELECTED[index]
    assert recorded[index] == 0  # the script ran; the call inside never_runs() did not
    _, _, def_line = program(case, index)
    script = f"program_{index}.py"
    findings = _lint_json(script)
    early = [f for f in findings if f["line"] < def_line]
    errors = {f["code"] for f in findings if f["line"] > def_line and f["severity"] == "error"}
    warns = {f["code"] for f in findings if f["line"] > def_line and f["severity"] == "warning"}
    verdict = derive(execute(case, oracle_models[case.model]))
    problems = []
    if early:
        problems.append(f"findings before the function: {early}")
    if bool(errors) != verdict.breaks:
        problems.append(
            f"linter {'reports' if errors else 'reports no'} error {sorted(errors)} but the "
            f"call {'breaks' if verdict.breaks else 'does not break'} the signature"
        )
    elif verdict.breaks and case.error not in errors:
        problems.append(f"linter reports {sorted(errors)}, expected {case.error}")
    if not verdict.breaks:
        if verdict.warnings - warns:
            problems.append(f"linter misses warning(s) {sorted(verdict.warnings - warns)}")
        if (warns & {"SM006", "SM009"}) - verdict.warnings:
            problems.append(f"extra warning(s) {sorted(warns - verdict.warnings)}")
    if findings:  # every finding names the folder the run loaded
        assert {f["model"] for f in findings} == {str(Path("models") / case.model)}
    assert not problems, (
        "\n".join(problems) + f"\n  TensorFlow: {verdict.tf_outcome}\n  program:\n"
        f"{program(case, index)[0]}\n  findings: {findings}"
    )


def test_without_a_run_nothing_is_checked(project: Path) -> None:
    """The same programs in a fresh project: the model is unknown, nothing is reported."""
    fresh = project / "fresh"
    fresh.mkdir(exist_ok=True)
    (fresh / "pyproject.toml").write_text("[tool.sm-lint]\n")
    breaking = [(i, c) for i, c in enumerate(SELECTED) if c.error is not None][:4]
    for index, case in breaking:
        (fresh / f"p{index}.py").write_text(program(case, index)[0])
        assert _lint_json(str(fresh / f"p{index}.py")) == []


# ------------------------------------------------------- the real command, end to end
SCRIPT_ARGV = """import sys

import numpy as np
import tensorflow as tf

loaded = tf.saved_model.load(sys.argv[1])
infer = loaded.signatures["serving_default"]


def bad():
    return infer(keras_tensor=np.zeros((4, 3), np.float32))


def good():
    return infer(keras_tensor=np.zeros((4, 5), np.float32))


print(infer(keras_tensor=np.ones((1, 5), np.float32))["output_0"].shape)
"""

SCRIPT_ARGPARSE = """import argparse

import numpy as np
import tensorflow as tf


def parse():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", required=True)
    return parser.parse_args()


args = parse()
model = tf.saved_model.load(
    args.model_dir,
)


def bad():
    return model.signatures["serving_default"](keras_tensor=tf.constant(np.zeros((1, 5))))


def good():
    return model.signatures["serving_default"](keras_tensor=np.zeros((4, 5)))
"""


def _sm_lint(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


@pytest.mark.parametrize(
    ("script", "argv", "bad_line", "path_line"),
    [
        (SCRIPT_ARGV, ["models/dense"], 11, 6),
        (SCRIPT_ARGPARSE, ["--model-dir", "models/dense"], 20, 15),
    ],
    ids=["argv", "argparse"],
)
def test_sm_lint_run_then_lint(
    tmp_path: Path, script: str, argv: list[str], bad_line: int, path_line: int
) -> None:
    shutil.copytree(MODELS_DIR / "keras_export_dense", tmp_path / "models" / "dense")
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (tmp_path / "job.py").write_text(script)
    before = _sm_lint("job.py", "--format", "json", cwd=tmp_path)
    assert json.loads(before.stdout) == []  # the path comes from the command line
    ran = _sm_lint("run", "job.py", *argv, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    after = _sm_lint("job.py", "--format", "json", cwd=tmp_path)
    findings = json.loads(after.stdout)
    expected = "SM008" if script is SCRIPT_ARGV else "SM005"
    assert [(f["code"], f["line"], f["model"]) for f in findings] == [
        (expected, bad_line, str(Path("models/dense")))
    ]
    verbose = _sm_lint("job.py", "--verbose", cwd=tmp_path)
    assert f"job.py:{path_line}:" in verbose.stderr  # where the load's path is
    assert "(model observed at run time: models/dense)" in verbose.stderr
    calls = json.loads(_sm_lint("calls", "job.py", "--format", "json", cwd=tmp_path).stdout)
    assert {c["model_source"] for c in calls} == {"observed"}


PLUGIN_TEST = """import os

import numpy as np
import tensorflow as tf

MODEL = tf.saved_model.load(os.environ["MODEL_DIR"])


def predict_later(batch):
    return MODEL.signatures["serving_default"](a=batch, c=batch)


def test_good():
    MODEL.signatures["serving_default"](a=np.zeros((2, 10)), b=np.zeros((2, 5)))
"""


def test_pytest_plugin_records_load_sites(pytester: pytest.Pytester) -> None:
    shutil.copytree(MODELS_DIR / "keras_two_inputs", pytester.path / "models" / "two")
    (pytester.path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (pytester.path / "test_serving.py").write_text(PLUGIN_TEST)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MODEL_DIR", "models/two")
        result = pytester.runpytest_subprocess("--sm-lint", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    stored = json.loads((pytester.path / ".sm-lint" / "observed.json").read_text())
    (load,) = stored["models"]["test_serving.py:6"]["loads"]
    assert load["folder"] == "models/two" and "serving_default" in load["model"]["signatures"]
    findings = json.loads(_sm_lint("test_serving.py", "--format", "json", cwd=pytester.path).stdout)
    assert [(f["code"], f["line"]) for f in findings] == [("SM002", 10)]


# ----------------------------------------------------- freshness, bounds and bad input
CALL = """import sys
import numpy as np
import tensorflow as tf

infer = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]


def later():
    return infer(keras_tensor=tf.constant(np.zeros((2, 5))))
"""


def _record(root: Path, script: Path, folder: str) -> None:
    """``sm-lint run`` of a script that only loads, in this process."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert cli.main(["run", str(script), folder]) == 0


def test_a_re_exported_model_is_read_afresh(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    shutil.copytree(MODELS_DIR / "keras_export_dense", tmp_path / "model")
    script = tmp_path / "app.py"
    script.write_text(CALL)
    _record(tmp_path, script, "model")
    # float64 tensor into a float32 input: the model the run saw rejects it.
    assert [f["code"] for f in _lint_json(str(script))] == ["SM005"]
    # Re-exported with float64 inputs: the folder on disk wins, no stale finding.
    shutil.rmtree(tmp_path / "model")
    shutil.copytree(MODELS_DIR / "keras_float64", tmp_path / "model")
    assert _lint_json(str(script)) == []
    # The folder is gone: the signatures the run recorded are used, and say so.
    shutil.rmtree(tmp_path / "model")
    findings = _lint_json(str(script))
    assert [f["code"] for f in findings] == ["SM005"]
    (load,) = _linter(script).analyze_source(script.read_text(), script).loads.values()
    assert load.resolution.reason == (  # what --verbose prints
        "model observed at run time: model (the folder is gone: signatures as recorded)"
    )
    # The load line was edited since the run: the entry is not used for it.
    script.write_text(CALL.replace("sys.argv[1]", "sys.argv[2]"))
    assert _lint_json(str(script)) == []


def test_runs_that_loaded_different_models_leave_the_load_unknown(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    shutil.copytree(MODELS_DIR / "keras_export_dense", tmp_path / "a")
    shutil.copytree(MODELS_DIR / "keras_float64", tmp_path / "b")
    script = tmp_path / "app.py"
    script.write_text(CALL)
    _record(tmp_path, script, "a")
    _record(tmp_path, script, "b")
    assert _lint_json(str(script)) == []  # float64 fits b, not a: no single verdict
    stored = json.loads((tmp_path / ".sm-lint" / "observed.json").read_text())
    assert [x["folder"] for x in stored["models"]["app.py:5"]["loads"]] == ["a", "b"]


def test_guard_records_its_call_site(tmp_path: Path) -> None:
    """``guard(tf.saved_model.load(path))`` in a user's own code, then save_observations()."""
    recorder = Recorder()
    folder = MODELS_DIR / "module_multi"
    first = sys._getframe().f_lineno + 1
    model = guard(tf.saved_model.load(str(folder)), folder, recorder)
    guard(model, folder, recorder)  # idempotent: guarded once, its own site counted
    assert save_observations(recorder, tmp_path) is not None
    assert save_observations(recorder, tmp_path) is None  # drained: never counted twice
    sites = observed.load_models(tmp_path)
    (load,) = sites[observed.site_key(tmp_path, __file__, first)].loads
    assert load.count == 1 and load.folder == folder.as_posix()
    assert load.model == read_signatures(folder)
    (again,) = sites[observed.site_key(tmp_path, __file__, first + 1)].loads
    assert again.count == 1 and again.model == load.model


GOOD = """import sys
import numpy as np
import tensorflow as tf

infer = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]
out = infer(keras_tensor=np.zeros((2, 5), np.float32))
"""


def _stored_site(folder: Any, model: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "end_line": 5,
        "text": 'infer = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]',
        "loads": [{"folder": folder, "tags": None, "count": 1, "model": model}],
    }


WRONG_MODEL = {  # if it were used, the good call would get SM002 and SM003
    "tf2": True,
    "tags": ["serve"],
    "signatures": {
        "serving_default": {
            "method": "",
            "inputs": {"other": {"dtype": "float32", "shape": [None, 5]}},
            "outputs": {},
        }
    },
}

HOSTILE: dict[str, Any] = {
    "not json": "{",
    "nested too deeply": "[" * 100_000 + "]" * 100_000,
    "not UTF-8": "\udcff",
    "a list": [],
    "older version": {"version": 0, "models": {"app.py:5": _stored_site("gone", WRONG_MODEL)}},
    "version as text": {"version": "1", "models": {"app.py:5": _stored_site("gone", WRONG_MODEL)}},
    "models a list": {"version": 1, "models": [1, 2]},
    "site not a dict": {"version": 1, "models": {"app.py:5": "x"}},
    "key without line": {"version": 1, "models": {"app.py": _stored_site("gone", WRONG_MODEL)}},
    "end before start": {
        "version": 1,
        "models": {"app.py:5": {**_stored_site("gone", WRONG_MODEL), "end_line": 1}},
    },
    "no loads": {"version": 1, "models": {"app.py:5": {**_stored_site("g", None), "loads": []}}},
    "folder a number": {"version": 1, "models": {"app.py:5": _stored_site(7, WRONG_MODEL)}},
    "shape of strings": {
        "version": 1,
        "models": {
            "app.py:5": _stored_site(
                "gone",
                {
                    **WRONG_MODEL,
                    "signatures": {
                        "serving_default": {
                            "method": "",
                            "inputs": {"other": {"dtype": "float32", "shape": ["a"]}},
                            "outputs": {},
                        }
                    },
                },
            )
        },
    },
    "tf2 missing": {
        "version": 1,
        "models": {"app.py:5": _stored_site("gone", {"signatures": {}, "tags": []})},
    },
    "count zero": {
        "version": 1,
        "models": {
            "app.py:5": {
                **_stored_site("gone", WRONG_MODEL),
                "loads": [{"folder": "gone", "tags": None, "count": 0, "model": WRONG_MODEL}],
            }
        },
    },
    "other text at the line": {
        "version": 1,
        "models": {"app.py:5": {**_stored_site("gone", WRONG_MODEL), "text": "x = 1"}},
    },
    "gone and not recorded": {"version": 1, "models": {"app.py:5": _stored_site("gone", None)}},
    "a folder that is no model": {
        "version": 1,
        "models": {"app.py:5": _stored_site("notamodel", WRONG_MODEL)},
    },
    "huge line": {"version": 1, "models": {"app.py:99999999999999999999": _stored_site("g", None)}},
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_bad_observed_file_is_skipped(tmp_path: Path, name: str) -> None:
    """Older, hand-edited or broken entries: never a traceback, never a wrong finding."""
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (tmp_path / ".sm-lint").mkdir()
    data = HOSTILE[name]
    text = data if isinstance(data, str) else json.dumps(data)
    (tmp_path / ".sm-lint" / "observed.json").write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "app.py").write_text(GOOD)
    (tmp_path / "notamodel").mkdir()
    linter = Linter(load_config(tmp_path / "pyproject.toml"))
    assert linter.lint_file(tmp_path / "app.py") == []


def test_the_file_stays_bounded(tmp_path: Path) -> None:
    model = read_signatures(MODELS_DIR / "keras_export_dense")
    text = "load(x)"

    def site(folder: str, count: int = 1) -> observed.ModelSite:
        return observed.ModelSite(3, 3, text, (observed.ObservedLoad(folder, None, model, count),))

    for i in range(observed.MAX_FOLDERS + 3):
        observed.save(tmp_path, {}, {"a.py:3": site(f"m{i}")})
    observed.save(tmp_path, {}, {"a.py:3": site("m5", 4)})
    loads = observed.load_models(tmp_path)["a.py:3"].loads
    assert observed.MAX_FOLDERS == 4  # the newest four, the one seen again last
    assert [(x.folder, x.count) for x in loads] == [("m3", 1), ("m4", 1), ("m6", 1), ("m5", 5)]
    many = {f"f{i}.py:3": site("m") for i in range(observed.MAX_MODEL_SITES + 10)}
    observed.save(tmp_path, {}, many)
    assert len(observed.load_models(tmp_path)) == observed.MAX_MODEL_SITES
    # A site whose source text changed starts afresh.
    observed.save(tmp_path, {}, {"a.py:3": observed.ModelSite(3, 4, "load(\ny)", site("z").loads)})
    assert [x.folder for x in observed.load_models(tmp_path)["a.py:3"].loads] == ["z"]


# ------------------------------------------------------------------ language server
def test_hover_says_the_model_was_observed(tmp_path: Path) -> None:
    """A real language server over stdio: diagnostics and hover use the observed model."""
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    shutil.copytree(MODELS_DIR / "keras_export_dense", tmp_path / "models" / "dense")
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    source = CALL + "\n\nlater()\n"
    (tmp_path / "app.py").write_text(source)
    model = read_signatures(tmp_path / "models" / "dense")
    observed.save(
        tmp_path,
        {},
        {
            "app.py:5": observed.ModelSite(
                5,
                5,
                observed.source_text(source.splitlines(), 5, 5),
                (observed.ObservedLoad("models/dense", None, model),),
            )
        },
    )

    async def session() -> tuple[list[lsp.Diagnostic], lsp.Hover | None]:
        client = LanguageClient("test", "1")
        published: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()

        @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: lsp.PublishDiagnosticsParams) -> None:
            published.put_nowait(params)

        watched: list[str] = []

        @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
        def on_register(params: lsp.RegistrationParams) -> None:
            for registration in params.registrations:
                options = registration.register_options  # plain JSON on the client side
                if isinstance(options, dict):
                    watched.extend(str(w.get("globPattern")) for w in options.get("watchers", []))

        await client.start_io(sys.executable, "-m", "sm_lint", "server", cwd=str(tmp_path))
        watch = lsp.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)
        await client.initialize_async(
            lsp.InitializeParams(
                capabilities=lsp.ClientCapabilities(
                    workspace=lsp.WorkspaceClientCapabilities(did_change_watched_files=watch)
                ),
                root_uri=tmp_path.as_uri(),
            )
        )
        client.initialized(lsp.InitializedParams())
        uri = (tmp_path / "app.py").as_uri()
        client.text_document_did_open(
            lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, source))
        )
        diagnostics = (await asyncio.wait_for(published.get(), 60)).diagnostics
        hover = await client.text_document_hover_async(
            lsp.HoverParams(lsp.TextDocumentIdentifier(uri), lsp.Position(8, 12))
        )
        # A later run loaded a model the call fits: the editor follows without an edit.
        assert "**/.sm-lint/observed.json" in watched
        shutil.rmtree(tmp_path / "models" / "dense")
        shutil.copytree(MODELS_DIR / "keras_float64", tmp_path / "models" / "dense")
        record = tmp_path / ".sm-lint" / "observed.json"
        record.write_text(record.read_text())
        client.workspace_did_change_watched_files(
            lsp.DidChangeWatchedFilesParams(
                [lsp.FileEvent(record.as_uri(), lsp.FileChangeType.Changed)]
            )
        )
        assert list((await asyncio.wait_for(published.get(), 60)).diagnostics) == []
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()
        return list(diagnostics), hover

    diagnostics, hover = asyncio.run(session())
    assert [(d.code, d.range.start.line) for d in diagnostics] == [("SM005", 8)]
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert "model observed at run time: models/dense" in hover.contents.value
    assert "| `keras_tensor` | float32 | (?, 5) |" in hover.contents.value


def test_a_well_formed_entry_is_used(tmp_path: Path) -> None:
    """The control for the bad files above: the same entry, well formed, is used."""
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\n")
    (tmp_path / ".sm-lint").mkdir()
    stored = {"version": 1, "models": {"app.py:5": _stored_site("gone", WRONG_MODEL)}}
    (tmp_path / ".sm-lint" / "observed.json").write_text(json.dumps(stored))
    (tmp_path / "app.py").write_text(GOOD)
    linter = Linter(load_config(tmp_path / "pyproject.toml"))
    assert [d.code for d in linter.lint_file(tmp_path / "app.py")] == ["SM002"]


def test_guard_without_a_path_records_only_exact_signatures(tmp_path: Path) -> None:
    """Without a folder to read, the run's own view is recorded only where its input names
    are the stored ones: TensorFlow renames TF1 inputs such as ``x:0`` to ``x_0``."""
    recorder = Recorder()
    line = sys._getframe().f_lineno + 1
    guard(tf.saved_model.load(str(MODELS_DIR / "keras_export_dense")), None, recorder)
    guard(tf.saved_model.load(str(MODELS_DIR / "tf1_builder")), None, recorder)
    save_observations(recorder, tmp_path)
    sites = observed.load_models(tmp_path)
    (dense,) = sites[observed.site_key(tmp_path, __file__, line)].loads
    (tf1,) = sites[observed.site_key(tmp_path, __file__, line + 1)].loads
    disk = read_signatures(MODELS_DIR / "keras_export_dense")
    assert dense.folder is None and dense.model is not None
    assert {k: (s.inputs, s.outputs) for k, s in dense.model.signatures.items()} == {
        k: (s.inputs, s.outputs) for k, s in disk.signatures.items()
    }
    assert tf1.folder is None and tf1.model is None
