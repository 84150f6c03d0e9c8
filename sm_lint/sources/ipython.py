"""One notebook cell as IPython runs it: the Python code after IPython's input transformations.

This reproduces IPython's own rules (``IPython/core/inputtransformer2.py``) without running
IPython: leading empty lines and the common leading indentation are removed, ``>>> `` /
``In [1]: `` prompts stripped (by the installed IPython's own cleanup functions when it can
be imported, see :mod:`sm_lint.sources.ipython_cleanup`), ``%%magic`` cells whose body is
Python are read as Python (the others are not Python), and the escaped forms ``!cmd``,
``!!cmd``, ``%magic``, ``?obj`` / ``obj?``, ``,f a b`` / ``;f a`` / ``/f a``, ``x = !cmd``
and ``x = %magic`` (with their ``\\`` continuation lines) become the call IPython runs in
their place, except that the statement of a one-line ``%time statement`` is kept as it is
(IPython runs it in the user's namespace). A single-line cell that is not Python but
starts with a line magic's name runs as that magic (automagic). Like IPython, the escaped
forms are found with Python's tokenizer, one at a time, earliest first, so nothing inside a
string or a bracket is mistaken for one.

Unlike IPython, no line is removed or joined: the result has the cell's line structure (every
line separator stays where it was), so line *l* of the result is line *l* of the cell, and a
removed line (a leading empty line, an escaped command's continuation) is left empty.
"""

from __future__ import annotations

import ast
import re
import symtable
import tokenize
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from sm_lint.sources.ipython_cleanup import cleanup_lines

__all__ = ["CellCode", "binds_names", "transform_cell"]


@dataclass(frozen=True)
class CellCode:
    """A cell's Python code.

    ``python`` is None for a cell whose body is not Python (``%%bash``, ``%%html`` ...); it
    is then left out silently. Otherwise it has exactly the cell's lines (split on ``"\\n"``),
    and column *c* of line *l* of ``python`` is column ``c + offsets[l - 1]`` of the cell's
    line *l* (``offsets`` counts the characters IPython removed at the line's start), up to
    any other character IPython splits lines on (``\\f``, ``\\u2028`` ...). Lines that IPython
    replaced by a call keep only their indentation in that mapping.
    """

    python: str | None
    offsets: tuple[int, ...]


# Cell magics whose body IPython runs as Python in the user's namespace (through its own
# transform_cell or run_cell). Every other cell magic (%%bash, %%writefile, %%python, which
# runs in another process, and unknown ones) has a body that is not this program's Python.
_PYTHON_BODY = frozenset({"time", "timeit", "capture", "prun", "debug"})

# Line magics of IPython 8 and ipykernel: a single-line cell that is not Python and starts
# with one of these names runs as that magic (automagic, on by default).
_LINE_MAGIC_NAMES = """
    alias alias_magic autoawait autocall automagic autosave bookmark cat cd clear colors
    conda config connect_info cp debug dhist dirs doctest_mode ed edit env gui hist history
    killbgscripts ldir less lf lk ll load load_ext loadpy logoff logon logstart logstate
    logstop ls lsmagic lx macro magic man matplotlib mkdir more mv notebook page pastebin
    pdb pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd
    pwd pycat pylab qtconsole quickref recall rehashx reload_ext rep rerun reset
    reset_selective rm rmdir run save sc set_env sx system tb time timeit unalias unload_ext
    who who_ls whos xdel xmode tensorflow_version"""
_LINE_MAGICS = frozenset(_LINE_MAGIC_NAMES.split())

# IPython gives up (RuntimeError, the cell fails) when a cell still changes after 500 rounds
# of token transformations: at most 499 succeed, and what is left over makes the cell fail.
_TRANSFORM_LIMIT = 500 - 1

_CELL_MAGIC_HELP = re.compile(r"%%\w+\?")
_HELP_END = re.compile(
    r"""(%{0,2}
    (?!\d)[\w*]+                             # a name
    (\.(?!\d)[\w*]+|\[-?[0-9]+\])*           # .attr or [0]: literal integers only
    )
    (\?\??)$                                 # ? or ??
    """,
    re.VERBOSE,
)
# IPython's split_user_input: leading space, the "function part", the rest.
_AUTOMAGIC = re.compile(r"^(\s*)(%{0,2}[\w.*]*)(.*?$|$)")

