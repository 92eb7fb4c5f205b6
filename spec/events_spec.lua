-- The event bus: swarm:on and swarm:events (API.md section 6).
local starling = require "starling"

-- Two supervised workers give us events to watch: each crash publishes
-- actor_restarted; shutdown publishes system_shutdown.
local function crashing_swarm(intensity)
  local swarm = starling.swarm{}
  local sup = swarm:supervise{ intensity = intensity or 10, children = {
    { name = "a", start = function()
      return swarm:actor(function(self, m) error("crash of a", 0) end)
    end },
  } }
  local function crash_at(t) swarm:after(t, function() sup:child("a"):send("go") end) end
  return swarm, crash_at
end

describe("swarm:on", function()
  it("runs the handler for each matching event, in order, at its time", function()
    local swarm, crash_at = crashing_swarm()
    local seen = {}
    swarm:on("actor_restarted", function(ev)
      seen[#seen + 1] = { ev.type, ev.name, ev.reason, ev.t, swarm:now() }
    end)
    crash_at(1)
    crash_at(2.5)
    swarm:run_for(3)
    assert.same({
      { "actor_restarted", "a", "crash of a", 1, 1 },
      { "actor_restarted", "a", "crash of a", 2.5, 2.5 },
    }, seen)
  end)

  it("'*' sees every type; cancel stops the handler", function()
    local swarm, crash_at = crashing_swarm()
    local types = {}
    local sub = swarm:on("*", function(ev) types[#types + 1] = ev.type end)
    crash_at(1)
    swarm:run_for(1.5)
    assert.is_true(sub:cancel())
    crash_at(2)
    swarm:run_for(1)
    assert.same({ "actor_restarted" }, types)
    assert.is_false(sub:cancel())
  end)

  it("a handler may wait; an error in it is counted, the swarm goes on", function()
    local swarm, crash_at = crashing_swarm()
    local done = {}
    swarm:on("actor_restarted", function(ev)
      swarm:sleep(0.5)
      done[#done + 1] = swarm:now()
      error("handler trouble")
    end)
    crash_at(1)
    crash_at(1.2)
    swarm:run_for(3)
    assert.same({ 1.5, 1.7 }, done)
  end)

  it("system_shutdown handlers run before shutdown returns", function()
    local swarm = starling.swarm{}
    local got
    swarm:on("system_shutdown", function(ev) got = { ev.type, ev.t } end)
    swarm:run_for(2)
    swarm:shutdown{ timeout = 1 }
    assert.same({ "system_shutdown", 2 }, got)
  end)

  it("rejects an unknown event type", function()
    local swarm = starling.swarm{}
    assert.has_error(function() swarm:on("drone_exploded", function() end) end,
      "bad event filter at column 1: unknown event type 'drone_exploded'\n  drone_exploded\n  ^")
    assert.has_error(function() swarm:on("*", "not a function") end,
      "bad argument #2 to 'on' (function expected, got string)")
  end)
end)

describe("swarm:events", function()
  it("next waits for the next matching event", function()
    local swarm, crash_at = crashing_swarm()
    local q = swarm:events("actor_restarted")
    local got
    swarm:spawn(function()
      local ev = q:next(5)
      got = { ev.name, swarm:now() }
    end)
    crash_at(0.7)
    swarm:run_for(1)
    assert.same({ "a", 0.7 }, got)
  end)

  it("next times out with nil, 'timeout'", function()
    local swarm = starling.swarm{}
    local q = swarm:events("*")
    local got
    swarm:spawn(function() got = { q:next(1) } end)
    swarm:run_for(2)
    assert.same({ nil, "timeout" }, got)
  end)

  it("drain takes what is buffered, filtered by type", function()
    local swarm, crash_at = crashing_swarm()
    local q = swarm:events("actor_restarted")
    local all = swarm:events("*")
    crash_at(1)
    crash_at(2)
    swarm:run_for(3)
    swarm:shutdown{ timeout = 0 }
    local got = q:drain()
    assert.equal(2, #got)
    assert.equal(1, got[1].t)
    assert.equal(2, got[2].t)
    local types = {}
    for i, ev in ipairs(all:drain()) do types[i] = ev.type end
    assert.same({ "actor_restarted", "actor_restarted", "system_shutdown" }, types)
    assert.same({}, q:drain())
  end)

  it("a queue that falls behind the bus counts what it lost", function()
    local swarm, crash_at = crashing_swarm(100000)
    local q = swarm:events("*")
    for i = 1, 1030 do crash_at(i * 0.001) end
    swarm:run_for(2)
    local got = q:drain()
    assert.equal(1024, #got) -- the bus holds 1024 events per subscriber
    assert.equal(6, q.lagged)
  end)
end)

describe("event edge cases", function()
  it("handlers run in the order they were registered", function()
    local swarm = starling.swarm{}
    local order = {}
    swarm:on("system_shutdown", function() order[#order + 1] = "first" end)
    swarm:on("system_shutdown", function() order[#order + 1] = "second" end)
    swarm:on("*", function() order[#order + 1] = "third" end)
    swarm:shutdown{}
    assert.same({ "first", "second", "third" }, order)
  end)

  it("a handler may cancel its subscription and let it be collected", function()
    local swarm = starling.swarm{}
    local sub
    local calls = 0
    sub = swarm:on("*", function()
      calls = calls + 1
      sub:cancel()
      sub = nil
      collectgarbage()
      collectgarbage()
    end)
    swarm:shutdown{}
    assert.equal(1, calls)
  end)

  it("next keeps its deadline across events of other types", function()
    local swarm, crash_at = crashing_swarm()
    local q = swarm:events("supervisor_stopped")
    local r
    swarm:spawn(function() r = { q:next(1) } r[3] = swarm:now() end)
    crash_at(0.5) -- actor_restarted: wakes the queue, does not match
    swarm:run_for(5)
    assert.same({ nil, "timeout", 1 }, r)
  end)

  it("<close> on a queue wakes the task waiting on it", function()
    local swarm = starling.swarm{}
    local r
    do
      local q <close> = swarm:events("*")
      swarm:spawn(function() r = { q:next() } end)
      swarm:run_for(1)
    end
    swarm:run_for(1)
    assert.same({ nil, "closed" }, r)
  end)

  it("a typed queue ignores other events", function()
    local swarm = starling.swarm{}
    local q = swarm:events("drone_registered")
    swarm:shutdown{}
    assert.same({}, q:drain())
  end)
end)

describe("swarm events", function()
  it("handlers of a tick's events run before run_until checks", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 0, 0, 3 }
    local arrived_at
    swarm:on("drone_state", function(ev)
      if ev.state == "idle" and ev.reason == "arrived" then arrived_at = ev.t end
    end)
    assert.is_true(swarm:run_until(function() return arrived_at ~= nil end, 10))
    assert.equal(0.3, arrived_at)
    assert.equal(0.3, swarm:now()) -- stopped right after that tick
  end)

  it("drone events carry exactly their documented fields", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 1 }
    local got = {}
    swarm:on("*", function(ev)
      if not got[ev.type] then got[ev.type] = ev end
    end)
    local d = swarm:spawn_drone{ battery = 31 }
    local e = swarm:spawn_drone{ base = { 50, 0, 0 } }
    d:move_to{ 0, 0, 100 }
    e:fail("crash")
    swarm:run_for(3)
    d:fail("comms")
    swarm:run_for(5)
    e:shutdown()
    swarm:run_for(0)
    assert.same({ type = "drone_registered", t = 0, drone = 0 }, got.drone_registered)
    assert.same({ type = "drone_restarted", t = 0, drone = 1, reason = "crash" }, got.drone_restarted)
    assert.same({ type = "drone_state", t = 0, drone = 0, state = "moving", reason = "commanded" }, got.drone_state)
    assert.same({ type = "battery_low", t = 1.0, drone = 0, battery = 30 }, got.battery_low)
    assert.same({ type = "drone_offline", t = 5.0, drone = 0 }, got.drone_offline)
    assert.same({ type = "drone_unregistered", t = 8.0, drone = 1 }, got.drone_unregistered)
  end)

  it("handlers that wait, fail and finish interleave without sharing state", function()
    local swarm = starling.swarm{}
    local log = {}
    swarm:on("drone_registered", function(ev)
      local id = ev.drone -- a local of this call: it must survive the wait
      if id % 3 == 0 then
        swarm:sleep(1 + id / 10)
        log[#log + 1] = "late" .. id .. "@" .. swarm:now()
      elseif id % 3 == 1 then
        error("bad " .. id)
      else
        log[#log + 1] = "now" .. id
      end
    end)
    for _ = 1, 7 do swarm:spawn_drone{} end
    swarm:run_for(0)
    swarm:spawn_drone{} -- drone 7: a finished handler's thread runs it
    swarm:run_for(3)
    assert.same({ "now2", "now5", "late0@1.0", "late3@1.3", "late6@1.6" }, log)
    assert.equal(3, swarm:stats().handler_errors) -- drones 1, 4 and 7
  end)
end)

-- Issue 10, items 3 and 13: a pattern applies before buffering, lag is per
-- subscription and always current, and a handler loses nothing in a burst.
describe("filtered queues and subscriptions", function()
  it("a typed queue buffers only what it matches: other traffic cannot push it out", function()
    local swarm = starling.swarm{ event_capacity = 10 }
    local q = swarm:events("mission_created")
    local fleet = swarm:spawn_fleet(30) -- 30 drone_registered: 3x the capacity
    swarm:run_for(0.1) -- 30 drone_state (idle)
    local id = assert(swarm:create_mission{ area = starling.area() })
    for _, d in ipairs(fleet) do d:move_to{ 0, 0, 10 } end
    swarm:run_for(0.2) -- 30 more drone_state
    local got = q:drain()
    assert.equal(1, #got)
    assert.same({ "mission_created", id, 0.1 }, { got[1].type, got[1].mission, got[1].t })
    assert.equal(0, q.lagged)
  end)

  it("a filter with a where clause buffers only what passes it", function()
    local swarm = starling.swarm{ event_capacity = 10 }
    local q = swarm:events("drone_registered where drone >= 25")
    swarm:spawn_fleet(30)
    local ids = {}
    for i, ev in ipairs(q:drain()) do ids[i] = ev.drone end
    assert.same({ 25, 26, 27, 28, 29 }, ids)
    assert.equal(0, q.lagged)
  end)

  it("lagged counts only matching events, and is current before any drain", function()
    local swarm = starling.swarm{ event_capacity = 10 }
    local q = swarm:events("drone_registered")
    local never = swarm:events("target_detected")
    local seen = 0
    local sub = swarm:on("target_detected", function() seen = seen + 1 end)
    swarm:spawn_fleet(14)
    assert.equal(4, q.lagged) -- 14 matching, 10 held: no drain needed to know
    swarm:run_for(1)
    assert.equal(4, q.lagged) -- 14 drone_state since: not its type
    assert.equal(0, never.lagged)
    assert.equal(0, sub.lagged)
    assert.equal(0, seen)
    -- the queue keeps the newest ten, oldest first
    local ids = {}
    for i, ev in ipairs(q:drain()) do ids[i] = ev.drone end
    assert.same({ 4, 5, 6, 7, 8, 9, 10, 11, 12, 13 }, ids)
    assert.equal(4, q.lagged) -- a total, not reset by drain
    swarm:spawn_fleet(3)
    assert.equal(3, #q:drain())
    assert.equal(4, q.lagged)
  end)

  it("a queue holds up to event_capacity matching events between drains", function()
    local swarm = starling.swarm{} -- event_capacity 1024
    local q = swarm:events("drone_registered")
    swarm:spawn_fleet(1000)
    swarm:run_for(0.3) -- 3000 drone_state and drone samples in between
    assert.equal(1000, #q:drain())
    swarm:spawn_fleet(1030)
    local got = q:drain()
    assert.equal(1024, #got)
    assert.equal(1006, got[1].drone) -- the 6 oldest were dropped
    assert.equal(2029, got[1024].drone)
    assert.equal(6, q.lagged)
  end)

  it("a handler sees every event of a burst however large", function()
    local swarm = starling.swarm{}
    local n, last = 0, -1
    local in_order = true
    local sub = swarm:on("drone_registered", function(ev)
      n = n + 1
      if ev.drone ~= last + 1 then in_order = false end
      last = ev.drone
    end)
    swarm:spawn_fleet(5000) -- 5000 events published in one call
    swarm:run_for(0)
    assert.equal(5000, n)
    assert.is_true(in_order)
    assert.equal(0, sub.lagged)
  end)

  it("lag is per subscription, and handlers keep publication order across them", function()
    local swarm = starling.swarm{ event_capacity = 16 }
    local order = {}
    local a = swarm:on("drone_registered where drone < 2", function(ev) order[#order + 1] = "a" .. ev.drone end)
    local b = swarm:on("drone_registered", function(ev)
      if ev.drone < 2 or ev.drone >= 2998 then order[#order + 1] = "b" .. ev.drone end
    end)
    local q = swarm:events("drone_registered where drone >= 2990")
    local slow = swarm:events("drone_registered")
    swarm:spawn_fleet(3000)
    swarm:run_for(0)
    assert.same({ "a0", "b0", "a1", "b1", "b2998", "b2999" }, order)
    assert.equal(0, a.lagged)
    assert.equal(0, b.lagged)
    assert.equal(0, q.lagged)
    assert.equal(10, #q:drain())
    assert.equal(3000 - 16, slow.lagged)
  end)

  it("a handler added during a burst sees only what is published after it", function()
    local swarm = starling.swarm{}
    local late = {}
    local added = false
    swarm:on("drone_registered where drone == 1", function()
      if added then return end
      added = true
      swarm:on("drone_registered", function(ev) late[#late + 1] = ev.drone end)
      swarm:spawn_drone{} -- drone 3, after the burst of 0..2
    end)
    swarm:spawn_fleet(3)
    swarm:run_for(0)
    assert.same({ 3 }, late)
  end)
end)

-- Issue 10, item 11: closing a swarm frees what its subscriptions point at;
-- subscriptions collected (or used) afterwards must not touch it.  The
-- explicit collections make the finalizers run here, under ASan in
-- `make test`, rather than at busted's exit where nothing checks them.
describe("subscriptions outliving their swarm", function()
  it("closing a swarm with live subscriptions, then collecting them, is safe", function()
    local swarm = starling.swarm{}
    local subs = {}
    for i = 1, 1000 do subs[i] = swarm:on(i % 2 == 0 and "*" or "drone_state", function() end) end
    local q = swarm:events("*")
    swarm:spawn_fleet(3)
    swarm:run_for(0.1)
    swarm:close()
    assert.equal(0, subs[1].lagged)
    assert.equal(0, q.lagged)
    assert.is_false(subs[2]:cancel())
    assert.is_false(q:cancel())
    subs, q = nil, nil
    collectgarbage("collect")
    collectgarbage("collect")
  end)

  it("a team's subscription survives `local swarm <close>` and collection", function()
    do
      local swarm <close> = starling.swarm{}
      swarm:spawn_fleet(4)
      swarm:run_for(0.1)
      local team = assert(swarm:team(4))
      team:formation("line", { center = { 0, 0, 10 } })
      swarm:run_for(0.5)
    end
    collectgarbage("collect")
    collectgarbage("collect")
  end)

  it("a subscription collected after its swarm was collected is safe", function()
    local sub
    do
      local swarm = starling.swarm{}
      sub = swarm:on("*", function() end)
      swarm:close()
    end
    collectgarbage("collect")
    assert.equal(0, sub.lagged)
    sub = nil
    collectgarbage("collect")
  end)
end)
