"""Oracle: TF Hub and Kaggle handles, resolved through the caches the real libraries use.

The test builds tiny SavedModels with real TensorFlow, lays them out in a TF Hub cache
(``$TFHUB_CACHE_DIR/<sha1 of the handle>``) and a kagglehub cache
(``$KAGGLEHUB_CACHE/models/owner/model/framework/variation/<version>`` plus its
``<version>.complete`` marker), with the network switched off in this process. It checks
that real ``tensorflow_hub`` and ``kagglehub`` load from exactly the folders sm-lint finds,
then runs generated programs (handles inline, through constants, f-strings, dict lookups,
``if``/``else`` and conditional expressions, ``hub.resolve``, ``kagglehub.model_download``;
``signatures[...]`` calls and ``hub.KerasLayer`` calls; right and wrong dtypes, shapes,
names, keys and outputs) in this one TensorFlow process, and compares each verdict:
sm-lint reports an error exactly where TensorFlow raises.

``SM_LINT_ORACLE_BUDGET`` (a float, default 1) scales the number of programs: by default
one per call (each call with one handle form, the forms taking turns); at budget 7 or more,
every combination of call and handle form.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")
hub = pytest.importorskip("tensorflow_hub")
kagglehub = pytest.importorskip("kagglehub")
pytest.importorskip("tf_keras", reason="hub.KerasLayer needs tf_keras with Keras 3")

from sm_lint.api import Linter  # noqa: E402
from sm_lint.config import Config  # noqa: E402
from sm_lint.diagnostics import Severity  # noqa: E402
from sm_lint.models import read_signatures  # noqa: E402
from sm_lint.models.hub_cache import kagglehub_lookup, tfhub_lookup  # noqa: E402
from tests.tf_support import run_with_tensorflow  # noqa: E402

BUDGET = float(os.environ.get("SM_LINT_ORACLE_BUDGET", "1") or "1")

LINEAR = "https://tfhub.dev/sm-lint/linear/1"
HUBLIKE = "https://www.kaggle.com/models/sm-lint/hublike/tensorFlow2/default/2"
KAGGLE = "sm-lint/hublike/tensorFlow2/default/2"


# ----------------------------------------------------------------------------- the caches
def _build_hublike(make_models: ModuleType, path: Path) -> None:
    """A model shaped like many TF Hub models: a ``default`` signature (x -> default,
    logits) and a two-input ``serving_default`` (a float32, b int32 -> out)."""
    signature = make_models._signature

    class HubLike(tf.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.w = make_models._const_var(3, 2)

        @signature(tf.TensorSpec([None, 3], tf.float32, name="x"))
        def default(self, x: Any) -> dict[str, Any]:
            logits = tf.matmul(x, self.w)
            return {"default": tf.nn.softmax(logits), "logits": logits}

        @signature(
            tf.TensorSpec([None, 2], tf.float32, name="a"),
            tf.TensorSpec([None, 2], tf.int32, name="b"),
        )
        def serve(self, a: Any, b: Any) -> dict[str, Any]:
            return {"out": a + tf.cast(b, tf.float32)}

        @signature(tf.TensorSpec([None, 3], tf.float32, name="x"))
        def __call__(self, x: Any) -> Any:
            return tf.nn.softmax(tf.matmul(x, self.w))

    module = HubLike()
    make_models._save_module(
        module, path, {"default": module.default, "serving_default": module.serve}
    )


@dataclass(frozen=True)
class Caches:
    tfhub: Path
    kagglehub: Path


def _no_network(*_args: object, **_kwargs: object) -> None:
    raise OSError("the network is off in this test: the library tried to download")


@pytest.fixture(scope="module")
def caches(tmp_path_factory: pytest.TempPathFactory, make_models: ModuleType) -> Iterator[Caches]:
    root = tmp_path_factory.mktemp("hub_caches")
    built = root / "built"
    make_models.build_linear(built / "linear")
    _build_hublike(make_models, built / "hublike")
    tfhub = root / "tfhub_modules"
    for handle, model in ((LINEAR, "linear"), (HUBLIKE, "hublike")):
        folder = tfhub / hashlib.sha1(handle.encode("utf-8")).hexdigest()
        shutil.copytree(built / model, folder)
        # What tensorflow_hub writes beside a finished download (read by nobody).
        Path(f"{folder}.descriptor.txt").write_text(f"Module: {handle}\n")
    kaggle = root / "kagglehub"
    variation = kaggle / "models" / "sm-lint" / "hublike" / "tensorFlow2" / "default"
    shutil.copytree(built / "hublike", variation / "2")
    (variation / "2.complete").touch()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TFHUB_CACHE_DIR", str(tfhub))
        patch.setenv("KAGGLEHUB_CACHE", str(kaggle))
        patch.setattr(socket.socket, "connect", _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        yield Caches(tfhub, kaggle)


def test_the_real_libraries_load_from_the_folders_sm_lint_finds(caches: Caches) -> None:
    for handle in (LINEAR, HUBLIKE):
        found = tfhub_lookup(handle).folder
        assert found is not None and found.parent == caches.tfhub
        assert hub.resolve(handle) == str(found)
        loaded = hub.load(handle)
        assert set(loaded.signatures) == set(read_signatures(found).signatures)
    # What hub.KerasLayer(handle) calls without signature=: the root __call__, read too.
    own = read_signatures(tfhub_lookup(HUBLIKE).folder or "").call
    assert own is not None and [(s.dtype, s.shape) for s in own.inputs.values()] == [
        ("float32", (None, 3))
    ]
    assert read_signatures(tfhub_lookup(LINEAR).folder or "").call is None  # it has none
    folder = kagglehub_lookup(KAGGLE).folder
    assert folder is not None
    assert kagglehub.model_download(KAGGLE) == str(folder)
    assert set(tf.saved_model.load(str(folder)).signatures) == {"default", "serving_default"}
    # Without a version kagglehub must ask Kaggle for the latest: offline that fails, and
    # sm-lint takes the highest complete version in the cache.
    unversioned = KAGGLE.rsplit("/", 1)[0]
    with pytest.raises(Exception):  # noqa: B017 (whatever the HTTP client raises offline)
        kagglehub.model_download(unversioned)
    assert kagglehub_lookup(unversioned).folder == folder


def test_a_handle_not_in_the_cache_is_never_downloaded_and_never_a_finding(
    caches: Caches, tmp_path: Path
) -> None:
    missing = "https://tfhub.dev/sm-lint/absent/1"
    with pytest.raises(Exception):  # noqa: B017 (the download is refused: no network)
        hub.load(missing)
    source = f"import tensorflow_hub as hub\nm = hub.load({missing!r})\nm.signatures['x'](y=1)\n"
    linter = Linter(Config())
    analysis = linter.analyze_source(source, tmp_path / "p.py")
    assert linter.diagnose(analysis) == []
    reason = analysis.loads[0].resolution.reason
    assert "not in the TF Hub cache yet" in reason and f"hub.resolve({missing!r})" in reason


def test_half_written_cache_folders_and_odd_handles(caches: Caches, tmp_path: Path) -> None:
    """A download under way (.lock + .tmp), an empty folder, a folder without a model and
    handles with odd characters: a reason, never a finding, never a traceback."""
    odd = [
        "https://tfhub.dev/sm-lint/lock/1",
        "https://tfhub.dev/sm-lint/empty/1",
        "https://tfhub.dev/sm-lint/nomodel/1",
        "https://tfhub.dev/sm-lint/ünïcode dir/1?x=1#frag",
        "https://tfhub.dev/\udc80/1",
        "https://tfhub.dev/nul\x00byte/1",
    ]
    lock_digest = hashlib.sha1(odd[0].encode()).hexdigest()
    (caches.tfhub / f"{lock_digest}.lock").write_text("host.1.abc")
    shutil.copytree(tfhub_lookup(LINEAR).folder or "", caches.tfhub / f"{lock_digest}.abc.tmp")
    (caches.tfhub / hashlib.sha1(odd[1].encode()).hexdigest()).mkdir()
    nomodel = caches.tfhub / hashlib.sha1(odd[2].encode()).hexdigest()
    nomodel.mkdir()
    (nomodel / "variables").mkdir()
    linter = Linter(Config())
    for handle in odd:
        source = f"import tensorflow_hub as hub\nm = hub.load({handle!r})\nm.signatures['k'](x=1)\n"
        analysis = linter.analyze_source(source, tmp_path / "p.py")
        assert linter.diagnose(analysis) == [], handle
        assert analysis.loads[0].model is None and analysis.loads[0].resolution.reason
    assert "still being downloaded" in tfhub_lookup(odd[0]).reason
    assert "holds no saved_model.pb" in tfhub_lookup(odd[2]).reason
    for handle in ("a/b", "a/b/c/d/x", "a/b/c/d/0", "//c/d", "a/b/c/d/1/2", "a/b/c/\x00/1"):
        found = kagglehub_lookup(handle)
        assert found.folder is None and found.reason, handle


# ------------------------------------------------------------------- generated programs
@dataclass(frozen=True)
class Call:
    """One use of a loaded model: ``{m}`` is the load expression's result name."""

    model: str  # "linear" or "hublike"
    code: str
    error: bool  # what the program's author expects TensorFlow to do (checked too)


