"""A SavedModel folder's model file as a git revision has it (``git show REV:path``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sm_lint.models.reader import PB, PBTXT, model_file, resolve_model_dir
from sm_lint.models.types import ModelReadError

_LFS_POINTER = b"version https://git-lfs.github.com/spec/v1"


class RevisionError(Exception):
    """Git cannot answer (not a repository, no such revision). One line."""


def _git(cwd: Path, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, input=data, capture_output=True, check=False, timeout=120
        )
    except FileNotFoundError as error:
        raise RevisionError("git is not installed (needed for --against)") from error
    except subprocess.TimeoutExpired as error:
        raise RevisionError(f"git {args[0]} did not answer in 120 s") from error


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", errors="replace").strip()
    return text.splitlines()[0] if text else ""


def model_at_revision(model: Path | str, rev: str, dest: Path) -> tuple[Path, str, bool]:
    """The working-tree model folder *model* names; the label ``REV:path`` of its model
    file at *rev*; and whether that file existed at *rev* (then it is written into *dest*,
    a folder; else the model is new). Raises ModelReadError for a working-tree folder that
    is not a SavedModel, RevisionError for what git cannot answer."""
    folder = resolve_model_dir(model)
    current = model_file(folder)
    assert current is not None  # resolve_model_dir guarantees it
    absolute = folder.resolve()
    found = _git(absolute, "rev-parse", "--show-toplevel")
    if found.returncode != 0:
        raise RevisionError(f"{folder}: not inside a git repository (needed for --against)")
    top = Path(found.stdout.decode().strip()).resolve()
    try:
        relative = absolute.relative_to(top).as_posix()
    except ValueError as error:
        raise RevisionError(f"{folder}: outside the git repository {top}") from error
    here = f"{relative}/{current.name}" if relative != "." else current.name
    verified = _git(top, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if verified.returncode != 0 or not rev or rev.startswith("-"):
        if rev == "HEAD" and _git(top, "symbolic-ref", "--quiet", "HEAD").returncode == 0:
            # A branch with no commit yet (the first commit): every model is new.
            return folder, f"{rev}:{here}", False
        raise RevisionError(f"--against {rev}: not a git revision of {top}")
    commit = verified.stdout.decode().strip()
    # The folder may have held the other spelling of the model file at that revision.
    for name in (current.name, *(n for n in (PB, PBTXT) if n != current.name)):
        path = f"{relative}/{name}" if relative != "." else name
        shown = _git(top, "show", f"{commit}:{path}")
        if shown.returncode != 0:
            continue
        label = f"{rev}:{path}"
        data = shown.stdout
        if data.startswith(_LFS_POINTER):
            smudged = _git(top, "lfs", "smudge", "--", path, data=data)
            if smudged.returncode != 0:
                raise ModelReadError(
                    label,
                    "a Git LFS pointer, and `git lfs smudge` could not fetch it "
                    f"({_first_line(smudged.stderr) or 'git-lfs missing?'})",
                )
            data = smudged.stdout
        dest.mkdir(parents=True, exist_ok=True)
        (dest / name).write_bytes(data)
        return folder, label, True
    return folder, f"{rev}:{here}", False
