// sm-lint for VS Code: starts `sm-lint server` for Python files and notebooks.
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { DOCUMENT_SELECTOR, serverLaunch } from "./settings";

let client: LanguageClient | undefined;

function settings() {
  const config = vscode.workspace.getConfiguration("smLint");
  return {
    path: config.get<string>("path"),
    interpreter: config.get<string[]>("interpreter"),
    models: config.get<string[]>("models"),
    select: config.get<string[]>("select"),
    ignore: config.get<string[]>("ignore"),
    args: config.get<string[]>("args"),
  };
}

async function start(): Promise<void> {
  const launch = serverLaunch(settings());
  const serverOptions: ServerOptions = { command: launch.command, args: launch.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    initializationOptions: launch.initializationOptions,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher("**/{saved_model.pb,saved_model.pbtxt,pyproject.toml}"),
    },
  };
  client = new LanguageClient("smLint", "sm-lint", serverOptions, clientOptions);
  await client.start();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("smLint")) {
        await client?.stop();
        await start();
      }
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
