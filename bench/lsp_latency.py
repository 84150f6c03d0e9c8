"""Benchmark 4: the language server over stdio: didChange -> publishDiagnostics (debounce
subtracted) on a 2,000-line file, and hover. The client set-up is tests/lsp_client.py's,
shared with the tests."""

from __future__ import annotations

import asyncio
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from common import ENV, FIXTURES, Row, log, pct
from tree import _function

LSP_CALL = [
    "def predict_{i}(rows={rows}):",
    '    """Score a batch with the dense model."""',
    "    batch = np.random.rand(rows, 5).astype(np.float32)",
    "    outputs = infer(keras_tensor=tf.constant(batch))",
    '    return outputs["output_0"]',
]
GOOD_CALL = "    outputs = infer(keras_tensor=tf.constant(batch))"
BAD_CALL = "    outputs = infer(keras_tensor=tf.constant(batch, dtype=tf.float64))"


def lsp_source(n_lines: int = 2000, n_calls: int = 20) -> tuple[list[str], list[int]]:
    """The lines of a long module and the indexes of its signature-call lines."""
    rng = random.Random(7)
    lines = [
        '"""A long module with many signature calls (language-server benchmark)."""',
        "import json",
        "import logging",
        "import os",
        "",
        "import numpy as np",
        "import tensorflow as tf",
        "",
        "logger = logging.getLogger(__name__)",
        'model = tf.saved_model.load("models/dense")',
        'infer = model.signatures["serving_default"]',
        "",
    ]
    per_block = (n_lines - len(lines)) // n_calls
    call_lines = []
    for i in range(n_calls):
        block: list[str] = []
        room = per_block - len(LSP_CALL) - 2
        while True:
            function = ["", *_function(rng, f"helper_{i}_{len(block)}"), ""]
            if block and len(block) + len(function) > room:
                break
            block.extend(function)
        block.extend(f"SETTING_{i}_{k} = {k}" for k in range(room - len(block)))
        lines.extend(block)
        lines.append("")
        call_lines.append(len(lines) + 3)
        lines.extend(x.format(i=i, rows=i + 2) for x in LSP_CALL)
        lines.append("")
    return lines, call_lines


