"""Oracle: signatures derived from source against what real TensorFlow writes and does.

Each generated program builds a model (a template), saves it with one of several path
forms (a literal, a module constant, ``os.path.join(tempfile.mkdtemp(), "m")``,
``pathlib.Path(...) / "m"``, a variable whose text is unknown), loads it back and makes one
signature call (a variant: right, wrong name, missing input, wrong dtype, wrong rank, wrong
dimension, positional, unknown output, unknown key). Some programs are notebooks with the
save and the call in different cells.

The programs are linted *before* anything runs, so no folder exists yet and every
signature must come from the source (``model_source == "source"``). Then the save runs
once per (template, path form) in this one TensorFlow process, and each call variant runs
in a copy of that namespace. Verdicts:

* TensorFlow **rejects** a call when it raises (binding, lookup, output indexing), or when
  a tf.Tensor's shape contradicts the real signature (TensorFlow does not check it then;
  docs/design.md counts it as an error too);
* sm-lint's verdict is **error** when it reports an error on the call's lines (or cell).

Asserted: no false errors (error where TensorFlow accepts), no SM011 and no finding at all
on the save/load part, at least 95% of rejections found, and the naming rules: every
derived signature equals the real one where it claims to know (keys, input names or name
patterns, dtypes, shapes, output names).

``SM_LINT_ORACLE_BUDGET`` (a float, default 1) scales how many path forms each template
is saved with (all of them at 3 and above).
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from sm_lint.api import Linter  # noqa: E402
from sm_lint.config import Config  # noqa: E402
from sm_lint.diagnostics import Severity  # noqa: E402
from tests.conftest import code_notebook  # noqa: E402

BUDGET = float(os.environ.get("SM_LINT_ORACLE_BUDGET", "1") or "1")

HEADER = """\
import os
import pathlib
import tempfile

import numpy as np
import tensorflow as tf
import keras
"""

# ------------------------------------------------------------------- path forms
# {tmp} is a fresh folder per program; the model folder below it does not exist yet.
PATH_FORMS: dict[str, str] = {
    "mkdtemp": 'path = os.path.join(tempfile.mkdtemp(), "m")\n',
    "pathlib": 'path = pathlib.Path(tempfile.mkdtemp()) / "m"\n',
    "literal": "",
    "constant": 'MODEL_DIR = "{tmp}/const_m"\npath = MODEL_DIR\n',
    "fstring": 'folder = tempfile.mkdtemp()\npath = f"{{folder}}/m"\n',
    "variable": 'path = os.environ.get("SM_LINT_NO_SUCH_VARIABLE") or tempfile.mkdtemp()\n',
}


def _path_expr(form: str) -> str:
    return '"{tmp}/lit_m"' if form == "literal" else "path"


# -------------------------------------------------------------------- templates
# Each builds a model and saves it with SAVE(obj) (``{save}`` is replaced by the save call).
TEMPLATES: dict[str, str] = {
    # tf.Module __call__ with a named spec; signatures omitted; dict output.
    "module_call": """
class Doubler(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec(shape=[None, 3], dtype=tf.float32, name="x")])
    def __call__(self, x):
        return {"y": x * 2.0}

module = Doubler()
tf.saved_model.save(module, {path})
""",
    # A method with unnamed specs (parameter names) given as signatures=; tuple output.
    "module_method": """
class Scorer(tf.Module):
    @tf.function(input_signature=[
        tf.TensorSpec((None, 4), "float32"),
        tf.TensorSpec([None], tf.int32),
    ])
    def score(self, features, ids):
        return features * 2.0, ids + 1

scorer = Scorer()
tf.saved_model.save(scorer, {path}, signatures=scorer.score)
""",
    # A free function, positional TensorSpec, tf.TensorShape, numpy dtype; single output.
    "free_function": """
@tf.function(input_signature=[tf.TensorSpec(tf.TensorShape([None, 2]), np.float64, "values")])
def total(values):
    return tf.reduce_sum(values, axis=1)

holder = tf.Module()
holder.total = total
tf.saved_model.save(holder, {path}, signatures=total)
""",
    # A concrete function with keyword TensorSpecs; dict output.
    "concrete": """
