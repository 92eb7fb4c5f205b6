-- missions/search_grid.lua on a virtual swarm: who flies which strip, the
-- exact instant the area is reported covered, what the drones actually flew
-- (from telemetry), where they end up, and the ways the mission refuses to
-- run.
--
-- Timing rules (API.md section 2, defaults): speed 10 m/s and tick 0.1 s, so
-- 1 m per tick; after a step a drone closer than 1.0 m to its target is set
-- exactly onto it.  A leg of L m therefore takes floor(L) ticks (L = 40: 39
-- steps leave exactly 1.0 m, the 40th lands; L = 31.6: 31 steps leave 0.6 m
-- and land).  A command sent at t takes its first step at t + 0.1, and the
-- mission sends the next waypoint in the tick of arrival, so the legs of a
-- strip follow each other with no idle tick.
local starling = require "starling"
local support = require "support"

local MISSION = "missions/search_grid.lua"

-- Five drones, bases in this order: x = 130, 0, 70, 100, -60 (y = 0).
-- With the defaults the area (0,0)-(160,120) is cut into four strips 40 m
-- wide, centres (20,60) (60,60) (100,60) (140,60); each strip takes the
-- free drone nearest its centre, strip 1 first: drone 1 (x = 0, 63.2 m),
-- then drone 2 (x = 70, 60.8 m), drone 3 (x = 100, 60 m), drone 0 (x = 130,
-- 60.8 m).  Drone 4 (x = -60), second nearest the origin but 100 m from
-- the nearest strip centre, is never needed.
local BASES = { 130, 0, 70, 100, -60 }

local function fleet()
  local swarm = starling.swarm{}
  for _, x in ipairs(BASES) do swarm:spawn_drone{ base = { x, 0, 0 } } end
  swarm:run_for(0.1) -- idle from here
  return swarm
end

local result = support.results

