-- starling: the Lua face of the engine.
--
-- `require "starling"` loads the C core (starling/core.so under plain Lua,
-- built into the starling executable) and adds the parts of the API that are
-- written in Lua.  The swarm's methods live in one table shared with C
-- (core.swarm_methods), so both halves extend the same object.
local core = require "starling.core"

local starling = {
  _VERSION = "starling 0.1.0",
}

--- Creates a swarm: an engine with its clock, scheduler and timers.
-- See API.md section 1 for the options.
starling.swarm = core.swarm

local stream = require "starling.stream"
local area = require "starling.area"
local filter = require "starling.filter"
local formation = require "starling.formation"
local team = require "starling.team"
local mission = require "starling.mission"

--- starling.area{min, max, altitude} (API.md section 3).
starling.area = area.new
debug.getregistry()["starling.area"] = area.Area -- areas the C side returns

--- starling.formation.define(name, fn) and .slots(kind, n, opts)
-- (API.md section 7).
starling.formation = { define = formation.define, slots = formation.slots }

--- swarm:team(n | ids, {near}) -> team, or nil, "not_enough_drones".
core.swarm_methods.team = team.team

--- Missions as files (API.md section 10).
starling.mission = mission.new
starling.load_mission = mission.load
core.swarm_methods.run_mission = mission.run

--- ch:stream() -> a stream of the channel's values (API.md section 8).
function core.channel_methods.stream(ch)
  return stream.new(ch:swarm(), ch)
end

--- swarm:telemetry() -> a stream of samples {drone, t, position, battery,
-- state, velocity}, one per drone per telemetry_interval.
function core.swarm_methods.telemetry(swarm)
  return stream.new(swarm, swarm)
end

-- swarm:on and swarm:events take an event type, "*", or a filter string
-- (API.md section 6); strings are compiled here, once, to a C matcher.
local PATTERN = debug.getregistry()["starling.pattern"]

local function pattern_arg(fname, pattern)
  local tp = type(pattern)
  if tp == "string" then
    local compiled = filter.event(pattern, 3) -- not a tail call: keep the level
    return compiled
  end
  if getmetatable(pattern) == PATTERN then return pattern end
  error(("bad argument #1 to '%s' (event type or filter expected, got %s)"):format(fname, tp), 3)
end

local c_on, c_events = core.swarm_methods.on, core.swarm_methods.events

--- swarm:on(pattern, fn) -> subscription; fn(event) runs as a swarm task.
function core.swarm_methods.on(swarm, pattern, fn)
  local p = pattern_arg("on", pattern)
  if type(fn) ~= "function" then
    error(("bad argument #2 to 'on' (function expected, got %s)"):format(type(fn)), 2)
  end
  local sub = c_on(swarm, p, fn)
  return sub
end

--- swarm:events(pattern) -> a queue with next(timeout), drain(), lagged.
function core.swarm_methods.events(swarm, pattern)
  local q = c_events(swarm, pattern_arg("events", pattern))
  return q
end

return starling
