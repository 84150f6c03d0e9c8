"""What a user installs: the built wheel and sdist, installed into fresh virtualenvs.

Builds the distributions with `python -m build`, checks what they carry (licence, py.typed,
the SPDX licence expression, no half-shipped tests in the sdist, no models in the wheel) and
that `twine check` passes them, then installs the wheel into a new virtualenv for each
supported Python found on the machine and runs the README's first command on the shipped
demo. Every README snippet that installs sm-lint is run as written in a scratch project
(where it names this repository, a local clone of it stands in), and the release and CI
workflows are read and checked without a network.
"""

from __future__ import annotations

import email
import glob
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement

from sm_lint.rules import RULES
from tests.conftest import git

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
VERSION = PYPROJECT["project"]["version"]
README = (ROOT / "README.md").read_text()


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
    # Every rule's page, which findings link to (their `url`).
    assert {f"sm_lint/rule_docs/{code}.md" for code in RULES} <= set(names)
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


def _package_modules() -> set[str]:
    """sm_lint's modules in this checkout, as archive paths."""
    return {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "sm_lint").rglob("*.py")
        if "__pycache__" not in path.parts
    }


def test_wheel_carries_the_package_and_nothing_else(dists: dict[str, Path]) -> None:
    assert dists["wheel"].name == f"sm_lint-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(dists["wheel"]) as archive:
        names = set(archive.namelist())
        entry_points = archive.read(f"sm_lint-{VERSION}.dist-info/entry_points.txt").decode()
    assert {n for n in names if n.endswith(".py")} == _package_modules()
    assert "sm_lint/py.typed" in names
    # Only the package and its metadata: no tests, fixture or demo models, editors, benchmarks.
    strays = [
        n
        for n in names
        if not n.startswith(("sm_lint/", f"sm_lint-{VERSION}.dist-info/"))
        or n.endswith((".pb", ".index", ".ipynb"))
        or "/variables/" in n
        or "fixtures" in n
    ]
    assert strays == []
    assert "sm-lint = sm_lint.cli:main" in entry_points
    assert "sm_lint = sm_lint.runtime.pytest_plugin" in entry_points
    assert _metadata(dists["wheel"])["Version"] == VERSION


def test_sdist_carries_licence_and_leaves_tests_out(dists: dict[str, Path]) -> None:
    assert dists["sdist"].name == f"sm_lint-{VERSION}.tar.gz"
    with tarfile.open(dists["sdist"]) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    assert f"{top}/LICENSE" in names
    assert f"{top}/README.md" in names
    assert f"{top}/sm_lint/py.typed" in names
    assert {f"{top}/{m}" for m in _package_modules()} <= set(names)
    # Tests need the repository's fixtures and git: shipping half of them would not run.
    assert not [n for n in names if n.startswith(f"{top}/tests/")]
    assert not [n for n in names if n.endswith(".pb") or "/examples/" in n]


