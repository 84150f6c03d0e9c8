"""Reading sources: ``.py`` files, notebooks and editor buffers become one document (program
text plus a cell map); walking folders; the cheap pre-check that skips files with no calls.

Below the analysis: this package imports nothing of sm-lint but the findings' types.
"""

from sm_lint.sources.document import (
    Cell,
    Document,
    Location,
    SourceKind,
    from_bytes,
    from_cells,
    from_text,
    kind_of,
    read_file,
)
from sm_lint.sources.noqa import noqa_lines
from sm_lint.sources.walk import SOURCE_SUFFIXES, iter_source_files

__all__ = [
    "SOURCE_SUFFIXES",
    "Cell",
    "Document",
    "Location",
    "SourceKind",
    "from_bytes",
    "from_cells",
    "from_text",
    "iter_source_files",
    "kind_of",
    "noqa_lines",
    "read_file",
]