class Model(tf.Module):
    @tf.function
    def predict(self, pixels):
        return {"probs": tf.nn.softmax(pixels)}

model = Model()
concrete = model.predict.get_concrete_function(tf.TensorSpec(shape=(None, 5), dtype="float32"))
tf.saved_model.save(model, {path}, signatures=concrete)
""",
    # A dict of signatures: a function and a concrete function of one with input_signature.
    "signature_dict": """
class Two(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="a")])
    def first(self, a):
        return {"sum": tf.reduce_sum(a, axis=1)}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def second(self, text):
        return tf.strings.length(text)

two = Two()
tf.saved_model.save(
    two, {path}, signatures={"first": two.first, "second": two.second.get_concrete_function()}
)
""",
    # A dict of specs as one argument: flattened in sorted key order, named by name= or
    # by the parameter (features, features_1, ...).
    "dict_spec": """
@tf.function(input_signature=[{
    "width": tf.TensorSpec([None], tf.float32),
    "age": tf.TensorSpec([None], tf.int64, name="age_years"),
    "height": tf.TensorSpec([None], tf.float32),
}])
def combine(features):
    return {"out": features["width"] + features["height"]}

tf.saved_model.save(tf.Module(), {path}, signatures=combine)
""",
    # Nested tuple specs plus a scalar and an unknown-rank input.
    "nested_spec": """
@tf.function(input_signature=[
    (
        tf.TensorSpec([None], tf.float32),
        tf.TensorSpec([None], tf.float32, name="q"),
        [tf.TensorSpec([2], tf.int32)],
    ),
    tf.TensorSpec([], tf.float32),
    tf.TensorSpec(None, tf.float32, name="anything"),
])
def nested(pair, scale, rest):
    return pair[0] * scale

tf.saved_model.save(tf.Module(), {path}, signatures=nested)
""",
    # Keras functional model, named inputs, model.export.
    "keras_export": """
numbers = keras.Input(shape=(4,), name="numbers")
codes = keras.Input(shape=(3,), name="codes", dtype="int32")
as_float = keras.layers.Lambda(lambda t: tf.cast(t, "float32"), output_shape=(3,))
mixed = keras.layers.Concatenate()([numbers, as_float(codes)])
model = keras.Model(inputs=[numbers, codes], outputs=keras.layers.Dense(2)(mixed))
model.export({path})
""",
    # The same kind of model through tf.saved_model.save: inputs, inputs_1, ...
    "keras_tfsave": """
first = keras.Input(shape=(4,), name="first")
second = keras.Input(shape=(2,), name="second")
joined = keras.layers.Concatenate()([first, second])
heads = [keras.layers.Dense(1)(joined), keras.layers.Dense(3)(joined)]
model = keras.Model([first, second], heads)
tf.saved_model.save(model, {path})
""",
    # Sequential with an unnamed Input, exported: the name is keras_tensor_N.
    "sequential_export": """
model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(3), keras.layers.Dense(1)])
model.export({path})
""",
    # Sequential through tf.saved_model.save, a fixed batch size kept.
    "sequential_tfsave": """
model = keras.Sequential(
    [keras.Input(shape=(5,), batch_size=4, name="ignored"), keras.layers.Dense(2)]
)
tf.saved_model.save(model, {path})
""",
    # Functional model with dict inputs and dict outputs, exported.
    "keras_dicts": """
a = keras.Input(shape=(3,), name="alpha")
b = keras.Input(shape=(2,), name="beta")
heads = {"left": keras.layers.Dense(1)(a), "right": keras.layers.Dense(1)(b)}
model = keras.Model({"alpha": a, "beta": b}, heads)
model.export({path})
""",
    # TensorFlow's SavedModel guide: a concrete function of a function that has an
    # input_signature, in a dict; a Variable on the module.
    "guide_output_name": """
class CustomModuleWithOutputName(tf.Module):
    def __init__(self):
        super(CustomModuleWithOutputName, self).__init__()
        self.v = tf.Variable(1.0)

    @tf.function(input_signature=[tf.TensorSpec(None, tf.float32)])
    def __call__(self, x):
        return {"custom_output_name": x * self.v}

