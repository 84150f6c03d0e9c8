"""What a user installs: the built wheel and sdist, installed into fresh virtualenvs.

Builds the distributions with `python -m build`, checks what they carry (licence, py.typed,
the SPDX licence expression, no half-shipped tests in the sdist), then installs the wheel
into a new virtualenv for each supported Python found on the machine and runs the README's
first command on the shipped demo.
"""

from __future__ import annotations

import email
import glob
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pytest.importorskip("build", reason="building distributions needs the `build` package")
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return email.message_from_bytes(archive.read(name))


def test_wheel_carries_licence_and_type_marker(dists: dict[str, Path]) -> None:
    with zipfile.ZipFile(dists["wheel"]) as archive:
        names = archive.namelist()
        licence = next(n for n in names if n.endswith("/licenses/LICENSE"))
        assert b"Apache License" in archive.read(licence)
    assert "sm_lint/py.typed" in names
    metadata = _metadata(dists["wheel"])
    assert metadata["License-Expression"] == "Apache-2.0"
    classifiers = metadata.get_all("Classifier") or []
    for version in SUPPORTED:
        assert f"Programming Language :: Python :: {version}" in classifiers
    assert metadata["Requires-Python"] == ">=3.10"
    # The lint path never needs TensorFlow or numpy: only extras may name them.
    for requirement in metadata.get_all("Requires-Dist") or []:
        if re.match(r"(tensorflow|numpy)", requirement):
            assert "extra ==" in requirement, requirement


def test_sdist_carries_licence_and_leaves_tests_out(dists: dict[str, Path]) -> None:
    with tarfile.open(dists["sdist"]) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    assert f"{top}/LICENSE" in names
    assert f"{top}/sm_lint/py.typed" in names
    # Tests need the repository's fixtures and git: shipping half of them would not run.
    assert not [n for n in names if n.startswith(f"{top}/tests/")]


def _interpreters() -> list[tuple[str, str]]:
    """(version, executable) for each supported Python on this machine."""
    found = {f"{sys.version_info.major}.{sys.version_info.minor}": sys.executable}
    pyenv_root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for version in SUPPORTED:
        if version in found:
            continue
        candidates = sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))
        if candidates:
            found[version] = candidates[-1]
    return sorted(found.items())


@pytest.mark.parametrize("version,python", _interpreters())
def test_wheel_in_fresh_venv_runs_the_readme_first_command(
    dists: dict[str, Path], tmp_path: Path, version: str, python: str
) -> None:
    venv = tmp_path / f"venv{version}"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
    ]
    installed = subprocess.run(
        [*pip, str(dists["wheel"])], capture_output=True, text=True, timeout=900
    )
    if installed.returncode != 0 and "No matching distribution" in installed.stderr:
        pytest.skip(f"the package registry has no dependencies for Python {version}")
    assert installed.returncode == 0, installed.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run(
        [str(venv / "bin" / "sm-lint"), "examples/demo/src", "--models", "examples/demo/models"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 1, result.stderr
    assert "SM005" in result.stdout
    assert "examples/demo/src/predict_dense.py" in result.stdout
    assert "good.py" not in result.stdout
    # The installed package, not this checkout, answered.
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import sm_lint; print(sm_lint.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert str(venv) in where.stdout