def test_distributions_pass_twine_check(dists: dict[str, Path]) -> None:
    """What PyPI would reject (metadata, the README as long description), before a tag."""
    pytest.importorskip("twine", reason="checking distributions needs the `twine` package")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "twine",
            "check",
            "--strict",
            str(dists["wheel"]),
            str(dists["sdist"]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_wheel_alone_answers_its_version(dists: dict[str, Path], tmp_path: Path) -> None:
    """The wheel installs without touching an index (--no-deps) and its console script runs."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    # Without PYTHONPATH: pip would take a checkout on it (with its egg-info) as installed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    installed = subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            str(dists["wheel"]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert installed.returncode == 0, installed.stderr[-2000:]
    version = subprocess.run(
        [str(venv / "bin" / "sm-lint"), "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert version.returncode == 0, version.stderr
    assert version.stdout == f"sm-lint {VERSION}\n"


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
    # Without PYTHONPATH: pip would take a checkout on it (with its egg-info) as installed.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    installed = subprocess.run(
        [*pip, str(dists["wheel"])], capture_output=True, text=True, timeout=900, env=env
    )
    if installed.returncode != 0 and "No matching distribution" in installed.stderr:
        pytest.skip(f"the package registry has no dependencies for Python {version}")
    assert installed.returncode == 0, installed.stderr[-2000:]
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


# -- The hint printed without TensorFlow ------------------------------------------------------


def test_no_tensorflow_hint_installs_the_runtime_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sm-lint run` and `pytest --sm-lint` without TensorFlow name what the `runtime` extra
    adds, which installs as written however sm-lint itself was installed (no index has
    sm-lint, so `pip install 'sm-lint[runtime]'` would fail)."""
    from sm_lint.runtime.guard import TensorFlowMissing, import_tensorflow

    monkeypatch.setitem(sys.modules, "tensorflow", None)
    with pytest.raises(TensorFlowMissing) as missing:
        import_tensorflow()
    message = str(missing.value)
    assert "\n" not in message
    command = re.search(r"install it with: (.+)$", message)
    assert command is not None, message
    words = shlex.split(command.group(1))
    assert words[:2] == ["pip", "install"] and len(words) == 3, words
    requirement = Requirement(words[2])
    assert [str(requirement)] == PYPROJECT["project"]["optional-dependencies"]["runtime"]
    assert "sm-lint" not in message.split("install it with:")[1]
    assert f"`{command.group(1)}`" in README  # the README quotes it


# -- The workflows ---------------------------------------------------------------------------

_PERMISSIONS: dict[str, Any] = {
    "type": "object",
    "propertyNames": {
        "enum": [
            "actions",
            "attestations",
            "checks",
            "contents",
            "deployments",
            "discussions",
            "id-token",
            "issues",
            "packages",
            "pages",
            "pull-requests",
            "security-events",
            "statuses",
        ]
    },
    "additionalProperties": {"enum": ["read", "write", "none"]},
}
_SCALARS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "boolean"]},
}
_STEP: dict[str, Any] = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "id": {"type": "string"},
        "if": {"type": ["string", "boolean"]},
        # An action at a version: a tag, a release branch or a commit, never a moving default.
        "uses": {
            "type": "string",
            "pattern": r"^[\w.-]+/[\w./-]+@(v\d+[\w.]*|release/v\d+|[0-9a-f]{40})$",
        },
        "run": {"type": "string", "minLength": 1},
        "with": _SCALARS,
        "env": _SCALARS,
        "shell": {"type": "string"},
        "working-directory": {"type": "string"},
        "continue-on-error": {"type": "boolean"},
        "timeout-minutes": {"type": "number"},
    },
    "additionalProperties": False,
    "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
}
_JOB: dict[str, Any] = {
    "type": "object",
    "required": ["runs-on", "steps"],
    "properties": {
        "name": {"type": "string"},
        "runs-on": {"type": "string"},
        "needs": {"type": ["string", "array"], "items": {"type": "string"}},
        "if": {"type": ["string", "boolean"]},
        "permissions": _PERMISSIONS,
        "environment": {"type": ["string", "object"]},
        "timeout-minutes": {"type": "number"},
        "env": _SCALARS,
        "strategy": {
            "type": "object",
            "properties": {"fail-fast": {"type": "boolean"}, "matrix": {"type": "object"}},
            "additionalProperties": False,
        },
        "steps": {"type": "array", "minItems": 1, "items": _STEP},
    },
    "additionalProperties": False,
}
_FILTER: dict[str, Any] = {
    "type": ["null", "object"],
    "propertyNames": {
        "enum": ["branches", "branches-ignore", "tags", "tags-ignore", "paths", "paths-ignore"]
    },
    "additionalProperties": {"type": "array", "minItems": 1, "items": {"type": "string"}},
}
WORKFLOW_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["name", "on", "jobs"],
    "properties": {
        "name": {"type": "string"},
        "on": {
            "type": "object",
            "minProperties": 1,
            "properties": {
                "push": _FILTER,
                "pull_request": _FILTER,
                "workflow_dispatch": {"type": ["null", "object"]},
                "schedule": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["cron"],
                        "properties": {"cron": {"type": "string"}},
                        "additionalProperties": False,
                    },
                },
            },
            "additionalProperties": False,
        },
        "permissions": _PERMISSIONS,
        "concurrency": {"type": ["string", "object"]},
        "env": _SCALARS,
        "jobs": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": r"^[A-Za-z_][\w-]*$"},
            "additionalProperties": _JOB,
        },
    },
    "additionalProperties": False,
}


def _workflow(name: str) -> dict[str, Any]:
    """A workflow file as GitHub reads it: YAML 1.1 reads the key `on` as true."""
    data = yaml.safe_load((ROOT / ".github" / "workflows" / name).read_text())
    assert isinstance(data, dict)
    if True in data:
        data["on"] = data.pop(True)
    jsonschema.validate(data, WORKFLOW_SCHEMA)
    return data


def _steps(job: dict[str, Any], text: str) -> list[int]:
    """Indices of the job's steps whose `run` or `uses` contains ``text``."""
    return [i for i, s in enumerate(job["steps"]) if text in s.get("run", s.get("uses", ""))]


