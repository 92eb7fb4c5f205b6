-- The instruction budget (API.md section 6): every swarm task -- a
-- handler, a mission, a spawn body, an actor handler, a timer callback, a
-- stream function -- runs under `budget` instructions per resume; over it,
-- the task fails with budget_exceeded, the failure is counted in
-- stats().handler_errors, and the swarm keeps flying.
local starling = require "starling"

describe("the instruction budget", function()
  it("fails a runaway task with budget_exceeded; the swarm goes on", function()
    local swarm = starling.swarm{ budget = 10000 }
    local ticks = 0
    swarm:every(1, function() ticks = ticks + 1 end)
    local runaway = swarm:spawn(function() while true do end end)
    swarm:run_for(3)
    assert.equal("failed", runaway.status)
    assert.equal("budget_exceeded", runaway.error)
    assert.equal(3, ticks)
  end)

  it("cannot be swallowed by pcall inside the task", function()
    local swarm = starling.swarm{ budget = 10000 }
    local caught = 0
    local sly = swarm:spawn(function()
      while true do
        local ok = pcall(function() while true do end end)
        if not ok then caught = caught + 1 end
      end
    end)
    swarm:run_for(1)
    assert.equal("failed", sly.status)
    assert.equal("budget_exceeded", sly.error)
    assert.equal(0, caught) -- it never even got to count it
  end)

  it("is per resume: a task that waits between bursts is fine", function()
    local swarm = starling.swarm{ budget = 50000 }
    local task = swarm:spawn(function()
      local n = 0
      for _ = 1, 20 do
        for _ = 1, 5000 do n = n + 1 end -- well under the budget each time
        swarm:sleep(0.1)
      end
      return n
    end)
    swarm:run_for(5)
    assert.equal("done", task.status)
    assert.equal(100000, (task:wait()))
  end)
end)

describe("the budget across coroutines", function()
  it("charges a generator's work to each resume, not forever", function()
    local swarm = starling.swarm{ budget = 10000 }
    local task = swarm:spawn(function()
      local gen = coroutine.wrap(function()
        while true do
          for _ = 1, 100 do end
          coroutine.yield()
        end
      end)
      for _ = 1, 1000 do
        gen()
        swarm:sleep(0.001)
      end
      return "ok"
    end)
    swarm:run_for(10)
    assert.equal("done", task.status)
  end)

  it("cannot be dodged by running the work in fresh coroutines", function()
    local swarm = starling.swarm{ budget = 10000 }
    local n = 0
    local task = swarm:spawn(function()
      while n < 20000 do
        coroutine.wrap(function() for _ = 1, 2000 do end end)()
        n = n + 1
      end
    end)
    swarm:run_for(0)
    assert.equal("failed", task.status)
    assert.equal("budget_exceeded", task.error)
    assert.is_true(n < 10) -- stopped within the first few thousand instructions
  end)
end)

describe("the budget for every kind of task", function()
  it("an event handler that runs away fails, is counted, and the next event is handled", function()
    local swarm = starling.swarm{ budget = 10000 }
    local seen = {}
    swarm:on("drone_registered", function(ev)
      if ev.drone == 1 then while true do end end
      seen[#seen + 1] = ev.drone
    end)
    for _ = 1, 3 do swarm:spawn_drone{} end
    swarm:run_for(1)
    assert.same({ 0, 2 }, seen)
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("an actor handler that runs away fails the message; the ask gets actor_stopped", function()
    local swarm = starling.swarm{ budget = 10000 }
    local a = swarm:actor(function(self, msg)
      if msg == "spin" then while true do end end
      return msg * 2
    end)
    local got
    swarm:spawn(function() got = { a:ask("spin", 1) } end)
    swarm:run_for(2)
    assert.same({ nil, "actor_stopped" }, got)
    assert.is_false(a:alive())
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("a timer callback that runs away fails that once; the timer keeps firing", function()
    local swarm = starling.swarm{ budget = 10000 }
    local fired = 0
    swarm:every(1, function()
      fired = fired + 1
      if fired == 2 then while true do end end
    end)
    swarm:run_for(4)
    assert.equal(4, fired)
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("a stream's each and filter run under it too", function()
    local swarm = starling.swarm{ budget = 10000 }
    local ch = swarm:channel{ kind = "mpsc", capacity = 8 }
    local got = {}
    ch:stream():filter(function(v)
      if v == 2 then while true do end end
      return true
    end):each(function(v)
      if v == 3 then while true do end end
      got[#got + 1] = v
    end)
    for v = 1, 4 do ch:send(v) end
    swarm:run_for(1)
    assert.same({ 1, 4 }, got)
    assert.equal(2, swarm:stats().handler_errors)
  end)

  it("the default is 1,000,000 instructions a resume", function()
    local swarm = starling.swarm{}
    -- an empty numeric for loop costs one instruction (FORLOOP) per turn
    local small = swarm:spawn(function() for _ = 1, 900000 do end return "ok" end)
    local large = swarm:spawn(function() for _ = 1, 1100000 do end return "ok" end)
    swarm:run_for(0)
    assert.equal("done", small.status)
    assert.equal("failed", large.status)
    assert.equal("budget_exceeded", large.error)
  end)

  it("recycled handler threads start each event with a whole budget", function()
    local swarm = starling.swarm{ budget = 20000 }
    local done = 0
    swarm:on("drone_registered", function()
      for _ = 1, 15000 do end -- three quarters of the budget, every time
      done = done + 1
    end)
    for _ = 1, 50 do swarm:spawn_drone{} end
    swarm:run_for(0)
    assert.equal(50, done)
    assert.equal(0, swarm:stats().handler_errors)
  end)
end)
