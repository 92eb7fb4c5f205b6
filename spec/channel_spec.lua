-- Channels from Lua: mpsc, broadcast, watch, oneshot (API.md section 9).
local starling = require "starling"

describe("mpsc channels", function()
  it("are FIFO and bounded", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc", capacity = 2 }
    assert.equal("mpsc", ch.kind)
    assert.equal(2, ch.capacity)
    assert.is_true(ch:send("a"))
    assert.is_true(ch:try_send("b"))
    assert.same({ nil, "full" }, { ch:try_send("c") })
    assert.equal("a", ch:try_recv())
    assert.equal("b", ch:recv()) -- a value is there: no need to wait
    assert.same({ nil, "empty" }, { ch:try_recv() })
  end)

  it("carry any Lua value, the same table", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{}
    local t = { 1, 2, { 3 } }
    ch:send(t)
    assert.equal(t, ch:try_recv())
  end)

  it("recv waits inside a task and times out", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    local got = {}
    swarm:spawn(function()
      for _ = 1, 3 do
        local v, err = ch:recv(1)
        got[#got + 1] = { v, err, swarm:now() }
      end
    end)
    swarm:after(0.5, function() ch:send("x") end)
    swarm:after(0.75, function() ch:send("y") end)
    swarm:run_for(5)
    assert.same({ { "x", nil, 0.5 }, { "y", nil, 0.75 }, { nil, "timeout", 1.75 } }, got)
  end)

  it("a full channel makes a sending task wait for room, in order", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc", capacity = 1 }
    local sent = {}
    swarm:spawn(function()
      for i = 1, 3 do
        assert(ch:send(i))
        sent[#sent + 1] = { i, swarm:now() }
      end
    end)
    local got = {}
    swarm:every(1, function() got[#got + 1] = ch:try_recv() end)
    swarm:run_for(3.5)
    assert.same({ { 1, 0 }, { 2, 1 }, { 3, 2 } }, sent)
    assert.same({ 1, 2, 3 }, got)
  end)

  it("a full send outside a task is an error that says what to do", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc", capacity = 1 }
    ch:send(1)
    local ok, err = pcall(ch.send, ch, 2)
    assert.is_false(ok)
    assert.matches("channel:send (on a full channel) waits", err, 1, true)
  end)

  it("close wakes waiting receivers and senders; queued values remain", function()
    local swarm = starling.swarm{}
    local inbox = swarm:channel{ kind = "mpsc" }
    local outbox = swarm:channel{ kind = "mpsc", capacity = 1 }
    outbox:send("kept")
    local r, s
    swarm:spawn(function() r = { inbox:recv() } end)
    swarm:spawn(function() s = { outbox:send("dropped") } end)
    swarm:run_for(1)
    inbox:close()
    outbox:close()
    swarm:run_for(0)
    assert.same({ nil, "closed" }, r)
    assert.same({ nil, "closed" }, s)
    assert.equal("kept", outbox:try_recv())
    assert.same({ nil, "closed" }, { outbox:try_recv() })
    assert.same({ nil, "closed" }, { inbox:send(1) })
  end)
end)

describe("broadcast channels", function()
  it("give every receiver every value", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast", capacity = 8 }
    local a, b = ch:subscribe(), ch:subscribe()
    for i = 1, 3 do ch:send(i) end
    for i = 1, 3 do assert.equal(i, a:try_recv()) end
    for i = 1, 3 do assert.equal(i, b:try_recv()) end
    for i = 1, 3 do assert.equal(i, ch:try_recv()) end -- its own receiver
    assert.same({ nil, "empty" }, { a:try_recv() })
  end)

  it("a slow receiver skips to the oldest held value and counts the loss", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast", capacity = 4 }
    local slow = ch:subscribe()
    for i = 1, 10 do assert.is_true(ch:send(i)) end -- never waits
    assert.equal(7, slow:try_recv())
    assert.equal(6, slow.lagged)
    assert.equal(8, slow:try_recv())
    assert.equal(7, ch:try_recv())
    assert.equal(6, ch.lagged)
  end)

  it("receivers wait in tasks; a subscriber sees only later values", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast", capacity = 4 }
    ch:send("before")
    local r = ch:subscribe()
    local got
    swarm:spawn(function() got = { r:recv(5), swarm:now() } end)
    swarm:after(2, function() ch:send("after") end)
    swarm:run_for(3)
    assert.same({ "after", 2 }, got)
  end)

  it("close ends receivers after what they have not read", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast" }
    local r = ch:subscribe()
    ch:send(1)
    ch:close()
    assert.equal(1, r:try_recv())
    assert.same({ nil, "closed" }, { r:try_recv() })
    assert.same({ nil, "closed" }, { ch:send(2) })
    r:close()
    assert.has_error(function() r:try_recv() end, "receiver: closed")
  end)
end)

describe("watch channels", function()
  it("keep only the latest value", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "watch" }
    assert.is_nil(ch:get())
    ch:send("a")
    ch:send("b")
    assert.equal("b", ch:get())
    assert.equal("b", ch:try_recv())
    assert.same({ nil, "empty" }, { ch:try_recv() }) -- seen already
  end)

  it("recv waits for a change and gets the newest", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "watch" }
    ch:send(0)
    ch:try_recv()
    local got
    swarm:spawn(function() got = { ch:recv(), swarm:now() } end)
    swarm:after(1, function()
      ch:send(1)
      ch:send(2)
    end)
    swarm:run_for(2)
    assert.same({ 2, 1 }, got)
  end)
end)

describe("oneshot channels", function()
  it("deliver one value once", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "oneshot" }
    local got
    swarm:spawn(function() got = { ch:recv(), swarm:now() } end)
    swarm:after(1.5, function() ch:send("answer") end)
    swarm:run_for(2)
    assert.same({ "answer", 1.5 }, got)
    assert.same({ nil, "closed" }, { ch:send("again") })
    assert.same({ nil, "closed" }, { ch:try_recv() })
  end)

  it("closed without a value wakes its receiver with 'closed'", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "oneshot" }
    local got
    swarm:spawn(function() got = { ch:recv() } end)
    swarm:run_for(1)
    ch:close()
    swarm:run_for(0)
    assert.same({ nil, "closed" }, got)
  end)
end)

