// How the extension's settings become the server's command and initialization options.
// Kept free of the `vscode` module so that it can be unit-tested with node:test.

export interface SmLintSettings {
  path?: string;
  interpreter?: string[];
  models?: string[];
  select?: string[];
  ignore?: string[];
  args?: string[];
}

export interface ServerLaunch {
  command: string;
  args: string[];
  initializationOptions: { models?: string[]; select?: string[]; ignore?: string[] };
}

function nonBlank(values: string[] | undefined): string[] {
  return (values ?? []).map((v) => v.trim()).filter((v) => v !== "");
}

export function serverLaunch(settings: SmLintSettings): ServerLaunch {
  const extra = (settings.args ?? []).filter((arg) => arg !== "server");
  const interpreter = nonBlank(settings.interpreter);
  // An interpreter (e.g. the project's virtualenv) runs the sm-lint installed in it.
  const [command, prefix] =
    interpreter.length > 0
      ? [interpreter[0], [...interpreter.slice(1), "-m", "sm_lint"]]
      : [settings.path && settings.path.trim() !== "" ? settings.path : "sm-lint", []];
  const options: ServerLaunch["initializationOptions"] = {};
  for (const key of ["models", "select", "ignore"] as const) {
    const values = nonBlank(settings[key]);
    if (values.length > 0) {
      options[key] = values;
    }
  }
  return { command, args: [...prefix, "server", ...extra], initializationOptions: options };
}

// The documents the server is started for: Python files, untitled buffers, and the Python
// cells of notebooks (VS Code gives each cell its own document, of scheme
// `vscode-notebook-cell`; without it notebooks are never checked).
export interface DocumentFilter {
  scheme: string;
  language: string;
}

export const DOCUMENT_SELECTOR: DocumentFilter[] = [
  { scheme: "file", language: "python" },
  { scheme: "untitled", language: "python" },
  { scheme: "vscode-notebook-cell", language: "python" },
];

// Whether a document (its URI's scheme and its language) is one the selector covers, as
// VS Code matches a filter of scheme and language: both must be equal.
export function selects(
  selector: DocumentFilter[],
  document: { scheme: string; languageId: string },
): boolean {
  return selector.some((f) => f.scheme === document.scheme && f.language === document.languageId);
}
