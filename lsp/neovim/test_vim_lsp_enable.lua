-- Headless check used by tests/test_editors.py of the server configuration in
-- lsp/sm_lint.lua, found by name on the runtimepath as Neovim 0.11 finds it. Opens
-- $SM_LINT_FILE, waits for sm-lint's diagnostics, writes what it saw as JSON to
-- $SM_LINT_OUT, quits.
--
-- $SM_LINT_PATH says how the server is started:
--   "enable":       Neovim 0.11's own path, vim.lsp.config + vim.lsp.enable; Neovim starts
--                   the server when the file's filetype is detected.
--   "start_client": for Neovim older than 0.11, which has no vim.lsp.enable: the same
--                   file's table (cmd, filetypes, root_markers, init_options) given to
--                   vim.lsp.start_client, the root found from root_markers.
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)")
local function version()
  local v = vim.version()
  return string.format("%d.%d.%d", v.major, v.minor, v.patch)
end
local function finish(result)
  result.version = version()
  local f = io.open(os.getenv("SM_LINT_OUT"), "w")
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd("qa!")
end

vim.opt.runtimepath:append(here)
-- As a user would: only what differs from lsp/sm_lint.lua (here the command, to run the
-- server of the Python under test).
local override = { cmd = vim.fn.json_decode(os.getenv("SM_LINT_CMD")) }
local path = os.getenv("SM_LINT_PATH")
local file = os.getenv("SM_LINT_FILE")

if path == "enable" then
  if vim.lsp.config == nil or vim.lsp.enable == nil then
    finish({ ok = false, reason = "this Neovim has no vim.lsp.config / vim.lsp.enable" })
    return
  end
  vim.lsp.config("sm_lint", override)
  vim.lsp.enable("sm_lint")
  vim.cmd("edit " .. file) -- filetype detection starts the server
else
  local found = vim.api.nvim_get_runtime_file("lsp/sm_lint.lua", false)[1]
  local config = vim.tbl_extend("force", dofile(found), override)
  local root = vim.fn.fnamemodify(file, ":p:h")
  while root ~= "/" do
    local marked = false
    for _, marker in ipairs(config.root_markers) do
      marked = marked or vim.fn.filereadable(root .. "/" .. marker) == 1 or vim.fn.isdirectory(root .. "/" .. marker) == 1
    end
    if marked then
      break
    end
    root = vim.fn.fnamemodify(root, ":h")
  end
  vim.cmd("filetype on")
  vim.cmd("edit " .. file)
  if not vim.tbl_contains(config.filetypes, vim.bo.filetype) then
    finish({ ok = false, reason = "filetype " .. vim.bo.filetype .. " is not among the config's" })
    return
  end
  config.name = "sm_lint"
  config.root_dir = root
  config.workspace_folders = { { uri = vim.uri_from_fname(root), name = root } }
  vim.lsp.buf_attach_client(0, vim.lsp.start_client(config))
end

local ok = vim.wait(60000, function()
  return #vim.diagnostic.get(0) > 0
end, 100)
local clients = {}
local get_clients = vim.lsp.get_clients or function()
  return vim.lsp.buf_get_clients(0)
end
for _, c in pairs(get_clients({ bufnr = 0 })) do
  table.insert(clients, { name = c.name, root_dir = c.config.root_dir, cmd = c.config.cmd })
end
local out = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
  table.insert(out, { lnum = d.lnum, code = code, message = d.message, source = d.source })
end
finish({ ok = ok, filetype = vim.bo.filetype, clients = clients, diagnostics = out })
