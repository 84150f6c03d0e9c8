"""Render ``sm-lint diff``: the signature changes of a model, then the call sites they break."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sm_lint.diagnostics import Diagnostic
from sm_lint.models.compare import Change, ModelDiff, SignatureDiff, Value, describe
from sm_lint.models.types import TensorSpec
from sm_lint.output.report import diagnostic_json, render_text


@dataclass(frozen=True)
class DiffReport:
    """One model compared: its two versions' labels, the changes, the call sites broken
    (None: no call sites were checked)."""

    old: str
    new: str
    diff: ModelDiff
    findings: tuple[Diagnostic, ...] | None = None
    #: A note on the comparison itself ("not at HEAD: a new model").
    note: str | None = None


def _value_json(value: Value) -> Any:
    if isinstance(value, TensorSpec):
        return {"dtype": value.dtype, "shape": None if value.shape is None else list(value.shape)}
    if isinstance(value, tuple):
        return list(value)
    return value


def change_json(change: Change) -> dict[str, Any]:
    return {
        "kind": change.kind,
        "name": change.name,
        "old": _value_json(change.old),
        "new": _value_json(change.new),
        "breaking": change.breaking,
        "reason": change.reason,
    }


def report_json(report: DiffReport) -> dict[str, Any]:
    """The documented object: ``{"old", "new", "signatures": {key: {"status", "breaking",
    "changes": [{"kind", "name", "old", "new", "breaking", "reason"}]}}, "breaking",
    "findings": [...]}``."""
    return {
        "old": report.old,
        "new": report.new,
        "signatures": {
            s.key: {
                "status": s.status,
                "breaking": s.breaking,
                "changes": [change_json(c) for c in s.changes],
            }
            for s in report.diff.signatures
        },
        "breaking": report.diff.breaking,
        "findings": [diagnostic_json(d) for d in report.findings or ()],
    }


def render_json(reports: Sequence[DiffReport]) -> str:
    """One object for one model; an array of them for several."""
    items = [report_json(r) for r in reports]
    return json.dumps(items[0] if len(items) == 1 else items, indent=2)


_SUBJECT = {"input": "input", "output": "output"}


def change_text(change: Change, renamed_from: str | None = None) -> str:
    """One change as a line of text, without its verdict."""
    side, _, what = change.kind.partition("-")
    if side in _SUBJECT:
        subject = f"{side} {change.name!r}"
        if what == "added":
            if side == "output":
                return f"{subject} added: {describe(change.new)}"
            hint = f"; renamed from {renamed_from!r}?" if renamed_from else ""
            return f"{subject} added: {describe(change.new)} ({change.reason}{hint})"
        if what == "removed":
            return f"{subject} removed (was {describe(change.old)})"
        if what in ("dtype", "encoding"):
            return f"{subject} {what} {describe(change.old)} → {describe(change.new)}"
        if what == "shape":
            return (
                f"{subject} shape {describe(change.old)} → {describe(change.new)}: {change.reason}"
            )
        return f"{subject}: {change.reason}"
    if change.kind == "method":
        return f"method {change.old or '(none)'!s} → {change.new or '(none)'!s}"
    return change.reason


def _renames(sig: SignatureDiff) -> dict[str, str]:
    """Added input -> removed input, where one input of the same dtype and shape was
    removed and one added: most likely a rename (a hint only)."""
    removed = [c for c in sig.changes if c.kind == "input-removed"]
    added = [c for c in sig.changes if c.kind == "input-added"]
    if len(removed) != 1 or len(added) != 1:
        return {}
    old, new = removed[0].old, added[0].new
    if not isinstance(old, TensorSpec) or not isinstance(new, TensorSpec):
        return {}
    if (old.dtype, old.shape) != (new.dtype, new.shape):
        return {}
    return {added[0].name: removed[0].name}


def _verdict(breaking: bool) -> str:
    return "breaking  " if breaking else "compatible"


def render_report_text(
    report: DiffReport,
    lines: Callable[[Diagnostic], list[str] | None],
    color: bool = False,
) -> str:
    out = [f"{report.old} → {report.new}"]
    if report.note:
        out.append(f"  ({report.note})")
    for sig in report.diff.signatures:
        if sig.status in ("added", "removed"):
            out.append(f"  {_verdict(sig.breaking)}  signature {sig.key!r} {sig.status}")
            continue
        if sig.status == "unchanged":
            out.append(f"  unchanged   signature {sig.key!r}")
            continue
        out.append(f"  signature {sig.key!r}:")
        renames = _renames(sig)
        for change in sig.changes:
            text = change_text(change, renames.get(change.name))
            out.append(f"    {_verdict(change.breaking)}  {text}")
    if report.findings:
        out.append("")
        out.append("Call sites the new version breaks:")
        out.append(render_text(list(report.findings), lines, color=color).rstrip("\n"))
        out.append("")
    return "\n".join(out)


def summary(reports: Sequence[DiffReport]) -> str:
    changes = [c for r in reports for c in r.diff.changes]
    breaking = sum(c.breaking for c in changes)
    compatible = len(changes) - breaking
    parts = [
        f"{breaking} breaking change{'' if breaking == 1 else 's'}",
        f"{compatible} compatible",
    ]
    checked = [r for r in reports if r.findings is not None]
    if checked:
        broken = sum(len(r.findings or ()) for r in checked)
        parts.append(f"{broken} call-site finding{'' if broken == 1 else 's'} the new version adds")
    return ", ".join(parts) + "."