async def _lsp_session(
    workspace: Path, n_changes: int, n_hovers: int, budget: float, at_least: int
) -> dict[str, object]:
    """Up to *n_changes* edits and *n_hovers* hovers, each series stopping early (after
    *at_least*) once it has taken *budget* seconds, so a slow server cannot stall the run."""
    from lsprotocol import types as lsp
    from pygls.lsp.client import LanguageClient

    from tests.lsp_client import (
        SERVER_COMMAND,
        answer_server_requests,
        handshake,
        initialize_params,
    )

    client = LanguageClient("sm-lint-bench", "1")
    waiting: dict[int, asyncio.Future[tuple[float, int]]] = {}
    logs: list[str] = []

    answer_server_requests(client)

    @client.feature(lsp.WINDOW_LOG_MESSAGE)
    def log_message(params: lsp.LogMessageParams) -> None:
        logs.append(params.message)

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        now = time.perf_counter()
        future = waiting.pop(params.version or -1, None)
        if future is not None and not future.done():
            future.set_result((now, len(params.diagnostics)))

    await client.start_io(*SERVER_COMMAND, cwd=str(workspace), env=ENV)
    server = client._server  # the process pygls started; its stderr must be drained
    drain = None
    if server is not None and server.stderr is not None:
        stderr = server.stderr

        async def drain_stderr() -> None:
            while await stderr.read(65536):
                pass

        drain = asyncio.create_task(drain_stderr())
    try:
        await asyncio.wait_for(handshake(client, initialize_params(workspace)), timeout=60)
        lines, call_lines = lsp_source()
        path = workspace / "src" / "long_module.py"
        good = "\n".join(lines) + "\n"
        path.write_text(good)
        uri = path.as_uri()

        async def until_published(version: int, send: Callable[[], None]) -> tuple[float, int]:
            future: asyncio.Future[tuple[float, int]] = asyncio.get_running_loop().create_future()
            waiting[version] = future
            start = time.perf_counter()
            send()
            at, count = await asyncio.wait_for(future, timeout=60)
            return at - start, count

        opened, open_count = await until_published(
            1,
            lambda: client.text_document_did_open(
                lsp.DidOpenTextDocumentParams(
                    lsp.TextDocumentItem(uri=uri, language_id="python", version=1, text=good)
                )
            ),
        )

        def change(text: str, version: int) -> Callable[[], None]:
            """Sends *text* as the document's *version* (the whole text, as the editors
            the benchmark stands for do)."""
            return lambda: client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )

        changes: list[float] = []
        wrong_counts = 0
        series = time.perf_counter()
        for n in range(n_changes):
            if n >= at_least and time.perf_counter() - series > budget:
                break
            version = n + 2
            bad = n % 2 == 0
            text = good
            if bad:
                edited = list(lines)
                target = call_lines[(n // 2) % len(call_lines)]
                assert edited[target] == GOOD_CALL, edited[target]
                edited[target] = BAD_CALL
                text = "\n".join(edited) + "\n"

            took, count = await until_published(version, change(text, version))
            changes.append(took)
            wrong_counts += count != (1 if bad else 0)
        # Line breaks typed and deleted near the top: everything below moves (the finding
        # in the middle of the file too), nothing else changes.
        moving = list(lines)
        moving[call_lines[len(call_lines) // 2]] = BAD_CALL
        shifts: list[float] = []
        series = time.perf_counter()
        for n in range(n_changes // 2 + 1):
            if n > at_least and time.perf_counter() - series > budget:
                break
            version = n_changes + 2 + n
            edited = list(moving)
            if n % 2 == 1:  # the first edit (not timed) puts the finding in
                edited.insert(call_lines[0], "")
            text = "\n".join(edited) + "\n"

            took, count = await until_published(version, change(text, version))
            if n:
                shifts.append(took)
            wrong_counts += count != 1
        hovers: list[float] = []
        empty = 0
        series = time.perf_counter()
        for n in range(n_hovers):
            if n >= at_least and time.perf_counter() - series > budget:
                break
            line = call_lines[n % len(call_lines)]
            start = time.perf_counter()
            answer = await asyncio.wait_for(
                client.text_document_hover_async(
                    lsp.HoverParams(
                        lsp.TextDocumentIdentifier(uri=uri),
                        lsp.Position(line, GOOD_CALL.index("infer") + 2),
                    )
                ),
                timeout=60,
            )
            hovers.append(time.perf_counter() - start)
            empty += answer is None
        await asyncio.wait_for(client.shutdown_async(None), timeout=30)
        client.exit(None)
        await asyncio.wait_for(client.stop(), timeout=30)
    finally:
        if server is not None and server.returncode is None:
            server.kill()  # only the server this benchmark started
            await server.wait()
        if drain is not None:
            drain.cancel()
    return {
        "lines": len(lines),
        "calls": len(call_lines),
        "open": opened,
        "open_diagnostics": open_count,
        "changes": changes,
        "shifts": shifts,
        "wrong_counts": wrong_counts,
        "hovers": hovers,
        "empty_hovers": empty,
        "logs": logs,
    }


def bench_lsp(tmp: Path, quick: bool) -> list[Row]:
    from sm_lint.server import DEBOUNCE_SECONDS

    workspace = tmp / "lsp"
    shutil.copytree(FIXTURES / "keras_export_dense", workspace / "models" / "dense")
    (workspace / "src").mkdir(parents=True)
    n_changes, n_hovers, budget, at_least = (4, 4, 0.0, 4) if quick else (40, 50, 75.0, 10)
    log(
        f"4/5 language server: up to {n_changes} didChange and {n_hovers} hovers"
        + (f" (each series stops after {budget:.0f} s, {at_least} at least)" if budget else "")
    )
    result = asyncio.run(_lsp_session(workspace, n_changes, n_hovers, budget, at_least))
    seen: list[float] = result["changes"]  # type: ignore[assignment]
    changes = [x - DEBOUNCE_SECONDS for x in seen]
    shifted: list[float] = result["shifts"]  # type: ignore[assignment]
    shifts = [x - DEBOUNCE_SECONDS for x in shifted]
    hovers: list[float] = result["hovers"]  # type: ignore[assignment]
    print("## 4. Language server (stdio)\n")
    print(
        f"file: {result['lines']} lines, {result['calls']} signature calls; didOpen -> "
        f"diagnostics {result['open'] * 1000:.0f} ms ({result['open_diagnostics']} diagnostics)"
    )
    print(
        f"didChange -> publishDiagnostics, debounce {DEBOUNCE_SECONDS * 1000:.0f} ms subtracted, "
        f"ms: " + ", ".join(f"{x * 1000:.0f}" for x in changes)
    )
    print(
        "line break typed or deleted near the top, debounce subtracted, ms: "
        + ", ".join(f"{x * 1000:.0f}" for x in shifts)
    )
    print(f"unexpected diagnostic counts: {result['wrong_counts']} of {len(changes) + len(shifts)}")
    print("hover ms: " + ", ".join(f"{x * 1000:.0f}" for x in hovers))
    print(f"empty hovers: {result['empty_hovers']} of {len(hovers)}")
    if result["logs"]:
        print("server log messages:", *result["logs"][:5], sep="\n  ")  # type: ignore[misc]
    print()
    note = f"{DEBOUNCE_SECONDS * 1000:.0f} ms debounce subtracted; {len(changes)} full-text edits"
    seen_note = (
        f"didChange to published diagnostics, {DEBOUNCE_SECONDS * 1000:.0f} ms debounce included"
    )
    if result["wrong_counts"]:
        note += f"; {result['wrong_counts']} unexpected diagnostic counts"
    lines = result["lines"]
    hover_note = f"{len(hovers)} requests on signature calls, {result['empty_hovers']} empty"
    return [
        Row(f"LSP didOpen -> diagnostics ({lines} lines, 20 calls)", "ms", result["open"] * 1000),  # type: ignore[operator]
        Row("LSP didChange -> diagnostics, p50", "ms", pct(changes, 50) * 1000, note=note),
        Row("LSP didChange -> diagnostics, p95", "ms", pct(changes, 95) * 1000, note=note),
        Row(
            "LSP didChange moving the lines below -> diagnostics, p95",
            "ms",
            pct(shifts, 95) * 1000,
            note=f"{DEBOUNCE_SECONDS * 1000:.0f} ms debounce subtracted; {len(shifts)} edits "
            "typing or deleting a line break near the top of the file",
        ),
        Row(
            "LSP didChange -> diagnostics as perceived, p50",
            "ms",
            pct(seen, 50) * 1000,
            note=seen_note,
        ),
        Row(
            "LSP didChange -> diagnostics as perceived, p95",
            "ms",
            pct(seen, 95) * 1000,
            note=seen_note,
        ),
        Row("LSP hover, p50", "ms", pct(hovers, 50) * 1000, note=hover_note),
        Row("LSP hover, p95", "ms", pct(hovers, 95) * 1000, note=hover_note),
    ]
