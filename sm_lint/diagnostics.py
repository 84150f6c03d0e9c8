"""Findings (Diagnostic, Fix, Edit) and what a documented rule is (Rule); the catalogue of
rules is built from the rule units in :mod:`sm_lint.rules`."""

from __future__ import annotations

import contextlib
import enum
import os
from dataclasses import dataclass, field

#: How the message of an SM900 that sm-lint itself caused begins (a crash of the analysis or
#: of its process, as opposed to a file that cannot be read).
INTERNAL_ERROR = "internal error:"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Edit:
    """Replace the text between two 1-based (line, column) positions with *text*."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str


class Applicability(str, enum.Enum):
    """How far a fix can be trusted, as in ruff: a *safe* fix keeps the program's meaning
    (a positional argument passed by the name it binds to, a cast to the only dtype the
    input takes) and ``--fix`` applies it; an *unsafe* one is a guess (a name chosen by
    similarity) and is applied only with ``--unsafe-fixes``."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Fix:
    description: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    @property
    def safe(self) -> bool:
        return self.applicability is Applicability.SAFE


@dataclass(frozen=True)
class Related:
    """A second place a finding concerns (LSP ``relatedInformation``): 1-based positions,
    end column exclusive; *cell* as in Diagnostic; *path* another file (None: the finding's
    own, e.g. where a model used here was loaded in another module of the project)."""

    line: int
    column: int
    end_line: int
    end_column: int
    message: str
    cell: int | None = None
    path: str | None = None


@dataclass(frozen=True)
class Diagnostic:
    """One finding. Positions are 1-based; the end column is exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    code: str
    severity: Severity
    message: str
    model: str | None = None
    signature: str | None = None
    fix: Fix | None = None
    #: 1-based notebook cell index, for findings in .ipynb files.
    cell: int | None = None
    #: Where the facts behind the finding came from: "static" or "runtime".
    origin: str = field(default="static", compare=False)
    #: Other places the finding concerns, e.g. the call that passed the value.
    related: tuple[Related, ...] = ()


@dataclass(frozen=True)
class Rule:
    """A documented rule: what it catches, why it matters, a bad and a good example.

    The examples are Python run after ``import numpy as np`` and ``import tensorflow as
    tf`` and then *setup* (the model they call, shared by both); model paths such as
    ``models/dense`` name the example models (see tests/test_rule_examples.py). Each rule's
    unit in :mod:`sm_lint.rules` defines its Rule.
    """

    code: str
    name: str
    severity: Severity
    summary: str
    why: str
    bad: str
    good: str
    setup: str = ""


def named_as(path: str, file: str) -> str:
    """*file*, another file a finding of *path* concerns, named as *path* is (relative
    where *path* is)."""
    if not os.path.isabs(path):
        with contextlib.suppress(ValueError):  # another drive
            return os.path.relpath(file)
    return file
