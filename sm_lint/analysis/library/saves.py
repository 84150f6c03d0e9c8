"""Signatures of SavedModels the program saves itself, derived from its source.

TensorFlow's guides and most notebooks build a ``tf.Module`` or a Keras model, save it with
``tf.saved_model.save(obj, path, signatures=...)`` or ``model.export(path)``, and load it a
few cells later. This library module recognises the facts such a save depends on
(``@tf.function(input_signature=[...])``, ``tf.TensorSpec``, ``get_concrete_function``,
``keras.Input`` / ``keras.Model`` / ``keras.Sequential``) as abstract values
(library/save_values.py), and at each save derives the signatures TensorFlow will write.
Whatever cannot be known stays None (unknown) and is never checked. A later load of the same
path value, or of the same variable, is linked to the save (``ModelLoad.saved_by``). Its
state (the saves, the Keras inputs counted, the latest save per folder) is the run state's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import libcst as cst

from sm_lint.analysis.engine.hooks import Registry
from sm_lint.analysis.engine.state import Env
from sm_lint.analysis.engine.syntax import argument_node, env_key, statements_of
from sm_lint.analysis.facts import ModelSave
from sm_lint.analysis.library.save_values import (
    _DEFAULT_ATTR,
    _KERAS_INPUT,
    _KERAS_MODEL,
    _MODULE_BASES,
    _SAVE,
    _SEQUENTIAL,
    _SINGLE,
    _TENSORSPEC,
    Decorator,
    Function,
    Instance,
    KerasInput,
    KerasModel,
    KerasTensor,
    Layer,
    ModuleClass,
    SaveLink,
    Spec,
    TempDir,
    _concrete,
    _dtype,
    _export_signatures,
    _functional,
    _layer,
    _sequential,
    _sequential_add,
    _shape,
    _ShapeValue,
    _spec,
    _text,
    _tf_save_signatures,
    path_key,
)
from sm_lint.analysis.literals import CallArgs
from sm_lint.analysis.values import (
    UNKNOWN,
    AbstractValue,
    Const,
    DictLit,
    DType,
    FreshPath,
    PathValue,
    QualName,
    Seq,
)

if TYPE_CHECKING:
    from sm_lint.analysis.engine.core import Engine


def register(registry: Registry) -> None:
    """Saves and the values they take: an intercept before any call, the tf.function of a
    ``def`` and the module class of a ``class``, ``with TemporaryDirectory() as d``."""
    registry.intercepts.append(call)
    registry.attributes[Instance] = attribute
    registry.function_def = function_def
    registry.class_value = class_value
    registry.entered[TempDir] = entered
    registry.fact_names.update(_ANY_SAVE)


#: Methods that save whatever they are called on, known or not.
_ANY_SAVE = ("export", "save")


# ----------------------------------------------------------- interpreter hooks
def call(
    engine: Engine,
    node: cst.Call,
    func: AbstractValue,
    receiver: AbstractValue | None,
    args: CallArgs,
    env: Env,
) -> AbstractValue | None:
    """The value of a call this module understands; None for every other call."""
    if any(arg.star for arg in node.args):
        # *args / **kwargs: what the call receives is unknown, so is what it makes.
        if isinstance(func, QualName):
            return UNKNOWN if _understood(func.name) else None
        mine = (ModuleClass, Layer, KerasModel, Function, Instance)
        return UNKNOWN if isinstance(func, mine) or isinstance(receiver, mine) else None
    if isinstance(func, QualName):
        return _function(engine, node, func.name, args, env)
    if isinstance(func, ModuleClass):
        return Instance(func)
    if isinstance(func, Layer):
        # Flags such as return_attention_scores=True make a layer return several tensors.
        flags = [v for k, v in args.keywords.items() if k.startswith("return_")]
        single = func.single and all(v == Const(False) for v in flags)
        return KerasTensor() if single else UNKNOWN
    if isinstance(func, KerasModel):
        return KerasTensor() if func.outputs is not None and len(func.outputs) == 1 else None
    if isinstance(node.func, cst.Attribute) and receiver is not None:
        return _method(engine, node, receiver, node.func.attr.value, args, env)
    return None


def attribute(base: AbstractValue, attr: str) -> AbstractValue:
    """``instance.fn`` for a tf.function defined on the class."""
    if isinstance(base, Instance):
        for name, value in base.cls.functions:
            if name == attr:
                return value
    return UNKNOWN


def function_def(
    engine: Engine,
    node: cst.FunctionDef,
    decorators: Sequence[AbstractValue],
    env: Env,
    method: bool = False,
) -> AbstractValue:
    """A ``def`` decorated with ``tf.function`` (with or without input_signature)."""
    found: AbstractValue | None = None
    for value in decorators:
        if isinstance(value, Decorator):
            found = value
        elif isinstance(value, QualName) and value.name == "tensorflow.function":
            found = Decorator(None)
        elif not (isinstance(value, QualName) and value.name == "builtins.staticmethod"):
            return UNKNOWN  # another decorator may change anything
    if not isinstance(found, Decorator):
        return UNKNOWN
    params = [p.name.value for p in (*node.params.posonly_params, *node.params.params)]
    if node.params.star_arg is not None and not isinstance(node.params.star_arg, cst.MaybeSentinel):
        return Function(id(node), tuple(params), None, None) if found.signature is None else UNKNOWN
    if method:
        params = params[1:]  # a method's first parameter is the instance, not an input
    structures: dict[str, AbstractValue] = {}
    if isinstance(found.signature, Seq) and len(found.signature.items) == len(params):
        structures = dict(zip(params, found.signature.items, strict=True))
    outputs, returns = _outputs(engine, node, structures, env)
    return Function(id(node), tuple(params), found.signature, outputs, returns)


def class_value(engine: Engine, node: cst.ClassDef, env: Env) -> AbstractValue:
    """A class a save can take: its tf.function methods, if everything is visible."""
    known = True
    keras = False
    functions: dict[str, AbstractValue] = {}
    engine.state.save_classes[id(node)] = node
    scan = [id(node)]
    for base in node.bases:
        value = engine.expr(base.value, env)
        if isinstance(value, ModuleClass):
            functions.update(value.functions)
            known = known and value.known
            keras = keras or value.keras
            scan.extend(value.scan)
        elif isinstance(value, QualName) and value.name in _MODULE_BASES:
            pass
        elif isinstance(value, QualName) and value.name.startswith("keras."):
            keras, known = True, False
        else:
            known = False
    if node.keywords:
        known = False
    for statement in statements_of(node.body):
        if isinstance(statement, cst.FunctionDef):
            decorators = [engine.expr(d.decorator, env) for d in statement.decorators]
            value = function_def(engine, statement, decorators, env, method=True)
            if isinstance(value, Function):
                functions[statement.name.value] = value
            else:
                functions.pop(statement.name.value, None)
                if statement.decorators:
                    known = False
            hidden = statement.name.value == _DEFAULT_ATTR
            known = known and not hidden
        elif not isinstance(statement, cst.SimpleStatementLine) or any(
            not isinstance(small, (cst.Expr, cst.Pass)) for small in statement.body
        ):
            known = False  # class attributes may be functions too
    return ModuleClass(tuple(functions.items()), known, keras, tuple(scan))


def entered(value: TempDir) -> AbstractValue:
    """What ``with value as name`` binds: a TemporaryDirectory's folder."""
    return FreshPath(value.origin, "")


