"""Benchmark 3: whole-repository lint of a generated tree vs ``ruff check --select F401``:
wall time, files/s, peak memory; cold and warm, ``--jobs 1`` vs the default."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from common import (
    ENV,
    FINDING,
    FIXTURES,
    GNU_TIME,
    SM_LINT,
    Row,
    Run,
    interleaved,
    log,
    max_of,
    median_cpu,
    median_wall,
    runs_of,
    tool,
)

from sm_lint.models import discover_models, read_signatures, resolve_model_dir

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
    loaded: str | None = None,
    builders: tuple[int, ...] = (),
) -> tuple[list[str], str | None]:
    """The lines of one load-lookup-call-index sequence, and the mistake really planted
    (a requested mistake the signature cannot have becomes another one). *loaded*: the
    expression that gives the loaded model (another module's loader called, or its model
    constant), instead of ``tf.saved_model.load(load_expr)``. *builders*: the widths of
    the ``rows_N(count)`` input builders in scope, used for float32 inputs of shape
    ``(None, N)``."""
    key = rng.choice(sorted(model.signatures))
    inputs = model.signatures[key]
    batch = rng.choice([1, 4, 16, 32])
    values = {name: _value(dt, shape, batch, rng) for name, (dt, shape) in inputs.items()}
    for name, (dt, shape) in inputs.items():
        if dt == "float32" and shape and len(shape) == 2 and shape[1] in builders:
            values[name] = f"rows_{shape[1]}({batch})"
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
        f"model_{index} = {loaded or f'tf.saved_model.load({load_expr})'}",
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


def make_tree(
    root: Path, n_files: int, n_models: int, seed: int = 1, caller_share: float = 0.05
) -> dict[str, object]:
    """The generated repository: packages of ordinary modules, *caller_share* of the files
    calling signatures."""
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
    packages = max(1, min(40, n_files // 50))
    per_package = n_files // packages
    paths = [
        root / "src" / f"pkg{p:02d}" / ("__init__.py" if m == 0 else f"module_{m:03d}.py")
        for p in range(packages)
        for m in range(per_package)
    ]
    paths += [root / "src" / "extra" / f"module_{m:03d}.py" for m in range(n_files - len(paths))]
    modules = [p for p in paths if p.name != "__init__.py"]
    callers = set(rng.sample(modules, min(len(modules), max(1, round(n_files * caller_share)))))
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
        "tree_models": models,
    }


PACKAGE = "serving"


def make_package(
    root: Path, models: list[TreeModel], n_modules: int = 50, seed: int = 3
) -> dict[str, object]:
    """A package of *n_modules* interdependent calling modules under ``src/serving/``, the
    shapes of issue 23: ``config`` (model names, paths built with ``os.path.join``, the
    batch size), ``loaders`` (loader functions and module-level models, from config's
    paths), ``features_*`` (input builders), and handlers that import loaders, constants
    and each other's functions and call the signatures, about 40% with a planted mistake.
    Half of the handlers load a model themselves (``tf.saved_model.load(config.PATH_3)``),
    half only through ``loaders``: the pre-check keeps the first kind today."""
    rng = random.Random(seed)  # its own: the tree without the package stays as it was
    folder = root / "src" / PACKAGE
    folder.mkdir(parents=True, exist_ok=True)
    chosen = rng.sample(models, min(8, len(models)))
    files: dict[str, str] = {"__init__.py": '"""The serving package."""\n'}
    config = ["import os", "", 'MODELS_ROOT = "models"', "BATCH = 16"]
    for k, model in enumerate(chosen):
        config.append(f'NAME_{k} = "{model.folder}"')
        config.append(f"PATH_{k} = os.path.join(MODELS_ROOT, NAME_{k})")
    files["config.py"] = '"""Where the models are."""\n\n' + "\n".join(config) + "\n"
    loaders = ["import os", "", "import tensorflow as tf", "", "from . import config"]
    loaders.append("from .config import MODELS_ROOT")
    for k in range(len(chosen)):
        loaders += ["", "", f"def load_{k}():", f'    """Model {k}."""']
        loaders.append(f"    return tf.saved_model.load(config.PATH_{k})")
    shared = list(range(0, len(chosen), 3))  # module-level models, imported elsewhere
    loaders.append("")
    for k in shared:
        where = f"os.path.join(MODELS_ROOT, config.NAME_{k})"
        loaders.append(f"SHARED_{k} = tf.saved_model.load({where})")
    files["loaders.py"] = '"""Loading the models."""\n\n' + "\n".join(loaders) + "\n"
    n_features = max(1, (n_modules - 3) // 5)
    for f in range(n_features):
        lines = ["import numpy as np", "", "from .config import BATCH", ""]
        for width in (5, 10):
            lines += [
                "",
                f"def rows_{width}(count=BATCH):",
                f'    """A float32 batch of {width} features."""',
                f"    return np.zeros((count, {width}), dtype=np.float32)",
            ]
        files[f"features_{f:02d}.py"] = '"""Input builders."""\n\n' + "\n".join(lines) + "\n"
    planted: Counter[str] = Counter()
    calls = 0
    handlers: list[tuple[str, str]] = []  # (module, a function of it that others call)
    for h in range(n_modules - 3 - n_features):
        module = f"handlers_{h:02d}"
        imports, body = filler(rng, rng.randint(40, 120), uses_tf=True)
        if "import numpy as np" not in imports:
            imports.append("import numpy as np")
        features = f"from .features_{rng.randrange(n_features):02d} import rows_5, rows_10"
        direct = h % 2 == 0
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(chosen))
            model = chosen[k]
            if direct:
                loaded = f"tf.saved_model.load(config.PATH_{k})"
            elif k in shared and rng.random() < 0.5:
                loaded = f"loaders.SHARED_{k}"
            else:
                loaded = f"loaders.load_{k}()"
            wanted = rng.choice(MISTAKES) if rng.random() < 0.4 else None
            calls += 1
            lines, mistake = signature_call(rng, model, "", calls, wanted, True, loaded, (5, 10))
            planted[mistake or "none"] += 1
            body.extend(lines)
            first = f"predict_{calls}"
        imports += ["", f"from . import {'config' if direct else 'loaders'}", features]
        for other, function in rng.sample(handlers, min(2, len(handlers))):
            imports.append(f"from .{other} import {function}")
            body += ["", f"def chain_{function}():", f"    return {function}()", ""]
        # Every builder imported is used (ruff's F401 findings stay the tree's own).
        body += ["", "def sample_inputs():", "    return rows_5(), rows_10()", ""]
        handlers.append((module, first))
        text = "\n".join([f'"""Handlers {h}."""', "", *imports, *body]) + "\n"
        files[f"{module}.py"] = text
    for name, text in files.items():
        (folder / name).write_text(text)
    return {
        "files": len(files),
        "lines": sum(t.count("\n") for t in files.values()),
        "handlers": len(handlers),
        "direct": sum(1 for h in range(len(handlers)) if h % 2 == 0),
        "calls": calls,
        "planted": dict(planted),
    }


def _findings(run: Run) -> Counter[str]:
    return Counter(FINDING.findall(run.stdout))


def bench_tree(tmp: Path, quick: bool) -> list[Row]:
    return bench_generated_tree(tmp, quick) + bench_stdlib_tree(tmp, quick)


def stdlib_sources(limit: int) -> list[Path]:
    """Up to *limit* modules of the running Python's standard library (its tests included,
    site-packages not), in a fixed order."""
    root = Path(sysconfig.get_paths()["stdlib"])
    found = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and p.is_file())
    return found[:limit]


def bench_stdlib_tree(tmp: Path, quick: bool) -> list[Row]:
    """Standard-library modules (which call no signature, but mention "signatures" in
    docstrings and "github" in URLs) plus generated calling files: what the non-calling
    files cost, measured as the whole run minus a run on the calling files alone."""
    tree = tmp / "stdtree"
    n_library, n_callers, n_models = (400, 30, 5) if quick else (1900, 100, 10)
    library = stdlib_sources(n_library)
    log(f"3/5 tree: {len(library)} standard-library modules + {n_callers} calling files")
    for source in library:
        target = tree / "lib" / source.relative_to(Path(sysconfig.get_paths()["stdlib"]))
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    facts = make_tree(tree, n_callers, n_models, seed=2, caller_share=1.0)
    n = 1 if quick else 7
    models = ["--models", str(tree / "models"), "-q", "--no-cache"]
    whole, callers_only, ruff = interleaved(
        [
            ([*SM_LINT, str(tree), *models], None),
            ([*SM_LINT, str(tree / "src"), *models], None),
            ([tool("ruff"), "check", "--select", "F401", "--quiet", "--no-cache", str(tree)], None),
        ],
        n,
        tree,
    )
    t_whole, t_callers = median_wall(whole), median_wall(callers_only)
    share = max(0.0, t_whole - t_callers) / t_whole * 100
    c_whole, c_callers = median_cpu(whole), median_cpu(callers_only)
    cpu_share = (
        max(0.0, c_whole - c_callers) / c_whole * 100 if c_whole and c_callers is not None else None
    )
    files = len(library) + int(facts["files"])  # type: ignore[call-overload]
    print("## 3b. Standard-library modules plus calling files\n")
    print(
        f"tree: {len(library)} standard-library modules (Python {sys.version.split()[0]}) + "
        f"{facts['files']} generated files ({facts['callers']} calling signatures, "
        f"{facts['calls']} calls), {n_models} SavedModels"
    )
    print(f"sm-lint findings: {dict(sorted(_findings(whole[-1]).items()))}")
    for label, rs in [
        ("sm-lint whole tree", whole),
        ("sm-lint calling files only", callers_only),
        ("ruff --no-cache", ruff),
    ]:
        print(
            f"  {label:<29} wall s: "
            + ", ".join(f"{r.wall:.3f}" for r in rs)
            + "; CPU s: "
            + ", ".join(f"{r.cpu:.3f}" if r.cpu is not None else "?" for r in rs)
        )
    print()
    return [
        Row(
            f"stdlib tree lint, {files} files, cold: wall time",
            "s",
            t_whole,
            median_wall(ruff),
            "ruff F401 --no-cache",
            f"{len(library)} stdlib modules + {facts['files']} calling; median of {n}, in turn",
        ),
        Row(
            f"stdlib tree: share of the {len(library)} non-calling files",
            "%",
            share,
            10.0,
            "target 10%",
            f"wall: (whole {t_whole:.2f} s - calling files alone {t_callers:.2f} s) / whole",
        ),
        Row(
            f"stdlib tree: CPU share of the {len(library)} non-calling files",
            "%",
            cpu_share,
            10.0,
            "target 10%",
            f"CPU seconds (user + system, workers included): whole {c_whole or 0:.2f} s, "
            f"calling files alone {c_callers or 0:.2f} s",
        ),
        Row(
            f"stdlib tree lint, {files} files, cold: CPU time",
            "s",
            c_whole,
            median_cpu(ruff),
            "ruff F401 --no-cache",
            "user + system seconds, all threads and workers",
        ),
    ]


def bench_generated_tree(tmp: Path, quick: bool) -> list[Row]:
    tree = tmp / "tree"
    n_files, n_models = (400, 10) if quick else (2000, 50)
    log(f"3/5 tree: generating {n_files} files and {n_models} SavedModels")
    facts = make_tree(tree, n_files, n_models)
    help_text = subprocess.run(
        [*SM_LINT, "--help"], capture_output=True, text=True, env=ENV, check=False
    ).stdout
    has_cache = "--no-cache" in help_text
    has_jobs = "--jobs" in help_text
    n = 1 if quick else 5
    base = [*SM_LINT, str(tree), "--models", str(tree / "models"), "-q"]
    cache_dir = tree / ".sm-lint"

    def drop_cache() -> None:
        shutil.rmtree(cache_dir, ignore_errors=True)

    ruff = tool("ruff")
    ruff_cmd = [ruff, "check", "--select", "F401", "--quiet", str(tree)]
    log(f"3/5 tree: sm-lint and ruff cold in turn x{n} (--no-cache {has_cache}, --jobs {has_jobs})")
    cold_cmd = [*base, "--no-cache"] if has_cache else base
    cold, ruff_cold = interleaved(
        [(cold_cmd, drop_cache), ([*ruff_cmd, "--no-cache"], None)], n, tree
    )
    found = _findings(cold[-1])
    ruff_found = len([x for x in ruff_cold[-1].stdout.splitlines() if "F401" in x])
    shutil.rmtree(tree / ".ruff_cache", ignore_errors=True)
    runs_of(ruff_cmd, 1, tree)  # fills ruff's cache

    first = warm = jobs1 = None
    ruff_warm: list[Run]
    if has_cache:
        log(f"3/5 tree: sm-lint first run (writes the cache), then sm-lint and ruff warm x{n}")
        drop_cache()
        first = runs_of(base, 1, tree)
        warm, ruff_warm = interleaved([(base, None), (ruff_cmd, None)], n, tree)
        if _findings(warm[-1]) != found:
            log(f"WARNING: warm run findings {_findings(warm[-1])} != cold {found}")
    else:
        ruff_warm = runs_of(ruff_cmd, n, tree)
    if has_jobs:
        log("3/5 tree: sm-lint --jobs 1 cold x1")
        jobs1 = runs_of([*cold_cmd, "--jobs", "1"], 1, tree, before=drop_cache)
    files = facts["files"]
    assert isinstance(files, int)
    # Issue 23's cost row: the same tree gains a package of interdependent calling modules.
    models = facts["tree_models"]
    assert isinstance(models, list)
    package = make_package(tree, models, 50 if not quick else 20)
    log(f"3/5 tree: + package of {package['files']} modules: sm-lint and ruff cold x{n}")
    cold_pkg, ruff_pkg = interleaved(
        [(cold_cmd, drop_cache), ([*ruff_cmd, "--no-cache"], None)], n, tree
    )
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
        ("sm-lint cold, + package", cold_pkg),
        ("ruff --no-cache, + package", ruff_pkg),
    ]:
        if rs:
            walls = ", ".join(f"{r.wall:.3f}" for r in rs)
            print(
                f"  {label:<29} wall s: {walls}; "
                f"max RSS {max_of([r.max_rss_mb for r in rs]) or 0:.0f} MB; "
                f"tree PSS {max_of([r.tree_mb for r in rs]) or 0:.0f} MB"
            )
    found_pkg = _findings(cold_pkg[-1])
    print(
        f"+ package {PACKAGE}/: {package['files']} modules, {package['lines']:,} lines, "
        f"{package['handlers']} handlers with {package['calls']} signature calls "
        f"({package['direct']} of them loading a model themselves, the others only through "
        f"the package's loaders); planted mistakes: {package['planted']}; sm-lint findings "
        f"in the whole tree: {dict(sorted(found_pkg.items()))} (total {sum(found_pkg.values())})"
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
            f"median of {n}, in turn with ruff's" + ("; --no-cache" if has_cache else ""),
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
    t_pkg, t_ruff_pkg = median_wall(cold_pkg), median_wall(ruff_pkg)
    with_files = files + int(package["files"])  # type: ignore[call-overload]
    rows += [
        Row(
            f"repo lint + {package['files']}-module package, {with_files} files, cold: wall time",
            "s",
            t_pkg,
            t_ruff_pkg,
            "ruff F401 --no-cache",
            f"median of {n}; times ruff: {t_pkg / t_ruff_pkg:.2f}x with the package, "
            f"{t_cold / t_ruff:.2f}x without",
        ),
        Row(
            "repo lint + package, cold: peak RSS, largest process",
            "MB",
            max_of([r.max_rss_mb for r in cold_pkg]),
            100.0,
            "limit 100 MB",
            "GNU time -v" if GNU_TIME else "getrusage(RUSAGE_CHILDREN)",
        ),
        Row(
            "repo lint + package, cold: peak memory, whole process tree",
            "MB",
            max_of([r.tree_mb for r in cold_pkg]),
            100.0,
            "limit 100 MB",
            "PSS summed over the process tree (workers included), sampled",
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
                f"median of {n}, in turn with ruff's; nothing changed",
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