module_output = CustomModuleWithOutputName()
call_output = module_output.__call__.get_concrete_function(tf.TensorSpec(None, tf.float32))
tf.saved_model.save(module_output, {path}, signatures={"serving_default": call_output})
""",
    # A free function attached to a plain tf.Module; signatures omitted.
    "attached_function": """
@tf.function(input_signature=[tf.TensorSpec([None, 2], tf.int32, name="counts")])
def halve(counts):
    as_float = tf.cast(counts, tf.float32)
    return as_float / 2.0

root = tf.Module()
root.halve = halve
root.scale = tf.Variable(2.0)
tf.saved_model.save(root, {path})
""",
    # Dtype and shape spellings.
    "spellings": """
class Spelled(tf.Module):
    @tf.function(input_signature=[
        tf.TensorSpec(shape=3, dtype=tf.dtypes.float32, name="a"),
        tf.TensorSpec((), tf.as_dtype("int32"), name="b"),
        tf.TensorSpec([None, 2], "double", name="c"),
        tf.TensorSpec(tf.TensorShape(None), float, name="d"),
        tf.TensorSpec([2, None], np.int64, name="e"),
        tf.TensorSpec([None], dtype=tf.bool, name="f"),
    ])
    def __call__(self, a, b, c, d, e, f):
        return a, tf.cast(b, tf.float32), c, d, e, f

tf.saved_model.save(Spelled(), {path})
""",
    # TensorFlow's guide: a tf.Module exporting a Keras model it holds; signatures omitted;
    # a tf.function without input_signature is never the default.
    "module_wraps_keras": """
inner = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2)])

class Exporter(tf.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="features")])
    def serve(self, features):
        return {"scores": self.model(features)}

    @tf.function
    def helper(self, x):
        return x

tf.saved_model.save(Exporter(inner), {path})
""",
    # Keras dict inputs through tf.saved_model.save: inputs, inputs_1 in sorted key order,
    # and a fixed batch size kept.
    "keras_dict_tfsave": """
z = keras.Input(shape=(3,), name="zed", batch_size=2)
y = keras.Input(shape=(2,), name="why", batch_size=2)
merged = keras.layers.Concatenate()([z, y])
model = keras.Model(inputs={"zkey": z, "akey": y}, outputs=keras.layers.Dense(1)(merged))
tf.saved_model.save(model, {path})
""",
}

#: Templates that also run as notebooks (save, load and call in different cells).
NOTEBOOK_TEMPLATES = ("module_call", "keras_export", "sequential_export", "module_wraps_keras")

# Bad input: never a crash, never a hang, never a wrong finding.
BAD_TEMPLATES: dict[str, str] = {
    "loop_signature": """
specs = []
for width in (3, 4):
    specs.append(tf.TensorSpec([None, width], tf.float32))

@tf.function(input_signature=specs)
def both(a, b):
    return {"y": tf.reduce_sum(a) + tf.reduce_sum(b)}

tf.saved_model.save(tf.Module(), {path}, signatures=both)
""",
    "variable_dtype": """
kind = tf.float64 if os.environ.get("SM_LINT_NO_SUCH_VARIABLE") else tf.float32

class Fn(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 2], kind, name="v")])
    def __call__(self, v):
        return v

tf.saved_model.save(Fn(), {path})
""",
    "conditional_save": """
class A(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="a")])
    def __call__(self, a):
        return a

class B(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float64, name="b")])
    def __call__(self, b):
        return b

if os.environ.get("SM_LINT_NO_SUCH_VARIABLE"):
    tf.saved_model.save(A(), {path})
else:
    tf.saved_model.save(B(), {path})
""",
    "helper_saves": """
class A(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="a")])
    def __call__(self, a):
        return a

def export(module, where):
    tf.saved_model.save(module, where)

export(A(), {path})
""",
    "shape_from_variable": """
width = int(os.environ.get("SM_LINT_NO_SUCH_VARIABLE", "3"))