def _sig(model: str, key: str, args: str, out: str = "", error: bool = False) -> Call:
    index = f"[{out!r}]" if out else ""
    return Call(model, f"m = {{load}}\nm.signatures[{key!r}]({args}){index}\n", error)


def _layer(model: str, options: str, value: str, out: str = "", error: bool = False) -> Call:
    index = f"[{out!r}]" if out else ""
    return Call(
        model, f"layer = hub.KerasLayer({{handle}}, {options})\nlayer({value}){index}\n", error
    )


KEY_Y = 'signature="serving_default", output_key="y"'
AS_DICT = 'signature="serving_default", signature_outputs_as_dict=True'
CALLS = [
    _sig("linear", "serving_default", "x=tf.zeros((2, 4))", "y"),
    _sig("linear", "serving_default", "x=tf.constant(np.zeros((2, 4)))", error=True),
    _sig("linear", "serving_default", "x=np.zeros((2, 4))"),
    _sig("linear", "serving_default", "x=tf.zeros((2, 5))", error=True),
    _sig("linear", "serving_default", "x=tf.zeros((2, 4), tf.int32)", error=True),
    _sig("linear", "serving_default", "x=np.ones((3, 4), np.int32)"),
    _sig("linear", "serving_default", "y=tf.zeros((2, 4))", error=True),
    _sig("linear", "default", "x=tf.zeros((2, 4))", error=True),
    _sig("linear", "serving_default", "x=[[1.0, 2.0, 3.0, 4.0]]", "y"),
    _sig("linear", "serving_default", "x=tf.zeros((2, 4))", "z", error=True),
    _sig("linear", "serving_default", "tf.zeros((1, 4))"),
    _sig("linear", "serving_default", "np.zeros((1, 4), np.float32)", error=True),
    _sig("hublike", "default", "x=tf.ones((2, 3))", "default"),
    _sig("hublike", "default", "x=tf.ones((2, 3))", "logits"),
    _sig("hublike", "default", "x=tf.ones((2, 3))", "probabilities", error=True),
    _sig("hublike", "default", "x=tf.ones((2, 3), tf.float64)", error=True),
    _sig("hublike", "serving_default", "a=tf.ones((2, 2)), b=tf.ones((2, 2), tf.int32)", "out"),
    _sig("hublike", "serving_default", "a=np.ones((2, 2)), b=np.ones((2, 2), np.int64)"),
    _sig("hublike", "serving_default", "a=tf.ones((2, 2)), b=tf.ones((2, 2))", error=True),
    _sig("hublike", "serving_default", "a=tf.ones((2, 2))", error=True),
    _sig("hublike", "serving_default", "a=[[1.0, 2.0]], b=[[1.5, 2.0]]", error=True),
    _sig("hublike", "serving_default", "tf.ones((2, 2)), tf.ones((2, 2), tf.int32)", error=True),
    _layer("linear", KEY_Y, "np.zeros((2, 4))"),
    _layer("linear", KEY_Y, "tf.zeros((2, 4), tf.float64)"),
    _layer("linear", KEY_Y, "np.zeros((2, 4), np.float16)"),
    _layer("linear", KEY_Y, "tf.zeros((2, 4), tf.int32)", error=True),
    _layer("linear", KEY_Y, "np.zeros((2, 5))", error=True),
    _layer("linear", KEY_Y, "1.0", error=True),
    _layer("linear", KEY_Y, "[[1.0, 2.0, 3.0, 4.0]]", error=True),
    _layer("linear", KEY_Y, "np.zeros((2, 4), np.int64)", error=True),
    _layer("linear", KEY_Y, "tf.zeros((2, 4), tf.bfloat16)"),
    _layer("linear", 'signature="serving_default", output_key="z"', "np.zeros((2, 4))", error=True),
    _layer("linear", 'signature="serve", output_key="y"', "np.zeros((2, 4))", error=True),
    _layer("linear", AS_DICT, "tf.zeros((2, 4))", "y"),
    _layer("linear", AS_DICT, "tf.zeros((2, 4))", "z", error=True),
    _layer("linear", AS_DICT, '{"x": np.ones((2, 4))}', "y"),
    _layer("linear", AS_DICT, '{"x": tf.ones((2, 4), tf.int32)}', error=True),
    _layer("hublike", AS_DICT, '{"a": np.ones((2, 2)), "b": tf.ones((2, 2), tf.int32)}', "out"),
    _layer("hublike", AS_DICT, '{"a": tf.ones((2, 2)), "b": tf.ones((2, 2))}', error=True),
    _layer(
        "hublike", AS_DICT, '{"a": tf.ones((2, 2)), "c": tf.ones((2, 2), tf.int32)}', error=True
    ),
    _layer("hublike", AS_DICT, "tf.ones((2, 2))", error=True),
    _layer("hublike", 'signature="default", output_key="logits"', "np.ones((4, 3))"),
    _layer("hublike", 'signature="default", output_key="logits"', "np.ones((4, 2))", error=True),
    # Without signature=, the layer calls the model's own __call__ (a tf.function).
    _layer("hublike", "", "np.ones((2, 3))"),
    _layer("hublike", "", "tf.ones((2, 3), tf.float64)"),
    _layer("hublike", "", "np.ones((5, 3), np.float32), training=False"),
    _layer("hublike", "", "[[1.0, 2.0, 3.0]]"),
    _layer("hublike", "", "tf.ones((2, 3), tf.int32)", error=True),
    _layer("hublike", "", "np.ones((2, 3), np.int64)", error=True),
    _layer("hublike", "", "np.ones((2, 4))", error=True),
    _layer("hublike", "", "np.ones((3,))", error=True),
    _layer("hublike", "", "1.0", error=True),
    # hub.load(h)(x): the restored object's own __call__.
    Call("hublike", "m = {load}\nm(np.ones((2, 3)))\n", False),
    Call("hublike", "m = {load}\nm(np.ones((2, 3), np.int64))\n", False),
    Call("hublike", "m = {load}\nm([[1, 2, 3]])\n", False),
    Call("hublike", "m = {load}\nm(tf.ones((4, 3)))\n", False),
    Call("hublike", "m = {load}\nm(tf.ones((2, 3), tf.int32))\n", True),
    Call("hublike", "m = {load}\nm(tf.ones((2, 4)))\n", True),
    Call("hublike", "m = {load}\nm(np.ones((2, 4)))\n", True),
    Call("hublike", "m = {load}\nm(1.0)\n", True),
    Call("hublike", "m = {load}\nm([[1.0, 2.0]])\n", True),
    Call("hublike", "m = {load}\nm(np.array([['a', 'b', 'c']]))\n", True),
]

