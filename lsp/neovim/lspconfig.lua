-- sm-lint in Neovim, with the current API (Neovim 0.11+). Add lsp/neovim to the runtimepath
-- (a plugin manager does this when it installs this folder as a plugin); Neovim then finds
-- lsp/sm_lint.lua by name:
vim.lsp.config("sm_lint", {
  init_options = { models = { "models" } },
})
vim.lsp.enable("sm_lint")

-- Older Neovim (0.7 to 0.10), without nvim-lspconfig: the plugin module does the same.
--   require("sm_lint").setup({ models = { "models" } })
