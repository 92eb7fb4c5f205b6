-- missions/formation_show.lua on a virtual swarm: the formations reached,
-- in order, to the tick; the drones left exactly in the v; the team
-- released; its log; and the ways the show fails.
--
-- Timing rules (API.md section 2, defaults): 1 m per tick of 0.1 s; after a
-- step a drone closer than 1.0 m to its slot is set exactly onto it, so a
-- leg of L m takes floor(L) ticks (none of the legs below is a whole number
-- of metres).  A formation is reached in the tick its slowest member lands;
-- the mission, woken in that tick, orders the next formation, which the
-- drones take up in the same tick, and their first step is the next tick.
local starling = require "starling"
local support = require "support"

local MISSION = "missions/formation_show.lua"
local CENTER = { x = 200, y = 150, z = 40 }

-- Ten drones on bases (0,0,0) (50,0,0) ... (450,0,0), idle from 0.1.  The
-- team is the eight nearest (200, 150): 4, 3 and 5, 2 and 6, 1 and 7, and of
-- 0 and 8 (both 250 m away) the lower id, 0.  Drones 8 and 9 stay home.
local function fleet(n)
  local swarm = starling.swarm{}
  swarm:spawn_fleet(n or 10)
  swarm:run_for(0.1)
  return swarm
end

local finish = support.finish

local result = support.results

