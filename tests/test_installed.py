"""The installed versions a rule reads (sm_lint/installed.py): the metadata folders' names
give what importlib.metadata gives, on this environment and on made-up ``sys.path``
entries; where the names cannot tell, importlib.metadata answers."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sm_lint import installed

ABSENT = "sm-lint-no-such-distribution"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    installed.major_minor.cache_clear()
    installed._metadata_folders.cache_clear()
    yield
    installed.major_minor.cache_clear()
    installed._metadata_folders.cache_clear()


def _distribution(root: Path, folder: str, version: str, metadata: str = "METADATA") -> None:
    (root / folder).mkdir(parents=True)
    name = folder.partition("-")[0].partition(".")[0]
    text = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    (root / folder / metadata).write_text(text)


@pytest.mark.parametrize(
    "package", [*installed.PACKAGES, "Keras", "tensorflow-hub", "TensorFlow.Hub", ABSENT]
)
def test_folder_names_give_what_importlib_metadata_gives(package: str) -> None:
    assert installed.listed_version(package) == installed.metadata_version(package)
    assert installed.metadata_version(ABSENT) is None


def test_the_first_entry_of_the_path_wins_as_in_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _distribution(tmp_path / "first", "Keras-9.1.0.dist-info", "9.1.0")
    _distribution(tmp_path / "first", "tensorflow_hub-0.3.1-py3.11.egg-info", "0.3.1", "PKG-INFO")
    _distribution(tmp_path / "second", "keras-1.0.0.dist-info", "1.0.0")
    monkeypatch.syspath_prepend(str(tmp_path / "second"))
    monkeypatch.syspath_prepend(str(tmp_path / "first"))
    for package in installed.PACKAGES:
        assert installed.listed_version(package) == installed.metadata_version(package)
    assert installed.signature() == (("keras", (9, 1)), ("tensorflow_hub", (0, 3)))


def test_what_the_names_cannot_tell_is_read_from_the_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _distribution(tmp_path / "editable", "keras.egg-info", "7.2", "PKG-INFO")  # no version
    with zipfile.ZipFile(tmp_path / "hub.zip", "w") as archive:
        archive.writestr("tensorflow_hub-0.5.0.dist-info/METADATA", "Version: 0.5.0\n")
    monkeypatch.syspath_prepend(str(tmp_path / "hub.zip"))
    monkeypatch.syspath_prepend(str(tmp_path / "editable"))
    for package in installed.PACKAGES:
        with pytest.raises(installed._Unsure):
            installed.listed_version(package)
    assert installed.signature() == (("keras", (7, 2)), ("tensorflow_hub", (0, 5)))
