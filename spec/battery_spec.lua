-- Battery: drain while airborne, low and critical thresholds, forced
-- landing, charging at base (API.md section 2).  Defaults: drain 1 %/s,
-- charge 5 %/s, low 30 %, critical 15 %; tick 0.1 s.
local starling = require "starling"

local function flying(swarm, opts)
  local d = swarm:spawn_drone(opts)
  d:move_to{ 0, 0, 1000 } -- far away: airborne for the whole test
  swarm:run_for(0)
  return d
end

describe("battery", function()
  it("drains 1 % per second of flight, counted exactly", function()
    local swarm = starling.swarm{}
    local d = flying(swarm)
    swarm:run_for(0.9)
    assert.equal(100, d:battery()) -- 0.9 % used: still reads 100
    swarm:run_for(0.1)
    assert.equal(99, d:battery())
    swarm:run_for(9)
    assert.equal(90, d:battery())
  end)

  it("does not drain idle at base, but does idle in the air", function()
    local swarm = starling.swarm{}
    local home = swarm:spawn_drone{}
    local hover = swarm:spawn_drone{ base = { 50, 0, 0 } }
    hover:move_to{ 50, 0, 1 }
    swarm:run_for(10.1)
    assert.equal("idle", home:state())
    assert.equal(100, home:battery())
    assert.equal("idle", hover:state())
    assert.equal(90, hover:battery()) -- 101 airborne ticks: 0.1 s .. 10.1 s
  end)

  it("publishes battery_low once, at low_battery", function()
    local swarm = starling.swarm{}
    local lows = {}
    swarm:on("battery_low", function(ev) lows[#lows + 1] = { ev.drone, ev.battery, ev.t } end)
    flying(swarm, { battery = 32 })
    swarm:run_for(5)
    assert.same({ { 0, 30, 2.0 } }, lows)
  end)

  it("returns on its own near critical_battery, reason low_battery", function()
    -- v1 turned at 15 % (t = 1.0).  The energy rule (API.md's amendments)
    -- turns it when its battery is no more than the flight home plus 15 %:
    -- tick j (t = 0.1 j) has 16 - 0.1 j % and would end j m up, j ticks
    -- (0.1 j %) from home: 16 - 0.1 j <= 0.1 j + 15 first at j = 5.
    local swarm = starling.swarm{}
    local d = flying(swarm, { battery = 16 })
    local states = {}
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    swarm:run_for(1.0)
    assert.same({
      { "returning", "low_battery", 0.5 },
      { "charging", "at_base", 0.8 }, -- 4 m up after the turn: 15.2 % left
    }, states)
    assert.equal(17, d:battery()) -- 15.2 % + two ticks of charging: 16.2 %, rounded up
  end)

  it("makes a forced landing at 0 %", function()
    -- The engine's own return rule never lets it get there (the spec
    -- above); an emergency stop, which holds it in the air, does.
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 1, low_battery = 0, critical_battery = 0 }
    d:move_to{ 0, 0, 100 }
    swarm:run_for(0.3) -- 3 m up with 0.7 %
    d:emergency_stop("operator")
    swarm:run_for(0.2)
    assert.equal("emergency", d:state())
    swarm:run_for(0.5) -- 0.7 % lasts 7 ticks: empty at 1.0
    local st = d:status()
    assert.equal("emergency", st.state)
    assert.equal("battery_depleted", st.reason)
    assert.equal(0, st.battery)
    assert.same({ x = 0, y = 0, z = 0 }, st.position) -- landed where it was
    swarm:run_for(5)
    assert.equal(0, d:battery())
    assert.same({ x = 0, y = 0, z = 0 }, d:position())
  end)

  it("at 0 % does not take off: a move_to ends in a landing where it is", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 0, low_battery = 0, critical_battery = 0 }
    local states = {}
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    swarm:run_for(0.1) -- idle at base: not airborne, nothing happens
    assert.is_true(d:move_to{ 0, 0, 50 })
    swarm:run_for(2)
    assert.same({
      { "idle", "initialized", 0.1 },
      { "moving", "commanded", 0.1 },
      { "emergency", "battery_depleted", 0.2 }, -- its first tick in the air
    }, states)
    local st = d:status()
    assert.same({ x = 0, y = 0, z = 0 }, st.position) -- never left the ground
    assert.same({ x = 0, y = 0, z = 0 }, st.velocity)
    assert.equal(0, st.battery)
  end)

  it("after a forced landing, return_to_base cannot fly it home on 0 %", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 1, low_battery = 0, critical_battery = 0 }
    d:move_to{ 100, 0, 0 } -- one metre a tick along x
    swarm:run_for(0.3)     -- at x = 3 with 0.7 %
    d:emergency_stop("operator") -- held there (the return rule would have
    swarm:run_for(0.7)           -- flown it home): lands at 1.0, at x = 3
    assert.equal("battery_depleted", d:status().reason)
    assert.same({ x = 3, y = 0, z = 0 }, d:position())
    local states = {}
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    assert.is_true(d:return_to_base()) -- accepted: return works in emergency
    swarm:run_for(20)
    assert.same({
      { "returning", "commanded", 1.0 },
      { "emergency", "battery_depleted", 1.1 }, -- airborne at 0 %: lands again
    }, states)
    assert.same({ x = 3, y = 0, z = 0 }, d:position())
    assert.equal(0, d:battery())
  end)

  it("a drone landed empty at its base is returned to charge there", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 0, low_battery = 0, critical_battery = 0 }
    swarm:run_for(0.1)
    d:move_to{ 0, 0, 50 }
    swarm:run_for(0.1) -- lands at once, on its base
    assert.equal("battery_depleted", d:status().reason)
    local states = {}
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    d:return_to_base()
    swarm:run_for(1.0)
    assert.same({
      { "returning", "commanded", 0.2 },
      { "charging", "at_base", 0.3 }, -- already there: nothing to fly
    }, states)
    assert.equal(5, d:battery()) -- 0.4 to 1.2: nine ticks of 0.5 %, 4.5 shown rounded up
  end)

  it("charges at 5 % per second at base, then idles", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 80 }
    local charged
    swarm:on("drone_state", function(ev) if ev.reason == "charged" then charged = ev.t end end)
    d:move_to{ 0, 0, 1 }
    swarm:run_for(0.1) -- up one metre: 0.1 % used
    d:return_to_base()
    swarm:run_for(0.1) -- and down (another 0.1 %): charging from 0.2 s
    assert.equal("charging", d:state())
    assert.equal(80, d:battery()) -- 79.8 %, shown rounded up
    swarm:run_for(2)
    assert.equal(90, d:battery()) -- +10 % in 20 ticks
    swarm:run_for(2.1)
    assert.equal(4.3, charged) -- 20.2 % needs 41 ticks of 0.5 %
    assert.equal("idle", d:state())
    assert.equal(100, d:battery())
  end)

  it("honours per-drone drain and charge rates", function()
    local swarm = starling.swarm{}
    local d = flying(swarm, { drain = 2.5 })
    swarm:run_for(2)
    assert.equal(95, d:battery())
  end)

  it("drains a rate below a milli-percent a tick exactly, over a long flight", function()
    -- 0.004 %/s is 0.4 milli-percent a tick: nothing may be rounded away
    local swarm = starling.swarm{}
    local d = flying(swarm, { drain = 0.004 })
    swarm:run_for(999.9) -- 9999 ticks: 3.9996 % used, 96.0004 shows 97
    assert.equal(97, d:battery())
    swarm:run_for(0.1)   -- the 10000th: exactly 4 %
    assert.equal(96, d:battery())
  end)

  it("drains a fractional milli-percent a tick without drift", function()
    -- 0.125 %/s is 12.5 milli-percent a tick, not 13
    local swarm = starling.swarm{}
    local d = flying(swarm, { drain = 0.125 })
    swarm:run_for(199.9) -- 1999 ticks: 24.9875 % used, 75.0125 shows 76
    assert.equal(76, d:battery())
    swarm:run_for(0.1)   -- 2000 ticks: exactly 25 %
    assert.equal(75, d:battery())
  end)

  it("charges a fractional milli-percent a tick without drift", function()
    -- 0.0175 %/s is 1.75 milli-percent a tick, not 2
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 50, charge_rate = 0.0175 }
    d:return_to_base() -- already there: charging from the 0.1 tick
    swarm:run_for(57.2) -- charged at 0.2 .. 57.2: 571 ticks, 0.99925 %
    assert.equal("charging", d:state())
    assert.equal(51, d:battery())
    swarm:run_for(0.1)  -- 572 ticks: 1.001 %, 51.001 shows 52
    assert.equal(52, d:battery())
  end)

  it("battery_low is published again after a full recharge", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 31, drain = 10 }
    local lows = {}
    swarm:on("battery_low", function(ev) lows[#lows + 1] = ev.t end)
    d:move_to{ 0, 0, 1000 }
    swarm:run_for(0.2)
    assert.equal(1, #lows)
    d:return_to_base()
    assert.is_true(swarm:run_until(function() return d:state() == "idle" and d:battery() == 100 end, 60))
    d:move_to{ 0, 0, 1000 }
    swarm:run_for(10)
    assert.equal(2, #lows)
  end)

  it("an emergency drone holds position at critical battery", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 17 }
    d:move_to{ 0, 0, 10 }
    swarm:run_for(0.5)
    d:emergency_stop("operator")
    swarm:run_for(3) -- falls through 15 %
    assert.equal("emergency", d:state())
    assert.equal("operator", d:status().reason)
    assert.is_true(d:battery() <= 15)
  end)

  it("returns as soon as its battery is the flight home plus critical_battery", function()
    -- API.md's amendments (issue 10, item 15), with exact numbers.  Speed
    -- 10 m/s and tick 0.1 s: 1 m a tick; drain 1 %/s: 0.1 % a tick.  The
    -- flight home from d metres out (a whole number) takes d ticks: d - 1
    -- steps of 1 m leave 1.0 m, not yet arrived, and the d-th lands on the
    -- base.  Each tick drains, then checks: were it to carry on, this
    -- tick's move would leave it d metres out needing d * 0.1 %, so it
    -- turns when its battery is at most that plus 15 %.  Tick j of the
    -- outbound flight (t = 0.5 + 0.1 j) has 40 - 0.1 j % and would end j m
    -- out: 40 - 0.1 j <= 0.1 j + 15 first holds at j = 125, t = 13.0, with
    -- 27.5 %, 124 m out.
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 40 }
    swarm:run_for(0.5)
    local states = {}
    swarm:on("drone_state", function(ev) states[#states + 1] = { ev.state, ev.reason, ev.t } end)
    d:move_to{ 300, 0, 0 }
    swarm:run_for(12.4) -- to 12.9
    assert.same({ { "moving", "commanded", 0.5 } }, states)
    assert.same({ x = 124, y = 0, z = 0 }, d:position())
    swarm:run_for(0.1)
    assert.same({ "returning", "low_battery", 13.0 }, states[2])
    assert.same({ x = 123, y = 0, z = 0 }, d:position()) -- it moved home that tick
    assert.equal(28, d:battery()) -- 27.5 %, shown rounded up
    -- from 124 m out the flight home is 124 ticks, this one among them:
    -- 123 more of 0.1 %, landing at tick 248 (t = 25.3) with 15.2 %, more
    -- than critical_battery; the v1 rule (turn at 15 %, 249 m out) would
    -- have run dry 150 m from home
    swarm:run_for(12.2)
    assert.equal(2, #states)
    swarm:run_for(0.1)
    assert.same({ "charging", "at_base", 25.3 }, states[3])
    assert.equal(16, d:battery())
    assert.same({ x = 0, y = 0, z = 0 }, d:position())
  end)

  it("uses the exact battery and the 3-D distance home", function()
    -- Up 30 m and out 40 m: 50 m from home, 50 ticks.  With drain 0.55 %/s
    -- (0.055 % a tick) the turn falls between whole percents.  Outbound,
    -- tick j has 21 - 0.055 j % and would end j m out: it never turns
    -- (that needs j >= 54.5) and arrives at tick 50 (t = 5.5) with 18.25 %.
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{ battery = 21, drain = 0.55 }
    swarm:run_for(0.5)
    d:move_to{ 40, 0, 30 }
    swarm:run_for(5.0)
    assert.equal("idle", d:state()) -- hovering there
    -- hovering tick j' has 18.25 - 0.055 j' % and needs 50 * 0.055 =
    -- 2.75 % + 15: it turns when 18.25 - 0.055 j' <= 17.75, first at
    -- j' = 10 (17.7 %), t = 6.5; at 6.4 it has 17.755 %
    swarm:run_for(0.9)
    assert.equal("idle", d:state())
    swarm:run_for(0.1)
    assert.same({ "returning", "low_battery" }, { d:state(), d:status().reason })
    assert.equal(18, d:battery())
  end)
end)
