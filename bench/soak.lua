-- soak.lua -- an hour of chaos on a virtual swarm, and what must hold after it.
--
-- A fleet (1,000 drones by default, bases on spawn_fleet's 50 m grid) flies
-- in virtual time while missions are created continuously over areas up to
-- 300 m (some queued, some with a deadline, some cancelled later, a few
-- patrolling until cancelled), targets draw support flights, and 10 % of
-- the drones get a fault at a random instant (comms, gps or crash, half of
-- the comms and gps faults repaired later).  Everything random comes from
-- `seed`.  When `seconds` have passed no more missions or faults come, and
-- the swarm runs until every mission has ended (at most `drain` seconds).
-- Then the invariants are checked:
--
--   missions_end   every mission created is completed, cancelled or failed
--   no_stranding   no drone that never had a fault ran out of battery
--   above_critical every drone that never had a fault lands at its base
--                  with more than critical_battery (the energy rule)
--   silent_link    a drone whose link is down publishes no drone_state
--   no_errors      no task of the soak's own failed (handler_errors = 0)
--
-- soak.run(opts) returns a report: counts, and `violations`, a list of
-- messages (empty when every invariant held).  The bench program
-- (bench/lua_soak.c, `make bench`) runs the hour; spec/soak_spec.lua (`make
-- test`) a few minutes.  To add an invariant: collect what it needs in
-- `observe` (or read the swarm at the end) and add a function to
-- `INVARIANTS`; each gets (report, swarm, state) and returns nothing, or a
-- message per violation.
local starling = require "starling"

local M = {}

M.DEFAULTS = {
  seed = 42,
  seconds = 3600,       -- of chaos (swarm time)
  drain = 3600,         -- at most this long afterwards for missions to end
  drones = 1000,
  fault_share = 0.1,    -- of the drones, each faulted once
  repair_share = 0.5,   -- of the comms and gps faults
  mission_every = 1,    -- seconds between missions
  max_area = 300,       -- metres, each side of a mission's area at most
  min_area = 20,
  deadline_share = 0.3, -- of missions
  cancel_share = 0.1,   -- of missions, cancelled at some later instant
  forever_share = 0.05, -- of missions: laps = 0, always cancelled later
  queue_share = 0.8,    -- of missions: queue = true
  targets = 200,
}

-- xorshift64 on Lua's 64-bit integers: the soak's own stream, so nothing
-- else that draws random numbers changes it.  r(n): an integer in [0, n).
local function rng(seed)
  local s = (seed * 0x9E3779B97F4A7C15) ~ 0x2545F4914F6CDD1D
  if s == 0 then s = 1 end
  return function(n)
    s = s ~ (s << 13)
    s = s ~ (s >> 7)
    s = s ~ (s << 17)
    return (s >> 1) % n
  end
end

local FAULTS = { "comms", "gps", "crash" }

-- What the soak watches while it runs.  state.faulted[id] is set when a
-- drone gets its fault (and stays set: the invariants are about drones
-- that never had one).
local function observe(swarm, state, report)
  local function on(pattern, fn) state.subs[#state.subs + 1] = swarm:on(pattern, fn) end
  on("mission_assigned", function(ev)
    local n = (state.assignments[ev.mission] or 0) + 1
    state.assignments[ev.mission] = n
    if n > 1 then report.handovers = report.handovers + 1 end
  end)
  on("mission_completed", function() report.completed = report.completed + 1 end)
  on("mission_cancelled", function() report.cancelled = report.cancelled + 1 end)
  on("mission_failed", function() report.failed = report.failed + 1 end)
  on("support_assigned", function() report.supports = report.supports + 1 end)
  on("drone_state", function(ev)
    if state.link_down[ev.drone] then
      state.unheard[#state.unheard + 1] = { drone = ev.drone, t = ev.t, state = ev.state }
    end
    if ev.reason == "at_base" and not state.faulted[ev.drone] then
      local b = swarm:drone(ev.drone):battery() -- as it landed, this tick
      if b <= 15 then state.low_landings[#state.low_landings + 1] = { drone = ev.drone, t = ev.t, battery = b } end
    end
  end)
  -- (a forced landing from an emergency keeps the state, so it publishes
  -- no drone_state: the drones as they end are checked too)
  on("drone_state where reason == battery_depleted", function(ev)
    if not state.faulted[ev.drone] then
      state.stranded[#state.stranded + 1] = { drone = ev.drone, t = ev.t }
    end
  end)
end

-- Drones that end with an empty battery: never faulted (stranded) or not.
local function count_dry(swarm, state, report)
  for _, d in ipairs(swarm:drones()) do
    if d:battery() == 0 then
      if state.faulted[d.id] then
        report.faulted_dry = report.faulted_dry + 1
      else
        report.stranded = report.stranded + 1
      end
    end
  end
  report.stranded = math.max(report.stranded, #state.stranded)
end

local INVARIANTS = {
  function(report, swarm) -- missions_end
    local out = {}
    for _, status in ipairs{ "pending", "assigned" } do
      for _, m in ipairs(swarm:missions(status)) do
        out[#out + 1] = ("missions_end: mission %s still %s at t=%g (drone %s, laps done %d)")
          :format(m.id, status, swarm:now(), tostring(m.drone), m.laps_done)
      end
    end
    return out
  end,
  function(report, swarm, state) -- no_stranding: events, and the drones as they end
    local out = {}
    for _, s in ipairs(state.stranded) do
      out[#out + 1] = ("no_stranding: drone %d, never faulted, ran out of battery at t=%g")
        :format(s.drone, s.t)
    end
    for _, d in ipairs(swarm:drones()) do
      if not state.faulted[d.id] and d:battery() == 0 then
        out[#out + 1] = ("no_stranding: drone %d, never faulted, has an empty battery at the end"):format(d.id)
      end
    end
    return out
  end,
  function(report, swarm, state) -- above_critical (the default 15 %)
    local out = {}
    for _, l in ipairs(state.low_landings) do
      out[#out + 1] = ("above_critical: drone %d, never faulted, landed at t=%g with %d %%")
        :format(l.drone, l.t, l.battery)
    end
    return out
  end,
  function(report, swarm, state) -- silent_link
    local out = {}
    for _, u in ipairs(state.unheard) do
      out[#out + 1] = ("silent_link: drone %d, its link down, published drone_state %s at t=%g")
        :format(u.drone, u.state, u.t)
    end
    return out
  end,
  function(report, swarm) -- no_errors
    local n = swarm:stats().handler_errors
    if n > 0 then return { ("no_errors: %d handler errors"):format(n) } end
  end,
}
M.INVARIANTS = INVARIANTS

--- Checks every invariant; returns the list of violations.
function M.check(report, swarm, state)
  local out = {}
  for _, inv in ipairs(INVARIANTS) do
    for _, msg in ipairs(inv(report, swarm, state) or {}) do out[#out + 1] = msg end
  end
  return out
end

--- Runs the soak; opts override M.DEFAULTS.  Returns the report.
function M.run(opts)
  local o = {}
  for k, v in pairs(M.DEFAULTS) do o[k] = v end
  for k, v in pairs(opts or {}) do
    if M.DEFAULTS[k] == nil then error("soak: unknown option '" .. tostring(k) .. "'", 2) end
    o[k] = v
  end
  local r = rng(o.seed)
  local rows = (o.drones + 9) // 10
  local extent = { min = { -50, -50 }, max = { 500, (rows - 1) * 50 + 50 } }
  local swarm = starling.swarm{ seed = o.seed, event_capacity = 1 << 20,
    targets = { count = o.targets, area = starling.area(extent) } }
  local report = { seed = o.seed, drones = o.drones, seconds = o.seconds, created = 0,
    refused = 0, completed = 0, cancelled = 0, failed = 0, handovers = 0, supports = 0,
    faults = 0, repairs = 0, stranded = 0, faulted_dry = 0 }
  local state = { faulted = {}, assignments = {}, stranded = {}, subs = {}, link_down = {},
    unheard = {}, low_landings = {} }
  observe(swarm, state, report)
  swarm:spawn_fleet(o.drones)

  -- The faults, drawn up front: distinct drones, each at its instant.
  local ids = {}
  for i = 1, o.drones do ids[i] = i - 1 end
  local nfault = math.floor(o.drones * o.fault_share + 0.5)
  for i = 1, nfault do
    local j = i + r(o.drones - i + 1)
    ids[i], ids[j] = ids[j], ids[i]
    local id, kind = ids[i], FAULTS[r(3) + 1]
    local at = r(o.seconds * 10) / 10
    local repair = kind ~= "crash" and r(1000) < o.repair_share * 1000 and 30 + r(571) or nil
    swarm:after(at, function()
      state.faulted[id] = kind
      local d = swarm:drone(id)
      if d and d:fail(kind) then report.faults = report.faults + 1 end
      if kind == "comms" then state.link_down[id] = true end
      if repair then
        swarm:after(repair, function()
          local dd = swarm:drone(id)
          -- the repair is a command: the drone reports again as it takes it
          state.link_down[id] = nil
          if dd and dd:repair() then report.repairs = report.repairs + 1 end
        end)
      end
    end)
  end

  -- Missions, one every `mission_every` seconds.
  local function share(p) return r(1000) < p * 1000 end
  local function new_mission()
    local w = o.min_area + r(o.max_area - o.min_area + 1)
    local h = o.min_area + r(o.max_area - o.min_area + 1)
    local x0 = extent.min[1] + r(math.max(1, extent.max[1] - extent.min[1] - w))
    local y0 = extent.min[2] + r(math.max(1, extent.max[2] - extent.min[2] - h))
    local laps = share(o.forever_share) and 0 or (share(0.25) and 2 or 1)
    local spec = { area = starling.area{ min = { x0, y0 }, max = { x0 + w, y0 + h },
      altitude = 20 + r(31) }, laps = laps, queue = share(o.queue_share) }
    if laps > 0 and share(o.deadline_share) then spec.deadline = 60 + r(541) end
    local id = swarm:create_mission(spec)
    if not id then
      report.refused = report.refused + 1
      return
    end
    report.created = report.created + 1
    if laps == 0 or share(o.cancel_share) then
      swarm:after(laps == 0 and 60 + r(841) or 10 + r(591), function() swarm:cancel_mission(id) end)
    end
  end

  swarm:run_for(0.1) -- the fleet turns idle
  while swarm:now() < o.seconds do
    new_mission()
    swarm:run_for(o.mission_every)
  end
  swarm:run_until(function()
    return report.completed + report.cancelled + report.failed >= report.created
  end, o.drain)
  report.t = swarm:now()
  count_dry(swarm, state, report)
  report.violations = M.check(report, swarm, state)
  for _, sub in ipairs(state.subs) do sub:cancel() end
  report.swarm, report.state = swarm, state
  return report
end

return M
