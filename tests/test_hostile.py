"""Hostile inputs: what a careless or malicious file can do to a run, and what `--fix` may do
to the files it touches. Every test goes through the real CLI (a subprocess, or `main()`
in-process where a property test needs many runs) or the real language server.

- `--fix` and `--diff`: diff never writes; a fix is verified (re-parsed, re-analysed) before
  it is written; symlinks, hard links, owners, modes and read-only files survive `--fix`.
- Folding bombs: format specs, attribute and index fields in format strings.
- Per-file isolation: one file whose analysis raises gets an SM900 and the run goes on, in
  the CLI (serial and worker processes) and in the language server.
- Size and kind limits: a `saved_model.pb` over protobuf's 2 GB limit, a FIFO or a device
  named `saved_model.pb`, a source file over the size limit.
- The SM005 cast fix names TensorFlow as the call site sees it.

``SM_LINT_FUZZ_BUDGET`` scales the property test, as in tests/test_robustness.py.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import hypothesmith
import pytest
import pytest_lsp
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import cli_in_process

FIXTURES = (Path(__file__).parent / "fixtures" / "models").resolve()
DENSE = FIXTURES / "keras_export_dense"
BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")

BAD_CALL = "out = infer(keras_tensor=tf.constant(np.random.rand(4, 5)))"
FIXED_CALL = "out = infer(keras_tensor=tf.cast(tf.constant(np.random.rand(4, 5)), tf.float32))"
SIMPLE = (
    "import numpy as np\n"
    "import tensorflow as tf\n"
    f"m = tf.saved_model.load({str(DENSE)!r})\n"
    'infer = m.signatures["serving_default"]\n'
    f"{BAD_CALL}\n"
    'print(out["output_0"])\n'
)


def run_cli(
    *args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        check=False,
    )


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert "internal error" not in proc.stderr, proc.stderr[-2000:]


def findings(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    no_traceback(proc)
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr[-2000:])
    data = json.loads(proc.stdout)
    assert isinstance(data, list)
    return data


def lint_json(path: Path, *extra: str) -> list[dict[str, Any]]:
    return findings(
        run_cli(path.name, "--models", FIXTURES, "--format", "json", *extra, cwd=path.parent)
    )


# =========================================================================== --fix and --diff


def test_diff_with_fix_prints_the_diff_and_writes_nothing(tmp_path: Path) -> None:
    # As in ruff, `--diff` is a dry run, also beside `--fix` (exit 1: something to fix).
    file = tmp_path / "a.py"
    file.write_text(SIMPLE)
    proc = run_cli("a.py", "--models", FIXTURES, "--fix", "--diff", cwd=tmp_path)
    no_traceback(proc)
    assert file.read_text() == SIMPLE
    assert f"+{FIXED_CALL}" in proc.stdout and f"-{BAD_CALL}" in proc.stdout
    assert proc.returncode == 1


def test_diff_applies_to_a_file_without_a_final_newline(tmp_path: Path) -> None:
    # A notebook's JSON and many scripts end without a newline, and a form feed is no line
    # break for patch: the diff must apply and give the file --fix writes.
    source = SIMPLE.replace("infer =", "\x0c\ninfer =").replace('\nprint(out["output_0"])\n', "")
    for name, text in (("a.py", source), ("b.py", source.replace("\x0c", "x = 1  # \x0c"))):
        file = tmp_path / name
        file.write_text(text)
        proc = run_cli(name, "--models", FIXTURES, "--diff", cwd=tmp_path)
        no_traceback(proc)
        assert proc.stdout.endswith("+" + FIXED_CALL + "\n\\ No newline at end of file\n")
        applied = subprocess.run(
            ["git", "apply", "-"], input=proc.stdout, cwd=tmp_path, capture_output=True, text=True
        )
        assert applied.returncode == 0, applied.stderr
        assert file.read_text() == text.replace(BAD_CALL, FIXED_CALL)


def test_fix_never_edits_another_line_than_its_finding(tmp_path: Path) -> None:
    # A lone CR inside a comment is a line break for Python and libcst. However the edit
    # positions are computed, the file is written only when the re-analysed result has
    # lost the finding the fix claims: the `print` line below is never touched.
    text = (
        "import numpy as np\n"
        "import tensorflow as tf  # TODO\r# pasted\n"
        f"m = tf.saved_model.load({str(DENSE)!r})\n"
        'infer = m.signatures["serving_default"]\n'
        "batch = np.zeros((4, 5))\n"
        "more = infer(tf.constant(batch, dtype=tf.float32))\n"
        "logs = print(tf.constant(batch, dtype=tf.float32))\n"
    )
    file = tmp_path / "cr.py"
    file.write_bytes(text.encode())
    proc = run_cli("cr.py", "--models", FIXTURES, "--fix", cwd=tmp_path)
    no_traceback(proc)
    after = file.read_bytes().decode()
    assert "logs = print(tf.constant(batch, dtype=tf.float32))" in after
    if after != text:  # fixed: then right
        assert "more = infer(keras_tensor=tf.constant(batch, dtype=tf.float32))" in after
        assert "SM004" not in proc.stdout
    else:  # not fixed: then said so
        assert "cr.py" in proc.stderr and "not fixed" in proc.stderr


# --------------------------------------------------------------------------- files users own


def _fixed(file: Path) -> bool:
    return FIXED_CALL in file.read_text()


def test_fix_through_a_symlink_fixes_the_target_and_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "target.py"
    target.write_text(SIMPLE)
    link = tmp_path / "link.py"
    link.symlink_to(Path("real") / "target.py")
    proc = run_cli("link.py", "--models", FIXTURES, "--fix", cwd=tmp_path)
    no_traceback(proc)
    assert link.is_symlink() and os.readlink(link) == str(Path("real") / "target.py")
    assert _fixed(target)
    assert proc.returncode == 0, proc.stdout


def test_fix_keeps_hard_links(tmp_path: Path) -> None:
    first = tmp_path / "first.py"
    first.write_text(SIMPLE)
    second = tmp_path / "second.py"
    os.link(first, second)
    proc = run_cli("first.py", "--models", FIXTURES, "--fix", cwd=tmp_path)
    no_traceback(proc)
    assert first.stat().st_ino == second.stat().st_ino and first.stat().st_nlink == 2
    assert _fixed(first) and _fixed(second)


def test_fix_keeps_owner_and_mode(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("giving a file to another user needs root")
    file = tmp_path / "theirs.py"
    file.write_text(SIMPLE)
    os.chown(file, 65534, 65534)
    file.chmod(0o640)
    proc = run_cli("theirs.py", "--models", FIXTURES, "--fix", cwd=tmp_path)
    no_traceback(proc)
    assert _fixed(file)
    st_ = file.stat()
    assert (st_.st_uid, st_.st_gid, stat.S_IMODE(st_.st_mode)) == (65534, 65534, 0o640)


def test_fix_refuses_a_read_only_file(tmp_path: Path) -> None:
    file = tmp_path / "ro.py"
    file.write_text(SIMPLE)
    file.chmod(0o444)
    other = tmp_path / "rw.py"
    other.write_text(SIMPLE)
    proc = run_cli(".", "--models", FIXTURES, "--fix", cwd=tmp_path)
    no_traceback(proc)
    assert file.read_text() == SIMPLE and stat.S_IMODE(file.stat().st_mode) == 0o444
    assert re.search(r"ro\.py: .*read-only.*not fixed", proc.stderr), proc.stderr
    assert _fixed(other)  # the other file is fixed all the same
    assert proc.returncode == 1 and "SM005" in proc.stdout


def test_a_file_changed_since_it_was_read_is_not_written(tmp_path: Path) -> None:
    from sm_lint.fixes import StaleFileError, digest, write_atomically

    file = tmp_path / "moving.py"
    file.write_text(SIMPLE)
    read = digest(file.read_bytes())
    file.write_text(SIMPLE + "# edited meanwhile\n")
    with pytest.raises(StaleFileError, match="changed since it was read"):
        write_atomically(file, SIMPLE.replace(BAD_CALL, FIXED_CALL), read)
    assert file.read_text() == SIMPLE + "# edited meanwhile\n"
    assert [p.name for p in tmp_path.iterdir()] == ["moving.py"]  # no temporary file left


# =========================================================================== folding bombs

_CAPPED = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from sm_lint.cli import main
sys.exit(main(sys.argv[1:]))
"""


