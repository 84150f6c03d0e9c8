"""The analysis of one module: the engine (analysis/engine/) with every library's hooks
(analysis/library/). It walks a module's statements in order, keeping for each name (and
``self.attr``) what is known of its value, and records every model load, signature lookup,
signature call and output access it meets."""

from __future__ import annotations

import libcst as cst

from sm_lint.analysis.engine.core import Engine
from sm_lint.analysis.engine.state import Reuse
from sm_lint.analysis.facts import FileFacts
from sm_lint.analysis.library import hooks
from sm_lint.analysis.positions import Positions
from sm_lint.analysis.program import Program, for_file


class Interpreter(Engine):
    """The engine with the libraries' hooks; ``run()`` returns the module's FileFacts."""

    def __init__(
        self,
        module: cst.Module,
        path: str | None,
        positions: Positions | None = None,
        reuse: Reuse | None = None,
        program: Program | None = None,
    ) -> None:
        if program is None:
            program = for_file(path, analyse_imported)
        super().__init__(module, path, hooks(), positions, reuse, program)


def analyse_imported(module: cst.Module, path: str, program: Program) -> Interpreter:
    """One imported module of *program*, analysed as its own file is."""
    return Interpreter(module, path, program=program)


def analyze_module(
    module: cst.Module,
    path: str | None,
    positions: Positions | None = None,
    reuse: Reuse | None = None,
) -> FileFacts:
    """Every model load, signature lookup and signature call in *module* (*positions*:
    its nodes' positions, when the caller has them already; *reuse*: the function analyses
    of the same document's previous text, offered for the functions that did not change)."""
    facts = Interpreter(module, path, positions, reuse).run()
    if reuse is not None and reuse.uncertain:  # near a limit: analysed again in full
        facts = Interpreter(module, path, positions).run()
    return facts
