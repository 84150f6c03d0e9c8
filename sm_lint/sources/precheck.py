"""The pre-check: which files can be skipped without parsing them with libcst.

Every finding sm-lint reports, and every call it lists, hangs off a model load, and the
analysis recognises a load only through a name: ``tf.saved_model.load`` and its aliases,
``keras...load_model``, ``TFSMLayer``, ``tensorflow_hub`` / ``kagglehub`` handles (the
loader table's words, :mod:`sm_lint.analysis.loaders`); only then ``.signatures`` on the
loaded object. A file whose *code* never names one of these
cannot contain a load, so it needs no analysis: ``.signatures`` alone (Argument Clinic's,
``inspect``'s, a model passed in as a parameter) gives the analysis nothing to check.
Words in comments, strings and docstrings ("saved_model" in a docstring, "github" in a
URL) do not count.

Two steps, both in C: a byte search for the names as whole words (most files stop here),
then, only when a word matches, CPython's own compiler, whose code objects list every name
the code uses (attributes, globals, imported modules and members) and no string or comment.
"""

from __future__ import annotations

import ast
import enum
import re
import warnings
from collections.abc import Callable
from types import CodeType

# The table is a leaf module: reading it imports none of the analysis.
from sm_lint.analysis.loaders import marked_words, precheck_words
from sm_lint.sources.complexity import code_size

#: Names whose use in code means the file may contain a model load: the loader table's
#: words (``saved_model`` also covers ``tf.saved_model.save``, which matters only beside a
#: load). ``signatures`` is not one: a lookup is checked only on an object a load in the
#: same file made. Dotted import names (``tensorflow.saved_model``) are split into parts.
NAMES = precheck_words()
#: Words that count only beside one of their markers (``requests`` beside ``v1/models``).
MARKED = tuple(
    (tuple(m.encode() for m in markers), frozenset(words)) for markers, words in marked_words()
)

