"""The command line, run as a user runs it: a real subprocess, real files, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
FIXTURES = Path(__file__).parent / "fixtures" / "models"


def sm_lint(
    *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        timeout=120,
    )


def findings_json(*args: str, cwd: Path = ROOT) -> list[dict[str, object]]:
    result = sm_lint(*args, "--format", "json", cwd=cwd)
    assert result.returncode in (0, 1), result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


# Every planted mistake in examples/demo/src, and nothing else.
DEMO_FINDINGS = {
    ("classify.py", 11, "SM006"),
    ("classify.py", 14, "SM010"),
    ("classify.py", 18, "SM007"),
    ("multi_input.py", 20, "SM002"),
    ("multi_input.py", 22, "SM008"),
    ("predict_dense.py", 15, "SM005"),
    ("predict_dense.py", 18, "SM004"),
}


def test_demo_reports_every_planted_mistake_and_nothing_else() -> None:
    data = findings_json("examples/demo/src", "--models", "examples/demo/models")
    got = {(Path(str(d["path"])).name, d["line"], d["code"]) for d in data}
    assert got == DEMO_FINDINGS


def test_json_contract() -> None:
    data = findings_json("examples/demo/src", "--models", "examples/demo/models")
    keys = {
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "code",
        "severity",
        "message",
        "model",
        "signature",
        "fix",
    }
    for finding in data:
        assert keys <= set(finding)
        assert finding["severity"] in ("error", "warning", "info")
        assert isinstance(finding["line"], int) and finding["line"] >= 1
        assert isinstance(finding["column"], int) and finding["column"] >= 1
        fix = finding["fix"]
        if fix is not None:
            assert isinstance(fix, dict) and fix["description"]
            for edit in fix["edits"]:
                assert set(edit) == {"line", "column", "end_line", "end_column", "text"}
    dense = next(d for d in data if d["code"] == "SM005")
    assert str(dense["model"]).endswith("dense")
    assert dense["signature"] == "serving_default"


def test_text_output_like_ruff() -> None:
    result = sm_lint("examples/demo/src/predict_dense.py", "--models", "examples/demo/models")
    assert result.returncode == 1
    out = result.stdout
    assert (
        "examples/demo/src/predict_dense.py:15:34: SM005 input 'keras_tensor' expects float32"
        in out
    )
    assert "15 | predictions = infer(keras_tensor=tf.constant(batch))" in out
    assert "^^^^^^^^^^^^^^^^^^" in out
    assert "= fix: cast to float32" in out
    assert out.strip().endswith("1 error, 1 warning in 1 file (2 fixable with --fix)")
    assert "\x1b[" not in out  # NO_COLOR, and not a terminal


def test_clean_file_exits_zero() -> None:
    result = sm_lint("examples/demo/src/good.py", "--models", "examples/demo/models")
    assert result.returncode == 0, result.stdout
    assert "All checks passed." in result.stdout


def test_exit_zero_select_ignore() -> None:
    args = ("examples/demo/src", "--models", "examples/demo/models")
    assert sm_lint(*args, "--exit-zero").returncode == 0
    only = findings_json(*args, "--select", "SM005,SM010")
    assert {d["code"] for d in only} == {"SM005", "SM010"}
    rest = findings_json(*args, "--ignore", "SM00")
    assert {d["code"] for d in rest} == {"SM010"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("no/such/dir",), "no/such/dir: no such file or directory"),
        (("examples/demo/src", "--select", "XX1"), "unknown rule code 'XX1'"),
        (("examples/demo/src", "--format", "yaml"), "invalid choice"),
        (("show", "no/such/model"), "no such file or directory"),
        (("rules", "SM999"), "unknown rule code"),
    ],
)
def test_usage_errors_exit_two_with_one_line(args: tuple[str, ...], needle: str) -> None:
    result = sm_lint(*args)
    assert result.returncode == 2
    assert needle in result.stderr
    assert "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("sm-lint: error")]


def test_bad_configuration_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sm-lint]\nmodles = ["models"]\n')
    (tmp_path / "a.py").write_text("x = 1\n")
    result = sm_lint(str(tmp_path / "a.py"))
    assert result.returncode == 2
    assert "unknown key 'modles'" in result.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.sm-lint]\nselect = 5\n")
    result = sm_lint(str(tmp_path / "a.py"))
    assert result.returncode == 2
    assert "select must be a list of strings" in result.stderr
    # A string is not a list, as in ruff: the message says how to write it.
    (tmp_path / "pyproject.toml").write_text('[tool.sm-lint]\nselect = "SM"\n')
    result = sm_lint(str(tmp_path / "a.py"))
    assert result.returncode == 2
    assert 'select must be a list of strings (write ["SM"])' in result.stderr


def _project(tmp_path: Path) -> Path:
    shutil.copytree(DEMO, tmp_path / "demo")
    return tmp_path / "demo"


def test_configuration_from_pyproject(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "pyproject.toml").write_text(
        '[tool.sm-lint]\nmodels = ["models"]\nignore = ["SM004"]\n'
        '[tool.sm-lint.severity]\nSM006 = "error"\n'
        '[tool.sm-lint.per-file-ignores]\n"src/classify.py" = ["SM010"]\n'
    )
    data = findings_json("src", cwd=project)
    codes = {(Path(str(d["path"])).name, d["code"], d["severity"]) for d in data}
    assert ("classify.py", "SM006", "error") in codes
    assert not any(code == "SM004" for _, code, _ in codes)
    assert not any(name == "classify.py" and code == "SM010" for name, code, _ in codes)


def test_model_paths_mapping_and_suffix_match(tmp_path: Path) -> None:
    source = tmp_path / "serve.py"
    source.write_text(
        "import tensorflow as tf\n"
        "a = tf.saved_model.load('gs://bucket/prod/keras_export_dense')\n"
        "a.signatures['serving_default'](x=1)\n"
        "b = tf.saved_model.load('/tmp/somewhere/module_multi')\n"
        "b.signatures['nope']\n"
    )
    # Without a mapping the remote path is unresolved (no finding); /tmp/... matches by name.
    data = findings_json(str(source), "--models", str(FIXTURES))
    assert {(d["line"], d["code"]) for d in data} == {(5, "SM001")}
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.sm-lint]\nmodels = ["{FIXTURES}"]\n'
        f'[tool.sm-lint.model-paths]\n"gs://bucket/prod" = "{FIXTURES}"\n'
    )
    mapped = findings_json(str(source))
    assert {(d["line"], d["code"]) for d in mapped} == {(3, "SM002"), (5, "SM001")}
    sm002 = next(d for d in mapped if d["code"] == "SM002")
    assert str(sm002["model"]).endswith("keras_export_dense")


def test_noqa(tmp_path: Path) -> None:
    source = tmp_path / "n.py"
    path = FIXTURES / "keras_export_dense"
    source.write_text(
        "import tensorflow as tf\n"
        f"m = tf.saved_model.load({str(path)!r})\n"
        "m.signatures['serving_default'](x=1)  # noqa: SM002\n"
        "m.signatures['serving_default'](x=1)  # noqa\n"
        "m.signatures['serving_default'](x=1)  # noqa: SM005\n"
    )
    data = findings_json(str(source))
    # A code that names another finding silences nothing: the finding stays, and the stale
    # code is itself reported (SM015).
    assert [(d["line"], d["code"]) for d in data] == [(5, "SM002"), (5, "SM015")]


def test_fix_rewrites_only_the_edits_and_keeps_permissions(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = project / "src" / "predict_dense.py"
    os.chmod(target, 0o640)
    before = target.read_text()
    diff = sm_lint("src", "--models", "models", "--diff", cwd=project)
    assert diff.returncode == 1
    assert (
        "+predictions = infer(keras_tensor=tf.cast(tf.constant(batch), tf.float32))" in diff.stdout
    )
    assert target.read_text() == before  # --diff writes nothing
    result = sm_lint("src", "--models", "models", "--fix", cwd=project)
    after = target.read_text()
    assert "Fixed 2 findings." in result.stdout  # the safe ones; renames are unsafe
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    changed = [
        (a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b
    ]
    assert changed == [
        (
            "predictions = infer(keras_tensor=tf.constant(batch))",
            "predictions = infer(keras_tensor=tf.cast(tf.constant(batch), tf.float32))",
        ),
        (
            "more = infer(tf.constant(batch, dtype=tf.float32))",
            "more = infer(keras_tensor=tf.constant(batch, dtype=tf.float32))",
        ),
    ]
    remaining = findings_json("src", "--models", "models", cwd=project)
    assert {(Path(str(d["path"])).name, d["code"]) for d in remaining} == {
        ("classify.py", "SM006"),
        ("classify.py", "SM007"),
        ("classify.py", "SM010"),
        ("multi_input.py", "SM002"),
        ("multi_input.py", "SM008"),
    }


def test_syntax_error_binary_and_non_utf8_files(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        "import tensorflow as tf\ndef f(:\n    tf.saved_model.load('x')\n"
    )
    (tmp_path / "binary.py").write_bytes(b"\x00\x01saved_model\x02")
    (tmp_path / "latin.py").write_bytes(b"# saved_model \xe9\nx = 1\n")
    data = findings_json(str(tmp_path))
    got = {(Path(str(d["path"])).name, d["code"]) for d in data}
    assert ("broken.py", "SM900") in got
    assert ("binary.py", "SM900") in got
    broken = next(d for d in data if str(d["path"]).endswith("broken.py"))
    assert broken["line"] == 2


def test_calls_inventory() -> None:
    result = sm_lint(
        "calls", "examples/demo/src", "--models", "examples/demo/models", "--format", "json"
    )
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    first = next(r for r in records if r["path"].endswith("predict_dense.py") and r["line"] == 15)
    assert first["signature"] == "serving_default"
    assert first["model"].endswith("dense")
    assert first["model_expr"] == 'str(MODELS / "dense")'
    assert first["arguments"] == [
        {"name": "keras_tensor", "kind": "tensor", "dtype": "float64", "shape": [64, 5]}
    ]
    assert {"path", "line", "column", "model", "model_expr", "signature", "arguments"} <= set(first)
    text = sm_lint("calls", "examples/demo/src", "--models", "examples/demo/models")
    assert text.stdout.splitlines()[-1] == "12 calls found (12 of signatures)"


def test_rules_command_documents_every_rule() -> None:
    result = sm_lint("rules")
    assert result.returncode == 0
    for code in ("SM001", "SM005", "SM012", "SM900"):
        assert code in result.stdout
    one = sm_lint("rules", "SM005")
    assert "dtype-mismatch" in one.stdout and "Bad:" in one.stdout and "Good:" in one.stdout


def test_version_imports_nothing_heavy() -> None:
    code = (
        "import sys\nfrom sm_lint.cli import main\nmain(['--version'])\n"
        "heavy = {'tensorflow', 'numpy', 'pygls', 'libcst', 'google.protobuf'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "sm-lint 0.1.0"


def test_lint_path_imports_neither_tensorflow_nor_numpy() -> None:
    code = (
        "import sys\n"
        "from sm_lint.api import lint_paths\n"
        "from sm_lint.config import Config\n"
        "from pathlib import Path\n"
        "config = Config(models=(Path('examples/demo/models'),))\n"
        "found = lint_paths(['examples/demo/src'], config)\n"
        "assert found, 'expected findings'\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
        "assert 'pygls' not in sys.modules, 'pygls imported'\n"
        "from sm_lint.cli import main\n"
        "main(['--version'])\n"
        "assert 'libcst' in sys.modules  # the lint above parsed files\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
