// How the extension's settings become the server's command and initialization options.
// Kept free of the `vscode` module so that it can be unit-tested with node:test.

export interface SmLintSettings {
  path?: string;
  models?: string[];
  args?: string[];
}

export interface ServerLaunch {
  command: string;
  args: string[];
  initializationOptions: { models?: string[] };
}

export function serverLaunch(settings: SmLintSettings): ServerLaunch {
  const command = settings.path && settings.path.trim() !== "" ? settings.path : "sm-lint";
  const extra = (settings.args ?? []).filter((arg) => arg !== "server");
  const models = (settings.models ?? []).filter((m) => m.trim() !== "");
  return {
    command,
    args: ["server", ...extra],
    initializationOptions: models.length > 0 ? { models } : {},
  };
}
