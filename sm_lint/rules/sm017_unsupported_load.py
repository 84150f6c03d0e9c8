"""SM017 unsupported-load: a load the installed library cannot make: Keras 3's
``load_model`` of a SavedModel folder, and tensorflow_hub's ``hub.Module`` where the
installed tensorflow_hub no longer has it (measured with keras 3.15.1, tf_keras 2.21 and
tensorflow_hub 0.16.1, docs/design.md "Keras layers and TF1 Hub modules"). Which Keras or
tensorflow_hub runs is the installed one, read from package metadata (sm_lint.installed)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sm_lint.analysis.loaders import LOADERS, Loader
from sm_lint.diagnostics import Diagnostic, Rule, Severity
from sm_lint.installed import major_minor
from sm_lint.models.types import ModelSignatures
from sm_lint.rules.base import Context, example, finding
from sm_lint.rules.unit import RuleUnit

RULE = Rule(
    code="SM017",
    name="unsupported-load",
    severity=Severity.ERROR,
    summary="A load the installed library cannot make: `keras.models.load_model` / "
    "`keras.saving.load_model` of a SavedModel folder with Keras 3 installed (it reads "
    "`.keras` and `.h5` files, Keras folders and Orbax checkpoints, not SavedModels: load "
    "the folder with `keras.layers.TFSMLayer`, or with `tf_keras.models.load_model`); "
    "`hub.Module(...)` with tensorflow_hub 0.16 or later installed (the TF1 API is gone: "
    "`hub.load` / `hub.KerasLayer`).",
    why='Keras 3 raises ValueError "File format not supported ... use '
    '`keras.layers.TFSMLayer`"; tensorflow_hub 0.16 has no `Module` (AttributeError). '
    "`tf.keras` is Keras 3 or tf_keras as `TF_USE_LEGACY_KERAS` is set where the program "
    "runs: its `load_model` is not reported.",
    setup=example(
        """
        import keras
        # models/dense: a SavedModel folder (a Keras export); Keras 3 installed
        """
    ),
    bad='model = keras.models.load_model("models/dense")',
    good='layer = keras.layers.TFSMLayer("models/dense", call_endpoint="serving_default")',
)

if TYPE_CHECKING:  # types only: the catalogue loads without the analysis
    from sm_lint.analysis.facts import ModelLoad

#: Paths Keras 3 reads another way (saving_api.load_model): its own file formats, a
#: Hugging Face handle, and remote paths it copies first (file_utils.is_remote_path).
_KERAS_FILES = LOADERS[Loader.KERAS].other_formats
_REMOTE = re.compile(r"^(/cns|/cfs|/gcs|/hdfs|/readahead|/placer|/tfhub|.*://)")
#: Names in a folder that make Keras 3 read it as a Keras folder or an Orbax checkpoint.
_KERAS_DIR = frozenset(
    {"config.json", "orbax.checkpoint", "pytree.orbax-checkpoint", "checkpoint_metadata"}
)


def keras3() -> bool:
    """The installed ``keras`` package is Keras 3 or later."""
    version = major_minor("keras")
    return version is not None and version[0] >= 3


def hub_module_removed() -> bool:
    """The installed tensorflow_hub has no ``hub.Module`` (removed in 0.16)."""
    version = major_minor("tensorflow_hub")
    return version is not None and version >= (0, 16)


def _read_as_keras(folder: Path) -> bool | None:
    """Whether Keras 3 would read *folder* as something of its own (a Keras folder with
    ``config.json``, an Orbax checkpoint: one of its marker files, a numeric step folder,
    a temporary checkpoint); None where the folder cannot be listed."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return False
    except OSError:
        return None
    return any(
        name in _KERAS_DIR
        or ".orbax-checkpoint-tmp" in name
        or (name.isdigit() and os.path.isdir(os.path.join(folder, name)))
        for name in names
    )


def refused_folder(load: ModelLoad, model: ModelSignatures) -> bool:
    """Keras 3's ``load_model`` certainly raises for *load* of the SavedModel *model*: the
    path it is given is not a Keras file, remote or a Hugging Face handle, and names the
    model's folder itself (not a parent holding numeric versions), which holds nothing
    Keras 3 reads as its own."""
    path = load.path
    if path is None or not path.strip() or path.endswith(_KERAS_FILES):
        return False
    if path.startswith("hf://") or _REMOTE.match(path):
        return False
    if Path(os.path.normpath(path)).name != model.path.name:
        return False  # resolved through a version folder: Keras sees the parent
    return _read_as_keras(model.path) is False


def check_load(
    ctx: Context, load: ModelLoad, error: str | None, found: bool
) -> Iterator[Diagnostic]:
    """``hub.Module(...)`` where the installed tensorflow_hub has none."""
    if load.loader == Loader.HUB_MODULE and hub_module_removed():
        yield finding(
            ctx,
            RULE,
            load.span,
            "hub.Module is the TF1 API, which the installed tensorflow_hub (0.16 or later) "
            "no longer has: AttributeError; load the model with hub.load(handle) (its "
            'signatures: .signatures["default"]) or hub.KerasLayer(handle)',
        )


def check_model(ctx: Context, load: ModelLoad, model: ModelSignatures) -> Iterator[Diagnostic]:
    """Keras 3's ``load_model`` of a SavedModel folder."""
    if load.loader != Loader.KERAS or not keras3() or not refused_folder(load, model):
        return
    keys = list(model.signatures)
    endpoint = "serving_default" if "serving_default" in keys or not keys else keys[0]
    yield finding(
        ctx,
        RULE,
        load.span,
        f"{load.expr} is a SavedModel folder, which Keras 3's load_model does not read "
        "(ValueError: File format not supported); load it as an inference-only layer with "
        f'keras.layers.TFSMLayer({load.expr}, call_endpoint="{endpoint}"), or with '
        f"tf_keras.models.load_model({load.expr})",
    )


UNIT = RuleUnit(RULE, on_load=check_load, on_model=check_model)