describe("missions/formation_show.lua", function()
  it("loads with its parameters", function()
    local m = starling.load_mission(MISSION)
    assert.equal("formation_show", m.name)
    assert.same({ "altitude", "drones", "quiet", "radius", "spacing", "timeout", "x", "y" }, m:param_names())
  end)

  it("flies line, circle, grid, v; each reached once, to the tick, before the next", function()
    local swarm = fleet()
    local reached = {}
    swarm:on("formation_reached", function(ev) reached[#reached + 1] = { ev.formation, ev.t } end)
    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true })
    finish(swarm, task)
    assert.equal("done", task.status)
    -- line (spacing 15, x = 147.5 ... 252.5 at y = 150, z = 40): the longest
    --   leg is drone 0's, (0,0,0) -> (147.5,150,40), 214.1 m: 214 ticks from
    --   0.2, reached at 0.1 + 21.4 = 21.5
    -- circle (radius 42.5): the middle drones of the line, at x = 192.5 and
    --   207.5, take the top and bottom slots (200, 150 +- 42.5): 43.2 m, 43
    --   ticks: 25.8
    -- grid (3 x 3 less one, spacing 15): the centre slot is taken from the
    --   circle, 42.5 m away: 42 ticks: 30.0
    -- v (spacing 15, half-angle pi/4): the last slot on the left, 60 m down
    --   the arm at (157.6, 192.4), is 50.5 m from the grid slot (185, 150):
    --   50 ticks: 35.0
    assert.same({ { 0, 21.5 }, { 1, 25.8 }, { 2, 30.0 }, { 3, 35.0 } }, reached)
    assert.equal(35.0, swarm:now())
    local show = result(swarm, task)
    assert.same({
      { kind = "line", formation = 0, t = 21.5 },
      { kind = "circle", formation = 1, t = 25.8 },
      { kind = "grid", formation = 2, t = 30.0 },
      { kind = "v", formation = 3, t = 35.0 },
    }, show)

    -- The team hovers in the v: each slot held by exactly one of its drones.
    local team = { 0, 1, 2, 3, 4, 5, 6, 7 }
    local taken = {}
    for k, slot in ipairs(starling.formation.slots("v", 8, { center = CENTER, spacing = 15 })) do
      local holder
      for _, id in ipairs(team) do
        local p = swarm:drone(id):position()
        if math.abs(p.x - slot.x) <= 1e-9 and math.abs(p.y - slot.y) <= 1e-9 and p.z == slot.z then
          assert.is_nil(holder, "two drones in slot " .. k)
          holder = id
        end
      end
      assert.is_not_nil(holder, "nobody in slot " .. k)
      assert.is_nil(taken[holder])
      taken[holder] = k
    end
    for _, id in ipairs(team) do assert.equal("idle", swarm:drone(id):state()) end
    assert.same({ x = 400, y = 0, z = 0 }, swarm:drone(8):position())
    assert.same({ x = 450, y = 0, z = 0 }, swarm:drone(9):position())

    -- Released: the drones in the v are free again.  A mission over the
    -- show's centre goes to the drone at the tip of the v, right there.
    local id = assert(swarm:create_mission{ area = starling.area{ min = { 180, 130 }, max = { 220, 170 } } })
    local tip = swarm:mission(id).drone
    assert.equal(1, taken[tip])
    assert.same({ x = 200, y = 150, z = 40 }, swarm:drone(tip):position())
    swarm:run_for(0.1)
    assert.equal("patrolling", swarm:drone(tip):state())
    assert.equal(9, swarm:team(9):size()) -- everybody else: seven from the show, 8 and 9
  end)

  it("logs each step", function()
    local swarm = fleet()
    local lines = {}
    local real_print = _G.print
    _G.print = function(s) lines[#lines + 1] = s end
    local ok, err = pcall(function()
      local task = swarm:run_mission(starling.load_mission(MISSION))
      finish(swarm, task)
    end)
    _G.print = real_print
    assert(ok, err)
    assert.same({
      "T+000.100  team of 8 drones: 4 3 5 2 6 1 7 0",
      "T+021.500  line reached (formation 0)",
      "T+025.800  circle reached (formation 1)",
      "T+030.000  grid reached (formation 2)",
      "T+035.000  v reached (formation 3)",
    }, lines)
  end)

  it("with too few drones fails clearly and the swarm keeps flying", function()
    local swarm = fleet(5)
    swarm:drone(4):move_to{ 200, 100, 30 } -- (200,0,0) -> (200,100,30): 104.4 m, 104 ticks: 10.5
    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true })
    swarm:run_for(1)
    assert.equal("failed", task.status)
    assert.matches("formation_show: a team of 8 drones: not_enough_drones", task.error, 1, true)
    assert.equal(1, swarm:stats().handler_errors)
    assert.equal("moving", swarm:drone(4):state())
    swarm:run_for(9.3)
    assert.equal("moving", swarm:drone(4):state())
    swarm:run_for(0.1)
    assert.equal(10.5, swarm:now())
    assert.equal("idle", swarm:drone(4):state())
    assert.same({ x = 200, y = 100, z = 30 }, swarm:drone(4):position())
    assert.equal(5, swarm:team(5):size()) -- nothing was reserved
  end)

  it("a formation not reached in time ends the show and releases the team", function()
    local swarm = fleet()
    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true, timeout = 10 })
    finish(swarm, task)
    assert.equal(10.1, swarm:now()) -- the line needs until 21.5
    assert.equal("failed", task.status)
    assert.matches("formation_show: line not reached: timeout", task.error, 1, true)
    -- the drones fly on to the line, then all ten are free
    swarm:run_for(11.4)
    assert.equal(21.5, swarm:now())
    assert.same({ x = 147.5, y = 150, z = 40 }, swarm:drone(0):position())
    assert.equal(10, swarm:team(10):size())
  end)

  it("cancelled mid-show, it releases the team (a <close> variable)", function()
    local swarm = fleet()
    local task = swarm:run_mission(starling.load_mission(MISSION), { quiet = true })
    swarm:run_for(5)
    assert.same({ nil, "not_enough_drones" }, { swarm:team(3) }) -- eight reserved, two free
    task:cancel()
    assert.equal("cancelled", task.status)
    swarm:run_for(30) -- they finish flying to the line, then hover
    assert.equal(10, swarm:team(10):size())
  end)

  it("rejects unknown and mistyped params", function()
    local swarm = fleet()
    local m = starling.load_mission(MISSION)
    assert.has_error(function() swarm:run_mission(m, { raduis = 30.5 }) end,
      "run_mission: mission 'formation_show' has no parameter 'raduis' "
      .. "(parameters: altitude, drones, quiet, radius, spacing, timeout, x, y)")
    assert.has_error(function() swarm:run_mission(m, { drones = "eight" }) end,
      "run_mission: parameter 'drones' of mission 'formation_show' must be a number (got string)")
    swarm:run_for(5)
    for _, d in ipairs(swarm:drones()) do assert.equal("idle", d:state()) end
    assert.equal(0, swarm:stats().handler_errors)
  end)
end)
