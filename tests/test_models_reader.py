"""sm_lint.models without TensorFlow: bad input, discovery, caching, ``sm-lint show``.

Every bad input must give ONE clear ModelReadError from ``read_signatures`` (``str()`` is a
single line naming the path and the reason) and, from ``sm-lint show`` run as a real
subprocess, exit code 2 with a one-line message on stderr and no traceback.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sm_lint.models import (
    ModelReadError,
    ModelSignatures,
    clear_cache,
    discover_models,
    read_signatures,
    resolve_model_dir,
)

FIXTURES = Path(__file__).parent / "fixtures" / "models"
MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
MULTI = FIXTURES / "module_multi"
MULTI_PB = MULTI / "saved_model.pb"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    clear_cache()
    yield
    clear_cache()


def run_cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


# --------------------------------------------------------------------------- protobuf bytes


def varint(n: int) -> bytes:
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        if n:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def tensor_info(name: str, dtype: int, dims: list[int] | None) -> bytes:
    # TensorShapeProto: unknown_rank is field 3 (a bool varint), each dim is field 2.
    shape = varint(3 << 3) + varint(1) if dims is None else b""
    for d in dims or ():
        shape += field(2, varint(1 << 3) + varint(d))
    return field(1, name.encode()) + varint(2 << 3) + varint(dtype) + field(3, shape)


def signature_def(inputs: dict[str, bytes], outputs: dict[str, bytes], method: str) -> bytes:
    out = b""
    for key, info in inputs.items():
        out += field(1, field(1, key.encode()) + field(2, info))
    for key, info in outputs.items():
        out += field(2, field(1, key.encode()) + field(2, info))
    return out + field(3, method.encode())


def meta_graph(tags: list[str], signatures: dict[str, bytes]) -> bytes:
    """A MetaGraphDef as a SavedModel.meta_graphs entry (field 2)."""
    info = b"".join(field(4, t.encode()) for t in tags)
    body = field(1, info)
    for key, sig in signatures.items():
        body += field(5, field(1, key.encode()) + field(2, sig))
    return field(2, body)


def deeply_nested(depth: int) -> bytes:
    """A SavedModel whose one input is a CompositeTensor nested *depth* times
    (TensorInfo.composite_tensor.components[0] ...), so every level is a known field."""
    info = field(1, b"leaf")
    for _ in range(depth):
        info = field(5, field(2, info))
    sig = field(1, field(1, b"x") + field(2, info))
    return meta_graph(["serve"], {"serving_default": sig})


# --------------------------------------------------------------------------- bad input


@dataclass
class Bad:
    """A broken SavedModel: *make* builds it under a folder and returns the path to pass."""

    make: Callable[[Path], Path]
    reason: str  # a word the reason must contain


def _model_with(data: bytes, name: str = "saved_model.pb") -> Callable[[Path], Path]:
    def make(tmp: Path) -> Path:
        folder = tmp / "model"
        folder.mkdir()
        (folder / name).write_bytes(data)
        return folder

    return make


def _truncated(n: int) -> Callable[[Path], Path]:
    return _model_with(MULTI_PB.read_bytes()[:n])


def _random(seed: int, size: int = 512) -> Callable[[Path], Path]:
    return _model_with(random.Random(seed).randbytes(size))


def _only_variables(tmp: Path) -> Path:
    folder = tmp / "model"
    (folder / "variables").mkdir(parents=True)
    shutil.copy(MULTI / "variables" / "variables.index", folder / "variables")
    return folder


def _a_file(tmp: Path) -> Path:
    target = tmp / "saved_model.pb"
    shutil.copy(MULTI_PB, target)
    return target


def _missing(tmp: Path) -> Path:
    return tmp / "no" / "such" / "model"


def _non_numeric_layout(tmp: Path) -> Path:
    layout = tmp / "layout"
    (layout / "tmp_export").mkdir(parents=True)
    (layout / "tmp_export" / ".keep").write_text("")
    # A real model in a non-numeric folder is not a version: it must not be picked.
    shutil.copytree(FIXTURES / "serving" / "dense" / "1", layout / "latest")
    (layout / "v3").mkdir()
    (layout / "7").mkdir()  # numeric, but holds no model
    return layout


def _symlink_to_unreadable(tmp: Path) -> Path:
    """saved_model.pb -> /proc/self/mem: a regular file whose read fails with EIO, even
    for root."""
    if not Path("/proc/self/mem").is_file():
        pytest.skip("needs Linux /proc/self/mem")
    folder = tmp / "model"
    folder.mkdir()
    (folder / "saved_model.pb").symlink_to("/proc/self/mem")
    return folder


BAD: dict[str, Bad] = {
    "empty": Bad(_model_with(b""), "empty"),
    "empty_pbtxt": Bad(_model_with(b"", "saved_model.pbtxt"), "empty"),
    **{f"truncated_{n}": Bad(_truncated(n), "corrupt") for n in (1, 2, 3, 17, 100, 4096, -1)},
    **{f"random_seed_{seed}": Bad(_random(seed), "corrupt") for seed in (0, 1, 2, 3, 42)},
    "absurd_length_2**40": Bad(_model_with(b"\x12" + varint(2**40) + b"abc"), "corrupt"),
    "absurd_length_2**63": Bad(_model_with(b"\x12" + varint(2**63 - 1) + b"\0" * 64), "corrupt"),
    "absurd_length_nested": Bad(
        _model_with(field(2, field(1, b"") + varint(5 << 3 | 2) + varint(2**40) + b"x")),
        "corrupt",
    ),
    "overlong_varint": Bad(_model_with(b"\x08" + b"\xff" * 11 + b"\x01"), "corrupt"),
    "deeply_nested_200": Bad(_model_with(deeply_nested(200)), "corrupt"),
    "deeply_nested_20000": Bad(_model_with(deeply_nested(20_000)), "corrupt"),
    "no_meta_graph": Bad(_model_with(varint(1 << 3) + varint(1)), "meta graph"),
    "only_variables": Bad(_only_variables, "variables"),
    "pbtxt_garbage": Bad(_model_with(b"garbage {{{ not a proto", "saved_model.pbtxt"), "corrupt"),
    "pbtxt_not_utf8": Bad(_model_with(b"meta_graphs { \xff\xfe }", "saved_model.pbtxt"), "UTF-8"),
    "pbtxt_deeply_nested": Bad(
        _model_with(
            b"meta_graphs { signature_def { key: 'k' value { inputs { key: 'x' value { "
            + b"composite_tensor { components { " * 3000
            + b"} } " * 3000
            + b"} } } } }",
            "saved_model.pbtxt",
        ),
        "corrupt",
    ),
    "pbtxt_binary_content": Bad(_model_with(MULTI_PB.read_bytes(), "saved_model.pbtxt"), "text"),
    "file_not_folder": Bad(_a_file, "is a file"),
    "does_not_exist": Bad(_missing, "no such file"),
    "layout_without_numeric_versions": Bad(_non_numeric_layout, "not a SavedModel folder"),
    "unreadable_io_error": Bad(_symlink_to_unreadable, "error"),
}


def _check_error(error: ModelReadError, path: Path, reason: str) -> None:
    text = str(error)
    assert "\n" not in text and "\r" not in text, repr(text)
    assert text == f"{error.path}: {error.reason}"
    # It names the path given, or the model file inside it.
    assert error.path == str(path) or error.path.startswith(str(path) + os.sep), text
    assert reason.lower() in error.reason.lower(), text
    assert "Traceback" not in text


def _check_cli(proc: subprocess.CompletedProcess[str], path: Path, reason: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.stderr.endswith("\n")
    assert lines[0].startswith("sm-lint: error: "), lines[0]
    assert str(path) in lines[0]
    assert reason.lower() in lines[0].lower(), lines[0]


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_read_signatures(tmp_path: Path, case: str) -> None:
    bad = BAD[case]
    path = bad.make(tmp_path)
    with pytest.raises(ModelReadError) as info:
        read_signatures(path)
    assert type(info.value) is ModelReadError
    _check_error(info.value, path, bad.reason)


# A folder whose model sits in a non-numeric subfolder is a folder of models to `show`.
@pytest.mark.parametrize("case", [c for c in BAD if c != "layout_without_numeric_versions"])
def test_bad_input_show_exits_2(tmp_path: Path, case: str) -> None:
    bad = BAD[case]
    path = bad.make(tmp_path)
    _check_cli(run_cli("show", path), path, bad.reason)


def test_show_lists_the_model_inside_a_non_numeric_layout(tmp_path: Path) -> None:
    layout = _non_numeric_layout(tmp_path)
    proc = run_cli("show", layout)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{layout / 'latest'}  [tags:")
    assert proc.stdout.count("[tags:") == 1


@pytest.mark.parametrize("case", ["empty", "random_seed_0", "does_not_exist", "only_variables"])
def test_bad_input_show_json_exits_2(tmp_path: Path, case: str) -> None:
    bad = BAD[case]
    path = bad.make(tmp_path)
    _check_cli(run_cli("show", "--format", "json", path), path, bad.reason)


def test_version_layout_error_not_misleading(tmp_path: Path) -> None:
    """A layout whose only model sits in a non-numeric folder: the error says no model."""
    layout = _non_numeric_layout(tmp_path)
    with pytest.raises(ModelReadError, match="not a SavedModel folder"):
        resolve_model_dir(layout)


# --------------------------------------------------------------------------- unreadable


@contextlib.contextmanager
def _world_traversable_tmp() -> Iterator[Path]:
    """A temp folder other users can enter (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="sm-lint-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for current, dirs, _files in os.walk(folder):
            for d in dirs:
                os.chmod(os.path.join(current, d), 0o755)
        shutil.rmtree(folder)


def _as_unprivileged(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run *fn* in a forked child that has dropped root to uid/gid 65534 (nobody).

    Root ignores file modes, so chmod alone cannot make a file unreadable to it; a
    process that has given up root can. The child cannot exec a new Python (the
    interpreter lives under /root, mode 0700), so it runs sm-lint in the forked copy,
    after the parent has run it once on a good model so that every module it imports
    lazily is already loaded.
    """
    warm = _read_and_show(MULTI)
    assert warm["error"] is None and warm["rc"] == 0, warm
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        status = 0
        try:
            os.close(read_end)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            except OSError as error:
                result: dict[str, Any] = {"cannot_drop_root": str(error)}
            else:
                result = fn()
            os.write(write_end, json.dumps(result).encode())
        except BaseException as error:  # report everything to the parent
            os.write(write_end, json.dumps({"crash": repr(error)}).encode())
            status = 1
        finally:
            os._exit(status)
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as reader:
        while chunk := reader.read(65536):
            chunks.append(chunk)
    os.waitpid(pid, 0)
    result = json.loads(b"".join(chunks) or b'{"crash": "no output"}')
    if "cannot_drop_root" in result:
        pytest.skip(f"running as root and cannot drop privileges: {result['cannot_drop_root']}")
    assert "crash" not in result, result["crash"]
    return result  # type: ignore[no-any-return]


def _read_and_show(path: Path) -> dict[str, Any]:
    """read_signatures and ``sm-lint show`` (in this process) on *path*."""
    from sm_lint.cli import main

    out: dict[str, Any] = {}
    try:
        read_signatures(path)
        out["error"] = None
    except ModelReadError as error:
        out["error"] = {"text": str(error), "path": error.path, "reason": error.reason}
    except Exception as error:
        out["error"] = {"other": repr(error)}
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        try:
            out["rc"] = main(["show", str(path)])
        except SystemExit as exit_:
            out["rc"] = exit_.code
        except Exception as error:
            out["rc"] = f"raised {error!r}"
    out["stdout"], out["stderr"] = stdout.getvalue(), stderr.getvalue()
    return out


@pytest.mark.parametrize("what", ["file", "folder"])
def test_unreadable(what: str) -> None:
    """chmod 000 on saved_model.pb, or on the model folder: permission denied.

    As root (which chmod does not stop) the check runs in a child that dropped root.
    """
    with _world_traversable_tmp() as tmp:
        folder = tmp / "model"
        folder.mkdir()
        shutil.copy(MULTI_PB, folder / "saved_model.pb")
        target = folder / "saved_model.pb" if what == "file" else folder
        target.chmod(0)
        try:
            if os.geteuid() == 0:
                result = _as_unprivileged(lambda: _read_and_show(folder))
                error, rc, stdout, stderr = (
                    result["error"],
                    result["rc"],
                    result["stdout"],
                    result["stderr"],
                )
            else:
                result = _read_and_show(folder)
                error = result["error"]
                proc = run_cli("show", folder)
                rc, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
        finally:
            target.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    assert error is not None and "other" not in error, error
    assert "\n" not in error["text"]
    assert error["path"].startswith(str(folder))
    assert "permission denied" in error["reason"].lower(), error
    assert rc == 2, (rc, stderr)
    assert stdout == ""
    assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr
    assert stderr.startswith("sm-lint: error: ") and str(folder) in stderr
    assert "permission denied" in stderr.lower()


# --------------------------------------------------------------------------- show output


def test_show_text_unknown_dims_and_rank() -> None:
    proc = run_cli("show", MULTI)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    blocks = proc.stdout.split("\nsignature ")
    (lookup,) = [b for b in blocks if b.startswith("'lookup'")]
    (ids_line,) = [line for line in lookup.splitlines() if line.split()[:1] == ["ids"]]
    assert "int64" in ids_line and "<unknown rank>" in ids_line
    (text_line,) = [line for line in lookup.splitlines() if line.split()[:1] == ["text"]]
    assert "string" in text_line and "(?,)" in text_line
    (image,) = [b for b in blocks if b.startswith("'classify_image'")]
    assert "(?, 8, 8, 3)" in image
    assert "<unknown rank>" not in image


def test_show_json_unknown_dims_and_rank() -> None:
    proc = run_cli("show", "--format", "json", MULTI)
    assert proc.returncode == 0, proc.stderr
    lookup = json.loads(proc.stdout)["signatures"]["lookup"]
    assert lookup["inputs"]["ids"] == {"dtype": "int64", "shape": None}
    assert lookup["inputs"]["text"] == {"dtype": "string", "shape": [None]}
    assert lookup["outputs"]["count"] == {"dtype": "int64", "shape": []}


def _committed_model_dirs() -> list[Path]:
    return sorted(
        Path(current)
        for current, _dirs, files in os.walk(FIXTURES)
        if any(f in MODEL_FILES for f in files)
    )


@pytest.mark.parametrize(
    "folder", _committed_model_dirs(), ids=lambda p: p.relative_to(FIXTURES).as_posix()
)
def test_internal_keys_never_shown(folder: Path) -> None:
    raw = b"".join((folder / f).read_bytes() for f in MODEL_FILES if (folder / f).exists())
    tf2 = (folder / "fingerprint.pb").exists()
    if tf2:  # the internal key is really in the file, so the test means something
        assert b"__saved_model_init_op" in raw
    for fmt in ("text", "json"):
        proc = run_cli("show", "--format", fmt, folder)
        assert proc.returncode == 0, proc.stderr
        assert "__saved_model_init_op" not in proc.stdout
        if fmt == "json":
            keys = json.loads(proc.stdout)["signatures"]
            assert keys and not any(k.startswith("__") for k in keys)
    model = read_signatures(folder)
    assert not any(k.startswith("__") for k in model.signatures)


def test_tag_set_that_does_not_exist() -> None:
    proc = run_cli("show", "--tag-set", "gpu", MULTI)
    assert proc.returncode == 2
    assert proc.stdout == ""
    (line,) = proc.stderr.splitlines()
    assert line.startswith("sm-lint: error: ") and "Traceback" not in proc.stderr
    assert "gpu" in line
    assert "tag-sets: serve" in line


@pytest.fixture
def two_meta_graphs(tmp_path: Path) -> Path:
    """module_multi plus a second meta graph tagged serve,gpu (protobuf concatenation
    appends to the repeated meta_graphs field)."""
    x = tensor_info("x:0", 1, [-1, 7])
    y = tensor_info("y:0", 2, None)
    extra = meta_graph(
        ["serve", "gpu"],
        {
            "gpu_only": signature_def({"x": x}, {"y": y}, "tensorflow/serving/predict"),
            "__saved_model_init_op": signature_def({}, {}, ""),
        },
    )
    folder = tmp_path / "two_graphs"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(MULTI_PB.read_bytes() + extra)
    return folder


def test_tag_sets_select_meta_graph(two_meta_graphs: Path) -> None:
    default = read_signatures(two_meta_graphs)
    assert default.tags == ("serve",)
    assert "lookup" in default.signatures
    gpu = read_signatures(two_meta_graphs, ("gpu", "serve"))
    assert set(gpu.tags) == {"serve", "gpu"}
    assert list(gpu.signatures) == ["gpu_only"]
    sig = gpu.signatures["gpu_only"]
    assert (sig.inputs["x"].dtype, sig.inputs["x"].shape) == ("float32", (None, 7))
    assert (sig.outputs["y"].dtype, sig.outputs["y"].shape) == ("float64", None)

    proc = run_cli("show", "--format", "json", "--tag-set", "serve,gpu", two_meta_graphs)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["signatures"] == {
        "gpu_only": {
            "method": "tensorflow/serving/predict",
            "inputs": {"x": {"dtype": "float32", "shape": [None, 7]}},
            "outputs": {"y": {"dtype": "float64", "shape": None}},
        }
    }
    proc = run_cli("show", "--tag-set", "tpu", two_meta_graphs)
    assert proc.returncode == 2
    (line,) = proc.stderr.splitlines()
    assert "tpu" in line and "serve" in line and "gpu" in line, line
    listed = {part.strip() for part in line.split("(tag-sets:")[1].rstrip(")").split(";")}
    assert listed == {"serve", "serve,gpu"}, line  # every available tag-set is listed


# --------------------------------------------------------------------------- discovery


def _expected_discovery(root: Path) -> set[Path]:
    """Model folders under *root*, version folders collapsed into their layout."""
    out = set()
    for folder in _committed_model_dirs():
        if folder.name.isascii() and folder.name.isdigit():
            folder = folder.parent
        out.add(folder)
    return {p for p in out if root in p.parents or p == root}


def test_discover_fixture_models() -> None:
    found = discover_models([FIXTURES])
    assert len(found) == len(set(found)), found
    assert set(found) == _expected_discovery(FIXTURES)
    relative = {p.relative_to(FIXTURES).as_posix() for p in found}
    assert {
        "keras_export_dense",
        "keras_two_inputs",
        "keras_float64",
        "keras_saved",
        "module_multi",
        "tf1_builder",
        "serving/dense",
        "text_format",
    } <= relative
    assert not any(part in ("1", "2", "tmp_export", "variables") for p in found for part in p.parts)
    assert found == sorted(found)
    # Every model found is readable.
    for folder in found:
        assert read_signatures(folder).signatures


def test_discover_twice_and_nested_roots() -> None:
    found = discover_models([FIXTURES, FIXTURES / "serving", FIXTURES])
    assert found == discover_models([FIXTURES])


def test_discover_skips_variables_and_assets(tmp_path: Path) -> None:
    for inner in ("variables", "assets", ".hidden", "ok"):
        folder = tmp_path / "root" / inner
        folder.mkdir(parents=True)
        shutil.copy(MULTI_PB, folder / "saved_model.pb")
    assert discover_models([tmp_path / "root"]) == [tmp_path / "root" / "ok"]


# --------------------------------------------------------------------------- caching


def test_cache_returns_same_object_and_rereads_changed_file(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(FIXTURES / "serving" / "dense" / "1", folder)
    pb = folder / "saved_model.pb"
    first = read_signatures(folder)
    assert read_signatures(folder) is first
    assert read_signatures(str(folder)) is first
    assert first.signatures["serving_default"].inputs["x"].shape == (None, 2)

    # Rewrite with another model (different size) and a different mtime: re-read.
    before = pb.stat()
    shutil.copy(FIXTURES / "serving" / "dense" / "2" / "saved_model.pb", pb)
    os.utime(pb, ns=(before.st_atime_ns, before.st_mtime_ns + 5_000_000_000))
    assert pb.stat().st_size != before.st_size
    second = read_signatures(folder)
    assert second is not first
    assert second.signatures["serving_default"].inputs["x"].shape == (None, 6)
    assert read_signatures(folder) is second

    # Same size, only the mtime differs: re-read too.
    os.utime(pb, ns=(before.st_atime_ns, before.st_mtime_ns + 10_000_000_000))
    third = read_signatures(folder)
    assert third is not second and third == second

    # A file that became corrupt is reported, not served from the cache.
    pb.write_bytes(b"\x12\x05abc")
    os.utime(pb, ns=(before.st_atime_ns, before.st_mtime_ns + 15_000_000_000))
    with pytest.raises(ModelReadError):
        read_signatures(folder)


def test_copies_of_a_model_are_decoded_once_each_with_its_own_path(tmp_path: Path) -> None:
    from sm_lint.models import reader

    for name in ("a", "b", "c"):
        shutil.copytree(FIXTURES / "text_format", tmp_path / name)
    (tmp_path / "c" / "tfhub_module.pb").write_bytes(b"")  # a TF1 Hub module beside it
    clear_cache()
    before = len(reader._by_content)
    a, b, c = (read_signatures(tmp_path / name) for name in ("a", "b", "c"))
    assert len(reader._by_content) == before + 1  # one decode for the three copies
    assert (a.path, b.path, c.path) == (tmp_path / "a", tmp_path / "b", tmp_path / "c")
    assert a.signatures == b.signatures == c.signatures
    assert (a.hub_v1, c.hub_v1) == (False, True)
    # Another content is decoded anew.
    pbtxt = tmp_path / "b" / "saved_model.pbtxt"
    pbtxt.write_text(pbtxt.read_text().replace("serving_default", "serving_other"))
    clear_cache()
    assert "serving_other" in read_signatures(tmp_path / "b").signatures


def test_cache_separates_tag_sets(two_meta_graphs: Path) -> None:
    default = read_signatures(two_meta_graphs)
    gpu = read_signatures(two_meta_graphs, ("serve", "gpu"))
    assert default is not gpu and default.signatures != gpu.signatures
    assert read_signatures(two_meta_graphs) is default


# --------------------------------------------------------------------------- former bugs


def test_non_ascii_digit_folder_is_not_a_version(tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    shutil.copytree(FIXTURES / "serving" / "dense" / "1", layout / "\u00b2")
    with pytest.raises(ModelReadError):
        read_signatures(layout)


def test_cached_model_keeps_the_callers_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    relative = read_signatures("module_multi")
    assert relative.path == Path("module_multi")
    monkeypatch.chdir("/")
    absolute = read_signatures(MULTI.resolve())
    assert absolute.path == MULTI.resolve()


def test_pbtxt_error_message_is_bounded(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "saved_model.pbtxt").write_text("meta_graphs { \x1b[31m" + "x" * 100_000 + " !")
    with pytest.raises(ModelReadError) as info:
        read_signatures(folder)
    assert len(str(info.value)) < 1000
    assert "\x1b" not in str(info.value)


# --------------------------------------------------------------------------- properties

# Hypothesis keeps caches in ./.hypothesis; keep them out of the repo (no example database
# either: each run draws afresh, the seeds below cover the known hard cases).
with contextlib.suppress(ImportError):
    from hypothesis.configuration import set_hypothesis_home_dir

    set_hypothesis_home_dir(os.path.join(tempfile.gettempdir(), "sm-lint-hypothesis"))


_SEEDS = [
    p.read_bytes() for p in sorted(FIXTURES.rglob("saved_model.pb")) if p.stat().st_size < 40_000
]


def _mutate(data: bytes, edits: list[tuple[int, int]], cut: int) -> bytes:
    buf = bytearray(data)
    for position, value in edits:
        buf[position % len(buf)] = value
    return bytes(buf[: cut % (len(buf) + 1)]) if cut else bytes(buf)


_BYTES = st.one_of(
    st.binary(max_size=4096),
    st.builds(
        _mutate,
        st.sampled_from(_SEEDS),
        st.lists(st.tuples(st.integers(0, 2**20), st.integers(0, 255)), max_size=8),
        st.integers(0, 2**20),
    ),
)


@pytest.fixture(scope="module")
def property_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("property")


def _read_fresh(root: Path, name: str, data: bytes) -> ModelSignatures | None:
    folder = root / name
    folder.mkdir(exist_ok=True)
    (folder / "saved_model.pb").unlink(missing_ok=True)
    (folder / "saved_model.pbtxt").unlink(missing_ok=True)
    (folder / name).write_bytes(data)
    clear_cache()
    try:
        return read_signatures(folder)
    except ModelReadError as error:
        assert "\n" not in str(error)
        assert error.path.startswith(str(folder))
        return None


@settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(_BYTES)
def test_any_bytes_read_or_model_read_error(property_dir: Path, data: bytes) -> None:
    result = _read_fresh(property_dir, "saved_model.pb", data)
    assert result is None or isinstance(result, ModelSignatures)


@settings(
    max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.one_of(st.binary(max_size=1024), st.text(max_size=1024).map(str.encode)))
def test_any_text_read_or_model_read_error(property_dir: Path, data: bytes) -> None:
    result = _read_fresh(property_dir, "saved_model.pbtxt", data)
    assert result is None or isinstance(result, ModelSignatures)


# --------------------------------------------------------------------------- import weight


def test_models_and_cli_import_without_tensorflow_or_numpy() -> None:
    code = (
        "import sm_lint.models, sm_lint.cli, sys; "
        "assert 'tensorflow' not in sys.modules and 'numpy' not in sys.modules"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stderr


def test_show_does_not_import_tensorflow_or_numpy() -> None:
    code = (
        "import sys, runpy, contextlib, io\n"
        "sys.argv = ['sm-lint', 'show', '--format', 'json', sys.argv[1]]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        runpy.run_module('sm_lint', run_name='__main__')\n"
        "    except SystemExit as e:\n"
        "        assert e.code == 0, e.code\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(MULTI)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
