"""Conventions ruff users expect from the command line: where the cache goes, which findings
fail a run. Each test runs the real CLI in a subprocess on real files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.test_cli import DEMO, findings_json, sm_lint

BAD_CALL = DEMO / "src" / "predict_dense.py"


def _project(tmp_path: Path, settings: str = "") -> Path:
    """A project with the demo's dense model and one file with a dtype mistake."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    shutil.copytree(DEMO / "models", project / "models")
    shutil.copy(BAD_CALL, project / "src" / "predict_dense.py")
    (project / "pyproject.toml").write_text(
        f'[tool.sm-lint]\nmodels = ["models"]\n{settings}', encoding="utf-8"
    )
    return project


def _cache_entries(folder: Path) -> list[Path]:
    return list(folder.rglob("*.json")) if folder.exists() else []


def test_cache_is_not_written_into_a_project_merely_linted(tmp_path: Path) -> None:
    project = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = sm_lint(str(project / "src"), cwd=elsewhere)
    assert result.returncode == 1, result.stderr
    assert not (project / ".sm-lint").exists()
    assert _cache_entries(elsewhere / ".sm-lint" / "cache")


def test_cache_dir_flag_and_environment_variable(tmp_path: Path) -> None:
    project = _project(tmp_path)
    flag_dir, env_dir = tmp_path / "flag-cache", tmp_path / "env-cache"
    result = sm_lint("src", "--cache-dir", str(flag_dir), cwd=project)
    assert result.returncode == 1, result.stderr
    assert _cache_entries(flag_dir)
    result = sm_lint("src", cwd=project, env={"SM_LINT_CACHE_DIR": str(env_dir)})
    assert result.returncode == 1, result.stderr
    assert _cache_entries(env_dir)
    # The flag wins over the variable, as in ruff.
    both = tmp_path / "both"
    sm_lint("src", "--cache-dir", str(both), cwd=project, env={"SM_LINT_CACHE_DIR": str(env_dir)})
    assert _cache_entries(both)
    assert not (project / ".sm-lint").exists()
    assert (flag_dir / ".gitignore").read_text() == "*\n"


def test_cache_dir_from_configuration(tmp_path: Path) -> None:
    project = _project(tmp_path, 'cache-dir = "build/lint-cache"\n')
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1, result.stderr
    assert _cache_entries(project / "build" / "lint-cache")
    assert not (project / ".sm-lint").exists()


def test_bad_cache_dir_setting_is_a_configuration_error(tmp_path: Path) -> None:
    project = _project(tmp_path, "cache-dir = 3\n")
    result = sm_lint("src", cwd=project)
    assert result.returncode == 2
    assert "cache-dir" in result.stderr and "Traceback" not in result.stderr


def test_info_findings_are_shown_and_never_fail_the_run(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.sm-lint.severity]\nSM005 = "info"\nSM004 = "info"\n')
    findings = findings_json("src", cwd=project)
    assert findings and {f["severity"] for f in findings} == {"info"}
    result = sm_lint("src", cwd=project)
    assert result.returncode == 0, result.stdout
    assert "SM005" in result.stdout


def test_a_warning_still_fails_the_run(tmp_path: Path) -> None:
    project = _project(tmp_path, '[tool.sm-lint.severity]\nSM005 = "warning"\n')
    result = sm_lint("src", cwd=project)
    assert result.returncode == 1
    assert "SM005" in result.stdout


def test_missing_models_folder_is_a_warning_wherever_it_is_set(tmp_path: Path) -> None:
    project = _project(tmp_path)
    result = sm_lint("src", "--models", "models", "--models", "nope", cwd=project)
    assert result.returncode == 1  # the findings from the folder that exists still count
    assert "sm-lint: warning: --models nope: no such folder" in result.stderr
    assert "SM005" in result.stdout
    configured = _project(tmp_path / "second")
    text = (configured / "pyproject.toml").read_text()
    (configured / "pyproject.toml").write_text(text.replace('["models"]', '["models", "gone"]'))
    result = sm_lint("src", cwd=configured)
    assert result.returncode == 1
    assert "pyproject.toml: [tool.sm-lint] models:" in result.stderr
    assert "gone: no such folder" in result.stderr
    assert "SM005" in result.stdout


