-- Drones: spawning, the state machine, movement, commands, faults
-- (API.md section 2).  Speed 10 m/s and tick 0.1 s: one metre a tick.
local starling = require "starling"

local function near(a, b, eps)
  return math.abs(a - b) <= (eps or 0.01)
end

local function assert_pos(d, x, y, z)
  local p = d:position()
  assert(near(p.x, x) and near(p.y, y) and near(p.z, z),
    ("expected (%g, %g, %g), got (%g, %g, %g)"):format(x, y, z, p.x, p.y, p.z))
end

describe("spawning", function()
  it("registers the drone before spawn_drone returns; ids count from 0", function()
    local swarm = starling.swarm{}
    local seen = {}
    swarm:on("drone_registered", function(ev) seen[#seen + 1] = ev.drone end)
    local a = swarm:spawn_drone{ base = { 10, 20, 0 } }
    local b = swarm:spawn_drone{}
    assert.equal(0, a.id)
    assert.equal(1, b.id)
    assert.equal(2, swarm:count())
    assert.equal("initializing", a:state())
    swarm:run_for(0)
    assert.same({ 0, 1 }, seen)
    assert.equal(a, swarm:drone(0))
    assert.is_nil(swarm:drone(7))
  end)

  it("a handle compares equal only to a handle of the same drone", function()
    local swarm = starling.swarm{}
    local a = swarm:spawn_drone{}
    local b = swarm:spawn_drone{}
    local other = starling.swarm{}:spawn_drone{} -- drone 0 of another swarm
    assert.is_true(a == swarm:drone(0))
    assert.is_false(a == b)
    assert.is_false(a == other)
    -- other userdata on either side is simply not equal (no error)
    assert.is_false(a == swarm)
    assert.is_false(swarm == a)
    local task = swarm:spawn(function() end)
    assert.is_false(task == a)
    assert.is_false(a == io.stdout)
  end)

  it("turns idle at its first tick", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.05)
    assert.equal("initializing", d:state())
    swarm:run_for(0.05)
    local st = d:status()
    assert.equal("idle", st.state)
    assert.equal("initialized", st.reason)
    assert.equal(100, st.battery)
    assert.same({ x = 0, y = 0, z = 0 }, st.position)
    assert.same({ x = 0, y = 0, z = 0 }, st.velocity)
    assert.is_nil(st.mission)
  end)

  it("spawn_fleet lays bases out on a 50 m grid, ten to a row", function()
    local swarm = starling.swarm{}
    local fleet = swarm:spawn_fleet(12, { origin = { 100, 200, 0 }, speed = 5 })
    assert.equal(12, #fleet)
    assert.equal(12, swarm:count())
    assert.same({ x = 100, y = 200, z = 0 }, fleet[1]:position())
    assert.same({ x = 550, y = 200, z = 0 }, fleet[10]:position())
    assert.same({ x = 150, y = 250, z = 0 }, fleet[12]:position())
    assert.equal(11, fleet[12].id)
  end)

  it("the seed's scenario: spawn a fleet of 5 and count 5", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(5)
    assert.equal(5, swarm:count())
  end)

  it("drones(filter) lists handles in id order", function()
    local swarm = starling.swarm{}
    local fleet = swarm:spawn_fleet(4)
    swarm:run_for(0.1)
    fleet[2]:move_to{ 50, 0, 10 }
    fleet[4]:move_to{ 150, 0, 10 }
    swarm:run_for(0)
    local function ids(list)
      local out = {}
      for i, d in ipairs(list) do out[i] = d.id end
      return out
    end
    assert.same({ 0, 1, 2, 3 }, ids(swarm:drones()))
    assert.same({ 1, 3 }, ids(swarm:drones{ state = "moving" }))
    assert.same({ 0, 2 }, ids(swarm:drones(function(d) return d:state() == "idle" end)))
    assert.has_error(function() swarm:drones{ colour = "red" } end,
      "swarm:drones: unknown filter field 'colour' (id, state, reason, battery or mission)")
  end)
end)

describe("movement", function()
  it("a diagonal of exactly 50 m takes 50 steps, as a straight one does", function()
    -- stepping along a diagonal drifts by ~1e-15 m a step; the arrival rule
    -- must not read a remaining 2.0 m as 1.9999999999999984 and land early
    for _, goal in ipairs{ { 0, 50, 0 }, { 30, 40, 0 }, { 14, 48, 0 }, { 0, 30, 40 } } do
      local swarm = starling.swarm{}
      local d = swarm:spawn_drone{ base = { 0, 0, 0 } }
      swarm:run_for(0.1)
      d:move_to(goal)
      swarm:run_for(4.9) -- 49 steps, from the tick at 0.2
      assert.equal("moving", d:state())
      swarm:run_for(0.1)
      assert.equal("idle", d:state())
      assert.same({ x = goal[1], y = goal[2], z = goal[3] }, d:position())
    end
  end)

  it("moves speed * tick per tick and lands exactly on the target", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    assert.is_true(d:move_to{ 0, 0, 10 })
    swarm:run_for(0)
    assert.equal("moving", d:state())
    assert.equal("commanded", d:status().reason)
    swarm:run_for(0.5)
    assert_pos(d, 0, 0, 5)
    assert.same({ x = 0, y = 0, z = 10 }, d:status().velocity)
    swarm:run_for(0.4)
    assert_pos(d, 0, 0, 9) -- 1.0 m away: not yet arrived
    assert.equal("moving", d:state())
    swarm:run_for(0.1)
    assert.same({ x = 0, y = 0, z = 10 }, d:position())
    assert.equal("idle", d:state())
    assert.equal("arrived", d:status().reason)
    assert.same({ x = 0, y = 0, z = 0 }, d:status().velocity)
  end)

  it("arrives when closer than 1.0 m, exactly on the target", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 25.5, 0, 0 }
    local arrived
    swarm:on("drone_state", function(ev) if ev.state == "idle" and ev.reason == "arrived" then arrived = ev.t end end)
    swarm:run_for(3)
    assert.equal(2.5, arrived) -- 25 m in 25 ticks, then 0.5 m is arrival
    assert.same({ x = 25.5, y = 0, z = 0 }, d:position())
  end)

  it("a diagonal flight keeps its straight line", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 30, 40, 0 } -- 50 m
    swarm:run_for(2)
    assert_pos(d, 12, 16, 0) -- 20 m along (0.6, 0.8)
    local v = d:status().velocity
    assert.is_true(near(v.x, 6) and near(v.y, 8))
    swarm:run_for(3)
    assert.same({ x = 30, y = 40, z = 0 }, d:position())
  end)

  it("honours a per-drone speed", function()
    local swarm = starling.swarm{ drone = { speed = 5 } }
    local slow = swarm:spawn_drone{}
    local fast = swarm:spawn_drone{ speed = 20 }
    slow:move_to{ 100, 0, 0 }
    fast:move_to{ 100, 0, 0 }
    swarm:run_for(1)
    assert_pos(slow, 5, 0, 0)
    assert_pos(fast, 20, 0, 0)
  end)

  it("patrols the area's waypoints in order, cycling", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ base = { 0, 50, 0 } }
    local area = starling.area{ min = { 0, 0 }, max = { 100, 100 }, altitude = 30 }
    assert.same({ { x = 0, y = 50, z = 30 }, { x = 100, y = 50, z = 30 } }, area:waypoints())
    assert.is_true(d:patrol(area))
    swarm:run_for(3)
    assert.equal("patrolling", d:state())
    assert.same({ x = 0, y = 50, z = 30 }, d:position()) -- the first waypoint at 3.0
    swarm:run_for(10)
    assert.same({ x = 100, y = 50, z = 30 }, d:position()) -- the second at 13.0
    swarm:run_for(5)
    assert_pos(d, 50, 50, 30) -- and back towards the first
  end)

  it("returns to base and charges there", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 90 }
    d:move_to{ 0, 0, 5 }
    swarm:run_for(0.5)
    assert.is_true(d:return_to_base())
    swarm:run_for(0)
    assert.equal("returning", d:state())
    assert.equal("commanded", d:status().reason)
    swarm:run_for(0.5)
    assert.same({ x = 0, y = 0, z = 0 }, d:position())
    assert.equal("charging", d:state())
    assert.equal("at_base", d:status().reason)
  end)
