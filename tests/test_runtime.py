"""The runtime checker with real TensorFlow: guard(), install(), `sm-lint run`, the pytest
plugin, and the run-time facts it leaves for the static side."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from sm_lint.runtime import SignatureCallError, SignatureCallWarning, guard, install, uninstall

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "models"
pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def two_inputs() -> object:
    return guard(tf.saved_model.load(str(FIXTURES / "keras_two_inputs")))


def test_error_lists_every_problem_before_tensorflow_runs(two_inputs: object) -> None:
    fn = two_inputs.signatures["serving_default"]  # type: ignore[attr-defined]
    with pytest.raises(SignatureCallError) as info:
        fn(a=tf.constant(np.random.rand(32, 12)), bb=np.zeros((32, 5), np.float32))
    message = str(info.value)
    assert isinstance(info.value, TypeError)  # existing `except TypeError` keeps working
    assert f"at {__file__}:" in message  # the caller's file and line
    assert "SM002 'bb' is not an input of signature 'serving_default'; did you mean 'b'?" in message
    assert "SM005 input 'a' expects float32, got float64 tf.Tensor (32, 12)" in message
    assert "SM008 input 'a' expects shape (?, 10), got (32, 12)" in message
    assert "    a: float32 (?, 10)\n    b: float32 (?, 5)" in message
    assert [d.code for d in info.value.findings] == ["SM002", "SM005", "SM008"]


def test_good_call_goes_through_unchanged(two_inputs: object) -> None:
    raw = tf.saved_model.load(str(FIXTURES / "keras_two_inputs"))
    a, b = np.random.rand(4, 10), np.random.rand(4, 5)
    guarded = two_inputs.signatures["serving_default"](a=a, b=b)  # type: ignore[attr-defined]
    plain = raw.signatures["serving_default"](a=a, b=b)
    assert guarded.keys() == plain.keys()
    np.testing.assert_array_equal(guarded["output_0"].numpy(), plain["output_0"].numpy())


def test_lossy_cast_warns() -> None:
    model = guard(tf.saved_model.load(str(FIXTURES / "module_multi")))
    with pytest.warns(SignatureCallWarning, match="SM006 input 'image' expects uint8"):
        model.signatures["classify_image"](image=np.random.rand(1, 8, 8, 3))


def test_install_guards_loads_and_tfsm_layers() -> None:
    import keras

    install()
    try:
        model = tf.saved_model.load(str(FIXTURES / "keras_export_dense"))
        with pytest.raises(SignatureCallError, match="SM007"):
            model.signatures["serving_default"](keras_tensor=np.zeros(5, np.float32))
        layer = keras.layers.TFSMLayer(
            str(FIXTURES / "keras_export_dense"), call_endpoint="serving_default"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error", SignatureCallWarning)  # no positional-call noise
            assert layer(np.zeros((2, 5)))["output_0"].shape == (2, 10)
        with pytest.raises(
            Exception, match="SM005 input 'keras_tensor' expects float32, got int64"
        ):
            layer(np.ones((2, 5), np.int64))
    finally:
        uninstall()
    plain = tf.saved_model.load(str(FIXTURES / "keras_export_dense"))
    assert type(plain.signatures).__name__ == "_SignatureMap"


BAD_SCRIPT = """import sys
import numpy as np
import tensorflow as tf

model = tf.saved_model.load(sys.argv[1])
model.signatures["serving_default"](**{"x:0": tf.ones((2, 1)), "my/y": tf.ones((2, 3))})
print("still running", sys.argv[2:])
"""


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", "run", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def test_sm_lint_run_reports_and_keeps_the_scripts_behaviour(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(BAD_SCRIPT)
    result = _run("--format", "json", str(script), str(FIXTURES / "tf1_builder"), "x", cwd=tmp_path)
    # TensorFlow accepts a wrongly shaped tensor when every argument is a tensor, and this
    # model's add broadcasts it: the script runs on, computing on the wrong data; the
    # finding is reported at exit, with exit status 1.
    assert "still running ['x']" in result.stdout
    assert result.returncode == 1, result.stderr
    report = result.stdout[result.stdout.index("\n[") + 1 :]  # after the script's own output
    findings = json.loads(report)
    assert [(f["code"], f["line"], Path(f["path"]).name) for f in findings] == [
        ("SM008", 6, "job.py")
    ]
    good = tmp_path / "good.py"
    good.write_text(BAD_SCRIPT.replace("tf.ones((2, 1))", "tf.ones((2, 3))"))
    ok = _run(str(good), str(FIXTURES / "tf1_builder"), cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "sm-lint: 1 signature call checked; All checks passed." in ok.stderr


def test_sm_lint_run_returns_the_scripts_own_status(tmp_path: Path) -> None:
    script = tmp_path / "exit.py"
    script.write_text("import sys\nsys.exit(3)\n")
    assert _run(str(script), cwd=tmp_path).returncode == 3
    crash = tmp_path / "crash.py"
    crash.write_text("raise ValueError('boom')\n")
    result = _run(str(crash), cwd=tmp_path)
    assert result.returncode == 1
    assert "ValueError: boom" in result.stderr and 'crash.py", line 1' in result.stderr


def test_pytest_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_model=f"""
import numpy as np
import tensorflow as tf

