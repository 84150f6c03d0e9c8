"""Every sm-lint benchmark in one run, summed up in one table of ratios.

    python bench/run.py            # the full run (about 10 minutes on 2 cores)
    python bench/run.py --quick    # a smoke run with few repetitions (about 2 minutes)

1. ``sm-lint show --format json DIR`` vs TensorFlow's ``saved_model_cli show --all --dir DIR``
   on the fixture models (bench/bench_show.py's functions).
2. Time to find the seed article's example-1 bugs: ``sm-lint FILE`` vs ``python FILE`` until
   it fails (TensorFlow import + model load + the first failing call).
3. Whole-repository lint of a generated tree (2,000 files, 5% calling signatures, 50
   SavedModels) vs ``ruff check --select F401``: wall time, files/s, peak memory; cold and
   warm (on-disk caches), ``--jobs 1`` vs the default, when sm-lint has those flags.
4. Language server latency over stdio: didChange -> publishDiagnostics (debounce
   subtracted) on a 2,000-line file, and hover.
5. Runtime guard overhead per accepted call, numpy and tf.Tensor input.

Ratios are "how many times better sm-lint is": reference / sm-lint for times and memory,
sm-lint / reference for throughput, so above 1 sm-lint wins, below 1 it loses.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FIXTURES = REPO / "tests" / "fixtures" / "models"
sys.path.insert(0, str(BENCH))

import bench_show  # noqa: E402

from sm_lint.models import discover_models, read_signatures, resolve_model_dir  # noqa: E402

PY = sys.executable
SM_LINT = [PY, "-m", "sm_lint"]
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", NO_COLOR="1")
FINDING = re.compile(r":\d+:\d+: (SM\d{3}) ")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- results and the table


@dataclass
class Row:
    """One line of the summary table."""

    bench: str
    unit: str  # "s", "ms", "us", "MB", "files/s"
    ours: float | None
    ref: float | None = None
    ref_name: str = ""
    note: str = ""
    ratio: float | None = field(default=None)

    def __post_init__(self) -> None:
        if self.ratio is None and self.ours and self.ref:
            higher_is_better = self.unit.endswith("/s")
            self.ratio = self.ours / self.ref if higher_is_better else self.ref / self.ours


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit == "files/s":
        return f"{value:,.0f} files/s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    digits = 3 if value < 1 else 2 if value < 10 else 1 if value < 100 else 0
    return f"{value:,.{digits}f} {'µs' if unit == 'us' else unit}"


def cells(row: Row) -> list[str]:
    ref = fmt(row.ref, row.unit) if row.ref is not None or row.ref_name else "—"
    if row.ref_name and row.ref is not None:
        ref = f"{ref} ({row.ref_name})"
    elif row.ref_name:
        ref = f"n/a ({row.ref_name})"
    ratio = (
        "—" if row.ratio is None else f"{row.ratio:.2f}x" if row.ratio < 10 else f"{row.ratio:.1f}x"
    )
    return [row.bench, fmt(row.ours, row.unit), ref, ratio, row.note]


HEAD = ["benchmark", "sm-lint", "reference", "ratio", "note"]


def text_table(rows: list[Row]) -> str:
    body = [cells(r) for r in rows]
    widths = [max(len(HEAD[i]), *(len(b[i]) for b in body)) for i in range(4)]
    out = []
    line = "  ".join(
        h.ljust(w) if i in (0,) else h.rjust(w)
        for i, (h, w) in enumerate(zip(HEAD[:4], widths, strict=True))
    )
    out.append(line + "  note")
    out.append("-" * (len(line) + 6))
    for b in body:
        out.append(
            "  ".join(b[i].ljust(widths[i]) if i == 0 else b[i].rjust(widths[i]) for i in range(4))
            + ("  " + b[4] if b[4] else "")
        )
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    out = ["| " + " | ".join(HEAD) + " |", "|---|--:|--:|--:|---|"]
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells(r)) + " |")
    return "\n".join(out)


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100), linear between closest ranks."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


# ---------------------------------------------------------------- measuring processes


@dataclass
class Run:
    wall: float
    rc: int
    stdout: str
    stderr: str
    max_rss_mb: float | None  # the largest single process (GNU time / getrusage)
    tree_mb: float | None  # peak of the whole process tree's PSS, sampled


GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

# Fallback when GNU time is missing: a fresh child that runs the command and reports
# RUSAGE_CHILDREN.ru_maxrss (KiB on Linux) of that one command.
_RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0


def _tree_pss_kb(root: int) -> int:
    """PSS of every descendant of *root* (not root itself: that is the time wrapper)."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    total, stack = 0, list(children.get(root, []))
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        total += _pss_kb(pid)
    return total


