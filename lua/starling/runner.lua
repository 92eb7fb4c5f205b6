-- starling.runner: what `starling run FILE` does with a file that returns a
-- mission (API.md sections 10 and 11): a fresh swarm of 20 drones on the
-- virtual clock, the mission run with its defaults, and a graceful shutdown.
-- The command line's options (--drones, --seed, --set, real time...) arrive
-- with the command-line issue; until then these are the defaults.
local starling = require "starling"

local M = {}

--- Flies `mission`; returns the exit code: 0 when it finished, 1 when it
-- failed or did not finish within `duration` virtual seconds.
function M.run(mission, opts)
  opts = opts or {}
  local swarm = starling.swarm{ seed = opts.seed or 1 }
  local n = opts.drones or 20
  swarm:spawn_fleet(n)
  io.stderr:write(("T+%07.3f  %d drones spawned; flying mission '%s'\n"):format(swarm:now(), n, mission.name))
  swarm:run_for(0.1)
  local task = swarm:run_mission(mission, opts.params)
  local finished = swarm:run_until(function() return task.status ~= "running" end, opts.duration or 3600)
  local code = 0
  if not finished then
    io.stderr:write(("T+%07.3f  mission '%s' still running after %g s: cancelled\n"):format(
      swarm:now(), mission.name, opts.duration or 3600))
    task:cancel()
    code = 1
  elseif task.status == "failed" then
    io.stderr:write(("T+%07.3f  mission '%s' failed: %s\n"):format(swarm:now(), mission.name, task.error))
    code = 1
  else
    io.stderr:write(("T+%07.3f  mission '%s' finished\n"):format(swarm:now(), mission.name))
  end
  swarm:shutdown{}
  io.stderr:write(("T+%07.3f  swarm shutdown complete\n"):format(swarm:now()))
  return code
end

return M
