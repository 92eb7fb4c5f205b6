-- The REPL's shorthand commands (API.md section 11): parsing with the
-- column of a mistake, selectors, and what each command does to a swarm.
local starling = require "starling"
local shorthand = require "starling.shorthand"

local function fleet(n)
  local swarm = starling.swarm{}
  swarm:spawn_fleet(n or 6)
  swarm:run_for(0.1)
  return swarm
end

describe("shorthand parsing", function()
  it("reads commands, numbers and every form of selector", function()
    local c = assert(shorthand.parse(":goto 3 100 200 50"))
    assert.same({ "goto", { list = { { 3, at = 7 } } }, 100, 200, 50 }, { c.name, c.sel, c.x, c.y, c.z })
    c = assert(shorthand.parse("  :patrol 1-5,7 0 0 200 -20.5"))
    assert.same({ list = { { 1, 5, at = 11 }, { 7, at = 15 } } }, c.sel) -- with their columns
    assert.same({ 0, 0, 200, -20.5 }, { c.x0, c.y0, c.x1, c.y1 })
    assert.same({ all = true }, assert(shorthand.parse(":rtb all")).sel)
    assert.same({ state = "idle" }, assert(shorthand.parse(":status idle")).sel)
    assert.is_nil(assert(shorthand.parse(":status")).sel)
    c = assert(shorthand.parse(":formation circle 0-5 0 0 40"))
    assert.same({ "circle", 0, 0, 40 }, { c.kind, c.x, c.y, c.size })
    assert.equal("off", assert(shorthand.parse(":watch off")).id)
    assert.equal(3, assert(shorthand.parse(":watch 3")).id)
    assert.equal("quit", assert(shorthand.parse(":quit")).name)
  end)

  it("answers a bad line with the column and what was expected", function()
    local function bad(line) return select(2, shorthand.parse(line)) end
    assert.equal("bad command at column 9: expected a number (x)\n  :goto 3 north 5\n          ^",
      bad(":goto 3 north 5"))
    assert.equal("bad command at column 2: expected a command, not 'fly' (goto patrol rtb stop status "
      .. "formation missions targets alert mission target speed pause resume watch help quit)\n  :fly 3\n   ^", bad(":fly 3"))
    assert.equal("bad command at column 5: expected a selector (3, 1-5, 1,4,7, all or a state) (sel)\n"
      .. "  :rtb\n      ^", bad(":rtb"))
    assert.equal("bad command at column 6: expected a selector (3, 1-5, 1,4,7, all or a state), not 'sleepy'\n"
      .. "  :rtb sleepy\n       ^", bad(":rtb sleepy"))
    assert.equal("bad command at column 10: expected the end of the line\n  :rtb all 5\n           ^",
      bad(":rtb all 5"))
    assert.equal("bad command at column 12: expected a formation kind, not 'hexagon'\n"
      .. "  :formation hexagon 1-3 0 0\n             ^", bad(":formation hexagon 1-3 0 0"))
    assert.equal("bad command at column 6: expected a selector (3, 1-5, 1,4,7, all or a state) (sel)\n"
      .. "  :rtb 1-\n       ^", bad(":rtb 1-"))
    assert.equal("bad command at column 2: expected a command name (goto patrol rtb stop status formation "
      .. "missions targets alert mission target speed pause resume watch help quit)\n  :\n   ^", bad(":"))
  end)
end)

