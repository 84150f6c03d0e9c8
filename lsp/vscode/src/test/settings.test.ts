import { test } from "node:test";
import * as assert from "node:assert/strict";
import { DOCUMENT_SELECTOR, selects, serverLaunch } from "../settings";

test("defaults start `sm-lint server` with no options", () => {
  assert.deepEqual(serverLaunch({}), {
    command: "sm-lint",
    args: ["server"],
    initializationOptions: {},
  });
});

test("path, models and extra args are passed through", () => {
  const launch = serverLaunch({ path: "/venv/bin/sm-lint", models: ["models", " "], args: ["--tcp", "x"] });
  assert.equal(launch.command, "/venv/bin/sm-lint");
  assert.deepEqual(launch.args, ["server", "--tcp", "x"]);
  assert.deepEqual(launch.initializationOptions, { models: ["models"] });
});

test("a blank path falls back to sm-lint, and `server` is not repeated", () => {
  const launch = serverLaunch({ path: "  ", args: ["server"] });
  assert.equal(launch.command, "sm-lint");
  assert.deepEqual(launch.args, ["server"]);
});

test("an interpreter runs `python -m sm_lint server` and wins over path", () => {
  const launch = serverLaunch({ path: "/bin/sm-lint", interpreter: ["/venv/bin/python", "-X", "utf8"] });
  assert.equal(launch.command, "/venv/bin/python");
  assert.deepEqual(launch.args, ["-X", "utf8", "-m", "sm_lint", "server"]);
});

test("select and ignore reach the server's initialization options", () => {
  const launch = serverLaunch({ select: ["SM005", " "], ignore: ["SM004"] });
  assert.deepEqual(launch.initializationOptions, { select: ["SM005"], ignore: ["SM004"] });
});

test("the document selector covers Python files, untitled buffers and notebook cells", () => {
  for (const scheme of ["file", "untitled", "vscode-notebook-cell"]) {
    assert.ok(selects(DOCUMENT_SELECTOR, { scheme, languageId: "python" }), scheme);
  }
});

test("the document selector leaves out other languages and other schemes", () => {
  // A notebook's markdown cell, another language's file, a diff view's old version.
  assert.ok(!selects(DOCUMENT_SELECTOR, { scheme: "vscode-notebook-cell", languageId: "markdown" }));
  assert.ok(!selects(DOCUMENT_SELECTOR, { scheme: "file", languageId: "r" }));
  assert.ok(!selects(DOCUMENT_SELECTOR, { scheme: "git", languageId: "python" }));
});
