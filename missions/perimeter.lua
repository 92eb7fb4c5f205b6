-- perimeter.lua -- a ring of drones guards a point.
--
-- Shows: a team flying a circle formation, a scout patrolling inside it, a
-- reaction with a filter ("target_detected where target.threat >= high"),
-- splitting a team, and a transition: the two guards nearest a high threat
-- inside the perimeter fly to it (side by side, in a line formation) while
-- the rest of the ring re-forms as a smaller circle, closing the gap.
--
--   starling run missions/perimeter.lua --set guards=10 --set radius=80
local starling = require "starling"

return starling.mission{
  name = "perimeter",
  description = "a ring of guards; high threats inside draw the two nearest while the ring closes",
  params = { cx = 100, cy = 100, radius = 60, altitude = 30, guards = 8, respond = 2,
             duration = 50, quiet = false },

  run = function(swarm, p)
    local function say(fmt, ...)
      if not p.quiet then print(("T+%07.3f  " .. fmt):format(swarm:now(), ...)) end
    end
    local center = { x = p.cx, y = p.cy, z = p.altitude }
    local function dist(a, b) return math.sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2) end

    local guards, err = swarm:team(p.guards, { near = center })
    if not guards then error("perimeter needs " .. p.guards .. " guards: " .. err, 0) end
    local teams, scout, reaction = { guards }, nil, nil
    -- However the watch ends (done, failed, cancelled): stand everyone down.
    local _ <close> = setmetatable({}, { __close = function()
      if reaction then reaction:cancel() end
      if scout then swarm:cancel_mission(scout) end
      for _, t in ipairs(teams) do t:return_to_base(); t:release() end
    end })
    local function disband(team)
      for i, t in ipairs(teams) do if t == team then table.remove(teams, i) break end end
      team:release()
    end
    local ring = guards:formation("circle", { center = center, radius = p.radius })
    assert(ring:wait(), "the ring never formed")
    local report = { formed = swarm:now(), guards = guards:ids(), responses = {} }
    say("perimeter of %d drones closed around (%g, %g)", guards:size(), p.cx, p.cy)

    scout = assert(swarm:create_mission{ laps = 0, queue = true, area = starling.area{
      min = { p.cx - p.radius, p.cy - p.radius }, max = { p.cx + p.radius, p.cy + p.radius },
      altitude = p.altitude } })

    reaction = swarm:on("target_detected where target.threat >= high", function(ev)
      local at = ev.target.position
      if dist(at, center) > p.radius or guards:size() <= p.respond then return end
      -- the guards nearest the threat leave the ring...
      local ids = guards:ids()
      local where = {}
      for _, id in ipairs(ids) do where[id] = swarm:drone(id):position() end
      table.sort(ids, function(a, b)
        local da, db = dist(where[a], at), dist(where[b], at)
        return da < db or (da == db and a < b)
      end)
      local go = table.move(ids, 1, p.respond, 1, {})
      local stay = table.move(ids, p.respond + 1, #ids, 1, {})
      disband(guards)
      local squad = assert(swarm:team(go))
      squad:formation("line", { center = { x = at.x, y = at.y, z = p.altitude } })
      teams[#teams + 1] = squad
      -- ...and the others close the gap
      guards = assert(swarm:team(stay))
      teams[#teams + 1] = guards
      ring = guards:formation("circle", { center = center, radius = p.radius })
      local response = { target = ev.target.id, drones = go, t = ev.t }
      report.responses[#report.responses + 1] = response
      say("target %d (%s): drones %s respond, %d hold the ring", ev.target.id, ev.target.threat,
        table.concat(go, ", "), #stay)
      if ring:wait() then
        response.closed = swarm:now()
        say("ring closed again with %d drones", guards:size())
      end
    end)

    swarm:sleep(p.duration)
    say("perimeter stood down: %d responses", #report.responses)
    return report
  end,
}