def test_show_takes_several_folders_and_folders_of_models(tmp_path: Path) -> None:
    models = DEMO / "models"
    text = sm_lint("show", str(models / "dense"), str(models / "two_inputs"))
    assert text.returncode == 0, text.stderr
    assert "keras_tensor" in text.stdout and "'serving_default'" in text.stdout
    assert str(models / "two_inputs") in text.stdout
    listed = sm_lint("show", str(models), "--format", "json")
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert sorted(Path(m["path"]).name for m in data) == sorted(
        p.name for p in models.iterdir() if p.is_dir()
    )
    # One model named directly keeps the documented single object.
    one = json.loads(sm_lint("show", str(models / "dense"), "--format", "json").stdout)
    assert isinstance(one, dict) and "serving_default" in one["signatures"]
    empty = tmp_path / "empty"
    empty.mkdir()
    mixed = sm_lint("show", str(models / "dense"), str(empty))
    assert mixed.returncode == 2
    assert "keras_tensor" in mixed.stdout
    assert "sm-lint: error:" in mixed.stderr and "Traceback" not in mixed.stderr


def test_check_is_the_explicit_form_and_a_folder_named_like_a_command(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "src").rename(project / "server")
    explicit = sm_lint("check", "server", cwd=project)
    assert explicit.returncode == 1, explicit.stderr
    assert "server/predict_dense.py" in explicit.stdout
    dotted = sm_lint("./server", cwd=project)
    assert dotted.returncode == 1 and "predict_dense.py" in dotted.stdout
    help_text = sm_lint("check", "--help").stdout
    assert "sm-lint check server" in " ".join(help_text.split())


def _demo(tmp_path: Path) -> Path:
    shutil.copytree(DEMO, tmp_path / "demo")
    return tmp_path / "demo"


def test_guesses_are_unsafe_fixes_applied_only_when_asked(tmp_path: Path) -> None:
    project = _demo(tmp_path)
    listed = findings_json("src", "--models", "models", cwd=project)
    by_code = {d["code"]: d["fix"] for d in listed if d["fix"] is not None}
    # Meaning-preserving: a cast to the one dtype, a positional made the keyword it binds to.
    assert by_code["SM005"]["applicability"] == "safe"
    assert by_code["SM004"]["applicability"] == "safe"
    # Names chosen by similarity are guesses.
    assert by_code["SM002"]["applicability"] == "unsafe"
    assert by_code["SM010"]["applicability"] == "unsafe"
    text = sm_lint("src", "--models", "models", cwd=project).stdout
    assert "= fix (unsafe): rename to a" in text
    assert "(2 fixable with --fix; 2 more with --unsafe-fixes)" in text

    multi = project / "src" / "multi_input.py"
    before = multi.read_text()
    safe_run = sm_lint("src", "--models", "models", "--fix", "--show-fixes", cwd=project)
    assert "input_a=" in multi.read_text() and multi.read_text() == before
    assert "Fixed 2 findings:" in safe_run.stdout
    assert "1 x SM005 (dtype-mismatch)" in safe_run.stdout
    unsafe_run = sm_lint("src", "--models", "models", "--fix", "--unsafe-fixes", cwd=project)
    assert "Fixed 2 findings." in unsafe_run.stdout
    assert "a=" in multi.read_text() and "input_a=" not in multi.read_text()
    left = {d["code"] for d in findings_json("src", "--models", "models", cwd=project)}
    assert not left & {"SM002", "SM010", "SM004", "SM005"}


def test_unsafe_fixes_from_configuration_and_overridden_by_the_flag(tmp_path: Path) -> None:
    project = _demo(tmp_path)
    (project / "pyproject.toml").write_text("[tool.sm-lint]\nunsafe-fixes = true\n")
    multi = project / "src" / "multi_input.py"
    before = multi.read_text()
    sm_lint("src", "--models", "models", "--fix", "--no-unsafe-fixes", cwd=project)
    assert multi.read_text() == before
    sm_lint("src", "--models", "models", "--fix", cwd=project)
    assert "input_a=" not in multi.read_text()