def saved_by(engine: Engine, value: AbstractValue, env: Env) -> int | None:
    """The save earlier in the program that wrote the folder a load reads, if any.

    The link lives in the env, so branches and loops merge it like any value: after
    ``if c: save(a, p) else: save(b, p)`` the load of ``p`` is linked to a save whose
    signatures are unknown (never checked, never SM011)."""
    # Every loader: tf_keras' load_model reads SavedModel folders too (Keras 3 raises).
    key = path_key(value)
    link = env.get(_link(key)) if key is not None else None
    if link is None:
        return None
    if isinstance(link, SaveLink):
        return link.save_id
    # Which save wrote it depends on the run: the latest one stands for them all.
    latest = (
        engine.state.saves[engine.state.latest_saves[_link(key)]]
        if key is not None
        else engine.state.saves[-1]
    )
    unknown = replace(latest, id=len(engine.state.saves), signatures=(), complete=False)
    engine.state.saves.append(unknown)
    return unknown.id


# ---------------------------------------------------------------- functions
def _origin(engine: Engine, node: cst.CSTNode, what: str) -> str:
    return engine.origin(node, what)


def _function(
    engine: Engine, node: cst.Call, name: str, args: CallArgs, env: Env
) -> AbstractValue | None:
    if name in _TENSORSPEC:
        return _spec(args)
    if name == "tensorflow.TensorShape":
        known, shape = _shape(args.get(0, "dims"))
        return _ShapeValue(known, shape)
    if name == "tensorflow.as_dtype":
        dtype = _dtype(args.get(0, "type_value"))
        return UNKNOWN if dtype is None else DType(dtype)
    if name == "tensorflow.function":
        if args.positional:
            target = args.positional[0]
            return target if isinstance(target, Function) and not args.keywords else UNKNOWN
        if set(args.keywords) - {
            "input_signature",
            "jit_compile",
            "reduce_retracing",
            "autograph",
        }:
            return UNKNOWN
        signature = args.keywords.get("input_signature")
        return Decorator(None if signature is None or signature == Const(None) else signature)
    if name in ("tensorflow.Module", "tensorflow.train.Checkpoint"):
        return Instance(ModuleClass((), not args.keywords and not args.positional))
    if name in ("tempfile.mkdtemp",):
        return FreshPath(_origin(engine, node, "mkdtemp"), "")
    if name == "tempfile.gettempdir":
        return FreshPath("gettempdir", "")
    if name == "tempfile.TemporaryDirectory":
        return TempDir(_origin(engine, node, "tempdir"))
    if name in _KERAS_INPUT:
        return _keras_input(engine, args)
    if name in _KERAS_MODEL:
        return _functional(args)
    if name in _SEQUENTIAL:
        return _sequential(args.get(0, "layers") if args.has(0, "layers") else Seq(()))
    if name.startswith("keras.layers.") and not name.endswith("TFSMLayer"):
        # A Lambda may return anything; other built-in layers return one tensor.
        return _layer(args, single=not name.endswith(".Lambda"))
    if name == _SAVE:
        return _save(engine, node, args.get(0, "obj"), args, env, "tfsave")
    if name in ("keras.models.save_model", "keras.saving.save_model"):
        return _save(engine, node, UNKNOWN, args, env, "other", path_index=1)
    return None