MODEL = {str(FIXTURES / "keras_export_dense")!r}

def test_good():
    model = tf.saved_model.load(MODEL)
    model.signatures["serving_default"](keras_tensor=np.zeros((2, 5)))

def test_bad():
    model = tf.saved_model.load(MODEL)
    model.signatures["serving_default"](inputs=np.zeros((2, 5)))
"""
    )
    result = pytester.runpytest_subprocess("--sm-lint", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*SignatureCallError: bad call of signature 'serving_default'*",
            "*SM002 'inputs' is not an input of signature 'serving_default'; "
            "did you mean 'keras_tensor'?*",
            "sm-lint: 2 signature calls checked, 1 error, 0 warnings",
        ]
    )
    without = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    without.assert_outcomes(passed=1, failed=1)  # TensorFlow's own TypeError


def test_observed_facts_feed_the_static_linter(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "keras_export_dense", tmp_path / "dense")
    (tmp_path / "pyproject.toml").write_text('[tool.sm-lint]\nmodels = ["."]\n')
    (tmp_path / "app.py").write_text(
        "import numpy as np\nimport tensorflow as tf\n\n"
        "def predict(batch):\n"
        "    model = tf.saved_model.load('dense')\n"
        "    return model.signatures['serving_default'](keras_tensor=batch)\n\n"
        "zeros = getattr(np, 'zeros')  # beyond the static analysis: only a run sees it\n"
        "for rows in (2, 3):\n"
        "    try:\n"
        "        predict(zeros((rows, 4), np.float32))\n"
        "    except TypeError:\n"
        "        pass\n"
    )
    lint = [sys.executable, "-m", "sm_lint", "app.py", "--format", "json"]
    before = subprocess.run(lint, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert json.loads(before.stdout) == []  # `batch` is a parameter: unknown statically
    _run("app.py", cwd=tmp_path)
    stored = json.loads((tmp_path / ".sm-lint" / "observed.json").read_text())
    observations = stored["sites"]["app.py:6"]["keras_tensor"]
    assert sorted((o["shape"], o["count"]) for o in observations) == [([2, 4], 1), ([3, 4], 1)]
    # Two runs merge: counts add up.
    _run("app.py", cwd=tmp_path)
    stored = json.loads((tmp_path / ".sm-lint" / "observed.json").read_text())
    assert sorted(o["count"] for o in stored["sites"]["app.py:6"]["keras_tensor"]) == [2, 2]
    # Runs disagree on the batch size, so the static check uses no single value ...
    assert (
        json.loads(
            subprocess.run(lint, cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
        )
        == []
    )
    # ... until they agree.
    (tmp_path / "app.py").write_text((tmp_path / "app.py").read_text().replace("(2, 3)", "(2,)"))
    shutil.rmtree(tmp_path / ".sm-lint")
    _run("app.py", cwd=tmp_path)
    after = json.loads(
        subprocess.run(lint, cwd=tmp_path, capture_output=True, text=True, timeout=120).stdout
    )
    assert [(f["code"], f["line"], f["origin"]) for f in after] == [("SM008", 6, "runtime")]
    assert after[0]["message"].endswith("(observed at run time)")


# ------------------------------------------------- the runtime checker changes nothing
def test_bad_call_through_tfsm_layer_is_still_a_type_error() -> None:
    """Keras re-raises with context as ``type(e)(message)``: still a SignatureCallError."""
    import copy
    import pickle

    import keras

    install()
    try:
        layer = keras.layers.TFSMLayer(
            str(FIXTURES / "keras_export_dense"), call_endpoint="serving_default"
        )
        with pytest.raises(TypeError) as info:  # the README's promise
            layer(np.ones((2, 5), np.int64))
    finally:
        uninstall()
    error = info.value
    assert isinstance(error, SignatureCallError)
    assert "SM005 input 'keras_tensor' expects float32, got int64" in str(error)
    assert [d.code for d in error.findings] == ["SM005"]  # from the error Keras re-raised
    # What other frameworks do with an exception: pickle it, copy it, rebuild it.
    direct = SignatureCallError("bad call", [])
    with pytest.raises(SignatureCallError):
        raise direct
    model = guard(tf.saved_model.load(str(FIXTURES / "keras_two_inputs")))
    with pytest.raises(SignatureCallError) as raised:
        model.signatures["serving_default"](a=np.zeros((2, 10), np.float32))
    original = raised.value
    for clone in (pickle.loads(pickle.dumps(original)), copy.copy(original)):
        assert type(clone) is SignatureCallError and str(clone) == str(original)
        assert [d.code for d in clone.findings] == ["SM003"] == [d.code for d in original.findings]
    rebuilt = type(original)(str(original))
    assert isinstance(rebuilt, TypeError) and rebuilt.findings == []


def test_a_warning_is_shown_once_per_call_site() -> None:
    """Like ``warnings.warn``: a serving loop of 1,000 lossy calls warns once per line."""
    model = guard(tf.saved_model.load(str(FIXTURES / "module_multi")))
    fn = model.signatures["classify_image"]
    image = np.random.rand(1, 8, 8, 3)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("default")
        for _ in range(1000):
            fn(image=image)
        fn(image=image)  # another call site: its own warning
    lossy = [w for w in seen if issubclass(w.category, SignatureCallWarning)]
    assert [(Path(w.filename).name, str(w.message)[:6]) for w in lossy] == [
        ("test_runtime.py", "SM006 "),
        ("test_runtime.py", "SM006 "),
    ]
    assert lossy[0].lineno != lossy[1].lineno
    with warnings.catch_warnings(record=True) as every:
        warnings.simplefilter("always")  # what the user asks for still wins
        for _ in range(3):
            fn(image=image)
    assert len([w for w in every if issubclass(w.category, SignatureCallWarning)]) == 3


LATE_SCRIPT = """import atexit
import sys
import threading
import time