DEMO_ARGS = ("examples/demo/src", "--models", "examples/demo/models")


def test_output_format_with_format_as_alias() -> None:
    new = sm_lint(*DEMO_ARGS, "--output-format", "json")
    old = sm_lint(*DEMO_ARGS, "--format", "json")
    assert new.returncode == old.returncode == 1
    assert json.loads(new.stdout) == json.loads(old.stdout)


def test_full_is_the_default_format_and_concise_is_one_line_per_finding() -> None:
    full = sm_lint(*DEMO_ARGS)
    assert sm_lint(*DEMO_ARGS, "--output-format", "full").stdout == full.stdout
    assert sm_lint(*DEMO_ARGS, "--output-format", "text").stdout == full.stdout
    concise = sm_lint(*DEMO_ARGS, "--output-format", "concise")
    assert concise.returncode == full.returncode == 1
    findings = json.loads(sm_lint(*DEMO_ARGS, "--output-format", "json").stdout)
    lines = concise.stdout.strip().splitlines()
    heads = lines[: len(findings)]
    assert len(heads) == 7 and all(": SM0" in line for line in heads), concise.stdout
    assert "^" not in concise.stdout and " | " not in concise.stdout
    # The summary line stays; [*] marks exactly the findings --fix fixes (safe fixes).
    assert lines[-1] == full.stdout.strip().splitlines()[-1]
    marked = sum("[*]" in line for line in heads)
    safe = sum(1 for d in findings if d["fix"] and d["fix"]["applicability"] == "safe")
    assert marked == safe == 2