def _method(
    engine: Engine, node: cst.Call, receiver: AbstractValue, name: str, args: CallArgs, env: Env
) -> AbstractValue | None:
    if isinstance(receiver, Function) and name == "get_concrete_function":
        return _concrete(receiver, args)
    if isinstance(receiver, KerasModel) and name == "add" and receiver.sequential:
        owner = env_key(node.func.value) if isinstance(node.func, cst.Attribute) else None
        if owner is not None and owner in env:
            env[owner] = _sequential_add(receiver, args.get(0, "layer"))
        return Const(None)
    keras = isinstance(receiver, KerasModel) or (
        isinstance(receiver, Instance) and receiver.cls.keras
    )
    if keras and name == "export":
        fmt = args.get(1, "format")
        if args.has(1, "format") and fmt != Const("tf_saved_model"):
            return Const(None)
        obj = receiver if not args.has(None, "input_signature") else UNKNOWN
        return _save(engine, node, obj, args, env, "export", path_index=0, keyword="filepath")
    if keras and name == "save":
        text = _text(args.get(0, "filepath"))
        if text is not None and text.endswith((".keras", ".h5", ".hdf5")):
            return Const(None)
        return _save(engine, node, UNKNOWN, args, env, "other", path_index=0, keyword="filepath")
    if receiver is UNKNOWN and name in _ANY_SAVE and args.positional:
        # A model this analysis does not know (keras.applications, a loaded model) may
        # write a SavedModel there: a later load of that path is not SM011, and unchecked.
        if path_key(args.positional[0]) is not None:
            _save(engine, node, UNKNOWN, args, env, "other", path_index=0, keyword="filepath")
        return UNKNOWN
    return None