def measure(command: list[str], cwd: Path | None = None, sample: bool = True) -> Run:
    """Run *command* once as a fresh process: wall time, exit code, output, peak memory."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss", delete=False) as handle:
        report = Path(handle.name)
    if GNU_TIME:
        wrapped = [GNU_TIME, "-v", "-o", str(report), *command]
    else:
        wrapped = [PY, "-c", _RUSAGE_WRAPPER, str(report), *command]
    peak = 0
    stop = threading.Event()
    start = time.perf_counter()
    proc = subprocess.Popen(
        wrapped, cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )

    def sampler() -> None:
        nonlocal peak
        samples = 0
        while not stop.wait(0.01 if samples < 20 else 0.1):  # short runs get samples too
            samples += 1
            peak = max(peak, _tree_pss_kb(proc.pid))

    thread = threading.Thread(target=sampler, daemon=True) if sample else None
    if thread:
        thread.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    if thread:
        thread.join()
    text = report.read_text()
    report.unlink()
    rss: float | None = None
    if GNU_TIME:
        found = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
        rss = int(found.group(1)) / 1024 if found else None
        if "Command exited with non-zero status" in err or "Command terminated" in err:
            err = "\n".join(x for x in err.splitlines() if not x.startswith("\tCommand"))
    elif text.strip():
        rss = int(text) / 1024
    return Run(wall, proc.returncode, out, err, rss, peak / 1024 if sample and peak else None)


def runs_of(
    command: list[str],
    n: int,
    cwd: Path | None = None,
    ok: tuple[int, ...] = (0, 1),
    before: Callable[[], None] | None = None,
) -> list[Run]:
    result = []
    for _ in range(n):
        if before:
            before()
        r = measure(command, cwd)
        if r.rc not in ok:
            tail = (r.stderr.strip().splitlines() or ["(no stderr)"])[-1]
            raise RuntimeError(f"{' '.join(command)} exited {r.rc}: {tail}")
        result.append(r)
    return result


def median_wall(runs: list[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def max_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def tool(name: str) -> str:
    """The real console script (not a pyenv shim, which costs a bash start)."""
    script = Path(sysconfig.get_path("scripts")) / name
    return str(script) if script.exists() else (shutil.which(name) or name)


# ---------------------------------------------------------------- 1. show


def bench_show_models(tmp: Path, quick: bool) -> list[Row]:
    root = FIXTURES
    if quick:  # two models only: saved_model_cli costs a TensorFlow import per run
        root = tmp / "show-models"
        for name in ("keras_export_dense", "tf1_builder"):
            shutil.copytree(FIXTURES / name, root / name)
    runs = 1 if quick else 3
    log(f"1/5 show: warming up, then {runs} run(s) of each tool per model")
    first = resolve_model_dir(discover_models([root])[0])
    env = dict(ENV)
    bench_show.timed([*SM_LINT, "show", "--format", "json", str(first)], env)
    bench_show.timed([*bench_show.saved_model_cli(), "show", "--all", "--dir", str(first)], env)
    rows, baseline = bench_show.run(root, runs, 0)
    print("## 1. sm-lint show --format json vs saved_model_cli show --all\n")
    print(bench_show.table(rows, baseline, runs))
    print()
    ours = sum(r.sm_lint for r in rows)
    theirs = sum(r.saved_model_cli for r in rows)
    ratios = [r.ratio for r in rows]
    geo = math.exp(statistics.fmean(math.log(x) for x in ratios))
    return [
        Row(
            f"show: {len(rows)} fixture models, sum of per-model medians",
            "s",
            ours,
            theirs,
            "saved_model_cli show --all",
            f"per model {min(ratios):.0f}x to {max(ratios):.0f}x, geo-mean {geo:.0f}x; "
            f"python startup {baseline * 1000:.0f} ms",
        )
    ]


# ---------------------------------------------------------------- 2. the article

ARTICLE = '''\
"""The seed article's example 1, the model loaded from a fixture instead of built."""
import numpy as np
import tensorflow as tf

loaded_model = tf.saved_model.load({model!r})

# "Incorrect" per the article (it expects a batch-size error).
incorrect_input = np.random.rand(64, 5)
predictions = loaded_model.signatures['serving_default'](tf.constant(incorrect_input))

# "Correct" per the article; it fails the same way: a float64 tensor into a float32 input.
correct_input = np.random.rand(32, 5)
predictions = loaded_model.signatures['serving_default'](tf.constant(correct_input))
print(predictions)
'''


def bench_article(tmp: Path, quick: bool) -> list[Row]:
    folder = tmp / "article"
    folder.mkdir()
    script = folder / "article_example1.py"
    script.write_text(ARTICLE.format(model=str(FIXTURES / "keras_export_dense")))
    n_ours, n_py = (1, 1) if quick else (5, 3)
    log(f"2/5 article: sm-lint x{n_ours + 1}, python x{n_py}")
    lint = [*SM_LINT, str(script), "--models", str(FIXTURES)]
    runs_of(lint, 1, folder)  # warm-up
    ours = runs_of(lint, n_ours, folder, ok=(1,))
    codes = Counter(FINDING.findall(ours[-1].stdout))
    theirs = runs_of([PY, str(script)], n_py, folder, ok=tuple(range(1, 256)))
    error = next(
        (x for x in reversed(theirs[-1].stderr.splitlines()) if "Error" in x), "(no error line)"
    )
    error_type = error.split(":")[0].split(".")[-1]
    found = ", ".join(f"{c} x{n}" for c, n in sorted(codes.items()))
    print("## 2. The article's example 1: sm-lint vs running it\n")
    print(f"script: {script}")
    print(f"sm-lint: median {median_wall(ours):.3f} s of {n_ours}, exit {ours[-1].rc}: {found}")
    print(
        f"python:  median {median_wall(theirs):.3f} s of {n_py}, "
        f"exit {theirs[-1].rc}: {error[:160]}"
    )
    print()
    return [
        Row(
            "article ex. 1: time to the first error report",
            "s",
            median_wall(ours),
            median_wall(theirs),
            "python script.py until it fails",
            f"sm-lint reports both bad calls at once ({found}); "
            f"python stops at the first ({error_type})",
        )
    ]


# ---------------------------------------------------------------- 3. the generated tree

STDLIB = [
    "argparse", "csv", "datetime", "enum", "functools", "hashlib", "itertools", "math",
    "random", "re", "shutil", "statistics", "subprocess", "sys", "textwrap", "time", "uuid",
]  # fmt: skip
NOUNS = ["order", "invoice", "sensor", "reading", "user", "session", "batch", "report", "job"]

BLOCKS = [
    """result = []
for index, item in enumerate({arg}):
    if item is None:
        continue
    if isinstance(item, dict):
        item = item.get("value", 0)
    result.append((index, item))""",
    """total = 0.0
for item in {arg}:
    try:
        total += float(item)
    except (TypeError, ValueError):
        logger.debug("skipping %r", item)
result = [total / max(len({arg}), 1)]""",
    """counts = {{}}
for item in {arg}:
    key = str(item).lower().strip()
    counts[key] = counts.get(key, 0) + 1
result = sorted(counts, key=counts.get, reverse=True)""",
    """result = [x * 2 for x in {arg} if x and x > threshold]
if verbose:
    print(f"{{len(result)}} of {{len({arg})}} kept")""",
    """with open(os.path.join("data", "{name}.json"), encoding="utf-8") as handle:
    payload = json.load(handle)
result = [payload.get(str(k)) for k in {arg}]""",
    """result = []
pending = list({arg})
while pending:
    head = pending.pop(0)
    if head == threshold:
        break
    result.append(head)""",
]

DATACLASS = '''@dataclass
class {cls}:
    """A {noun} record."""

    name: str
    size: int = 0
    tags: list[str] = field(default_factory=list)

    def describe(self) -> str:
        return f"{{self.name}} ({{self.size}}) [{{', '.join(self.tags)}}]"

    def grow(self, amount: int = 1) -> "{cls}":
        if amount < 0:
            raise ValueError("amount must be positive")
        return {cls}(self.name, self.size + amount, list(self.tags))

    @classmethod
    def parse(cls, text: str) -> "{cls}":
        name, _, size = text.partition(":")
        return cls(name.strip(), int(size or 0))