_BYTE_NAMES = tuple(name.encode() for name in sorted(NAMES))
_IDENTIFIER_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# PEP 263: a coding declaration in the first two lines. Encodings other than these can spell
# ASCII letters differently (UTF-7), so the byte search cannot rule such a file out.
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")
_ASCII_COMPATIBLE = frozenset(
    {"utf-8", "utf8", "utf_8", "ascii", "us-ascii", "latin-1", "latin1", "iso-8859-1"}
)
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_NOTEBOOK_START = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*\{")


def may_need_analysis(
    data: bytes, *, notebook: bool | None = None, known: Callable[[], bool] | None = None
) -> bool:
    """False only when *data* cannot contain a model load or a signature call, so the full
    analysis would find nothing in it; True otherwise (also whenever in doubt: a file
    Python cannot compile is left to the analysis, which reports why).

    *notebook* (default: guessed from a leading ``{``) selects the conservative byte test:
    a notebook's code sits in JSON strings, where escapes (``\\n``, ``\\u0068``) hide word
    boundaries and letters, so any occurrence of a name, or any ``\\u`` escape, keeps it.

    *known*, asked only when the bytes match, says whether the file's facts are already
    known (an analysis cache entry for these exact bytes): then the compile is skipped.
    """
    return precheck(data, notebook=notebook, known=known) is not Verdict.SKIP


class Verdict(enum.Enum):
    """What the pre-check found out about a file."""

    #: No model load is possible: the file needs no analysis.
    SKIP = "skip"
    #: The file needs analysis.
    ANALYSE = "analyse"
    #: The file needs analysis, and Python compiles it (the analysis need not check again).
    ANALYSE_COMPILED = "analyse-compiled"


def precheck(
    data: bytes, *, notebook: bool | None = None, known: Callable[[], bool] | None = None
) -> Verdict:
    """:func:`may_need_analysis`, also saying when the file was compiled without error."""
    return checked(data, notebook=notebook, known=known)[0]


def checked(
    data: bytes, *, notebook: bool | None = None, known: Callable[[], bool] | None = None
) -> tuple[Verdict, CodeType | None]:
    """:func:`precheck`, and the code Python compiled *data* to when it did (the analysis
    reads the names each definition uses from it, without compiling again)."""
    if notebook is None:
        notebook = _NOTEBOOK_START.match(data) is not None
    if not words_match(data, notebook=notebook):
        return Verdict.SKIP, None
    if notebook:
        return Verdict.ANALYSE, None
    if known is not None and known():
        return Verdict.ANALYSE, None
    if code_size(data) is not None:
        # Never compiled: the analysis refuses it by its size first.
        return Verdict.ANALYSE, None
    code = _compiled(data)
    if code is None:
        return Verdict.ANALYSE, None
    if code_names(code).isdisjoint(wanted_names(data)):
        return Verdict.SKIP, None
    return Verdict.ANALYSE_COMPILED, code


def wanted_names(data: bytes) -> frozenset[str]:
    """The names whose use in the code of *data* may lead to a model load: the loader
    table's, and the words that count beside a marker *data* holds."""
    return NAMES.union(*(words for markers, words in MARKED if _marked(data, markers)))


def words_match(data: bytes, *, notebook: bool) -> bool:
    """The pre-check's first step, on the bytes alone: False when *data* certainly needs no
    analysis; True when the compiler must decide (a notebook: the analysis)."""
    if notebook:
        marked = any(
            _marked(data, markers) and any(word.encode() in data for word in words)
            for markers, words in MARKED
        )
        return any(name in data for name in _BYTE_NAMES) or marked or b"\\u" in data
    return (
        _has_word(data)
        or any(
            _marked(data, markers) and any(_word_in(data, word.encode()) for word in words)
            for markers, words in MARKED
        )
        or not _ascii_compatible(data)
    )


def _marked(data: bytes, markers: tuple[bytes, ...]) -> bool:
    return any(marker in data for marker in markers)


def _word_in(data: bytes, word: bytes) -> bool:
    """Whether *word* occurs as a whole word (rare: only asked beside a marker)."""
    found = data.find(word)
    while found != -1:
        end = found + len(word)
        before = found == 0 or data[found - 1] not in _IDENTIFIER_BYTES
        after = end == len(data) or data[end] not in _IDENTIFIER_BYTES
        if before and after:
            return True
        found = data.find(word, end)
    return False


def _has_word(data: bytes) -> bool:
    """Whether one of the names occurs as a whole word. In code a name is one token, never
    glued to an ASCII identifier character ("github" is not "hub"); a non-ASCII neighbour
    (an identifier such as "éhub") still counts: an over-approximation, which is safe."""
    # bytes.find per anchor, not one regular expression: an alternation with look-arounds
    # is several times slower than the C substring search, and matches are rare. Every name
    # holds one of three anchors (or is its own), so a pass per anchor finds them all.
    size = len(data)
    for anchor, names in _ANCHORS:
        found = data.find(anchor)
        while found != -1:
            for name, back in names:
                start = found - back
                end = start + len(name)
                if (
                    start >= 0
                    and data.startswith(name, start)
                    and (start == 0 or data[start - 1] not in _IDENTIFIER_BYTES)
                    and (end == size or data[end] not in _IDENTIFIER_BYTES)
                ):
                    return True
            found = data.find(anchor, found + len(anchor))
    return False


#: Every name holds one of these: (anchor, ((name, where the anchor starts in it), ...)).
_ANCHORS: tuple[tuple[bytes, tuple[tuple[bytes, int], ...]], ...] = tuple(
    (
        anchor,
        tuple((name, name.find(anchor)) for name in _BYTE_NAMES if anchor in name),
    )
    for anchor in (
        b"hub",
        b"_model",
        b"TFSMLayer",
        # A word holding none of the three is its own anchor.
        *(n for n in _BYTE_NAMES if not any(a in n for a in (b"hub", b"_model", b"TFSMLayer"))),
    )
)
assert all(any(a in name for a, _ in _ANCHORS) for name in _BYTE_NAMES), "a word without an anchor"


def _ascii_compatible(data: bytes) -> bool:
    for line in data.split(b"\n", 2)[:2]:
        match = _COOKIE.match(line)
        if match:
            return match.group(1).decode("ascii").lower().replace("_", "-") in _ASCII_COMPATIBLE
    return True


def _compiled(data: bytes) -> CodeType | None:
    """The code Python compiles *data* to; None if it does not compile."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings are not ours to report
            # optimize=0: the names of unreachable code (``if False:``) and of asserts stay
            # listed, as the analysis still reads that code.
            code: CodeType = compile(
                data,
                "<pre-check>",
                "exec",
                flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
                optimize=0,
            )
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        return None
    return code


def code_names(code: CodeType) -> set[str]:
    """Every name *code* and the code nested in it use, dotted names split."""
    names: set[str] = set()
    stack = [code]
    while stack:
        current = stack.pop()
        for name in current.co_names:
            names.update(name.split(".") if "." in name else (name,))
        for const in current.co_consts:
            if isinstance(const, CodeType):
                stack.append(const)
            elif isinstance(const, str) and len(const) < 80 and _DOTTED.fullmatch(const):
                # A name spelled as a string (``getattr(tf, "saved_model")``,
                # ``importlib.import_module("tensorflow_hub")``): counted too, so an analysis
                # that learns to follow such strings is never starved. Prose never matches.
                names.update(const.split("."))
    return names
