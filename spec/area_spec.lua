-- Areas and their lawnmower path (API.md section 3): rows parallel to x at
-- y = min.y + spacing/2 + k*spacing while y <= max.y, two waypoints a row.
local starling = require "starling"

describe("area:waypoints", function()
  it("the lawnmower keeps a row that lands exactly on max.y", function()
    local wp = starling.area{ min = { 0, 0 }, max = { 100, 250 } }:waypoints()
    assert.equal(6, #wp)
    assert.same({ x = 0, y = 250, z = 30 }, wp[5])
    assert.same({ x = 100, y = 250, z = 30 }, wp[6])
  end)

  it("has at most 100000 rows; one more is an error that says so", function()
    -- spacing 1: rows at y = 0.5, 1.5, ... while y <= max.y
    local wp = starling.area{ min = { 0, 0 }, max = { 10, 99999.5 } }:waypoints(1)
    assert.equal(200000, #wp)
    assert.same({ x = 10, y = 99999.5, z = 30 }, wp[#wp - 1]) -- row 99999 runs back
    assert.same({ x = 0, y = 99999.5, z = 30 }, wp[#wp])
    local msg = "more than 100000 rows of waypoints at spacing 1; use a larger spacing or a smaller area"
    assert.has_error(function()
      starling.area{ min = { 0, 0 }, max = { 10, 100000.5 } }:waypoints(1)
    end, "area:waypoints: " .. msg)
    assert.has_error(function()
      starling.area{ min = { 0, 0 }, max = { 10, 150000 } }:waypoints(1)
    end, "area:waypoints: " .. msg)
  end)

  it("a patrol or a mission over too big an area is an error too", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5)
    local huge = starling.area{ min = { 0, 0 }, max = { 100, 1e9 } } -- 10 M rows of 100 m
    local msg = "more than 100000 rows of waypoints at spacing 100; use a larger spacing or a smaller area"
    assert.has_error(function() d:patrol(huge) end, "drone:patrol: " .. msg)
    assert.has_error(function() swarm:create_mission{ area = huge } end,
      "swarm:create_mission: " .. msg)
    assert.same({}, swarm:missions())
    swarm:run_for(0.1)
    assert.equal("idle", d:state()) -- nothing was sent
  end)
end)
