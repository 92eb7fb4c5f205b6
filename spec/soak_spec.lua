-- The chaos soak (bench/soak.lua; issue 10's "done means"), short: ten
-- minutes of chaos on 1,000 drones instead of `make bench`'s hour, then as
-- long as the missions need to end.  Every invariant must hold: each
-- mission ends completed, cancelled or failed; no drone that never had a
-- fault runs out of battery, or lands with critical_battery or less; a
-- drone whose link is down publishes no drone_state; no task fails.
local starling = require "starling"
local soak = dofile("bench/soak.lua")

describe("the chaos soak", function()
  for _, seed in ipairs{ 42, 7 } do
    it("ten minutes on 1,000 drones, seed " .. seed .. ": every invariant holds", function()
      local r = soak.run{ seed = seed, seconds = 600 }
      assert.same({}, r.violations)
      -- it was chaos: missions of every outcome, handovers, every fault
      assert.equal(600, r.created + r.refused)
      assert.equal(r.created, r.completed + r.cancelled + r.failed)
      assert.is_true(r.completed > 400 and r.cancelled > 0 and r.failed > 0)
      assert.is_true(r.handovers > 0 and r.supports > 0)
      assert.equal(100, r.faults) -- 10 % of the drones, each once
      assert.equal(0, r.stranded)
      local kinds = {}
      for _, kind in pairs(r.state.faulted) do kinds[kind] = (kinds[kind] or 0) + 1 end
      assert.is_true(kinds.comms > 0 and kinds.gps > 0 and kinds.crash > 0)
      assert.is_true(r.swarm:stats().restarts > 0) -- the crashes restarted
    end)
  end

  it("the same seed gives the same run", function()
    local a = soak.run{ seed = 5, seconds = 60, drones = 200 }
    local b = soak.run{ seed = 5, seconds = 60, drones = 200 }
    for _, k in ipairs{ "t", "created", "completed", "cancelled", "failed", "handovers", "supports", "faults" } do
      assert.equal(a[k], b[k], k)
    end
  end)

  it("its invariants catch what they are about", function()
    -- A swarm where each breaks: a mission no drone can take (still
    -- pending), a drone that never had a fault held in the air until it
    -- ran dry (an operator's emergency stop, which the soak would not do),
    -- and a task that fails.
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 1 }
    swarm:run_for(0.1)
    local id = swarm:create_mission{ queue = true } -- 1 %: not eligible
    d:move_to{ 0, 0, 5 }
    swarm:run_for(0.2)
    d:emergency_stop("operator")
    swarm:spawn(function() error("boom") end)
    swarm:run_for(5)
    local state = { faulted = {}, stranded = { { drone = 0, t = 1.0 } },
      low_landings = { { drone = 3, t = 2.5, battery = 15 } },
      unheard = { { drone = 4, t = 3.5, state = "charging" } } }
    local v = soak.check({}, swarm, state)
    assert.equal(6, #v)
    assert.equal(1, v[1]:find("missions_end: mission " .. id .. " still pending", 1, true))
    assert.matches("^no_stranding: drone 0, never faulted, ran out of battery at t=1", v[2])
    assert.matches("^no_stranding: drone 0, never faulted, has an empty battery at the end", v[3])
    assert.equal("above_critical: drone 3, never faulted, landed at t=2.5 with 15 %", v[4])
    assert.equal("silent_link: drone 4, its link down, published drone_state charging at t=3.5", v[5])
    assert.equal("no_errors: 1 handler errors", v[6])
    -- a faulted drone may run dry: that is not stranding
    state = { faulted = { [0] = "gps" }, stranded = {}, low_landings = {}, unheard = {} }
    assert.equal(2, #soak.check({}, swarm, state)) -- the mission and the error
  end)

  it("names an unknown option", function()
    assert.has_error(function() soak.run{ second = 10 } end, "soak: unknown option 'second'")
  end)
end)
