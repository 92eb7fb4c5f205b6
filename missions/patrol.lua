-- patrol.lua -- the seed's demo: a fleet patrols an area while targets appear.
--
-- Shows: missions over strips of an area (the coordinator picks the drone
-- nearest each strip), targets appearing over time and the coordinator's
-- answer (detection, support for high threats, the alert level), reactions
-- with swarm:on and a filter, and telemetry aggregated every second.  The
-- mission ends when every strip has been flown `laps` times.
--
--   starling run missions/patrol.lua                  (20 drones)
--   starling run missions/patrol.lua --set laps=2 --set targets=12
local starling = require "starling"

return starling.mission{
  name = "patrol",
  description = "patrol an area in strips while targets appear; telemetry every second",
  params = { size = 300, strips = 3, altitude = 30, laps = 1,
             targets = 8, target_every = 5, seed = 42, quiet = false },

  run = function(swarm, p)
    local report = { assigned = {}, detected = {}, supported = {}, alerts = {}, windows = 0 }
    local function say(fmt, ...)
      if not p.quiet then print(("T+%07.3f  " .. fmt):format(swarm:now(), ...)) end
    end

    -- Reactions first: the events of create_mission go out at once.
    swarm:on("mission_assigned", function(ev)
      report.assigned[#report.assigned + 1] = ev.drone
      say("mission %s assigned to drone %d", ev.mission:sub(1, 8), ev.drone)
    end)
    swarm:on("target_detected", function(ev)
      local tg = ev.target
      report.detected[#report.detected + 1] = { tg.id, ev.drone, ev.t }
      say("drone %d detected target %d (%s) at (%.0f, %.0f)", ev.drone, tg.id, tg.threat,
        tg.position.x, tg.position.y)
    end)
    swarm:on("support_assigned", function(ev)
      report.supported[#report.supported + 1] = { ev.target.id, ev.drone }
      say("drone %d sent to support on target %d", ev.drone, ev.target.id)
    end)
    swarm:on("alert_level where level >= high", function(ev)
      report.alerts[#report.alerts + 1] = ev.level
      say("ALERT %s", ev.level)
    end)
    local telemetry = swarm:telemetry():aggregate(1):each(function(w)
      report.windows = report.windows + 1
      say("telemetry: %d samples from %d drones, battery avg %.1f min %d max %d",
        w.samples, w.drones, w.avg_battery, w.min_battery, w.max_battery)
    end)

    -- One mission per strip, along x.
    say("fleet of %d drones, %d strips of %g m", swarm:count(), p.strips, p.size)
    local width = p.size / p.strips
    for i = 0, p.strips - 1 do
      assert(swarm:create_mission{
        area = starling.area{ min = { i * width, 0 }, max = { (i + 1) * width, p.size },
                              altitude = p.altitude },
        laps = p.laps, queue = true })
    end

    -- Targets appear every few seconds, from a seeded generator.
    local threats, rng, added = { "low", "medium", "high", "critical" }, p.seed, 0
    local function rand(n)
      rng = (rng * 1103515245 + 12345) % 2147483648
      return rng % n
    end
    local appear
    appear = swarm:every(p.target_every, function()
      added = added + 1
      local pos = { x = rand(p.size), y = rand(p.size), z = 0 }
      local id = swarm:add_target{ position = pos, threat = threats[rand(4) + 1] }
      say("target %d appeared at (%d, %d)", id, pos.x, pos.y)
      if added == p.targets then appear:cancel() end
    end)

    local done = swarm:events("mission_completed")
    for _ = 1, p.strips do done:next() end
    appear:cancel()
    telemetry:cancel()
    report.t = swarm:now()
    say("all %d strips patrolled: %d targets detected, %d support flights",
      p.strips, #report.detected, #report.supported)
    return report
  end,
}