def test_output_file_receives_the_report(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = sm_lint(*DEMO_ARGS, "--output-format", "json", "-o", str(target))
    assert result.returncode == 1
    assert result.stdout == ""
    assert {d["code"] for d in json.loads(target.read_text())} >= {"SM005", "SM002"}
    unwritable = sm_lint(*DEMO_ARGS, "-o", str(tmp_path / "no" / "such" / "dir" / "r.txt"))
    assert unwritable.returncode == 2
    assert "--output-file" in unwritable.stderr and "Traceback" not in unwritable.stderr


def test_statistics_prints_only_the_table_and_has_a_json_form() -> None:
    text = sm_lint(*DEMO_ARGS, "--statistics")
    lines = text.stdout.strip().splitlines()
    assert lines and all("  SM0" in line for line in lines), text.stdout
    assert "    1  SM005  * dtype-mismatch" in lines
    rows = json.loads(sm_lint(*DEMO_ARGS, "--statistics", "--output-format", "json").stdout)
    by_code = {row["code"]: row for row in rows}
    assert by_code["SM005"] == {"code": "SM005", "name": "dtype-mismatch", "count": 1, "fixable": 1}
    assert by_code["SM002"]["fixable"] == 0  # its rename is unsafe
    assert sum(row["count"] for row in rows) == 7


def test_color_modes_and_environment() -> None:
    colored = sm_lint(*DEMO_ARGS, "--color", "always", env={"NO_COLOR": ""})
    assert "\x1b[" in colored.stdout
    never = sm_lint(*DEMO_ARGS, "--color", "never", env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[" not in never.stdout
    # auto: not a terminal, so plain, unless FORCE_COLOR; NO_COLOR wins over FORCE_COLOR.
    forced = sm_lint(*DEMO_ARGS, env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout
    both = sm_lint(*DEMO_ARGS, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in both.stdout
    dumb = sm_lint(*DEMO_ARGS, "--no-color", env={"NO_COLOR": "", "FORCE_COLOR": "1"})
    assert "\x1b[" not in dumb.stdout


def test_extend_select_adds_to_the_selection(tmp_path: Path) -> None:
    only = findings_json(*DEMO_ARGS, "--select", "SM005")
    assert {d["code"] for d in only} == {"SM005"}
    more = findings_json(*DEMO_ARGS, "--select", "SM005", "--extend-select", "SM002")
    assert {d["code"] for d in more} == {"SM005", "SM002"}
    # With no selection every rule is on: extending keeps them all.
    everything = findings_json(*DEMO_ARGS)
    assert findings_json(*DEMO_ARGS, "--extend-select", "SM002") == everything
    project = _project(tmp_path, 'select = ["SM004"]\nextend-select = ["SM005"]\n')
    assert {d["code"] for d in findings_json("src", cwd=project)} == {"SM004", "SM005"}


def test_verbose_explains_every_unchecked_call_and_what_would_make_it_checkable(
    tmp_path: Path,
) -> None:
    (tmp_path / "job.py").write_text(
        "import sys\n"
        "import tensorflow as tf\n"
        "m = tf.saved_model.load(sys.argv[1])\n"
        "m.signatures['serving_default'](x=1)\n"
        "n = tf.saved_model.load('nope/m')\n"
        "n.signatures['serving_default'](x=1)\n"
        "g = tf.saved_model.load('gs://bucket/m')\n"
        "g.signatures['serving_default'](x=1)\n"
    )
    result = sm_lint("job.py", "--verbose", cwd=tmp_path)
    err = result.stderr
    assert "job.py:3:25: sys.argv[1] not checked: the path is not known statically" in err
    assert "run the program once with `sm-lint run SCRIPT ARGS...`" in err
    assert "job.py:5:25: 'nope/m' not checked" in err.replace('"', "'")
    assert "pass --models with the folder that holds it" in err
    assert "[tool.sm-lint.model-paths]" in err.split("gs://bucket/m", 1)[1]
    for line in (4, 6, 8):
        assert f"job.py:{line}:1: call of signature 'serving_default' not checked" in err
    assert "job.py: 3 signature calls, 0 checked" in err


def test_verbose_hint_for_a_notebook_does_not_offer_sm_lint_run(tmp_path: Path) -> None:
    """`sm-lint run` does not record notebook load sites: the hint names what works there."""
    from tests.conftest import code_notebook

    cells = [
        "import sys\nimport tensorflow as tf\n",
        "m = tf.saved_model.load(sys.argv[1])\nm.signatures['serving_default'](x=1)\n",
    ]
    (tmp_path / "job.ipynb").write_text(json.dumps(code_notebook(cells)))
    err = sm_lint("job.ipynb", "--verbose", cwd=tmp_path).stderr
    assert "job.ipynb:cell 2:1:25: sys.argv[1] not checked" in err
    assert "sm-lint run" not in err
    assert "map the path in [tool.sm-lint.model-paths]" in err


def test_a_usage_error_is_one_line_with_a_did_you_mean_and_a_pointer_to_help() -> None:
    result = sm_lint("examples/demo/src", "--exit-zeroo")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "sm-lint: error: unrecognized arguments: --exit-zeroo (did you mean --exit-zero?)",
        "For more information, try 'sm-lint --help'.",
    ]
    assert "usage:" not in result.stderr


def test_rule_is_an_alias_of_rules() -> None:
    one, other = sm_lint("rule", "SM005"), sm_lint("rules", "SM005")
    assert one.returncode == other.returncode == 0
    assert one.stdout == other.stdout and one.stdout.startswith("SM005 dtype-mismatch")


def test_exit_non_zero_on_fix_fails_a_run_whose_fixes_left_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    fixed_file = project / "src" / "predict_dense.py"
    before = fixed_file.read_text()
    plain = sm_lint("src", "--fix", "--no-cache", cwd=project)
    assert plain.returncode == 0, plain.stdout + plain.stderr  # every finding was fixed
    assert fixed_file.read_text() != before
    fixed_file.write_text(before)
    strict = sm_lint("src", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=project)
    assert strict.returncode == 1, strict.stdout + strict.stderr
    # Nothing left to fix: exit 0 again.
    again = sm_lint("src", "--fix", "--exit-non-zero-on-fix", "--no-cache", cwd=project)
    assert again.returncode == 0, again.stdout + again.stderr


def test_show_files_lists_what_would_be_linted_and_lints_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path, 'extend-exclude = ["skipped"]\n')
    (project / "src" / "skipped").mkdir()
    (project / "src" / "skipped" / "gen.py").write_text("x = 1\n")
    (project / "src" / "notes.ipynb").write_text('{"cells": [], "nbformat": 4}')
    result = sm_lint("src", "--show-files", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        str((project / "src" / "notes.ipynb").resolve()),
        str((project / "src" / "predict_dense.py").resolve()),
    ]
    assert not (project / ".sm-lint").exists()


def test_show_settings_prints_the_settings_in_force(tmp_path: Path) -> None:
    project = _project(tmp_path, 'select = ["SM005"]\n')
    result = sm_lint("src", "--show-settings", "--ignore", "SM010", cwd=project)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"Resolved settings for: {(project / 'src' / 'predict_dense.py').resolve()}"
    assert lines[1] == f"Settings path: {(project / 'pyproject.toml').resolve()}"
    assert 'select = ["SM005"]' in lines
    assert 'ignore = ["SM010"]' in lines  # flags are applied


def test_a_file_level_noqa_comment_silences_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    source = (project / "src" / "predict_dense.py").read_text()
    assert {d["code"] for d in findings_json("src", "--no-cache", cwd=project)} >= {"SM005"}
    target = project / "src" / "predict_dense.py"
    target.write_text("# sm-lint: noqa: SM005\n" + source)
    codes = {d["code"] for d in findings_json("src", "--no-cache", cwd=project)}
    assert "SM005" not in codes and codes
    target.write_text("# sm-lint: noqa\n" + source)
    assert findings_json("src", "--no-cache", cwd=project) == []
    # Only a comment on its own line counts for the whole file.
    target.write_text("x = 1  # sm-lint: noqa\n" + source)
    assert {d["code"] for d in findings_json("src", "--no-cache", cwd=project)} >= {"SM005"}


UNUSED_NOQA = """import numpy as np
import tensorflow as tf

loaded = tf.saved_model.load("models/dense")
infer = loaded.signatures["serving_default"]
batch = np.random.rand(64, 5).astype(np.float32)
infer(keras_tensor=tf.constant(batch))  # noqa: SM005
infer(keras_tensor=tf.constant(batch, dtype=tf.float64))  # noqa: SM005
infer(keras_tensor=tf.constant(batch))  # noqa: SM005, E501
infer(keras_tensor=tf.constant(batch))  # noqa
infer(keras_tensor=tf.constant(batch))  # noqa: SM005, SM015
other = tf.saved_model.load("models/nowhere")  # noqa: SM011
other.signatures["x"](a=1)  # noqa: SM002
"""


def test_unused_noqa_codes_on_checked_calls_are_reported_and_fixed(tmp_path: Path) -> None:
    """Only sm-lint's own codes, only on a call whose model was found (elsewhere nothing was
    checked), never a bare noqa or other tools' codes; the fix removes just the stale code."""
    project = tmp_path / "p"
    shutil.copytree(DEMO / "models", project / "models")
    (project / "a.py").write_text(UNUSED_NOQA)
    found = findings_json("a.py", "--no-cache", cwd=project)
    assert [(d["line"], d["code"]) for d in found] == [(7, "SM015"), (9, "SM015")]
    assert found[0]["fix"]["applicability"] == "safe"
    # Not selected: not reported (a noqa code of an unselected rule is not judged either).
    assert findings_json("a.py", "--no-cache", "--select", "SM005", cwd=project) == []
    fixed = sm_lint("a.py", "--no-cache", "--fix", cwd=project)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    lines = (project / "a.py").read_text().splitlines()
    assert lines[6] == "infer(keras_tensor=tf.constant(batch))"
    assert lines[8] == "infer(keras_tensor=tf.constant(batch))  # noqa: E501"
    assert lines[7].endswith("# noqa: SM005") and lines[9].endswith("# noqa")
    assert lines[10].endswith("# noqa: SM005, SM015")  # it keeps its own, as asked
