-- starling.repl: the prompt's brain, whatever carries the lines (API.md
-- section 11).  A session reads a line at a time:
--
--   * `:` lines are shorthand commands (starling.shorthand);
--   * otherwise the line is Lua: tried first as an expression (`return
--     LINE`), then as a statement; a chunk that is incomplete (it ends at
--     <eof>) waits for more lines; results are printed readably (tables
--     sorted, cycles and depth marked).
--
-- Each session has its own environment (globals set at one prompt are not
-- seen at another), with `swarm` and `starling` in it and the real globals
-- behind.  Evaluation and printing run under core.eval: protected, with a
-- C count hook every coroutine inherits, so Ctrl+C (core.eval_interrupt,
-- from the terminal's signal handler) stops `while true do end` -- in a
-- coroutine too -- and not the swarm; a remote session also has a budget.  The terminal
-- (engine/cli) and the control socket both drive sessions through feed(),
-- complete() and interrupt().
local core = require "starling.core"
local shorthand = require "starling.shorthand"

local M = {}

local Session = {}
Session.__index = Session

--- M.session{swarm, starling, write, budget} -> session.  write(text)
-- shows text (asynchronous output such as :watch lines uses it too);
-- budget, if given, caps the instructions one evaluation may run.
function M.session(opts)
  local env = setmetatable({ swarm = opts.swarm, starling = opts.starling }, { __index = _G })
  local s = setmetatable({
    swarm = opts.swarm, env = env, write = opts.write or io.write, buffer = nil,
    state = {}, budget = opts.budget,
  }, Session)
  s.state.write = function(text) s.write(text .. "\n") end
  return s
end

--- The prompt to show: "> " or ">> " inside an incomplete chunk.
function Session:prompt()
  return self.buffer and ">> " or "> "
end

-- Readable values -------------------------------------------------------

local KEYWORDS = {}
for w in ("and break do else elseif end false for function goto if in local nil not or repeat "
  .. "return then true until while"):gmatch("%a+") do KEYWORDS[w] = true end

local function show(v, depth, seen, indent)
  local t = type(v)
  if t == "string" then return ("%q"):format(v):gsub("\\\n", "\\n") end
  if t ~= "table" then
    local ok, s = pcall(tostring, v)
    return ok and s or ("<" .. t .. ">")
  end
  local mt = getmetatable(v)
  if mt and mt.__tostring then
    local ok, s = pcall(tostring, v)
    if ok then return s end
  end
  if seen[v] then return "<cycle>" end
  if depth > 4 then return "{...}" end
  seen[v] = true
  local keys, n = {}, #v
  for k in pairs(v) do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then keys[#keys + 1] = k end
  end
  table.sort(keys, function(a, b)
    local ta, tb = type(a), type(b)
    if ta ~= tb then return ta < tb end
    if ta == "number" or ta == "string" then return a < b end
    return tostring(a) < tostring(b)
  end)
  local parts = {}
  for i = 1, n do parts[#parts + 1] = show(v[i], depth + 1, seen, indent .. "  ") end
  for _, k in ipairs(keys) do
    local ks
    if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then
      ks = k
    else
      ks = "[" .. show(k, depth + 1, seen, indent .. "  ") .. "]"
    end
    parts[#parts + 1] = ks .. " = " .. show(v[k], depth + 1, seen, indent .. "  ")
  end
  seen[v] = nil
  if #parts == 0 then return "{}" end
  local one = "{ " .. table.concat(parts, ", ") .. " }"
  if #one <= 72 and not one:find("\n", 1, true) then return one end
  return "{\n" .. indent .. "  " .. table.concat(parts, ",\n" .. indent .. "  ") .. "\n" .. indent .. "}"
end

--- M.show(value) -> text: tables readably, cycles as <cycle>, depth 5.
function M.show(v) return (show(v, 0, {}, "")) end

-- Evaluation ------------------------------------------------------------

--- session:feed(line) -> text to show (may be ""), and "quit" after :quit.
function Session:feed(line)
  if self.buffer == nil and line:match("^%s*:") then
    local ok, text, action = pcall(shorthand.run, self.swarm, line, self.state)
    if not ok then return "error: " .. tostring(text) .. "\n" end
    return (text ~= "" and text .. "\n" or ""), action
  end
  local src = self.buffer and (self.buffer .. "\n" .. line) or line
  if self.buffer == nil and src:match("^%s*$") then return "" end
  local fn = load("return " .. src, "=stdin", "t", self.env)
  local err
  if not fn then
    fn, err = load(src, "=stdin", "t", self.env)
  end
  if not fn then
    if err:match("<eof>$") then
      self.buffer = src
      return ""
    end
    self.buffer = nil
    return err .. "\n"
  end
  self.buffer = nil
  -- Evaluating and printing both run guarded (core.eval): a runaway
  -- __tostring or __pairs is interrupted like a runaway loop.
  local res = table.pack(core.eval(function()
    local r = table.pack(fn())
    if r.n == 0 then return "" end
    local parts = {}
    for i = 1, r.n do parts[i] = M.show(r[i]) end
    return table.concat(parts, "\t") .. "\n"
  end, self.budget))
  if not res[1] then return tostring(res[2]) .. "\n" end
  return res[2]
end

--- session:interrupt(): stops the evaluation running now (from a signal
-- watcher, between hook counts), or drops an incomplete chunk at the prompt.
-- Returns "evaluation" or "line".
function Session:interrupt(evaluating)
  if evaluating then
    core.eval_interrupt()
    return "evaluation"
  end
  self.buffer = nil
  return "line"
end

-- Completion ------------------------------------------------------------

-- The keys a value offers: a table's own keys, and what its metatable's
-- __index (a table) offers, following __index chains a few steps.
local function keys_of(v, out, depth)
  depth = depth or 0
  if depth > 4 then return end
  if type(v) == "table" then
    for k in pairs(v) do if type(k) == "string" then out[k] = true end end
  end
  local mt = getmetatable(v)
  if type(mt) == "table" and mt.__index ~= nil and type(mt.__index) == "table" then
    keys_of(mt.__index, out, depth + 1)
  end
end

--- session:complete(line) -> candidates, sorted: replacements for the word
-- at the end of `line` (the text before the cursor; a word may hold '.'
-- and ':').
--   swarm:sp   -> swarm:spawn, swarm:spawn_drone, ...
--   starling.fo -> starling.formation
--   :pa        -> :patrol, :pause
function Session:complete(line)
  -- __index/__pairs run here: guarded, with a small budget
  local ok, res = core.eval(function() return self:_complete(line) end, 10000000)
  if ok then return res end
  return {}
end

function Session:_complete(line)
  local out = {}
  if self.buffer == nil then
    local cmd = line:match("^%s*:(%a*)$")
    if cmd then
      for _, c in ipairs(shorthand.commands) do
        if c:sub(1, #cmd) == cmd then out[#out + 1] = ":" .. c end
      end
      return out
    end
  end
  local chain, sep, partial = line:match("([%a_][%w_%.]*)([%.:])([%a_]?[%w_]*)$")
  local base
  if chain then
    base = self.env
    for name in chain:gmatch("[^%.]+") do
      local ok, v = pcall(function() return base[name] end)
      if not ok or v == nil then return out end
      base = v
    end
  else
    partial = line:match("([%a_][%w_]*)$") or ""
    if partial == "" then return out end
  end
  local names = {}
  if chain then
    keys_of(base, names)
  else
    keys_of(self.env, names)
    for k in pairs(_G) do names[k] = true end
    for k in pairs(KEYWORDS) do names[k] = true end
  end
  local prefix = chain and (chain .. sep) or ""
  for k in pairs(names) do
    if k:sub(1, #partial) == partial and (sep ~= ":" or not k:match("^_")) then
      out[#out + 1] = prefix .. k
    end
  end
  table.sort(out)
  return out
end

M.Session = Session
return M