import numpy as np
import tensorflow as tf

infer = tf.saved_model.load(sys.argv[1]).signatures["serving_default"]


def late():
    time.sleep(0.5)  # long after the main module has returned
    try:
        infer(keras_tensor=np.zeros((2, 4), np.float32))
    except Exception as error:
        print("worker:", type(error).__name__)


def at_exit():
    try:
        infer(keras_tensor=np.zeros((2, 5, 1), np.float32))
    except Exception as error:
        print("atexit:", type(error).__name__)


threading.Thread(target=late).start()
atexit.register(at_exit)
print("main done")

from concurrent.futures import ThreadPoolExecutor  # noqa: E402

pool = ThreadPoolExecutor(1)  # never shut down, and kept alive by a cycle: Python exits
pool.submit(print, "pool ran")
keep = [pool]
keep.append(keep)
"""


def test_sm_lint_run_reports_after_threads_and_atexit_handlers(tmp_path: Path) -> None:
    script = tmp_path / "late.py"
    script.write_text(LATE_SCRIPT)
    (tmp_path / "pyproject.toml").write_text("")
    result = _run(
        "--format", "json", str(script), str(FIXTURES / "keras_export_dense"), cwd=tmp_path
    )
    out = result.stdout
    assert out.index("main done") < out.index("worker:") < out.index("atexit:") < out.index("\n[")
    assert "pool ran" in out
    findings = json.loads(out[out.index("\n[") + 1 :])
    assert [(f["code"], f["line"]) for f in findings] == [("SM008", 15), ("SM007", 22)]
    assert result.returncode == 1, result.stderr
    stored = json.loads((tmp_path / ".sm-lint" / "observed.json").read_text())
    assert {"late.py:15", "late.py:22"} <= set(stored["sites"])


def test_sm_lint_run_exits_130_on_keyboard_interrupt(tmp_path: Path) -> None:
    script = tmp_path / "interrupted.py"
    script.write_text(
        "import sys\nimport numpy as np\nimport tensorflow as tf\n"
        "infer = tf.saved_model.load(sys.argv[1]).signatures['serving_default']\n"
        "try:\n    infer(keras_tensor=np.zeros((2, 4), np.float32))\nexcept Exception:\n    pass\n"
        "raise KeyboardInterrupt\n"
    )
    result = _run(str(script), str(FIXTURES / "keras_export_dense"), cwd=tmp_path)
    assert result.returncode == 130  # Python's own status after Ctrl-C, not 1
    assert "KeyboardInterrupt" in result.stderr
    assert "SM008" in result.stderr  # the report still comes


# A Python without TensorFlow: `import tensorflow` fails as it does where it is not installed.
NO_TENSORFLOW = """import sys


