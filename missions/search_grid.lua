-- search_grid.lua -- search an area in strips, one drone each, and report
-- when the whole area has been covered.
--
-- Shows: cutting an area into strips with starling.area, taking the free
-- drone nearest each strip with swarm:team (so the coordinator gives it no
-- other work), flying a lawnmower by hand (move_to each of the strip's
-- waypoints, waiting for the drone to arrive), one swarm task per drone
-- reporting to a channel, and cleanup with a <close> variable.  The report says which drone flew which strip
-- and when the last strip, so the whole area, was covered; then every drone
-- heads home and its team is released.
--
--   starling run missions/search_grid.lua
--   starling run missions/search_grid.lua --set drones=6 --set spacing=10
local starling = require "starling"

-- Flies drone `id` through `waypoints` in turn; returns when it is on the
-- last.  A drone that had to go home to charge resumes where it left off.
local function fly(swarm, id, waypoints)
  local d = swarm:drone(id)
  local states <close> = swarm:events(("drone_state where drone == %d"):format(id))
  for _, wp in ipairs(waypoints) do
    assert(d:move_to(wp))
    while true do
      local ev = states:next()
      if ev.state == "emergency" then
        error(("search_grid: drone %d is down (%s)"):format(id, ev.reason), 0)
      end
      if ev.state == "idle" then
        local p = d:position()
        if p.x == wp.x and p.y == wp.y and p.z == wp.z then break end
        assert(d:move_to(wp)) -- charged again: back to the waypoint it was heading for
      end
    end
  end
end

return starling.mission{
  name = "search_grid",
  description = "search an area in strips, one drone each, and report when it is all covered",
  params = { min_x = 0, min_y = 0, max_x = 160, max_y = 120, altitude = 30, drones = 4, spacing = 20,
             quiet = false },

  run = function(swarm, p)
    local function say(fmt, ...)
      if not p.quiet then print(("T+%07.3f  " .. fmt):format(swarm:now(), ...)) end
    end
    if math.type(p.drones) ~= "integer" or p.drones < 1 then
      error(("search_grid: drones must be a whole number, at least 1 (got %s)"):format(p.drones))
    end
    -- Cut the area into strips along x and reserve the nearest free drone for each.
    local width = (p.max_x - p.min_x) / p.drones
    local strips, teams, flights = {}, {}, {}
    -- However the search ends (done, failed, cancelled): flights stop, drones are freed.
    local _ <close> = setmetatable({}, { __close = function()
      for _, f in ipairs(flights) do f:cancel() end
      for _, t in ipairs(teams) do t:release() end
    end })
    for i = 1, p.drones do
      strips[i] = starling.area{ min = { p.min_x + (i - 1) * width, p.min_y },
                                 max = { p.min_x + i * width, p.max_y }, altitude = p.altitude }
      local team, err = swarm:team(1, { near = strips[i]:center() })
      if not team then
        error(("search_grid: no drone for strip %d of %d: %s"):format(i, p.drones, err))
      end
      teams[i] = team
    end

    -- Every drone flies its strip at once; each reports to `finished` (so the
    -- first failure ends the search at once); the area is covered when all are done.
    local finished = swarm:channel{ kind = "mpsc", capacity = #strips }
    for i, strip in ipairs(strips) do
      local id = teams[i]:ids()[1]
      flights[i] = swarm:spawn(function()
        local ok, err = pcall(fly, swarm, id, strip:waypoints(p.spacing))
        if ok then say("strip %d (x %g to %g) flown by drone %d", i, strip.min.x, strip.max.x, id) end
        finished:send{ strip = i, drone = id, t = swarm:now(), err = not ok and err or nil }
      end)
    end
    local done = {}
    for _ = 1, #strips do
      local r = finished:recv()
      if r.err then error(r.err, 0) end
      done[r.strip] = { drone = r.drone, t = r.t }
    end
    local report = { covered = true, strips = done, t = swarm:now() }

    for _, team in ipairs(teams) do
      team:return_to_base()
      team:release()
    end
    say("the whole area is covered; %d drones sent home", #teams)
    return report
  end,
}