describe("missions/search_grid.lua", function()
  it("loads with its parameters", function()
    local m = starling.load_mission(MISSION)
    assert.equal("search_grid", m.name)
    assert.same({ "altitude", "drones", "max_x", "max_y", "min_x", "min_y", "quiet", "spacing" }, m:param_names())
  end)

  it("one strip per drone, the nearest; the area is covered at 38.4, every metre flown", function()
    local swarm = fleet()
    local samples, states = {}, {}
    swarm:telemetry():each(function(s) samples[#samples + 1] = s end)
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.drone, ev.state, ev.t } end)

    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true })
    support.finish(swarm, task, 100)
    assert.equal("done", task.status)
    -- Each strip is a lawnmower of 6 rows (y = 10, 30, ..., 110) 40 m long
    -- joined by 5 turns of 20 m: 340 ticks from its first waypoint
    -- (x_min, 10, 30).  Getting there from the base (x, 0, 0):
    --   drone 1: (0,0,0)   -> (0,10,30)   sqrt(1000) = 31.6 m: 31 ticks, 371 in all: 0.1 + 37.1 = 37.2
    --   drone 2: (70,0,0)  -> (40,10,30)  sqrt(1900) = 43.6 m: 43 ticks, 383 in all: 38.4
    --   drone 3: (100,0,0) -> (80,10,30)  sqrt(1400) = 37.4 m: 37 ticks, 377 in all: 37.8
    --   drone 0: (130,0,0) -> (120,10,30) sqrt(1100) = 33.2 m: 33 ticks, 373 in all: 37.4
    -- The area is covered when the last strip is: drone 2's, at 38.4.
    assert.equal(38.4, swarm:now())
    -- At the report every drone is at the end of its strip (the last row,
    -- k = 5, runs back to x_min at y = 110), just sent home: the command was
    -- handled within the tick, the first step home comes at 38.5.
    for strip, id in ipairs{ 1, 2, 3, 0 } do
      local st = swarm:drone(id):status()
      assert.equal("returning", st.state)
      assert.same({ x = (strip - 1) * 40, y = 110, z = 30 }, st.position)
    end
    local report = result(swarm, task)
    assert.same({
      covered = true,
      t = 38.4,
      strips = { { drone = 1, t = 37.2 }, { drone = 2, t = 38.4 }, { drone = 3, t = 37.8 }, { drone = 0, t = 37.4 } },
    }, report)

    -- What telemetry saw: each drone flew every metre of every row of its
    -- strip at 30 m, before the report; nobody else flew over it.
    local owner = { [1] = 1, [2] = 2, [3] = 3, [0] = 4 }
    local seen = {}
    for _, s in ipairs(samples) do
      local p = s.position
      if s.t <= 38.4 and p.z == 30 and (p.y - 10) % 20 == 0 and p.x == math.floor(p.x) then
        local strip = owner[s.drone]
        assert.is_truthy(strip, "drone " .. s.drone .. " flew at survey altitude")
        assert.is_true(p.x >= (strip - 1) * 40 and p.x <= strip * 40 and p.y >= 10 and p.y <= 110)
        seen[("%d,%d"):format(p.x, p.y)] = true
      end
    end
    for y = 10, 110, 20 do
      for x = 0, 160 do assert.is_true(seen[("%d,%d"):format(x, y)], ("(%d, %d) was flown over"):format(x, y)) end
    end

    -- Home: sent at 38.4, the first step at 38.5.
    --   drone 1: (0,110,30)   -> (0,0,0)   sqrt(13000) = 114.0 m: 114 ticks, charging at 49.8
    --   drone 2: (40,110,30)  -> (70,0,0)  sqrt(13900) = 117.9 m: 117 ticks, 50.1
    --   drone 3: (80,110,30)  -> (100,0,0) sqrt(13400) = 115.8 m: 115 ticks, 49.9
    --   drone 0: (120,110,30) -> (130,0,0) sqrt(13100) = 114.5 m: 114 ticks, 49.8
    swarm:run_for(20)
    local home = {}
    for _, s in ipairs(states) do
      if s[2] == "returning" or s[2] == "charging" then home[#home + 1] = s end
    end
    assert.same({
      { 1, "returning", 38.4 }, { 2, "returning", 38.4 }, { 3, "returning", 38.4 }, { 0, "returning", 38.4 },
      { 0, "charging", 49.8 }, { 1, "charging", 49.8 }, { 3, "charging", 49.9 }, { 2, "charging", 50.1 },
    }, home)
    for id, x in pairs{ [0] = 130, 0, 70, 100, -60 } do
      assert.same({ x = x, y = 0, z = 0 }, swarm:drone(id):position())
    end
    -- drone 4 never left its base, never changed state
    for _, s in ipairs(states) do assert.is_not.equal(4, s[1]) end
    assert.equal("idle", swarm:drone(4):state())

    -- The teams were released: once charged, all five are free for a team
    -- (nearest the origin first) and for missions.
    swarm:run_for(30)
    assert.same({ 1, 4, 2, 3, 0 }, swarm:team(5):ids())
  end)

  it("takes its params: two strips of a 100 x 80 area, rows 40 m apart at 20 m", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(2, { origin = { 20, -5, 0 } }) -- bases (20,-5,0), (70,-5,0)
    swarm:run_for(0.1)
    local task = swarm:run_mission(starling.load_mission(MISSION),
      { max_x = 100, max_y = 80, drones = 2, spacing = 40, altitude = 20, quiet = true })
    -- Strips (0,0)-(50,80) and (50,0)-(100,80), rows y = 20 and 60: waypoints
    -- (x0,20,20) (x0+50,20,20) (x0+50,60,20) (x0,60,20), 140 m.  The way up,
    -- (20,-5,0) -> (0,20,20), is sqrt(1425) = 37.7 m: 37 ticks; 177 in all.
    -- The second strip is the first moved 50 m along x, and so is drone 1.
    support.finish(swarm, task, 100)
    assert.same({ covered = true, t = 17.8, strips = { { drone = 0, t = 17.8 }, { drone = 1, t = 17.8 } } },
      (result(swarm, task)))
    swarm:run_for(30)
    assert.same({ x = 20, y = -5, z = 0 }, swarm:drone(0):position())
    assert.same({ x = 70, y = -5, z = 0 }, swarm:drone(1):position())
  end)

  it("logs who flew which strip, when, and the coverage", function()
    local swarm = fleet()
    local lines = {}
    local real_print = _G.print
    _G.print = function(s) lines[#lines + 1] = s end
    local ok, err = pcall(function()
      local task = swarm:run_mission(starling.load_mission(MISSION))
      support.finish(swarm, task, 100)
    end)
    _G.print = real_print
    assert(ok, err)
    assert.same({
      "T+037.200  strip 1 (x 0 to 40) flown by drone 1",
      "T+037.400  strip 4 (x 120 to 160) flown by drone 0",
      "T+037.800  strip 3 (x 80 to 120) flown by drone 3",
      "T+038.400  strip 2 (x 40 to 80) flown by drone 2",
      "T+038.400  the whole area is covered; 4 drones sent home",
    }, lines)
  end)

  it("rejects unknown and mistyped params before anything flies", function()
    local swarm = fleet()
    local m = starling.load_mission(MISSION)
    assert.has_error(function() swarm:run_mission(m, { drone = 3 }) end,
      "run_mission: mission 'search_grid' has no parameter 'drone' "
      .. "(parameters: altitude, drones, max_x, max_y, min_x, min_y, quiet, spacing)")
    assert.has_error(function() swarm:run_mission(m, { spacing = "wide" }) end,
      "run_mission: parameter 'spacing' of mission 'search_grid' must be a number (got string)")
    swarm:run_for(5)
    for _, d in ipairs(swarm:drones()) do assert.equal("idle", d:state()) end
  end)

  it("fails clearly with zero strips or too few drones, and keeps no drone", function()
    local swarm = fleet()
    local m = starling.load_mission(MISSION)
    local zero = swarm:run_mission(m, { drones = 0 })
    local half = swarm:run_mission(m, { drones = 2.5 })
    local six = swarm:run_mission(m, { drones = 6 }) -- five drones
    swarm:run_for(1)
    assert.equal("failed", zero.status)
    assert.matches("search_grid: drones must be a whole number, at least 1 (got 0)", zero.error, 1, true)
    assert.equal("failed", half.status)
    assert.matches("search_grid: drones must be a whole number, at least 1 (got 2.5)", half.error, 1, true)
    assert.equal("failed", six.status)
    assert.matches("search_grid: no drone for strip 6 of 6: not_enough_drones", six.error, 1, true)
    assert.equal(3, swarm:stats().handler_errors)
    -- the five drones it had reserved were released and none was sent anywhere
    for id, x in pairs{ [0] = 130, 0, 70, 100, -60 } do
      assert.equal("idle", swarm:drone(id):state())
      assert.same({ x = x, y = 0, z = 0 }, swarm:drone(id):position())
    end
    assert.equal(5, swarm:team(5):size())
  end)
  it("a drone sent home to charge resumes its strip at the waypoint it was heading for", function()
    local swarm = starling.swarm{}
    -- v1 needed an early critical level (45 %) so that the way home never
    -- ran the battery dry.  The energy rule of API.md's amendments turns it
    -- home when its battery is the flight home plus critical_battery, so
    -- the defaults do (and 45 % would now keep it from ever reaching the
    -- far rows: turning with the flight home plus 45 %, it gets only 275 m
    -- out, and the last rows are 390 m away).
    swarm:spawn_drone{ base = { 0, 0, 0 } }
    swarm:run_for(0.1)
    local arrivals, states, turns = {}, {}, {}
    swarm:on("drone_state", function(ev)
      states[#states + 1] = ev.state .. ":" .. ev.reason
      if ev.reason == "low_battery" then turns[#turns + 1] = ev.t end
      if ev.state == "idle" and ev.reason == "arrived" then
        local p = swarm:drone(0):position()
        arrivals[#arrivals + 1] = { p.x, p.y, p.z }
      end
    end)
    -- one strip 100 x 400, rows 20 m apart: 20 rows, 2,380 m, to fly in
    -- sorties from the base at the origin
    local task = swarm:run_mission(starling.load_mission(MISSION),
      { quiet = true, max_x = 100, max_y = 400, drones = 1 })
    support.finish(swarm, task, 1000)
    assert.equal("done", task.status)
    local want = {}
    for _, wp in ipairs(starling.area{ min = { 0, 0 }, max = { 100, 400 }, altitude = 30 }:waypoints(20)) do
      want[#want + 1] = { wp.x, wp.y, wp.z }
    end
    assert.same(want, arrivals) -- every waypoint, in order, none skipped
    local went_home = 0
    for _, st in ipairs(states) do
      if st == "returning:low_battery" then went_home = went_home + 1 end
    end
    -- Each sortie flies out to the waypoint it was heading for and turns
    -- when its battery is the flight home plus 15 %.  The first: airborne
    -- from the 0.2 tick, at 73.5 it has 26.6 % and would end this tick at
    -- (0, 113, 30), 116.9 m out, 116 ticks: 11.6 + 15 %, so it turns.  The
    -- others turn at 165.6, 261.6, 358.2, 457.0, 556.1 and 656.9, ever
    -- further out; each lands with 15.x % and charges for 17 s.
    assert.equal(7, went_home)
    assert.same({ 73.5, 165.6, 261.6, 358.2, 457.0, 556.1, 656.9 }, turns)
  end)

  it("a drone that goes down fails the search with its reason, and frees the others", function()
    local swarm = fleet()
    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true })
    swarm:run_for(5)
    swarm:drone(2):fail("gps")
    swarm:run_for(0.5)
    assert.equal("failed", task.status)
    assert.matches("search_grid: drone 2 is down (gps_failure)", task.error, 1, true)
    swarm:run_for(100)
    assert.equal(4, swarm:team({ 0, 1, 3, 4 }):size())
  end)

  it("cancelled, it stops every flight and frees the drones", function()
    local swarm = fleet()
    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true })
    swarm:run_for(5)
    task:cancel()
    swarm:run_for(20) -- each finishes the leg it was on, then hovers
    local at = {}
    for id = 0, 3 do at[id] = swarm:drone(id):position() end
    swarm:run_for(30)
    for id = 0, 3 do
      assert.equal("idle", swarm:drone(id):state())
      assert.same(at[id], swarm:drone(id):position()) -- no further leg
    end
    assert.equal(5, swarm:team(5):size())
  end)
end)
