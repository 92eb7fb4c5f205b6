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
--
-- A session made with `own = true` (a control client's) ends with its
-- client: its `swarm` is the real one's methods with a memory of what they
-- create -- subscriptions and queues (on, events), timers (after, every),
-- tasks (spawn, run_mission), actors -- and close() ends them all, as it
-- ends the session's :watch and releases its :formation team.  Whatever
-- runs later in the session's name (a handler, a task) reaches the same
-- `swarm`, so what it creates is the session's too.
local core = require "starling.core"
local shorthand = require "starling.shorthand"

local M = {}

local Session = {}
Session.__index = Session

-- What the swarm's methods create, and how each is ended.
local ENDS = { on = "cancel", events = "cancel", after = "cancel", every = "cancel",
  spawn = "cancel", run_mission = "cancel", actor = "stop" }

-- Whether an owned object has ended by itself (then it is forgotten).
local function ended(v)
  local ok, done = pcall(function()
    if v.active then return not v:active() end
    if v.alive then return not v:alive() end
    local st = v.status
    return st ~= nil and st ~= "running"
  end)
  return ok and done
end

-- The swarm as a session that owns what it creates sees it: a table whose
-- methods call the real swarm's (self replaced) and remember what the
-- creating ones return, in `owned` (pruned of what ended by itself, so it
-- holds about what is alive).
local function owning_swarm(real, owned)
  local methods, proxy = {}, {}
  local count, limit = 0, 64
  local function remember(v)
    if v == nil then return end
    owned[v] = true
    count = count + 1
    if count > limit then
      count = 0
      for o in pairs(owned) do
        if ended(o) then owned[o] = nil else count = count + 1 end
      end
      limit = math.max(64, 2 * count)
    end
  end
  for name, f in pairs(core.swarm_methods) do
    if type(f) == "function" then
      if ENDS[name] then
        methods[name] = function(self, ...)
          local r = table.pack(f(self == proxy and real or self, ...))
          if r[1] ~= nil then remember(r[1]) end
          return table.unpack(r, 1, r.n)
        end
      else
        methods[name] = function(self, ...) return f(self == proxy and real or self, ...) end
      end
    end
  end
  setmetatable(methods, { __index = function(_, k) -- fields, and methods added later
    local v = real[k]
    if type(v) ~= "function" then return v end
    return function(self, ...) return v(self == proxy and real or self, ...) end
  end })
  return setmetatable(proxy, { __index = methods, __tostring = function() return tostring(real) end,
    __name = "starling.swarm (session)" })
end

--- M.session{swarm, starling, write, budget, own} -> session.  write(text)
-- shows text (asynchronous output such as :watch lines uses it too);
-- budget, if given, caps the instructions one evaluation may run; own:
-- what the session creates ends with it (close()).
function M.session(opts)
  local owned = opts.own and {} or nil
  local env = setmetatable({ swarm = owned and owning_swarm(opts.swarm, owned) or opts.swarm,
    starling = opts.starling }, { __index = _G })
  local s = setmetatable({
    swarm = opts.swarm, env = env, write = opts.write or io.write, buffer = nil,
    state = {}, budget = opts.budget, own = owned,
  }, Session)
  s.state.write = function(text) s.write(text .. "\n") end
  return s
end

--- session:close(): ends the session's :watch, releases its :formation
-- team and (own = true) ends what it created.  Errors (an object already
-- gone) are ignored: closing must finish.
function Session:close()
  if self.state.watch then pcall(self.state.watch.cancel, self.state.watch); self.state.watch = nil end
  if self.state.team then pcall(self.state.team.release, self.state.team); self.state.team = nil end
  local owned = self.own
  if owned == nil then return end
  self.own = {}
  for v in pairs(owned) do
    local how = ENDS.on -- cancel, or stop for an actor
    if type(v.stop) == "function" and type(v.alive) == "function" then how = ENDS.actor end
    pcall(function() v[how](v) end)
  end
end

--- session:owned() -> how many objects the session holds to end at close.
function Session:owned()
  local n = 0
  for _ in pairs(self.own or {}) do n = n + 1 end
  return n
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

--- session:feed(line) -> text to show (may be ""), and "quit" after :quit;
-- or "", "stream", more: a long listing or a command to many drones whose
-- carrier shows more() (the next lines, each ending in a newline; "" while
-- a command's orders are still being sent; nil at the end) a slice per
-- loop turn, then the prompt.
function Session:feed(line)
  if self.buffer == nil and line:match("^%s*:") then
    local ok, text, action, more = pcall(shorthand.run, self.swarm, line, self.state)
    if not ok then return "error: " .. tostring(text) .. "\n" end
    if action == "stream" then
      return "", "stream", function()
        local t = more()
        if t == "" then return "" end -- orders still being sent: nothing to show yet
        return t and t .. "\n"
      end
    end
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
  if not res[1] then return M.user_error(res[2]) .. "\n" end
  return res[2]
end

-- This file as tracebacks name it: frames from here on are the REPL's.
local SELF = "\t" .. debug.getinfo(1, "S").short_src .. ":"

--- M.user_error(err) -> the error of an evaluated line as the user should
-- see it: the message and the user's own frames, without this file's
-- (the evaluator, core.eval, feed and whatever called it) and without
-- the `error` call itself; the line's chunk is its "main chunk".  A
-- traceback of the chunk alone is left out: the message already names
-- the line.
function M.user_error(err)
  err = tostring(err)
  local msg, trace = err:match("^(.-)\nstack traceback:\n(.*)$")
  if not msg then return err end
  local frames = {}
  for line in (trace .. "\n"):gmatch("(.-)\n") do
    if line:sub(1, #SELF) == SELF then break end
    if not (#frames == 0 and line == "\t[C]: in function 'error'") then frames[#frames + 1] = line end
  end
  local last = frames[#frames]
  if last and last:match("^\tstdin:%d+: in %a+ 'fn'$") then
    frames[#frames] = last:gsub("in %a+ 'fn'$", "in main chunk")
  end
  if #frames == 0 or (#frames == 1 and frames[1]:match(" in main chunk$")) then return msg end
  return msg .. "\nstack traceback:\n" .. table.concat(frames, "\n")
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
