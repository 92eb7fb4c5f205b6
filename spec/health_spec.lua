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

  it("a drone that lost its link keeps its mission, as far as the coordinator sees, until offline", function()
    -- issue 10, item 10: the coordinator sees only the drone's last report
    -- (patrolling the mission) and hands the mission over when the silence
    -- has lasted offline_after.
    local swarm = starling.swarm{ health_check = 1, offline_after = 3 }
    local a = swarm:spawn_drone{ base = { 50, 50, 0 } }
    swarm:spawn_drone{ base = { 0, 0, 0 } }
    swarm:run_for(0.5)
    local id = swarm:create_mission{ laps = 0 }
    assert.equal(0, swarm:mission(id).drone)
    swarm:run_for(1) -- to 1.5: its last report
    local log = events(swarm, { "drone_offline", "drone_online", "mission_assigned", "drone_state" })
    a:fail("comms")
    swarm:run_for(3)
    assert.same({}, log) -- silent, and the mission still reads assigned to it
    assert.equal(0, swarm:mission(id).drone)
    assert.equal(id, a:status().mission)
    swarm:run_for(0.5)
    assert.same({
      { "drone_offline", 0, 5.0 }, -- 3.5 s silent at the check of 5.0
      { "mission_assigned", 1, 5.0 },
      { "drone_state", 1, 5.0 },
    }, log)
    -- repaired, it reports at once and is online at the next check
    a:repair()
    swarm:run_for(1)
    assert.same({ "drone_state", 0, 5.0 }, log[4]) -- its state now: home
    assert.equal("idle", a:state())
    assert.same({ "drone_online", 0, 6.0 }, log[5])
    assert.equal(5, #log)
  end)

  it("a mission given to a drone whose link is down is lost in the air, then handed over", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 3 }
    local a = swarm:spawn_drone{ base = { 50, 50, 0 } }
    swarm:spawn_drone{ base = { 0, 0, 0 } }
    swarm:run_for(0.5)
    a:fail("comms") -- idle at its base: its last report says so
    swarm:run_for(0.5)
    local id = swarm:create_mission{ laps = 0 }
    assert.equal(0, swarm:mission(id).drone) -- the coordinator thinks it free
    local other = swarm:create_mission{ laps = 0 }
    assert.equal(1, swarm:mission(other).drone) -- but not free twice
    assert.same({ x = 50, y = 50, z = 0 }, a:position()) -- it never heard
    swarm:run_for(2.9)
    assert.equal(0, swarm:mission(id).drone)
    swarm:run_for(0.1) -- the check at 4.0: silent 3.5 s, offline
    assert.same({ "pending", nil }, { swarm:mission(id).status, swarm:mission(id).drone })
    swarm:cancel_mission(other) -- drone 1 comes home, charges, takes it
    swarm:run_for(20)
    assert.equal(1, swarm:mission(id).drone)
  end)

  it("a drone repaired before it is offline reports no mission: the coordinator gives it again", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 3 }
    local a = swarm:spawn_drone{ base = { 50, 50, 0 } }
    swarm:spawn_drone{ base = { 0, 0, 0 } }
    swarm:run_for(0.5)
    a:fail("comms")
    swarm:run_for(0.5)
    local id = swarm:create_mission{ laps = 0 }
    local log = events(swarm, { "mission_assigned", "drone_state" })
    swarm:run_for(1)
    a:repair() -- at 2.0: it reports idle, no mission
    swarm:run_for(0.1)
    assert.same({
      { "drone_state", 0, 2.0 },      -- it reports: idle at base, no mission
      { "mission_assigned", 0, 2.0 }, -- handed over, to the same drone
      { "drone_state", 0, 2.0 },      -- which now flies it
    }, log)
    assert.equal("patrolling", a:state())
    assert.equal(id, a:status().mission)
  end)
end)
