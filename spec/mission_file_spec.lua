-- Missions as files (API.md section 10): starling.mission, load_mission and
-- swarm:run_mission, with every way a file or its params can be wrong.
local starling = require "starling"
local support = require "support"

local FIX = "spec/fixtures/"

local function swarm_of(n)
  local swarm = starling.swarm{}
  swarm:spawn_fleet(n)
  swarm:run_for(0.1)
  return swarm
end

describe("starling.mission", function()
  it("makes a mission from its four fields", function()
    local run = function() end
    local m = starling.mission{ name = "m", description = "d", params = { a = 1 }, run = run }
    assert.equal("m", m.name)
    assert.equal("d", m.description)
    assert.same({ a = 1 }, m.params)
    assert.equal(run, m.run)
    assert.equal("mission 'm'", tostring(m))
  end)

  it("rejects missing, unknown and mistyped fields", function()
    assert.has_error(function() starling.mission{ run = function() end } end,
      "starling.mission: field 'name' is required")
    assert.has_error(function() starling.mission{ name = "m" } end,
      "starling.mission: field 'run' is required: function(swarm, params)")
    assert.has_error(function() starling.mission{ name = "m", run = function() end, parms = {} } end,
      "starling.mission: unknown field 'parms' (fields: description, name, params, run)")
    assert.has_error(function() starling.mission{ name = 5, run = function() end } end,
      "starling.mission: field 'name' must be a string (got number)")
    assert.has_error(function() starling.mission{ name = "m", run = function() end, params = { opts = {} } } end,
      "starling.mission: parameter 'opts' must default to a number, a string or a boolean (got table)")
    assert.has_error(function() starling.mission("m") end,
      "starling.mission: bad argument #1 (table expected, got string)")
  end)
end)

describe("starling.load_mission", function()
  it("loads a file that returns a mission, in an environment of its own", function()
    local m = starling.load_mission(FIX .. "survey.lua")
    assert.equal("survey", m.name)
    assert.same({ drones = 2, x = 100, y = 0, altitude = 20, label = "survey" }, m.params)
    assert.is_nil(rawget(_G, "helper_global"))
  end)

  it("says what is wrong with a bad file", function()
    assert.has_error(function() starling.load_mission(FIX .. "missing.lua") end,
      "starling.load_mission: cannot open 'spec/fixtures/missing.lua': no such file or not readable")
    assert.has_error(function() starling.load_mission(FIX .. "not_a_mission.lua") end,
      "starling.load_mission: 'spec/fixtures/not_a_mission.lua' must return starling.mission{...} (it returned table)")
    assert.has_error(function() starling.load_mission(FIX .. "syntax_error.lua") end,
      "starling.load_mission: spec/fixtures/syntax_error.lua:1: unexpected symbol near '='")
    local ok, err = pcall(starling.load_mission, FIX .. "raises.lua")
    assert.is_false(ok)
    assert.matches("^starling.load_mission: 'spec/fixtures/raises.lua' raised while loading: "
      .. "spec/fixtures/raises.lua:1: the file itself failed", err)
    assert.has_error(function() starling.load_mission() end,
      "starling.load_mission: bad argument #1 (path expected, got nil)")
  end)
end)

describe("swarm:run_mission", function()
  it("runs the mission as a task with the defaults", function()
    local swarm = swarm_of(3)
    local task = swarm:run_mission(starling.load_mission(FIX .. "survey.lua"))
    assert.equal("running", task.status)
    swarm:run_for(20)
    assert.equal("done", task.status)
    -- drone 0 flies 102.0 m (arrives on the 101st step, at 10.2), drone 1 54.8 m
    assert.same({ "survey", 2, 10.2 }, { support.results(swarm, task) })
    assert.same({ x = 100, y = 0, z = 20 }, swarm:drone(0):position())
    assert.same({ x = 100, y = 10, z = 20 }, swarm:drone(1):position())
    assert.equal("idle", swarm:drone(2):state())
    assert.same({ x = 100, y = 0, z = 0 }, swarm:drone(2):position())
  end)

  it("merges params over the defaults", function()
    local swarm = swarm_of(3)
    local m = starling.load_mission(FIX .. "survey.lua")
    local task = swarm:run_mission(m, { drones = 3, x = 50, label = "north" })
    swarm:run_for(20)
    local results = { support.results(swarm, task) }
    assert.equal("north", results[1])
    assert.equal(3, results[2])
    assert.same({ x = 50, y = 20, z = 20 }, swarm:drone(2):position())
    assert.same({ drones = 2, x = 100, y = 0, altitude = 20, label = "survey" }, m.params) -- untouched
  end)

  it("rejects unknown and mistyped params before anything runs", function()
    local swarm = swarm_of(2)
    local m = starling.load_mission(FIX .. "survey.lua")
    assert.has_error(function() swarm:run_mission(m, { drone = 2 }) end,
      "run_mission: mission 'survey' has no parameter 'drone' (parameters: altitude, drones, label, x, y)")
    assert.has_error(function() swarm:run_mission(m, { drones = "two" }) end,
      "run_mission: parameter 'drones' of mission 'survey' must be a number (got string)")
    assert.has_error(function() swarm:run_mission({ name = "x" }) end,
      "bad argument #1 to 'run_mission' (mission expected, got table)")
    assert.has_error(function() swarm:run_mission(m, 3) end,
      "bad argument #2 to 'run_mission' (table of params expected, got number)")
    local none = starling.mission{ name = "none", run = function() end }
    assert.has_error(function() swarm:run_mission(none, { x = 1 }) end,
      "run_mission: mission 'none' has no parameter 'x' (it takes none)")
    swarm:run_for(1)
    assert.equal("idle", swarm:drone(0):state()) -- nothing was sent
    assert.same({ x = 0, y = 0, z = 0 }, swarm:drone(0):position())
  end)

  it("a mission that fails: status 'failed', the error kept, counted, the swarm flying", function()
    local swarm = swarm_of(2)
    swarm:drone(0):move_to{ 0, 100, 10 }
    local task = swarm:run_mission(starling.load_mission(FIX .. "failing.lua"))
    swarm:run_for(2)
    assert.equal("failed", task.status)
    assert.matches("spec/fixtures/failing.lua:6: lost the plot", task.error, 1, true)
    assert.equal(1, swarm:stats().handler_errors)
    swarm:run_for(10)
    assert.same({ x = 0, y = 100, z = 10 }, swarm:drone(0):position())
  end)

  it("can be cancelled", function()
    local swarm = swarm_of(2)
    local task = swarm:run_mission(starling.load_mission(FIX .. "survey.lua"))
    swarm:run_for(1)
    task:cancel()
    assert.equal("cancelled", task.status)
    swarm:run_for(20)
    assert.equal("cancelled", task.status)
  end)
end)
