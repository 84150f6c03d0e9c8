"""The folder walk (sm_lint/sources/walk.py) against real git, and its spelling of paths.

``.gitignore`` semantics are git's (sm_lint/sources/gitignore.py): on random trees with random
ignore files (wildcards, ``**``, classes, escapes, negation, trailing blanks, CRLF, UTF-8
names), the walk lists exactly the ``.py``/``.ipynb`` files ``git ls-files --cached
--others --exclude-standard`` lists. ``SM_LINT_FUZZ_BUDGET`` (a float, default 1) scales
the number of trees.
"""

from __future__ import annotations

import fnmatch
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from sm_lint.config import DEFAULT_EXCLUDE
from sm_lint.sources.walk import exclude_matcher, iter_source_files, iter_source_names

BUDGET = float(os.environ.get("SM_LINT_FUZZ_BUDGET", "1") or "1")
_NAMES = [
    *("a.py", "b.ipynb", "c.txt", "x.py", "#x.py", "!a.py", "a b.py", "ab.py", "B.py"),
    *("[x].py", "x]y.py", "\u00e9.py", "build", "pkg", "gen", "sub", "deep", "a"),
]
#: Pieces of patterns: wildcards, classes (negated, ranges, POSIX), escapes, blanks, UTF-8.
_ATOMS = [
    *("*", "?", "**", "a", "b", "x", ".py", "sub", "pkg", "deep", "build", "gen", "B"),
    *("[ab]", "[!a]", "[^x]", "[a-c]", "[]a]", "[[:alpha:]]", "[[:digit:]]", "["),
    *("\\#", "\\!", "\\ ", " ", "/", "/", "\u00e9", "\\[x]"),
]


def _pattern(rng: random.Random) -> str:
    pattern = "".join(rng.choice(_ATOMS) for _ in range(rng.randint(1, 4)))
    if rng.random() < 0.2:
        pattern = "!" + pattern
    if rng.random() < 0.15:
        pattern += "/"
    if rng.random() < 0.1:
        pattern += "  "
    return pattern


def _tree(root: Path, rng: random.Random, depth: int = 0) -> None:
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(_NAMES)
        path = root / name
        if path.exists():
            continue
        if "." in name or rng.random() < 0.2:
            path.write_text("x = 1\n")
        elif depth < 3:
            path.mkdir()
            _tree(path, rng, depth + 1)
    if rng.random() < 0.6:
        lines = [_pattern(rng) for _ in range(rng.randint(1, 5))]
        end = "\r\n" if rng.random() < 0.1 else "\n"
        (root / ".gitignore").write_bytes(end.join(lines).encode() + end.encode())


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_gitignore_as_git_reads_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    disagreements = []
    ignored = 0
    for seed in range(max(1, round(150 * BUDGET))):
        rng = random.Random(seed)
        root = tmp_path / f"t{seed}"
        root.mkdir()
        _tree(root, rng)
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        listed = subprocess.run(
            ["git", "-c", "core.quotepath=off", "ls-files", "-z", "-co", "--exclude-standard"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split("\0")
        git = sorted(p for p in listed if p.endswith((".py", ".ipynb")))
        monkeypatch.chdir(root)
        ours = sorted(iter_source_names(["."]))
        if ours != git:
            disagreements.append((seed, git, ours))
        every = [p for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".ipynb")]
        ignored += len(every) != len(git)
    assert disagreements == []
    assert ignored > 10  # the patterns do ignore files: the comparison is not vacuous


def test_paths_are_spelt_as_pathlib_spells_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Findings name files as the walk spells them: the same spelling as before the walk
    stopped building a Path for every file."""
    (tmp_path / "a.py").write_text("")
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "b.py").write_text("")
    monkeypatch.chdir(tmp_path)
    for arg in [".", "./", "s/..", "s", "./s/", "s//", "./a.py", "s/../a.py"]:
        path = Path(arg)
        expected = [str(path)] if path.is_file() else sorted(str(p) for p in path.rglob("*.py"))
        assert sorted(iter_source_names([arg])) == expected
        assert [str(p) for p in iter_source_files([arg])] == list(iter_source_names([arg]))
        assert all(str(Path(name)) == name for name in expected), arg
    assert list(iter_source_names(["."])) == ["a.py", "s/b.py"]
    assert list(iter_source_names(["./s/"])) == ["s/b.py"]
    assert list(iter_source_names(["s/.."])) == ["s/../a.py", "s/../s/b.py"]
    monkeypatch.chdir(tmp_path / "s")
    assert list(iter_source_names([".."])) == ["../a.py", "../s/b.py"]


def test_one_compiled_pattern_matches_as_fnmatch_does() -> None:
    rng = random.Random(0)
    alphabet = "ab.-_*?[]!x/"
    names = [*DEFAULT_EXCLUDE, "x.egg-info", "build2", ".venv", "a[b", "a]", "*", "?"]
    for _ in range(500):
        patterns = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5)))]
        patterns += rng.sample(DEFAULT_EXCLUDE, rng.randint(0, 3))
        matches = exclude_matcher(patterns)
        for name in [*names, "".join(rng.choice(alphabet) for _ in range(4))]:
            assert matches(name) == any(fnmatch.fnmatch(name, p) for p in patterns), (
                name,
                patterns,
            )
    assert not exclude_matcher(())("anything")