class _NoTensorFlow:
    def find_spec(self, name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoTensorFlow())
"""


def test_without_tensorflow_one_line_and_no_traceback(tmp_path: Path) -> None:
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(NO_TENSORFLOW)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(blocker), str(ROOT)]),
        "NO_COLOR": "1",
    }

    def python(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    assert "No module named 'tensorflow'" in python("-c", "import tensorflow").stderr
    script = tmp_path / "job.py"
    script.write_text("print('ran')\n")
    run = python("-m", "sm_lint", "run", str(script))
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [
        "sm-lint: error: run: runtime checking needs TensorFlow, which cannot be imported "
        "(No module named 'tensorflow'); install it with: pip install 'tensorflow>=2.16'"
    ]
    (tmp_path / "test_plain.py").write_text("def test_plain():\n    assert True\n")
    # Other plugins' own start-up warnings (pytest-asyncio's, in a project that does not
    # configure it) are not sm-lint's output: only sm-lint's plugin and pytest's are loaded.
    plain = python(
        "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:asyncio", "-q", "test_plain.py"
    )
    assert plain.returncode == 0 and "1 passed" in plain.stdout, plain.stdout + plain.stderr
    checked = python(
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:asyncio",
        "-q",
        "--sm-lint",
        "test_plain.py",
    )
    output = (checked.stdout + checked.stderr).strip()
    assert checked.returncode == 4  # pytest's usage error
    assert "Traceback" not in output and "INTERNALERROR" not in output
    assert output.splitlines() == [
        "ERROR: --sm-lint: runtime checking needs TensorFlow, which cannot be imported "
        "(No module named 'tensorflow'); install it with: pip install 'tensorflow>=2.16'"
    ]


def test_install_guards_hub_load_and_records_its_line(tmp_path: Path) -> None:
    """tensorflow_hub loads through ``tf.compat.v1.saved_model.load_v2``; the load site
    recorded is the user's ``hub.load`` line, not a line inside tensorflow_hub."""
    hub = pytest.importorskip("tensorflow_hub")
    from sm_lint import observed
    from sm_lint.runtime import Recorder, save_observations

    recorder = Recorder()
    install(recorder)
    try:
        line = sys._getframe().f_lineno + 1
        model = hub.load(str(FIXTURES / "keras_export_dense"))
        with pytest.raises(SignatureCallError, match="SM007"):
            model.signatures["serving_default"](keras_tensor=np.zeros(5, np.float32))
    finally:
        uninstall()
    assert tf.compat.v1.saved_model.load_v2 is tf.saved_model.load  # undone exactly
    save_observations(recorder, tmp_path)
    (load,) = observed.load_models(tmp_path)[observed.site_key(tmp_path, __file__, line)].loads
    assert load.folder == (FIXTURES / "keras_export_dense").as_posix()


UNKNOWN_KEYWORD_SCRIPT = """import sys
import tensorflow as tf

model = tf.saved_model.load(sys.argv[1])
infer = model.signatures["serving_default"]
out = infer(a=tf.ones((2, 10)),
            bb=tf.ones((2, 5)))
"""