def _keras_input(engine: Engine, args: CallArgs) -> AbstractValue:
    engine.state.save_tokens += 1
    if (
        args.get(3, "sparse") not in (UNKNOWN, Const(None), Const(False))
        or args.has(6, "tensor")
        or args.get(7, "ragged") not in (UNKNOWN, Const(None), Const(False))
    ):
        return UNKNOWN
    if args.has(None, "optional"):
        return UNKNOWN
    name = args.get(5, "name")
    given = args.has(5, "name") and name != Const(None)
    text = _text(name) if given else None
    dtype_arg = args.get(2, "dtype")
    dtype = "float32" if dtype_arg == Const(None) or not args.has(2, "dtype") else _dtype(dtype_arg)
    batch_shape = args.get(4, "batch_shape")
    if args.has(4, "batch_shape") and batch_shape != Const(None):
        known, full = _shape(batch_shape)
        if not known or not full:
            return KerasInput(
                engine.state.save_tokens, dtype, None, None, text, not given or bool(text)
            )
        return KerasInput(
            engine.state.save_tokens, dtype, full[1:], full[0], text, not given or bool(text)
        )
    known, shape = _shape(args.get(0, "shape"))
    batch = args.get(1, "batch_size")
    fixed = batch.value if isinstance(batch, Const) and isinstance(batch.value, int) else None
    unknown_batch = batch not in (UNKNOWN, Const(None)) and fixed is None
    if not known or unknown_batch or (args.has(1, "batch_size") and batch is UNKNOWN):
        shape, fixed = None, None
    return KerasInput(engine.state.save_tokens, dtype, shape, fixed, text, not given or bool(text))


# --------------------------------------------------------------------- saves
def _save(
    engine: Engine,
    node: cst.Call,
    obj: AbstractValue,
    args: CallArgs,
    env: Env,
    how: str,
    path_index: int = 1,
    keyword: str = "export_dir",
) -> AbstractValue:
    path_node = argument_node(node, path_index, keyword)
    path = args.get(path_index, keyword)
    key = path_key(path)
    if key is None and path_node is not None:
        target = env_key(path_node)
        if target is not None and path is UNKNOWN:
            # save(obj, some_path) then load(some_path): the same variable is the link.
            path = FreshPath(_origin(engine, path_node, "variable"), "")
            env[target] = path
            key = path_key(path)
    if how == "tfsave":
        if (
            isinstance(obj, Instance)
            and obj.cls.known
            and any(_sets_unknown_attributes(engine.state.save_classes[c]) for c in obj.cls.scan)
        ):
            obj = Instance(replace(obj.cls, known=False))
        signatures, complete = _tf_save_signatures(
            obj, args.get(2, "signatures") if args.has(2, "signatures") else None, node, env
        )
    elif how == "export":
        signatures, complete = _export_signatures(obj)
    else:
        signatures, complete = (), False
    save = ModelSave(
        id=len(engine.state.saves),
        span=engine.span(path_node if path_node is not None else node),
        expr=engine.text(path_node) if path_node is not None else "",
        path=_text(path)
        if isinstance(path, Const)
        else (path.path if isinstance(path, PathValue) else None),
        signatures=signatures,
        complete=complete,
    )
    engine.state.saves.append(save)
    if key is not None:
        env[_link(key)] = SaveLink(save.signatures, save.complete, save.id)
        engine.state.latest_saves[_link(key)] = save.id
    return Const(None)


def _link(key: tuple[str, ...]) -> str:
    """The env key that links a folder to its save (never a Python name)."""
    return "<saved " + "\0".join(key) + ">"


def _understood(name: str) -> bool:
    """Whether ``_function`` gives a value of its own for a call of *name*."""
    return (
        name in (*_TENSORSPEC, *_KERAS_INPUT, *_KERAS_MODEL, *_SEQUENTIAL, _SAVE)
        or name.startswith(("keras.layers.", "tempfile."))
        or name
        in (
            "tensorflow.TensorShape",
            "tensorflow.as_dtype",
            "tensorflow.function",
            "tensorflow.Module",
            "tensorflow.train.Checkpoint",
            "keras.models.save_model",
            "keras.saving.save_model",
        )
    ) and not name.endswith("TFSMLayer")