describe("shorthand commands", function()
  it(":goto, :patrol, :rtb and :stop reach the selected drones only", function()
    local swarm = fleet()
    assert.equal("2 drones flying to (100, 200, 50)", shorthand.run(swarm, ":goto 1,3 100 200 50"))
    assert.equal("3 drones patrolling", shorthand.run(swarm, ":patrol 4-5,0 0 0 100 100"))
    swarm:run_for(0.1)
    assert.same({ "patrolling", "moving", "idle", "moving", "patrolling", "patrolling" },
      (function() local t = {} for id = 0, 5 do t[#t + 1] = swarm:drone(id):state() end return t end)())
    assert.equal("1 drone stopped", shorthand.run(swarm, ":stop 1"))
    swarm:run_for(0.1) -- commands take effect at the next tick
    assert.equal("1 drone returning to base", shorthand.run(swarm, ":rtb moving"))
    swarm:run_for(0.1)
    assert.equal("emergency", swarm:drone(1):state())
    assert.equal("returning", swarm:drone(3):state())
    -- an emergency drone refuses movement: the answer says so, the others fly
    assert.equal("1 drone flying to (0, 0, 30)\ndrone 1: emergency (use :rtb)", shorthand.run(swarm, ":goto 1-2 0 0"))
  end)

  it("a line naming a missing drone sends nothing at all", function()
    local swarm = fleet(3)
    assert.equal("bad command at column 9: expected a drone id: there is no drone 7\n  :goto 0,7 10 10\n          ^",
      shorthand.run(swarm, ":goto 0,7 10 10"))
    swarm:run_for(1)
    assert.equal("idle", swarm:drone(0):state())
    assert.same({ x = 0, y = 0, z = 0 }, swarm:drone(0):position())
  end)

  it(":status lists drones; :formation flies a team; :help explains", function()
    local swarm = fleet(4)
    assert.equal("drone 0 idle         battery 100% at (0.0, 0.0, 0.0)\n"
      .. "drone 1 idle         battery 100% at (50.0, 0.0, 0.0)", shorthand.run(swarm, ":status 0-1"))
    assert.equal("4 drones flying a line (formation 0)", shorthand.run(swarm, ":formation line all 75 40 50"))
    local reached
    swarm:on("formation_reached", function(ev) reached = ev.t end)
    swarm:run_for(4.9)
    -- from (x, 0, 0) to (x, 40, 30): 50 m, the 50th step lands at 5.1
    assert.is_nil(reached)
    swarm:run_for(0.1)
    assert.equal(5.1, reached)
    assert.equal(":goto SEL X Y [Z]        fly to a point (Z 30)", shorthand.run(swarm, ":help goto"))
    assert.matches("^:goto SEL", shorthand.run(swarm, ":help"))
    assert.equal("the swarm runs on the virtual clock: :pause needs real time", shorthand.run(swarm, ":pause"))
    local text, action = shorthand.run(swarm, ":quit")
    assert.same({ "shutting down", "quit" }, { text, action })
  end)

  it(":watch prints a line for the drone every second until :watch off", function()
    local swarm = fleet(2)
    local lines = {}
    local state = { write = function(s) lines[#lines + 1] = s end }
    assert.equal("drone 1 idle         battery 100% at (50.0, 0.0, 0.0)", shorthand.run(swarm, ":watch 1", state))
    swarm:run_for(2)
    assert.equal(2, #lines)
    assert.equal("watch off", shorthand.run(swarm, ":watch off", state))
    swarm:run_for(3)
    assert.equal(2, #lines)
  end)

  it(":speed, :pause and :resume steer a real clock", function()
    local swarm = starling.swarm{ clock = "real" }
    local state = {}
    assert.equal("time runs x50", shorthand.run(swarm, ":speed 50", state))
    assert.equal(50, select(2, swarm:_clock()))
    local text = shorthand.run(swarm, ":pause", state)
    assert.matches("^paused at T%+%d+%.%d%d%d$", text)
    assert.equal(0, select(2, swarm:_clock()))
    assert.equal("resumed at x50", shorthand.run(swarm, ":resume", state))
    assert.equal("bad command at column 8: expected a factor in (0, 10000] (not 0)\n  :speed 0\n         ^",
      shorthand.run(swarm, ":speed 0", state))
    swarm:close()
  end)
end)

describe("shorthand edge cases", function()
  it("puts the caret under the id that names no drone, even in a list", function()
    local swarm = fleet(3)
    assert.equal("bad command at column 11: expected a drone id: there is no drone 9\n"
      .. "  :goto 0,1,9 1 1\n            ^", shorthand.run(swarm, ":goto 0,1,9 1 1"))
    assert.equal("bad command at column 8: expected a drone id: there is no drone 5\n"
      .. "  :rtb 0,5-7\n         ^", shorthand.run(swarm, ":rtb 0,5-7"))
    assert.equal("bad command at column 8: expected a drone id (this number is too big for one)\n"
      .. "  :watch 99999999999999999999\n         ^", shorthand.run(swarm, ":watch 99999999999999999999"))
    assert.equal("bad command at column 6: expected a range from low to high, not 2-1\n"
      .. "  :rtb 2-1\n       ^", shorthand.run(swarm, ":rtb 2-1"))
  end)
end)

describe("shorthand numbers out of range", function()
  local function bad(line) return select(2, shorthand.parse(line)) end

  it("are answered with their column and the range, in the grammar", function()
    assert.equal("bad command at column 8: expected a factor in (0, 10000] (not 1e9)\n  :speed 1e9\n         ^",
      bad(":speed 1e9"))
    assert.equal("bad command at column 8: expected a factor in (0, 10000] (not 0)\n  :speed 0\n         ^",
      bad(":speed 0"))
    assert.equal(2.5e3, assert(shorthand.parse(":speed 2.5e3")).factor)
    assert.equal("bad command at column 9: expected a coordinate within ±1e9 m (x) (not 1e12)\n"
      .. "  :goto 1 1e12 0\n          ^", bad(":goto 1 1e12 0"))
    assert.equal("bad command at column 27: expected a radius or spacing in (0, 1e9] m (size) (not 1e308)\n"
      .. "  :formation circle all 0 0 1e308\n                            ^",
      bad(":formation circle all 0 0 1e308"))
  end)

  it(":patrol over an area too deep to fly answers with the column and sends nothing", function()
    local swarm = fleet(2)
    assert.equal("bad command at column 19: expected an area at most 10000000 m deep (100,000 rows of 100 m), "
      .. "not 99999999\n  :patrol all 0 0 0 99999999\n                    ^",
      shorthand.run(swarm, ":patrol all 0 0 0 99999999"))
    assert.equal("bad command at column 19: expected a coordinate within ±1e9 m (y1) (not 9999999999)\n"
      .. "  :patrol all 0 0 0 9999999999\n                    ^",
      shorthand.run(swarm, ":patrol all 0 0 0 9999999999"))
    swarm:run_for(0.5)
    assert.same({ "idle", "idle" }, { swarm:drone(0):state(), swarm:drone(1):state() })
    assert.equal("2 drones patrolling", shorthand.run(swarm, ":patrol all 0 0 0 9999950"))
  end)
end)

describe("shorthand on more drones than a slice", function()
  local slice
  before_each(function() slice = shorthand.SLICE end)
  after_each(function() shorthand.SLICE = slice end)

  local function states(swarm, n)
    local t = {}
    for id = 0, n - 1 do t[#t + 1] = swarm:drone(id):state() end
    return t
  end

  -- 100,000 drones at once held the loop 0.25-0.5 s: a slice per loop turn
  it(":goto all reaches a slice of drones per call, in id order, then answers with the count", function()
    local swarm = fleet(7)
    assert.equal("1 drone stopped", shorthand.run(swarm, ":stop 4"))
    swarm:run_for(0.1)
    shorthand.SLICE = 3
    local text, action, more = shorthand.run(swarm, ":goto all 0 100")
    assert.same({ "", "stream" }, { text, action })
    assert.equal("", more()) -- drones 0-2
    swarm:run_for(0.1)
    assert.same({ "moving", "moving", "moving", "idle", "emergency", "idle", "idle" }, states(swarm, 7))
    assert.equal("", more()) -- 3-5 (4 refuses)
    assert.equal("", more()) -- 6
    assert.equal("6 drones flying to (0, 100, 30)\ndrone 4: emergency (use :rtb)", more())
    assert.is_nil(more())
    swarm:run_for(0.1)
    assert.same({ "moving", "moving", "moving", "moving", "emergency", "moving", "moving" }, states(swarm, 7))
  end)

  it(":rtb, :patrol and :stop of a state answer their refusals a slice of lines at a time", function()
    local swarm = fleet(5)
    assert.equal("2 drones stopped", shorthand.run(swarm, ":stop 1,3"))
    swarm:run_for(0.1)
    shorthand.SLICE = 2
    local _, action, more = shorthand.run(swarm, ":patrol all 0 0 100 100")
    assert.equal("stream", action)
    local out = {}
    for text in more do out[#out + 1] = text end
    assert.same({ "", "", "", "3 drones patrolling\ndrone 1: emergency (use :rtb)", "drone 3: emergency (use :rtb)" }, out)
    swarm:run_for(0.1)
    assert.same({ "patrolling", "emergency", "patrolling", "emergency", "patrolling" }, states(swarm, 5))
    -- a state is selected when the line is read: the drones it names then
    local _, _, stop = shorthand.run(swarm, ":stop patrolling")
    assert.equal("", stop())
    assert.equal("", stop())
    assert.equal("3 drones stopped", stop())
    assert.is_nil(stop())
    assert.equal("no drone", shorthand.run(swarm, ":status idle"))
  end)
end)

describe("shorthand for missions, targets and formations at an altitude", function()
  it(":mission creates a mission over an area and answers its id, or the error code", function()
    local swarm = fleet(2)
    local text = shorthand.run(swarm, ":mission 0 0 100 100 40 2")
    local id = swarm:missions()[1].id
    assert.equal("mission " .. id .. " assigned to drone 1", text)
    local m = swarm:mission(id)
    assert.same({ "assigned", 1, 40 }, { m.status, m.drone, m.area.altitude })
    local second = shorthand.run(swarm, ":mission 0 0 10 10")
    assert.equal("mission " .. swarm:missions()[2].id .. " assigned to drone 0", second)
    assert.equal(":mission X0 Y0 X1 Y1 [ALT] [LAPS]  a mission over an area (ALT 30, LAPS 1; 0: until cancelled)",
      shorthand.run(swarm, ":help mission"))
    assert.equal("no mission: no_drone_available (use :rtb or wait for a drone to be free)",
      shorthand.run(swarm, ":mission 0 0 10 10"))
    assert.equal("bad command at column 21: expected a number of laps (0 patrols until cancelled) (not 1.5)\n"
      .. "  :mission 0 0 1 1 30 1.5\n                      ^", select(2, shorthand.parse(":mission 0 0 1 1 30 1.5")))
    assert.equal("bad command at column 15: expected a number (y1)\n  :mission 0 0 1\n                ^",
      select(2, shorthand.parse(":mission 0 0 1")))
  end)

  it(":target adds a target and answers its id; a bad threat is answered at its column", function()
    local swarm = fleet(1)
    assert.equal("target 0 (high) at (10, 20)", shorthand.run(swarm, ":target 10 20 high"))
    assert.equal("target 1 (low) at (-5, 2.5)", shorthand.run(swarm, ":target -5 2.5 low"))
    assert.equal("bad command at column 15: expected a threat (low medium high critical), not 'huge'\n"
      .. "  :target 10 20 huge\n                ^", select(2, shorthand.parse(":target 10 20 huge")))
  end)

  it(":formation takes the altitude as its sixth argument, after R", function()
    local swarm = fleet(2)
    assert.equal("2 drones flying a line (formation 0)", shorthand.run(swarm, ":formation line all 0 40 50 60"))
    local reached
    swarm:on("formation_reached", function(ev) reached = ev.t end)
    swarm:run_until(function() return reached ~= nil end, 60)
    assert.equal(60, swarm:drone(0):position().z)
    assert.equal("bad command at column 29: expected a coordinate within ±1e9 m (altitude) (not 1e12)\n"
      .. "  :formation line all 0 40 50 1e12\n                              ^",
      select(2, shorthand.parse(":formation line all 0 40 50 1e12")))
  end)

  it("a refused command answers the code with a hint the operator can act on", function()
    local swarm = fleet(3)
    assert.equal("1 drone stopped", shorthand.run(swarm, ":stop 1"))
    swarm:run_for(0.1)
    assert.equal("1 drone flying to (0, 0, 30)\ndrone 1: emergency (use :rtb)", shorthand.run(swarm, ":goto 0-1 0 0"))
    assert.equal("emergency (use :rtb)", shorthand.hint("emergency"))
    assert.equal("no_drone_available (use :rtb or wait for a drone to be free)", shorthand.hint("no_drone_available"))
    assert.equal("busy", shorthand.hint("busy")) -- no hint: the code alone
  end)
end)

describe("shorthand views of missions, targets and the alert level", function()
  it(":missions lists each mission: short id, status, drone, laps done of laps, area", function()
    local swarm = fleet(2)
    assert.equal("no mission", shorthand.run(swarm, ":missions"))
    shorthand.run(swarm, ":mission 0 0 100 100 30 2")
    shorthand.run(swarm, ":mission -20 0 20 300 45 0")
    assert.equal("no mission: no_drone_available (use :rtb or wait for a drone to be free)",
      shorthand.run(swarm, ":mission 0 0 10 10"))
    local ms = swarm:missions()
    assert.equal("mission   status     drone  laps  area\n"
      .. ms[1].id:sub(1, 8) .. "  assigned       1  0/2   (0, 0)-(100, 100) at 30\n"
      .. ms[2].id:sub(1, 8) .. "  assigned       0  0/-   (-20, 0)-(20, 300) at 45", shorthand.run(swarm, ":missions"))
    assert.equal(2, ms[1].laps)
    assert.equal(0, ms[2].laps)
  end)

  it(":targets lists each target: id, position, threat, detected or lost; :alert the level and who", function()
    local swarm = fleet(2)
    assert.equal("no target", shorthand.run(swarm, ":targets"))
    assert.equal("alert normal\ncritical  0\nhigh      0\nmedium    0\nlow       0", shorthand.run(swarm, ":alert"))
    shorthand.run(swarm, ":target 10 20 high")
    shorthand.run(swarm, ":target 900 900 low")
    shorthand.run(swarm, ":target 60 10 medium")
    shorthand.run(swarm, ":target 40 30 high")
    shorthand.run(swarm, ":patrol 1 0 0 100 100")
    swarm:run_for(1)
    assert.is_true(swarm:remove_target(2))
    swarm:run_for(0.1)
    assert.equal("target  position                  threat    state\n"
      .. "0       (10.0, 20.0, 0.0)         high      detected\n"
      .. "1       (900.0, 900.0, 0.0)       low       -\n"
      .. "2       (60.0, 10.0, 0.0)         medium    lost\n"
      .. "3       (40.0, 30.0, 0.0)         high      detected", shorthand.run(swarm, ":targets"))
    assert.equal("alert high\ncritical  0\nhigh      2: 0, 3\nmedium    0\nlow       0", shorthand.run(swarm, ":alert"))
    assert.equal("high", swarm:alert_level())
    assert.equal("bad command at column 10: expected the end of the line\n  :targets 3\n           ^",
      shorthand.run(swarm, ":targets 3"))
  end)

  it("a long table comes a slice of rows at a time, aligned across slices", function()
    local swarm = fleet(1)
    for i = 0, 2 do shorthand.run(swarm, (":target %d 0 low"):format(i * 1000)) end
    local slice = shorthand.STATUS_SLICE
    shorthand.STATUS_SLICE = 2
    local text, action, more = shorthand.run(swarm, ":targets")
    assert.same({ "", "stream" }, { text, action })
    assert.equal("target  position                  threat    state\n"
      .. "0       (0.0, 0.0, 0.0)           low       -\n"
      .. "1       (1000.0, 0.0, 0.0)        low       -", more())
    local last, after = more(), more()
    shorthand.STATUS_SLICE = slice
    assert.equal("2       (2000.0, 0.0, 0.0)        low       -", last)
    assert.is_nil(after)
  end)
end)