_HANDLES = {"linear": LINEAR, "hublike": HUBLIKE}


def _forms(handle: str, kaggle: bool) -> list[tuple[str, str, str]]:
    """(name, setup lines, handle expression) for every way a program names *handle*."""
    root, _, version = handle.rpartition("/")
    other = handle.replace("sm-lint", "other")
    forms = [
        ("inline", "", repr(handle)),
        ("constant", f"MODEL_URL = {handle!r}\n", "MODEL_URL"),
        ("f-string", f"ROOT = {root!r}\nVERSION = {version}\n", 'f"{ROOT}/{VERSION}"'),
        ("dict", f"URLS = {{'small': {other!r}, 'main': {handle!r}}}\n", 'URLS["main"]'),
        (
            "if-else",
            f"USE_MAIN = True\nif USE_MAIN:\n    url = {handle!r}\nelse:\n    url = {other!r}\n",
            "url",
        ),
        ("conditional", f"SMALL = False\nurl = {other!r} if SMALL else {handle!r}\n", "url"),
    ]
    if kaggle:
        forms.append(("kagglehub", f"HANDLE = {KAGGLE!r}\n", "kagglehub.model_download(HANDLE)"))
    return forms


def _loads(handle_expr: str, form: str, index: int) -> str:
    if form == "kagglehub" or index % 3 != 2:
        return f"hub.load({handle_expr})"
    return f"tf.saved_model.load(hub.resolve({handle_expr}))"


