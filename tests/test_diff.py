"""``sm-lint diff``: two versions of a model compared for their callers, and the call sites
the new version breaks. The versions are real SavedModels exported by TensorFlow (in a
session fixture); every call-site verdict is checked against real TensorFlow too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from sm_lint.models.compare import (
    compare_models,
    input_shape_change,
    output_shape_change,
)
from sm_lint.models.types import ModelSignatures, Shape, Signature, TensorSpec
from tests.conftest import cli_in_process, git
from tests.tf_support import run_with_tensorflow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "models"


# ------------------------------------------------------------------ the classification


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ((None, 4), (None, 4), False),
        ((8, 4), (None, 4), False),  # freed batch
        ((None, None), (None, 4), True),  # narrowed
        ((None, 4), (None, 5), True),  # a fixed dimension changed
        ((None, 4), (None, 4, 1), True),  # rank
        ((None, 4), None, False),  # any rank now
        (None, (None, 4), True),  # any rank before
        ((5, None), (None, 3), True),  # one freed, one narrowed: breaks
    ],
)
def test_input_shapes(old: Shape, new: Shape, breaking: bool) -> None:
    assert input_shape_change(old, new)[0] is breaking


@pytest.mark.parametrize(
    ("old", "new", "breaking"),
    [
        ((8, 4), (None, 4), False),  # a freed batch dimension follows its input
        ((None, None), (None, 4), False),
        ((None, 4), (None, 5), True),
        ((None, 4), (None,), True),
        ((None, 4), None, False),
    ],
)
def test_output_shapes(old: Shape, new: Shape, breaking: bool) -> None:
    assert output_shape_change(old, new)[0] is breaking


def _spec(name: str, dtype: str = "float32", shape: Shape = (None, 4), **kw: Any) -> TensorSpec:
    return TensorSpec(name, dtype, shape, **kw)


def _model(*sigs: Signature, tf2: bool = True) -> ModelSignatures:
    return ModelSignatures(Path("m"), ("serve",), {s.key: s for s in sigs}, tf2=tf2)


def _sig(inputs: list[TensorSpec], optional: frozenset[str] = frozenset(), **kw: Any) -> Signature:
    outputs = {"y": _spec("y")}
    return Signature(
        kw.pop("key", "serving_default"),
        kw.pop("method", "tensorflow/serving/predict"),
        {s.name: s for s in inputs},
        outputs,
        optional,
    )


def _kinds(old: ModelSignatures | None, new: ModelSignatures) -> set[tuple[str, str, bool]]:
    return {(c.kind, c.name, c.breaking) for c in compare_models(old, new).changes}


def test_optional_inputs_methods_encodings_and_positional_binding() -> None:
    base = _model(_sig([_spec("x")]))
    optional = _model(_sig([_spec("x"), _spec("k", "int32", ())], frozenset({"k"})))
    assert _kinds(base, optional) == {("input-added", "k", False)}
    assert _kinds(optional, base) == {("input-removed", "k", True)}
    required = _model(_sig([_spec("x"), _spec("k", "int32", ())]))
    assert _kinds(optional, required) == {("input-required", "k", True)}
    assert _kinds(required, optional) == {("input-optional", "k", False)}
    classify = _model(_sig([_spec("x")], method="tensorflow/serving/classify"))
    assert _kinds(base, classify) == {("method", "serving_default", True)}
    sparse = _model(_sig([_spec("x", encoding="coo_sparse")]))
    assert _kinds(base, sparse) == {("input-encoding", "x", True)}
    tf1 = _model(_sig([_spec("x")]), tf2=False)
    assert _kinds(tf1, base) == {("positional", "serving_default", True)}
    assert _kinds(base, tf1) == {("positional", "serving_default", False)}
    # A model that did not exist before: every signature is new.
    assert _kinds(None, base) == {("signature-added", "serving_default", False)}
    assert compare_models(base, base).changes == ()
    assert [s.status for s in compare_models(base, base).signatures] == ["unchanged"]


# ------------------------------------------------------------------ real exported versions


@pytest.fixture(scope="session")
def versions(tmp_path_factory: pytest.TempPathFactory, make_models: ModuleType) -> Path:
    """Every pair of :data:`VERSION_PAIRS` exported by TensorFlow: NAME/old, NAME/new."""
    out = tmp_path_factory.mktemp("versions")
    make_models.build_version_pairs(out)
    return out


#: Pair -> the changes (kind, name, breaking) sm-lint must report.
EXPECTED_CHANGES = {
    "renamed_input": {("input-removed", "x", True), ("input-added", "features", True)},
    "dtype_change": {("input-dtype", "x", True)},
    "freed_batch": {("input-shape", "x", False), ("output-shape", "y", False)},
    "narrowed_dimension": {("input-shape", "x", True), ("output-shape", "y", False)},
    "added_output": {("output-added", "score", False)},
    "added_input": {("input-added", "mask", True)},
    "removed_signature": {("signature-removed", "extra", True)},
    "added_signature": {("signature-added", "extra", False)},
}

#: Pair -> a call that works with the old version, and the codes linting it against the new
#: one adds (none: the call still works).
CALLS = {
    "renamed_input": ('infer(x=np.zeros((8, 4), np.float32))["y"]', {"SM002"}),
    "dtype_change": ('infer(x=tf.constant(np.zeros((8, 4), np.float32)))["y"]', {"SM005"}),
    "freed_batch": ('infer(x=tf.constant(np.zeros((8, 4), np.float32)))["y"]', set()),
    "narrowed_dimension": ('infer(x=np.zeros((8, 3), np.float32))["y"]', {"SM008"}),
    "added_output": ('infer(x=np.zeros((2, 4), np.float32))["y"]', set()),
    "added_input": ('infer(x=np.zeros((2, 4), np.float32))["y"]', {"SM003"}),
    "removed_signature": (
        'loaded.signatures["extra"](x=np.zeros((2, 4), np.float32))["y"]',
        {"SM001"},
    ),
    "added_signature": ('infer(x=np.zeros((2, 4), np.float32))["y"]', set()),
}

# A call already wrong with the old version: never reported as broken by the new one.
ALREADY_BROKEN = "infer(no_such_input=np.zeros((2, 4), np.float32))"


def _program(model: Path, call: str, already_broken: bool = True) -> str:
    return (
        "import numpy as np\nimport tensorflow as tf\n\n"
        f"loaded = tf.saved_model.load({str(model)!r})\n"
        'infer = loaded.signatures["serving_default"]\n'
        f"{call}\n" + (f"{ALREADY_BROKEN}\n" if already_broken else "")
    )


def _diff_json(*args: str) -> tuple[int, Any, str]:
    code, out, err = cli_in_process(["diff", *args, "--format", "json"])
    return code, json.loads(out) if out.strip() else None, err


@pytest.mark.parametrize("name", sorted(EXPECTED_CHANGES))
def test_classification_of_real_versions(versions: Path, name: str) -> None:
    old, new = versions / name / "old", versions / name / "new"
    code, report, err = _diff_json(str(old), str(new))
    assert err == ""
    got = {
        (c["kind"], c["name"], c["breaking"])
        for sig in report["signatures"].values()
        for c in sig["changes"]
    }
    assert got == EXPECTED_CHANGES[name]
    breaking = any(b for _, _, b in EXPECTED_CHANGES[name])
    assert report["breaking"] is breaking
    assert code == (1 if breaking else 0)
    assert report["old"] == str(old) and report["new"] == str(new)
    assert report["findings"] == []
    for sig in report["signatures"].values():
        assert set(sig) == {"status", "breaking", "changes"}
        for change in sig["changes"]:
            assert set(change) == {"kind", "name", "old", "new", "breaking", "reason"}


def test_json_values_of_changes(versions: Path) -> None:
    _, report, _ = _diff_json(
        str(versions / "dtype_change/old"), str(versions / "dtype_change/new")
    )
    (change,) = report["signatures"]["serving_default"]["changes"]
    assert (change["old"], change["new"]) == ("float32", "float64")
    _, report, _ = _diff_json(str(versions / "freed_batch/old"), str(versions / "freed_batch/new"))
    shapes = {
        c["name"]: (c["old"], c["new"]) for c in report["signatures"]["serving_default"]["changes"]
    }
    assert shapes["x"] == ([8, 4], [None, 4])
    _, report, _ = _diff_json(str(versions / "added_input/old"), str(versions / "added_input/new"))
    (change,) = report["signatures"]["serving_default"]["changes"]
    assert change["old"] is None and change["new"] == {"dtype": "bool", "shape": [None]}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_call_sites_the_new_version_breaks(versions: Path, tmp_path: Path, name: str) -> None:
    old, new = versions / name / "old", versions / name / "new"
    call, codes = CALLS[name]
    source = tmp_path / "src" / "app.py"
    source.parent.mkdir()
    source.write_text(_program(old, call))
    exit_code, report, err = _diff_json(str(old), str(new), str(tmp_path / "src"))
    assert err == ""
    assert {f["code"] for f in report["findings"]} == codes
    assert all(f["line"] == 6 and f["path"] == str(source) for f in report["findings"])
    assert exit_code == (1 if codes or report["breaking"] else 0)
    # Real TensorFlow agrees: the call works with the old version, and fails with the new
    # one exactly where sm-lint reports it.
    assert run_with_tensorflow(_program(old, call, already_broken=False)).ok
    assert run_with_tensorflow(_program(new, call, already_broken=False)).ok is (not codes)


def test_text_output_and_call_sites_loaded_by_the_new_folder(
    versions: Path, tmp_path: Path
) -> None:
    old, new = versions / "renamed_input" / "old", versions / "renamed_input" / "new"
    source = tmp_path / "app.py"
    # The code loads the NEW folder: linted against each version all the same.
    source.write_text(_program(new, CALLS["renamed_input"][0], already_broken=False))
    code, out, err = cli_in_process(["diff", str(old), str(new), str(source)])
    assert code == 1 and err == ""
    assert "breaking    input 'x' removed (was float32 (?, 4))" in out
    assert "renamed from 'x'?" in out
    assert "Call sites the new version breaks:" in out
    assert f"{source}:6:7: SM002 'x' is not an input" in out
    assert out.rstrip().endswith(
        "2 breaking changes, 0 compatible, 1 call-site finding the new version adds."
    )


def test_a_model_given_by_its_saved_model_pb(versions: Path) -> None:
    pair = versions / "added_output"
    code, report, _ = _diff_json(str(pair / "old" / "saved_model.pb"), str(pair / "new"))
    assert code == 0 and report["signatures"]["serving_default"]["status"] == "changed"


# ------------------------------------------------------------------ --against a git revision


def _repo(tmp_path: Path, versions: Path, name: str) -> Path:
    """A git repository whose commit has NAME/old at models/m and src/app.py calling it;
    the working tree then has NAME/new there."""
    repo = tmp_path / "repo"
    model = repo / "models" / "m"
    shutil.copytree(versions / name / "old", model)
    (repo / "src").mkdir()
    call = CALLS[name][0]
    (repo / "src" / "app.py").write_text(
        _program(Path("models/m"), call).replace("'models/m'", "'../models/m'")
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v1")
    shutil.rmtree(model)
    shutil.copytree(versions / name / "new", model)
    return repo


def test_against_head_in_a_real_repository(
    versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, versions, "dtype_change")
    monkeypatch.chdir(repo)
    code, report, err = _diff_json("models/m", "--against", "HEAD", "src")
    assert err == ""
    assert code == 1
    assert report["old"] == "HEAD:models/m/saved_model.pb" and report["new"] == "models/m"
    assert {(c["kind"], c["name"]) for c in report["signatures"]["serving_default"]["changes"]} == {
        ("input-dtype", "x")
    }
    assert [(f["code"], f["path"], f["line"]) for f in report["findings"]] == [
        ("SM005", "src/app.py", 6)
    ]
    # As pre-commit passes it: the model file, beside the PATH, in any order.
    code, report, _ = _diff_json(".", "--against", "HEAD", "models/m/saved_model.pb")
    assert code == 1 and [f["code"] for f in report["findings"]] == ["SM005"]
    # Committed: nothing differs from HEAD any more.
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v2")
    code, out, err = cli_in_process(["diff", "models/m", "--against", "HEAD", "src"])
    assert (code, err) == (0, "")
    assert "unchanged   signature 'serving_default'" in out
    # And against the first commit again, by its name.
    code, report, _ = _diff_json("models/m", "--against", "HEAD~1")
    assert code == 1 and report["old"] == "HEAD~1:models/m/saved_model.pb"


def test_against_a_model_new_in_the_working_tree(
    versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    monkeypatch.chdir(repo)
    shutil.copytree(versions / "added_output" / "new", repo / "m")
    # No commit yet (the first commit): every signature is new, nothing breaks.
    code, report, err = _diff_json("m", "--against", "HEAD")
    assert (code, err) == (0, "")
    assert report["signatures"]["serving_default"]["status"] == "added"
    (repo / "README").write_text("x")
    git(repo, "add", "README")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v1")
    code, out, _ = cli_in_process(["diff", "m", "--against", "HEAD"])
    assert code == 0 and "not at HEAD: a new model" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["models/m", "--against", "no-such-rev"], "--against no-such-rev: not a git revision"),
        (["src", "--against", "HEAD"], "--against HEAD: name a SavedModel folder"),
        (["models/m", "--against", "HEAD", "missing_src"], "missing_src: no such file"),
    ],
)
def test_against_errors(
    versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], needle: str
) -> None:
    repo = _repo(tmp_path, versions, "dtype_change")
    monkeypatch.chdir(repo)
    code, out, err = cli_in_process(["diff", *args])
    assert code == 2 and out == ""
    assert err.startswith("sm-lint: error: ") and needle in err and "Traceback" not in err


def test_a_corrupt_model_at_the_revision_is_named_by_its_revision(
    versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path, versions, "dtype_change")
    monkeypatch.chdir(repo)
    good = (repo / "models/m/saved_model.pb").read_bytes()
    (repo / "models/m/saved_model.pb").write_bytes(good[: len(good) // 2])
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "bad")
    (repo / "models/m/saved_model.pb").write_bytes(good)
    code, out, err = cli_in_process(["diff", "models/m", "--against", "HEAD"])
    assert code == 2 and out == ""
    assert err.startswith("sm-lint: error: HEAD:models/m/saved_model.pb: corrupt"), err
    assert len(err.strip().splitlines()) == 1


def test_against_outside_a_repository(
    versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(versions / "dtype_change" / "new", tmp_path / "m")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, _, err = cli_in_process(["diff", "m", "--against", "HEAD"])
    assert code == 2 and "not inside a git repository" in err


# ------------------------------------------------------------------ usage and read errors


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        ("missing", "no such file or directory"),
        ("corrupt", "corrupt or truncated SavedModel"),
        ("empty", "file is empty"),
        ("one", "diff needs OLD and NEW"),
    ],
)
def test_errors_exit_two_with_one_line(tmp_path: Path, make: str, needle: str) -> None:
    good = str(FIXTURES / "keras_export_dense")
    bad = tmp_path / "bad"
    bad.mkdir()
    args = [good, str(bad)]
    if make == "missing":
        args = [good, str(tmp_path / "nope")]
    elif make == "corrupt":
        (bad / "saved_model.pb").write_bytes(b"\x0a\xff\xff\xff\xff garbage")
    elif make == "empty":
        (bad / "saved_model.pb").write_bytes(b"")
    else:
        args = [good]
    code, out, err = cli_in_process(["diff", *args])
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("sm-lint: error: ") and needle in err


def test_help_names_both_forms_and_the_classification() -> None:
    code, out, _ = cli_in_process(["diff", "-h"])
    assert code == 0
    assert "sm-lint diff OLD NEW [PATH ...]" in out
    assert "--against REV MODEL" in out
    assert "narrowed" in out and "freed" in out


def test_diff_imports_neither_tensorflow_nor_numpy() -> None:
    models = FIXTURES
    code = (
        "import sys\nfrom sm_lint.cli import main\n"
        f"rc = main(['diff', {str(models / 'keras_export_dense')!r}, "
        f"{str(models / 'keras_float64')!r}, 'examples/demo/src', '--format', 'json'])\n"
        "assert rc == 1, rc\n"
        "assert 'tensorflow' not in sys.modules and 'numpy' not in sys.modules\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------ the pre-commit hook


def test_hook_manifest_runs_on_model_files_against_head() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    hook = hooks["sm-lint-diff"]
    assert hook["entry"] == "sm-lint diff --against HEAD"
    assert hook["files"] == r"saved_model\.pb$"
    assert hook["args"] == ["."]
    assert hook.get("pass_filenames", True) is True


def test_hook_command_on_a_staged_model(
    versions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What pre-commit runs (entry, args, the staged saved_model.pb) in a real repository."""
    hook = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}[
        "sm-lint-diff"
    ]
    repo = _repo(tmp_path, versions, "renamed_input")
    git(repo, "add", "-A")
    monkeypatch.chdir(repo)
    argv = [*hook["entry"].split()[1:], *hook["args"], "models/m/saved_model.pb"]
    code, out, err = cli_in_process(argv)
    assert code == 1 and err == ""
    assert "src/app.py:6:7: SM002 'x' is not an input" in out


