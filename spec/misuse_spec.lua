-- Misuse of the Lua API (API.md: "misuse raises a Lua error whose message
-- names the bad argument ... a typo in a mission script must never be
-- silently ignored").  Each case names the function, the argument (an
-- option, a field, or the argument's position as Lua numbers it) and the
-- rule it broke, with what it got; nothing is accepted that would fail
-- later somewhere else, or never act.
local starling = require "starling"
local support = require "support"

local nan, inf = 0 / 0, math.huge

-- A swarm of three idle drones.
local function fleet()
  local swarm = starling.swarm{}
  local ds = swarm:spawn_fleet(3)
  swarm:run_for(0.5)
  return swarm, ds
end

-- The error a task raised (functions that wait run in one).
local function task_error(swarm, fn)
  local task = swarm:spawn(fn)
  support.finish(swarm, task, 10)
  assert.equal("failed", task.status)
  return (task.error:gsub("^.-:%d+: ", "", 1))
end

describe("misuse of the swarm (API.md section 1)", function()
  it("periods below the clock's 1 µs resolution are refused, not turned into 0", function()
    assert.has_error(function() starling.swarm{ tick = 1e-7 } end,
      "starling.swarm: option 'tick' must be in (0, 86400] seconds (got 1e-07, below the clock's 1 µs resolution)")
    assert.has_error(function() starling.swarm{ telemetry_interval = 4e-7 } end,
      "starling.swarm: option 'telemetry_interval' must be in (0, 86400] seconds "
      .. "(got 4e-07, below the clock's 1 µs resolution)")
    assert.has_error(function() starling.swarm{ health_check = nan } end,
      "starling.swarm: option 'health_check' must be in (0, 86400] seconds (got nan)")
    assert.has_error(function() starling.swarm{ offline_after = inf } end,
      "starling.swarm: option 'offline_after' must be in (0, 86400] seconds (got inf)")
    local swarm = starling.swarm{ tick = 1e-6 } -- exactly the resolution works
    local d = swarm:spawn_drone{}
    swarm:run_for(1e-5)
    assert.equal("idle", d:state())
  end)

  it("every's period below 1 µs says so; 0 says it must be > 0", function()
    local swarm = starling.swarm{}
    assert.has_error(function() swarm:every(1e-7, function() end) end,
      "bad argument #1 to 'every' (period 1e-07 s is below the clock's 1 µs resolution)")
    assert.has_error(function() swarm:every(0, function() end) end,
      "bad argument #1 to 'every' (period must be > 0, got 0)")
  end)

  it("a duration blames the argument in the position the caller wrote it", function()
    local swarm = starling.swarm{}
    assert.has_error(function() swarm:run_for(-1) end,
      "bad argument #1 to 'run_for' (seconds must be a finite number >= 0, got -1)")
    assert.has_error(function() swarm:run_for(nan) end,
      "bad argument #1 to 'run_for' (seconds must be a finite number >= 0, got nan)")
    assert.has_error(function() swarm:run_for("soon") end,
      "bad argument #1 to 'run_for' (number expected, got string)")
    assert.has_error(function() swarm:run_for(1e13) end,
      "bad argument #1 to 'run_for' (seconds must be at most 1e12, got 10000000000000)")
    assert.has_error(function() swarm:run_until(function() return true end) end,
      "bad argument #2 to 'run_until' (number expected, got no value)")
    assert.has_error(function() swarm:after(-0.5, function() end) end,
      "bad argument #1 to 'after' (seconds must be a finite number >= 0, got -0.5)")
    -- called as a plain function, the swarm is argument #1
    assert.has_error(function() swarm.run_for(swarm, -1) end,
      "bad argument #2 to 'run_for' (seconds must be a finite number >= 0, got -1)")
    assert.equal("bad argument #1 to 'sleep' (seconds must be a finite number >= 0, got -2)",
      task_error(swarm, function() swarm:sleep(-2) end))
    local other = swarm:spawn(function() swarm:sleep(1) end)
    assert.equal("bad argument #1 to 'wait' (seconds must be a finite number >= 0, got inf)",
      task_error(swarm, function() other:wait(inf) end))
  end)

  it("shutdown's timeout is checked like any duration", function()
    local swarm = starling.swarm{}
    assert.has_error(function() swarm:shutdown{ timeout = 1e300 } end,
      "swarm:shutdown: option 'timeout' must be a number of seconds in [0, 1e12] (got 1e+300)")
    assert.has_error(function() swarm:shutdown{ timeout = -1 } end,
      "swarm:shutdown: option 'timeout' must be a number of seconds >= 0 (got -1)")
    assert.has_error(function() swarm:shutdown{ timeout = "3" } end,
      "swarm:shutdown: option 'timeout' must be a number of seconds >= 0 (got string)")
  end)
end)

describe("misuse of drones (API.md section 2)", function()
  it("swarm:drones refuses an unknown state, field or value type, with no drone too", function()
    local swarm, ds = fleet()
    assert.has_error(function() swarm:drones{ state = "idel" } end,
      "swarm:drones: filter field 'state' must be one of 'initializing', 'idle', 'moving', "
      .. "'patrolling', 'returning', 'charging', 'emergency' (got 'idel')")
    assert.has_error(function() swarm:drones{ state = 5 } end,
      "swarm:drones: filter field 'state' must be a string (got number)")
    assert.has_error(function() swarm:drones{ battery = "50" } end,
      "swarm:drones: filter field 'battery' must be a number (got string)")
    assert.has_error(function() swarm:drones{ id = 1.5 } end,
      "swarm:drones: filter field 'id' must be an integer (got 1.5)")
    assert.has_error(function() swarm:drones{ mission = true } end,
      "swarm:drones: filter field 'mission' must be a string (got boolean)")
    assert.has_error(function() starling.swarm{}:drones{ stat = "idle" } end,
      "swarm:drones: unknown filter field 'stat' (id, state, reason, battery or mission)")
    -- what is right still works
    assert.equal(3, #swarm:drones{ state = "idle" })
    assert.same({ ds[2] }, swarm:drones{ id = 1, battery = 100, reason = "initialized" })
  end)

  it("a position names the option it came in, and must be finite and within 1e9 m", function()
    local swarm, ds = fleet()
    assert.has_error(function() swarm:spawn_drone{ base = { 0, nan } } end,
      "swarm:spawn_drone: option 'base' y must be a finite number (got nan)")
    assert.has_error(function() swarm:spawn_fleet(2, { origin = { inf, 0 } }) end,
      "swarm:spawn_fleet: option 'origin' x must be a finite number (got inf)")
    assert.has_error(function() swarm:spawn_drone{ base = "home" } end,
      "swarm:spawn_drone: option 'base' must be a table {x=, y=, z=} or {x, y, z} (got string)")
    assert.has_error(function() ds[1]:move_to{ 1e300, 0, 0 } end,
      "drone:move_to: position x must be within ±1e9 m (got 1e+300)")
    assert.has_error(function() ds[1]:move_to{ 0, 0, -2e9 } end,
      "drone:move_to: position z must be within ±1e9 m (got -2000000000)")
    assert.has_error(function() ds[1]:move_to{ nan, 0 } end,
      "drone:move_to: position x must be a finite number (got nan)")
    assert.has_error(function() ds[1]:move_to{ "1", 0 } end,
      "drone:move_to: position needs a number x (got string)")
    assert.equal(3, swarm:count()) -- no drone was spawned by the bad calls
    swarm:run_for(0.1)
    assert.equal("idle", ds[1]:state()) -- nor was any command sent
    assert.is_true(ds[1]:move_to{ 1e9, -1e9, 0 }) -- the bound itself is a position
  end)

  it("an area's fields are checked where a drone or a mission takes one", function()
    local swarm, ds = fleet()
    assert.has_error(function() ds[1]:patrol{ min = { 0, 0 }, maks = { 10, 10 } } end,
      "drone:patrol: unknown area field 'maks' (min, max, altitude)")
    assert.has_error(function() ds[1]:patrol{ min = { 0, 0 }, max = { nan, 1 } } end,
      "drone:patrol: area max x must be a finite number (got nan)")
    assert.has_error(function() ds[1]:patrol{ altitude = inf } end,
      "drone:patrol: area altitude must be a finite number (got inf)")
    assert.has_error(function() ds[1]:patrol(5) end,
      "drone:patrol: area must be a table {min=, max=, altitude=} (got number)")
    assert.has_error(function() swarm:create_mission{ area = { min = { 0, 0 }, maxx = { 1, 1 } } } end,
      "swarm:create_mission: unknown area field 'maxx' (min, max, altitude)")
    assert.has_error(function() starling.swarm{ targets = { count = 2, area = { min = { nan, 0 } } } } end,
      "starling.swarm: option 'targets': area min x must be a finite number (got nan)")
    assert.same({}, swarm:missions())
    swarm:run_for(0.1)
    assert.equal("idle", ds[1]:state())
  end)
end)

describe("misuse of areas (API.md section 3)", function()
  it("starling.area refuses what is not finite or out of range", function()
    assert.has_error(function() starling.area{ min = { nan, 0 } } end,
      "starling.area: option 'min' x must be a finite number (got nan)")
    assert.has_error(function() starling.area{ max = { 10, inf } } end,
      "starling.area: option 'max' y must be a finite number (got inf)")
    assert.has_error(function() starling.area{ max = { 1e10, 10 } } end,
      "starling.area: option 'max' x must be within ±1e9 m (got 10000000000)")
    assert.has_error(function() starling.area{ altitude = nan } end,
      "starling.area: option 'altitude' must be a finite number (got nan)")
    assert.has_error(function() starling.area{ altitude = "high" } end,
      "starling.area: option 'altitude' must be a finite number (got string)")
  end)

  it("contains and waypoints check their argument", function()
    local a = starling.area()
    assert.has_error(function() a:contains() end,
      "area:contains: a position must be a table {x=, y=, z=} or {x, y, z} (got nil)")
    assert.has_error(function() a:contains{ "a", 1 } end,
      "area:contains: position needs a number x (got string)")
    assert.has_error(function() a:waypoints("x") end,
      "area:waypoints: spacing must be a number > 0 (got string)")
    assert.has_error(function() a:waypoints(nan) end,
      "area:waypoints: spacing must be a number > 0 (got nan)")
    assert.is_true(a:contains{ 50, 50 })
  end)
end)

describe("misuse of missions and targets (API.md sections 4 and 5)", function()
  it("create_mission names 'deadline', not an argument number", function()
    local swarm = fleet()
    assert.has_error(function() swarm:create_mission{ deadline = -5 } end,
      "swarm:create_mission: option 'deadline' must be a number of seconds >= 0 (got -5)")
    assert.has_error(function() swarm:create_mission{ deadline = "soon" } end,
      "swarm:create_mission: option 'deadline' must be a number of seconds >= 0 (got string)")
    assert.has_error(function() swarm:create_mission{ deadline = inf } end,
      "swarm:create_mission: option 'deadline' must be a number of seconds in [0, 1e12] (got inf)")
    assert.same({}, swarm:missions())
  end)

  it("add_target names the option whose position is bad", function()
    local swarm = fleet()
    assert.has_error(function() swarm:add_target{ position = { 1, 2, 3 }, velocity = { nan, 0, 0 } } end,
      "swarm:add_target: option 'velocity' x must be a finite number (got nan)")
    assert.has_error(function() swarm:add_target{ position = { 1, inf } } end,
      "swarm:add_target: option 'position' y must be a finite number (got inf)")
    assert.has_error(function() swarm:add_target{ position = { 1, 2 }, velocity = { 1e10, 0 } } end,
      "swarm:add_target: option 'velocity' x must be within ±1e9 m (got 10000000000)")
    assert.has_error(function() swarm:add_target{ position = { 1, 2 }, threat = 5 } end,
      "swarm:add_target: option 'threat' must be a string (got number)")
  end)
end)

describe("misuse of teams and formations (API.md section 7)", function()
  it("a formation too large to fly names the option", function()
    local swarm = fleet()
    local team = assert(swarm:team(3))
    assert.has_error(function() team:formation("circle", { center = { 0, 0, 10 }, radius = 1e308 }) end,
      "team:formation: option 'radius' must be at most 1e9 m (got 1e+308)")
    assert.has_error(function() team:formation("line", { center = { 0, 0, 10 }, spacing = inf }) end,
      "team:formation: option 'spacing' must be a positive number (got inf)")
    assert.has_error(function() team:formation("grid", { center = { 0, 0, 10 }, cols = inf }) end,
      "team:formation: option 'cols' must be a positive integer (got inf)")
    assert.has_error(function() team:formation("line", { center = { 2e9, 0, 10 } }) end,
      "team:formation: option 'center' must be within ±1e9 m (got 2000000000, 0, 10)")
    assert.has_error(function() team:formation("line", { center = { -1, 0, 10 }, spacing = 1e9 }) end,
      "team:formation: the line's slot 1 is out of range (center and options too large)")
    assert.has_error(function() swarm:team(1, { near = { nan, 0 } }) end,
      "swarm:team: option 'near' x must be a finite number (got nan)")
    local f = team:formation("circle", { center = { 0, 0, 10 }, radius = 1e6 })
    assert.equal(3, #f:slots())
  end)

  it("formation.slots caps the number of slots", function()
    assert.has_error(function() starling.formation.slots("line", 1 << 40, { center = { 0, 0 } }) end,
      "formation.slots: the number of slots must be a positive integer up to 1000000 (got 1099511627776)")
  end)
end)

describe("misuse of streams (API.md section 8)", function()
  it("durations and counts are checked when the operator is made, not when it runs", function()
    local swarm = starling.swarm{}
    local s = swarm:telemetry()
    assert.has_error(function() s:window(1e-7) end,
      "bad argument #1 to 'window' (positive number of seconds expected, got 1e-07, below the clock's 1 µs resolution)")
    assert.has_error(function() s:throttle(1e13) end,
      "bad argument #1 to 'throttle' (positive number of seconds expected, got 10000000000000, more than 1e12)")
    assert.has_error(function() s:window(1, 1 << 32) end,
      "bad argument #2 to 'window' (positive integer up to 16777216 expected, got 4294967296)")
    assert.has_error(function() s:each(function() end, { capacity = 1 << 40 }) end,
      "each: option 'capacity' must be an integer in 1..16777216 (got 1099511627776)")
    assert.has_error(function() s:each(function() end, { capacty = 4 }) end,
      "each: unknown option 'capacty'")
    assert.has_error(function() s:each(function() end, 4) end,
      "each: options must be a table (got number)")
    assert.equal("bad argument #1 to 'collect' (positive integer up to 16777216 expected, got 1099511627776)",
      task_error(swarm, function() s:collect(1 << 40) end))
  end)
end)

describe("misuse of actors, channels and supervisors (API.md section 9)", function()
  it("ask and recv blame their timeout as the caller numbers it", function()
    local swarm = starling.swarm{}
    local a = swarm:actor(function() return 1 end)
    assert.equal("bad argument #2 to 'ask' (seconds must be a finite number >= 0, got -1)",
      task_error(swarm, function() a:ask("hi", -1) end))
    local ch = swarm:channel{}
    assert.equal("bad argument #1 to 'recv' (seconds must be a finite number >= 0, got nan)",
      task_error(swarm, function() ch:recv(nan) end))
  end)

  it("a NaN where an integer is wanted shows as nan", function()
    local swarm = starling.swarm{}
    assert.has_error(function() swarm:channel{ capacity = nan } end,
      "swarm:channel: option 'capacity' must be an integer (got nan)")
    assert.has_error(function() starling.swarm{ seed = nan } end,
      "starling.swarm: option 'seed' must be an integer (got nan)")
  end)

  it("a supervisor's period and a child's shutdown are durations", function()
    local swarm = starling.swarm{}
    local function start() return swarm:actor(function() end) end
    assert.has_error(function() swarm:supervise{ period = inf, children = {} } end,
      "swarm:supervise: option 'period' must be a number of seconds in (0, 1e12] (got inf)")
    assert.has_error(function() swarm:supervise{ period = 1e-9, children = {} } end,
      "swarm:supervise: option 'period' must be a number of seconds in (0, 1e12] "
      .. "(got 1e-09, below the clock's 1 µs resolution)")
    assert.has_error(function()
      swarm:supervise{ children = { { name = "a", start = start, shutdown = 1e300 } } }
    end, "swarm:supervise child: option 'shutdown' must be a number of seconds in (0, 1e12] (got 1e+300)")
  end)
end)