'''

SERVICE = '''class {cls}Service:
    """Keeps {noun}s in memory and answers queries about them."""

    def __init__(self, root: str, limit: int = 100) -> None:
        self.root = root
        self.limit = limit
        self._items: dict[str, dict] = {{}}

    def add(self, key: str, **fields) -> None:
        if len(self._items) >= self.limit:
            logger.warning("%s is full, dropping %s", self.root, key)
            return
        self._items[key] = dict(fields, key=key)

    def find(self, predicate) -> list[dict]:
        return [item for item in self._items.values() if predicate(item)]

    def save(self) -> str:
        path = os.path.join(self.root, "{noun}s.json")
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(self._items, handle, indent=2, sort_keys=True)
        return path
'''

TF_HELPER = '''def build_{name}(units: int = 8):
    """A small Keras head (ordinary TensorFlow code, no SavedModel)."""
    inputs = tf.keras.Input(shape=(units,))
    hidden = tf.keras.layers.Dense(units * 2, activation="relu")(inputs)
    outputs = tf.keras.layers.Dense(1)(hidden)
    return tf.keras.Model(inputs, outputs)
'''


def _function(rng: random.Random, name: str) -> list[str]:
    arg = rng.choice(["items", "records", "values", "rows", "paths"])
    noun = rng.choice(NOUNS)
    lines = [
        f"def {name}({arg}, threshold=0.5, *, verbose=False):",
        f'    """Return the {noun}s of {arg} above threshold."""',
    ]
    for block in rng.sample(BLOCKS, rng.randint(1, 3)):
        lines.extend("    " + x for x in block.format(arg=arg, name=name).splitlines())
    lines.append("    return result")
    return lines


def filler(rng: random.Random, target: int, uses_tf: bool = False) -> tuple[list[str], list[str]]:
    """(imports, body) of an ordinary module of about *target* lines."""
    # Mostly used imports; about one unused import in three files, for ruff's F401 to find.
    extra = rng.sample(STDLIB, 1) if rng.random() < 0.35 else []
    imports = ["import json", "import logging", "import os", *(f"import {m}" for m in extra)]
    imports.append("from dataclasses import dataclass, field")
    if rng.random() < 0.1:
        imports.append("import numpy as np")
    if uses_tf:
        imports.append("import tensorflow as tf")
    body = ["", "logger = logging.getLogger(__name__)", f"LIMIT = {rng.randint(10, 999)}", ""]
    n = 0
    while len(body) + len(imports) < target:
        n += 1
        kind = rng.random()
        noun = rng.choice(NOUNS)
        if n == 1 or kind < 0.12:  # one dataclass at least: the import is used
            text = DATACLASS.format(cls=f"{noun.title()}{n}", noun=noun).splitlines()
        elif kind < 0.2:
            text = SERVICE.format(cls=f"{noun.title()}{n}", noun=noun).splitlines()
        elif uses_tf and kind < 0.3:
            text = TF_HELPER.format(name=f"{noun}_{n}").splitlines()
        else:
            text = _function(rng, f"{rng.choice(['load', 'merge', 'score', 'clean'])}_{noun}_{n}")
        body.extend(["", *text, ""])
    return imports, body


@dataclass
class TreeModel:
    folder: str  # name under models/
    signatures: dict[str, dict[str, tuple[str, tuple[int | None, ...] | None]]]
    outputs: dict[str, list[str]]


def _value(dtype: str, shape: tuple[int | None, ...] | None, batch: int, rng: random.Random) -> str:
    dims = (batch,) if shape is None else tuple(batch if d is None else d for d in shape)
    if dtype == "string":
        return "tf.constant(" + repr(["text"] * (dims[0] if dims else 1)) + ")"
    if dtype == "bool":
        return f"tf.constant(np.ones({dims!r}, dtype=bool))"
    forms = [
        f"tf.constant(np.zeros({dims!r}, dtype=np.{dtype}))",
        f"tf.zeros({dims!r}, dtype=tf.{dtype})",
    ]
    if dtype.startswith("float") and dims:
        forms.append(f"np.random.rand({', '.join(map(str, dims))}).astype(np.{dtype})")
        forms.append(f"tf.random.uniform({dims!r}, dtype=tf.{dtype})")
    return rng.choice(forms)


def _kwargs(values: dict[str, str]) -> str:
    plain = [f"{k}={v}" for k, v in values.items() if k.isidentifier()]
    odd = {k: v for k, v in values.items() if not k.isidentifier()}
    if odd:
        plain.append("**{" + ", ".join(f"{k!r}: {v}" for k, v in odd.items()) + "}")
    return ", ".join(plain)


MISTAKES = ["dtype", "name", "missing", "rank", "output", "signature"]


def signature_call(
    rng: random.Random,
    model: TreeModel,
    load_expr: str,
    index: int,
    mistake: str | None,
    in_function: bool,
) -> tuple[list[str], str | None]:
    """The lines of one load-lookup-call-index sequence, and the mistake really planted
    (a requested mistake the signature cannot have becomes another one)."""
    key = rng.choice(sorted(model.signatures))
    inputs = model.signatures[key]
    batch = rng.choice([1, 4, 16, 32])
    values = {name: _value(dt, shape, batch, rng) for name, (dt, shape) in inputs.items()}
    out_key = rng.choice(model.outputs[key])
    if mistake == "dtype":
        floats = [n for n, (dt, s) in inputs.items() if dt == "float32" and s]
        if not floats:
            mistake = "name"
        else:
            dims = tuple(batch if d is None else d for d in inputs[floats[0]][1] or ())
            values[floats[0]] = f"tf.constant(np.random.rand({', '.join(map(str, dims))}))"
    if mistake == "rank":
        known = [n for n, (dt, s) in inputs.items() if s and dt != "string"]
        if not known:
            mistake = "output"
        else:
            dt, shape = inputs[known[0]]
            values[known[0]] = _value(dt, (*(shape or ()), 3), batch, rng)
    if mistake == "missing" and len(values) < 2:
        mistake = "name"
    if mistake == "missing":
        values.pop(sorted(values)[-1])
    if mistake == "name":
        first = sorted(values)[0]
        values = {
            ("inputs_" + first if first.isidentifier() else first + "_x") if k == first else k: v
            for k, v in values.items()
        }
    if mistake == "output":
        out_key = "scores"
    if mistake == "signature":
        key = "predict"
    lines = [
        f"model_{index} = tf.saved_model.load({load_expr})",
        f'infer_{index} = model_{index}.signatures["{key}"]',
        f"outputs_{index} = infer_{index}({_kwargs(values)})",
        f'result_{index} = outputs_{index}["{out_key}"]',
    ]
    if in_function:
        lines = [
            f"def predict_{index}():",
            f'    """Run {model.folder} on a batch of {batch}."""',
            *("    " + x for x in lines),
            f"    return result_{index}",
        ]
    return ["", *lines, ""], mistake


def make_tree(root: Path, n_files: int, n_models: int, seed: int = 1) -> dict[str, object]:
    """The generated repository: packages of ordinary modules, some calling signatures."""
    rng = random.Random(seed)
    sources = discover_models([FIXTURES])
    models = []
    for i in range(n_models):
        src = sources[i % len(sources)]
        folder = f"m{i:02d}_{src.name}"
        shutil.copytree(src, root / "models" / folder)
        sigs = read_signatures(resolve_model_dir(src))
        models.append(
            TreeModel(
                folder,
                {
                    k: {
                        n: (t.dtype, None if t.shape is None else tuple(t.shape))
                        for n, t in s.inputs.items()
                    }
                    for k, s in sigs.signatures.items()
                },
                {k: sorted(s.outputs) for k, s in sigs.signatures.items()},
            )
        )
    packages = 40
    per_package = n_files // packages
    paths = [
        root / "src" / f"pkg{p:02d}" / ("__init__.py" if m == 0 else f"module_{m:03d}.py")
        for p in range(packages)
        for m in range(per_package)
    ]
    paths += [root / "src" / "extra" / f"module_{m:03d}.py" for m in range(n_files - len(paths))]
    modules = [p for p in paths if p.name != "__init__.py"]
    callers = set(rng.sample(modules, max(1, round(n_files * 0.05))))
    planted: Counter[str] = Counter()
    calls = lines_total = 0
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.name == "__init__.py":
            text = f'"""Package {path.parent.name}."""\n\nfrom . import module_001  # noqa: F401\n'
            path.write_text(text)
            lines_total += text.count("\n")
            continue
        uses_tf = path in callers or rng.random() < 0.1
        imports, body = filler(rng, rng.randint(50, 200), uses_tf)
        if path in callers:
            model = rng.choice(models)
            style = rng.choice(["literal", "join", "fstring"])
            if style == "join":
                body.insert(0, 'MODELS_ROOT = "models"')
                load = f'os.path.join(MODELS_ROOT, "{model.folder}")'
            elif style == "fstring":
                body.insert(0, f'MODEL_NAME = "{model.folder}"')
                load = 'f"/srv/models/{MODEL_NAME}"'
            else:
                load = f'"models/{model.folder}"'
            if "import numpy as np" not in imports:
                imports.append("import numpy as np")
            for _ in range(rng.randint(1, 3)):
                wanted = rng.choice(MISTAKES) if rng.random() < 0.4 else None
                calls += 1
                lines, mistake = signature_call(rng, model, load, calls, wanted, rng.random() < 0.6)
                planted[mistake or "none"] += 1
                body.extend(lines)
        text = (
            "\n".join([f'"""{path.stem.replace("_", " ").title()}."""', "", *imports, *body]) + "\n"
        )
        path.write_text(text)
        lines_total += text.count("\n")
    return {
        "files": len(paths),
        "lines": lines_total,
        "models": n_models,
        "callers": len(callers),
        "calls": calls,
        "planted": dict(planted),
    }


def _findings(run: Run) -> Counter[str]:
    return Counter(FINDING.findall(run.stdout))


def bench_tree(tmp: Path, quick: bool) -> list[Row]:
    tree = tmp / "tree"
    n_files, n_models = (400, 10) if quick else (2000, 50)
    log(f"3/5 tree: generating {n_files} files and {n_models} SavedModels")
    facts = make_tree(tree, n_files, n_models)
    help_text = subprocess.run(
        [*SM_LINT, "--help"], capture_output=True, text=True, env=ENV, check=False
    ).stdout
    has_cache = "--no-cache" in help_text
    has_jobs = "--jobs" in help_text
    n = 1 if quick else 3
    base = [*SM_LINT, str(tree), "--models", str(tree / "models"), "-q"]
    cache_dir = tree / ".sm-lint"

    def drop_cache() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    ruff = tool("ruff")
    ruff_cmd = [ruff, "check", "--select", "F401", "--quiet", str(tree)]
    log(f"3/5 tree: sm-lint cold x{n} (--no-cache: {has_cache}, --jobs: {has_jobs})")
    cold_cmd = [*base, "--no-cache"] if has_cache else base
    cold = runs_of(cold_cmd, n, tree, before=drop_cache)
    found = _findings(cold[-1])
    log(f"3/5 tree: ruff cold x{n + 2}, warm x{n + 2}")
    ruff_cold = runs_of([*ruff_cmd, "--no-cache"], n + 2, tree)
    shutil.rmtree(tree / ".ruff_cache", ignore_errors=True)
    runs_of(ruff_cmd, 1, tree)  # fills ruff's cache
    ruff_warm = runs_of(ruff_cmd, n + 2, tree)
    ruff_found = len([x for x in ruff_cold[-1].stdout.splitlines() if "F401" in x])

    first = warm = jobs1 = None
    if has_cache:
        log(f"3/5 tree: sm-lint first run (writes the cache), then warm x{n}")
        drop_cache()
        first = runs_of(base, 1, tree)
        warm = runs_of(base, n, tree)
        if _findings(warm[-1]) != found:
            log(f"WARNING: warm run findings {_findings(warm[-1])} != cold {found}")
    if has_jobs:
        log("3/5 tree: sm-lint --jobs 1 cold x1")
        jobs1 = runs_of([*cold_cmd, "--jobs", "1"], 1, tree, before=drop_cache)
    files = facts["files"]
    assert isinstance(files, int)
    t_cold, t_ruff = median_wall(cold), median_wall(ruff_cold)
    print("## 3. Whole-repository lint\n")
    print(
        f"tree: {files} files, {facts['lines']:,} lines, {facts['callers']} files with "
        f"{facts['calls']} signature calls, {facts['models']} SavedModels; planted mistakes: "
        f"{facts['planted']}"
    )
    print(f"sm-lint findings: {dict(sorted(found.items()))} (total {sum(found.values())})")
    print(f"ruff F401 findings: {ruff_found}")
    print(f"sm-lint --help has --no-cache: {has_cache}, --jobs: {has_jobs}")
    for label, rs in [
        ("sm-lint cold", cold),
        ("sm-lint first (writes cache)", first),
        ("sm-lint warm", warm),
        ("sm-lint --jobs 1 cold", jobs1),
        ("ruff --no-cache", ruff_cold),
        ("ruff warm", ruff_warm),
    ]:
        if rs:
            walls = ", ".join(f"{r.wall:.3f}" for r in rs)
            print(
                f"  {label:<29} wall s: {walls}; "
                f"max RSS {max_of([r.max_rss_mb for r in rs]) or 0:.0f} MB; "
                f"tree PSS {max_of([r.tree_mb for r in rs]) or 0:.0f} MB"
            )
    print()
    na = "n/a: sm-lint has no {} yet"
    rows = [
        Row(
            f"repo lint, {files} files, cold: wall time",
            "s",
            t_cold,
            t_ruff,
            "ruff F401 --no-cache",
            f"median of {n}" + ("; --no-cache" if has_cache else ""),
        ),
        Row("repo lint, cold: throughput", "files/s", files / t_cold, files / t_ruff, "ruff"),
        Row(
            "repo lint, cold: peak RSS, largest process",
            "MB",
            max_of([r.max_rss_mb for r in cold]),
            max_of([r.max_rss_mb for r in ruff_cold]),
            "ruff",
            "GNU time -v" if GNU_TIME else "getrusage(RUSAGE_CHILDREN)",
        ),
        Row(
            "repo lint, cold: peak memory, whole process tree",
            "MB",
            max_of([r.tree_mb for r in cold]),
            max_of([r.tree_mb for r in ruff_cold]),
            "ruff",
            "PSS summed over the process tree, sampled every 0.01-0.1 s",
        ),
    ]
    if warm and first:
        t_warm = median_wall(warm)
        rows.append(
            Row(
                "repo lint, warm (on-disk cache): wall time",
                "s",
                t_warm,
                median_wall(ruff_warm),
                "ruff warm",
                f"median of {n}, nothing changed",
            )
        )
        rows.append(
            Row(
                "sm-lint warm vs cold",
                "s",
                t_warm,
                t_cold,
                "sm-lint cold",
                f"first run writing the cache: {first[0].wall:.2f} s",
            )
        )
    else:
        rows.append(
            Row(
                "repo lint, warm (on-disk cache): wall time",
                "s",
                None,
                median_wall(ruff_warm),
                "ruff warm",
                na.format("--no-cache / cache"),
            )
        )
        rows.append(Row("sm-lint warm vs cold", "s", None, None, "", na.format("cache")))
    if jobs1:
        rows.append(
            Row(
                f"sm-lint --jobs default ({os.cpu_count()}) vs --jobs 1, cold",
                "s",
                t_cold,
                median_wall(jobs1),
                "sm-lint --jobs 1",
                f"one --jobs 1 run; its peak RSS "
                f"{max_of([r.max_rss_mb for r in jobs1]) or 0:.0f} MB",
            )
        )
    else:
        rows.append(
            Row(
                "sm-lint --jobs default vs --jobs 1, cold", "s", None, None, "", na.format("--jobs")
            )
        )
    return rows


# ---------------------------------------------------------------- 4. the language server

LSP_CALL = [
    "def predict_{i}(rows={rows}):",
    '    """Score a batch with the dense model."""',
    "    batch = np.random.rand(rows, 5).astype(np.float32)",
    "    outputs = infer(keras_tensor=tf.constant(batch))",
    '    return outputs["output_0"]',
]
GOOD_CALL = "    outputs = infer(keras_tensor=tf.constant(batch))"
BAD_CALL = "    outputs = infer(keras_tensor=tf.constant(batch, dtype=tf.float64))"


def lsp_source(n_lines: int = 2000, n_calls: int = 20) -> tuple[list[str], list[int]]:
    """The lines of a long module and the indexes of its signature-call lines."""
    rng = random.Random(7)
    lines = [
        '"""A long module with many signature calls (language-server benchmark)."""',
        "import json",
        "import logging",
        "import os",
        "",
        "import numpy as np",
        "import tensorflow as tf",
        "",
        "logger = logging.getLogger(__name__)",
        'model = tf.saved_model.load("models/dense")',
        'infer = model.signatures["serving_default"]',
        "",
    ]
    per_block = (n_lines - len(lines)) // n_calls
    call_lines = []
    for i in range(n_calls):
        block: list[str] = []
        room = per_block - len(LSP_CALL) - 2
        while True:
            function = ["", *_function(rng, f"helper_{i}_{len(block)}"), ""]
            if block and len(block) + len(function) > room:
                break
            block.extend(function)
        block.extend(f"SETTING_{i}_{k} = {k}" for k in range(room - len(block)))
        lines.extend(block)
        lines.append("")
        call_lines.append(len(lines) + 3)
        lines.extend(x.format(i=i, rows=i + 2) for x in LSP_CALL)
        lines.append("")
    return lines, call_lines


async def _lsp_session(
    workspace: Path, n_changes: int, n_hovers: int, budget: float, at_least: int
) -> dict[str, object]:
    """Up to *n_changes* edits and *n_hovers* hovers, each series stopping early (after
    *at_least*) once it has taken *budget* seconds, so a slow server cannot stall the run."""
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    client = LanguageClient("sm-lint-bench", "1")
    waiting: dict[int, asyncio.Future[tuple[float, int]]] = {}
    logs: list[str] = []

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        return None

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def log_message(params: lsp.LogMessageParams) -> None:
        logs.append(params.message)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        now = time.perf_counter()
        future = waiting.pop(params.version or -1, None)
        if future is not None and not future.done():
            future.set_result((now, len(params.diagnostics)))

    await client.start_io(PY, "-m", "sm_lint", "server", cwd=str(workspace), env=ENV)
    server = client._server  # the process pygls started; its stderr must be drained
    drain = None
    if server is not None and server.stderr is not None:
        stderr = server.stderr

        async def drain_stderr() -> None:
            while await stderr.read(65536):
                pass

        drain = asyncio.create_task(drain_stderr())
    try:
        await asyncio.wait_for(
            client.initialize_async(
                lsp.InitializeParams(
                    capabilities=lsp.ClientCapabilities(
                        workspace=lsp.WorkspaceClientCapabilities(
                            did_change_watched_files=lsp.DidChangeWatchedFilesClientCapabilities(
                                dynamic_registration=True
                            )
                        )
                    ),
                    root_uri=workspace.as_uri(),
                    workspace_folders=[lsp.WorkspaceFolder(uri=workspace.as_uri(), name="bench")],
                    initialization_options={"models": ["models"]},
                )
            ),
            timeout=60,
        )
        client.initialized(lsp.InitializedParams())
        lines, call_lines = lsp_source()
        path = workspace / "src" / "long_module.py"
        good = "\n".join(lines) + "\n"
        path.write_text(good)
        uri = path.as_uri()

        async def until_published(version: int, send: Callable[[], None]) -> tuple[float, int]:
            future: asyncio.Future[tuple[float, int]] = asyncio.get_running_loop().create_future()
            waiting[version] = future
            start = time.perf_counter()
            send()
            at, count = await asyncio.wait_for(future, timeout=60)
            return at - start, count

        opened, open_count = await until_published(
            1,
            lambda: client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(
                    lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=good)
                )
            ),
        )
        changes: list[float] = []
        wrong_counts = 0
        series = time.perf_counter()
        for n in range(n_changes):
            if n >= at_least and time.perf_counter() - series > budget:
                break
            version = n + 2
            bad = n % 2 == 0
            text = good
            if bad:
                edited = list(lines)
                target = call_lines[(n // 2) % len(call_lines)]
                assert edited[target] == GOOD_CALL, edited[target]
                edited[target] = BAD_CALL
                text = "\n".join(edited) + "\n"

            def send(text: str = text, version: int = version) -> None:
                client.text_document_did_change(
                    lsp.DidChangeTextDocumentParams(
                        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
                    )
                )

            took, count = await until_published(version, send)
            changes.append(took)
            wrong_counts += count != (1 if bad else 0)
        hovers: list[float] = []
        empty = 0
        series = time.perf_counter()
        for n in range(n_hovers):
            if n >= at_least and time.perf_counter() - series > budget:
                break
            line = call_lines[n % len(call_lines)]
            start = time.perf_counter()
            answer = await asyncio.wait_for(
                client.text_document_hover_async(
                    lsp.HoverParams(
                        lsp.TextDocumentIdentifier(uri=uri),
                        lsp.Position(line, GOOD_CALL.index("infer") + 2),
                    )
                ),
                timeout=60,
            )
            hovers.append(time.perf_counter() - start)
            empty += answer is None
        await asyncio.wait_for(client.shutdown_async(None), timeout=30)
        client.exit(None)
        await asyncio.wait_for(client.stop(), timeout=30)
    finally:
        if server is not None and server.returncode is None:
            server.kill()  # only the server this benchmark started
            await server.wait()
        if drain is not None:
            drain.cancel()
    return {
        "lines": len(lines),
        "calls": len(call_lines),
        "open": opened,
        "open_diagnostics": open_count,
        "changes": changes,
        "wrong_counts": wrong_counts,
        "hovers": hovers,
        "empty_hovers": empty,
        "logs": logs,
    }


def bench_lsp(tmp: Path, quick: bool) -> list[Row]:
    from sm_lint.server import DEBOUNCE_SECONDS

    workspace = tmp / "lsp"
    shutil.copytree(FIXTURES / "keras_export_dense", workspace / "models" / "dense")
    (workspace / "src").mkdir(parents=True)
    n_changes, n_hovers, budget, at_least = (4, 4, 0.0, 4) if quick else (40, 50, 75.0, 10)
    log(
        f"4/5 language server: up to {n_changes} didChange and {n_hovers} hovers"
        + (f" (each series stops after {budget:.0f} s, {at_least} at least)" if budget else "")
    )
    result = asyncio.run(_lsp_session(workspace, n_changes, n_hovers, budget, at_least))
    changes = [x - DEBOUNCE_SECONDS for x in result["changes"]]  # type: ignore[union-attr]
    hovers: list[float] = result["hovers"]  # type: ignore[assignment]
    print("## 4. Language server (stdio)\n")
    print(
        f"file: {result['lines']} lines, {result['calls']} signature calls; didOpen -> "
        f"diagnostics {result['open'] * 1000:.0f} ms ({result['open_diagnostics']} diagnostics)"
    )
    print(
        f"didChange -> publishDiagnostics, debounce {DEBOUNCE_SECONDS * 1000:.0f} ms subtracted, "
        f"ms: " + ", ".join(f"{x * 1000:.0f}" for x in changes)
    )
    print(f"unexpected diagnostic counts: {result['wrong_counts']} of {len(changes)}")
    print("hover ms: " + ", ".join(f"{x * 1000:.0f}" for x in hovers))
    print(f"empty hovers: {result['empty_hovers']} of {len(hovers)}")
    if result["logs"]:
        print("server log messages:", *result["logs"][:5], sep="\n  ")  # type: ignore[misc]
    print()
    note = f"{DEBOUNCE_SECONDS * 1000:.0f} ms debounce subtracted; {len(changes)} full-text edits"
    if result["wrong_counts"]:
        note += f"; {result['wrong_counts']} unexpected diagnostic counts"
    lines = result["lines"]
    hover_note = f"{len(hovers)} requests on signature calls, {result['empty_hovers']} empty"
    return [
        Row(f"LSP didOpen -> diagnostics ({lines} lines, 20 calls)", "ms", result["open"] * 1000),  # type: ignore[operator]
        Row("LSP didChange -> diagnostics, p50", "ms", pct(changes, 50) * 1000, note=note),
        Row("LSP didChange -> diagnostics, p95", "ms", pct(changes, 95) * 1000, note=note),
        Row("LSP hover, p50", "ms", pct(hovers, 50) * 1000, note=hover_note),
        Row("LSP hover, p95", "ms", pct(hovers, 95) * 1000, note=hover_note),
    ]


# ---------------------------------------------------------------- 5. the runtime guard

GUARD_SCRIPT = r"""
import json, statistics, sys, time, warnings
import numpy as np
import tensorflow as tf
from sm_lint.runtime import RECORDER, guard

path, n = sys.argv[1], int(sys.argv[2])
plain = tf.saved_model.load(path).signatures["serving_default"]
guarded = guard(tf.saved_model.load(path)).signatures["serving_default"]
x = np.random.rand(8, 5).astype(np.float32)
out = {}
with warnings.catch_warnings():
    warnings.simplefilter("error")  # an accepted call must not warn
    for label, arg in (("numpy", x), ("tensor", tf.constant(x))):
        for _ in range(30):
            plain(keras_tensor=arg)
            guarded(keras_tensor=arg)
        a, b = [], []
        for _ in range(n):  # interleaved, so drift hits both alike
            s = time.perf_counter_ns()
            plain(keras_tensor=arg)
            a.append(time.perf_counter_ns() - s)
            s = time.perf_counter_ns()
            guarded(keras_tensor=arg)
            b.append(time.perf_counter_ns() - s)
        out[label] = [statistics.median(a) / 1e3, statistics.median(b) / 1e3]
out["findings"] = len(RECORDER.findings)
print(json.dumps(out))
"""


def bench_guard(tmp: Path, quick: bool) -> list[Row]:
    n = 50 if quick else 500
    log(f"5/5 runtime guard: {n} calls each")
    proc = subprocess.run(
        [PY, "-c", GUARD_SCRIPT, str(FIXTURES / "keras_export_dense"), str(n)],
        capture_output=True,
        text=True,
        env=ENV,
        cwd=REPO,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"guard benchmark failed: {proc.stderr.strip().splitlines()[-1:]}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    print("## 5. Runtime guard overhead per call\n")
    rows = []
    for label, title in (("numpy", "numpy input"), ("tensor", "tf.Tensor input")):
        plain, guarded = data[label]
        print(f"{title}: unguarded {plain:.1f} µs, guarded {guarded:.1f} µs (medians of {n})")
        rows.append(
            Row(
                f"runtime guard, accepted call, {title}",
                "us",
                guarded,
                plain,
                "unguarded call",
                f"+{guarded - plain:.0f} µs (+{(guarded - plain) / plain * 100:.0f}%), "
                f"median of {n}",
            )
        )
    print(f"findings recorded (must be 0): {data['findings']}\n")
    return rows


# ---------------------------------------------------------------- main


def busy_cpu() -> float:
    """CPU seconds the whole machine spent busy (not idle or waiting), from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    guest = sum(fields[8:10]) if len(fields) > 9 else 0  # already counted in user/nice
    return (sum(fields) - idle - guest) / os.sysconf("SC_CLK_TCK")


def own_cpu() -> float:
    """CPU seconds of this process and of its waited-for children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


TENSORFLOW = ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tf-nightly")


def machine() -> str:
    def version(*names: str) -> str:
        for name in names:
            try:
                return metadata.version(name)
            except metadata.PackageNotFoundError:
                pass
        return "not installed"

    ruff = subprocess.run([tool("ruff"), "--version"], capture_output=True, text=True, check=False)
    git = ["git", "-C", str(REPO)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "sm_lint"], capture_output=True, text=True
    ).stdout.splitlines()
    state = head.stdout.strip() or "?"
    if dirty:
        state += f" + uncommitted changes in {len(dirty)} sm_lint file(s)"
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return "\n".join(
        [
            f"CPUs: {os.cpu_count()} ({platform.processor() or platform.machine()}), "
            f"load average at start {load}",
            f"Python {platform.python_version()} ({sys.executable})",
            f"tensorflow {version(*TENSORFLOW)}, sm-lint {version('sm-lint')}, "
            f"{ruff.stdout.strip() or 'ruff ?'}, pygls {version('pygls')}",
            f"sm-lint source: {REPO} at {state}",
            f"memory measured with {'GNU time -v' if GNU_TIME else 'getrusage(RUSAGE_CHILDREN)'}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repetitions: a smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    parser.add_argument(
        "--only", help="comma-separated subset of: show,article,tree,lsp,guard (default: all)"
    )
    args = parser.parse_args(argv)
    benches = {
        "show": bench_show_models,
        "article": bench_article,
        "tree": bench_tree,
        "lsp": bench_lsp,
        "guard": bench_guard,
    }
    chosen = list(benches) if not args.only else [x.strip() for x in args.only.split(",")]
    unknown = [x for x in chosen if x not in benches]
    if unknown:
        parser.error(f"--only: unknown {', '.join(unknown)}")
    print(f"# sm-lint benchmarks{' (--quick)' if args.quick else ''}\n")
    print(machine())
    print()
    tmp = Path(tempfile.mkdtemp(prefix="sm-lint-bench-"))
    rows: list[Row] = []
    failures: list[str] = []
    loads: list[str] = []  # each section's duration and the CPU share other processes took
    started = time.perf_counter()
    try:
        for name in chosen:
            try:
                section, busy, own = time.perf_counter(), busy_cpu(), own_cpu()
                rows.extend(benches[name](tmp, args.quick))
                took = time.perf_counter() - section
                others = (busy_cpu() - busy) - (own_cpu() - own)
                share = max(0.0, others) / (took * (os.cpu_count() or 1)) * 100
                loads.append(f"{name} {took:.0f} s, others {share:.0f}%")
            except Exception as error:  # one broken benchmark must not hide the others
                failures.append(f"{name}: {type(error).__name__}: {error}")
                log(f"{name} FAILED: {error}")
                rows.append(Row(f"{name}: FAILED", "s", None, note=str(error)[:120]))
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started
    legend = (
        "ratio = how many times better sm-lint is (reference / sm-lint for times and memory, "
        "sm-lint / reference for files/s): above 1 sm-lint wins. "
        f'Whole run: {elapsed:.0f} s ({"; ".join(loads)}). "others": the share of the '
        f"{os.cpu_count()} CPUs that processes outside this benchmark used meanwhile "
        "(/proc/stat minus this run's own CPU time); above a few % the numbers are disturbed."
    )
    print("## Summary\n")
    print(text_table(rows))
    print()
    print(legend)
    print("\n## Summary (Markdown)\n")
    print(markdown_table(rows))
    print()
    print(legend)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    for failure in failures:
        print(f"FAILED {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
