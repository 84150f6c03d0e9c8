"""Each rule's page: shipped in the package, equal to the catalogue, and linked from every
report (JSON ``url``, SARIF ``helpUri``/``help.markdown``; the server's ``codeDescription`` is
checked in tests/test_lsp.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from sm_lint.output.rule_links import PAGES
from sm_lint.output.rules import render_page
from sm_lint.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
DEMO = (str(ROOT / "examples/demo/src"), "--models", str(ROOT / "examples/demo/models"))


def _run(*args: str, env_path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = None
    if env_path is not None:
        # Run from the record's folder: the checkout's own metadata (an editable install's
        # sm_lint.egg-info) would otherwise come first, from the working directory.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([env_path, str(ROOT)])}
    return subprocess.run(
        [sys.executable, "-m", "sm_lint", *args],
        cwd=env_path or ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_every_rule_has_its_page_and_the_pages_equal_the_catalogue() -> None:
    # Regenerate with: python -m sm_lint.output.rules
    assert sorted(p.stem for p in PAGES.glob("*.md")) == sorted(RULES)
    for code, rule in RULES.items():
        assert (PAGES / f"{code}.md").read_text(encoding="utf-8") == render_page(rule), code


def test_json_findings_link_the_shipped_page_of_their_rule() -> None:
    result = _run(*DEMO, "--format", "json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    assert findings
    for finding in findings:
        url = urlparse(finding["url"])
        assert url.scheme == "file"
        page = Path(unquote(url.path))
        assert page.read_text(encoding="utf-8").startswith(f"# {finding['code']} ")


def test_sarif_carries_each_page_and_no_machine_local_help_uri() -> None:
    result = _run(*DEMO, "--format", "sarif")
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for entry in rules:
        assert entry["help"]["markdown"] == render_page(RULES[entry["id"]])
        assert "helpUri" not in entry


@pytest.fixture
def published_metadata(tmp_path: Path) -> Path:
    """A distribution record for sm-lint that declares where its rule pages are published,
    first on the path, as an installed release would be."""
    info = tmp_path / "sm_lint-9.9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: sm-lint\nVersion: 9.9.9\n"
        "Project-URL: Source, https://example.org/sm-lint\n"
        "Project-URL: Rules, https://example.org/sm-lint/rules/\n"
    )
    return tmp_path


def test_a_release_that_declares_its_rules_url_links_the_published_pages(
    published_metadata: Path,
) -> None:
    as_json = json.loads(_run(*DEMO, "--format", "json", env_path=str(published_metadata)).stdout)
    assert {f["url"] for f in as_json} == {
        f"https://example.org/sm-lint/rules/{f['code']}.md" for f in as_json
    }
    sarif = json.loads(_run(*DEMO, "--format", "sarif", env_path=str(published_metadata)).stdout)
    rules = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert [r["helpUri"] for r in rules] == [
        f"https://example.org/sm-lint/rules/{code}.md" for code in RULES
    ]
