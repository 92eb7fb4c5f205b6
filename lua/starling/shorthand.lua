-- starling.shorthand: the REPL's `:` commands (API.md section 11).
--
--   :goto 3 100 200 50          :patrol 1-5 0 0 200 200 [alt]
--   :rtb all                    :stop 4
--   :status [idle]              :formation circle 0-5 0 0 [40] [30]
--   :mission 0 0 200 200 [30] [1]   :target 10 20 high
--   :missions   :targets   :alert
--   :speed 10   :pause   :resume   :watch 3 | off   :help   :quit
--
-- Selectors: 3, 1-5, 1,4,7 (ranges may be listed too), all, or a state
-- name.  Each argument is matched with LPeg at its column; a line that does
-- not parse, or names a drone that does not exist, answers with the column
-- and what was expected there, and nothing is sent to any drone.
local lpeg = require "lpeg"
local core = require "starling.core"
local filter = require "starling.filter"
local formation = require "starling.formation"
local check = require "starling.check"

local P, R, S, C, Cg, Ct, Cp = lpeg.P, lpeg.R, lpeg.S, lpeg.C, lpeg.Cg, lpeg.Ct, lpeg.Cp

local M = {}

local sp = S " \t" ^ 0
local sp1 = S " \t" ^ 1
local alpha = R("az", "AZ") + P "_"
local word = C(alpha * (alpha + R "09") ^ 0)
local digits = R "09" ^ 1
-- An id: digits that fit an integer (20 digits do not: no such drone).
local int = C(digits) / function(d) return math.tointeger(tonumber(d)) or -1 end
local number = C(S "+-" ^ -1 * (digits * (P "." * R "09" ^ 0) ^ -1 + P "." * digits)
  * (S "eE" * S "+-" ^ -1 * digits) ^ -1) / tonumber
local item = Ct(Cg(Cp(), "at") * int * (P "-" * int) ^ -1)
local list = Ct(item * (P "," * item) ^ 0)
local stop = sp1 + -P(1) -- an argument ends at a blank or the end of the line

local STATES = {}
for _, s in ipairs(core.names.state) do STATES[s] = true end

