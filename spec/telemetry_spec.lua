-- swarm:telemetry(): one sample per drone per telemetry_interval, through
-- the stream operators (API.md section 8).
local starling = require "starling"

describe("swarm:telemetry", function()
  it("gives samples {drone, t, position, battery, state, velocity}", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(2)
    local got
    swarm:spawn(function() got = swarm:telemetry():collect(4) end)
    swarm:run_for(1)
    assert.same({
      { drone = 0, t = 0.1, position = { x = 0, y = 0, z = 0 }, battery = 100,
        state = "idle", velocity = { x = 0, y = 0, z = 0 } },
      { drone = 1, t = 0.1, position = { x = 50, y = 0, z = 0 }, battery = 100,
        state = "idle", velocity = { x = 0, y = 0, z = 0 } },
      { drone = 0, t = 0.2, position = { x = 0, y = 0, z = 0 }, battery = 100,
        state = "idle", velocity = { x = 0, y = 0, z = 0 } },
      { drone = 1, t = 0.2, position = { x = 50, y = 0, z = 0 }, battery = 100,
        state = "idle", velocity = { x = 0, y = 0, z = 0 } },
    }, got)
  end)

  it("one sample per drone per telemetry_interval", function()
    local swarm = starling.swarm{ telemetry_interval = 0.5 }
    swarm:spawn_fleet(3)
    local n, times = 0, {}
    swarm:telemetry():each(function(s)
      n = n + 1
      times[s.t] = (times[s.t] or 0) + 1
    end)
    swarm:run_for(2)
    assert.equal(12, n)
    assert.same({ [0.5] = 3, [1.0] = 3, [1.5] = 3, [2.0] = 3 }, times)
  end)

  it("shows a moving drone's position and velocity", function()
    local swarm = starling.swarm{}
    local d = swarm:spawn_drone{}
    d:move_to{ 0, 0, 100 }
    local got
    swarm:spawn(function()
      got = swarm:telemetry():filter(function(s) return s.t >= 0.5 end):collect(1)
    end)
    swarm:run_for(1)
    assert.same({ { drone = 0, t = 0.5, position = { x = 0, y = 0, z = 5 }, battery = 100,
      state = "moving", velocity = { x = 0, y = 0, z = 10 } } }, got)
  end)

  it("samples what the tick of the same instant left, whatever the interval", function()
    -- README: at one instant the swarm's timers run tick, then telemetry.
    -- move_to at 0.1 is applied at once; the drone climbs 1 m at each tick
    -- from 0.2 on, so the 0.5 tick leaves it at z = 4 and the 1.0 tick at 9.
    for _, interval in ipairs{ 0.1, 0.5, 1.0 } do
      local swarm = starling.swarm{ telemetry_interval = interval }
      local d = swarm:spawn_drone{}
      swarm:run_for(0.1)
      d:move_to{ 0, 0, 100 }
      local z = {}
      swarm:telemetry():each(function(s) z[s.t] = s.position.z end)
      swarm:run_for(1.0)
      if interval <= 0.5 then assert.equal(4, z[0.5]) end
      assert.equal(9, z[1.0])
      assert.equal(10, d:position().z) -- run_for ended at 1.1, after its tick
    end
  end)

  it("aggregates per window in C", function()
    local swarm = starling.swarm{}
    local fleet = swarm:spawn_fleet(3)
    fleet[3]:move_to{ 100, 0, 50 }
    local aggs = {}
    swarm:telemetry():aggregate(1):each(function(a) aggs[#aggs + 1] = a end)
    swarm:run_for(1.15)
    -- drone 2 flies from 0.1 and reads 99 from 1.0 (one of its ten samples)
    assert.same({ {
      t = 1.1, samples = 30, drones = 3,
      avg_battery = (29 * 100 + 99) / 30, min_battery = 99, max_battery = 100,
      by_state = { idle = 20, moving = 10 },
    } }, aggs)
  end)

  it("a slow consumer loses samples and counts them", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(5)
    local seen = 0
    local sub = swarm:telemetry():each(function() seen = seen + 1 end, { capacity = 2 })
    swarm:run_for(1)
    assert.equal(20, seen) -- 2 of the 5 samples of each interval
    assert.equal(30, sub.lagged)
  end)

  it("a subscriber that cancels itself mid-pass costs the others nothing", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(2)
    local a
    local seen_by_a, per = 0, {}
    -- a's filter runs inside the telemetry pass, for drone 0's sample at 0.1
    a = swarm:telemetry():filter(function()
      seen_by_a = seen_by_a + 1
      a:cancel()
      return true
    end):each(function() end)
    swarm:telemetry():each(function(s)
      per[s.drone] = per[s.drone] or {}
      table.insert(per[s.drone], s.t)
    end)
    swarm:run_for(1)
    assert.equal(1, seen_by_a)
    local ts = { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0 }
    assert.same({ [0] = ts, [1] = ts }, per) -- every sample, the first too
  end)

  it("stops when cancelled, and for a drone that lost its link", function()
    local swarm = starling.swarm{}
    local fleet = swarm:spawn_fleet(2)
    local per = {}
    local sub = swarm:telemetry():each(function(s) per[s.drone] = (per[s.drone] or 0) + 1 end)
    fleet[2]:fail("comms")
    swarm:run_for(1)
    assert.same({ [0] = 10 }, per)
    sub:cancel()
    swarm:run_for(1)
    assert.same({ [0] = 10 }, per)
  end)
end)

describe("swarm:stats", function()
  it("has every field of API.md, counted", function()
    local swarm = starling.swarm{ health_check = 1, offline_after = 1 }
    local fleet = swarm:spawn_fleet(3)
    swarm:run_for(0.5)
    swarm:create_mission{ laps = 0 } -- drone 1 (nearest the centre)
    swarm:create_mission{ laps = 0 } -- drone 0 (ties with 2: lowest id)
    swarm:create_mission{ laps = 0, queue = true } -- drone 2
    fleet[1]:fail("comms") -- drone 0 leaves its mission: nobody free, pending
    fleet[2]:fail("crash")
    swarm:spawn(function() error("a failing task") end)
    swarm:run_for(3)
    local st = swarm:stats()
    local keys = {}
    for k in pairs(st) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.same({ "active_missions", "drones", "handler_errors", "messages_received",
      "messages_sent", "missions_completed", "offline", "online", "pending_missions",
      "restarts", "t", "targets_detected" }, keys)
    assert.equal(3.5, st.t)
    assert.equal(3, st.drones)
    assert.equal(2, st.online)
    assert.equal(1, st.offline) -- the one that lost its link
    assert.equal(2, st.active_missions)
    assert.equal(1, st.pending_missions)
    assert.equal(0, st.missions_completed)
    assert.equal(0, st.targets_detected)
    assert.equal(1, st.restarts)
    assert.equal(1, st.handler_errors)
    assert.is_true(st.messages_sent >= st.messages_received and st.messages_received > 0)
  end)
end)
