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
