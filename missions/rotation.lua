-- rotation.lua -- keep k drones on station around the clock.
--
-- Shows: a control loop in a mission (swarm:sleep), reading drone status,
-- and handing over a station without a gap: when the drone on a station runs
-- down to `relieve_at` %, the best charged drone (idle, at least `ready` %,
-- nearest the station) flies out; the tired one goes home only once its
-- relief is on the station.  A drone on duty is a team of one, so the
-- coordinator gives it no mission.  Drones charge at their bases and come
-- back into the rotation when full.
--
--   starling run missions/rotation.lua --drones 6 --set duration=3600 --duration 3700
local starling = require "starling"

return starling.mission{
  name = "rotation",
  description = "k stations over an area, always manned: low drones are relieved before they leave",
  params = { stations = 3, cx = 100, cy = 100, spacing = 50, altitude = 30,
             relieve_at = 45, ready = 95, check = 0.5, duration = 600, quiet = false },

  run = function(swarm, p)
    local function say(fmt, ...)
      if not p.quiet then print(("T+%07.3f  " .. fmt):format(swarm:now(), ...)) end
    end
    local stations = starling.formation.slots("line", p.stations,
      { center = { x = p.cx, y = p.cy, z = p.altitude }, spacing = p.spacing })
    local on, relief, busy = {}, {}, {}
    local report = { handovers = {}, vacated = {}, stations = stations }

    local function dist(a, b) return math.sqrt((a.x - b.x) ^ 2 + (a.y - b.y) ^ 2 + (a.z - b.z) ^ 2) end
    -- The idle drone with at least `ready` % nearest to pos (ties: lowest id).
    local function fresh(pos)
      local best, best_d
      for _, d in ipairs(swarm:drones{ state = "idle" }) do
        if not busy[d.id] and d:battery() >= p.ready then
          local dd = dist(d:position(), pos)
          if best == nil or dd < best_d then best, best_d = d, dd end
        end
      end
      return best
    end
    -- A drone on duty is a team of one: the coordinator leaves it alone.
    local function send(i)
      local d = fresh(stations[i])
      if d == nil then return nil end
      busy[d.id] = assert(swarm:team({ d.id }))
      d:move_to(stations[i])
      return d.id
    end
    local function off_duty(id)
      busy[id]:release()
      busy[id] = nil
    end
    -- However the rotation ends (done, failed, cancelled): everyone home, freed.
    local _ <close> = setmetatable({}, { __close = function()
      for i = 1, #stations do
        for _, id in ipairs{ on[i], relief[i] } do
          if busy[id] then busy[id]:return_to_base(); off_duty(id) end
        end
      end
    end })

    for i = 1, #stations do
      on[i] = send(i) or error("rotation: no charged drone for station " .. i, 0)
    end
    say("%d stations manned by drones %s", #stations, table.concat(on, ", "))

    local stop = swarm:now() + p.duration
    while swarm:now() < stop do
      swarm:sleep(p.check)
      for i, st in ipairs(stations) do
        local state = on[i] and swarm:drone(on[i]):state()
        if on[i] and (state == nil or state == "returning" or state == "charging" or state == "emergency") then
          -- it left on its own (critical battery, a fault): the station is empty
          say("station %d: drone %d left (%s)", i, on[i], state or "stopped")
          report.vacated[#report.vacated + 1] = { station = i, drone = on[i], t = swarm:now() }
          off_duty(on[i])
          on[i], relief[i] = relief[i], nil
        end
        local d = on[i] and swarm:drone(on[i])
        if d == nil then
          on[i] = send(i)
          if on[i] then say("station %d: drone %d takes over", i, on[i]) end
        elseif relief[i] == nil and d:battery() <= p.relieve_at then
          relief[i] = send(i)
          if relief[i] then say("station %d: drone %d at %d %%, drone %d on its way", i, on[i], d:battery(), relief[i]) end
        elseif relief[i] and dist(swarm:drone(relief[i]):position(), st) == 0 then
          d:return_to_base()
          off_duty(on[i])
          report.handovers[#report.handovers + 1] = { station = i, from = on[i], to = relief[i], t = swarm:now() }
          say("station %d: drone %d relieved by drone %d", i, on[i], relief[i])
          on[i], relief[i] = relief[i], nil
        end
      end
    end
    say("rotation over: %d handovers", #report.handovers)
    return report
  end,
}