end)

describe("emergency", function()
  it("holds position and refuses move_to and patrol", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 0, 0, 20 }
    swarm:run_for(0.5)
    assert.is_true(d:emergency_stop("operator"))
    swarm:run_for(0)
    local st = d:status()
    assert.equal("emergency", st.state)
    assert.equal("operator", st.reason)
    assert.same({ x = 0, y = 0, z = 0 }, st.velocity)
    swarm:run_for(2)
    assert_pos(d, 0, 0, 5)
    assert.same({ nil, "emergency" }, { d:move_to{ 1, 1, 1 } })
    assert.same({ nil, "emergency" }, { d:patrol(starling.area()) })
    assert.is_true(d:return_to_base()) -- still works
    swarm:run_for(0)
    assert.equal("returning", d:state())
  end)
end)

describe("shutdown and faults", function()
  it("shutdown stops the actor; the handle answers actor_stopped", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    local unreg
    swarm:on("drone_unregistered", function(ev) unreg = ev.drone end)
    assert.is_true(d:shutdown())
    assert.same({ nil, "actor_stopped" }, { d:status() })
    assert.same({ nil, "actor_stopped" }, { d:move_to{ 1, 2, 3 } })
    assert.same({ nil, "actor_stopped" }, { d:shutdown() })
    assert.equal(0, swarm:count())
    assert.is_nil(swarm:drone(0))
    swarm:run_for(0)
    assert.equal(0, unreg)
  end)

  it("gps failure: emergency with reason gps_failure", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:fail("gps")
    swarm:run_for(0)
    assert.equal("emergency", d:state())
    assert.equal("gps_failure", d:status().reason)
  end)

  it("comms failure: it goes home unseen; status() answers its last report", function()
    -- API.md's amendments (issue 10, item 10): a drone with a comms fault
    -- publishes nothing until repaired; status() is its last published one.
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 0, 0, 10 }
    swarm:run_for(0.5) -- z = 5 (ticks 0.1 to 0.5), published at 0.5
    local states, samples = {}, 0
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    swarm:telemetry():each(function() samples = samples + 1 end)
    assert.is_true(d:fail("comms"))
    swarm:run_for(20) -- home at 1.0 (5 m down), charged at 1.2: all unseen
    assert.same({}, states)
    assert.equal(0, samples)
    local st = d:status()
    assert.same({ "moving", "commanded" }, { st.state, st.reason })
    assert.same({ x = 0, y = 0, z = 5 }, st.position)
    assert.same({ x = 0, y = 0, z = 10 }, st.velocity)
    assert.equal(100, st.battery) -- 99.5 % at 0.5, shown rounded up
    assert.equal("moving", d:state())
    assert.same({ x = 0, y = 0, z = 5 }, d:position())
    -- it hears no commands (the link is down)
    assert.same({ nil, "no_link" }, { d:move_to{ 1, 1, 1 } })
    assert.same({ nil, "no_link" }, { d:patrol(starling.area()) })
    assert.same({ nil, "no_link" }, { d:return_to_base() })
    assert.same({ nil, "no_link" }, { d:emergency_stop() })
    assert.equal(1, #swarm:drones{ state = "moving" }) -- the filter sees the report
    -- repaired: it reports again, its state as it is now
    assert.is_true(d:repair())
    swarm:run_for(0.5)
    assert.same({ { "idle", "charged", 20.5 } }, states)
    assert.equal(5, samples) -- 20.6 .. 21.0
    assert.same({ "idle", "charged" }, { d:state(), d:status().reason })
    assert.same({ x = 0, y = 0, z = 0 }, d:position())
    assert.is_true(d:move_to{ 0, 0, 1 })
  end)

  it("comms failure: a command it had not carried out is lost with the link", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5)
    assert.is_true(d:fail("comms"))
    assert.is_true(d:move_to{ 0, 0, 50 }) -- sent before the link went down
    swarm:run_for(1)
    assert.is_true(d:repair())
    swarm:run_for(0.1)
    assert.same({ x = 0, y = 0, z = 0 }, d:position())
    assert.equal("idle", d:state())
  end)

  it("repair clears a gps fault: it leaves emergency and hovers, idle", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 0, 0, 20 }
    swarm:run_for(1) -- z = 10
    local states = {}
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    d:fail("gps")
    swarm:run_for(1)
    assert.same({ nil, "emergency" }, { d:move_to{ 0, 0, 0 } })
    assert.is_true(d:repair())
    swarm:run_for(1)
    assert.same({ { "emergency", "gps_failure", 1 }, { "idle", "repaired", 2 } }, states)
    assert.same({ x = 0, y = 0, z = 10 }, d:position())
    assert.is_true(d:move_to{ 0, 0, 0 }) -- it takes commands again
  end)

  it("repair leaves an emergency that is not a gps fault alone", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5)
    d:emergency_stop("operator")
    swarm:run_for(0.1)
    assert.is_true(d:repair()) -- nothing to repair: a no-op
    swarm:run_for(0.1)
    assert.same({ "emergency", "operator" }, { d:state(), d:status().reason })
    d:shutdown()
    assert.same({ nil, "actor_stopped" }, { d:repair() })
  end)

  it("crash: restarted with its id, position and battery as last published", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    local restarted = {}
    swarm:on("drone_restarted", function(ev) restarted[#restarted + 1] = { ev.drone, ev.reason, ev.t } end)
    d:move_to{ 0, 0, 50 }
    swarm:run_for(2.05) -- the last telemetry at 2.0: z = 20
    d:fail("crash")
    swarm:run_for(0)
    assert.same({ { 0, "crash", 2.05 } }, restarted)
    local st = d:status()
    assert.equal(0, st.id)
    assert.same({ x = 0, y = 0, z = 20 }, st.position)
    assert.equal("moving", st.state)
    assert.equal(1, swarm:count())
    assert.equal(1, swarm:stats().restarts)
    swarm:run_for(3)
    assert.same({ x = 0, y = 0, z = 50 }, d:position()) -- it carries on
  end)

  it("crash: a command accepted before the restart is carried over to it", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5)
    local log = {}
    swarm:on("*", function(ev) log[#log + 1] = { ev.type, ev.t, ev.state or ev.reason } end)
    assert.is_true(d:fail("crash"))
    assert.is_true(d:move_to{ 0, 0, 50 }) -- behind the crash in its mailbox
    swarm:run_for(1)
    assert.same({
      { "drone_restarted", 0.5, "crash" },
      { "drone_state", 0.5, "moving" }, -- the restarted drone took it
    }, log)
    assert.equal("commanded", d:status().reason)
    assert.same({ x = 0, y = 0, z = 10 }, d:position()) -- ticks 0.6 to 1.5
  end)

  it("crash: commands queued behind two crashes survive both, in order", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5)
    local log = {}
    swarm:on("*", function(ev) log[#log + 1] = { ev.type, ev.t, ev.state or ev.reason } end)
    d:fail("crash")
    d:move_to{ 0, 0, 50 }
    d:fail("crash")
    d:move_to{ 0, 0, 5 }
    swarm:run_for(1)
    assert.same({
      { "drone_restarted", 0.5, "crash" },
      { "drone_state", 0.5, "moving" },
      { "drone_restarted", 0.5, "crash" },
      -- still moving after the restart (no event), now to 5 m up: z = 1 at
      -- the 0.6 tick, 5 at the 1.0 tick, where it arrives
      { "drone_state", 1.0, "idle" },
    }, log)
    assert.equal(2, swarm:stats().restarts)
    assert.same({ x = 0, y = 0, z = 5 }, d:position())
  end)

  it("bad input gets an error that names the problem", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    assert.has_error(function() d:fail("meteor") end,
      "drone:fail: unknown fault 'meteor' (comms, gps or crash)")
    assert.has_error(function() d:move_to("north") end,
      "drone:move_to: a position must be a table {x=, y=, z=} or {x, y, z} (got string)")
    assert.has_error(function() d:move_to{ x = 1 } end, "drone:move_to: position needs a number y")
    assert.has_error(function() swarm:spawn_drone{ sped = 3 } end,
      "swarm:spawn_drone: unknown option 'sped'")
    assert.has_error(function() swarm:spawn_drone{ battery = 120 } end,
      "swarm:spawn_drone: option 'battery' must be in 0..100")
    assert.has_error(function() swarm:spawn_drone{ speed = 0 } end,
      "swarm:spawn_drone: option 'speed' must be > 0")
    assert.has_error(function() swarm:spawn_fleet(2, { base = { 1, 1 } }) end,
      "swarm:spawn_fleet: unknown option 'base'")
    assert.has_error(function() starling.swarm{ drone = { low_battery = 10, critical_battery = 20 } } end,
      "starling.swarm: option 'drone': option 'critical_battery' must be in 0..low_battery")
  end)

  it("a crashed drone restarts with the battery it last published", function()
    local swarm = starling.swarm{ telemetry_interval = 1 }
    local d = swarm:spawn_drone{ drain = 10 }
    local published
    swarm:telemetry():each(function(s) published = s.battery end)
    d:move_to{ 0, 0, 1000 }
    swarm:run_for(1.55)           -- last sample at 1.0, then five more ticks
    assert.is_true(d:battery() < published) -- live battery is lower
    d:fail("crash")
    swarm:run_for(0)
    assert.equal(published, d:battery())
  end)
end)
