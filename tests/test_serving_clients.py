"""TF Serving REST clients beyond ``requests.post``: sessions, urllib, aiohttp, a notebook's
``!curl`` line — each a request the served model's signature is checked against."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sm_lint.api import Linter
from sm_lint.config import Config

FIXTURES = Path(__file__).parent / "fixtures" / "models"
URL = "http://localhost:8501/v1/models/dense:predict"
#: keras_export_dense's serving_default: keras_tensor float32 (?, 5).
WRONG = {"instances": [[1.0, 2.0]]}
RIGHT = {"instances": [[1.0, 2.0, 3.0, 4.0, 5.0]]}


@pytest.fixture(scope="module")
def linter(tmp_path_factory: pytest.TempPathFactory) -> Linter:
    root = tmp_path_factory.mktemp("served")
    shutil.copytree(FIXTURES / "keras_export_dense", root / "dense" / "1")
    return Linter(Config(models=(root,)))


def _codes(linter: Linter, source: str, name: str = "client.py") -> list[str]:
    return [d.code for d in linter.lint_source(source, f"/project/{name}")]


CLIENTS = {
    "requests.Session": "s = requests.Session()\ns.post(URL, json={body})",
    "with requests.Session()": "with requests.Session() as s:\n    s.post(URL, json={body})",
    "httpx.Client": "with httpx.Client() as c:\n    c.post(URL, json={body})",
    "urllib Request": (
        "r = urllib.request.Request(URL, data=json.dumps({body}).encode('utf-8'))\n"
        "urllib.request.urlopen(r)"
    ),
    "urllib positional data": "urlopen(Request(URL, json.dumps({body}).encode()))",
    "urlopen data": "urllib.request.urlopen(URL, data=json.dumps({body}).encode())",
    "aiohttp": (
        "async def main():\n"
        "    async with aiohttp.ClientSession() as session:\n"
        "        async with session.post(URL, json={body}) as response:\n"
        "            return await response.json()"
    ),
    "list repetition": "requests.post(URL, json={{'instances': [[1.0] * {width}]}})",
}
HEAD = (
    "import json\nimport urllib.request\nfrom urllib.request import Request, urlopen\n"
    "import aiohttp\nimport httpx\nimport requests\n"
    f"URL = {URL!r}\n"
)


@pytest.mark.parametrize("form", list(CLIENTS))
def test_each_client_form_is_checked_against_the_served_signature(
    linter: Linter, form: str
) -> None:
    """The wrong body gets the shape error TF Serving's model gives; the right one none."""
    wrong = CLIENTS[form].format(body=repr(WRONG), width=2)
    right = CLIENTS[form].format(body=repr(RIGHT), width=5)
    assert _codes(linter, HEAD + wrong) == ["SM008"]
    assert _codes(linter, HEAD + right) == []


def _notebook(*lines: str) -> str:
    cell = {
        "cell_type": "code",
        "id": "c",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": "\n".join(lines),
    }
    meta = {"language_info": {"name": "python"}}
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": meta, "cells": [cell]})


def test_a_notebook_curl_line_is_a_request(linter: Linter) -> None:
    """``!curl -d '{...}' URL`` posts the JSON: checked like requests.post; curl lines that
    do not post to a predict URL, or whose body the shell may change, are left alone."""
    found = linter.lint_source(
        _notebook(
            f"!curl -d '{json.dumps(WRONG)}' -X POST {URL}",
            f"!curl -s -H 'Content-Type: application/json' --data '{json.dumps(RIGHT)}' {URL}",
            f"!curl {URL.removesuffix(':predict')}",
            f"!curl -d @request.json {URL}",
            f"!curl -d '{{\"instances\": $ROWS}}' {URL}",
            f"!curl -G -d '{json.dumps(WRONG)}' {URL}",
        ),
        "/project/serve.ipynb",
    )
    assert [(d.code, d.line) for d in found] == [("SM008", 1)]


def test_fix_renames_a_misspelled_input_in_every_instance(tmp_path: Path) -> None:
    """``--fix --unsafe-fixes`` renames a misspelled key in every instance object of a row
    body (one fix: renaming only the first would leave the request rejected), and a
    columnar key close to a missing input; without --unsafe-fixes nothing changes."""
    from tests.conftest import cli_in_process

    shutil.copytree(FIXTURES / "keras_two_inputs", tmp_path / "models" / "two" / "1")
    client = tmp_path / "client.py"
    url = "http://localhost:8501/v1/models/two:predict"
    row = '{"a": [1.0] * 10, "bb": [0.5] * 5}'
    source = (
        f"import requests\nURL = {url!r}\n"
        f'requests.post(URL, json={{"instances": [{row}, {row}]}})\n'
        'requests.post(URL, json={"inputs": {"aa": [[1.0] * 10], "b": [[0.5] * 5]}})\n'
    )
    client.write_text(source)
    models = ["--models", str(tmp_path / "models")]
    code, out, _ = cli_in_process([str(client), *models, "--output-format", "concise"])
    assert code == 1
    assert [line.split()[1] for line in out.splitlines() if "SM0" in line] == ["SM002"] * 2
    assert cli_in_process([str(client), *models, "--fix"])[0] == 1
    assert client.read_text() == source
    code, _, _ = cli_in_process([str(client), *models, "--fix", "--unsafe-fixes"])
    assert code == 0
    assert client.read_text() == source.replace('"bb"', '"b"').replace('"aa"', '"a"')


def test_the_readme_serving_example_is_what_sm_lint_prints() -> None:
    """The README's worked example: its command, run on examples/serving, prints the lines
    the README shows."""
    import os

    from tests.conftest import cli_in_process

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    section = readme.split("## Serving\n")[1].split("\n## ")[0]
    command = next(line for line in section.splitlines() if line.strip().startswith("$ sm-lint"))
    shown = section.split(command)[1].split("\n\n")[0].strip().splitlines()
    here = os.getcwd()
    os.chdir(root)
    try:
        code, out, _ = cli_in_process(command.strip().split()[2:])
    finally:
        os.chdir(here)
    assert code == 1
    assert [line.strip() for line in shown] == out.strip().splitlines()[: len(shown)]
