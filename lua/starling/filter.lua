-- starling.filter: the filter language (API.md sections 6 and 8).
--
--   target_detected where target.threat >= high and drone ~= 3
--   battery < 50 and state == patrolling            (a stream's :where)
--
-- An event filter is TYPE (an event type or "*"), optionally followed by
-- `where` and conditions joined by `and`; a stream's where takes the
-- conditions alone.  A condition is FIELD OP VALUE: FIELD a dotted path,
-- OP one of == ~= < <= > >=, VALUE a number, a bare word or a quoted string
-- ('...' or "...", with \ escaping the quote or itself).  Threats and alert
-- levels compare by rank (low < medium < high < critical; normal < elevated
-- < high < critical).
--
-- The grammar is LPeg.  A parse that cannot go on raises at once from a
-- match-time capture, with the column and what was expected there; names
-- are then checked against what the engine knows (event types, each type's
-- fields, sample fields, state/threat/level names), so a typo is an error
-- with a caret under it rather than a filter that never matches.  The
-- conditions compile to a C predicate (core.predicate): nothing in Lua runs
-- per event or per sample.
local lpeg = require "lpeg"
local core = require "starling.core"

local P, R, S, C, Cc, Cg, Cp, Ct, Cmt =
  lpeg.P, lpeg.R, lpeg.S, lpeg.C, lpeg.Cc, lpeg.Cg, lpeg.Cp, lpeg.Ct, lpeg.Cmt

local M = {}

local Failure = {} -- the metatable of a parse failure: {pos, msg}

local function expect(what)
  return Cmt(Cc(what), function(_, pos, w)
    error(setmetatable({ pos = pos, msg = "expected " .. w }, Failure))
  end)
end

local sp = S " \t\r\n" ^ 0
local alpha = R("az", "AZ") + P "_"
local alnum = alpha + R "09"
local name = alpha * alnum ^ 0
local word = alpha * (alnum + P "-") ^ 0
local function kw(w) return P(w) * -alnum end

local digits = R "09" ^ 1
local number = (S "+-" ^ -1 * (digits * (P "." * R "09" ^ 0) ^ -1 + P "." * digits)
  * (S "eE" * S "+-" ^ -1 * digits) ^ -1) / tonumber

local function quoted(q)
  return P(q) * C(((P "\\" * P(1)) + (1 - S(q .. "\\"))) ^ 0)
    / function(s) return (s:gsub("\\(.)", "%1")) end
    * (P(q) + expect("a closing " .. q))
end

local OPS = "an operator (== ~= < <= > >=)"
local op = C(P "==" + P "~=" + P "<=" + P ">=" + P "<" + P ">")
local path = C(name * (P "." * (name + expect "a field name after '.'")) ^ 0)
local value = number + quoted '"' + quoted "'" + C(word)

local cond = Ct(Cg(Cp(), "pos") * Cg(path, "path") * sp
  * Cg(op + expect(OPS), "op") * sp
  * Cg(Cp(), "vpos") * Cg(value + expect "a value (a number, a name or a quoted string)", "value"))
local conds = Ct((cond + expect "a field name")
  * (sp * kw "and" * sp * (cond + expect "a field name")) ^ 0)

local event_filter = Ct(sp * Cg(Cp(), "tpos")
  * Cg(C "*" + C(name) + expect "an event type or '*'", "type") * sp
  * (kw "where" * sp * Cg(conds, "conds") * sp
     * (-P(1) + expect "'and' or the end of the filter")
     + (-P(1) + expect "'where' or the end of the filter")))

local where_expr = sp * conds * sp * (-P(1) + expect "'and' or the end of the expression")

-- A message that shows the expression with a caret under column `pos`.
local function report(kind, src, pos, msg)
  local shown = src:gsub("[\r\n\t]", " ")
  return ("%s at column %d: %s\n  %s\n  %s^"):format(kind, pos, msg, shown, (" "):rep(pos - 1))
end

local function parse(kind, grammar, src, level)
  if type(src) ~= "string" then
    error(("%s: expected a string, got %s"):format(kind, type(src)), level + 1)
  end
  local ok, res = pcall(lpeg.match, grammar, src)
  if ok then return res end
  if getmetatable(res) == Failure then
    error(report(kind, src, res.pos, res.msg), level + 1)
  end
  error(res, 0)
end

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

-- A typo is a few edits from the name meant: a suggestion is at most a
-- third of the name's length away (and at most MAX_EDITS).  Two names
-- whose lengths differ by more than that are not compared (the distance is
-- at least the difference), so a misspelt name of a megabyte costs nothing.
local MAX_EDITS = 8

local function suggest(bad, candidates)
  local best, bestd
  local limit = math.min(MAX_EDITS, math.max(1, #bad // 3))
  for _, c in ipairs(candidates) do
    if math.abs(#c - #bad) <= limit then
      local d = distance(bad, c)
      if d <= limit and (not bestd or d < bestd) then best, bestd = c, d end
    end
  end
  return best and (" (did you mean '" .. best .. "'?)") or ""
end

local function sorted_keys(t, keep)
  local out = {}
  for k in pairs(t) do if not keep or keep(k) then out[#out + 1] = k end end
  table.sort(out)
  return out
end

local function index_of(list, v)
  for i, x in ipairs(list) do if x == v then return i end end
end

-- The scale of names a string field holds (nil: free text), and whether
-- its order means something.
local SCALES = {
  state = { names = core.names.state },
  type = { names = core.names.type },
  ["target.threat"] = { names = core.names.threat, ranked = true, what = "threat" },
  level = { names = core.names.level, ranked = true, what = "alert level" },
}

-- Checks one condition against the fields `kinds` ({path = "number" |
-- "string"}) the filter may read; `fields` lists them and `owner` names
-- whose they are, for messages.
local function check_cond(kind, src, c, kinds, fields, owner, level)
  local function fail(pos, msg) error(report(kind, src, pos, msg), level + 2) end
  local k = kinds[c.path]
  if not k then
    fail(c.pos, ("%s '%s'%s; fields: %s")
      :format(owner, c.path, suggest(c.path, fields), table.concat(fields, ", ")))
  end
  local v = c.value
  if k == "number" then
    if type(v) ~= "number" then
      fail(c.vpos, ("'%s' is a number; '%s' is not one"):format(c.path, tostring(v)))
    end
    return
  end
  if type(v) == "number" then
    fail(c.vpos, ("'%s' is a name; compare it with a name, not %s"):format(c.path, tostring(v)))
  end
  local scale = SCALES[c.path]
  if c.op ~= "==" and c.op ~= "~=" and not (scale and scale.ranked) then
    fail(c.pos, ("'%s' only compares with == and ~= (ranks are threats and alert levels)")
      :format(c.path))
  end
  if scale and not index_of(scale.names, v) then
    fail(c.vpos, ("unknown %s '%s'%s; one of %s"):format(scale.what or c.path, v,
      suggest(v, scale.names), table.concat(scale.names, ", ")))
  end
end

local function compile(conds)
  local spec = {}
  for i, c in ipairs(conds) do spec[i] = { path = c.path, op = c.op, value = c.value } end
  return core.predicate(spec)
end

--- Compiles an event filter to a pattern for swarm:on / swarm:events.
-- Raises with a caret under the problem; `level` is error()'s level for
-- the caller of the function that called this one.
function M.event(src, level)
  level = (level or 1) + 1
  local ast = parse("bad event filter", event_filter, src, level)
  local t = ast.type
  if t ~= "*" and not index_of(core.names.type, t) then
    error(report("bad event filter", src, ast.tpos, ("unknown event type '%s'%s")
      :format(t, suggest(t, core.names.type))), level)
  end
  if not ast.conds then return core.event_pattern(t) end
  local kinds, fields = {}, {}
  for path, k in pairs(core.event_fields) do
    if core.event_has_field(t, path) then kinds[path] = k; fields[#fields + 1] = path end
  end
  table.sort(fields)
  for _, c in ipairs(ast.conds) do
    check_cond("bad event filter", src, c, kinds, fields,
      t == "*" and "no event has a field" or ("'%s' events have no field"):format(t), level)
  end
  return core.event_pattern(t, compile(ast.conds))
end

--- Compiles a stream's where expression.  `kinds` ({path = "number" |
-- "string"}) are the fields items are known to have (telemetry samples);
-- nil when the items are arbitrary tables (a channel's stream): names are
-- then not checked, and a missing field makes the condition false.
function M.where(src, kinds, level)
  level = (level or 1) + 1
  local conds = parse("bad where expression", where_expr, src, level)
  if kinds then
    local fields = sorted_keys(kinds)
    for _, c in ipairs(conds) do
      check_cond("bad where expression", src, c, kinds, fields, "samples have no field", level)
    end
  end
  return compile(conds)
end

--- The parse alone: {type, conds = {{path, op, value}, ...}} -- for tools
-- and tests.  Raises like M.event.
function M.parse(src)
  local ast = parse("bad event filter", event_filter, src, 2)
  local out = { type = ast.type, conds = {} }
  for i, c in ipairs(ast.conds or {}) do
    out.conds[i] = { path = c.path, op = c.op, value = c.value }
  end
  return out
end

M.report = report -- "KIND at column N: msg" with the line and a caret (shorthand.lua too)
return M