_ESCAPE_SINGLES = frozenset("!?%,;/")
_ESCAPE_DOUBLES = frozenset({"!!", "??"})


def _ending(line: str) -> str:
    """The line separator at the end of *line* (one piece of ``str.splitlines(True)``)."""
    body = line.splitlines()
    return line[len(body[0]) :] if body else line


def _help_call(target: str, escape: str) -> str:
    method = "pinfo2" if escape == "??" else "psearch" if "*" in target else "pinfo"
    name, _, argument = f"{method} {target}".partition(" ")
    return f"get_ipython().run_line_magic({name.lstrip('%')!r}, {argument!r})"


def _escaped_call(escape: str, content: str) -> str:
    """The code IPython runs for an escaped line (``_tr_*`` in inputtransformer2)."""
    name, _, args = content.partition(" ")
    if escape == "!":
        return f"get_ipython().system({content!r})"
    if escape == "!!":
        return f"get_ipython().getoutput({content!r})"
    if escape in ("?", "??"):
        return "get_ipython().show_usage()" if not content else _help_call(content, escape)
    if escape == "%":
        return f"get_ipython().run_line_magic({name!r}, {args!r})"
    if escape == ",":
        return '{}("{}")'.format(name, '", "'.join(args.split()))
    if escape == ";":
        return f'{name}("{args}")'
    if escape == "/":
        return "{}({})".format(name, ", ".join(args.split()))
    return ""


@dataclass(frozen=True)
class _Resume:
    """Where tokenizing can start again: a line (0-based) at the start of a logical line and
    the indentations open there; ``clean`` is False after a stray closing bracket."""

    row: int
    indents: tuple[str, ...]
    clean: bool = True


@dataclass(frozen=True)
class _Group:
    """The tokens of one logical line (IPython's grouping) and where it starts."""

    tokens: list[tokenize.TokenInfo]
    start: _Resume


@dataclass(frozen=True)
class _Candidate:
    """One transformation found: its place and priority (IPython's sort key) and action."""

    row: int
    column: int
    priority: int
    transform: Callable[[], None]
    group: _Resume


class _Failed(Exception):
    """IPython itself raises on this cell: the transformation stops where it is."""


