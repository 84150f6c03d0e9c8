"""The engine: one module's walk, then the caller-free analysis of every function body.

It knows Python, not TensorFlow: every library's meaning comes through the hooks it is given
(analysis/library/ registers them). ``Engine(module, path, hooks).run()`` gives the file's
facts.
"""

from __future__ import annotations

import os
from dataclasses import replace

import libcst as cst

from sm_lint.analysis import functions
from sm_lint.analysis.engine.flow import Flow
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import global_declarations, param_names, statements_of
from sm_lint.analysis.facts import FileFacts
from sm_lint.analysis.values import UNKNOWN, AbstractValue, Const


class Engine(Flow):
    """Analyse one module; ``run()`` returns its FileFacts."""

    def run(self) -> FileFacts:
        """Walk the module, then every deferred body; the facts as the hooks assemble them."""
        if self.reuse is not None:
            module = self.reuse.prepare(self)
            self.globals_assigned_in_functions = set(module.globals_assigned)
            self._mutated_in_functions = set(module.mutated)
        else:
            self.globals_assigned_in_functions = global_declarations(self.module)
        env: Env = {}
        if self.path is not None:
            env["__file__"] = Const(os.path.abspath(self.path))
        env = self.block(self.module.body, env)
        self._drain()
        if self.reuse is not None:
            self.reuse.finish(self)
        assert self.hooks.finish is not None, "no library assembles the facts"
        facts = self.hooks.finish(self, env)
        if self.imported:
            facts = replace(facts, imports=tuple(sorted(self.imported.items())))
        return facts

    def module_env(self) -> Env:
        """The module's names when its import finishes (a summary for its importers): the
        module-level walk only, function bodies are analysed when they are called."""
        self.globals_assigned_in_functions = global_declarations(self.module)
        env: Env = {}
        if self.path is not None:
            env["__file__"] = Const(os.path.abspath(self.path))
        return self.block(self.module.body, env)

    def context_work(self) -> tuple[int, int]:
        """(statements analysed in call contexts, most contexts of any one function): the
        quantities the limits in analysis/functions.py bound."""
        return self.state.context_statements, max(self.state.contexts.values(), default=0)

    def _drain(self) -> None:
        reuse = self.reuse if self.reuse is not None and self.reuse.enabled else None
        self.ended = False
        while self.state.deferred:
            item = self.state.deferred.pop(0)
            if reuse is None:
                self.analyse_deferred(*item)
                continue
            recording = reuse.replay_or_record(self, item)
            if recording is None:
                continue  # its recorded facts were replayed
            start = len(self.state.deferred)
            self.state.recording = recording
            try:
                self.analyse_deferred(*item)
            finally:
                self.state.recording = None
            reuse.keep(self, recording, start)

    def analyse_deferred(
        self, func: cst.FunctionDef | cst.Lambda, env: Env, extra: dict[str, AbstractValue]
    ) -> None:
        """A function's body analysed without a caller (its parameters unknown)."""
        local = dict(env)
        for name in self.globals_assigned_in_functions:
            local.pop(name, None)
        self.frames.append(functions.Frame(func, dict(local)))
        local.update(extra)
        if isinstance(func, cst.Lambda):
            for param in param_names(func.params):
                local[param] = UNKNOWN
            self.expr(func.body, local)
        else:
            for param in param_names(func.params):
                local[param] = UNKNOWN
            self.block(statements_of(func.body), local)
        self.frames.pop()
        self.ended = False