# ------------------------------------------------------------------ function outputs
def _outputs(
    interp: Engine, node: cst.FunctionDef, params: dict[str, AbstractValue], env: Env
) -> tuple[tuple[str, ...] | None, bool]:
    """The output names of a tf.function: a returned dict keeps its keys, one tensor is
    ``output_0``, a tuple or list ``output_0``, ``output_1``...; None when not known. And
    whether every return gives a value."""
    returns: list[cst.Return] = []
    assigned: dict[str, list[cst.BaseExpression | None]] = {}
    _collect(statements_of(node.body), returns, assigned, top=True)
    if not returns:
        return (), False
    gives = all(
        r.value is not None and not (isinstance(r.value, cst.Name) and r.value.value == "None")
        for r in returns
    )
    found: set[tuple[str, ...] | None] = set()
    for statement in returns:
        found.add(_returned(statement.value, params, assigned, env, interp, 0))
    if len(found) != 1:
        return None, gives
    return found.pop(), gives


def _collect(
    body: Sequence[cst.CSTNode],
    returns: list[cst.Return],
    assigned: dict[str, list[cst.BaseExpression | None]],
    top: bool,
) -> None:
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Return):
                    returns.append(small)
                elif isinstance(small, cst.Assign):
                    for target in small.targets:
                        if isinstance(target.target, cst.Name):
                            assigned.setdefault(target.target.value, []).append(
                                small.value if top else None
                            )
                        else:
                            for name in _names(target.target):
                                assigned.setdefault(name, []).append(None)
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    for name in _names(small.target):
                        assigned.setdefault(name, []).append(None)
            continue
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            assigned.setdefault(statement.name.value, []).append(None)
            continue
        if isinstance(statement, cst.For):
            for name in _names(statement.target):
                assigned.setdefault(name, []).append(None)
        for part in ("body", "orelse", "finalbody"):
            child = getattr(statement, part, None)
            if isinstance(child, cst.If):
                _collect([child], returns, assigned, False)
            elif child is not None and hasattr(child, "body"):
                inner = child.body
                _collect(
                    statements_of(inner) if not isinstance(inner, Sequence) else inner,
                    returns,
                    assigned,
                    False,
                )
        for handler in getattr(statement, "handlers", ()) or ():
            _collect(statements_of(handler.body), returns, assigned, False)


def _names(target: cst.CSTNode) -> list[str]:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [n for e in target.elements for n in _names(e.value)]
    if isinstance(target, cst.StarredElement):
        return _names(target.value)
    return []


def _returned(
    value: cst.BaseExpression | None,
    params: dict[str, AbstractValue],
    assigned: dict[str, list[cst.BaseExpression | None]],
    env: Env,
    interp: Engine,
    depth: int,
) -> tuple[str, ...] | None:
    if value is None or depth > 8:
        return None
    if isinstance(value, cst.Dict):
        keys = []
        for element in value.elements:
            if not isinstance(element, cst.DictElement) or not isinstance(
                element.key, cst.SimpleString
            ):
                return None
            key = _literal(element.key)
            # Any value that is not one tensor makes the save itself fail (measured).
            if not isinstance(key, str):
                return None
            keys.append(key)
        return tuple(sorted(set(keys))) if len(set(keys)) == len(keys) and keys else None
    if isinstance(value, (cst.Tuple, cst.List)):
        if not value.elements or not all(
            isinstance(e, cst.Element)
            and _tensor(e.value, params, assigned, env, interp, depth + 1)
            for e in value.elements
        ):
            return None
        return tuple(f"output_{i}" for i in range(len(value.elements)))
    if isinstance(value, cst.Name) and value.value not in params:
        sources = assigned.get(value.value)
        if sources is not None and len(sources) == 1 and sources[0] is not None:
            return _returned(sources[0], params, assigned, env, interp, depth + 1)
    if _tensor(value, params, assigned, env, interp, depth + 1):
        return ("output_0",)
    return None