class _Cell:
    """The cell's physical lines (IPython's ``splitlines(keepends=True)``) being transformed.

    Transformations replace text but never add or remove a line, so index *i* is always the
    cell's line *i*."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.offsets = [0] * len(lines)
        #: Lines IPython removes (leading empty lines, continuation lines): left empty here.
        self.dropped: set[int] = set()
        self.help_blocked = False

    # -- line transforms (cleanup) ----------------------------------------------------------

    def cleanup(self, first: int) -> int:
        """IPython's cleanup transforms on the lines from *first*; returns the new first line
        (leading empty lines are left empty and skipped, as IPython drops them)."""
        lines = self.lines
        start = first
        while start < len(lines) and (not lines[start] or lines[start].isspace()):
            start += 1
        if start == len(lines):
            return first  # all blank: IPython keeps them as they are
        for index in range(first, start):
            self._replace(index, "", removed=len(lines[index]) - len(_ending(lines[index])))
            self.dropped.add(index)
        body = lines[start:]
        for index, (old, new) in enumerate(zip(body, cleanup_lines(body), strict=True)):
            if new != old:
                self._strip(start + index, len(old) - len(new))
        return start

    def _strip(self, index: int, count: int) -> None:
        self.lines[index] = self.lines[index][count:]
        self.offsets[index] += count

    def _replace(self, index: int, text: str, removed: int = 0) -> None:
        """Line *index* becomes *text* (one line, no separator) with its separator kept."""
        ending = _ending(self.lines[index])
        if not text and ending.startswith("\n") and index and self.lines[index - 1][-1:] == "\r":
            text = " "  # a lone "\r" and this "\n" would read as one line break
        self.lines[index] = text + ending
        self.offsets[index] += removed

    def _replace_span(self, start: int, end: int, text: str) -> None:
        """Lines *start*..*end* become *text* on line *start*, the others empty."""
        self._replace(start, text)
        for index in range(start + 1, end + 1):
            self._replace(index, "")
            self.dropped.add(index)

    # -- token transforms ---------------------------------------------------------------------

    def _end_of_continued(self, start: int) -> int:
        end = start
        while end < len(self.lines) - 1 and self.lines[end].endswith("\\\n"):
            end += 1
        return end

    def _assembled(self, start: int, column: int, end: int) -> str:
        parts = [self.lines[start][column:], *self.lines[start + 1 : end + 1]]
        return " ".join([part.rstrip()[:-1] for part in parts[:-1]] + [parts[-1].rstrip()])

    def _groups(self, resume: _Resume) -> Iterator[_Group]:
        """IPython's ``make_tokens_by_line`` from line ``resume.row`` on: tokens grouped into
        logical lines, each with where tokenizing could resume at its start.

        Tokenizing is left to right, so after a transformation the lines before the group it
        changed tokenize as before: only the rest is tokenized again (IPython tokenizes the
        whole cell each time: 20 s for a cell of 500 magics here), and
        only as far as the caller reads. The tokenizer's state at a group's start is its
        stack of indentations, rebuilt here by a prefix of lines with those indentations."""
        prefix = [indent + "x\n" for indent in resume.indents]
        shift = resume.row - len(prefix)
        tokens: list[tokenize.TokenInfo] = []
        indents = list(resume.indents)
        depth = raw_depth = 0
        group_start = _Resume(resume.row, resume.indents)
        try:
            lines = iter(prefix + self.lines[resume.row :])
            for token in tokenize.generate_tokens(lines.__next__):
                if token.start[0] <= len(prefix):
                    continue  # the prefix's own tokens
                if not tokens:
                    clean = raw_depth == 0
                    group_start = _Resume(token.start[0] - 1 + shift, tuple(indents), clean)
                tokens.append(
                    token._replace(
                        start=(token.start[0] + shift, token.start[1]),
                        end=(token.end[0] + shift, token.end[1]),
                    )
                )
                if token.type == tokenize.INDENT:
                    indents.append(token.string)
                elif token.type == tokenize.DEDENT and indents:
                    indents.pop()
                if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                    yield _Group(tokens, group_start)
                    tokens = []
                elif token.string in {"(", "[", "{"}:
                    depth += 1
                    raw_depth += 1
                elif token.string in {")", "]", "}"}:
                    depth = max(depth - 1, 0)
                    raw_depth -= 1
        except tokenize.TokenError:
            pass  # the input ends inside a string or brackets: IPython accepts that
        except Exception as error:  # IndentationError and the like: IPython raises too
            raise _Failed from error
        if tokens:
            yield _Group(tokens, group_start)

    def token_transforms(self, first: int) -> None:
        """IPython's token transformers, earliest first, until none applies."""
        resume = _Resume(first, ())
        self.help_blocked = False
        for _ in range(_TRANSFORM_LIMIT):
            applied = self._one_token_transform(resume)
            if applied is None:
                return
            # A group after a stray closing bracket starts in a state the prefix cannot
            # rebuild: tokenize from the top then, as IPython does.
            resume = applied if applied.clean else _Resume(first, ())
        raise _Failed  # the 500th transformation is left undone: the cell does not parse

    def _one_token_transform(self, resume: _Resume) -> _Resume | None:
        """Apply the earliest transformation; where to resume tokenizing, None if none.

        IPython takes each transformer's first match in the cell and tries them in order of
        place; taking the logical lines in order and trying the matches in each is the same,
        and stops tokenizing at the first line that has one."""
        for group in self._groups(resume):
            finds = [self._magic_assign, self._system_assign, self._escaped]
            if not self.help_blocked:
                finds.append(self._help_end)
            candidates = [found for find in finds if (found := find([group])) is not None]
            for candidate in sorted(candidates, key=lambda c: (c.row, c.column, c.priority)):
                try:
                    candidate.transform()
                except SyntaxError:
                    # IPython finds this same help line first every time from now on, so no
                    # later help line is ever transformed (and this one never parses).
                    self.help_blocked = True
                    continue
                return candidate.group
        return None

    @staticmethod
    def _assign_op(group: list[tokenize.TokenInfo]) -> int | None:
        depth = 0
        for index, token in enumerate(group):
            if token.string == "=" and depth == 0:
                return index
            if token.string in {"(", "[", "{"}:
                depth += 1
            elif token.string in {")", "]", "}"} and depth > 0:
                depth -= 1
        return None

    def _magic_assign(self, groups: list[_Group]) -> _Candidate | None:
        for found in groups:
            group = found.tokens
            at = self._assign_op(group)
            if (
                at is not None
                and len(group) >= at + 2
                and group[at + 1].string == "%"
                and group[at + 2].type == tokenize.NAME
            ):
                row, column = group[at + 1].start
                return _Candidate(
                    row - 1, column, 10, partial(self._assign, row - 1, column, "%"), found.start
                )
        return None

    def _system_assign(self, groups: list[_Group]) -> _Candidate | None:
        for found in groups:
            group = found.tokens
            at = self._assign_op(group)
            if (
                at is not None
                and not group[at].line.strip().startswith("=")
                and len(group) >= at + 2
                # IPython tests for ERRORTOKEN; Python 3.12's tokenizer calls "!" an OP.
                and group[at + 1].type in (tokenize.ERRORTOKEN, tokenize.OP)
            ):
                for token in group[at + 1 :]:
                    if token.type not in (tokenize.ERRORTOKEN, tokenize.OP):
                        break
                    if token.string == "!":
                        row, column = token.start
                        return _Candidate(
                            row - 1,
                            column,
                            10,
                            partial(self._assign, row - 1, column, "!"),
                            found.start,
                        )
                    if not token.string.isspace():
                        break
        return None

    def _assign(self, start: int, column: int, escape: str) -> None:
        left = self.lines[start][:column]
        end = self._end_of_continued(start)
        right = self._assembled(start, column, end)
        if escape == "%":
            name, _, args = right[1:].partition(" ")
            call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        else:
            call = f"get_ipython().getoutput({right[1:]!r})"
        self._replace_span(start, end, left + call)

    def _escaped(self, groups: list[_Group]) -> _Candidate | None:
        for found in groups:
            group = found.tokens
            index = 0
            while index < len(group) and group[index].type in {tokenize.INDENT, tokenize.DEDENT}:
                index += 1
            if index < len(group) and group[index].string in _ESCAPE_SINGLES:
                row, column = group[index].start
                return _Candidate(
                    row - 1, column, 10, partial(self._escape, row - 1, column), found.start
                )
        return None

    def _escape(self, start: int, column: int) -> None:
        indent = self.lines[start][:column]
        end = self._end_of_continued(start)
        line = self._assembled(start, column, end)
        if len(line) > 1 and line[:2] in _ESCAPE_DOUBLES:
            escape, content = line[:2], line[2:]
        else:
            escape, content = line[:1], line[1:]
        name, _, args = content.partition(" ")
        statement = args.lstrip(" \t")
        if escape == "%" and name == "time" and end == start and _statement(statement):
            # %time runs its statement in the user's namespace: keep it, so that what it
            # binds and calls is analysed like any other line.
            self._replace(start, indent + statement)
            self.offsets[start] += len(line) - len(statement)
            return
        self._replace_span(start, end, indent + _escaped_call(escape, content))

    def _help_end(self, groups: list[_Group]) -> _Candidate | None:
        for found in groups:
            group = found.tokens
            if len(group) > 2 and group[-2].string == "?":
                index = 0
                while group[index].type in {tokenize.INDENT, tokenize.DEDENT}:
                    index += 1
                row, column = group[index].start
                last = group[-2].start[0] - 1
                return _Candidate(
                    row - 1, column, 5, partial(self._help, row - 1, column, last), found.start
                )
        return None

    def _help(self, start: int, column: int, last: int) -> None:
        piece = "".join(self.lines[start : last + 1])
        indent, content = piece[:column], piece[column:]
        match = _HELP_END.search(content)
        if not match:
            raise SyntaxError(content)
        self._replace_span(start, last, indent + _help_call(match.group(1), match.group(3)))