@dataclass(frozen=True)
class Program:
    name: str
    source: str
    error: bool


HEADER = "import numpy as np\nimport tensorflow as tf\nimport tensorflow_hub as hub\n"


def programs() -> list[Program]:
    """Every call with every handle form, in rounds: each round holds every call once, each
    call with another handle form than in the round before."""
    per_call: list[list[Program]] = []
    for i, call in enumerate(CALLS):
        forms = _forms(_HANDLES[call.model], kaggle=call.model == "hublike")
        group = []
        for j in range(len(forms)):
            form, setup, expr = forms[(i + j) % len(forms)]
            body = call.code.replace("{load}", _loads(expr, form, i + j))
            header = HEADER + ("import kagglehub\n" if form == "kagglehub" else "")
            source = header + setup + body.replace("{handle}", expr)
            group.append(Program(f"{call.model}-{i}-{form}", source, call.error))
        per_call.append(group)
    rounds = max(len(group) for group in per_call)
    return [group[r] for r in range(rounds) for group in per_call if r < len(group)]


def test_generated_programs_agree_with_tensorflow(caches: Caches, tmp_path: Path) -> None:
    chosen = programs()[: max(len(CALLS), int(len(CALLS) * BUDGET))]
    assert len(chosen) >= 40
    linter = Linter(Config())
    path = tmp_path / "program.py"
    disagreements: list[str] = []
    rejections = found = false_errors = 0
    sources: set[str] = set()
    for program in chosen:
        analysis = linter.analyze_source(program.source, path)
        findings = linter.finalize(analysis, program.source, linter.diagnose(analysis))
        sources |= {load.resolution.source or "none" for load in analysis.loads.values()}
        errors = [f"{d.code} {d.message}" for d in findings if d.severity is Severity.ERROR]
        outcome = run_with_tensorflow(program.source, {"__name__": "__program__"})
        rejected = not outcome.ok
        rejections += rejected
        found += rejected and bool(errors)
        false_errors += (not rejected) and bool(errors)
        if rejected != program.error or rejected != bool(errors):
            disagreements.append(
                f"--- {program.name}: expected {'error' if program.error else 'ok'}, "
                f"TensorFlow {outcome}, sm-lint {errors or 'no error'}\n{program.source}"
            )
    print(
        f"hub oracle: {len(chosen)} programs, {len(chosen) - len(disagreements)} agreements, "
        f"{false_errors} false errors, {found}/{rejections} rejections found"
    )
    assert not disagreements, "\n".join(disagreements)
    assert sources == {"hub-cache", "kagglehub"} or sources == {"hub-cache"}
    assert rejections >= 15 and false_errors == 0 and found == rejections


def test_a_program_that_sets_its_own_cache_folder(
    caches: Caches, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``os.environ["TFHUB_CACHE_DIR"] = ...`` in the program: tensorflow_hub reads the
    variable at each load, and sm-lint looks there too."""
    monkeypatch.setenv("TFHUB_CACHE_DIR", str(tmp_path / "empty"))
    source = (
        HEADER + "import os\n"
        f"os.environ['TFHUB_CACHE_DIR'] = {str(caches.tfhub)!r}\n"
        f"m = hub.load({LINEAR!r})\n"
        "m.signatures['serving_default'](x=tf.zeros((2, 4), tf.int32))\n"
    )
    linter = Linter(Config())
    analysis = linter.analyze_source(source, tmp_path / "program.py")
    assert analysis.loads[0].resolution.source == "hub-cache"
    assert [d.code for d in linter.diagnose(analysis)] == ["SM005"]
    outcome = run_with_tensorflow(source, {"__name__": "__program__"})
    assert not outcome.ok and "int32" in outcome.error
    assert not (tmp_path / "empty").exists()  # nothing was downloaded there
