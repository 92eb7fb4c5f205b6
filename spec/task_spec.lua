-- Swarm tasks: spawn, sleep, wait, cancel, errors (API.md sections 1 and 6).
local starling = require "starling"

describe("swarm tasks", function()
  it("start from the run queue and finish with their results", function()
    local swarm = starling.swarm{}
    local started = false
    local task = swarm:spawn(function(a, b)
      started = true
      return a + b, "sum"
    end, 2, 3)
    assert.is_false(started) -- not before the swarm runs
    assert.equal("running", task.status)
    swarm:run_for(0)
    assert.is_true(started)
    assert.equal("done", task.status)
    assert.is_nil(task.error)
    local x, y = task:wait()
    assert.equal(5, x)
    assert.equal("sum", y)
  end)

  it("sleep waits for exactly its duration", function()
    local swarm = starling.swarm{}
    local woke = {}
    swarm:spawn(function()
      swarm:sleep(1.5)
      woke[#woke + 1] = swarm:now()
      swarm:sleep(0)
      woke[#woke + 1] = swarm:now()
      swarm:sleep(0.25)
      woke[#woke + 1] = swarm:now()
    end)
    swarm:run_for(10)
    assert.same({ 1.5, 1.5, 1.75 }, woke)
  end)

  it("interleaves sleeping tasks by their wake-up times", function()
    local swarm = starling.swarm{}
    local order = {}
    for i, d in ipairs({ 0.3, 0.1, 0.2, 0.1 }) do
      swarm:spawn(function()
        swarm:sleep(d)
        order[#order + 1] = i
      end)
    end
    swarm:run_for(1)
    assert.same({ 2, 4, 3, 1 }, order) -- equal times keep start order
  end)

  it("wait gives another task's results when it ends", function()
    local swarm = starling.swarm{}
    local worker = swarm:spawn(function()
      swarm:sleep(2)
      return "payload", 7
    end)
    local got
    swarm:spawn(function()
      local a, b = worker:wait()
      got = { a, b, swarm:now() }
    end)
    swarm:run_for(3)
    assert.same({ "payload", 7, 2 }, got)
  end)

  it("wait times out with nil, 'timeout'", function()
    local swarm = starling.swarm{}
    local worker = swarm:spawn(function() swarm:sleep(10) end)
    local got
    swarm:spawn(function()
      got = { worker:wait(1) }
      got[#got + 1] = swarm:now()
    end)
    swarm:run_for(3)
    assert.same({ nil, "timeout", 1 }, got)
    assert.equal("running", worker.status)
  end)

  it("wait on a failed task gives nil and its message", function()
    local swarm = starling.swarm{}
    local bad = swarm:spawn(function()
      swarm:sleep(1)
      error("engine on fire", 0)
    end)
    local got
    swarm:spawn(function() got = { bad:wait() } end)
    swarm:run_for(2)
    assert.equal("failed", bad.status)
    assert.equal("engine on fire", bad.error)
    assert.same({ nil, "engine on fire" }, got)
  end)

  it("an error in one task does not disturb the others", function()
    local swarm = starling.swarm{}
    local ticks = 0
    swarm:every(1, function() ticks = ticks + 1 end)
    local bad = swarm:spawn(function() local x = nil; return x.field end)
    local good = swarm:spawn(function()
      swarm:sleep(2)
      return "fine"
    end)
    swarm:run_for(3)
    assert.equal("failed", bad.status)
    assert.matches("attempt to index a nil value", bad.error)
    assert.equal("done", good.status)
    assert.equal(3, ticks)
  end)

  it("a task that fails closes its pending <close> variables, innermost first", function()
    local swarm = starling.swarm{}
    local closed = {}
    local task = swarm:spawn(function()
      local outer <close> = setmetatable({}, { __close = function(_, err) closed[#closed + 1] = "outer: " .. tostring(err) end })
      local inner <close> = setmetatable({}, { __close = function() closed[#closed + 1] = "inner"; error("close fails too") end })
      swarm:sleep(1)
      error("boom", 0)
    end)
    swarm:run_for(2)
    assert.equal("failed", task.status)
    assert.equal("boom", task.error)
    assert.equal(2, #closed)
    assert.equal("inner", closed[1])
    assert.matches("^outer: .*close fails too$", closed[2])
    assert.equal(1, swarm:stats().handler_errors) -- the task, once
  end)

  it("cancel stops a sleeping task and wakes its waiters", function()
    local swarm = starling.swarm{}
    local after_sleep = false
    local closed = false
    local sleeper = swarm:spawn(function()
      local guard <close> = setmetatable({}, { __close = function() closed = true end })
      swarm:sleep(5)
      after_sleep = true
    end)
    local got
    swarm:spawn(function() got = { sleeper:wait() } end)
    swarm:run_for(1)
    assert.is_true(sleeper:cancel())
    assert.equal("cancelled", sleeper.status)
    assert.equal("cancelled", sleeper.error)
    assert.is_true(closed) -- pending to-be-closed variables are closed
    swarm:run_for(10)
    assert.is_false(after_sleep)
    assert.same({ nil, "cancelled" }, got)
    assert.is_false(sleeper:cancel()) -- already over
  end)

  it("cancel before the task starts means it never runs", function()
    local swarm = starling.swarm{}
    local ran = false
    local task = swarm:spawn(function() ran = true end)
    task:cancel()
    swarm:run_for(1)
    assert.is_false(ran)
    assert.equal("cancelled", task.status)
  end)

  it("a task may cancel itself", function()
    local swarm = starling.swarm{}
    local reached = false
    local task
    task = swarm:spawn(function()
      swarm:sleep(1)
      task:cancel()
      reached = true
    end)
    swarm:run_for(2)
    assert.equal("cancelled", task.status)
    assert.is_false(reached)
  end)

  it("a plain coroutine.yield lets other work run, then continues", function()
    local swarm = starling.swarm{}
    local log = {}
    swarm:spawn(function()
      log[#log + 1] = "a1"
      coroutine.yield()
      log[#log + 1] = "a2"
    end)
    swarm:spawn(function() log[#log + 1] = "b" end)
    swarm:run_for(0)
    assert.same({ "a1", "b", "a2" }, log)
  end)

  it("waiting functions raise outside a task, with the reason", function()
    local swarm = starling.swarm{}
    local ok, err = pcall(swarm.sleep, swarm, 1)
    assert.is_false(ok)
    assert.matches("swarm:sleep waits, so it may only be called inside a swarm task", err, 1, true)
    local task = swarm:spawn(function() swarm:sleep(1) end)
    ok, err = pcall(task.wait, task)
    assert.is_false(ok)
    assert.matches("task:wait waits", err, 1, true)
  end)

  it("run_for inside a task is refused, the task fails", function()
    local swarm = starling.swarm{}
    local task = swarm:spawn(function() swarm:run_for(1) end)
    swarm:run_for(0)
    assert.equal("failed", task.status)
    assert.matches("cannot be called inside a swarm task", task.error, 1, true)
  end)

  it("a task cannot wait for itself", function()
    local swarm = starling.swarm{}
    local task
    task = swarm:spawn(function() return task:wait() end)
    swarm:run_for(0)
    assert.equal("failed", task.status)
    assert.matches("cannot wait for itself", task.error, 1, true)
  end)

  it("shutdown cancels the tasks still running", function()
    local swarm = starling.swarm{}
    local task = swarm:spawn(function() swarm:sleep(100) end)
    swarm:run_for(1)
    swarm:shutdown{ timeout = 0 }
    assert.equal("cancelled", task.status)
    assert.has_error(function() swarm:spawn(function() end) end,
      "swarm:spawn: the swarm has shut down")
  end)
end)

describe("task edge cases", function()
  it("a wait that timed out is not woken again by its target", function()
    local swarm = starling.swarm{}
    local worker = swarm:spawn(function()
      swarm:sleep(2)
      return "w"
    end)
    local got
    swarm:spawn(function()
      got = { worker:wait(1) }
      swarm:sleep(5)
      got[3] = swarm:now()
    end)
    swarm:run_for(10)
    assert.same({ nil, "timeout", 6 }, got)
  end)

  it("a cancelled sleeping task can be collected before its wake-up", function()
    local swarm = starling.swarm{}
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = swarm:spawn(function() swarm:sleep(5) end)
    swarm:run_for(1)
    weak[1]:cancel()
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
    swarm:run_for(10) -- its stopped timer must not fire into freed memory
  end)

  it("fails cleanly when the error object's __tostring raises", function()
    local swarm = starling.swarm{}
    local bad = setmetatable({}, { __tostring = function() error("boom") end })
    local task = swarm:spawn(function() error(bad) end)
    swarm:run_for(1)
    assert.equal("failed", task.status)
    assert.equal("(error object is a table value)", task.error)
    local named = setmetatable({}, { __tostring = function() return "E42" end })
    local task2 = swarm:spawn(function() error(named) end)
    swarm:run_for(1)
    assert.equal("E42", task2.error)
  end)

  it("keeps the engine sane when such an error surfaces in an on_stop chain", function()
    local swarm = starling.swarm{}
    local bad = setmetatable({}, { __tostring = function() error("boom") end })
    local victim = swarm:spawn(function() swarm:sleep(100) end)
    local waiter = swarm:spawn(function()
      victim:wait()
      error(bad)
    end)
    local b = swarm:actor(function() end, { on_stop = function() victim:cancel() end })
    swarm:spawn(function() b:stop() end)
    swarm:run_for(0)
    assert.is_false(b:alive())
    assert.equal("cancelled", victim.status)
    assert.equal("failed", waiter.status)
    swarm:run_for(1) -- still runs: nothing left half-done
    assert.equal(1, swarm:now())
    assert.matches("1 actors", tostring(swarm), 1, true) -- the coordinator
  end)

  it("shutdown cancels every task, however many", function()
    local swarm = starling.swarm{}
    local tasks = {}
    for i = 1, 1500 do tasks[i] = swarm:spawn(function() swarm:sleep(100) end) end
    swarm:run_for(0)
    swarm:shutdown{ timeout = 0 }
    local counts = {}
    for _, t in ipairs(tasks) do counts[t.status] = (counts[t.status] or 0) + 1 end
    assert.same({ cancelled = 1500 }, counts)
  end)

  it("resumes a long chain of waiting tasks without deep C recursion", function()
    local swarm = starling.swarm{}
    local first = swarm:spawn(function()
      swarm:sleep(1)
      return 0
    end)
    local prev = first
    for _ = 1, 100000 do
      local p = prev
      prev = swarm:spawn(function() return p:wait() + 1 end)
    end
    swarm:run_for(2)
    assert.equal("done", prev.status)
    assert.equal(100000, (prev:wait()))
  end)
end)
