-- The swarm's clock: now, run_for, run_until, after, every (API.md section 1).
local starling = require "starling"

describe("swarm clock", function()
  it("starts at zero and advances exactly in virtual time", function()
    local swarm = starling.swarm{}
    assert.equal(0, swarm:now())
    for _ = 1, 10 do swarm:run_for(0.1) end
    assert.equal(1.0, swarm:now()) -- integer microseconds: no drift
    swarm:run_for(0.3)
    assert.equal(1.3, swarm:now())
  end)

  it("fires timers at exactly their due instant, in start order", function()
    local swarm = starling.swarm{}
    local seen = {}
    swarm:after(5, function() seen[#seen + 1] = { "b", swarm:now() } end)
    swarm:after(0.3, function() seen[#seen + 1] = { "a", swarm:now() } end)
    swarm:after(5, function() seen[#seen + 1] = { "c", swarm:now() } end)
    swarm:run_for(4.999999)
    assert.same({ { "a", 0.3 } }, seen)
    swarm:run_for(0.000001)
    assert.same({ { "a", 0.3 }, { "b", 5.0 }, { "c", 5.0 } }, seen)
  end)

  it("every first fires one period after now, then every period", function()
    local swarm = starling.swarm{}
    swarm:run_for(0.25)
    local at = {}
    local timer = swarm:every(0.5, function() at[#at + 1] = swarm:now() end)
    swarm:run_for(2)
    assert.same({ 0.75, 1.25, 1.75, 2.25 }, at)
    assert.is_true(timer:active())
    assert.is_true(timer:cancel())
    swarm:run_for(2)
    assert.equal(4, #at)
    assert.is_false(timer:active())
    assert.is_false(timer:cancel())
  end)

  it("a timer due with the swarm's tick runs after it, whatever the periods", function()
    -- Timers due at one instant fire in start order; the swarm's own were
    -- started first.  The drone climbs 1 m a tick from the 0.2 tick on.
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    local z = {}
    swarm:every(0.5, function() z[#z + 1] = d:position().z end)
    swarm:run_for(0.1)
    d:move_to{ 0, 0, 100 }
    swarm:run_for(1.0)
    assert.same({ 4, 9 }, z) -- what the 0.5 and 1.0 ticks left
  end)

  it("lets a timer cancel itself from its own callback", function()
    local swarm = starling.swarm{}
    local n = 0
    swarm:every(1, function(timer)
      n = n + 1
      if n == 3 then timer:cancel() end
    end)
    swarm:run_for(10)
    assert.equal(3, n)
  end)

  it("cancels a one-shot timer before it fires", function()
    local swarm = starling.swarm{}
    local fired = false
    local timer = swarm:after(1, function() fired = true end)
    assert.is_true(timer:cancel())
    swarm:run_for(2)
    assert.is_false(fired)
  end)

  it("speed: real time K times faster, and only on the real clock", function()
    local swarm = starling.swarm{ clock = "real", speed = 50 }
    local fired
    swarm:after(1, function() fired = swarm:now() end)
    local w0 = os.time()
    swarm:run_for(2) -- 2 s of swarm time: 40 ms of wall time
    assert.is_true(fired >= 1 and fired < 1.5)
    assert.is_true(os.time() - w0 <= 1)
    assert.has_error(function() starling.swarm{ speed = 2 } end,
      'starling.swarm: option \'speed\' needs clock = "real" (virtual time runs as fast as it can)')
    assert.has_error(function() starling.swarm{ clock = "real", speed = 0 } end,
      "starling.swarm: option 'speed' must be in (0, 10000] (got 0.0)")
    swarm:close()
  end)

  it("run_until checks after every tick and returns true", function()
    local swarm = starling.swarm{ tick = 0.1 }
    local checks = {}
    local done = false
    swarm:after(0.25, function() done = true end)
    local ok = swarm:run_until(function()
      checks[#checks + 1] = swarm:now()
      return done
    end, 10)
    assert.is_true(ok)
    -- API.md's amendments: at least one tick runs before the first check,
    -- so there is no check at 0 (v1 checked before the first tick too).
    assert.same({ 0.1, 0.2, 0.3 }, checks)
    assert.equal(0.3, swarm:now())
  end)

  it("run_until runs a tick before its first check (issue 10, item 6)", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    swarm:run_for(0.5) -- idle at its base
    assert.is_true(d:move_to{ 100, 0, 0 })
    -- idle before the command is carried out: a check before any tick would
    -- answer true at once, with the drone not yet moved
    local ok = swarm:run_until(function() return d:state() == "idle" end, 100)
    assert.is_true(ok)
    -- 100 m at 1 m a tick: 99 steps leave 1.0 m, the 100th lands on it, at
    -- 0.5 + 100 * 0.1
    assert.equal(10.5, swarm:now())
    assert.same({ x = 100, y = 0, z = 0 }, d:position())
  end)

  it("run_until with a zero timeout checks once, after running what is due", function()
    local swarm = starling.swarm{}
    local calls = 0
    local ok, err = swarm:run_until(function() calls = calls + 1 return false end, 0)
    assert.same({ false, "timeout", 1, 0 }, { ok, err, calls, swarm:now() })
  end)

  it("run_until gives false, 'timeout' at the timeout", function()
    local swarm = starling.swarm{ tick = 0.5 }
    local ok, err = swarm:run_until(function() return false end, 1.2)
    assert.is_false(ok)
    assert.equal("timeout", err)
    assert.equal(1.2, swarm:now())
  end)

  it("run_until propagates an error raised by the predicate", function()
    local swarm = starling.swarm{}
    assert.has_error(function()
      swarm:run_until(function() error("pred broke") end, 1)
    end)
  end)

  it("rejects bad times with a message naming the argument", function()
    local swarm = starling.swarm{}
    local ok, err = pcall(swarm.run_for, swarm, -1)
    assert.is_false(ok)
    assert.matches("run_for", err)
    ok, err = pcall(swarm.run_for, swarm, "soon")
    assert.is_false(ok)
    assert.matches("number expected, got string", err)
    ok, err = pcall(swarm.after, swarm, 1, "not a function")
    assert.is_false(ok)
    assert.matches("function expected", err)
    ok, err = pcall(swarm.every, swarm, 0, function() end)
    assert.is_false(ok)
    assert.matches("period must be > 0", err)
    ok, err = pcall(swarm.run_until, swarm, function() return true end)
    assert.is_false(ok)
    assert.matches("run_until", err)
  end)

  it("runs on the real clock when asked", function()
    local swarm = starling.swarm{ clock = "real" }
    local fired_at
    swarm:after(0.02, function() fired_at = swarm:now() end)
    swarm:run_for(0.1)
    assert.is_true(fired_at >= 0.02)
    assert.is_true(swarm:now() >= 0.1)
    swarm:close()
  end)
end)

describe("starling.swarm options", function()
  it("rejects an unknown option by name", function()
    local ok, err = pcall(starling.swarm, { sped = 10 })
    assert.is_false(ok)
    assert.matches("unknown option 'sped'", err, 1, true)
  end)

  it("rejects wrong types by option name", function()
    local cases = {
      { { seed = "x" }, "option 'seed' must be an integer" },
      { { seed = 1.5 }, "option 'seed' must be an integer" },
      { { clock = "fast" }, "option 'clock' must be one of 'virtual', 'real'" },
      { { clock = 1 }, "option 'clock' must be a string" },
      { { budget = 0 }, "option 'budget' must be a positive integer" },
      { { tick = 0 }, "option 'tick' must be in" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(starling.swarm, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local ok, err = pcall(starling.swarm, 42)
    assert.is_false(ok)
    assert.matches("options must be a table", err, 1, true)
  end)

  it("refuses everything after close", function()
    local swarm = starling.swarm{}
    swarm:close()
    local ok, err = pcall(swarm.run_for, swarm, 1)
    assert.is_false(ok)
    assert.matches("swarm is closed", err, 1, true)
    swarm:close() -- twice is harmless
  end)

  it("closes at the end of a to-be-closed scope", function()
    local keep
    do
      local swarm <close> = starling.swarm{}
      keep = swarm
    end
    assert.has_error(function() keep:now() end, nil)
    assert.matches("closed", tostring(keep))
  end)
end)

describe("closing from inside", function()
  it("refuses swarm:close inside a task; the task fails, the swarm lives", function()
    local starling = require "starling"
    local swarm = starling.swarm{}
    local task = swarm:spawn(function() swarm:close() end)
    swarm:run_for(1)
    assert.equal("failed", task.status)
    assert.matches("swarm:close cannot be called while the swarm runs", task.error, 1, true)
    assert.equal(1, swarm:now())
  end)
end)

describe("times and lifetimes", function()
  local starling = require "starling"

  it("rounds seconds to the microsecond instead of truncating", function()
    local swarm = starling.swarm{}
    local at
    swarm:after(2.01, function() at = swarm:now() end)
    swarm:run_for(3)
    assert.equal(2.01, at)
  end)

  it("lets a one-shot timer be collected once it fired", function()
    local swarm = starling.swarm{}
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = swarm:after(0.1, function() end)
    swarm:run_for(1)
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("survives close after a task shut the swarm down and slept", function()
    local swarm = starling.swarm{}
    local task = swarm:spawn(function()
      swarm:shutdown()
      swarm:sleep(1)
    end)
    swarm:run_for(0)
    assert.equal("running", task.status)
    swarm:close()
    assert.equal("cancelled", task.status)
    assert.is_false(task:cancel())
  end)

  it("stops run_until with an error when the predicate closes the swarm", function()
    local swarm = starling.swarm{}
    local calls = 0
    local ok, err = pcall(swarm.run_until, swarm, function()
      calls = calls + 1
      if calls == 2 then swarm:close() end
      return false
    end, 10)
    assert.is_false(ok)
    assert.matches("the predicate closed the swarm", err, 1, true)
    assert.equal(2, calls)
  end)

  it("tolerates close called again from a __close handler it runs", function()
    local swarm = starling.swarm{}
    local inner = {}
    for i = 1, 3 do
      swarm:spawn(function()
        local guard <close> = setmetatable({}, {
          __close = function() inner[i] = pcall(swarm.close, swarm) end,
        })
        swarm:sleep(10)
      end)
    end
    swarm:run_for(1)
    swarm:close()
    assert.same({ true, true, true }, inner)
    assert.matches("closed", tostring(swarm))
  end)
end)
