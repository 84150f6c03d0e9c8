"""Reading sources: ``.py`` files, notebooks and editor buffers become one document (program
text plus a cell map); walking folders; the cheap pre-check that skips files with no calls."""
