-- Formations (API.md section 7): the geometry of every kind, custom kinds,
-- bad options, the assignment against brute force, and formations flown by
-- a swarm: reached once, transitions, team:move, wait.
local starling = require "starling"
local core = require "starling.core"

local slots = starling.formation.slots
local pi, cos, sin = math.pi, math.cos, math.sin

local function xyz(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = { p.x, p.y, p.z } end
  return out
end

local function assert_near(expected, got, eps)
  eps = eps or 1e-9
  assert.equal(#expected, #got)
  for i = 1, #expected do
    for c = 1, 3 do
      if math.abs(expected[i][c] - got[i][c]) > eps then
        error(("slot %d coordinate %d: expected %.12g, got %.12g"):format(i, c, expected[i][c], got[i][c]), 2)
      end
    end
  end
end

describe("formation geometry", function()
  it("line: along x, spacing 10, centred on center at its altitude", function()
    assert.same({ { 85, 50, 30 }, { 95, 50, 30 }, { 105, 50, 30 }, { 115, 50, 30 } },
      xyz(slots("line", 4, { center = { x = 100, y = 50, z = 30 } })))
    assert.same({ { 80, 0, 5 }, { 100, 0, 5 }, { 120, 0, 5 } },
      xyz(slots("line", 3, { center = { 100, 0, 5 }, spacing = 20 })))
    assert.same({ { 7, 8, 9 } }, xyz(slots("line", 1, { center = { 7, 8, 9 } })))
  end)

  it("line rotated by heading: pi/2 turns it along y", function()
    assert_near({ { 100, 35, 30 }, { 100, 45, 30 }, { 100, 55, 30 }, { 100, 65, 30 } },
      xyz(slots("line", 4, { center = { 100, 50, 30 }, heading = pi / 2 })))
  end)

  it("circle: slot k at heading + 2*pi*k/n, radius 50", function()
    for _, h in ipairs { 0, 0.3, -2 } do
      local got = slots("circle", 5, { center = { x = 10, y = 20, z = 5 }, heading = h ~= 0 and h or nil })
      for k = 0, 4 do
        local a = h + 2 * pi * k / 5
        assert.same({ x = 10 + 50 * cos(a), y = 20 + 50 * sin(a), z = 5 }, got[k + 1])
      end
    end
    assert_near({ { 30, 0, 0 }, { 0, 30, 0 }, { -30, 0, 0 }, { 0, -30, 0 } },
      xyz(slots("circle", 4, { center = { 0, 0, 0 }, radius = 30 })))
  end)

  it("grid: ceil(sqrt(n)) columns along x, rows along y, centred", function()
    -- 5 drones: 3 columns, 2 rows
    assert.same({ { -10, -5, 0 }, { 0, -5, 0 }, { 10, -5, 0 }, { -10, 5, 0 }, { 0, 5, 0 } },
      xyz(slots("grid", 5, { center = { 0, 0, 0 } })))
    -- 9 drones: 3 x 3 around (100, 100)
    local g = xyz(slots("grid", 9, { center = { 100, 100, 20 } }))
    assert.same({ 90, 90, 20 }, g[1])
    assert.same({ 100, 100, 20 }, g[5])
    assert.same({ 110, 110, 20 }, g[9])
    -- cols = 2, spacing 4: 3 rows
    assert.same({ { -2, -4, 1 }, { 2, -4, 1 }, { -2, 0, 1 }, { 2, 0, 1 }, { -2, 4, 1 } },
      xyz(slots("grid", 5, { center = { 0, 0, 1 }, cols = 2, spacing = 4 })))
  end)

  it("v: the tip at the centre, then alternately left and right behind it", function()
    local s, a = 10, pi / 4
    local want = { { 0, 0, 30 } }
    for i = 1, 4 do
      local rank = (i + 1) // 2
      local side = i % 2 == 1 and 1 or -1
      want[#want + 1] = { -rank * s * cos(a), side * rank * s * sin(a), 30 }
    end
    assert.same(want, xyz(slots("v", 5, { center = { 0, 0, 30 } })))
    -- rank 1 is 10 m behind along the arms: (-7.07, +-7.07)
    assert_near({ { 0, 0, 0 }, { -6, 8, 0 }, { -6, -8, 0 } },
      xyz(slots("v", 3, { center = { 0, 0, 0 }, angle = math.atan(8, 6) })), 1e-12)
    -- heading pi: the arms trail towards +x
    assert_near({ { 0, 0, 0 }, { 6, -8, 0 }, { 6, 8, 0 } },
      xyz(slots("v", 3, { center = { 0, 0, 0 }, angle = math.atan(8, 6), heading = pi })), 1e-12)
  end)

  it("custom kinds: offsets rotated by heading and placed on the centre", function()
    starling.formation.define("column", function(n, opts)
      local out = {}
      for i = 1, n do out[i] = { x = -(i - 1) * (opts.gap or 5), y = 0, z = i - 1 } end
      return out
    end)
    assert.same({ { 10, 10, 30 }, { 2, 10, 31 }, { -6, 10, 32 } },
      xyz(slots("column", 3, { center = { 10, 10, 30 }, gap = 8 })))
    assert_near({ { 0, 0, 0 }, { 0, -5, 1 } },
      xyz(slots("column", 2, { center = { 0, 0, 0 }, heading = pi / 2 })))
    -- a custom kind may be redefined; the last definition wins
    starling.formation.define("column", function(n)
      local out = {}
      for i = 1, n do out[i] = { i, 0 } end
      return out
    end)
    assert.same({ { 1, 0, 0 }, { 2, 0, 0 } }, xyz(slots("column", 2, { center = { 0, 0, 0 } })))
  end)

  it("bad kinds, counts and options are errors that name them", function()
    local c = { center = { 0, 0, 10 } }
    assert.has_error(function() slots("hexagon", 3, c) end,
      "formation.slots: unknown formation kind 'hexagon' (known: circle, column, grid, line, v)")
    assert.has_error(function() slots(3, 3, c) end,
      "formation.slots: bad argument #1 (formation kind expected, got number)")
    assert.has_error(function() slots("line", 0, c) end,
      "formation.slots: the number of slots must be a positive integer (got 0)")
    assert.has_error(function() slots("line", 2.5, c) end,
      "formation.slots: the number of slots must be a positive integer (got 2.5)")
    assert.has_error(function() slots("line", 3, {}) end,
      "formation.slots: option 'center' is required: a position {x=, y=, z=} (got nil)")
    assert.has_error(function() slots("line", 3, { center = { x = "a", y = 0 } }) end,
      "formation.slots: option 'center' needs numbers x, y and z")
    assert.has_error(function() slots("line", 3, nil) end,
      "formation.slots: options must be a table with at least 'center' (got nil)")
    assert.has_error(function() slots("line", 3, { center = { 0, 0 }, radius = 5 }) end,
      "formation.slots: unknown option 'radius' for a line (options: center, heading, spacing)")
    assert.has_error(function() slots("circle", 3, { center = { 0, 0 }, radius = -5 }) end,
      "formation.slots: option 'radius' must be a positive number (got -5)")
    assert.has_error(function() slots("grid", 3, { center = { 0, 0 }, cols = 0 }) end,
      "formation.slots: option 'cols' must be a positive integer (got 0)")
    assert.has_error(function() slots("v", 3, { center = { 0, 0 }, angle = 4 }) end,
      "formation.slots: option 'angle' must be a number in (0, pi) (got 4)")
    assert.has_error(function() slots("line", 3, { center = { 0, 0 }, heading = "north" }) end,
      "formation.slots: option 'heading' must be a number of radians (got north)")
    assert.has_error(function() starling.formation.define("line", function() end) end,
      "formation.define: 'line' is a built-in kind")
    assert.has_error(function() starling.formation.define("two words", function() end) end,
      "formation.define: name must be an identifier string (got 'two words')")
    assert.has_error(function() starling.formation.define("ok", 5) end,
      "formation.define: bad argument #2 (function expected, got number)")
    assert.has_error(function() slots("line", 3, { center = { 0 / 0, 0, 10 } }) end,
      "formation.slots: option 'center' must be finite (got nan, 0, 10)")
    assert.has_error(function() slots("line", 5, { center = { 0, 0, 10 }, spacing = 1e308 }) end,
      "formation.slots: option 'spacing' must be at most 1e9 m (got 1e+308)")
    assert.has_error(function() slots("line", 5, { center = { 0, 0, 10 }, spacing = 1e9 }) end,
      "formation.slots: the line's slot 1 is out of range (center and options too large)")
    starling.formation.define("nan", function(n)
      local out = {}
      for i = 1, n do out[i] = { 0 / 0, 0 } end
      return out
    end)
    assert.has_error(function() slots("nan", 2, c) end, "formation.slots: formation kind 'nan': offset 1 is not finite")
    starling.formation.define("short", function() return { { 0, 0 } } end)
    assert.has_error(function() slots("short", 2, c) end,
      "formation.slots: formation kind 'short' must return 2 offsets (got 1)")
    starling.formation.define("broken", function() error("no way", 0) end)
    assert.has_error(function() slots("broken", 2, c) end,
      "formation.slots: formation kind 'broken' failed: no way")
  end)
end)

-- Total distance of an assignment (a[i] = slot of point i).
local function total(from, to, a)
  local sum = 0
  for i, p in ipairs(from) do
    local q = to[a[i]]
    sum = sum + math.sqrt((p.x - q.x) ^ 2 + (p.y - q.y) ^ 2 + (p.z - q.z) ^ 2)
  end
  return sum
end

-- The least total distance over every permutation.
local function brute(from, to)
  local n, best = #from, math.huge
  local perm, used = {}, {}
  local function go(i)
    if i > n then
      best = math.min(best, total(from, to, perm))
      return
    end
    for j = 1, n do
      if not used[j] then
        used[j], perm[i] = true, j
        go(i + 1)
        used[j] = false
      end
    end
  end
  go(1)
  return best
end

describe("slot assignment", function()
  it("is a permutation of least total distance, as brute force finds (n = 1..7)", function()
    local rng = 12345
    local function rand() -- a fixed LCG: the same points every run
      rng = (rng * 1103515245 + 12345) % 2147483648
      return rng / 2147483648 * 200
    end
    for n = 1, 7 do
      for _ = 1, 25 do
        local from, to = {}, {}
        for i = 1, n do
          from[i] = { x = rand(), y = rand(), z = rand() / 10 }
          to[i] = { x = rand(), y = rand(), z = 30 }
        end
        local a = core.assign(from, to)
        local seen = {}
        for i = 1, n do
          assert.is_true(a[i] >= 1 and a[i] <= n and not seen[a[i]])
          seen[a[i]] = true
        end
        assert.near(brute(from, to), total(from, to, a), 1e-9)
      end
    end
  end)

  it("rejects mismatched lists", function()
    assert.has_error(function() core.assign({ { 0, 0, 0 } }, {}) end, "assign: 1 positions for 0 slots")
  end)
end)

-- Four drones on bases (0,0) (50,0) (100,0) (150,0), in a team.
local function team4()
  local swarm = starling.swarm{}
  swarm:spawn_fleet(4)
  swarm:run_for(0.1)
  local log = {}
  swarm:on("formation_reached", function(ev) log[#log + 1] = { ev.formation, ev.t } end)
  return swarm, assert(swarm:team(4)), log
end

local function positions(swarm, ids)
  local out = {}
  for i, id in ipairs(ids) do
    local p = swarm:drone(id):position()
    out[i] = { p.x, p.y, p.z }
  end
  return out
end

describe("a formation flown by a team", function()
  it("each drone flies to its slot; formation_reached once, the tick the last lands", function()
    local swarm, team, log = team4()
    local f = team:formation("line", { center = { x = 75, y = 40, z = 0 }, spacing = 50 })
    assert.equal("line", f.kind)
    assert.same({ [0] = 1, [1] = 2, [2] = 3, [3] = 4 }, f:assignment())
    assert.is_false(f:reached())
    -- 40 m at 1 m per tick from the tick after 0.1: the 40th step, at 4.1
    swarm:run_for(3.9)
    assert.same({}, log)
    assert.same({ { 0, 39, 0 }, { 50, 39, 0 }, { 100, 39, 0 }, { 150, 39, 0 } }, positions(swarm, { 0, 1, 2, 3 }))
    swarm:run_for(0.1)
    assert.same({ { f.id, 4.1 } }, log)
    assert.is_true(f:reached())
    assert.same({ { 0, 40, 0 }, { 50, 40, 0 }, { 100, 40, 0 }, { 150, 40, 0 } }, positions(swarm, { 0, 1, 2, 3 }))
    swarm:run_for(20)
    assert.same({ { f.id, 4.1 } }, log) -- once
  end)

  it("assigns so that paths do not cross: a reversed line keeps each drone on its side", function()
    local swarm, team = team4()
    local f = team:formation("line", { center = { 75, 40, 0 }, spacing = 50, heading = pi })
    -- slot 1 is now at x = 150: drone 3 takes it
    assert.same({ [0] = 4, [1] = 3, [2] = 2, [3] = 1 }, f:assignment())
    assert.is_true(swarm:run_until(function() return f:reached() end, 10))
    assert.equal(4.1, swarm:now())
  end)

  it("a transition re-assigns from where the drones are", function()
    local swarm, team, log = team4()
    local line = team:formation("line", { center = { 75, 40, 0 }, spacing = 50 })
    swarm:run_for(3.9) -- at y = 39, one step short of the line
    local from = {}
    for i, id in ipairs(team:ids()) do from[i] = swarm:drone(id):position() end
    local circle = team:formation("circle", { center = { 75, 40, 0 }, radius = 50 })
    assert.is_false(line:reached())
    assert.is_not.equal(line.id, circle.id)
    -- optimal from the positions at the transition
    local a = circle:assignment()
    local slot_of = {}
    for i, id in ipairs(team:ids()) do slot_of[i] = a[id] end
    assert.near(brute(from, circle:slots()), total(from, circle:slots(), slot_of), 1e-9)
    -- the outer drones take the near ends of the circle: (125, 40) and (25, 40)
    assert.equal(3, a[0])
    assert.equal(1, a[3])
    swarm:run_for(30)
    -- only the circle was reached; the line never was, and never will be
    assert.equal(1, #log)
    assert.equal(circle.id, log[1][1])
    assert_near(xyz(circle:slots()), (function()
      local out = {}
      for k = 1, 4 do
        for id, slot in pairs(a) do
          if slot == k then
            local p = swarm:drone(id):position()
            out[k] = { p.x, p.y, p.z }
          end
        end
      end
      return out
    end)())
  end)

  it("team:move translates the slots; formation_reached again for the new ones", function()
    local swarm, team, log = team4()
    local f = team:formation("line", { center = { 75, 40, 0 }, spacing = 50 })
    swarm:run_for(4.0) -- to 4.1: reached
    assert.same(f, team:move({ x = 0, y = 10 }))
    assert.is_false(f:reached())
    assert.same({ { 0, 50, 0 }, { 50, 50, 0 }, { 100, 50, 0 }, { 150, 50, 0 } }, xyz(f:slots()))
    swarm:run_for(0.9)
    assert.equal(1, #log)
    swarm:run_for(0.1) -- 10 steps of 1 m
    assert.same({ { f.id, 4.1 }, { f.id, 5.1 } }, log)
    assert.same({ { 0, 50, 0 }, { 50, 50, 0 }, { 100, 50, 0 }, { 150, 50, 0 } }, positions(swarm, { 0, 1, 2, 3 }))
    assert.has_error(function() team:move(5) end, "team:move: offset must be a position {x=, y=[, z=]}")
  end)

  it("a bad offset to team:move is an error that changes nothing", function()
    local swarm, team = team4()
    local f = team:formation("line", { center = { 75, 40, 0 }, spacing = 50 })
    local before = f:slots()
    assert.has_error(function() team:move{ 0 / 0, 0 } end, "team:move: offset x must be finite (got nan)")
    assert.has_error(function() team:move{ 0, math.huge } end, "team:move: offset y must be finite (got inf)")
    assert.same(before, f:slots())
    swarm:run_for(4.0)
    assert.is_true(f:reached())
    team:move{ 0, 9e8, 0 } -- far, but a place
    local far = f:slots()
    assert.has_error(function() team:move{ 0, 9e8, 0 } end, "team:move: the offset takes the slots out of range")
    assert.has_error(function() team:move{ 0, 1.7e308, 0 } end, "team:move: the offset takes the slots out of range")
    assert.same(far, f:slots())
    assert.has_error(function() f.wait({}, 1) end, "formation:wait: bad self (formation expected, got table)")
    assert.has_error(function() f:wait(-1) end,
      "formation:wait: timeout must be a finite number of seconds >= 0 (got -1)")
  end)

  it("a member that shuts down leaves the formation; the others still reach it", function()
    local swarm, team, log = team4()
    local f = team:formation("line", { center = { 75, 40, 0 }, spacing = 50 })
    swarm:run_for(1)
    swarm:drone(2):shutdown()
    swarm:run_for(3.0) -- to 4.1
    assert.same({ { f.id, 4.1 } }, log)
    assert.is_true(f:reached())
  end)

  it("the swarm's internal formation methods check what they are given", function()
    local swarm, team = team4()
    local f = team:formation("line", { center = { 75, 40, 0 }, spacing = 50 })
    assert.has_error(function() swarm:_formation_move(f.id, {}) end, "team:move: 0 slots for a formation of 4")
    assert.has_error(function() swarm:_formation_new({ 0, 99 }, { { 0, 0 }, { 1, 1 } }) end,
      "formation: member 2 is not a drone id")
    assert.has_error(function() swarm:_formation_new({ 0 }, { { 0 / 0, 0 } }) end)
    assert.is_false(swarm:_formation_move(12345, {}))
  end)

  it("wait: true when reached, nil 'timeout', nil 'cancelled' when superseded", function()
    local swarm, team = team4()
    local f = team:formation("line", { center = { 75, 40, 0 }, spacing = 50 })
    local got = {}
    swarm:spawn(function()
      local short = { f:wait(2) }
      got[#got + 1] = { short[1], short[2], swarm:now() }
      local ok = { f:wait() }
      got[#got + 1] = { ok[1], ok[2], swarm:now() }
      got[#got + 1] = { f:wait(), swarm:now() } -- already reached: at once
    end)
    swarm:run_for(10)
    assert.same({ { nil, "timeout", 2.1 }, { true, nil, 4.1 }, { true, 4.1 } }, got)

    local g = team:formation("grid", { center = { 75, 40, 0 } })
    local res
    swarm:spawn(function() res = { g:wait(100) } end)
    swarm:run_for(1)
    local h = team:formation("v", { center = { 75, 40, 0 } })
    swarm:run_for(0.1)
    assert.same({ nil, "cancelled" }, res)
    local late
    swarm:spawn(function() late = { g:wait(1) } end)
    swarm:run_for(0.1)
    assert.same({ nil, "cancelled" }, late)
    assert.is_false(g:reached())
    assert.has_error(function() h:wait(1) end,
      "formation:wait waits, so it may only be called inside a swarm task (a mission, an event handler, swarm:spawn or an actor)")
  end)
end)

describe("a formation of 4,096 drones", function()
  it("is assigned without holding the loop: greedy nearest pairs on a k-d tree", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(4096)
    swarm:run_for(0.5)
    local team = assert(swarm:team(4096))
    local t0 = os.clock()
    local f = team:formation("grid", { center = { 1000, 1000, 30 }, spacing = 10 })
    local first = os.clock() - t0
    swarm:run_for(1)
    t0 = os.clock()
    local g = team:formation("circle", { center = { 1000, 1000, 30 }, radius = 400 })
    local transition = os.clock() - t0
    -- bench/assign_4096 has the figures (tens of ms); sorting the 16.7 M
    -- pairs took 1.5-3.5 s
    assert.is_true(first < 0.5, ("the formation took %.2f s of CPU"):format(first))
    assert.is_true(transition < 0.5, ("the transition took %.2f s of CPU"):format(transition))
    -- every slot taken once
    local seen, n = {}, 0
    for _, slot in pairs(g:assignment()) do
      assert.is_nil(seen[slot])
      seen[slot], n = true, n + 1
    end
    assert.equal(4096, n)
    assert.equal(4096, #f:slots())
  end)
end)
