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
