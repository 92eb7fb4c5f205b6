-- starling.eventlog: the swarm's events as log lines (module=event), the
-- same for `starling run` and the REPL (README "Logs"):
--
--   T+0.100 INFO module=event drone=11 mission=b3f2... mission_assigned
--
-- Each type has its level: drone_state at debug (the most frequent event,
-- so its fields are only built for a line that will be written),
-- battery_low, drone_offline and the restarts at warn, supervisor_stopped
-- at error, the rest at info.  The log is a swarm:on("*") handler: it sees
-- every event, however many one tick publishes, up to the dispatcher's
-- bound (lsl_event.c).  Beyond it the subscription counts what it lost, and
-- the log says so with the count -- an event is never dropped silently.
local core = require "starling.core"

local M = {}

--- Events worth more (or less) than info.
M.LEVEL = {
  drone_state = "debug", battery_low = "warn", drone_offline = "warn",
  drone_restarted = "warn", actor_restarted = "warn", mission_failed = "warn",
  supervisor_stopped = "error",
}
local LEVEL = M.LEVEL

-- An event as log fields: its scalars, and a target as target=ID threat=T.
local function fields(ev)
  local f = {}
  for k, v in pairs(ev) do
    if k == "target" and type(v) == "table" then
      f.target, f.threat = v.id, v.threat
    elseif k ~= "type" and k ~= "t" and type(v) ~= "table" then
      f[k] = v
    end
  end
  return f
end

local Log = {}
Log.__index = Log

-- Says how many events were lost since it last looked, if any.
function Log:check()
  local lost = self.sub.lagged
  if lost > self.reported then
    self.swarm:_log("warn", "event", "events lost before they could be logged",
      { lost = lost - self.reported })
    self.reported = lost
  end
end

--- Stops logging (after a last check for lost events); true if it was on.
function Log:close()
  self:check()
  return self.sub:cancel()
end
Log.__close = Log.close

--- M.attach(swarm) -> log with :close(): logs the swarm's events from now on.
function M.attach(swarm)
  local log = setmetatable({ swarm = swarm, reported = 0 }, Log)
  log.sub = swarm:on("*", function(ev)
    if log.sub.lagged > log.reported then log:check() end
    local level = LEVEL[ev.type] or "info"
    if core.log_enabled("event", level) then swarm:_log(level, "event", ev.type, fields(ev)) end
  end)
  return log
end

return M
