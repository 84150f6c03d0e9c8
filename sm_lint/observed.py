"""Run-time facts for the static side: what each signature call site really received.

The runtime checker writes ``.sm-lint/observed.json`` in the project root; the CLI and the
language server read it to check call sites whose arguments are unknown statically, and to
show observed values on hover. The file is merged across runs, bounded in size, and
written under a lock with an atomic rename, so concurrent writers never lose or corrupt it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sm_lint.semantics import Kind, Value

FOLDER = ".sm-lint"
FILE = "observed.json"
VERSION = 1
MAX_SITES = 5000
MAX_VALUES = 8  # distinct values kept per input of a call site

#: site ("path:line", path relative to the project root) -> input name -> observations.
Observations = dict[str, dict[str, list["Observed"]]]


@dataclass(frozen=True)
class Observed:
    value: Value
    count: int

    def to_json(self) -> dict[str, Any]:
        v = self.value
        return {
            "kind": v.kind.value,
            "dtype": v.dtype,
            "shape": None if v.shape is None else list(v.shape),
            "count": self.count,
        }

    @staticmethod
    def from_json(data: Mapping[str, Any]) -> Observed:
        shape = data.get("shape")
        value = Value(
            Kind(data.get("kind", "unknown")),
            data.get("dtype"),
            None if shape is None else tuple(shape),
        )
        return Observed(value, int(data.get("count", 1)))


def path_for(root: Path) -> Path:
    return root / FOLDER / FILE


def site_key(root: Path, path: str, line: int) -> str:
    try:
        rel = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = Path(path).resolve().as_posix()
    return f"{rel}:{line}"


def load(root: Path) -> Observations:
    """The observations stored under *root* (empty when there are none or the file is bad)."""
    try:
        data = json.loads(path_for(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return {}
    sites = data.get("sites", {})
    out: Observations = {}
    if not isinstance(sites, dict):
        return out
    for site, inputs in sites.items():
        if not isinstance(inputs, dict):
            continue
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            out[site] = {name: [Observed.from_json(o) for o in obs] for name, obs in inputs.items()}
    return out


def merge(base: Observations, new: Observations) -> Observations:
    """*base* plus *new*: counts add up; at most MAX_VALUES values per input and MAX_SITES
    sites (the least observed are dropped first)."""
    merged: Observations = {
        site: {n: list(o) for n, o in inputs.items()} for site, inputs in base.items()
    }
    for site, inputs in new.items():
        target = merged.setdefault(site, {})
        for name, observations in inputs.items():
            counts: dict[Value, int] = {o.value: o.count for o in target.get(name, [])}
            for o in observations:
                counts[o.value] = counts.get(o.value, 0) + o.count
            best = sorted(counts.items(), key=lambda kv: -kv[1])[:MAX_VALUES]
            target[name] = [Observed(v, c) for v, c in best]
    if len(merged) > MAX_SITES:
        weight = {s: sum(o.count for obs in i.values() for o in obs) for s, i in merged.items()}
        keep = sorted(merged, key=lambda s: -weight[s])[:MAX_SITES]
        merged = {s: merged[s] for s in keep}
    return merged


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "observed.lock", "w") as handle:
        try:
            import fcntl

            fcntl.flock(handle, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - not POSIX
            pass
        yield


def save(root: Path, new: Observations) -> Path:
    """Merge *new* into the file under *root*, under a lock, replacing it atomically."""
    target = path_for(root)
    with _locked(target.parent):
        merged = merge(load(root), new)
        payload = {
            "version": VERSION,
            "sites": {
                site: {name: [o.to_json() for o in obs] for name, obs in sorted(inputs.items())}
                for site, inputs in sorted(merged.items())
            },
        }
        fd, temp = tempfile.mkstemp(prefix=".observed.", dir=target.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=1)
        os.replace(temp, target)
    return target


def agreed(observations: list[Observed]) -> Value | None:
    """The one value every run observed for an input, if they all agree."""
    values = {o.value for o in observations}
    return next(iter(values)) if len(values) == 1 else None
