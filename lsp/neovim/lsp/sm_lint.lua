-- sm-lint for Neovim 0.11+ (vim.lsp.config): with lsp/neovim on the runtimepath this file is
-- found by name, so enabling the server is one line:
--
--   vim.lsp.enable("sm_lint")
--
-- Override any field with vim.lsp.config("sm_lint", { init_options = { models = { "models" } } }).
return {
  cmd = { "sm-lint", "server" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", ".git" },
  init_options = { models = nil, select = nil, ignore = nil },
}
