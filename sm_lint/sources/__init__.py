"""Reading sources: ``.py`` files, notebooks and editor buffers become one document (program
text plus a cell map); walking folders; the cheap pre-check that skips files with no calls.

Below the analysis: this package imports nothing of sm-lint but the findings' types and
the loader table (a leaf module the pre-check takes its words from). Its modules are
imported on first use, so that walking folders (every run, cached ones too) does not import
the document layer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sm_lint.sources.walk import SOURCE_SUFFIXES, iter_source_files

if TYPE_CHECKING:
    from sm_lint.sources.document import (
        Cell,
        Document,
        Location,
        SourceKind,
        from_bytes,
        from_cells,
        from_text,
        kind_of,
        line_phrase,
        line_place,
        prechecked,
        read_file,
        shown_lines,
    )
    from sm_lint.sources.noqa import WHOLE_FILE, noqa_lines

_LAZY = {
    "Cell": "document",
    "Document": "document",
    "Location": "document",
    "SourceKind": "document",
    "from_bytes": "document",
    "from_cells": "document",
    "from_text": "document",
    "kind_of": "document",
    "line_phrase": "document",
    "line_place": "document",
    "prechecked": "document",
    "read_file": "document",
    "shown_lines": "document",
    "noqa_lines": "noqa",
    "WHOLE_FILE": "noqa",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "SOURCE_SUFFIXES",
    "WHOLE_FILE",
    "Cell",
    "Document",
    "Location",
    "SourceKind",
    "from_bytes",
    "from_cells",
    "from_text",
    "iter_source_files",
    "kind_of",
    "line_phrase",
    "line_place",
    "noqa_lines",
    "prechecked",
    "read_file",
    "shown_lines",
]
