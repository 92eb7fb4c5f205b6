-- starling.team: teams of drones flying formations (API.md section 7).
--
-- A team reserves its drones: the coordinator gives them no mission and no
-- support task until the team is released.  team:formation(kind, opts)
-- computes the slots (starling.formation), assigns members to slots so the
-- total distance flown is least (core.assign: Hungarian up to 256 drones,
-- greedy beyond) from where the members are now, and sends each to its
-- slot.  The swarm tracks the formation each tick and publishes
-- formation_reached{formation} once when every member is within 1.0 m of
-- its slot; formation:wait() is woken by that event.
--
-- A member whose actor has stopped leaves the team at the next formation
-- (the formation is built for the members still flying).  A formation that
-- is superseded by a new one, or whose team is released or sent home, is
-- over: its waiters get nil, "cancelled".
local core = require "starling.core"
local formation = require "starling.formation"
local check = require "starling.check"

local M = {}

-- The most drones one formation assigns (core.assign's limit).
local MAX_MEMBERS = 4096

local Team = {}
Team.__index = Team
Team.__name = "starling.team"

local Formation = {}
Formation.__index = Formation
Formation.__name = "starling.formation"

-- Per swarm: the live formations by id (weak: a formation nobody holds
-- needs no waking), and the subscription that wakes waiters.  The handler
-- must not hold the swarm, or the swarm could never be collected.
local state = setmetatable({}, { __mode = "k" })

local function swarm_state(swarm)
  local st = state[swarm]
  if st then return st end
  st = { forms = setmetatable({}, { __mode = "v" }) }
  local forms = st.forms
  st.sub = swarm:on("formation_reached", function(ev)
    local f = forms[ev.formation]
    if f == nil then return end
    local waiters = f._waiters
    f._waiters = {}
    for _, ch in ipairs(waiters) do ch:send(true) end
  end)
  state[swarm] = st
  return st
end

local function pos3(p)
  return { x = p.x or p[1], y = p.y or p[2], z = p.z or p[3] or 0 }
end

--- swarm:team(n | ids, {near = pos}) -> team, or nil, "not_enough_drones".
-- With n: the n eligible drones nearest (horizontally) to `near` (default
-- the origin), ties to the lowest id.  With ids: exactly those drones, each
-- of which must be eligible (running, online, without a mission, in no
-- other team); an id that names no drone is an error.
function M.team(swarm, what, opts)
  local fname = "swarm:team"
  if opts ~= nil and type(opts) ~= "table" then
    error(("%s: options must be a table (got %s)"):format(fname, type(opts)), 2)
  end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "near" then error(("%s: unknown option '%s'"):format(fname, tostring(k)), 2) end
  end
  local near = opts.near
  if near ~= nil and (type(near) ~= "table" or type(near.x or near[1]) ~= "number"
      or type(near.y or near[2]) ~= "number") then
    error(fname .. ": option 'near' must be a position {x=, y=[, z=]}", 2)
  end
  if near ~= nil then near = check.position(fname, "option 'near'", near, 2) end
  local ids
  if math.type(what) == "integer" then
    if what < 1 then
      error(("%s: the team size must be at least 1 (got %d)"):format(fname, what), 2)
    end
    ids = swarm:_team_pick(what, near or { x = 0, y = 0, z = 0 })
    if ids == nil then return nil, "not_enough_drones" end
  elseif type(what) == "table" then
    if near ~= nil then error(fname .. ": option 'near' is for a team of n drones, not a list", 2) end
    if #what == 0 then error(fname .. ": the list of drone ids is empty", 2) end
    ids = {}
    local seen = {}
    for i, id in ipairs(what) do
      if math.type(id) ~= "integer" then
        error(("%s: id %d must be an integer drone id (got %s)"):format(
          fname, i, type(id) == "number" and tostring(id) or type(id)), 2)
      end
      if swarm:drone(id) == nil then error(("%s: no drone %d"):format(fname, id), 2) end
      if seen[id] then error(("%s: drone %d is listed twice"):format(fname, id), 2) end
      seen[id] = true
      ids[i] = id
    end
    for _, id in ipairs(ids) do
      if not swarm:_team_member_ok(id) then return nil, "not_enough_drones" end
    end
  else
    error(("%s: bad argument #1 (number of drones or list of ids expected, got %s)"):format(
      fname, math.type(what) or type(what)), 2)
  end
  for _, id in ipairs(ids) do swarm:_reserve(id, true) end
  return setmetatable({ _swarm = swarm, _ids = ids }, Team)
end

local function check_team(team, what)
  if getmetatable(team) ~= Team then
    error(("%s: bad self (team expected, got %s)"):format(what, type(team)), 3)
  end
  if team._released then
    error(("%s: the team has been released"):format(what), 3)
  end
end

-- Ends the team's current formation: untracked, its waiters cancelled.
local function end_formation(team)
  local f = team._formation
  if f == nil then return end
  team._formation = nil
  f._over = true
  team._swarm:_formation_drop(f.id)
  local waiters = f._waiters
  f._waiters = {}
  for _, ch in ipairs(waiters) do ch:send("cancelled") end
end

--- team:ids() -> the members' ids (a new table each call).
function Team:ids()
  check_team(self, "team:ids")
  return table.move(self._ids, 1, #self._ids, 1, {})
end

--- team:size() -> the number of members.
function Team:size()
  check_team(self, "team:size")
  return #self._ids
end

--- team:return_to_base() -> true; every member heads home and the current
-- formation (if any) is over.  The team keeps its drones.
function Team:return_to_base()
  check_team(self, "team:return_to_base")
  end_formation(self)
  for _, id in ipairs(self._ids) do
    local d = self._swarm:drone(id)
    if d then d:return_to_base() end
  end
  return true
end

--- team:release() -> true; the drones are free for missions again, where
-- they are.  The team cannot be used afterwards; releasing it again is
-- harmless (cleanup code need not track what it released).
function Team:release()
  if getmetatable(self) == Team and self._released then return true end
  check_team(self, "team:release")
  end_formation(self)
  for _, id in ipairs(self._ids) do self._swarm:_reserve(id, false) end
  self._released = true
  return true
end

--- `local team <close> = swarm:team(...)`: the team is released when the
-- variable goes out of scope, also when the mission fails or is cancelled.
function Team:__close()
  if not self._released then self:release() end
end

--- team:formation(kind, opts) -> formation.  A formation already flown by
-- this team is superseded (a transition): the slots are assigned from
-- where the members are now.
function Team:formation(kind, opts)
  check_team(self, "team:formation")
  local swarm = self._swarm
  -- The members still flying, and where they are.
  local ids, from = {}, {}
  for _, id in ipairs(self._ids) do
    local d = swarm:drone(id)
    local p = d and d:position()
    if p then
      ids[#ids + 1] = id
      from[#from + 1] = p
    end
  end
  if #ids == 0 then return nil, "actor_stopped" end
  local slots = formation._slots("team:formation", kind, #ids, opts)
  if #ids > MAX_MEMBERS then
    error(("team:formation: a formation flies at most %d drones (this team has %d)"):format(
      MAX_MEMBERS, #ids), 2)
  end
  local slot_of = core.assign(from, slots)
  self._ids = ids
  end_formation(self)
  local target = {}
  for i, id in ipairs(ids) do
    target[i] = slots[slot_of[i]]
    swarm:drone(id):move_to(target[i])
  end
  local st = swarm_state(swarm)
  local f = setmetatable({
    id = swarm:_formation_new(ids, target),
    kind = kind,
    _team = self, _ids = ids, _slots = slots, _slot_of = slot_of, _waiters = {},
  }, Formation)
  st.forms[f.id] = f
  self._formation = f
  return f
end

--- team:move(offset) -> the formation, translated by offset {x=, y=[, z=]}:
-- each member flies to its slot moved by offset (same assignment), and
-- formation_reached goes out again when the new slots are reached.
function Team:move(offset)
  check_team(self, "team:move")
  local f = self._formation
  if f == nil then error("team:move: the team flies no formation", 2) end
  if type(offset) ~= "table" or type(offset.x or offset[1]) ~= "number"
      or type(offset.y or offset[2]) ~= "number" then
    error("team:move: offset must be a position {x=, y=[, z=]}", 2)
  end
  local o = pos3(offset)
  if type(o.z) ~= "number" then error("team:move: offset z must be a number", 2) end
  local finite = formation._finite
  for _, c in ipairs{ "x", "y", "z" } do
    if not finite(o[c]) then
      error(("team:move: offset %s must be finite (got %s)"):format(c, formation._show(o[c])), 2)
    end
  end
  local function in_range(v) return finite(v) and math.abs(v) <= check.COORD_MAX end
  for _, s in ipairs(f._slots) do
    if not (in_range(s.x + o.x) and in_range(s.y + o.y) and in_range(s.z + o.z)) then
      error("team:move: the offset takes the slots out of range", 2)
    end
  end
  for _, s in ipairs(f._slots) do
    s.x, s.y, s.z = s.x + o.x, s.y + o.y, s.z + o.z
  end
  local swarm = self._swarm
  local target = {}
  for i, id in ipairs(self._ids) do
    target[i] = f._slots[f._slot_of[i]]
    local d = swarm:drone(id)
    if d then d:move_to(target[i]) end
  end
  swarm:_formation_move(f.id, target)
  return f
end

--- formation:reached() -> whether every member is (or was, since the last
-- move) within 1.0 m of its slot; false once the formation is over.
function Formation:reached()
  if getmetatable(self) ~= Formation then
    error(("formation:reached: bad self (formation expected, got %s)"):format(type(self)), 2)
  end
  if self._over then return false end
  return self._team._swarm:_formation_reached(self.id) == true
end

--- formation:wait(timeout) (waits) -> true when reached, or nil, "timeout",
-- or nil, "cancelled" when the formation is superseded or its team
-- released or sent home first.
function Formation:wait(timeout)
  if getmetatable(self) ~= Formation then
    error(("formation:wait: bad self (formation expected, got %s)"):format(type(self)), 2)
  end
  if timeout ~= nil and (type(timeout) ~= "number" or not (timeout >= 0) or timeout == math.huge) then
    error(("formation:wait: timeout must be a finite number of seconds >= 0 (got %s)"):format(tostring(timeout)), 2)
  end
  if not coroutine.isyieldable() then
    error("formation:wait waits, so it may only be called inside a swarm task "
      .. "(a mission, an event handler, swarm:spawn or an actor)", 2)
  end
  if self._over then return nil, "cancelled" end
  if self:reached() then return true end
  local ch = self._team._swarm:channel { kind = "oneshot" }
  local waiters = self._waiters
  waiters[#waiters + 1] = ch
  local v, err = ch:recv(timeout)
  if v == nil then
    for i, w in ipairs(self._waiters) do
      if w == ch then table.remove(self._waiters, i) break end
    end
    return nil, err
  end
  if v == "cancelled" then return nil, "cancelled" end
  return true
end

--- formation:slots() -> the slot positions in slot order (copies).
function Formation:slots()
  local out = {}
  for i, s in ipairs(self._slots) do out[i] = { x = s.x, y = s.y, z = s.z } end
  return out
end

--- formation:assignment() -> {[drone id] = slot index}: who flies where.
function Formation:assignment()
  local out = {}
  for i, id in ipairs(self._ids) do out[id] = self._slot_of[i] end
  return out
end

function Formation:__tostring()
  return ("formation %d (%s, %d drones)"):format(self.id, self.kind, #self._slots)
end

function Team:__tostring()
  return ("team of %d drones%s"):format(#self._ids, self._released and " (released)" or "")
end

M.Team, M.Formation = Team, Formation
return M