def test_sm_lint_run_explains_before_tensorflows_traceback(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(UNKNOWN_KEYWORD_SCRIPT)
    result = _run(str(script), str(FIXTURES / "keras_two_inputs"), cwd=tmp_path)
    assert result.returncode == 1
    err = result.stderr
    diagnosis, traceback_at = err.find("SM002"), err.find("Traceback (most recent call last)")
    assert diagnosis != -1 and traceback_at != -1, err
    assert diagnosis < traceback_at  # what to fix comes first, TensorFlow's story after
    assert "is not an input of signature" in err and err.count("SM002") == 1  # once


def test_a_runtime_fix_edits_only_the_keyword_it_names(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(UNKNOWN_KEYWORD_SCRIPT)
    result = _run("--format", "json", str(script), str(FIXTURES / "keras_two_inputs"), cwd=tmp_path)
    findings = json.loads(result.stdout)
    [unknown] = [f for f in findings if f["code"] == "SM002"]
    assert unknown["origin"] == "runtime"
    # `bb` on line 7, column 13: the edit replaces those two characters and nothing else.
    assert (unknown["line"], unknown["column"], unknown["end_column"]) == (7, 13, 15)
    assert unknown["fix"]["edits"] == [
        {"line": 7, "column": 13, "end_line": 7, "end_column": 15, "text": "b"}
    ]


@pytest.fixture(scope="module")
def restored_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A module with a __call__ saved with an input_signature, a method traced for two
    values of `training`, and a child's function."""

    class Child(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.int32)])
        def embed(self, tokens: object) -> object:
            return tf.cast(tokens, tf.float32)

    class Net(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = Child()

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def __call__(self, x: object) -> object:
            return x * 2.0

        @tf.function
        def f(self, x: object, training: bool = False) -> object:
            return x + 1.0 if training else x

    net = Net()
    net.f(tf.zeros([2, 3]))
    net.f(tf.zeros([2, 3]), training=True)
    folder = str(tmp_path_factory.mktemp("restored") / "net")
    tf.saved_model.save(net, folder)
    return folder


def test_restored_function_calls_are_checked_before_tensorflow_runs(restored_dir: str) -> None:
    loaded = guard(tf.saved_model.load(restored_dir), restored_dir)
    # Good calls go through, with TensorFlow's own results.
    assert loaded(np.zeros((4, 3), np.float64)).shape == (4, 3)  # numpy is cast
    assert loaded.f(tf.ones([2, 3]), training=True).numpy()[0, 0] == 2.0
    assert loaded.encoder.embed(tf.constant([1, 2])).dtype == tf.float32
    with pytest.raises(SignatureCallError) as info:
        loaded(tf.zeros([4, 3], tf.float64))
    message = str(info.value)
    assert isinstance(info.value, TypeError)
    assert message.startswith(f"bad call of restored function loaded at {__file__}:")
    assert "SM013 argument 'x' is a float64 tf.Tensor (4, 3)" in message
    assert "its input_signature: (float32 (?, 3))" in message
    with pytest.raises(SignatureCallError, match=r"no traced form of loaded\.f") as traced:
        loaded.f(tf.zeros([2, 3]), training=None)
    assert "it was traced for:" in str(traced.value)
    with pytest.raises(SignatureCallError, match="unexpected keyword argument 'ids'"):
        loaded.encoder.embed(ids=tf.constant([1]))


def test_each_restored_rejection_is_one_tensorflow_makes(restored_dir: str) -> None:
    """Report-only: the guard records its finding and TensorFlow itself then rejects."""
    from sm_lint.runtime.guard import Recorder

    recorder = Recorder(report_only=True)
    loaded = guard(tf.saved_model.load(restored_dir), restored_dir, recorder)
    bad_calls = [
        lambda: loaded(tf.zeros([4, 3], tf.float64)),
        lambda: loaded(tf.zeros([4, 5])),
        lambda: loaded.f(tf.zeros([2, 3]), training=None),
        lambda: loaded.f(tf.zeros([5, 3])),
        lambda: loaded.encoder.embed(tf.constant([1]), tf.constant([2])),
    ]
    for call in bad_calls:
        with pytest.raises((TypeError, ValueError)):
            call()
    assert len(recorder.findings) == len(bad_calls)
    assert {d.code for d in recorder.findings} == {"SM013"}


def test_a_guarded_object_saves_and_loads_as_before(restored_dir: str, tmp_path: Path) -> None:
    loaded = guard(tf.saved_model.load(restored_dir), restored_dir)
    again = str(tmp_path / "again")
    tf.saved_model.save(loaded, again)
    reloaded = tf.saved_model.load(again)
    assert reloaded(tf.zeros([1, 3])).shape == (1, 3)
    assert reloaded.f(tf.zeros([2, 3]), training=True).shape == (2, 3)
    assert reloaded.encoder.embed(tf.constant([1])).shape == (1,)
