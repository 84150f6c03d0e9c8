-- sm-lint through nvim-lspconfig (register it once, then enable it like any server).
local configs = require("lspconfig.configs")
local util = require("lspconfig.util")

if not configs.sm_lint then
  configs.sm_lint = {
    default_config = {
      cmd = { "sm-lint", "server" },
      filetypes = { "python" },
      root_dir = util.root_pattern("pyproject.toml", ".git"),
      init_options = { models = { "models" } },
    },
  }
end

require("lspconfig").sm_lint.setup({})
