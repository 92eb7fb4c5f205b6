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
end)
