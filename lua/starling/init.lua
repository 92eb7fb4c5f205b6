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

--- starling.area{min, max, altitude} (API.md section 3).
starling.area = area.new
debug.getregistry()["starling.area"] = area.Area -- areas the C side returns

--- ch:stream() -> a stream of the channel's values (API.md section 8).
function core.channel_methods.stream(ch)
  return stream.new(ch:swarm(), ch)
end

--- swarm:telemetry() -> a stream of samples {drone, t, position, battery,
-- state, velocity}, one per drone per telemetry_interval.
function core.swarm_methods.telemetry(swarm)
  return stream.new(swarm, swarm)
end

return starling