def run_capped(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The CLI with at most 1 GB of address space (sm-lint needs about 100 MB)."""
    return subprocess.run(
        [sys.executable, "-c", _CAPPED, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
        check=False,
    )


def _loads(expr: str) -> str:
    return f"import tensorflow as tf\nm = tf.saved_model.load({expr})\n"


BOMBS = [
    '"{:>8000000000}".format("x")',
    '"{:8000000000}".format("x")',
    '"{0:{1}}".format("x", "8000000000")',
    '"{:.>8000000000}{}".format("x", "y")',
    'os.path.join("a", "{:>8000000000}".format("x"))',
    # Not folded at all (guards: folding them must bound them first).
    '"x" * 8000000000',
    '"".join(["x"] * 8000000000)',
    "f'{\"x\":>8000000000}'",
    '"%8000000000s" % "x"',
]
FIELDS = [
    '"models/{0.__class__.__mro__}".format("x")',
    '"models/{a.__class__}".format(a="x")',
    '"models/{0[0]}".format("x")',
    '"models/{0[a]}".format("x")',  # raised TypeError: the whole run exited 2
]


def test_format_width_bombs_are_not_folded(tmp_path: Path) -> None:
    # Each in its own file, beside a file with a real finding, under a 1 GB memory cap.
    for n, expr in enumerate(BOMBS):
        (tmp_path / f"bomb{n}.py").write_text("import os\n" + _loads(expr))
    (tmp_path / "bad.py").write_text(SIMPLE)
    proc = run_capped(".", "--models", FIXTURES, "--format", "json", "--no-cache", cwd=tmp_path)
    assert [(d["path"], d["code"]) for d in findings(proc)] == [("bad.py", "SM005")]


def test_format_fields_with_attributes_or_indexes_are_not_folded(tmp_path: Path) -> None:
    for n, expr in enumerate(FIELDS):
        (tmp_path / f"fields{n}.py").write_text(_loads(expr))
    (tmp_path / "bad.py").write_text(SIMPLE)
    proc = run_cli(".", "--models", FIXTURES, "--format", "json", "-v", cwd=tmp_path)
    assert [(d["path"], d["code"]) for d in findings(proc)] == [("bad.py", "SM005")]
    assert "<class" not in proc.stderr and "models/x" not in proc.stderr
    for n in range(len(FIELDS)):  # --verbose explains each load that was not checked
        assert f"fields{n}.py:2:" in proc.stderr


def test_plain_format_calls_still_fold(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "dense").symlink_to(DENSE)
    source = SIMPLE.replace(repr(str(DENSE)), '"{}/{:>5}".format("models", "dense")')
    (tmp_path / "ok.py").write_text(source)
    assert [d["code"] for d in lint_json(tmp_path / "ok.py")] == ["SM005"]


# =========================================================================== isolation


def test_a_file_whose_analysis_raises_is_an_sm900_and_the_run_goes_on(tmp_path: Path) -> None:
    # SM_LINT_TEST_FAIL_ON: the documented test hook that makes the analysis of matching
    # files raise (the real inputs that raised are fixed; this keeps the isolation tested).
    for n in range(20):  # more than 16 files: the worker processes are used too
        (tmp_path / f"bad{n:02}.py").write_text(SIMPLE)
    (tmp_path / "boom.py").write_text(SIMPLE)
    for jobs in ("1", "2"):
        proc = run_cli(
            ".",
            "--models",
            FIXTURES,
            "--format",
            "json",
            "--jobs",
            jobs,
            "--no-cache",
            cwd=tmp_path,
            env={"SM_LINT_TEST_FAIL_ON": "boom.py"},
        )
        data = findings(proc)
        assert proc.returncode == 1
        assert sorted(d["path"] for d in data if d["code"] == "SM005") == [
            f"bad{n:02}.py" for n in range(20)
        ]
        boom = [d for d in data if d["path"] == "boom.py"]
        assert [d["code"] for d in boom] == ["SM900"]
        assert "RuntimeError" in boom[0]["message"] and "please report" in boom[0]["message"]


@pytest_lsp.fixture(
    config=ClientServerConfig(
        server_command=[sys.executable, "-m", "sm_lint", "server"],
        server_env={**os.environ, "SM_LINT_TEST_FAIL_ON": "boom.py"},
    )
)
async def client(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=Path(tempfile.gettempdir()).as_uri(),
            initialization_options={"models": [str(FIXTURES)]},
        )
    )
    yield
    await lsp_client.shutdown_session()


async def _open(client: LanguageClient, name: str, text: str) -> list[lsp.Diagnostic]:
    uri = (Path(tempfile.gettempdir()) / "sm-lint-hostile" / name).as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        )
    )
    await asyncio.wait_for(
        client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS), timeout=30
    )
    return list(client.diagnostics[uri])


@pytest.mark.asyncio
async def test_server_one_failing_document_never_blocks_the_others(
    client: LanguageClient,
) -> None:
    boom = await _open(client, "boom.py", SIMPLE)
    assert [d.code for d in boom] == ["SM900"]
    assert "RuntimeError" in boom[0].message and "please report" in boom[0].message
    # ... and logged, as every failure inside the server is.
    assert any(
        "analysis failed for" in m.message and "boom.py" in m.message
        for m in client.log_messages
        if m.type == lsp.MessageType.Error
    )
    fine = await _open(client, "fine.py", SIMPLE)
    assert [d.code for d in fine] == ["SM005"]


# =========================================================================== size and kind


def test_saved_model_pb_over_the_protobuf_limit_is_never_read(tmp_path: Path) -> None:
    model = tmp_path / "models" / "huge"
    model.mkdir(parents=True)
    with open(model / "saved_model.pb", "wb") as handle:
        handle.truncate(2**31 + 1)  # sparse: no disk space used
    (tmp_path / "use.py").write_text(SIMPLE.replace(repr(str(DENSE)), '"models/huge"'))
    (tmp_path / "bad.py").write_text(SIMPLE)
    show = run_capped("show", "models/huge", cwd=tmp_path)
    assert show.returncode == 2 and "Traceback" not in show.stderr, show.stderr[-2000:]
    assert "2 GB" in show.stderr and "protobuf" in show.stderr, show.stderr
    proc = run_capped(".", "--models", "models", "--format", "json", "--no-cache", cwd=tmp_path)
    data = findings(proc)
    assert sorted((d["path"], d["code"]) for d in data) == [
        ("bad.py", "SM005"),
        ("use.py", "SM012"),
    ]
    assert "2 GB" in next(d["message"] for d in data if d["code"] == "SM012")


def _special_files(folder: Path) -> dict[str, Path]:
    """A FIFO and a character device, each named saved_model.pb in its own model folder."""
    out = {}
    (folder / "fifo").mkdir()
    os.mkfifo(folder / "fifo" / "saved_model.pb")
    out["FIFO"] = folder / "fifo"
    (folder / "device").mkdir()
    try:
        os.mknod(folder / "device" / "saved_model.pb", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
    except OSError:  # no CAP_MKNOD: a link to the real /dev/zero is a device file all the same
        (folder / "device" / "saved_model.pb").symlink_to("/dev/zero")
    out["device"] = folder / "device"
    return out


def test_fifo_and_device_named_saved_model_pb(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    for kind, folder in _special_files(models).items():
        show = run_cli("show", folder, cwd=tmp_path, timeout=30)
        assert show.returncode == 2 and "Traceback" not in show.stderr
        assert kind in show.stderr and "saved_model.pb" in show.stderr, show.stderr
        source = SIMPLE.replace(repr(str(DENSE)), repr(str(folder)))
        (tmp_path / "use.py").write_text(source)
        data = lint_json(tmp_path / "use.py", "--no-cache")
        assert [d["code"] for d in data] == ["SM012"], data
        assert kind in data[0]["message"]


def test_a_source_file_over_the_size_limit_is_skipped_with_a_note(tmp_path: Path) -> None:
    from sm_lint.api import MAX_SOURCE_BYTES

    line = "v = np.zeros((4, 5)) + infer(keras_tensor=np.zeros((4, 5)))['output_0']\n"
    body = line * (2 * MAX_SOURCE_BYTES // len(line))
    (tmp_path / "huge.py").write_text(SIMPLE + body)
    (tmp_path / "bad.py").write_text(SIMPLE)
    # Comment lines do not count: a long file of comments is analysed.
    (tmp_path / "comments.py").write_text(SIMPLE + "# signatures\n" * (MAX_SOURCE_BYTES // 13 + 1))
    proc = run_capped(".", "--models", FIXTURES, "--format", "json", "--no-cache", cwd=tmp_path)
    data = findings(proc)
    assert sorted((d["path"], d["code"]) for d in data) == [
        ("bad.py", "SM005"),
        ("comments.py", "SM005"),
        ("huge.py", "SM900"),
    ]
    note = next(d for d in data if d["path"] == "huge.py")
    assert "not analysed" in note["message"] and note["severity"] == "warning"


# =========================================================================== the cast fix


def _fix_text(tmp_path: Path, source: str) -> tuple[str, list[dict[str, Any]]]:
    file = tmp_path / "alias.py"
    file.write_text(source)
    before = lint_json(file)
    run_cli(file.name, "--models", FIXTURES, "--fix", cwd=tmp_path)
    return file.read_text(), before


def test_cast_fix_is_never_written_through_a_shadowed_name(tmp_path: Path) -> None:
    source = (
        "import numpy as np\n"
        "import tensorflow as tf\n"
        f"m = tf.saved_model.load({str(DENSE)!r})\n"
        'infer = m.signatures["serving_default"]\n'
        "x = tf.constant(np.random.rand(4, 5))\n"
        "def predict(tf):\n"
        "    return infer(keras_tensor=x)\n"
    )
    after, before = _fix_text(tmp_path, source)
    assert [d["code"] for d in before] == ["SM005"]
    assert "tf.cast" not in after  # `tf` is the parameter there


def test_cast_fix_uses_the_alias_in_scope(tmp_path: Path) -> None:
    source = (
        "import numpy as np\n"
        "def predict(path):\n"
        "    import tensorflow as tensorflow_v2\n"
        "    x = tensorflow_v2.constant(np.random.rand(4, 5))\n"
        f"    return tensorflow_v2.saved_model.load({str(DENSE)!r})"
        '.signatures["serving_default"](keras_tensor=x)\n'
    )
    after, before = _fix_text(tmp_path, source)
    assert [d["code"] for d in before] == ["SM005"] and before[0]["fix"] is not None
    assert "keras_tensor=tensorflow_v2.cast(x, tensorflow_v2.float32)" in after


# =========================================================================== property


_VALUES = [
    "{tf}.constant(np.random.rand(4, 5))",  # SM005, fixable
    "{tf}.constant(np.zeros((4, 5)), dtype={tf}.float32)",
    "np.zeros((4, 5))",
    "{tf}.constant([[1, 2, 3, 4, 5]])",  # SM005 int32, fixable
    "np.zeros((4, 6))",  # SM008
    "batch",
]
_STATEMENTS = [
    "out = infer(keras_tensor={value})",
    "out = infer({value})",  # SM004, fixable
    "out = infer(keras_tensr={value})",  # SM002, fixable
    'print(infer(keras_tensor={value})["output_1"])',  # SM010, fixable
    'print(m.signatures["serving_defualt"](keras_tensor={value}))',  # SM001, fixable
    "y = {value}  # a comment\r# a lone CR in a comment",
    "z = [{value},\n     {value}]",
]


@st.composite
def programs(draw: st.DrawFn) -> str:
    tf = draw(st.sampled_from(["tf", "tensorflow", "tfx"]))
    header = "import tensorflow\n" if tf == "tensorflow" else f"import tensorflow as {tf}\n"
    lines = [
        "import numpy as np",
        header.rstrip("\n"),
        f"m = {tf}.saved_model.load({str(DENSE)!r})",
        'infer = m.signatures["serving_default"]',
        "batch = np.random.rand(4, 5)",
    ]
    body = []
    for _ in range(draw(st.integers(1, 5))):
        statement = draw(st.sampled_from(_STATEMENTS))
        values = [draw(st.sampled_from(_VALUES)).format(tf=tf) for _ in range(2)]
        body.append(statement.replace("{value}", values[0], 1).replace("{value}", values[1]))
    if draw(st.booleans()):  # inside a function, maybe one whose parameter shadows the alias
        param = draw(st.sampled_from(["data", tf]))
        body = [f"def run({param}):"] + ["    " + s.replace("\n", "\n    ") for s in body]
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    return newline.join(lines + body) + newline


def _safe(fix: dict[str, Any]) -> bool:
    """A fix `--fix` applies without `--unsafe-fixes`."""
    return fix.get("applicability", "safe") == "safe"


def _keys(data: list[dict[str, Any]]) -> collections.Counter[tuple[str, str]]:
    return collections.Counter((d["code"], d["message"]) for d in data)


_PROPERTY = settings(
    max_examples=max(1, round(20 * BUDGET)),
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _check_fix(folder: Path, program: str) -> None:
    """`--fix` on *program*: the result parses, has no SM900, and what was fixed is gone."""
    file = folder / "gen.py"
    file.write_bytes(program.encode("utf-8", "surrogatepass"))
    lint = [str(file), "--models", str(FIXTURES), "--no-cache", "--format", "json"]
    before = json.loads(cli_in_process(lint)[1])
    code, out, err = cli_in_process([str(file), "--models", str(FIXTURES), "--no-cache", "--fix"])
    assert code in (0, 1) and "internal error" not in err, err
    fixed = int(m.group(1)) if (m := re.search(r"Fixed (\d+) finding", out)) else 0
    after_bytes = file.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compile(after_bytes, "gen.py", "exec")  # it parses
    after = json.loads(cli_in_process(lint)[1])
    assert len([d for d in after if d["code"] == "SM900"]) <= len(
        [d for d in before if d["code"] == "SM900"]
    ), after
    if fixed == 0:
        assert after_bytes == program.encode("utf-8", "surrogatepass")
        return
    # What it fixed is gone: fewer findings of those kinds, and no fixable finding left
    # unless it said which file it could not fix and why.
    assert sum((_keys(before) - _keys(after)).values()) >= 1, (program, before, after)
    if "not fixed" not in err:
        safe = [d for d in after if d["fix"] is not None and _safe(d["fix"])]
        assert not safe, (program, after)


# A lone CR in a comment before a fixable call: the fixer counted lines at "\n" only and
# appended the cast at the end of the file, then said "Fixed 1 finding".
_LONE_CR = (
    "import numpy as np\nimport tensorflow as tf\n"
    f"m = tf.saved_model.load({str(DENSE)!r})\n"
    'infer = m.signatures["serving_default"]\n'
    "y = 1  # a comment\r# a lone CR in a comment\n"
    f"{BAD_CALL}\n"
)


@_PROPERTY
@given(program=programs())
@example(program=_LONE_CR)
def test_fix_result_parses_and_every_fixed_finding_is_gone(tmp_path: Path, program: str) -> None:
    _check_fix(tmp_path, program)


@_PROPERTY
@given(generated=hypothesmith.from_grammar())
def test_fix_beside_any_program_from_the_grammar(tmp_path: Path, generated: str) -> None:
    # Any program CPython compiles, between a model load and two fixable mistakes.
    program = SIMPLE + generated.rstrip("\\") + "\n" + BAD_CALL + '\nprint(out["scores"])\n'
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(program, "gen.py", "exec")
        except (SyntaxError, ValueError):
            assume(False)
    _check_fix(tmp_path, program)