def _split(source: str) -> list[str]:
    cell = source if source.endswith("\n") else source + "\n"
    return cell.splitlines(keepends=True)


def parses(code: str) -> bool:
    """Whether *code* compiles as IPython compiles a cell (top-level ``await`` allowed)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(
                code,
                "<cell>",
                "exec",
                flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT,
                dont_inherit=True,
            )
    except Exception:
        return False
    return True


def _statement(code: str) -> bool:
    """Whether *code* is a statement that ``%time`` can run in place of the magic."""
    return bool(code.strip()) and parses(code)


def _automagic(cell: _Cell, first: int) -> None:
    """A cell of one line that is not Python but starts with a line magic's name runs as
    that magic (IPython's prefilter, which only sees single-line cells; automagic is on by
    default). A name bound in the user's namespace would shadow the magic, but then the line
    fails as Python anyway."""
    kept = [index for index in range(first, len(cell.lines)) if index not in cell.dropped]
    if len(kept) != 1 or parses("".join(cell.lines[first:])):
        return
    index = kept[0]
    line = cell.lines[index]
    line = line[: len(line) - len(_ending(line))]
    match = _AUTOMAGIC.match(line)
    if match is None:
        return
    space, name, rest = match.group(1), match.group(2).strip(), match.group(3).lstrip()
    if name not in _LINE_MAGICS or rest[:1] in ("=", ","):
        return  # not a magic, or an assignment to a name that is also a magic's: Python
    if name == "time" and _statement(rest):
        cell._replace(index, space + rest)  # as %time: the statement is analysed
        cell.offsets[index] += len(line) - len(space) - len(rest)
        return
    cell._replace(index, f"{space}get_ipython().run_line_magic({name!r}, {rest!r})")


def _capture_target(arguments: str) -> str | None:
    """The variable ``%%capture [--no-stdout ...] name`` assigns, if any."""
    for word in arguments.split():
        if not word.startswith("-"):
            return word if word.isidentifier() else None
    return None


def binds_names(code: str) -> bool:
    """Whether *code* binds a name in its own top-level scope (assignment, import, def, for,
    with ... as, del); True when that cannot be told."""
    try:
        table = symtable.symtable(code, "<cell>", "exec")
    except Exception:
        return True
    return any(
        symbol.is_assigned() or symbol.is_imported() or symbol.is_namespace()
        for symbol in table.get_symbols()
    )


def _transform(source: str) -> tuple[list[str], list[int]] | None:
    cell = _Cell(_split(source))
    first = 0
    timed_body: int | None = None  # first line of a %%timeit body
    while True:
        first = cell.cleanup(first)
        head = cell.lines[first] if first < len(cell.lines) else ""
        if not head.startswith("%%") or _CELL_MAGIC_HELP.match(head):
            break
        name, _, arguments = head[2:].rstrip().partition(" ")
        if name not in _PYTHON_BODY:
            return None
        # IPython runs the body as a cell of its own: the same transformations again.
        call = f"get_ipython().run_cell_magic({name!r}, {arguments!r}, '')"
        target = _capture_target(arguments) if name == "capture" else None
        cell._replace(first, f"{target} = {call}" if target else call)
        first += 1
        if name == "timeit" and timed_body is None:
            timed_body = first
        if first == len(cell.lines):
            break
    try:
        cell.token_transforms(first)
    except _Failed:
        pass  # what is left untransformed is not Python: the cell does not parse
    else:
        _automagic(cell, first)
    if timed_body is not None:
        # %%timeit runs its body in a namespace of its own: what the body binds is gone after
        # it, so a body that binds names cannot be read as this program's code. Its calls are
        # still checked when it binds none.
        body = "".join(cell.lines[timed_body:])
        if parses(body) and binds_names(body):
            return None
    return cell.lines, cell.offsets


def transform_cell(source: str) -> CellCode:
    """The Python code IPython runs for the notebook cell *source*, line for line.

    Never raises: input IPython cannot transform either is returned with the part it could
    not transform left as it was (so it does not parse), and a cell that is not Python
    (``%%bash``, ``%%writefile`` ...) gives ``python=None``.
    """
    try:
        result = _transform(source)
    except Exception:  # a bug here must not take the lint down: read the cell as it is
        return CellCode(source, (0,) * (source.count("\n") + 1))
    if result is None:
        return CellCode(None, (0,) * (source.count("\n") + 1))
    lines, removed = result
    python = "".join(lines)
    if not source.endswith("\n"):
        python = python[:-1]  # the newline IPython added
    offsets = [0] * (source.count("\n") + 1)
    number = 0
    at_start = True
    for line, count in zip(lines, removed, strict=True):
        if at_start:
            offsets[number] = count
        number += line.count("\n")
        at_start = line.endswith("\n")
    return CellCode(python, tuple(offsets))