@tf.function(input_signature=[tf.TensorSpec([None, width], tf.float32, name="w")])
def widen(w):
    return {"out": w * 2.0}

tf.saved_model.save(tf.Module(), {path}, signatures=widen)
""",
    "two_candidates": """
class Two(tf.Module):
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def f(self, x):
        return x

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def g(self, x):
        return x

tf.saved_model.save(Two(), {path})
""",
}


# ----------------------------------------------------------------------- programs
@dataclass
class Program:
    template: str
    form: str
    variant: str
    prelude: str  # header + path + model + save + load
    call: str
    notebook: bool = False

    @property
    def text(self) -> str:
        return self.prelude + self.call


def _prelude(template: str, form: str, tmp: Path, body: str) -> str:
    path = _path_expr(form).replace("{tmp}", str(tmp))
    setup = PATH_FORMS[form].replace("{tmp}", str(tmp))
    model = textwrap.dedent(body).replace("{path}", path)
    return f"{HEADER}\n{setup}{model}\nloaded = tf.saved_model.load({path})\n"


def _value(dtype: tf.DType, shape: list[int | None] | None, numpy: bool = False) -> str:
    dims = tuple(2 if d is None else d for d in (shape if shape is not None else [2]))
    if dtype == tf.string:
        return f"tf.fill({list(dims)}, 'a')" if not numpy else f"np.full({dims}, 'a')"
    if numpy:
        return f"np.zeros({dims}, np.{dtype.name})"
    return f"tf.zeros({list(dims)}, tf.{dtype.name})"


def _wrong_dtype(dtype: tf.DType) -> tf.DType:
    return tf.float64 if dtype != tf.float64 else tf.float32


def variants(key: str, sig: Any) -> Iterator[tuple[str, str]]:
    """(variant name, call text) for a real signature function."""
    specs = sig.structured_input_signature[1]
    outputs = sorted(sig.structured_outputs)
    names = sorted(specs)
    right = {
        n: _value(
            specs[n].dtype, specs[n].shape.as_list() if specs[n].shape.rank is not None else None
        )
        for n in names
    }

    def call(kwargs: dict[str, str], extra: str = "") -> str:
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
        return f'fn = loaded.signatures["{key}"]\nresult = fn({args})\n{extra}'

    yield "right", call(right, f'_ = result["{outputs[0]}"]\n')
    first = names[0]
    yield (
        "wrong_name",
        call({**{k: v for k, v in right.items() if k != first}, first + "_typo": right[first]}),
    )
    if len(names) > 1:
        yield "missing", call({k: v for k, v in right.items() if k != names[-1]})
    numeric = [n for n in names if specs[n].dtype not in (tf.string,)]
    if numeric:
        n = numeric[0]
        shape = specs[n].shape.as_list() if specs[n].shape.rank is not None else None
        yield "wrong_dtype", call({**right, n: _value(_wrong_dtype(specs[n].dtype), shape)})
    floats = [n for n in names if specs[n].dtype == tf.float32]
    if floats:
        # numpy float64 into float32: cast silently, accepted.
        n = floats[0]
        shape = specs[n].shape.as_list() if specs[n].shape.rank is not None else None
        as_numpy = _value(tf.float64, shape, numpy=True)
        yield "numpy_cast", call({**right, n: as_numpy}, f'_ = result["{outputs[-1]}"]\n')
    ranked = [n for n in names if specs[n].shape.rank is not None]
    if ranked:
        n = ranked[0]
        shape = [*specs[n].shape.as_list(), 3]
        yield "wrong_rank", call({**right, n: _value(specs[n].dtype, shape, numpy=True)})
    fixed = [n for n in ranked if any(d is not None for d in specs[n].shape.as_list())]
    if fixed:
        n = fixed[0]
        shape = specs[n].shape.as_list()
        i = max(j for j, d in enumerate(shape) if d is not None)
        shape[i] = shape[i] + 1
        yield "wrong_dim", call({**right, n: _value(specs[n].dtype, shape, numpy=True)})
    if len(names) == 1:
        yield "positional", f'fn = loaded.signatures["{key}"]\nresult = fn({right[first]})\n'
    else:
        yield (
            "positional",
            f'fn = loaded.signatures["{key}"]\nresult = fn({", ".join(right.values())})\n',
        )
    yield "wrong_output", call(right, '_ = result["no_such_output"]\n')
    yield "wrong_key", f'fn = loaded.signatures["{key}_typo"]\n'


def _notebook(prelude: str, call: str) -> str:
    """The program as a notebook: header, path, model and save, load, call in four cells."""
    head, _, rest = prelude.partition("\n\n")
    model, _, load = rest.rstrip("\n").rpartition("\n")
    cells = [head + "\n", model + "\n", load + "\n", call]
    return json.dumps(code_notebook(cells, markdown_first="Save, then load."))


# ------------------------------------------------------------------------ running
def _rejects(ns: dict[str, Any], call: str) -> bool:
    scope = dict(ns)
    try:
        exec(compile(call, "<call>", "exec"), scope)
    except Exception:
        return True
    # A tf.Tensor of a shape the signature does not declare: TensorFlow lets it through.
    fn, kwargs = scope.get("fn"), _kwargs(call, scope)
    if fn is None or kwargs is None:
        return False
    specs = fn.structured_input_signature[1]
    for name, value in kwargs.items():
        spec = specs.get(name)
        if (
            isinstance(value, tf.Tensor)
            and spec is not None
            and not spec.shape.is_compatible_with(value.shape)
        ):
            return True
    return False


def _kwargs(call: str, scope: dict[str, Any]) -> dict[str, Any] | None:
    match = re.search(r"result = fn\((.*)\)", call)
    if match is None or "=" not in match.group(1):
        return None
    return dict(eval(f"dict({match.group(1)})", scope))  # our own generated text


def _forms_for(index: int) -> list[str]:
    forms = list(PATH_FORMS)
    count = len(forms) if BUDGET >= 3 else max(1, min(len(forms), round(2 * BUDGET)))
    return [forms[(index + k) % len(forms)] for k in range(count)]


@dataclass
class Tally:
    programs: int = 0
    notebooks: int = 0
    calls: int = 0
    rejections: int = 0
    found: int = 0
    agreements: int = 0
    false_errors: list[str] | None = None
    missed: list[str] | None = None
    naming_checked: int = 0


def _check_naming(model: Any, real: Any, where: str) -> int:
    """Every part of the derived signatures equals the real one where it is known."""
    checked = 0
    real_keys = set(real.signatures)
    if model.complete:
        assert set(model.signatures) == real_keys, where
    for key, sig in model.signatures.items():
        assert key in real_keys, where
        real_sig = real.signatures[key]
        real_inputs = real_sig.structured_input_signature[1]
        if sig.inputs_known:
            assert len(sig.inputs) == len(real_inputs), where
            unmatched = set(real_inputs)
            for spec in sig.inputs.values():
                if spec.name_pattern is None:
                    assert spec.name in real_inputs, (where, spec.name, sorted(real_inputs))
                    real_spec = real_inputs[spec.name]
                else:
                    candidates = [n for n in unmatched if re.fullmatch(spec.name_pattern, n)]
                    assert candidates, (where, spec.name_pattern, sorted(real_inputs))
                    real_spec = real_inputs[candidates[0]]
                unmatched.discard(real_spec.name if real_spec.name in unmatched else spec.name)
                if spec.dtype != "?":
                    assert spec.dtype == real_spec.dtype.name, (where, spec)
                real_shape = (
                    None if real_spec.shape.rank is None else tuple(real_spec.shape.as_list())
                )
                if spec.shape is not None:
                    assert spec.shape == real_shape, (where, spec, real_shape)
                checked += 1
        if sig.outputs_known:
            assert set(sig.outputs) == set(real_sig.structured_outputs), (where, sig.outputs)
            checked += 1
    return checked


def _run_group(
    template: str, body: str, form: str, tmp: Path, notebook: bool, tally: Tally, bad: bool
) -> None:
    prelude = _prelude(template, form, tmp, body)
    linter = Linter(Config())
    # Lint first: nothing exists on disk yet, so the signatures must come from the source.
    ns: dict[str, Any] = {"__name__": "__oracle__"}
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        analysis = linter.analyze_source(prelude, str(tmp / "program.py"))
        exec(compile(prelude, str(tmp / "program.py"), "exec"), ns)
    finally:
        os.chdir(cwd)
    loaded = ns["loaded"]
    assert analysis.facts is not None and analysis.facts.loads
    resolved = analysis.loads[analysis.facts.loads[-1].id]
    where = f"{template}/{form}"
    if not bad:
        assert resolved.resolution.source == "source", (where, resolved.resolution.reason)
        assert resolved.model is not None
        tally.naming_checked += _check_naming(resolved.model, loaded, where)
    programs = [
        (v, c)
        for key in sorted(loaded.signatures)
        for v, c in variants(key, loaded.signatures[key])
    ]
    if "serving_default" not in loaded.signatures:
        programs.append(("absent_key", 'fn = loaded.signatures["serving_default"]\n'))
    for variant, call in programs:
        text = prelude + call
        if notebook:
            nb = _notebook(prelude, call)
            findings = Linter(Config()).lint_notebook(nb, str(tmp / "program.ipynb"))
            call_part = [f for f in findings if f.cell == 5]
            other = [f for f in findings if f.cell != 5]
        else:
            findings = Linter(Config()).lint_source(text, str(tmp / "program.py"))
            start = prelude.count("\n") + 1
            call_part = [f for f in findings if f.line >= start]
            other = [f for f in findings if f.line < start]
        assert not other, (where, variant, other)
        static_error = any(f.severity is Severity.ERROR for f in call_part)
        rejects = _rejects(ns, call)
        kind = " (notebook)" if notebook else ""
        label = f"{where}{kind} {variant}: {[f.code for f in call_part]}"
        tally.programs += 1
        tally.notebooks += notebook
        tally.calls += 1
        tally.rejections += rejects
        tally.found += rejects and static_error
        tally.agreements += rejects == static_error
        if static_error and not rejects:
            assert tally.false_errors is not None
            tally.false_errors.append(label + "\n" + call)
        if rejects and not static_error:
            assert tally.missed is not None
            tally.missed.append(label)


def _tally() -> Tally:
    return Tally(false_errors=[], missed=[])


def test_derived_signatures_agree_with_tensorflow(tmp_path: Path) -> None:
    tally = _tally()
    for index, (template, body) in enumerate(TEMPLATES.items()):
        for form in _forms_for(index):
            folder = tmp_path / f"{template}-{form}"
            folder.mkdir()
            _run_group(template, body, form, folder, False, tally, bad=False)
        if template in NOTEBOOK_TEMPLATES:
            folder = tmp_path / f"{template}-notebook"
            folder.mkdir()
            _run_group(template, body, "mkdtemp", folder, True, tally, bad=False)
    assert tally.false_errors is not None and tally.missed is not None
    report = (
        f"derived oracle: {tally.programs} programs ({tally.notebooks} notebooks), "
        f"{tally.calls} calls, {tally.agreements} agreements, "
        f"{len(tally.false_errors)} false errors, {tally.found}/{tally.rejections} rejections "
        f"found, {tally.naming_checked} derived specs checked against the real signatures"
    )
    print(report)
    for label in tally.missed:
        print("missed:", label)
    assert tally.programs >= 150, report
    assert not tally.false_errors, "\n".join(tally.false_errors[:10])
    assert tally.found >= 0.95 * tally.rejections, report + "\nmissed:\n" + "\n".join(tally.missed)


def test_bad_input_never_a_wrong_finding(tmp_path: Path) -> None:
    tally = _tally()
    for template, body in BAD_TEMPLATES.items():
        folder = tmp_path / template
        folder.mkdir()
        _run_group(template, body, "mkdtemp", folder, False, tally, bad=True)
    assert tally.false_errors is not None
    assert tally.calls > 0
    print(
        f"bad input: {tally.programs} programs, {len(tally.false_errors)} false errors, "
        f"{tally.found}/{tally.rejections} rejections found"
    )
    assert not tally.false_errors, "\n".join(tally.false_errors[:10])
