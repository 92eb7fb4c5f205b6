-- Teams (API.md section 7): who is picked, what a team reserves, release,
-- return to base, members that stop, and bad input.
local starling = require "starling"

-- Six drones on bases (0,0) (50,0) ... (250,0), idle.
local function fleet6()
  local swarm = starling.swarm{}
  swarm:spawn_fleet(6)
  swarm:run_for(0.1)
  return swarm
end

describe("swarm:team", function()
  it("picks the n eligible drones nearest to near, nearest first, ties to the lowest id", function()
    local swarm = fleet6()
    local t = swarm:team(3, { near = { x = 120, y = 0 } }) -- 2: 20 m, 3: 30 m, 1: 70 m
    assert.same({ 2, 3, 1 }, t:ids())
    assert.equal(3, t:size())
    local u = swarm:team(2, { near = { x = 225, y = 10 } }) -- 4 and 5 at the same distance
    assert.same({ 4, 5 }, u:ids())
    assert.same({ 0 }, swarm:team(1):ids()) -- near defaults to the origin
  end)

  it("answers nil, 'not_enough_drones' and reserves nothing then", function()
    local swarm = fleet6()
    assert.same({ nil, "not_enough_drones" }, { swarm:team(7) })
    local t = swarm:team(4)
    assert.same({ 0, 1, 2, 3 }, t:ids())
    assert.same({ nil, "not_enough_drones" }, { swarm:team(3) })
    assert.same({ 4, 5 }, swarm:team(2):ids())
  end)

  it("is not offered drones that are still initializing, on a mission or offline", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(3)
    assert.same({ nil, "not_enough_drones" }, { swarm:team(1) }) -- before the first tick
    swarm:run_for(0.1)
    swarm:create_mission{} -- drone 1 is nearest the centre (50, 50)
    swarm:run_for(0.1)
    assert.same({ 0, 2 }, swarm:team(3 - 1):ids())
  end)

  it("takes listed drones, each of which must be free", function()
    local swarm = fleet6()
    local t = swarm:team({ 5, 1 })
    assert.same({ 5, 1 }, t:ids())
    assert.same({ nil, "not_enough_drones" }, { swarm:team({ 0, 1 }) }) -- 1 is taken
    assert.same({ 0, 2 }, swarm:team({ 0, 2 }):ids())                 -- 0 was not reserved
  end)

  it("reserves its drones: no mission goes to them until the team is released", function()
    local swarm = fleet6()
    local t = swarm:team(5, { near = { x = 0, y = 0 } }) -- all but drone 5
    local m1 = swarm:create_mission{}
    assert.equal(5, swarm:mission(m1).drone)
    assert.same({ nil, "no_drone_available" }, { swarm:create_mission{} })
    local m2 = swarm:create_mission{ queue = true }
    swarm:run_for(1)
    assert.equal("pending", swarm:mission(m2).status)
    assert.is_true(t:release())
    swarm:run_for(0.1)
    -- the pending mission goes to the freed drone nearest the centre (50, 50)
    assert.equal(1, swarm:mission(m2).drone)
    assert.has_error(function() t:ids() end, "team:ids: the team has been released")
    assert.has_error(function() t:formation("line", { center = { 0, 0, 10 } }) end,
      "team:formation: the team has been released")
  end)

  it("return_to_base sends every member home and ends the formation", function()
    local swarm = fleet6()
    local t = swarm:team(2)
    local f = t:formation("line", { center = { 25, 100, 20 }, spacing = 50 })
    local res
    swarm:spawn(function() res = { f:wait(100) } end)
    swarm:run_for(2)
    assert.is_true(t:return_to_base())
    swarm:run_for(0.1)
    assert.same({ nil, "cancelled" }, res)
    assert.equal("returning", swarm:drone(0):state())
    assert.equal("returning", swarm:drone(1):state())
    assert.same({ 0, 1 }, t:ids()) -- still a team
    swarm:run_for(60)
    assert.equal("idle", swarm:drone(0):state())
    assert.is_false(f:reached())
  end)

  it("a member that stopped leaves the team at the next formation", function()
    local swarm = fleet6()
    local t = swarm:team(3)
    swarm:drone(1):shutdown()
    swarm:run_for(0.1)
    local f = t:formation("line", { center = { 50, 50, 0 }, spacing = 50 })
    assert.same({ 0, 2 }, t:ids())
    assert.same({ [0] = 1, [2] = 2 }, f:assignment())
    assert.same({ { x = 25, y = 50, z = 0 }, { x = 75, y = 50, z = 0 } }, f:slots())
  end)

  it("rejects bad arguments with errors that name them", function()
    local swarm = fleet6()
    assert.has_error(function() swarm:team("three") end,
      "swarm:team: bad argument #1 (number of drones or list of ids expected, got string)")
    assert.has_error(function() swarm:team(2.5) end,
      "swarm:team: bad argument #1 (number of drones or list of ids expected, got float)")
    assert.has_error(function() swarm:team(0) end, "swarm:team: the team size must be at least 1 (got 0)")
    assert.has_error(function() swarm:team(2, { nearest = { 0, 0 } }) end, "swarm:team: unknown option 'nearest'")
    assert.has_error(function() swarm:team(2, { near = "base" }) end,
      "swarm:team: option 'near' must be a position {x=, y=[, z=]}")
    assert.has_error(function() swarm:team({ 1, 42 }) end, "swarm:team: no drone 42")
    assert.has_error(function() swarm:team({ 1, 1 }) end, "swarm:team: drone 1 is listed twice")
    assert.has_error(function() swarm:team({ 1, "2" }) end,
      "swarm:team: id 2 must be an integer drone id (got string)")
    assert.has_error(function() swarm:team({}) end, "swarm:team: the list of drone ids is empty")
    assert.has_error(function() swarm:team({ 1 }, { near = { 0, 0 } }) end,
      "swarm:team: option 'near' is for a team of n drones, not a list")
    local t = swarm:team(2)
    assert.has_error(function() t:formation("hex", { center = { 0, 0, 0 } }) end,
      "team:formation: unknown formation kind 'hex' (known: circle, grid, line, v)")
    assert.has_error(function() t:move({ 1, 1 }) end, "team:move: the team flies no formation")
    -- nothing was reserved by the failed calls: four drones are still free
    assert.same({ 2, 3, 4, 5 }, swarm:team(4):ids())
  end)
end)

describe("a team as a <close> variable", function()
  it("is released when the mission ends, fails or is cancelled", function()
    local swarm = fleet6()
    local function mission(how)
      return swarm:spawn(function()
        local team <close> = assert(swarm:team(2))
        team:formation("line", { center = { 25, 100, 20 }, spacing = 50 })
        if how == "fail" then error("lost", 0) end
        swarm:sleep(how == "cancel" and 100 or 1)
      end)
    end
    for _, how in ipairs{ "end", "fail", "cancel" } do
      local task = mission(how)
      swarm:run_for(2)
      if how == "cancel" then task:cancel() end
      assert.equal(({ ["end"] = "done", fail = "failed", cancel = "cancelled" })[how], task.status)
      -- the two drones are free again: listing them forms a new team
      local t = swarm:team({ 0, 1 })
      assert.same({ 0, 1 }, t:ids())
      t:release()
    end
  end)
end)
