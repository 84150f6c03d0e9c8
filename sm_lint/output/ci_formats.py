"""Findings for CI systems: SARIF 2.1.0 (code scanning) and GitHub workflow commands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sm_lint import __version__
from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.output.rule_links import rule_url
from sm_lint.output.rules import render_page
from sm_lint.rules import RULES

_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(path: str) -> str:
    return Path(path).as_posix().removeprefix("./")


def _help(rule: Rule) -> str:
    given = f"Given:\n{rule.setup}\n" if rule.setup else ""
    return f"{given}Bad:\n{rule.bad}\nGood:\n{rule.good}"


def _help_uri(code: str) -> dict[str, str]:
    # A SARIF log travels (code scanning uploads it): only a published page is an address
    # its readers can open; the shipped page's file: URI is this machine's. The page itself
    # rides along as help.markdown, which code scanning shows.
    url = rule_url(code)
    return {"helpUri": url} if url is not None and url.startswith("https://") else {}


def sarif(findings: Sequence[Diagnostic]) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run, the full rule catalogue, and one result a finding."""
    codes = list(RULES)
    rules = [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": rule.why},
            "help": {"text": _help(rule), "markdown": render_page(rule)},
            **_help_uri(rule.code),
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
        }
        for rule in RULES.values()
    ]
    results = []
    for d in findings:
        region: dict[str, Any] = {
            "startLine": d.line,
            "startColumn": d.column,
            "endLine": d.end_line,
            "endColumn": d.end_column,
        }
        if d.cell is not None:
            # Lines count within the notebook cell, not within the file's JSON.
            region["properties"] = {"cell": d.cell}
        result: dict[str, Any] = {
            "ruleId": d.code,
            "ruleIndex": codes.index(d.code),
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": _with_cell(d)},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(d.path)},
                        "region": region,
                    }
                }
            ],
        }
        if d.related:
            result["relatedLocations"] = [
                {
                    "id": i,
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(r.path or d.path)},
                        "region": {
                            "startLine": r.line,
                            "startColumn": r.column,
                            "endLine": r.end_line,
                            "endColumn": r.end_column,
                            **({"properties": {"cell": r.cell}} if r.cell is not None else {}),
                        },
                    },
                    "message": {"text": r.message},
                }
                for i, r in enumerate(d.related)
            ]
        if d.fix is not None:
            result["fixes"] = [
                {
                    "description": {"text": d.fix.description},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": _uri(d.path)},
                            "replacements": [
                                {
                                    "deletedRegion": {
                                        "startLine": e.line,
                                        "startColumn": e.column,
                                        "endLine": e.end_line,
                                        "endColumn": e.end_column,
                                    },
                                    "insertedContent": {"text": e.text},
                                }
                                for e in d.fix.edits
                            ],
                        }
                    ],
                }
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sm-lint",
                        "version": __version__,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }


def render_sarif(findings: Sequence[Diagnostic]) -> str:
    return json.dumps(sarif(findings), indent=2)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _with_cell(d: Diagnostic) -> str:
    """The message, naming the notebook cell and the place in it for notebook findings."""
    if d.cell is None:
        return d.message
    return f"cell {d.cell}, line {d.line}, column {d.column}: {d.message}"


def render_github(findings: Sequence[Diagnostic]) -> str:
    """One ``::error file=...,line=...::message`` workflow command per finding. A notebook
    finding is a file-level annotation whose message names the cell: GitHub would read a
    line number as a line of the notebook's JSON."""
    lines = []
    for d in findings:
        where = f"file={_escape_property(d.path)}"
        if d.cell is None:
            where += f",line={d.line},col={d.column},endLine={d.end_line},endColumn={d.end_column}"
        props = f"{where},title={_escape_property(f'{d.code} {RULES[d.code].name}')}"
        lines.append(
            f"::{_GITHUB_LEVEL[d.severity]} {props}::{_escape_data(f'{d.code} {_with_cell(d)}')}"
        )
    return "\n".join(lines)
