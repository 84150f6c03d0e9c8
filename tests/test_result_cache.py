"""The result cache (sm_lint/results.py): a warm run prints exactly what a ``--no-cache`` run
prints, whatever changed in between: a source file, a ``# noqa``, a model, the settings,
``.sm-lint/observed.json``, a TF Hub cache entry, a renamed or merely touched file.

Real parts only: the CLI in subprocesses, real SavedModels from tests/fixtures. Files are
aged (their mtime set in the past) where a test needs the cache to answer: an entry is not
stored for a file changed within the last second (results.RACY_NS), so without aging every
run in a fast test would analyse everything and prove nothing. Whether a run was answered
entirely from the cache is seen from outside: such a run does not rewrite the index.

``SM_LINT_FUZZ_BUDGET`` (a float, default 1) scales the random change sequences.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sm_lint import observed
from sm_lint.models import read_signatures

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo"
FIXTURES = Path(__file__).parent / "fixtures" / "models"
BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")
HANDLE = "https://tfhub.dev/google/some-model/1"
KAGGLE = "google/dense/tensorFlow2/small"


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "demo"
    shutil.copytree(DEMO, project)
    (project / "pyproject.toml").write_text("[tool.sm-lint]\nmodels = ['models']\n")
    return project


def _age(root: Path, seconds: float = 100.0) -> None:
    """Every file and folder below *root* (and *root*) modified in the last 10 seconds now
    last modified *seconds* ago; the others keep their stamps (and their cache entries)."""
    now = time.time()
    stamp = now - seconds
    for path in [*sorted(root.rglob("*"), reverse=True), root]:
        if not path.is_symlink() and path.stat().st_mtime > now - 10:
            os.utime(path, (stamp, stamp))


def _sm_lint(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "sm_lint", "src", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def _index(project: Path) -> dict[str, tuple[int, int]]:
    """The result cache's index files, each with its mtime and inode (a rewrite changes
    the inode: it is an atomic rename)."""
    folder = project / ".sm-lint" / "cache" / "results"
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in sorted(folder.glob("*.json"))}


def _agree(project: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """The warm run's output, checked against a --no-cache run's."""
    warm = _sm_lint(project, *args, env=env)
    assert warm == _sm_lint(project, *args, "--no-cache", env=env)
    return warm


def test_an_unchanged_tree_is_answered_from_the_cache(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    first = _agree(project)
    assert "SM010" in first
    index = _index(project)
    assert len(index) == 1
    assert _sm_lint(project) == first
    assert _index(project) == index  # nothing analysed: the index was not rewritten
    # JSON carries the fixes too; it has its own entries' worth of detail.
    assert _agree(project, "--format", "json") == _sm_lint(project, "--format", "json")


def test_a_recently_changed_file_is_never_stored(tmp_path: Path) -> None:
    """A file changed within the timestamp granularity could change again unseen. Its stamp
    is set ahead of the clock (as clock skew leaves one), so that however slowly the run
    starts, the file still counts as just changed."""
    project = _project(tmp_path)
    _age(project)
    changed = project / "src" / "good.py"
    changed.write_text(changed.read_text() + "\n")
    ahead = time.time() + 600
    os.utime(changed, (ahead, ahead))
    _agree(project)
    (entries,) = [
        json.loads(p.read_text()) for p in (project / ".sm-lint/cache/results").glob("*.json")
    ]
    assert "src/good.py" not in entries["files"]
    assert "src/classify.py" in entries["files"]


def test_changed_source_noqa_touch_and_same_stamp_edits(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    classify = project / "src" / "classify.py"
    before = _agree(project)
    # A noqa comment is in the file: its stat changes with it.
    classify.write_text(
        classify.read_text().replace("classify(image=one)", "classify(image=one)  # noqa")
    )
    _age(project)
    after = _agree(project)
    assert after != before and after.count("SM007") < before.count("SM007")
    # Touched with the same content: the same findings.
    os.utime(classify)
    assert _agree(project) == after
    # Same size, same mtime, other content (as `cp -p` or an archive can leave it): the
    # change time still differs, so the file is analysed again.
    _age(project)
    index = _index(project)
    assert _agree(project) == after
    assert _index(project) != index  # stored now (the touch was too recent to trust)
    stamp = classify.stat()
    text = classify.read_text()
    classify.write_text(text.replace('scores["predictions"]', 'scores["predictionz"]'))
    assert classify.stat().st_size == stamp.st_size
    os.utime(classify, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    changed = _agree(project)
    assert "predictionz" in changed and changed != after


def test_a_renamed_file_reports_its_new_name(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    _agree(project)
    (project / "src" / "classify.py").rename(project / "src" / "renamed.py")
    _age(project)
    out = _agree(project)
    assert "src/renamed.py" in out and "src/classify.py" not in out
    (index,) = [
        json.loads(p.read_text()) for p in (project / ".sm-lint/cache/results").glob("*.json")
    ]
    assert "src/classify.py" not in index["files"]  # a deleted file's entry is dropped


def test_a_changed_model_is_read_afresh(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    before = _agree(project)
    target = project / "models" / "image_classifier"
    shutil.rmtree(target)
    shutil.copytree(FIXTURES / "module_multi", target)  # serving_default: x float32 (?, 4)
    _age(project)
    after = _agree(project)
    assert after != before and "'x'" in after
    shutil.rmtree(target)  # gone: the load is not found any more
    _age(project)
    gone = _agree(project)
    assert gone != after
    index = _index(project)
    assert _agree(project) == gone and _index(project) == index


def test_a_model_edited_in_place_with_the_same_size_and_mtime(tmp_path: Path) -> None:
    """saved_model.pbtxt's input dtype changed, byte count and mtime kept."""
    project = _project(tmp_path)
    (project / "models" / "text").mkdir()
    shutil.copytree(FIXTURES / "text_format", project / "models" / "text", dirs_exist_ok=True)
    pbtxt = project / "models" / "text" / "saved_model.pbtxt"
    source = project / "src" / "text_call.py"
    source.write_text(
        "import numpy as np\nimport tensorflow as tf\n"
        'm = tf.saved_model.load("models/text")\n'
        'f = m.signatures["serving_default"]\n'
        "f(x=tf.constant(np.zeros((2, 4), dtype=np.float32)))\n"
    )
    _age(project)
    before = _agree(project)
    stamp = pbtxt.stat()
    text = pbtxt.read_text()
    assert "DT_FLOAT" in text
    pbtxt.write_text(text.replace("DT_FLOAT", "DT_INT32"))
    assert pbtxt.stat().st_size == stamp.st_size
    os.utime(pbtxt, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    after = _agree(project)
    assert after != before


def test_changed_settings_use_another_index(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    everything = _agree(project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "ignore = ['SM010']\n")
    _age(project)
    fewer = _agree(project)
    assert "SM010" in everything and "SM010" not in fewer
    assert "SM010" not in _agree(project, "--select", "SM0")
    assert len(_index(project)) == 3


def test_observed_models_are_followed(tmp_path: Path) -> None:
    project = _project(tmp_path)
    shutil.copytree(FIXTURES / "keras_export_dense", project / "model")
    script = project / "src" / "app.py"
    script.write_text(
        "import sys\nimport numpy as np\nimport tensorflow as tf\n"
        "m = tf.saved_model.load(sys.argv[1])\n"
        'f = m.signatures["serving_default"]\n'
        "f(keras_tensor=tf.constant(np.zeros((2, 5))))\n"
    )
    _age(project)
    unknown = _agree(project)
    assert "app.py" not in unknown  # the model is not known statically
    lines = observed.source_lines(script.read_text())
    site = observed.ModelSite(
        4,
        4,
        observed.source_text(lines, 4, 4),
        (observed.ObservedLoad("model", None, read_signatures(project / "model")),),
    )
    observed.save(project, {}, {observed.site_key(project, str(script), 4): site})
    _age(project)
    seen = _agree(project)
    assert "app.py" in seen and "SM005" in seen  # float64 tensor into a float32 input
    shutil.rmtree(project / "model")
    shutil.copytree(FIXTURES / "keras_float64", project / "model")
    _age(project)
    refit = _agree(project)
    assert "app.py" not in refit  # re-exported with float64 inputs: the folder wins


def test_a_hub_handle_cached_later_is_checked(tmp_path: Path) -> None:
    project = _project(tmp_path)
    hub_cache = tmp_path / "tfhub"
    hub_cache.mkdir()
    env = {"TFHUB_CACHE_DIR": str(hub_cache)}
    (project / "src" / "hub_call.py").write_text(
        "import numpy as np\nimport tensorflow as tf\nimport tensorflow_hub as hub\n"
        f"m = hub.load({HANDLE!r})\n"
        'f = m.signatures["serving_default"]\n'
        "f(wrong=tf.constant(np.zeros((2, 5), dtype=np.float32)))\n"
    )
    _age(project)
    _age(hub_cache)
    before = _agree(project, env=env)
    assert "hub_call.py" not in before  # not in the TF Hub cache yet: not checked
    folder = hub_cache / hashlib.sha1(HANDLE.encode()).hexdigest()
    shutil.copytree(FIXTURES / "keras_export_dense", folder)
    _age(hub_cache)
    after = _agree(project, env=env)
    assert "hub_call.py" in after and "SM002" in after
    shutil.rmtree(folder)
    _age(hub_cache)
    assert "hub_call.py" not in _agree(project, env=env)


def test_a_newer_kaggle_version_is_followed(tmp_path: Path) -> None:
    """Without a version, the highest complete one in kagglehub's cache: a listing, so a
    version added later (its marker last) must change the findings."""
    project = _project(tmp_path)
    kaggle = tmp_path / "kaggle"
    variation = kaggle / "models" / "google" / "dense" / "tensorFlow2" / "small"
    shutil.copytree(FIXTURES / "keras_export_dense", variation / "1")
    (variation / "1.complete").touch()
    env = {"KAGGLEHUB_CACHE": str(kaggle)}
    (project / "src" / "kaggle_call.py").write_text(
        "import tensorflow as tf\nimport kagglehub\n"
        f"m = tf.saved_model.load(kagglehub.model_download({KAGGLE!r}))\n"
        'm.signatures["serving_default"](keras_tensor=tf.zeros((2, 5)))\n'
    )
    _age(project)
    _age(kaggle)
    before = _agree(project, env=env)
    assert "kaggle_call.py" not in before  # float32 zeros of shape (2, 5): accepted
    shutil.copytree(FIXTURES / "module_multi", variation / "2")
    _age(kaggle)
    assert _agree(project, env=env) == before  # no marker yet: version 2 is not complete
    (variation / "2.complete").touch()
    _age(kaggle)
    after = _agree(project, env=env)
    assert "kaggle_call.py" in after and "SM002" in after


def test_a_corrupt_index_is_ignored_and_replaced(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    expected = _agree(project)
    (index,) = (project / ".sm-lint" / "cache" / "results").glob("*.json")
    for garbage in ('{"schema": 1, "files": {"src/classify.py": [1]}, "logs": {}}', "{", ""):
        index.write_text(garbage)
        assert _sm_lint(project) == expected
    json.loads(index.read_text())  # rewritten whole


def test_cache_dir_and_no_cache(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    elsewhere = tmp_path / "elsewhere"
    expected = _sm_lint(project, "--no-cache")
    assert not (project / ".sm-lint").exists()
    assert _sm_lint(project, "--cache-dir", str(elsewhere)) == expected
    assert list((elsewhere / "results").glob("*.json"))
    assert not (project / ".sm-lint").exists()
    assert _sm_lint(project, "--cache-dir", str(elsewhere)) == expected


# ------------------------------------------------------------ random change sequences
_EDITS = [
    ('scores["predictions"]', 'scores["probabilities"]'),
    ("np.random.rand(4, 8, 8, 3)", "np.random.rand(4, 8, 8)"),
    ("classify(image=one)", "classify(image=one)  # noqa"),
    ("classify(image=one)", "classify(picture=one)"),
]


def _change(project: Path, rng: random.Random, hub_cache: Path) -> str:
    """One random change to the project; returns what it was."""
    sources = sorted((project / "src").glob("*.py"))
    kind = rng.choice(
        [
            *("edit", "edit", "touch", "rename", "model", "model", "config"),
            *("observed", "hub", "kaggle", "stamp", "shadow"),
        ]
    )
    if kind == "edit":
        file = rng.choice(sources)
        text = file.read_text()
        old, new = rng.choice(_EDITS)
        if rng.random() < 0.5:
            old, new = new, old
        file.write_text(text.replace(old, new) if old in text else text + f"\n# {new}\n")
    elif kind == "touch":
        os.utime(rng.choice(sources))
    elif kind == "rename":
        file = rng.choice(sources)
        file.rename(file.with_name(f"r{rng.randrange(1000)}_{file.name}"))
    elif kind == "model":
        name = rng.choice(["dense", "image_classifier", "two_inputs"])
        target = project / "models" / name
        shutil.rmtree(target, ignore_errors=True)
        choice = rng.choice(["demo", "fixture", "gone"])
        if choice == "demo":
            shutil.copytree(DEMO / "models" / name, target)
        elif choice == "fixture":
            shutil.copytree(FIXTURES / rng.choice(["module_multi", "keras_float64"]), target)
        kind = f"model {name} -> {choice}"
    elif kind == "config":
        table = rng.choice(
            [
                "",
                "ignore = ['SM010']\n",
                "select = ['SM00']\n",
                "[tool.sm-lint.severity]\nSM006 = 'error'\n",
            ]
        )
        (project / "pyproject.toml").write_text(f"[tool.sm-lint]\nmodels = ['models']\n{table}")
    elif kind == "observed":
        file = project / ".sm-lint" / "observed.json"
        if file.exists():
            file.unlink()
        else:
            (project / "model").mkdir(exist_ok=True)
            shutil.copytree(FIXTURES / "keras_export_dense", project / "model", dirs_exist_ok=True)
            script = project / "src" / "app.py"
            script.write_text(
                "import sys\nimport tensorflow as tf\nm = tf.saved_model.load(sys.argv[1])\n"
                'm.signatures["serving_default"](wrong=tf.zeros((2, 5)))\n'
            )
            lines = observed.source_lines(script.read_text())
            load = observed.ObservedLoad("model", None, read_signatures(project / "model"))
            site = observed.ModelSite(3, 3, observed.source_text(lines, 3, 3), (load,))
            observed.save(project, {}, {observed.site_key(project, str(script), 3): site})
    elif kind == "hub":
        folder = hub_cache / hashlib.sha1(HANDLE.encode()).hexdigest()
        if folder.exists():
            shutil.rmtree(folder)
        else:
            shutil.copytree(FIXTURES / "keras_export_dense", folder)
    elif kind == "kaggle":
        variation = hub_cache.parent / "kaggle" / "models" / "google" / "dense"
        variation = variation / "tensorFlow2" / "small"
        version = rng.choice([1, 2])
        folder = variation / str(version)
        if folder.exists():
            (variation / f"{version}.complete").unlink(missing_ok=True)
            shutil.rmtree(folder)
        else:
            source = "keras_export_dense" if version == 1 else "module_multi"
            shutil.copytree(FIXTURES / source, folder)
            (variation / f"{version}.complete").touch()
        kind = f"kaggle version {version}"
    elif kind == "shadow":
        # classify.py loads "examples/demo/models/image_classifier": a folder of that name
        # next to the file, or in the project root, comes before the models folder.
        base = rng.choice([project / "src", project])
        target = base / "examples" / "demo" / "models" / "image_classifier"
        if target.exists():
            shutil.rmtree(base / "examples")
        else:
            shutil.copytree(FIXTURES / rng.choice(["module_multi", "keras_float64"]), target)
        kind = f"shadow in {base.name}"
    else:  # same size, same mtime, another content
        file = rng.choice(sources)
        stamp = file.stat()
        text = file.read_text()
        swapped = text.replace("(4, 8, 8, 3)", "(4, 8, 9, 3)", 1)
        if swapped == text:
            swapped = text.replace("(4, 8, 9, 3)", "(4, 8, 8, 3)", 1)
        file.write_text(swapped)
        os.utime(file, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    return kind


@pytest.mark.parametrize("seed", range(max(1, round(3 * BUDGET))))
def test_random_changes_warm_equals_no_cache(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    project = _project(tmp_path)
    hub_cache = tmp_path / "tfhub"
    hub_cache.mkdir()
    env = {"TFHUB_CACHE_DIR": str(hub_cache), "KAGGLEHUB_CACHE": str(tmp_path / "kaggle")}
    (project / "src" / "hub_call.py").write_text(
        "import tensorflow as tf\nimport tensorflow_hub as hub\n"
        f"m = hub.load({HANDLE!r})\n"
        'm.signatures["serving_default"](wrong=tf.zeros((2, 5)))\n'
    )
    (project / "src" / "kaggle_call.py").write_text(
        "import tensorflow as tf\nimport kagglehub\n"
        f"m = tf.saved_model.load(kagglehub.model_download({KAGGLE!r}))\n"
        'm.signatures["serving_default"](keras_tensor=tf.zeros((2, 5)))\n'
    )
    answered = 0
    history = []
    for _ in range(max(1, round(10 * BUDGET))):
        history.append(_change(project, rng, hub_cache))
        if rng.random() < 0.7:  # let the cache answer what did not change
            _age(tmp_path)
        fmt = rng.choice(["text", "json"])
        warm = _sm_lint(project, "--format", fmt, env=env)
        index = _index(project)
        again = _sm_lint(project, "--format", fmt, env=env)
        answered += _index(project) == index
        cold = _sm_lint(project, "--format", fmt, "--no-cache", env=env)
        assert warm == cold, history
        assert again == cold, history
    assert answered  # some runs were answered from the cache alone


def test_workers_and_concurrent_runs_share_one_index(tmp_path: Path) -> None:
    """Enough files for worker processes: their entries reach the index; four runs at
    once after a change all print what --no-cache prints and leave a whole index."""
    project = _project(tmp_path)
    source = (project / "src" / "classify.py").read_text()
    for i in range(40):
        (project / "src" / f"copy_{i}.py").write_text(source)
        # Files that name no load are settled by the forked readers, never by a worker:
        # their entries count too.
        (project / "src" / f"plain_{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    _age(project)
    expected = _agree(project, "--jobs", "2")
    index = _index(project)
    assert _sm_lint(project, "--jobs", "2") == expected
    assert _index(project) == index  # the workers' results were all kept
    models = project / "models" / "image_classifier"
    shutil.rmtree(models)
    shutil.copytree(FIXTURES / "module_multi", models)
    _age(project)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "sm_lint", "src", "--jobs", "2"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
        )
        for _ in range(4)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    changed = _sm_lint(project, "--no-cache")
    assert changed != expected
    for out, err in outputs:
        assert "Traceback" not in err
        assert out == changed
    assert _sm_lint(project) == changed
    results = project / ".sm-lint" / "cache" / "results"
    assert not list(results.glob("run-*")) and not list(results.glob(".index.*"))
    for index_file in results.glob("*.json"):
        json.loads(index_file.read_text())


def test_fix_then_warm_run(tmp_path: Path) -> None:
    project = _project(tmp_path)
    _age(project)
    _agree(project)
    fixed = _sm_lint(project, "--fix", "--unsafe-fixes")
    assert "Fixed" in fixed
    assert _agree(project) == _sm_lint(project, "--no-cache")
    _age(project)
    assert _agree(project)


def test_file_system_access_stays_visible_to_the_recorder() -> None:
    """sm_lint/recording.py sees what analysis consults only through ``os``, ``io`` and
    ``builtins`` attributes looked up at call time: no module may bind them at import."""
    import re

    bound = re.compile(
        r"^\s*from\s+(os|io|posix|_io|builtins|os\.path|genericpath|posixpath)\s+import\s",
        re.MULTILINE,
    )
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "sm_lint").rglob("*.py"))
        if path.name != "recording.py" and bound.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_findings_round_trip_with_every_field() -> None:
    from sm_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Related, Severity
    from sm_lint.results import decode_finding, encode_finding

    finding = Diagnostic(
        "nb.ipynb",
        3,
        5,
        4,
        9,
        "SM005",
        Severity.WARNING,
        "message ü",
        "models/m",
        "serving_default",
        Fix("rename", (Edit(3, 5, 3, 9, "x"), Edit(4, 1, 4, 2, "")), Applicability.UNSAFE),
        2,
        "runtime",
        (Related(1, 1, 1, 4, "the call", 1), Related(2, 2, 2, 3, "no cell")),
    )
    encoded = json.loads(json.dumps(encode_finding(finding)))
    decoded = decode_finding(encoded)
    assert decoded == finding
    assert (decoded.origin, decoded.related, decoded.fix) == (
        finding.origin,
        finding.related,
        finding.fix,
    )
    plain = Diagnostic("a.py", 1, 1, 1, 2, "SM001", Severity.ERROR, "m")
    assert decode_finding(json.loads(json.dumps(encode_finding(plain)))) == plain


def test_a_file_rewritten_after_its_bytes_were_read_is_not_stored(tmp_path: Path) -> None:
    """The worker pool's parent reads a file, finds no load in its bytes, and answers "no
    findings" without reading it again: a rewrite in between (its old mtime kept, as
    ``cp -p`` or ``rsync -t`` do) must not store "no findings" for the new text."""
    from sm_lint.config import Config
    from sm_lint.recording import RecordingLinter
    from sm_lint.results import open_cache

    plain = tmp_path / "plain.py"
    plain.write_text("x = 1\n")
    old = time.time() - 100
    os.utime(plain, (old, old))
    read_from = os.stat(plain)  # what the parent saw before reading
    plain.write_text(
        "import tensorflow as tf\nm = tf.saved_model.load('models/x')\n"
        "y = m.signatures['serving_default'](x=1)\n"
    )
    os.utime(plain, (old, old))  # the new text with the old mtime

    def stored(stat_before: os.stat_result) -> bool:
        config = Config()
        cache = open_cache(tmp_path / "cache", config)
        cache.start_run()
        linter = RecordingLinter(config, None, None, cache)
        assert linter.nothing_to_analyse(plain, stat_before) == []
        cache.finish()
        hits, _ = open_cache(tmp_path / "cache", config).lookup([str(plain)])
        return str(plain) in hits

    assert not stored(read_from)
    assert stored(os.stat(plain))  # read after the rewrite: this one is the file's


def test_a_skipped_file_depends_on_the_modules_it_imports_not_on_every_file_read(
    tmp_path: Path,
) -> None:
    """With worker processes, the parent pre-checks every file: a file that names no load
    but imports a project module depends on that module (an edit that makes it load a model
    is seen by the warm run), not on the other files the parent happened to read before it
    (whose stats every warm run would otherwise repeat)."""
    project = _project(tmp_path)
    source = project / "src"
    for i in range(20):
        (source / f"plain_{i}.py").write_text(f"def f{i}(x):\n    return x + {i}\n")
    (source / "helper.py").write_text("import os\n\nMODEL = os.environ.get('MODEL')\n")
    (source / "user.py").write_text("from helper import MODEL\n\nMODEL.signatures['nope']\n")
    _age(project)
    before = _agree(project, "--jobs", "2")
    assert "src/user.py" not in before
    (index,) = [
        json.loads(p.read_text()) for p in (project / ".sm-lint/cache/results").glob("*.json")
    ]
    recorded = {query[1] for log in index["logs"].values() for query in log}
    assert str(source / "helper.py") in recorded
    assert not any(str(source / f"plain_{i}.py") in recorded for i in range(20))
    (source / "helper.py").write_text(
        "import tensorflow as tf\n\nMODEL = tf.saved_model.load('models/dense')\n"
    )
    _age(project)
    after = _agree(project, "--jobs", "2")
    assert "src/user.py:3" in after and "'nope'" in after


def test_a_warm_run_imports_no_analysis(tmp_path: Path) -> None:
    """A run the cache answers imports neither libcst, the analysis, protobuf nor the
    package metadata reader (each costs a warm run more than its lookups)."""
    project = _project(tmp_path)
    _age(project)
    _agree(project)
    code = (
        "import sys\nfrom sm_lint.cli import main\nmain(['src'])\n"
        "heavy = {'libcst', 'sm_lint.analysis', 'sm_lint.api', 'google.protobuf',\n"
        "         'importlib.metadata', 'tensorflow', 'numpy'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "SM010" in result.stdout
