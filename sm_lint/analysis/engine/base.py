"""What every part of the engine shares: the module, its positions, the run state, the hooks
and where in the walk the engine is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import libcst as cst
from libcst.metadata import MetadataWrapper

from sm_lint.analysis import functions
from sm_lint.analysis.engine.hooks import Hooks
from sm_lint.analysis.engine.state import Env, Invoked, Reuse, RunState
from sm_lint.analysis.engine.syntax import star_import_in
from sm_lint.analysis.facts import Span
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.positions import Positions
from sm_lint.analysis.values import AbstractValue

if TYPE_CHECKING:
    from sm_lint.analysis.program import Program


class EngineBase:
    """The engine's fields and the positions of nodes; the walk is in its subclasses."""

    def __init__(
        self,
        module: cst.Module,
        path: str | None,
        hooks: Hooks,
        positions: Positions | None = None,
        reuse: Reuse | None = None,
        program: Program | None = None,
    ) -> None:
        self.module = module
        self.path = path
        self.hooks = hooks
        self.state = RunState()
        self._wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
        # The incremental parser brings the positions it kept for unchanged statements.
        self.positions = positions or Positions(module)
        self._where: cst.CSTNode | None = None
        self._qualnames: Mapping[cst.CSTNode, Any] | None = None
        self._star_import = any(map(star_import_in, module.body))
        self.globals_assigned_in_functions: set[str] = set()
        # Values through functions (analysis/functions.py): the functions being analysed,
        # innermost last; how many of them are analysed under a caller's arguments.
        self.frames: list[functions.Frame] = []
        self.contextual = 0
        #: The statement just analysed ends its block (return/raise/break/continue).
        self.ended = False
        self._identifiers: dict[int, frozenset[str]] = {}
        #: Module-level names bound more than once (computed once, lazily).
        self._rebound: set[str] | None = None
        #: The followed class each method (by node id) is defined in (``super()``).
        self.owners: dict[int, functions.ClassValue] = {}
        self._mutated_in_functions: set[str] | None = None
        self._outside_init: tuple[set[str] | None] | None = None  # computed once, lazily
        # Function analyses kept from the document's previous text (analysis/reuse.py).
        self.reuse = reuse
        #: The project this module belongs to (analysis/program.py; None: imports opaque),
        #: and the project files read for its imports (path -> sha256, and size/mtime).
        self.program = program
        self.imported: dict[str, str] = {}
        self.imported_stamps: dict[str, tuple[int, int]] = {}

    def note_import(self, summary: Any) -> None:
        """The facts depend on *summary*'s module and everything it read."""
        self.imported.update(summary.files)
        self.imported_stamps.update(summary.stamps)

    # ------------------------------------------------------------- positions
    def span(self, node: cst.CSTNode) -> Span:
        """The node's place (1-based), noted for reuse when a function is recorded."""
        line, column, end_line, end_column = self.positions.of(node, self._where)
        span = Span(line, column + 1, end_line, end_column + 1)
        if self.state.recording is not None:
            self.state.recording.spans.append((node, span))
        return span

    def origin(self, node: cst.CSTNode, what: str) -> str:
        """A name for what *node* makes (a temporary folder), unique in the file: its place."""
        span = self.span(node)
        if self.state.recording is not None:
            self.state.recording.placed = True  # a position in a value: it moves with no fact
        return f"{what}@{span.line}:{span.column}"

    def text(self, node: cst.CSTNode) -> str:
        """The node's source text."""
        return self.module.code_for_node(node)

    # ------------------------------------------- the walk (in the subclasses)
    def expr(self, node: cst.BaseExpression | None, env: Env) -> AbstractValue:
        raise NotImplementedError

    def index(self, elements: Sequence[cst.SubscriptElement], env: Env) -> AbstractValue:
        raise NotImplementedError

    def block(self, body: Sequence[cst.CSTNode], env: Env) -> Env:
        raise NotImplementedError

    def call(self, node: cst.Call, env: Env) -> AbstractValue:
        raise NotImplementedError

    def function_value(
        self, node: cst.FunctionDef | cst.Lambda, name: str, env: Env, decorated: bool = False
    ) -> AbstractValue:
        raise NotImplementedError

    def invoke(
        self,
        function: functions.FunctionValue,
        args: CallArgs,
        opaque: bool,
        env: Env,
        span: Span,
        bound_self: functions.InstanceValue | None = None,
        name: str | None = None,
    ) -> Invoked:
        raise NotImplementedError

    def foreign_intact(self, node: cst.BaseExpression, receiver: Any, env: Env) -> bool:
        raise NotImplementedError

    def rebound(self, node: cst.BaseExpression) -> bool:
        """A branch test naming a global that some function rebinds: its truth is not certain."""
        return isinstance(node, cst.Name) and node.value in self.globals_assigned_in_functions
