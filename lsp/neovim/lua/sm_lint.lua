-- sm-lint for Neovim: start `sm-lint server` for Python buffers. Install lsp/neovim as a
-- plugin (or add it to the runtimepath), then:
--
--   require("sm_lint").setup({ models = { "models" } })
--
-- On Neovim 0.11+ the server config in lsp/sm_lint.lua also works: vim.lsp.enable("sm_lint").
-- Works with Neovim 0.7+ (vim.lsp.start_client); uses vim.lsp.start on 0.8+.
local M = {}

local defaults = {
  cmd = { "sm-lint", "server" },
  filetypes = { "python" },
  root_markers = { "pyproject.toml", ".git" },
  models = nil, -- e.g. { "models" }; default: [tool.sm-lint] models, else ./models
  select = nil,
  ignore = nil,
}

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir and dir ~= "" do
    for _, marker in ipairs(markers) do
      if vim.fn.filereadable(dir .. "/" .. marker) == 1 or vim.fn.isdirectory(dir .. "/" .. marker) == 1 then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return vim.fn.getcwd()
end

function M.config(opts, bufnr)
  local o = vim.tbl_extend("force", defaults, opts or {})
  local root = find_root(vim.api.nvim_buf_get_name(bufnr or 0), o.root_markers)
  return {
    name = "sm-lint",
    cmd = o.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = { models = o.models, select = o.select, ignore = o.ignore },
  }
end

local clients = {}

function M.attach(opts, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local config = M.config(opts, bufnr)
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = clients[config.root_dir]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client(config)
    clients[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

function M.setup(opts)
  local o = vim.tbl_extend("force", defaults, opts or {})
  vim.api.nvim_create_autocmd("FileType", {
    pattern = o.filetypes,
    callback = function(args)
      M.attach(opts, args.buf)
    end,
  })
end

return M
