"""Compare two versions of a SavedModel's signatures, as their callers see them.

Pure functions over :class:`ModelSignatures` (no TensorFlow, no protobuf): each difference
becomes a :class:`Change`, classified as *breaking* (a call that worked with the old version
may fail, or compute on wrong data, with the new one) or compatible.

Inputs are what callers send (a new version may accept more, never less); outputs are what
callers receive. The classification:

==============================================  ========================================
change                                          for callers
==============================================  ========================================
signature removed                               breaking
signature added                                 compatible
input removed                                   breaking
input added, required                           breaking
input added, optional (it has a default)        compatible
input now required (its default removed)        breaking
input now optional (a default added)            compatible
input or output dtype changed                   breaking
input or output encoding (dense/sparse/ragged)  breaking
input dimension narrowed (None → 5)             breaking
input dimension changed (5 → 6)                 breaking
input dimension freed (5 → None)                compatible
input rank changed (or unknown rank → known)    breaking
input rank freed (known rank → unknown)         compatible
output removed                                  breaking
output added                                    compatible
output rank changed, fixed dimension changed    breaking
output dimension freed or narrowed              compatible (a freed batch follows its input)
method name changed (predict → classify)        breaking (TF Serving's verbs depend on it)
positional arguments: TF1 model → TF2 model     breaking (TF2 rejects positional arguments)
positional arguments: TF2 model → TF1 model     compatible
==============================================  ========================================
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sm_lint.models.types import ModelSignatures, Shape, Signature, TensorSpec, format_shape

#: What a change's ``old``/``new`` hold: a dtype, encoding or method name (str), a shape,
#: a whole input or output (added/removed), or None where there is nothing on that side.
Value = str | Shape | TensorSpec | None


@dataclass(frozen=True)
class Change:
    """One difference of a signature between two versions of a model."""

    #: ``signature-added``, ``signature-removed``, ``input-added``, ``input-removed``,
    #: ``output-added``, ``output-removed``, ``input-required``, ``input-optional``,
    #: ``input-dtype``, ``output-dtype``, ``input-shape``, ``output-shape``,
    #: ``input-encoding``, ``output-encoding``, ``method``, ``positional``.
    kind: str
    #: The input or output name; the signature key for signature-level kinds.
    name: str
    old: Value
    new: Value
    breaking: bool
    #: One phrase saying what changed and why it does or does not break callers.
    reason: str


@dataclass(frozen=True)
class SignatureDiff:
    """What happened to one signature key."""

    key: str
    #: ``added``, ``removed``, ``changed`` or ``unchanged``.
    status: str
    changes: tuple[Change, ...] = ()

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)


@dataclass(frozen=True)
class ModelDiff:
    """Every signature of two versions of a model, compared (sorted by key)."""

    signatures: tuple[SignatureDiff, ...]

    @property
    def breaking(self) -> bool:
        return any(s.breaking for s in self.signatures)

    @property
    def changes(self) -> tuple[Change, ...]:
        return tuple(c for s in self.signatures for c in s.changes)


def compare_models(old: ModelSignatures | None, new: ModelSignatures) -> ModelDiff:
    """How *new* differs from *old* for callers of *old*. *old* None: a model that did not
    exist before (every signature added)."""
    before = old.signatures if old is not None else {}
    after = new.signatures
    diffs = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            removed = Change("signature-removed", key, None, None, True, "signature removed")
            diffs.append(SignatureDiff(key, "removed", (removed,)))
        elif key not in before:
            added = Change("signature-added", key, None, None, False, "signature added")
            diffs.append(SignatureDiff(key, "added", (added,)))
        else:
            assert old is not None
            changes = tuple(_signature_changes(before[key], after[key], old.tf2, new.tf2))
            diffs.append(SignatureDiff(key, "changed" if changes else "unchanged", changes))
    return ModelDiff(tuple(diffs))


def _signature_changes(
    old: Signature, new: Signature, old_tf2: bool, new_tf2: bool
) -> Iterator[Change]:
    if old.method != new.method:
        yield Change(
            "method",
            old.key,
            old.method,
            new.method,
            True,
            "method name changed (TF Serving's :predict/:classify/:regress depend on it)",
        )
    if old_tf2 != new_tf2 and old.inputs:
        if new_tf2:
            why = "positional arguments no longer bind: a TF2 signature takes keywords only"
        else:
            why = "positional arguments now bind, in sorted input-name order"
        yield Change(
            "positional",
            old.key,
            "keywords only" if old_tf2 else "sorted-name order",
            "keywords only" if new_tf2 else "sorted-name order",
            new_tf2,
            why,
        )
    yield from _input_changes(old, new)
    yield from _output_changes(old.outputs, new.outputs)


def _in_order(old: dict[str, TensorSpec], new: dict[str, TensorSpec]) -> list[str]:
    """The names of both sides: removed ones first, then added ones, then the others."""
    return sorted(set(old) | set(new), key=lambda n: (n in new, n not in old, n))


def _input_changes(old: Signature, new: Signature) -> Iterator[Change]:
    for name in _in_order(old.inputs, new.inputs):
        before, after = old.inputs.get(name), new.inputs.get(name)
        if after is None:
            assert before is not None
            yield Change("input-removed", name, before, None, True, "input removed")
            continue
        optional = name in new.optional_inputs
        if before is None:
            if optional:
                yield Change(
                    "input-added", name, None, after, False, "optional input added (has a default)"
                )
            else:
                yield Change(
                    "input-added", name, None, after, True, "required input added: calls lack it"
                )
            continue
        was_optional = name in old.optional_inputs
        if was_optional and not optional:
            why = "input now required (its default removed): calls that leave it out break"
            yield Change("input-required", name, None, None, True, why)
        elif optional and not was_optional:
            yield Change("input-optional", name, None, None, False, "input now has a default")
        yield from _spec_changes("input", before, after)


def _output_changes(old: dict[str, TensorSpec], new: dict[str, TensorSpec]) -> Iterator[Change]:
    for name in _in_order(old, new):
        before, after = old.get(name), new.get(name)
        if after is None:
            assert before is not None
            yield Change("output-removed", name, before, None, True, "output removed")
        elif before is None:
            yield Change("output-added", name, None, after, False, "output added")
        else:
            yield from _spec_changes("output", before, after)


def _spec_changes(side: str, old: TensorSpec, new: TensorSpec) -> Iterator[Change]:
    if old.encoding != new.encoding:
        why = f"{side} encoding changed ({old.encoding} → {new.encoding})"
        yield Change(f"{side}-encoding", old.name, old.encoding, new.encoding, True, why)
    if old.dtype != new.dtype:
        why = f"{side} dtype changed ({old.dtype} → {new.dtype})"
        yield Change(f"{side}-dtype", old.name, old.dtype, new.dtype, True, why)
    if old.shape != new.shape:
        classify = input_shape_change if side == "input" else output_shape_change
        breaking, why = classify(old.shape, new.shape)
        yield Change(f"{side}-shape", old.name, old.shape, new.shape, breaking, why)


def input_shape_change(old: Shape, new: Shape) -> tuple[bool, str]:
    """(breaking, reason) for an input whose declared shape goes from *old* to *new*: a
    caller's value that fit *old* must still fit *new*."""
    if new is None:
        return False, "rank freed (any rank accepted)"
    if old is None:
        return True, f"rank fixed to {len(new)} (any rank was accepted)"
    if len(old) != len(new):
        return True, f"rank changed ({len(old)} → {len(new)})"
    broken, freed = [], []
    for axis, (o, n) in enumerate(zip(old, new, strict=True)):
        if o == n:
            continue
        if n is None:
            freed.append(f"dimension {axis} freed ({o} → ?)")
        elif o is None:
            broken.append(f"dimension {axis} narrowed (? → {n})")
        else:
            broken.append(f"dimension {axis} changed ({o} → {n})")
    return bool(broken), "; ".join(broken + freed)


def output_shape_change(old: Shape, new: Shape) -> tuple[bool, str]:
    """(breaking, reason) for an output whose declared shape goes from *old* to *new*: a
    different rank or fixed dimension breaks what callers do with the result; a dimension
    that becomes free or fixed does not (a freed batch dimension follows its input)."""
    if old is None or new is None:
        return False, f"rank {'freed' if new is None else 'now known'}"
    if len(old) != len(new):
        return True, f"rank changed ({len(old)} → {len(new)})"
    broken, other = [], []
    for axis, (o, n) in enumerate(zip(old, new, strict=True)):
        if o == n:
            continue
        if o is not None and n is not None:
            broken.append(f"dimension {axis} changed ({o} → {n})")
        elif n is None:
            other.append(f"dimension {axis} freed ({o} → ?)")
        else:
            other.append(f"dimension {axis} fixed (? → {n})")
    return bool(broken), "; ".join(broken + other)


def describe(value: Value) -> str:
    """A change's old or new value as text (``float32``, ``(?, 5)``, ``float32 (?, 5)``)."""
    if isinstance(value, TensorSpec):
        return f"{value.dtype} {format_shape(value.shape)}"
    if isinstance(value, str):
        return value
    return format_shape(value)