def test_release_workflow_publishes_a_version_tag_with_trusted_publishing() -> None:
    workflow = _workflow("release.yml")
    # Only a version tag releases: a push to a branch never publishes.
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    (check,) = _steps(build, "TAG")
    (built,) = _steps(build, "python -m build")
    (twine,) = _steps(build, "twine check")
    (tried,) = _steps(build, ".whl")
    (upload,) = _steps(build, "actions/upload-artifact@")
    assert check < built < twine < tried < upload
    assert "dist/*" in build["steps"][twine]["run"]
    assert build["steps"][check]["env"]["TAG"] == "${{ github.ref_name }}"
    assert "permissions" not in build  # the OIDC token only where it is used
    # Publishing: the build's artifact, uploaded with an OIDC token, no password.
    assert publish["needs"] in ("build", ["build"])
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"] == "pypi"
    download, release = publish["steps"]
    assert download["uses"].startswith("actions/download-artifact@")
    assert download["with"] == {
        "name": build["steps"][upload]["with"]["name"],
        "path": build["steps"][upload]["with"]["path"],
    }
    assert download["with"]["path"].rstrip("/") == "dist"  # the publishing action's default
    assert release["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert not {"password", "user", "repository-url"} & set(release.get("with", {}))


@pytest.mark.skipif(sys.version_info < (3, 11), reason="the step runs on 3.12 (tomllib)")
def test_release_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    """The release's first check, run here: the tag must be v + the version it builds."""
    build = _workflow("release.yml")["jobs"]["build"]
    (check,) = _steps(build, "TAG")
    script = tmp_path / "check.sh"
    script.write_text(build["steps"][check]["run"])
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"

    def run(tag: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TAG": tag, "PATH": path}
        return subprocess.run(
            ["bash", "-e", str(script)], cwd=ROOT, env=env, capture_output=True, text=True
        )

    assert run(f"v{VERSION}").returncode == 0, run(f"v{VERSION}").stderr
    for wrong in (VERSION, "v99.0.0", f"v{VERSION}.post1"):
        refused = run(wrong)
        assert refused.returncode != 0
        assert f"tag {wrong} != v{VERSION}" in refused.stderr


def test_ci_runs_the_suite_and_weekly_the_newest_allowed_versions() -> None:
    workflow = _workflow("ci.yml")
    on = workflow["on"]
    assert {"push", "pull_request", "schedule"} <= set(on)
    assert on["push"] is None and on["pull_request"] is None  # every branch
    (cron,) = (entry["cron"] for entry in on["schedule"])
    minute, hour, day, month, weekday = cron.split()
    assert (day, month) == ("*", "*") and re.fullmatch(r"[0-6]", weekday), cron  # weekly
    assert 0 <= int(minute) < 60 and 0 <= int(hour) < 24
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "permissions" not in job
    pythons = job["strategy"]["matrix"]["python-version"]
    classifiers = PYPROJECT["project"]["classifiers"]
    for version in pythons:
        assert f"Programming Language :: Python :: {version}" in classifiers
    (suite,) = _steps(job, ".ci/run")
    (newest,) = _steps(job, "--upgrade-strategy eager")
    assert newest < suite
    assert job["steps"][newest]["run"] == (
        "python -m pip install --upgrade --upgrade-strategy eager -e '.[test]'"
    )
    assert "schedule" in job["steps"][newest]["if"]
    assert "if" not in job["steps"][suite]
    # .ci/run then installs the same extra (already satisfied) and runs the README's command.
    assert "python -m pip install -q -e '.[test]'" in (ROOT / ".ci" / "run").read_text()


# -- README snippets, run as written ---------------------------------------------------------

CLONE_PLACEHOLDERS = ("<this repository's URL, or the path of a local clone>",)
URL_PLACEHOLDER = "<this repository's URL>"


def _blocks(language: str, after: str) -> list[str]:
    """The README's ```language blocks in the section headed ``after``."""
    section = README.split(f"\n## {after}\n")[1].split("\n## ")[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory, hook_repo: tuple[Path, str]) -> Path:
    """A scratch project: a clone of this repository (working tree included) in ./sm-lint,
    tagged as a release is; the demo's src and models; a fresh virtualenv first on PATH."""
    root = tmp_path_factory.mktemp("scratch")
    clone = root / "sm-lint"
    git(root, "clone", "-q", str(hook_repo[0]), str(clone))
    git(clone, "tag", f"v{VERSION}")
    shutil.copytree(ROOT / "examples" / "demo" / "src", root / "src")
    shutil.copytree(ROOT / "examples" / "demo" / "models", root / "models")
    subprocess.run([sys.executable, "-m", "venv", str(root / ".venv")], check=True, timeout=300)
    return root


def _shell(scratch: Path, line: str, timeout: int = 900) -> subprocess.CompletedProcess[str]:
    """``line`` run by bash in the scratch project, its virtualenv activated."""
    venv = scratch / ".venv"
    assert (venv / "bin" / "python").exists(), "a scratch project has its own virtualenv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env.update(VIRTUAL_ENV=str(venv), PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}")
    return subprocess.run(
        ["bash", "-c", line], cwd=scratch, env=env, capture_output=True, text=True, timeout=timeout
    )


def _installed_from(scratch: Path) -> str:
    where = _shell(scratch, "cd / && python -c 'import sm_lint; print(sm_lint.__file__)'")
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(scratch / ".venv")), where.stdout
    version = _shell(scratch, "sm-lint --version")
    assert version.stdout == f"sm-lint {VERSION}\n", version.stdout + version.stderr
    return where.stdout