def _tensor(
    value: cst.BaseExpression,
    params: dict[str, AbstractValue],
    assigned: dict[str, list[cst.BaseExpression | None]],
    env: Env,
    interp: Engine,
    depth: int,
) -> bool:
    """True when *value* is certainly one tensor (not a tuple, dict or None)."""
    if depth > 8:
        return False
    if isinstance(value, cst.Name):
        if value.value in params:
            return value.value not in assigned and isinstance(params[value.value], Spec)
        sources = assigned.get(value.value)
        return (
            sources is not None
            and len(sources) == 1
            and sources[0] is not None
            and _tensor(sources[0], params, assigned, env, interp, depth + 1)
        )
    if isinstance(value, cst.BinaryOperation):
        return any(
            _tensor(side, params, assigned, env, interp, depth + 1)
            for side in (value.left, value.right)
        ) and not any(
            isinstance(side, (cst.Tuple, cst.List, cst.Dict)) for side in (value.left, value.right)
        )
    if isinstance(value, cst.UnaryOperation):
        return _tensor(value.expression, params, assigned, env, interp, depth + 1)
    if isinstance(value, cst.Subscript) and isinstance(value.value, cst.Name):
        # x[...] of a plain tensor parameter; a dict or tuple parameter's item may be nested.
        name = value.value.value
        if name not in params or name in assigned or len(value.slice) != 1:
            return False
        return _item_is_spec(params[name], value.slice[0].slice)
    if isinstance(value, cst.Call):
        callee = interp.expr(value.func, dict(env)) if _plain(value.func) else UNKNOWN
        if isinstance(callee, QualName):
            return callee.name in _SINGLE
    return False


def _item_is_spec(structure: AbstractValue, index: cst.BaseSlice) -> bool:
    """``param[index]`` is one tensor: an item of a tensor, or a spec in a dict or tuple."""
    if isinstance(structure, Spec):
        return True
    if not isinstance(index, cst.Index):
        return False
    key = index.value
    if isinstance(structure, DictLit) and isinstance(key, cst.SimpleString):
        wanted = _literal(key)
        return any(k == wanted and isinstance(v, Spec) for k, v, _, _ in structure.items or ())
    if isinstance(structure, Seq) and isinstance(key, cst.Integer):
        position = _literal(key)
        return (
            isinstance(position, int)
            and 0 <= position < len(structure.items)
            and isinstance(structure.items[position], Spec)
        )
    return False


def _literal(node: cst.SimpleString | cst.Integer) -> object:
    """A literal's value; None where libcst cannot evaluate it."""
    try:
        return node.evaluated_value
    except Exception:  # libcst raises various errors for odd literals
        return None


def _plain(node: cst.BaseExpression) -> bool:
    """A dotted name (evaluating it has no side effects)."""
    if isinstance(node, cst.Name):
        return True
    return isinstance(node, cst.Attribute) and _plain(node.value)


def _sets_unknown_attributes(node: cst.ClassDef) -> bool:
    """True when a method stores on ``self`` something that may be a tf.function."""
    return any(
        _method_sets_unknown(m) for m in statements_of(node.body) if isinstance(m, cst.FunctionDef)
    )


def _method_sets_unknown(method: cst.FunctionDef) -> bool:
    params = [*method.params.posonly_params, *method.params.params]
    if not params:
        return False
    me = params[0].name.value
    found = False

    class Finder(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            nonlocal found
            for target in node.targets:
                if (
                    isinstance(target.target, cst.Attribute)
                    and isinstance(target.target.value, cst.Name)
                    and target.target.value.value == me
                ):
                    found = found or not _harmless(node.value)

        def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
            nonlocal found
            if isinstance(node.target, cst.Attribute):
                found = found or node.value is None or not _harmless(node.value)

        def visit_Call(self, node: cst.Call) -> None:
            nonlocal found
            if isinstance(node.func, cst.Name) and node.func.value == "setattr":
                found = True

    method.body.visit(Finder())
    return found


def _harmless(value: cst.BaseExpression) -> bool:
    """A value stored on self that cannot be a tf.function: a literal, or a call of
    something other than ``tf.function`` / ``get_concrete_function``."""
    if isinstance(value, (cst.SimpleString, cst.Integer, cst.Float, cst.List, cst.Dict, cst.Tuple)):
        return "function" not in cst.Module([]).code_for_node(value)
    if isinstance(value, cst.Call):
        return "function" not in cst.Module([]).code_for_node(value.func)
    return False
