-- Determinism: the same seed and script give the same run, to the
-- timestamp (API.md sections 1 and 6).
local starling = require "starling"

-- A busy scenario: random targets, a fleet on missions and patrols, a
-- crash, a comms failure, faults and detections; the whole event log.
local function run(seed)
  local swarm = starling.swarm{
    seed = seed,
    targets = { count = 20, area = starling.area{ max = { 400, 400 } } },
    health_check = 1, offline_after = 3,
  }
  local log = {}
  swarm:on("*", function(ev)
    local target = ev.target and ("%d@%.6f,%.6f:%s"):format(ev.target.id,
      ev.target.position.x, ev.target.position.y, ev.target.threat) or ""
    log[#log + 1] = ("%.6f %s %s %s %s %s %s %s"):format(ev.t, ev.type,
      tostring(ev.drone), tostring(ev.mission), tostring(ev.state),
      tostring(ev.reason), tostring(ev.level), target)
  end)
  local fleet = swarm:spawn_fleet(12)
  swarm:run_for(0.5)
  for i = 1, 4 do
    swarm:create_mission{ area = starling.area{ min = { (i - 1) * 100, 0 }, max = { i * 100, 400 } }, laps = 0 }
  end
  fleet[9]:patrol(starling.area{ min = { 0, 200 }, max = { 400, 400 } })
  swarm:after(7, function() fleet[2]:fail("crash") end)
  swarm:after(9, function() fleet[3]:fail("comms") end)
  swarm:run_for(60)
  swarm:shutdown{}
  return log
end

describe("determinism", function()
  it("the same seed gives the same event sequence, to the microsecond", function()
    local a, b = run(7), run(7)
    assert.is_true(#a > 50)
    assert.same(a, b)
  end)

  it("a different seed gives a different run", function()
    assert.are_not.same(run(7), run(8))
  end)

  it("mission ids come from the seeded generator", function()
    local function ids(seed)
      local swarm = starling.swarm{ seed = seed }
      swarm:spawn_fleet(2)
      swarm:run_for(0.5)
      return { swarm:create_mission{}, swarm:create_mission{} }
    end
    assert.same(ids(3), ids(3))
    assert.are_not.same(ids(3), ids(4))
  end)
end)
