-- Targets: detection, support, alert level (API.md section 5).  A drone
-- based at (0, 50, 0) patrolling the default area climbs to (0, 50, 30) by
-- 3.0 s and then flies along y = 50 at one metre a tick.
local starling = require "starling"

local function patroller(swarm, base)
  local d = swarm:spawn_drone{ base = base or { 0, 50, 0 } }
  d:patrol(starling.area())
  return d
end

local function events(swarm, types)
  local log = {}
  local want = {}
  for _, t in ipairs(types) do want[t] = true end
  swarm:on("*", function(ev) if want[ev.type] then log[#log + 1] = ev end end)
  return log
end

describe("targets", function()
  it("add_target gives integer ids from 0; unknown threats are errors", function()
    local swarm = starling.swarm{}
    assert.equal(0, swarm:add_target{ position = { 1, 2 } })
    assert.equal(1, swarm:add_target{ position = { x = 3, y = 4 }, threat = "critical" })
    assert.has_error(function() swarm:add_target{ position = { 1, 2 }, threat = "nuclear" } end,
      "swarm:add_target: unknown threat 'nuclear' (low, medium, high or critical)")
    assert.has_error(function() swarm:add_target{ threat = "low" } end,
      "swarm:add_target: 'position' is required")
    assert.has_error(function() swarm:add_target{ position = { 1, 2 }, colour = "red" } end,
      "swarm:add_target: unknown option 'colour'")
  end)

  it("a patrolling drone detects a target once it is within scan_radius", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    local log = events(swarm, { "target_detected" })
    swarm:add_target{ position = { 120, 50 } } -- medium by default
    swarm:run_for(9.9)
    assert.same({}, log)
    swarm:run_for(0.1) -- at x = 70 the target is exactly 50 m away
    assert.equal(1, #log)
    assert.same({ type = "target_detected", t = 10.0, drone = 0,
      target = { id = 0, position = { x = 120, y = 50, z = 0 }, threat = "medium" } }, log[1])
    assert.equal(1, swarm:stats().targets_detected)
  end)

  it("each target is reported once, by the first drone", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    patroller(swarm)
    local log = events(swarm, { "target_detected" })
    swarm:add_target{ position = { 120, 50 } }
    swarm:run_for(30)
    assert.equal(1, #log)
    assert.equal(0, log[1].drone)
  end)

  it("only patrolling drones scan", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ base = { 0, 50, 0 } }
    d:move_to{ 200, 50, 30 } -- right over it
    local log = events(swarm, { "target_detected" })
    swarm:add_target{ position = { 100, 50 } }
    swarm:run_for(30)
    assert.same({}, log)
  end)

  it("a moving target is seen where it is", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    local log = events(swarm, { "target_detected" })
    swarm:add_target{ position = { 300, 50 }, velocity = { -20, 0, 0 } }
    swarm:run_for(20)
    assert.equal(1, #log)
    assert.equal(9.4, log[1].t) -- target at 112, drone at 64: 48 m
    assert.same({ x = 112, y = 50, z = 0 }, log[1].target.position)
  end)

  it("high threats draw the nearest eligible other drone (auto_support)", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    swarm:spawn_drone{ base = { 500, 500, 0 } }
    local helper = swarm:spawn_drone{ base = { 120, 0, 0 } }
    local log = events(swarm, { "target_detected", "support_assigned" })
    swarm:add_target{ position = { 120, 50 }, threat = "high" }
    swarm:run_for(10)
    assert.equal(2, #log)
    assert.equal("support_assigned", log[2].type)
    assert.equal(2, log[2].drone)
    assert.equal(0, log[2].target.id)
    assert.equal(10.0, log[2].t)
    assert.equal("moving", helper:state())
    assert.equal("support", helper:status().reason)
    swarm:run_for(5.8) -- 58.3 m to (120, 50) at the detector's 30 m
    assert.same({ x = 120, y = 50, z = 30 }, helper:position())
    assert.equal("idle", helper:state())
  end)

  it("support goes only to a drone that can fly there and home holding low_battery", function()
    -- API.md's amendments (issue 10, item 15): from a base at (120, 0, 0)
    -- the support point (120, 50, 30) is 58.3 m away, 58 ticks each way at
    -- 1 m a tick, 116 ticks of 0.1 %: 11.6 %.  Above 41.6 % it may go.
    local swarm = starling.swarm{}
    patroller(swarm)
    swarm:spawn_drone{ base = { 120, 0, 0 }, battery = 41 } -- nearest, short
    local far = swarm:spawn_drone{ base = { 120, -40, 0 }, battery = 100 }
    local log = events(swarm, { "support_assigned" })
    swarm:add_target{ position = { 120, 50 }, threat = "high" }
    swarm:run_for(10)
    assert.equal(1, #log)
    assert.equal(far.id, log[1].drone)
    local swarm2 = starling.swarm{}
    patroller(swarm2)
    swarm2:spawn_drone{ base = { 120, 0, 0 }, battery = 42 }
    swarm2:spawn_drone{ base = { 120, -40, 0 }, battery = 100 }
    local log2 = events(swarm2, { "support_assigned" })
    swarm2:add_target{ position = { 120, 50 }, threat = "high" }
    swarm2:run_for(10)
    assert.equal(1, log2[1].drone) -- 42 % is enough: the nearest goes
  end)

  it("medium threats, or auto_support = false, get no support", function()
    for _, case in ipairs({ { {}, "medium" }, { { auto_support = false }, "critical" } }) do
      local swarm = starling.swarm(case[1])
      patroller(swarm)
      swarm:spawn_drone{ base = { 120, 0, 0 } }
      local log = events(swarm, { "support_assigned" })
      swarm:add_target{ position = { 120, 50 }, threat = case[2] }
      swarm:run_for(12)
      assert.same({}, log)
    end
  end)

  it("the alert level follows the worst detected threat", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    local levels = {}
    swarm:on("alert_level", function(ev) levels[#levels + 1] = { ev.level, ev.t } end)
    local low = swarm:add_target{ position = { 20, 50 }, threat = "low" }
    local med = swarm:add_target{ position = { 40, 50 }, threat = "medium" }
    local crit = swarm:add_target{ position = { 140, 50 }, threat = "critical" }
    swarm:run_for(15)
    swarm:remove_target(crit)
    swarm:remove_target(low)
    swarm:remove_target(med)
    swarm:run_for(0) -- handlers run when the swarm runs
    assert.same({ { "elevated", 0.1 }, { "critical", 12.0 }, { "elevated", 15.0 },
      { "normal", 15.0 } }, levels)
  end)

  it("the level holds while any target of its threat is left", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    local levels = {}
    swarm:on("alert_level", function(ev) levels[#levels + 1] = { ev.level, ev.t } end)
    local c1 = swarm:add_target{ position = { 20, 50 }, threat = "critical" }
    local c2 = swarm:add_target{ position = { 40, 50 }, threat = "critical" }
    local h = swarm:add_target{ position = { 60, 50 }, threat = "high" }
    local far = swarm:add_target{ position = { 900, 900 }, threat = "critical" }
    swarm:run_for(4)
    assert.equal(3, swarm:stats().targets_detected)
    swarm:remove_target(far) -- never detected: no change
    swarm:remove_target(c1)  -- c2 is still critical
    swarm:run_for(1)
    assert.same({ { "critical", 0.1 } }, levels)
    swarm:remove_target(c2)
    swarm:run_for(1)
    swarm:remove_target(h)
    swarm:run_for(0)
    assert.same({ { "critical", 0.1 }, { "high", 5.0 }, { "normal", 6.0 } }, levels)
  end)

  it("target_lost only for a detected target; removing twice is not_found", function()
    local swarm = starling.swarm{}
    patroller(swarm)
    local lost = events(swarm, { "target_lost" })
    local seen = swarm:add_target{ position = { 10, 50 } }
    local unseen = swarm:add_target{ position = { 900, 900 } }
    swarm:run_for(1)
    assert.is_true(swarm:remove_target(seen))
    assert.is_true(swarm:remove_target(unseen))
    swarm:run_for(0)
    assert.equal(1, #lost)
    assert.equal(seen, lost[1].target.id)
    assert.same({ nil, "not_found" }, { swarm:remove_target(seen) })
    assert.same({ nil, "not_found" }, { swarm:remove_target(99) })
  end)

  it("scatters random targets from the seeded generator", function()
    local swarm = starling.swarm{ targets = { count = 20, area = starling.area{ max = { 1000, 1000 } } } }
    assert.equal(20, swarm:add_target{ position = { 0, 0 } })
    assert.has_error(function() starling.swarm{ targets = { cout = 3 } } end,
      "starling.swarm: option 'targets': unknown option 'cout'")
  end)
end)
