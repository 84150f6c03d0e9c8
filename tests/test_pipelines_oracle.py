"""Image pipelines against real TensorFlow, numpy, Pillow and Keras.

Generated programs read real image files through tf.io / tf.image, PIL and Keras' image
utilities, add a batch axis, and call a restored detector (``detect_fn(x)``, uint8
``[1, ?, ?, 3]``), a signature (``infer(images=x)``, float32 ``[?, 8, 8, 3]``) or a restored
classifier (``clf(x)``); some index the result with an output key. Each program is run for
real in this process and linted by sm-lint:

- what sm-lint infers of the pipeline's value must be what the value really is (dtype and
  every dimension it claims to know);
- an error finding only where TensorFlow raises at the call (0 false errors);
- every rejection found where sm-lint knows the value's dtype and every dimension (an
  image's size read from its file, a PIL image opened without ``convert``, a decode without
  ``channels`` leave it partly unknown: those misses are counted, not failures).

``SM_LINT_FUZZ_BUDGET`` raises the number of programs.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
Image = pytest.importorskip("PIL.Image")

from sm_lint.analysis.interpreter import Interpreter  # noqa: E402
from sm_lint.analysis.literals import as_argument  # noqa: E402
from sm_lint.api import Linter, lint_source  # noqa: E402
from sm_lint.config import Config  # noqa: E402
from sm_lint.diagnostics import Severity  # noqa: E402
from sm_lint.semantics import Kind, Value  # noqa: E402
from tests.tf_support import run_with_tensorflow  # noqa: E402

BUDGET = int(os.environ.get("SM_LINT_FUZZ_BUDGET", "0") or 0) or 150

PRELUDE = (
    "import numpy as np\nimport tensorflow as tf\nimport keras\nfrom PIL import Image\n"
    'detect_fn = tf.saved_model.load("models/detector")\n'
    'clf = tf.saved_model.load("models/classifier")\n'
    'infer = clf.signatures["serving_default"]\n'
)


def _save_models(root: Path) -> None:
    class Detector(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.uint8)])
        def __call__(self, input_tensor: Any) -> Any:
            pixels = tf.cast(input_tensor, tf.float32)
            return {
                "detection_boxes": tf.reduce_mean(pixels, axis=[1, 2]),
                "num_detections": tf.shape(input_tensor)[1:2],
            }

    class Classifier(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8, 8, 3], tf.float32, name="images")])
        def __call__(self, images: Any) -> Any:
            # A signature does not check a tensor's shape at binding: the model's op does.
            images = tf.ensure_shape(images, [None, 8, 8, 3])
            return {"probs": tf.reduce_mean(images, axis=[1, 2])}

    class Outputs(tf.Module):
        @tf.function
        def pair(self, x: Any) -> Any:
            return {"a": x, "b": x + 1}

        @tf.function
        def plain(self, x: Any) -> Any:
            return x

    outputs = Outputs()
    outputs.pair(tf.zeros([2]))
    outputs.pair(tf.zeros([3], tf.int32))
    outputs.plain(tf.zeros([2]))
    tf.saved_model.save(outputs, str(root / "outputs"))
    tf.saved_model.save(Detector(), str(root / "detector"))
    classifier = Classifier()
    tf.saved_model.save(
        classifier, str(root / "classifier"), signatures={"serving_default": classifier.__call__}
    )


def _save_images(folder: Path) -> dict[str, str]:
    """8x8 images in several modes and formats; their paths by short name."""
    rgb = np.arange(8 * 8 * 3, dtype=np.uint8).reshape(8, 8, 3)
    images = {
        "rgb.png": Image.fromarray(rgb),
        "gray.png": Image.fromarray(rgb[..., 0]),
        "rgba.png": Image.fromarray(np.dstack([rgb, rgb[..., :1]])),
        "g16.png": Image.fromarray(rgb[..., 0].astype(np.uint16) * 200),
        "wide.png": Image.fromarray(np.zeros((6, 10, 3), np.uint8)),
        "rgb.jpg": Image.fromarray(rgb),
        "anim.gif": Image.fromarray(rgb),
    }
    paths = {}
    for name, image in images.items():
        path = folder / name
        image.save(path)
        paths[name] = str(path)
    return paths


def _sources(files: dict[str, str]) -> list[str]:
    # The 8x8 RGB image thrice: enough calls that TensorFlow accepts.
    png = [files[n] for n in ("rgb.png", "rgb.png", "rgb.png", "gray.png", "rgba.png")]
    png += [files["g16.png"], files["wide.png"]]
    steps = []
    for path in png:
        read = f"tf.io.read_file({path!r})"
        for channels in (", channels=3", ", channels=1", ", channels=4", ", 3"):
            steps.append(f"tf.io.decode_png({read}{channels})")
        steps.append(f"tf.io.decode_png({read})")
        steps.append(f"tf.io.decode_png({read}, channels=3, dtype=tf.uint16)")
        steps.append(f"tf.io.decode_image({read}, channels=3, expand_animations=False)")
        steps.append(f"tf.image.decode_png({read}, channels=3)")
        for mode in ("RGB", "L", "RGBA", "F", "I", "1", "P"):
            steps.append(f"np.array(Image.open({path!r}).convert({mode!r}))")
        steps.append(f"np.asarray(Image.open({path!r}).convert('RGB').resize((8, 8)))")
        steps.append(f"np.array(Image.open({path!r}).resize((8, 6)))")
        steps.append(f"np.array(Image.open({path!r}))")
        steps.append(f"np.array(Image.open({path!r}).convert('RGB'), dtype=np.float32)")
        for options in (
            ", target_size=(8, 8)",
            "",
            ", target_size=(8, 8), color_mode='grayscale'",
            ", target_size=(8, 8), color_mode='rgba'",
            ", target_size=(8, 8), keep_aspect_ratio=True",
        ):
            load = f"keras.utils.load_img({path!r}{options})"
            steps.append(f"keras.utils.img_to_array({load})")
            steps.append(f"np.array({load})")
        steps.append(
            "tf.keras.preprocessing.image.img_to_array("
            f"tf.keras.preprocessing.image.load_img({path!r}, target_size=(8, 8)), "
            "dtype='uint8')"
        )
    two = f"[{files['rgb.png']!r}, {files['wide.png']!r}]"
    steps.append(f"np.stack([np.array(Image.open(p).convert('RGB')) for p in {two}])")
    decode = "tf.io.decode_png(tf.io.read_file(p), channels=3)"
    steps.append(f"tf.stack([tf.image.resize({decode}, (8, 8)) for p in {two}])")
    gif = f"tf.io.read_file({files['anim.gif']!r})"
    steps.append(f"tf.io.decode_image({gif}, channels=3)")
    steps.append(f"tf.io.decode_image({gif}, channels=3, expand_animations=False)")
    steps.append(f"tf.io.decode_jpeg(tf.io.read_file({files['rgb.jpg']!r}), channels=3)")
    steps.append(f"tf.io.decode_jpeg(tf.io.read_file({files['rgb.jpg']!r}))")
    return steps


_TRANSFORMS: list[str] = [
    "tf.image.resize({v}, (8, 8))",
    "tf.image.resize({v}, [6, 8])",
    "tf.image.resize({v}, size=(8, 8), method='nearest')",
    "tf.image.resize({v}, (8, 8), method=tf.image.ResizeMethod.NEAREST_NEIGHBOR)",
    "tf.image.resize({v}, (8, 8), method='bicubic')",
    "tf.image.resize({v}, (8, 8), preserve_aspect_ratio=True)",
    "tf.image.convert_image_dtype({v}, tf.float32)",
    "tf.image.convert_image_dtype({v}, dtype=tf.uint8)",
    "tf.cast({v}, tf.float32)",
    "tf.cast({v}, tf.uint8)",
    "tf.convert_to_tensor({v})",
    "{v} / 255",
    "{v} / 255.0",
    "{v} / 127.5 - 1",
    "{v}[..., :3]",
]

_BATCH: list[str] = [
    "tf.expand_dims({v}, 0)",
    "tf.expand_dims({v}, axis=0)",
    "np.expand_dims({v}, 0)",
    "{v}[tf.newaxis, ...]",
    "{v}[np.newaxis]",
    "{v}[None]",
    "tf.convert_to_tensor({v})[tf.newaxis, ...]",
    "tf.stack([{v}, {v}])",
    "np.stack([{v}, {v}])",
    "np.array([{v}])",
    "np.stack([{v} for _ in [0, 0]])",
    "tf.stack([{v} * 1 for _ in (0,)])",
    "{v}",
]

_CALLS = [
    "detect_fn(x)",
    'detect_fn(x)["num_detections"]',
    'detect_fn(x)["detection_scores"]',
    "infer(images=x)",
    'infer(images=x)["probs"]',
    'infer(images=x)["logits"]',
    "clf(x)",
    'clf(x)["probs"]',
    'clf(x)["scores"]',
]


#: Steps that keep an 8x8 RGB image fitting each model (uint8 batch of one; float32 8x8x3).
_FITS = {
    "detect_fn": (
        ("rgb.png', channels=3", "RGB'))", "dtype='uint8'"),
        ("nearest", "NEAREST", "tf.uint8)", "[..., :3]"),
        ("expand_dims", "newaxis", "[None]", "np.array([", "(0,)"),
    ),
    "infer": (
        ("rgb.png', channels=3", "RGB'", "rgb.png', target_size=(8, 8))"),
        ("(8, 8)", "tf.float32", "[..., :3]"),
        ("",),
    ),
}


def _program(rng: random.Random, sources: list[str]) -> tuple[list[str], str]:
    """Pipeline lines (the value ends in ``x``) and the call."""
    call = rng.choice(_CALLS)
    fits = _FITS["detect_fn" if call.startswith("detect") else "infer"]
    pools = [sources, _TRANSFORMS, _BATCH]
    if rng.random() < 0.5:  # a pipeline likely to fit, so that accepted calls are many
        pools = [[s for s in pool if any(w in s for w in fits[i])] for i, pool in enumerate(pools)]
    steps = [rng.choice(pools[0])]
    steps += rng.sample(pools[1], min(len(pools[1]), rng.choice([0, 1, 1, 2])))
    steps.append(rng.choice(pools[2]))
    lines, name = [], ""
    for i, step in enumerate(steps):
        target = "x" if i == len(steps) - 1 else f"v{i}"
        lines.append(f"{target} = {step.format(v=name)}")
        name = target
    return lines, call


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("pipelines")
    models = root / "models"
    _save_models(models)
    files = _save_images(root)
    return {
        "root": root,
        "models": models,
        "files": files,
        "detect_fn": tf.saved_model.load(str(models / "detector")),
        "clf": tf.saved_model.load(str(models / "classifier")),
        "outputs": tf.saved_model.load(str(models / "outputs")),
    }


def _real(value: Any) -> Value | None:
    if isinstance(value, tf.Tensor):
        return Value(Kind.TENSOR, value.dtype.name, tuple(value.shape))
    if isinstance(value, np.ndarray):
        return Value(Kind.NDARRAY, value.dtype.name, value.shape)
    return None


def _static(lines: list[str]) -> Value:
    source = PRELUDE + "\n".join(lines) + "\n"
    interpreter = Interpreter(cst.parse_module(source), None)
    return as_argument(interpreter.block(interpreter.module.body, {})["x"])


def _wrong(static: Value, real: Value) -> str | None:
    """What sm-lint claims of the value that is not so."""
    if static.kind not in (Kind.UNKNOWN, real.kind):
        return f"kind {static.kind} is {real.kind}"
    if static.dtype is not None and static.dtype != real.dtype:
        return f"dtype {static.dtype} is {real.dtype}"
    if static.shape is not None:
        assert real.shape is not None
        if len(static.shape) != len(real.shape):
            return f"shape {static.shape} is {real.shape}"
        if any(s is not None and s != r for s, r in zip(static.shape, real.shape, strict=True)):
            return f"shape {static.shape} is {real.shape}"
    return None


def test_pipelines_agree_with_tensorflow(setting: dict[str, Any]) -> None:
    rng = random.Random(5)
    sources = _sources(setting["files"])
    linter = Linter(Config(models=(setting["models"],)))
    infer = setting["clf"].signatures["serving_default"]
    wrong_values, false_errors, missed = [], [], []
    programs = rejected = found = partial_misses = 0
    while programs < BUDGET:
        lines, call = _program(rng, sources)
        scope = {
            "np": np,
            "tf": tf,
            "keras": keras,
            "Image": Image,
            "detect_fn": setting["detect_fn"],
            "clf": setting["clf"],
            "infer": infer,
        }
        if not run_with_tensorflow("\n".join(lines), scope).ok:
            continue  # the pipeline itself fails (uint8 tensor / 255.0): no call to judge
        programs += 1
        real = _real(scope["x"])
        assert real is not None, lines
        static = _static(lines)
        problem = _wrong(static, real)
        if problem is not None:
            wrong_values.append((lines, problem))
        outcome = run_with_tensorflow(call, scope)
        text = PRELUDE + "\n".join(lines) + f"\n{call}\n"
        errors = [
            d
            for d in linter.lint_source(text, setting["root"] / "case.py")
            if d.severity is Severity.ERROR
        ]
        rejected += not outcome.ok
        found += bool(errors) and not outcome.ok
        if errors and outcome.ok:
            false_errors.append((lines, call, [(d.code, d.message) for d in errors]))
        if not errors and not outcome.ok:
            if static.dtype is not None and static.shape is not None and None not in static.shape:
                missed.append((lines, call, outcome.error))
            else:
                partial_misses += 1
    print(
        f"pipelines oracle: {programs} programs, {rejected} rejected by TensorFlow, "
        f"{found} found, {partial_misses} not found where the value is partly unknown"
    )
    for item in wrong_values + false_errors + missed:
        print("PROBLEM", item)
    assert not wrong_values, wrong_values[:5]
    assert not false_errors, false_errors[:5]
    assert not missed, missed[:5]
    assert programs // 10 <= rejected <= programs - programs // 10  # both outcomes reached
    assert found >= rejected // 2


@pytest.mark.parametrize(
    ("call", "reported"),
    [
        ('out.pair(tf.zeros([2]))["c"]', True),  # no trace returns "c": KeyError
        ('out.pair(tf.zeros([3], tf.int32))["b"]', False),
        ('out.pair(x=tf.zeros([2]))["A"]', True),
        ('out.plain(tf.zeros([2]))["a"]', False),  # a tensor: not a dict's missing key
        ("out.pair(tf.zeros([2]))[0]", False),
    ],
)
def test_restored_outputs_agree_with_tensorflow(
    setting: dict[str, Any], call: str, reported: bool
) -> None:
    source = f'import tensorflow as tf\nout = tf.saved_model.load("models/outputs")\n{call}\n'
    found = lint_source(source, setting["root"] / "case.py", Config(models=(setting["models"],)))
    assert [d.code for d in found] == (["SM010"] if reported else [])
    outcome = run_with_tensorflow(call, {"tf": tf, "out": setting["outputs"]})
    if reported:
        assert outcome.error.startswith("KeyError"), outcome


#: The Object Detection API's inference loop (from bug reports), with its variants.
_DETECTION = (
    "image_np = np.array(Image.open({path!r}){convert})\n"
    "input_tensor = tf.convert_to_tensor({prepare})[tf.newaxis, ...]\n"
    "detections = detect_fn(input_tensor)\n"
)


@pytest.mark.parametrize(
    ("convert", "prepare", "reported"),
    [
        ("", "image_np", False),  # the file's mode decides the dtype: not known
        (".convert('RGB')", "image_np", False),
        (".convert('RGB')", "image_np / 255", True),  # a float64 tensor into uint8
        (".convert('RGB').resize((5, 4))", "image_np", False),
        (".convert('L')", "image_np", True),  # rank 3 where 4 is declared
        (".convert('RGBA')", "image_np", True),  # 4 channels where 3 are declared
        (".convert('F')", "image_np", True),  # a float32 tensor into uint8
    ],
)
def test_object_detection_loop(
    setting: dict[str, Any], convert: str, prepare: str, reported: bool
) -> None:
    lines = _DETECTION.format(path=setting["files"]["rgb.png"], convert=convert, prepare=prepare)
    source = PRELUDE + lines
    found = lint_source(source, setting["root"] / "case.py", Config(models=(setting["models"],)))
    errors = [d.code for d in found if d.severity is Severity.ERROR]
    scope = {"np": np, "tf": tf, "Image": Image, "detect_fn": setting["detect_fn"]}
    outcome = run_with_tensorflow(lines, scope)
    assert errors == (["SM013"] if reported else []), found
    assert outcome.ok is not reported, outcome


def test_keras_layer_of_a_typed_call_rejects_a_tensor_of_another_shape(
    setting: dict[str, Any],
) -> None:
    """hub.KerasLayer calls the restored __call__, whose input_signature checks a tensor's
    shape at binding: the shape finding says so, not that the shape goes unchecked."""
    hub = pytest.importorskip("tensorflow_hub")
    call = "layer(tf.zeros((2, 8, 6, 3)))"
    source = (
        "import tensorflow as tf\nimport tensorflow_hub as hub\n"
        f'layer = hub.KerasLayer("models/classifier")\n{call}\n'
    )
    found = lint_source(source, setting["root"] / "case.py", Config(models=(setting["models"],)))
    assert [d.code for d in found] == ["SM008"]
    assert "rejects the call" in found[0].message
    assert "not checked" not in found[0].message
    layer = hub.KerasLayer(str(setting["models"] / "classifier"))
    outcome = run_with_tensorflow(call, {"tf": tf, "layer": layer})
    assert "Can not cast TensorSpec" in outcome.error or "TypeError" in outcome.error, outcome


@pytest.mark.parametrize(("mode", "reported"), [("RGB", False), ("L", True), (None, False)])
def test_image_opened_in_a_with_statement(
    setting: dict[str, Any], mode: str | None, reported: bool
) -> None:
    convert = f".convert({mode!r})" if mode else ""
    lines = (
        f"with Image.open({setting['files']['rgb.png']!r}) as img:\n"
        f"    image_np = np.array(img{convert})\n"
        "detect_fn(tf.convert_to_tensor(image_np)[tf.newaxis, ...])\n"
    )
    found = lint_source(
        PRELUDE + lines, setting["root"] / "case.py", Config(models=(setting["models"],))
    )
    assert [d.code for d in found] == (["SM013"] if reported else [])
    scope = {"np": np, "tf": tf, "Image": Image, "detect_fn": setting["detect_fn"]}
    assert run_with_tensorflow(lines, scope).ok is not reported
