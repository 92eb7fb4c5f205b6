-- Lua actors: swarm:actor, send, ask, stop, alive (API.md section 9).
local starling = require "starling"

describe("swarm:actor", function()
  it("handles messages in order, one at a time", function()
    local swarm = starling.swarm{}
    local got = {}
    local a = swarm:actor(function(self, msg) got[#got + 1] = msg end)
    for i = 1, 5 do assert.is_true(a:send(i)) end
    assert.same({}, got)
    swarm:run_for(0)
    assert.same({ 1, 2, 3, 4, 5 }, got)
  end)

  it("passes any Lua value, and the ref as self", function()
    local swarm = starling.swarm{}
    local seen
    local a
    a = swarm:actor(function(self, msg) seen = { self == a, msg } end)
    local t = { x = 1, nested = { "deep" } }
    a:send(t)
    swarm:run_for(0)
    assert.is_true(seen[1])
    assert.equal(t, seen[2]) -- the same table, not a copy
  end)

  it("answers an ask with the handler's return value", function()
    local swarm = starling.swarm{}
    local doubler = swarm:actor(function(self, n) return n * 2 end)
    local answer
    swarm:spawn(function() answer = doubler:ask(21, 1) end)
    swarm:run_for(0)
    assert.equal(42, answer)
  end)

  it("lets a handler wait; the next message waits for it", function()
    local swarm = starling.swarm{}
    local log = {}
    local slow = swarm:actor(function(self, msg)
      log[#log + 1] = ("start %s at %g"):format(msg, swarm:now())
      swarm:sleep(1)
      log[#log + 1] = ("end %s at %g"):format(msg, swarm:now())
      return msg
    end)
    slow:send("a")
    slow:send("b")
    local reply
    swarm:spawn(function() reply = slow:ask("c", 10) end)
    swarm:run_for(5)
    assert.same({ "start a at 0", "end a at 1", "start b at 1", "end b at 2",
      "start c at 2", "end c at 3" }, log)
    assert.equal("c", reply)
  end)

  it("ask times out with nil, 'timeout'; the late reply is dropped", function()
    local swarm = starling.swarm{}
    local slow = swarm:actor(function(self, msg)
      swarm:sleep(5)
      return "late"
    end)
    local got
    swarm:spawn(function()
      got = { slow:ask("q", 1) }
      got[#got + 1] = swarm:now()
    end)
    swarm:run_for(10)
    assert.same({ nil, "timeout", 1 }, got)
    assert.is_true(slow:alive())
  end)

  it("reports mailbox_full when the mailbox is at its bound", function()
    local swarm = starling.swarm{}
    local a = swarm:actor(function() end, { mailbox = 2 })
    assert.is_true(a:send(1))
    assert.is_true(a:send(2))
    assert.same({ nil, "mailbox_full" }, { a:send(3) })
    swarm:run_for(0)
    assert.is_true(a:send(4))
  end)

  it("stop runs on_stop once; the ref then answers actor_stopped", function()
    local swarm = starling.swarm{}
    local events = {}
    local a = swarm:actor(function(self, msg) events[#events + 1] = msg end, {
      on_start = function(self) events[#events + 1] = "started" end,
      on_stop = function(self, reason) events[#events + 1] = "stopped:" .. reason end,
    })
    assert.same({ "started" }, events)
    a:send("m1")
    swarm:run_for(0)
    assert.is_true(a:stop())
    assert.is_false(a:alive())
    assert.same({ "started", "m1", "stopped:normal" }, events)
    assert.same({ nil, "actor_stopped" }, { a:send("m2") })
    assert.same({ nil, "actor_stopped" }, { a:stop() })
    local got
    swarm:spawn(function() got = { a:ask("q", 1) } end)
    swarm:run_for(2)
    assert.same({ nil, "actor_stopped" }, got)
    assert.same({ "started", "m1", "stopped:normal" }, events)
  end)

  it("an actor can stop itself; messages behind are dropped", function()
    local swarm = starling.swarm{}
    local got = {}
    local a = swarm:actor(function(self, msg)
      got[#got + 1] = msg
      if msg == 2 then self:stop() end
    end)
    for i = 1, 4 do a:send(i) end
    swarm:run_for(0)
    assert.same({ 1, 2 }, got)
    assert.is_false(a:alive())
  end)

  it("an error in a handler crashes the actor, not the swarm", function()
    local swarm = starling.swarm{}
    local stop_reason
    local a = swarm:actor(function(self, msg)
      if msg == "bad" then error("cannot handle that") end
      return "ok"
    end, { on_stop = function(self, reason) stop_reason = reason end })
    local first, second
    swarm:spawn(function()
      first = { a:ask("good", 1) }
      second = { a:ask("bad", 1) }
    end)
    swarm:run_for(1)
    assert.same({ "ok" }, first)
    assert.same({ nil, "actor_stopped" }, second) -- not a 1 s timeout
    assert.equal("crashed", stop_reason)
    assert.is_false(a:alive())
  end)

  it("a failing on_start means no actor, with the reason", function()
    local swarm = starling.swarm{}
    local stopped = false
    assert.has_error(function()
      swarm:actor(function() end, {
        on_start = function() error("no fuel", 0) end,
        on_stop = function() stopped = true end,
      })
    end, "swarm:actor: on_start failed: no fuel")
    assert.is_false(stopped)
  end)

  it("rejects unknown options and wrong types by name", function()
    local swarm = starling.swarm{}
    local ok, err = pcall(swarm.actor, swarm, function() end, { mailbx = 3 })
    assert.is_false(ok)
    assert.matches("swarm:actor: unknown option 'mailbx'", err, 1, true)
    ok, err = pcall(swarm.actor, swarm, function() end, { mailbox = 0 })
    assert.is_false(ok)
    assert.matches("option 'mailbox' must be in 1..1000000", err, 1, true)
    ok, err = pcall(swarm.actor, swarm, function() end, { on_stop = 5 })
    assert.is_false(ok)
    assert.matches("option 'on_stop' must be a function (got number)", err, 1, true)
    ok, err = pcall(swarm.actor, swarm, "handler")
    assert.is_false(ok)
    assert.matches("function expected", err)
  end)

  it("stopping an actor whose handler waits cancels that handler", function()
    local swarm = starling.swarm{}
    local finished = false
    local a = swarm:actor(function(self, msg)
      swarm:sleep(10)
      finished = true
    end)
    local got
    swarm:spawn(function() got = { a:ask("x", 20) } end)
    swarm:run_for(1)
    a:stop()
    swarm:run_for(20)
    assert.is_false(finished)
    assert.same({ nil, "actor_stopped" }, got)
  end)

  it("shutdown stops actors in reverse spawn order", function()
    local swarm = starling.swarm{}
    local order = {}
    for i = 1, 4 do
      swarm:actor(function() end, {
        on_stop = function(self, reason) order[#order + 1] = i .. ":" .. reason end,
      })
    end
    swarm:shutdown{ timeout = 1 }
    assert.same({ "4:shutdown", "3:shutdown", "2:shutdown", "1:shutdown" }, order)
  end)

  it("shutdown gives a waiting handler until the deadline to finish", function()
    local swarm = starling.swarm{}
    local log = {}
    local a = swarm:actor(function(self, msg)
      swarm:sleep(msg)
      log[#log + 1] = "finished " .. msg
    end, { on_stop = function(self, reason) log[#log + 1] = reason end })
    a:send(0.5)
    swarm:run_for(0)
    swarm:shutdown{ timeout = 2 }
    assert.same({ "finished 0.5", "shutdown" }, log)
    assert.equal(0.5, swarm:now())
  end)

  it("a ping-pong between two actors alternates exactly", function()
    local swarm = starling.swarm{}
    local trace = {}
    local ping, pong
    ping = swarm:actor(function(self, n)
      trace[#trace + 1] = "ping" .. n
      if n < 3 then pong:send(n + 1) end
    end)
    pong = swarm:actor(function(self, n)
      trace[#trace + 1] = "pong" .. n
      ping:send(n + 1)
    end)
    ping:send(0)
    swarm:run_for(0)
    assert.same({ "ping0", "pong1", "ping2", "pong3", "ping4" }, trace)
  end)
end)

describe("actor edge cases", function()
  it("a handler that fails after waiting fails its ask at once", function()
    local swarm = starling.swarm{}
    local a = swarm:actor(function(self, m)
      swarm:sleep(1)
      error("late failure")
    end)
    local got
    swarm:spawn(function()
      got = { a:ask(1, 5) }
      got[3] = swarm:now()
    end)
    swarm:run_for(10)
    assert.same({ nil, "actor_stopped", 1 }, got)
  end)

  it("a task that asked can be collected once done", function()
    local swarm = starling.swarm{}
    local a = swarm:actor(function(self, m) return m end)
    local weak = setmetatable({}, { __mode = "v" })
    weak[1] = swarm:spawn(function() return a:ask(1, 1) end)
    swarm:run_for(1)
    assert.equal("done", weak[1].status)
    collectgarbage()
    collectgarbage()
    assert.is_nil(weak[1])
  end)

  it("self works inside on_start", function()
    local swarm = starling.swarm{}
    local handled = {}
    local alive_in_start
    local a = swarm:actor(function(self, msg) handled[#handled + 1] = msg end, {
      on_start = function(self)
        alive_in_start = self:alive()
        assert(self:send("hello from on_start"))
      end,
    })
    swarm:run_for(0)
    assert.is_true(alive_in_start)
    assert.same({ "hello from on_start" }, handled)
    assert.is_true(a:alive())
  end)

  it("stopping an actor survives a nearly full Lua stack", function()
    local swarm = starling.swarm{}
    local a = swarm:actor(function(self, msg)
      swarm:sleep(1)
      return "late"
    end)
    a:send(1)
    swarm:run_for(0) -- its handler task sleeps, the actor is suspended
    local big = {}
    for i = 1, 1000000 do big[i] = i end
    local stop = a.stop
    local stopped = false
    for n = 999990, 999000, -1 do
      if pcall(function() return stop(a, table.unpack(big, 1, n)) end) then
        stopped = true
        break
      end
    end
    big = nil
    collectgarbage()
    assert.is_true(stopped)
    assert.is_false(a:alive())
    swarm:run_for(2) -- the cancelled handler must not call back into freed state
  end)

  it("names itself in tostring", function()
    local swarm = starling.swarm{}
    local a = swarm:actor(function() end, { name = "tower" })
    assert.matches("^starling.actor tower %(%d+%.%d+%)$", tostring(a))
    a:stop()
    assert.matches("stopped", tostring(a), 1, true)
  end)
end)
