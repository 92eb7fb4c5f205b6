-- The coordinator's health check (API.md sections 1 and 6): a drone silent
-- for more than offline_after is offline at the next check.
local starling = require "starling"

local function events(swarm, types)
  local log = {}
  local want = {}
  for _, t in ipairs(types) do want[t] = true end
  swarm:on("*", function(ev) if want[ev.type] then log[#log + 1] = { ev.type, ev.drone, ev.t } end end)
  return log
end

describe("health check", function()
  it("a drone that lost its link goes offline after offline_after", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 3 }
    local d = swarm:spawn_drone{}
    local log = events(swarm, { "drone_offline", "drone_online" })
    d:fail("comms") -- its last report is at 0
    swarm:run_for(3.5)
    assert.same({}, log) -- 3 s silent is not more than 3
    swarm:run_for(0.5)
    assert.same({ { "drone_offline", 0, 4.0 } }, log)
    local st = swarm:stats()
    assert.equal(1, st.drones)
    assert.equal(0, st.online)
    assert.equal(1, st.offline)
  end)

  it("comes back online when it reports again", function()
    -- Reports only every 10 s: silent too long between them.
    local swarm = starling.swarm{ health_check = 1, offline_after = 3, telemetry_interval = 10 }
    swarm:spawn_drone{}
    local log = events(swarm, { "drone_offline", "drone_online" })
    swarm:run_for(21.5)
    assert.same({
      { "drone_offline", 0, 4.0 },  -- last report at 0.1 (its first tick)
      { "drone_online", 0, 10.0 },  -- reported at 10.0 (telemetry runs first)
      { "drone_offline", 0, 14.0 },
      { "drone_online", 0, 20.0 },
    }, log)
  end)

  it("at one instant checks after telemetry, whatever the periods", function()
    -- Telemetry every 1 s, a check every 2 s: every check falls on a
    -- sample, taken first, so the drone is never 0.5 s silent at a check.
    local swarm = starling.swarm{ telemetry_interval = 1, health_check = 2, offline_after = 0.5 }
    swarm:spawn_drone{}
    local log = events(swarm, { "drone_offline", "drone_online" })
    swarm:run_for(10)
    assert.same({}, log)
    assert.equal(1, swarm:stats().online)
  end)

  it("takes a silent drone's mission and gives it to a drone that reports", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 3, telemetry_interval = 100 }
    local a = swarm:spawn_drone{ base = { 40, 50, 0 } }
    swarm:spawn_drone{ base = { 0, 0, 0 } }
    swarm:run_for(0.5)
    local id = swarm:create_mission{ laps = 0 }
    assert.equal(0, swarm:mission(id).drone)
    swarm:run_for(4)
    assert.equal("pending", swarm:mission(id).status) -- both silent since 0.5
    assert.is_nil(a:status().mission)
    local assigned
    swarm:on("mission_assigned", function(ev) assigned = { ev.drone, ev.t } end)
    swarm:run_for(97)
    assert.same({ 1, 100.0 }, assigned) -- both report at 100; drone 0 is busy
  end)

  it("offline drones are not chosen for missions", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 3 }
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5)
    d:fail("comms")
    swarm:run_for(20) -- home, charged, but silent
    assert.same({ nil, "no_drone_available" }, { swarm:create_mission{} })
  end)

  it("the health check assigns a pending mission to a drone it finds online", function()
    local swarm = starling.swarm{ tick = 1, telemetry_interval = 10, health_check = 0.5, offline_after = 3 }
    swarm:spawn_drone{}
    swarm:run_for(5) -- idle since 1.0, silent: offline at 4.5
    assert.equal(1, swarm:stats().offline)
    local id = swarm:create_mission{ queue = true }
    local assigned
    swarm:on("mission_assigned", function(ev) assigned = ev.t end)
    swarm:run_for(6)
    assert.equal(10.0, assigned) -- reported at 10.0, online and assigned at that check
    assert.equal("assigned", swarm:mission(id).status)
  end)
end)
