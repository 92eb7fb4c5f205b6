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

-- A livelock (API.md's amendments; issue 10, item 14): an actor or a task
-- that keeps the virtual clock from moving -- more than `livelock` messages
-- or resumes of it since the clock last moved (10,000,000 by default; the
-- specs lower it to stay quick) -- fails with budget_exceeded, logged and
-- counted, and run_for returns at its deadline instead of hanging.
describe("a livelock on the virtual clock", function()
  it("an actor that keeps messaging itself fails after `livelock` messages", function()
    local swarm = starling.swarm{ livelock = 1000 }
    local handled, stopped = 0, nil
    local a = swarm:actor(function(self, m)
      handled = handled + 1
      self:send(m)
    end, { on_stop = function(_, reason) stopped = reason end })
    a:send(1)
    swarm:run_for(1)
    assert.equal(1, swarm:now())
    assert.equal(1000, handled)
    assert.is_false(a:alive())
    assert.equal("crashed", stopped)
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("a supervisor sees budget_exceeded as the reason", function()
    local swarm = starling.swarm{ livelock = 100 }
    local reasons = {}
    swarm:on("actor_restarted", function(ev) reasons[#reasons + 1] = ev.reason end)
    swarm:supervise{ intensity = 1, period = 5, children = {
      { name = "echo", start = function()
        local a = swarm:actor(function(self, m) self:send(m) end)
        a:send(0)
        return a
      end } } }
    swarm:run_for(1)
    -- it fails, is restarted once, fails again at the same instant: the
    -- supervisor's intensity (1 in 5 s) is spent and it stops
    assert.same({ "budget_exceeded" }, reasons)
    assert.equal(2, swarm:stats().handler_errors)
  end)

  it("a task that yields forever fails after `livelock` resumes", function()
    local swarm = starling.swarm{ livelock = 1000 }
    local n = 0
    local task = swarm:spawn(function() while true do n = n + 1 coroutine.yield() end end)
    local ticks = 0
    swarm:every(1, function() ticks = ticks + 1 end)
    swarm:run_for(3)
    assert.equal("failed", task.status)
    assert.equal("budget_exceeded", task.error)
    assert.equal(1000, n) -- its first resume starts it; 999 more, then it fails
    assert.equal(3, ticks)
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("so does a task that sleeps 0 s in a loop", function()
    local swarm = starling.swarm{ livelock = 500 }
    local task = swarm:spawn(function() while true do swarm:sleep(0) end end)
    swarm:run_for(2)
    assert.equal("failed", task.status)
    assert.equal("budget_exceeded", task.error)
    assert.equal(2, swarm:now())
  end)

  it("a task that keeps spawning its successor counts as one line of resumes", function()
    -- Each task resumes once, but the line never lets the clock move: the
    -- count passes from a task to the one it starts at the same instant.
    local swarm = starling.swarm{ livelock = 1000 }
    local n, last = 0, nil
    local function f() n = n + 1; last = swarm:spawn(f) end
    swarm:spawn(f)
    swarm:run_for(1)
    assert.equal(1, swarm:now())
    assert.equal(1000, n) -- 1000 resumes in the line; the 1001st fails
    assert.equal("failed", last.status)
    assert.equal("budget_exceeded", last.error)
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("so does a timer callback that keeps arming one for now", function()
    local swarm = starling.swarm{ livelock = 1000 }
    local n = 0
    local function f() n = n + 1; swarm:after(0, f) end
    swarm:after(0, f)
    local ticks = 0
    swarm:every(1, function() ticks = ticks + 1 end)
    swarm:run_for(3)
    assert.equal(3, swarm:now())
    assert.equal(1000, n)
    assert.equal(3, ticks)
    assert.equal(1, swarm:stats().handler_errors)
  end)

  it("but a task may start many at one instant, and a line may go on as time passes", function()
    local swarm = starling.swarm{ livelock = 100 }
    local started = 0
    swarm:spawn(function()
      for _ = 1, 500 do swarm:spawn(function() started = started + 1 end) end
    end)
    local n = 0
    local function g() n = n + 1 if n < 300 then swarm:after(0.001, g) end end
    swarm:after(0, g)
    swarm:run_for(1)
    assert.equal(500, started) -- siblings do not add up
    assert.equal(300, n)       -- each link at its own instant
    assert.equal(0, swarm:stats().handler_errors)
  end)

  it("counts only since the clock last moved: a task that sleeps is fine", function()
    local swarm = starling.swarm{ livelock = 100 }
    local n = 0
    local task = swarm:spawn(function()
      for _ = 1, 50 do
        for _ = 1, 60 do coroutine.yield() n = n + 1 end -- 60 at each instant
        swarm:sleep(0.01)
      end
      return "done"
    end)
    swarm:run_for(1)
    assert.equal("done", task.status)
    assert.equal(3000, n)
  end)

  it("on the real clock the loop is handed back: timers keep their time", function()
    -- No livelock rule there (the clock moves by itself), but the engine
    -- must leave its run queue often enough for timers and I/O: a 50 ms
    -- timer fired once in half a second while one idle pass ran 4096 turns
    -- of 64 messages of this actor.
    local swarm = starling.swarm{ clock = "real" }
    local a = swarm:actor(function(self, m) self:send(m) end)
    a:send(1)
    local fired = 0
    swarm:every(0.05, function() fired = fired + 1 end)
    swarm:run_for(0.5)
    assert.is_true(fired >= 5, "fired " .. fired .. " times of 10")
    assert.is_true(a:alive())
    swarm:close()
  end)

  it("takes a positive integer", function()
    assert.has_error(function() starling.swarm{ livelock = 0 } end,
      "starling.swarm: option 'livelock' must be in 1..4294967295")
    assert.has_error(function() starling.swarm{ livelock = 1.5 } end)
  end)
end)