-- Argument kinds: a pattern (captures the value) and what it is called.
local KIND = {
  sel = { (P "all" * #stop / function() return { all = true } end)
    + (list * #stop / function(l) return { list = l } end)
    + (word * #stop / function(w) return { state = w } end),
    "a selector (3, 1-5, 1,4,7, all or a state)" },
  num = { number * #stop, "a number" },
  kind = { word * #stop, "a formation kind (line, circle, grid, v)" },
  watch = { (P "off" * #stop / function() return "off" end) + (int * #stop), "a drone id or 'off'" },
  topic = { word * #stop, "a command name" },
  threat = { word * #stop, "a threat (" .. table.concat(core.names.threat, " ") .. ")" },
}

local THREATS = {}
for _, t in ipairs(core.names.threat) do THREATS[t] = true end

-- Ranges of numbers, checked in the grammar so that a number the engine
-- would refuse is answered at its column: a test and what it says.
local COORD_MAX = check.COORD_MAX
local RANGE = {
  coord = { function(v) return math.abs(v) <= COORD_MAX end, "a coordinate within ±1e9 m" },
  factor = { function(v) return v > 0 and v <= 10000 end, "a factor in (0, 10000]" },
  size = { function(v) return v > 0 and v <= COORD_MAX end, "a radius or spacing in (0, 1e9] m" },
  laps = { function(v) return math.tointeger(v) ~= nil and v >= 0 and v <= 1000000 end,
    "a number of laps (0 patrols until cancelled)" },
}

--- M.HINTS: what an operator can do about a refusal, by error code (the
-- codes a command answers that a user can act on at the prompt).
M.HINTS = {
  emergency = "use :rtb",
  no_drone_available = "use :rtb or wait for a drone to be free",
  mailbox_full = "the drone is behind on its orders: wait and send again",
  actor_stopped = "the drone's actor has stopped: use :status to see it",
  geofence = "the point is outside a geofence: pick one inside",
}

--- M.hint(code) -> the code, with its hint in parentheses when it has one.
function M.hint(code)
  code = tostring(code)
  local h = M.HINTS[code]
  return h and ("%s (%s)"):format(code, h) or code
end

-- Each command: its arguments (name, kind, optional?, range) and what it
-- says.
local COMMANDS = {
  ["goto"] = { { "sel", "sel" }, { "x", "num", false, "coord" }, { "y", "num", false, "coord" },
    { "z", "num", true, "coord" }, help = ":goto SEL X Y [Z]        fly to a point (Z 30)" },
  patrol = { { "sel", "sel" }, { "x0", "num", false, "coord" }, { "y0", "num", false, "coord" },
    { "x1", "num", false, "coord" }, { "y1", "num", false, "coord" },
    { "altitude", "num", true, "coord" }, help = ":patrol SEL X0 Y0 X1 Y1 [ALT]  patrol an area (ALT 30)" },
  rtb = { { "sel", "sel" }, help = ":rtb SEL                 return to base" },
  stop = { { "sel", "sel" }, help = ":stop SEL                emergency stop (hold position)" },
  status = { { "sel", "sel", true }, help = ":status [SEL]            one line per drone (all)" },
  formation = { { "kind", "kind" }, { "sel", "sel" }, { "x", "num", false, "coord" },
    { "y", "num", false, "coord" }, { "size", "num", true, "size" }, { "altitude", "num", true, "coord" },
    help = ":formation KIND SEL X Y [R] [ALT]  a team of SEL in formation at (X, Y, ALT 30); R: radius or spacing" },
  missions = { help = ":missions                a table of missions: id, status, drone, laps done/laps, area" },
  targets = { help = ":targets                 a table of targets: id, position, threat, detected or lost" },
  alert = { help = ":alert                   the alert level and the detected targets by threat" },
  mission = { { "x0", "num", false, "coord" }, { "y0", "num", false, "coord" }, { "x1", "num", false, "coord" },
    { "y1", "num", false, "coord" }, { "altitude", "num", true, "coord" }, { "laps", "num", true, "laps" },
    help = ":mission X0 Y0 X1 Y1 [ALT] [LAPS]  a mission over an area (ALT 30, LAPS 1; 0: until cancelled)" },
  target = { { "x", "num", false, "coord" }, { "y", "num", false, "coord" }, { "threat", "threat" },
    help = ":target X Y THREAT       add a target (THREAT: " .. table.concat(core.names.threat, " ") .. ")" },
  speed = { { "factor", "num", false, "factor" }, help = ":speed K                 run time K times faster (real clock)" },
  pause = { help = ":pause                   freeze the swarm's time" },
  resume = { help = ":resume                  time runs again" },
  watch = { { "id", "watch" }, help = ":watch ID | off          a status line for drone ID every second" },
  help = { { "topic", "topic", true }, help = ":help [COMMAND]          this text" },
  quit = { help = ":quit                    shut the swarm down and leave" },
}
local ORDER = { "goto", "patrol", "rtb", "stop", "status", "formation", "missions", "targets", "alert",
                "mission", "target", "speed", "pause", "resume", "watch", "help", "quit" }

local Failure = {}
local function fail(pos, msg) error(setmetatable({ pos = pos, msg = msg }, Failure), 0) end

local cmd_name = sp * P ":" * Cp() * word * #stop

--- M.parse(line) -> {name, args..., pos = {arg = column}} or nil, message
-- (with the line and a caret).
function M.parse(line)
  local ok, res = pcall(function()
    local start, name = cmd_name:match(line)
    if not start then
      local colon = line:find(":", 1, true) or 1
      fail(colon + 1, "a command name (" .. table.concat(ORDER, " ") .. ")")
    end
    local spec = COMMANDS[name]
    if spec == nil then fail(start, ("a command, not '%s' (%s)"):format(name, table.concat(ORDER, " "))) end
    local cmd = { name = name, pos = {} }
    local pos = start + #name
    for _, a in ipairs(spec) do
      local at = lpeg.match(sp * Cp(), line, pos)
      if at > #line then
        if a[3] then break end
        fail(at, KIND[a[2]][2] .. " (" .. a[1] .. ")")
      end
      if at == pos then fail(at, "a blank before " .. KIND[a[2]][2]) end
      local v, after = lpeg.match(KIND[a[2]][1] * Cp(), line, at)
      if v == nil then fail(at, KIND[a[2]][2] .. " (" .. a[1] .. ")") end
      if a[2] == "sel" and v.state and not STATES[v.state] then
        fail(at, ("a selector (3, 1-5, 1,4,7, all or a state), not '%s'"):format(v.state))
      end
      if a[2] == "kind" and not formation.known(v) then
        fail(at, ("a formation kind, not '%s'"):format(v))
      end
      if a[2] == "threat" and not THREATS[v] then
        fail(at, ("%s, not '%s'"):format(KIND.threat[2], v))
      end
      local range = RANGE[a[4]]
      if range and not range[1](v) then
        local what = range[2]
        if not what:find(a[1], 1, true) then what = what .. " (" .. a[1] .. ")" end
        fail(at, ("%s (not %s)"):format(what, line:sub(at, after - 1)))
      end
      cmd[a[1]], cmd.pos[a[1]] = v, at
      pos = after
    end
    local rest = lpeg.match(sp * Cp(), line, pos)
    if rest <= #line then fail(rest, "the end of the line") end
    return cmd
  end)
  if ok then return res end
  if getmetatable(res) ~= Failure then error(res, 0) end
  return nil, filter.report("bad command", line, res.pos, "expected " .. res.msg)
end

-- The ids of the drones a selector names, in id order, taken now (all and
-- a state are selected in C: a handle per drone, or a Lua loop over the
-- fleet, would hold the loop 60 ms at 100,000 drones); an id with no
-- drone fails at the selector's column.  Handles are made a slice at a
-- time, as the command reaches each drone.
local function select(swarm, sel, line, at)
  if sel == nil or sel.all then return swarm:_select() end
  if sel.state then return swarm:_select(sel.state) end
  local out, seen = {}, {}
  for _, it in ipairs(sel.list) do
    local a, b = it[1], it[2] or it[1]
    local col = it.at -- the column of this item, for the caret
    if a < 0 or b < 0 then fail(col, "a drone id (this number is too big for one)") end
    if b < a then fail(col, ("a range from low to high, not %d-%d"):format(a, b)) end
    if b - a > 1000000 then fail(col, "a range of at most 1,000,000 drones") end
    for id = a, b do
      if swarm:drone(id) == nil then fail(col, ("a drone id: there is no drone %d"):format(id)) end
      if not seen[id] then seen[id] = true; out[#out + 1] = id end
    end
  end
  table.sort(out)
  return out
end

local function status_line(d)
  local st, err = d:status()
  if not st then return ("drone %d: %s"):format(d.id, err) end
  local p = st.position
  return ("drone %d %-12s battery %3d%% at (%.1f, %.1f, %.1f)%s"):format(st.id, st.state, st.battery,
    p.x, p.y, p.z, st.mission and (" mission " .. st.mission:sub(1, 8)) or "")
end

-- Commands, listings and answers go a slice of this many drones (or
-- lines) per loop turn, so that no command on 100,000 drones holds the
-- loop for a tick.
M.SLICE = 1000
M.STATUS_SLICE = M.SLICE

-- Sends an order (fn(handle) -> ok, err) to each drone of ids, in id
-- order; the answer is "N drones VERB" then a line per refusal.  Up to
-- M.SLICE drones: the answer's text.  More: "", "stream", more, where
-- more() sends the next slice and returns "" until every drone has had
-- it, then the answer a slice of lines at a time, then nil.
local function each(swarm, ids, verb, fn)
  local lines, refused, i = {}, 0, 0
  local function send()
    local j = math.min(i + M.SLICE, #ids)
    for k = i + 1, j do
      local ok, err = fn(swarm:_handle(ids[k]))
      if not ok then
        refused = refused + 1
        lines[#lines + 1] = ("drone %d: %s"):format(ids[k], M.hint(err))
      end
    end
    i = j
  end
  local function head()
    return ("%d drone%s %s"):format(#ids - refused, #ids - refused == 1 and "" or "s", verb)
  end
  if #ids <= M.SLICE then
    send()
    table.insert(lines, 1, head())
    return table.concat(lines, "\n")
  end
  local shown = nil -- lines of the answer shown so far (nil: not begun)
  local function more()
    if i < #ids then
      send()
      return ""
    end
    if shown == nil then
      shown = 0
      table.insert(lines, 1, head())
    end
    if shown >= #lines then return nil end
    local j = math.min(shown + M.SLICE, #lines)
    local text = table.concat(lines, "\n", shown + 1, j)
    shown = j
    return text
  end
  return "", "stream", more
end

--- M.run(swarm, line, state) -> text to show, and "quit" for :quit, or
-- "", "stream", more for a :status, :goto, :patrol, :rtb or :stop of
-- more than M.SLICE drones (more() -> the next lines, "" while orders
-- are still being sent, nil at the end).  `state` is the session's (its formation team, its watch
-- timer).  A bad line raises nothing: its text is the error.
function M.run(swarm, line, state)
  local cmd, err = M.parse(line)
  if not cmd then return err end
  local ok, res, extra, more = pcall(M.execute, swarm, cmd, line, state or {})
  if ok then return res, extra, more end
  if getmetatable(res) ~= Failure then error(res, 0) end
  return filter.report("bad command", line, res.pos, "expected " .. res.msg)
end

function M.execute(swarm, cmd, line, state)
  local n = cmd.name
  if n == "help" then
    if cmd.topic then
      local c = COMMANDS[cmd.topic]
      if c == nil then fail(cmd.pos.topic, ("a command name, not '%s'"):format(cmd.topic)) end
      return c.help
    end
    local lines = {}
    for _, k in ipairs(ORDER) do lines[#lines + 1] = COMMANDS[k].help end
    lines[#lines + 1] = "SEL: 3, 1-5, 1,4,7, all, or a state (" .. table.concat(core.names.state, " ") .. ")"
    return table.concat(lines, "\n")
  elseif n == "quit" then
    return "shutting down", "quit"
  elseif n == "speed" or n == "pause" or n == "resume" then
    local clock, speed = swarm:_clock()
    if clock ~= "real" then
      return ("the swarm runs on the virtual clock: :%s needs real time"):format(n)
    end
    if n == "speed" then
      if not (cmd.factor > 0) or cmd.factor > 10000 then fail(cmd.pos.factor, "a factor in (0, 10000]") end
      state.speed = cmd.factor
      if speed > 0 then swarm:_set_speed(cmd.factor) end
      return ("time runs x%g%s"):format(cmd.factor, speed > 0 and "" or " (when resumed)")
    elseif n == "pause" then
      if speed == 0 then return "already paused" end
      state.speed = speed
      swarm:_set_speed(0)
      return ("paused at T+%.3f"):format(swarm:now())
    else
      if speed > 0 then return "not paused" end
      swarm:_set_speed(state.speed or 1)
      return ("resumed at x%g"):format(state.speed or 1)
    end
  elseif n == "mission" or n == "target" or n == "missions" or n == "targets" or n == "alert" then
    return M[n](swarm, cmd)
  elseif n == "watch" then
    if state.watch then state.watch:cancel(); state.watch = nil end
    if cmd.id == "off" then return "watch off" end
    local d = cmd.id >= 0 and swarm:drone(cmd.id) or nil
    if d == nil then
      fail(cmd.pos.id, cmd.id < 0 and "a drone id (this number is too big for one)"
        or ("a drone id: there is no drone %d"):format(cmd.id))
    end
    local out = state.write or print
    state.watch = swarm:every(1, function() out(status_line(d)) end)
    return status_line(d)
  end
  local drones = select(swarm, cmd.sel, line, cmd.pos.sel) -- ids
  if n == "status" then
    if #drones == 0 then return "no drone" end
    local i = 0
    local function more()
      if i >= #drones then return nil end
      local lines = {}
      for k = i + 1, math.min(i + M.STATUS_SLICE, #drones) do
        lines[#lines + 1] = status_line(swarm:_handle(drones[k]))
      end
      i = i + M.STATUS_SLICE
      return table.concat(lines, "\n")
    end
    if #drones <= M.STATUS_SLICE then return more() end
    return "", "stream", more
  elseif n == "goto" then
    local to = { x = cmd.x, y = cmd.y, z = cmd.z or 30 }
    return each(swarm, drones, ("flying to (%g, %g, %g)"):format(to.x, to.y, to.z), function(d) return d:move_to(to) end)
  elseif n == "patrol" then
    -- as many rows of 100 m as the engine flies (area.c: 100,000)
    local depth = math.abs(cmd.y1 - cmd.y0)
    if depth >= 50 and (depth - 50) // 100 + 1 > 100000 then
      fail(cmd.pos.y1, ("an area at most 10000000 m deep (100,000 rows of 100 m), not %s"):format(
        check.show(depth)))
    end
    local area = require("starling.area").new{ min = { math.min(cmd.x0, cmd.x1), math.min(cmd.y0, cmd.y1) },
      max = { math.max(cmd.x0, cmd.x1), math.max(cmd.y0, cmd.y1) }, altitude = cmd.altitude or 30 }
    return each(swarm, drones, "patrolling", function(d) return d:patrol(area) end)
  elseif n == "rtb" then
    return each(swarm, drones, "returning to base", function(d) return d:return_to_base() end)
  elseif n == "stop" then
    return each(swarm, drones, "stopped", function(d) return d:emergency_stop("operator") end)
  elseif n == "formation" then
    if state.team then state.team:release(); state.team = nil end
    if #drones == 0 then return "no drone" end
    local ids = drones
    local team, why = swarm:team(ids)
    if not team then return ("no formation: %s (each drone must be free: online, no mission, in no team)"):format(why) end
    local opts = { center = { x = cmd.x, y = cmd.y, z = cmd.altitude or 30 } }
    if cmd.size then opts[cmd.kind == "circle" and "radius" or "spacing"] = cmd.size end
    local ok, f = pcall(team.formation, team, cmd.kind, opts)
    if not ok then team:release(); return tostring(f) end
    state.team = team
    return ("%d drones flying a %s (formation %d)"):format(#ids, cmd.kind, f.id)
  end
end

--- :mission: a mission over the area; its id, or the error code (with
-- its hint).
function M.mission(swarm, cmd)
  local depth = math.abs(cmd.y1 - cmd.y0)
  if depth >= 50 and (depth - 50) // 100 + 1 > 100000 then
    fail(cmd.pos.y1, ("an area at most 10000000 m deep (100,000 rows of 100 m), not %s"):format(
      check.show(depth)))
  end
  local area = require("starling.area").new{ min = { math.min(cmd.x0, cmd.x1), math.min(cmd.y0, cmd.y1) },
    max = { math.max(cmd.x0, cmd.x1), math.max(cmd.y0, cmd.y1) }, altitude = cmd.altitude or 30 }
  local id, err = swarm:create_mission{ area = area, laps = math.tointeger(cmd.laps or 1) }
  if not id then return "no mission: " .. M.hint(err) end
  local m = swarm:mission(id)
  if m and m.drone then return ("mission %s assigned to drone %d"):format(id, m.drone) end
  return ("mission %s %s"):format(id, m and m.status or "created")
end

-- A table: its header, then row(item) for each item, aligned by fixed
-- widths (so that slices shown apart line up); up to M.STATUS_SLICE rows
-- the text, more: "", "stream", more (a slice of rows per call, nil at
-- the end) as :status answers.
local function listing(items, header, row, none)
  if #items == 0 then return none end
  local i = 0
  local function more()
    if i >= #items then return nil end
    local lines = {}
    if i == 0 then lines[1] = header end
    for k = i + 1, math.min(i + M.STATUS_SLICE, #items) do lines[#lines + 1] = row(items[k]) end
    i = i + M.STATUS_SLICE
    return table.concat(lines, "\n")
  end
  if #items <= M.STATUS_SLICE then return more() end
  return "", "stream", more
end

local MISSION_ROW = "%-8s  %-9s  %5s  %-4s  %s"

--- :missions: id (its first 8 characters), status, drone, laps done of
-- laps ("-": until cancelled), area.
function M.missions(swarm)
  return listing(swarm:missions(), MISSION_ROW:format("mission", "status", "drone", "laps", "area"),
    function(m)
      local laps = ("%d/%s"):format(m.laps_done, m.laps == 0 and "-" or tostring(m.laps))
      local area = tostring(m.area):gsub("^starling%.area ", "")
      return MISSION_ROW:format(m.id:sub(1, 8), m.status, m.drone or "-", laps, area)
    end, "no mission")
end

local TARGET_ROW = "%-6s  %-24s  %-8s  %s"

--- :targets: id, position, threat, and detected, lost (removed after it
-- was detected) or "-" (not seen yet).
function M.targets(swarm)
  return listing(swarm:targets(), TARGET_ROW:format("target", "position", "threat", "state"), function(t)
    local p = t.position
    return TARGET_ROW:format(t.id, ("(%.1f, %.1f, %.1f)"):format(p.x, p.y, p.z), t.threat,
      t.lost and "lost" or (t.detected and "detected" or "-"))
  end, "no target")
end

-- :alert lists up to this many ids per threat.
M.ALERT_IDS = 10

--- :alert: the level, then per threat (highest first) how many detected,
-- not lost targets and their ids.
function M.alert(swarm)
  local by = {}
  for _, t in ipairs(core.names.threat) do by[t] = {} end
  for _, t in ipairs(swarm:targets()) do
    if t.detected and not t.lost then table.insert(by[t.threat], t.id) end
  end
  local lines = { "alert " .. swarm:alert_level() }
  for i = #core.names.threat, 1, -1 do
    local name = core.names.threat[i]
    local ids = by[name]
    local text = ("%-8s  %d"):format(name, #ids)
    if #ids > 0 then
      text = text .. ": " .. table.concat(ids, ", ", 1, math.min(#ids, M.ALERT_IDS))
      if #ids > M.ALERT_IDS then text = text .. (" and %d more"):format(#ids - M.ALERT_IDS) end
    end
    lines[#lines + 1] = text
  end
  return table.concat(lines, "\n")
end

--- :target: adds a target on the ground at (x, y); its id.
function M.target(swarm, cmd)
  local id = swarm:add_target{ position = { x = cmd.x, y = cmd.y, z = 0 }, threat = cmd.threat }
  return ("target %d (%s) at (%g, %g)"):format(id, cmd.threat, cmd.x, cmd.y)
end

--- Names for Tab completion after ':'.
M.commands = ORDER
return M
