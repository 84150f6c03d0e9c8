"""Models held by classes, caches and configurations: attributes ``__init__`` sets, methods
that call them, subclasses calling ``super().__init__``, inherited methods, ``@property``,
``@classmethod`` / ``@staticmethod`` loaders, ``lru_cache`` / ``cache`` loaders, a
``functools.partial`` of a loader, dataclass and NamedTuple configurations with defaults,
and classes and instances of another module of the project. Checked with the real CLI (lint
and ``calls``) against the fixture SavedModels; tests/test_projects_classes_oracle.py checks
the verdicts against real TensorFlow."""

from __future__ import annotations

from pathlib import Path

from tests.test_projects import DENSE, calls, sm_lint, write

BAD = "keras_tensor=tf.constant(np.zeros((2, 7), np.float32))"
GOOD = "keras_tensor=tf.constant(np.zeros((2, 5), np.float32))"
HEAD = (
    "import functools\nfrom dataclasses import dataclass, field\nfrom functools import "
    "lru_cache\nfrom typing import NamedTuple\n\nimport numpy as np\nimport tensorflow as tf\n"
)
PREDICTOR = f"""
PATH = "models/{DENSE}"


class Predictor:
    def __init__(self, path):
        self.model = tf.saved_model.load(path)
        self.fn = self.model.signatures["serving_default"]

    def predict(self, x):
        return self.fn(keras_tensor=x)

    @property
    def signature(self):
        return self.model.signatures["serving_default"]

    @classmethod
    def from_dir(cls, path):
        return cls(path)

    @staticmethod
    def load(path):
        return tf.saved_model.load(path)


class DensePredictor(Predictor):
    def __init__(self, path):
        super().__init__(path)
        self.name = "dense"
"""


def _lines(text: str, marker: str) -> list[int]:
    return [n for n, line in enumerate(text.splitlines(), 1) if marker in line]


def _listed_with_model(root: Path, lines: list[int]) -> None:
    """``calls`` lists each of *lines* with the model its call reaches."""
    listed = calls(root, "main.py", "--verbose").splitlines()
    for line in lines:
        sites = [text for text in listed if text.startswith(f"main.py:{line}:")]
        assert sites and all(f"-> models/{DENSE} " in text for text in sites), (line, listed)


def _program(body: str) -> str:
    return (HEAD + PREDICTOR + body).replace("BAD", BAD).replace("GOOD", GOOD)


ONE_FILE = _program(
    """
p = Predictor(PATH)
p.fn(BAD)  # wrong
p.fn(GOOD)
Predictor(PATH).predict(tf.constant(np.zeros((2, 7), np.float32)))
DensePredictor(PATH).predict(tf.constant(np.zeros((2, 5), np.float32)))
DensePredictor(PATH).fn(BAD)  # wrong
DensePredictor(PATH).signature(BAD)  # wrong
Predictor.from_dir(PATH).signature(BAD)  # wrong
Predictor.load(PATH).signatures["serving_default"](BAD)  # wrong
p.load(PATH).signatures["serving_default"](BAD)  # wrong


@functools.lru_cache(maxsize=None)
def cached(path):
    return tf.saved_model.load(path)


@functools.cache
def model():
    return tf.saved_model.load(PATH)


@lru_cache
def bare():
    return tf.saved_model.load(PATH)


cached(PATH).signatures["serving_default"](BAD)  # wrong
model().signatures["serving_default"](BAD)  # wrong
bare().signatures["serving_default"](BAD)  # wrong
bare().signatures["serving_default"](GOOD)


def load_model(base, name, tags=None):
    return tf.saved_model.load(base + "/" + name)


load = functools.partial(load_model, "models", tags=["serve"])
load("keras_export_dense").signatures["serving_default"](BAD)  # wrong
load("keras_export_dense").signatures["serving_default"](GOOD)


@dataclass(frozen=True)
class Config:
    model_dir: str = PATH
    batch: int = 2
    tags: list = field(default_factory=list)


class Settings(NamedTuple):
    model_dir: str
    key: str = "serving_default"


cfg = Config(batch=4)
tf.saved_model.load(cfg.model_dir).signatures["serving_default"](BAD)  # wrong
settings = Settings(PATH)
tf.saved_model.load(settings.model_dir).signatures[settings.key](BAD)  # wrong
tf.saved_model.load(Config().model_dir).signatures["serving_default"](GOOD)
"""
)


