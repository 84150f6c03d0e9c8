"""The analysis facts of a frozen corpus of programs equal the committed goldens, byte for byte.

The corpus and the goldens are built by tests/golden/make_golden.py (read it for what the
corpus holds). A change to the analysis that changes any fact of any program fails here:
ids, order and spans included, as the facts cache encodes them. When a change of facts is
intended, rebuild the goldens with ``python tests/golden/make_golden.py`` and review the diff.
"""

from __future__ import annotations

import json

from tests.golden import make_golden


def test_facts_equal_the_goldens() -> None:
    corpus = json.loads(make_golden.CORPUS.read_text(encoding="utf-8"))
    golden = json.loads(make_golden.FACTS.read_text(encoding="utf-8"))
    assert sorted(corpus) == sorted(golden)
    differ = [
        name
        for name, program in corpus.items()
        if make_golden.facts_text(name, program) != golden[name]
    ]
    assert not differ, f"{len(differ)} of {len(corpus)} programs differ, first: {differ[:10]}"


def test_attribute_scan_reads_cpython_tree_as_the_libcst_one() -> None:
    """Which attributes may change outside ``__init__`` is read from CPython's tree (a
    whole-module libcst visit cost more than half of a cold run on class-heavy code): on
    every program of the corpus it gives the libcst scan's answer."""
    import ast

    import libcst as cst

    from sm_lint.analysis.engine.syntax import (
        _outside_init_attributes_ast,
        _outside_init_attributes_cst,
    )

    compared = 0
    for name, text in json.loads(make_golden.CORPUS.read_text(encoding="utf-8")).items():
        try:
            module = cst.parse_module(text)
            tree = ast.parse(module.code)
        except (cst.ParserSyntaxError, SyntaxError, ValueError, RecursionError):
            continue
        expected = _outside_init_attributes_cst(module)
        assert _outside_init_attributes_ast(tree) == expected, name
        assert _outside_init_attributes_ast(tree, module.code) == expected, name
        compared += 1
    assert compared > 1800
