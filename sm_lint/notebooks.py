"""Moved to :mod:`sm_lint.sources.notebook` (kept so existing imports work)."""

from sm_lint.sources.notebook import (
    NotebookError,
    dump_like,
    parse_notebook,
    set_cell_source,
)

__all__ = ["NotebookError", "dump_like", "parse_notebook", "set_cell_source"]