def test_models_held_by_classes_caches_and_configurations(tmp_path: Path) -> None:
    root = write(tmp_path, {"main.py": ONE_FILE})
    wrong = _lines(ONE_FILE, "# wrong")
    # The method's call is reported where it is, with the caller's argument.
    inside = _lines(ONE_FILE, "return self.fn(keras_tensor=x)")
    assert sm_lint(root, "main.py") == sorted(f"SM008 main.py:{line}" for line in [*wrong, *inside])
    _listed_with_model(root, wrong)


UNFOLLOWED = _program(
    f"""
q = Predictor(PATH)
q.fn = tf.saved_model.load("models/keras_float64").signatures["serving_default"]
q.fn(keras_tensor=tf.constant(np.zeros((2, 5), np.float64)))


class Mutable(Predictor):
    def swap(self, other):
        self.fn = other


Mutable(PATH).fn(keras_tensor=tf.constant(np.zeros((2, 5), np.float64)))


def other(cls):
    return cls


@other
class Decorated(Predictor):
    pass


Decorated(PATH).fn(BAD)


class WithSetter(Predictor):
    @property
    def signature(self):
        return self.model.signatures["serving_default"]

    @signature.setter
    def signature(self, value):
        self.model = value


WithSetter(PATH).signature(BAD)


@dataclass
class Late:
    model_dir: str = field(init=False, default="models/{DENSE}")

    def __post_init__(self):
        self.model_dir = "models/keras_float64"


tf.saved_model.load(Late().model_dir).signatures["serving_default"](BAD)


def logged(function):
    return function


@logged
@functools.lru_cache
def wrapped():
    return tf.saved_model.load(PATH)


wrapped().signatures["serving_default"](BAD)

MODEL_DIR = PATH


@functools.cache
def first():
    return tf.saved_model.load(MODEL_DIR)


first()
MODEL_DIR = "models/keras_float64"
# The cache returns the first call's model (float32): a float32 tensor is right.
first().signatures["serving_default"](GOOD)

import sys

if len(sys.argv) > 9:
    m = tf.saved_model.load("models/keras_float64")
else:
    m = tf.saved_model.load(PATH)
m.signatures["serving_default"](keras_tensor=tf.constant(np.zeros((2, 5), np.float64)))
"""
)


def test_what_may_change_an_instance_is_not_followed(tmp_path: Path) -> None:
    """An attribute assigned outside ``__init__``, a class decorator, a property with a
    setter, a ``field(init=False)``, an unknown decorator around a cache, a cached loader
    whose global changes between calls, a model of one of two branches: no finding from a
    model the call may not use."""
    root = write(tmp_path, {"main.py": UNFOLLOWED})
    # Only the reassigned attribute's own load is known (float64: the call is right).
    assert sm_lint(root, "main.py") == []


PROJECT = {
    "serving/__init__.py": "from .predictor import PREDICTOR, Predictor\n",
    "serving/predictor.py": HEAD
    + PREDICTOR
    + "\nPREDICTOR = DensePredictor(PATH)\n\n\n@dataclass\nclass Settings:\n"
    "    MODEL_PATH: Path = Path(__file__).parent.parent / 'models' / NAME\n",
    "main.py": _program("").split("\nPATH")[0]
    + f"""
from serving import PREDICTOR, Predictor
from serving.predictor import DensePredictor, Settings

PATH = "models/{DENSE}"
p = Predictor(PATH)
p.fn(BAD)  # wrong
p.signature(GOOD)
PREDICTOR.signature(BAD)  # wrong
DensePredictor.from_dir(PATH).fn(BAD)  # wrong
DensePredictor.load(PATH).signatures["serving_default"](BAD)  # wrong
tf.saved_model.load(str(Settings().MODEL_PATH)).signatures["serving_default"](BAD)  # wrong
""".replace("BAD", BAD).replace("GOOD", GOOD),
}
PROJECT["serving/predictor.py"] = PROJECT["serving/predictor.py"].replace(
    "import tensorflow as tf\n",
    f"import tensorflow as tf\nfrom pathlib import Path\n\nNAME = '{DENSE}'\n",
    1,
)


def test_classes_and_instances_of_another_module(tmp_path: Path) -> None:
    root = write(tmp_path, PROJECT)
    wrong = _lines(PROJECT["main.py"], "# wrong")
    assert sm_lint(root, "main.py") == sorted(f"SM008 main.py:{line}" for line in wrong)
    _listed_with_model(root, wrong)
