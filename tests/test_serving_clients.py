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


@pytest.fixture(scope="module")
def multi(tmp_path_factory: pytest.TempPathFactory) -> Linter:
    root = tmp_path_factory.mktemp("served_multi")
    shutil.copytree(FIXTURES / "module_multi", root / "multi" / "1")
    return Linter(Config(models=(root,)))


#: module_multi's int_in: counts int32 (?, 2), flags bool (?); lookup: text string (?),
#: ids int64 (unknown rank). (body, the number TF Serving's decoder rejects or None).
RANGES = [
    ({"signature_name": "int_in", "inputs": {"counts": [[1, 2**31]], "flags": [True]}}, 2**31),
    ({"signature_name": "int_in", "inputs": {"counts": [[1, 2**31 - 1]], "flags": [True]}}, None),
    (
        {
            "signature_name": "int_in",
            "instances": [
                {"counts": [-(2**31), 0], "flags": True},
                {"counts": [-(2**31) - 1, 0], "flags": False},
            ],
        },
        -(2**31) - 1,
    ),
    ({"signature_name": "lookup", "inputs": {"text": ["a"], "ids": [2**63]}}, 2**63),
    ({"signature_name": "lookup", "inputs": {"text": ["a"], "ids": [-(2**63)]}}, None),
]


@pytest.mark.parametrize(("body", "rejected"), RANGES)
def test_an_integer_beyond_what_the_json_decoder_takes_is_sm014(
    multi: Linter, body: dict[str, object], rejected: int | None
) -> None:
    """AddValueToTensor takes int32 inputs' numbers only where rapidjson's IsInt holds,
    int64 ones where IsInt64 does: the request is refused, naming input, number and range."""
    url = "http://localhost:8501/v1/models/multi:predict"
    for call in (
        f"requests.post({url!r}, json={body!r})",
        f"requests.post({url!r}, data={json.dumps(body)!r})",
    ):
        found = multi.lint_source(f"import requests\n{call}\n", "/project/client.py")
        if rejected is None:
            assert [d.code for d in found] == []
            continue
        assert [d.code for d in found] == ["SM014"]
        name = "counts" if "counts" in json.dumps(body) else "ids"
        dtype = "int32" if name == "counts" else "int64"
        assert f"input {name!r} is {dtype}" in found[0].message
        assert f"rejects {rejected} " in found[0].message


@pytest.mark.parametrize(("number", "stored"), [(-1, 255), (300, 44), (255, None)])
def test_a_number_a_uint8_input_cannot_hold_is_stored_wrapped_sm006(
    multi: Linter, number: int, stored: int | None
) -> None:
    """classify_image's image is uint8 (?, 8, 8, 3): TF Serving's decoder takes any int32
    for it and TensorFlow keeps the low 8 bits (tests/test_serving_oracle.py checks the
    narrowing against tf.io.parse_tensor)."""
    pixel = [number, 0, 0]
    body = {"signature_name": "classify_image", "instances": [[[pixel] * 8] * 8]}
    url = "http://localhost:8501/v1/models/multi:predict"
    source = f"import requests\nrequests.post({url!r}, data={json.dumps(body)!r})\n"
    found = multi.lint_source(source, "/project/client.py")
    if stored is None:
        assert found == []
        return
    assert [d.code for d in found] == ["SM006"]
    assert f"takes {number} and stores it as {stored}" in found[0].message
