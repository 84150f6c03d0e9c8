"""Build the golden analysis facts: a frozen corpus of programs and the facts of each.

The corpus (``corpus.json``) is every program the analysis is known to meet in this
repository, frozen as text so the goldens do not move when a test or benchmark is edited:
the fixture notebooks and scripts, ``examples/``, ``bench/`` (its files, the article, the
language-server file and a small generated tree), the generated oracle programs (call
cases, values through functions, signatures derived from saves, with fixed stand-in calls)
and every multi-line string literal in ``tests/`` that compiles as Python.

``facts.json`` holds, per program, its FileFacts as the facts cache encodes them
(:func:`sm_lint.cache.encode_facts`), with signature-call ids (object ids, different in
every process) renumbered in order of first appearance; a program that does not parse
holds its SM900 message. tests/test_golden.py recomputes them and compares byte for byte.

    python tests/golden/make_golden.py            # facts only, from the frozen corpus
    python tests/golden/make_golden.py --corpus [--recorded RUN.jsonl ...]
        # collect the corpus again (imports TF); RUN.jsonl: programs a test run analysed
        # (tests/golden/record.py)
"""

from __future__ import annotations

import ast
import json
import os
import sys
import tempfile
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CORPUS = HERE / "corpus.json"
FACTS = HERE / "facts.json"
#: Where every program claims to live (``__file__`` folds to it): the same on every machine.
ROOT = "/golden"

_WORDS = ("tf.", "tensorflow", "keras", "hub", "signatures", "saved_model", "np.", "numpy")


def program_name(name: str) -> str:
    """The path a corpus program is analysed under."""
    return f"{ROOT}/{name}" if name.endswith((".py", ".ipynb")) else f"{ROOT}/{name}.py"


def facts_text(name: str, program: str) -> str:
    """The facts of *program* as the cache encodes them, call ids renumbered."""
    from sm_lint.analysis.parse import parse_program
    from sm_lint.cache import encode_facts
    from sm_lint.diagnostics import Diagnostic

    parsed = parse_program(program_name(name), program)
    if isinstance(parsed, Diagnostic):
        return json.dumps({"SM900": [parsed.line, parsed.column, parsed.message]})
    data = json.loads(encode_facts(parsed))
    ids: dict[int, int] = {}

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if item.get("__t") == "SignatureCall":
                item["id"] = ids.setdefault(item["id"], len(ids))
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(data)
    return json.dumps(data, separators=(",", ":"), sort_keys=False)


def all_facts(corpus: dict[str, str]) -> dict[str, str]:
    return {name: facts_text(name, program) for name, program in corpus.items()}


# ------------------------------------------------------------------------ the corpus
def _strings(path: Path) -> list[str]:
    """Multi-line string literals of a test file that compile and mention a library."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except SyntaxError:
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = textwrap.dedent(node.value)
            if "\n" not in text.strip() or not any(w in text for w in _WORDS):
                continue
            try:
                compile(text, "<golden>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
            except (SyntaxError, ValueError):
                continue
            found.append(text)
    return found


def collect() -> dict[str, str]:
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    from sm_lint.sources.document import read_file

    corpus: dict[str, str] = {}
    files = sorted(
        [
            *(REPO / "tests" / "fixtures").rglob("*.py"),
            *(REPO / "tests" / "fixtures").rglob("*.ipynb"),
            *(REPO / "examples").rglob("*.py"),
            *(REPO / "bench").glob("*.py"),
        ]
    )
    for path in files:
        document = read_file(path, precheck=False)
        corpus[path.relative_to(REPO).as_posix()] = document.program

    import article
    import lsp_latency
    import tree

    corpus["bench/article"] = article.ARTICLE
    corpus["bench/lsp_source"] = "\n".join(lsp_latency.lsp_source()[0]) + "\n"
    with tempfile.TemporaryDirectory() as tmp:
        tree.make_tree(Path(tmp), 120, 4, seed=1, caller_share=0.25)
        for path in sorted(Path(tmp).rglob("*.py")):
            text = path.read_text(encoding="utf-8").replace(tmp, "/tmp/tree")
            corpus[f"bench/tree/{path.relative_to(tmp).as_posix()}"] = text

    from tests import oracle_cases

    for index, case in enumerate(oracle_cases.CASES):
        corpus[f"oracle_calls/{index:04d}"] = case.source

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from tests import test_derived_oracle as derived
    from tests import test_interproc_oracle as interproc

    for index, program in enumerate(interproc.programs()):
        corpus[f"oracle_interproc/{index:04d}"] = program.source
    calls = (
        'fn = loaded.signatures["serving_default"]\nresult = fn(x=tf.zeros([2, 3]))\n'
        '_ = result["output_0"]\n',
        'fn = loaded.signatures["serving_default"]\nresult = fn(np.zeros((2, 3)), y=1.5)\n',
        "result = loaded(tf.zeros([2, 3]))\n",
    )
    templates = {**derived.TEMPLATES, **derived.BAD_TEMPLATES}
    for template, body in templates.items():
        for form in derived.PATH_FORMS:
            prelude = derived._prelude(template, form, Path("/tmp/derived"), body)
            for index, call in enumerate(calls):
                corpus[f"oracle_derived/{template}/{form}/{index}"] = prelude + call

    for path in sorted((REPO / "tests").glob("test_*.py")):
        for index, text in enumerate(_strings(path)):
            corpus[f"tests/{path.stem}/{index:04d}"] = text
    if "--recorded" in sys.argv:
        start = sys.argv.index("--recorded") + 1
        corpus.update(recorded(Path(p) for p in sys.argv[start:]))
    return corpus


def recorded(files: Iterable[Path]) -> dict[str, str]:
    """Programs a test run handed the analysis (tests/golden/record.py), once each."""
    seen: set[str] = set()
    out: dict[str, str] = {}
    for file in files:
        for line in file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            program = entry["program"]
            if program in seen:
                continue
            seen.add(program)
            test = entry["test"].split("::")
            name = f"run/{Path(test[0]).stem}/{test[-1] if len(test) > 1 else '?'}"
            index = sum(1 for k in out if k.startswith(name + "/"))
            out[f"{name}/{index:03d}"] = program
    return out


def main() -> int:
    if "--corpus" in sys.argv or not CORPUS.exists():
        corpus = collect()
        CORPUS.write_text(json.dumps(corpus, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    corpus = json.loads(CORPUS.read_text(encoding="utf-8"))
    facts = all_facts(corpus)
    FACTS.write_text(json.dumps(facts, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(corpus)} programs, {FACTS.stat().st_size} bytes of facts", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    raise SystemExit(main())
