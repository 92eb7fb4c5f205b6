-- starling.stream: what a stream is, before anything flows.
--
-- A stream is a source plus a list of operators.  Operators return new
-- streams and change nothing until a sink is attached: each(fn) or
-- collect(n) build a C pipeline of their own (engine/stream, through
-- core.stream_sink), so two sinks on one stream never share a window.
-- The source is a channel today; the swarm's telemetry feeds the same
-- operators.  stream.lagged adds up what the stream's sinks dropped because
-- their consumer fell behind.
local core = require "starling.core"
local filter = require "starling.filter"
local check = require "starling.check"

local M = {}
local Stream = {}

local DEFAULT_CAPACITY = 1024
-- The most items a sink buffers, a window holds or collect waits for (as
-- a channel's capacity).
local MAX_ITEMS = 16777216

-- Seconds as the clock counts them: whole microseconds, up to 1e12 s.
local function check_seconds(fname, seconds, argn)
  local why
  if type(seconds) ~= "number" or not (seconds > 0) or seconds == math.huge then
    why = ""
  elseif seconds > 1e12 then
    why = ", more than 1e12"
  elseif math.floor(seconds * 1e6 + 0.5) == 0 then
    why = ", below the clock's 1 µs resolution"
  end
  if why then
    error(("bad argument #%d to '%s' (positive number of seconds expected, got %s%s)")
      :format(argn, fname, type(seconds) == "number" and check.show(seconds) or type(seconds), why), 3)
  end
end

-- A count of items: an integer in 1..MAX_ITEMS.
local function check_count(fname, n, argn)
  if math.type(n) ~= "integer" or n < 1 then
    error(("bad argument #%d to '%s' (positive integer expected, got %s)")
      :format(argn, fname, type(n) == "number" and check.show(n) or type(n)), 3)
  elseif n > MAX_ITEMS then
    error(("bad argument #%d to '%s' (positive integer up to %d expected, got %d)")
      :format(argn, fname, MAX_ITEMS, n), 3)
  end
end

local function check_function(fname, fn)
  if type(fn) ~= "function" then
    error(("bad argument #1 to '%s' (function expected, got %s)"):format(fname, type(fn)), 3)
  end
end

local function derive(parent, op)
  local ops = {}
  for i, o in ipairs(parent.ops) do ops[i] = o end
  ops[#ops + 1] = op
  return M.new(parent.swarm, parent.source, ops)
end

function M.new(swarm, source, ops)
  return setmetatable({
    swarm = swarm,
    source = source,
    ops = ops or {},
    sinks = setmetatable({}, { __mode = "k" }),
  }, Stream)
end

Stream.__index = function(self, key)
  if key == "lagged" then
    local n = 0
    for sub in pairs(rawget(self, "sinks")) do n = n + sub.lagged end
    return n
  end
  return Stream[key]
end

function Stream:__tostring()
  local names = {}
  for i, op in ipairs(self.ops) do names[i] = op.op end
  return "starling.stream (" .. (#names > 0 and table.concat(names, " > ") or "source") .. ")"
end

--- Keeps the items for which fn(item) is true.  fn runs as a task that must
-- not wait; an error drops the item.
function Stream:filter(fn)
  check_function("filter", fn)
  return derive(self, { op = "filter", fn = fn })
end

--- Keeps the items for which `expr` holds: the conditions of the filter
-- language (`battery < 50 and state == patrolling`), evaluated in C.  On
-- telemetry the field names are checked against the sample's; on other
-- streams an item that lacks a field fails the condition.
function Stream:where(expr)
  local kinds = rawequal(self.source, self.swarm) and core.sample_fields or nil
  return derive(self, { op = "where", pred = filter.where(expr, kinds, 2), expr = expr })
end

--- Replaces each item by fn(item); nil drops it.
function Stream:map(fn)
  check_function("map", fn)
  return derive(self, { op = "map", fn = fn })
end

--- Arrays of items: emitted when `seconds` have passed since the first item
-- of the batch, or when it holds `max_count` (default: no limit).
function Stream:window(seconds, max_count)
  check_seconds("window", seconds, 1)
  if max_count ~= nil then check_count("window", max_count, 2) end
  return derive(self, { op = "window", seconds = seconds, max_count = max_count })
end

local AGG_FIELDS = { source = true, value = true, category = true }

--- One table per window of `seconds`: {t, samples, drones (distinct
-- sources), avg_battery, min_battery, max_battery, by_state = {...}}.  The
-- fields read default to drone, battery and state; `fields` may name others
-- ({source =, value =, category =}); the keys follow the names.
function Stream:aggregate(seconds, fields)
  check_seconds("aggregate", seconds, 1)
  fields = fields or {}
  if type(fields) ~= "table" then
    error("bad argument #2 to 'aggregate' (table expected, got " .. type(fields) .. ")", 2)
  end
  for k, v in pairs(fields) do
    if not AGG_FIELDS[k] then error("aggregate: unknown option '" .. tostring(k) .. "'", 2) end
    if type(v) ~= "string" then
      error("aggregate: option '" .. k .. "' must be a string (got " .. type(v) .. ")", 2)
    end
  end
  return derive(self, {
    op = "aggregate", seconds = seconds,
    source = fields.source or "drone",
    value = fields.value or "battery",
    category = fields.category or "state",
  })
end

--- Lets an item through when `seconds` have passed since the last one.
function Stream:throttle(seconds)
  check_seconds("throttle", seconds, 1)
  return derive(self, { op = "throttle", seconds = seconds })
end

local function check_capacity(opts)
  if opts == nil then return DEFAULT_CAPACITY end
  if type(opts) ~= "table" then error(("each: options must be a table (got %s)"):format(type(opts)), 3) end
  for k in pairs(opts) do
    if k ~= "capacity" then error(("each: unknown option %s"):format(check.show(k)), 3) end
  end
  local cap = opts.capacity or DEFAULT_CAPACITY
  if math.type(cap) ~= "integer" or cap < 1 or cap > MAX_ITEMS then
    error(("each: option 'capacity' must be an integer in 1..%d (got %s)"):format(MAX_ITEMS,
      type(cap) == "number" and check.show(cap) or type(cap)), 3)
  end
  return cap
end

--- Calls fn(item) for every item, each call a swarm task.  Returns a
-- subscription with :cancel() and .lagged.  opts: {capacity = 1024}, the
-- items buffered before a slow consumer starts losing them.
function Stream:each(fn, opts)
  check_function("each", fn)
  local sub = core.stream_sink(self.swarm, self.source, self.ops, fn, check_capacity(opts))
  self.sinks[sub] = true
  return sub
end

--- Waits for the next `n` items and returns them as an array, or nil,
-- "timeout" if `timeout` seconds pass first.
function Stream:collect(n, timeout)
  check_count("collect", n, 1)
  if timeout ~= nil then check_seconds("collect", timeout, 2) end
  return core.stream_sink(self.swarm, self.source, self.ops, n,
    math.max(n, DEFAULT_CAPACITY), timeout)
end

M.Stream = Stream
return M
