-- swarm:shutdown{timeout}: missions cancelled, actors stopped in order,
-- system_shutdown published, handles answer actor_stopped (API.md 1).
local starling = require "starling"

describe("swarm:shutdown", function()
  it("the seed's scenario: every status is nil, 'actor_stopped' after", function()
    local swarm = starling.swarm{}
    local fleet = swarm:spawn_fleet(5)
    swarm:run_for(1)
    swarm:shutdown{ timeout = 3 }
    for _, d in ipairs(fleet) do
      assert.same({ nil, "actor_stopped" }, { d:status() })
    end
    assert.equal(0, swarm:count())
  end)

  it("cancels missions, stops drones last-spawned first, then system_shutdown", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(3)
    swarm:run_for(0.5)
    local id = swarm:create_mission{ laps = 0 }
    swarm:run_for(1)
    local log = {}
    swarm:on("*", function(ev)
      log[#log + 1] = { ev.type, ev.drone or ev.mission, ev.t }
    end)
    swarm:shutdown{}
    assert.same({
      { "mission_cancelled", id, 1.5 },
      { "drone_state", 1, 1.5 }, -- its drone turned for home ...
      { "drone_unregistered", 2, 1.5 },
      { "drone_unregistered", 1, 1.5 }, -- ... and stopped
      { "drone_unregistered", 0, 1.5 },
      { "system_shutdown", nil, 1.5 },
    }, log) -- handlers ran before shutdown returned
    assert.equal("cancelled", swarm:mission(id).status)
  end)

  it("unregisters a drone that crashed and was not restarted yet", function()
    local swarm = starling.swarm{}
    local fleet = swarm:spawn_fleet(2)
    swarm:run_for(0.5)
    local log = {}
    swarm:on("*", function(ev) log[#log + 1] = { ev.type, ev.drone, ev.t } end)
    fleet[1]:fail("crash")                       -- it crashes first ...
    swarm:spawn(function() swarm:shutdown{} end) -- ... then this shuts down,
    swarm:run_for(0)                             -- ... then its restart is due
    swarm:run_for(1)
    assert.same({
      { "drone_unregistered", 1, 0.5 },
      { "drone_unregistered", 0, 0.5 }, -- last-spawned first, as if it ran
      { "system_shutdown", nil, 0.5 },
    }, log) -- and no drone_restarted
    assert.same({ nil, "actor_stopped" }, { fleet[1]:status() })
    assert.same({ nil, "actor_stopped" }, { fleet[1]:move_to{ 1, 1, 1 } })
    assert.equal(0, swarm:count())
    local st = swarm:stats()
    assert.equal(0, st.drones)
    assert.equal(0, st.online)
    assert.equal(0, st.restarts)
  end)

  it("refuses new work afterwards and answers what it can", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:shutdown{}
    assert.same({ nil, "actor_stopped" }, { d:move_to{ 1, 1, 1 } })
    assert.same({ nil, "actor_stopped" }, { d:fail("gps") })
    assert.has_error(function() swarm:spawn_drone{} end, "swarm:spawn_drone: the swarm has shut down")
    assert.has_error(function() swarm:create_mission{} end, "swarm:create_mission: the swarm has shut down")
    local st = swarm:stats()
    assert.equal(0, st.drones)
    assert.equal(0, st.active_missions)
    swarm:shutdown{} -- twice is harmless
    swarm:run_for(1) -- time still passes; nothing happens
    assert.equal(1, swarm:now())
  end)

  it("rejects a bad timeout", function()
    local swarm = starling.swarm{}
    assert.has_error(function() swarm:shutdown{ timeout = -1 } end,
      "swarm:shutdown: option 'timeout' must be a number of seconds >= 0 (got -1)")
    assert.has_error(function() swarm:shutdown{ timout = 1 } end,
      "swarm:shutdown: unknown option 'timout'")
  end)
end)
