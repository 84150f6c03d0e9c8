"""Where each rule's page is: the ``url`` of JSON findings, SARIF's ``helpUri`` and the
language server's ``codeDescription``. Reads no rule catalogue, so a report that only
prints findings stays cheap."""

from __future__ import annotations

import functools
from pathlib import Path

#: The rule pages shipped in the package, one Markdown file a rule (``SM001.md``), written
#: by ``python -m sm_lint.output.rules`` from the catalogue.
PAGES = Path(__file__).resolve().parent.parent / "rule_docs"
#: The ``[project.urls]`` label whose address, when the installed distribution declares one,
#: is where the same pages are published: ``{address}/SM001.md``.
PUBLISHED_LABEL = "Rules"


@functools.cache
def _published() -> str | None:
    # Imported here: the text report (a warm run's) asks for no address, and importing
    # the metadata reader costs about 10 ms.
    from importlib import metadata

    try:
        urls: list[str] = metadata.metadata("sm-lint").get_all("Project-URL") or []
    except metadata.PackageNotFoundError:
        return None
    for entry in urls:
        label, _, address = entry.partition(",")
        if label.strip() == PUBLISHED_LABEL and address.strip():
            return address.strip().rstrip("/")
    return None


@functools.cache
def rule_url(code: str) -> str | None:
    """The address of *code*'s documentation: the published page when the installed
    distribution declares the ``Rules`` project URL, else the page shipped in the package
    (a ``file:`` URI, which editors open); None for a code without a page."""
    page = PAGES / f"{code}.md"
    if not page.is_file():
        return None
    published = _published()
    if published is not None:
        return f"{published}/{code}.md"
    return page.as_uri()
