-- Streams over a channel source: operators and sinks (API.md section 8).
local starling = require "starling"

-- A swarm, a broadcast channel, and a feeder sending one sample-like table
-- every 0.1 s: i = 1, 2, ...; drone = i % 3, battery = 100 - i, state
-- alternating moving / idle.
local function fixture(opts)
  local swarm = starling.swarm{}
  local ch = swarm:channel{ kind = "broadcast", capacity = (opts and opts.capacity) or 256 }
  local i = 0
  local feeder = swarm:every(0.1, function()
    i = i + 1
    ch:send{ drone = i % 3, battery = 100 - i, state = i % 2 == 0 and "idle" or "moving", i = i }
  end)
  return swarm, ch, feeder
end

describe("stream operators", function()
  it("filter and map, in C order, in virtual time", function()
    local swarm, ch = fixture()
    local got = {}
    ch:stream()
      :filter(function(s) return s.drone == 1 end)
      :map(function(s) return s.i * 10 end)
      :each(function(v) got[#got + 1] = { v, swarm:now() } end)
    swarm:run_for(1)
    assert.same({ { 10, 0.1 }, { 40, 0.4 }, { 70, 0.7 }, { 100, 1.0 } }, got)
  end)

  it("map to nil drops the item", function()
    local swarm, ch = fixture()
    local got = {}
    ch:stream():map(function(s) if s.i % 2 == 0 then return s.i end end)
      :each(function(v) got[#got + 1] = v end)
    swarm:run_for(0.6)
    assert.same({ 2, 4, 6 }, got)
  end)

  it("window closes `seconds` after its first item, exactly", function()
    local swarm, ch = fixture()
    local batches = {}
    ch:stream():window(0.35):each(function(b)
      local is = {}
      for k, s in ipairs(b) do is[k] = s.i end
      batches[#batches + 1] = { swarm:now(), is }
    end)
    swarm:run_for(1.2)
    -- items at 0.1 .. 1.2; the first window opens at 0.1 and closes at
    -- exactly 0.45; the next opens with the item at 0.5 and closes at 0.85.
    assert.same({
      { 0.45, { 1, 2, 3, 4 } },
      { 0.85, { 5, 6, 7, 8 } },
    }, batches)
  end)

  it("window closes at max_count", function()
    local swarm, ch = fixture()
    local sizes = {}
    ch:stream():window(10, 3):each(function(b) sizes[#sizes + 1] = { #b, swarm:now() } end)
    swarm:run_for(0.7)
    assert.same({ { 3, 0.3 }, { 3, 0.6 } }, sizes)
  end)

  it("aggregate: count, distinct drones, battery stats, states", function()
    local swarm, ch = fixture()
    local aggs = {}
    ch:stream():aggregate(1):each(function(a) aggs[#aggs + 1] = a end)
    swarm:run_for(2.15)
    assert.equal(2, #aggs)
    assert.same({
      t = 1.1, samples = 10, drones = 3,
      avg_battery = 94.5, min_battery = 90, max_battery = 99,
      by_state = { moving = 5, idle = 5 },
    }, aggs[1])
    assert.equal(2.1, aggs[2].t)
    assert.equal(84.5, aggs[2].avg_battery)
  end)

  it("aggregate over other fields names its keys after them", function()
    local swarm, ch = fixture()
    local agg
    ch:stream():aggregate(0.5, { source = "state", value = "i", category = "state" })
      :each(function(a) agg = agg or a end)
    swarm:run_for(1)
    assert.same({ t = 0.6, samples = 5, states = 0, avg_i = 3, min_i = 1, max_i = 5,
      by_state = { moving = 3, idle = 2 } }, agg) -- a string source is not counted
  end)

  it("throttle lets one item through per period", function()
    local swarm, ch = fixture()
    local at = {}
    ch:stream():throttle(0.25):each(function(s) at[#at + 1] = s.i end)
    swarm:run_for(1)
    assert.same({ 1, 4, 7, 10 }, at)
  end)

  it("two sinks on one stream have their own windows", function()
    local swarm, ch = fixture()
    local s = ch:stream():window(0.3)
    local a, b = {}, {}
    s:each(function(batch) a[#a + 1] = #batch end)
    swarm:run_for(0.45)
    s:each(function(batch) b[#b + 1] = #batch end)
    swarm:run_for(0.6)
    assert.same({ 3, 3, 3 }, a)
    assert.same({ 3 }, b)
  end)
end)

describe("stream sinks", function()
  it("collect(n) waits for n items", function()
    local swarm, ch = fixture()
    local got
    swarm:spawn(function() got = { ch:stream():map(function(s) return s.i end):collect(3), swarm:now() } end)
    swarm:run_for(1)
    assert.same({ { 1, 2, 3 }, 0.3 }, got)
  end)

  it("collect gives nil, 'timeout' when too few come", function()
    local swarm, ch = fixture()
    local got
    swarm:spawn(function() got = { ch:stream():collect(100, 0.5) } end)
    swarm:run_for(1)
    assert.same({ nil, "timeout" }, got)
  end)

  it("each can be cancelled; nothing arrives after", function()
    local swarm, ch = fixture()
    local n = 0
    local sub = ch:stream():each(function() n = n + 1 end)
    swarm:run_for(0.5)
    assert.is_true(sub.active)
    assert.is_true(sub:cancel())
    assert.is_false(sub.active)
    swarm:run_for(1)
    assert.equal(5, n)
    assert.is_false(sub:cancel())
  end)

  it("a slow consumer loses items and counts them; the producer goes on", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast", capacity = 1000 }
    local s = ch:stream()
    local seen = 0
    local sub = s:each(function() seen = seen + 1 end, { capacity = 10 })
    for i = 1, 50 do assert.is_true(ch:send(i)) end -- all before the sink runs
    swarm:run_for(0)
    assert.equal(10, seen)
    assert.equal(40, sub.lagged)
    assert.equal(40, s.lagged)
  end)

  it("a filter that fails drops the item and counts the error", function()
    local swarm, ch = fixture()
    local got = {}
    ch:stream():filter(function(s)
      if s.i == 2 then error("bad sample") end
      return true
    end):each(function(s) got[#got + 1] = s.i end)
    swarm:run_for(0.3)
    assert.same({ 1, 3 }, got)
  end)

  it("operators check their arguments", function()
    local swarm, ch = fixture()
    local s = ch:stream()
    assert.has_error(function() s:window(0) end,
      "bad argument #1 to 'window' (positive number of seconds expected, got 0)")
    assert.has_error(function() s:window(1, 0) end,
      "bad argument #2 to 'window' (positive integer expected, got 0)")
    assert.has_error(function() s:filter(42) end,
      "bad argument #1 to 'filter' (function expected, got number)")
    assert.has_error(function() s:aggregate(1, { colour = "x" }) end,
      "aggregate: unknown option 'colour'")
    assert.has_error(function() s:each(function() end, { capcity = 3 }) end,
      "each: unknown option 'capcity'")
    local one = swarm:channel{ kind = "oneshot" }
    assert.has_error(function() one:stream():each(function() end) end,
      "stream: a oneshot channel cannot be a stream source")
  end)

  it("an mpsc channel feeds one stream at a time", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{}
    local got = {}
    local sub = ch:stream():each(function(v) got[#got + 1] = v end)
    assert.has_error(function() ch:stream():each(function() end) end,
      "stream: an mpsc channel feeds one stream at a time (use a broadcast channel to fan out)")
    ch:send("a")
    ch:send("b")
    swarm:run_for(0)
    assert.same({ "a", "b" }, got)
    sub:cancel()
    ch:stream():each(function() end) -- free again
  end)
end)

describe("stream edge cases", function()
  it("a filter may cancel its own subscription", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    local sub
    local seen, out = {}, {}
    sub = ch:stream():filter(function(v)
      seen[#seen + 1] = v
      if v == 2 then sub:cancel() end
      return true
    end):each(function(v) out[#out + 1] = v end)
    for i = 1, 4 do ch:send(i) end
    swarm:run_for(1)
    assert.same({ 1, 2 }, seen)
    assert.same({}, out) -- cancelled before the sink ran: nothing arrives
    assert.is_false(sub.active)
  end)

  it("values lost by a broadcast-fed stream are counted in lagged", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast", capacity = 4 }
    local got = {}
    local st = ch:stream()
    local sub = st:each(function(v) got[#got + 1] = v end)
    for i = 1, 10 do ch:send(i) end
    swarm:run_for(1)
    assert.same({ 7, 8, 9, 10 }, got)
    assert.equal(6, sub.lagged)
    assert.equal(6, st.lagged)
  end)

  it("closing an mpsc source flushes the open window and ends the stream", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    local got = {}
    local sub = ch:stream():window(10):each(function(b) got[#got + 1] = #b end)
    ch:send(1)
    ch:send(2)
    swarm:run_for(1)
    assert.same({}, got)
    ch:close()
    swarm:run_for(0)
    assert.same({ 2 }, got)
    assert.is_false(sub.active) -- ended with its source
  end)

  it("<close> on the source channel ends its stream the same way", function()
    local swarm = starling.swarm{}
    local got = {}
    do
      local ch <close> = swarm:channel{ kind = "mpsc" }
      ch:stream():window(10):each(function(b) got[#got + 1] = #b end)
      ch:send(1)
      ch:send(2)
      swarm:run_for(1)
    end
    swarm:run_for(0)
    assert.same({ 2 }, got)
  end)

  it("collect on a source that ends too soon gives nil, 'closed'", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    local r
    swarm:spawn(function() r = { ch:stream():collect(3) } end)
    swarm:run_for(0)
    ch:send(1)
    ch:close()
    swarm:run_for(1)
    assert.same({ nil, "closed" }, r)
  end)

  it("an mpsc stream gets the values queued before it was attached", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "mpsc" }
    ch:send("a")
    ch:send("b")
    local got = {}
    ch:stream():each(function(v) got[#got + 1] = v end)
    swarm:run_for(0)
    assert.same({ "a", "b" }, got)
  end)

  it("aggregate counts -0.0 and 0.0 as one source", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{ kind = "broadcast" }
    local agg
    ch:stream():aggregate(1):each(function(a) agg = a end)
    ch:send{ drone = 0.0, battery = 50, state = "idle" }
    ch:send{ drone = -0.0, battery = 50, state = "idle" }
    swarm:run_for(2)
    assert.equal(2, agg.samples)
    assert.equal(1, agg.drones)
  end)
end)

describe("a sink's handler that waits (API.md's v2 amendments)", function()
  it("runs one item at a time; items wait in the buffer, beyond it they are dropped and counted", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{}
    local log, running, most = {}, 0, 0
    local sub = ch:stream():each(function(v)
      running = running + 1
      most = math.max(most, running)
      log[#log + 1] = { v, swarm:now() }
      swarm:sleep(1)
      running = running - 1
    end, { capacity = 3 })
    for i = 1, 10 do assert.is_true(ch:send(i)) end
    swarm:run_for(10)
    assert.same({ { 1, 0 }, { 2, 1 }, { 3, 2 } }, log)
    assert.equal(1, most)
    assert.equal(7, sub.lagged)
    -- free again: the next item runs as soon as it comes
    ch:send(11)
    swarm:run_for(0.5)
    assert.same({ 11, 10 }, log[4])
  end)

  it("a handler that fails or is cancelled frees the sink; cancel stops what is buffered", function()
    local swarm = starling.swarm{}
    local ch = swarm:channel{}
    local got = {}
    local sub
    sub = ch:stream():each(function(v)
      got[#got + 1] = v
      if v == 1 then error("bad item", 0) end
      swarm:sleep(1)
      if v == 3 then sub:cancel() end
    end)
    for i = 1, 5 do ch:send(i) end
    swarm:run_for(10)
    assert.same({ 1, 2, 3 }, got)
    assert.equal(1, swarm:stats().handler_errors)
    assert.is_false(sub.active)
  end)

  it("telemetry into a handler that sleeps: one task at a time, the rest counted", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(50)
    local handled, running, most = 0, 0, 0
    local sub = swarm:telemetry():each(function()
      running = running + 1
      most = math.max(most, running)
      handled = handled + 1
      swarm:sleep(1)
      running = running - 1
    end, { capacity = 100 })
    swarm:run_for(5)
    assert.equal(1, most)
    assert.equal(5, handled) -- at 0.1, 1.1, 2.1, 3.1 and 4.1
    -- 50 drones x 50 samples: 5 handled, 100 buffered, the rest dropped
    assert.equal(50 * 50 - 5 - 100, sub.lagged)
  end)
end)