def test_readme_worked_example(
    make_models: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's "Model versions" example, reproduced: its output is sm-lint's own."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Model versions")[1].split("```console\n")[1].split("```")[0]
    command, *expected = block.splitlines()
    repo = tmp_path / "repo"
    base = {"x": ("float32", [None, 4])}
    make_models.build_signatures(repo / "models" / "dense", {"serving_default": (base, ("y",))})
    (repo / "src").mkdir()
    (repo / "src" / "predict.py").write_text(
        "import numpy as np\nimport tensorflow as tf\n\n"
        'model = tf.saved_model.load("models/dense")\n'
        'infer = model.signatures["serving_default"]\n'
        'print(infer(x=np.zeros((2, 4), np.float32))["y"])\n'
    )
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v1")
    renamed = {"features": ("float32", [None, 4])}
    make_models.build_signatures(
        repo / "models" / "dense",
        {"serving_default": (renamed, ("y", "score")), "embed": (base, ("y",))},
    )
    monkeypatch.chdir(repo)
    monkeypatch.setenv("NO_COLOR", "1")
    assert command.startswith("$ sm-lint ")
    code, out, err = cli_in_process(command.removeprefix("$ sm-lint ").split())
    assert (code, err) == (1, "")
    assert out.splitlines() == expected


def test_pre_commit_runs_the_diff_hook_on_a_staged_model(
    versions: Path, tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    """The real ``pre-commit``: a staged re-export that breaks a caller fails the commit's
    check, naming the call site; a compatible one passes."""
    exe = shutil.which("pre-commit")
    command = [exe] if exe else [sys.executable, "-m", "pre_commit"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"}
    for name, expected in (("renamed_input", 1), ("added_output", 0)):
        repo = _repo(tmp_path / name, versions, name)
        url, rev = hook_repo
        (repo / ".pre-commit-config.yaml").write_text(
            f"repos:\n- repo: {url}\n  rev: {rev}\n  hooks:\n  - id: sm-lint-diff\n"
        )
        git(repo, "add", "-A")
        result = subprocess.run(
            [*command, "run"], cwd=repo, capture_output=True, text=True, env=env, timeout=900
        )
        assert result.returncode == expected, result.stdout + result.stderr
        if expected:
            assert "breaking    input 'x' removed" in result.stdout
            assert "src/app.py:6:7: SM002 'x' is not an input" in result.stdout
        else:
            assert "Passed" in result.stdout


def test_the_linter_reads_a_substitute_wherever_a_load_resolves_to_the_model() -> None:
    """The public seam ``sm-lint diff`` lints through: ``Config.model_substitutes``."""
    from sm_lint.api import Linter
    from sm_lint.config import Config
    from sm_lint.models import resolve_model_dir

    dense, float64 = FIXTURES / "keras_export_dense", FIXTURES / "keras_float64"
    source = (
        "import numpy as np\nimport tensorflow as tf\n"
        f"m = tf.saved_model.load({str(dense)!r})\n"
        'm.signatures["serving_default"](keras_tensor=tf.constant(np.zeros((2, 5), np.float32)))\n'
    )
    assert Linter(Config()).lint_source(source, "app.py") == []
    substitutes = {resolve_model_dir(dense).resolve(): float64}
    found = Linter(Config(model_substitutes=substitutes)).lint_source(source, "app.py")
    # The finding names the folder the code loads, not the stand-in.
    assert [(d.code, Path(d.model or "").resolve()) for d in found] == [("SM005", dense)]
