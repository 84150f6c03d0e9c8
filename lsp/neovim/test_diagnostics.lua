-- Headless check used by tests/test_editors.py: open a file, wait for sm-lint's
-- diagnostics, write them as JSON to $SM_LINT_OUT, quit.
-- The folder is laid out as a plugin: on the runtimepath, require() finds lua/sm_lint.lua.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
vim.opt.runtimepath:append(here)
local sm_lint = require("sm_lint")
local cmd = vim.fn.json_decode(os.getenv("SM_LINT_CMD"))
sm_lint.setup({ cmd = cmd, models = { "models" } })
vim.cmd("edit " .. os.getenv("SM_LINT_FILE"))
vim.cmd("filetype on")
vim.bo.filetype = "python"
local ok = vim.wait(60000, function()
  return #vim.diagnostic.get(0) > 0
end, 100)
local out = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(out, { lnum = d.lnum, col = d.col, code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code), message = d.message, source = d.source, severity = d.severity })
end
local f = io.open(os.getenv("SM_LINT_OUT"), "w")
f:write(vim.fn.json_encode({ ok = ok, diagnostics = out }))
f:close()
vim.cmd("qa!")