def test_readme_ci_snippet_runs(scratch: Path) -> None:
    """GitHub Actions: install from the repository at the release tag, lint to SARIF."""
    (block,) = (b for b in _blocks("yaml", "pre-commit and CI") if "upload-sarif" in b)
    (line,) = (step["run"] for step in yaml.safe_load(block) if "run" in step)
    assert line.count(URL_PLACEHOLDER) == 1
    # file://localhost/...: the pip that venv bundles with older Pythons (23.x) rejects
    # git+file:/// (an empty host); the README's URL is the repository's own.
    url = f"file://localhost{scratch / 'sm-lint'}"
    result = _shell(scratch, line.replace(URL_PLACEHOLDER, url))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    sarif = json.loads((scratch / "sm-lint.sarif").read_text())
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} >= {"SM005"}
    _installed_from(scratch)


def test_readme_install_snippets_run(scratch: Path) -> None:
    """From a clone: the plain install runs as written; the `runtime` one (TensorFlow, too
    heavy to install here) is resolved as written with --dry-run."""
    block = _blocks("sh", "Install")[0]
    plain, runtime = block.strip().splitlines()
    _shell(scratch, "python -m pip uninstall -q -y sm-lint")
    result = _shell(scratch, plain)
    assert result.returncode == 0, result.stderr[-3000:]
    _installed_from(scratch)

    words = shlex.split(runtime, comments=True)
    assert words[:4] == ["python", "-m", "pip", "install"] and "[runtime]" in words[-1]
    report = scratch / "report.json"
    dry = _shell(scratch, shlex.join([*words, "--dry-run", "--quiet", "--report", str(report)]))
    assert dry.returncode == 0, dry.stderr[-3000:]
    resolved = {i["metadata"]["name"].lower() for i in json.loads(report.read_text())["install"]}
    assert {"sm-lint", "tensorflow"} <= resolved


def test_readme_wheel_snippet_runs(scratch: Path) -> None:
    (_, block) = _blocks("sh", "Install")
    (line,) = block.strip().splitlines()
    _shell(scratch, "python -m pip uninstall -q -y sm-lint")
    result = _shell(scratch, line)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    _installed_from(scratch)
    record = _shell(scratch, "python -m pip show -f sm-lint")
    assert "py.typed" in record.stdout


def test_readme_precommit_snippet_runs(
    scratch: Path, tmp_path: Path, pre_commit_home: Path
) -> None:
    """The pre-commit configuration as written, its repo a clone tagged as a release is."""
    (block,) = (b for b in _blocks("yaml", "pre-commit and CI") if "rev:" in b)
    config = block
    for placeholder in CLONE_PLACEHOLDERS:
        config = config.replace(placeholder, str(scratch / "sm-lint"))
    assert "<" not in config
    project = tmp_path / "project"
    shutil.copytree(scratch / "src", project / "src")
    shutil.copytree(scratch / "models", project / "models")
    (project / ".pre-commit-config.yaml").write_text(config)
    git(project, "init", "-q")
    git(project, "add", "-A")
    exe = shutil.which("pre-commit")
    env = {**os.environ, "PRE_COMMIT_HOME": str(pre_commit_home), "NO_COLOR": "1"}
    env.pop("PYTHONPATH", None)
    result = subprocess.run(
        [*([exe] if exe else [sys.executable, "-m", "pre_commit"]), "run", "--all-files"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "src/predict_dense.py:15:34: SM005" in result.stdout, result.stdout[-3000:]


def test_readme_first_command_runs_in_a_clone(scratch: Path) -> None:
    """The README's first command (an editable install), in a fresh clone as a new user has.
    Last: the editable install replaces the ones the tests above check."""
    first = re.findall(r"```sh\n(.*?)\n```", README, re.S)[0]
    # In the scratch project's virtualenv: the command installs, and must never replace the
    # installation the rest of the suite runs.
    result = _shell(scratch, f"cd sm-lint && {first}")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-3000:]
    assert "examples/demo/src/predict_dense.py:15:34: SM005" in result.stdout
