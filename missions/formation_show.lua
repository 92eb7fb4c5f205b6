-- formation_show.lua -- one team flies line, circle, grid and v in turn.
--
-- Shows: taking a team of the drones nearest a point (swarm:team), flying
-- formations around one centre, transitions (each new formation re-assigns
-- the slots from where the drones are), formation:wait to hold the show
-- until a formation is reached, and a to-be-closed team released at the end: the
-- drones stay in the v, hovering, free for missions again.  It returns the
-- formations reached, in order, with the time each was reached.
--
--   starling run missions/formation_show.lua
--   starling run missions/formation_show.lua --set drones=12 --set radius=60.5
local starling = require "starling"

local SHOW = { "line", "circle", "grid", "v" }

return starling.mission{
  name = "formation_show",
  description = "one team flies line, circle, grid and v, each reached before the next",
  params = { drones = 8, x = 200, y = 150, altitude = 40, spacing = 15, radius = 42.5,
             timeout = 120, quiet = false },

  run = function(swarm, p)
    local function say(fmt, ...)
      if not p.quiet then print(("T+%07.3f  " .. fmt):format(swarm:now(), ...)) end
    end
    local center = { x = p.x, y = p.y, z = p.altitude }
    -- <close>: the team is released however the show ends (done, failed, cancelled)
    local team <close>, err = swarm:team(p.drones, { near = center })
    if not team then error(("formation_show: a team of %d drones: %s"):format(p.drones, err)) end
    say("team of %d drones: %s", team:size(), table.concat(team:ids(), " "))

    local reached = {}
    for _, kind in ipairs(SHOW) do
      local opts = { center = center }
      if kind == "circle" then opts.radius = p.radius else opts.spacing = p.spacing end
      local f = team:formation(kind, opts)
      local ok, why = f:wait(p.timeout)
      if not ok then
        error(("formation_show: %s not reached: %s"):format(kind, why))
      end
      reached[#reached + 1] = { kind = kind, formation = f.id, t = swarm:now() }
      say("%s reached (formation %d)", kind, f.id)
    end
    return reached
  end,
}