describe("swarm:channel options", function()
  it("rejects what does not make sense, by name", function()
    local swarm = starling.swarm{}
    local cases = {
      { { kind = "pipe" }, "option 'kind' must be one of 'mpsc', 'broadcast', 'watch', 'oneshot'" },
      { { capacity = 0 }, "option 'capacity' must be in 1..16777216" },
      { { kind = "watch", capacity = 4 }, "option 'capacity' does not apply to watch channels" },
      { { size = 4 }, "unknown option 'size'" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(swarm.channel, swarm, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
    local mpsc = swarm:channel{}
    assert.has_error(function() mpsc:subscribe() end,
      "channel:subscribe is for broadcast and watch channels (this is mpsc)")
    assert.has_error(function() mpsc:get() end,
      "channel:get is for watch channels (this is mpsc)")
  end)

  it("a task cancelled while receiving is not woken later", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{}
    local woke = false
    local t = swarm:spawn(function()
      ch:recv()
      woke = true
    end)
    swarm:run_for(1)
    t:cancel()
    ch:send("late")
    swarm:run_for(1)
    assert.is_false(woke)
    assert.equal("late", ch:try_recv()) -- nobody took it
  end)
end)

describe("channel edge cases", function()
  it("a value received by a waiting task survives the channel being collected", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    local got
    swarm:spawn(function()
      got = ch:recv()
      ch = nil
      collectgarbage()
      collectgarbage()
    end)
    swarm:spawn(function() ch:send({ "payload" }) end)
    swarm:run_for(1)
    assert.same({ "payload" }, got)
  end)

  it("a receiver that finds its value taken still times out on time", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast" }
    local got = {}
    for i = 1, 2 do
      swarm:spawn(function()
        local v, err = ch:recv(2)
        got[i] = { v, err, swarm:now() }
      end)
    end
    swarm:after(1, function() ch:send("x") end)
    swarm:run_for(5)
    assert.same({ "x", nil, 1 }, got[1])
    assert.same({ nil, "timeout", 2 }, got[2])
  end)

  it("a oneshot wakes its other waiters with 'closed' once taken", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "oneshot" }
    local got = {}
    for i = 1, 2 do swarm:spawn(function() got[i] = { ch:recv() } end) end
    swarm:run_for(1)
    ch:send("only")
    swarm:run_for(1)
    assert.same({ "only" }, got[1])
    assert.same({ nil, "closed" }, got[2])
  end)

  it("a oneshot closed after its value was sent still delivers it", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "oneshot" }
    assert.is_true(ch:send("v"))
    ch:close()
    assert.equal("v", ch:try_recv())
  end)

  it("a received value is not kept alive by the channel", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    local weak = setmetatable({}, { __mode = "k" })
    do
      local t = {}
      weak[t] = true
      ch:send(t)
      assert.equal(t, ch:recv())
    end
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(weak))
  end)

  it("<close> on a channel closes it: its waiters wake", function()
    local swarm = starling.swarm{}
    local got
    local keep
    do
      local ch <close> = swarm:channel{}
      keep = ch
      swarm:spawn(function() got = { ch:recv() } end)
      swarm:run_for(1)
    end
    swarm:run_for(0)
    assert.same({ nil, "closed" }, got)
    assert.same({ nil, "closed" }, { keep:send(1) })
  end)
end)
