"""The loader table (sm_lint/analysis/loaders.py): one row per loader, its values the
strings cached facts hold, and the pre-check's words derived from it so that no way to
reach a model is ever skipped unread."""

from __future__ import annotations

import json

import pytest

from sm_lint.analysis import loaders
from sm_lint.analysis.loaders import LOADERS, Binding, HandleKind, Loader, spec_for
from sm_lint.sources.precheck import NAMES, may_need_analysis


def test_the_values_are_the_strings_cached_facts_hold() -> None:
    # Changing one invalidates every facts cache and every comparison with a plain string.
    assert [loader.value for loader in Loader] == [
        "saved_model.load",
        "keras.load_model",
        "tf_keras.load_model",
        "TFSMLayer",
        "hub.load",
        "hub.Module",
        "kagglehub",
        "serving.rest",
        "serving.grpc",
        "vertex.endpoint",
        "vertex.model",
        "vertex.saved_model",
    ]
    for loader in Loader:
        assert loader == loader.value and hash(loader) == hash(loader.value)
        assert str(loader) == f"{loader}" == loader.value
        assert json.dumps(loader) == json.dumps(loader.value)
        assert spec_for(loader.value) is LOADERS[loader]


def test_one_row_per_loader() -> None:
    assert list(LOADERS) == list(Loader)
    assert all(spec.loader is loader for loader, spec in LOADERS.items())
    names = [name for spec in LOADERS.values() for name in spec.names()]
    assert len(names) == len(set(names)), "a qualified name in two rows"


def test_the_precheck_words_are_the_tables() -> None:
    assert frozenset(NAMES) == loaders.precheck_words()
    for spec in LOADERS.values():
        if spec.markers:  # its words count only beside a marker
            assert (spec.markers, frozenset(spec.words)) in loaders.marked_words()
            assert not set(spec.words) & NAMES, spec.loader
        else:
            assert spec.words and set(spec.words) <= NAMES, spec.loader


def test_a_marked_rows_words_alone_do_not_send_a_file_to_the_analysis() -> None:
    """``requests`` is in a great many files: only beside a TF Serving URL path does it."""
    plain = b"import requests\nr = requests.post('https://example.com/api', json={})\n"
    assert not may_need_analysis(plain, notebook=False)
    served = plain.replace(b"/api", b"/v1/models/m:predict")
    assert may_need_analysis(served, notebook=False)


def test_every_name_in_the_table_holds_one_of_its_rows_words() -> None:
    """Code that calls a loader spells one of these words, whatever it imports."""
    for spec in LOADERS.values():
        for name in spec.names():
            assert set(name.split(".")) & set(spec.words), (spec.loader, name)


def _spellings(name: str) -> list[str]:
    """Programs calling *name* as imported in the usual ways (a served model by its URL)."""
    module, _, function = name.rpartition(".")
    call = '("models/m")\nx = m.signatures["serving_default"]\n'
    if any(name in spec.names() and spec.markers for spec in LOADERS.values()):
        call = '("http://localhost:8501/v1/models/m:predict", json={"instances": [1.0]})\n'
    return [
        f"import {module}\nm = {name}{call}",
        f"import {module} as lib\nm = lib.{function}{call}",
        f"from {module} import {function}\nm = {function}{call}",
        f"from {module} import {function} as load_it\nm = load_it{call}",
    ]


@pytest.mark.parametrize(
    "name", sorted({name for spec in LOADERS.values() for name in spec.names()})
)
def test_the_precheck_lets_every_loader_through(name: str) -> None:
    for source in _spellings(name):
        assert may_need_analysis(source.encode(), notebook=False), source
        notebook = json.dumps({"cells": [{"cell_type": "code", "source": source}]})
        assert may_need_analysis(notebook.encode(), notebook=True), source


def test_handle_loaders_and_their_settings() -> None:
    assert loaders.handle_loaders() == (Loader.HUB, Loader.HUB_MODULE, Loader.KAGGLEHUB)
    assert {
        "TFHUB_CACHE_DIR",
        "TFHUB_MODEL_LOAD_FORMAT",
        "KAGGLEHUB_CACHE",
    } == loaders.CACHE_SETTINGS
    for spec in LOADERS.values():
        cached = spec.handle in (HandleKind.TFHUB, HandleKind.KAGGLE)
        assert bool(spec.settings) == cached, spec.loader


def _loaders_found(program: str) -> list[str]:
    from sm_lint.analysis.facts import FileFacts
    from sm_lint.analysis.parse import parse_program

    facts = parse_program("/project/job.py", program)
    assert isinstance(facts, FileFacts), facts  # parsed
    return [str(load.loader) for load in facts.loads]


@pytest.mark.parametrize(
    ("loader", "name"),
    [(spec.loader, name) for spec in LOADERS.values() for name in spec.names()],
)
def test_the_analysis_recognises_every_name_of_the_table_as_its_loader(
    loader: Loader, name: str
) -> None:
    """Every qualified name of a row, called in a program, is a load by that row's loader:
    the analysis reads the table (a name added to a row needs no other change)."""
    module, _, function = name.rpartition(".")
    spec = LOADERS[loader]
    if name in spec.handle_functions:  # a handle function's folder, loaded
        program = (
            f"import tensorflow as tf\nimport {module}\n"
            f"m = tf.saved_model.load({module}.{function}('owner/model/tf/v1'))\n"
        )
    elif spec.binding is Binding.GRPC:  # a request filled in place, then sent
        program = (
            f"import {module}\nrequest = {module}.{function}()\n"
            "request.model_spec.name = 'm'\nstub.Predict(request)\n"
        )
    elif spec.handle is HandleKind.SERVING:  # a request to a served model's URL
        url = "http://h:8501/v1/models/m:predict"
        program = f"import {module}\n{module}.{function}('{url}', json={{'instances': [1]}})\n"
    elif loader is Loader.VERTEX_MODEL:  # uploaded to a prebuilt TensorFlow container
        image = "us-docker.pkg.dev/vertex-ai/prediction/tf2-cpu.2-12:latest"
        program = (
            f"import {module}\nm = {module}.{function}("
            f"artifact_uri='models/m', serving_container_image_uri='{image}')\n"
        )
    else:
        program = f"import {module}\nm = {module}.{function}('models/m')\n"
    assert _loaders_found(program) == [loader.value]
